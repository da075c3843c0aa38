"""The stream poller against the emulator: a real table, stream and mapping; a fake function."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local import poller as poller_module
from local.invoke import InvokeResult
from local.poller import CHECKPOINT_FILE, StreamPoller
from tests.unit.local.conftest import unique

DRAIN = 20.0  # generous bound on waiting for idleness; tests never assert on durations

Respond = Callable[[list[dict[str, Any]]], InvokeResult]
FAIL = InvokeResult(error={"errorType": "RuntimeError", "errorMessage": "boom", "stackTrace": []})


class FakeInvoker:
    """Records every event it is given and answers with `respond(records)`."""

    def __init__(self, respond: Respond | None = None) -> None:
        self.respond: Respond = respond or (lambda records: InvokeResult())
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def invoke(self, function_arn: str, payload: dict[str, Any]) -> InvokeResult:
        with self._lock:
            self.calls.append(
                (function_arn, json.loads(json.dumps(payload)))
            )  # as serialised to the function
        return self.respond(payload["Records"])

    @property
    def batches(self) -> list[list[str]]:
        """The `pk` of each record of each invocation, in invocation order."""
        return [[pk(r) for r in event["Records"]] for _, event in self.calls]


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DRAIN
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def pk(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["Keys"]["pk"]["S"])


def sequence_of(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


@dataclass
class Pipe:
    table: str
    stream_arn: str
    function_arn: str
    mapping_uuid: str


@pytest.fixture(autouse=True)
def no_other_mappings(aws: Callable[[str], Any]) -> Iterator[None]:
    # Every poller runs every mapping in the emulator, which the whole session shares: each test here starts
    # and ends with none.
    def delete_all() -> None:
        for page in aws("lambda").get_paginator("list_event_source_mappings").paginate():
            for mapping in page["EventSourceMappings"]:
                aws("lambda").delete_event_source_mapping(UUID=mapping["UUID"])

    delete_all()
    yield
    delete_all()


@pytest.fixture
def pipe(
    aws: Callable[[str], Any],
    stream_table: Callable[[], tuple[str, str]],
    function: Callable[[], str],
) -> Callable[..., Pipe]:
    """Creates a table with a stream, a function and a mapping between them with the given settings."""

    def create(**settings: Any) -> Pipe:
        table, stream_arn = stream_table()
        function_arn = function()
        settings.setdefault("StartingPosition", "TRIM_HORIZON")
        mapping = aws("lambda").create_event_source_mapping(
            EventSourceArn=stream_arn, FunctionName=function_arn, **settings
        )
        return Pipe(table, stream_arn, function_arn, mapping["UUID"])

    return create


@pytest.fixture
def write(aws: Callable[[str], Any]) -> Callable[..., None]:
    def put(table: str, *keys: str, **attributes: dict[str, Any]) -> None:
        for key in keys:
            item = {"pk": {"S": key}, "sk": {"S": "s"}, **attributes}
            aws("dynamodb").put_item(TableName=table, Item=item)

    return put


@pytest.fixture
def queue(aws: Callable[[str], Any]) -> Callable[[], tuple[str, str]]:
    """Creates an SQS queue; returns (url, ARN)."""

    def create() -> tuple[str, str]:
        url = aws("sqs").create_queue(QueueName=unique("dlq"))["QueueUrl"]
        arn = aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return str(url), str(arn)

    return create


@pytest.fixture
def messages(aws: Callable[[str], Any]) -> Callable[[str], list[dict[str, Any]]]:
    def receive(url: str) -> list[dict[str, Any]]:
        received = aws("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        return [json.loads(m["Body"]) for m in received.get("Messages", [])]

    return receive


@pytest.fixture
def run_poller(endpoint: str, tmp_path: Path) -> Iterator[Callable[..., StreamPoller]]:
    started: list[StreamPoller] = []

    def start(invoker: FakeInvoker, **options: Any) -> StreamPoller:
        options = {
            "state_dir": tmp_path,
            "poll_interval": 0.05,
            "refresh_interval": 0.1,
            "retry_delay": 0.0,
            **options,
        }
        poller = StreamPoller(endpoint, invoker, **options)
        poller.start()
        started.append(poller)
        return poller

    yield start
    for poller in started:
        poller.stop()


def test_event_holds_records_as_lambda_delivers_them(
    pipe: Callable[..., Pipe], write: Callable[..., None], run_poller: Callable[..., StreamPoller]
) -> None:
    p = pipe()
    write(p.table, "a", blob={"B": b"\x00\xff"}, n={"N": "10"})
    invoker = FakeInvoker()

    assert run_poller(invoker).drain(DRAIN)

    [(function_arn, event)] = invoker.calls
    assert function_arn == p.function_arn
    assert list(event) == ["Records"]
    [record] = event["Records"]
    assert set(record) == {
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
    }
    assert record["eventName"] == "INSERT"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["awsRegion"] == "us-east-1"
    assert record["eventSourceARN"] == p.stream_arn
    dynamodb = record["dynamodb"]
    assert dynamodb["Keys"] == {"pk": {"S": "a"}, "sk": {"S": "s"}}
    assert dynamodb["NewImage"]["n"] == {"N": "10"}
    assert dynamodb["NewImage"]["blob"] == {"B": base64.b64encode(b"\x00\xff").decode()}
    assert dynamodb["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(dynamodb["ApproximateCreationDateTime"], int)  # epoch seconds, as Lambda sends
    assert abs(dynamodb["ApproximateCreationDateTime"] - time.time()) < 3600
    assert dynamodb["SequenceNumber"].isdigit()


def test_disabled_mapping_delivers_nothing_until_enabled(
    aws: Callable[[str], Any],
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
) -> None:
    p = pipe(Enabled=False)
    write(p.table, "a", "b")
    invoker = FakeInvoker()
    poller = run_poller(invoker)
    assert poller.drain(DRAIN)
    assert invoker.calls == []

    aws("lambda").update_event_source_mapping(UUID=p.mapping_uuid, Enabled=True)

    assert poller.drain(DRAIN)
    assert invoker.batches == [["a", "b"]]


def test_mappings_created_or_deleted_while_running_take_effect(
    aws: Callable[[str], Any],
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
) -> None:
    invoker = FakeInvoker()
    poller = run_poller(invoker)
    assert poller.drain(DRAIN)

    p = pipe()
    write(p.table, "a")
    assert poller.drain(DRAIN)
    aws("lambda").delete_event_source_mapping(UUID=p.mapping_uuid)
    assert poller.drain(DRAIN)
    write(p.table, "b")
    assert poller.drain(DRAIN)

    assert invoker.batches == [["a"]]


def test_batch_size_limits_each_invocation(
    pipe: Callable[..., Pipe], write: Callable[..., None], run_poller: Callable[..., StreamPoller]
) -> None:
    p = pipe(BatchSize=2)
    write(p.table, "a", "b", "c", "d", "e")
    invoker = FakeInvoker()

    assert run_poller(invoker).drain(DRAIN)

    assert invoker.batches == [["a", "b"], ["c", "d"], ["e"]]


def test_batch_ends_before_the_invocation_payload_limit(
    monkeypatch: pytest.MonkeyPatch,
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
) -> None:
    p = pipe(BatchSize=100)
    write(p.table, "a", "b", "c", "d", "e", blob={"S": "x" * 1000})
    invoker = FakeInvoker()
    # A limit that holds two of these records (about 1.5 kB each as JSON) but not three
    monkeypatch.setattr(poller_module, "MAX_EVENT_BYTES", 3500)

    assert run_poller(invoker).drain(DRAIN)

    assert invoker.batches == [["a", "b"], ["c", "d"], ["e"]]
    assert all(len(json.dumps(event)) <= 3500 for _, event in invoker.calls)


def test_batching_window_waits_for_a_full_batch(
    pipe: Callable[..., Pipe], write: Callable[..., None], run_poller: Callable[..., StreamPoller]
) -> None:
    # GIVEN a window far longer than the test, so only a full batch can end it
    p = pipe(BatchSize=3, MaximumBatchingWindowInSeconds=300)
    invoker = FakeInvoker()
    poller = run_poller(invoker)
    assert poller.drain(DRAIN)

    # WHEN two records arrive, THEN they wait in the open window (the poller never becomes idle)
    write(p.table, "a", "b")
    assert not poller.drain(1.0)
    assert invoker.calls == []

    # WHEN the third fills the batch, THEN the three go out together
    write(p.table, "c")
    assert poller.drain(DRAIN)
    assert invoker.batches == [["a", "b", "c"]]


def test_batching_window_sends_a_partial_batch_when_it_closes(
    pipe: Callable[..., Pipe], write: Callable[..., None], run_poller: Callable[..., StreamPoller]
) -> None:
    p = pipe(BatchSize=10, MaximumBatchingWindowInSeconds=1)
    write(p.table, "a", "b")
    invoker = FakeInvoker()

    # An open window keeps the poller busy: idleness means the window closed and the batch went out unfilled.
    assert run_poller(invoker).drain(DRAIN)

    assert invoker.batches == [["a", "b"]]


@pytest.mark.parametrize(
    ("position", "expected"), [("TRIM_HORIZON", [["before"], ["after"]]), ("LATEST", [["after"]])]
)
def test_starting_position(
    position: str,
    expected: list[list[str]],
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
) -> None:
    p = pipe(StartingPosition=position)
    write(p.table, "before")
    invoker = FakeInvoker()
    poller = run_poller(invoker)
    assert poller.drain(DRAIN)

    write(p.table, "after")

    assert poller.drain(DRAIN)
    assert invoker.batches == expected


def test_filter_criteria_drop_records_that_match_no_pattern(
    aws: Callable[[str], Any],
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
    tmp_path: Path,
) -> None:
    # GIVEN two filters (Lambda delivers a record that matches either), one with a prefix rule
    keep = {"dynamodb": {"NewImage": {"kind": {"S": ["keep"]}}}}
    prefixed = {"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "vip-"}]}}}}
    p = pipe(FilterCriteria={"Filters": [{"Pattern": json.dumps(keep)}, {"Pattern": json.dumps(prefixed)}]})
    write(p.table, "a", kind={"S": "keep"})
    write(p.table, "b", kind={"S": "drop"})
    write(p.table, "vip-c", kind={"S": "drop"})
    write(p.table, "d", kind={"S": "drop"})
    # AND a function that fails every batch once: dropped records must not come back with the retry
    failed: set[str] = set()

    def fail_first_time(records: list[dict[str, Any]]) -> InvokeResult:
        key = ",".join(pk(r) for r in records)
        if key in failed:
            return InvokeResult()
        failed.add(key)
        return FAIL

    invoker = FakeInvoker(fail_first_time)

    assert run_poller(invoker).drain(DRAIN)

    assert invoker.batches == [["a", "vip-c"], ["a", "vip-c"]]
    # The dropped "d", last in the shard, is done with too: the checkpoint is at it.
    streams = aws("dynamodbstreams")
    [shard] = streams.describe_stream(StreamArn=p.stream_arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=p.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    d = streams.get_records(ShardIterator=iterator)["Records"][-1]
    checkpoints = json.loads((tmp_path / CHECKPOINT_FILE).read_text())[p.mapping_uuid]
    assert checkpoints == {shard["ShardId"]: sequence_of(d)}


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
    seen: set[str] = set()

    def fail_each_batch_once(records: list[dict[str, Any]]) -> InvokeResult:
        key = ",".join(map(pk, records))
        if key in seen:
            return InvokeResult()
        seen.add(key)
        return FAIL

    invoker = FakeInvoker(fail_each_batch_once)

    assert run_poller(invoker).drain(DRAIN)

    delivered = [k for batch in invoker.batches[1::2] for k in batch]
    assert invoker.batches[0::2] == invoker.batches[1::2]  # each batch retried as it was
    assert delivered == keys


def test_restarted_poller_resumes_from_its_checkpoint(
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
) -> None:
    p = pipe(StartingPosition="LATEST")
    first = FakeInvoker()
    poller = run_poller(first)
    assert poller.drain(DRAIN)
    write(p.table, "a", "b")
    assert poller.drain(DRAIN)
    poller.stop()

    # Written while no poller runs: a LATEST mapping already seen must not skip them.
    write(p.table, "c", "d")
    second = FakeInvoker()

    assert run_poller(second).drain(DRAIN)

    assert [k for batch in first.batches for k in batch] == ["a", "b"]
    assert second.batches == [["c", "d"]]


def test_batch_in_flight_at_stop_is_delivered_again_after_restart(
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
) -> None:
    p = pipe(BatchSize=2)
    write(p.table, "a", "b", "c", "d")
    first = FakeInvoker(lambda records: FAIL if pk(records[0]) == "c" else InvokeResult())
    poller = run_poller(first, retry_delay=0.05)
    wait_for(lambda: len(first.calls) >= 3)  # "a,b" delivered, "c,d" failing
    poller.stop()
    second = FakeInvoker()

    assert run_poller(second).drain(DRAIN)

    assert first.batches[0] == ["a", "b"]
    assert set(map(tuple, first.batches[1:])) == {("c", "d")}
    assert second.batches == [["c", "d"]]


def test_stop_ends_every_thread(
    pipe: Callable[..., Pipe], write: Callable[..., None], run_poller: Callable[..., StreamPoller]
) -> None:
    p = pipe()
    write(p.table, "a")
    invoker = FakeInvoker(lambda records: FAIL)
    before = set(threading.enumerate())
    poller = run_poller(invoker, retry_delay=60)
    wait_for(lambda: len(invoker.calls) >= 1)  # the shard's thread now waits a minute to retry
    started = [t for t in set(threading.enumerate()) - before if t.name.startswith("poller-")]
    assert len(started) == 2  # the mappings reader and the shard's worker

    poller.stop()

    assert [t.name for t in started if t.is_alive()] == []
    with pytest.raises(RuntimeError, match="create a new one"):
        poller.start()
