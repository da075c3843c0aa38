"""The Lambda integration: the function's resource policy decides whether API Gateway may call it; each
request is access-logged."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from local.apigw.integration import function_arn_of, permission_allows
from tests.unit.local.apigw.conftest import DeployedApi, FakeInvoker, send


def test_without_a_lambda_permission_for_api_gateway_the_route_fails(
    make_api: Callable[..., DeployedApi], serve: Any
) -> None:
    invoker = FakeInvoker()
    front = serve(make_api(permission=False), invoker)

    response = send(f"{front.url}/products", "POST", b"{}")

    assert response.status == 500
    assert invoker.calls == []


def test_a_route_integrated_with_an_alias_invokes_the_alias(
    make_api: Callable[..., DeployedApi], serve: Any
) -> None:
    # GIVEN an API integrated with a function's alias, with the permission on the alias (as under SnapStart)
    invoker = FakeInvoker()
    api = make_api(alias="live")
    front = serve(api, invoker)

    # WHEN a request arrives
    response = send(f"{front.url}/products", "POST", b"{}")

    # THEN the alias-qualified function is invoked
    assert response.status == 200
    assert [arn for arn, _ in invoker.calls] == [api.function_arn]
    assert api.function_arn.endswith(":live")


def test_the_function_of_an_invoke_arn_keeps_its_qualifier() -> None:
    function = "arn:aws:lambda:us-east-1:123456789012:function:cdc-writer"
    for arn in (function, f"{function}:live", f"{function}:7"):
        uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"
        assert function_arn_of({"IntegrationUri": uri}) == arn
        assert function_arn_of({"IntegrationUri": arn}) == arn


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
