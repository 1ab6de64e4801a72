"""Drawing Value graphs: DOT structure, text trees, summaries and real rendering."""

import re

import pytest

from chainrule import viz
from chainrule.value import Value

RECORD = re.compile(r"^\s*v(\d+) \[shape=record, label=\"\{ (.*) \}\"\];$", re.MULTILINE)
OP_NODE = re.compile(r"^\s*v(\d+)_op \[label=\"(.*)\"\];$", re.MULTILINE)
EDGE = re.compile(r"^\s*(\w+) -> (\w+);$", re.MULTILINE)


def spec_example():
    a, b = Value(2.0), Value(3.0)
    e = (a + b) + a * b
    e.backward()
    return e


def chain(length: int) -> Value:
    y = Value(0.5)
    for _ in range(length):
        y = y.tanh()
    return y


def has_graphviz() -> bool:
    try:
        viz._graphviz_program()
    except RuntimeError:
        return False
    return True


needs_graphviz = pytest.mark.skipif(not has_graphviz(), reason="no Graphviz program installed")


# -- DOT ------------------------------------------------------------------------------


def test_dot_has_one_record_per_value_and_one_node_per_operation():
    dot = viz.to_dot(spec_example())
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert len(RECORD.findall(dot)) == 5  # a, b, a + b, a * b, e
    assert sorted(op for _, op in OP_NODE.findall(dot)) == ["*", "+", "+"]


def test_dot_edges_run_operand_to_operation_to_result():
    edges = EDGE.findall(viz.to_dot(spec_example()))
    into_results = [(s, t) for s, t in edges if s.endswith("_op")]
    into_operations = [(s, t) for s, t in edges if t.endswith("_op")]
    assert len(edges) == 3 + 6
    assert all(t == s.removesuffix("_op") for s, t in into_results)
    assert len(into_operations) == 6 and all(not s.endswith("_op") for s, _ in into_operations)


def test_dot_records_show_operation_data_and_grad():
    records = dict(RECORD.findall(viz.to_dot(spec_example())))
    assert records["0"] == "+ | data 11 | grad 1"
    assert "leaf | data 2 | grad 4" in records.values()
    assert "leaf | data 3 | grad 3" in records.values()
    assert "* | data 6 | grad 1" in records.values()


def test_value_used_twice_gets_two_edges():
    a = Value(3.0)
    edges = EDGE.findall(viz.to_dot(a + a))
    assert edges.count(("v1", "v0_op")) == 2


def test_record_special_characters_are_escaped():
    value = Value(1.0) * 2
    value.op = "a|b{c}"
    assert "a\\|b\\{c\\}" in viz.to_dot(value)


def test_non_value_is_rejected_with_its_type_named():
    with pytest.raises(TypeError, match="float"):
        viz.to_dot(3.0)
    with pytest.raises(TypeError, match="list"):
        viz.to_text([Value(1.0)])


# -- text -----------------------------------------------------------------------------


def test_text_tree_prints_shared_values_once_then_refers_to_them():
    assert viz.to_text(spec_example()) == "\n".join([
        "#0 + data=11 grad=1",
        "|-- #1 + data=5 grad=1",
        "|   |-- #2 leaf data=2 grad=4",
        "|   `-- #3 leaf data=3 grad=3",
        "`-- #4 * data=6 grad=1",
        "    |-- #2 (shown above)",
        "    `-- #3 (shown above)",
    ])


def test_text_of_a_leaf_is_one_line():
    assert viz.to_text(Value(2.5)) == "#0 leaf data=2.5 grad=0"


# -- big graphs -----------------------------------------------------------------------


def test_summary_counts_values_per_operation_and_depth():
    x = Value(1.0)
    y = (x * 2).tanh() + x
    text = viz.summary(y)
    assert "graph of 5 values, 5 edges" in text
    assert "root: + data=" in text
    assert "depth: 3 " in text
    assert re.search(r"leaf\s+2", text) and re.search(r"tanh\s+1", text)


def test_big_graph_is_summarised_in_dot():
    dot = viz.to_dot(chain(viz.MAX_DRAWN_NODES + 50))
    assert not RECORD.findall(dot)
    assert "summary [shape=note" in dot
    assert "tanh  250" in dot and "full=True" in dot


def test_big_graph_is_summarised_in_text():
    text = viz.to_text(chain(viz.MAX_DRAWN_NODES + 50))
    assert text.startswith("graph of 251 values")
    assert "depth: 250 " in text and "full=True" in text


def test_full_flag_draws_a_big_graph_anyway():
    dot = viz.to_dot(chain(viz.MAX_DRAWN_NODES + 50), full=True)
    assert len(RECORD.findall(dot)) == 251
    assert len(viz.to_text(chain(300), full=True).splitlines()) == 301


def test_summary_of_a_very_deep_graph_needs_no_recursion():
    assert "depth: 100000 " in viz.summary(chain(100_000))


# -- rendering ------------------------------------------------------------------------


@needs_graphviz
def test_draw_writes_a_real_svg(tmp_path):
    path = viz.draw(spec_example(), tmp_path / "graph.svg")
    svg = path.read_text()
    assert "<svg" in svg and "grad 4" in svg


@needs_graphviz
def test_draw_writes_a_png(tmp_path):
    path = viz.draw(spec_example(), tmp_path / "graph.png")
    assert path.read_bytes().startswith(b"\x89PNG")


@needs_graphviz
def test_show_gives_inline_svg_for_jupyter():
    image = viz.show(spec_example())
    assert "<svg" in image._repr_svg_()
    assert repr(image).startswith("#0 + data=11")


def test_draw_rejects_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"\.svg or \.png"):
        viz.draw(spec_example(), tmp_path / "graph.pdf")


def test_missing_graphviz_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(viz.shutil, "which", lambda *args, **kwargs: None)
    with pytest.raises(RuntimeError, match=r'pip install "chainrule\[viz\]"'):
        viz.draw(spec_example(), tmp_path / "graph.svg")
    assert viz.show(spec_example())._repr_svg_() is None
