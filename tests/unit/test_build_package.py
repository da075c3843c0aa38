"""scripts/build_package.py: the same inputs give the same bytes, and the packages hold what Lambda needs."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from scripts import build_package

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILDER = REPO_ROOT / "scripts" / "build_package.py"
REQUIREMENTS = REPO_ROOT / "lambda_src" / "requirements.txt"
SHARED_SOURCE = REPO_ROOT / "lambda_src" / "shared"
# The module's default runtime, whose Python the tests run on (Makefile).
RUNTIME = build_package.DEFAULT_RUNTIME
CACHE_TAG = f"cpython-{RUNTIME.removeprefix('python').replace('.', '')}"
PEP552_UNCHECKED_HASH = 0b01  # flags word: bit 0 hash-based, bit 1 (check_source) clear


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sources(names: Iterable[str]) -> list[str]:
    return [name for name in names if not name.endswith(".pyc")]


def cached(name: str, tag: str = CACHE_TAG) -> str:
    """Where the interpreter looks for the byte code of archive entry `name`."""
    directory, _, module = name.rpartition("/")
    return f"{directory}/__pycache__/{module.removesuffix('.py')}.{tag}.pyc".lstrip("/")


def make_source(root: Path) -> Path:
    """A handler package with the clutter a working tree accumulates: byte code and caches."""
    source = root / "writer"
    (source / "sub").mkdir(parents=True)
    (source / "__init__.py").write_text("")
    (source / "handler.py").write_text("def lambda_handler(event, context):\n    return event\n")
    (source / "sub" / "util.py").write_text("VALUE = 1\n")
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "handler.cpython-313.pyc").write_bytes(b"\x00byte code")
    (source / "stale.pyc").write_bytes(b"\x00byte code")
    return source


def make_shared(root: Path) -> Path:
    """A first-party package both handlers import, with byte code beside its sources."""
    shared = root / "shared"
    (shared / "__pycache__").mkdir(parents=True)
    (shared / "__init__.py").write_text("")
    (shared / "codec.py").write_text("def dumps(value):\n    return str(value)\n")
    (shared / "__pycache__" / "codec.cpython-313.pyc").write_bytes(b"\x00byte code")
    return shared


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return make_source(tmp_path / "src")


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    return make_shared(tmp_path / "src")


def test_code_package_is_byte_identical_when_built_twice(source: Path, tmp_path: Path) -> None:
    first = build_package.build_code(source, "writer", tmp_path / "one.zip")
    # Later mtimes and a looser mode must not change the package.
    for path in source.rglob("*.py"):
        os.utime(path, (2_000_000_000, 2_000_000_000))
        path.chmod(0o777)
    second = build_package.build_code(source, "writer", tmp_path / "two.zip")

    assert sha256(first) == sha256(second)


def test_code_package_holds_sorted_sources_under_the_prefix_with_their_own_byte_code(
    source: Path, tmp_path: Path
) -> None:
    out = build_package.build_code(source, "writer", tmp_path / "writer.zip")

    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert names == [
            "writer/__init__.py",
            f"writer/__pycache__/__init__.{CACHE_TAG}.pyc",
            f"writer/__pycache__/handler.{CACHE_TAG}.pyc",
            "writer/handler.py",
            f"writer/sub/__pycache__/util.{CACHE_TAG}.pyc",
            "writer/sub/util.py",
        ]
        assert archive.read("writer/sub/util.py") == b"VALUE = 1\n"
        # The stale byte code of the working tree is not what ships.
        assert archive.read(f"writer/__pycache__/handler.{CACHE_TAG}.pyc") != b"\x00byte code"
        assert "writer/stale.pyc" not in names


def test_code_package_entries_have_fixed_timestamps_and_modes(source: Path, tmp_path: Path) -> None:
    out = build_package.build_code(source, "writer", tmp_path / "writer.zip")

    with zipfile.ZipFile(out) as archive:
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.external_attr >> 16 == 0o100644
            assert info.create_system == 3
            assert info.compress_type == zipfile.ZIP_DEFLATED


def test_extra_source_files_are_added_at_the_package_root(source: Path, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    (extra / "__pycache__").mkdir(parents=True)
    (extra / "custom_records.py").write_text("def handle(record):\n    return None\n")
    (extra / "__pycache__" / "custom_records.cpython-313.pyc").write_bytes(b"\x00")

    out = build_package.build_code(source, "writer", tmp_path / "writer.zip", extra_source=extra)

    with zipfile.ZipFile(out) as archive:
        assert "custom_records.py" in archive.namelist()
        assert archive.read(f"__pycache__/custom_records.{CACHE_TAG}.pyc") != b"\x00"


def test_extra_source_cannot_overwrite_the_handler_package(source: Path, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    (extra / "writer").mkdir(parents=True)
    (extra / "writer" / "handler.py").write_text("")

    with pytest.raises(build_package.BuildError, match=r"would overwrite writer/handler\.py"):
        build_package.build_code(source, "writer", tmp_path / "writer.zip", extra_source=extra)
    assert not (tmp_path / "writer.zip").exists()


def test_packages_are_zipped_under_their_directory_name_beside_the_handler_package(
    source: Path, shared: Path, tmp_path: Path
) -> None:
    out = build_package.build_code(source, "writer", tmp_path / "writer.zip", packages=[shared])

    with zipfile.ZipFile(out) as archive:
        assert sources(archive.namelist()) == [
            "shared/__init__.py",
            "shared/codec.py",
            "writer/__init__.py",
            "writer/handler.py",
            "writer/sub/util.py",
        ]
        assert archive.read("shared/codec.py") == (shared / "codec.py").read_bytes()


def test_a_package_cannot_replace_the_handler_package_or_another_package(
    source: Path, shared: Path, tmp_path: Path
) -> None:
    with pytest.raises(build_package.BuildError, match=r"writer/ is already in the writer package"):
        build_package.build_code(source, "writer", tmp_path / "a.zip", packages=[source])
    with pytest.raises(build_package.BuildError, match=r"shared/ is already in the writer package"):
        build_package.build_code(source, "writer", tmp_path / "b.zip", packages=[shared, shared])
    assert not list(tmp_path.glob("*.zip"))


def test_an_empty_or_missing_package_is_an_error(source: Path, tmp_path: Path) -> None:
    (tmp_path / "empty" / "__pycache__").mkdir(parents=True)
    (tmp_path / "empty" / "__pycache__" / "x.cpython-313.pyc").write_bytes(b"\x00")

    with pytest.raises(build_package.BuildError, match="holds no files"):
        build_package.build_code(source, "writer", tmp_path / "out.zip", packages=[tmp_path / "empty"])
    with pytest.raises(build_package.BuildError, match="does not exist"):
        build_package.build_code(source, "writer", tmp_path / "out.zip", packages=[tmp_path / "missing"])


def test_extra_source_cannot_overwrite_a_package(source: Path, shared: Path, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    (extra / "shared").mkdir(parents=True)
    (extra / "shared" / "codec.py").write_text("")

    with pytest.raises(build_package.BuildError, match=r"would overwrite shared/codec\.py"):
        build_package.build_code(source, "writer", tmp_path / "w.zip", extra_source=extra, packages=[shared])


def test_both_code_packages_hold_the_shared_package_and_are_byte_identical_when_built_twice(
    tmp_path: Path,
) -> None:
    first = build_package.build_code_packages(tmp_path / "one")
    second = build_package.build_code_packages(tmp_path / "two")

    assert [path.name for path in first] == ["writer.zip", "consumer.zip"]
    assert [sha256(path) for path in first] == [sha256(path) for path in second]
    shared_sources = sorted(
        f"shared/{path.relative_to(SHARED_SOURCE).as_posix()}"
        for path in SHARED_SOURCE.rglob("*.py")
        if "__pycache__" not in path.parts
    )
    assert "shared/exact_json.py" in shared_sources
    for path, function in zip(first, ("writer", "consumer"), strict=True):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            # Only the function's own package and the shared one: the other function's code stays out.
            assert {name.split("/", 1)[0] for name in names} == {function, "shared"}
            assert sorted(sources(name for name in names if name.startswith("shared/"))) == shared_sources
            assert archive.read("shared/exact_json.py") == (SHARED_SOURCE / "exact_json.py").read_bytes()


def test_empty_or_missing_source_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()

    with pytest.raises(build_package.BuildError, match="holds no files"):
        build_package.build_code(tmp_path / "empty", "writer", tmp_path / "out.zip")
    with pytest.raises(build_package.BuildError, match="does not exist"):
        build_package.build_code(tmp_path / "missing", "writer", tmp_path / "out.zip")


def test_an_existing_output_is_trusted_and_not_rebuilt(source: Path, tmp_path: Path) -> None:
    # Terraform names the output after the hash of its inputs, so an existing file is already the right one.
    out = tmp_path / "writer-0123abcd.zip"
    out.write_bytes(b"built earlier")

    build_package.build(
        {"kind": "code", "source": str(source), "prefix": "writer", "runtime": RUNTIME, "out": str(out)}
    )

    assert out.read_bytes() == b"built earlier"


def test_json_command_line_is_what_terraform_runs(source: Path, shared: Path, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "writer.zip"
    spec = {
        "kind": "code",
        "source": str(source),
        "prefix": "writer",
        "packages": [str(shared)],
        "extra_source": None,
        "runtime": RUNTIME,
        "out": str(out),
    }

    result = subprocess.run(
        [sys.executable, str(BUILDER), "--json", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert sources(zipfile.ZipFile(out).namelist()) == [
        "shared/__init__.py",
        "shared/codec.py",
        "writer/__init__.py",
        "writer/handler.py",
        "writer/sub/util.py",
    ]


def test_json_command_line_reports_a_bad_spec(tmp_path: Path) -> None:
    spec = {"kind": "image", "out": str(tmp_path / "x.zip")}

    result = subprocess.run(
        [sys.executable, str(BUILDER), "--json", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert "kind must be 'code' or 'layer'" in result.stderr


@pytest.mark.parametrize("packages", ["lambda_src/shared", [""], [None]])
def test_packages_that_are_not_a_list_of_paths_are_rejected(packages: object, tmp_path: Path) -> None:
    spec = {
        "kind": "code",
        "source": "s",
        "prefix": "writer",
        "packages": packages,
        "out": str(tmp_path / "x.zip"),
    }

    with pytest.raises(build_package.BuildError, match="packages must be a list of directory paths"):
        build_package.build(spec)


def test_code_command_line_takes_repeated_packages(source: Path, shared: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "__init__.py").write_text("")
    out = tmp_path / "writer.zip"
    packages = ["--package", str(shared), "--package", str(other)]

    status = build_package.main(
        ["code", "--source", str(source), "--prefix", "writer", *packages, "--out", str(out)]
    )

    assert status == 0
    names = zipfile.ZipFile(out).namelist()
    assert {"shared/codec.py", "other/__init__.py", "writer/handler.py"} <= set(names)


@pytest.mark.parametrize(("runtime", "version"), [("python3.13", "3.13"), ("python3.12", "3.12")])
def test_python_version_comes_from_the_runtime(runtime: str, version: str) -> None:
    assert build_package.python_version(runtime) == version


@pytest.mark.parametrize("runtime", ["nodejs20.x", "python3", "3.13"])
def test_runtime_that_is_not_python_is_rejected(runtime: str) -> None:
    with pytest.raises(build_package.BuildError):
        build_package.python_version(runtime)


def test_pip_fetches_wheels_for_the_lambda_platform_not_the_build_machine(tmp_path: Path) -> None:
    command = build_package.pip_install_command(REQUIREMENTS, "python3.12", "arm64", tmp_path)

    assert command[command.index("--platform") + 1] == "manylinux2014_aarch64"
    assert command[command.index("--python-version") + 1] == "3.12"
    assert {"--no-deps", "--no-compile", "--only-binary=:all:"} <= set(command)


def test_record_lines_of_unpackaged_files_are_dropped() -> None:
    record = b"pkg/__init__.py,sha256=abc,10\n../../bin/tool,sha256=def,20\nbin/tool,sha256=fed,20\n"

    stripped = build_package.strip_record(record, ["../", "bin/"])

    assert stripped == b"pkg/__init__.py,sha256=abc,10\n"


@pytest.fixture(scope="module")
def layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default runtime's x86_64 layer, built once for the tests that only read it."""
    out = tmp_path_factory.mktemp("layer") / "layer.zip"
    return build_package.build_layer(REQUIREMENTS, RUNTIME, "x86_64", out)


