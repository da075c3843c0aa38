"""The API front: API Gateway's behaviour for an HTTP API configured in the emulator, with a fake function."""

from __future__ import annotations

import base64
import http.client
import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local import ACCOUNT_ID, REGION
from local.api import ApiError, ApiFront, Route, check_jwt, map_response, match_route, permission_allows
from local.invoke import InvokeResult
from local.sigv4 import verify
from tests.unit.local.test_runtime import package

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
    ) -> DeployedApi:
        name = f"api-{uuid.uuid4().hex[:8]}"
        function = aws("lambda").create_function(
            FunctionName=f"{name}-fn",
            Runtime="python3.13",
            Role=role_arn,
            Handler="app.handler",
            Code={"ZipFile": package({"app.py": "def handler(e, c):\n    return None\n"})},
        )
        apigw = aws("apigatewayv2")
        api = apigw.create_api(
            Name=name, ProtocolType="HTTP", **({"CorsConfiguration": cors} if cors else {})
        )
        api_id = api["ApiId"]
        invoke_arn = (
            f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function['FunctionArn']}"
            "/invocations"
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
                FunctionName=function["FunctionArn"],
                StatementId="api",
                Action="lambda:InvokeFunction",
                Principal="apigateway.amazonaws.com",
                SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api_id}/*/*",
            )
        return DeployedApi(api_id, function["FunctionArn"], log_group)

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


# -- routing ---------------------------------------------------------------------------------------------


def routes(*keys: str) -> list[Route]:
    return [Route(key, "integrations/x", "NONE", None, ()) for key in keys]


@pytest.mark.parametrize(
    ("method", "path", "expected_key", "expected_params"),
    [
        ("GET", "/products", "GET /products", {}),
        ("GET", "/products/abc", "GET /products/{id}", {"id": "abc"}),
        ("GET", "/products/special", "GET /products/special", {}),
        ("PUT", "/products/abc", "ANY /products/{id}", {"id": "abc"}),
        ("GET", "/products/a%20b/c", "GET /products/{proxy+}", {"proxy": "a b/c"}),
        ("DELETE", "/elsewhere", "$default", {}),
    ],
)
def test_routes_are_matched_like_api_gateway(
    method: str, path: str, expected_key: str, expected_params: dict[str, str]
) -> None:
    table = routes(
        "GET /products",
        "GET /products/{id}",
        "GET /products/special",
        "ANY /products/{id}",
        "GET /products/{proxy+}",
        "$default",
    )

    matched = match_route(table, method, path)

    assert matched is not None
    assert (matched[0].key, matched[1]) == (expected_key, expected_params)


def test_no_route_and_no_default_route_is_no_match() -> None:
    assert match_route(routes("POST /products"), "GET", "/products") is None
    assert match_route(routes("GET /products/{id}"), "GET", "/products/") is None


def test_unknown_routes_get_api_gateways_404(make_api: Callable[..., DeployedApi], serve: Any) -> None:
    invoker = FakeInvoker()
    front = serve(make_api({"POST /products": "NONE"}), invoker)

    response = send(f"{front.url}/nothing-here")

    assert (response.status, response.json()) == (404, {"message": "Not Found"})
    assert response.headers["apigw-requestid"]
    assert invoker.calls == []


def test_a_named_stage_is_the_first_path_segment(make_api: Callable[..., DeployedApi], serve: Any) -> None:
    invoker = FakeInvoker()
    api = make_api({"GET /products/{id}": "NONE"}, stage="prod")
    front = serve(api, invoker)

    assert send(f"{front.url}/products/1").status == 404
    assert send(f"{front.url}/prod/products/1").status == 200
    event = invoker.calls[0][1]
    assert event["requestContext"]["stage"] == "prod"
    assert event["pathParameters"] == {"id": "1"}


# -- the event -------------------------------------------------------------------------------------------


def test_the_function_gets_a_payload_format_2_event(make_api: Callable[..., DeployedApi], serve: Any) -> None:
    invoker = FakeInvoker()
    api = make_api({"PUT /products/{id}": "NONE"})
    front = serve(api, invoker)
    body = json.dumps({"name": "my product", "price": 10, "category": "furniture"}).encode()

    response = send(
        f"{front.url}/products/p-1?tag=a&tag=b&q=x%20y",
        "PUT",
        body,
        {"Content-Type": "application/json", "X-Custom": "One", "Cookie": "a=1; b=2", "User-Agent": "tests"},
    )

    assert response.status == 200
    function_arn, event = invoker.calls[0]
    assert function_arn == api.function_arn
    assert event["version"] == "2.0"
    assert event["routeKey"] == "PUT /products/{id}"
    assert event["rawPath"] == "/products/p-1"
    assert event["rawQueryString"] == "tag=a&tag=b&q=x%20y"
    assert event["queryStringParameters"] == {"tag": "a,b", "q": "x y"}
    assert event["pathParameters"] == {"id": "p-1"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"]["x-custom"] == "One"
    assert event["headers"]["content-type"] == "application/json"
    assert "cookie" not in event["headers"]
    assert all(name == name.lower() for name in event["headers"])
    assert event["body"] == body.decode()
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["http"] == {
        "method": "PUT",
        "path": "/products/p-1",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "tests",
    }
    assert context["accountId"] == ACCOUNT_ID
    assert context["apiId"] == api.api_id
    assert context["domainName"] == front.url.removeprefix("http://")
    assert context["requestId"] == response.headers["apigw-requestid"]
    assert context["routeKey"] == "PUT /products/{id}"
    assert context["stage"] == "$default"
    assert abs(context["timeEpoch"] / 1000 - time.time()) < 60
    datetime.strptime(context["time"], "%d/%b/%Y:%H:%M:%S +0000")  # API Gateway's format parses


def test_binary_bodies_reach_the_function_base64_encoded(
    make_api: Callable[..., DeployedApi], serve: Any
) -> None:
    invoker = FakeInvoker()
    front = serve(make_api(), invoker)

    send(f"{front.url}/products", "POST", b"\x00\xffbinary", {"Content-Type": "application/octet-stream"})

    event = invoker.calls[0][1]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\xffbinary"


# -- the response ----------------------------------------------------------------------------------------


def test_the_functions_response_is_mapped_like_api_gateway(
    make_api: Callable[..., DeployedApi], serve: Any
) -> None:
    answer = {
        "statusCode": 201,
        "headers": {"Location": "/products/p-1", "Content-Type": "application/json"},
        "cookies": ["session=abc; HttpOnly", "theme=dark"],
        "body": base64.b64encode(b'{"id": "p-1"}').decode(),
        "isBase64Encoded": True,
    }
    front = serve(make_api(), FakeInvoker(lambda event: InvokeResult(payload=answer)))

    response = send(f"{front.url}/products", "POST", b"{}", {"Content-Type": "application/json"})

    assert response.status == 201
    assert response.headers["location"] == "/products/p-1"
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"id": "p-1"}


def test_set_cookie_headers_come_one_per_cookie() -> None:
    mapped = map_response({"statusCode": 200, "cookies": ["a=1", "b=2"], "body": "x"})

    assert [value for name, value in mapped.headers if name == "set-cookie"] == ["a=1", "b=2"]
    assert ("content-type", "text/plain; charset=utf-8") in mapped.headers


@pytest.mark.parametrize(
    ("payload", "body"),
    [({"id": "p-1"}, b'{"id": "p-1"}'), ("plain text", b"plain text"), ([1, 2], b"[1, 2]")],
)
def test_a_result_without_status_code_is_inferred_as_a_json_200(payload: Any, body: bytes) -> None:
    mapped = map_response(payload)

    assert (mapped.status, mapped.body) == (200, body)
    assert mapped.headers == [("content-type", "application/json")]


@pytest.mark.parametrize(
    "payload", [{"statusCode": "200"}, {"statusCode": 99}, {"statusCode": 200, "headers": []}]
)
def test_a_malformed_result_is_a_500(payload: Any) -> None:
    with pytest.raises(ApiError) as raised:
        map_response(payload)

    assert (raised.value.status, raised.value.message) == (500, "Internal Server Error")


def test_a_function_error_is_api_gateways_500(make_api: Callable[..., DeployedApi], serve: Any) -> None:
    error = {"errorType": "ValueError", "errorMessage": "boom", "stackTrace": []}
    front = serve(make_api(), FakeInvoker(lambda event: InvokeResult(error=error)))

    response = send(f"{front.url}/products", "POST", b"{}")

    assert (response.status, response.json()) == (500, {"message": "Internal Server Error"})


def test_without_a_lambda_permission_for_api_gateway_the_route_fails(
    make_api: Callable[..., DeployedApi], serve: Any
) -> None:
    invoker = FakeInvoker()
    front = serve(make_api(permission=False), invoker)

    response = send(f"{front.url}/products", "POST", b"{}")

    assert response.status == 500
    assert invoker.calls == []


def test_permission_source_arn_patterns_are_matched() -> None:
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "apigateway.amazonaws.com"},
                "Action": "lambda:InvokeFunction",
                "Condition": {
                    "ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:us-east-1:1:abc/*/POST/products"}
                },
            }
        ]
    }

    assert permission_allows(policy, "arn:aws:execute-api:us-east-1:1:abc/$default/POST/products")
    assert not permission_allows(policy, "arn:aws:execute-api:us-east-1:1:abc/$default/GET/products")
    assert not permission_allows(policy, "arn:aws:execute-api:us-east-1:1:other/$default/POST/products")


