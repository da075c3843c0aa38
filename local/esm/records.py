"""DynamoDB stream records as Lambda delivers them to a function, and the size of the event they make."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

# Lambda's synchronous invocation payload limit: a batch ends before its event would exceed it.
MAX_EVENT_BYTES = 6 * 1024 * 1024
EMPTY_EVENT_BYTES = len('{"Records": []}')


def _jsonable(value: Any) -> Any:
    # boto3 decodes binary attribute values to bytes; Lambda's event carries them base64-encoded.
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def lambda_record(raw: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A record from GetRecords, shaped as Lambda delivers it to the function."""
    dynamodb = _jsonable(raw["dynamodb"])
    created = raw["dynamodb"].get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        # Epoch seconds rounded down, as in Lambda's event (GetRecords gives a timestamp).
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    record: dict[str, Any] = {
        "eventID": raw["eventID"],
        "eventName": raw["eventName"],
        "eventVersion": raw["eventVersion"],
        "eventSource": "aws:dynamodb",
        "awsRegion": raw.get("awsRegion") or stream_arn.split(":")[3],
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in raw:  # deletions by TTL
        record["userIdentity"] = raw["userIdentity"]
    return record


def sequence_number(record: dict[str, Any]) -> str:
    """The record's sequence number (a raw GetRecords record or a Lambda record)."""
    return str(record["dynamodb"]["SequenceNumber"])


def size_in_event(record: dict[str, Any]) -> int:
    """How many bytes `record` adds to the JSON event {"Records": [...]} (with its separator)."""
    return len(json.dumps(record)) + 2
