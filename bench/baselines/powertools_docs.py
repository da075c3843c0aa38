"""Baseline (a): the stream consumer a user would write from Powertools' batch-processing documentation.

BatchProcessor for DynamoDB streams, `process_partial_response`, and a record handler that logs what the
project's consumer logs (event name and ID, keys, sequence number, creation time, both images) with Logger,
through Powertools' own data classes and deserializer. Nothing here is tuned: it is the documented path.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

SERVICE = "bench-powertools-docs"

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
logger = Logger(service=SERVICE)


def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    if change is None:
        return
    logger.info(
        "stream record",
        extra={
            "eventName": record.event_name.name if record.event_name else None,
            "eventID": record.event_id,
            "keys": change.keys,
            "sequenceNumber": change.sequence_number,
            "approximateCreationDateTime": change.approximate_creation_date_time,
            "newImage": change.new_image,
            "oldImage": change.old_image,
        },
    )


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
