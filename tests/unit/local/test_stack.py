"""`python -m local down` and the background processes of `up`: started detached, found by pid, stopped."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from local import stack
from local.processes import spawn, wait_for_state


def test_down_stops_the_background_processes_and_removes_the_state_dir(tmp_path: Path) -> None:
    state_dir = tmp_path / ".local"
    state_dir.mkdir()
    log_path = state_dir / "emulator.log"
    process = spawn(
        [sys.executable, "-m", "local.emulator", "--port", "0", "--state-dir", str(state_dir)],
        log_path,
        state_dir / "emulator.pid",
    )
    state = wait_for_state(state_dir / "emulator.json", process, log_path, "emulator")
    assert state["endpoint"].startswith("http://127.0.0.1:")
    assert os.getpgid(process.pid) == process.pid  # its own session: `make up` returning leaves it running

    assert stack.down(state_dir) == 0

    assert process.wait(timeout=5) == 0  # stopped by SIGTERM, cleanly
    assert not state_dir.exists()


def test_down_leaves_a_process_alone_whose_pid_was_reused(tmp_path: Path) -> None:
    state_dir = tmp_path / ".local"
    state_dir.mkdir()
    # A pid file naming a process that is not the stack's: this test process, for one.
    (state_dir / "serve.pid").write_text(str(os.getpid()))

    assert stack.down(state_dir) == 0

    assert not state_dir.exists()  # and this process is still here to check it


def test_down_without_a_stack_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert stack.down(tmp_path / "absent") == 0

    assert "no local stack was running" in capsys.readouterr().out
