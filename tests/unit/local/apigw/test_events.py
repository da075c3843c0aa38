"""Payload format 2.0: the event the function gets, and how its result becomes the HTTP response."""

from __future__ import annotations

import base64
import http.client
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from local.apigw.events import map_response
from local.apigw.messages import ApiError
from local.constants import ACCOUNT_ID
from local.lambda_runtime.invoke import InvokeResult
from tests.unit.local.apigw.conftest import DeployedApi, FakeInvoker, send


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
