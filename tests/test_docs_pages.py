"""Every code block on every documentation page runs as a test.

A page's ``python`` blocks run in order in one namespace, and their assertions must
hold. A ``text`` block that directly follows a ``python`` block is what that block
prints, and must match it. Other blocks are shell commands (``bash``) or diagrams
(``mermaid``); any other language is refused, so no page holds code that is not run.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
NOT_RUN = {"bash", "mermaid"}
# chainrule.optimize, chainrule.mle and chainrule.scipy need SciPy, an optional extra.
NEEDS_SCIPY = re.compile(r"\bcr\.(optimize|mle)\b|\bscipy\b")


def code_blocks(text: str) -> list[tuple[str, str, str | None]]:
    """``(language, code, printed)`` for each fenced block; ``printed`` is the text
    block right after a python block, None where there is none."""
    blocks: list[tuple[str, str, str | None]] = []
    end = 0
    for fence in FENCE.finditer(text):
        language, code = fence.group(1), fence.group(2)
        follows_python = blocks and blocks[-1][0] == "python" and blocks[-1][2] is None
        if language == "text" and follows_python and not text[end:fence.start()].strip():
            blocks[-1] = ("python", blocks[-1][1], code)
        else:
            blocks.append((language, code, None))
        end = fence.end()
    return blocks


def page_id(page: Path) -> str:
    return str(page.relative_to(DOCS))


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_python_block_on_the_page_runs_and_prints_what_the_page_shows(
        page, tmp_path, monkeypatch):
    blocks = [(code, printed) for language, code, printed in
              code_blocks(page.read_text(encoding="utf-8")) if language == "python"]
    if any(NEEDS_SCIPY.search(code) for code, _ in blocks):
        pytest.importorskip("scipy")
    monkeypatch.chdir(tmp_path)  # a page may write files
    namespace: dict = {"__name__": "__main__"}
    for number, (code, printed) in enumerate(blocks):
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            exec(compile(code, f"docs/{page_id(page)}, block {number}", "exec"), namespace)
        if printed is not None:
            assert output.getvalue().strip() == printed.strip(), (
                f"docs/{page_id(page)}, block {number} prints something else than the "
                f"page shows")


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_code_block_is_run_or_is_a_shell_command_or_a_diagram(page):
    for language, code, _ in code_blocks(page.read_text(encoding="utf-8")):
        assert language == "python" or language in NOT_RUN, (
            f"docs/{page_id(page)} has a {language or 'plain'} code block that no test "
            f"runs:\n{code}\nmark Python as python, a command as bash, or output as text "
            f"right after the python block that prints it")


def test_a_text_block_right_after_a_python_block_is_its_output():
    page = "```python\nprint(1)\n```\n\n```text\n1\n```\n\n```python\nx = 2\n```\n"
    assert code_blocks(page) == [("python", "print(1)\n", "1\n"), ("python", "x = 2\n", None)]


def test_the_site_pages_are_all_found():
    names = {page_id(page) for page in PAGES}
    assert {"index.md", "how-it-works.md", "science.md", "complex.md", "inplace.md",
            "start/learners.md", "start/practitioners.md", "start/scientists.md",
            "start/library-authors.md"} <= names
