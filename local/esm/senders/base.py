"""What every on-failure destination sender shares: the discarded batch, the record Lambda sends about it,
and the `Sender` protocol.

To SQS and SNS, Lambda sends metadata about the discarded records, not the records: the shard, the sequence
range and the batch size, from which the records can be read again while the stream retains them. A sender
gets the whole `DiscardedBatch`, so a destination that carries more (S3 keeps the invocation's payload too,
see `s3`) builds its own document from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from local.lambda_runtime.invoke import InvokeResult

RETRY_ATTEMPTS_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"


def iso_seconds(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_millis(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class DiscardedBatch:
    """Records of one shard that the mapping gave up on, and why."""

    mapping_uuid: str
    function_arn: str
    stream_arn: str
    shard_id: str
    records: list[dict[str, Any]]  # as delivered to the function, oldest first
    condition: str
    invoke_count: int  # invocations whose event held these records
    last_result: InvokeResult | None  # the last of those invocations, if any
    discarded_at: float  # epoch seconds


class Sender(Protocol):
    def send(self, destination_arn: str, batch: DiscardedBatch) -> None:
        """Delivers the failure record of `batch` to the destination; raises botocore's errors when the
        destination service refuses or cannot be reached (retried), ValueError when `destination_arn` is not
        one this sender can deliver to (not retried)."""
        ...


@dataclass(frozen=True)
class DestinationArn:
    """The parts of an on-failure destination's ARN that senders need."""

    arn: str
    service: str
    account: str
    resource: str

    @classmethod
    def parse(cls, arn: str) -> DestinationArn:
        parts = arn.split(":", 5)  # arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
        if len(parts) < 6 or parts[0] != "arn":
            raise ValueError(f"not an ARN: {arn!r}")
        return cls(arn=arn, service=parts[2], account=parts[4], resource=parts[5])


def failure_record(batch: DiscardedBatch) -> dict[str, Any]:
    """The JSON document Lambda sends to an SQS or SNS on-failure destination for a DynamoDB stream."""
    first, last = batch.records[0]["dynamodb"], batch.records[-1]["dynamodb"]
    request: dict[str, Any] = {
        "functionArn": batch.function_arn,
        "condition": batch.condition,
        "approximateInvokeCount": batch.invoke_count,
    }
    record: dict[str, Any] = {"requestContext": request}
    if batch.last_result is not None:
        # Records that grew too old before any invocation have no request or response to report.
        request["requestId"] = batch.last_result.request_id
        # Lambda answers a function error with HTTP 200 and the X-Amz-Function-Error header.
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": batch.last_result.executed_version}
        if batch.last_result.function_error is not None:
            response["functionError"] = batch.last_result.function_error
        record["responseContext"] = response
    record.update(
        {
            "version": "1.0",
            "timestamp": iso_millis(batch.discarded_at),
            "DDBStreamBatchInfo": {
                "shardId": batch.shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": iso_seconds(first["ApproximateCreationDateTime"]),
                "approximateArrivalOfLastRecord": iso_seconds(last["ApproximateCreationDateTime"]),
                "batchSize": len(batch.records),
                "streamArn": batch.stream_arn,
            },
        }
    )
    return record
