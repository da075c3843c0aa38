"""README.md's Inputs and Outputs tables list exactly the module's variables and outputs, as in the code.

Print the tables from the code with `.venv/bin/python tests/unit/test_readme_tables.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
BLOCK_START = re.compile(r'^(variable|output)\s+"([^"]+)"\s*\{', re.MULTILINE)
ATTRIBUTE = re.compile(r"^  ([a-z_]+)\s*=\s*", re.MULTILINE)


@dataclass(frozen=True)
class Row:
    name: str
    description: str
    type: str = ""
    default: str = ""


def expression_end(text: str, start: int, *, at_newline: bool) -> int:
    """Where the HCL expression starting at `start` ends, skipping brackets and braces inside strings: at the
    bracket that closes the one at `start`, or (with `at_newline`) at the first newline outside brackets."""
    depth = 0
    in_string = False
    index = start
    while index < len(text):
        char = text[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
            if depth == 0 and not at_newline:
                return index
        elif char == "\n" and depth == 0 and at_newline:
            return index
        index += 1
    if at_newline:
        return index
    raise ValueError("unbalanced braces")


def block_body(text: str, open_brace: int) -> str:
    """The text between the brace at `open_brace` and its match."""
    return text[open_brace + 1 : expression_end(text, open_brace, at_newline=False)]


def attribute_expression(body: str, name: str) -> str | None:
    """The expression of a top-level attribute of a block, with its whitespace collapsed."""
    for match in ATTRIBUTE.finditer(body):
        if match.group(1) == name:
            return one_line(body[match.end() : expression_end(body, match.end(), at_newline=True)])
    return None


def one_line(expression: str) -> str:
    """A multi-line expression on one line: `{ a = 1\n b = 2 }` becomes `{a = 1, b = 2}`."""
    joined = ""
    for line in (part.strip() for part in expression.splitlines()):
        if not line:
            continue
        if joined and not joined.endswith(("{", "[", "(", ",")) and not line.startswith(("}", "]", ")")):
            joined += ", "
        joined += line
    return re.sub(r"\s+", " ", joined)


def string_value(expression: str) -> str:
    if not (expression.startswith('"') and expression.endswith('"')):
        raise ValueError(f"not a string literal: {expression}")
    return expression[1:-1].replace('\\"', '"').replace("\\\\", "\\")


def blocks(kind: str, path: Path) -> list[Row]:
    text = path.read_text()
    rows = []
    for match in BLOCK_START.finditer(text):
        if match.group(1) != kind:
            continue
        body = block_body(text, match.end() - 1)
        description = attribute_expression(body, "description")
        assert description is not None, f"{kind} {match.group(2)} has no description"
        default = attribute_expression(body, "default")
        rows.append(
            Row(
                name=match.group(2),
                description=string_value(description),
                type=attribute_expression(body, "type") or "",
                default="required" if default is None and kind == "variable" else (default or ""),
            )
        )
    return rows


def code_inputs() -> list[Row]:
    return blocks("variable", REPO_ROOT / "variables.tf")


def code_outputs() -> list[Row]:
    return blocks("output", REPO_ROOT / "outputs.tf")


def cell(text: str) -> str:
    return f"`{text}`".replace("|", "\\|") if text and text != "required" else text


def render_inputs() -> str:
    lines = ["| name | description | type | default |", "| --- | --- | --- | --- |"]
    lines += [f"| `{r.name}` | {r.description} | {cell(r.type)} | {cell(r.default)} |" for r in code_inputs()]
    return "\n".join(lines)


def render_outputs() -> str:
    lines = ["| name | description |", "| --- | --- |"]
    lines += [f"| `{r.name}` | {r.description} |" for r in code_outputs()]
    return "\n".join(lines)


def readme_table(heading: str) -> list[list[str]]:
    """Cells of the first table under `## heading`, header and separator rows left out."""
    section = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", README.read_text(), re.M | re.S)
    assert section, f"README.md has no '## {heading}' section"
    rows = [line for line in section.group(1).splitlines() if line.startswith("|")]
    assert len(rows) > 2, f"README.md's {heading} section has no table"
    return [
        [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row.strip()[1:-1])] for row in rows[2:]
    ]


def unquote(text: str) -> str:
    return text[1:-1] if text.startswith("`") and text.endswith("`") else text


def test_inputs_table_lists_every_variable_once_in_code_order() -> None:
    names = [unquote(row[0]) for row in readme_table("Inputs")]

    assert names == [row.name for row in code_inputs()]


def test_inputs_table_states_each_variable_as_the_code_does() -> None:
    table = {unquote(row[0]): row for row in readme_table("Inputs")}

    for row in code_inputs():
        assert table[row.name][1] == row.description, row.name
        assert unquote(table[row.name][2]) == row.type, row.name
        assert unquote(table[row.name][3]) == row.default, row.name


def test_outputs_table_lists_every_output_once_with_its_description() -> None:
    table = [(unquote(row[0]), row[1]) for row in readme_table("Outputs")]

    assert table == [(row.name, row.description) for row in code_outputs()]


def test_every_variable_and_output_is_described() -> None:
    assert all(row.description.strip() for row in code_inputs() + code_outputs())


if __name__ == "__main__":
    print("## Inputs\n\n" + render_inputs() + "\n\n## Outputs\n\n" + render_outputs())
