"""The simplifying passes: each keeps values equal and removes the work it says."""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule.jit import passes


def _calls(jitted, *args) -> list[str]:
    return [eq.name for eq in jitted.program(*args).calls()]


def test_the_logistic_hessian_multiplies_the_big_tangent_batch_once():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 5))
    y = (rng.random(400) < 0.5).astype(float)

    def nll(w):
        z = X @ w
        return np.sum(np.log(1 + np.exp(z)) - y * z)

    w = rng.standard_normal(5) * 0.2
    compiled = cr.jit(cr.hessian(nll))
    p = 1 / (1 + np.exp(-(X @ w)))
    np.testing.assert_allclose(compiled(w), X.T @ (X * (p * (1 - p))[:, None]), rtol=1e-12)
    program = compiled.program(w)
    big = [eq for eq in program.calls()
           if eq.name not in ("matmul",) and np.prod(program.shapes[eq.outs]) >= 5 * 400]
    assert len(big) == 1, [eq.name for eq in big]  # the one product T * (scale)


def test_common_subexpressions_and_identities_are_removed():
    def f(x):
        return np.sin(x) * 1.0 + np.sin(x) + 0.0 + x ** 1

    compiled = cr.jit(f)
    x = np.array([0.2, 0.7])
    np.testing.assert_allclose(compiled(x), 2 * np.sin(x) + x, rtol=1e-15)
    assert _calls(compiled, x) == ["sin", "add", "add"]


def test_dead_code_is_removed_and_a_gradient_skips_the_value():
    def f(x):
        unused = np.exp(x) @ np.ones(2)  # noqa: F841
        return np.sum(np.sin(x))

    names = _calls(cr.jit(cr.grad(f)), np.array([0.1, 0.2]))
    assert names == ["cos"]


def test_buffers_of_big_dead_intermediates_are_reused():
    n = passes.REUSE_ABOVE
    x = np.linspace(0.0, 1.0, n)

    def f(x):
        return np.tanh(np.exp(np.sin(x)) + 1.0)

    compiled = cr.jit(f)
    np.testing.assert_allclose(compiled(x), f(x), rtol=0, atol=0)
    reused = [eq for eq in compiled.program(x).calls() if "out" in eq.kwargs]
    assert len(reused) == 3  # exp, add and tanh write into the array before them
    assert not np.shares_memory(compiled(x), x)  # never into an input


def test_a_returned_intermediate_is_not_overwritten():
    n = passes.REUSE_ABOVE
    x = np.linspace(0.0, 1.0, n)

    def f(x):
        s = np.sin(x)
        return s, np.exp(s)

    compiled = cr.jit(f)
    compiled(x)
    s, e = compiled(x)  # the compiled program
    np.testing.assert_array_equal(s, np.sin(x))
    np.testing.assert_array_equal(e, np.exp(np.sin(x)))
