"""``cr.jit(fn, backend="numba")``: elementwise chains fused into numba loops.

Values and gradients equal eager mode's (and NumPy's) to a few ulps, guards retrace
as with the NumPy backend, kernels are compiled once per distinct source, and
without numba the backend says how to install it.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.jit import JitWarning

from ..ops.test_conformance import CASES, _inputs, _wrt
from .test_jit_conformance import ULPS, _objective, _skip_if_eager

pytest.importorskip("numba", reason="numba (the optional extra jit) is not installed")
from chainrule.jit import numba_backend  # noqa: E402

UNARY = sorted((u for u in numba_backend.FUSIBLE_UFUNCS if u.nin == 1), key=str)
BINARY = sorted((u for u in numba_backend.FUSIBLE_UFUNCS if u.nin == 2), key=str)
SPECIAL = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-300, 700.0, -745.0]


def _numba_jit(fn, **options):
    """``cr.jit(fn, backend="numba")``, failing the test if it would run eagerly."""
    jitted = cr.jit(fn, backend="numba", **options)

    def call(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("error", JitWarning)
            return jitted(*args)
    call.jitted = jitted
    return call


def _ulps(dtype):
    return dict(rtol=4 * np.finfo(dtype).eps, atol=0)


def _every_ufunc(x, y):
    a, b = x * 0.75, y - 0.25  # shared operands: one group, one kernel, many outputs
    return [u(a) for u in UNARY] + [u(a, b) for u in BINARY]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_fusible_ufunc_equals_numpy_to_a_few_ulps(dtype):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-3, 3, 40), SPECIAL, rng.uniform(0.5, 5, 10)]).astype(dtype)
    y = np.concatenate([rng.uniform(-3, 3, 40), SPECIAL[::-1], -x[-10:]]).astype(dtype)
    fast = _numba_jit(_every_ufunc)
    with np.errstate(all="ignore"):
        fast(x, y)
        expected = _every_ufunc(x, y)
        got = fast(x, y)
    assert fast.jitted.source(x, y).count("@numba.njit") == 1
    names = [u.__name__ for u in UNARY + BINARY]
    for name, g, e in zip(names, got, expected):
        assert g.dtype == e.dtype, name
        np.testing.assert_allclose(g, e, **_ulps(dtype), err_msg=name)


def test_values_read_outside_a_chain_are_its_only_results():
    def f(x):
        a = np.sin(x) * 2.0
        total = np.sum(a)  # a reduction reads a: the kernel must run before it
        return np.tanh(a + total) * 3.0

    x = np.linspace(-1, 1, 7)
    fast = _numba_jit(f)
    fast(x)
    np.testing.assert_allclose(fast(x), f(x), **ULPS)
    source = fast.jitted.source(x)
    assert source.count("@numba.njit") == 2
    assert "sum(" in source


def test_a_kernel_runs_before_a_write_into_an_array_it_reads():
    def f(x):
        buffer = np.zeros_like(x)
        before = np.sin(buffer + x) * 2.0
        buffer[0] = 1.0
        return before + buffer

    x = np.array([0.5, 1.5, 2.5])
    fast = _numba_jit(f)
    fast(x)
    np.testing.assert_array_equal(fast(x), f(x))


def test_broadcast_operands_and_a_transposed_constant():
    rng = np.random.default_rng(3)
    columns = np.asfortranarray(rng.standard_normal((3, 5)))  # read in memory order
    row, weights = rng.standard_normal(5), rng.standard_normal((3, 1))

    def f(v):
        return np.exp(columns * v) * weights + np.float64(0.5)

    fast = _numba_jit(f)
    fast(row)
    np.testing.assert_allclose(fast(row), f(row), **ULPS)
    assert ".T" in fast.jitted.source(row)


def test_where_and_comparisons_fuse():
    def f(x, y):
        return np.where(x > y, np.sin(x), y * 2.0) + 1.0

    x, y = np.linspace(-2, 2, 9), np.linspace(2, -2, 9)
    fast = _numba_jit(f)
    fast(x, y)
    np.testing.assert_array_equal(fast(x, y), f(x, y))
    assert fast.jitted.source(x, y).count("@numba.njit") == 1


def test_scalar_programs_return_numpy_scalars_as_the_numpy_backend_does():
    def f(x):
        return np.sin(x) * x + 1.0

    for x in (0.5, np.float32(0.5)):
        fast = _numba_jit(cr.value_and_grad(f))
        fast(x)
        value, gradient = fast(x)
        expected_value, expected_gradient = cr.jit(cr.value_and_grad(f))(x)
        assert type(value) is type(expected_value)
        assert type(gradient) is type(expected_gradient)
        np.testing.assert_allclose([value, gradient], [expected_value, expected_gradient],
                                   **_ulps(np.result_type(x)))


def test_float32_stays_float32():
    fast = _numba_jit(cr.grad(lambda x: np.sum(np.tanh(np.sin(x) * 1.001 + 0.1))))
    x = np.linspace(-1, 1, 5, dtype=np.float32)
    fast(x)
    got = fast(x)
    expected = cr.grad(lambda x: np.sum(np.tanh(np.sin(x) * 1.001 + 0.1)))(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, **_ulps(np.float32))


@pytest.mark.parametrize("dtype", [np.float16, np.longdouble])
def test_dtypes_numba_cannot_compute_stay_numpy_calls(dtype):
    def f(x):
        return np.sin(x) * 2.0 + 1.0

    x = np.linspace(0, 1, 5).astype(dtype)
    fast = _numba_jit(f)
    fast(x)
    got = fast(x)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, f(x))
    assert "@numba.njit" not in fast.jitted.source(x)


def test_guards_retrace_for_the_other_branch():
    def f(x):
        if np.sum(x) > 0:
            return np.sin(x) * 2.0
        return np.cos(x) * 3.0

    fast = _numba_jit(f)
    up, down = np.array([0.5, 1.0]), np.array([-0.5, -1.0])
    for x in (up, down, up * 2, down * 3):
        np.testing.assert_allclose(fast(x), f(x), **ULPS)
    assert fast.jitted.cache_info() == {"signatures": 1, "variants": 2, "eager": 0}
    assert "raise Retrace" in fast.jitted.source(up)


def _per_op(x):
    t = x
    for _ in range(1000):
        t = cnp.tanh(cnp.sin(t) * 1.001 + 0.1)
    return cnp.sum(t)


def _per_op_by_hand(x):
    saved, t = [], x
    for _ in range(1000):
        before = t
        t = np.tanh(np.sin(t) * 1.001 + 0.1)
        saved.append((before, t))
    g = np.ones_like(t)
    for before, after in reversed(saved):
        g = g * (1.0 - after * after) * 1.001 * np.cos(before)
    return g


def test_the_per_op_workload_runs_as_a_few_kernels_compiled_once():
    x = np.random.default_rng(0).uniform(-1, 1, 16)
    fast = _numba_jit(cr.grad(_per_op))
    fast(x)
    np.testing.assert_allclose(fast(x), _per_op_by_hand(x), rtol=1e-12, atol=1e-300)
    source = fast.jitted.source(x)
    body = source.split("\n\n")[0]
    calls = body.splitlines()[1:-1]
    assert all("fused" in line or "= empty(" in line for line in calls), "no NumPy calls left"
    assert source.count("@numba.njit") <= 6  # the unrolled loop repeats a few kernels
    compiled = numba_backend.kernel_cache_size()
    again = _numba_jit(cr.grad(_per_op))  # a new trace: identical kernels are reused
    again(x)
    again(x)
    assert numba_backend.kernel_cache_size() == compiled


def test_a_long_two_dimensional_chain_passes_values_between_kernels():
    def f(x):
        t = x
        for _ in range(40):
            t = np.tanh(np.sin(t) * 1.001 + 0.1)
        return np.sum(t)

    x = np.random.default_rng(4).uniform(-1, 1, (3, 4))
    fast = _numba_jit(cr.grad(f))
    fast(x)
    np.testing.assert_allclose(fast(x), cr.grad(f)(x), **ULPS)
    assert "scratch0 = empty((" in fast.jitted.source(x)


def test_without_numba_the_backend_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    monkeypatch.delitem(sys.modules, "chainrule.jit.numba_backend")
    with pytest.raises(ImportError, match=r"pip install chainrule\[jit\]"):
        cr.jit(np.sin, backend="numba")


# The first case of each primitive keeps this file near a minute (numba compiles each
# new kernel in a fraction of a second); every case passes too.
FIRST_CASE_OF_EACH_PRIMITIVE = list({case.prim: case for case in CASES[::-1]}.values())[::-1]


@pytest.mark.parametrize("case", FIRST_CASE_OF_EACH_PRIMITIVE,
                         ids=[c.id for c in FIRST_CASE_OF_EACH_PRIMITIVE])
def test_value_and_gradient_equal_eager(case):
    _skip_if_eager(case)
    values = _inputs(case, np.float64)
    fast = _numba_jit(case.fn)
    for _ in range(2):  # the second call runs the compiled program
        np.testing.assert_allclose(fast(*values), case.fn(*values), **ULPS)
    wrt = _wrt(case)
    if not wrt:
        return
    cotangent = np.random.default_rng(1).standard_normal(np.shape(case.fn(*values)))
    gradient = cr.grad(_objective(case, values, cotangent), argnums=tuple(range(len(wrt))))
    primals = [values[i] for i in wrt]
    expected = gradient(*primals)
    fast = _numba_jit(gradient)
    for _ in range(2):
        for g, e in zip(fast(*primals), expected):
            np.testing.assert_allclose(g, e, **ULPS)

