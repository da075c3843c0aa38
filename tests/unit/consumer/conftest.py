"""Consumer tests: environment as Terraform sets it, log lines captured as parsed JSON."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest

from tests.fixtures import logs

# What Terraform sets for the consumer. Read at import by Powertools, and again when a test reloads the
# handler; set only while this directory's code runs, so other tests see their own environment.
ENVIRONMENT = {
    "POWERTOOLS_SERVICE_NAME": "products-consumer",
    "POWERTOOLS_METRICS_NAMESPACE": "ProductsTest",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
with mock.patch.dict(os.environ, ENVIRONMENT):
    os.environ.pop("RECORD_HANDLER", None)
    from consumer import handler


@pytest.fixture(autouse=True)
def _consumer_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("RECORD_HANDLER", raising=False)


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
