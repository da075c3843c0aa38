"""JSON text in which `Decimal` values appear as exact JSON numbers.

The standard library's encoder has no hook for writing a number from its own digits: `json.dumps` either
rejects a `Decimal` or, through `default`, turns it into a string or a float. DynamoDB numbers arrive as
`Decimal` with up to 38 significant digits, so a price of 10.99 must be written as `10.99`, never as
`10.990000000000000213` or `"10.99"`.

Output is compact (``,`` and ``:``) and ASCII (other characters as ``\\uXXXX`` escapes, as ``json.dumps``
writes them); unknown types are written as their ``str()``, non-finite numbers as strings.

The writer answers HTTP requests with it, on the standard library alone. The consumer writes its log lines
with ``shared.fast_json``, the same text from orjson, which is faster per line but adds orjson to the import.
"""

from __future__ import annotations

import json
import math
import threading
from decimal import Decimal
from typing import Any

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
