"""Stream records as plain JSON data.

DynamoDB JSON (``{"N": "10.99"}``, ``{"M": {...}}``, ...) becomes ordinary values:

- ``S`` -> str, ``BOOL`` -> bool, ``NULL`` -> None, ``M`` -> dict, ``L`` -> list;
- ``N`` -> ``Decimal`` built from the digits DynamoDB sent, so no number is rounded, including 38-digit ones
  and those beyond a float's range (``shared.exact_json`` writes them back out digit for digit);
- ``B`` -> the base64 text the event carries;
- ``SS`` / ``NS`` / ``BS`` -> lists sorted by value (strings by code point, numbers numerically, binary by its
  bytes), since JSON has no sets and a stable order makes log lines comparable.

``describe`` gives the fields of a record's log line; ``line_fields`` the same fields for the default line
with each number as an ``orjson.Fragment`` of the text ``str(Decimal(...))`` writes, which
``shared.fast_json.dumps_plain`` splices in as it is; ``describe_changes`` those of the ``changes`` log
mode (a MODIFY's changed attributes instead of its two images).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson


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


def describe_changes(record: Mapping[str, Any]) -> dict[str, Any]:
    """`describe`'s fields with, for a MODIFY that carries both images, ``changes`` in their place: each
    attribute whose value differs, as ``{"old": ..., "new": ...}`` (only ``new`` for an added attribute, only
    ``old`` for a removed one). Other records are described in full: an INSERT's new image and a REMOVE's old
    image are all change, and a MODIFY with one image (NEW_IMAGE, OLD_IMAGE) has nothing to compare."""
    stream = record["dynamodb"]
    old, new = stream.get("OldImage"), stream.get("NewImage")
    if record["eventName"] != "MODIFY" or old is None or new is None:
        return describe(record)
    without_images = {key: value for key, value in stream.items() if key not in ("OldImage", "NewImage")}
    fields = describe({**record, "dynamodb": without_images})
    fields["changes"] = changed_attributes(old, new)
    return fields


def changed_attributes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The attributes whose values differ between two images (DynamoDB JSON), in the new image's order, then
    the removed ones; values as plain data. Sets compare in any order, numbers by value, and a value of
    another type (``{"N": "1"}`` and ``{"BOOL": true}``) is a change."""
    changed: dict[str, dict[str, Any]] = {}
    for name in [*new, *(name for name in old if name not in new)]:
        before, after = old.get(name), new.get(name)
        if before is not None and after is not None and _comparable(before) == _comparable(after):
            continue
        change = {}
        if before is not None:
            change["old"] = to_plain(before)
        if after is not None:
            change["new"] = to_plain(after)
        changed[name] = change
    return changed


def _comparable(value: Mapping[str, Any]) -> tuple[str, Any]:
    """A value with its DynamoDB type kept at every level, so that equal means the same value and type."""
    plain = to_plain(value)  # raises UnsupportedValue for what is not DynamoDB JSON
    ((kind, data),) = value.items()
    if kind == "M":
        return kind, {name: _comparable(element) for name, element in data.items()}
    if kind == "L":
        return kind, [_comparable(element) for element in data]
    return kind, plain


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


# The default log line's view of a record: `describe`'s fields, each number an orjson.Fragment of the text
# str(Decimal(N)) has. Building a Decimal and having orjson call back for it cost about 1 µs per number; so
# does a regular expression per text. So each N text is wrapped as it is and set aside, and one match over all
# of a record's texts, joined by newlines, checks them at once; when one is not plain, the record is converted
# again checking each text, and those that are not plain go through Decimal.

# N texts that are already what str(Decimal(text)) writes: no exponent, sign, leading zero or lone point,
# and (below 1) at most 5 zeros after the point before a digit that is not 0, or at most 6 zeros in all;
# further down, Decimal writes an exponent ("1E-7", "0E-7"). Every match is a JSON number.
_PLAIN = r"-?(?:[1-9][0-9]*(?:\.[0-9]+)?|0(?:\.(?:0{0,5}[1-9][0-9]*|0{1,6}))?)"
_PLAIN_NUMBER = re.compile(_PLAIN).fullmatch
_PLAIN_NUMBERS = re.compile(f"{_PLAIN}(?:\n{_PLAIN})*").fullmatch
_Fragment = orjson.Fragment
# The values orjson writes as the standard library does (no floats: their text differs, and NaN is null).
_PLAIN_SCALARS = frozenset({str, int, bool, type(None)})


