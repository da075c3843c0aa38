"""POST /products with an Idempotency-Key header: Powertools idempotency on a moto idempotency table,
products in the in-memory store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from writer import idempotency
from writer.products import StoreUnavailable

from tests.fixtures.events import http_request
from tests.fixtures.product_stores import InterceptedProductStore

# Reads and rejected writes record no metric, and Powertools warns of it. writer.handler filters that warning
# at import, but pytest resets the warning filters for each test, so the tests filter it again.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")

IDEMPOTENCY_TABLE = "products-test-idempotency"
PRODUCT = '{"name": "Coffee mug", "price": 10.5, "category": "kitchen"}'
ALICE = "arn:aws:iam::123456789012:user/alice"
BOB = "arn:aws:iam::123456789012:user/bob"


@pytest.fixture
def idempotency_table(aws: None, dynamodb_client: Any) -> Any:
    """The idempotency table as table.tf creates it: partition key "id", TTL on "expiration"."""
    client = dynamodb_client
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
    return client


@pytest.fixture
def keyed(writer: Any, products: Any, idempotency_table: Any) -> Any:
    """The writer on the in-memory products store, with the idempotency table."""
    return writer(products, idempotency.Idempotency(IDEMPOTENCY_TABLE))


def post(invoke: Any, body: str = PRODUCT, key: str | None = "order-1", principal: str | None = ALICE) -> Any:
    headers = {} if key is None else {idempotency.HEADER: key}
    event = http_request("POST", "/products", body, headers=headers)
    if principal is not None:
        event["requestContext"]["authorizer"] = {"iam": {"accountId": "123456789012", "userArn": principal}}
    return invoke(event)


def records(client: Any) -> list[dict[str, Any]]:
    return list(client.scan(TableName=IDEMPOTENCY_TABLE, ConsistentRead=True)["Items"])


def test_same_key_and_body_returns_the_first_response_and_writes_once(keyed, products, idempotency_table):
    # GIVEN a product created with a key
    first = post(keyed)
    assert first.status == 201, first.text

    # WHEN the client sends the same request again (a retry after a lost response)
    again = post(keyed)

    # THEN it gets the same response, and the table holds one product
    assert again.status == 201
    assert again.json() == first.json()
    assert again.text == first.text
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"]
    assert len(products.products) == 1
    # AND one completed idempotency record, remembered for the documented window
    [record] = records(idempotency_table)
    assert record["status"] == {"S": "COMPLETED"}
    expires_in = int(record["expiration"]["N"]) - time.time()
    assert idempotency.EXPIRES_AFTER_SECONDS - 60 < expires_in <= idempotency.EXPIRES_AFTER_SECONDS


def test_equivalent_body_counts_as_the_same_request(keyed, products, idempotency_table):
    # GIVEN a product created with a key
    first = post(keyed, '{"name": "Coffee mug", "price": 10.5, "category": "kitchen"}')

    # WHEN the retry spells the same fields differently (order, trailing zero, whitespace)
    again = post(keyed, '{ "category":"kitchen", "price":10.50, "name":"Coffee mug" }')

    # THEN the fields, not the bytes, decide: same product
    assert again.status == 201
    assert again.json()["id"] == first.json()["id"]
    assert len(products.products) == 1


def test_same_key_with_other_fields_is_rejected_with_422(keyed, products, idempotency_table):
    # GIVEN a product created with a key
    first = post(keyed)

    # WHEN the key comes back with a different product
    other = post(keyed, '{"name": "Coffee mug", "price": 11, "category": "kitchen"}')

    # THEN the request is refused with a JSON error naming the header, and nothing is written
    assert other.status == 422
    assert other.headers["content-type"] == "application/json"
    assert other.json()["errors"] == {"Idempotency-Key": "already used for another product; use a new key"}
    assert list(products.products) == [first.json()["id"]]


def test_keys_are_scoped_to_the_caller(keyed, products, idempotency_table):
    # WHEN two principals happen to pick the same key, one with other fields
    alice = post(keyed, principal=ALICE)
    bob = post(keyed, '{"name": "Teapot", "price": 30, "category": "kitchen"}', principal=BOB)

    # THEN each gets a product of their own
    assert alice.status == bob.status == 201
    assert alice.json()["id"] != bob.json()["id"]
    assert len(products.products) == 2


def test_different_keys_create_different_products(keyed, products, idempotency_table):
    assert post(keyed, key="order-1").json()["id"] != post(keyed, key="order-2").json()["id"]
    assert len(products.products) == 2
    assert len(records(idempotency_table)) == 2


def test_without_the_header_every_post_creates_a_product(keyed, products, idempotency_table):
    first, second = post(keyed, key=None), post(keyed, key=None)

    assert first.status == second.status == 201
    assert first.json()["id"] != second.json()["id"]
    assert len(products.products) == 2
    assert records(idempotency_table) == []


def test_without_an_idempotency_table_the_header_is_ignored(invoke, products):
    # GIVEN a deployment with idempotency_enabled = false: no IDEMPOTENCY_TABLE_NAME, no Idempotency

    # WHEN a key is sent twice, even one that would be refused, THEN the writer creates a product each time,
    # as without the header
    assert post(invoke).json()["id"] != post(invoke).json()["id"]
    assert post(invoke, key="").status == 201
    assert len(products.products) == 3


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
def test_unusable_keys_are_rejected_with_400(keyed, products, idempotency_table, key, reason):
    response = post(keyed, key=key)

    assert response.status == 400, reason
    assert "Idempotency-Key" in response.json()["errors"]
    assert products.products == {}
    assert records(idempotency_table) == []


def test_longest_key_is_accepted(keyed, products, idempotency_table):
    assert post(keyed, key="k" * idempotency.MAX_KEY_LENGTH).status == 201


def test_invalid_body_leaves_the_key_unused(keyed, products, idempotency_table):
    # GIVEN a request rejected for its body
    assert post(keyed, '{"name": "Coffee mug", "price": -1, "category": "kitchen"}').status == 400

    # WHEN the client fixes the body and sends it with the same key
    fixed = post(keyed)

    # THEN the key was never taken: the product is created
    assert fixed.status == 201
    assert len(products.products) == 1


def test_failed_creation_frees_the_key_for_a_retry(writer, idempotency_table):
    # GIVEN the products store refusing one write
    def fail_first(call: int) -> None:
        if call == 1:
            raise StoreUnavailable("products table request failed") from ConnectionResetError("reset")

    products = InterceptedProductStore(before_create=fail_first)
    invoke = writer(products, idempotency.Idempotency(IDEMPOTENCY_TABLE))

    # WHEN the first attempt fails and the client retries with the same key
    failed = post(invoke)
    retried = post(invoke)

    # THEN the failure was a 503 that kept no record, and the retry created the product
    assert failed.status == 503
    assert failed.json() == {"message": "the product store is unavailable, try again later"}
    assert retried.status == 201
    assert products.create_calls == 2
    assert len(products.products) == 1


def test_idempotency_store_failure_answers_503_and_creates_nothing(keyed, products, idempotency_table):
    # GIVEN the idempotency table gone (deleted, or its permissions revoked)
    idempotency_table.delete_table(TableName=IDEMPOTENCY_TABLE)

    # WHEN a request with a key arrives
    response = post(keyed)

    # THEN the client is told to retry, and no product was written without the key's protection
    assert response.status == 503
    assert response.headers["content-type"] == "application/json"
    assert "message" in response.json()
    assert products.products == {}


def test_duplicate_while_the_first_is_in_progress_gets_409(writer, idempotency_table):
    # Generous waits: they return once the other thread gets there; a loaded machine can take seconds.
    # GIVEN a first request that holds the key: its product write waits until released
    entered, release = threading.Event(), threading.Event()

    def wait_for_release(call: int) -> None:
        entered.set()
        assert release.wait(60)

    products = InterceptedProductStore(before_create=wait_for_release)
    invoke = writer(products, idempotency.Idempotency(IDEMPOTENCY_TABLE))
    responses: dict[str, Any] = {}
    first = threading.Thread(target=lambda: responses.setdefault("first", post(invoke)))
    first.start()
    assert entered.wait(60)

    # WHEN the duplicate arrives while the first is still running (it runs to its end while the first is
    # parked in the store call: the two never interleave in the resolver, whose current event is shared)
    try:
        duplicate = post(invoke)
    finally:
        release.set()
        first.join(60)

    # THEN the duplicate is told to retry, with a JSON body, and only the first writes
    assert duplicate.status == 409
    assert duplicate.headers["content-type"] == "application/json"
    assert duplicate.headers["retry-after"] == "1"
    assert "in progress" in duplicate.json()["message"]
    assert responses["first"].status == 201
    assert len(products.products) == 1
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
