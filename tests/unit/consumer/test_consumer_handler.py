"""The consumer handler: a log line per record, partial batch failures, the replaceable record step."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from consumer import changes, handler, records

from tests.fixtures import record_handlers
from tests.fixtures.events import stream_batch
from tests.fixtures.tracing import RecordingProvider

REPO = Path(__file__).resolve().parents[3]
LOG_KEYS = {"eventName", "eventID", "keys", "sequenceNumber", "approximateCreationDateTime"}

# Which images each (stream view type, event name) record carries, as DynamoDB Streams sends them.
VIEWS: dict[str, dict[str, set[str]]] = {
    "streams/keys_only.json": {"INSERT": set(), "MODIFY": set(), "REMOVE": set()},
    "streams/new_image.json": {"INSERT": {"newImage"}, "MODIFY": {"newImage"}, "REMOVE": set()},
    "streams/old_image.json": {"INSERT": set(), "MODIFY": {"oldImage"}, "REMOVE": {"oldImage"}},
    "streams/new_and_old_images.json": {
        "INSERT": {"newImage"},
        "MODIFY": {"newImage", "oldImage"},
        "REMOVE": {"oldImage"},
    },
}


@pytest.mark.parametrize("fixture", VIEWS)
def test_every_record_of_every_view_type_is_logged_once(invoke, consumer_logs, fixture):
    # GIVEN a batch with an INSERT, a MODIFY and a REMOVE record of one stream view type
    event = stream_batch(fixture)

    # WHEN the consumer processes it
    response = invoke(event)

    # THEN no record failed, and each one produced exactly one "stream record" line
    assert response == {"batchItemFailures": []}
    lines = consumer_logs.with_message("stream record")
    assert [line["eventName"] for line in lines] == ["INSERT", "MODIFY", "REMOVE"]
    for line, record in zip(lines, event["Records"], strict=True):
        images = VIEWS[fixture][record["eventName"]]
        assert LOG_KEYS | images <= set(line)
        assert not ({"newImage", "oldImage"} - images) & set(line)
        assert line["eventID"] == record["eventID"]
        assert line["sequenceNumber"] == record["dynamodb"]["SequenceNumber"]
        assert line["approximateCreationDateTime"] == record["dynamodb"]["ApproximateCreationDateTime"]
        assert line["keys"] == {"PK": "Product#3f0c6f5e-8a3b-4c1d-9e2f-7a6b5c4d3e2f", "SK": "User#Product"}
        assert line["level"] == "INFO"
        assert line["service"] == "products-consumer"


def test_images_are_plain_json_with_exact_numbers(invoke, consumer_logs):
    invoke(stream_batch("streams/new_and_old_images.json"))

    modify = next(
        line for line in consumer_logs.with_message("stream record") if line["eventName"] == "MODIFY"
    )
    # The digits as DynamoDB sent them, not a float's rendering (which would be 1.2345678901234568e+37).
    raw = next(text for text in consumer_logs.text.splitlines() if '"MODIFY"' in text)
    assert '"exact":12345678901234567890123456789012345678,' in raw
    assert '"fraction":0.12345678901234567890123456789012345678,' in raw
    assert '"huge":9.9999999999999999999999999999999999999E+125,' in raw
    assert '"price":12.5,' in raw
    assert '"price":10.99,' in raw
    exact = json.loads(raw, parse_float=Decimal)["newImage"]["details"]
    assert exact["exact"] == 12345678901234567890123456789012345678
    assert exact["tiny"] == Decimal("1E-130")
    assert exact["negative"] == Decimal("-0.000000000000000000000000000000000001")
    # Plain values: sets as sorted lists, binary as base64 text, maps and lists nested as they were.
    details = modify["newImage"]["details"]
    assert details["tags"] == ["Blue", "ceramic", "mug"]
    assert details["ratings"] == [-1, 3.25, 4.5, 10]
    assert details["thumbnails"] == ["AAE=", "R0lGODlh", "iVBORw0KGgo="]
    assert details["checksum"] == "3q2+7w=="
    assert details["discontinued"] is False
    assert details["replacement"] is None
    assert details["dimensions"] == {"height_mm": 95, "volume_l": 0.35}
    assert details["history"] == [
        {"price": 9.99, "at": "2026-01-01T00:00:00.000Z"},
        [1, "two", ["a", "b"]],
        None,
    ]
    assert modify["newImage"]["version"] == 2
    assert modify["oldImage"]["name"] == "Coffee mug"


def test_a_failing_record_is_reported_by_sequence_number_and_the_others_are_not(invoke, consumer_logs):
    # GIVEN a batch whose middle record holds a value that is not DynamoDB JSON
    event = stream_batch("streams/new_and_old_images.json")
    broken = event["Records"][1]
    broken["dynamodb"]["NewImage"]["price"] = {"X": "?"}

    # WHEN the consumer processes it
    response = invoke(event)

    # THEN only that record is reported, by its sequence number
    assert response == {"batchItemFailures": [{"itemIdentifier": broken["dynamodb"]["SequenceNumber"]}]}
    # AND the other records were handled once each, and nothing was logged as a change for the broken one
    lines = consumer_logs.with_message("stream record")
    assert [line["eventID"] for line in lines] == [
        event["Records"][0]["eventID"],
        event["Records"][2]["eventID"],
    ]


def test_when_every_record_fails_the_invocation_fails_so_lambda_retries_the_batch(invoke, consumer_logs):
    event = stream_batch("streams/keys_only.json")
    for record in event["Records"]:
        record["dynamodb"]["Keys"]["PK"] = {"S": "x", "N": "1"}

    with pytest.raises(BatchProcessingError):
        invoke(event)

    assert consumer_logs.with_message("stream record") == []


# --- an ERROR line per failed record ------------------------------------------------------------------------


def assert_failure_line(line: dict, record: dict, keys: dict, exception: type[Exception], text: str) -> None:
    """`line` is the ERROR line for `record`, failed with `exception` whose message holds `text`."""
    assert line["level"] == "ERROR"
    assert line["message"] == "stream record failed"
    assert line["eventName"] == record["eventName"]
    assert line["eventID"] == record["eventID"]
    assert line["sequenceNumber"] == record["dynamodb"]["SequenceNumber"]
    assert line["keys"] == keys
    assert line["exception_name"] == exception.__name__
    assert text in line["exception_message"]
    # The stack trace reaches down to where the per-record function raised.
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert line["exception"].rstrip().endswith(f"{exception.__name__}: {line['exception_message']}")
    assert line["stack_trace"]["type"] == exception.__name__
    assert line["stack_trace"]["frames"]
    assert line["service"] == "products-consumer"
    assert line["function_request_id"] == "5d7b0f61-4f0a-4c9e-9d2e-8b1a5f1f0c3e"


PLAIN_KEYS = {"PK": "Product#3f0c6f5e-8a3b-4c1d-9e2f-7a6b5c4d3e2f", "SK": "User#Product"}


def test_a_failed_record_gets_one_error_line_naming_it_and_its_exception(invoke, consumer_logs):
    # GIVEN a batch whose middle record holds a value that is not DynamoDB JSON
    event = stream_batch("streams/new_and_old_images.json")
    broken = event["Records"][1]
    broken["dynamodb"]["NewImage"]["price"] = {"X": "?"}

    # WHEN the consumer processes it
    invoke(event)

    # THEN that record, and only that one, has an ERROR line with its identity, keys and exception
    [line] = [line for line in consumer_logs.lines() if line["level"] == "ERROR"]
    assert_failure_line(line, broken, PLAIN_KEYS, changes.UnsupportedValue, "unknown DynamoDB type 'X'")
    assert "to_plain" in line["exception"]
    # AND it sits between the lines of the records before and after it, in batch order
    assert [entry["message"] for entry in consumer_logs.lines()] == [
        "stream record",
        "stream record failed",
        "stream record",
    ]


def test_when_every_record_fails_each_is_logged_before_the_invocation_fails(invoke, consumer_logs):
    # GIVEN a batch whose every record has keys that are not DynamoDB JSON
    event = stream_batch("streams/keys_only.json")
    for record in event["Records"]:
        record["dynamodb"]["Keys"]["PK"] = {"S": "x", "N": "1"}

    # WHEN the consumer processes it, THEN the invocation fails
    with pytest.raises(BatchProcessingError):
        invoke(event)

    # AND every record got its ERROR line, the unconvertible keys as the event carried them
    lines = consumer_logs.with_message("stream record failed")
    assert len(lines) == len(event["Records"])
    for line, record in zip(lines, event["Records"], strict=True):
        keys = {"PK": {"S": "x", "N": "1"}, "SK": {"S": "User#Product"}}
        assert_failure_line(line, record, keys, changes.UnsupportedValue, "not a DynamoDB JSON value")
    assert consumer_logs.with_message("stream record") == []


def test_the_default_record_function_is_the_logging_one():
    assert handler.record_handler is records.log_change


@pytest.fixture
def consumer_with_record_handler(monkeypatch):
    """Re-run the consumer's start-up with RECORD_HANDLER set, and restore the default afterwards."""

    def start(spec: str) -> None:
        monkeypatch.setenv("RECORD_HANDLER", spec)
        importlib.reload(handler)

    record_handlers.handled.clear()
    yield start
    monkeypatch.delenv("RECORD_HANDLER")
    importlib.reload(handler)
    record_handlers.handled.clear()


