"""The interpreter of each Lambda Python runtime, as the local runner runs functions with it."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import shutil
import subprocess
import sys
from pathlib import Path

from local.constants import SCRIPTS_DIR

log = logging.getLogger(__name__)

RUNTIME_REQUIREMENTS = Path(__file__).resolve().parent / "runtime-requirements.txt"


class RuntimeInterpreters:
    """The interpreter of each Lambda Python runtime: a virtualenv of that Python version holding only what
    the Lambda runtime provides (boto3 and botocore, pinned in the runtime-requirements.txt beside this
    module), so that a package missing from the function's code and layers fails to import here as it would
    on AWS.

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
                [str(SCRIPTS_DIR / "find-python.sh"), minor], check=False, capture_output=True, text=True
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
