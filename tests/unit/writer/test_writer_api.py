"""The writer's HTTP behaviour, through its Lambda handler, on the in-memory store (failing stores for 503).

What the DynamoDB store does with the same calls is in test_writer_store.py.
"""

from __future__ import annotations

import json
import re
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from writer import handler

from scripts.tf_docs import load_hcl
from tests.fixtures.events import http_request, load
from tests.fixtures.product_stores import FailingProductStore
from tests.fixtures.tracing import RecordingProvider

REPO_ROOT = Path(__file__).resolve().parents[3]

# Reads and rejected writes record no metric, and Powertools warns of it. writer.handler filters that warning
# at import, but pytest resets the warning filters for each test, so the tests filter it again.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")

PRODUCT = '{"name": "Coffee mug", "price": 10.99, "category": "kitchen"}'
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def create(invoke: Any, body: str = PRODUCT) -> dict[str, Any]:
    response = invoke(http_request("POST", "/products", body))
    assert response.status == 201, response.text
    product: dict[str, Any] = response.json()
    return product


# --- POST ---------------------------------------------------------------------------------------------------


def test_post_returns_201_location_and_the_stored_product(invoke, products):
    # GIVEN the recorded API Gateway request creating a product
    event = load("apigw/create_product.json")

    # WHEN the writer handles it
    response = invoke(event)

    # THEN it answers 201 with the new product, its location and its version as entity tag
    assert response.status == 201
    product = response.json()
    assert uuid.UUID(product["id"]).version == 4
    assert response.headers["location"] == f"/products/{product['id']}"
    assert response.headers["etag"] == '"1"'
    assert response.headers["content-type"] == "application/json"
    assert product["name"] == "Coffee mug"
    assert product["category"] == "kitchen"
    assert product["version"] == 1
    assert ISO_UTC.match(product["created_at"])
    assert product["updated_at"] == product["created_at"]
    # AND the store holds that product, the price as the exact decimal
    stored = products.get(product["id"])
    assert stored.to_json() == {**product, "price": Decimal("10.99")}


def test_post_location_keeps_the_stage_prefix_of_a_named_stage(invoke, products):
    response = invoke(http_request("POST", "/products", PRODUCT, stage="prod"))

    assert response.status == 201
    assert response.headers["location"] == f"/prod/products/{response.json()['id']}"


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("10.99", "10.99"),
        ("0.1", "0.1"),
        ("999999999.9999", "999999999.9999"),
        ("1000000000", "1000000000"),
        ("0", "0"),
        ("-0.0", "0"),
        ("1.50", "1.5"),
        ("1e2", "100"),
        ("12.3400", "12.34"),
    ],
)
def test_price_is_stored_and_returned_exactly(invoke, products, sent, stored):
    body = f'{{"name": "n", "price": {sent}, "category": "c"}}'

    response = invoke(http_request("POST", "/products", body))

    assert response.status == 201, response.text
    # The number's digits in the response text, not a float's rendering of them.
    assert f'"price":{stored},' in response.text
    assert str(products.get(response.json()["id"]).price) == stored


def test_post_accepts_a_base64_encoded_body(invoke, products):
    response = invoke(http_request("POST", "/products", PRODUCT, base64_encoded=True))

    assert response.status == 201
    assert len(products.products) == 1


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "Application/JSON", "application/vnd.products+json"]
)
def test_json_content_types_with_parameters_or_suffix_are_accepted(invoke, products, content_type):
    response = invoke(http_request("POST", "/products", PRODUCT, content_type=content_type))

    assert response.status == 201


# --- GET ----------------------------------------------------------------------------------------------------


def test_get_returns_the_product(invoke, products):
    created = create(invoke)

    response = invoke(http_request("GET", f"/products/{created['id']}"))

    assert response.status == 200
    assert response.json() == created
    assert '"price":10.99,' in response.text
    assert response.headers["etag"] == '"1"'


@pytest.mark.parametrize(
    "product_id", [str(uuid.uuid4()), "not-a-uuid", str(uuid.uuid4()).upper(), "x" * 3000]
)
def test_get_of_an_unknown_product_is_404(invoke, products, product_id):
    response = invoke(http_request("GET", f"/products/{product_id}"))

    assert response.status == 404
    assert response.json() == {"message": "product not found"}