@pytest.mark.slow
def test_layer_is_byte_identical_when_built_twice_and_holds_the_pinned_packages(
    layer: Path, tmp_path: Path
) -> None:
    first = layer
    second = build_package.build_layer(REQUIREMENTS, RUNTIME, "x86_64", tmp_path / "two.zip")

    assert sha256(first) == sha256(second)
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
    assert names == sorted(names)
    assert all(name.startswith("python/") for name in names)
    assert "python/aws_lambda_powertools/__init__.py" in names
    assert "python/pynamodb/__init__.py" in names
    # Every module with its byte code, and no byte code but the builder's own.
    byte_code = {name for name in names if name.endswith((".pyc", ".pyo")) or "/__pycache__/" in name}
    assert byte_code == {cached(name) for name in names if name.endswith(".py")}
    # boto3 and botocore come from the Lambda runtime.
    assert not [name for name in names if name.startswith(("python/boto3/", "python/botocore/"))]


@pytest.mark.slow
def test_layer_native_wheels_match_the_target_architecture(tmp_path: Path) -> None:
    out = build_package.build_layer(REQUIREMENTS, "python3.13", "arm64", tmp_path / "arm64.zip")

    with zipfile.ZipFile(out) as archive:
        extensions = [name for name in archive.namelist() if name.endswith(".so")]
    # wrapt ships a C extension: it must be the aarch64 build whatever machine ran the build.
    assert extensions
    assert all("aarch64" in name for name in extensions)


