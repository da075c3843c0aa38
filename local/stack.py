"""`up` and `down` of the local stack.

`up` starts the emulator (local.emulator) in the background, applies a Terraform root to it
(local.terraform), then starts `python -m local serve` in the background (local.services: the Lambda runner,
one API front per HTTP API and the stream poller, in one process). Both background processes write their pid,
their log and (once ready) a JSON state file into the stack's state directory (local.processes); `down` stops
them and removes it.
`up` on a running stack replaces it. Everything listens on 127.0.0.1 only.

The root is examples/local (its provider block takes the emulator's URL as a variable; state in .local/), or
any root that uses the module (`root=`; state in .local/roots/<name>-<hash>/): then an override file
(local.override) points its AWS provider at the emulator for as long as the stack runs.

Ports are free ones picked at start, or with `port=N` fixed: the (first) API front on N, the emulator on N+1,
further API fronts on N+2, N+3, … (local.services.api_port_of).
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from local import client, override, terraform
from local.constants import (
    ACCESS_KEY,
    EXAMPLE_DIR,
    REGION,
    ROOTS_STATE_DIR,
    RUNTIMES_DIR,
    SECRET_KEY,
    STATE_DIR,
)
from local.lambda_runtime.interpreters import RuntimeInterpreters
from local.processes import (
    StackError,
    check_port_free,
    read_json,
    shown,
    spawn,
    step,
    stop_process,
    wait_for_state,
    write_json,
)
from local.services import SERVE_STATE

STACK_STATE = "stack.json"
EMULATOR_STATE = "emulator.json"
# The root `up --root` ran, and what it added to that root's directory, for `down` to remove.
ROOT_STATE = "root.json"
# The background processes `up` starts, by pid file, in the order `down` stops them.
PROCESSES = (("serve.pid", "runner, API front and poller"), ("emulator.pid", "emulator"))
# Files `terraform init` and the module's packaging write into a root, removed by `down` when `up` made them.
ROOT_LEFTOVERS = (".terraform.lock.hcl", ".build")
HIGHEST_BASE_PORT = 65534  # the emulator takes the next one


def state_dir_for(root: Path | None) -> Path:
    """Where the stack of `root` (None: examples/local) keeps its pids, logs and Terraform state."""
    if root is None:
        return STATE_DIR
    resolved = root.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:8]
    return ROOTS_STATE_DIR / f"{resolved.name}-{digest}"


def down(state_dir: Path | None = None, remove: bool = True, root: Path | None = None) -> int:
    """Stops the stack whose state is in `state_dir` (default: the one of `root`), takes back what it added to
    its root, and with `remove` deletes `state_dir`."""
    state_dir = state_dir_for(root) if state_dir is None else state_dir
    found = False
    for name, label in PROCESSES:
        path = state_dir / name
        if path.exists():
            found = True
            try:
                pid = int(path.read_text().strip())
            except ValueError:
                pass
            else:
                stop_process(pid, label)
            path.unlink()
    _clean_root(state_dir, root)
    if remove and state_dir.exists():
        step(f"removing {shown(state_dir)}")
        _remove_state_dir(state_dir)
    if not found:
        print("no local stack was running", flush=True)
    return 0


def _clean_root(state_dir: Path, root: Path | None) -> None:
    recorded = read_json(state_dir / ROOT_STATE)
    if recorded is not None:
        root = Path(recorded["root"])
    if root is None:
        return
    if override.remove(root):
        step(f"removing {shown(root / override.OVERRIDE_FILE)}")
    for name in recorded.get("created", []) if recorded is not None else []:
        path = root / name
        if path.exists():
            step(f"removing {shown(path)} (made by `up`)")
            subprocess.run(["rm", "-rf", str(path)], check=True)


def _remove_state_dir(state_dir: Path) -> None:
    """Removes `state_dir`, except the state of the stacks of other roots inside .local/ (roots/)."""
    kept = ROOTS_STATE_DIR if ROOTS_STATE_DIR.parent == state_dir and ROOTS_STATE_DIR.is_dir() else None
    if kept is None or not any(kept.iterdir()):
        subprocess.run(["rm", "-rf", str(state_dir)], check=True)
        if state_dir.parent == ROOTS_STATE_DIR:  # the last root's stack leaves no empty .local/roots/ behind
            for parent in (ROOTS_STATE_DIR, STATE_DIR):
                with contextlib.suppress(OSError):
                    parent.rmdir()
        return
    for child in state_dir.iterdir():
        if child != kept:
            subprocess.run(["rm", "-rf", str(child)], check=True)


def check_ports(port: int) -> None:
    """StackError unless `port` (the API front's) and `port` + 1 (the emulator's) can be listened on."""
    if not 1 <= port <= HIGHEST_BASE_PORT:
        raise StackError(
            f"PORT must be between 1 and {HIGHEST_BASE_PORT} (the emulator takes PORT+1), not {port}"
        )
    check_port_free(port, "API front: PORT")
    check_port_free(port + 1, "emulator: PORT+1")


def up(
    state_dir: Path | None = None,
    name: str = "cdc-local",
    root: Path | None = None,
    port: int | None = None,
) -> int:
    """Starts the stack of `root` (None: examples/local, named `name`), on free ports or from `port` on."""
    if root is not None:
        root = root.resolve()
        override.terraform_files(root)  # a clear error before anything starts
    state_dir = state_dir_for(root) if state_dir is None else state_dir
    if any((state_dir / pid_file).exists() for pid_file, _ in PROCESSES):
        step("a local stack is already running: replacing it")
        down(state_dir, root=root)
    if port is not None:
        check_ports(port)
    if state_dir.exists():
        _remove_state_dir(state_dir)  # logs of an earlier failed `up`
    state_dir.mkdir(parents=True, exist_ok=True)
    try:
        return _up(state_dir, name, root, port)
    except BaseException:
        logs = shown(state_dir)
        print(f"error: the local stack did not come up; stopping what was started (logs stay in {logs})")
        down(state_dir, remove=False, root=root)
        raise


def _up(state_dir: Path, name: str, root: Path | None, port: int | None) -> int:
    python = sys.executable
    if shutil.which("terraform") is None:
        raise StackError("terraform is not on PATH: install Terraform >= 1.7 first")

    step("starting the AWS emulator (moto's server) on 127.0.0.1")
    emulator_log = state_dir / "emulator.log"
    emulator = spawn(
        [
            python,
            "-m",
            "local.emulator",
            "--port",
            str(0 if port is None else port + 1),
            "--state-dir",
            str(state_dir),
        ],
        emulator_log,
        state_dir / "emulator.pid",
    )
    endpoint = wait_for_state(state_dir / EMULATOR_STATE, emulator, emulator_log, "emulator")["endpoint"]
    print(f"    emulator on {endpoint} (log: {shown(emulator_log)})", flush=True)

    tf_log = state_dir / "terraform.log"
    if root is None:
        step(f"terraform init + apply of examples/local against the emulator (log: {shown(tf_log)})")
        env = terraform.terraform_env(state_dir)
        applied = terraform.apply(
            env, tf_log, state_dir / "terraform.tfstate", {"endpoint": endpoint, "name": name}
        )
        directory = EXAMPLE_DIR
    else:
        step(f"terraform init + apply of {shown(root)} against the emulator (log: {shown(tf_log)})")
        env = root_terraform_env(state_dir)
        applied = _apply_root(root, state_dir, endpoint, env, tf_log)
        directory = root
    summary = next((line for line in applied.splitlines() if line.startswith("Apply complete!")), "applied")
    print(f"    {summary}", flush=True)
    raw_outputs = terraform.output_json(env, tf_log, state_dir / "terraform.tfstate", directory)
    stack_outputs = {key: value["value"] for key, value in raw_outputs.items()}

    for runtime in _python_runtimes(endpoint):
        # Here rather than in `serve`, so that a first-time install shows up as a step of its own.
        step(f"preparing the {runtime} runtime environment (the AWS SDK only, as in Lambda)")
        RuntimeInterpreters(RUNTIMES_DIR).python(runtime)

    step("starting the Lambda runner, the API fronts and the stream poller")
    serve_log = state_dir / "serve.log"
    # examples/local: its own API only; any other root: every HTTP API in the emulator.
    api_ids = ["--api-id", stack_outputs["api_id"]] if root is None else []
    served = spawn(
        [
            python,
            "-m",
            "local",
            "serve",
            "--endpoint",
            endpoint,
            *api_ids,
            "--port",
            str(port or 0),
            "--state-dir",
            str(state_dir),
        ],
        serve_log,
        state_dir / "serve.pid",
    )
    apis: dict[str, str] = wait_for_state(
        state_dir / SERVE_STATE, served, serve_log, "runner, API front and poller"
    )["apis"]
    for api_id, url in apis.items():
        print(f"    API {api_id} on {url} (log: {shown(serve_log)})", flush=True)
    consumers = _consumer_log_groups(endpoint)
    state: dict[str, Any] = {
        "endpoint": endpoint,
        "root": None if root is None else str(root),
        "apis": apis,
        "outputs": stack_outputs,
        "sensitive": sorted(key for key, value in raw_outputs.items() if value.get("sensitive")),
        "consumer_log_groups": consumers,
    }
    if root is None:
        state["api_url"] = apis[stack_outputs["api_id"]]
    write_json(state_dir / STACK_STATE, state)
    _print_summary(endpoint, apis, consumers, root, stack_outputs)
    return 0


def root_terraform_env(state_dir: Path) -> dict[str, str]:
    """Terraform's environment for a root the override file points at the emulator: the emulator's static
    credentials, none of the caller's AWS settings."""
    return terraform.terraform_env(state_dir, base=override.credentials_env())


