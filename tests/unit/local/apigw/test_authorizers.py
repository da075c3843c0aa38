"""Route authorization: AWS_IAM (SigV4 signatures) and JWT authorizers, checked offline."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.apigw.authorizers import check_jwt
from local.apigw.messages import ApiError
from local.apigw.sigv4 import verify
from local.constants import REGION
from tests.unit.local.apigw.conftest import DeployedApi, FakeInvoker, send


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
