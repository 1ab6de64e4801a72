"""Rules with the wrong signature are refused when they are defined, not in backward."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def _cube():
    @cr.primitive
    def cube(x):
        return x ** 3

    return cube


def test_a_curried_vjp_rule_is_refused_at_definition():
    with pytest.raises(TypeError) as caught:
        _cube().defvjp(lambda ans, x: lambda g: 3 * g * x ** 2)
    message = str(caught.value)
    assert "'cube'" in message
    assert "rule(g, ans, x)" in message
    assert "`lambda g, ans, x: ...`" in message
    assert "curried" in message


def test_a_curried_rule_mirroring_an_optional_parameter_is_refused():
    @cr.primitive
    def scale(x, factor=2.0):
        return x * factor

    with pytest.raises(TypeError, match=r"rule\(g, ans, x, factor\)"):
        scale.defvjp(lambda ans, x, factor=2.0: lambda g: g * factor)


def test_the_second_rule_is_checked_too():
    @cr.primitive
    def product(x, y):
        return x * y

    with pytest.raises(TypeError, match="argument 1 of primitive 'product'"):
        product.defvjp(lambda g, ans, x, y: g * y, lambda ans, x, y: lambda g: g * x)


def test_a_jvp_rule_one_argument_short_is_refused():
    with pytest.raises(TypeError, match=r"JVP rule .* 'cube' .* rule\(t, ans, x\)"):
        _cube().defjvp(lambda ans, x: 3 * x ** 2)


def test_rules_of_the_right_shape_are_accepted():
    cube = _cube()
    cube.defvjp(lambda g, ans, x: 3 * g * x ** 2, reads="args")
    cube.defjvp(lambda t, ans, x: 3 * t * x ** 2)
    x = np.array([0.5, -2.0])
    assert np.allclose(cr.grad(lambda v: np.sum(cube(v)))(x), 3 * x ** 2)


def test_a_rule_may_leave_out_an_optional_parameter_passed_by_keyword():
    @cr.primitive
    def outer(a, b, out=None):  # like np.outer: ``out`` is never passed positionally
        return np.outer(a, b)

    outer.defvjp(lambda g, ans, a, b: g @ b, lambda g, ans, a, b: a @ g)


def test_rules_taking_star_args_are_accepted():
    _cube().defvjp(lambda g, *rest: g)
    _cube().defjvp(lambda *args: args[0])

