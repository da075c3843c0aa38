"""The consumer's RECORD_HANDLER in the end-to-end suite: packaged into the consumer through
`consumer_extra_source_dir`, it fails on items whose name contains POISON and hands every other record to the
consumer's default per-record function, so the suite can watch a failing record being retried and sent to the
dead-letter queue while the rest of its batch is logged once.

The fault tests add two markers that act on the first delivery of each record only: SLEEP-ONCE outlasts the
function's timeout, EXIT-ONCE ends the runtime process with os._exit. "First" is remembered by a file per
eventID under the temporary directory, which the local runner's execution environments share; on AWS a new
execution environment starts with an empty /tmp, so there the fault repeats until the record goes to the
dead-letter queue."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from consumer.records import log_change

MARKER = "POISON"
SLEEP_ONCE = "SLEEP-ONCE"
EXIT_ONCE = "EXIT-ONCE"


def fault_directory() -> Path:
    """Where first deliveries are remembered, per function (and so per stack)."""
    return Path(tempfile.gettempdir()) / f"{os.environ.get('AWS_LAMBDA_FUNCTION_NAME', 'consumer')}-faults"


def _first_delivery(record: Any) -> bool:
    directory = fault_directory()
    directory.mkdir(exist_ok=True)
    try:
        (directory / record.raw_event["eventID"]).touch(exist_ok=False)
    except FileExistsError:
        return False
    return True


def _announce(fault: str, record: Any, name: str) -> None:
    # Written and flushed before the fault, so the suite can tell that it happened.
    line = {"message": "fault injected", "fault": fault, "name": name}
    print(json.dumps({**line, "sequenceNumber": record.raw_event["dynamodb"]["SequenceNumber"]}), flush=True)


def record_handler(record: Any, lambda_context: Any = None) -> None:
    # Powertools passes lambda_context to a record handler that names it.
    image = record.raw_event["dynamodb"].get("NewImage") or {}
    name = image.get("name", {}).get("S", "")
    if SLEEP_ONCE in name and _first_delivery(record):
        _announce("sleep", record, name)
        time.sleep(lambda_context.get_remaining_time_in_millis() / 1000 + 1)
    if EXIT_ONCE in name and _first_delivery(record):
        _announce("exit", record, name)
        os._exit(1)
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
