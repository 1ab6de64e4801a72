"""Run the Jupytext Markdown notebooks in ``notebooks/`` and render them as site pages.

A notebook's code cells run in one namespace in this process, as a Jupyter kernel would
run them: a cell's last expression is displayed, and ``display(obj)`` shows more. An
object is shown the way Jupyter would pick: its ``_repr_html_``, else its
``_repr_svg_``, else its ``repr``. Running in-process keeps the test suite fast (no
kernel to start) and lets the same run both test a notebook and render it for the site.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


@dataclass
class Output:
    """One thing a cell showed: ``kind`` is "stdout", "html", "svg" or "text"."""

    kind: str
    content: str


@dataclass
class Cell:
    """A notebook cell and, for a code cell, what running it showed."""

    kind: str
    source: str
    outputs: list[Output] = field(default_factory=list)


def notebook_paths() -> list[Path]:
    """Every notebook, in name order."""
    return sorted(NOTEBOOKS.glob("*.md"))


def read_cells(path: Path) -> list[Cell]:
    """The cells of a Jupytext Markdown notebook."""
    notebook = jupytext.read(path, fmt="md")
    return [Cell(cell.cell_type, cell.source) for cell in notebook.cells
            if cell.cell_type in ("markdown", "code")]


def run(path: Path) -> list[Cell]:
    """Run every code cell of the notebook at ``path``, in a scratch working folder.

    An exception in a cell propagates, with the notebook's name and the cell's number
    as the file name of its traceback.
    """
    cells = read_cells(path)
    namespace: dict = {"__name__": "__main__"}
    with tempfile.TemporaryDirectory() as scratch, _working_directory(scratch):
        for number, cell in enumerate(cells):
            if cell.kind == "code":
                cell.outputs = _run_cell(cell.source, namespace, f"{path.name}, cell {number}")
    return cells


def _run_cell(source: str, namespace: dict, name: str) -> list[Output]:
    outputs: list[Output] = []
    stdout = io.StringIO()

    def display(*objects: object) -> None:
        _flush(stdout, outputs)
        outputs.extend(_shown(obj) for obj in objects)

    namespace["display"] = display
    tree = ast.parse(source, filename=name)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    with contextlib.redirect_stdout(stdout):
        exec(compile(tree, name, "exec"), namespace)
        result = None
        if last is not None:
            result = eval(compile(ast.Expression(last.value), name, "eval"), namespace)
    _flush(stdout, outputs)
    if result is not None:
        outputs.append(_shown(result))
    return outputs


def _flush(stdout: io.StringIO, outputs: list[Output]) -> None:
    text = stdout.getvalue()
    if text:
        outputs.append(Output("stdout", text))
        stdout.seek(0)
        stdout.truncate()


def _shown(obj: object) -> Output:
    for kind in ("html", "svg"):
        method = getattr(obj, f"_repr_{kind}_", None)
        content = method() if callable(method) else None
        if content:
            return Output(kind, content)
    return Output("text", repr(obj))


@contextlib.contextmanager
def _working_directory(path: str):
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


# -- rendering as a Markdown page ------------------------------------------------------


def to_markdown(cells: list[Cell], source_name: str) -> str:
    """A Markdown page of the run notebook: its text, its code and what the code showed,
    with a note under the title saying where the notebook is."""
    parts = []
    for cell in cells:
        if cell.kind == "markdown":
            parts.append(cell.source)
            continue
        parts.append(f"```python\n{cell.source}\n```")
        parts.extend(_output_markdown(output) for output in cell.outputs)
    title, _, introduction = parts[0].partition("\n")
    parts[:1] = [title, _download_note(source_name), introduction.strip()]
    return "\n\n".join(part for part in parts if part) + "\n"


def _download_note(source_name: str) -> str:
    return (f'!!! note "This page is a notebook"\n    Its source is `notebooks/{source_name}`, '
            "Jupytext Markdown: open it in Jupyter with jupytext installed, or run "
            "`jupytext --to ipynb` on it. The outputs below were made when the site was "
            "built.")


def _output_markdown(output: Output) -> str:
    if output.kind in ("stdout", "text"):
        return f"```text\n{output.content.rstrip()}\n```"
    content = output.content
    if output.kind == "svg":
        content = re.sub(r"<\?xml.*?\?>|<!DOCTYPE.*?>", "", content, flags=re.S)
    # Blank lines would end the raw HTML block in Markdown.
    content = "\n".join(line for line in content.splitlines() if line.strip())
    return f'<div class="notebook-output" markdown="0">\n{content}\n</div>'
