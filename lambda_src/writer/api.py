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

``build_api(products, idempotency=...)`` makes the API for one store (and, optionally, one idempotency table):
a function from an API Gateway event to the function's result. ``writer.handler`` builds the one the function
serves, tests build theirs around other stores. Requests and responses are in ``writer.http``.

Every response body is JSON. Errors look like ``{"message": "...", "errors": {"<field>": "<reason>"}}``,
where ``errors`` appears when specific fields (or ``body``, or a header) are at fault. Prices are written as
exact JSON numbers (``10.99``, never ``10.990000000000000213``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from shared import exact_json

from writer.http import MethodNotAllowed, NoSuchResource, Request, Response, Routes
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

# An API: the format 2.0 event and the Lambda context in, the function's result out.
Api = Callable[[dict[str, Any], Any], dict[str, Any]]

# Powertools keeps metrics in one set shared by every Metrics object: the handler's log_metrics flushes these.
metrics = Metrics()


def build_api(products: ProductStore, *, idempotency: Idempotency | None = None) -> Api:
    """The product API on ``products``; with ``idempotency``, POST honours the ``Idempotency-Key`` header."""
    routes = Routes()
    # Made here, not at import: a child Logger takes its parent's name from POWERTOOLS_SERVICE_NAME when made.
    logger = Logger(child=True)

    def product_fields(request: Request) -> ProductFields:
        check_content_type(request.headers.get("content-type"))
        return parse_product(read_body(request.body, request.is_base64_encoded))

    def create(fields: ProductFields) -> Product:
        product = products.create(fields)
        metrics.add_metric(name="ProductsCreated", unit=MetricUnit.Count, value=1)
        return product

    @routes.route("POST", "/products")
    def create_product(request: Request) -> Response:
        fields = product_fields(request)
        if idempotency is None:
            product = create(fields)
        else:
            # With an Idempotency-Key, a repeated request gets the product the first one created.
            product = idempotency.create_product(request, fields, create)
        # rawPath, unlike path, keeps a named stage's prefix: the location works as the client sees the API.
        location = f"{request.raw_path.rstrip('/')}/{product.id}"
        return _product_response(201, product, Location=location)

    @routes.route("GET", "/products/{id}")
    def get_product(request: Request, id: str) -> Response:
        return _product_response(200, products.get(_existing_id(id)))

    @routes.route("PUT", "/products/{id}")
    def replace_product(request: Request, id: str) -> Response:
        fields = product_fields(request)
        expected_version = parse_if_match(request.headers.get("if-match"))
        product = products.replace(_existing_id(id), fields, expected_version)
        metrics.add_metric(name="ProductsUpdated", unit=MetricUnit.Count, value=1)
        return _product_response(200, product)

    @routes.route("DELETE", "/products/{id}")
    def delete_product(request: Request, id: str) -> Response:
        products.delete(_existing_id(id))
        metrics.add_metric(name="ProductsDeleted", unit=MetricUnit.Count, value=1)
        return Response(204)

    def respond(request: Request) -> Response:
        try:
            handler, parameters = routes.find(request.method, request.path)
            return handler(request, **parameters)
        except NoSuchResource:
            return _json_response(404, {"message": "no such resource"})
        except MethodNotAllowed as error:
            return _json_response(405, {"message": str(error)}, Allow=", ".join(error.allowed))
        except RequestRejected as error:
            body: dict[str, Any] = {"message": error.message}
            if error.errors:
                body["errors"] = error.errors
            return _json_response(error.status, body)
        except ProductNotFound:
            return _json_response(404, {"message": "product not found"})
        except VersionConflict as error:
            return _json_response(
                409,
                {"message": "the product has changed: If-Match does not name its current version"},
                ETag=_etag(error.current_version),
            )
        except KeyInUse:
            return _json_response(
                409,
                {"message": "a request with this Idempotency-Key is still in progress, retry it shortly"},
                **{"Retry-After": "1"},
            )
        except KeyReused:
            return _json_response(
                422,
                {
                    "message": "this Idempotency-Key was used with a different request body",
                    "errors": {"Idempotency-Key": "already used for another product; use a new key"},
                },
            )
        except (StoreUnavailable, IdempotencyStoreUnavailable) as error:
            # The cause goes to the log only; clients learn nothing about tables or SDKs.
            cause = error.__cause__ or error
            logger.exception("product store request failed", extra={"error_type": type(cause).__name__})
            return _json_response(503, {"message": "the product store is unavailable, try again later"})

    def api(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return respond(Request(event, context)).to_result()

    return api


def _existing_id(product_id: str) -> str:
    # An id that is not a product id names no product: 404, as for an unknown one, without a store call.
    if not is_product_id(product_id):
        raise ProductNotFound(product_id)
    return product_id


def _product_response(status: int, product: Product, **headers: str) -> Response:
    return _json_response(status, product.to_json(), ETag=_etag(product.version), **headers)


def _json_response(status: int, body: dict[str, Any], **headers: str) -> Response:
    return Response(status, exact_json.dumps(body), {"Content-Type": JSON, **headers})


def _etag(version: int) -> str:
    return f'"{version}"'