def _apply_root(root: Path, state_dir: Path, endpoint: str, env: dict[str, str], tf_log: Path) -> str:
    providers = override.aws_providers(override.terraform_files(root))
    write_json(
        state_dir / ROOT_STATE,
        {"root": str(root), "created": [name for name in ROOT_LEFTOVERS if not (root / name).exists()]},
    )
    # Written before init, which reads the backend; the module calls are known only after init.
    path = override.write(root, override.render(endpoint, providers))
    print(f"    wrote {shown(path)} (removed by `make down`)", flush=True)
    terraform.init(env, tf_log, root)
    own, nested = override.module_calls(root, Path(env["TF_DATA_DIR"]))
    for key in nested:
        print(
            f"    warning: module.{key.replace('.', '.module.')} is called from another module, where the "
            f'override cannot set architecture = "{override.host_architecture()}"; set it there, or its '
            "packages may not import on this host",
            flush=True,
        )
    override.write(root, override.render(endpoint, providers, own))
    return terraform.apply(env, tf_log, state_dir / "terraform.tfstate", {}, root, initialise=False)


def _python_runtimes(endpoint: str) -> list[str]:
    runtimes: set[str] = set()
    for page in client("lambda", endpoint).get_paginator("list_functions").paginate():
        runtimes.update(function.get("Runtime", "") for function in page["Functions"])
    return sorted(runtime for runtime in runtimes if runtime.startswith("python3."))


