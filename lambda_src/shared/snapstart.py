"""SnapStart: what an execution environment resumed from a snapshot must not share with its siblings.

Lambda snapshots a published version after its init and resumes each new execution environment of that version
from the same snapshot, so whatever init left in memory is identical in all of them. The writer and the
consumer open no connection and resolve no credentials during init (their clients connect on first use, after
the restore), and product ids are uuid4, drawn from os.urandom at each call. What init does leave behind is
the state of the `random` module, seeded once at import: botocore draws its retry backoff jitter from it, so
environments resumed from one snapshot would retry throttled calls in lockstep. Each handler registers
``reseed_random`` to run after every restore.

The runtime hooks come from ``snapshot_restore_py``, which the Lambda Python runtime provides (3.12 and later)
and nothing else does: elsewhere (tests, the local stack, which takes no snapshots) nothing is registered.
"""

from __future__ import annotations

import random
from collections.abc import Callable


def reseed_random() -> None:
    """Seed the `random` module afresh from the operating system's entropy."""
    random.seed()


def register_after_restore(hook: Callable[[], None]) -> bool:
    """Run `hook` after each restore from a snapshot; outside the Lambda runtime, False (none registered)."""
    try:
        from snapshot_restore_py import register_after_restore as register  # type: ignore[import-not-found]
    except ImportError:
        return False
    register(hook)
    return True