# --- PUT ----------------------------------------------------------------------------------------------------


def test_put_replaces_the_fields_and_increments_the_version(invoke, products):
    created = create(invoke)
    body = '{"name": "Tea mug", "price": 12.5, "category": "kitchenware"}'

    response = invoke(http_request("PUT", f"/products/{created['id']}", body))

    assert response.status == 200
    product = response.json()
    assert product["id"] == created["id"]
    assert (product["name"], product["category"], product["version"]) == ("Tea mug", "kitchenware", 2)
    assert '"price":12.5,' in response.text
    assert product["created_at"] == created["created_at"]
    assert product["updated_at"] >= created["updated_at"]
    assert response.headers["etag"] == '"2"'
    stored = products.get(created["id"])
    assert (stored.name, stored.price, stored.version) == ("Tea mug", Decimal("12.5"), 2)


def test_put_of_an_unknown_product_is_404_and_creates_nothing(invoke, products):
    response = invoke(http_request("PUT", f"/products/{uuid.uuid4()}", PRODUCT))

    assert response.status == 404
    assert products.products == {}


@pytest.mark.parametrize("if_match", ['"1"', "1", " 1 ", "*"])
def test_put_with_the_current_version_in_if_match_succeeds(invoke, products, if_match):
    created = create(invoke)

    response = invoke(
        http_request("PUT", f"/products/{created['id']}", PRODUCT, headers={"if-match": if_match})
    )

    assert response.status == 200
    assert response.json()["version"] == 2


def test_put_with_a_stale_version_is_409_and_changes_nothing(invoke, products):
    # GIVEN a product that another client has already updated to version 2
    created = create(invoke)
    path = f"/products/{created['id']}"
    assert invoke(http_request("PUT", path, PRODUCT, headers={"if-match": '"1"'})).status == 200
    before = products.get(created["id"])

    # WHEN a client still holding version 1 tries to replace it
    stale = '{"name": "Lost update", "price": 1, "category": "c"}'
    response = invoke(http_request("PUT", path, stale, headers={"if-match": '"1"'}))

    # THEN it gets 409 naming the current version, and the item is untouched
    assert response.status == 409
    assert response.headers["etag"] == '"2"'
    assert "message" in response.json()
    assert products.get(created["id"]) == before


def test_put_with_if_match_on_an_unknown_product_is_404(invoke, products):
    response = invoke(http_request("PUT", f"/products/{uuid.uuid4()}", PRODUCT, headers={"if-match": '"1"'}))

    assert response.status == 404
    assert products.products == {}


@pytest.mark.parametrize("if_match", ['W/"1"', '"one"', "-1", '"1", "2"', "1.0"])
def test_put_with_a_malformed_if_match_is_400_and_changes_nothing(invoke, products, if_match):
    created = create(invoke)
    before = products.get(created["id"])

    response = invoke(
        http_request("PUT", f"/products/{created['id']}", PRODUCT, headers={"if-match": if_match})
    )

    assert response.status == 400
    assert list(response.json()["errors"]) == ["If-Match"]
    assert products.get(created["id"]) == before


# --- DELETE -------------------------------------------------------------------------------------------------


def test_delete_returns_204_and_removes_the_item(invoke, products):
    created = create(invoke)

    response = invoke(http_request("DELETE", f"/products/{created['id']}"))

    assert response.status == 204
    assert response.text == ""
    assert products.products == {}
    assert invoke(http_request("GET", f"/products/{created['id']}")).status == 404


def test_delete_of_an_unknown_product_is_404(invoke, products):
    create(invoke)

    response = invoke(http_request("DELETE", f"/products/{uuid.uuid4()}"))

    assert response.status == 404
    assert len(products.products) == 1


# --- bad input: 400, 413, 415, and nothing written ----------------------------------------------------------

