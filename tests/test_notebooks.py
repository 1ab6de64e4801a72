"""The tutorial notebooks (Jupytext Markdown in notebooks/) run, cell by cell, as the
documentation site runs them, and show what their text says they show."""

import sys
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import notebook_runner  # noqa: E402

NOTEBOOKS = {path.stem: path for path in notebook_runner.notebook_paths()}


def outputs_of(name: str) -> list[notebook_runner.Output]:
    cells = notebook_runner.run(NOTEBOOKS[name])
    return [output for cell in cells for output in cell.outputs]


def test_the_three_tutorials_are_valid_notebooks():
    import nbformat

    assert set(NOTEBOOKS) == {"scalar-engine", "numpy-to-mle", "training-a-network"}
    for path in NOTEBOOKS.values():
        notebook = jupytext.read(path)
        nbformat.validate(notebook)
        assert notebook.cells[0].source.startswith("# ")
        assert any(cell.cell_type == "code" for cell in notebook.cells)


def test_the_scalar_engine_notebook_draws_its_graph_inline():
    outputs = outputs_of("scalar-engine")
    graphs = [o.content for o in outputs if o.kind == "html"]
    assert graphs and graphs[0].startswith("<pre>Value(data=2.0, grad=1.0)</pre>")
    assert all("<svg" in g or "#0 *" in g for g in graphs)  # picture, or text without dot
    assert any("loss after 100 steps" in o.content for o in outputs if o.kind == "stdout")


def test_the_mle_notebook_shows_the_fit_as_a_table():
    pytest.importorskip("scipy")
    tables = [o.content for o in outputs_of("numpy-to-mle") if o.kind == "html"]
    assert len(tables) == 1 and "<th>x2</th>" in tables[0]


def test_the_training_notebook_shows_its_history_with_a_loss_curve():
    outputs = outputs_of("training-a-network")
    history = [o.content for o in outputs if o.kind == "html"]
    assert len(history) == 1 and history[0].startswith("<pre>History(epochs=60")
    assert "<polyline" in history[0]


def test_a_notebook_renders_as_a_page_with_its_code_and_outputs(tmp_path):
    notebook = tmp_path / "example.md"
    notebook.write_text("# Title\n\nSome text.\n\n```python\nprint('hi')\n6 * 7\n```\n")
    page = notebook_runner.to_markdown(notebook_runner.run(notebook), "example.md")
    assert page.startswith("# Title\n")
    assert "notebooks/example.md" in page
    assert "```python\nprint('hi')\n6 * 7\n```" in page
    assert "```text\nhi\n```" in page and "```text\n42\n```" in page


def test_an_error_in_a_cell_names_the_notebook_and_cell(tmp_path):
    notebook = tmp_path / "broken.md"
    notebook.write_text("# Broken\n\n```python\nx = 1\n```\n\n```python\n1 / 0\n```\n")
    with pytest.raises(ZeroDivisionError) as error:
        notebook_runner.run(notebook)
    assert "broken.md, cell 2" in str(error.traceback[-1].path)
