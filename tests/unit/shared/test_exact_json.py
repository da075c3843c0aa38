"""shared.exact_json and shared.fast_json: Decimals out as exact JSON numbers, every other value as compact
JSON; both write the same text for every value here."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from shared import exact_json, fast_json

# Every test here holds for both writers.
both = pytest.mark.parametrize("dumps", [exact_json.dumps, fast_json.dumps], ids=["exact_json", "fast_json"])


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("10.99"), "10.99"),
        (Decimal("12345678901234567890123456789012345678"), "12345678901234567890123456789012345678"),
        (
            Decimal("9.9999999999999999999999999999999999999E+125"),
            "9.9999999999999999999999999999999999999E+125",
        ),
        (Decimal("1E-130"), "1E-130"),
        (Decimal("-0"), "-0"),
        (Decimal("NaN"), '"NaN"'),
        (Decimal("-Infinity"), '"-Infinity"'),
        (float("inf"), '"inf"'),
        (0.5, "0.5"),
        (10**40, "1" + "0" * 40),
        (True, "true"),
        (None, "null"),
        ("é\n", '"\\u00e9\\n"'),
        ({"a": [1, Decimal("2.50")], 3: {}}, '{"a":[1,2.50],"3":{}}'),
        ((Decimal(1),), "[1]"),
    ],
)
@both
def test_dumps_writes_exact_compact_json(dumps, value, text):
    assert dumps(value) == text


@both
def test_unknown_types_are_written_as_their_text(dumps):
    assert dumps({"when": Path("/tmp")}) == '{"when":"/tmp"}'


decimals = st.decimals(allow_nan=False, allow_infinity=False)
documents = st.recursive(
    decimals | st.integers() | st.text() | st.booleans() | st.none(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@both
@given(document=documents)
def test_dumps_round_trips_exactly_through_a_decimal_json_parser(dumps, document):
    text = dumps(document)

    assert json.loads(text, parse_float=Decimal) == document


@both
@given(number=decimals)
def test_every_finite_decimal_keeps_its_digits(dumps, number):
    parsed = json.loads(dumps(number), parse_float=Decimal)

    assert Decimal(parsed).as_tuple() == number.as_tuple() or (number == parsed and number.is_zero())
