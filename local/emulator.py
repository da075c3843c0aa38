"""moto's server, patched by local.patches, as the local stack's AWS emulator.

    python -m local.emulator --port N [--state-dir DIR]

serves every AWS API on http://127.0.0.1:N in this process until SIGINT/SIGTERM (`--port 0` picks a free
port). With `--state-dir`, it writes DIR/emulator.json ({"pid", "port", "endpoint"}) once the port accepts
connections and removes it on a clean stop, so a supervisor can wait for it and find the port. moto keeps its
state in memory only: stopping the emulator forgets every resource.

Tests and the local stack use the `Emulator` class, which runs that command as a child process: moto keeps its
state in module globals, and a child of its own keeps it apart from anything else in the caller's process (a
`mock_aws` in the same pytest run resets every backend). `Emulator(in_process=True)` serves from a thread of
the caller instead, for tests that change a patch's settings.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

from local import patches
from local.constants import HOST, ROOT
from local.lifecycle import Lifecycle
from local.processes import StopSignal, write_json

STATE_FILE = "emulator.json"
START_TIMEOUT_SECONDS = 60


class Emulator(Lifecycle):
    """moto's server on 127.0.0.1, in a child process (default) or a thread; `port=0` picks a free port."""

    def __init__(self, port: int = 0, *, in_process: bool = False) -> None:
        self._requested_port = port
        self._in_process = in_process
        self._server: patches.MotoServer | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._state_dir: tempfile.TemporaryDirectory[str] | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not running: call start() first")
        return self._port

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> Self:
        if self._port is not None:
            return self
        if self._in_process:
            self._start_thread()
        else:
            self._start_child()
        return self

    def _start_thread(self) -> None:
        server = patches.patched_server(HOST, self._requested_port)
        server.start()  # returns once the socket is bound and listening
        self._server = server
        self._port = server.get_host_and_port()[1]

    def _start_child(self) -> None:
        self._state_dir = tempfile.TemporaryDirectory(prefix="emulator-")
        state_file = Path(self._state_dir.name) / STATE_FILE
        command = [sys.executable, "-m", "local.emulator", "--port", str(self._requested_port)]
        self._process = subprocess.Popen(
            [*command, "--state-dir", self._state_dir.name],
            cwd=ROOT,
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            },
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not state_file.exists():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the emulator did not start within {START_TIMEOUT_SECONDS} s")
            time.sleep(0.05)
        self._port = int(json.loads(state_file.read_text())["port"])

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        state_dir, self._state_dir = self._state_dir, None
        if state_dir is not None:
            state_dir.cleanup()
        self._port = None


def _write_state(state_dir: Path, emulator: Emulator) -> Path:
    path = state_dir / STATE_FILE
    write_json(path, {"pid": os.getpid(), "port": emulator.port, "endpoint": emulator.endpoint})
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.emulator", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--state-dir", type=Path, help="directory for emulator.json (pid, port, endpoint)")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    if not args.verbose:
        # One line per request would drown `make up`'s output.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    stop_signal = StopSignal()
    emulator = Emulator(port=args.port, in_process=True)
    emulator.start()
    state_file = _write_state(args.state_dir, emulator) if args.state_dir else None
    print(f"emulator: moto's server listening on {emulator.endpoint}", flush=True)
    try:
        stop_signal.wait()
    finally:
        emulator.stop()
        if state_file is not None:
            state_file.unlink(missing_ok=True)
    print("emulator: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
