"""JSON text in which `Decimal` values appear as exact JSON numbers.

The standard library's encoder has no hook for writing a number from its own digits: `json.dumps` either
rejects a `Decimal` or, through `default`, turns it into a string or a float. DynamoDB numbers arrive as
`Decimal` with up to 38 significant digits, so a price of 10.99 must be written as `10.99`, never as
`10.990000000000000213` or `"10.99"`.

The writer answers HTTP requests with it and the consumer writes its log lines with it.

Output is compact (``,`` and ``:``) and ASCII (other characters as ``\\uXXXX`` escapes, as ``json.dumps``
writes them); unknown types are written as their ``str()``. orjson writes most documents, each finite
Decimal inserted as an ``orjson.Fragment`` of its own digits; the standard library's encoder writes the
others the same way as before (see `dumps`). Two differences from ``json.dumps`` remain on orjson's path:
finite floats in orjson's shortest form (``0.00001`` where ``json.dumps`` writes ``1e-05``, the same
number) and plain ``Enum`` members as their values.
"""

from __future__ import annotations

import json
import math
import re
import threading
from decimal import Decimal
from typing import Any

import orjson

_encode_scalar = json.JSONEncoder(allow_nan=False).encode


# The standard library's path lets its C encoder write the document, each finite Decimal standing in as
# a string of its digits between two private-use marks, then unquotes those strings. Whatever it cannot do
# exactly (a non-finite float, a key json.dumps refuses, a string that holds the mark itself) goes to the
# exact writer below, which handles every value but is several times slower.
_MARK = "\ue000"
_ESCAPED_MARK = "\\ue000"  # how the encoder (ASCII output) writes the mark
_OPENING = '"' + _ESCAPED_MARK
_CLOSING = _ESCAPED_MARK + '"'


class _MarkingEncoder(json.JSONEncoder):
    """The C encoder, each finite Decimal written as its marked digits; counts the Decimals it marked."""

    def __init__(self) -> None:
        super().__init__(separators=(",", ":"), allow_nan=False)
        self.marked = 0

    def default(self, o: Any) -> str:
        if isinstance(o, Decimal) and o.is_finite():
            self.marked += 1
            return f"{_MARK}{o}{_MARK}"
        return str(o)  # NaN and infinite Decimals too: written as strings, as the exact writer does


# One encoder per thread, built once: building one per call costs about a fifth of encoding a log line.
_encoders = threading.local()


def dumps(value: Any) -> str:
    """Serialize `value` compactly; Decimals as exact numbers, unknown types as their `str()`."""
    try:
        data = orjson.dumps(value, default=_orjson_default, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: a type left to the standard library, an int beyond 64 bits,
        return _stdlib_dumps(value)  # a key that is not a str, a lone surrogate
    # orjson writes NaN and infinite floats as null, where this module writes strings: a document holding
    # null (rare in log lines and responses) is written again by the standard library, which tells them apart.
    if b"null" in data:
        return _stdlib_dumps(value)
    return _ascii(data)


def dumps_plain(value: Any) -> str | None:
    """`value` as `dumps` writes it, when it holds only str, int, bool, None, dict, list and orjson.Fragment.

    No default function and no check for null: without floats there is nothing orjson writes as null but
    None, and nothing the standard library would write otherwise (each Fragment must be valid JSON, as
    ``consumer.changes`` makes sure of). None when orjson cannot write `value` (another type, a subclass, an
    int beyond 64 bits, a lone surrogate): then `dumps` is the one to write it.
    """
    try:
        data = orjson.dumps(value, option=orjson.OPT_PASSTHROUGH_SUBCLASS)
    except TypeError:
        return None
    return _ascii(data)


def _ascii(data: bytes) -> str:
    text = data.decode()
    if data.isascii() and "\x7f" not in text:
        return text
    return _NOT_ASCII.sub(_escape, text)


# Subclasses (IntEnum, StrEnum, ...), datetimes and dataclasses go to `_orjson_default`, which leaves them to
# the standard library path, where they are written as before.
_ORJSON_OPTIONS = (
    orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


_Fragment = orjson.Fragment  # looked up once: the default function runs for every number


class _LeftToStdlib(TypeError):
    pass


def _orjson_default(value: Any) -> Any:
    if type(value) is Decimal:
        text = str(value)
        # str() of a finite Decimal is JSON number syntax ("10.99", "-0", "1.5E+40") and ends in a digit; the
        # others ("NaN", "sNaN", "-Infinity") end in a letter and are written as strings. (A comparison, not a
        # call to is_finite(): this runs for every number of every log line.)
        return _Fragment(text) if text[-1] <= "9" else text
    raise _LeftToStdlib


# orjson escapes characters below U+0020 as json.dumps does, and writes those from U+007F up as themselves:
# each of these becomes the escape json.dumps writes, a surrogate pair beyond U+FFFF. (A negated class: the
# range [\x7f-\U0010ffff] means the same but takes about 10 ms to compile, at every cold start.)
_NOT_ASCII = re.compile("[^\x00-\x7e]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}"


def _stdlib_dumps(value: Any) -> str:
    encoder: _MarkingEncoder | None = getattr(_encoders, "encoder", None)
    if encoder is None:
        encoder = _encoders.encoder = _MarkingEncoder()
    encoder.marked = 0
    try:
        text = encoder.encode(value)
    except (TypeError, ValueError):
        return _exact(value)
    marked = encoder.marked
    if not marked:
        return text
    if text.count(_ESCAPED_MARK) != 2 * marked:
        return _exact(value)
    # Every mark in the text is one of ours (counted above): each opens right after a quote and closes right
    # before one, so dropping `"<mark>` and `<mark>"` leaves the digits bare.
    return text.replace(_OPENING, "").replace(_CLOSING, "")


def _exact(value: Any) -> str:
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, str) or value is None or isinstance(value, bool | int):
        out.append(_encode_scalar(value))
    elif isinstance(value, Decimal):
        out.append(_decimal(value))
    elif isinstance(value, float):
        # NaN and infinities are not JSON; writing them as strings keeps every line parseable.
        out.append(_encode_scalar(value) if math.isfinite(value) else f'"{value}"')
    elif isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(_encode_scalar(key if isinstance(key, str) else str(key)))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        out.append(_encode_scalar(str(value)))


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        return f'"{value}"'
    # str() of a finite Decimal is always valid JSON number syntax (e.g. "10.99", "-0", "1.5E+40").
    return str(value)
