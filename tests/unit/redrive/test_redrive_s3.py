"""Redrive from an S3 on-failure destination: each object holds the whole batch in its payload."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from redrive import run
from redrive.replay import InvokeResult
from redrive.sources import BucketSource
from redrive.stream_range import StreamRange

from tests.fixtures import failures
from tests.fixtures.events import stream_batch
from tests.unit.redrive.conftest import Clients, FakeConsumer, StreamTable

SHARD = "shardId-00000001795705800000-4f3c2a1b"
Redrive = Callable[..., dict[str, Any]]


@pytest.fixture
def redrive(bucket: str, clients: Clients, consumer: FakeConsumer, lambda_context: Any) -> Redrive:
    def call(event: Any = None) -> dict[str, Any]:
        source = BucketSource(clients.s3, bucket)
        return run.redrive(
            event, lambda_context, source=source, reader=StreamRange(clients.streams), invoker=consumer
        )

    return call


@pytest.fixture
def put(bucket: str, clients: Clients) -> Callable[..., str]:
    def put_object(document: Any, key: str | None = None) -> str:
        key = key or failures.s3_key(SHARD)
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        clients.s3.put_object(Bucket=bucket, Key=key, Body=body)
        return key

    return put_object


def keys(clients: Clients, bucket: str) -> list[str]:
    return sorted(o["Key"] for o in clients.s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def batch(*sequence_numbers: int) -> dict[str, Any]:
    """The recorded batch, its records numbered as given (more than three repeat the last record)."""
    recorded = stream_batch("streams/new_and_old_images.json")["Records"]
    records = []
    for index, number in enumerate(sequence_numbers):
        record = copy.deepcopy(recorded[min(index, len(recorded) - 1)])
        record["dynamodb"]["SequenceNumber"] = str(number)
        records.append(record)
    return {"Records": records}


@pytest.mark.parametrize("payload", ["string", "object"])
def test_replayed_batch_is_moved_under_redriven(
    redrive: Redrive,
    put: Callable[..., str],
    clients: Clients,
    bucket: str,
    consumer: FakeConsumer,
    payload: Any,
) -> None:
    # GIVEN a batch the mapping gave up on, its payload as AWS documents it (a JSON string) or as an object
    key = put(failures.s3_record(payload=payload))

    answer = redrive({})

    # THEN the consumer got the batch exactly as the mapping delivered it, and the object moved
    assert consumer.events == [stream_batch("streams/new_and_old_images.json")]
    assert keys(clients, bucket) == [f"redriven/{key}"]
    assert {k: answer[k] for k in ("found", "replayed", "still_failing", "expired", "dry_run")} == {
        "found": 1,
        "replayed": 1,
        "still_failing": 0,
        "expired": 0,
        "dry_run": False,
    }
    [entry] = answer["batches"]
    assert entry == {
        "source": key,
        "shardId": SHARD,
        "startSequenceNumber": "4421584500000000017450439090",
        "endSequenceNumber": "4421584500000000017450439092",
        "batchSize": 3,
        "streamArn": "arn:aws:dynamodb:eu-west-1:123456789012:table/products/stream/2026-11-26T15:00:00.000",
        "status": "replayed",
    }
    moved = clients.s3.get_object(Bucket=bucket, Key=f"redriven/{key}")["Body"].read()
    assert json.loads(moved) == failures.s3_record(payload=payload)


def test_partial_batch_failure_leaves_the_object(
    redrive: Redrive, put: Callable[..., str], clients: Clients, bucket: str, consumer: FakeConsumer
) -> None:
    key = put(failures.s3_record())
    second = "4421584500000000017450439091"
    consumer.answer = lambda records: InvokeResult(
        payload=json.dumps({"batchItemFailures": [{"itemIdentifier": second}]}).encode()
    )

    answer = redrive({})

    assert (answer["found"], answer["replayed"], answer["still_failing"]) == (1, 0, 1)
    assert answer["batches"][0]["status"] == "still_failing"
    assert "1 record(s) reported in batchItemFailures" in answer["batches"][0]["detail"]
    assert keys(clients, bucket) == [key]
    # The whole batch again next time, including the records that succeeded.
    redrive({})
    assert len(consumer.events) == 2
    assert consumer.events[1] == consumer.events[0]


def test_function_error_leaves_the_object(
    redrive: Redrive, put: Callable[..., str], clients: Clients, bucket: str, consumer: FakeConsumer
) -> None:
    key = put(failures.s3_record())
    consumer.answer = lambda records: InvokeResult(
        payload=b'{"errorType": "KeyError", "errorMessage": "\'price\'"}', function_error="Unhandled"
    )

    answer = redrive({})

    assert (answer["replayed"], answer["still_failing"]) == (0, 1)
    assert answer["batches"][0]["detail"] == "function error (Unhandled): KeyError: 'price'"
    assert keys(clients, bucket) == [key]


def test_dry_run_invokes_nothing_and_moves_nothing(
    redrive: Redrive, put: Callable[..., str], clients: Clients, bucket: str, consumer: FakeConsumer
) -> None:
    put(failures.s3_record())
    put(failures.s3_record(batch(7, 8)))
    before = keys(clients, bucket)

    answer = redrive({"dry_run": True})

    assert consumer.events == []
    assert keys(clients, bucket) == before
    assert (answer["found"], answer["replayed"], answer["still_failing"], answer["expired"]) == (2, 0, 0, 0)
    assert answer["dry_run"] is True
    assert [entry["status"] for entry in answer["batches"]] == ["found", "found"]


def test_limit_bounds_the_batches_looked_at(
    redrive: Redrive, put: Callable[..., str], clients: Clients, bucket: str, consumer: FakeConsumer
) -> None:
    for first in (10, 20, 30):
        put(failures.s3_record(batch(first, first + 1)))

    answer = redrive({"limit": 2})

    assert (answer["found"], answer["replayed"]) == (2, 2)
    assert len([k for k in keys(clients, bucket) if k.startswith("aws/lambda/")]) == 1
    assert redrive({"limit": 2})["replayed"] == 1
    assert len(consumer.events) == 3


def test_running_twice_replays_each_batch_once(
    redrive: Redrive, put: Callable[..., str], consumer: FakeConsumer
) -> None:
    put(failures.s3_record())
    put(failures.s3_record(batch(7, 8)))

    first, second = redrive({}), redrive({})

    assert (first["found"], first["replayed"]) == (2, 2)
    assert (second["found"], second["replayed"], second["batches"]) == (0, 0, [])
    assert len(consumer.events) == 2


def test_nothing_failed_answers_zeros(redrive: Redrive, consumer: FakeConsumer) -> None:
    assert redrive(None) == {
        "found": 0,
        "replayed": 0,
        "still_failing": 0,
        "expired": 0,
        "invalid": 0,
        "dry_run": False,
        "batches": [],
    }
    assert consumer.events == []


def test_batches_are_replayed_in_stream_order(
    redrive: Redrive, put: Callable[..., str], consumer: FakeConsumer
) -> None:
    # GIVEN the newer batch under the key that lists first
    put(failures.s3_record(batch(50, 51)), key=failures.s3_key(SHARD).replace("/lambda/", "/lambda/0"))
    put(failures.s3_record(batch(5, 6)), key=failures.s3_key(SHARD).replace("/lambda/", "/lambda/1"))

    redrive({})

    assert [e["Records"][0]["dynamodb"]["SequenceNumber"] for e in consumer.events] == ["5", "50"]


def test_unreadable_objects_are_reported_and_left(
    redrive: Redrive, put: Callable[..., str], clients: Clients, bucket: str, consumer: FakeConsumer
) -> None:
    not_json = put(b"not json")
    no_info = put({"payload": "{}"})
    put(failures.s3_record(), key=f"redriven/{failures.s3_key(SHARD)}")  # replayed already: never again

    answer = redrive({})

    assert (answer["found"], answer["invalid"], answer["replayed"]) == (2, 2, 0)
    details = {e["source"]: e["detail"] for e in answer["batches"]}
    assert details == {not_json: "not a JSON object", no_info: "no DDBStreamBatchInfo object"}
    assert all(e["status"] == "invalid" and e["shardId"] is None for e in answer["batches"])
    assert consumer.events == []
    assert not_json in keys(clients, bucket)


def test_object_without_payload_is_read_again_from_the_stream(
    redrive: Redrive, put: Callable[..., str], table: StreamTable, clients: Clients, consumer: FakeConsumer
) -> None:
    table.put("a", "b")
    document = failures.s3_record(payload="absent")
    document["DDBStreamBatchInfo"] = table.pointer(0, 1)["DDBStreamBatchInfo"]
    put(document)

    answer = redrive({})

    assert answer["replayed"] == 1
    [event] = consumer.events
    assert [r["dynamodb"]["Keys"]["PK"]["S"] for r in event["Records"]] == ["a", "b"]
