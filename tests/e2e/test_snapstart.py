"""SnapStart on the local stack: examples/local applied with snap_start_enabled = true plans clean afterwards,
and a product written through the API reaches the writer and, through the stream, the consumer, each through
its alias "live".

It deploys a stack of its own (one more apply), on the local target only: the emulator keeps the setting
through the patches in local/patches.py, which is what this checks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import TARGET, Stack, _local_stack, eventually

pytestmark = pytest.mark.e2e


def started_versions(stack: Stack, group: str) -> set[str]:
    """The function versions that the invocations logged in `group` ran (Lambda's START lines)."""
    events = stack.aws("logs").filter_log_events(logGroupName=group, filterPattern="START")["events"]
    messages = [event["message"] for event in events]
    return {message.split("Version: ")[1].strip() for message in messages if "Version: " in message}


@pytest.fixture(scope="module")
def snap_start_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if TARGET != "local":
        pytest.skip("the SnapStart stack is checked against the local emulator only")
    name = f"e2e-snap-{uuid.uuid4().hex[:8]}"
    with _local_stack(tmp_path_factory.mktemp("e2e-snap"), name, {"snap_start_enabled": "true"}) as stack:
        yield stack


def test_with_snap_start_the_plan_is_empty_and_both_functions_are_invoked_through_their_alias(
    snap_start_stack: Stack,
) -> None:
    stack = snap_start_stack
    writer_alias = stack.outputs["writer_alias_arn"]
    consumer_alias = stack.outputs["consumer_alias_arn"]
    assert writer_alias.endswith(":live")
    assert consumer_alias.endswith(":live")

    # GIVEN the applied stack: nothing left to change, SnapStart kept on every function
    assert stack.plan is not None
    code, output = stack.plan()
    assert code == 0, output
    lam = stack.aws("lambda")
    for name in (stack.outputs["writer_function_name"], stack.outputs["consumer_function_name"]):
        snap_start = lam.get_function_configuration(FunctionName=name, Qualifier="live")["SnapStart"]
        assert snap_start == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "On"}

    # WHEN a product is created through the API
    product = f"snap-{uuid.uuid4().hex[:8]}"
    response = stack.request("POST", "/products", {"name": product, "price": 3, "category": "tools"})

    # THEN the writer ran as its alias, and the consumer logged the insert, invoked as its alias
    assert response.status == 201, response.body
    product_id = response.json()["id"]
    live = lam.get_alias(FunctionName=stack.outputs["writer_function_name"], Name="live")["FunctionVersion"]
    assert live != "$LATEST"
    assert started_versions(stack, stack.outputs["writer_log_group_name"]) == {live}

    def insert_line() -> dict[str, Any] | None:
        for line in stack.consumer_lines():
            if line.get("eventName") == "INSERT" and line["keys"].get("PK") == f"Product#{product_id}":
                return line
        return None

    line = eventually(insert_line, what="the consumer's INSERT line")
    assert line["function_arn"] == consumer_alias
    assert line["newImage"]["name"] == product
