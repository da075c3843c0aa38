"""The DynamoDB side of the writer: exact numbers, conditional writes, how the connection is configured."""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from writer import handler, store
from writer.validation import ProductFields

FIELDS = ProductFields(name="Coffee mug", price=Decimal("10.99"), category="kitchen")


@pytest.fixture
def dynamodb_calls(table: Any) -> Iterator[list[dict[str, Any]]]:
    """Every DynamoDB operation the model's connection makes, with its parameters."""
    calls: list[dict[str, Any]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append({"operation": model.name, **params})

    events = store.ProductModel._get_connection().connection.client.meta.events
    events.register("provide-client-params.dynamodb.*", record)
    yield calls
    events.unregister("provide-client-params.dynamodb.*", record)


def test_exact_number_attribute_keeps_all_38_digits(table):
    # GIVEN a number that a float would round (it has 38 significant digits)
    number = Decimal("1234567890123.4567890123456789012345678")
    item = store.ProductModel("Product#x", "User#Product", name="n", price=number, category="c")
    item.created_at = item.updated_at = "2026-11-26T00:00:00.000Z"
    item.version = 1

    # WHEN it is saved and read back
    item.save()

    # THEN DynamoDB holds exactly those digits, and the model returns them as an equal Decimal
    assert table.item("x")["price"] == {"N": "1234567890123.4567890123456789012345678"}
    assert store.ProductModel.get("Product#x", "User#Product").price == number


def test_create_then_get_round_trips_the_product(table):
    created = store.create_product(FIELDS)

    assert store.get_product(created.id) == created
    assert created.price == Decimal("10.99")
    assert created.version == 1


def test_a_conditional_replace_is_one_conditional_update_without_a_read(dynamodb_calls):
    # GIVEN a product
    created = store.create_product(FIELDS)
    dynamodb_calls.clear()

    # WHEN it is replaced with the version the client holds
    replaced = store.replace_product(created.id, FIELDS, expected_version=1)

    # THEN the check and the write are one UpdateItem whose condition names the version: no read-then-write
    assert replaced.version == 2
    [call] = dynamodb_calls
    assert call["operation"] == "UpdateItem"
    assert "ConditionExpression" in call
    assert {"N": "1"} in call["ExpressionAttributeValues"].values()
    assert "version" in call["ExpressionAttributeNames"].values()


def test_a_stale_replace_raises_version_conflict_with_the_current_version(table):
    created = store.create_product(FIELDS)
    store.replace_product(created.id, FIELDS, expected_version=None)

    with pytest.raises(store.VersionConflict) as raised:
        store.replace_product(created.id, FIELDS, expected_version=1)

    assert raised.value.current_version == 2


def test_replace_and_delete_of_a_missing_product_raise_not_found(table):
    missing = str(uuid.uuid4())

    with pytest.raises(store.ProductNotFound):
        store.replace_product(missing, FIELDS, expected_version=None)
    with pytest.raises(store.ProductNotFound):
        store.delete_product(missing)
    assert table.items() == []


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
    assert store.is_product_id(value) is expected


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
    monkeypatch.setattr(store.ProductModel, "_connection", None)

    client = store.ProductModel._get_connection().connection.client

    assert client.meta.endpoint_url == expected
    assert client.meta.region_name == "eu-west-1"


def test_the_table_name_comes_from_the_environment():
    assert store.ProductModel.Meta.table_name == "products-test"


def test_a_missing_table_name_is_a_clear_start_up_error(monkeypatch):
    monkeypatch.delenv("TABLE_NAME")

    with pytest.raises(RuntimeError, match="TABLE_NAME is not set"):
        store._table_name()


def test_a_missing_metrics_namespace_stops_the_writer_at_start_up(monkeypatch):
    # Powertools would otherwise fail each write at flush time, after DynamoDB had already taken it.
    namespace = os.environ["POWERTOOLS_METRICS_NAMESPACE"]
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE")
    try:
        with pytest.raises(RuntimeError, match="POWERTOOLS_METRICS_NAMESPACE is not set"):
            importlib.reload(handler)
    finally:
        monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", namespace)
        importlib.reload(handler)
