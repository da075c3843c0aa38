"""Names the local stack's modules share: where things are, where it listens, and its fixed credentials.

The emulator accepts any credentials; the local stack uses one fixed, obviously fake set so that SigV4
signatures made by clients (and checked by the API front) agree on a secret.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository
STATE_DIR = ROOT / ".local"  # what `up` writes: pids, logs, Terraform state (removed by `down`)
ROOTS_STATE_DIR = STATE_DIR / "roots"  # the same for `up --root DIR`, one directory per root (local.stack)
EXAMPLE_DIR = ROOT / "examples" / "local"  # the configuration `up` applies to the emulator
BUILD_DIR = ROOT / ".build"
RUNTIMES_DIR = BUILD_DIR / "lambda-runtimes"  # one virtualenv per Lambda Python runtime
SCRIPTS_DIR = ROOT / "scripts"

# Every server of the local stack listens on loopback only.
HOST = "127.0.0.1"

REGION = "us-east-1"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"  # noqa: S105 - the emulator's well-known test secret, not a credential
# moto's default account: every ARN the emulator hands out carries it.
ACCOUNT_ID = "123456789012"
