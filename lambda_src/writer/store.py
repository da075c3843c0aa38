"""Products in DynamoDB, through a pynamodb model.

Item shape (shared with the consumer and the infrastructure): ``PK = "Product#<uuid4>"``,
``SK = "User#Product"``, ``name``, ``price`` (a DynamoDB number written from the exact decimal string, never a
float), ``category``, ``created_at`` / ``updated_at`` (ISO 8601 UTC, millisecond precision, ``Z`` suffix) and
``version`` (1 on creation, +1 on every replacement).

The table name comes from ``TABLE_NAME``. The model's connection is created once per execution environment and
leaves region and endpoint to botocore, which reads ``AWS_REGION`` and ``AWS_ENDPOINT_URL`` /
``AWS_ENDPOINT_URL_DYNAMODB`` from the environment.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pynamodb.attributes import Attribute, NumberAttribute, UnicodeAttribute
from pynamodb.constants import NUMBER
from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError
from pynamodb.models import Model

from writer.validation import ProductFields

PK_PREFIX = "Product#"
SK_VALUE = "User#Product"

_CONDITION_FAILED = "ConditionalCheckFailedException"


def _table_name() -> str:
    name = os.environ.get("TABLE_NAME")
    if not name:
        raise RuntimeError("TABLE_NAME is not set: the writer needs the products table's name")
    return name


class ExactNumberAttribute(Attribute[Decimal]):
    """A DynamoDB number held as Decimal and sent as its exact digits.

    pynamodb's NumberAttribute goes through json/float, which would turn 10.99 into 10.99000000000000021316.
    """

    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        return str(value)

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


class ProductModel(Model):
    class Meta:
        table_name = _table_name()
        # Fail fast enough to answer 503 within API Gateway's 30 s integration timeout, retries included.
        connect_timeout_seconds = 2
        read_timeout_seconds = 5

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    name = UnicodeAttribute()
    price = ExactNumberAttribute()
    category = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute()


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    price: Decimal
    category: str
    created_at: str
    updated_at: str
    version: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "price": self.price,
            "category": self.category,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "version": self.version,
        }


class ProductNotFound(Exception):
    pass


class VersionConflict(Exception):
    def __init__(self, current_version: int) -> None:
        super().__init__(f"the product is at version {current_version}")
        self.current_version = current_version


def is_product_id(value: str) -> bool:
    """Only canonical UUIDs can name a product; anything else cannot exist, so it needs no lookup."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def create_product(fields: ProductFields) -> Product:
    now = _now()
    item = ProductModel(
        PK_PREFIX + str(uuid.uuid4()),
        SK_VALUE,
        name=fields.name,
        price=fields.price,
        category=fields.category,
        created_at=now,
        updated_at=now,
        version=1,
    )
    # The condition turns a (practically impossible) uuid4 collision into an error instead of an overwrite.
    item.save(condition=ProductModel.pk.does_not_exist())
    return _product(item)


def get_product(product_id: str) -> Product:
    try:
        item = ProductModel.get(PK_PREFIX + product_id, SK_VALUE, consistent_read=True)
    except DoesNotExist:
        raise ProductNotFound(product_id) from None
    return _product(item)


def replace_product(product_id: str, fields: ProductFields, expected_version: int | None) -> Product:
    """Replace the fields in one conditional UpdateItem; the version check happens inside DynamoDB."""
    item = ProductModel(PK_PREFIX + product_id, SK_VALUE)
    condition = ProductModel.pk.exists()
    if expected_version is not None:
        condition &= ProductModel.version == expected_version
    try:
        item.update(
            actions=[
                ProductModel.name.set(fields.name),
                ProductModel.price.set(fields.price),
                ProductModel.category.set(fields.category),
                ProductModel.updated_at.set(_now()),
                ProductModel.version.add(1),
            ],
            condition=condition,
        )
    except UpdateError as error:
        if error.cause_response_code != _CONDITION_FAILED:
            raise
        if expected_version is None:
            raise ProductNotFound(product_id) from None
        # The write failed atomically; this read only tells the client which of the two conditions failed.
        raise VersionConflict(get_product(product_id).version) from None
    return _product(item)


def delete_product(product_id: str) -> None:
    try:
        ProductModel(PK_PREFIX + product_id, SK_VALUE).delete(condition=ProductModel.pk.exists())
    except DeleteError as error:
        if error.cause_response_code == _CONDITION_FAILED:
            raise ProductNotFound(product_id) from None
        raise


def _product(item: ProductModel) -> Product:
    return Product(
        id=item.pk.removeprefix(PK_PREFIX),
        name=item.name,
        price=item.price,
        category=item.category,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version),
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
