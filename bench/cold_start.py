"""Cold start: time to import each handler module in a fresh interpreter, beside `import boto3` and a bare
interpreter start.

Each function's code zip and the dependency layer are unpacked as Lambda unpacks them (/var/task and
/opt/python), boto3 and its dependencies are installed into a directory of their own as the runtime provides
them, and each import runs in a new interpreter whose sys.path is exactly those three, with the function's
environment. The four commands, in both modes below, are interleaved run by run, so drift in the machine's
speed hits all of them alike. Each import is timed in wall clock and in CPU time; the ratios (to `import
boto3`, and between the modes) are of CPU time, which the other processes of a shared machine do not stretch.

Two byte-code modes, both reported:
- as deployed: the unpacked trees hold exactly what the zips hold, the byte code the builder ships with every
  module included, and are made read-only as Lambda's /var/task and /opt are; the interpreter runs with -B,
  so it loads the shipped byte code and writes none. Whatever it has to compile (a module shipped without byte
  code for this interpreter) it compiles again at every cold start, as Lambda does. boto3 keeps the byte code
  its installation compiled, as the runtime's does. The target applies here.
- cached: every module's byte code is compiled by this interpreter into a separate cache (a warm-up run fills
  it), so the shipped byte code is not used: the best case, for comparison with the mode above.

Before timing, one untimed verbose run per handler lists the function's and the layer's modules that the as
deployed import compiled from source instead of loading their byte code; after timing, the trees must hold the
same files as before, or something wrote into them.

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
HANDLER_LABELS = tuple(f"import {module}" for module in HANDLER_MODULES.values())
MODES = ("as_deployed", "cached")
IMPORTTIME_TOP = 8

# Prints the import's own wall-clock and CPU seconds, so the interpreter's start and exit are not in them.
PROBE = (
    "import sys, time\n"
    "sys.path[:0] = {paths!r}\n"
    "started, cpu = time.perf_counter(), time.process_time()\n"
    "{statement}\n"
    "print(time.perf_counter() - started, time.process_time() - cpu)\n"
)


@dataclass
class CommandTiming:
    label: str
    statement: str
    import_seconds: list[float] = field(default_factory=list)
    import_cpu_seconds: list[float] = field(default_factory=list)
    process_seconds: list[float] = field(default_factory=list)

    @property
    def median_import(self) -> float:
        return median(self.import_seconds)

    @property
    def median_import_cpu(self) -> float:
        return median(self.import_cpu_seconds)

    @property
    def median_process(self) -> float:
        return median(self.process_seconds)


@dataclass
class ModeResult:
    mode: str
    runs: int
    # label -> median seconds of the import alone (wall clock) / of the whole process
    median_import: dict[str, float]
    median_process: dict[str, float]
    # handler label -> median of per-run (handler import / boto3 import) ratios of CPU time
    ratio_to_boto3: dict[str, float]
    # label -> median CPU seconds of the import alone
    median_import_cpu: dict[str, float] = field(default_factory=dict)


@dataclass
class ColdStartResult:
    interpreter: str
    python: str
    modes: list[ModeResult]
    # handler label -> [(top-level package, self microseconds)] from -X importtime as deployed, largest first
    slowest_imports: dict[str, list[tuple[str, int]]]
    # import label -> median of the per-round ratios (as deployed / cached) of its import's CPU time
    deployed_to_cached: dict[str, float] = field(default_factory=dict)
    # handler label -> packaged modules its as-deployed import compiled from source (none: byte code loaded)
    compiled_as_deployed: dict[str, list[str]] = field(default_factory=dict)

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
            deployed_to_cached=data.get("deployed_to_cached", {}),
            compiled_as_deployed=data.get("compiled_as_deployed", {}),
        )

    def mode(self, name: str) -> ModeResult | None:
        return next((mode for mode in self.modes if mode.mode == name), None)


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


def _set_writable(directory: Path, writable: bool) -> None:
    """Make a tree read-only as Lambda's /var/task and /opt are (or writable again, to replace it)."""
    paths = [directory, *directory.rglob("*")]
    # Directories last when locking and first when unlocking, so the walk never shuts itself out.
    for path in sorted(paths, key=lambda item: item.is_dir() != writable):
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755 if writable else 0o555)
        else:
            path.chmod(0o644 if writable else 0o444)


