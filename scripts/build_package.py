#!/usr/bin/env python3
"""Byte-reproducible zip builder for the Lambda code packages and the dependency layer.

The zip bytes depend only on the inputs: entries are sorted, every timestamp is 1980-01-01 00:00:00,
every file is mode 0644, byte code lying beside the sources is left out, and pip runs with --no-compile.
Terraform names each zip after the sha256 of its inputs, so an existing output file is already the right
one and is not rebuilt.

Every module ships with its byte code for the runtime's Python (`__pycache__/<module>.cpython-3XX.pyc`
beside the .py): Lambda's /var/task and /opt are read-only, so without it each cold start compiles every
module of the function and of the layer again. The byte code is unchecked-hash based (PEP 552): it records a
hash of its source instead of an mtime, so it is reproducible, and the interpreter loads it without reading
the source. It is compiled by an interpreter of the runtime's minor version (the running one when it matches,
else python3.X on PATH, else pyenv's), with a fixed hash seed.

Command line:

    build_package.py code  --source lambda_src/writer --prefix writer [--package lambda_src/shared ...] \
                           [--extra-source DIR] [--runtime python3.13] --out writer.zip
    build_package.py layer --requirements lambda_src/requirements.txt --runtime python3.13 \
                           --architecture arm64 --out layer.zip
    build_package.py all   --out-dir .build/packages [--runtime ...] [--architecture ...]
    build_package.py --json '{"kind": "code", ...}'  # one JSON argument: the form local-exec uses

Only the standard library is used, so any Python 3.9+ with pip can run it (Terraform's `build_python`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

# The earliest timestamp a zip entry can hold; any fixed value makes the bytes independent of file mtimes.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--
EXCLUDED_DIRS = frozenset({"__pycache__"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
# Directories pip writes under --target that Lambda never uses: console-script wrappers carry the build
# machine's interpreter path in their shebang, which would make the layer differ from machine to machine.
LAYER_EXCLUDED_TOP_DIRS = frozenset({"bin"})
PIP_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
DEFAULT_RUNTIME = "python3.13"
# Where Lambda unpacks a function's code and its layers: the file names compiled into the byte code, so that
# tracebacks name the deployed files (the interpreter also sets them from the module's path when it loads).
CODE_ROOT = "/var/task"
LAYER_ROOT = "/opt"

REPO_ROOT = Path(__file__).resolve().parent.parent
# First-party packages under lambda_src/ that both functions import, zipped into each code package.
SHARED_PACKAGES = ("shared",)


class BuildError(Exception):
    """A package cannot be built from the given inputs."""


def is_packaged(relative: Path) -> bool:
    """Whether a file below a source directory belongs in a package (no byte code, no caches)."""
    if any(part in EXCLUDED_DIRS for part in relative.parts):
        return False
    return not relative.name.endswith(EXCLUDED_SUFFIXES)


def collect_files(source: Path, prefix: str) -> dict[str, Path]:
    """Map archive names (`prefix/relative/path`, or the relative path when prefix is empty) to files."""
    if not source.is_dir():
        raise BuildError(f"source directory {source} does not exist")
    entries: dict[str, Path] = {}
    for path in source.rglob("*"):
        if not path.is_file():
            continue
        relative = path.relative_to(source)
        if not is_packaged(relative):
            continue
        name = relative.as_posix() if not prefix else f"{prefix}/{relative.as_posix()}"
        entries[name] = path
    return entries


def write_zip(entries: dict[str, bytes | Path], out: Path) -> None:
    """Write a zip whose bytes depend only on entry names and contents, atomically replacing `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with zipfile.ZipFile(tmp, "w") as archive:
            for name in sorted(entries):
                info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # Unix, so external_attr is read as a Unix mode everywhere
                info.external_attr = FILE_MODE << 16
                content = entries[name]
                data = content.read_bytes() if isinstance(content, Path) else content
                archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
        tmp.chmod(0o644)  # mkstemp creates 0600; the package is an ordinary build output
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


# Runs in the runtime's interpreter: compiles each [archive name, source, displayed name] of the JSON list
# on stdin to `<out>/<cache path of the archive name>`, and prints the JSON list of archive names that failed.
COMPILER = """
import importlib.util, json, py_compile, sys
out = sys.argv[1]
failed = []
for name, source, shown in json.load(sys.stdin):
    target = out + "/" + importlib.util.cache_from_source(name)
    try:
        py_compile.compile(source, cfile=target, dfile=shown, doraise=True, optimize=0,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    except py_compile.PyCompileError:
        failed.append(name)
print(json.dumps(failed))
"""


def _minor_version_of(command: str) -> str | None:
    """`3.13` for an interpreter command that runs, else None."""
    try:
        result = subprocess.run(
            [command, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def _pyenv_interpreters(version: str) -> list[str]:
    """pyenv's installed `version`.N interpreters, newest first."""
    root = os.environ.get("PYENV_ROOT")
    if not root and shutil.which("pyenv"):
        result = subprocess.run(["pyenv", "root"], check=False, capture_output=True, text=True)
        root = result.stdout.strip() if result.returncode == 0 else None
    versions = Path(root or Path.home() / ".pyenv") / "versions"
    if not versions.is_dir():
        return []
    found = []
    for path in versions.glob(f"{version}.*"):
        patch = path.name.removeprefix(f"{version}.")
        if patch.isdigit() and (path / "bin" / f"python{version}").is_file():
            found.append((int(patch), str(path / "bin" / f"python{version}")))
    return [command for _, command in sorted(found, reverse=True)]


def runtime_interpreter(runtime: str) -> str:
    """An interpreter of the runtime's minor version: the running one, python3.X on PATH, or pyenv's."""
    version = python_version(runtime)
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    on_path = shutil.which(f"python{version}")
    # python3.X on PATH may be a pyenv shim that refuses a version pyenv has not selected: run it to check.
    for command in ([on_path] if on_path else []) + _pyenv_interpreters(version):
        if _minor_version_of(command) == version:
            return command
    raise BuildError(
        f"runtime {runtime} needs a Python {version} interpreter to compile the packages' byte code, and "
        f'none was found: set build_python to one (for example build_python = "python{version}"), or '
        f"install Python {version} so that python{version} is on PATH (or in pyenv)"
    )


def compile_entries(
    entries: dict[str, bytes | Path], runtime: str, shown_root: str, *, strict: bool
) -> dict[str, bytes]:
    """Unchecked-hash byte code for every `.py` entry, keyed by its archive name under `__pycache__/`.

    With `strict`, a source that does not compile is an error; otherwise (third-party files that are never
    imported, such as templates) it is shipped without byte code, as pip's own compile step leaves it.
    """
    sources = sorted(name for name in entries if name.endswith(".py"))
    if not sources:
        return {}
    interpreter = runtime_interpreter(runtime)
    with tempfile.TemporaryDirectory(prefix="pyc-") as tmp:
        staged = Path(tmp) / "src"
        jobs = []
        for name in sources:
            content = entries[name]
            if isinstance(content, Path):
                path = content
            else:
                path = staged / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
            jobs.append([name, str(path), f"{shown_root}/{name}"])
        out = Path(tmp) / "pyc"
        # A fixed hash seed: Python 3.10 marshals constant sets in hash order, which varies per process.
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
        env["PYTHONHASHSEED"] = "0"
        result = subprocess.run(
            [interpreter, "-c", COMPILER, str(out)],
            input=json.dumps(jobs),
            check=False,
            capture_output=True,
            text=True,
            env=env,
        )
        if result.returncode != 0:
            raise BuildError(f"compiling byte code with {interpreter} failed:\n{result.stderr}")
        failed = json.loads(result.stdout)
        if failed and strict:
            raise BuildError(f"these sources do not compile with Python {python_version(runtime)}: {failed}")
        if failed:
            print(
                f"build_package: shipped without byte code, as they do not compile with Python "
                f"{python_version(runtime)}: {failed}",
                file=sys.stderr,
            )
        compiled: dict[str, bytes] = {}
        for path in sorted(out.rglob("*.pyc")):
            compiled[path.relative_to(out).as_posix()] = path.read_bytes()
    return compiled


def build_code(
    source: Path,
    prefix: str,
    out: Path,
    extra_source: Path | None = None,
    packages: Sequence[Path] = (),
    runtime: str = DEFAULT_RUNTIME,
) -> Path:
    """Zip one handler package as `prefix/...`, each of `packages` under its directory name, and the files of
    `extra_source` at the archive root, each module with its byte code for `runtime`.

    The packages are first-party code the handler imports (the shared package): with them in the zip, each
    function stays one self-contained code package.
    """
    entries: dict[str, bytes | Path] = dict(collect_files(source, prefix))
    if not entries:
        raise BuildError(f"source directory {source} holds no files to package")
    for package in packages:
        name = package.resolve().name
        if name in {Path(entry).parts[0] for entry in entries}:
            raise BuildError(f"package {package}: {name}/ is already in the {prefix} package")
        files = collect_files(package, name)
        if not files:
            raise BuildError(f"package directory {package} holds no files to package")
        entries.update(files)
    if extra_source is not None:
        for name, path in collect_files(extra_source, "").items():
            if name in entries:
                raise BuildError(f"{extra_source}/{name} would overwrite {name} of the {prefix} package")
            entries[name] = path
    entries.update(compile_entries(entries, runtime, CODE_ROOT, strict=True))
    write_zip(entries, out)
    return out


def python_version(runtime: str) -> str:
    """`python3.13` -> `3.13`, the value pip's --python-version takes."""
    version = runtime.removeprefix("python")
    major, _, minor = version.partition(".")
    if not runtime.startswith("python") or not major.isdigit() or not minor.isdigit():
        raise BuildError(f"runtime {runtime!r} is not of the form python<major>.<minor>")
    return version


def pip_install_command(requirements: Path, runtime: str, architecture: str, target: Path) -> list[str]:
    """pip arguments that fetch wheels for the Lambda platform, whatever the build machine is."""
    if architecture not in PIP_PLATFORMS:
        raise BuildError(f"architecture {architecture!r} is not one of {sorted(PIP_PLATFORMS)}")
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",  # requirements.txt pins every transitive dependency itself
        "--no-compile",
        "--only-binary=:all:",
        "--platform",
        PIP_PLATFORMS[architecture],
        "--python-version",
        python_version(runtime),
        "--implementation",
        "cp",
        "--target",
        str(target),
        "--requirement",
        str(requirements),
    ]


def strip_record(data: bytes, dropped: Iterable[str]) -> bytes:
    """Remove RECORD lines of files that are not packaged (their hashes may be machine-specific)."""
    dropped_prefixes = tuple(dropped)
    kept = [line for line in data.decode().splitlines() if not line.startswith(dropped_prefixes)]
    return ("\n".join(kept) + "\n").encode()


def layer_entries(site: Path) -> dict[str, bytes | Path]:
    """Archive entries `python/...` for everything pip installed into `site`."""
    # RECORD paths are relative to the site directory; anything outside it ("../") was not packaged either.
    dropped_record_prefixes = ["../", *(f"{name}/" for name in sorted(LAYER_EXCLUDED_TOP_DIRS))]
    entries: dict[str, bytes | Path] = {}
    for name, path in collect_files(site, "python").items():
        relative = Path(name).relative_to("python")
        if relative.parts[0] in LAYER_EXCLUDED_TOP_DIRS:
            continue
        if relative.name == "RECORD" and relative.parent.name.endswith(".dist-info"):
            entries[name] = strip_record(path.read_bytes(), dropped_record_prefixes)
        else:
            entries[name] = path
    return entries


def build_layer(requirements: Path, runtime: str, architecture: str, out: Path) -> Path:
    """pip-install the pinned requirements for the Lambda platform and zip them under `python/`."""
    if not requirements.is_file():
        raise BuildError(f"requirements file {requirements} does not exist")
    with tempfile.TemporaryDirectory(prefix="layer-") as tmp:
        site = Path(tmp) / "python"
        result = subprocess.run(
            pip_install_command(requirements, runtime, architecture, site),
            check=False,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BuildError(f"pip install failed:\n{result.stdout}{result.stderr}")
        entries = layer_entries(site)
        if not entries:
            raise BuildError(f"{requirements} installed no files")
        entries.update(compile_entries(entries, runtime, LAYER_ROOT, strict=False))
        write_zip(entries, out)
    return out


def build(spec: dict[str, Any]) -> Path:
    """Build one package from a spec (the JSON form); an existing output is already up to date."""
    out = Path(_required(spec, "out"))
    if out.is_file():
        print(f"build_package: {out} is up to date")
        return out
    kind = spec.get("kind")
    if kind == "code":
        extra = spec.get("extra_source")
        if extra is not None and not isinstance(extra, str):
            raise BuildError("extra_source must be a directory path or null")
        packages = spec.get("packages") or []
        if not isinstance(packages, list) or not all(isinstance(item, str) and item for item in packages):
            raise BuildError("packages must be a list of directory paths")
        build_code(
            Path(_required(spec, "source")),
            _required(spec, "prefix"),
            out,
            Path(extra) if extra else None,
            [Path(item) for item in packages],
            _required(spec, "runtime"),
        )
    elif kind == "layer":
        build_layer(
            Path(_required(spec, "requirements")),
            _required(spec, "runtime"),
            _required(spec, "architecture"),
            out,
        )
    else:
        raise BuildError(f"kind must be 'code' or 'layer', got {kind!r}")
    print(f"build_package: wrote {out}")
    return out


def _required(spec: dict[str, Any], key: str) -> str:
    value = spec.get(key)
    if not value or not isinstance(value, str):
        raise BuildError(f"{key} is required")
    return value


def build_code_packages(out_dir: Path, runtime: str = DEFAULT_RUNTIME) -> list[Path]:
    """writer.zip and consumer.zip from this repository's lambda_src/, each with the shared packages."""
    src = REPO_ROOT / "lambda_src"
    shared = [src / name for name in SHARED_PACKAGES]
    return [
        build_code(src / function, function, out_dir / f"{function}.zip", packages=shared, runtime=runtime)
        for function in ("writer", "consumer")
    ]


def build_all(out_dir: Path, runtime: str, architecture: str) -> list[Path]:
    """Build both code packages and the layer from this repository's lambda_src/ (what `make build` runs)."""
    requirements = REPO_ROOT / "lambda_src" / "requirements.txt"
    return [
        *build_code_packages(out_dir, runtime),
        build_layer(requirements, runtime, architecture, out_dir / f"layer-{architecture}.zip"),
    ]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", help="one build spec as a JSON object (keys as the subcommands' options)")
    sub = parser.add_subparsers(dest="command")
    code = sub.add_parser("code", help="zip one handler package")
    code.add_argument("--source", type=Path, required=True)
    code.add_argument("--prefix", required=True)
    code.add_argument(
        "--package",
        type=Path,
        action="append",
        default=[],
        dest="packages",
        help="a package directory zipped under its own name (repeatable)",
    )
    code.add_argument("--extra-source", type=Path)
    code.add_argument("--runtime", default=DEFAULT_RUNTIME)
    code.add_argument("--out", type=Path, required=True)
    layer = sub.add_parser("layer", help="build the dependency layer")
    layer.add_argument("--requirements", type=Path, required=True)
    layer.add_argument("--runtime", default=DEFAULT_RUNTIME)
    layer.add_argument("--architecture", choices=sorted(PIP_PLATFORMS), default="arm64")
    layer.add_argument("--out", type=Path, required=True)
    every = sub.add_parser("all", help="build writer.zip, consumer.zip and the layer into --out-dir")
    every.add_argument("--out-dir", type=Path, required=True)
    every.add_argument("--runtime", default=DEFAULT_RUNTIME)
    every.add_argument("--architecture", choices=sorted(PIP_PLATFORMS), default="arm64")
    args = parser.parse_args(argv)
    if (args.json is None) == (args.command is None):
        parser.error("give either --json SPEC or a subcommand")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.json is not None:
            spec = json.loads(args.json)
            if not isinstance(spec, dict):
                raise BuildError("--json must be a JSON object")
            build(spec)
        elif args.command == "code":
            build_code(args.source, args.prefix, args.out, args.extra_source, args.packages, args.runtime)
        elif args.command == "layer":
            build_layer(args.requirements, args.runtime, args.architecture, args.out)
        else:
            for path in build_all(args.out_dir, args.runtime, args.architecture):
                print(f"build_package: wrote {path}")
    except BuildError as error:
        print(f"build_package: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
