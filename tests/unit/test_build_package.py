"""scripts/build_package.py: the same inputs give the same bytes, and the packages hold what Lambda needs."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scripts import build_package

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILDER = REPO_ROOT / "scripts" / "build_package.py"
REQUIREMENTS = REPO_ROOT / "lambda_src" / "requirements.txt"
SHARED_SOURCE = REPO_ROOT / "lambda_src" / "shared"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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


def test_code_package_holds_sorted_sources_under_the_prefix_without_byte_code(
    source: Path, tmp_path: Path
) -> None:
    out = build_package.build_code(source, "writer", tmp_path / "writer.zip")

    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert names == ["writer/__init__.py", "writer/handler.py", "writer/sub/util.py"]
        assert archive.read("writer/sub/util.py") == b"VALUE = 1\n"


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
        assert not [name for name in archive.namelist() if name.endswith(".pyc")]


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
        assert archive.namelist() == [
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
            assert sorted(name for name in names if name.startswith("shared/")) == shared_sources
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

    build_package.build({"kind": "code", "source": str(source), "prefix": "writer", "out": str(out)})

    assert out.read_bytes() == b"built earlier"


def test_json_command_line_is_what_terraform_runs(source: Path, shared: Path, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "writer.zip"
    spec = {
        "kind": "code",
        "source": str(source),
        "prefix": "writer",
        "packages": [str(shared)],
        "extra_source": None,
        "out": str(out),
    }

    result = subprocess.run(
        [sys.executable, str(BUILDER), "--json", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert zipfile.ZipFile(out).namelist() == [
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


@pytest.mark.slow
def test_layer_is_byte_identical_when_built_twice_and_holds_the_pinned_packages(tmp_path: Path) -> None:
    first = build_package.build_layer(REQUIREMENTS, "python3.13", "x86_64", tmp_path / "one.zip")
    second = build_package.build_layer(REQUIREMENTS, "python3.13", "x86_64", tmp_path / "two.zip")

    assert sha256(first) == sha256(second)
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
    assert names == sorted(names)
    assert all(name.startswith("python/") for name in names)
    assert "python/aws_lambda_powertools/__init__.py" in names
    assert "python/pynamodb/__init__.py" in names
    assert not [name for name in names if name.endswith((".pyc", ".pyo")) or "/__pycache__/" in name]
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
