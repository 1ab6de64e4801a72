"""Batched rules: jacobian, jacfwd and hessian push a whole basis through each primitive
in one call, and get the Jacobian that one vector-Jacobian product per row gives.

The cases are the conformance table's (tests/ops/cases_*.py), each as a function of
its differentiable inputs flattened into one float64 vector: a new primitive is
tested here as soon as it has a conformance case. A primitive that declares how it
batches (``Primitive.defbatch``) must see the batch reach that rule in both modes,
and the engine's member-by-member loop (the only user of ``array_functions.stack``)
must never run inside it.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule._core import forward
from chainrule._core.batching import LOOP, BatchedRules, Batching, Broadcasting
from chainrule.ops.registry import PRIMITIVES

from .ops.test_conformance import CASES as TABLE

CASES = [case for case in TABLE if any(arg.differentiable for arg in case.args)]
DECLARED = [case for case in CASES if PRIMITIVES[case.prim].batching is not LOOP]


def _ids(cases):
    return [case.id for case in cases]


def _flattened(case):
    """``(fn, z)``: the case as a function of one vector ``z`` holding its
    differentiable inputs (the conformance table's float64 inputs), raveled."""
    rng = np.random.default_rng(0)
    values = [arg.make(rng, np.float64) for arg in case.args]
    wrt = [i for i, arg in enumerate(case.args) if arg.differentiable]
    shapes = [np.shape(values[i]) for i in wrt]
    bounds = np.cumsum([0] + [int(np.prod(shape)) for shape in shapes])

    def fn(z):
        args = list(values)
        for i, shape, start, stop in zip(wrt, shapes, bounds[:-1], bounds[1:]):
            args[i] = np.reshape(z[start:stop], shape)
        return case.fn(*args)

    return fn, np.concatenate([np.ravel(values[i]) for i in wrt])


def _input_size(case) -> int:
    return sum(int(np.prod(arg.shape)) for arg in case.args if arg.differentiable)


def _smallest_case_of_each_primitive(cases) -> list:
    smallest: dict = {}
    for case in cases:
        key = (case.complex_source is not None, _input_size(case))
        if case.prim not in smallest or key < smallest[case.prim][0]:
            smallest[case.prim] = (key, case)
    return [case for _, case in smallest.values()]


def _second_derivative_size(case) -> int:
    fn, z = _flattened(case)
    return int(np.size(fn(z))) * z.size ** 2


# Checked under nested transforms too (jacfwd of jacobian ...): one case per primitive,
# where its second derivatives stay small enough to compute several ways.
NESTED = [case for case in _smallest_case_of_each_primitive(
    [case for case in DECLARED if case.order >= 2]) if _second_derivative_size(case) <= 100_000]


def _scalar(fn):
    """A scalar function through ``fn``, for Hessians (nonlinear after it too)."""
    def f(z):
        out = fn(z)
        weights = np.linspace(0.5, 1.5, int(np.prod(np.shape(out)))).reshape(np.shape(out))
        return np.sum(weights * out * out)
    return f


def _jacobian_by_rows(fn, x):
    out, pullback = cr.vjp(fn, x)
    shape = np.shape(out)
    rows = [pullback(e.reshape(shape))[0] for e in np.eye(int(np.prod(shape)))]
    return np.reshape(np.array(rows), shape + x.shape)


def _close(actual, expected):
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1.0)
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-11 * scale)


@pytest.fixture
def fallback_calls(monkeypatch):
    """A list that grows by one each time the engine loops over a batch member by member."""
    calls = []
    stack = forward.array_functions.stack

    def counting_stack(arrays, *args, **kwargs):
        calls.append(len(arrays))
        return stack(arrays, *args, **kwargs)

    monkeypatch.setattr(forward.array_functions, "stack", counting_stack)
    return calls


class _Watched:
    """Stands in for a primitive's batching rule: records which modes reach it and
    how often the member-by-member loop ran inside it."""

    def __init__(self, rule, fallback_calls: list):
        self.rule = rule
        self.fallback_calls = fallback_calls
        self.modes: set = set()
        self.loops = 0

    def jvp(self, *args):
        return self._watch("jvp", self.rule.jvp, args)

    def vjp(self, *args):
        return self._watch("vjp", self.rule.vjp, args)

    def _watch(self, mode, method, args):
        self.modes.add(mode)
        before = len(self.fallback_calls)
        try:
            return method(*args)
        finally:
            self.loops += len(self.fallback_calls) - before


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_jacobian_and_jacfwd_match_the_rows_of_vjps(case):
    fn, z = _flattened(case)
    expected = _jacobian_by_rows(fn, z)
    _close(cr.jacobian(fn)(z), expected)
    _close(cr.jacfwd(fn)(z), expected)


@pytest.mark.parametrize("case", [c for c in CASES if c.order >= 2],
                         ids=_ids([c for c in CASES if c.order >= 2]))
def test_hessian_matches_the_jacobian_of_the_gradient(case):
    fn, z = _flattened(case)
    f = _scalar(fn)
    _close(cr.hessian(f)(z), cr.jacobian(cr.grad(f))(z))


