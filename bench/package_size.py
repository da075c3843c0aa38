"""Package size: each function's code zip and each dependency layer, zipped and unzipped, and what weighs
most.

Builds the packages with scripts/build_package.py for the module's default architecture, as `terraform apply`
does, so it measures exactly what Terraform uploads.

Run: python -m bench.package_size [--packages DIR_OF_ZIPS]
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.stats import BUILD_DIR, REPO_ROOT

PACKAGES_DIR = BUILD_DIR / "packages"
BUILDER = REPO_ROOT / "scripts" / "build_package.py"
# Lambda's quotas per function: the zip as uploaded, and everything unzipped (code plus layers).
LAMBDA_ZIPPED_LIMIT = 50 * 1024 * 1024
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
CODE_PACKAGE_TARGET = 100 * 1024
TOP_CONTRIBUTORS = 8


@dataclass(frozen=True)
class Package:
    kind: str  # "code" or "layer"
    name: str  # the function's package (writer, consumer) or the layer's zip name
    path: Path


@dataclass
class PackageSize:
    kind: str
    name: str
    file: str
    zipped_bytes: int
    unzipped_bytes: int
    files: int
    # (top-level directory or module inside the package, unzipped bytes with byte code), largest first
    largest: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class PackageSizeResult:
    packages: list[PackageSize]
    architecture: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PackageSizeResult:
        packages = []
        for package in data["packages"]:
            package = dict(package)
            package["largest"] = [(name, size) for name, size in package["largest"]]
            packages.append(PackageSize(**package))
        return cls(packages=packages, architecture=data.get("architecture", ""))

    def function_totals(self) -> dict[str, tuple[int, int]]:
        """Per function: (zipped, unzipped) bytes of its code plus every layer, what Lambda's quotas count."""
        layers = [p for p in self.packages if p.kind == "layer"]
        totals = {}
        for code in (p for p in self.packages if p.kind == "code"):
            totals[code.name] = (
                code.zipped_bytes + sum(layer.zipped_bytes for layer in layers),
                code.unzipped_bytes + sum(layer.unzipped_bytes for layer in layers),
            )
        return totals


def default_architecture() -> str:
    """The module's default `architecture` (variables.tf): what a user deploys, so what the sizes describe."""
    variables = (REPO_ROOT / "variables.tf").read_text()
    match = re.search(r'variable "architecture" \{.*?default\s*=\s*"([^"]+)"', variables, re.DOTALL)
    if match is None:
        raise ValueError("variables.tf declares no default for variable architecture")
    return match.group(1)


def host_architecture() -> str:
    """This machine's Lambda architecture name: packages run here only when built for it."""
    return {"aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), "x86_64")


def build_packages(architecture: str, out_root: Path = PACKAGES_DIR) -> Path:
    """Both code zips and the layer for one architecture, built by the module's own builder."""
    out_dir = out_root / architecture
    subprocess.run(
        [sys.executable, str(BUILDER), "all", "--out-dir", str(out_dir), "--architecture", architecture],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out_dir


def discover(packages_dir: Path) -> list[Package]:
    """Classify the builder's zips by content: a layer holds only `python/`, a code zip an entry point."""
    found = []
    for path in sorted(packages_dir.glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            names = [name for name in archive.namelist() if name]
        tops = {name.split("/", 1)[0] for name in names}
        if tops == {"python"}:
            found.append(Package("layer", path.stem, path))
        else:
            # Named after the package holding the entry point: a code zip may carry shared packages too.
            handlers = sorted(
                name.split("/")[0] for name in names if name.count("/") == 1 and name.endswith("/handler.py")
            )
            found.append(Package("code", handlers[0] if len(handlers) == 1 else path.stem, path))
    if not found:
        raise FileNotFoundError(f"no package zips in {packages_dir}: run `make build` first")
    return found


# A module's byte code, `dir/__pycache__/module.<tag>.pyc`, counts with the module's source `dir/module.py`.
BYTE_CODE = re.compile(r"^(?P<dir>(?:.*/)?)__pycache__/(?P<module>[^/.]+)\.[^/]+\.pyc$")


def _contributor(name: str, kind: str) -> str:
    """Group a zip entry as a reader would: python/<distribution> in a layer, each module (its source and its
    byte code) in a code zip."""
    byte_code = BYTE_CODE.match(name)
    if byte_code is not None:
        name = f"{byte_code['dir']}{byte_code['module']}.py"
    parts = name.split("/")
    if kind == "layer" and len(parts) > 2:
        return "/".join(parts[:2])
    return name


def measure_package(package: Package) -> PackageSize:
    contributors: Counter[str] = Counter()
    files = 0
    with zipfile.ZipFile(package.path) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            files += 1
            contributors[_contributor(info.filename, package.kind)] += info.file_size
    return PackageSize(
        kind=package.kind,
        name=package.name,
        file=package.path.name,
        zipped_bytes=package.path.stat().st_size,
        unzipped_bytes=sum(contributors.values()),
        files=files,
        largest=contributors.most_common(TOP_CONTRIBUTORS),
    )


def measure(packages_dir: Path) -> PackageSizeResult:
    return PackageSizeResult(packages=[measure_package(package) for package in discover(packages_dir)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--packages", type=Path, help="directory of built zips (default: build them now)")
    parser.add_argument("--out", type=Path, default=BUILD_DIR / "package_size.json")
    args = parser.parse_args(argv)
    architecture = default_architecture()
    result = measure(args.packages or build_packages(architecture))
    result.architecture = architecture if args.packages is None else "as given"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result.to_json(), indent=2) + "\n")
    for package in result.packages:
        print(
            f"{package.kind:>5} {package.name}: {package.zipped_bytes:,} B zipped, "
            f"{package.unzipped_bytes:,} B unzipped, {package.files} files"
        )


if __name__ == "__main__":
    main()
