"""Pointing any Terraform root that uses this module at the emulator, without editing the root's own files.

`up --root DIR` writes one Terraform override file, OVERRIDE_FILE, into DIR for as long as the stack runs, as
tflocal does; `down` (and a failed `up`) removes it. Terraform merges an `*_override.tf` file into the blocks
the root already has, after reading every other file:

- `provider "aws"` (every alias the root configures too, and each local name it gives hashicorp/aws):
  region, one endpoint per service the module and its callers use, S3 path-style addressing, the settings an
  emulator needs (no credential validation, no instance metadata, the account ID read from its STS). The
  credentials, profile and allowed accounts of the root's own block are unset, so the static test credentials
  Terraform gets through its environment (`credentials_env`) are the ones used. An override of the default
  (unaliased) configuration also works for a root that has no provider block at all; an aliased one needs the
  root's own block, so aliases are read from the root's files with python-hcl2.
- `terraform { backend "local" {} }`: whatever backend or cloud block the root has, the local stack's state
  stays in its own state file, never in the root's real state.
- `module "<name>" { architecture = "x86_64" }` for each call of this module in the root (found after
  `terraform init`, from Terraform's modules.json): the packages are built for this host, whose runner
  imports their native wheels, while the module's own default (arm64) stays what it is on AWS.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import hcl2

from local.constants import ACCESS_KEY, REGION, ROOT, SECRET_KEY
from local.processes import StackError
from scripts.tf_docs import VALUES as HCL_VALUES

OVERRIDE_FILE = "zz_local_stack_override.tf"  # `zz`: merged after any override file of the root's own
MARKER = "# Written by `python -m local up` for the local stack"
AWS_SOURCES = ("hashicorp/aws", "registry.terraform.io/hashicorp/aws")
# Every service the module calls, those its optional inputs bring in (KMS keys, SNS destinations, VPC
# subnets) and S3; DynamoDB Streams has no endpoint setting: the provider reads stream ARNs from DynamoDB.
SERVICES = (
    "apigatewayv2",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "iam",
    "kms",
    "lambda",
    "logs",
    "s3",
    "sns",
    "sqs",
    "sts",
)
# Settings of the root's provider block that would send it to a real account or check it against one.
UNSET = (
    "access_key",
    "secret_key",
    "token",
    "profile",
    "shared_config_files",
    "shared_credentials_files",
    "allowed_account_ids",
    "forbidden_account_ids",
)
CHECKOV_SOURCE_CHECKS = ("CKV_TF_1", "CKV_TF_2")
# Terraform's name for this host's instruction set, as the module's `architecture` input spells it.
HOST_ARCHITECTURES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


def host_architecture() -> str:
    machine = platform.machine().lower()
    if machine not in HOST_ARCHITECTURES:
        raise StackError(f"the local stack runs functions on x86_64 or arm64 hosts, not {machine}")
    return HOST_ARCHITECTURES[machine]


def terraform_files(root: Path) -> list[Path]:
    """The root's own configuration files (override files are merged into these, so they declare nothing)."""
    if not root.is_dir():
        raise StackError(f"{root} is not a directory: ROOT must name a Terraform root module")
    files = sorted(path for path in root.glob("*.tf") if not _is_override(path.name))
    if not files:
        raise StackError(f"{root} holds no *.tf file: ROOT must name a Terraform root module")
    return files


def _is_override(name: str) -> bool:
    stem = name.removesuffix(".json").removesuffix(".tf")
    return stem == "override" or stem.endswith("_override")


def _parse(path: Path) -> dict[str, Any]:
    try:
        return hcl2.loads(path.read_text(), serialization_options=HCL_VALUES)
    except Exception as error:  # python-hcl2 raises lark's errors, which share no base class of its own
        raise StackError(f"cannot read {path} as HCL: {error}") from error


