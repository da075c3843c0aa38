"""Local Lambda execution: runs the packages deployed to the emulator the way Lambda runs them.

`LambdaRunner.invoke(function_arn, payload)` reads the function's configuration from the emulator's Lambda
API, downloads the code and layer zips from their `Location` URLs (the deployed package, not the source tree),
unpacks them (code as LAMBDA_TASK_ROOT, layers merged in order as /opt), and runs the handler in an execution
environment: a separate process of the function's runtime version (see `RuntimeInterpreters`), started by
`local/bootstrap.py` with the function's environment variables plus Lambda's own and the emulator's endpoint
and credentials. Environments stay warm between invocations and are reused one invocation at a time;
concurrent invocations get environments of their own; a configuration or code change retires the old ones.

As in Lambda:
- the timeout is enforced: the environment is killed, the invocation fails with `Sandbox.Timedout`, and the
  next invocation starts a new environment (cold start);
- the handler's stdout and stderr become log events in `/aws/lambda/<name>` (the function's log group, which
  must exist: as with a role lacking logs:CreateLogGroup, nothing is logged when it does not), in one log
  stream per environment, framed by START / END / REPORT lines;
- handler, import and serialisation errors come back in Lambda's error shape.

Not emulated: memory limits (reported in REPORT, not enforced), reserved concurrency, provisioned concurrency,
aliases' routing configuration, extensions, SnapStart and container images.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import logging
import math
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from local import ACCESS_KEY, REGION, SECRET_KEY, client
from local.invoke import InvokeResult

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP = Path(__file__).resolve().parent / "bootstrap.py"
RUNTIME_REQUIREMENTS = Path(__file__).resolve().parent / "runtime-requirements.txt"
# Lambda's init phase may take at most 10 s; a slower init fails the invocation.
INIT_TIMEOUT_S = 10.0
# PutLogEvents accepts at most 10,000 events and 1 MiB per call (26 bytes of overhead per event).
_MAX_EVENTS_PER_PUT = 10_000
_MAX_BYTES_PER_PUT = 1_048_576
_MAX_EVENT_BYTES = 256 * 1024 - 26


@dataclass(frozen=True)
class FunctionConfig:
    """The parts of a function's configuration that shape its execution environment."""

    arn: str
    name: str
    version: str
    runtime: str
    handler: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, str]
    code_sha256: str
    code_location: str
    layers: tuple[str, ...]
    tracing: str
    log_group: str

    def fingerprint(self) -> str:
        fields = {k: v for k, v in self.__dict__.items() if k != "code_location"}
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()

    @classmethod
    def from_get_function(cls, response: dict[str, Any]) -> FunctionConfig:
        config = response["Configuration"]
        return cls(
            arn=config["FunctionArn"],
            name=config["FunctionName"],
            version=config.get("Version", "$LATEST"),
            runtime=config.get("Runtime", ""),
            handler=config.get("Handler", ""),
            timeout_s=int(config.get("Timeout", 3)),
            memory_mb=int(config.get("MemorySize", 128)),
            environment=dict(config.get("Environment", {}).get("Variables", {})),
            code_sha256=config.get("CodeSha256", ""),
            code_location=response.get("Code", {}).get("Location", ""),
            layers=tuple(layer["Arn"] for layer in config.get("Layers", [])),
            tracing=config.get("TracingConfig", {}).get("Mode", "PassThrough"),
            # LoggingConfig.LogGroup names a custom log group; Lambda's default is /aws/lambda/<name>.
            log_group=(config.get("LoggingConfig") or {}).get("LogGroup")
            or f"/aws/lambda/{config['FunctionName']}",
        )


