"""Consumer tests: environment as Terraform sets it, log lines captured as parsed JSON."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

# Read at import by Powertools, so set before any test module imports the consumer.
os.environ.update(
    {
        "POWERTOOLS_SERVICE_NAME": "products-consumer",
        "POWERTOOLS_METRICS_NAMESPACE": "ProductsTest",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
)
os.environ.pop("RECORD_HANDLER", None)

from consumer import handler

from tests.fixtures import logs


@pytest.fixture
def consumer_logs() -> Iterator[logs.CapturedLogs]:
    with logs.captured(handler.logger) as captured:
        yield captured


@pytest.fixture
def invoke(lambda_context: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Call the consumer's Lambda handler with a stream batch; return its partial batch response."""

    def call(event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = handler.lambda_handler(event, lambda_context)
        return result

    return call
