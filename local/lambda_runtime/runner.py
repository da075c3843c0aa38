"""The Lambda runner: runs the packages deployed to the emulator the way Lambda runs them.

`LambdaRunner.invoke(function_arn, payload)` resolves the function (local.lambda_runtime.functions) through
the emulator's Lambda API, downloads the code and layer zips from their `Location` URLs (the deployed package,
not the source tree), unpacks them (code as LAMBDA_TASK_ROOT, layers merged in order as /opt), and runs the
handler in an execution environment (local.lambda_runtime.environment) of the function's runtime version
(local.lambda_runtime.interpreters). Environments stay warm between invocations and are reused one invocation
at a time; concurrent invocations get environments of their own; a configuration or code change retires the
old ones.

Reserved concurrency is honoured: an invocation that would need more environments of a function (all its
versions together) than its ReservedConcurrentExecutions is refused with `Throttled`, as Lambda throttles
it; 0 refuses every invocation.

Each invocation publishes Lambda's function metrics (local.metrics): Invocations, Errors and Duration
(Milliseconds) for an invocation that ran, Throttles for one that was refused.

Not emulated: provisioned concurrency, the account's unreserved concurrency limit, aliases' routing
configuration.
"""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
import threading
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local import client
from local.constants import RUNTIMES_DIR
from local.lambda_runtime.environment import ExecutionEnvironment
from local.lambda_runtime.functions import FunctionConfig, resolve_function
from local.lambda_runtime.interpreters import RuntimeInterpreters
from local.lambda_runtime.invoke import InvokeResult, Throttled
from local.metrics import MILLISECONDS, NO_METRICS, Metrics, put_function_metric


class _Pool:
    """The environments of one function configuration; idle ones are reused most-recently-used first."""

    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint
        self.idle: list[ExecutionEnvironment] = []
        self.busy: set[ExecutionEnvironment] = set()


class LambdaRunner:
    """Invokes functions deployed to the emulator; implements local.lambda_runtime.invoke's Invoker."""

    def __init__(
        self,
        endpoint: str,
        work_dir: Path,
        interpreters: Callable[[str], Path] | None = None,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self.endpoint = endpoint
        self._metrics = metrics
        self.work_dir = work_dir
        self._python_for = interpreters or RuntimeInterpreters(RUNTIMES_DIR).python
        self._lambda = client("lambda", endpoint)
        self._logs = client("logs", endpoint)
        self._pools: dict[str, _Pool] = {}
        self._running: dict[str, int] = {}  # invocations in progress, by function name
        self._lock = threading.Lock()
        self._unpack_lock = threading.Lock()
        self._closed = False

    def invoke(self, function_arn: str, payload: dict[str, Any]) -> InvokeResult:
        """Run the function once; raises (ClientError, UnsupportedRuntimeError) if it cannot be run at all,
        Throttled when its reserved concurrency is taken.

        `function_arn` may be qualified with a version or an alias (see local.lambda_runtime.functions)."""
        config = resolve_function(self._lambda, function_arn)
        reserved = self._reserved_concurrency(config.name)
        if not self._admit(config, reserved):
            put_function_metric(self._metrics, function_arn, "Throttles", 1)
            raise Throttled(
                f"Rate Exceeded: {config.name} runs {reserved} invocations at most (reserved concurrency)"
            )
        try:
            environment = self._acquire(config) or self._new_environment(config)
            started = time.monotonic()
            outcome = environment.invoke(payload, str(uuid.uuid4()), function_arn)
            duration_ms = (time.monotonic() - started) * 1000
            self._release(environment, reusable=outcome.reusable)
        finally:
            with self._lock:
                self._running[config.name] -= 1
        put_function_metric(self._metrics, function_arn, "Invocations", 1)
        put_function_metric(self._metrics, function_arn, "Errors", int(outcome.result.error is not None))
        put_function_metric(self._metrics, function_arn, "Duration", round(duration_ms, 2), MILLISECONDS)
        return outcome.result

    def _reserved_concurrency(self, name: str) -> int | None:
        # GetFunctionConcurrency rather than GetFunction's Concurrency, which moto leaves out when it is 0.
        value = self._lambda.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")
        return None if value is None else int(value)

    def _admit(self, config: FunctionConfig, limit: int | None) -> bool:
        """Counts the invocation in, unless the function's reserved concurrency (`limit`, shared by every
        version and alias of the function) is taken."""
        with self._lock:
            running = self._running.get(config.name, 0)
            if limit is not None and running >= limit:
                return False
            self._running[config.name] = running + 1
            return True

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
