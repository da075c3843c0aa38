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

import contextlib
import logging
import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

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
        self._queue: queue.Queue[Datum | None] = queue.Queue()
        self._thread = threading.Thread(target=self._send_loop, name="metrics", daemon=True)
        self._thread.start()

    def put(self, namespace: str, name: str, value: float, unit: str, dimensions: Mapping[str, str]) -> None:
        dims = tuple(dimensions.items())
        self._queue.put(Datum(namespace, name, float(value), unit, dims, datetime.now(UTC)))

    def flush(self) -> None:
        """Returns once every data point put so far has been sent (or failed to send)."""
        self._queue.join()

    def close(self) -> None:
        self.flush()
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _send_loop(self) -> None:
        while True:
            items = [self._queue.get()]
            with contextlib.suppress(queue.Empty):
                while len(items) < MAX_PER_CALL:
                    items.append(self._queue.get_nowait())
            by_namespace: dict[str, list[Datum]] = {}
            for item in items:
                if item is not None:
                    by_namespace.setdefault(item.namespace, []).append(item)
            for namespace, data in by_namespace.items():
                try:
                    self._cloudwatch.put_metric_data(
                        Namespace=namespace, MetricData=[datum.as_api() for datum in data]
                    )
                except Exception:
                    log.exception("publishing %d metric data points to %s failed", len(data), namespace)
            for _ in items:
                self._queue.task_done()
            if None in items:
                return


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
