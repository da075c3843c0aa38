"""Small statistics and machine facts shared by the benchmarks."""

from __future__ import annotations

import math
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = REPO_ROOT / ".build" / "bench"


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: a value that was actually observed, never interpolated between two."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Machine:
    cores: int
    cpu_model: str
    memory_gib: float
    python: str
    platform: str

    def describe(self) -> str:
        return (
            f"{self.cores} cores ({self.cpu_model}), {self.memory_gib:.0f} GiB memory, "
            f"Python {self.python}, {self.platform}"
        )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        return 0.0


def machine() -> Machine:
    return Machine(
        cores=os.cpu_count() or 1,
        cpu_model=_cpu_model(),
        memory_gib=_memory_gib(),
        python=platform.python_version(),
        platform=f"{platform.system()} {platform.machine()}",
    )


def tool_version(command: list[str]) -> str:
    """First line a tool prints for its version, or why it could not be asked."""
    try:
        completed = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        return f"unavailable ({error.__class__.__name__})"
    return completed.stdout.splitlines()[0] if completed.stdout else "unknown"


def base_interpreter() -> str:
    """The interpreter behind the virtualenv: a fresh interpreter must not see the virtualenv's packages."""
    return getattr(sys, "_base_executable", None) or sys.executable
