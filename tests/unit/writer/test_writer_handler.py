"""writer.handler reads the environment; importing never fails, and a missing setting fails the invocation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]

# Imports every module of the writer package, then invokes the handler the way Lambda would.
SCRIPT = """
import importlib, json, pkgutil, sys
sys.path[:0] = ["lambda_src", "."]
import writer
modules = ["writer"] + [f"writer.{m.name}" for m in pkgutil.iter_modules(writer.__path__)]
for name in modules:
    importlib.import_module(name)
from writer import handler
from tests.conftest import FakeLambdaContext
from tests.fixtures.events import http_request
try:
    handler.lambda_handler(http_request("GET", "/products"), FakeLambdaContext())
except Exception as error:
    outcome = {"raised": type(error).__name__, "text": str(error)}
else:
    outcome = {"raised": None}
print(json.dumps({"modules": modules, **outcome}))
"""


def run_writer(environment: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """Import and invoke the writer in a fresh interpreter with exactly `environment`."""
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    *logged, outcome = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return outcome, logged, result.stderr


@pytest.mark.parametrize(
    ("environment", "missing"),
    [
        pytest.param({}, ["TABLE_NAME", "POWERTOOLS_METRICS_NAMESPACE"], id="empty"),
        pytest.param(
            {"TABLE_NAME": "products", "POWERTOOLS_METRICS_NAMESPACE": " "},
            ["POWERTOOLS_METRICS_NAMESPACE"],
            id="blank-namespace",
        ),
    ],
)
def test_every_module_imports_and_a_missing_setting_fails_the_first_invocation(environment, missing):
    # GIVEN a writer started without a required variable
    # WHEN every module of it is imported and the handler invoked
    outcome, logged, stderr = run_writer(environment)

    # THEN every module imported (none reads the environment at import, or the handler only without failing)
    assert set(outcome["modules"]) >= {
        "writer",
        "writer.api",
        "writer.handler",
        "writer.idempotency",
        "writer.products",
        "writer.store",
        "writer.validation",
    }
    # AND the invocation fails with an error that names the missing variables
    assert outcome["raised"] == "WriterNotConfigured"
    assert outcome["text"].startswith(f"{', '.join(missing)} not set")
    # AND the log has one JSON ERROR line saying the same, for this request, and nothing else is written
    [line] = logged
    assert line["level"] == "ERROR"
    assert line["message"] == "writer is not configured"
    assert line["missing_environment"] == missing
    assert line["function_request_id"] == "5d7b0f61-4f0a-4c9e-9d2e-8b1a5f1f0c3e"
    assert stderr == ""
