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
from collections.abc import Mapping
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
    return {name: to_plain(value) for name, value in item.items()}


def to_plain(value: Mapping[str, Any]) -> Any:
    """One DynamoDB JSON value as plain data."""
    if not isinstance(value, Mapping) or len(value) != 1:
        raise UnsupportedValue(f"not a DynamoDB JSON value: {value!r}")
    [(kind, data)] = value.items()
    match kind:
        case "S" | "BOOL":
            return data
        case "N":
            return _number(data)
        case "NULL":
            return None
        case "B":
            return _binary(data)
        case "M":
            return to_plain_item(data)
        case "L":
            return [to_plain(element) for element in data]
        case "SS":
            return sorted(data)
        case "NS":
            return sorted(_number(element) for element in data)
        case "BS":
            return sorted((_binary(element) for element in data), key=base64.b64decode)
    raise UnsupportedValue(f"unknown DynamoDB type {kind!r}")


def _number(text: str) -> Decimal:
    try:
        number = Decimal(text)
    except (InvalidOperation, TypeError):
        raise UnsupportedValue(f"not a DynamoDB number: {text!r}") from None
    if not number.is_finite():
        raise UnsupportedValue(f"not a DynamoDB number: {text!r}")
    return number


def _binary(data: str | bytes) -> str:
    # Lambda delivers binary as base64 text; raw bytes (as boto3 would give them) are encoded the same way.
    if isinstance(data, bytes | bytearray):
        return base64.b64encode(data).decode("ascii")
    return data
