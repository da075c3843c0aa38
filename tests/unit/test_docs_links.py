"""Every relative link in the repository's Markdown files points at a file or directory that exists, and a
link to a heading (`page.md#heading`) at a heading that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# Tool and build output, which holds other projects' Markdown.
SKIPPED_DIRS = {
    ".venv",
    ".build",
    ".local",
    ".terraform",
    ".git",
    "node_modules",
    ".pytest_cache",
    ".mypy_cache",
}

FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE_SPAN = re.compile(r"(`+).+?\1", re.S)
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.M)
HTML_LINK = re.compile(r"<(?:a|img)\s[^>]*?(?:href|src)=\"([^\"]+)\"", re.I)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
EXPLICIT_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.I)


def markdown_files(root: Path) -> list[Path]:
    return sorted(
        path
        for path in root.rglob("*.md")
        if not SKIPPED_DIRS.intersection(path.relative_to(root).parts[:-1])
    )


def prose(text: str) -> str:
    """The text without code blocks and code spans, where a bracket is not a link."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def links(text: str) -> list[str]:
    body = prose(text)
    return [*INLINE_LINK.findall(body), *REFERENCE_LINK.findall(body), *HTML_LINK.findall(body)]


def slug(heading: str) -> str:
    """The anchor a code host gives a heading: lower case, markup and punctuation gone, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(text: str) -> set[str]:
    found: set[str] = set(EXPLICIT_ANCHOR.findall(text))
    seen: dict[str, int] = {}
    for heading in HEADING.findall(FENCE.sub("", text)):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(root: Path) -> list[str]:
    broken = []
    for page in markdown_files(root):
        text = page.read_text(encoding="utf-8")
        for target in links(text):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("//"):
                continue  # a URL, checked by nobody offline
            path_part, _, fragment = target.partition("#")
            path_part = path_part.split("?", 1)[0]
            where = f"{page.relative_to(root)}: {target}"
            resolved = (page.parent / path_part).resolve() if path_part else page
            if not resolved.exists():
                broken.append(f"{where} (no such file)")
            elif (
                fragment and resolved.suffix == ".md" and fragment not in anchors(resolved.read_text("utf-8"))
            ):
                broken.append(f"{where} (no such heading)")
    return broken


def test_every_relative_link_resolves() -> None:
    assert markdown_files(REPO_ROOT), "no Markdown files found"
    assert broken_links(REPO_ROOT) == []


def test_the_readme_links_every_page_under_docs() -> None:
    linked = {target.partition("#")[0] for target in links((REPO_ROOT / "README.md").read_text())}
    pages = {f"docs/{page.name}" for page in (REPO_ROOT / "docs").glob("*.md")}
    assert sorted(pages - linked) == []


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("[a](missing.md)", ["page.md: missing.md (no such file)"]),
        ("[a](other.md#nowhere)", ["page.md: other.md#nowhere (no such heading)"]),
        ("[a](#not-here)", ["page.md: #not-here (no such heading)"]),
        ('<a href="sub/gone.txt">x</a>', ["page.md: sub/gone.txt (no such file)"]),
        ("[ref]: ./missing-too.md", ["page.md: ./missing-too.md (no such file)"]),
        ("[a](other.md#a-heading-with-code) [b](sub/) [c](https://example.com/x.md) [d](#page)", []),
        ("```\n[a](in-a-code-block.md)\n```\n`[b](in-a-span.md)`", []),
    ],
)
def test_the_checker_finds_broken_links_and_only_those(
    tmp_path: Path, markdown: str, expected: list[str]
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "other.md").write_text("# Other\n\n## A heading with `code`!\n")
    (tmp_path / "page.md").write_text(f"# Page\n\n{markdown}\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "vendored.md").write_text("[x](nowhere.md)\n")
    assert broken_links(tmp_path) == expected
