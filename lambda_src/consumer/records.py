"""The per-record work of the consumer, and the seam to replace it.

By default each stream record is written as one structured log line (``log_change``): message
``"stream record"`` with the top-level keys ``eventName``, ``eventID``, ``keys``, ``sequenceNumber``,
``approximateCreationDateTime`` and, when the stream view type carries them, ``newImage`` / ``oldImage``, as
plain JSON with exact numbers (see ``consumer.changes``). With ``LOG_MODE=changes``
(``log_changed_attributes``) a MODIFY's line carries ``changes`` instead of the two images: only the
attributes that changed, old and new.

To run your own code instead, set ``RECORD_HANDLER`` to ``"package.module:function"``. The function is
imported once, when the execution environment starts, and called with each record as Powertools'
``DynamoDBRecord`` (``record.raw_event`` is the record's dict; ``consumer.changes.describe(record.raw_event)``
gives the plain-JSON view used in the default log line). Return normally when the record is done; raise to
report it in ``batchItemFailures``, so that Lambda retries from that record on. A value that cannot be
imported stops the function at start-up with a message naming ``RECORD_HANDLER``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger

from consumer.changes import describe, describe_changes, line_fields
from consumer.lines import RecordLines

RecordHandler = Callable[[Any], Any]

logger = Logger(child=True)


def log_change(record: Any) -> None:
    """The default per-record function: one ``stream record`` log line."""
    raw = record.raw_event
    # Numbers straight from their text (see consumer.changes.line_fields); the Decimal view when that is
    # not the way to write this record's line.
    fields = line_fields(raw)
    if fields is None or not _lines.write_plain(fields):
        _lines.write(describe(raw))


def log_changed_attributes(record: Any) -> None:
    """The ``changes`` log mode: one ``stream record`` line, a MODIFY's changed attributes for its images."""
    _changes_lines.write(describe_changes(record.raw_event))


# Write what logger.info("stream record", extra=...) would, at a fraction of its cost (see consumer.lines).
_lines = RecordLines(logger, log_change.__name__, log_change.__code__.co_firstlineno)
_changes_lines = RecordLines(
    logger, log_changed_attributes.__name__, log_changed_attributes.__code__.co_firstlineno
)

# LOG_MODE -> the built-in per-record function.
LOG_MODES: dict[str, RecordHandler] = {"full": log_change, "changes": log_changed_attributes}


class RecordHandlerConfigError(RuntimeError):
    """RECORD_HANDLER does not name an importable function."""


def load_record_handler(spec: str | None, log_mode: str | None = None) -> RecordHandler:
    """The function named by ``"module:function"``; when ``spec`` is unset or empty, the built-in one of
    ``log_mode`` (``full`` when unset or empty)."""
    if spec is None or not spec.strip():
        mode = (log_mode or "").strip() or "full"
        if mode not in LOG_MODES:
            raise RecordHandlerConfigError(f"LOG_MODE={log_mode!r} must be one of: {', '.join(LOG_MODES)}")
        return LOG_MODES[mode]
    module_name, colon, function_name = spec.strip().partition(":")
    if not colon or not module_name or not function_name:
        raise RecordHandlerConfigError(
            f"RECORD_HANDLER={spec!r} must have the form 'package.module:function'"
        )
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        raise RecordHandlerConfigError(
            f"RECORD_HANDLER={spec!r}: cannot import module {module_name!r}: {error}"
        ) from error
    function = getattr(module, function_name, None)
    if function is None:
        raise RecordHandlerConfigError(f"RECORD_HANDLER={spec!r}: {module_name!r} has no {function_name!r}")
    if not callable(function):
        raise RecordHandlerConfigError(f"RECORD_HANDLER={spec!r}: {function_name!r} is not callable")
    return function
