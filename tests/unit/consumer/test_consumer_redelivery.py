"""Redelivery: the event source mapping delivers at least once, so a batch can arrive twice.

The default per-record work only writes a log line, which is safe to repeat: the second delivery logs the same
fields (the eventID and sequence number identify the change, so a reader can drop the repeat). A custom
consumer with side effects makes them idempotent; the example in docs/consumer.md is run here as written.
"""

from __future__ import annotations

import json
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from consumer import handler
from moto import mock_aws

from tests.fixtures.events import stream_batch

README = Path(__file__).resolve().parents[3] / "docs" / "consumer.md"
RECORD_FIELDS = ("eventName", "eventID", "keys", "sequenceNumber", "approximateCreationDateTime")
REGION = "eu-west-1"


def record_view(line: dict[str, Any]) -> dict[str, Any]:
    """What a log line says about its record (timestamps and request ids differ between deliveries)."""
    return {name: line[name] for name in (*RECORD_FIELDS, "newImage", "oldImage") if name in line}


def test_a_redelivered_batch_is_logged_again_with_the_same_content_and_no_error(invoke, consumer_logs):
    # GIVEN a batch with an INSERT, a MODIFY and a REMOVE
    event = stream_batch("streams/new_and_old_images.json")

    # WHEN the mapping delivers it twice (a retry after a timeout, or a restarted poller)
    first = invoke(stream_batch("streams/new_and_old_images.json"))
    first_lines = [record_view(line) for line in consumer_logs.with_message("stream record")]
    second = invoke(event)
    all_lines = [record_view(line) for line in consumer_logs.with_message("stream record")]

    # THEN both deliveries succeed, and the second writes exactly what the first wrote
    assert first == second == {"batchItemFailures": []}
    assert len(first_lines) == len(event["Records"])
    assert all_lines == first_lines + first_lines
    assert [line["eventID"] for line in first_lines] == [record["eventID"] for record in event["Records"]]


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- idempotent-consumer-example[^>]*-->\s*```python\n(.*?)```", text, re.DOTALL)
    assert match, "docs/consumer.md lost its idempotent consumer example"
    return match.group(1)


@pytest.fixture
def readme_consumer(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[types.ModuleType, Any]]:
    """The README's my_consumer module, loaded against moto, with the queue and table it expects."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName="product-changes-idempotency",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="product-changes")["QueueUrl"]
        module = types.ModuleType("my_consumer")
        exec(compile(readme_example(), "docs/consumer.md:my_consumer.py", "exec"), module.__dict__)  # noqa: S102
        monkeypatch.setitem(sys.modules, "my_consumer", module)
        # As RECORD_HANDLER="my_consumer:record_handler" makes the consumer do at start-up.
        monkeypatch.setattr(handler, "record_handler", module.record_handler)
        yield module, (sqs, queue_url)


def messages(sqs: Any, queue_url: str) -> list[str]:
    bodies: list[str] = []
    while True:
        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        if not received.get("Messages"):
            return bodies
        for message in received["Messages"]:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_readme_custom_consumer_publishes_each_change_once_across_redeliveries(invoke, readme_consumer):
    _, (sqs, queue_url) = readme_consumer
    event = stream_batch("streams/new_and_old_images.json")

    # WHEN the same batch is delivered twice
    first = invoke(stream_batch("streams/new_and_old_images.json"))
    second = invoke(event)

    # THEN both succeed, and each change was published once
    assert first == second == {"batchItemFailures": []}
    published = messages(sqs, queue_url)
    assert len(published) == len(event["Records"])
    assert sorted(json.loads(body)["eventID"] for body in published) == sorted(
        record["eventID"] for record in event["Records"]
    )


def test_readme_custom_consumer_publishes_a_new_change(invoke, readme_consumer):
    _, (sqs, queue_url) = readme_consumer
    invoke(stream_batch("streams/new_and_old_images.json"))

    # WHEN a batch with other changes follows
    later = stream_batch("streams/new_and_old_images.json")
    for record in later["Records"]:
        record["eventID"] = record["eventID"][::-1]

    # THEN those are published too: the key is the change, not the item
    assert invoke(later) == {"batchItemFailures": []}
    assert len(messages(sqs, queue_url)) == 2 * len(later["Records"])
