"""Never a silently wrong value: conversions that would drop a derivative raise,
rules give the derivative NumPy's semantics imply (checked against closed forms,
finite differences or NumPy itself), and misuse gets a message naming the problem.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def assert_mentions(excinfo, *fragments: str) -> None:
    message = str(excinfo.value)
    missing = [f for f in fragments if f not in message]
    assert not missing, f"message {message!r} does not mention {missing}"


# --- leaving the graph through Python numbers ------------------------------------------

def test_item_inside_grad_raises_instead_of_dropping_the_gradient():
    with pytest.raises(TypeError) as excinfo:
        cr.grad(lambda x: x.item() ** 2)(1.0)
    assert_mentions(excinfo, "item()", "derivative", "detach()")


def test_tolist_inside_grad_raises_instead_of_dropping_the_gradient():
    with pytest.raises(TypeError) as excinfo:
        cr.grad(lambda x: sum(x.tolist()))(np.array([1.0, 2.0]))
    assert_mentions(excinfo, "tolist()", "derivative", "detach()")


def test_item_inside_jvp_raises():
    with pytest.raises(TypeError, match=r"item\(\)"):
        cr.jvp(lambda x: x.item() * x, (2.0,), (1.0,))


def test_item_and_tolist_of_tensors_outside_transforms_still_work():
    x = cr.tensor([[1.5, 2.5]], requires_grad=True)
    assert x.tolist() == [[1.5, 2.5]]
    assert x[0, 1].item() == 2.5
    assert cr.tensor(3.0).item() == 3.0


def test_item_of_a_detached_value_inside_grad_is_allowed():
    scale = cr.grad(lambda x: x * x.detach().item())(3.0)
    assert scale == 3.0
