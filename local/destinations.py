"""On-failure destinations of a DynamoDB stream event source mapping: the record Lambda sends, and sending it.

Lambda sends metadata about the discarded records, not the records: the shard, the sequence range and the
batch size, from which the records can be read again while the stream retains them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from local.invoke import InvokeResult

log = logging.getLogger(__name__)

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

    function_arn: str
    stream_arn: str
    shard_id: str
    records: list[dict[str, Any]]  # as delivered to the function, oldest first
    condition: str
    invoke_count: int  # invocations whose event held these records
    last_result: InvokeResult | None  # the last of those invocations, if any


def failure_record(batch: DiscardedBatch, now: float) -> dict[str, Any]:
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
            "timestamp": iso_millis(now),
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


class Destinations:
    """Sends failure records to SQS queues and SNS topics in the emulator, by ARN."""

    def __init__(self, sqs: Any, sns: Any) -> None:
        self._sqs = sqs
        self._sns = sns

    def send(self, destination_arn: str, document: dict[str, Any]) -> None:
        body = json.dumps(document)
        parts = destination_arn.split(":")  # arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
        if len(parts) < 6:
            raise ValueError(f"not an ARN: {destination_arn!r}")
        service, account, name = parts[2], parts[4], parts[5]
        if service == "sqs":
            url = self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            self._sqs.send_message(QueueUrl=url, MessageBody=body)
        elif service == "sns":
            self._sns.publish(TopicArn=destination_arn, Message=body)
        else:
            raise ValueError(f"on-failure destinations of stream mappings are SQS or SNS, not {service}")
