"""CORS: preflights answered from the API's configuration, and headers on responses to allowed origins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.unit.local.apigw.conftest import DeployedApi, FakeInvoker, send

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
