"""The local stack's background processes: started detached, found by pid, waited for, stopped.

A background process writes a JSON state file once it is ready (its port, its URLs); a supervisor waits for
that file. Pid files name the processes to stop; a pid is only signalled when its command line is the
stack's own, so a pid recycled by another process is left alone.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from local.constants import HOST, ROOT

STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


class StackError(Exception):
    """A step of the local stack failed: a background process did not start, or a command it ran failed."""


def step(message: str) -> None:
    """One line of progress, as `make up` and `make down` print them."""
    print(f"==> {message}", flush=True)


def shown(path: Path) -> str:
    """`path` as a user reads it in the output: relative to the repository when inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def write_json(path: Path, value: Any) -> None:
    """Writes `value` to `path` atomically: a reader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(value, indent=2))
    tmp.replace(path)


def read_json(path: Path) -> Any:
    """The JSON in `path`, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def is_stack_process(pid: int) -> bool:
    """Is `pid` a process of this stack (and not another process that got a recycled pid)?"""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"local.emulator" in cmdline or (b"local" in cmdline and b"serve" in cmdline)


def stop_process(pid: int, name: str) -> None:
    """SIGTERM the stack's process `pid`, then SIGKILL it if it has not exited within STOP_TIMEOUT_S."""
    if not is_stack_process(pid):
        return
    step(f"stopping the {name} (pid {pid})")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while is_stack_process(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if is_stack_process(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def spawn(args: list[str], log_path: Path, pid_path: Path) -> subprocess.Popen[bytes]:
    """Starts `args` detached from the caller's session, output appended to `log_path`, pid in `pid_path`."""
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


def wait_for_state(path: Path, process: subprocess.Popen[bytes], log_path: Path, what: str) -> Any:
    """The state file `process` writes once it is ready; StackError if it exits or takes too long first."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        state = read_json(path)
        if state is not None:
            return state
        if process.poll() is not None:
            raise StackError(
                f"the {what} exited with status {process.returncode}; see {log_path}:\n{tail(log_path)}"
            )
        time.sleep(0.1)
    raise StackError(f"the {what} did not start within {STARTUP_TIMEOUT_S:.0f} s; see {log_path}")


class StopSignal:
    """SIGTERM or SIGINT, as a background process of the stack is told to stop: caught from construction on
    (a signal during start-up is kept, not fatal), and waited for with `wait()`."""

    def __init__(self) -> None:
        self._received = threading.Event()
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._received.set()

    def wait(self) -> None:
        # Short waits: the main thread runs signal handlers between them.
        while not self._received.wait(1.0):
            pass


class PortInUseError(StackError):
    """A fixed port the stack was asked to listen on is taken."""


def port_in_use_message(port: int, role: str) -> str:
    return (
        f"port {port} on {HOST} is already in use (wanted for the {role}); pick another base port with "
        f"`make up PORT=<n>` (the API front listens on n, the emulator on n+1), stop what holds it, or leave "
        f"PORT out to use free ports"
    )


def check_port_free(port: int, role: str) -> None:
    """PortInUseError when `port` on 127.0.0.1 cannot be listened on, as the stack's servers would try it
    (SO_REUSEADDR, as they set it: a port only in TIME_WAIT counts as free)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
            probe.listen(1)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUseError(port_in_use_message(port, role)) from error
            raise StackError(f"cannot listen on {HOST}:{port} for the {role}: {error.strerror}") from error
