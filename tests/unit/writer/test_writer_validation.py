"""Request checks of the writer, on their own."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest
from writer import validation
from writer.validation import RequestRejected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.99", "10.99"),
        ("10.990", "10.99"),
        ("1E+2", "100"),
        ("0.0001", "0.0001"),
        ("-0", "0"),
        ("0E-30", "0"),
        ("999999999.9999", "999999999.9999"),
    ],
)
def test_prices_are_kept_exact_in_canonical_form(text, expected):
    body = f'{{"name": "n", "price": {text}, "category": "c"}}'.encode()

    price = validation.parse_product(body).price

    assert isinstance(price, Decimal)
    assert str(price) == expected


def test_a_price_with_more_digits_than_the_decimal_context_is_not_rounded_into_validity():
    # 123456789.00000000000000000000000001 has 35 significant digits; rounding it to the default context's 28
    # would make it look like 123456789 and pass the decimal-places check.
    body = b'{"name": "n", "price": 123456789.00000000000000000000000001, "category": "c"}'

    with pytest.raises(RequestRejected) as raised:
        validation.parse_product(body)

    assert raised.value.status == 400
    assert set(raised.value.errors) == {"price"}


def test_integer_prices_are_accepted():
    body = b'{"name": "n", "price": 42, "category": "c"}'

    assert validation.parse_product(body).price == Decimal(42)


def test_fields_are_kept_as_sent():
    body = '{"name": " Café ☕ ", "price": 1, "category": "Küche"}'.encode()

    fields = validation.parse_product(body)

    assert (fields.name, fields.category) == (" Café ☕ ", "Küche")


@pytest.mark.parametrize(
    ("header", "expected"), [(None, None), ("*", None), ('"7"', 7), ("7", 7), (' "12" ', 12), ('"0"', 0)]
)
def test_if_match_names_a_version(header, expected):
    assert validation.parse_if_match(header) == expected


@pytest.mark.parametrize("header", ["", '""', 'W/"1"', "abc", "1,2", "²", "1" * 19])
def test_a_malformed_if_match_is_rejected(header):
    with pytest.raises(RequestRejected) as raised:
        validation.parse_if_match(header)

    assert raised.value.status == 400
    assert set(raised.value.errors) == {"If-Match"}


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json;charset=UTF-8", " APPLICATION/JSON ", "application/problem+json"],
)
def test_json_content_types_pass(content_type):
    validation.check_content_type(content_type)


@pytest.mark.parametrize(
    "content_type", [None, "", "text/json", "json", "application/json-seq", "text/plain"]
)
def test_other_content_types_are_415(content_type):
    with pytest.raises(RequestRejected) as raised:
        validation.check_content_type(content_type)

    assert raised.value.status == 415


def test_body_size_is_measured_in_bytes_not_characters():
    # 4097 two-byte characters: under 8192 characters, over 8192 bytes.
    with pytest.raises(RequestRejected) as raised:
        validation.read_body("é" * 4097, is_base64_encoded=False)

    assert raised.value.status == 413


def test_an_invalid_base64_body_is_400():
    with pytest.raises(RequestRejected) as raised:
        validation.read_body("not base64!", is_base64_encoded=True)

    assert (raised.value.status, set(raised.value.errors)) == (400, {"body"})


def test_a_base64_body_is_decoded():
    encoded = base64.b64encode(b'{"a": 1}').decode()

    assert validation.read_body(encoded, is_base64_encoded=True) == b'{"a": 1}'


def test_a_missing_body_reads_as_empty_and_is_then_rejected():
    raw = validation.read_body(None, is_base64_encoded=False)

    with pytest.raises(RequestRejected) as raised:
        validation.parse_product(raw)

    assert (raised.value.status, set(raised.value.errors)) == (400, {"body"})
