"""Products in DynamoDB, through a pynamodb model: ``DynamoDBProductStore(table_name)``.

Item shape (shared with the consumer and the infrastructure): ``PK = "Product#<uuid4>"``,
``SK = "User#Product"``, ``name``, ``price`` (a DynamoDB number written from the exact decimal string, never a
float), ``category``, ``created_at`` / ``updated_at`` (ISO 8601 UTC, millisecond precision, ``Z`` suffix) and
``version`` (1 on creation, +1 on every replacement).

Each store binds its own model class to its table when it is made, so nothing here reads the environment and
two stores never share a table name or a connection. A store's connection is created on its first call and
reused for the life of the store (the writer makes one store per execution environment); it leaves region and
endpoint to botocore, which reads ``AWS_REGION`` and ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_DYNAMODB``
from the environment.

Failed calls (pynamodb's and botocore's errors) come out as ``writer.products.StoreUnavailable`` with the
original error as cause; the outcomes the API distinguishes come out as ``ProductNotFound`` and
``VersionConflict``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

from botocore.exceptions import BotoCoreError
from pynamodb.attributes import Attribute, NumberAttribute, UnicodeAttribute
from pynamodb.constants import NUMBER
from pynamodb.exceptions import DeleteError, DoesNotExist, PynamoDBException, UpdateError
from pynamodb.models import Model

from writer.products import Product, ProductNotFound, StoreUnavailable, VersionConflict
from writer.validation import ProductFields

PK_PREFIX = "Product#"
SK_VALUE = "User#Product"

_CONDITION_FAILED = "ConditionalCheckFailedException"


class ExactNumberAttribute(Attribute[Decimal]):
    """A DynamoDB number held as Decimal and sent as its exact digits.

    pynamodb's NumberAttribute goes through json/float, which would turn 10.99 into 10.99000000000000021316.
    """

    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        return str(value)

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


class ProductItem(Model):
    """The item's attributes; each store subclasses it with the ``Meta`` of its own table."""

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    name = UnicodeAttribute()
    price = ExactNumberAttribute()
    category = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute()


def bind_model(table_name: str) -> type[ProductItem]:
    """A model class of its own for ``table_name``: pynamodb keeps the table name and connection per class."""
    if not table_name or not table_name.strip():
        raise ValueError("table_name must be the products table's name, not empty")
    name = table_name

    class BoundProductItem(ProductItem):
        class Meta:
            table_name = name
            # Fail fast enough to answer 503 within API Gateway's 30 s integration timeout, retries included.
            connect_timeout_seconds = 2
            read_timeout_seconds = 5

    return BoundProductItem


class DynamoDBProductStore:
    """``writer.products.ProductStore`` on the products table ``table_name``."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.model = bind_model(table_name)

    def create(self, fields: ProductFields) -> Product:
        now = _now()
        item = self.model(
            PK_PREFIX + str(uuid.uuid4()),
            SK_VALUE,
            name=fields.name,
            price=fields.price,
            category=fields.category,
            created_at=now,
            updated_at=now,
            version=1,
        )
        with _unavailable_on_failure():
            # The condition turns a (practically impossible) uuid4 collision into an error, not an overwrite.
            item.save(condition=ProductItem.pk.does_not_exist())
        return _product(item)

    def get(self, product_id: str) -> Product:
        with _unavailable_on_failure():
            try:
                item = self.model.get(PK_PREFIX + product_id, SK_VALUE, consistent_read=True)
            except DoesNotExist:
                raise ProductNotFound(product_id) from None
        return _product(item)

    def replace(self, product_id: str, fields: ProductFields, expected_version: int | None) -> Product:
        """Replace the fields in one conditional UpdateItem; the version check happens inside DynamoDB."""
        item = self.model(PK_PREFIX + product_id, SK_VALUE)
        condition = ProductItem.pk.exists()
        if expected_version is not None:
            condition &= ProductItem.version == expected_version
        with _unavailable_on_failure():
            try:
                item.update(
                    actions=[
                        ProductItem.name.set(fields.name),
                        ProductItem.price.set(fields.price),
                        ProductItem.category.set(fields.category),
                        ProductItem.updated_at.set(_now()),
                        ProductItem.version.add(1),
                    ],
                    condition=condition,
                )
            except UpdateError as error:
                if not _condition_failed(error):
                    raise
                if expected_version is None:
                    raise ProductNotFound(product_id) from None
                # The write failed atomically; this read only tells the client which condition failed.
                raise VersionConflict(self.get(product_id).version) from None
        return _product(item)

    def delete(self, product_id: str) -> None:
        with _unavailable_on_failure():
            try:
                self.model(PK_PREFIX + product_id, SK_VALUE).delete(condition=ProductItem.pk.exists())
            except DeleteError as error:
                if _condition_failed(error):
                    raise ProductNotFound(product_id) from None
                raise


def _condition_failed(error: PynamoDBException) -> bool:
    return error.cause_response_code == _CONDITION_FAILED


@contextmanager
def _unavailable_on_failure() -> Iterator[None]:
    try:
        yield
    except (PynamoDBException, BotoCoreError) as error:
        raise StoreUnavailable(f"products table request failed: {type(error).__name__}") from error


def _product(item: ProductItem) -> Product:
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