def _consumer_log_groups(endpoint: str) -> list[str]:
    """The log group of every function an event source mapping invokes."""
    lambda_client = client("lambda", endpoint)
    groups: set[str] = set()
    for page in lambda_client.get_paginator("list_event_source_mappings").paginate():
        for mapping in page["EventSourceMappings"]:
            configuration = lambda_client.get_function_configuration(FunctionName=mapping["FunctionArn"])
            default = f"/aws/lambda/{configuration['FunctionName']}"
            groups.add(configuration.get("LoggingConfig", {}).get("LogGroup") or default)
    return sorted(groups)


def _create_command(api_url: str, authorization: str) -> tuple[str, str]:
    """How to call POST /products under the route's authorization: (explanation, curl command)."""
    body = '{"name": "my product", "price": 10, "category": "furniture"}'
    lines = [f"curl -sS -X POST '{api_url}/products'"]
    if authorization == "AWS_IAM":
        explanation = "a SigV4-signed request, as the AWS_IAM route requires"
        lines.append(f"--aws-sigv4 'aws:amz:{REGION}:execute-api' --user '{ACCESS_KEY}:{SECRET_KEY}'")
    elif authorization == "JWT":
        explanation = (
            "with a JWT of the authorizer's issuer and audience (its signature is not checked locally)"
        )
        lines.append('-H "authorization: Bearer $TOKEN"')
    else:
        explanation = f"the route's authorization is {authorization}"
    lines += ["-H 'content-type: application/json'", f"-d '{body}'"]
    return explanation, " \\\n    ".join(lines)


