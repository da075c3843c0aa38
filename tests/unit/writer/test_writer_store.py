"""The DynamoDB store, on moto: item shape, exact numbers, conditional writes, errors, the connection."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from writer import handler, store
from writer.products import ProductNotFound, StoreUnavailable, VersionConflict, is_product_id
from writer.store import DynamoDBProductStore
from writer.validation import ProductFields

from tests.fixtures.events import http_request

# Reads and rejected writes record no metric, and Powertools warns of it. writer.handler filters that warning
# at import, but pytest resets the warning filters for each test, so the tests filter it again.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")

FIELDS = ProductFields(name="Coffee mug", price=Decimal("10.99"), category="kitchen")


@pytest.fixture
def dynamodb_calls(dynamodb_store: DynamoDBProductStore) -> Iterator[list[dict[str, Any]]]:
    """Every DynamoDB operation the store's connection makes, with its parameters."""
    calls: list[dict[str, Any]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append({"operation": model.name, **params})

    events = dynamodb_store.model._get_connection().connection.client.meta.events
    events.register("provide-client-params.dynamodb.*", record)
    yield calls
    events.unregister("provide-client-params.dynamodb.*", record)


def test_a_created_product_is_an_item_of_the_documented_shape(dynamodb_store, table):
    product = dynamodb_store.create(FIELDS)

    assert uuid.UUID(product.id).version == 4
    assert table.item(product.id) == {
        "PK": {"S": f"Product#{product.id}"},
        "SK": {"S": "User#Product"},
        "name": {"S": "Coffee mug"},
        "price": {"N": "10.99"},
        "category": {"S": "kitchen"},
        "created_at": {"S": product.created_at},
        "updated_at": {"S": product.created_at},
        "version": {"N": "1"},
    }


@pytest.mark.parametrize(
    "price", ["10.99", "0.1", "999999999.9999", "1000000000", "0", "1.5", "100", "12.34"]
)
def test_prices_are_stored_as_their_exact_digits(dynamodb_store, table, price):
    product = dynamodb_store.create(ProductFields(name="n", price=Decimal(price), category="c"))

    assert table.item(product.id)["price"] == {"N": price}
    assert str(dynamodb_store.get(product.id).price) == price


def test_exact_number_attribute_keeps_all_38_digits(dynamodb_store, table):
    # GIVEN a number that a float would round (it has 38 significant digits)
    number = Decimal("1234567890123.4567890123456789012345678")
    item = dynamodb_store.model("Product#x", "User#Product", name="n", price=number, category="c")
    item.created_at = item.updated_at = "2026-11-26T00:00:00.000Z"
    item.version = 1

    # WHEN it is saved and read back
    item.save()

    # THEN DynamoDB holds exactly those digits, and the model returns them as an equal Decimal
    assert table.item("x")["price"] == {"N": "1234567890123.4567890123456789012345678"}
    assert dynamodb_store.model.get("Product#x", "User#Product").price == number


def test_create_then_get_round_trips_the_product(dynamodb_store):
    created = dynamodb_store.create(FIELDS)

    assert dynamodb_store.get(created.id) == created
    assert created.price == Decimal("10.99")
    assert created.version == 1


def test_replace_updates_the_fields_and_the_version(dynamodb_store, table):
    created = dynamodb_store.create(FIELDS)

    replaced = dynamodb_store.replace(
        created.id, ProductFields(name="Tea mug", price=Decimal("12.5"), category="kitchenware"), None
    )

    assert (replaced.name, replaced.price, replaced.version) == ("Tea mug", Decimal("12.5"), 2)
    assert replaced.created_at == created.created_at
    item = table.item(created.id)
    assert (item["name"], item["price"], item["version"]) == ({"S": "Tea mug"}, {"N": "12.5"}, {"N": "2"})


def test_a_conditional_replace_is_one_conditional_update_without_a_read(dynamodb_store, dynamodb_calls):
    # GIVEN a product
    created = dynamodb_store.create(FIELDS)
    dynamodb_calls.clear()

    # WHEN it is replaced with the version the client holds
    replaced = dynamodb_store.replace(created.id, FIELDS, expected_version=1)

    # THEN the check and the write are one UpdateItem whose condition names the version: no read-then-write
    assert replaced.version == 2
    [call] = dynamodb_calls
    assert call["operation"] == "UpdateItem"
    assert "ConditionExpression" in call
    assert {"N": "1"} in call["ExpressionAttributeValues"].values()
    assert "version" in call["ExpressionAttributeNames"].values()


def test_a_stale_replace_raises_version_conflict_with_the_current_version(dynamodb_store):
    created = dynamodb_store.create(FIELDS)
    dynamodb_store.replace(created.id, FIELDS, expected_version=None)

    with pytest.raises(VersionConflict) as raised:
        dynamodb_store.replace(created.id, FIELDS, expected_version=1)

    assert raised.value.current_version == 2


def test_get_replace_and_delete_of_a_missing_product_raise_not_found(dynamodb_store, table):
    missing = str(uuid.uuid4())

    with pytest.raises(ProductNotFound):
        dynamodb_store.get(missing)
    with pytest.raises(ProductNotFound):
        dynamodb_store.replace(missing, FIELDS, expected_version=None)
    with pytest.raises(ProductNotFound):
        dynamodb_store.replace(missing, FIELDS, expected_version=1)
    with pytest.raises(ProductNotFound):
        dynamodb_store.delete(missing)
    assert table.items() == []


def test_delete_removes_the_item(dynamodb_store, table):
    created = dynamodb_store.create(FIELDS)

    dynamodb_store.delete(created.id)

    assert table.items() == []


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda s: s.create(FIELDS), id="create"),
        pytest.param(lambda s: s.get(str(uuid.uuid4())), id="get"),
        pytest.param(lambda s: s.replace(str(uuid.uuid4()), FIELDS, None), id="replace"),
        pytest.param(lambda s: s.replace(str(uuid.uuid4()), FIELDS, 1), id="replace-if-match"),
        pytest.param(lambda s: s.delete(str(uuid.uuid4())), id="delete"),
    ],
)
def test_a_failing_table_is_store_unavailable_with_the_dynamodb_error_as_cause(aws, call):
    # GIVEN no products table at all: moto answers ResourceNotFoundException
    missing_table = DynamoDBProductStore("products-test")

    with pytest.raises(StoreUnavailable) as raised:
        call(missing_table)

    assert "ResourceNotFoundException" in str(raised.value.__cause__)


