"""Idempotent product creation: ``POST /products`` with an ``Idempotency-Key`` header.

The first request with a key runs the creation and stores its result in the idempotency table
(``IDEMPOTENCY_TABLE_NAME``, in the layout of Powertools' ``DynamoDBPersistenceLayer``) for
``EXPIRES_AFTER_SECONDS``. Within that window, a request with the same key:

- and the same product fields (after validation, so ``10.50`` and ``10.5`` are the same price) gets the
  stored product back, the same 201 response, and nothing is written to the products table;
- and other fields -> 422, since the key already stands for a different product;
- while the first request is still running -> 409; that lock ends when the first invocation ends, or at its
  timeout if it dies.

The key is scoped to the caller (the IAM principal, or the JWT issuer and subject), so two callers that pick
the same key never share a product. A request whose creation fails leaves no record: it can be retried with
the same key. Invalid requests are rejected before the key is looked at and leave no record either.

Without the header, or when the module runs without an idempotency table (``idempotency_enabled = false``, no
``IDEMPOTENCY_TABLE_NAME``), each POST creates a product.

Powertools' idempotency utility, and boto3 under it, are imported by the first request that carries a key: the
writer itself uses pynamodb on botocore, so requests without a key do not pay for boto3 at cold start.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from writer.store import Product
from writer.validation import ProductFields, RequestRejected

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255
# How long a key is remembered: a client retrying after this creates a second product.
EXPIRES_AFTER_SECONDS = 3600
TABLE_ENV = "IDEMPOTENCY_TABLE_NAME"
# Part of every stored key: changing it forgets the keys in use.
KEY_PREFIX = "POST /products"


class IdempotencyStoreUnavailable(Exception):
    """The idempotency table could not be read or written; the request did nothing the client can rely on."""


class KeyInUse(Exception):
    """A request with the same key is still running (409)."""


class KeyReused(Exception):
    """The key was used for a product with other fields (422)."""


def requested_key(headers: dict[str, str]) -> str | None:
    """The ``Idempotency-Key`` header; None when absent or when this deployment has no idempotency table."""
    key = headers.get(HEADER)
    if key is None or not os.environ.get(TABLE_ENV):
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


def create_product(
    event: APIGatewayProxyEventV2,
    context: LambdaContext,
    fields: ProductFields,
    create: Callable[[ProductFields], Product],
) -> Product:
    """``create(fields)``, at most once per caller and ``Idempotency-Key`` when the request carries one."""
    key = requested_key(event.headers)
    if key is None:
        return create(fields)
    return create_once(key, caller(event.raw_event.get("requestContext") or {}), fields, create, context)


def create_once(
    key: str,
    caller_id: str,
    fields: ProductFields,
    create: Callable[[ProductFields], Product],
    context: LambdaContext,
) -> Product:
    """``create(fields)`` at most once per caller and key; a repeat returns the product the first one made."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyInconsistentStateError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    config, _ = _powertools()
    # The in-progress lock expires with this invocation, so a request killed by its timeout does not hold the
    # key for the whole expiry window.
    config.register_lambda_context(context)
    request = {
        "key": {"caller": caller_id, "key": key},
        "product": {"name": fields.name, "price": str(fields.price), "category": fields.category},
    }
    try:
        stored = _idempotent_create()(request=request, create=create, fields=fields)
    except IdempotencyAlreadyInProgressError:
        raise KeyInUse(key) from None
    except IdempotencyValidationError:
        raise KeyReused(key) from None
    except (IdempotencyPersistenceLayerError, IdempotencyInconsistentStateError) as error:
        raise IdempotencyStoreUnavailable(str(error)) from error
    return _product(stored)


@cache
def _powertools() -> tuple[IdempotencyConfig, DynamoDBPersistenceLayer]:
    """Configuration and persistence layer, made once per execution environment on first use."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
    from botocore.config import Config

    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="product",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
    )
    # Timeouts as for the products table: the client learns of a failing store well within API Gateway's 30 s.
    persistence = DynamoDBPersistenceLayer(
        table_name=os.environ[TABLE_ENV],
        boto_config=Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard"}),
    )
    return config, persistence


@cache
def _idempotent_create() -> Callable[..., dict[str, Any]]:
    from aws_lambda_powertools.utilities.idempotency import idempotent_function

    config, persistence = _powertools()

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