class _Irregular(Exception):
    """A record `line_fields` leaves to `describe`: a value of another type, or one it would reject."""


def line_fields(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """`describe`'s fields but those that are None, numbers as orjson.Fragment; None when out of the ordinary.

    None for anything `describe` would reject or whose JSON only ``shared.fast_json.dumps`` writes as it is
    (a float, a mapping that is not a dict...): `describe` then gives the fields, or the error.
    """
    try:
        texts: list[str] = []
        fields = _line_fields(record, texts)
        if texts:
            # A text holding a newline would pass for two numbers: hence the count.
            joined = "\n".join(texts)  # TypeError for a text that is not a str
            if joined.count("\n") != len(texts) - 1 or not _PLAIN_NUMBERS(joined):
                fields = _line_fields(record, None)
    except Exception:  # describe() raises it again, or the error it raises first for this record
        return None
    for name in ("eventName", "eventID", "sequenceNumber", "approximateCreationDateTime"):
        value = fields[name]
        if value is None:
            del fields[name]  # as the Logger's formatter leaves out top-level keys whose value is None
        elif type(value) not in _PLAIN_SCALARS:
            return None
    return fields


# `texts`, in the functions below: a list collecting each N text wrapped unchecked, or None to check each one.


def _line_fields(record: Mapping[str, Any], texts: list[str] | None) -> dict[str, Any]:
    stream = record["dynamodb"]
    fields = {
        "eventName": record["eventName"],
        "eventID": record["eventID"],
        "keys": _line_item(stream["Keys"], texts),
        "sequenceNumber": stream["SequenceNumber"],
        "approximateCreationDateTime": stream.get("ApproximateCreationDateTime"),
    }
    if "NewImage" in stream:
        fields["newImage"] = _line_item(stream["NewImage"], texts)
    if "OldImage" in stream:
        fields["oldImage"] = _line_item(stream["OldImage"], texts)
    return fields


def _line_number(text: Any, texts: list[str] | None) -> orjson.Fragment:
    if texts is not None:
        texts.append(text)
        return _Fragment(text)
    if type(text) is str and _PLAIN_NUMBER(text):
        return _Fragment(text)
    # An exponent, a leading zero or plus: written as str(Decimal) writes it, or rejected as describe() does.
    return _Fragment(str(_number(text)))


def _line_item(item: Any, texts: list[str] | None) -> dict[str, Any]:
    if type(item) is not dict:
        raise _Irregular
    plain: dict[str, Any] = {}
    for name, value in item.items():
        if type(value) is dict and len(value) == 1:
            text = value.get("S")
            if type(text) is str:
                plain[name] = text
                continue
            text = value.get("N")
            if text is not None:
                plain[name] = _line_number(text, texts)
                continue
        plain[name] = _line_value(value, texts)
    return plain


def _line_list(data: Any, texts: list[str] | None) -> list[Any]:
    if type(data) is not list:
        raise _Irregular
    if texts is not None:
        # A list of numbers only (readings, amounts): one comprehension, as in _numbers_only.
        try:
            numbers = [value["N"] for value in data if type(value) is dict and len(value) == 1]
        except KeyError:
            numbers = []
        if numbers and len(numbers) == len(data):
            texts.extend(numbers)
            return list(map(_Fragment, numbers))
    plain: list[Any] = []
    append = plain.append
    for value in data:
        if type(value) is dict and len(value) == 1:
            text = value.get("S")
            if type(text) is str:
                append(text)
                continue
            text = value.get("N")
            if text is not None:
                append(_line_number(text, texts))
                continue
        append(_line_value(value, texts))
    return plain


def _line_value(value: Any, texts: list[str] | None) -> Any:
    if type(value) is not dict or len(value) != 1:
        raise _Irregular
    ((kind, data),) = value.items()
    if kind == "M":
        return _line_item(data, texts)
    if kind == "L":
        return _line_list(data, texts)
    if kind == "N":
        return _line_number(data, texts)
    convert = _CONVERTERS.get(kind)
    if convert is None:
        raise _Irregular
    return _line_plain(convert(data))


def _line_plain(value: Any) -> Any:
    """A converted scalar or set as the line writes it: Decimals as Fragments; floats and the like refused."""
    if type(value) is list:
        return [_line_plain(element) for element in value]
    if type(value) is Decimal:
        return _Fragment(str(value))  # finite: _number and _number_set reject the others
    if type(value) not in _PLAIN_SCALARS:
        raise _Irregular
    return value