def _unpack(zip_path: Path, target: Path) -> Path:
    """Unpack a zip read-only, unless the same zip (name, size, time) was unpacked there last time."""
    stamp = target / ".source"
    marker = f"{zip_path.name} {zip_path.stat().st_size} {zip_path.stat().st_mtime_ns}"
    if stamp.exists() and stamp.read_text() == marker and tree_files(target) == _zip_files(zip_path):
        return target
    if target.exists():
        _set_writable(target, True)
        shutil.rmtree(target)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(target)
    stamp.write_text(marker)
    _set_writable(target, False)
    return target


def _zip_files(zip_path: Path) -> set[str]:
    with zipfile.ZipFile(zip_path) as archive:
        return {info.filename for info in archive.infolist() if not info.is_dir()} | {".source"}


def tree_files(directory: Path) -> set[str]:
    """Every file below `directory`, relative to it: what the packages hold, and nothing written since."""
    return {path.relative_to(directory).as_posix() for path in directory.rglob("*") if not path.is_dir()}


@dataclass(frozen=True)
class Layout:
    """Directories in the order Lambda puts them on sys.path: task, layers, runtime."""

    tasks: dict[str, Path]
    layers: list[Path]
    runtime: Path

    @property
    def trees(self) -> list[Path]:
        """The unpacked packages (each layer's root, above its python/)."""
        return [*self.tasks.values(), *(layer.parent for layer in self.layers)]

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
        # The module's default (idempotency_enabled = true) gives the writer its idempotency table.
        env["IDEMPOTENCY_TABLE_NAME"] = "bench-idempotency"
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
    # The shipped byte code beside each module, and nothing written: /var/task and /opt are read-only.
    return ["-B"]


def compiled_from_source(stderr: str, roots: list[str]) -> list[str]:
    """Modules below `roots` that a verbose (-v) import compiled from source instead of loading byte code.

    The interpreter says `# code object from '<...>.pyc'` for loaded byte code and `# code object from
    <...>.py` for a module it compiled.
    """
    prefix = "# code object from "
    compiled = []
    for line in stderr.splitlines():
        if line.startswith(prefix):
            path = line.removeprefix(prefix).strip("'")
            for root in roots:
                if path.endswith(".py") and path.startswith(root.rstrip("/") + "/"):
                    compiled.append(path.removeprefix(root.rstrip("/") + "/"))
    return sorted(compiled)


