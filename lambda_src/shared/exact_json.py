"""JSON text in which `Decimal` values appear as exact JSON numbers.

The standard library's encoder has no hook for writing a number from its own digits: `json.dumps` either
rejects a `Decimal` or, through `default`, turns it into a string or a float. DynamoDB numbers arrive as
`Decimal` with up to 38 significant digits, so a price of 10.99 must be written as `10.99`, never as
`10.990000000000000213` or `"10.99"`.

The writer answers HTTP requests with it and the consumer writes its log lines with it.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

_encode_scalar = json.JSONEncoder(allow_nan=False).encode


def dumps(value: Any) -> str:
    """Serialize `value` compactly; Decimals as exact numbers, unknown types as their `str()`."""
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
