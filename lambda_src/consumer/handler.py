"""Lambda entry point of the consumer: ``consumer.handler.lambda_handler``.

Triggered by the table's stream through an event source mapping with ``ReportBatchItemFailures``. Each
record goes to the per-record function (``consumer.records.log_change`` unless ``RECORD_HANDLER`` names
another); a record whose function raises is reported in ``batchItemFailures`` by its sequence number and
logged at ERROR (``consumer.failures``), and the others count as done. When every record of a batch fails,
each is logged so and then the invocation fails, and Lambda retries the whole batch.

Environment: ``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_LOG_LEVEL``, optional ``RECORD_HANDLER`` or
``LOG_MODE`` (``full``, the default, or ``changes``: see ``consumer.records``).
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext
from shared import fast_json, snapstart

from consumer import records
from consumer.failures import FailureLoggingProcessor

# Numbers in images are Decimals; this serializer writes them digit for digit instead of as strings or floats.
logger = Logger(json_serializer=fast_json.dumps)
# The default per-record work calls no AWS API, so there is nothing to patch; patching botocore and pynamodb
# would add about 0.1 s to every cold start. A RECORD_HANDLER that calls AWS can patch what it uses with
# Tracer().patch(["botocore"]).
tracer = Tracer(auto_patch=False)
processor = FailureLoggingProcessor(failure_logger=logger)
record_handler = records.load_record_handler(os.environ.get("RECORD_HANDLER"), os.environ.get("LOG_MODE"))
# Under SnapStart, environments resumed from one snapshot must not share the random state init left behind (a
# RECORD_HANDLER that opens connections during init can register its own hook the same way).
snapstart.register_after_restore(snapstart.reseed_random)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