def _blocks(data: dict[str, Any], kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for block in data.get(kind, []):
        yield from block.items()


def aws_providers(files: Iterable[Path]) -> list[tuple[str, str | None]]:
    """(local name, alias) of every configuration of hashicorp/aws the override must cover: the default one
    of each local name (whether the root writes it or not), and each alias the root writes."""
    parsed = [_parse(path) for path in files]
    names = {"aws"}
    for data in parsed:
        for terraform in data.get("terraform", []):
            for requirements in terraform.get("required_providers", []):
                for name, requirement in requirements.items():
                    source = requirement.get("source") if isinstance(requirement, dict) else None
                    if source is None:
                        continue
                    if source.lower() in AWS_SOURCES:
                        names.add(name)
                    elif name == "aws":  # `aws` names another provider here
                        names.discard("aws")
    configurations: set[tuple[str, str | None]] = {(name, None) for name in names}
    for data in parsed:
        for name, body in _blocks(data, "provider"):
            if name in names and body.get("alias") is not None:
                alias = body["alias"]
                if not isinstance(alias, str) or alias.startswith("${"):
                    raise StackError(
                        f"provider {name!r} has the alias {alias!r}: an alias must be a literal name"
                    )
                configurations.add((name, alias))
    return sorted(configurations, key=lambda item: (item[0], item[1] or ""))


def module_calls(root: Path, data_dir: Path) -> tuple[list[str], list[str]]:
    """The calls of this module after `terraform init`: (names of the root's own calls, keys of calls inside
    other modules, which an override file of the root cannot reach)."""
    manifest = data_dir / "modules" / "modules.json"
    try:
        modules = json.loads(manifest.read_text())["Modules"]
    except (OSError, ValueError, KeyError) as error:
        raise StackError(f"cannot read Terraform's module manifest {manifest}: {error}") from error
    own: list[str] = []
    nested: list[str] = []
    for entry in modules:
        key, directory = entry.get("Key", ""), entry.get("Dir", "")
        if not key or not _is_this_module((root / directory).resolve()):
            continue
        (nested if "." in key else own).append(key)
    return sorted(own), sorted(nested)


def _is_this_module(directory: Path) -> bool:
    """This repository, or a copy of it fetched by `terraform init` from another source."""
    if directory == ROOT:
        return True
    return (directory / "packaging.tf").is_file() and (directory / "scripts" / "build_package.py").is_file()


def render(endpoint: str, providers: Iterable[tuple[str, str | None]], modules: Iterable[str] = ()) -> str:
    """The override file's text."""
    architecture = host_architecture()
    lines = [
        f"{MARKER}; removed by `python -m local down`.",
        "# It points the AWS provider at the emulator and keeps the state out of this root's backend.",
        "",
        "terraform {",
        '  backend "local" {}',
        "}",
    ]
    width = max(len(service) for service in SERVICES)
    unset_width = max(len(setting) for setting in UNSET)
    for name, alias in providers:
        lines += ["", f'provider "{name}" {{']
        if alias is not None:
            lines.append(f'  alias = "{alias}"')
        lines += [
            f'  region     = "{REGION}"',
            f'  sts_region = "{REGION}"',
            "",
            *(f"  {setting:<{unset_width}} = null" for setting in UNSET),
            "",
            "  skip_credentials_validation = true",
            "  skip_metadata_api_check     = true",
            "  skip_region_validation      = true",
            "  skip_requesting_account_id  = false",
            "  s3_use_path_style           = true",
            "",
            "  endpoints {",
            *(f'    {service:<{width}} = "{endpoint}"' for service in SERVICES),
            "  }",
            "}",
        ]
    for module in modules:
        lines += [
            "",
            f'module "{module}" {{',
            # Scanners read this block as a module call without a source; the root's own block has it.
            *(
                f"  #checkov:skip={check}:merged into the root's own call, which names the source"
                for check in CHECKOV_SOURCE_CHECKS
            ),
            f'  architecture = "{architecture}"',
            "}",
        ]
    return "\n".join(lines) + "\n"


def write(root: Path, text: str) -> Path:
    """Writes the override file into `root`; refuses to replace a file of that name the stack didn't write."""
    path = root / OVERRIDE_FILE
    if path.exists() and not path.read_text().startswith(MARKER):
        raise StackError(f"{path} exists and was not written by the local stack: move it away first")
    tmp = path.with_name(f".{OVERRIDE_FILE}.tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


def remove(root: Path) -> bool:
    """Removes the override file the stack wrote into `root`, if it is there; True when it was."""
    path = root / OVERRIDE_FILE
    if not path.exists() or not path.read_text().startswith(MARKER):
        return False
    path.unlink()
    return True


def credentials_env() -> dict[str, str]:
    """The environment that gives Terraform the emulator's credentials (none written into the root's files):
    the AWS SDK's own variables, and nothing left of the caller's profile or session."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            # No shared files: a profile there must not replace the test credentials.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    return env
