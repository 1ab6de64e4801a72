"""The code on the documentation pages that say so runs, and its assertions hold."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _python_blocks(page: Path) -> str:
    return "\n".join(re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"),
                                re.S))


def test_science_page_runs():
    pytest.importorskip("scipy")
    code = _python_blocks(DOCS / "science.md")
    assert "fit_mle" in code and "minimize" in code
    exec(compile(code, "docs/science.md", "exec"), {})


def test_complex_page_runs():
    code = _python_blocks(DOCS / "complex.md")
    assert "holomorphic=True" in code
    exec(compile(code, "docs/complex.md", "exec"), {})


def test_inplace_page_runs():
    code = _python_blocks(DOCS / "inplace.md")
    assert "raw NumPy array" in code and "buffer" in code
    exec(compile(code, "docs/inplace.md", "exec"), {})
