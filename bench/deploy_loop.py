"""Deploy loop: wall time of `terraform apply` from empty and of a no-op `terraform plan`, on the emulator.

Applies `examples/local` (the module pointed at moto's server) with its own state file and Terraform data
directory under .build/bench, so it never touches a stack that `make up` runs. Each apply starts from an empty
state against a freshly started, empty emulator; each plan follows an apply and must exit 0 with
-detailed-exitcode (no changes), or the figure would time a different loop. The packages are built once before
the first timed apply, as they are on any apply after a developer's first.

Run: python -m bench.deploy_loop [--applies 3] [--plans 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.stats import BUILD_DIR, REPO_ROOT, median

EXAMPLE_DIR = REPO_ROOT / "examples" / "local"
WORK_DIR = BUILD_DIR / "deploy_loop"
EMULATOR_START_TIMEOUT = 60.0
STACK_NAME = "cdc-bench"
PACKAGES = "module.cdc.terraform_data.package"


@dataclass
class DeployLoopResult:
    apply_seconds: list[float]
    plan_seconds: list[float]
    resources: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeployLoopResult:
        return cls(**data)


def terraform_environment(work_dir: Path) -> dict[str, str]:
    """Terraform's environment: our own data directory, and the offline provider mirror when there is one."""
    env = dict(os.environ)
    env["TF_DATA_DIR"] = str(work_dir / "tf-data")
    env["TF_IN_AUTOMATION"] = "1"
    env["CHECKPOINT_DISABLE"] = "1"
    # As in the Makefile: a configured file that does not exist is ignored, and the mirror's config used.
    if not Path(env.get("TF_CLI_CONFIG_FILE", "")).is_file():
        env.pop("TF_CLI_CONFIG_FILE", None)
        config = subprocess.run(
            [
                str(REPO_ROOT / "scripts" / "terraform-cli-config.sh"),
                str(REPO_ROOT / ".build" / "terraform.tfrc"),
                str(REPO_ROOT / ".build" / "plugin-cache"),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if config:
            env["TF_CLI_CONFIG_FILE"] = config
    return env


@contextlib.contextmanager
def emulator(work_dir: Path) -> Iterator[str]:
    """moto's server (the local stack's emulator) in a process of its own; yields its endpoint."""
    state_dir = work_dir / "emulator"
    shutil.rmtree(state_dir, ignore_errors=True)
    state_file = state_dir / "emulator.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "local.emulator", "--port", "0", "--state-dir", str(state_dir)],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + EMULATOR_START_TIMEOUT
        while not state_file.exists():
            if process.poll() is not None:
                raise RuntimeError(f"the emulator exited with status {process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError("the emulator did not start in time")
            time.sleep(0.05)
        yield str(json.loads(state_file.read_text())["endpoint"])
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _terraform(args: list[str], env: dict[str, str], ok_codes: tuple[int, ...] = (0,)) -> tuple[float, int]:
    """Run one terraform command in examples/local; its wall time and exit code."""
    started = time.perf_counter()
    completed = subprocess.run(
        ["terraform", f"-chdir={EXAMPLE_DIR}", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if completed.returncode not in ok_codes:
        raise RuntimeError(f"terraform {args[0]} exited {completed.returncode}:\n{completed.stderr[-4000:]}")
    return elapsed, completed.returncode


def _variables(endpoint: str, state: Path) -> list[str]:
    return [
        "-input=false",
        "-no-color",
        f"-state={state}",
        f"-var=endpoint={endpoint}",
        f"-var=name={STACK_NAME}",
    ]


def measure(applies: int = 3, plans: int = 3, work_dir: Path = WORK_DIR) -> DeployLoopResult:
    work_dir.mkdir(parents=True, exist_ok=True)
    env = terraform_environment(work_dir)
    _terraform(["init", "-input=false", "-no-color", "-backend=false"], env)
    state = work_dir / "terraform.tfstate"
    # Warm-up: build any package not built yet (only the terraform_data builders), so no timed apply
    # includes a first build. The builder skips a zip that exists, as every apply after the first does.
    with emulator(work_dir) as endpoint:
        state.unlink(missing_ok=True)
        _terraform(["apply", "-auto-approve", f"-target={PACKAGES}", *_variables(endpoint, state)], env)
    apply_seconds: list[float] = []
    plan_seconds: list[float] = []
    resources = 0
    for index in range(applies):
        state.unlink(missing_ok=True)
        with emulator(work_dir) as endpoint:
            elapsed, _ = _terraform(["apply", "-auto-approve", *_variables(endpoint, state)], env)
            apply_seconds.append(elapsed)
            for _ in range(plans if index == applies - 1 else 0):
                elapsed, code = _terraform(
                    ["plan", "-detailed-exitcode", *_variables(endpoint, state)], env, ok_codes=(0, 2)
                )
                if code == 2:
                    raise RuntimeError("terraform plan right after apply proposes changes: not a no-op loop")
                plan_seconds.append(elapsed)
        resources = sum(
            len(r.get("instances", []))
            for r in json.loads(state.read_text())["resources"]
            if r["mode"] == "managed"
        )
    state.unlink(missing_ok=True)
    return DeployLoopResult(apply_seconds=apply_seconds, plan_seconds=plan_seconds, resources=resources)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--applies", type=int, default=3, help="timed applies from empty")
    parser.add_argument("--plans", type=int, default=3, help="timed no-op plans after the last apply")
    parser.add_argument("--out", type=Path, default=BUILD_DIR / "deploy_loop.json")
    args = parser.parse_args(argv)
    result = measure(args.applies, args.plans)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result.to_json(), indent=2) + "\n")
    print(
        f"apply from empty: median {median(result.apply_seconds):.1f} s over {len(result.apply_seconds)}; "
        f"no-op plan: median {median(result.plan_seconds):.1f} s over {len(result.plan_seconds)}; "
        f"{result.resources} resources"
    )


if __name__ == "__main__":
    main()
