"""Redrive from an SQS destination, or an SNS one through its subscribed queue: each message points at a range
of a shard, which the redrive reads again from the stream while the stream retains it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from redrive import run
from redrive.replay import InvokeResult
from redrive.sources import QueueSource
from redrive.stream_range import StreamRange, lambda_record

from tests.fixtures import failures
from tests.unit.redrive.conftest import Clients, FakeConsumer, StreamTable

Redrive = Callable[..., dict[str, Any]]


@pytest.fixture
def redrive(queue_url: str, clients: Clients, consumer: FakeConsumer, lambda_context: Any) -> Redrive:
    def call(event: Any = None) -> dict[str, Any]:
        # No long polling: moto would wait the whole time on an empty queue.
        source = QueueSource(clients.sqs, queue_url, wait_seconds=0)
        return run.redrive(
            event, lambda_context, source=source, reader=StreamRange(clients.streams), invoker=consumer
        )

    return call


@pytest.fixture
def send(queue_url: str, clients: Clients) -> Callable[[Any], str]:
    def send_message(document: Any) -> str:
        body = document if isinstance(document, str) else json.dumps(document)
        return str(clients.sqs.send_message(QueueUrl=queue_url, MessageBody=body)["MessageId"])

    return send_message


def visible(clients: Clients, queue_url: str) -> int:
    attributes = clients.sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"  # nothing left hidden by a run
    return int(attributes["ApproximateNumberOfMessages"])


def test_pointer_is_read_again_from_the_stream_and_deleted(
    redrive: Redrive,
    send: Callable[[Any], str],
    table: StreamTable,
    clients: Clients,
    queue_url: str,
    consumer: FakeConsumer,
) -> None:
    # GIVEN four changes, of which the mapping gave up on the middle two
    table.put("a", "b", "c", "d")
    message_id = send(table.pointer(1, 2))
    raw = table.records()

    answer = redrive({})

    # THEN the consumer got those two, in the mapping's event shape, and the message is gone
    [event] = consumer.events
    assert event == {"Records": [lambda_record(r, table.stream_arn) for r in raw[1:3]]}
    record = event["Records"][0]
    assert list(record) == [
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
    ]
    assert record["eventSource"] == "aws:dynamodb"
    assert record["eventSourceARN"] == table.stream_arn
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    assert record["dynamodb"]["Keys"] == {"PK": {"S": "b"}}
    assert record["dynamodb"]["NewImage"]["raw"] == {"B": "AP8="}  # base64, as in Lambda's event
    assert record["dynamodb"]["SequenceNumber"] == raw[1]["dynamodb"]["SequenceNumber"]
    assert visible(clients, queue_url) == 0
    assert (answer["found"], answer["replayed"]) == (1, 1)
    assert answer["batches"][0] == {
        "source": message_id,
        "shardId": table.shard_id,
        "startSequenceNumber": raw[1]["dynamodb"]["SequenceNumber"],
        "endSequenceNumber": raw[2]["dynamodb"]["SequenceNumber"],
        "batchSize": 2,
        "streamArn": table.stream_arn,
        "status": "replayed",
    }


def test_range_of_a_deleted_stream_is_expired_and_stays(
    redrive: Redrive, send: Callable[[Any], str], table: StreamTable, clients: Clients, queue_url: str
) -> None:
    table.put("a", "b")
    pointer = table.pointer(0, 1)
    send(pointer)
    clients.dynamodb.delete_table(TableName=table.name)

    first, second = redrive({}), redrive({})

    # THEN reported with its shard and range, left for the operator, and counted again on the next run
    for answer in (first, second):
        assert (answer["found"], answer["expired"], answer["replayed"]) == (1, 1, 0)
        [entry] = answer["batches"]
        info = pointer["DDBStreamBatchInfo"]
        assert (
            entry["status"],
            entry["shardId"],
            entry["startSequenceNumber"],
            entry["endSequenceNumber"],
        ) == (
            "expired",
            info["shardId"],
            info["startSequenceNumber"],
            info["endSequenceNumber"],
        )
        assert entry["detail"].startswith("ResourceNotFoundException")
    assert visible(clients, queue_url) == 1


def test_range_of_a_recreated_stream_is_expired(
    redrive: Redrive, send: Callable[[Any], str], table: StreamTable, clients: Clients, consumer: FakeConsumer
) -> None:
    # GIVEN the table deleted and created again: the old records are gone with the old stream
    table.put("a", "b")
    send(table.pointer(0, 1))
    clients.dynamodb.delete_table(TableName=table.name)
    clients.dynamodb.create_table(
        TableName=table.name,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )

    answer = redrive({})

    assert answer["expired"] == 1
    assert answer["batches"][0]["detail"] == "the stream holds 0 of the batch's 2 records"
    assert consumer.events == []


def test_dry_run_reads_ranges_but_invokes_and_deletes_nothing(
    redrive: Redrive,
    send: Callable[[Any], str],
    table: StreamTable,
    clients: Clients,
    queue_url: str,
    consumer: FakeConsumer,
) -> None:
    table.put("a", "b", "c")
    send(table.pointer(0, 1))
    send(failures.pointer(table.stream_arn, table.shard_id, "9" * 22, "9" * 22, 1))  # past the shard's end

    answer = redrive({"dry_run": True})

    assert consumer.events == []
    assert (answer["found"], answer["replayed"], answer["expired"], answer["dry_run"]) == (2, 0, 1, True)
    assert sorted(e["status"] for e in answer["batches"]) == ["expired", "found"]
    # Both messages are visible again at once, so the real run that follows finds them
    assert visible(clients, queue_url) == 2
    real = redrive({})
    assert (real["found"], real["replayed"], real["expired"]) == (2, 1, 1)


def test_still_failing_message_is_visible_again_and_counted_once_per_run(
    redrive: Redrive,
    send: Callable[[Any], str],
    table: StreamTable,
    clients: Clients,
    queue_url: str,
    consumer: FakeConsumer,
) -> None:
    table.put("a", "b")
    send(table.pointer(0, 0))
    send(table.pointer(1, 1))
    consumer.answer = lambda records: InvokeResult(
        payload=b'{"errorMessage": "boom"}', function_error="Unhandled"
    )

    answer = redrive({})

    assert (answer["found"], answer["still_failing"]) == (2, 2)
    assert len(consumer.events) == 2
    assert visible(clients, queue_url) == 2


def test_running_twice_replays_each_batch_once(
    redrive: Redrive, send: Callable[[Any], str], table: StreamTable, consumer: FakeConsumer
) -> None:
    table.put("a", "b")
    send(table.pointer(0, 0))
    send(table.pointer(1, 1))

    first, second = redrive({}), redrive({})

    assert (first["found"], first["replayed"]) == (2, 2)
    assert second == {**second, "found": 0, "replayed": 0, "batches": []}
    # In stream order
    assert [e["Records"][0]["dynamodb"]["Keys"]["PK"]["S"] for e in consumer.events] == ["a", "b"]


def test_limit_bounds_the_messages_looked_at(
    redrive: Redrive, send: Callable[[Any], str], table: StreamTable, clients: Clients, queue_url: str
) -> None:
    table.put("a", "b", "c")
    for index in range(3):
        send(table.pointer(index, index))

    answer = redrive({"limit": 2})

    assert (answer["found"], answer["replayed"]) == (2, 2)
    assert visible(clients, queue_url) == 1


def test_empty_queue_answers_zeros(redrive: Redrive, consumer: FakeConsumer) -> None:
    answer = redrive({"dry_run": False, "limit": 5})
    assert answer == {
        "found": 0,
        "replayed": 0,
        "still_failing": 0,
        "expired": 0,
        "invalid": 0,
        "dry_run": False,
        "batches": [],
    }


@pytest.mark.parametrize("raw_delivery", [True, False])
def test_sns_destination_is_read_through_its_subscribed_queue(
    redrive: Redrive,
    table: StreamTable,
    clients: Clients,
    queue_url: str,
    consumer: FakeConsumer,
    raw_delivery: bool,
) -> None:
    # GIVEN the topic the mapping sends to, and the queue the module subscribes to it
    topic_arn = clients.sns.create_topic(Name="products-failures")["TopicArn"]
    queue_arn = clients.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    clients.sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true" if raw_delivery else "false"},
    )
    table.put("a", "b")
    clients.sns.publish(TopicArn=topic_arn, Message=json.dumps(table.pointer(0, 1)))

    answer = redrive({})

    assert (answer["found"], answer["replayed"]) == (1, 1)
    assert [r["dynamodb"]["Keys"]["PK"]["S"] for r in consumer.events[0]["Records"]] == ["a", "b"]
    assert visible(clients, queue_url) == 0


def test_unreadable_message_is_reported_and_left(
    redrive: Redrive, send: Callable[[Any], str], clients: Clients, queue_url: str
) -> None:
    message_id = send("{}")

    answer = redrive({})

    assert answer["batches"] == [
        {
            "source": message_id,
            "shardId": None,
            "startSequenceNumber": None,
            "endSequenceNumber": None,
            "batchSize": None,
            "status": "invalid",
            "detail": "no DDBStreamBatchInfo object",
        }
    ]
    assert visible(clients, queue_url) == 1


class DuplicatingQueue:
    """An SQS client that delivers the one message it holds twice, as SQS may (at-least-once)."""

    def __init__(self, body: str) -> None:
        self.body = body
        self.receives = 0
        self.released: list[dict[str, Any]] = []
        self.deleted: list[str] = []

    def receive_message(self, **request: Any) -> dict[str, Any]:
        self.receives += 1
        handle = f"handle-{self.receives}"
        return {"Messages": [{"MessageId": "m-1", "ReceiptHandle": handle, "Body": self.body}]}

    def delete_message(self, QueueUrl: str, ReceiptHandle: str) -> None:
        self.deleted.append(ReceiptHandle)

    def change_message_visibility_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.released.extend(Entries)
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}


def test_a_message_delivered_twice_is_looked_at_once() -> None:
    sqs = DuplicatingQueue(json.dumps(failures.pointer("arn:aws:dynamodb:x", "shardId-1", "1", "2", 2)))
    source = QueueSource(sqs, "https://queue", wait_seconds=0)

    found = source.find(limit=10, hold_seconds=60)

    assert [f.ref for f in found] == ["m-1"]
    assert sqs.receives == 2  # the second receive brought nothing new, so the search stopped
    source.release()
    # The latest receipt handle is the one that works
    assert sqs.released == [{"Id": "0", "ReceiptHandle": "handle-2", "VisibilityTimeout": 0}]


def test_range_with_records_a_filter_dropped_is_replayed_whole_and_says_so(
    redrive: Redrive, send: Callable[[Any], str], table: StreamTable, consumer: FakeConsumer
) -> None:
    # GIVEN a batch of 2 whose range holds 3 records: the mapping's filter dropped the middle one
    table.put("a", "filtered", "c")
    pointer = table.pointer(0, 2)
    pointer["DDBStreamBatchInfo"]["batchSize"] = 2
    send(pointer)

    answer = redrive({})

    assert answer["batches"][0]["status"] == "replayed"
    assert answer["batches"][0]["detail"].startswith("the range holds 3 records, the batch had 2")
    assert [r["dynamodb"]["Keys"]["PK"]["S"] for r in consumer.events[0]["Records"]] == ["a", "filtered", "c"]
