"""Only JSON on the writer's stdout and stderr, on every route and status, as Lambda runs it."""

from __future__ import annotations

import pytest

from tests.fixtures import function_output

EXPECTED = {
    "create": 201,
    "read": 200,
    "replace": 200,
    "replace, stale If-Match": 409,
    "replace, bad If-Match": 400,
    "create, invalid body": 400,
    "create, body too large": 413,
    "create, not JSON": 415,
    "read, unknown product": 404,
    "unknown route": 404,
    "wrong method": 405,
    "create once": 201,
    "create once, replayed": 201,
    "create once, other body": 422,
    "create once, bad key": 400,
    "delete": 204,
    "delete, gone": 404,
    "create once, idempotency table failing": 503,
    "create, table failing": 503,
    "read, table failing": 503,
}


@pytest.fixture(scope="module")
def output() -> function_output.Output:
    return function_output.run("writer")


def test_every_route_and_status_ran(output):
    assert output.outcomes == EXPECTED


def test_every_line_on_stdout_and_stderr_is_a_json_object(output):
    # Powertools warns in plain text after each invocation that recorded no metric (reads, rejected
    # requests); Lambda would put those lines into the JSON log group between the JSON ones.
    assert output.not_json == []


def test_writes_print_their_metric_and_the_others_print_none(output):
    def metric_lines(case: str) -> list[dict]:
        return [line for line in output.lines[case].get("stdout", []) if "_aws" in line]

    assert [list(line["_aws"]["CloudWatchMetrics"][0]["Metrics"]) for line in metric_lines("create")] == [
        [{"Name": "ProductsCreated", "Unit": "Count"}]
    ]
    assert metric_lines("read") == []
    assert metric_lines("create, invalid body") == []


def test_failures_are_logged_as_json_errors(output):
    lines = output.lines["create, table failing"]["stdout"]
    [line] = [line for line in lines if line.get("level") == "ERROR"]
    assert line["message"] == "product store request failed"
    assert "ResourceNotFoundException" in line["exception"]
