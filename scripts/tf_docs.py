"""Writes the module's Requirements, Inputs and Outputs tables into README.md (what `make docs` runs).

The tables go between the `<!-- BEGIN_TF_DOCS -->` and `<!-- END_TF_DOCS -->` markers and are rendered the way
terraform-docs renders them: a type exactly as written in the HCL, a default as JSON ("n/a" when the input is
required), multi-line values in `<pre>` blocks. Variables and outputs keep the order of the module's files,
where they are grouped by what they configure. Every `*.tf` file of the module root is read with python-hcl2,
a real HCL parser, so a block it cannot parse is an error rather than a row that is silently wrong.

Run: python scripts/tf_docs.py [--module-dir DIR] [--readme FILE] [--check]
"""

from __future__ import annotations

import argparse
import difflib
import html
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions
from lark import Token, Tree

REPO_ROOT = Path(__file__).resolve().parents[1]
BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"

# Values as Terraform sees them: strings unquoted and unescaped, heredocs as their text, numbers as numbers.
VALUES = SerializationOptions(
    with_comments=False,
    explicit_blocks=False,
    strip_string_quotes=True,
    preserve_heredocs=False,
    preserve_scientific_notation=False,
)


def load_hcl(text: str) -> dict[str, Any]:
    """HCL text as python-hcl2's dict: blocks as lists of {label: body}, literals as Python values, and any
    other expression as its source form wrapped in `${...}`."""
    return hcl2.loads(text, serialization_options=VALUES)


class DocsError(Exception):
    """The module's HCL or the README cannot produce the tables."""


@dataclass(frozen=True)
class Variable:
    name: str
    description: str
    type: str
    default: Any
    required: bool


@dataclass(frozen=True)
class Output:
    name: str
    description: str


@dataclass(frozen=True)
class Module:
    required_version: str | None
    providers: list[tuple[str, str, str]]  # (name, source, version constraint)
    variables: list[Variable]
    outputs: list[Output]


