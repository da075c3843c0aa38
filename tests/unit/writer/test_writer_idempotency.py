"""POST /products with an Idempotency-Key header: Powertools idempotency on a moto idempotency table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pynamodb.exceptions import PutError
from writer import idempotency, store

from tests.fixtures.events import http_request

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")

IDEMPOTENCY_TABLE = "products-test-idempotency"
PRODUCT = '{"name": "Coffee mug", "price": 10.5, "category": "kitchen"}'
ALICE = "arn:aws:iam::123456789012:user/alice"
BOB = "arn:aws:iam::123456789012:user/bob"


@pytest.fixture
def idempotency_table(table: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The idempotency table as table.tf creates it: partition key "id", TTL on "expiration"."""
    monkeypatch.setenv(idempotency.TABLE_ENV, IDEMPOTENCY_TABLE)
    client = table.client
    client.create_table(
        TableName=IDEMPOTENCY_TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=IDEMPOTENCY_TABLE,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"},
    )
    yield client
    # The persistence layer is made once per execution environment; each test gets a fresh one.
    idempotency._powertools.cache_clear()
    idempotency._idempotent_create.cache_clear()


def post(invoke: Any, body: str = PRODUCT, key: str | None = "order-1", principal: str | None = ALICE) -> Any:
    headers = {} if key is None else {idempotency.HEADER: key}
    event = http_request("POST", "/products", body, headers=headers)
    if principal is not None:
        event["requestContext"]["authorizer"] = {"iam": {"accountId": "123456789012", "userArn": principal}}
    return invoke(event)


def records(client: Any) -> list[dict[str, Any]]:
    return list(client.scan(TableName=IDEMPOTENCY_TABLE, ConsistentRead=True)["Items"])


def test_same_key_and_body_returns_the_first_response_and_writes_once(invoke, table, idempotency_table):
    # GIVEN a product created with a key
    first = post(invoke)
    assert first.status == 201, first.text

    # WHEN the client sends the same request again (a retry after a lost response)
    again = post(invoke)

    # THEN it gets the same response, and the table holds one product
    assert again.status == 201
    assert again.json() == first.json()
    assert again.text == first.text
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"]
    assert len(table.items()) == 1
    # AND one completed idempotency record, remembered for the documented window
    [record] = records(idempotency_table)
    assert record["status"] == {"S": "COMPLETED"}
    expires_in = int(record["expiration"]["N"]) - time.time()
    assert idempotency.EXPIRES_AFTER_SECONDS - 60 < expires_in <= idempotency.EXPIRES_AFTER_SECONDS


def test_equivalent_body_counts_as_the_same_request(invoke, table, idempotency_table):
    # GIVEN a product created with a key
    first = post(invoke, '{"name": "Coffee mug", "price": 10.5, "category": "kitchen"}')

    # WHEN the retry spells the same fields differently (order, trailing zero, whitespace)
    again = post(invoke, '{ "category":"kitchen", "price":10.50, "name":"Coffee mug" }')

    # THEN the fields, not the bytes, decide: same product
    assert again.status == 201
    assert again.json()["id"] == first.json()["id"]
    assert len(table.items()) == 1


def test_same_key_with_other_fields_is_rejected_with_422(invoke, table, idempotency_table):
    # GIVEN a product created with a key
    first = post(invoke)

    # WHEN the key comes back with a different product
    other = post(invoke, '{"name": "Coffee mug", "price": 11, "category": "kitchen"}')

    # THEN the request is refused with a JSON error naming the header, and nothing is written
    assert other.status == 422
    assert other.headers["content-type"] == "application/json"
    assert other.json()["errors"] == {"Idempotency-Key": "already used for another product; use a new key"}
    assert [item["PK"]["S"] for item in table.items()] == [f"Product#{first.json()['id']}"]


def test_keys_are_scoped_to_the_caller(invoke, table, idempotency_table):
    # WHEN two principals happen to pick the same key, one with other fields
    alice = post(invoke, principal=ALICE)
    bob = post(invoke, '{"name": "Teapot", "price": 30, "category": "kitchen"}', principal=BOB)

    # THEN each gets a product of their own
    assert alice.status == bob.status == 201
    assert alice.json()["id"] != bob.json()["id"]
    assert len(table.items()) == 2


def test_different_keys_create_different_products(invoke, table, idempotency_table):
    assert post(invoke, key="order-1").json()["id"] != post(invoke, key="order-2").json()["id"]
    assert len(table.items()) == 2
    assert len(records(idempotency_table)) == 2


def test_without_the_header_every_post_creates_a_product(invoke, table, idempotency_table):
    first, second = post(invoke, key=None), post(invoke, key=None)

    assert first.status == second.status == 201
    assert first.json()["id"] != second.json()["id"]
    assert len(table.items()) == 2
    assert records(idempotency_table) == []


