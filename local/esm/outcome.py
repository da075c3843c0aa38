"""What an invocation of a stream mapping's function decided about its batch: Lambda's rules, as pure
functions.

For DynamoDB streams, as Lambda documents them:
- a function error (or timeout) fails the whole batch;
- without ReportBatchItemFailures, any other result is a success of the whole batch;
- with it, a null, empty or `{}` response, or an empty or missing `batchItemFailures`, is a complete success;
  otherwise the records before the lowest reported sequence number succeeded and the rest is retried; a
  malformed response, or an `itemIdentifier` that is not in the batch, fails the whole batch;
- a record older than MaximumRecordAgeInSeconds (-1: no limit) is not delivered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from local.esm.records import sequence_number
from local.lambda_runtime.invoke import InvokeResult


class InvalidBatchItemFailures(ValueError):
    """A batch item failure response that Lambda treats as a failure of the whole batch."""


@dataclass(frozen=True)
class BatchOutcome:
    """`ok`: every record succeeded. Otherwise `failed_from` is the index of the first record to retry (the
    lowest reported item failure), or None when the whole batch failed."""

    ok: bool
    failed_from: int | None = None


SUCCEEDED = BatchOutcome(ok=True)
FAILED = BatchOutcome(ok=False)


def parse_batch_item_failures(response: Any, sequence_numbers: Sequence[str]) -> int | None:
    """The index in `sequence_numbers` (the batch, in order) of the lowest record a ReportBatchItemFailures
    response names, or None when the response reports no failure.

    Raises InvalidBatchItemFailures for a response that is not an object, a `batchItemFailures` that is not a
    list, or an item without a string `itemIdentifier` that is one of the batch's sequence numbers."""
    if response is None:
        return None
    if not isinstance(response, dict):
        raise InvalidBatchItemFailures(f"the response is not an object: {type(response).__name__}")
    failures = response.get("batchItemFailures")
    if not failures:  # missing, null or empty: complete success
        return None
    if not isinstance(failures, list):
        raise InvalidBatchItemFailures("batchItemFailures is not a list")
    index = {sequence: position for position, sequence in enumerate(sequence_numbers)}
    failed: list[int] = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in index:
            raise InvalidBatchItemFailures(f"itemIdentifier {identifier!r} is not a record of the batch")
        failed.append(index[identifier])
    return min(failed)


def batch_outcome(
    result: InvokeResult, records: Sequence[dict[str, Any]], report_item_failures: bool
) -> BatchOutcome:
    """What the invocation that returned `result` for `records` decided (see the module doc)."""
    if result.error is not None:
        return FAILED
    if not report_item_failures:
        return SUCCEEDED
    try:
        failed_from = parse_batch_item_failures(result.payload, [sequence_number(r) for r in records])
    except InvalidBatchItemFailures:
        return FAILED
    return SUCCEEDED if failed_from is None else BatchOutcome(ok=False, failed_from=failed_from)


def expired_count(records: Sequence[dict[str, Any]], max_record_age: int, now: float) -> int:
    """How many records at the start of `records` (oldest first) are older than `max_record_age` seconds at
    `now` (epoch seconds); -1 is no limit."""
    if max_record_age < 0:
        return 0
    oldest_allowed = now - max_record_age
    count = 0
    for record in records:
        if record["dynamodb"]["ApproximateCreationDateTime"] >= oldest_allowed:
            break
        count += 1
    return count
