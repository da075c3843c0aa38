"""Lambda entry point of the writer: ``writer.handler.lambda_handler``.

Environment, read here once per execution environment and nowhere else in the writer: ``TABLE_NAME``
(products table, required), ``IDEMPOTENCY_TABLE_NAME`` (optional, see ``writer.idempotency``) and
``POWERTOOLS_METRICS_NAMESPACE`` (required); Powertools itself reads ``POWERTOOLS_SERVICE_NAME`` and
``POWERTOOLS_LOG_LEVEL``.

Importing this module never fails. When a required variable is missing or empty, every invocation logs one
ERROR line naming the missing variables and raises ``WriterNotConfigured`` before it touches any table, so
the function fails at its first request with a message that says why. A default namespace was rejected:
metrics in an unexpected namespace are lost, silently, to the alarms and dashboards that look for them.

``build_handler(api)`` wraps any API from ``writer.api.build_api`` in the function's logging, tracing and
metrics; the module's ``lambda_handler`` is that, on the DynamoDB store.

Every line the function writes is JSON: log lines from the Powertools Logger, metrics as EMF. Powertools warns
through Python's warnings module (plain text on stderr) after each invocation that recorded no metric (every
read, every rejected request); that warning, and only that one, is filtered here as Powertools documents for
functions that do not publish metrics on every invocation.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from shared import snapstart

from writer import api
from writer.idempotency import Idempotency
from writer.store import DynamoDBProductStore

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

TABLE_ENV = "TABLE_NAME"
IDEMPOTENCY_TABLE_ENV = "IDEMPOTENCY_TABLE_NAME"
METRICS_NAMESPACE_ENV = "POWERTOOLS_METRICS_NAMESPACE"

EMPTY_METRICS_WARNING = "No application metrics to publish"

# The filter Powertools documents for functions that do not publish metrics on every invocation; other
# warnings, and this one from anything but Powertools, still show.
warnings.filterwarnings(
    "ignore", message=EMPTY_METRICS_WARNING, category=UserWarning, module=r"aws_lambda_powertools\."
)


class WriterNotConfigured(RuntimeError):
    """A required environment variable is missing or empty."""


def _setting(name: str) -> str:
    return os.environ.get(name, "").strip()


_table_name = _setting(TABLE_ENV)
_idempotency_table_name = _setting(IDEMPOTENCY_TABLE_ENV)
_metrics_namespace = _setting(METRICS_NAMESPACE_ENV)
_missing = [
    name
    for name, value in ((TABLE_ENV, _table_name), (METRICS_NAMESPACE_ENV, _metrics_namespace))
    if not value
]

logger = Logger()
# Only botocore: it traces every DynamoDB call once. Patching everything would also wrap pynamodb's HTTP
# session (a second subsegment per call) and import modules the writer never uses.
tracer = Tracer(patch_modules=["botocore"])
metrics = Metrics(namespace=_metrics_namespace or None)


def build_handler(app: api.Api) -> LambdaHandler:
    """A Lambda handler serving ``app``, with the Logger's context, a trace and the metrics flushed."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app(event, context)

    return lambda_handler


def unconfigured_handler(missing: list[str]) -> LambdaHandler:
    """A Lambda handler that fails every invocation, saying which variables are missing."""
    message = (
        f"{', '.join(missing)} not set: the writer needs the products table's name and a metrics namespace"
    )

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        logger.error("writer is not configured", extra={"missing_environment": missing})
        raise WriterNotConfigured(message)

    return lambda_handler


# Under SnapStart, environments resumed from one snapshot must not share the random state init left behind.
snapstart.register_after_restore(snapstart.reseed_random)

if _missing:
    lambda_handler = unconfigured_handler(_missing)
else:
    lambda_handler = build_handler(
        api.build_api(
            DynamoDBProductStore(_table_name),
            idempotency=Idempotency(_idempotency_table_name) if _idempotency_table_name else None,
        )
    )