@pytest.mark.parametrize("case", DECLARED, ids=_ids(DECLARED))
def test_the_batch_reaches_the_declared_rule_and_never_loops(case, fallback_calls,
                                                              monkeypatch):
    prim = PRIMITIVES[case.prim]
    watched = _Watched(prim.batching, fallback_calls)
    monkeypatch.setattr(prim, "batching", watched)
    fn, z = _flattened(case)
    transforms = [cr.jacobian(fn), cr.jacfwd(fn)]
    if case.order >= 2:
        transforms += [cr.hessian(_scalar(fn)), cr.jacobian(cr.grad(_scalar(fn)))]
    for transform in transforms:
        transform(z)
    assert watched.modes == {"jvp", "vjp"}, f"the batch never reached {case.prim}'s rule"
    assert watched.loops == 0, f"{case.prim} looped over the batch member by member"


@pytest.mark.parametrize("case", NESTED, ids=_ids(NESTED))
def test_nested_batched_transforms_agree(case):
    fn, z = _flattened(case)
    expected = cr.jacobian(cr.jacobian(fn))(z)
    for outer, inner in ((cr.jacfwd, cr.jacfwd), (cr.jacobian, cr.jacfwd),
                         (cr.jacfwd, cr.jacobian)):
        _close(outer(inner(fn))(z), expected)


def test_every_primitive_with_a_declared_rule_is_checked_here():
    declared = {name for name, prim in PRIMITIVES.items() if prim.batching is not LOOP}
    assert declared - {case.prim for case in DECLARED} == set()


def _cube():
    @cr.primitive
    def cube(x):
        return x ** 3

    cube.defvjp(lambda g, ans, x: 3 * g * x ** 2)
    cube.defjvp(lambda t, ans, x: 3 * t * x ** 2)
    return cube


def test_a_primitive_without_batched_rules_falls_back_to_the_loop(fallback_calls):
    cube = _cube()
    x = np.arange(1.0, 4.0)
    _close(cr.jacobian(cube)(x), np.diag(3 * x ** 2))
    _close(cr.jacfwd(cube)(x), np.diag(3 * x ** 2))
    assert fallback_calls == [3, 3]


def test_broadcasting_rules_take_the_batch_in_one_call(fallback_calls):
    cube = _cube().defbatch(broadcasts=True)
    x = np.arange(1.0, 4.0)
    _close(cr.jacobian(cube)(x), np.diag(3 * x ** 2))
    _close(cr.jacfwd(cube)(x), np.diag(3 * x ** 2))
    assert isinstance(cube.batching, Broadcasting)
    assert fallback_calls == []


def test_batched_rules_run_and_a_declining_rule_falls_back_to_the_loop(fallback_calls):
    cube = _cube()
    seen = []

    def batched(t, ans, x):
        seen.append(t.shape)
        return None if t.shape[0] == 2 else 3 * t * x ** 2

    cube.defbatch(jvps=(batched,), vjps=(batched,))
    x = np.arange(1.0, 4.0)
    _close(cr.jacobian(cube)(x), np.diag(3 * x ** 2))
    _close(cr.jacfwd(cube)(x), np.diag(3 * x ** 2))
    assert seen == [(3, 3), (3, 3)] and fallback_calls == []
    _close(cr.jacfwd(cube)(x[:2]), np.diag(3 * x[:2] ** 2))  # declined: the loop
    assert fallback_calls == [2]


def test_a_joint_batched_vjp_gives_every_cotangent_in_one_call(fallback_calls):
    @cr.primitive
    def product(a, b):
        return a * b

    calls = []
    product.defvjp_joint(lambda g, ans, a, b: (g * b, g * a))
    product.defbatch(joint_vjp=lambda g, ans, a, b: calls.append(g.shape) or (g * b, g * a))
    a, b = np.arange(1.0, 4.0), np.arange(4.0, 7.0)
    jac_a, jac_b = cr.jacobian(product, argnums=(0, 1))(a, b)
    _close(jac_a, np.diag(b))
    _close(jac_b, np.diag(a))
    assert calls == [(3, 3)] and fallback_calls == []


@pytest.mark.parametrize("declaration, fragment", [
    ({}, "needs broadcasts=True or batched rules"),
    ({"broadcasts": True, "jvps": (None,)}, "not both"),
    ({"vjps": (None,), "joint_vjp": lambda g, ans, x: (g,)}, "one joint_vjp, not both"),
])
def test_defbatch_refuses_an_unclear_declaration(declaration, fragment):
    with pytest.raises(TypeError, match=fragment):
        _cube().defbatch(**declaration)


def test_the_default_rule_loops_and_a_declaration_replaces_it():
    cube = _cube()
    assert cube.batching is LOOP and type(LOOP) is Batching
    cube.defbatch(jvps=(None,))
    assert isinstance(cube.batching, BatchedRules) and not cube.batching.whole_batch


def test_jacfwd_of_lstsq_in_a_vector_b_is_the_pseudo_inverse():
    a = np.random.default_rng(0).standard_normal((3, 3))
    b = np.arange(1.0, 4.0)
    solution = lambda b: np.linalg.lstsq(a, b, rcond=None)[0]  # noqa: E731
    _close(cr.jacfwd(solution)(b), np.linalg.pinv(a))
    _close(cr.jacobian(solution)(b), np.linalg.pinv(a))