def test_package_file_is_readable_like_any_build_output(source: Path, tmp_path: Path) -> None:
    out = build_package.build_code(source, "writer", tmp_path / "writer.zip")

    assert out.stat().st_mode & 0o777 == 0o644
    assert not list(tmp_path.glob(".writer.zip.*")), "the temporary file must be gone"


# -- byte code ----------------------------------------------------------------------------------------------

# Imports every module named in argv[2:] from the tree argv[1] (first on sys.path) and prints, as JSON, the
# files under that tree the interpreter compiled from source: none when it used the shipped byte code.
IMPORT_PROBE = """
import importlib, importlib.machinery, json, sys
tree = sys.argv[1]
sys.path.insert(0, tree)
compiled = []
to_code = importlib.machinery.SourceFileLoader.source_to_code
def recording(self, data, path, *args, **kwargs):
    if str(path).startswith(tree):
        compiled.append(str(path))
    return to_code(self, data, path, *args, **kwargs)
importlib.machinery.SourceFileLoader.source_to_code = recording
loaded = {name: importlib.import_module(name).__file__ for name in sys.argv[2:]}
print(json.dumps({"compiled": compiled, "loaded": loaded}))
"""


def unzip_read_only(archive: Path, target: Path) -> Path:
    """The archive unpacked as Lambda leaves /var/task and /opt: nothing below `target` can be written."""
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(target)
    for path in sorted(target.rglob("*"), reverse=True):
        path.chmod(0o555 if path.is_dir() else 0o444)
    target.chmod(0o555)
    return target


