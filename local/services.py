"""The Lambda runner (with its Invoke API, to which the emulator hands Lambda Invoke), the API fronts and the
stream poller in one process, publishing AWS's metrics to the emulator's CloudWatch: what
`python -m local serve` runs and what the end-to-end suite starts in its own process."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Self

from local import client
from local.apigw.server import ApiFront
from local.constants import RUNTIMES_DIR
from local.esm.poller import StreamPoller
from local.lambda_runtime.interpreters import RuntimeInterpreters
from local.lambda_runtime.invoke_api import InvokeApi
from local.lambda_runtime.runner import LambdaRunner
from local.lifecycle import Lifecycle
from local.metrics import CloudWatchMetrics
from local.processes import StopSignal, write_json

SERVE_STATE = "serve.json"


class Services(Lifecycle):
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
        self.metrics = CloudWatchMetrics(client("cloudwatch", endpoint))
        self.runner = LambdaRunner(endpoint, work_dir, self.interpreters.python, metrics=self.metrics)
        self.invoke_api = InvokeApi(endpoint, self.runner)
        self.poller = StreamPoller(endpoint, self.runner, state_dir=state_dir, metrics=self.metrics)
        if api_ids is None:
            pages = client("apigatewayv2", endpoint).get_apis().get("Items", [])
            api_ids = [api["ApiId"] for api in pages if api.get("ProtocolType") == "HTTP"]
        self.fronts = [
            ApiFront(endpoint, api_id, self.runner, port=api_port if index == 0 else 0, metrics=self.metrics)
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

    def start(self) -> Self:
        self.prepare_runtimes()
        self.invoke_api.start()
        for front in self.fronts:
            front.start()
        self.poller.start()
        return self

    def stop(self) -> None:
        for front in self.fronts:
            front.stop()
        self.poller.stop()
        self.invoke_api.stop()
        self.runner.close()
        self.metrics.close()


def serve(endpoint: str, api_ids: list[str] | None, port: int, state_dir: Path | None) -> int:
    """Runs the services until SIGTERM or SIGINT; with `state_dir`, writes serve.json (pid, API URLs) there
    once they are ready, and keeps the poller's checkpoints and the unpacked functions in it."""
    stop_signal = StopSignal()
    work_dir = (state_dir or Path(os.environ.get("TMPDIR", "/tmp"))) / f"lambda-{os.getpid()}"  # noqa: S108
    with Services(endpoint, work_dir, state_dir=state_dir, api_ids=api_ids, api_port=port) as services:
        for api_id, url in services.urls.items():
            print(f"serve: API {api_id} on {url}", flush=True)
        print("serve: Lambda runner and stream poller running", flush=True)
        if state_dir is not None:
            write_json(state_dir / SERVE_STATE, {"pid": os.getpid(), "apis": services.urls})
        try:
            stop_signal.wait()
        finally:
            if state_dir is not None:
                (state_dir / SERVE_STATE).unlink(missing_ok=True)
    print("serve: stopped", flush=True)
    return 0
