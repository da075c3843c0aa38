"""Ordering in the Terraform code that a plan cannot show: explicit depends_on of the module's resources."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scripts.tf_docs import load_hcl

REPO_ROOT = Path(__file__).resolve().parents[2]


def resource_body(file: str, address: str) -> dict[str, Any]:
    kind, name = address.split(".")
    data = load_hcl((REPO_ROOT / file).read_text())
    bodies = [block[kind][name] for block in data.get("resource", []) if name in block.get(kind, {})]
    assert bodies, f"{address} is not in {file}"
    return bodies[0]


def depends_on(file: str, address: str) -> set[str]:
    # python-hcl2 gives each reference as its source text wrapped in ${...}.
    references = resource_body(file, address).get("depends_on", [])
    assert all(ref.startswith("${") and ref.endswith("}") for ref in references), references
    return {ref[2:-1] for ref in references}


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
