"""Lambda entry point of the writer: ``writer.handler.lambda_handler``.

Environment: ``TABLE_NAME`` (products table), ``IDEMPOTENCY_TABLE_NAME`` (optional, see
``writer.idempotency``), ``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``,
``POWERTOOLS_LOG_LEVEL``.
Everything here runs once per execution environment; the handler only dispatches.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from shared import exact_json

from writer import api

# Without a namespace Powertools fails each write after DynamoDB has taken it; fail at start-up instead.
if not os.environ.get("POWERTOOLS_METRICS_NAMESPACE"):
    raise RuntimeError("POWERTOOLS_METRICS_NAMESPACE is not set: the writer's metrics need a namespace")

logger = Logger()
# Only botocore: it traces every DynamoDB call once. Patching everything would also wrap pynamodb's HTTP
# session (a second subsegment per call) and import modules the writer never uses.
tracer = Tracer(patch_modules=["botocore"])
metrics = Metrics()
app = APIGatewayHttpResolver(serializer=exact_json.dumps)
app.include_router(api.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
