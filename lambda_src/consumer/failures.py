"""An ERROR line for every stream record whose per-record function raised.

Powertools' ``BatchProcessor`` reports such a record in ``batchItemFailures`` and logs it only at debug
level, so without this the log would show nothing of a failure. ``FailureLoggingProcessor`` overrides its
``failure_handler`` (the hook Powertools documents for extending failure handling) to write, through the
consumer's Logger, one line per failed record:

- ``message``: ``"stream record failed"``, ``level``: ``"ERROR"``;
- ``eventName``, ``eventID``, ``sequenceNumber`` and ``keys`` as in the ``stream record`` line (``keys`` as
  plain JSON; as the event carries them, in DynamoDB JSON, when they are what could not be converted);
- ``exception_name`` and ``exception_message``: the exception's type and text;
- ``exception`` (the formatted traceback) and ``stack_trace`` (its frames), from the Powertools Logger.

A batch in which every record fails gets every one of these lines before ``BatchProcessor`` raises
``BatchProcessingError``. Only failures pay for it: records that succeed go through the processor unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, ExceptionInfo
from aws_lambda_powertools.utilities.batch.base import FailureResponse

from consumer.changes import to_plain_item

MESSAGE = "stream record failed"


class FailureLoggingProcessor(BatchProcessor):
    """A DynamoDB Streams ``BatchProcessor`` that logs each failed record at ERROR on ``failure_logger``."""

    def __init__(self, failure_logger: Logger) -> None:
        super().__init__(event_type=EventType.DynamoDBStreams)
        self.failure_logger = failure_logger

    def failure_handler(self, record: Any, exception: ExceptionInfo) -> FailureResponse:
        # The record is Powertools' DynamoDBRecord; its raw_event is the record as the event carried it.
        raw = getattr(record, "raw_event", None)
        self.failure_logger.error(
            MESSAGE,
            exc_info=exception[1],
            extra={
                **failure_fields(raw if isinstance(raw, Mapping) else {}),
                "exception_message": str(exception[1]),
            },
        )
        return super().failure_handler(record, exception)


def failure_fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    """What identifies a stream record in its failure line, from whatever parts of it are usable."""
    stream = raw.get("dynamodb")
    stream = stream if isinstance(stream, Mapping) else {}
    keys = stream.get("Keys")
    try:
        plain_keys = to_plain_item(keys) if isinstance(keys, Mapping) else keys
    except Exception:
        # Unconvertible keys may be why the record failed; the line must still be written, so as they came.
        plain_keys = keys
    return {
        "eventName": raw.get("eventName"),
        "eventID": raw.get("eventID"),
        "sequenceNumber": stream.get("SequenceNumber"),
        "keys": plain_keys,
    }
