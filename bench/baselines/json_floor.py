"""Baseline (b): the floor. Parse the event, write each record back out as one JSON line, nothing else.

No deserialization of DynamoDB JSON, no log-record machinery, no partial-failure bookkeeping: any consumer
that logs every record does at least this much work.
"""

from __future__ import annotations

import json
from typing import TextIO


def handle(event_json: str, sink: TextIO) -> None:
    event = json.loads(event_json)
    for record in event["Records"]:
        sink.write(json.dumps(record) + "\n")