class RuntimeInterpreters:
    """The interpreter of each Lambda Python runtime: a virtualenv of that Python version holding only what
    the Lambda runtime provides (boto3 and botocore, pinned in local/runtime-requirements.txt), so that a
    package missing from the function's code and layers fails to import here as it would on AWS.

    Virtualenvs are created on first use under `root` (one per runtime) and reused afterwards; creation is
    serialised with a file lock, so concurrent test sessions and `make up` can share them.
    """

    def __init__(self, root: Path, requirements: Path = RUNTIME_REQUIREMENTS) -> None:
        self.root = root
        self.requirements = requirements

    def python(self, runtime: str) -> Path:
        if not runtime.startswith("python3."):
            raise UnsupportedRuntimeError(f"the local runner runs Python runtimes only, not {runtime!r}")
        minor = runtime.removeprefix("python")
        venv = self.root / runtime
        python = venv / "bin" / "python"
        stamp = venv / ".installed"
        wanted = hashlib.sha256(self.requirements.read_bytes()).hexdigest()
        if stamp.exists() and stamp.read_text() == wanted:
            return python
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / f".{runtime}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if stamp.exists() and stamp.read_text() == wanted:
                return python
            found = subprocess.run(
                [str(ROOT / "scripts" / "find-python.sh"), minor], check=False, capture_output=True, text=True
            )
            if found.returncode != 0:
                raise UnsupportedRuntimeError(
                    f"{runtime} needs a Python {minor} interpreter: {found.stderr.strip()}"
                )
            base = found.stdout.strip()
            log.info("creating the %s runtime environment in %s with %s", runtime, venv, base)
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True)
            # pip from the local stack's own interpreter installs into the runtime virtualenv, so the runtime
            # holds no pip either, as in Lambda.
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "--python",
                    str(python),
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--no-deps",
                    "--requirement",
                    str(self.requirements),
                ],
                check=True,
            )
            stamp.write_text(wanted)
        return python


class UnsupportedRuntimeError(Exception):
    """The function's runtime cannot run here: not Python, or no interpreter of its version."""


class _LogStream:
    """One execution environment's log stream: lines are buffered with their time and sent by `flush()`."""

    def __init__(self, logs: Any, group: str, name: str) -> None:
        self._logs = logs
        self.group = group
        self.name = name
        self._events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._last_ms = 0
        self._created = False
        self._missing_group = False

    def add(self, message: str) -> None:
        with self._lock:
            # PutLogEvents wants events in time order; lines read from one pipe are, to the millisecond.
            self._last_ms = max(self._last_ms, int(time.time() * 1000))
            encoded = message.encode()
            if len(encoded) > _MAX_EVENT_BYTES:  # Lambda splits longer lines; truncating keeps them in order
                message = encoded[:_MAX_EVENT_BYTES].decode(errors="ignore")
            self._events.append({"timestamp": self._last_ms, "message": message})

    def flush(self) -> None:
        with self._lock:
            events, self._events = self._events, []
        if not events or self._missing_group:
            return
        try:
            if not self._created:
                self._logs.create_log_stream(logGroupName=self.group, logStreamName=self.name)
                self._created = True
            for batch in _batches(events):
                self._logs.put_log_events(logGroupName=self.group, logStreamName=self.name, logEvents=batch)
        except self._logs.exceptions.ResourceNotFoundException:
            self._missing_group = True
            log.warning("log group %s does not exist: the function's logs are dropped", self.group)


