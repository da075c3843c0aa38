"""shared.exact_json's fast path (the C encoder, Decimals marked) and where it leaves the work to the rest."""

from __future__ import annotations

from decimal import Decimal

from shared import exact_json


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
