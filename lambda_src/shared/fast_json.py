"""``shared.exact_json.dumps``'s text, written by orjson where it can be: the consumer's log lines.

orjson writes most documents, each finite Decimal inserted as an ``orjson.Fragment`` of its own digits;
``exact_json.dumps`` (the standard library) writes the others. Two differences from ``exact_json.dumps``
remain on orjson's path: finite floats in orjson's shortest form (``0.00001`` where ``json.dumps`` writes
``1e-05``, the same number) and plain ``Enum`` members as their values.

A module of its own so that only the consumer imports orjson: the writer, whose responses are small, leaves it
out of its cold start.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import orjson

from shared import exact_json


def dumps(value: Any) -> str:
    """Serialize `value` compactly; Decimals as exact numbers, unknown types as their `str()`."""
    try:
        data = orjson.dumps(value, default=_orjson_default, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: a type left to the standard library, an int beyond 64 bits,
        return exact_json.dumps(value)  # a key that is not a str, a lone surrogate
    # orjson writes NaN and infinite floats as null, where exact_json writes strings: a document holding null
    # (rare in log lines) is written again by exact_json, which tells them apart.
    if b"null" in data:
        return exact_json.dumps(value)
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
