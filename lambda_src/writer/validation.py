"""Checks on product requests, in plain Python (the dependency layer carries no pydantic, and this keeps cold
starts short).

Limits, with the status a request gets when it breaks them:

- ``Content-Type`` of ``POST`` and ``PUT``: ``application/json`` or ``application/<anything>+json``,
  parameters such as ``charset=utf-8`` allowed -> 415 otherwise (also when the header is missing).
- Request body: at most ``MAX_BODY_BYTES`` = 8192 bytes (after base64 decoding, when API Gateway encoded it)
  -> 413 above that.
- Body: UTF-8 JSON holding one object with exactly the fields ``name``, ``price`` and ``category`` -> 400
  otherwise, with ``errors`` naming each offending field (``body`` when the body as a whole is unusable).
- ``name``: a string of 1 to ``MAX_NAME_LENGTH`` = 200 characters, not only whitespace.
- ``category``: a string of 1 to ``MAX_CATEGORY_LENGTH`` = 100 characters, not only whitespace.
- ``price``: a JSON number (not a string, not a boolean) from 0 to ``MAX_PRICE`` = 1000000000 inclusive,
  with at most ``MAX_PRICE_DECIMAL_PLACES`` = 4 digits after the decimal point; ``NaN`` and ``Infinity`` are
  rejected.
  The price is kept exactly (never a float) and in canonical form: ``10.99`` stays ``10.99``, ``1.50`` becomes
  ``1.5`` and ``1e2`` becomes ``100``, which is also how DynamoDB returns numbers.
- ``If-Match`` of ``PUT``: the product's ``version``, bare (``3``) or as an entity tag (``"3"``); ``*`` means
  "any version" -> 400 for anything else.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

MAX_BODY_BYTES = 8192
MAX_NAME_LENGTH = 200
MAX_CATEGORY_LENGTH = 100
MAX_PRICE = Decimal(1_000_000_000)
MAX_PRICE_DECIMAL_PLACES = 4

FIELDS = ("name", "price", "category")


class RequestRejected(Exception):
    """A client error: the HTTP status, a message, and per-field reasons (field name -> reason)."""

    def __init__(self, status: int, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or {}


@dataclass(frozen=True)
class ProductFields:
    """The client-writable fields of a product, validated."""

    name: str
    price: Decimal
    category: str


def check_content_type(content_type: str | None) -> None:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise RequestRejected(415, "Content-Type must be application/json")


def read_body(body: str | None, is_base64_encoded: bool) -> bytes:
    """The request body as bytes, within the size limit."""
    if body is None:
        return b""
    if is_base64_encoded:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise RequestRejected(400, "invalid request body", {"body": "is not valid base64"}) from None
    else:
        raw = body.encode("utf-8", errors="surrogatepass")
    if len(raw) > MAX_BODY_BYTES:
        raise RequestRejected(
            413,
            f"request body exceeds {MAX_BODY_BYTES} bytes",
            {"body": f"must be at most {MAX_BODY_BYTES} bytes"},
        )
    return raw


def parse_product(raw: bytes) -> ProductFields:
    """Parse and validate a product body; raise RequestRejected (400) naming every offending field."""
    document = _parse_json_object(raw)
    errors: dict[str, str] = {}
    for field in document:
        if field not in FIELDS:
            errors[field] = "is not a known field"
    name = _text(document, "name", MAX_NAME_LENGTH, errors)
    category = _text(document, "category", MAX_CATEGORY_LENGTH, errors)
    price = _price(document, errors)
    if errors:
        raise RequestRejected(400, "invalid product", errors)
    # No errors means all three parsed.
    assert name is not None
    assert category is not None
    assert price is not None
    return ProductFields(name=name, price=price, category=category)


def parse_if_match(value: str | None) -> int | None:
    """The version an ``If-Match`` header requires, or None when any version will do."""
    if value is None or value.strip() == "*":
        return None
    tag = value.strip()
    if len(tag) >= 2 and tag[0] == tag[-1] == '"':
        tag = tag[1:-1]
    if not (tag.isascii() and tag.isdigit()) or len(tag) > 18:
        raise RequestRejected(
            400, "invalid If-Match header", {"If-Match": 'must be a product version, e.g. "1"'}
        )
    return int(tag)


def _parse_json_object(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestRejected(400, "invalid request body", {"body": "is not UTF-8 text"}) from None
    try:
        # Floats never appear: numbers with a fraction or exponent become Decimal, and so do NaN and Infinity
        # (JSON has neither) so that the price check can name the field instead of rejecting the whole body.
        document = json.loads(text, parse_float=Decimal, parse_constant=Decimal)
    except (ValueError, RecursionError):
        raise RequestRejected(400, "invalid request body", {"body": "is not valid JSON"}) from None
    if not isinstance(document, dict):
        raise RequestRejected(400, "invalid request body", {"body": "must be a JSON object"})
    return document


def _text(document: dict[str, Any], field: str, max_length: int, errors: dict[str, str]) -> str | None:
    if field not in document:
        errors[field] = "is required"
        return None
    value = document[field]
    if not isinstance(value, str):
        errors[field] = "must be a string"
    elif not value.strip():
        errors[field] = "must not be empty"
    elif len(value) > max_length:
        errors[field] = f"must be at most {max_length} characters"
    elif not _is_encodable(value):
        errors[field] = "must be valid Unicode text"
    else:
        return value
    return None


def _is_encodable(value: str) -> bool:
    # A JSON "\ud800" escape yields a lone surrogate, which DynamoDB cannot store as UTF-8.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _price(document: dict[str, Any], errors: dict[str, str]) -> Decimal | None:
    if "price" not in document:
        errors["price"] = "is required"
        return None
    value = document["price"]
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        errors["price"] = "must be a number"
        return None
    price = Decimal(value)
    if not price.is_finite():
        errors["price"] = "must be a finite number"
    elif price < 0:
        errors["price"] = "must be zero or greater"
    elif price > MAX_PRICE:
        errors["price"] = f"must be at most {MAX_PRICE}"
    elif _decimal_places(price) > MAX_PRICE_DECIMAL_PLACES:
        errors["price"] = f"must have at most {MAX_PRICE_DECIMAL_PLACES} digits after the decimal point"
    else:
        return _canonical(price)
    return None


def _decimal_places(value: Decimal) -> int:
    # Counted from the digits rather than with normalize(), which would round beyond 28 significant digits.
    if value.is_zero():
        return 0
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite numbers only
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing_zeros))


def _canonical(value: Decimal) -> Decimal:
    if value.is_zero():
        return Decimal(0)  # also folds -0 into 0
    # Exact here: a valid price has at most 14 significant digits, within the default context's 28.
    return Decimal(format(value.normalize(), "f"))
