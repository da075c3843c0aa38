"""The consumer's RECORD_HANDLER in the end-to-end suite: packaged into the consumer through
`consumer_extra_source_dir`, it fails on items whose name contains POISON and hands every other record to the
consumer's default per-record function, so the suite can watch a failing record being retried and sent to the
dead-letter queue while the rest of its batch is logged once."""

from __future__ import annotations

import json
from typing import Any

from consumer.records import log_change

MARKER = "POISON"


def record_handler(record: Any) -> None:
    image = record.raw_event["dynamodb"].get("NewImage") or {}
    if MARKER in image.get("name", {}).get("S", ""):
        # One line per attempt, for the suite to count the retries.
        print(
            json.dumps(
                {
                    "message": "poison record attempt",
                    "sequenceNumber": record.raw_event["dynamodb"]["SequenceNumber"],
                    "name": image["name"]["S"],
                }
            ),
            flush=True,
        )
        raise ValueError(f"refusing {image['name']['S']!r}")
    log_change(record)
