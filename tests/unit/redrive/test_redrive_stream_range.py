"""Reading a discarded range of a shard again, and the record shape Lambda delivers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber
from redrive.batches import BatchInfo
from redrive.stream_range import RangeExpired, StreamRange, lambda_record

from tests.unit.redrive.conftest import Clients, StreamTable

STREAM = "arn:aws:dynamodb:eu-west-1:123456789012:table/products/stream/2026-11-26T15:00:00.000"
SHARD = "shardId-00000001795705800000-4f3c2a1b"


def info(start: str, end: str, size: int, shard: str = SHARD) -> BatchInfo:
    return BatchInfo(
        stream_arn=STREAM,
        shard_id=shard,
        start_sequence_number=start,
        end_sequence_number=end,
        batch_size=size,
    )


def test_reading_stops_at_the_last_record_of_the_range(table: StreamTable, clients: Clients) -> None:
    table.put("a", "b", "c", "d")
    pointer = table.pointer(1, 2)["DDBStreamBatchInfo"]
    batch = BatchInfo(
        stream_arn=table.stream_arn,
        shard_id=table.shard_id,
        start_sequence_number=pointer["startSequenceNumber"],
        end_sequence_number=pointer["endSequenceNumber"],
        batch_size=2,
    )

    records = StreamRange(clients.streams).read(batch)

    assert [r["dynamodb"]["Keys"]["PK"]["S"] for r in records] == ["b", "c"]


def test_lambda_record_has_the_event_source_mappings_shape() -> None:
    raw = {
        "eventID": "a9c1d7f3e2b4c6d8e0f1a2b3c4d5e6f7",
        "eventName": "REMOVE",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": {
            "StreamViewType": "NEW_AND_OLD_IMAGES",
            "SizeBytes": 42,
            "SequenceNumber": "4421584500000000017450439090",
            "OldImage": {"PK": {"S": "k"}, "blobs": {"BS": [b"\x00", b"\xff"]}, "n": {"N": "1E-130"}},
            "Keys": {"PK": {"S": "k"}},
            "ApproximateCreationDateTime": datetime(2026, 11, 26, 15, 10, 2, 900_000, tzinfo=UTC),
        },
        "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
    }

    record = lambda_record(raw, STREAM)

    assert record == {
        "eventID": "a9c1d7f3e2b4c6d8e0f1a2b3c4d5e6f7",
        "eventName": "REMOVE",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1795705802,
            "Keys": {"PK": {"S": "k"}},
            "OldImage": {"PK": {"S": "k"}, "blobs": {"BS": ["AA==", "/w=="]}, "n": {"N": "1E-130"}},
            "SequenceNumber": "4421584500000000017450439090",
            "SizeBytes": 42,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": STREAM,
        "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
    }
    # Lambda's order of the dynamodb member's keys
    assert list(record["dynamodb"]) == [
        "ApproximateCreationDateTime",
        "Keys",
        "OldImage",
        "SequenceNumber",
        "SizeBytes",
        "StreamViewType",
    ]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("TrimmedDataAccessException", "The operation attempted to read past the oldest stream record"),
        ("ResourceNotFoundException", "Requested resource not found: Stream not found"),
    ],
)
def test_records_the_stream_no_longer_holds_are_expired(clients: Clients, code: str, message: str) -> None:
    # moto does not model the 24-hour trim horizon: the stub answers what DynamoDB Streams does
    with Stubber(clients.streams) as stub:
        stub.add_client_error("get_shard_iterator", service_error_code=code, service_message=message)
        with pytest.raises(RangeExpired, match=f"^{code}: {message}$"):
            StreamRange(clients.streams).read(info("4" * 25, "4" * 25, 1))


def test_trimmed_while_reading_is_expired(clients: Clients) -> None:
    with Stubber(clients.streams) as stub:
        stub.add_response("get_shard_iterator", {"ShardIterator": "i" * 40})
        stub.add_client_error("get_records", service_error_code="TrimmedDataAccessException")
        with pytest.raises(RangeExpired, match=r"^TrimmedDataAccessException"):
            StreamRange(clients.streams).read(info("4" * 25, "4" * 25, 1))


def test_a_range_missing_its_first_record_is_expired(clients: Clients) -> None:
    def record(last_digit: str) -> dict[str, Any]:
        return {
            "eventID": "e",
            "eventName": "INSERT",
            "eventVersion": "1.1",
            "dynamodb": {"SequenceNumber": "4" * 24 + last_digit, "Keys": {"PK": {"S": "k"}}},
        }

    # GIVEN a batch of 2 among records 5 to 7 (a filter dropped one), of which 5 is gone
    with Stubber(clients.streams) as stub:
        stub.add_response("get_shard_iterator", {"ShardIterator": "i" * 40})
        stub.add_response("get_records", {"Records": [record("6"), record("7")]})
        with pytest.raises(RangeExpired, match="first record"):
            StreamRange(clients.streams).read(info("4" * 24 + "5", "4" * 24 + "7", 2))


def test_other_errors_are_not_mistaken_for_expiry(clients: Clients) -> None:
    with Stubber(clients.streams) as stub:
        stub.add_client_error("get_shard_iterator", service_error_code="AccessDeniedException")
        with pytest.raises(Exception, match="AccessDeniedException") as raised:
            StreamRange(clients.streams).read(info("4" * 25, "4" * 25, 1))
    assert not isinstance(raised.value, RangeExpired)


def test_an_open_shard_with_nothing_more_ends_the_read(clients: Clients) -> None:
    record: dict[str, Any] = {
        "eventID": "e",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "dynamodb": {"SequenceNumber": "4" * 25, "Keys": {"PK": {"S": "k"}}},
    }
    with Stubber(clients.streams) as stub:
        stub.add_response("get_shard_iterator", {"ShardIterator": "i" * 40})
        stub.add_response("get_records", {"Records": [record], "NextShardIterator": "j" * 40})
        for _ in range(3):
            stub.add_response("get_records", {"Records": [], "NextShardIterator": "j" * 40})
        with pytest.raises(RangeExpired, match="holds 1 of the batch's 2 records"):
            StreamRange(clients.streams).read(info("4" * 25, "4" * 24 + "9", 2))
        stub.assert_no_pending_responses()
