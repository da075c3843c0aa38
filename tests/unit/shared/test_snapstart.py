"""shared.snapstart: the hook that makes environments resumed from one snapshot draw different random numbers,
and its registration with the Lambda runtime's snapshot_restore_py (present only there)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from shared import snapstart

REPO = Path(__file__).resolve().parents[3]


def resumed_draws(snapshot: Any, after_restore: list[Any]) -> list[float]:
    """What an environment resumed from `snapshot` (the random state init left) draws after its hooks ran."""
    random.setstate(snapshot)
    for hook in after_restore:
        hook()
    return [random.random() for _ in range(4)]


def test_environments_resumed_from_one_snapshot_draw_different_numbers_once_reseeded() -> None:
    saved = random.getstate()
    try:
        # GIVEN the random state init leaves in a snapshot
        snapshot = random.getstate()

        # THEN without the hook every resumed environment draws the same numbers (botocore's retry jitter)
        assert resumed_draws(snapshot, []) == resumed_draws(snapshot, [])

        # AND with it, each draws its own
        assert resumed_draws(snapshot, [snapstart.reseed_random]) != resumed_draws(
            snapshot, [snapstart.reseed_random]
        )
    finally:
        random.setstate(saved)


def test_outside_the_lambda_runtime_nothing_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # makes the import fail

    assert snapstart.register_after_restore(snapstart.reseed_random) is False


def test_in_the_lambda_runtime_the_hook_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    registered: list[Any] = []
    runtime = types.ModuleType("snapshot_restore_py")
    runtime.register_after_restore = registered.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime)

    assert snapstart.register_after_restore(snapstart.reseed_random) is True
    assert registered == [snapstart.reseed_random]


# Imports a handler in a fresh interpreter where a stand-in for the runtime's snapshot_restore_py records what
# is registered.
SCRIPT = """
import json, sys, types
sys.path[:0] = ["lambda_src", "."]
registered = []
runtime = types.ModuleType("snapshot_restore_py")
runtime.register_after_restore = registered.append
runtime.register_before_snapshot = registered.append
sys.modules["snapshot_restore_py"] = runtime
__import__(sys.argv[1])
print(json.dumps([f"{hook.__module__}.{hook.__qualname__}" for hook in registered]))
"""


@pytest.mark.parametrize("handler", ["writer.handler", "consumer.handler"])
def test_each_handler_registers_the_reseed_after_restore(handler: str) -> None:
    environment = {
        "TABLE_NAME": "products",
        "POWERTOOLS_METRICS_NAMESPACE": "cdc",
        "POWERTOOLS_SERVICE_NAME": "cdc",
        "AWS_REGION": "us-east-1",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, handler],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == ["shared.snapstart.reseed_random"]
