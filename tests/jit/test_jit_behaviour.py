"""cr.jit's contract: guards, retracing, caching, fallbacks, threads, composition."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.jit import JitWarning


class _ErrorOnJitWarning(warnings.catch_warnings):
    def __enter__(self):
        super().__enter__()
        warnings.simplefilter("error", JitWarning)


def test_both_branches_of_an_if_are_compiled_and_checked_by_a_guard():
    calls = []

    def f(x):
        calls.append(1)
        if np.sum(x) > 0:
            return np.sin(x)
        return np.cos(x) * 2.0

    fast = cr.jit(f)
    up, down = np.array([0.5, 1.0]), np.array([-0.5, -1.0])
    with _ErrorOnJitWarning():
        for x in (up, down, up, down, up * 2, down * 3):
            np.testing.assert_allclose(fast(x), f(x), rtol=0, atol=0)
    calls.clear()
    fast(up * 3)
    fast(down * 5)
    assert calls == [], "both branches were traced already: no new trace"
    assert fast.cache_info() == {"signatures": 1, "variants": 2, "eager": 0}
    assert "Retrace" in fast.source(up)


def test_a_loop_whose_trip_count_depends_on_a_value():
    def halve_until_small(x):
        while np.max(np.abs(x)) > 1.0:
            x = x / 2.0
        return x * 3.0

    fast = cr.jit(halve_until_small)
    grad = cr.jit(cr.grad(lambda x: np.sum(halve_until_small(x) ** 2)))
    with _ErrorOnJitWarning():
        for scale in (0.5, 3.0, 10.0, 3.5, 0.25):
            x = np.array([1.0, -0.7]) * scale
            np.testing.assert_allclose(fast(x), halve_until_small(x), rtol=1e-15)
            expected = cr.grad(lambda x: np.sum(halve_until_small(x) ** 2))(x)
            np.testing.assert_allclose(grad(x), expected, rtol=1e-15)
    # trip counts 0, 2, 4 (3.0 and 3.5 both need 2 halvings): three variants
    assert fast.cache_info()["variants"] == 3


def test_too_many_variants_run_eagerly_with_a_warning():
    def f(x):
        k = int(np.floor(np.sum(x)))  # a guard on an integer that changes every call
        return x * k

    fast = cr.jit(f, max_variants=3)
    for k in range(3):
        fast(np.array([k + 0.5]))
    with pytest.warns(JitWarning, match="more than 3 traced variants"):
        out = fast(np.array([7.5]))
    assert out[0] == 7.5 * 7
    assert fast.cache_info()["eager"] == 1


def test_new_shapes_and_dtypes_retrace_and_the_cache_is_bounded():
    from chainrule.jit import api

    fast = cr.jit(lambda x: np.sum(np.exp(x)))
    for n in range(1, 6):
        for dtype in (np.float64, np.float32):
            x = np.linspace(0, 1, n).astype(dtype)
            out = fast(x)
            assert out == pytest.approx(np.sum(np.exp(x)), rel=1e-6)
            assert np.asarray(out).dtype == dtype
    assert fast.cache_info()["signatures"] == 10
    for n in range(api.MAX_SIGNATURES + 5):
        fast(np.zeros(n + 10))
    assert fast.cache_info()["signatures"] == api.MAX_SIGNATURES


def test_value_and_grad_and_hessian_compiled_equal_eager():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((50, 4)), rng.integers(0, 2, 50).astype(float)

    def nll(b):
        z = X @ b
        return np.sum(np.log(1 + np.exp(z)) - y * z)

    b = rng.standard_normal(4) * 0.1
    with _ErrorOnJitWarning():
        value, gradient = cr.jit(cr.value_and_grad(nll))(b)
        hessian = cr.jit(cr.hessian(nll))(b)
    p = 1 / (1 + np.exp(-(X @ b)))
    assert value == pytest.approx(nll(b), rel=1e-14)
    np.testing.assert_allclose(gradient, X.T @ (p - y), rtol=1e-12)
    np.testing.assert_allclose(hessian, X.T @ (X * (p * (1 - p))[:, None]), rtol=1e-12)


def test_grad_of_a_jitted_function_and_jit_inside_jit():
    f = cr.jit(lambda x: np.sum(np.sin(x) ** 2))
    x = np.array([0.3, 1.2])
    np.testing.assert_allclose(cr.grad(f)(x), 2 * np.sin(x) * np.cos(x), rtol=1e-14)
    outer = cr.jit(lambda x: f(x) * 2.0)
    assert outer(x) == pytest.approx(2 * np.sum(np.sin(x) ** 2))
    t = cr.tensor(x, requires_grad=True)
    f(t).backward()
    np.testing.assert_allclose(t.grad.numpy(), 2 * np.sin(x) * np.cos(x), rtol=1e-14)


def test_static_arguments_and_python_numbers():
    def power_sum(x, p, scale):
        return np.sum(x ** p) * scale

    fast = cr.jit(power_sum, static_argnums=1)
    x = np.array([1.0, 2.0])
    assert fast(x, 3, 0.5) == pytest.approx(4.5)
    assert fast(x, 2, 2.0) == pytest.approx(10.0)
    assert fast(x, 3, 2.0) == pytest.approx(18.0)  # the float scale is traced: no retrace
    assert fast.cache_info()["signatures"] == 2


def test_untraceable_code_runs_eagerly_with_a_warning_naming_the_line():
    def f(x):
        return np.asarray(x).sum()  # converts the traced value: cannot be compiled

    fast = cr.jit(f)
    with pytest.warns(JitWarning, match=r"test_jit_behaviour.py:\d+"):
        assert fast(np.ones(3)) == 3.0
    assert fast(np.ones(3) * 2) == 6.0  # eagerly, right, no second warning
    assert fast.cache_info()["eager"] == 1


def test_an_error_in_the_function_is_the_same_error_as_eagerly():
    def f(x):
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        cr.jit(f)(np.ones(2))


def test_in_place_writes_are_compiled_in_order():
    def f(x):
        y = np.zeros_like(x)
        y[0] = x[1] * 2.0
        y[1:] += x[:-1]
        y *= 3.0
        return y

    fast = cr.jit(f)
    with _ErrorOnJitWarning():
        for x in (np.array([1.0, 2.0, 3.0]), np.array([-1.0, 5.0, 0.5])):
            np.testing.assert_array_equal(fast(x), f(x))


def test_data_dependent_shapes_are_guarded():
    def positives_sum(x):
        return np.sum(x[x > 0] ** 2)

    fast = cr.jit(positives_sum)
    for x in (np.array([1.0, -2.0, 3.0]), np.array([1.0, 2.0, 3.0]), np.array([-1.0, -2.0, 3.0])):
        assert fast(x) == pytest.approx(positives_sum(x))


def test_threads_calling_one_jitted_function_at_once():
    fast = cr.jit(cr.grad(lambda x: np.sum(np.tanh(x) ** 2)))
    errors = []

    def worker(seed):
        rng = np.random.default_rng(seed)
        for _ in range(50):
            x = rng.standard_normal(int(rng.integers(1, 4)))
            expected = 2 * np.tanh(x) * (1 - np.tanh(x) ** 2)
            if not np.allclose(fast(x), expected, rtol=1e-13):
                errors.append(seed)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_the_source_is_readable_python_that_names_numpy_functions():
    source = cr.jit(cr.grad(lambda x: np.sum(np.sin(x) * 1.0 + 0.0))).source(np.ones(3))
    assert "cos(" in source and "def " in source
    assert "multiply(" not in source.split("cos(")[0]  # x * 1.0 and + 0.0 are gone


def test_a_traced_value_kept_after_the_trace_is_refused():
    kept = []

    def f(x):
        kept.append(x)
        return x * 2.0

    cr.jit(f)(np.ones(2))
    with pytest.raises(TypeError, match="after its trace ended"):
        kept[0] + 1.0


def test_a_tensor_read_as_a_constant_is_checked_for_changes():
    model = cr.nn.Linear(3, 2)
    predict = cr.jit(model)
    x = np.linspace(-1.0, 1.0, 12).reshape(4, 3)
    with cr.no_grad(), _ErrorOnJitWarning():
        for _ in range(12):  # more updates than variants: stale ones are dropped
            predict(x)
            np.testing.assert_allclose(predict(x).numpy(), model(x).numpy(), rtol=1e-15)
            model.weight -= 0.1  # an in-place update, as an optimiser makes
        model.bias.data = np.array([5.0, -5.0])  # a new value
        np.testing.assert_allclose(predict(x).numpy(), model(x).numpy(), rtol=1e-15)
    assert predict.cache_info()["variants"] == 1


def test_drawing_from_the_global_random_generator_runs_eagerly_with_the_same_draws():
    def noisy(x):
        return x + np.random.normal(size=x.shape)

    np.random.seed(3)
    expected = [noisy(np.zeros(2)) for _ in range(3)]
    np.random.seed(3)
    fast = cr.jit(noisy)
    with pytest.warns(JitWarning, match="np.random"):
        got = [fast(np.zeros(2)) for _ in range(3)]
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)


def test_closed_over_arrays_are_read_when_traced_by_every_part_of_the_program():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])

    def f(w):
        return np.sum(np.tanh(X @ w))

    value_and_grad = cr.jit(cr.value_and_grad(f))
    w = np.array([0.1, -0.2])
    expected = cr.value_and_grad(f)(w)
    value_and_grad(w)
    X[:] = 0.0  # changed behind the compiled function's back: it keeps the traced values
    value, gradient = value_and_grad(w)
    assert value == pytest.approx(expected[0], rel=1e-15)
    np.testing.assert_allclose(gradient, expected[1], rtol=1e-15)


def test_gradient_and_hessian_in_one_function_share_their_work():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 4))

    def nll(w):
        return np.sum(np.log(1 + np.exp(X @ w)))

    both = cr.jit(lambda w: (cr.grad(nll)(w), cr.hessian(nll)(w)))
    w = rng.standard_normal(4) * 0.1
    g, h = both(w)
    np.testing.assert_allclose(g, cr.grad(nll)(w), rtol=1e-13)
    np.testing.assert_allclose(h, cr.hessian(nll)(w), rtol=1e-12)
    products = [eq for eq in both.program(w).calls()
                if eq.name == "matmul" and program_shape(both, w, eq) == (300,)]
    assert len(products) == 1  # X @ w once


def program_shape(jitted, w, eq):
    return jitted.program(w).shapes[eq.outs]


def test_an_unhashable_static_argument_is_told_apart_from_a_later_one():
    class Holder:
        __hash__ = None

        def __init__(self, v):
            self.v = v

    f = cr.jit(lambda x, h: x * h.v)
    got = [float(f(np.ones(1), Holder(float(i)))[0]) for i in range(6)]
    assert got == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_programs_share_one_copy_of_the_data_they_read_while_it_is_unchanged():
    X = np.random.default_rng(2).standard_normal((50, 3))

    def f(w):
        return np.sum(np.exp(X @ w))

    w = np.array([0.1, 0.2, -0.3])

    def data_copies(jitted):
        return {id(c) for eq in jitted.program(w).calls() for c in eq.args
                if isinstance(c, np.ndarray) and c.shape == X.shape}

    gradient, hessian = cr.jit(cr.grad(f)), cr.jit(cr.hessian(f))
    assert data_copies(gradient) == data_copies(hessian) and len(data_copies(gradient)) == 1
    X[0, 0] += 1.0  # a changed array gets a new copy for the programs traced after
    later = cr.jit(cr.grad(f))
    assert data_copies(later).isdisjoint(data_copies(gradient))
    np.testing.assert_allclose(later(w), cr.grad(f)(w), rtol=1e-14)


def test_named_tuples_of_arrays_are_traced_like_tuples():
    import collections

    Params = collections.namedtuple("Params", "scale shift")
    fast = cr.jit(lambda p, x: np.sum(p.scale * x + p.shift))
    x = np.arange(3.0)
    with _ErrorOnJitWarning():
        for scale in (1.0, 2.0, -0.5):
            p = Params(np.full(3, scale), np.ones(3))
            assert fast(p, x) == pytest.approx(np.sum(scale * x + 1.0))
    assert fast.cache_info()["variants"] == 1
