"""The product API: routes, status codes and error bodies.

- ``POST /products`` -> 201 with ``Location`` and ``ETag`` headers and the stored product (with its ``id``).
- ``GET /products/{id}`` -> 200 with the product and ``ETag``, or 404.
- ``PUT /products/{id}`` -> 200 with the replaced product (``version`` + 1), or 404. With
  ``If-Match: "<version>"`` the update is conditional inside DynamoDB and a stale version gets 409.
- ``DELETE /products/{id}`` -> 204, or 404.
- Bad input -> 400 (413 for an oversized body, 415 for a non-JSON content type); see ``writer.validation`` for
  the limits. An unknown path -> 404; a known path with another method -> 405 with ``Allow``.
- ``POST /products`` with an ``Idempotency-Key`` header: a repeat gets the first response (201, the same
  product) and writes nothing; the same key with other fields -> 422; while the first is running -> 409 with
  ``Retry-After``. See ``writer.idempotency``.
- A failing store (``StoreUnavailable``, or the idempotency table failing) -> 503, logged with its cause; the
  body says nothing about internals.

``build_router(products, idempotency=...)`` makes the routes for one store (and, optionally, one idempotency
table); ``writer.handler`` builds the one the function serves, tests build theirs around other stores.

Every response body is JSON. Errors look like ``{"message": "...", "errors": {"<field>": "<reason>"}}``,
where ``errors`` appears when specific fields (or ``body``, or a header) are at fault. Prices are written as
exact JSON numbers (``10.99``, never ``10.990000000000000213``).
"""

from __future__ import annotations

import re
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from shared import exact_json

from writer.idempotency import Idempotency, IdempotencyStoreUnavailable, KeyInUse, KeyReused
from writer.products import (
    Product,
    ProductNotFound,
    ProductStore,
    StoreUnavailable,
    VersionConflict,
    is_product_id,
)
from writer.validation import (
    ProductFields,
    RequestRejected,
    check_content_type,
    parse_if_match,
    parse_product,
    read_body,
)

JSON = "application/json"

# Powertools keeps metrics in one set shared by every Metrics object: the handler's log_metrics flushes these.
metrics = Metrics()

# Methods per resource; the not-found handler uses it to tell 405 from 404.
_RESOURCES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"/products"), ("POST",)),
    (re.compile(r"/products/[^/]+"), ("DELETE", "GET", "PUT")),
)


def build_router(products: ProductStore, *, idempotency: Idempotency | None = None) -> Router:
    """The product API on ``products``; with ``idempotency``, POST honours the ``Idempotency-Key`` header."""
    router = Router()
    # Made here, not at import: a child Logger takes its parent's name from POWERTOOLS_SERVICE_NAME when made.
    logger = Logger(child=True)

    def http_event() -> APIGatewayProxyEventV2:
        return cast(APIGatewayProxyEventV2, router.current_event)

    def product_fields() -> ProductFields:
        event = router.current_event
        check_content_type(event.headers.get("content-type"))
        return parse_product(read_body(event.body, bool(event.is_base64_encoded)))

    def create(fields: ProductFields) -> Product:
        product = products.create(fields)
        metrics.add_metric(name="ProductsCreated", unit=MetricUnit.Count, value=1)
        return product

    @router.post("/products")
    def create_product() -> Response:
        fields = product_fields()
        if idempotency is None:
            product = create(fields)
        else:
            # With an Idempotency-Key, a repeated request gets the product the first one created.
            product = idempotency.create_product(http_event(), router.lambda_context, fields, create)
        # rawPath, unlike path, keeps a named stage's prefix: the location works as the client sees the API.
        location = f"{http_event().raw_path.rstrip('/')}/{product.id}"
        return _product_response(201, product, Location=location)

    @router.get("/products/<product_id>")
    def get_product(product_id: str) -> Response:
        return _product_response(200, products.get(_existing_id(product_id)))

    @router.put("/products/<product_id>")
    def replace_product(product_id: str) -> Response:
        fields = product_fields()
        expected_version = parse_if_match(router.current_event.headers.get("if-match"))
        product = products.replace(_existing_id(product_id), fields, expected_version)
        metrics.add_metric(name="ProductsUpdated", unit=MetricUnit.Count, value=1)
        return _product_response(200, product)

    @router.delete("/products/<product_id>")
    def delete_product(product_id: str) -> Response:
        products.delete(_existing_id(product_id))
        metrics.add_metric(name="ProductsDeleted", unit=MetricUnit.Count, value=1)
        return Response(status_code=204, body="")

    @router.exception_handler(RequestRejected)
    def rejected(error: RequestRejected) -> Response:
        body: dict[str, Any] = {"message": error.message}
        if error.errors:
            body["errors"] = error.errors
        return _json_response(error.status, body)

    @router.exception_handler(ProductNotFound)
    def product_not_found(_: ProductNotFound) -> Response:
        return _json_response(404, {"message": "product not found"})

    @router.exception_handler(VersionConflict)
    def version_conflict(error: VersionConflict) -> Response:
        return _json_response(
            409,
            {"message": "the product has changed: If-Match does not name its current version"},
            ETag=_etag(error.current_version),
        )

    @router.exception_handler(KeyInUse)
    def idempotency_key_in_use(_: KeyInUse) -> Response:
        return _json_response(
            409,
            {"message": "a request with this Idempotency-Key is still in progress, retry it shortly"},
            **{"Retry-After": "1"},
        )

    @router.exception_handler(KeyReused)
    def idempotency_key_reused(_: KeyReused) -> Response:
        return _json_response(
            422,
            {
                "message": "this Idempotency-Key was used with a different request body",
                "errors": {"Idempotency-Key": "already used for another product; use a new key"},
            },
        )

    @router.exception_handler([StoreUnavailable, IdempotencyStoreUnavailable])
    def store_unavailable(error: Exception) -> Response:
        # The cause goes to the log only; clients learn nothing about tables or SDKs.
        cause = error.__cause__ or error
        logger.exception("product store request failed", extra={"error_type": type(cause).__name__})
        return _json_response(503, {"message": "the product store is unavailable, try again later"})

    @router.exception_handler(NotFoundError)
    def route_not_found(_: NotFoundError) -> Response:
        path = router.current_event.path
        method = router.current_event.http_method.upper()
        for pattern, methods in _RESOURCES:
            if pattern.fullmatch(path):
                if method in methods:
                    # A known resource whose id the router's path pattern refused: no such product.
                    return _json_response(404, {"message": "product not found"})
                return _json_response(
                    405, {"message": f"method {method} not allowed"}, Allow=", ".join(methods)
                )
        return _json_response(404, {"message": "no such resource"})

    return router


def _existing_id(product_id: str) -> str:
    if not is_product_id(product_id):
        raise ProductNotFound(product_id)
    return product_id


def _product_response(status: int, product: Product, **headers: str) -> Response:
    return _json_response(status, product.to_json(), ETag=_etag(product.version), **headers)


def _json_response(status: int, body: dict[str, Any], **headers: str) -> Response:
    # Serialized here so that Decimal prices come out as exact numbers whatever the resolver's serializer is.
    return Response(status_code=status, content_type=JSON, body=exact_json.dumps(body), headers=headers)


def _etag(version: int) -> str:
    return f'"{version}"'
