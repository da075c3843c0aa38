"""Fixtures for the local stack's unit tests: one in-process emulator per session, and builders of the
resources (a table with a stream, a function) that tests create in it through the AWS APIs."""

from __future__ import annotations

import io
import textwrap
import uuid
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from local import client
from local.emulator import Emulator

ROLE_POLICY = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


def unique(prefix: str) -> str:
    # moto's state is shared by every test in the process: names keep tests apart.
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def package(files: dict[str, str]) -> bytes:
    """A zip of {path: source}, each source dedented."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, textwrap.dedent(text))
    return buffer.getvalue()


def dummy_zip() -> bytes:
    return package({"index.py": "def handler(event, context):\n    return None\n"})


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with Emulator(port=0) as running:
        yield running


@pytest.fixture(scope="session")
def endpoint(emulator: Emulator) -> str:
    return emulator.endpoint


@pytest.fixture(scope="session")
def aws(endpoint: str) -> Callable[[str], Any]:
    clients: dict[str, Any] = {}

    def get(service: str) -> Any:
        if service not in clients:
            clients[service] = client(service, endpoint)
        return clients[service]

    return get


@pytest.fixture(scope="session")
def role_arn(aws: Callable[[str], Any]) -> str:
    role = aws("iam").create_role(RoleName=unique("role"), AssumeRolePolicyDocument=ROLE_POLICY)
    return str(role["Role"]["Arn"])


def create_stream_table(dynamodb: Any) -> tuple[str, str]:
    """Creates a table (keys `pk`, `sk`) with a NEW_AND_OLD_IMAGES stream; returns (name, stream ARN)."""
    name = unique("table")
    table = dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return name, str(table["TableDescription"]["LatestStreamArn"])


@pytest.fixture
def stream_table(aws: Callable[[str], Any]) -> Callable[[], tuple[str, str]]:
    return lambda: create_stream_table(aws("dynamodb"))


@pytest.fixture
def function(aws: Callable[[str], Any], role_arn: str) -> Callable[[], str]:
    """Creates a function with a dummy package (a fake invoker stands in for running it); returns its ARN."""

    def create() -> str:
        created = aws("lambda").create_function(
            FunctionName=unique("fn"),
            Runtime="python3.13",
            Role=role_arn,
            Handler="index.handler",
            Code={"ZipFile": dummy_zip()},
        )
        return str(created["FunctionArn"])

    return create
