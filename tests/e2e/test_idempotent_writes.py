"""POST /products with an Idempotency-Key header, through the deployed API and the module's idempotency
table."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.conftest import Response, Stack

pytestmark = pytest.mark.e2e

CONCURRENT_DUPLICATES = 6


def product(name: str, price: float = 10) -> dict[str, Any]:
    return {"name": name, "price": price, "category": "idempotency"}


def post(stack: Stack, body: dict[str, Any], key: str | None) -> Response:
    return stack.request("POST", "/products", body, headers={} if key is None else {"Idempotency-Key": key})


def ids_named(stack: Stack, name: str) -> list[str]:
    return [item["PK"]["S"].removeprefix("Product#") for item in stack.items_named(name)]


def test_a_repeated_request_gets_the_same_product_and_writes_once(stack: Stack) -> None:
    name, key = f"idem-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())

    first = post(stack, product(name), key)
    again = post(stack, product(name), key)

    assert first.status == 201, first.body
    assert (again.status, again.body) == (first.status, first.body)
    assert again.headers.get("location", again.headers.get("Location")) == first.headers.get(
        "location", first.headers.get("Location")
    )
    assert ids_named(stack, name) == [first.json()["id"]]
    # The module's idempotency table holds the record that answered the repeat.
    table = stack.outputs["idempotency_table_name"]
    records = stack.aws("dynamodb").scan(TableName=table, ConsistentRead=True)
    assert any(record["status"]["S"] == "COMPLETED" for record in records["Items"])


def test_the_same_key_with_another_body_is_rejected(stack: Stack) -> None:
    name, key = f"idem-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    first = post(stack, product(name), key)

    other = post(stack, product(name, price=11), key)

    assert first.status == 201, first.body
    assert other.status == 422, other.body
    assert "Idempotency-Key" in other.json()["errors"]
    assert ids_named(stack, name) == [first.json()["id"]]


def test_concurrent_duplicates_create_one_product(stack: Stack) -> None:
    name, key = f"idem-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    start = threading.Barrier(CONCURRENT_DUPLICATES)

    def send(_: int) -> Response:
        start.wait(30)
        return post(stack, product(name), key)

    with ThreadPoolExecutor(CONCURRENT_DUPLICATES) as pool:
        responses = list(pool.map(send, range(CONCURRENT_DUPLICATES)))

    # Each duplicate either got the product or was told that the first request is still running.
    assert {response.status for response in responses} <= {201, 409}, [r.status for r in responses]
    for response in responses:
        if response.status == 409:
            assert response.json()["message"]
    created = {response.json()["id"] for response in responses if response.status == 201}
    # A client retrying after its 409 gets the same product.
    retry = post(stack, product(name), key)
    assert retry.status == 201, retry.body
    assert created <= {retry.json()["id"]}
    assert ids_named(stack, name) == [retry.json()["id"]]


def test_without_the_header_each_post_creates_a_product(stack: Stack) -> None:
    name = f"idem-{uuid.uuid4().hex[:8]}"

    first, second = post(stack, product(name), None), post(stack, product(name), None)

    assert first.status == second.status == 201
    assert sorted(ids_named(stack, name)) == sorted([first.json()["id"], second.json()["id"]])
