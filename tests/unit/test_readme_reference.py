"""README.md's Requirements, Inputs and Outputs tables are what `make docs` (scripts/tf_docs.py) writes from
the module's HCL, so a variable or output changed without `make docs` fails here."""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import tf_docs

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
SCRIPT = REPO_ROOT / "scripts" / "tf_docs.py"

NEW_VARIABLE = """
variable "added_without_make_docs" {
  description = "An input added to the module."
  type        = number
  default     = 7
}
"""


def run_script(module_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--module-dir", str(module_dir), *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def module_copy(tmp_path: Path) -> Path:
    """The module's root *.tf files and README, where they can be changed."""
    for path in [*REPO_ROOT.glob("*.tf"), README]:
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_the_readme_is_what_make_docs_writes() -> None:
    current = README.read_text(encoding="utf-8")
    generated = tf_docs.update_readme(current, tf_docs.render(tf_docs.read_module(REPO_ROOT)))
    diff = "".join(
        difflib.unified_diff(
            current.splitlines(keepends=True), generated.splitlines(keepends=True), "README.md", "make docs"
        )
    )
    assert generated == current, f"README.md is stale: run `make docs`\n{diff}"


def test_every_variable_and_output_block_is_read() -> None:
    # A parser that skipped a block would leave it out of both the README and the comparison above.
    text = "".join(path.read_text() for path in sorted(REPO_ROOT.glob("*.tf")))
    module = tf_docs.read_module(REPO_ROOT)
    assert [v.name for v in module.variables] == re.findall(r'^variable "([^"]+)"', text, re.M)
    assert [o.name for o in module.outputs] == re.findall(r'^output "([^"]+)"', text, re.M)
    assert all(v.description for v in module.variables)
    assert all(o.description for o in module.outputs)


def test_a_variable_added_without_make_docs_is_caught_and_make_docs_adds_it(module_copy: Path) -> None:
    # GIVEN a module with a new variable and the README as it was
    with (module_copy / "variables.tf").open("a") as variables:
        variables.write(NEW_VARIABLE)

    # WHEN the README is checked, THEN it is stale, with the missing row in the diff
    stale = run_script(module_copy, "--check")
    assert stale.returncode == 1, stale
    assert (
        "+| `added_without_make_docs` | An input added to the module. | `number` | `7` | no |" in stale.stdout
    )
    assert "make docs" in stale.stderr

    # WHEN make docs writes it, THEN the row is there and the README is current
    assert run_script(module_copy).returncode == 0
    assert "| `added_without_make_docs` |" in (module_copy / "README.md").read_text()
    assert run_script(module_copy, "--check").returncode == 0


def test_a_removed_output_is_caught(module_copy: Path) -> None:
    outputs = module_copy / "outputs.tf"
    outputs.write_text(re.sub(r'output "api_id" \{.*?\n\}\n', "", outputs.read_text(), flags=re.S))
    stale = run_script(module_copy, "--check")
    assert stale.returncode == 1
    assert "-| `api_id` |" in stale.stdout


def test_invalid_hcl_is_an_error_naming_the_file(module_copy: Path) -> None:
    (module_copy / "broken.tf").write_text('variable "x" {\n  type = \n')
    result = run_script(module_copy, "--check")
    assert result.returncode == 2
    assert "broken.tf: not valid HCL" in result.stderr


def test_a_readme_without_markers_is_an_error(module_copy: Path) -> None:
    (module_copy / "README.md").write_text("# A module\n")
    result = run_script(module_copy)
    assert result.returncode == 2
    assert "<!-- BEGIN_TF_DOCS -->" in result.stderr


def module_from(tmp_path: Path, hcl: str) -> tf_docs.Module:
    (tmp_path / "variables.tf").write_text(hcl)
    return tf_docs.read_module(tmp_path)


def test_rows_render_type_as_written_and_default_as_json(tmp_path: Path) -> None:
    module = module_from(
        tmp_path,
        """
variable "required" {
  description = "No default | so it is required."
  type        = string
}
variable "nullable" {
  description = "Defaults to null."
  type        = string
  default     = null
}
variable "text" {
  description = "A string with \\"quotes\\"."
  type        = string
  default     = "PAY_PER_REQUEST"
}
variable "negative" {
  description = "A negative number."
  type        = number
  default     = -1
}
variable "flag" {
  description = "A bool."
  type        = bool
  default     = false
}
variable "empty" {
  description = "An empty list."
  type        = list(string)
  default     = []
}
variable "settings" {
  description = "An object."
  type = object({
    b = optional(list(string), ["x"])
    a = number
  })
  default = { b = ["y"], a = 1 }
}
""",
    )
    rows = {line.split(" | ")[0].strip("| `"): line for line in tf_docs.render(module).splitlines()}
    assert rows["required"] == "| `required` | No default \\| so it is required. | `string` | n/a | yes |"
    assert rows["nullable"] == "| `nullable` | Defaults to null. | `string` | `null` | no |"
    assert rows["text"] == '| `text` | A string with "quotes". | `string` | `"PAY_PER_REQUEST"` | no |'
    assert rows["negative"] == "| `negative` | A negative number. | `number` | `-1` | no |"
    assert rows["flag"] == "| `flag` | A bool. | `bool` | `false` | no |"
    assert rows["empty"] == "| `empty` | An empty list. | `list(string)` | `[]` | no |"
    assert rows["settings"] == (
        "| `settings` | An object. "
        '| <pre>object({<br/>    b = optional(list(string), ["x"])<br/>    a = number<br/>  })</pre> '
        '| <pre>{<br/>  "a": 1,<br/>  "b": [<br/>    "y"<br/>  ]<br/>}</pre> | no |'
    )


def test_a_default_that_is_an_expression_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(tf_docs.DocsError, match=r"default of variable computed is the expression upper\("):
        module_from(tmp_path, 'variable "computed" {\n  type    = string\n  default = upper("x")\n}\n')


def test_a_variable_declared_twice_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.tf").write_text('variable "twice" {\n  type = string\n}\n')
    with pytest.raises(tf_docs.DocsError, match="variables declared twice: twice"):
        module_from(tmp_path, 'variable "twice" {\n  type = number\n}\n')
