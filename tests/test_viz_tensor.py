"""Drawing the graph behind a Tensor."""

import re

import numpy as np

import chainrule as cr
from chainrule import viz


def _graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    w = cr.tensor(3.0, requires_grad=True)
    return np.sum(np.tanh(x * w) + x), x, w


def test_dot_has_one_record_per_graph_node_and_one_edge_per_use():
    y, _, _ = _graph()
    dot = viz.to_dot(y)
    records = re.findall(r"^\s*v\d+ \[shape=record", dot, flags=re.M)
    assert len(records) == 6  # sum, add, tanh, multiply and the two leaves
    operand_edges = re.findall(r"^\s*v\d+ -> v\d+_op", dot, flags=re.M)
    assert len(operand_edges) == 6  # x feeds both add and multiply


def test_dot_names_operations_and_shows_leaf_gradients_after_backward():
    y, x, _ = _graph()
    y.backward()
    dot = viz.to_dot(y)
    for op in ("sum", "add", "tanh", "multiply"):
        assert f'label="{op}"' in dot
    assert "grad float64 (2,)" in dot  # x.grad is drawn on x's node


def test_text_shows_shared_inputs_once():
    y, _, _ = _graph()
    text = viz.to_text(y)
    assert text.splitlines()[0].startswith("#0 sum")
    assert "(shown above)" in text


def test_constant_tensor_is_a_single_node():
    nodes, edges = viz._graph_nodes(cr.tensor([1.0, 2.0]))
    assert len(nodes) == 1 and edges == []
