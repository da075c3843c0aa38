"""shared.fast_json (orjson) against shared.exact_json (the C encoder with marked Decimals), and the marked
Decimals' fallbacks."""

from __future__ import annotations

import enum
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from shared import exact_json, fast_json


class _Level(enum.IntEnum):
    INFO = 20


class _Kind(enum.StrEnum):
    ITEM = "item"


def test_a_string_holding_the_mark_is_written_as_a_string():
    # The mark the fast path puts around a Decimal's digits, inside the document's own data.
    text = exact_json.dumps({"name": "\ue00012\ue000", "price": Decimal("10.99")})

    assert text == '{"name":"\\ue00012\\ue000","price":10.99}'


def test_a_lone_mark_in_a_key_does_not_unquote_anything():
    assert exact_json.dumps({"\ue000": Decimal("1.5")}) == '{"\\ue000":1.5}'


def test_non_finite_floats_and_decimals_stay_strings_beside_exact_numbers():
    value = {"a": float("nan"), "b": Decimal("Infinity"), "c": Decimal("1E+400")}

    assert exact_json.dumps(value) == '{"a":"nan","b":"Infinity","c":1E+400}'


def test_decimal_keys_are_written_as_their_text():
    assert exact_json.dumps({Decimal("1.50"): [Decimal("2")]}) == '{"1.50":[2]}'


# ---- fast_json: the same text as exact_json, byte for byte ----------------------------

finite_decimals = st.decimals(allow_nan=False, allow_infinity=False)
any_text = st.text(
    st.characters(codec="utf-8")
)  # every code point but lone surrogates: astral, U+007F, controls
documents = st.recursive(
    finite_decimals
    | st.decimals()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | any_text
    | st.booleans()
    | st.none(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(any_text.map(lambda key: key[:5]), children, max_size=4)
    ),
    max_leaves=25,
)


@given(documents)
def test_fast_json_writes_what_exact_json_writes(document):
    assert fast_json.dumps(document) == exact_json.dumps(document)


@pytest.mark.parametrize(
    "value",
    [
        {"name": "café ☕ 😀 \x7f \x00 \u2028", "price": Decimal("10.50")},
        {"big": 2**70, "small": -(2**70)},
        {"when": datetime(2026, 11, 26, 10, 0, tzinfo=UTC), "day": date(2026, 11, 26)},
        {"level": _Level.INFO, "kind": _Kind.ITEM},
        {"lone": "\ud800"},
        {"null": None, "nan": Decimal("NaN"), "inf": Decimal("-Infinity")},
    ],
    ids=[
        "not-ascii",
        "beyond-64-bits",
        "datetimes",
        "enum-subclasses",
        "lone-surrogate",
        "null-and-non-finite",
    ],
)
def test_values_orjson_writes_differently_are_written_as_before(value):
    assert fast_json.dumps(value) == exact_json.dumps(value)
    assert json.loads(fast_json.dumps(value)) is not None


def test_not_ascii_text_is_escaped_as_json_dumps_escapes_it():
    text = "café ☕ 😀 \x7f"

    assert fast_json.dumps({"t": text, "n": Decimal("1.5")}) == '{"t":' + json.dumps(text) + ',"n":1.5}'
