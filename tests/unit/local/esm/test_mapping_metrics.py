"""The mapping's metrics: event counts by EventSourceMappingUUID only when MetricsConfig asks for EventCount,
IteratorAge and DestinationDeliveryFailures by FunctionName always."""

from __future__ import annotations

import json
from collections.abc import Callable

from local.esm.poller import StreamPoller
from local.lambda_runtime.invoke import InvokeResult
from tests.unit.local.esm.conftest import DRAIN, FAIL, FakeInvoker, Pipe, pk
from tests.unit.local.test_invoke_api import RecordingMetrics


def totals(metrics: RecordingMetrics, dimensions: dict[str, str]) -> dict[str, float]:
    summed: dict[str, float] = {}
    for namespace, name, value, unit, dims in metrics.points:
        assert namespace == "AWS/Lambda"
        if dims == dimensions:
            assert unit == ("Milliseconds" if name == "IteratorAge" else "Count"), name
            summed[name] = summed.get(name, 0) + value
    return summed


def test_event_counts_follow_each_record(
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
    queue: Callable[[], tuple[str, str]],
) -> None:
    _, arn = queue()
    keep_pattern = json.dumps({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "k"}]}}}})
    p = pipe(
        MaximumRetryAttempts=1,
        BatchSize=10,
        FilterCriteria={"Filters": [{"Pattern": keep_pattern}]},
        DestinationConfig={"OnFailure": {"Destination": arn}},
        MetricsConfig={"Metrics": ["EventCount"]},
    )
    write(p.table, "k-ok", "k-poison", "dropped-by-filter")
    metrics = RecordingMetrics()
    invoker = FakeInvoker(
        lambda records: FAIL if any(pk(r) == "k-poison" for r in records) else InvokeResult()
    )

    assert run_poller(invoker, metrics=metrics).drain(DRAIN)

    # one batch of two records, failed twice (first attempt, one retry), then sent to the destination
    assert invoker.batches == [["k-ok", "k-poison"]] * 2
    assert totals(metrics, {"EventSourceMappingUUID": p.mapping_uuid}) == {
        "PolledEventCount": 3,
        "FilteredOutEventCount": 1,
        "InvokedEventCount": 4,
        "FailedInvokeEventCount": 4,
        "DroppedEventCount": 2,
        "OnFailureDestinationDeliveredEventCount": 2,
    }
    function = {"FunctionName": p.function_arn.split(":")[-1]}
    ages = [(value, unit) for _, name, value, unit, dims in metrics.points if name == "IteratorAge"]
    assert len(ages) == 2
    assert all(unit == "Milliseconds" and value >= 0 for value, unit in ages)
    assert "DestinationDeliveryFailures" not in totals(metrics, function)


def test_no_event_counts_without_metrics_config(
    pipe: Callable[..., Pipe], write: Callable[..., None], run_poller: Callable[..., StreamPoller]
) -> None:
    p = pipe()
    write(p.table, "a")
    metrics = RecordingMetrics()

    assert run_poller(FakeInvoker(), metrics=metrics).drain(DRAIN)

    assert {name for _, name, *_ in metrics.points} == {"IteratorAge"}
    assert totals(metrics, {"FunctionName": p.function_arn.split(":")[-1]})["IteratorAge"] >= 0


def test_a_destination_that_refuses_counts_delivery_failures(
    pipe: Callable[..., Pipe], write: Callable[..., None], run_poller: Callable[..., StreamPoller]
) -> None:
    # A queue that does not exist: every attempt to send fails.
    missing = "arn:aws:sqs:us-east-1:123456789012:no-such-queue"
    p = pipe(
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": missing}},
        MetricsConfig={"Metrics": ["EventCount"]},
    )
    write(p.table, "a")
    metrics = RecordingMetrics()

    assert run_poller(FakeInvoker(lambda records: FAIL), metrics=metrics).drain(DRAIN)

    function = {"FunctionName": p.function_arn.split(":")[-1]}
    assert totals(metrics, function)["DestinationDeliveryFailures"] == 3
    counts = totals(metrics, {"EventSourceMappingUUID": p.mapping_uuid})
    assert counts["DroppedEventCount"] == 1
    assert "OnFailureDestinationDeliveredEventCount" not in counts
