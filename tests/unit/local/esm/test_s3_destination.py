"""The S3 on-failure destination: one object per discarded batch, under Lambda's key layout, holding the
failure record and the batch as the function was given it."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from local.esm.poller import StreamPoller
from local.esm.senders import DiscardedBatch
from local.esm.senders.s3 import S3Sender, bucket_name, object_key
from local.lambda_runtime.invoke import InvokeResult
from tests.unit.local.conftest import unique
from tests.unit.local.esm.conftest import DRAIN, FAIL, FakeInvoker, Pipe, pk, sequence_of

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture
def bucket(aws: Callable[[str], Any]) -> str:
    name = unique("failures")
    aws("s3").create_bucket(Bucket=name)
    return name


def objects(aws: Callable[[str], Any], bucket: str) -> list[tuple[str, dict[str, Any]]]:
    """(key, document) of every object in `bucket`."""
    listed = aws("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
    return [
        (item["Key"], json.loads(aws("s3").get_object(Bucket=bucket, Key=item["Key"])["Body"].read()))
        for item in listed
    ]


def test_retries_exhausted_writes_the_whole_batch(
    aws: Callable[[str], Any],
    bucket: str,
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
) -> None:
    p = pipe(
        MaximumRetryAttempts=1,
        BatchSize=2,
        DestinationConfig={"OnFailure": {"Destination": f"arn:aws:s3:::{bucket}"}},
    )
    write(p.table, "a", "b")
    invoker = FakeInvoker(lambda records: FAIL)

    assert run_poller(invoker).drain(DRAIN)

    [(key, document)] = objects(aws, bucket)
    delivered = invoker.calls[0][1]
    shard = document["DDBStreamBatchInfo"]["shardId"]
    day = time.strftime("%Y/%m/%d", time.gmtime())
    assert re.fullmatch(
        rf"aws/lambda/{p.mapping_uuid}/{shard}/{day}/\d{{4}}-\d\d-\d\dT\d\d\.\d\d\.\d\d-{UUID}", key
    )
    assert list(document) == [
        "requestContext",
        "responseContext",
        "version",
        "timestamp",
        "DDBStreamBatchInfo",
        "payload",
    ]
    assert document["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert document["requestContext"]["approximateInvokeCount"] == 2
    assert document["responseContext"]["functionError"] == "Unhandled"
    assert document["DDBStreamBatchInfo"]["batchSize"] == 2
    # The payload is the event as the function got it, written as a JSON string.
    assert isinstance(document["payload"], str)
    assert json.loads(document["payload"]) == delivered
    assert [pk(r) for r in json.loads(document["payload"])["Records"]] == ["a", "b"]


def test_record_too_old_writes_the_records_never_delivered(
    aws: Callable[[str], Any],
    bucket: str,
    pipe: Callable[..., Pipe],
    write: Callable[..., None],
    run_poller: Callable[..., StreamPoller],
) -> None:
    p = pipe(
        MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": f"arn:aws:s3:::{bucket}"}},
    )
    write(p.table, "old")
    invoker = FakeInvoker(lambda records: InvokeResult())

    assert run_poller(invoker, clock=lambda: time.time() + 3600).drain(DRAIN)

    assert invoker.calls == []
    [(key, document)] = objects(aws, bucket)
    assert key.startswith(f"aws/lambda/{p.mapping_uuid}/")
    assert document["requestContext"]["condition"] == "RecordAgeExceeded"
    assert "responseContext" not in document
    [record] = json.loads(document["payload"])["Records"]
    assert pk(record) == "old"
    assert sequence_of(record) == document["DDBStreamBatchInfo"]["startSequenceNumber"]
    assert record["eventSourceARN"] == p.stream_arn


def test_object_key_layout() -> None:
    batch = DiscardedBatch(
        mapping_uuid="uuid-1",
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:fn",
        stream_arn="arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x",
        shard_id="shardId-00000001",
        records=[{"dynamodb": {"SequenceNumber": "1", "ApproximateCreationDateTime": 0}}],
        condition="RetryAttemptsExhausted",
        invoke_count=1,
        last_result=None,
        discarded_at=1767225600.75,  # 2026-01-01T00:00:00.75Z
    )
    assert object_key(batch, "r-1") == "aws/lambda/uuid-1/shardId-00000001/2026/01/01/2026-01-01T00.00.00-r-1"


@pytest.mark.parametrize(
    "arn", ["arn:aws:s3:::", "arn:aws:s3:::bucket/prefix", "arn:aws:s3:us-east-1:123456789012:bucket"]
)
def test_a_destination_that_is_not_a_bucket_arn_is_refused(arn: str) -> None:
    with pytest.raises(ValueError, match="bucket ARN"):
        bucket_name(arn)


def test_sender_refuses_before_writing() -> None:
    class NoS3:
        def put_object(self, **kwargs: Any) -> None:
            raise AssertionError("nothing may be written")

    with pytest.raises(ValueError, match="bucket ARN"):
        S3Sender(NoS3()).send("arn:aws:s3:::a/b", _batch())


def _batch() -> DiscardedBatch:
    return DiscardedBatch(
        mapping_uuid="u",
        function_arn="f",
        stream_arn="s",
        shard_id="shardId-1",
        records=[{"dynamodb": {"SequenceNumber": "1", "ApproximateCreationDateTime": 0}}],
        condition="RetryAttemptsExhausted",
        invoke_count=0,
        last_result=None,
        discarded_at=0.0,
    )
