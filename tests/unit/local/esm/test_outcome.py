"""Lambda's rules for what an invocation decided about a stream batch, on their own (no emulator)."""

from __future__ import annotations

from typing import Any

import pytest

from local.esm.outcome import (
    FAILED,
    SUCCEEDED,
    BatchOutcome,
    InvalidBatchItemFailures,
    batch_outcome,
    expired_count,
    parse_batch_item_failures,
)
from local.lambda_runtime.invoke import InvokeResult

SEQUENCES = ["100", "200", "300"]


def record(sequence: str, created: int = 0) -> dict[str, Any]:
    return {"dynamodb": {"SequenceNumber": sequence, "ApproximateCreationDateTime": created}}


RECORDS = [record(s) for s in SEQUENCES]


def failures(*identifiers: Any) -> dict[str, Any]:
    return {"batchItemFailures": [{"itemIdentifier": identifier} for identifier in identifiers]}


@pytest.mark.parametrize(
    "response", [None, {}, {"batchItemFailures": None}, {"batchItemFailures": []}, {"other": 1}]
)
def test_a_response_without_failures_is_a_complete_success(response: Any) -> None:
    assert parse_batch_item_failures(response, SEQUENCES) is None


def test_the_lowest_reported_record_is_where_retrying_starts() -> None:
    assert parse_batch_item_failures(failures("300", "200"), SEQUENCES) == 1
    assert parse_batch_item_failures(failures("100"), SEQUENCES) == 0


@pytest.mark.parametrize(
    "response",
    [
        "not an object",
        ["100"],
        {"batchItemFailures": "100"},
        {"batchItemFailures": ["100"]},
        failures("999"),
        failures(100),
        failures(None),
        {"batchItemFailures": [{"id": "100"}]},
    ],
)
def test_a_malformed_response_is_invalid(response: Any) -> None:
    with pytest.raises(InvalidBatchItemFailures):
        parse_batch_item_failures(response, SEQUENCES)


def test_a_function_error_fails_the_whole_batch_whatever_the_response() -> None:
    result = InvokeResult(payload=failures("200"), error={"errorType": "RuntimeError", "errorMessage": "x"})

    assert batch_outcome(result, RECORDS, report_item_failures=True) == FAILED
    assert batch_outcome(result, RECORDS, report_item_failures=False) == FAILED


def test_item_failures_count_only_when_the_mapping_reports_them() -> None:
    result = InvokeResult(payload=failures("200"))

    assert batch_outcome(result, RECORDS, report_item_failures=False) == SUCCEEDED
    assert batch_outcome(result, RECORDS, report_item_failures=True) == BatchOutcome(ok=False, failed_from=1)


def test_an_invalid_item_failure_response_fails_the_whole_batch() -> None:
    result = InvokeResult(payload=failures("not-in-the-batch"))

    assert batch_outcome(result, RECORDS, report_item_failures=True) == FAILED


@pytest.mark.parametrize(
    ("max_age", "now", "expected"),
    [
        (-1, 10_000, 0),  # no limit
        (60, 69, 0),  # the oldest (created at 10) is 59 s old
        (60, 75, 1),
        (60, 200, 3),
    ],
)
def test_records_older_than_the_maximum_age_are_counted_from_the_oldest(
    max_age: int, now: float, expected: int
) -> None:
    records = [record("1", created=10), record("2", created=20), record("3", created=70)]

    assert expired_count(records, max_age, now) == expected


def test_only_the_expired_prefix_counts() -> None:
    # An expired record after a fresh one is delivered with it: the batch stays in stream order.
    records = [record("1", created=10), record("2", created=70), record("3", created=20)]

    assert expired_count(records, 60, 100) == 1
