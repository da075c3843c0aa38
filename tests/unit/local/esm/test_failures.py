"""Failed batches: retries, bisection, record age, partial batch failures and the on-failure destination."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from local.esm.poller import StreamPoller
from local.lambda_runtime.invoke import InvokeResult
from tests.unit.local.conftest import unique
from tests.unit.local.esm.conftest import (
    DRAIN,
    FAIL,
    FakeInvoker,
    Pipe,
    fail_each_batch_once,
    pk,
    sequence_of,
)


def test_maximum_retry_attempts_then_on_failure_destination(
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
    queue: Callable[[], tuple[str, str]],
    messages: Callable[[str], list[dict[str, Any]]],
) -> None:
    url, arn = queue()
    p = pipe(MaximumRetryAttempts=2, DestinationConfig={"OnFailure": {"Destination": arn}})
    write(p.table, "poison")
    invoker = FakeInvoker(lambda records: FAIL if pk(records[0]) == "poison" else InvokeResult())
    poller = run_poller(invoker)
    assert poller.drain(DRAIN)

    # THEN the first invocation and two retries, then the shard moves on
    assert invoker.batches == [["poison"]] * 3
    write(p.table, "next")
    assert poller.drain(DRAIN)
    assert invoker.batches[3:] == [["next"]]

    [document] = messages(url)
    poison = invoker.calls[0][1]["Records"][0]
    assert document["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert document["requestContext"]["approximateInvokeCount"] == 3
    assert document["DDBStreamBatchInfo"]["startSequenceNumber"] == sequence_of(poison)
    assert document["DDBStreamBatchInfo"]["endSequenceNumber"] == sequence_of(poison)
    assert document["DDBStreamBatchInfo"]["batchSize"] == 1


def test_on_failure_record_has_lambdas_shape(
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
    queue: Callable[[], tuple[str, str]],
    messages: Callable[[str], list[dict[str, Any]]],
) -> None:
    url, arn = queue()
    p = pipe(MaximumRetryAttempts=0, BatchSize=2, DestinationConfig={"OnFailure": {"Destination": arn}})
    write(p.table, "a", "b")
    failure = InvokeResult(error={"errorType": "Sandbox.Timedout", "errorMessage": "timed out"})
    invoker = FakeInvoker(lambda records: failure)

    assert run_poller(invoker).drain(DRAIN)

    [document] = messages(url)
    records = invoker.calls[0][1]["Records"]
    iso_seconds = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    assert document["requestContext"] == {
        "requestId": failure.request_id,
        "functionArn": p.function_arn,
        "condition": "RetryAttemptsExhausted",
        "approximateInvokeCount": 1,
    }
    assert document["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert document["version"] == "1.0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", document["timestamp"])
    info = document["DDBStreamBatchInfo"]
    assert set(info) == {
        "shardId",
        "startSequenceNumber",
        "endSequenceNumber",
        "approximateArrivalOfFirstRecord",
        "approximateArrivalOfLastRecord",
        "batchSize",
        "streamArn",
    }
    assert info["shardId"].startswith("shardId-")
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == tuple(map(sequence_of, records))
    assert re.fullmatch(iso_seconds, info["approximateArrivalOfFirstRecord"])
    assert re.fullmatch(iso_seconds, info["approximateArrivalOfLastRecord"])
    assert info["batchSize"] == 2
    assert info["streamArn"] == p.stream_arn


def test_on_failure_destination_sns(
    aws: Callable[[str], Any],
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
    queue: Callable[[], tuple[str, str]],
    messages: Callable[[str], list[dict[str, Any]]],
) -> None:
    topic = aws("sns").create_topic(Name=unique("topic"))["TopicArn"]
    url, queue_arn = queue()
    aws("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    p = pipe(MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": topic}})
    write(p.table, "a")

    assert run_poller(FakeInvoker(lambda records: FAIL)).drain(DRAIN)

    [notification] = messages(url)
    document = json.loads(notification["Message"])
    assert notification["TopicArn"] == topic
    assert document["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert document["DDBStreamBatchInfo"]["streamArn"] == p.stream_arn


def test_bisect_isolates_the_failing_record(
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
    queue: Callable[[], tuple[str, str]],
    messages: Callable[[str], list[dict[str, Any]]],
) -> None:
    url, arn = queue()
    p = pipe(
        BatchSize=4,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    write(p.table, "a", "b", "c", "d")
    invoker = FakeInvoker(lambda records: FAIL if "c" in map(pk, records) else InvokeResult())

    assert run_poller(invoker).drain(DRAIN)

    # Splits are not retries: only the single record "c" is retried, once, before it is given up.
    assert invoker.batches == [["a", "b", "c", "d"], ["a", "b"], ["c", "d"], ["c"], ["c"], ["d"]]
    [document] = messages(url)
    c = invoker.calls[0][1]["Records"][2]
    assert document["DDBStreamBatchInfo"]["batchSize"] == 1
    assert document["DDBStreamBatchInfo"]["startSequenceNumber"] == sequence_of(c)
    assert document["requestContext"]["approximateInvokeCount"] == 4  # every invocation that held "c"


def test_maximum_record_age_skips_old_records_to_the_destination(
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
    queue: Callable[[], tuple[str, str]],
    messages: Callable[[str], list[dict[str, Any]]],
) -> None:
    url, arn = queue()
    p = pipe(MaximumRecordAgeInSeconds=60, DestinationConfig={"OnFailure": {"Destination": arn}})
    write(p.table, "a", "b")
    invoker = FakeInvoker()

    # WHEN the poller's clock says the records are an hour old
    assert run_poller(invoker, clock=lambda: time.time() + 3600).drain(DRAIN)

    assert invoker.calls == []
    [document] = messages(url)
    assert document["requestContext"]["condition"] == "RecordAgeExceeded"
    assert document["requestContext"]["approximateInvokeCount"] == 0
    assert "responseContext" not in document  # the function never ran
    assert document["DDBStreamBatchInfo"]["batchSize"] == 2


def test_maximum_record_age_ends_retries(
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
    queue: Callable[[], tuple[str, str]],
    messages: Callable[[str], list[dict[str, Any]]],
) -> None:
    url, arn = queue()
    p = pipe(MaximumRecordAgeInSeconds=60, DestinationConfig={"OnFailure": {"Destination": arn}})
    write(p.table, "a")
    # A clock that jumps an hour ahead once the function has failed twice (retries are unlimited).
    invoker = FakeInvoker(lambda records: FAIL)

    def clock() -> float:
        return time.time() + (3600 if len(invoker.calls) >= 2 else 0)

    assert run_poller(invoker, clock=clock).drain(DRAIN)

    assert invoker.batches == [["a"], ["a"]]
    [document] = messages(url)
    assert document["requestContext"]["condition"] == "RecordAgeExceeded"
    assert document["requestContext"]["approximateInvokeCount"] == 2
    assert document["responseContext"]["functionError"] == "Unhandled"


def test_report_batch_item_failures_resumes_from_the_lowest_failed_record(
    pipe: Callable[..., Pipe], write: Callable[..., None], run_poller: Callable[..., StreamPoller]
) -> None:
    p = pipe(FunctionResponseTypes=["ReportBatchItemFailures"])
    write(p.table, "a", "b", "c", "d")

    def respond(records: list[dict[str, Any]]) -> InvokeResult:
        if len(records) < 4:
            return InvokeResult(payload={"batchItemFailures": []})
        # reported out of order: the lowest sequence number ("b") is where processing resumes
        return InvokeResult(
            payload={"batchItemFailures": [{"itemIdentifier": sequence_of(r)} for r in records[2:0:-1]]}
        )

    invoker = FakeInvoker(respond)

    assert run_poller(invoker).drain(DRAIN)

    assert invoker.batches == [["a", "b", "c", "d"], ["b", "c", "d"]]


def test_report_batch_item_failures_counts_partial_failures_as_retries(
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
    queue: Callable[[], tuple[str, str]],
    messages: Callable[[str], list[dict[str, Any]]],
) -> None:
    url, arn = queue()
    p = pipe(
        FunctionResponseTypes=["ReportBatchItemFailures"],
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    write(p.table, "a", "bad", "c")

    def respond(records: list[dict[str, Any]]) -> InvokeResult:
        failed = [{"itemIdentifier": sequence_of(r)} for r in records if pk(r) == "bad"]
        return InvokeResult(payload={"batchItemFailures": failed})

    invoker = FakeInvoker(respond)
    poller = run_poller(invoker)
    assert poller.drain(DRAIN)

    # "a" succeeded once; from "bad" on, the batch is retried once, then given up
    assert invoker.batches == [["a", "bad", "c"], ["bad", "c"]]
    [document] = messages(url)
    records = invoker.calls[0][1]["Records"]
    info = document["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (
        sequence_of(records[1]),
        sequence_of(records[2]),
    )
    assert info["batchSize"] == 2
    assert document["requestContext"]["approximateInvokeCount"] == 2
    assert "functionError" not in document["responseContext"]  # the function returned normally


@pytest.mark.parametrize(
    "response",
    [
        {"batchItemFailures": [{"itemIdentifier": "123"}]},  # not a record of the batch
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"id": "x"}]},
        {"batchItemFailures": "a"},
        "not an object",
    ],
)
def test_report_batch_item_failures_invalid_response_fails_the_whole_batch(
    response: Any,
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
) -> None:
    p = pipe(FunctionResponseTypes=["ReportBatchItemFailures"])
    write(p.table, "a", "b")
    answers = iter([InvokeResult(payload=response)])
    invoker = FakeInvoker(lambda records: next(answers, InvokeResult()))

    assert run_poller(invoker).drain(DRAIN)

    assert invoker.batches == [["a", "b"], ["a", "b"]]


@pytest.mark.parametrize("response", [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}])
def test_report_batch_item_failures_success_responses(
    response: Any,
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
) -> None:
    p = pipe(FunctionResponseTypes=["ReportBatchItemFailures"])
    write(p.table, "a", "b")
    invoker = FakeInvoker(lambda records: InvokeResult(payload=response))

    assert run_poller(invoker).drain(DRAIN)

    assert invoker.batches == [["a", "b"]]


def test_batch_item_failures_are_ignored_unless_the_mapping_reports_them(
    pipe: Callable[..., Pipe], write: Callable[..., None], run_poller: Callable[..., StreamPoller]
) -> None:
    p = pipe()
    write(p.table, "a", "b")
    invoker = FakeInvoker(
        lambda records: InvokeResult(
            payload={"batchItemFailures": [{"itemIdentifier": sequence_of(records[0])}]}
        )
    )

    assert run_poller(invoker).drain(DRAIN)

    assert invoker.batches == [["a", "b"]]


def test_invoker_errors_are_retried_without_counting_as_retries(
    pipe: Callable[..., Pipe], write: Callable[..., None], run_poller: Callable[..., StreamPoller]
) -> None:
    p = pipe(MaximumRetryAttempts=0)
    write(p.table, "a")
    outages = iter([ConnectionError("runner down"), ConnectionError("runner down")])

    def respond(records: list[dict[str, Any]]) -> InvokeResult:
        outage = next(outages, None)
        if outage is not None:
            raise outage
        return InvokeResult()

    invoker = FakeInvoker(respond)

    assert run_poller(invoker).drain(DRAIN)

    assert invoker.batches == [["a"]] * 3  # two that could not run, then the delivery


def test_per_shard_order_is_kept_across_failures(
    pipe: Callable[..., Pipe], write: Callable[..., None], run_poller: Callable[..., StreamPoller]
) -> None:
    p = pipe(BatchSize=3)
    keys = [f"k{i:02d}" for i in range(20)]
    write(p.table, *keys)
    invoker = FakeInvoker(fail_each_batch_once())

    assert run_poller(invoker).drain(DRAIN)

    delivered = [k for batch in invoker.batches[1::2] for k in batch]
    assert invoker.batches[0::2] == invoker.batches[1::2]  # each batch retried as it was
    assert delivered == keys
