"""An execution environment: one process of the function's runtime running the handler, as Lambda runs it.

The process runs local/lambda_runtime/bootstrap.py with the function's environment variables plus Lambda's
own and the emulator's endpoint and credentials; it imports the handler once (init) and then serves one
invocation at a time, over two pipes. As in Lambda:
- the timeout is enforced: the environment is killed, the invocation fails with `Sandbox.Timedout`, and the
  next invocation starts a new environment (cold start);
- the handler's stdout and stderr become log events in `/aws/lambda/<name>` (the function's log group, which
  must exist: as with a role lacking logs:CreateLogGroup, nothing is logged when it does not), in one log
  stream per environment, framed by START / END / REPORT lines;
- handler, import and serialisation errors come back in Lambda's error shape.

Not emulated: memory limits (reported in REPORT, not enforced), extensions, SnapStart and container images.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import queue
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from local.constants import ACCESS_KEY, HOST, REGION, SECRET_KEY
from local.lambda_runtime.functions import FunctionConfig
from local.lambda_runtime.invoke import InvokeResult

log = logging.getLogger(__name__)

BOOTSTRAP = Path(__file__).resolve().parent / "bootstrap.py"
# Lambda's init phase may take at most 10 s; a slower init fails the invocation.
INIT_TIMEOUT_S = 10.0
# PutLogEvents accepts at most 10,000 events and 1 MiB per call (26 bytes of overhead per event).
_MAX_EVENTS_PER_PUT = 10_000
_MAX_BYTES_PER_PUT = 1_048_576
_MAX_EVENT_BYTES = 256 * 1024 - 26


class LogStream:
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
class InvocationOutcome:
    """An invocation's result, and whether its environment can serve the next invocation."""

    result: InvokeResult
    reusable: bool


class ExecutionEnvironment:
    """A process running bootstrap.py for one function configuration, one invocation at a time."""

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
        self.log = LogStream(logs, config.log_group, f"{day}/[{config.version}]{uuid.uuid4().hex}")
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
                "AWS_XRAY_DAEMON_ADDRESS": f"{HOST}:2000",
                "_AWS_XRAY_DAEMON_ADDRESS": HOST,
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

    def _failed(self, request_id: str, error: dict[str, Any], reusable: bool = False) -> InvocationOutcome:
        result = InvokeResult(error=error, request_id=request_id, executed_version=self.config.version)
        return InvocationOutcome(result, reusable=reusable)

    def invoke(self, payload: Any, request_id: str, invoked_arn: str) -> InvocationOutcome:
        """Runs one invocation (starting the process first when it is cold); `invoked_arn` is the ARN the
        caller invoked, as the handler's context reports it."""
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
                return self._failed(request_id, error)
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
            return self._failed(request_id, _platform_error("Sandbox.Timedout", request_id, message))
        except (BrokenPipeError, OSError):
            response = None

        if response is None:  # the process exited during the invocation (sys.exit, os._exit, a crash)
            code = self._process.wait() if self._process is not None else None
            self._wait_end_marker(request_id)  # returns at the end of its output
            self._report(request_id, started, status="error")
            self.kill()
            message = f"Runtime exited with error: exit status {code}"
            return self._failed(request_id, _platform_error("Runtime.ExitError", request_id, message))

        self._wait_end_marker(request_id)
        self._report(request_id, started)
        self.log.flush()
        if "error" in response:  # the handler raised: the environment stays warm, as in Lambda
            return self._failed(request_id, response["error"], reusable=True)
        result = InvokeResult(
            payload=json.loads(response["payload"]), request_id=request_id, executed_version=config.version
        )
        return InvocationOutcome(result, reusable=True)


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
