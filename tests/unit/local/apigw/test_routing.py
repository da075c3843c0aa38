"""Routing as API Gateway does it: stages, routes, path parameters, API Gateway's 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from local.apigw.config import Route
from local.apigw.routing import match_route
from tests.unit.local.apigw.conftest import DeployedApi, FakeInvoker, send


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
