"""The evaluator the least-privilege tests rely on: it must refuse whatever IAM would refuse."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from tests.security.iam_policies import (
    Call,
    Statement,
    UnsupportedPolicy,
    allows,
    denied,
    parse_policy,
    to_iam_calls,
    unexplained_wildcards,
)

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/products"


def allow(actions: list[str], resources: list[str]) -> Statement:
    return Statement("Allow", tuple(actions), tuple(resources))


def test_allows_exact_action_and_resource_only() -> None:
    policy = [allow(["dynamodb:GetItem"], [TABLE])]
    assert allows(policy, Call("dynamodb:GetItem", TABLE, "t"))
    assert not allows(policy, Call("dynamodb:PutItem", TABLE, "t"))
    assert not allows(policy, Call("dynamodb:GetItem", TABLE + "-other", "t"))
    assert not allows([], Call("dynamodb:GetItem", TABLE, "t"))


def test_actions_match_without_case_and_resources_with_case() -> None:
    policy = [allow(["DynamoDB:getitem"], [TABLE])]
    assert allows(policy, Call("dynamodb:GetItem", TABLE, "t"))
    assert not allows(policy, Call("dynamodb:GetItem", TABLE.replace("products", "Products"), "t"))


def test_wildcards_match_within_the_pattern_only() -> None:
    policy = [allow(["dynamodb:Get*"], [f"{TABLE}/stream/*", "arn:aws:sqs:us-east-1:123456789012:queue-?"])]
    assert allows(policy, Call("dynamodb:GetRecords", f"{TABLE}/stream/2026-01-01T00:00:00.000", "t"))
    assert allows(
        policy, Call("dynamodb:GetShardIterator", "arn:aws:sqs:us-east-1:123456789012:queue-1", "t")
    )
    assert not allows(policy, Call("dynamodb:GetRecords", TABLE, "t"))
    assert not allows(policy, Call("dynamodb:GetItem", "arn:aws:sqs:us-east-1:123456789012:queue-10", "t"))
    # Regular-expression characters in a policy are literal characters.
    assert not allows([allow(["logs:PutLogEvents"], ["arn.aws"])], Call("logs:PutLogEvents", "arnXaws", "t"))


def test_deny_wins_over_allow() -> None:
    policy = [allow(["dynamodb:*"], ["*"]), Statement("Deny", ("dynamodb:DeleteItem",), (TABLE,))]
    assert allows(policy, Call("dynamodb:PutItem", TABLE, "t"))
    assert not allows(policy, Call("dynamodb:DeleteItem", TABLE, "t"))


def test_denied_lists_each_refused_call_once_in_order() -> None:
    calls = [Call("dynamodb:PutItem", TABLE, "a"), Call("dynamodb:GetItem", TABLE, "b")] * 2
    assert denied([allow(["dynamodb:GetItem"], [TABLE])], calls) == [Call("dynamodb:PutItem", TABLE, "a")]


def test_parses_iam_url_encoded_documents_and_single_values() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
    }
    encoded = urllib.parse.quote(json.dumps(document))
    assert parse_policy(encoded) == [Statement("Allow", ("sqs:SendMessage",), ("*",))]


@pytest.mark.parametrize("key", ["NotAction", "NotResource", "Condition"])
def test_refuses_policies_it_cannot_evaluate(key: str) -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", key: "x"}
    with pytest.raises(UnsupportedPolicy):
        parse_policy({"Statement": [statement]})


def test_wildcard_resources_need_an_allowance_for_every_action() -> None:
    assert unexplained_wildcards(allow(["xray:PutTraceSegments"], ["*"])) == []
    assert unexplained_wildcards(allow(["xray:PutTraceSegments", "dynamodb:GetItem"], ["*"])) == ["*"]
    assert unexplained_wildcards(
        allow(["dynamodb:GetItem"], ["arn:aws:dynamodb:us-east-1:123456789012:table/*"])
    ) == ["arn:aws:dynamodb:us-east-1:123456789012:table/*"]
    assert unexplained_wildcards(allow(["dynamodb:ListStreams"], ["*"])) == []
    # ListStreams cannot be scoped to streams, so a stream pattern is no allowance for it
    assert unexplained_wildcards(allow(["dynamodb:ListStreams"], [f"{TABLE}/stream/*"])) == [
        f"{TABLE}/stream/*"
    ]


def test_sdk_calls_map_to_table_arns_and_unknown_services_are_refused() -> None:
    recorded = [
        {"service": "dynamodb", "operation": "PutItem", "params": {"TableName": "products"}, "origin": "w"},
        {
            "service": "dynamodb",
            "operation": "TransactWriteItems",
            "params": {"TransactItems": [{"Put": {"TableName": "a"}}, {"Delete": {"TableName": "b"}}]},
            "origin": "w",
        },
    ]
    assert [c.resource.rsplit("/", 1)[1] for c in to_iam_calls(recorded, "us-east-1", "123456789012")] == [
        "products",
        "a",
        "b",
    ]
    with pytest.raises(ValueError, match="s3:GetObject"):
        to_iam_calls(
            [{"service": "s3", "operation": "GetObject", "params": {}, "origin": "w"}],
            "us-east-1",
            "123456789012",
        )
