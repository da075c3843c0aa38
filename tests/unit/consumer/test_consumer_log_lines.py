"""consumer.lines: each record's line is the one Logger.info would write; Logger.info writes it otherwise."""

from __future__ import annotations

import logging

import pytest
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from consumer import handler, records
from consumer import lines as lines_module
from consumer.changes import describe

from tests.fixtures.events import stream_batch


def _logger_info_line(consumer_logs, record: dict) -> dict:
    """What `records.logger.info("stream record", extra=...)` itself writes for `record`."""
    before = len(consumer_logs.lines())
    records.logger.info("stream record", extra=describe(record))
    return consumer_logs.lines()[before]


def test_each_line_is_what_logger_info_writes_apart_from_its_time(invoke, consumer_logs, monkeypatch):
    # GIVEN an invocation under a trace id, whose lines carry the Logger's keys for that invocation
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
    event = stream_batch("streams/new_and_old_images.json")

    # WHEN the consumer logs the batch, and Logger.info logs the same records in the same invocation's context
    invoke(event)
    fast = consumer_logs.with_message("stream record")
    slow = [_logger_info_line(consumer_logs, record) for record in event["Records"]]

    # THEN the lines have the same keys in the same order and the same values, the location aside
    assert len(fast) == len(event["Records"])
    for ours, logged in zip(fast, slow, strict=True):
        assert list(ours) == list(logged)
        different = {key for key in ours if ours[key] != logged[key]}
        assert different <= {"location", "timestamp"}
        assert ours["location"].startswith("log_change:")
    assert {line["function_request_id"] for line in fast} == {slow[0]["function_request_id"]}
    assert {line["xray_trace_id"] for line in fast} == {"1-5759e988-bd862e3fe1be46a994272793"}


def test_a_new_invocation_gets_its_own_request_id_and_cold_start(invoke, consumer_logs, lambda_context):
    event = stream_batch("streams/new_and_old_images.json")

    invoke(event)
    lambda_context.aws_request_id = "another-request"
    invoke(event)

    lines = consumer_logs.with_message("stream record")
    half = len(lines) // 2
    assert {line["function_request_id"] for line in lines[half:]} == {"another-request"}
    assert {line["cold_start"] for line in lines[half:]} == {False}
    assert {line["function_request_id"] for line in lines[:half]} != {"another-request"}


def test_timestamps_are_the_formatters_text_for_each_lines_millisecond(invoke, consumer_logs, monkeypatch):
    # GIVEN a clock whose readings fall twice in one millisecond, then in the next ones and a new second
    readings = [
        1_795_000_000.1231,
        1_795_000_000.1234,
        1_795_000_000.1249,
        1_795_000_000.9995,
        1_795_000_001.0004,
    ]
    clock = iter(readings)
    monkeypatch.setattr(lines_module, "_clock", lambda: next(clock))
    event = stream_batch("streams/new_and_old_images.json")
    event["Records"] = (event["Records"] * 5)[: len(readings)]

    invoke(event)

    # THEN each line carries what the Logger's formatter writes for its own reading, reused or not
    formatter = handler.logger.registered_handler.formatter
    assert isinstance(formatter, LambdaPowertoolsFormatter)
    expected = []
    for reading in readings:
        record = logging.LogRecord("t", logging.INFO, __file__, 1, "m", None, None)
        record.created, record.msecs = reading, (reading - int(reading)) * 1000
        expected.append(formatter.formatTime(record))
    assert [line["timestamp"] for line in consumer_logs.with_message("stream record")] == expected
    assert expected[0] == expected[1] != expected[2]
    assert expected[3][:19] != expected[4][:19]


def test_no_line_when_info_is_disabled(invoke, consumer_logs):
    previous = records.logger.log_level
    records.logger.setLevel(logging.WARNING)
    try:
        invoke(stream_batch("streams/new_and_old_images.json"))
    finally:
        records.logger.setLevel(previous)

    assert consumer_logs.with_message("stream record") == []


class _OtherFormatter(LambdaPowertoolsFormatter):
    """A formatter the line's parts are not rendered from: it may format differently."""


def test_another_formatter_gets_lines_through_logger_info(invoke, consumer_logs, monkeypatch):
    # GIVEN the Logger's handler formats with something other than Powertools' own formatter
    monkeypatch.setattr(handler.logger.registered_handler.formatter, "__class__", _OtherFormatter)
    event = stream_batch("streams/new_and_old_images.json")

    invoke(event)

    # THEN every record still gets its line, from Logger.info, located in the record function
    lines = consumer_logs.with_message("stream record")
    assert len(lines) == len(event["Records"])
    assert all(line["location"].startswith("log_change:") for line in lines)


@pytest.fixture(autouse=True)
def _fresh_parts():
    # Each test starts from no rendered envelope, as a new execution environment does.
    records._lines._rendered_for = None
    yield
    records._lines._rendered_for = None
