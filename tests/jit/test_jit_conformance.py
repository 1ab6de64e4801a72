"""Every primitive of the conformance table through ``cr.jit``.

The compiled value, gradient, forward-mode derivative and second derivative equal
eager mode's to a few ulps, and compiling falls back to eager mode only for the
primitives listed (with the reason) in ``RUNS_EAGERLY``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.jit import JitWarning

from ..ops.test_conformance import CASES, _inputs, _wrt

# Cases that cr.jit runs eagerly (with a JitWarning), by id, and why.
RUNS_EAGERLY: dict[str, str] = {
    "where-interp": "np.interp differentiated in its sample points indexes them with "
                    "positions from np.searchsorted; NumPy converts a traced index of a "
                    "plain array with np.asarray, which a trace cannot record",
    "odeint-state-times-args": "odeint's derivative rules run SciPy's integrator on the "
                               "values themselves (the adjoint and sensitivity systems)",
}

ULPS = dict(rtol=1e-11, atol=1e-12)


def _compiled(fn, *args):
    """``cr.jit(fn)(*args)``, failing the test if it ran eagerly."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", JitWarning)
        first = cr.jit(fn)
        result = first(*args)
        again = first(*args)  # the second call runs the compiled program
    return result, again


def _along(case, values):
    wrt = _wrt(case)

    def f(*xs):
        full = list(values)
        for i, x in zip(wrt, xs):
            full[i] = x
        return case.fn(*full)
    return f


def _objective(case, values, cotangent):
    f = _along(case, values)
    return lambda *xs: np.sum(np.real(f(*xs)) * cotangent)


def _skip_if_eager(case):
    if case.id in RUNS_EAGERLY:
        pytest.skip(RUNS_EAGERLY[case.id])


def _assert_close(got, expected):
    for g, e in zip(np.atleast_1d(np.asarray(got, dtype=object)).ravel() if isinstance(
            got, (list, tuple)) else [got], expected if isinstance(expected, (list, tuple))
            else [expected]):
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), **ULPS)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_value_equals_eager(case):
    _skip_if_eager(case)
    values = _inputs(case, np.float64)
    expected = case.fn(*values)
    result, again = _compiled(case.fn, *values)
    np.testing.assert_allclose(result, expected, **ULPS)
    np.testing.assert_allclose(again, expected, **ULPS)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_gradient_and_jvp_equal_eager(case):
    _skip_if_eager(case)
    wrt = _wrt(case)
    if not wrt:
        pytest.skip("nothing to differentiate")
    values = _inputs(case, np.float64)
    rng = np.random.default_rng(1)
    cotangent = rng.standard_normal(np.shape(case.fn(*values)))
    objective = _objective(case, values, cotangent)
    argnums = tuple(range(len(wrt)))
    primals = [values[i] for i in wrt]
    expected = cr.grad(objective, argnums=argnums)(*primals)
    for got in _compiled(cr.grad(objective, argnums=argnums), *primals):
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, **ULPS)

    directions = [rng.standard_normal(np.shape(p)) for p in primals]
    along = _along(case, values)
    _, expected_tangent = cr.jvp(along, primals, directions)
    for _, tangent in _compiled(lambda *xs: cr.jvp(along, xs, directions), *primals):
        np.testing.assert_allclose(tangent, expected_tangent, **ULPS)


@pytest.mark.parametrize("case", [c for c in CASES if c.order >= 2 and not c.linear],
                         ids=[c.id for c in CASES if c.order >= 2 and not c.linear])
def test_second_derivative_equals_eager(case):
    _skip_if_eager(case)
    wrt = _wrt(case)
    if not wrt:
        pytest.skip("nothing to differentiate")
    values = _inputs(case, np.float64)
    rng = np.random.default_rng(2)
    cotangent = rng.standard_normal(np.shape(case.fn(*values)))
    objective = _objective(case, values, cotangent)
    argnums = tuple(range(len(wrt)))
    weights = [rng.standard_normal(np.shape(values[i])) for i in wrt]

    def weighted_gradient(*xs):
        grads = cr.grad(objective, argnums=argnums)(*xs)
        return sum(np.sum(g * w) for g, w in zip(grads, weights))

    second = cr.grad(weighted_gradient, argnums=argnums)
    primals = [values[i] for i in wrt]
    expected = second(*primals)
    for got in _compiled(second, *primals):
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-11)
