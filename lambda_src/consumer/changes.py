"""Stream records as plain JSON data.

DynamoDB JSON (``{"N": "10.99"}``, ``{"M": {...}}``, ...) becomes ordinary values:

- ``S`` -> str, ``BOOL`` -> bool, ``NULL`` -> None, ``M`` -> dict, ``L`` -> list;
- ``N`` -> ``Decimal`` built from the digits DynamoDB sent, so no number is rounded, including 38-digit ones
  and those beyond a float's range (``shared.exact_json`` writes them back out digit for digit);
- ``B`` -> the base64 text the event carries;
- ``SS`` / ``NS`` / ``BS`` -> lists sorted by value (strings by code point, numbers numerically, binary by its
  bytes), since JSON has no sets and a stable order makes log lines comparable.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any


class UnsupportedValue(ValueError):
    """A value that is not DynamoDB JSON; the record it is in fails and is reported to the event source."""


def describe(record: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of the log line for one stream record; images only when the record carries them."""
    stream = record["dynamodb"]
    fields: dict[str, Any] = {
        "eventName": record["eventName"],
        "eventID": record["eventID"],
        "keys": to_plain_item(stream["Keys"]),
        "sequenceNumber": stream["SequenceNumber"],
        "approximateCreationDateTime": stream.get("ApproximateCreationDateTime"),
    }
    if "NewImage" in stream:
        fields["newImage"] = to_plain_item(stream["NewImage"])
    if "OldImage" in stream:
        fields["oldImage"] = to_plain_item(stream["OldImage"])
    return fields


def to_plain_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A whole item (attribute name -> DynamoDB JSON value) as plain data."""
    plain = {}
    for name, value in item.items():
        # Strings and numbers are most of an item: converted here, without a call per attribute (the same
        # steps as _CONVERTERS' for "S" and "N", written out, in _list too).
        if type(value) is dict and len(value) == 1:
            text = value.get("S")
            if text is not None:
                plain[name] = text
                continue
            text = value.get("N")
            if text is not None:
                try:
                    number = Decimal(text)
                except (InvalidOperation, TypeError, ValueError):
                    raise UnsupportedValue(f"not a DynamoDB number: {text!r}") from None
                if not number.is_finite():
                    raise UnsupportedValue(f"not a DynamoDB number: {text!r}")
                plain[name] = number
                continue
        plain[name] = to_plain(value)
    return plain


def to_plain(value: Mapping[str, Any]) -> Any:
    """One DynamoDB JSON value as plain data."""
    # `type(...) is dict` first: an abstract-class isinstance check per value costs more than converting it.
    if (type(value) is not dict and not isinstance(value, Mapping)) or len(value) != 1:
        raise UnsupportedValue(f"not a DynamoDB JSON value: {value!r}")
    (kind,) = value
    convert = _CONVERTERS.get(kind)
    if convert is None:
        raise UnsupportedValue(f"unknown DynamoDB type {kind!r}")
    return convert(value[kind])


def _as_is(data: Any) -> Any:
    return data


def _null(data: Any) -> None:
    return None


def _list(data: list[Any]) -> list[Any]:
    numbers = _numbers_only(data)
    if numbers is not None:
        return numbers
    plain = []
    for value in data:
        # Strings are common in lists (tags): the same steps as in to_plain_item.
        if type(value) is dict and len(value) == 1:
            text = value.get("S")
            if text is not None:
                plain.append(text)
                continue
        plain.append(to_plain(value))
    return plain


def _numbers_only(data: list[Any]) -> list[Decimal] | None:
    """A list of numbers only (readings, amounts) converted in one pass; None when it holds anything else.

    One comprehension and one map over the whole list instead of the per-value steps: lists of numbers are
    where an item holds most of its numbers.
    """
    try:
        numbers = [Decimal(value["N"]) for value in data if type(value) is dict and len(value) == 1]
    except (KeyError, TypeError, ValueError, InvalidOperation):
        return None  # the per-value path converts what it can and names what it cannot
    if len(numbers) != len(data) or not all(map(Decimal.is_finite, numbers)):
        return None
    return numbers


def _number_set(data: list[str]) -> list[Decimal]:
    try:
        numbers = list(map(Decimal, data))
    except (TypeError, ValueError, InvalidOperation):
        numbers = [_number(element) for element in data]  # raises, naming the value
    if not all(map(Decimal.is_finite, numbers)):
        numbers = [_number(element) for element in data]  # raises, naming the value
    return sorted(numbers)


def _binary_set(data: list[str | bytes]) -> list[str]:
    return sorted((_binary(element) for element in data), key=base64.b64decode)


def _number(text: str) -> Decimal:
    try:
        number = Decimal(text)
    except (InvalidOperation, TypeError, ValueError):
        raise UnsupportedValue(f"not a DynamoDB number: {text!r}") from None
    if not number.is_finite():
        raise UnsupportedValue(f"not a DynamoDB number: {text!r}")
    return number


def _binary(data: str | bytes) -> str:
    # Lambda delivers binary as base64 text; raw bytes (as boto3 would give them) are encoded the same way.
    if isinstance(data, bytes | bytearray):
        return base64.b64encode(data).decode("ascii")
    return data


# One function per DynamoDB type: a dictionary lookup instead of a chain of comparisons for every value.
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "S": _as_is,
    "N": _number,
    "BOOL": _as_is,
    "NULL": _null,
    "M": to_plain_item,
    "L": _list,
    "SS": sorted,
    "NS": _number_set,
    "B": _binary,
    "BS": _binary_set,
}
