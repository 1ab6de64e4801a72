"""A Markdown extension: doctest examples (``>>>`` lines) in docstrings become code blocks.

chainrule's docstrings show examples as doctests. Markdown would read their ``>``
as quotation marks; this turns each run of lines that starts with ``>>>`` at the
margin, up to the next blank line, into a ``pycon`` code block.
"""

from __future__ import annotations

import re

from markdown import Extension
from markdown.preprocessors import Preprocessor

_FENCE = re.compile(r"^\s*(```|~~~)")


class _DoctestBlocks(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        result: list[str] = []
        in_fence = in_example = False
        for line in lines:
            if in_example and not line.strip():
                result += ["```", ""]
                in_example = False
            if _FENCE.match(line) and not in_example:
                in_fence = not in_fence
            elif not in_fence and not in_example and line.startswith(">>>"):
                result += ["", "```pycon"]
                in_example = True
            result.append(line)
        if in_example:
            result.append("```")
        return result


class DoctestBlocks(Extension):
    """Register the preprocessor ahead of fenced code blocks, which it produces."""

    def extendMarkdown(self, md) -> None:  # noqa: N802 - Markdown's name
        md.preprocessors.register(_DoctestBlocks(md), "doctest_blocks", 40)
