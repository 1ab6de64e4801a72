"""docs/coverage.md is generated from the registry and must be current."""

import subprocess
import sys
from pathlib import Path

import pytest

PAGE = Path(__file__).parent.parent / "docs" / "coverage.md"


def test_coverage_page_matches_the_registry():
    pytest.importorskip("scipy")
    generated = subprocess.run([sys.executable, "-m", "chainrule.ops.coverage", "--print"],
                               capture_output=True, text=True, check=True).stdout
    assert generated == PAGE.read_text(encoding="utf-8"), (
        "docs/coverage.md is out of date: run "
        "python -m chainrule.ops.coverage --write docs/coverage.md")
