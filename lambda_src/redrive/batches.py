"""What the on-failure destination holds: one discarded batch per document, read into `FailedBatch`.

Lambda's invocation record for a DynamoDB stream (the SQS message body, the SNS message, the S3 object) has
``requestContext``, ``responseContext``, ``version``, ``timestamp`` and ``DDBStreamBatchInfo``; the S3 object
also has ``payload``, the batch as the function received it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

BATCH_INFO = "DDBStreamBatchInfo"


class InvalidDocument(ValueError):
    """A document in the destination that is not an invocation record of a DynamoDB stream batch."""


@dataclass(frozen=True)
class BatchInfo:
    """Where the discarded records are: a range of one shard of a stream."""

    stream_arn: str
    shard_id: str
    start_sequence_number: str
    end_sequence_number: str
    batch_size: int

    @property
    def order(self) -> tuple[str, str, int]:
        """Stream order: batches of one shard sort oldest first."""
        return (self.stream_arn, self.shard_id, int(self.start_sequence_number))


@dataclass(frozen=True)
class FailedBatch:
    info: BatchInfo
    # The records as Lambda delivered them (from an S3 object's payload); None: read them from the stream.
    records: list[dict[str, Any]] | None


def from_document(document: Any) -> FailedBatch:
    """The batch an invocation record describes; `InvalidDocument` says what is wrong with it."""
    if not isinstance(document, dict):
        raise InvalidDocument("not a JSON object")
    info = _batch_info(document.get(BATCH_INFO))
    records = _payload_records(document["payload"]) if "payload" in document else None
    return FailedBatch(info=info, records=records)


def _batch_info(raw: Any) -> BatchInfo:
    if not isinstance(raw, dict):
        raise InvalidDocument(f"no {BATCH_INFO} object")
    fields = {}
    for name in ("streamArn", "shardId", "startSequenceNumber", "endSequenceNumber"):
        value = raw.get(name)
        if not isinstance(value, str) or not value:
            raise InvalidDocument(f"{BATCH_INFO}.{name} must be a non-empty string")
        fields[name] = value
    for name in ("startSequenceNumber", "endSequenceNumber"):
        if not fields[name].isdigit():
            raise InvalidDocument(f"{BATCH_INFO}.{name} must be a sequence number (digits)")
    size = raw.get("batchSize")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InvalidDocument(f"{BATCH_INFO}.batchSize must be a positive integer")
    if int(fields["startSequenceNumber"]) > int(fields["endSequenceNumber"]):
        raise InvalidDocument(f"{BATCH_INFO}.startSequenceNumber is after endSequenceNumber")
    return BatchInfo(
        stream_arn=fields["streamArn"],
        shard_id=fields["shardId"],
        start_sequence_number=fields["startSequenceNumber"],
        end_sequence_number=fields["endSequenceNumber"],
        batch_size=size,
    )


def _payload_records(payload: Any) -> list[dict[str, Any]]:
    # AWS documents `payload` of the S3 invocation record as the original invocation event, written as an
    # escaped JSON string (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html,
    # and services-dynamodb-errors.html for DynamoDB). Emulators such as LocalStack write it as a JSON object,
    # and the docs' example shows only a placeholder, so both are accepted.
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError as error:
            raise InvalidDocument(f"payload is a string but not JSON: {error}") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("Records"), list):
        raise InvalidDocument("payload must be the invocation event, an object with a Records list")
    records = payload["Records"]
    if not records or not all(isinstance(r, dict) and isinstance(r.get("dynamodb"), dict) for r in records):
        raise InvalidDocument("payload.Records must be a non-empty list of DynamoDB stream records")
    return records