def test_record_handler_replaces_the_per_record_function(invoke, consumer_logs, consumer_with_record_handler):
    consumer_with_record_handler("tests.fixtures.record_handlers:remember")
    event = stream_batch("streams/new_image.json")

    response = invoke(event)

    assert response == {"batchItemFailures": []}
    assert record_handlers.handled == [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
    assert consumer_logs.with_message("stream record") == []


def test_a_replaced_record_function_that_raises_gets_its_record_reported_and_logged(
    invoke, consumer_logs, consumer_with_record_handler
):
    consumer_with_record_handler("tests.fixtures.record_handlers:reject_modify")
    event = stream_batch("streams/old_image.json")
    modify = event["Records"][1]["dynamodb"]["SequenceNumber"]

    response = invoke(event)

    assert response == {"batchItemFailures": [{"itemIdentifier": modify}]}
    assert modify not in record_handlers.handled
    assert len(record_handlers.handled) == 2
    # The same ERROR line as for the default function, its trace ending in the replacement's raise
    [line] = consumer_logs.with_message("stream record failed")
    assert_failure_line(line, event["Records"][1], PLAIN_KEYS, ValueError, "MODIFY records are refused")
    assert "in reject_modify" in line["exception"]
    assert line["stack_trace"]["frames"][-1]["function"] == "reject_modify"


def test_a_bad_record_handler_stops_the_function_at_start_up_with_a_clear_message():
    env = {
        **os.environ,
        "RECORD_HANDLER": "no_such_module:handle",
        "PYTHONPATH": os.pathsep.join([str(REPO / "lambda_src"), str(REPO)]),
    }

    result = subprocess.run(
        [sys.executable, "-c", "import consumer.handler"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "RecordHandlerConfigError" in result.stderr
    assert "RECORD_HANDLER='no_such_module:handle': cannot import module 'no_such_module'" in result.stderr


def test_each_invocation_is_traced_as_a_subsegment_annotated_with_the_service(invoke, monkeypatch):
    provider = RecordingProvider()
    monkeypatch.setattr(handler.tracer, "provider", provider)

    invoke(stream_batch("streams/keys_only.json"))

    [subsegment] = provider.subsegments
    assert subsegment.name == "## lambda_handler"
    assert subsegment.annotations["Service"] == "products-consumer"
