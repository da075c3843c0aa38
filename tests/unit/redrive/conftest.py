"""Redrive tests: environment as Terraform sets it, S3, SQS, SNS and DynamoDB Streams served by moto
in-process, and a fake consumer in place of the Lambda invoke."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import boto3
import pytest
from moto import mock_aws
from redrive.replay import InvokeResult

from tests.fixtures import failures, logs

REGION = "eu-west-1"
ACCOUNT = "123456789012"
QUEUE_NAME = "products-failures"
# botocore sends DynamoDB and DynamoDB Streams calls to account-based endpoints, which moto does not route.
DYNAMODB_ENDPOINT = f"https://dynamodb.{REGION}.amazonaws.com"
STREAMS_ENDPOINT = f"https://streams.dynamodb.{REGION}.amazonaws.com"

# What Terraform sets for the redrive with an SQS destination. Read when the handler module is imported.
ENVIRONMENT = {
    "CONSUMER_FUNCTION": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:products-consumer:live",
    "DESTINATION_TYPE": "sqs",
    "DESTINATION_ARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{QUEUE_NAME}",
    "FAILURE_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{QUEUE_NAME}",
    "POWERTOOLS_SERVICE_NAME": "products-redrive",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": STREAMS_ENDPOINT,
}
with mock.patch.dict(os.environ, {**ENVIRONMENT, **CREDENTIALS}):
    from redrive import handler


@pytest.fixture(autouse=True)
def _aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and no endpoint outside moto: every SDK call stays on the host."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**ENVIRONMENT, **CREDENTIALS}.items():
        monkeypatch.setenv(name, value)


@dataclass(frozen=True)
class Clients:
    s3: Any
    sqs: Any
    sns: Any
    dynamodb: Any
    streams: Any


@pytest.fixture(scope="module")
def clients() -> Clients:
    # Created once (building a client takes longer than most tests); moto intercepts their calls whenever a
    # mock is active.
    def options(endpoint: str | None = None) -> dict[str, Any]:
        return {
            "region_name": REGION,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
            "endpoint_url": endpoint,
        }

    return Clients(
        s3=boto3.client("s3", **options()),
        sqs=boto3.client("sqs", **options()),
        sns=boto3.client("sns", **options()),
        dynamodb=boto3.client("dynamodb", **options(DYNAMODB_ENDPOINT)),
        streams=boto3.client("dynamodbstreams", **options(STREAMS_ENDPOINT)),
    )


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def bucket(aws: None, clients: Clients) -> str:
    name = "products-failures"
    clients.s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


@pytest.fixture
def queue_url(aws: None, clients: Clients) -> str:
    url: str = clients.sqs.create_queue(QueueName=QUEUE_NAME)["QueueUrl"]
    return url


@dataclass
class StreamTable:
    """A table with a NEW_AND_OLD_IMAGES stream, and the records its writes put on the stream."""

    clients: Clients
    name: str
    stream_arn: str

    def put(self, *keys: str) -> None:
        for key in keys:
            self.clients.dynamodb.put_item(
                TableName=self.name,
                Item={"PK": {"S": key}, "price": {"N": "10.99"}, "raw": {"B": b"\x00\xff"}},
            )

    @property
    def shard_id(self) -> str:
        description = self.clients.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        [shard] = description["Shards"]
        return str(shard["ShardId"])

    def records(self) -> list[dict[str, Any]]:
        """Every record of the shard, as GetRecords answers them."""
        iterator = self.clients.streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=self.shard_id, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        return list(self.clients.streams.get_records(ShardIterator=iterator)["Records"])

    def pointer(self, first: int, last: int) -> dict[str, Any]:
        """The failure record of the shard's records `first`..`last` (indexes, inclusive)."""
        records = self.records()[first : last + 1]
        return failures.pointer(
            self.stream_arn,
            self.shard_id,
            records[0]["dynamodb"]["SequenceNumber"],
            records[-1]["dynamodb"]["SequenceNumber"],
            len(records),
        )


@pytest.fixture
def table(aws: None, clients: Clients) -> StreamTable:
    description = clients.dynamodb.create_table(
        TableName="products-test",
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    return StreamTable(clients=clients, name="products-test", stream_arn=description["LatestStreamArn"])


Answer = Callable[[list[dict[str, Any]]], InvokeResult]


def succeed(records: list[dict[str, Any]]) -> InvokeResult:
    return InvokeResult(payload=b'{"batchItemFailures": []}')


@dataclass
class FakeConsumer:
    """Stands in for the Lambda invoke: records each event and answers as `answer` says."""

    answer: Answer = succeed
    events: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, event: bytes) -> InvokeResult:
        parsed = json.loads(event)
        self.events.append(parsed)
        return self.answer(parsed["Records"])


@pytest.fixture
def consumer() -> FakeConsumer:
    return FakeConsumer()


@pytest.fixture
def redrive_logs() -> Iterator[logs.CapturedLogs]:
    with logs.captured(handler.logger) as captured:
        yield captured