def _batches(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    batches: list[list[dict[str, Any]]] = [[]]
    size = 0
    for event in events:
        event_size = len(event["message"].encode()) + 26
        if len(batches[-1]) == _MAX_EVENTS_PER_PUT or size + event_size > _MAX_BYTES_PER_PUT:
            batches.append([])
            size = 0
        batches[-1].append(event)
        size += event_size
    return batches


@dataclass
class _Outcome:
    result: InvokeResult
    reusable: bool


class ExecutionEnvironment:
    """A process running local/bootstrap.py for one function configuration, one invocation at a time."""

    def __init__(
        self,
        config: FunctionConfig,
        python: Path,
        task_root: Path,
        opt_dir: Path,
        endpoint: str,
        logs: Any,
    ) -> None:
        self.config = config
        self._python = python
        self._task_root = task_root
        self._opt_dir = opt_dir
        self._endpoint = endpoint
        day = datetime.now(UTC).strftime("%Y/%m/%d")
        self.log = _LogStream(logs, config.log_group, f"{day}/[{config.version}]{uuid.uuid4().hex}")
        self._process: subprocess.Popen[bytes] | None = None
        self._control_in: IO[str] | None = None
        self._responses: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._ends: queue.Queue[str | None] = queue.Queue()
        self._init_ms: float | None = None
        self._peak_mb = 0

    def environment(self) -> dict[str, str]:
        """The function's variables, then Lambda's reserved ones, which win as on AWS."""
        config = self.config
        env = dict(config.environment)
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": config.name,
                "AWS_LAMBDA_FUNCTION_VERSION": config.version,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
                "AWS_LAMBDA_LOG_GROUP_NAME": config.log_group,
                "AWS_LAMBDA_LOG_STREAM_NAME": self.log.name,
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                # Every SDK call of the function goes to the emulator (botocore >= 1.31 reads this variable).
                "AWS_ENDPOINT_URL": self._endpoint,
                # No shared config or credentials files exist in Lambda: the host's must not leak in.
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
                "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
                "_AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1",
                "_AWS_XRAY_DAEMON_PORT": "2000",
                "_HANDLER": config.handler,
                "LAMBDA_TASK_ROOT": str(self._task_root),
                "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP.parent),
                "LD_LIBRARY_PATH": f"{self._opt_dir}/lib",
                "PATH": f"{self._python.parent}:{self._opt_dir}/bin:/usr/local/bin:/usr/bin:/bin",
                "LANG": "en_US.UTF-8",
                "TZ": ":UTC",
            }
        )
        return env

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _start(self) -> None:
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        self._process = subprocess.Popen(
            [
                str(self._python),
                "-I",
                "-u",
                str(BOOTSTRAP),
                str(request_read),
                str(response_write),
                str(self._opt_dir),
            ],
            cwd=self._task_root,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(request_read, response_write),
            start_new_session=True,  # one process group: a timeout kills whatever the handler started too
        )
        os.close(request_read)
        os.close(response_write)
        self._control_in = os.fdopen(request_write, "w", encoding="utf-8")
        assert self._process.stdout is not None
        threading.Thread(target=self._read_output, args=(self._process.stdout,), daemon=True).start()
        threading.Thread(
            target=self._read_responses, args=(os.fdopen(response_read, "r", encoding="utf-8"),), daemon=True
        ).start()

    def _read_output(self, stdout: IO[bytes]) -> None:
        marker_start = "\x1elocal-lambda-end "
        with stdout:  # closed at EOF, so no descriptor outlives the process
            self._read_lines(stdout, marker_start)
        self._ends.put(None)  # end of output: no marker will come

    def _read_lines(self, stdout: IO[bytes], marker_start: str) -> None:
        for raw in stdout:
            line = raw.decode(errors="replace")
            if line.endswith("\x1e\n") and marker_start in line:
                text, _, rest = line.rpartition(marker_start)
                if text:
                    self.log.add(text)
                self._ends.put(rest.removesuffix("\x1e\n"))
            else:
                self.log.add(line)

    def _read_responses(self, channel: IO[str]) -> None:
        with channel:
            for line in channel:
                self._responses.put(json.loads(line))
        self._responses.put(None)  # the process is gone

    def _wait_response(self, timeout_s: float) -> dict[str, Any] | None:
        """The next message from the bootstrap; None if the process exited; raises queue.Empty on timeout."""
        return self._responses.get(timeout=max(timeout_s, 0.0))

    def _wait_end_marker(self, request_id: str) -> None:
        # The bootstrap writes the marker before it answers, so it is at most a pipe read away.
        deadline = time.monotonic() + 5.0
        while True:
            try:
                marker = self._ends.get(timeout=max(deadline - time.monotonic(), 0.0))
            except queue.Empty:
                return
            if marker is None:
                self._ends.put(None)  # later waits must not block either
                return
            if marker == request_id:
                return

    def _max_memory_mb(self) -> int:
        """The process's peak resident memory (VmHWM), or the last reading once the process is gone."""
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{self._process.pid}/status").read_text()
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        self._peak_mb = max(self._peak_mb, math.ceil(int(line.split()[1]) / 1024))
        return self._peak_mb

    def _stop_process(self) -> None:
        """SIGKILL the process group and reap it; what it printed before is still read, up to EOF."""
        process = self._process
        if process is None:
            return
        self._max_memory_mb()  # the last reading is what REPORT shows once the process is gone
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def kill(self) -> None:
        self._stop_process()
        self._process = None
        if self._control_in is not None:
            with contextlib.suppress(OSError):  # the reading end is gone with the process
                self._control_in.close()
        self.log.flush()

    def _report(self, request_id: str, started: float, status: str | None = None) -> None:
        duration_ms = (time.monotonic() - started) * 1000
        parts = [
            f"REPORT RequestId: {request_id}",
            f"Duration: {duration_ms:.2f} ms",
            f"Billed Duration: {math.ceil(duration_ms)} ms",
            f"Memory Size: {self.config.memory_mb} MB",
            f"Max Memory Used: {self._max_memory_mb()} MB",
        ]
        if self._init_ms is not None:
            parts.append(f"Init Duration: {self._init_ms:.2f} ms")
            self._init_ms = None
        if status is not None:
            parts.append(f"Status: {status}")
        self.log.add(f"END RequestId: {request_id}\n")
        self.log.add("\t".join(parts) + "\t\n")

    def invoke(self, payload: Any, request_id: str, invoked_arn: str) -> _Outcome:
        config = self.config
        cold = not self.alive
        if cold:
            init_started = time.monotonic()
            self._start()
            try:
                ready = self._wait_response(INIT_TIMEOUT_S)
            except queue.Empty:
                ready = {"init": "timeout"}
            if ready is None or ready.get("init") != "ok":
                if ready is not None and ready.get("init") == "timeout":
                    self._stop_process()
                self._wait_end_marker("init")  # returns at the end of the output when there is no marker
                self.log.add(f"START RequestId: {request_id} Version: {config.version}\n")
                error = _init_failure(ready, request_id)
                init_ms = (time.monotonic() - init_started) * 1000
                self.log.add(
                    f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: error\t"
                    f"Error Type: {error['errorType']}\n"
                )
                self._report(request_id, init_started, status="error")
                self.kill()
                return _failed(request_id, error)
            self._wait_end_marker("init")
            self._init_ms = (time.monotonic() - init_started) * 1000

        started = time.monotonic()
        self.log.add(f"START RequestId: {request_id} Version: {config.version}\n")
        deadline_ms = int(time.time() * 1000) + config.timeout_s * 1000
        request = {
            "requestId": request_id,
            "event": payload,
            "deadlineMs": deadline_ms,
            "invokedFunctionArn": invoked_arn,
            "traceId": _trace_id(),
        }
        assert self._control_in is not None
        try:
            self._control_in.write(json.dumps(request) + "\n")
            self._control_in.flush()
            response = self._wait_response(config.timeout_s - (time.monotonic() - started))
        except queue.Empty:
            self._stop_process()
            self._wait_end_marker(request_id)  # what it printed before it was stopped comes first
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            message = f"Task timed out after {config.timeout_s:.2f} seconds"
            self.log.add(f"{stamp} {request_id} {message}\n")
            self._report(request_id, started, status="timeout")
            self.kill()
            return _failed(request_id, _platform_error("Sandbox.Timedout", request_id, message))
        except (BrokenPipeError, OSError):
            response = None

        if response is None:  # the process exited during the invocation (sys.exit, os._exit, a crash)
            code = self._process.wait() if self._process is not None else None
            self._wait_end_marker(request_id)  # returns at the end of its output
            self._report(request_id, started, status="error")
            self.kill()
            message = f"Runtime exited with error: exit status {code}"
            return _failed(request_id, _platform_error("Runtime.ExitError", request_id, message))

        self._wait_end_marker(request_id)
        self._report(request_id, started)
        self.log.flush()
        if "error" in response:  # the handler raised: the environment stays warm, as in Lambda
            return _failed(request_id, response["error"], reusable=True)
        result = InvokeResult(payload=json.loads(response["payload"]), request_id=request_id)
        return _Outcome(result, reusable=True)