def _labelled_blocks(data: dict[str, Any], kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for block in data.get(kind, []):
        yield from block.items()


def _block_label(block: Tree) -> str:
    label = block.children[1]
    if not isinstance(label, Tree) or label.data != "string":
        raise DocsError(f"a {block.children[0].children[0]} block has no quoted label")
    return "".join(str(part.children[0]) for part in label.children if isinstance(part, Tree))


def _type_sources(text: str) -> dict[str, str]:
    """Each variable's `type` expression exactly as written, cut from the text where the parser found it."""
    tree = hcl2.parses_to_tree(text)
    types: dict[str, str] = {}
    for block in tree.children[0].children:
        if not (isinstance(block, Tree) and block.data == "block"):
            continue
        if block.children[0].children[0] != "variable":
            continue
        body = next(child for child in block.children if isinstance(child, Tree) and child.data == "body")
        for attribute in body.children:
            if not (isinstance(attribute, Tree) and attribute.data == "attribute"):
                continue
            name, _, expression = attribute.children
            if isinstance(name, Tree) and name.children[0] == "type" and not isinstance(expression, Token):
                types[_block_label(block)] = text[expression.meta.start_pos : expression.meta.end_pos]
    return types


def _literal(value: Any, where: str) -> Any:
    """The default as data; Terraform accepts only literal values there, so an expression is a mistake."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        raise DocsError(
            f"{where} is the expression {value[2:-1]}; a variable's default must be a literal value"
        )
    if isinstance(value, dict):
        return {key: _literal(item, where) for key, item in value.items()}
    if isinstance(value, list):
        return [_literal(item, where) for item in value]
    return value


def read_module(module_dir: Path) -> Module:
    """Variables, outputs and version constraints of every `*.tf` file at the module root, in file order."""
    files = sorted(module_dir.glob("*.tf"))
    if not files:
        raise DocsError(f"{module_dir} holds no *.tf files")
    required_version = None
    providers: list[tuple[str, str, str]] = []
    variables: list[Variable] = []
    outputs: list[Output] = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            data = load_hcl(text)
            types = _type_sources(text)
        except Exception as error:  # lark's parse errors share no base class worth naming
            raise DocsError(f"{path.name}: not valid HCL: {error}") from error
        for terraform in data.get("terraform", []):
            required_version = terraform.get("required_version", required_version)
            for requirements in terraform.get("required_providers", []):
                for provider, spec in requirements.items():
                    providers.append((provider, spec.get("source", ""), spec.get("version", "")))
        for name, body in _labelled_blocks(data, "variable"):
            variables.append(
                Variable(
                    name=name,
                    description=body.get("description", ""),
                    type=types.get(name, "any"),
                    default=_literal(body.get("default"), f"{path.name}: the default of variable {name}"),
                    required="default" not in body,
                )
            )
        for name, body in _labelled_blocks(data, "output"):
            outputs.append(Output(name=name, description=body.get("description", "")))
    names = [variable.name for variable in variables]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise DocsError(f"variables declared twice: {', '.join(duplicates)}")
    return Module(required_version, providers, variables, outputs)


def _cell(text: str) -> str:
    """Prose for a table cell: HTML-significant characters and the column separator escaped, lines joined."""
    return "<br/>".join(html.escape(line, quote=False) for line in text.strip().splitlines()).replace(
        "|", "\\|"
    )


def _code(text: str) -> str:
    """A value in a table cell: one line in a code span, several in a <pre> block (as terraform-docs does)."""
    if "\n" in text:
        lines = "<br/>".join(html.escape(line, quote=False) for line in text.splitlines())
        return f"<pre>{lines}</pre>".replace("|", "\\|")
    return f"`{text}`".replace("|", "\\|")


def render_default(variable: Variable) -> str:
    if variable.required:
        return "n/a"
    value = variable.default
    # Empty collections stay on one line; other collections are indented JSON with keys in order, as Terraform
    # (and so terraform-docs) writes object attributes.
    indent = 2 if isinstance(value, dict | list) and value else None
    return _code(json.dumps(value, indent=indent, sort_keys=True, ensure_ascii=False))


def render(module: Module) -> str:
    lines = ["## Requirements", "", "| Name | Version |", "|------|---------|"]
    if module.required_version:
        lines.append(f"| terraform | {_code(module.required_version)} |")
    for provider, source, version in module.providers:
        lines.append(f"| {provider} ({_code(source)}) | {_code(version) if version else 'any'} |")
    lines += ["", "## Inputs", "", "| Name | Description | Type | Default | Required |"]
    lines.append("|------|-------------|------|---------|:--------:|")
    for variable in module.variables:
        lines.append(
            f"| `{variable.name}` | {_cell(variable.description) or 'n/a'} | {_code(variable.type)} "
            f"| {render_default(variable)} | {'yes' if variable.required else 'no'} |"
        )
    lines += ["", "## Outputs", "", "| Name | Description |", "|------|-------------|"]
    for output in module.outputs:
        lines.append(f"| `{output.name}` | {_cell(output.description) or 'n/a'} |")
    return "\n".join(lines) + "\n"


def update_readme(readme: str, tables: str) -> str:
    """The README with the text between the markers replaced by `tables`."""
    if readme.count(BEGIN) != 1 or readme.count(END) != 1 or readme.index(BEGIN) > readme.index(END):
        raise DocsError(f"the README must hold {BEGIN} and then {END}, once each")
    head, rest = readme.split(BEGIN)
    _, tail = rest.split(END)
    return f"{head}{BEGIN}\n{tables}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module-dir", type=Path, default=REPO_ROOT)
    parser.add_argument(
        "--readme", type=Path, default=None, help="default: README.md in the module directory"
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when the README is stale")
    args = parser.parse_args(argv)
    readme_path: Path = args.readme or args.module_dir / "README.md"
    try:
        current = readme_path.read_text(encoding="utf-8")
        updated = update_readme(current, render(read_module(args.module_dir)))
    except (DocsError, OSError) as error:
        print(f"tf_docs: {error}", file=sys.stderr)
        return 2
    if updated == current:
        return 0
    if args.check:
        diff = difflib.unified_diff(
            current.splitlines(keepends=True),
            updated.splitlines(keepends=True),
            str(readme_path),
            "generated",
        )
        sys.stdout.writelines(diff)
        print(f"{readme_path} is stale: run `make docs`", file=sys.stderr)
        return 1
    readme_path.write_text(updated, encoding="utf-8")
    print(f"updated {readme_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
