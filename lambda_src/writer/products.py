"""What the API knows of a product store: the product, its errors, and the operations (``ProductStore``).

``writer.store.DynamoDBProductStore`` is the store the function runs with; tests hand the API other stores
(in memory, or failing) through ``writer.api.build_api``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from writer.validation import ProductFields


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


class StoreUnavailable(Exception):
    """The store could not be reached or refused the request; nothing the client can rely on happened."""


class ProductStore(Protocol):
    """Products by id. Each operation raises ``ProductNotFound`` for an id it does not hold.

    A store that cannot do its work raises ``StoreUnavailable``, with the underlying error as its cause; the
    API answers 503 and logs that cause.
    """

    def create(self, fields: ProductFields) -> Product:
        """A new product with a fresh uuid4 id, at version 1."""
        ...

    def get(self, product_id: str) -> Product: ...

    def replace(self, product_id: str, fields: ProductFields, expected_version: int | None) -> Product:
        """Replace the fields and add 1 to the version; ``VersionConflict`` when ``expected_version`` is
        given and is not the current one (the check and the write are one atomic step)."""
        ...

    def delete(self, product_id: str) -> None: ...


def is_product_id(value: str) -> bool:
    """Only canonical UUIDs can name a product; anything else cannot exist, so it needs no lookup."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False
