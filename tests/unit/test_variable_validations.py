"""Every input that can be wrong in a way Terraform's types do not catch is validated, and each validation is
proven by a `terraform test` run that expects it to fail (tests/*.tftest.hcl)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.unit.test_readme_tables import attribute_expression, block_body

REPO_ROOT = Path(__file__).resolve().parents[2]
VARIABLE = re.compile(r'^variable\s+"([^"]+)"\s*\{', re.MULTILINE)
VALIDATION = re.compile(r"^  validation\s*\{", re.MULTILINE)
EXPECTED_FAILURE = re.compile(r"expect_failures\s*=\s*\[([^\]]*)\]")
ERROR_MESSAGE = re.compile(r'^\s*error_message\s*=\s*"((?:[^"\\]|\\.)*)"', re.MULTILINE)


def variables() -> dict[str, str]:
    text = (REPO_ROOT / "variables.tf").read_text()
    return {match.group(1): block_body(text, match.end() - 1) for match in VARIABLE.finditer(text)}


def validation_messages(body: str) -> list[str]:
    messages = []
    for match in VALIDATION.finditer(body):
        message = ERROR_MESSAGE.search(block_body(body, match.end() - 1))
        assert message is not None, body
        messages.append(message.group(1))
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
        if not validation_messages(body) and attribute_expression(body, "type") != "bool"
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