def test_without_an_idempotency_table_the_header_is_ignored(invoke, table, monkeypatch):
    # GIVEN a deployment with idempotency_enabled = false: no IDEMPOTENCY_TABLE_NAME
    monkeypatch.delenv(idempotency.TABLE_ENV, raising=False)

    # WHEN a key is sent twice, THEN the writer creates a product each time, as without the header
    assert post(invoke).json()["id"] != post(invoke).json()["id"]
    assert len(table.items()) == 2


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "empty"),
        ("   ", "blank"),
        ("k" * (idempotency.MAX_KEY_LENGTH + 1), "too long"),
        ("clé", "not ASCII"),
        ("a\tb", "control character"),
    ],
)
def test_unusable_keys_are_rejected_with_400(invoke, table, idempotency_table, key, reason):
    response = post(invoke, key=key)

    assert response.status == 400, reason
    assert "Idempotency-Key" in response.json()["errors"]
    assert table.items() == []
    assert records(idempotency_table) == []


def test_longest_key_is_accepted(invoke, table, idempotency_table):
    assert post(invoke, key="k" * idempotency.MAX_KEY_LENGTH).status == 201


def test_invalid_body_leaves_the_key_unused(invoke, table, idempotency_table):
    # GIVEN a request rejected for its body
    assert post(invoke, '{"name": "Coffee mug", "price": -1, "category": "kitchen"}').status == 400

    # WHEN the client fixes the body and sends it with the same key
    fixed = post(invoke)

    # THEN the key was never taken: the product is created
    assert fixed.status == 201
    assert len(table.items()) == 1


def test_failed_creation_frees_the_key_for_a_retry(invoke, table, idempotency_table, monkeypatch):
    # GIVEN the products table refusing one write
    real_create = store.create_product
    calls = 0

    def failing_once(fields: Any) -> store.Product:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise PutError("Failed to put item", cause=RuntimeError("throttled"))
        return real_create(fields)

    monkeypatch.setattr(store, "create_product", failing_once)

    # WHEN the first attempt fails and the client retries with the same key
    failed = post(invoke)
    retried = post(invoke)

    # THEN the failure was a 503 that kept no record, and the retry created the product
    assert failed.status == 503
    assert failed.json() == {"message": "the product store is unavailable, try again later"}
    assert retried.status == 201
    assert len(table.items()) == 1


def test_idempotency_store_failure_answers_503_and_creates_nothing(invoke, table, idempotency_table):
    # GIVEN the idempotency table gone (deleted, or its permissions revoked)
    idempotency_table.delete_table(TableName=IDEMPOTENCY_TABLE)

    # WHEN a request with a key arrives
    response = post(invoke)

    # THEN the client is told to retry, and no product was written without the key's protection
    assert response.status == 503
    assert response.headers["content-type"] == "application/json"
    assert "message" in response.json()
    assert table.items() == []


def test_duplicate_while_the_first_is_in_progress_gets_409(invoke, table, idempotency_table, monkeypatch):
    # GIVEN a first request that holds the key: its product write waits until released
    entered, release = threading.Event(), threading.Event()
    real_create = store.create_product

    def slow_create(fields: Any) -> store.Product:
        entered.set()
        assert release.wait(10)
        return real_create(fields)

    monkeypatch.setattr(store, "create_product", slow_create)
    responses: dict[str, Any] = {}
    first = threading.Thread(target=lambda: responses.setdefault("first", post(invoke)))
    first.start()
    assert entered.wait(10)

    # WHEN the duplicate arrives while the first is still running (it runs to its end while the first is
    # parked in the store call: the two never interleave in the resolver, whose current event is shared)
    try:
        duplicate = post(invoke)
    finally:
        release.set()
        first.join(10)

    # THEN the duplicate is told to retry, with a JSON body, and only the first writes
    assert duplicate.status == 409
    assert duplicate.headers["content-type"] == "application/json"
    assert duplicate.headers["retry-after"] == "1"
    assert "in progress" in duplicate.json()["message"]
    assert responses["first"].status == 201
    assert len(table.items()) == 1
    # AND once the first is done, the retry gets its product
    retry = post(invoke)
    assert retry.status == 201
    assert retry.json() == responses["first"].json()


def test_requests_without_a_key_do_not_import_the_idempotency_utility():
    # Cold start: boto3 and Powertools' idempotency load on the first request with a key, not at import.
    code = (
        "import sys, json; import writer.handler; "
        "print(json.dumps([m for m in ('boto3', 'aws_lambda_powertools.utilities.idempotency') "
        "if m in sys.modules]))"
    )
    env = {
        **os.environ,
        "TABLE_NAME": "products",
        "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE,
        "POWERTOOLS_METRICS_NAMESPACE": "ProductsTest",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PYTHONPATH": "lambda_src",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[3],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(result.stdout) == []
