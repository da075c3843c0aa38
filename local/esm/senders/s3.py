"""On-failure destination: an S3 bucket, sent the failure record with the discarded batch itself.

Lambda writes one object per discarded batch, under the key layout AWS documents for stream event source
mappings' S3 destinations:

    aws/lambda/<mapping UUID>/<shard id>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<random UUID>

(the time is when the batch was discarded, UTC). The object is the failure record that SQS and SNS get, plus
`payload`: the invocation event the function was given, `{"Records": [...]}`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from local.esm.senders.base import DestinationArn, DiscardedBatch, failure_record

KEY_PREFIX = "aws/lambda"


def object_key(batch: DiscardedBatch, random_id: str) -> str:
    """Where Lambda writes the invocation record of `batch` in the destination bucket."""
    moment = datetime.fromtimestamp(batch.discarded_at, UTC)
    day = moment.strftime("%Y/%m/%d")
    return f"{KEY_PREFIX}/{batch.mapping_uuid}/{batch.shard_id}/{day}/{moment:%Y-%m-%dT%H.%M.%S}-{random_id}"


def invocation_record(batch: DiscardedBatch) -> dict[str, Any]:
    """The document Lambda writes to an S3 on-failure destination: the failure record and `payload`."""
    record = failure_record(batch)
    # AWS documents `payload` as the invocation event written as an escaped JSON string inside the document
    # ("payload": "<Whole Event>" in its S3 destination example), not as a nested object; the redrive reads
    # either form.
    record["payload"] = json.dumps({"Records": batch.records}, separators=(",", ":"))
    return record


def bucket_name(destination_arn: str) -> str:
    """The bucket an S3 destination ARN (`arn:PARTITION:s3:::NAME`) names."""
    arn = DestinationArn.parse(destination_arn)
    if arn.service != "s3" or arn.account or not arn.resource or "/" in arn.resource:
        raise ValueError(
            f"an S3 on-failure destination is a bucket ARN, arn:aws:s3:::NAME, not {destination_arn!r}"
        )
    return arn.resource


class S3Sender:
    def __init__(self, s3: Any, random_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> None:
        self._s3 = s3
        self._random_id = random_id

    def send(self, destination_arn: str, batch: DiscardedBatch) -> None:
        self._s3.put_object(
            Bucket=bucket_name(destination_arn),
            Key=object_key(batch, self._random_id()),
            Body=json.dumps(invocation_record(batch)).encode(),
            ContentType="application/json",
        )
