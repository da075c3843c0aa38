"""`make help` lists the verbs, with colour only on a terminal."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ESCAPE = "\x1b["


def test_help_piped_is_plain_text_listing_every_verb() -> None:
    out = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert ESCAPE not in out
    verbs = {line.split()[0] for line in out.splitlines() if line.strip()}
    assert {"help", "test", "up", "down", "docs", "bench"} <= verbs


def test_help_on_a_terminal_is_coloured() -> None:
    leader, follower = pty.openpty()
    try:
        subprocess.run(
            ["make", "--no-print-directory", "help"],
            cwd=REPO_ROOT,
            stdout=follower,
            stderr=follower,
            check=True,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO once the terminal's other end is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    assert ESCAPE in b"".join(chunks).decode()
