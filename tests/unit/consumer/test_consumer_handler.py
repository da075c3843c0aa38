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
from consumer import handler, records

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


def test_a_replaced_record_function_that_raises_gets_its_record_reported(
    invoke, consumer_with_record_handler
):
    consumer_with_record_handler("tests.fixtures.record_handlers:reject_modify")
    event = stream_batch("streams/old_image.json")
    modify = event["Records"][1]["dynamodb"]["SequenceNumber"]

    response = invoke(event)

    assert response == {"batchItemFailures": [{"itemIdentifier": modify}]}
    assert modify not in record_handlers.handled
    assert len(record_handlers.handled) == 2


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
