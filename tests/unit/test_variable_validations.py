"""Every input that can be wrong in a way Terraform's types do not catch is validated, and each validation is
proven by a `terraform test` run that expects it to fail (tests/*.tftest.hcl)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from scripts.tf_docs import load_hcl

REPO_ROOT = Path(__file__).resolve().parents[2]
EXPECTED_FAILURE = re.compile(r"expect_failures\s*=\s*\[([^\]]*)\]")


def variables() -> dict[str, dict[str, Any]]:
    data = load_hcl((REPO_ROOT / "variables.tf").read_text())
    return {name: body for block in data.get("variable", []) for name, body in block.items()}


def validation_messages(body: dict[str, Any]) -> list[str]:
    messages = []
    for validation in body.get("validation", []):
        assert "error_message" in validation, body
        messages.append(validation["error_message"])
    return messages


def expected_failures() -> set[str]:
    found: set[str] = set()
    for path in (REPO_ROOT / "tests").glob("*.tftest.hcl"):
        for match in EXPECTED_FAILURE.finditer(path.read_text()):
            found |= {item.strip() for item in match.group(1).split(",") if item.strip()}
    return found


def test_every_variable_but_a_bool_is_validated() -> None:
    # A bool has no wrong value; every other type has values AWS would refuse.
    unvalidated = [
        name
        for name, body in variables().items()
        if not validation_messages(body) and body.get("type") != "bool"
    ]
    assert unvalidated == []


def test_every_validation_is_proven_by_an_expect_failures_run() -> None:
    validated = {name for name, body in variables().items() if validation_messages(body)}
    assert validated, "variables.tf was not parsed"
    assert sorted(validated - {ref.removeprefix("var.") for ref in expected_failures()}) == []


def test_every_message_names_its_variable_and_what_is_allowed() -> None:
    for name, body in variables().items():
        for message in validation_messages(body):
            assert message.startswith(name), (name, message)
            assert " must " in message, (name, message)
