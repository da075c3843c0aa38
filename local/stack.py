"""The local stack's lifecycle: `up`, `down`, `serve` and `logs` (run as `python -m local <command>`).

`up` starts the emulator (local.emulator) in the background, applies examples/local to it with Terraform,
then starts `serve` in the background: the Lambda runner, one API front per HTTP API and the stream poller,
in one process. Both background processes write their pid, their log and (once ready) a JSON state file
under .local/; `down` stops them and removes .local/. `up` on a running stack replaces it. Everything listens
on 127.0.0.1 only, on ports picked free at start.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from local import ACCESS_KEY, REGION, SECRET_KEY, client
from local.api import ApiFront
from local.poller import StreamPoller
from local.runtime import LambdaRunner, RuntimeInterpreters, UnsupportedRuntimeError

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".local"
EXAMPLE = ROOT / "examples" / "local"
RUNTIMES_DIR = ROOT / ".build" / "lambda-runtimes"
SERVE_STATE = "serve.json"
STACK_STATE = "stack.json"
STARTUP_TIMEOUT_S = 60.0


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


class StackError(Exception):
    pass


# -- serve -----------------------------------------------------------------------------------------------


class Services:
    """The Lambda runner, the API fronts and the stream poller for the emulator at `endpoint`.

    `api_ids` None serves every HTTP API found at start; the first gets `api_port` (0: any free port).
    """

    def __init__(
        self,
        endpoint: str,
        work_dir: Path,
        *,
        state_dir: Path | None = None,
        api_ids: list[str] | None = None,
        api_port: int = 0,
        runtimes_dir: Path = RUNTIMES_DIR,
    ) -> None:
        self.endpoint = endpoint
        self.interpreters = RuntimeInterpreters(runtimes_dir)
        self.runner = LambdaRunner(endpoint, work_dir, self.interpreters.python)
        self.poller = StreamPoller(endpoint, self.runner, state_dir=state_dir)
        if api_ids is None:
            pages = client("apigatewayv2", endpoint).get_apis().get("Items", [])
            api_ids = [api["ApiId"] for api in pages if api.get("ProtocolType") == "HTTP"]
        self.fronts = [
            ApiFront(endpoint, api_id, self.runner, port=api_port if index == 0 else 0)
            for index, api_id in enumerate(api_ids)
        ]

    @property
    def urls(self) -> dict[str, str]:
        return {front.api_id: front.url for front in self.fronts}

    def prepare_runtimes(self) -> list[str]:
        """Creates the interpreter of every Python runtime the emulator's functions use, so that the first
        invocation does not wait for a virtualenv to be installed; returns those runtimes."""
        runtimes: set[str] = set()
        for page in client("lambda", self.endpoint).get_paginator("list_functions").paginate():
            runtimes.update(f.get("Runtime", "") for f in page["Functions"])
        python_runtimes = sorted(r for r in runtimes if r.startswith("python3."))
        for runtime in python_runtimes:
            self.interpreters.python(runtime)
        return python_runtimes

    def start(self) -> Services:
        self.prepare_runtimes()
        for front in self.fronts:
            front.start()
        self.poller.start()
        return self

    def stop(self) -> None:
        for front in self.fronts:
            front.stop()
        self.poller.stop()
        self.runner.close()

    def __enter__(self) -> Services:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve(endpoint: str, api_ids: list[str] | None, port: int, state_dir: Path | None) -> int:
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    work_dir = (state_dir or Path(os.environ.get("TMPDIR", "/tmp"))) / f"lambda-{os.getpid()}"  # noqa: S108
    with Services(endpoint, work_dir, state_dir=state_dir, api_ids=api_ids, api_port=port) as services:
        for api_id, url in services.urls.items():
            print(f"serve: API {api_id} on {url}", flush=True)
        print("serve: Lambda runner and stream poller running", flush=True)
        if state_dir is not None:
            _write_json(state_dir / SERVE_STATE, {"pid": os.getpid(), "apis": services.urls})
        try:
            while not stopping.wait(1.0):
                pass
        finally:
            if state_dir is not None:
                (state_dir / SERVE_STATE).unlink(missing_ok=True)
    print("serve: stopped", flush=True)
    return 0


# -- up / down -------------------------------------------------------------------------------------------


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(value, indent=2))
    tmp.replace(path)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _ours(pid: int) -> bool:
    """Is `pid` a process of this stack (and not another process that got a recycled pid)?"""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"local.emulator" in cmdline or (b"local" in cmdline and b"serve" in cmdline)


def _stop_pid(pid: int, name: str) -> None:
    if not _ours(pid):
        return
    step(f"stopping the {name} (pid {pid})")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while _ours(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _ours(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def down(state_dir: Path = STATE_DIR, remove: bool = True) -> int:
    found = False
    for name, label in (("serve.pid", "runner, API front and poller"), ("emulator.pid", "emulator")):
        path = state_dir / name
        if path.exists():
            found = True
            with contextlib.suppress(ValueError):
                _stop_pid(int(path.read_text().strip()), label)
            path.unlink()
    if remove and state_dir.exists():
        step(f"removing {state_dir.relative_to(ROOT) if state_dir.is_relative_to(ROOT) else state_dir}")
        subprocess.run(["rm", "-rf", str(state_dir)], check=True)
    if not found:
        print("no local stack was running", flush=True)
    return 0


def _spawn(args: list[str], log_path: Path, pid_path: Path) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives `make up`, and Ctrl-C in that terminal
        )
    pid_path.write_text(str(process.pid))
    return process


def _wait_for_state(path: Path, process: subprocess.Popen[bytes], log_path: Path, what: str) -> Any:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        state = _read_json(path)
        if state is not None:
            return state
        if process.poll() is not None:
            raise StackError(
                f"the {what} exited with status {process.returncode}; see {log_path}:\n{_tail(log_path)}"
            )
        time.sleep(0.1)
    raise StackError(f"the {what} did not start within {STARTUP_TIMEOUT_S:.0f} s; see {log_path}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def terraform_env(state_dir: Path) -> dict[str, str]:
    """Terraform's environment: a data dir under `state_dir`, and the provider mirror when there is one."""
    env = dict(os.environ)
    env["TF_DATA_DIR"] = str(state_dir / "terraform-data")
    env["TF_IN_AUTOMATION"] = "1"
    env["CHECKPOINT_DISABLE"] = "1"
    if not Path(env.get("TF_CLI_CONFIG_FILE") or "/nonexistent").is_file():  # as the Makefile decides
        build = ROOT / ".build"
        config = subprocess.run(
            [
                str(ROOT / "scripts" / "terraform-cli-config.sh"),
                str(build / "terraform.tfrc"),
                str(build / "plugin-cache"),
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


def terraform(args: list[str], env: dict[str, str], log_path: Path, directory: Path = EXAMPLE) -> str:
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
        raise StackError(f"terraform {args[0]} failed; see {log_path}:\n{_tail(log_path)}")
    return result.stdout


def tf_vars(variables: dict[str, str]) -> list[str]:
    return [arg for key, value in variables.items() for arg in ("-var", f"{key}={value}")]


def up(state_dir: Path = STATE_DIR, name: str = "cdc-local") -> int:
    if (state_dir / "emulator.pid").exists() or (state_dir / "serve.pid").exists():
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
    emulator = _spawn(
        [python, "-m", "local.emulator", "--port", "0", "--state-dir", str(state_dir)],
        emulator_log,
        state_dir / "emulator.pid",
    )
    endpoint = _wait_for_state(state_dir / "emulator.json", emulator, emulator_log, "emulator")["endpoint"]
    print(f"    emulator on {endpoint} (log: {_show(emulator_log)})", flush=True)

    tf_log = state_dir / "terraform.log"
    env = terraform_env(state_dir)
    state_file = state_dir / "terraform.tfstate"
    step(f"terraform init + apply of examples/local against the emulator (log: {_show(tf_log)})")
    terraform(["init", "-input=false"], env, tf_log)
    variables = tf_vars({"endpoint": endpoint, "name": name})
    applied = terraform(
        ["apply", "-auto-approve", "-input=false", f"-state={state_file}", *variables], env, tf_log
    )
    summary = next((line for line in applied.splitlines() if line.startswith("Apply complete!")), "applied")
    print(f"    {summary}", flush=True)
    outputs = {
        key: value["value"]
        for key, value in json.loads(
            terraform(["output", "-json", f"-state={state_file}"], env, tf_log)
        ).items()
    }

    runtimes = sorted(
        {
            client("lambda", endpoint).get_function(FunctionName=outputs[key])["Configuration"]["Runtime"]
            for key in ("writer_function_name", "consumer_function_name")
        }
    )
    for runtime in runtimes:
        # Here rather than in `serve`, so that a first-time install shows up as a step of its own.
        step(f"preparing the {runtime} runtime environment (the AWS SDK only, as in Lambda)")
        RuntimeInterpreters(RUNTIMES_DIR).python(runtime)

    step("starting the Lambda runner, the API front and the stream poller")
    serve_log = state_dir / "serve.log"
    served = _spawn(
        [
            python,
            "-m",
            "local",
            "serve",
            "--endpoint",
            endpoint,
            "--api-id",
            outputs["api_id"],
            "--state-dir",
            str(state_dir),
        ],
        serve_log,
        state_dir / "serve.pid",
    )
    api_url = _wait_for_state(state_dir / SERVE_STATE, served, serve_log, "runner, API front and poller")[
        "apis"
    ][outputs["api_id"]]
    print(f"    serving on {api_url} (log: {_show(serve_log)})", flush=True)
    _write_json(state_dir / STACK_STATE, {"endpoint": endpoint, "api_url": api_url, "outputs": outputs})
    _print_summary(endpoint, api_url, outputs)
    return 0


def _show(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


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


# -- logs ------------------------------------------------------------------------------------------------


def _log_events(endpoint: str, group: str, start_ms: int) -> Iterator[dict[str, Any]]:
    logs = client("logs", endpoint)
    kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
    while True:
        page = logs.filter_log_events(**kwargs)
        yield from page.get("events", [])
        if not page.get("nextToken"):
            return
        kwargs["nextToken"] = page["nextToken"]


def logs(which: str, follow: bool, state_dir: Path = STATE_DIR) -> int:
    stack = _read_json(state_dir / STACK_STATE)
    if stack is None:
        print("no local stack is running: start one with `make up`", file=sys.stderr)
        return 1
    outputs = stack["outputs"]
    group = {
        "consumer": outputs["consumer_log_group_name"],
        "writer": outputs["writer_log_group_name"],
        "api": outputs.get("api_access_log_group_name", ""),
    }.get(which, which)
    seen: set[str] = set()
    start_ms = 0
    while True:
        for event in _log_events(stack["endpoint"], group, start_ms):
            if event["eventId"] in seen:
                continue
            seen.add(event["eventId"])
            start_ms = max(start_ms, event["timestamp"])
            print(f"{event['logStreamName']}  {event['message'].rstrip()}", flush=True)
        if not follow:
            return 0
        time.sleep(1.0)


# -- command line ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description="The local stack (see `make up`).")
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="start the emulator, apply examples/local, serve it")
    up_parser.add_argument("--name", default="cdc-local", help="name prefix of the stack's resources")
    commands.add_parser("down", help="stop everything `up` started and remove .local/")
    serve_parser = commands.add_parser("serve", help="run the Lambda runner, API front and poller")
    serve_parser.add_argument("--endpoint", required=True, help="the emulator's URL")
    serve_parser.add_argument("--api-id", action="append", help="HTTP API to serve (default: every one)")
    serve_parser.add_argument("--port", type=int, default=0, help="port of the (first) API front; 0: any")
    serve_parser.add_argument(
        "--state-dir", type=Path, help="directory for serve.json and the poller's state"
    )
    logs_parser = commands.add_parser("logs", help="print a log group of the running stack")
    logs_parser.add_argument(
        "group", nargs="?", default="consumer", help="consumer, writer, api or a group name"
    )
    logs_parser.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)

    try:
        if args.command == "up":
            return up(name=args.name)
        if args.command == "down":
            return down()
        if args.command == "serve":
            return serve(args.endpoint, args.api_id, args.port, args.state_dir)
        return logs(args.group, args.follow)
    except (StackError, UnsupportedRuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