def _failed(request_id: str, error: dict[str, Any], reusable: bool = False) -> _Outcome:
    return _Outcome(InvokeResult(payload=None, error=error, request_id=request_id), reusable=reusable)


def _platform_error(error_type: str, request_id: str, message: str) -> dict[str, Any]:
    # Errors raised by Lambda itself rather than by the handler carry no stack trace.
    return {"errorType": error_type, "errorMessage": f"RequestId: {request_id} Error: {message}"}


def _init_failure(ready: dict[str, Any] | None, request_id: str) -> dict[str, Any]:
    if ready is None:
        return _platform_error("Runtime.ExitError", request_id, "Runtime exited during init")
    if ready.get("init") == "timeout":
        return _platform_error("Sandbox.Timedout", request_id, f"Init timed out after {INIT_TIMEOUT_S:.2f} s")
    error = dict(ready["error"])
    error["requestId"] = request_id
    return error


def _trace_id() -> str:
    # Not sampled: the X-Ray SDK in the function records and sends nothing, as for an unsampled request.
    return f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"


class _Pool:
    """The environments of one function configuration; idle ones are reused most-recently-used first."""

    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint
        self.idle: list[ExecutionEnvironment] = []
        self.busy: set[ExecutionEnvironment] = set()


class LambdaRunner:
    """Invokes functions deployed to the emulator; implements local.invoke's Invoker protocol."""

    def __init__(
        self,
        endpoint: str,
        work_dir: Path,
        interpreters: Callable[[str], Path] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.work_dir = work_dir
        self._python_for = interpreters or RuntimeInterpreters(ROOT / ".build" / "lambda-runtimes").python
        self._lambda = client("lambda", endpoint)
        self._logs = client("logs", endpoint)
        self._pools: dict[str, _Pool] = {}
        self._lock = threading.Lock()
        self._unpack_lock = threading.Lock()
        self._closed = False

    def invoke(self, function_arn: str, payload: dict[str, Any]) -> InvokeResult:
        """Run the function once; raises (ClientError, UnsupportedRuntimeError) if it cannot be run at all."""
        config = FunctionConfig.from_get_function(self._lambda.get_function(FunctionName=function_arn))
        environment = self._acquire(config) or self._new_environment(config)
        outcome = environment.invoke(payload, str(uuid.uuid4()), function_arn)
        self._release(environment, reusable=outcome.reusable)
        return outcome.result

    def close(self) -> None:
        """Stop every execution environment and flush its logs."""
        with self._lock:
            self._closed = True
            environments = [env for pool in self._pools.values() for env in (*pool.idle, *pool.busy)]
            self._pools.clear()
        for environment in environments:
            environment.kill()

    def __enter__(self) -> LambdaRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _acquire(self, config: FunctionConfig) -> ExecutionEnvironment | None:
        retired: list[ExecutionEnvironment] = []
        fingerprint = config.fingerprint()
        with self._lock:
            pool = self._pools.get(config.arn)
            if pool is None or pool.fingerprint != fingerprint:
                # A new configuration or code: environments of the old one finish their invocation, then go.
                if pool is not None:
                    retired = pool.idle
                pool = self._pools[config.arn] = _Pool(fingerprint)
            environment = None
            while pool.idle and environment is None:
                candidate = pool.idle.pop()
                if candidate.alive:
                    environment = candidate
                else:
                    retired.append(candidate)
            if environment is not None:
                pool.busy.add(environment)
        for old in retired:
            old.kill()
        return environment

    def _release(self, environment: ExecutionEnvironment, reusable: bool) -> None:
        with self._lock:
            pool = self._pools.get(environment.config.arn)
            current = pool is not None and pool.fingerprint == environment.config.fingerprint()
            if pool is not None and current:
                pool.busy.discard(environment)
            keep = reusable and current and not self._closed and environment.alive
            if keep and pool is not None:
                pool.idle.append(environment)
        if not keep:
            environment.kill()

    def _new_environment(self, config: FunctionConfig) -> ExecutionEnvironment:
        python = self._python_for(config.runtime)
        task_root = self._unpacked("code", config.code_sha256, [config.code_location])
        layer_locations = [self._layer_location(arn) for arn in config.layers]
        layers_key = hashlib.sha256(json.dumps(layer_locations).encode()).hexdigest()
        opt_dir = self._unpacked("opt", layers_key, [location for _, location in layer_locations])
        environment = ExecutionEnvironment(config, python, task_root, opt_dir, self.endpoint, self._logs)
        with self._lock:
            pool = self._pools.get(config.arn)
            if pool is not None and pool.fingerprint == config.fingerprint():
                pool.busy.add(environment)
        return environment

    def _layer_location(self, layer_version_arn: str) -> tuple[str, str]:
        # arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION
        name, version = layer_version_arn.split(":")[6:8]
        layer = self._lambda.get_layer_version(LayerName=name, VersionNumber=int(version))
        return layer["Content"]["CodeSha256"], layer["Content"]["Location"]

    def _unpacked(self, kind: str, key: str, locations: list[str]) -> Path:
        """The zips at `locations` extracted, in order, into one directory named after `key` (built once)."""
        safe_key = base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()).decode().rstrip("=")
        target = self.work_dir / kind / safe_key
        with self._unpack_lock:
            if target.is_dir():
                return target
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".staging-"))
            for location in locations:
                with urllib.request.urlopen(location, timeout=60) as response:  # noqa: S310 - http(s) URLs
                    data = response.read()
                _extract(data, staging)
            staging.rename(target)
        return target


def _extract(data: bytes, target: Path) -> None:
    with tempfile.TemporaryFile() as archive:
        archive.write(data)
        archive.seek(0)
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                path = Path(zf.extract(info, target))  # extract() keeps members inside target
                mode = (info.external_attr >> 16) & 0o777
                if mode and not info.is_dir():
                    path.chmod(mode)
