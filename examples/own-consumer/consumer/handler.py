"""The stack's own stream consumer: one JSON log line per change, no third-party package."""

from __future__ import annotations

import json
from typing import Any


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, list[dict[str, str]]]:
    for record in event.get("Records", []):
        change = record.get("dynamodb", {})
        print(
            json.dumps(
                {
                    "event_id": record.get("eventID"),
                    "event_name": record.get("eventName"),
                    "keys": change.get("Keys"),
                    "sequence_number": change.get("SequenceNumber"),
                }
            )
        )
    # The mapping reports batch item failures (ReportBatchItemFailures): an empty list acknowledges the batch.
    return {"batchItemFailures": []}
