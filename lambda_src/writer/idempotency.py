"""Idempotent product creation: ``POST /products`` with an ``Idempotency-Key`` header.

The first request with a key runs the creation and stores its result in the idempotency table (in the layout
of Powertools' ``DynamoDBPersistenceLayer``) for ``EXPIRES_AFTER_SECONDS``. Within that window, a request with
the same key:

- and the same product fields (after validation, so ``10.50`` and ``10.5`` are the same price) gets the
  stored product back, the same 201 response, and nothing is written to the products table;
- and other fields -> 422, since the key already stands for a different product;
- while the first request is still running -> 409; that lock ends when the first invocation ends, or at its
  timeout if it dies.

The key is scoped to the caller (the IAM principal, or the JWT issuer and subject), so two callers that pick
the same key never share a product. A request whose creation fails leaves no record: it can be retried with
the same key. Invalid requests are rejected before the key is looked at and leave no record either.

``Idempotency(table_name)`` is handed to ``writer.api.build_api``; without it (``idempotency_enabled =
false``, no ``IDEMPOTENCY_TABLE_NAME``) the header is ignored and each POST creates a product.

Powertools' idempotency utility, and boto3 under it, are imported by the first request that carries a key: the
writer itself uses pynamodb on botocore, so requests without a key do not pay for boto3 at cold start.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from writer.products import Product
from writer.validation import ProductFields, RequestRejected

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from writer.http import Request

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255
# How long a key is remembered: a client retrying after this creates a second product.
EXPIRES_AFTER_SECONDS = 3600
# Part of every stored key: changing it forgets the keys in use.
KEY_PREFIX = "POST /products"


class IdempotencyStoreUnavailable(Exception):
    """The idempotency table could not be read or written; the request did nothing the client can rely on."""


class KeyInUse(Exception):
    """A request with the same key is still running (409)."""


class KeyReused(Exception):
    """The key was used for a product with other fields (422)."""


def requested_key(headers: dict[str, str]) -> str | None:
    """The ``Idempotency-Key`` header, checked; None when absent."""
    key = headers.get(HEADER)
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in key):
        raise RequestRejected(
            400,
            "invalid Idempotency-Key header",
            {"Idempotency-Key": f"must be 1 to {MAX_KEY_LENGTH} printable ASCII characters"},
        )
    return key


def caller(request_context: dict[str, Any]) -> str:
    """Who sent the request, as the route's authorizer established it ("" when the route is open)."""
    authorizer = request_context.get("authorizer") or {}
    iam = authorizer.get("iam") or {}
    if iam.get("userArn"):
        return f"iam:{iam['userArn']}"
    claims = (authorizer.get("jwt") or {}).get("claims") or {}
    if claims.get("sub"):
        return f"jwt:{claims.get('iss', '')}:{claims['sub']}"
    return ""


class Idempotency:
    """Product creation at most once per caller and key, remembered in the idempotency table ``table_name``.

    The Powertools configuration and persistence layer (and its boto3 client) are made on the first request
    with a key and kept for the life of this object, i.e. the execution environment.
    """

    def __init__(self, table_name: str, expires_after_seconds: int = EXPIRES_AFTER_SECONDS) -> None:
        if not table_name or not table_name.strip():
            raise ValueError("table_name must be the idempotency table's name, not empty")
        if expires_after_seconds < 1:
            raise ValueError(f"expires_after_seconds must be at least 1, not {expires_after_seconds}")
        self.table_name = table_name
        self.expires_after_seconds = expires_after_seconds

    def create_product(
        self, request: Request, fields: ProductFields, create: Callable[[ProductFields], Product]
    ) -> Product:
        """``create(fields)``, at most once per caller and ``Idempotency-Key`` if the request carries one."""
        key = requested_key(request.headers)
        if key is None:
            return create(fields)
        return self.create_once(key, caller(request.request_context), fields, create, request.context)

    def create_once(
        self,
        key: str,
        caller_id: str,
        fields: ProductFields,
        create: Callable[[ProductFields], Product],
        context: LambdaContext,
    ) -> Product:
        """``create(fields)`` at most once per caller and key; a repeat gets the first one's product."""
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyInconsistentStateError,
            IdempotencyPersistenceLayerError,
            IdempotencyValidationError,
        )

        config, _ = self._powertools
        # The in-progress lock expires with this invocation, so a request killed by its timeout does not hold
        # the key for the whole expiry window.
        config.register_lambda_context(context)
        request = {
            "key": {"caller": caller_id, "key": key},
            "product": {"name": fields.name, "price": str(fields.price), "category": fields.category},
        }
        try:
            stored = self._idempotent_create(request=request, create=create, fields=fields)
        except IdempotencyAlreadyInProgressError:
            raise KeyInUse(key) from None
        except IdempotencyValidationError:
            raise KeyReused(key) from None
        except (IdempotencyPersistenceLayerError, IdempotencyInconsistentStateError) as error:
            raise IdempotencyStoreUnavailable(str(error)) from error
        return _product(stored)

    @cached_property
    def _powertools(self) -> tuple[IdempotencyConfig, DynamoDBPersistenceLayer]:
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
        from botocore.config import Config

        config = IdempotencyConfig(
            event_key_jmespath="key",
            payload_validation_jmespath="product",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=self.expires_after_seconds,
        )
        # Timeouts as for the products table: the client learns of a failing store well within API Gateway's
        # 30 s.
        persistence = DynamoDBPersistenceLayer(
            table_name=self.table_name,
            boto_config=Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard"}),
        )
        return config, persistence

    @cached_property
    def _idempotent_create(self) -> Callable[..., dict[str, Any]]:
        from aws_lambda_powertools.utilities.idempotency import idempotent_function

        config, persistence = self._powertools

        def create_and_store(
            *, request: dict[str, Any], create: Callable[[ProductFields], Product], fields: ProductFields
        ) -> dict[str, Any]:
            # What is stored is what a repeat needs to answer exactly as the first time: the product, as JSON.
            product = create(fields)
            return {**product.to_json(), "price": str(product.price)}

        decorated: Callable[..., dict[str, Any]] = idempotent_function(
            create_and_store,
            data_keyword_argument="request",
            persistence_store=persistence,
            config=config,
            key_prefix=KEY_PREFIX,
        )
        return decorated


def _product(stored: dict[str, Any]) -> Product:
    return Product(
        id=stored["id"],
        name=stored["name"],
        price=Decimal(stored["price"]),
        category=stored["category"],
        created_at=stored["created_at"],
        updated_at=stored["updated_at"],
        version=int(stored["version"]),
    )
