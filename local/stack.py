"""`up` and `down` of the local stack.

`up` starts the emulator (local.emulator) in the background, applies examples/local to it with Terraform
(local.terraform), then starts `python -m local serve` in the background (local.services: the Lambda runner,
one API front per HTTP API and the stream poller, in one process). Both background processes write their
pid, their log and (once ready) a JSON state file under .local/ (local.processes); `down` stops them and
removes .local/. `up` on a running stack replaces it. Everything listens on 127.0.0.1 only, on ports picked
free at start.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from local import client, terraform
from local.constants import ACCESS_KEY, REGION, RUNTIMES_DIR, SECRET_KEY, STATE_DIR
from local.lambda_runtime.interpreters import RuntimeInterpreters
from local.processes import StackError, shown, spawn, step, stop_process, wait_for_state, write_json
from local.services import SERVE_STATE

STACK_STATE = "stack.json"
EMULATOR_STATE = "emulator.json"
# The background processes `up` starts, by pid file, in the order `down` stops them.
PROCESSES = (("serve.pid", "runner, API front and poller"), ("emulator.pid", "emulator"))


def down(state_dir: Path = STATE_DIR, remove: bool = True) -> int:
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
    if remove and state_dir.exists():
        step(f"removing {shown(state_dir)}")
        subprocess.run(["rm", "-rf", str(state_dir)], check=True)
    if not found:
        print("no local stack was running", flush=True)
    return 0


def up(state_dir: Path = STATE_DIR, name: str = "cdc-local") -> int:
    if any((state_dir / pid_file).exists() for pid_file, _ in PROCESSES):
        step("a local stack is already running: replacing it")
        down(state_dir)
    subprocess.run(["rm", "-rf", str(state_dir)], check=True)  # logs of an earlier failed `up`
    state_dir.mkdir(parents=True)
    try:
        return _up(state_dir, name)
    except BaseException:
        print("error: the local stack did not come up; stopping what was started (logs stay in .local/)")
        down(state_dir, remove=False)
        raise


def _up(state_dir: Path, name: str) -> int:
    python = sys.executable
    if shutil.which("terraform") is None:
        raise StackError("terraform is not on PATH: install Terraform >= 1.7 first")

    step("starting the AWS emulator (moto's server) on 127.0.0.1")
    emulator_log = state_dir / "emulator.log"
    emulator = spawn(
        [python, "-m", "local.emulator", "--port", "0", "--state-dir", str(state_dir)],
        emulator_log,
        state_dir / "emulator.pid",
    )
    endpoint = wait_for_state(state_dir / EMULATOR_STATE, emulator, emulator_log, "emulator")["endpoint"]
    print(f"    emulator on {endpoint} (log: {shown(emulator_log)})", flush=True)

    tf_log = state_dir / "terraform.log"
    env = terraform.terraform_env(state_dir)
    state_file = state_dir / "terraform.tfstate"
    step(f"terraform init + apply of examples/local against the emulator (log: {shown(tf_log)})")
    applied = terraform.apply(env, tf_log, state_file, {"endpoint": endpoint, "name": name})
    summary = next((line for line in applied.splitlines() if line.startswith("Apply complete!")), "applied")
    print(f"    {summary}", flush=True)
    stack_outputs = terraform.outputs(env, tf_log, state_file)

    runtimes = sorted(
        {
            client("lambda", endpoint).get_function(FunctionName=stack_outputs[key])["Configuration"][
                "Runtime"
            ]
            for key in ("writer_function_name", "consumer_function_name")
        }
    )
    for runtime in runtimes:
        # Here rather than in `serve`, so that a first-time install shows up as a step of its own.
        step(f"preparing the {runtime} runtime environment (the AWS SDK only, as in Lambda)")
        RuntimeInterpreters(RUNTIMES_DIR).python(runtime)

    step("starting the Lambda runner, the API front and the stream poller")
    serve_log = state_dir / "serve.log"
    api_id = stack_outputs["api_id"]
    served = spawn(
        [
            python,
            "-m",
            "local",
            "serve",
            "--endpoint",
            endpoint,
            "--api-id",
            api_id,
            "--state-dir",
            str(state_dir),
        ],
        serve_log,
        state_dir / "serve.pid",
    )
    serve_state = wait_for_state(state_dir / SERVE_STATE, served, serve_log, "runner, API front and poller")
    api_url = serve_state["apis"][api_id]
    print(f"    serving on {api_url} (log: {shown(serve_log)})", flush=True)
    write_json(state_dir / STACK_STATE, {"endpoint": endpoint, "api_url": api_url, "outputs": stack_outputs})
    _print_summary(endpoint, api_url, stack_outputs)
    return 0


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


def _print_summary(endpoint: str, api_url: str, outputs: dict[str, Any]) -> None:
    routes = sorted(
        client("apigatewayv2", endpoint).get_routes(ApiId=outputs["api_id"])["Items"],
        key=lambda route: (route["RouteKey"].split(" ")[-1], route["RouteKey"]),
    )
    route_lines = "\n".join(
        f"    {route['RouteKey']:<26} {route.get('AuthorizationType', 'NONE')}" for route in routes
    )
    create = next((route for route in routes if route["RouteKey"] == "POST /products"), None)
    explanation, command = _create_command(
        api_url, create.get("AuthorizationType", "NONE") if create else "NONE"
    )
    group = outputs["consumer_log_group_name"]
    print(
        f"""
The local stack is up.

  API:       {api_url}
{route_lines}
  emulator:  {endpoint}   (every AWS API; credentials {ACCESS_KEY} / {SECRET_KEY}, region {REGION})

Create a product ({explanation}):

  {command}

Read what the consumer logged ({group}):

  .venv/bin/python -m local logs consumer

  or with the AWS CLI:
  AWS_ACCESS_KEY_ID={ACCESS_KEY} AWS_SECRET_ACCESS_KEY={SECRET_KEY} AWS_REGION={REGION} \\
    aws logs tail '{group}' --endpoint-url {endpoint} --follow

Stop everything with: make down
""",
        flush=True,
    )
