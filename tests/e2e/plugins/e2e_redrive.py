"""Per-record functions for the redrive loop of the end-to-end suite (tests/e2e/test_redrive.py), packaged
into the consumer through `consumer_extra_source_dir`:

- `record_handler` fails every record whose item name contains REDRIVE-FAIL (a bug that reaches production),
  and hands the others to the consumer's default per-record function;
- `fixed_record_handler` is the release that fixes it: every record goes to the default function.
"""

from __future__ import annotations

from typing import Any

from consumer.records import log_change

MARKER = "REDRIVE-FAIL"


def record_handler(record: Any) -> None:
    name = (record.raw_event["dynamodb"].get("NewImage") or {}).get("name", {}).get("S", "")
    if MARKER in name:
        raise ValueError(f"cannot handle {name!r} yet")
    log_change(record)


def fixed_record_handler(record: Any) -> None:
    log_change(record)
