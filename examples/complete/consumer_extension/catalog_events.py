"""Per-record function of the complete example: the consumer calls it for each stream record (RECORD_HANDLER)."""

from typing import Any

from aws_lambda_powertools import Logger

logger = Logger(child=True)


def handle(record: Any) -> None:
    """Log the product whose change arrived; a raised exception marks just this record as failed."""
    keys = record.dynamodb.keys if record.dynamodb else {}
    logger.info("catalog change", extra={"event_name": str(record.event_name), "keys": keys})
