"""Driving Terraform for the local stack: its environment (data dir, provider mirror), apply and outputs.

The provider mirror is chosen as the Makefile chooses it (scripts/terraform-cli-config.sh): a CLI config that
installs from the on-disk mirror when one exists, and the registry otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from local.constants import BUILD_DIR, EXAMPLE_DIR, SCRIPTS_DIR
from local.processes import StackError, tail


def terraform_env(state_dir: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """Terraform's environment: `base` (default: this process's environment) with a data dir under
    `state_dir`, and the provider mirror when there is one."""
    env = dict(os.environ if base is None else base)
    env["TF_DATA_DIR"] = str(state_dir / "terraform-data")
    env["TF_IN_AUTOMATION"] = "1"
    env["CHECKPOINT_DISABLE"] = "1"
    if not Path(env.get("TF_CLI_CONFIG_FILE") or "/nonexistent").is_file():  # as the Makefile decides
        config = subprocess.run(
            [
                str(SCRIPTS_DIR / "terraform-cli-config.sh"),
                str(BUILD_DIR / "terraform.tfrc"),
                str(BUILD_DIR / "plugin-cache"),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        if config:
            env["TF_CLI_CONFIG_FILE"] = config
        else:
            env.pop("TF_CLI_CONFIG_FILE", None)
    return env


def terraform(args: list[str], env: dict[str, str], log_path: Path, directory: Path = EXAMPLE_DIR) -> str:
    """Runs terraform in `directory`, its output appended to `log_path`; returns stdout; raises on failure."""
    result = subprocess.run(
        ["terraform", f"-chdir={directory}", *args, "-no-color"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    with log_path.open("a") as log_file:
        log_file.write(f"$ terraform {' '.join(args)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise StackError(f"terraform {args[0]} failed; see {log_path}:\n{tail(log_path)}")
    return result.stdout


def init(env: dict[str, str], log_path: Path, directory: Path = EXAMPLE_DIR) -> str:
    """`terraform init` of `directory`, without prompts."""
    return terraform(["init", "-input=false"], env, log_path, directory)


def tf_vars(variables: dict[str, str]) -> list[str]:
    """`-var key=value` arguments for each variable."""
    return [arg for key, value in variables.items() for arg in ("-var", f"{key}={value}")]


def apply(
    env: dict[str, str],
    log_path: Path,
    state_file: Path,
    variables: dict[str, str],
    directory: Path = EXAMPLE_DIR,
    *,
    initialise: bool = True,
) -> str:
    """`terraform init` (unless `initialise` is False: done already), then `apply` of `directory` with
    `variables` into `state_file`; returns the apply's stdout."""
    if initialise:
        init(env, log_path, directory)
    return terraform(
        ["apply", "-auto-approve", "-input=false", f"-state={state_file}", *tf_vars(variables)],
        env,
        log_path,
        directory,
    )


def outputs(
    env: dict[str, str], log_path: Path, state_file: Path, directory: Path = EXAMPLE_DIR
) -> dict[str, Any]:
    """The root module's outputs in `state_file`, by name (their values only)."""
    return {key: value["value"] for key, value in output_json(env, log_path, state_file, directory).items()}


def output_json(
    env: dict[str, str], log_path: Path, state_file: Path, directory: Path = EXAMPLE_DIR
) -> dict[str, Any]:
    """`terraform output -json`: each output's `value`, `type` and `sensitive`, by name."""
    raw = json.loads(terraform(["output", "-json", f"-state={state_file}"], env, log_path, directory))
    return dict(raw)
