"""The default per-record log line, written without a log record per line.

``Logger.info`` costs about as much per call as parsing and re-serializing the stream record itself (the level
check, a ``LogRecord``, the caller's frame, Powertools' formatter collecting its keys); at one line per record
that would put the consumer at several times the cost of a bare ``json.loads`` / ``json.dumps`` of the batch.
So the line is built from parts the Logger's own formatter renders once per invocation: everything before and
after the record's fields (level, location, message, service, cold start, function, request and trace ids).
Each line then costs its timestamp, formatted by that same formatter, and its fields' JSON.

Timestamps have millisecond precision: with Powertools' default time format, lines written in the same
millisecond share the text of the first one's timestamp instead of formatting it again.

The text is the one ``logger.info("stream record", extra=fields)`` writes (same keys, same order, same
formats), on the Logger's handler. Whenever the Logger is set up in a way this cannot reproduce (another
handler or formatter, the parts not found in the rendered line), lines go through ``logger.info`` instead;
with INFO disabled, no line is written, as with ``logger.info``.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from shared import fast_json

MESSAGE = "stream record"
_clock = time.time  # the time of each line (a test sets readings of its own)
# An extra key rendered in place of the record's fields; only its position in the line matters.
_FIELDS_KEY = "\ue000fields"
_FIELDS_VALUE = "\ue000"


class _Parts:
    """A rendered line split around its timestamp and its fields."""

    def __init__(
        self,
        head: str,
        middle: str,
        tail: str,
        record: logging.LogRecord,
        formatter: LambdaPowertoolsFormatter,
    ) -> None:
        self.head, self.middle, self.tail = head, middle, tail
        self.record = record  # reused for every timestamp: formatTime reads only `created` and `msecs`
        # The default format (time.strftime of the whole seconds, then "%03d" of `msecs`) depends on nothing
        # else, so one millisecond's text serves all its lines; ISO 8601 and datetime formats are left alone.
        self.reuse_timestamps = not formatter.use_rfc3339_iso8601 and not (
            formatter.use_datetime_directive and formatter.datefmt
        )
        self.millisecond = -1
        self.timestamp = ""

    def timestamp_at(self, formatter: LambdaPowertoolsFormatter, now: float) -> str:
        seconds = int(now)
        msecs = (now - seconds) * 1000
        millisecond = seconds * 1000 + int(msecs)
        if millisecond != self.millisecond or not self.reuse_timestamps:
            self.record.created = now
            self.record.msecs = msecs
            self.timestamp = _json_string(formatter, formatter.formatTime(self.record))
            self.millisecond = millisecond
        return self.timestamp


class RecordLines:
    """Writes `MESSAGE` lines as ``logger.info(MESSAGE, extra=fields)`` would, from `function` at `lineno`."""

    def __init__(self, logger: Logger, function: str, lineno: int) -> None:
        self._logger = logger
        self._std_logger = logging.getLogger(logger.name)  # the level check, without Powertools' proxying
        self._function = function
        self._lineno = lineno
        self._parts: _Parts | None = None
        self._rendered_for: tuple[Any, ...] | None = None

    def write(self, fields: dict[str, Any]) -> None:
        handler = self._logger.registered_handler
        formatter = handler.formatter
        parts = self._current_parts(handler, formatter)
        if parts is None or not isinstance(formatter, LambdaPowertoolsFormatter):
            self._logger.info(MESSAGE, extra=fields, stacklevel=3)  # location: the caller of write()
            return
        timestamp = parts.timestamp_at(formatter, _clock())
        # The formatter leaves out top-level keys whose value is None; so must the spliced fields.
        body = formatter.serialize({k: v for k, v in fields.items() if v is not None})
        if len(body) <= 2:
            self._logger.info(MESSAGE, extra=fields, stacklevel=3)
            return
        line = f"{parts.head}{timestamp}{parts.middle}{body[1:-1]}{parts.tail}\n"
        handler.stream.write(line)  # type: ignore[attr-defined]
        handler.flush()

    def write_plain(self, fields: dict[str, Any]) -> bool:
        """Write `fields` (no None at the top level; numbers as orjson.Fragment) when the Logger writes lines
        with ``shared.fast_json.dumps``: their JSON is then what it writes for the same fields with Decimals.

        False, and nothing written, otherwise (another serializer, a Logger set up as `write` cannot
        reproduce, fields only ``fast_json.dumps`` writes as they are): then the caller gives `write` the
        Decimal view.
        """
        handler = self._logger.registered_handler
        formatter = handler.formatter
        parts = self._current_parts(handler, formatter)
        if parts is None or not isinstance(formatter, LambdaPowertoolsFormatter):
            return False
        if formatter.json_serializer is not fast_json.dumps:
            return False
        body = fast_json.dumps_plain(fields)
        if body is None or len(body) <= 2:
            return False
        timestamp = parts.timestamp_at(formatter, _clock())
        handler.stream.write(f"{parts.head}{timestamp}{parts.middle}{body[1:-1]}{parts.tail}\n")  # type: ignore[attr-defined]
        handler.flush()
        return True

    def _current_parts(self, handler: logging.Handler, formatter: Any) -> _Parts | None:
        if (
            not self._std_logger.isEnabledFor(logging.INFO)
            or type(formatter) is not LambdaPowertoolsFormatter
        ):
            return None
        # What the envelope depends on: inject_lambda_context sets new keys (request id, cold start) for each
        # invocation, and Lambda a new trace id. (log_format holds the keys get_current_keys() returns.)
        keys = formatter.log_format
        fingerprint = (
            id(handler),
            id(formatter),
            len(keys),
            keys.get("function_request_id"),
            keys.get("cold_start"),
            os.environ.get("_X_AMZN_TRACE_ID"),
        )
        if fingerprint != self._rendered_for:
            self._parts = self._render()
            self._rendered_for = fingerprint
        return self._parts

    def _render(self) -> _Parts | None:
        handler = self._logger.registered_handler
        formatter = handler.formatter
        if type(handler) is not logging.StreamHandler or type(formatter) is not LambdaPowertoolsFormatter:
            return None
        record = logging.LogRecord(
            self._logger.name, logging.INFO, __file__, self._lineno, MESSAGE, None, None, self._function
        )
        setattr(record, _FIELDS_KEY, _FIELDS_VALUE)
        text = formatter.format(record)
        timestamp = formatter.serialize(formatter.formatTime(record))  # type: ignore[arg-type]
        fields = formatter.serialize({_FIELDS_KEY: _FIELDS_VALUE})[1:-1]
        found = text.count(timestamp) == 1 and text.count(fields) == 1
        if not found or text.index(timestamp) > text.index(fields):
            return None
        head, rest = text.split(timestamp)
        middle, tail = rest.split(fields)
        return _Parts(head, middle, tail, record, formatter)


def _json_string(formatter: LambdaPowertoolsFormatter, text: str) -> str:
    """`text` as a JSON string: quoted as it is when nothing in it needs escaping, as timestamps never do."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return formatter.serialize(text)  # type: ignore[arg-type]
