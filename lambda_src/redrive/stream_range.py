"""Reads a discarded batch again from the stream, as the event source mapping delivered it.

An SQS or SNS failure record points at a range of one shard (first and last sequence number, batch size);
DynamoDB Streams keeps records for 24 hours. `StreamRange.read` returns the range's records in the shape of
Lambda's DynamoDB event, or raises `RangeExpired` when the stream no longer holds all of them.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from redrive.batches import BatchInfo

GET_RECORDS_LIMIT = 1000  # DynamoDB Streams' maximum per call
# An open shard answers an empty page when a reader has caught up with it; a closed one ends with no
# NextShardIterator. Either way, a few empty pages in a row mean the range holds nothing more.
EMPTY_PAGES_TO_STOP = 3
# Errors that mean the records are gone: the stream was disabled or the table deleted (the stream or the
# shard is not found), or the records are past the 24-hour retention (trimmed).
GONE = frozenset({"ResourceNotFoundException", "TrimmedDataAccessException"})

# The order of the keys in Lambda's DynamoDB event record and in its "dynamodb" member.
_DYNAMODB_KEYS = (
    "ApproximateCreationDateTime",
    "Keys",
    "NewImage",
    "OldImage",
    "SequenceNumber",
    "SizeBytes",
    "StreamViewType",
)


class RangeExpired(Exception):
    """The stream no longer holds the whole range; the message says what was missing."""


class StreamRange:
    """Reads ranges of shards through the DynamoDB Streams API (GetShardIterator and GetRecords)."""

    def __init__(self, streams: Any) -> None:
        self._streams = streams

    def read(self, info: BatchInfo) -> list[dict[str, Any]]:
        """The records from the first to the last sequence number of `info`, as Lambda's event records."""
        start, end = int(info.start_sequence_number), int(info.end_sequence_number)
        try:
            iterator: str | None = self._streams.get_shard_iterator(
                StreamArn=info.stream_arn,
                ShardId=info.shard_id,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                SequenceNumber=info.start_sequence_number,
            )["ShardIterator"]
            raw = self._collect(iterator, start, end)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in GONE:
                raise RangeExpired(f"{code}: {error.response.get('Error', {}).get('Message', '')}") from error
            raise
        if len(raw) < info.batch_size:
            raise RangeExpired(f"the stream holds {len(raw)} of the batch's {info.batch_size} records")
        if int(raw[0]["dynamodb"]["SequenceNumber"]) != start:
            raise RangeExpired("the stream no longer holds the batch's first record")
        return [lambda_record(r, info.stream_arn) for r in raw]

    def _collect(self, iterator: str | None, start: int, end: int) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        empty_pages = 0
        while iterator is not None and empty_pages < EMPTY_PAGES_TO_STOP:
            page = self._streams.get_records(ShardIterator=iterator, Limit=GET_RECORDS_LIMIT)
            iterator = page.get("NextShardIterator")
            empty_pages = 0 if page.get("Records") else empty_pages + 1
            for record in page.get("Records", []):
                sequence = int(record["dynamodb"]["SequenceNumber"])
                if sequence > end:
                    return records
                if sequence >= start:
                    records.append(record)
                if sequence == end:
                    return records
        return records


def lambda_record(raw: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A record from GetRecords, shaped as the event source mapping delivers it to the function."""
    source = raw["dynamodb"]
    dynamodb: dict[str, Any] = {}
    for key in (*_DYNAMODB_KEYS, *(k for k in source if k not in _DYNAMODB_KEYS)):
        if key in source:
            dynamodb[key] = _jsonable(source[key])
    created = source.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        # GetRecords answers a timestamp; Lambda's event carries epoch seconds, rounded down.
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


def _jsonable(value: Any) -> Any:
    # boto3 decodes binary attribute values (B, BS) to bytes; Lambda's event carries them base64-encoded.
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value