def test_each_request_is_written_to_the_stage_access_log(
    make_api: Callable[..., DeployedApi], serve: Any, aws: Callable[[str], Any]
) -> None:
    api = make_api()
    front = serve(api, FakeInvoker())

    response = send(f"{front.url}/products", "POST", b"{}")
    front.access_log.flush()  # sent after the response, as API Gateway does

    events = aws("logs").filter_log_events(logGroupName=api.log_group)["events"]
    assert [json.loads(e["message"]) for e in events] == [
        {"requestId": response.headers["apigw-requestid"], "routeKey": "POST /products", "status": "200"}
    ]


# -- AWS_IAM ---------------------------------------------------------------------------------------------


def test_aws_iam_routes_accept_a_valid_signature_and_reject_the_rest(
    make_api: Callable[..., DeployedApi], serve: Any
) -> None:
    invoker = FakeInvoker()
    front = serve(make_api({"POST /products": "AWS_IAM", "GET /products/{id}": "AWS_IAM"}), invoker)
    url = f"{front.url}/products"
    body = b'{"name": "my product"}'
    json_type = {"Content-Type": "application/json"}

    signed = send(url, "POST", body, json_type, sign_with=("testing", "testing"))
    signed_get = send(f"{front.url}/products/p-1?x=1&a=2", sign_with=("testing", "testing"))
    unsigned = send(url, "POST", body, json_type)
    wrong_secret = send(url, "POST", body, json_type, sign_with=("testing", "not-the-secret"))
    unknown_key = send(url, "POST", body, json_type, sign_with=("AKIDUNKNOWN", "testing"))

    assert (signed.status, signed_get.status) == (200, 200)
    assert invoker.calls[0][1]["requestContext"]["authorizer"]["iam"]["accessKey"] == "testing"
    assert (unsigned.status, unsigned.json()) == (403, {"message": "Forbidden"})
    assert wrong_secret.status == 403
    assert wrong_secret.json()["message"].startswith("The request signature we calculated does not match")
    assert (unknown_key.status, unknown_key.json()) == (
        403,
        {"message": "The security token included in the request is invalid."},
    )
    assert len(invoker.calls) == 2