def as_deployed_compiles(layout: Layout, interpreter: str, work_dir: Path) -> dict[str, list[str]]:
    """Per handler, the packaged modules its as-deployed import compiles (none when all byte code loads)."""
    result = {}
    for label, statement, paths, env in _commands(layout)[2:]:
        completed = subprocess.run(
            [
                interpreter,
                "-I",
                *_mode_flags("as_deployed", work_dir),
                "-v",
                "-c",
                PROBE.format(paths=paths, statement=statement),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"`{statement}` failed in a fresh interpreter:\n{completed.stderr}")
        result[label] = compiled_from_source(completed.stderr, paths[:-1])
    return result


def _run_probe(
    interpreter: str, flags: list[str], statement: str, paths: list[str], env: dict[str, str]
) -> tuple[float, float, float]:
    """Seconds of the import (wall clock, CPU) and of the whole process (wall clock)."""
    code = PROBE.format(paths=paths, statement=statement)
    started = time.perf_counter()
    # -I: no user site, no PYTHON* variables, no current directory: only the paths given.
    completed = subprocess.run(
        [interpreter, "-I", *flags, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"`{statement}` failed in a fresh interpreter:\n{completed.stderr}")
    wall, cpu = completed.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu), elapsed


def _mode_result(mode: str, runs: int, timings: list[CommandTiming]) -> ModeResult:
    boto3 = next(t for t in timings if t.label == "import boto3")
    ratios = {}
    for timing in timings:
        if timing.label.startswith("import ") and timing is not boto3:
            ratios[timing.label] = median(
                [h / b for h, b in zip(timing.import_cpu_seconds, boto3.import_cpu_seconds, strict=True)]
            )
    return ModeResult(
        mode=mode,
        runs=runs,
        median_import={t.label: t.median_import for t in timings},
        median_process={t.label: t.median_process for t in timings},
        ratio_to_boto3=ratios,
        median_import_cpu={t.label: t.median_import_cpu for t in timings},
    )


def measure_modes(
    layout: Layout, runs: int, interpreter: str, work_dir: Path
) -> tuple[list[ModeResult], dict[str, float]]:
    """Every command in every mode, interleaved run by run, so that the modes compare with each other too.

    Also, per import, the median of the per-round ratios of its as-deployed CPU time to its cached CPU time.
    Ratios are of CPU time: on a shared machine, other processes stretch the wall clock of whichever command
    they happen to overlap, but not the CPU time the import itself takes.
    """
    commands = _commands(layout)
    timings = {
        mode: [CommandTiming(label, statement) for label, statement, _, _ in commands] for mode in MODES
    }
    jobs = [(mode, index) for mode in MODES for index in range(len(commands))]
    for round_index in range(runs + 1):  # the first round is a warm-up (and fills the byte-code cache)
        offset = round_index % len(jobs)
        for mode, index in jobs[offset:] + jobs[:offset]:
            _, statement, paths, env = commands[index]
            wall, cpu, process = _run_probe(interpreter, _mode_flags(mode, work_dir), statement, paths, env)
            if round_index:
                timings[mode][index].import_seconds.append(wall)
                timings[mode][index].import_cpu_seconds.append(cpu)
                timings[mode][index].process_seconds.append(process)
    deployed_to_cached = {}
    for deployed, cached in zip(timings["as_deployed"], timings["cached"], strict=True):
        if deployed.label.startswith("import "):
            deployed_to_cached[deployed.label] = median(
                [d / c for d, c in zip(deployed.import_cpu_seconds, cached.import_cpu_seconds, strict=True)]
            )
    return [_mode_result(mode, runs, timings[mode]) for mode in MODES], deployed_to_cached


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
    """Where each handler's import spends its time, from one -X importtime run as deployed."""
    result = {}
    for label, statement, paths, env in _commands(layout)[2:]:
        completed = subprocess.run(
            [
                interpreter,
                "-I",
                *_mode_flags("as_deployed", work_dir),
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
    before = {tree: tree_files(tree) for tree in layout.trees}
    compiled = as_deployed_compiles(layout, interpreter, work_dir)
    modes, deployed_to_cached = measure_modes(layout, runs, interpreter, work_dir)
    slowest = slowest_imports(layout, interpreter, work_dir)
    for tree, files in before.items():
        written = sorted(tree_files(tree) - files)
        if written:
            raise RuntimeError(f"the imports wrote into the read-only package tree {tree}: {written[:5]}")
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
        slowest_imports=slowest,
        deployed_to_cached=deployed_to_cached,
        compiled_as_deployed=compiled,
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
            note = f" ({ratio:.2f}x import boto3 in CPU time)" if ratio is not None else ""
            cpu = mode.median_import_cpu[label]
            print(f"{mode.mode:>11} {label}: {seconds * 1000:.1f} ms, CPU {cpu * 1000:.1f} ms{note}")
    for label, ratio in result.deployed_to_cached.items():
        print(f"as deployed / cached, {label}: {ratio:.2f}")
    for label, modules in result.compiled_as_deployed.items():
        print(f"compiled from source as deployed, {label}: {len(modules)} {modules[:5]}")


if __name__ == "__main__":
    main()
