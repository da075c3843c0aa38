"""Cold start: time to import each handler module in a fresh interpreter, beside `import boto3` and a bare
interpreter start.

Each function's code zip and the dependency layer are unpacked as Lambda unpacks them (/var/task and
/opt/python), boto3 and its dependencies are installed into a directory of their own as the runtime provides
them, and each import runs in a new interpreter whose sys.path is exactly those three, with the function's
environment. The four commands are interleaved run by run, so drift in the machine's speed hits all of
them alike.

Two byte-code modes, both reported:
- cached: every module's byte code is already compiled (a warm-up run fills a separate cache); like for like
  with the runtime's boto3, and the mode the 1.5x target applies to.
- as deployed: the packages hold no byte code and Lambda's /var/task and /opt are read-only, so the function's
  own modules and the layer's are compiled from source at every cold start; boto3 keeps its byte code.

The packages are built for this machine's architecture by the module's own builder (the module's default,
arm64, would not import on an x86_64 host).

Run: python -m bench.cold_start [--runs 15] [--packages DIR_OF_ZIPS]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.package_size import build_packages, discover, host_architecture
from bench.stats import BUILD_DIR, REPO_ROOT, base_interpreter, median

WORK_DIR = BUILD_DIR / "cold_start"
# The packages Lambda's python runtime provides (never packaged, see lambda_src/requirements.txt).
RUNTIME_REQUIREMENTS = REPO_ROOT / "local" / "lambda_runtime" / "runtime-requirements.txt"
HANDLER_MODULES = {"writer": "writer.handler", "consumer": "consumer.handler"}
MODES = ("cached", "as_deployed")
IMPORTTIME_TOP = 8

# Prints the import's own duration, so the interpreter's start and exit are not in it.
PROBE = (
    "import sys, time\n"
    "sys.path[:0] = {paths!r}\n"
    "started = time.perf_counter()\n"
    "{statement}\n"
    "print(time.perf_counter() - started)\n"
)


@dataclass
class CommandTiming:
    label: str
    statement: str
    import_seconds: list[float] = field(default_factory=list)
    process_seconds: list[float] = field(default_factory=list)

    @property
    def median_import(self) -> float:
        return median(self.import_seconds)

    @property
    def median_process(self) -> float:
        return median(self.process_seconds)


@dataclass
class ModeResult:
    mode: str
    runs: int
    # label -> median seconds of the import alone / of the whole process
    median_import: dict[str, float]
    median_process: dict[str, float]
    # handler label -> median of per-run (handler import / boto3 import) ratios
    ratio_to_boto3: dict[str, float]


@dataclass
class ColdStartResult:
    interpreter: str
    python: str
    modes: list[ModeResult]
    # handler label -> [(module, cumulative microseconds)] from -X importtime, largest first
    slowest_imports: dict[str, list[tuple[str, int]]]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ColdStartResult:
        return cls(
            interpreter=data["interpreter"],
            python=data["python"],
            modes=[ModeResult(**mode) for mode in data["modes"]],
            slowest_imports={
                label: [(module, micros) for module, micros in rows]
                for label, rows in data["slowest_imports"].items()
            },
        )


def prepare_runtime(work_dir: Path) -> Path:
    """boto3 and its dependencies in a directory of their own, as the Lambda runtime ships them.

    The list is the local stack's (local/lambda_runtime/runtime-requirements.txt), so both emulate the same
    runtime.
    """
    requirements = RUNTIME_REQUIREMENTS.read_text()
    target = work_dir / "runtime"
    stamp = target / ".requirements"
    if stamp.exists() and stamp.read_text() == requirements:
        return target
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--target",
            str(target),
            "--requirement",
            str(RUNTIME_REQUIREMENTS),
        ],
        check=True,
    )
    stamp.write_text(requirements)
    return target


def _drop_byte_code(directory: Path) -> None:
    """Remove __pycache__ directories: an unpacked package must stay as deployed, with no byte code."""
    for cache in list(directory.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)


def _unpack(zip_path: Path, target: Path) -> Path:
    """Unpack a zip, unless the same zip (name, size, time) was unpacked there last time."""
    stamp = target / ".source"
    marker = f"{zip_path.name} {zip_path.stat().st_size} {zip_path.stat().st_mtime_ns}"
    if stamp.exists() and stamp.read_text() == marker:
        _drop_byte_code(target)
        return target
    shutil.rmtree(target, ignore_errors=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(target)
    stamp.write_text(marker)
    return target


@dataclass(frozen=True)
class Layout:
    """Directories in the order Lambda puts them on sys.path: task, layers, runtime."""

    tasks: dict[str, Path]
    layers: list[Path]
    runtime: Path

    def paths(self, function: str | None) -> list[str]:
        task = [str(self.tasks[function])] if function else []
        return task + [str(layer) for layer in self.layers] + [str(self.runtime)]


def prepare(packages_dir: Path, work_dir: Path = WORK_DIR, runtime: Path | None = None) -> Layout:
    tasks: dict[str, Path] = {}
    layers: list[Path] = []
    for package in discover(packages_dir):
        if package.kind == "layer":
            layers.append(_unpack(package.path, work_dir / "opt" / package.name) / "python")
        else:
            tasks[package.name] = _unpack(package.path, work_dir / "task" / package.name)
    missing = set(HANDLER_MODULES) - set(tasks)
    if missing:
        raise FileNotFoundError(f"no code package for {sorted(missing)} in {packages_dir}")
    return Layout(tasks=tasks, layers=layers, runtime=runtime or prepare_runtime(work_dir))


def function_environment(function: str, task: Path) -> dict[str, str]:
    """What Lambda sets for the function, so Powertools behaves as there (Lambda detected, tracing on)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(task),
        "AWS_LAMBDA_FUNCTION_NAME": f"bench-{function}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "POWERTOOLS_SERVICE_NAME": f"bench-{function}",
        "POWERTOOLS_METRICS_NAMESPACE": "bench",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    if function == "writer":
        env["TABLE_NAME"] = "bench-products"
    return env


