"""Writer tests: the API on an in-memory store, the DynamoDB store on moto in-process.

The environment is the one Terraform sets; the writer reads it once, when writer.handler is imported.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import boto3
import pytest
from moto import mock_aws
from writer import api
from writer.idempotency import Idempotency
from writer.products import ProductStore
from writer.store import DynamoDBProductStore

from tests.fixtures import logs
from tests.fixtures.product_stores import InMemoryProductStore

# What Terraform sets for the writer. Read at import by writer.handler and by Powertools; set only while this
# directory's code runs, so other tests see their own environment.
ENVIRONMENT = {
    "TABLE_NAME": "products-test",
    "POWERTOOLS_SERVICE_NAME": "products-writer",
    "POWERTOOLS_METRICS_NAMESPACE": "ProductsTest",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
with mock.patch.dict(os.environ, ENVIRONMENT):
    from writer import handler


REGION = "eu-west-1"


@pytest.fixture(autouse=True)
def _aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and no endpoint override: every SDK call lands in moto and never leaves the host."""
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)


@dataclass
class ProductsTable:
    client: Any
    name: str

    def items(self) -> list[dict[str, Any]]:
        """Every item, in DynamoDB JSON (numbers as the exact strings DynamoDB holds)."""
        return list(self.client.scan(TableName=self.name, ConsistentRead=True)["Items"])

    def item(self, product_id: str) -> dict[str, Any] | None:
        key = {"PK": {"S": f"Product#{product_id}"}, "SK": {"S": "User#Product"}}
        return self.client.get_item(TableName=self.name, Key=key, ConsistentRead=True).get("Item")


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture(scope="module")
def dynamodb_client() -> Any:
    # Created once: a botocore client takes longer to build than most tests take to run. moto intercepts
    # its calls whenever a mock is active, whenever the client was made.
    return boto3.client(
        "dynamodb",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        endpoint_url=f"https://dynamodb.{REGION}.amazonaws.com",
    )


@pytest.fixture
def table(aws: None, dynamodb_client: Any) -> ProductsTable:
    """The products table with the key schema and stream that the module's table.tf declares."""
    client = dynamodb_client
    name = os.environ["TABLE_NAME"]
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return ProductsTable(client=client, name=name)


@pytest.fixture
def dynamodb_store(table: ProductsTable) -> DynamoDBProductStore:
    """The store the function runs with, on the moto table."""
    return DynamoDBProductStore(table.name)


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    text: str
    raw: dict[str, Any] = field(repr=False)

    def json(self) -> Any:
        return json.loads(self.text)


Invoke = Callable[[dict[str, Any]], HttpResponse]


@pytest.fixture
def writer(lambda_context: Any) -> Callable[..., Invoke]:
    """``writer(store, idempotency=None)``: a Lambda handler serving the API on ``store``, as a function from
    an API Gateway event to the HTTP response it describes."""

    def make(products: ProductStore, idempotency: Idempotency | None = None) -> Invoke:
        lambda_handler = handler.build_handler(api.build_api(products, idempotency=idempotency))

        def call(event: dict[str, Any]) -> HttpResponse:
            result = lambda_handler(event, lambda_context)
            return HttpResponse(
                status=result["statusCode"],
                headers={k.lower(): v for k, v in result.get("headers", {}).items()},
                text=result.get("body") or "",
                raw=result,
            )

        return call

    return make


@pytest.fixture
def products() -> InMemoryProductStore:
    return InMemoryProductStore()


@pytest.fixture
def invoke(writer: Callable[..., Invoke], products: InMemoryProductStore) -> Invoke:
    """The writer on the in-memory ``products`` store."""
    return writer(products)


@pytest.fixture
def writer_logs() -> Iterator[logs.CapturedLogs]:
    with logs.captured(handler.logger) as captured:
        yield captured
