"""The hot path writes a Node out by hand; it must fill the same slots as new_node()."""

import numpy as np

import chainrule as cr
from chainrule._core.graph import Node, new_node


def _unset_slots(node: Node) -> set[str]:
    return {slot for slot in Node.__slots__ if not hasattr(node, slot)}


def test_a_recorded_call_fills_every_node_slot():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    node = np.sin(x)._node
    assert type(node) is Node
    assert _unset_slots(node) == set()


def test_new_node_fills_every_node_slot():
    node = new_node(None, (), {}, None, [], 0, ())
    assert _unset_slots(node) == set()


def test_a_call_on_two_trace_levels_fills_every_node_slot():
    captured = []

    def f(y):
        x = cr.tensor([1.0, 2.0], requires_grad=True)
        out = x * y  # x on level 0, y on the transform's level: the mixed-level path
        captured.append(out)
        return out.sum()

    cr.grad(f)(np.array([3.0, 4.0]))
    outer = captured[0]._node
    inner = captured[0]._value._node
    assert _unset_slots(outer) == set() and _unset_slots(inner) == set()