def _commands(layout: Layout) -> list[tuple[str, str, list[str], dict[str, str]]]:
    """(label, statement, sys.path, environment) for each command, the yardsticks first."""
    yardstick_env = function_environment("consumer", layout.tasks["consumer"])
    commands = [
        ("bare interpreter", "pass", layout.paths(None), yardstick_env),
        ("import boto3", "import boto3", layout.paths(None), yardstick_env),
    ]
    for function, module in HANDLER_MODULES.items():
        env = function_environment(function, layout.tasks[function])
        commands.append((f"import {module}", f"import {module}", layout.paths(function), env))
    return commands


def _mode_flags(mode: str, work_dir: Path) -> list[str]:
    # Flags, not PYTHON* variables: -I makes the interpreter ignore those.
    if mode == "cached":
        return ["-X", f"pycache_prefix={work_dir / 'pycache'}"]
    return ["-B"]  # read-only /var/task and /opt: nothing compiled is ever kept


def _run_probe(
    interpreter: str, flags: list[str], statement: str, paths: list[str], env: dict[str, str]
) -> tuple[float, float]:
    code = PROBE.format(paths=paths, statement=statement)
    started = time.perf_counter()
    # -I: no user site, no PYTHON* variables, no current directory: only the paths given.
    completed = subprocess.run(
        [interpreter, "-I", *flags, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"`{statement}` failed in a fresh interpreter:\n{completed.stderr}")
    return float(completed.stdout.strip().splitlines()[-1]), elapsed


def _mode_result(mode: str, runs: int, timings: list[CommandTiming]) -> ModeResult:
    boto3 = next(t for t in timings if t.label == "import boto3")
    ratios = {}
    for timing in timings:
        if timing.label.startswith("import ") and timing is not boto3:
            ratios[timing.label] = median(
                [h / b for h, b in zip(timing.import_seconds, boto3.import_seconds, strict=True)]
            )
    return ModeResult(
        mode=mode,
        runs=runs,
        median_import={t.label: t.median_import for t in timings},
        median_process={t.label: t.median_process for t in timings},
        ratio_to_boto3=ratios,
    )


def measure_modes(layout: Layout, runs: int, interpreter: str, work_dir: Path) -> list[ModeResult]:
    """Every command in every mode, interleaved run by run, so that the modes compare with each other too."""
    commands = _commands(layout)
    timings = {
        mode: [CommandTiming(label, statement) for label, statement, _, _ in commands] for mode in MODES
    }
    jobs = [(mode, index) for mode in MODES for index in range(len(commands))]
    for round_index in range(runs + 1):  # the first round is a warm-up (and fills the byte-code cache)
        offset = round_index % len(jobs)
        for mode, index in jobs[offset:] + jobs[:offset]:
            _, statement, paths, env = commands[index]
            import_seconds, process_seconds = _run_probe(
                interpreter, _mode_flags(mode, work_dir), statement, paths, env
            )
            if round_index:
                timings[mode][index].import_seconds.append(import_seconds)
                timings[mode][index].process_seconds.append(process_seconds)
    return [_mode_result(mode, runs, timings[mode]) for mode in MODES]


_IMPORTTIME_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)")
_IMPORTTIME_MARK = "bench: handler import starts"
_IMPORTTIME_PROBE = (
    f"import sys\nsys.path[:0] = {{paths!r}}\nsys.stderr.write({_IMPORTTIME_MARK!r} + '\\n')\n{{statement}}\n"
)


