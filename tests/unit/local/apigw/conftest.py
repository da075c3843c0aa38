"""Fixtures for the API front's tests: an HTTP API deployed in the emulator, a fake function, and an HTTP
client."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.apigw.server import ApiFront
from local.constants import ACCOUNT_ID, REGION
from local.lambda_runtime.invoke import InvokeResult
from tests.unit.local.conftest import package

Responder = Callable[[dict[str, Any]], InvokeResult]


@dataclass
class FakeInvoker:
    """Records each event and answers with `respond` (by default a 200 echoing the event)."""

    respond: Responder = field(
        default=lambda event: InvokeResult(payload={"statusCode": 200, "body": json.dumps({"ok": True})})
    )
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def invoke(self, function_arn: str, payload: dict[str, Any]) -> InvokeResult:
        self.calls.append((function_arn, payload))
        return self.respond(payload)


@dataclass
class Http:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def send(
    url: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    sign_with: tuple[str, str] | None = None,
) -> Http:
    headers = dict(headers or {})
    if sign_with is not None:
        request = AWSRequest(method=method, url=url, data=body or b"", headers=headers)
        SigV4Auth(Credentials(*sign_with), "execute-api", REGION).add_auth(request)
        headers = dict(request.headers.items())
    req = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(req, timeout=10) as response:  # noqa: S310 - loopback
            return Http(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return Http(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


@dataclass
class DeployedApi:
    api_id: str
    function_arn: str
    log_group: str


@pytest.fixture
def make_api(aws: Callable[[str], Any], role_arn: str) -> Callable[..., DeployedApi]:
    """An HTTP API in the emulator: one Lambda proxy integration (payload 2.0), the given routes, a stage."""

    def create(
        routes: dict[str, str] | None = None,
        cors: dict[str, Any] | None = None,
        jwt: dict[str, Any] | None = None,
        stage: str = "$default",
        permission: bool = True,
        alias: str | None = None,
    ) -> DeployedApi:
        """With `alias`, the integration and the permission name that alias of a published version, as the
        module's SnapStart setting deploys them."""
        name = f"api-{uuid.uuid4().hex[:8]}"
        function = aws("lambda").create_function(
            FunctionName=f"{name}-fn",
            Runtime="python3.13",
            Role=role_arn,
            Handler="app.handler",
            Code={"ZipFile": package({"app.py": "def handler(e, c):\n    return None\n"})},
            Publish=alias is not None,
        )
        function_arn = function["FunctionArn"]
        if alias is not None:
            function_arn = aws("lambda").create_alias(
                FunctionName=function["FunctionName"], Name=alias, FunctionVersion=function["Version"]
            )["AliasArn"]
        apigw = aws("apigatewayv2")
        api = apigw.create_api(
            Name=name, ProtocolType="HTTP", **({"CorsConfiguration": cors} if cors else {})
        )
        api_id = api["ApiId"]
        invoke_arn = (
            f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
        )
        integration = apigw.create_integration(
            ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=invoke_arn, PayloadFormatVersion="2.0"
        )
        authorizer_id = None
        if jwt is not None:
            authorizer_id = apigw.create_authorizer(
                ApiId=api_id,
                Name="jwt",
                AuthorizerType="JWT",
                IdentitySource=["$request.header.Authorization"],
                JwtConfiguration=jwt,
            )["AuthorizerId"]
        for key, authorization in (routes or {"POST /products": "NONE"}).items():
            extra: dict[str, Any] = {}
            if authorization == "JWT":
                extra = {"AuthorizerId": authorizer_id, "AuthorizationScopes": ["products/write"]}
            apigw.create_route(
                ApiId=api_id,
                RouteKey=key,
                Target=f"integrations/{integration['IntegrationId']}",
                AuthorizationType=authorization,
                **extra,
            )
        log_group = f"/aws/apigateway/{name}"
        aws("logs").create_log_group(logGroupName=log_group)
        apigw.create_stage(
            ApiId=api_id,
            StageName=stage,
            AutoDeploy=True,
            AccessLogSettings={
                "DestinationArn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{log_group}",
                "Format": json.dumps(
                    {
                        "requestId": "$context.requestId",
                        "routeKey": "$context.routeKey",
                        "status": "$context.status",
                    }
                ),
            },
        )
        if permission:
            aws("lambda").add_permission(
                FunctionName=function["FunctionName"],
                **({"Qualifier": alias} if alias is not None else {}),
                StatementId="api",
                Action="lambda:InvokeFunction",
                Principal="apigateway.amazonaws.com",
                SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api_id}/*/*",
            )
        return DeployedApi(api_id, function_arn, log_group)

    return create


@pytest.fixture
def serve(endpoint: str) -> Iterator[Callable[[DeployedApi, FakeInvoker], ApiFront]]:
    fronts: list[ApiFront] = []

    def start(api: DeployedApi, invoker: FakeInvoker) -> ApiFront:
        front = ApiFront(endpoint, api.api_id, invoker).start()
        fronts.append(front)
        return front

    yield start
    for front in fronts:
        front.stop()
