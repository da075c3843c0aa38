"""The Lambda integration: the function's resource policy decides whether API Gateway may call it; each
request is access-logged."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from local.apigw.integration import permission_allows
from tests.unit.local.apigw.conftest import DeployedApi, FakeInvoker, send


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