BAD_BODIES = [
    pytest.param("not json", {"body"}, id="not-json"),
    pytest.param("", {"body"}, id="empty-body"),
    pytest.param("[1, 2]", {"body"}, id="array"),
    pytest.param('"a product"', {"body"}, id="string"),
    pytest.param("null", {"body"}, id="null"),
    pytest.param("[" * 3000 + "]" * 3000, {"body"}, id="deeply-nested"),
    pytest.param('{"name": "n", "price": 1}', {"category"}, id="missing-category"),
    pytest.param("{}", {"name", "price", "category"}, id="all-missing"),
    pytest.param('{"name": "", "price": 1, "category": "c"}', {"name"}, id="empty-name"),
    pytest.param('{"name": "  \\t", "price": 1, "category": "c"}', {"name"}, id="blank-name"),
    pytest.param('{"name": "n", "price": 1, "category": ""}', {"category"}, id="empty-category"),
    pytest.param('{"name": 5, "price": 1, "category": "c"}', {"name"}, id="number-name"),
    pytest.param('{"name": "n", "price": 1, "category": ["c"]}', {"category"}, id="list-category"),
    pytest.param('{"name": "n", "price": "10.99", "category": "c"}', {"price"}, id="string-price"),
    pytest.param('{"name": "n", "price": true, "category": "c"}', {"price"}, id="boolean-price"),
    pytest.param('{"name": "n", "price": null, "category": "c"}', {"price"}, id="null-price"),
    pytest.param('{"name": "n", "price": {"amount": 1}, "category": "c"}', {"price"}, id="object-price"),
    pytest.param('{"name": "n", "price": -0.01, "category": "c"}', {"price"}, id="negative-price"),
    pytest.param('{"name": "n", "price": NaN, "category": "c"}', {"price"}, id="nan-price"),
    pytest.param('{"name": "n", "price": Infinity, "category": "c"}', {"price"}, id="infinite-price"),
    pytest.param(
        '{"name": "n", "price": -Infinity, "category": "c"}', {"price"}, id="negative-infinite-price"
    ),
    pytest.param('{"name": "n", "price": 1000000000.0001, "category": "c"}', {"price"}, id="price-above-max"),
    pytest.param('{"name": "n", "price": 1e400, "category": "c"}', {"price"}, id="price-beyond-float"),
    pytest.param('{"name": "n", "price": 0.00001, "category": "c"}', {"price"}, id="price-too-precise"),
    pytest.param(
        '{"name": "n", "price": 1.0000000000000000000000000000000000001, "category": "c"}',
        {"price"},
        id="price-38-digits",
    ),
    pytest.param(f'{{"name": "{"n" * 201}", "price": 1, "category": "c"}}', {"name"}, id="name-too-long"),
    pytest.param(
        f'{{"name": "n", "price": 1, "category": "{"c" * 101}"}}', {"category"}, id="category-too-long"
    ),
    pytest.param('{"name": "\\ud800", "price": 1, "category": "c"}', {"name"}, id="lone-surrogate"),
    pytest.param(
        '{"name": "n", "price": 1, "category": "c", "colour": "red"}', {"colour"}, id="unknown-field"
    ),
    pytest.param('{"name": "n", "price": 1, "category": "c", "version": 7}', {"version"}, id="server-field"),
    pytest.param(
        '{"name": "", "price": -1, "colour": "red"}',
        {"name", "price", "category", "colour"},
        id="several-at-once",
    ),
]


@pytest.mark.parametrize(("body", "fields"), BAD_BODIES)
def test_post_with_bad_input_is_400_naming_each_field_and_writes_nothing(invoke, products, body, fields):
    response = invoke(http_request("POST", "/products", body))

    assert response.status == 400
    assert set(response.json()["errors"]) == fields
    assert response.json()["message"]
    assert products.products == {}


@pytest.mark.parametrize(("body", "fields"), BAD_BODIES[:8] + BAD_BODIES[-4:])
def test_put_with_bad_input_is_400_naming_each_field_and_changes_nothing(invoke, products, body, fields):
    created = create(invoke)
    before = dict(products.products)

    response = invoke(http_request("PUT", f"/products/{created['id']}", body))

    assert response.status == 400
    assert set(response.json()["errors"]) == fields
    assert products.products == before


def test_fields_within_the_limits_are_accepted(invoke, products):
    body = json.dumps({"name": "n" * 200, "price": 0, "category": "c" * 100})

    assert invoke(http_request("POST", "/products", body)).status == 201