def signed_headers(url: str, method: str, body: bytes, when: datetime | None = None) -> list[tuple[str, str]]:
    request = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": "application/json"})
    signer = SigV4Auth(Credentials("testing", "testing"), "execute-api", REGION)
    if when is None:
        signer.add_auth(request)
    else:
        request.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
        request.headers["X-Amz-Date"] = request.context["timestamp"]
        canonical = signer.canonical_request(request)
        signature = signer.signature(signer.string_to_sign(request, canonical), request)
        signed = signer.signed_headers(signer.headers_to_sign(request))
        scope = signer.scope(request)
        request.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={signed}, Signature={signature}"
        )
    headers = list(request.headers.items())
    return [*headers, ("Host", "127.0.0.1:8080")]


def check(
    headers: list[tuple[str, str]], body: bytes, path: str = "/products", now: datetime | None = None
) -> Any:
    return verify(
        "POST",
        "127.0.0.1:8080",
        path,
        "",
        headers,
        body,
        region=REGION,
        secrets={"testing": "testing"},
        now=now,
    )


def test_a_signature_does_not_verify_once_the_body_path_or_a_signed_header_changes() -> None:
    body = b'{"price": 10}'
    headers = signed_headers("http://127.0.0.1:8080/products", "POST", body)

    assert check(headers, body).ok
    assert not check(headers, b'{"price": 0}').ok
    assert not check(headers, body, path="/products/other").ok
    tampered = [(k, "text/plain" if k.lower() == "content-type" else v) for k, v in headers]
    assert not check(tampered, body).ok


