"""CloudWatch metrics the local stack publishes as AWS's services would: Lambda's function metrics (from the
runner), the event source mapping's metrics (from the stream poller) and API Gateway's (from the API front),
under AWS's namespaces, names, units and dimensions, so that the module's alarms can be checked locally.

`CloudWatchMetrics.put` only queues a data point; a thread of its own sends them with PutMetricData, many
per call, so publishing never slows an invocation or a request down (as AWS publishes them after the fact).
`NO_METRICS` is the publisher for callers that publish nothing.

What the local stack cannot produce (no such condition exists here): DynamoDB's metrics (ThrottledRequests,
SystemErrors, ConsumedRead/WriteCapacityUnits, ...: moto neither throttles nor publishes them), Lambda's
ConcurrentExecutions and the asynchronous-invocation metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from local.background import BackgroundSender
from local.lambda_runtime.functions import split_qualifier

log = logging.getLogger(__name__)

LAMBDA_NAMESPACE = "AWS/Lambda"
API_GATEWAY_NAMESPACE = "AWS/ApiGateway"
COUNT = "Count"
MILLISECONDS = "Milliseconds"
# PutMetricData takes at most 1000 data points per call.
MAX_PER_CALL = 1000


@dataclass(frozen=True)
class Datum:
    namespace: str
    name: str
    value: float
    unit: str
    dimensions: tuple[tuple[str, str], ...]
    timestamp: datetime

    def as_api(self) -> dict[str, Any]:
        return {
            "MetricName": self.name,
            "Dimensions": [{"Name": name, "Value": value} for name, value in self.dimensions],
            "Timestamp": self.timestamp,
            "Value": self.value,
            "Unit": self.unit,
        }


class Metrics(Protocol):
    def put(self, namespace: str, name: str, value: float, unit: str, dimensions: Mapping[str, str]) -> None:
        """Records one data point now; never raises and never waits for CloudWatch."""
        ...


class _NoMetrics:
    def put(self, namespace: str, name: str, value: float, unit: str, dimensions: Mapping[str, str]) -> None:
        return None


NO_METRICS: Metrics = _NoMetrics()


class CloudWatchMetrics:
    """Sends data points to CloudWatch (`cloudwatch`: a boto3 client) from a thread of its own."""

    def __init__(self, cloudwatch: Any) -> None:
        self._cloudwatch = cloudwatch
        self._sender: BackgroundSender[str, Datum] = BackgroundSender("metrics", self._send, MAX_PER_CALL)

    def put(self, namespace: str, name: str, value: float, unit: str, dimensions: Mapping[str, str]) -> None:
        dims = tuple(dimensions.items())
        self._sender.put(namespace, Datum(namespace, name, float(value), unit, dims, datetime.now(UTC)))

    def flush(self) -> None:
        """Returns once every data point put so far has been sent (or failed to send)."""
        self._sender.flush()

    def close(self) -> None:
        self._sender.close()

    def _send(self, namespace: str, data: list[Datum]) -> None:
        self._cloudwatch.put_metric_data(Namespace=namespace, MetricData=[datum.as_api() for datum in data])


def function_dimensions(function: str) -> list[dict[str, str]]:
    """The dimension sets Lambda publishes a function's metrics under, for an invocation of `function` (name
    or ARN, maybe qualified): by FunctionName always, and by FunctionName and Resource (`name:qualifier`) for
    an invocation of a version or alias."""
    unqualified, qualifier = split_qualifier(function)
    name = unqualified.split(":")[-1]
    sets = [{"FunctionName": name}]
    if qualifier is not None and qualifier != "$LATEST":
        sets.append({"FunctionName": name, "Resource": f"{name}:{qualifier}"})
    return sets


def put_function_metric(metrics: Metrics, function: str, name: str, value: float, unit: str = COUNT) -> None:
    """One data point of a Lambda function metric, under each of the function's dimension sets."""
    for dimensions in function_dimensions(function):
        metrics.put(LAMBDA_NAMESPACE, name, value, unit, dimensions)