def test_a_body_that_is_not_utf8_is_400(invoke, products):
    response = invoke(http_request("POST", "/products", b'{"name": "\xff"}', base64_encoded=True))

    assert response.status == 400
    assert set(response.json()["errors"]) == {"body"}
    assert products.products == {}


def test_a_body_over_the_size_limit_is_413_and_writes_nothing(invoke, products):
    padding = " " * (8192 - len(PRODUCT) + 1)

    response = invoke(http_request("POST", "/products", PRODUCT + padding))

    assert response.status == 413
    assert set(response.json()["errors"]) == {"body"}
    assert products.products == {}


def test_a_body_at_the_size_limit_is_accepted(invoke, products):
    padding = " " * (8192 - len(PRODUCT))

    assert invoke(http_request("POST", "/products", PRODUCT + padding)).status == 201


def test_the_size_limit_applies_to_the_decoded_body(invoke, products):
    body = PRODUCT + " " * (8192 - len(PRODUCT) + 1)

    response = invoke(http_request("POST", "/products", body, base64_encoded=True))

    assert response.status == 413


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/jsonx", None]
)
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_non_json_content_type_is_415_and_writes_nothing(invoke, products, content_type, method):
    path = "/products" if method == "POST" else f"/products/{create(invoke)['id']}"
    before = dict(products.products)

    response = invoke(http_request(method, path, PRODUCT, content_type=content_type))

    assert response.status == 415
    assert "message" in response.json()
    assert products.products == before


# --- routing ------------------------------------------------------------------------------------------------


def module_route_keys() -> list[str]:
    """The route keys api.tf gives the HTTP API (its local.routes)."""
    [routes] = [
        block["routes"]
        for block in load_hcl((REPO_ROOT / "api.tf").read_text())["locals"]
        if "routes" in block
    ]
    return re.findall(r'"([^"]+)"', routes)


@pytest.mark.parametrize("route_key", [key for key in module_route_keys() if not key.startswith("ANY ")])
def test_each_method_route_of_the_module_reaches_its_handler(invoke, products, route_key):
    # API Gateway sends only these methods and paths; each must reach the writer's handler for it, never the
    # 404 or 405 the writer gives paths and methods it does not serve.
    method, template = route_key.split(" ")
    product = create(invoke)
    path = template.replace("{id}", product["id"])

    response = invoke(http_request(method, path, PRODUCT if method in ("POST", "PUT") else None))

    assert response.status in (200, 201, 204), response.text


@pytest.mark.parametrize("route_key", [key for key in module_route_keys() if key.startswith("ANY ")])
def test_each_any_route_of_the_module_answers_other_methods_with_405(invoke, products, route_key):
    # API Gateway sends a method the path has no route for to the path's ANY route.
    path = route_key.split(" ")[1].replace("{id}", "3f0c6f5e-8a3b-4c1d-9e2f-7a6b5c4d3e2f")

    response = invoke(http_request("PATCH", path, PRODUCT))

    assert response.status == 405, response.text
    assert products.products == {}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/items"),
        ("POST", "/products/"),
        ("GET", "/products/a/b"),
        ("DELETE", "/productsx"),
    ],
)
def test_an_unknown_route_is_404(invoke, products, method, path):
    response = invoke(http_request(method, path))

    assert response.status == 404
    assert response.json() == {"message": "no such resource"}


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/products", "POST"),
        ("DELETE", "/products", "POST"),
        ("PATCH", "/products/3f0c6f5e-8a3b-4c1d-9e2f-7a6b5c4d3e2f", "DELETE, GET, PUT"),
        ("POST", "/products/3f0c6f5e-8a3b-4c1d-9e2f-7a6b5c4d3e2f", "DELETE, GET, PUT"),
    ],
)
def test_a_wrong_method_on_a_known_path_is_405_with_allow(invoke, products, method, path, allow):
    response = invoke(http_request(method, path, PRODUCT if method in ("POST", "PATCH") else None))

    assert response.status == 405
    assert response.headers["allow"] == allow
    assert "message" in response.json()
    assert products.products == {}


# --- dependency failure -------------------------------------------------------------------------------------

