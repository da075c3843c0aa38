"""What the module's roles may do, what they need to do, and an evaluator that decides one against the other.

The evaluator follows IAM's rules for identity policies as far as this module uses them: a request is allowed
when an Allow statement matches its action and resource and no Deny statement does; `*` and `?` are wildcards,
actions match case-insensitively and resources case-sensitively. Policies that use anything else (NotAction,
NotResource, Condition, NotPrincipal) are refused, so the evaluator never allows what AWS would refuse.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    sid: str = ""


@dataclass(frozen=True)
class Call:
    """One AWS request a function makes (or that AWS makes with the function's role), as IAM authorizes it."""

    action: str
    resource: str
    origin: str  # where the call came from, for failure messages


class UnsupportedPolicy(ValueError):
    pass


SUPPORTED_KEYS = {"Sid", "Effect", "Action", "Resource"}


def parse_policy(document: str | Mapping[str, Any]) -> list[Statement]:
    """The statements of a policy document (JSON text, URL-encoded JSON as IAM returns it, or a dict)."""
    if isinstance(document, str):
        text = document if document.lstrip().startswith("{") else urllib.parse.unquote(document)
        parsed: Mapping[str, Any] = json.loads(text)
    else:
        parsed = document
    raw = parsed["Statement"]
    statements = []
    items: list[dict[str, Any]] = [raw] if isinstance(raw, dict) else raw
    for item in items:
        unsupported = set(item) - SUPPORTED_KEYS
        if unsupported:
            raise UnsupportedPolicy(f"statement {item.get('Sid', '?')} uses {sorted(unsupported)}")
        actions = item["Action"]
        resources = item["Resource"]
        statements.append(
            Statement(
                effect=item["Effect"],
                actions=tuple([actions] if isinstance(actions, str) else actions),
                resources=tuple([resources] if isinstance(resources, str) else resources),
                sid=item.get("Sid", ""),
            )
        )
    return statements


@cache
def _pattern(wildcard: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in wildcard)
    return re.compile(regex, re.IGNORECASE if ignore_case else 0)


def matches(wildcard: str, value: str, *, ignore_case: bool = False) -> bool:
    return _pattern(wildcard, ignore_case).fullmatch(value) is not None


def _applies(statement: Statement, call: Call) -> bool:
    return any(matches(a, call.action, ignore_case=True) for a in statement.actions) and any(
        matches(r, call.resource) for r in statement.resources
    )


def allows(statements: Iterable[Statement], call: Call) -> bool:
    statements = list(statements)
    if any(s.effect == "Deny" and _applies(s, call) for s in statements):
        return False
    return any(s.effect == "Allow" and _applies(s, call) for s in statements)


def denied(statements: Iterable[Statement], calls: Iterable[Call]) -> list[Call]:
    """The calls the statements do not allow, in order, without repeats."""
    statements = list(statements)
    return list(dict.fromkeys(call for call in calls if not allows(statements, call)))


# -- what each role needs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    actions: frozenset[str]
    why: str


# Every action a role may hold, and who needs it. Anything else in a policy fails the inventory test; anything
# missing here that a handler calls fails the handler test.
NEEDS: dict[str, tuple[Need, ...]] = {
    "writer": (
        Need(
            frozenset({"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}),
            "the writer's handler: product items (pynamodb), and Powertools' idempotency records",
        ),
    ),
    "consumer": (
        Need(
            frozenset(
                {
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                }
            ),
            "Lambda's event source mapping reads the table's stream with the consumer's role",
        ),
        Need(
            frozenset({"sqs:SendMessage", "sns:Publish", "s3:PutObject", "s3:ListBucket"}),
            "Lambda's event source mapping sends failed batches to the on-failure destination with the role",
        ),
    ),
    "redrive": (
        Need(
            frozenset({"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"}),
            "the redrive's handler (type s3): lists and reads failed batches, moves them under redriven/",
        ),
        Need(
            frozenset(
                {
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes",
                    "dynamodb:DescribeStream",
                    "dynamodb:GetShardIterator",
                    "dynamodb:GetRecords",
                }
            ),
            "the redrive's handler (types sqs and sns): reads the pointers, then the stream ranges they name",
        ),
        Need(
            frozenset({"lambda:InvokeFunction"}),
            "the redrive's handler replays each batch through the consumer, synchronously",
        ),
    ),
    "both": (
        Need(
            frozenset({"logs:CreateLogStream", "logs:PutLogEvents"}),
            "Lambda writes each function's stdout to its log group with the function's role",
        ),
        Need(
            frozenset({"xray:PutTraceSegments", "xray:PutTelemetryRecords"}),
            "Lambda's X-Ray integration (tracing_mode) sends segments with the function's role",
        ),
        Need(
            frozenset({"kms:Decrypt", "kms:GenerateDataKey"}),
            "with kms_key_arn: items, stream records and queue messages encrypted with the customer's key",
        ),
        Need(
            frozenset(
                {
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSubnets",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                }
            ),
            "with subnet_ids: Lambda manages the functions' network interfaces with their roles",
        ),
    ),
}


def needed_actions(function: str) -> frozenset[str]:
    return frozenset().union(*(need.actions for need in NEEDS[function] + NEEDS["both"]))


# -- wildcard resources ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WildcardAllowance:
    actions: frozenset[str]
    resource: str  # a regular expression over the resource as written in the policy
    why: str


# The actions that support no resource-level permissions, the only ones a statement may grant on "*" (the only
# resource AWS honours for them), each with who needs it. tests/security/test_iam_database.py checks each
# against AWS's catalogue, so none can be listed here while it does support resource-level permissions.
NO_RESOURCE_LEVEL_PERMISSIONS: dict[str, str] = {
    "xray:PutTraceSegments": "Lambda's X-Ray integration sends trace segments",
    "xray:PutTelemetryRecords": "Lambda's X-Ray integration sends telemetry",
    "ec2:DescribeNetworkInterfaces": "Lambda finds the functions' network interfaces in the VPC",
    "ec2:DescribeSubnets": "Lambda looks up the functions' subnets in the VPC",
    "dynamodb:ListStreams": "Lambda lists the table's streams for the event source mapping",
}


# The only resources with a wildcard a policy may hold, each for exactly these actions.
WILDCARD_ALLOWANCES: tuple[WildcardAllowance, ...] = (
    WildcardAllowance(
        frozenset(NO_RESOURCE_LEVEL_PERMISSIONS),
        r"\*",
        "these actions support no resource-level permissions (NO_RESOURCE_LEVEL_PERMISSIONS)",
    ),
    WildcardAllowance(
        frozenset({"logs:CreateLogStream", "logs:PutLogEvents"}),
        r"arn:[^:*]+:logs:[^:*]+:\d{12}:log-group:[^:*]+:\*",
        "the streams of the function's own log group, which Lambda names per execution environment",
    ),
    WildcardAllowance(
        frozenset({"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}),
        r"arn:[^:*]+:s3:::[a-z0-9][a-z0-9.-]+/\*",
        "the objects of the one failure bucket, whose keys Lambda names per failed batch",
    ),
    WildcardAllowance(
        frozenset(
            {
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            }
        ),
        r"arn:[^:*]+:ec2:[^:*]+:\d{12}:network-interface/\*",
        "network interfaces Lambda creates in this account and region, whose IDs are not known in advance",
    ),
)


def unexplained_wildcards(statement: Statement) -> list[str]:
    """The statement's wildcard resources that no allowance covers for all of its actions."""
    actions = {a.lower() for a in statement.actions}
    return [
        resource
        for resource in statement.resources
        if ("*" in resource or "?" in resource)
        and not any(
            actions <= {a.lower() for a in allowance.actions} and re.fullmatch(allowance.resource, resource)
            for allowance in WILDCARD_ALLOWANCES
        )
    ]


# -- from recorded SDK calls to IAM requests ---------------------------------------------------------------


def _table_names(params: Mapping[str, Any]) -> list[str]:
    names = [params["TableName"]] if "TableName" in params else []
    names += list(params.get("RequestItems", {}))
    for item in params.get("TransactItems", []):
        names += [operation["TableName"] for operation in item.values()]
    return names


def to_iam_calls(recorded: Iterable[Mapping[str, Any]], region: str, account: str) -> list[Call]:
    """The IAM requests behind SDK calls recorded as {"service", "operation", "params", "origin"}.

    The service is botocore's signing name, which is the IAM service prefix for every service mapped here. An
    unmapped service raises, so a handler that starts calling something new cannot pass unnoticed.
    """
    calls = []
    for record in recorded:
        service, operation = record["service"], record["operation"]
        action = f"{service}:{operation}"
        if service == "dynamodb":
            tables = _table_names(record["params"])
            if not tables:
                raise ValueError(f"{action} names no table; map its resource in to_iam_calls")
            calls += [
                Call(action, f"arn:aws:dynamodb:{region}:{account}:table/{table}", record["origin"])
                for table in tables
            ]
        else:
            raise ValueError(f"no IAM resource mapping for {action} (called by {record['origin']})")
    return calls