def _api_lines(endpoint: str, apis: dict[str, str]) -> tuple[list[str], tuple[str, str] | None]:
    """Each API's URL and routes, and how to create a product on the first API with POST /products."""
    apigw = client("apigatewayv2", endpoint)
    lines: list[str] = []
    create: tuple[str, str] | None = None
    for api_id, url in apis.items():
        api = apigw.get_api(ApiId=api_id)
        lines.append(f"  API:       {url}   ({api.get('Name', api_id)}, {api_id})")
        routes = sorted(
            apigw.get_routes(ApiId=api_id)["Items"],
            key=lambda route: (route["RouteKey"].split(" ")[-1], route["RouteKey"]),
        )
        lines += [f"    {route['RouteKey']:<26} {route.get('AuthorizationType', 'NONE')}" for route in routes]
        post = next((route for route in routes if route["RouteKey"] == "POST /products"), None)
        if post is not None and create is None:
            create = _create_command(url, post.get("AuthorizationType", "NONE"))
    return lines, create


def _print_summary(
    endpoint: str, apis: dict[str, str], consumers: list[str], root: Path | None, outputs: dict[str, Any]
) -> None:
    api_lines, create = _api_lines(endpoint, apis)
    root_option = "" if root is None else f" --root {shown(root)}"
    make_root = "" if root is None else f" ROOT={shown(root)}"
    text = [
        "",
        "The local stack is up."
        if root is None
        else f"The local stack is up: {shown(root)} on the emulator.",
        "",
        *(api_lines or ["  API:       none (the root creates no HTTP API)"]),
        f"  emulator:  {endpoint}   (every AWS API; credentials {ACCESS_KEY} / {SECRET_KEY}, "
        f"region {REGION})",
        "",
    ]
    if create is not None:
        explanation, command = create
        text += [f"Create a product ({explanation}):", "", f"  {command}", ""]
    group = outputs.get("consumer_log_group_name") or (consumers[0] if consumers else None)
    if group is not None:
        text += [
            f"Read what the consumer logged ({group}):",
            "",
            f"  .venv/bin/python -m local logs{root_option} consumer",
            "",
            "  or with the AWS CLI (version 1 or 2):",
            f"  AWS_ACCESS_KEY_ID={ACCESS_KEY} AWS_SECRET_ACCESS_KEY={SECRET_KEY} AWS_REGION={REGION} \\",
            f"    aws logs filter-log-events --log-group-name '{group}' --endpoint-url {endpoint}",
            "",
        ]
    text += [
        f"Terraform's outputs, with the local API URLs: .venv/bin/python -m local outputs{root_option}",
        "",
        f"Stop everything with: make down{make_root}",
        "",
    ]
    print("\n".join(text), flush=True)
