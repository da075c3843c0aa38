"""Ordering in the Terraform code that a plan cannot show: explicit depends_on of the module's resources."""

from __future__ import annotations

import re
from pathlib import Path

from tests.unit.test_readme_tables import attribute_expression, block_body

REPO_ROOT = Path(__file__).resolve().parents[2]


def resource_body(file: str, address: str) -> str:
    kind, name = address.split(".")
    text = (REPO_ROOT / file).read_text()
    match = re.search(rf'^resource "{kind}" "{name}" \{{', text, re.MULTILINE)
    assert match, f"{address} is not in {file}"
    return block_body(text, match.end() - 1)


def depends_on(file: str, address: str) -> set[str]:
    expression = attribute_expression(resource_body(file, address), "depends_on") or "[]"
    assert expression.startswith("["), expression
    assert expression.endswith("]"), expression
    return {item.strip() for item in expression[1:-1].split(",") if item.strip()}


def test_mapping_waits_for_the_consumer_policy() -> None:
    # Lambda validates the role's stream and destination permissions when it creates the mapping.
    assert 'aws_iam_role_policy.this["consumer"]' in depends_on(
        "stream.tf", "aws_lambda_event_source_mapping.stream"
    )


def test_functions_wait_for_their_package_log_group_and_policy() -> None:
    # depends_on names whole resources: each function waits for every instance, its own among them.
    assert depends_on("functions.tf", "aws_lambda_function.this") == {
        "terraform_data.package",
        "aws_cloudwatch_log_group.this",
        "aws_iam_role_policy.this",
    }


def test_layer_waits_for_its_package() -> None:
    assert depends_on("functions.tf", "aws_lambda_layer_version.dependencies") == {
        'terraform_data.package["layer"]'
    }