def test_a_signature_older_than_five_minutes_has_expired() -> None:
    body = b"{}"
    signed_at = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    headers = signed_headers("http://127.0.0.1:8080/products", "POST", body, when=signed_at)

    assert check(headers, body, now=signed_at + timedelta(minutes=4)).ok
    verdict = check(headers, body, now=signed_at + timedelta(minutes=6))
    assert not verdict.ok
    assert verdict.message.startswith("Signature expired: 20260101T120000Z is now earlier than")


# -- CORS ------------------------------------------------------------------------------------------------

CORS = {
    "AllowOrigins": ["https://shop.example"],
    "AllowMethods": ["GET", "POST"],
    "AllowHeaders": ["content-type", "authorization"],
    "ExposeHeaders": ["location"],
    "MaxAge": 600,
}


def test_cors_preflight_is_answered_from_the_apis_configuration(
    make_api: Callable[..., DeployedApi], serve: Any
) -> None:
    invoker = FakeInvoker()
    front = serve(make_api({"POST /products": "AWS_IAM"}, cors=CORS), invoker)
    preflight = {"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}

    allowed = send(f"{front.url}/products", "OPTIONS", headers=preflight)
    other_origin = send(
        f"{front.url}/products", "OPTIONS", headers={**preflight, "Origin": "https://evil.example"}
    )
    other_method = send(
        f"{front.url}/products", "OPTIONS", headers={**preflight, "Access-Control-Request-Method": "DELETE"}
    )

    assert allowed.status == 204
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
    assert allowed.headers["access-control-allow-methods"] == "GET,POST"
    assert allowed.headers["access-control-allow-headers"] == "content-type,authorization"
    assert allowed.headers["access-control-max-age"] == "600"
    assert other_origin.status == 204
    assert "access-control-allow-origin" not in other_origin.headers
    assert "access-control-allow-origin" not in other_method.headers
    assert invoker.calls == []  # preflight needs neither a route nor a signature


def test_responses_to_an_allowed_origin_carry_cors_headers(
    make_api: Callable[..., DeployedApi], serve: Any
) -> None:
    front = serve(make_api(cors=CORS), FakeInvoker())

    allowed = send(f"{front.url}/products", "POST", b"{}", {"Origin": "https://shop.example"})
    other = send(f"{front.url}/products", "POST", b"{}", {"Origin": "https://evil.example"})

    assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
    assert allowed.headers["access-control-expose-headers"] == "location"
    assert "access-control-allow-origin" not in other.headers


# -- JWT -------------------------------------------------------------------------------------------------

ISSUER = "https://issuer.example"


def jwt(claims: dict[str, Any], alg: str = "RS256") -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': alg, 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": "products-api", "exp": now + 300, "iat": now - 5, "sub": "u1", **overrides}


@pytest.mark.parametrize(
    ("token", "status"),
    [
        (None, 401),
        ("not-a-jwt", 401),
        (jwt(claims(iss="https://other.example")), 401),
        (jwt(claims(aud="another-api")), 401),
        (jwt(claims(exp=int(time.time()) - 1)), 401),
        (jwt(claims(nbf=int(time.time()) + 300)), 401),
        (jwt(claims(), alg="HS256"), 401),
        (jwt(claims(scope="products/read")), 403),
    ],
)
def test_jwt_tokens_failing_an_offline_check_are_rejected(token: str | None, status: int) -> None:
    with pytest.raises(ApiError) as raised:
        check_jwt(token, ISSUER, ["products-api"], ("products/write",))

    assert raised.value.status == status


def test_a_jwt_with_the_right_claims_is_accepted() -> None:
    token = jwt(claims(aud=["x", "products-api"], scope="openid products/write"))

    assert check_jwt(f"Bearer {token}", ISSUER, ["products-api"], ("products/write",))["sub"] == "u1"
    assert (
        check_jwt(jwt(claims(aud=None, client_id="products-api")), ISSUER, ["products-api"], ())["sub"]
        == "u1"
    )


def test_jwt_routes_check_the_authorizers_configuration(
    make_api: Callable[..., DeployedApi], serve: Any
) -> None:
    invoker = FakeInvoker()
    api = make_api({"POST /products": "JWT"}, jwt={"Issuer": ISSUER, "Audience": ["products-api"]})
    front = serve(api, invoker)
    good = jwt(claims(scope="products/write"))

    accepted = send(f"{front.url}/products", "POST", b"{}", {"Authorization": f"Bearer {good}"})
    rejected = send(
        f"{front.url}/products", "POST", b"{}", {"Authorization": f"Bearer {jwt(claims(aud='x'))}"}
    )

    assert accepted.status == 200
    assert (rejected.status, rejected.json()) == (401, {"message": "Unauthorized"})
    authorizer = invoker.calls[0][1]["requestContext"]["authorizer"]["jwt"]
    assert authorizer["claims"]["iss"] == ISSUER
    assert authorizer["scopes"] == ["products/write"]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curls_aws_sigv4_signing_is_accepted(make_api: Callable[..., DeployedApi], serve: Any) -> None:
    invoker = FakeInvoker()
    front = serve(make_api({"POST /products": "AWS_IAM"}), invoker)
    body = '{"name": "my product", "price": 10, "category": "furniture"}'
    command = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", f"{front.url}/products"]
    signing = ["--aws-sigv4", "aws:amz:us-east-1:execute-api", "-H", "content-type: application/json"]

    signed = subprocess.run(
        [*command, *signing, "--user", "testing:testing", "-d", body], capture_output=True
    )
    wrong = subprocess.run([*command, *signing, "--user", "testing:wrong", "-d", body], capture_output=True)

    assert (signed.stdout, wrong.stdout) == (b"200", b"403")
    assert json.loads(invoker.calls[0][1]["body"]) == json.loads(body)


def test_a_chunked_request_body_reaches_the_function_whole(
    make_api: Callable[..., DeployedApi], serve: Any
) -> None:
    invoker = FakeInvoker()
    front = serve(make_api(), invoker)
    connection = http.client.HTTPConnection("127.0.0.1", front.port, timeout=10)

    connection.request(
        "POST",
        "/products",
        body=iter([b'{"name": ', b'"chunked"}']),
        headers={"Content-Type": "application/json"},
        encode_chunked=True,
    )
    status = connection.getresponse().status
    connection.close()

    assert status == 200
    assert json.loads(invoker.calls[0][1]["body"]) == {"name": "chunked"}