def parse_importtime(stderr: str) -> list[tuple[str, int]]:
    """Self time of the import summed by top-level package (botocore.* under botocore), largest first.

    Self times do not overlap, so the rows add up to the whole import. Only lines after the probe's mark
    count: the interpreter's own start-up imports come before it.
    """
    lines = stderr.splitlines()
    if _IMPORTTIME_MARK in lines:
        lines = lines[lines.index(_IMPORTTIME_MARK) + 1 :]
    packages: dict[str, int] = {}
    for line in lines:
        match = _IMPORTTIME_LINE.match(line)
        if match is not None:
            package = match.group(3).split(".")[0]
            packages[package] = packages.get(package, 0) + int(match.group(1))
    return sorted(packages.items(), key=lambda row: row[1], reverse=True)[:IMPORTTIME_TOP]


def slowest_imports(layout: Layout, interpreter: str, work_dir: Path) -> dict[str, list[tuple[str, int]]]:
    """Where each handler's import spends its time, from one -X importtime run with byte code cached."""
    result = {}
    for label, statement, paths, env in _commands(layout)[2:]:
        completed = subprocess.run(
            [
                interpreter,
                "-I",
                *_mode_flags("cached", work_dir),
                "-X",
                "importtime",
                "-c",
                _IMPORTTIME_PROBE.format(paths=paths, statement=statement),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        result[label] = parse_importtime(completed.stderr)
    return result


def measure(
    packages_dir: Path,
    runs: int = 15,
    interpreter: str | None = None,
    work_dir: Path = WORK_DIR,
    runtime: Path | None = None,
) -> ColdStartResult:
    """`runtime` replaces the pip-installed boto3 directory (the smoke test passes the virtualenv's)."""
    interpreter = interpreter or base_interpreter()
    layout = prepare(packages_dir, work_dir, runtime)
    modes = measure_modes(layout, runs, interpreter, work_dir)
    version = subprocess.run(
        [interpreter, "-I", "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return ColdStartResult(
        interpreter=interpreter,
        python=version,
        modes=modes,
        slowest_imports=slowest_imports(layout, interpreter, work_dir),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15, help="counted runs of each command (at least 10)")
    parser.add_argument("--packages", type=Path, help="directory of built zips (default: build them now)")
    parser.add_argument("--out", type=Path, default=BUILD_DIR / "cold_start.json")
    args = parser.parse_args(argv)
    result = measure(args.packages or build_packages(host_architecture()), args.runs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result.to_json(), indent=2) + "\n")
    for mode in result.modes:
        for label, seconds in mode.median_import.items():
            ratio = mode.ratio_to_boto3.get(label)
            note = f" ({ratio:.2f}x import boto3)" if ratio is not None else ""
            print(f"{mode.mode:>11} {label}: {seconds * 1000:.1f} ms{note}")


if __name__ == "__main__":
    main()