STORE_CALLS = [
    pytest.param("POST", "/products", PRODUCT, id="create"),
    pytest.param("GET", "/products/3f0c6f5e-8a3b-4c1d-9e2f-7a6b5c4d3e2f", None, id="read"),
    pytest.param("PUT", "/products/3f0c6f5e-8a3b-4c1d-9e2f-7a6b5c4d3e2f", PRODUCT, id="replace"),
    pytest.param("DELETE", "/products/3f0c6f5e-8a3b-4c1d-9e2f-7a6b5c4d3e2f", None, id="delete"),
]


@pytest.mark.parametrize(("method", "path", "body"), STORE_CALLS)
def test_a_store_failure_is_a_503_without_internals_and_is_logged_with_its_cause(
    writer, writer_logs, method, path, body
):
    # GIVEN a store that cannot reach its table
    cause = EndpointConnectionError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com/")
    failing = FailingProductStore(cause)
    event = http_request(method, path, body)
    event["requestContext"]["requestId"] = "Bq3Jmh0mjoEEMgQ="

    # WHEN a client calls the API
    response = writer(failing)(event)

    # THEN the client gets a JSON 503 that names neither the table nor the SDK
    assert failing.calls == 1
    assert response.status == 503
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"message": "the product store is unavailable, try again later"}
    assert "dynamodb" not in response.text.lower()
    # AND the log holds the cause, correlated with the API request and the Lambda request
    [line] = writer_logs.with_message("product store request failed")
    assert line["level"] == "ERROR"
    assert line["error_type"] == "EndpointConnectionError"
    assert "Could not connect to the endpoint URL" in line["exception"]
    assert line["correlation_id"] == "Bq3Jmh0mjoEEMgQ="
    assert line["function_request_id"] == "5d7b0f61-4f0a-4c9e-9d2e-8b1a5f1f0c3e"
    assert line["service"] == "products-writer"


def test_bad_input_is_refused_before_the_store_is_called(writer):
    failing = FailingProductStore()
    call = writer(failing)

    assert call(http_request("POST", "/products", "{}")).status == 400
    assert call(http_request("GET", "/products/not-a-uuid")).status == 404
    assert (
        call(
            http_request(
                "PUT", "/products/3f0c6f5e-8a3b-4c1d-9e2f-7a6b5c4d3e2f", PRODUCT, content_type="text/plain"
            )
        ).status
        == 415
    )
    assert failing.calls == 0


# --- metrics ------------------------------------------------------------------------------------------------


def _emitted_metrics(stdout: str) -> list[dict[str, Any]]:
    blobs = [json.loads(line) for line in stdout.splitlines() if line.startswith("{") and '"_aws"' in line]
    return blobs


@pytest.mark.parametrize(
    ("method", "metric"),
    [("POST", "ProductsCreated"), ("PUT", "ProductsUpdated"), ("DELETE", "ProductsDeleted")],
)
def test_successful_writes_are_counted_in_metrics(invoke, products, capsys, method, metric):
    product_id = create(invoke)["id"] if method != "POST" else ""
    capsys.readouterr()
    path = "/products" if method == "POST" else f"/products/{product_id}"

    invoke(http_request(method, path, PRODUCT if method != "DELETE" else None))

    [blob] = _emitted_metrics(capsys.readouterr().out)
    assert blob[metric] == [1.0] or blob[metric] == 1.0
    directive = blob["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "ProductsTest"
    assert blob["service"] == "products-writer"


def test_rejected_writes_are_not_counted(invoke, products, capsys):
    invoke(http_request("POST", "/products", "{}"))

    emitted = _emitted_metrics(capsys.readouterr().out)
    assert all("ProductsCreated" not in blob for blob in emitted)


# --- tracing ------------------------------------------------------------------------------------------------


def test_each_invocation_is_traced_as_a_subsegment_annotated_with_the_service(invoke, products, monkeypatch):
    provider = RecordingProvider()
    monkeypatch.setattr(handler.tracer, "provider", provider)

    invoke(http_request("POST", "/products", PRODUCT))

    [subsegment] = provider.subsegments
    assert subsegment.name == "## lambda_handler"
    assert subsegment.annotations["Service"] == "products-writer"
    assert "ColdStart" in subsegment.annotations