def test_a_failing_table_is_a_503_through_the_api(aws, writer, writer_logs):
    response = writer(DynamoDBProductStore("products-test"))(http_request("GET", f"/products/{uuid.uuid4()}"))

    assert response.status == 503
    [line] = writer_logs.with_message("product store request failed")
    assert line["error_type"] == "GetError"
    assert "ResourceNotFoundException" in line["exception"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (str(uuid.UUID(int=7, version=4)), True),
        ("3F0C6F5E-8A3B-4C1D-9E2F-7A6B5C4D3E2F", False),
        ("3f0c6f5e8a3b4c1d9e2f7a6b5c4d3e2f", False),
        ("{3f0c6f5e-8a3b-4c1d-9e2f-7a6b5c4d3e2f}", False),
        ("", False),
        ("Product#3f0c6f5e-8a3b-4c1d-9e2f-7a6b5c4d3e2f", False),
    ],
)
def test_only_canonical_uuids_are_product_ids(value, expected):
    assert is_product_id(value) is expected


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}, "http://127.0.0.1:4566"),
        ({"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:5005"}, "http://127.0.0.1:5005"),
        ({}, "https://dynamodb.eu-west-1.amazonaws.com"),
    ],
)
def test_the_connection_takes_region_and_endpoint_from_the_environment(monkeypatch, variables, expected):
    # pynamodb builds its own botocore client; the local stack relies on it honouring AWS_ENDPOINT_URL.
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    client = DynamoDBProductStore("products-test").model._get_connection().connection.client

    assert client.meta.endpoint_url == expected
    assert client.meta.region_name == "eu-west-1"


def test_each_store_is_bound_to_its_own_table_and_connection(table):
    one, other = DynamoDBProductStore(table.name), DynamoDBProductStore("other-products")

    assert one.model.Meta.table_name == table.name
    assert other.model.Meta.table_name == "other-products"
    assert one.model._get_connection() is not other.model._get_connection()
    # The shared base class is bound to no table.
    assert not hasattr(store.ProductItem, "Meta") or not hasattr(store.ProductItem.Meta, "table_name")


@pytest.mark.parametrize("name", ["", "  "])
def test_a_store_needs_a_table_name(name):
    with pytest.raises(ValueError, match="table_name must be the products table's name"):
        DynamoDBProductStore(name)


def test_the_dynamodb_connection_is_made_once_and_reused_across_invocations(writer, dynamodb_store):
    invoke = writer(dynamodb_store)
    created = invoke(http_request("POST", "/products", '{"name": "n", "price": 1, "category": "c"}')).json()
    connection = dynamodb_store.model._get_connection()
    client = connection.connection.client

    invoke(http_request("GET", f"/products/{created['id']}"))
    invoke(http_request("DELETE", f"/products/{created['id']}"))

    assert dynamodb_store.model._get_connection() is connection
    assert connection.connection.client is client


def test_the_function_serves_the_table_its_environment_names(table, lambda_context):
    # writer.handler was imported with TABLE_NAME=products-test (see conftest): its handler writes there.
    result = handler.lambda_handler(
        http_request("POST", "/products", '{"name": "n", "price": 2, "category": "c"}'), lambda_context
    )

    assert result["statusCode"] == 201
    assert [item["name"] for item in table.items()] == [{"S": "n"}]
