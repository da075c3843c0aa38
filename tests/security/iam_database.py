"""IAM policies checked against AWS's own catalogue of actions and resource types, offline (parliament).

The emulator evaluates no IAM, and tests.security.iam_policies only knows what this project wrote down, so
neither notices a statement that AWS would not honour: an action that does not exist, an ARN that is not one,
or a resource that the action cannot be scoped to (a statement that then grants nothing). parliament ships
the catalogue AWS publishes as the Service Authorization Reference and reports each of these as a finding.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

with warnings.catch_warnings():
    # parliament imports pkg_resources, which setuptools deprecates; nothing this project can change.
    warnings.simplefilter("ignore")
    import parliament  # type: ignore[import-untyped]

# A DynamoDB stream ARN: its label is a timestamp such as 2026-11-26T10:00:00.000, colons included.
STREAM_ARN = re.compile(r"(?P<table>arn:[^:]+:dynamodb:[^:]+:\d{12}:table/[^/]+/stream/)(?P<label>.+)")


@dataclass(frozen=True)
class Finding:
    issue: str  # parliament's issue name, such as RESOURCE_MISMATCH or UNKNOWN_ACTION
    detail: str

    def __str__(self) -> str:
        return f"{self.issue}: {self.detail}"


def _readable_resource(resource: str) -> str:
    """The resource as parliament can parse it.

    parliament rejects any resource whose part after the account holds a colon when the documented ARN format
    has none, so it reports RESOURCE_MISMATCH for every real stream ARN (the label is a timestamp). A colon in
    the label does not change which resource type the ARN names, so only the label's colons are replaced, and
    every other check still applies to the ARN.
    """
    match = STREAM_ARN.fullmatch(resource)
    if match is None or ":" not in match["label"]:
        return resource
    return match["table"] + match["label"].replace(":", "-")


def _document(policy: str | Mapping[str, Any]) -> dict[str, Any]:
    """The policy as a dict: JSON text, URL-encoded JSON as IAM returns it, or a mapping already."""
    if isinstance(policy, str):
        text = policy if policy.lstrip().startswith("{") else urllib.parse.unquote(policy)
        return dict(json.loads(text))
    return dict(policy)


def _with_readable_resources(document: dict[str, Any]) -> dict[str, Any]:
    raw = document.get("Statement", [])
    statements = [raw] if isinstance(raw, dict) else list(raw)
    readable = []
    for statement in statements:
        statement = dict(statement)
        for key in ("Resource", "NotResource"):
            if isinstance(statement.get(key), str):
                statement[key] = _readable_resource(statement[key])
            elif isinstance(statement.get(key), list):
                statement[key] = [_readable_resource(resource) for resource in statement[key]]
        readable.append(statement)
    return {**document, "Statement": readable}


def findings(policy: str | Mapping[str, Any]) -> list[Finding]:
    """Every finding of parliament's own auditors on an identity policy (no community or private ones)."""
    document = _with_readable_resources(_document(policy))
    analyzed = parliament.analyze_policy_string(json.dumps(document), ignore_private_auditors=True)
    return [
        Finding(finding.issue, json.dumps(finding.detail, sort_keys=True, default=str))
        for finding in analyzed.findings
    ]


@cache
def _resource_types(action: str) -> tuple[str, ...]:
    service, _, name = action.partition(":")
    for entry in parliament.iam_definition:
        if entry["prefix"] != service.lower():
            continue
        for privilege in entry["privileges"]:
            if privilege["privilege"].lower() == name.lower():
                return tuple(item["resource_type"] for item in privilege["resource_types"])
    raise KeyError(f"{action} is not in the IAM catalogue")


def supports_resource_level_permissions(action: str) -> bool:
    """Whether a resource type can scope the action; if none can, "*" is the only resource AWS honours."""
    return any(resource_type for resource_type in _resource_types(action))
