"""The metrics publisher: data points reach the emulator's CloudWatch with their namespace, unit and exact
dimensions, sent from a thread of its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from local.metrics import CloudWatchMetrics, function_dimensions
from tests.unit.local.conftest import unique


def test_data_points_reach_cloudwatch(aws: Callable[[str], Any]) -> None:
    name = unique("fn")
    metrics = CloudWatchMetrics(aws("cloudwatch"))
    for value in (3.0, 5.0):
        metrics.put("AWS/Lambda", "Duration", value, "Milliseconds", {"FunctionName": name})
    metrics.close()

    now = datetime.now(UTC)
    stats = aws("cloudwatch").get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="Duration",
        Dimensions=[{"Name": "FunctionName", "Value": name}],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
        Period=300,
        Statistics=["Maximum", "SampleCount"],
        Unit="Milliseconds",
    )["Datapoints"]
    assert [(p["Maximum"], p["SampleCount"]) for p in stats] == [(5.0, 2.0)]
    [listed] = aws("cloudwatch").list_metrics(
        Namespace="AWS/Lambda", Dimensions=[{"Name": "FunctionName", "Value": name}]
    )["Metrics"]
    assert listed["Dimensions"] == [{"Name": "FunctionName", "Value": name}]


def test_a_failing_call_does_not_stop_the_thread() -> None:
    class Flaky:
        def __init__(self) -> None:
            self.calls = 0

        def put_metric_data(self, **kwargs: Any) -> None:
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError("CloudWatch is down")

    cloudwatch = Flaky()
    metrics = CloudWatchMetrics(cloudwatch)
    metrics.put("AWS/Lambda", "Errors", 1, "Count", {"FunctionName": "a"})
    metrics.flush()
    metrics.put("AWS/Lambda", "Errors", 1, "Count", {"FunctionName": "a"})
    metrics.close()
    assert cloudwatch.calls == 2


def test_function_dimensions() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
    assert function_dimensions(arn) == [{"FunctionName": "fn"}]
    assert function_dimensions("fn") == [{"FunctionName": "fn"}]
    assert function_dimensions(f"{arn}:$LATEST") == [{"FunctionName": "fn"}]
    assert function_dimensions(f"{arn}:live") == [
        {"FunctionName": "fn"},
        {"FunctionName": "fn", "Resource": "fn:live"},
    ]