def make_writable(target: Path) -> None:
    for path in [target, *target.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def import_from(tree: Path, modules: list[str], interpreter: str) -> dict[str, Any]:
    result = subprocess.run(
        [interpreter, "-c", IMPORT_PROBE, str(tree), *modules],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def assert_unchecked_hash_byte_code(archive: zipfile.ZipFile) -> None:
    """Every .py has its .pyc of the runtime's tag, which is PEP 552 unchecked-hash byte code of that very
    source; no .pyc is without its source."""
    names = archive.namelist()
    modules = [name for name in names if name.endswith(".py")]
    assert modules
    assert {name for name in names if name.endswith(".pyc")} == {cached(name) for name in modules}
    for name in modules:
        header = archive.read(cached(name))[:16]
        if sys.version_info[:2] == tuple(map(int, RUNTIME.removeprefix("python").split("."))):
            assert header[:4] == importlib.util.MAGIC_NUMBER, name
        assert int.from_bytes(header[4:8], "little") == PEP552_UNCHECKED_HASH, name
        assert header[8:16] == importlib.util.source_hash(archive.read(name)), name


def test_every_module_ships_unchecked_hash_byte_code_of_its_source(
    source: Path, shared: Path, tmp_path: Path
) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "custom_records.py").write_text("def handle(record):\n    return None\n")

    out = build_package.build_code(
        source, "writer", tmp_path / "w.zip", extra_source=extra, packages=[shared]
    )

    with zipfile.ZipFile(out) as archive:
        assert_unchecked_hash_byte_code(archive)


def test_the_repositorys_code_packages_ship_byte_code_for_every_module(tmp_path: Path) -> None:
    for path in build_package.build_code_packages(tmp_path):
        with zipfile.ZipFile(path) as archive:
            assert_unchecked_hash_byte_code(archive)


def test_importing_from_the_read_only_package_compiles_nothing(source: Path, tmp_path: Path) -> None:
    out = build_package.build_code(source, "writer", tmp_path / "writer.zip")
    tree = unzip_read_only(out, tmp_path / "task")
    interpreter = build_package.runtime_interpreter(RUNTIME)
    modules = ["writer.handler", "writer.sub.util"]
    try:
        # WHEN the package's modules are imported from the tree as deployed
        deployed = import_from(tree, modules, interpreter)
        # AND from the same tree without its byte code
        make_writable(tree)
        for pycache in sorted(tree.rglob("__pycache__")):
            shutil.rmtree(pycache)
        tree.chmod(0o555)
        without = import_from(tree, modules, interpreter)
    finally:
        make_writable(tree)

    # THEN the deployed modules load without compiling, and the probe does see compiling when it happens
    assert deployed["compiled"] == []
    assert deployed["loaded"] == {
        "writer.handler": str(tree / "writer" / "handler.py"),
        "writer.sub.util": str(tree / "writer" / "sub" / "util.py"),
    }
    assert sorted(without["compiled"]) == [
        str(tree / "writer" / "__init__.py"),
        str(tree / "writer" / "handler.py"),
        str(tree / "writer" / "sub" / "util.py"),
    ]


def test_a_source_that_does_not_compile_fails_the_code_package(source: Path, tmp_path: Path) -> None:
    (source / "broken.py").write_text("def broken(:\n")

    with pytest.raises(
        build_package.BuildError, match=r"do not compile with Python 3\.13: \['writer/broken\.py'\]"
    ):
        build_package.build_code(source, "writer", tmp_path / "writer.zip")
    assert not (tmp_path / "writer.zip").exists()


def test_byte_code_is_compiled_for_the_runtime_not_the_build_interpreter(
    source: Path, tmp_path: Path
) -> None:
    try:
        interpreter = build_package.runtime_interpreter("python3.12")
    except build_package.BuildError:
        pytest.skip("no Python 3.12 on this machine")

    out = build_package.build_code(source, "writer", tmp_path / "writer.zip", runtime="python3.12")

    magic = subprocess.run(
        [
            interpreter,
            "-c",
            "import importlib.util, sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    with zipfile.ZipFile(out) as archive:
        pyc = archive.read(cached("writer/handler.py", "cpython-312"))
        assert not [name for name in archive.namelist() if CACHE_TAG in name]
    assert pyc[:4].hex() == magic


def test_runtime_interpreter_prefers_the_running_one_when_it_matches() -> None:
    running = f"python{sys.version_info.major}.{sys.version_info.minor}"

    assert build_package.runtime_interpreter(running) == sys.executable


def test_a_missing_runtime_interpreter_names_the_runtime_and_how_to_provide_one(
    monkeypatch: pytest.MonkeyPatch, source: Path, tmp_path: Path
) -> None:
    # GIVEN a runtime other than the tests' own Python, and no interpreter of it on PATH or in pyenv
    version = "3.11" if sys.version_info[:2] != (3, 11) else "3.12"
    monkeypatch.setattr(build_package.shutil, "which", lambda name: None)
    monkeypatch.setattr(build_package, "_pyenv_interpreters", lambda version: [])

    with pytest.raises(build_package.BuildError) as raised:
        build_package.build_code(source, "writer", tmp_path / "writer.zip", runtime=f"python{version}")

    message = str(raised.value)
    assert f"runtime python{version} needs a Python {version} interpreter" in message
    assert f'build_python = "python{version}"' in message
    assert f"install Python {version}" in message


def test_a_code_spec_names_its_runtime(source: Path, tmp_path: Path) -> None:
    spec = {"kind": "code", "source": str(source), "prefix": "writer", "out": str(tmp_path / "x.zip")}

    with pytest.raises(build_package.BuildError, match="runtime is required"):
        build_package.build(spec)


@pytest.mark.slow
def test_the_layer_imports_from_its_read_only_tree_without_compiling(layer: Path, tmp_path: Path) -> None:
    tree = unzip_read_only(layer, tmp_path / "opt")
    modules = ["aws_lambda_powertools.logging", "pynamodb.models", "aws_xray_sdk.core", "wrapt"]
    try:
        imported = import_from(tree / "python", modules, build_package.runtime_interpreter(RUNTIME))
    finally:
        make_writable(tree)

    assert imported["compiled"] == []
    assert all(str(path).startswith(str(tree / "python")) for path in imported["loaded"].values())


def test_a_third_party_file_that_does_not_compile_ships_without_byte_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a layer's files, one of them a template named .py that no Python compiles
    (tmp_path / "module.py").write_text("VALUE = 1\n")
    (tmp_path / "template.py").write_text("{{ name }} = (\n")
    entries: dict[str, bytes | Path] = {
        "python/module.py": tmp_path / "module.py",
        "python/template.py": tmp_path / "template.py",
    }

    compiled = build_package.compile_entries(entries, RUNTIME, build_package.LAYER_ROOT, strict=False)

    assert sorted(compiled) == [cached("python/module.py")]
    assert "python/template.py" in capsys.readouterr().err
