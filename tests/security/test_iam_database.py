"""The offline IAM catalogue check (tests.security.iam_database) finds what AWS would not honour, and the
lists in tests.security.iam_policies agree with AWS's catalogue. Needs no emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.security.iam_database import findings, parliament, supports_resource_level_permissions
from tests.security.iam_policies import NEEDS, NO_RESOURCE_LEVEL_PERMISSIONS

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/products"
# As DynamoDB labels streams: a timestamp, colons included.
STREAM = f"{TABLE}/stream/2026-11-26T10:00:00.000"


def policy(actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Test", "Effect": "Allow", "Action": actions, "Resource": resources}],
    }


def issues(document: dict[str, Any] | str) -> list[str]:
    return [finding.issue for finding in findings(document)]


@pytest.mark.parametrize("action", sorted(NO_RESOURCE_LEVEL_PERMISSIONS))
def test_actions_allowed_on_star_support_no_resource_level_permissions(action: str) -> None:
    assert not supports_resource_level_permissions(action)


@pytest.mark.parametrize(
    "action", sorted({action for needs in NEEDS.values() for n in needs for action in n.actions})
)
def test_every_needed_action_is_in_the_catalogue(action: str) -> None:
    # Raises for an action AWS does not define; whatever it answers, the action exists.
    supports_resource_level_permissions(action)


def test_the_catalogue_knows_which_actions_can_be_scoped() -> None:
    assert supports_resource_level_permissions("dynamodb:GetRecords")
    assert supports_resource_level_permissions("logs:PutLogEvents")
    assert not supports_resource_level_permissions("dynamodb:ListStreams")
    with pytest.raises(KeyError, match="dynamodb:ListStream is not in the IAM catalogue"):
        supports_resource_level_permissions("dynamodb:ListStream")


def test_list_streams_on_a_stream_is_a_resource_mismatch() -> None:
    # GIVEN the statement as the module wrote it before: ListStreams scoped to the table's streams
    document = policy(["dynamodb:ListStreams"], [f"{TABLE}/stream/*"])
    # THEN the catalogue says no resource of that type can scope ListStreams: the statement grants nothing
    assert issues(document) == ["RESOURCE_MISMATCH"]
    assert issues(policy(["dynamodb:ListStreams"], [STREAM])) == ["RESOURCE_MISMATCH"]
    assert issues(policy(["dynamodb:ListStreams"], ["*"])) == []


def test_unknown_actions_and_services_are_findings() -> None:
    assert issues(policy(["dynamodb:GetItems"], [TABLE])) == ["UNKNOWN_ACTION"]
    assert issues(policy(["dynamodbb:GetItem"], [TABLE])) == ["UNKNOWN_PREFIX"]


def test_a_malformed_arn_is_a_finding() -> None:
    # No region and account parts: not an ARN at all
    assert "INVALID_ARN" in issues(policy(["dynamodb:GetItem"], ["arn:aws:dynamodb:table/products"]))


def test_an_action_on_the_wrong_resource_type_is_a_resource_mismatch() -> None:
    assert issues(policy(["dynamodb:GetRecords"], [TABLE])) == ["RESOURCE_MISMATCH"]
    assert issues(policy(["sqs:SendMessage"], ["arn:aws:sns:us-east-1:123456789012:failures"])) == [
        "RESOURCE_MISMATCH"
    ]


def test_a_stream_label_with_colons_is_read_as_a_stream() -> None:
    stream_reads = policy(["dynamodb:GetRecords", "dynamodb:DescribeStream"], [STREAM])
    # GIVEN parliament alone, which reads the label's colons as ARN separators and finds no stream there
    assert [
        finding.issue for finding in parliament.analyze_policy_string(json.dumps(stream_reads)).findings
    ] == ["RESOURCE_MISMATCH"]
    # THEN iam_database reads it as the stream it is
    assert issues(stream_reads) == []
    # AND still reports an action that a stream cannot scope
    assert issues(policy(["dynamodb:ListStreams"], [STREAM])) == ["RESOURCE_MISMATCH"]


def test_policies_as_iam_returns_them_are_read() -> None:
    document = json.dumps(policy(["dynamodb:ListStreams"], [f"{TABLE}/stream/*"]))
    encoded = document.replace("{", "%7B").replace("}", "%7D").replace('"', "%22")

    assert issues(encoded) == ["RESOURCE_MISMATCH"]
