"""Transforms of a jitted function: ``cr.grad(cr.jit(f))`` and the like run compiled.

A jitted function called on values being differentiated is one primitive whose forward
function and derivative rules are compiled programs. Each derivative equals the same
transform of the uncompiled function, and the function's Python body runs only while
a program is traced.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.jit import JitWarning

RNG = np.random.default_rng(7)
A = RNG.normal(size=(4, 3))
X = RNG.normal(size=3)


def assert_same(got, expected):
    """Equal to a few ulps, leaf by leaf, with the same shapes and dtypes."""
    got_leaves, expected_leaves = _leaves(got), _leaves(expected)
    assert len(got_leaves) == len(expected_leaves)
    for g, e in zip(got_leaves, expected_leaves):
        g, e = np.asarray(_plain(g)), np.asarray(_plain(e))
        assert (g.shape, g.dtype) == (e.shape, e.dtype)
        scale = max(1.0, float(np.max(np.abs(e), initial=0.0)))
        np.testing.assert_allclose(g, e, rtol=1e-14, atol=1e-15 * scale)


def _leaves(tree):
    if isinstance(tree, dict):
        return [leaf for key in tree for leaf in _leaves(tree[key])]
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _leaves(item)]
    return [tree]


def _plain(x):
    return x.numpy() if isinstance(x, cr.Tensor) else x


class _ErrorOnJitWarning(warnings.catch_warnings):
    def __enter__(self):
        super().__enter__()
        warnings.simplefilter("error", JitWarning)


# --- scalar functions of one array ---------------------------------------------------------
def elementwise_chain(x):
    t = x
    for _ in range(5):
        t = np.tanh(np.sin(t) * 1.001 + 0.1)
    return np.sum(t ** 2)


def through_matmul(x):
    return np.sum(np.tanh(A @ x) * (A @ x ** 2))


def reductions(x):
    return np.log(np.sum(np.exp(x))) + np.max(x * x) * np.mean(x) - np.prod(np.cos(x))


def python_if(x):
    if np.sum(x) > 0:
        return np.sum(np.exp(x) * x)
    return np.sum(x ** 3) - np.sum(np.sin(x))


SCALAR_FUNCTIONS = [elementwise_chain, through_matmul, reductions, python_if]
POINTS = {"mixed": X, "negative": -np.abs(X) - 0.5, "positive": np.abs(X) + 0.5}
TRANSFORMS = {"grad": cr.grad, "value_and_grad": cr.value_and_grad, "hessian": cr.hessian,
              "jacfwd_of_grad": lambda f: cr.jacfwd(cr.grad(f)),
              "jacobian_of_grad": lambda f: cr.jacobian(cr.grad(f))}


@pytest.mark.parametrize("f", SCALAR_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("transform", TRANSFORMS)
def test_a_transform_of_the_jitted_function_equals_it_of_the_function(f, point, transform):
    x = POINTS[point]
    with _ErrorOnJitWarning():
        compiled = TRANSFORMS[transform](cr.jit(f))(x)
    assert_same(compiled, TRANSFORMS[transform](f)(x))


@pytest.mark.parametrize("f", SCALAR_FUNCTIONS, ids=lambda f: f.__name__)
def test_jvp_of_the_jitted_function_equals_jvp_of_the_function(f):
    tangent = np.array([0.5, -1.0, 2.0])
    with _ErrorOnJitWarning():
        compiled = cr.jvp(cr.jit(f), (X,), (tangent,))
    assert_same(compiled, cr.jvp(f, (X,), (tangent,)))


@pytest.mark.parametrize("f", SCALAR_FUNCTIONS, ids=lambda f: f.__name__)
def test_backward_through_the_jitted_function_fills_grad(f):
    x = cr.tensor(X, requires_grad=True)
    with _ErrorOnJitWarning():
        y = cr.jit(f)(x)
    assert y.grad_fn is not None
    y.backward()
    assert_same(x.grad, cr.grad(f)(X))


def test_create_graph_through_the_jitted_function_gives_second_derivatives():
    x = cr.tensor(X, requires_grad=True)
    (g,) = cr.gradients(cr.jit(through_matmul)(x), [x], create_graph=True)
    np.sum(g * np.array([1.0, 2.0, 3.0])).backward()
    assert_same(x.grad, cr.hessian(through_matmul)(X) @ np.array([1.0, 2.0, 3.0]))


def test_jacfwd_and_jacobian_of_a_vector_valued_jitted_function():
    def f(x):
        return np.tanh(A @ x) * np.sum(x ** 2)

    with _ErrorOnJitWarning():
        assert_same(cr.jacfwd(cr.jit(f))(X), cr.jacfwd(f)(X))
        assert_same(cr.jacobian(cr.jit(f))(X), cr.jacobian(f)(X))


# --- orders, counting traces ------------------------------------------------------------
def counting(f):
    """``f``, and a list that grows by one each time its Python body runs."""
    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return f(*args, **kwargs)

    return counted, calls


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_the_function_body_runs_only_while_tracing(transform):
    f, calls = counting(elementwise_chain)
    differentiated = TRANSFORMS[transform](cr.jit(f))
    first = differentiated(X)
    traced = len(calls)
    assert traced > 0
    for _ in range(3):
        assert_same(differentiated(X), first)
    assert len(calls) == traced, "later calls run the compiled programs"


def test_a_gradient_traces_the_function_once_and_keeps_what_its_backward_part_reads():
    f, calls = counting(elementwise_chain)
    fast = cr.jit(f)
    assert_same(cr.grad(fast)(X), cr.grad(elementwise_chain)(X))
    assert len(calls) == 1, "one trace of vjp(f) gives the forward call and the VJP rule"
    x = cr.tensor(X, requires_grad=True)
    fast(x).backward()
    assert len(calls) == 1
    assert_same(x.grad, cr.grad(elementwise_chain)(X))


def test_each_branch_of_an_if_gets_its_own_two_part_program():
    f, calls = counting(python_if)
    gradient = cr.grad(cr.jit(f))
    for x in POINTS.values():
        assert_same(gradient(x), cr.grad(python_if)(x))
    traced = len(calls)
    for x in POINTS.values():
        assert_same(gradient(-x), cr.grad(python_if)(-x))
    assert len(calls) == traced == 2


def test_a_guard_on_the_cotangent_falls_back_to_recomputing():
    @cr.custom_vjp
    def scaled_by_sign_of_g(x):
        return x * 1.0

    def backward(_, g):
        return (g * 2.0,) if np.sum(g) > 0 else (g * 3.0,)

    scaled_by_sign_of_g.defvjp(lambda x: (x * 1.0, None), backward)
    fast = cr.jit(lambda x: scaled_by_sign_of_g(np.sin(x)))
    for sign, factor in ((1.0, 2.0), (-1.0, 3.0), (1.0, 2.0)):
        x = cr.tensor(X, requires_grad=True)
        fast(x).backward(sign * np.ones(3))
        np.testing.assert_allclose(x.grad.numpy(), sign * factor * np.cos(X), rtol=1e-15)


def test_a_retained_graph_backpropagates_twice_through_the_kept_values():
    x = cr.tensor(X, requires_grad=True)
    y = cr.jit(reductions)(x)
    y.backward(retain_graph=True)
    y.backward()
    assert_same(x.grad / 2.0, cr.grad(reductions)(X))


def test_second_and_third_derivatives_of_a_jitted_function():
    def f(s):
        return np.sum(np.sin(s * X) * np.exp(-s * X ** 2))

    counted, calls = counting(f)
    fast = cr.jit(counted)
    for order, (transformed, eager) in enumerate(
            [(cr.grad(cr.grad(fast)), cr.grad(cr.grad(f))),
             (cr.grad(cr.grad(cr.grad(fast))), cr.grad(cr.grad(cr.grad(f))))], start=2):
        assert_same(transformed(0.7), eager(0.7))
        traced = len(calls)
        assert_same(transformed(-0.3), eager(-0.3))
        assert len(calls) == traced, f"order {order} runs compiled from the second call"


def test_third_derivatives_mixing_forward_and_reverse_mode():
    fast = cr.jit(through_matmul)
    got = cr.jacfwd(cr.hessian(fast))(X)
    assert got.shape == (3, 3, 3)
    assert_same(got, cr.jacfwd(cr.hessian(through_matmul))(X))


def test_a_differentiated_jitted_function_inside_jit_again():
    f, calls = counting(reductions)
    outer = cr.jit(cr.grad(cr.jit(f)))
    assert_same(outer(X), cr.grad(reductions)(X))
    traced = len(calls)
    assert_same(outer(X * 2), cr.grad(reductions)(X * 2))
    assert len(calls) == traced
    hessian_of_grad = cr.jit(cr.jacobian(cr.grad(cr.jit(reductions))))
    assert_same(hessian_of_grad(X), cr.hessian(reductions)(X))


def test_the_hessian_of_a_jitted_likelihood_equals_its_closed_form():
    rng = np.random.default_rng(3)
    features = rng.normal(size=(200, 4))
    labels = (rng.uniform(size=200) < 0.5).astype(float)
    b = rng.normal(size=4) * 0.3

    def nll(b):
        z = features @ b
        return np.sum(np.log(1 + np.exp(z)) - labels * z)

    p = 1 / (1 + np.exp(-(features @ b)))
    with _ErrorOnJitWarning():
        hessian = cr.hessian(cr.jit(nll))(b)
    np.testing.assert_allclose(hessian, features.T @ (features * (p * (1 - p))[:, None]),
                               rtol=1e-12)


def test_a_batch_times_a_scaled_product_multiplies_the_long_dimension_once():
    # ((T @ C) * s) @ D, a Hessian's X^T diag(w) X when the basis T is an input,
    # becomes T @ ((C * s) @ D): no (rows of T) x (long dimension) product.
    long = RNG.normal(size=(3, 50))

    def scaled_gram(basis, w):
        return ((basis @ long) * np.exp(w)) @ long.T

    fast = cr.jit(scaled_gram)
    basis, w = np.eye(3), RNG.normal(size=50)
    np.testing.assert_allclose(fast(basis, w), (long * np.exp(w)) @ long.T, rtol=1e-13)
    source = fast.source(basis, w)
    assert source.count("matmul(") == 2
    assert "matmul(v0" in source.splitlines()[-2], source


# --- arguments and outputs ----------------------------------------------------------------
def model(params, x, *, scale):
    hidden = np.tanh(x @ params["w"] + params["b"])
    return {"loss": np.sum(hidden ** 2) * scale,
            "parts": (hidden, np.argmax(hidden))}


def test_pytrees_of_arguments_and_outputs():
    params = {"w": A, "b": X}
    x = RNG.normal(size=(5, 4))

    def total(m, p):
        out = m(p, x, scale=0.5)
        return out["loss"] + np.sum(out["parts"][0] * np.arange(3.0))

    fast = cr.jit(model)
    with _ErrorOnJitWarning():
        assert_same(cr.grad(lambda p: total(fast, p))(params),
                    cr.grad(lambda p: total(model, p))(params))
        out = fast({"w": cr.tensor(A, requires_grad=True), "b": X}, x, scale=0.5)
    assert int(out["parts"][1]) == int(model(params, x, scale=0.5)["parts"][1])
    assert_same(out["parts"][0], model(params, x, scale=0.5)["parts"][0])


def test_several_differentiated_arguments_keywords_and_static_arguments():
    def f(a, power, b, *, c):
        return np.sum(a ** power * np.sin(b) * c)

    fast = cr.jit(f, static_argnums=1)
    c = np.array([1.0, -2.0, 0.5])
    for power in (2, 3):
        assert_same(cr.grad(fast, argnums=(0, 2))(X, power, 2 * X, c=c),
                    cr.grad(f, argnums=(0, 2))(X, power, 2 * X, c=c))
        assert_same(cr.jvp(lambda a, b, p=power: fast(a, p, b, c=c), (X, X), (c, X)),
                    cr.jvp(lambda a, b, p=power: f(a, p, b, c=c), (X, X), (c, X)))


def test_keyword_arguments_in_another_order_reach_their_parameters():
    def f(x, *, scale, shift):
        return np.sum(x * scale + shift ** 2 * x)

    fast = cr.jit(f)
    scale, shift = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 4.0])
    cr.grad(fast)(X, scale=scale, shift=shift)
    assert_same(cr.grad(fast)(X, shift=shift, scale=scale), scale + shift ** 2)


def test_float32_stays_float32():
    x = X.astype(np.float32)
    gradient = cr.grad(cr.jit(elementwise_chain))(x)
    assert gradient.dtype == np.float32
    np.testing.assert_allclose(gradient, cr.grad(elementwise_chain)(x), rtol=1e-6)


def test_an_array_changed_after_the_forward_call_does_not_change_the_gradient():
    data = np.array([1.0, 2.0, 3.0])
    x = cr.tensor(X, requires_grad=True)
    y = cr.jit(lambda x, d: np.sum(x * d))(x, data)
    data[:] = 0.0
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 3.0])


def test_a_closure_over_a_differentiated_value_keeps_its_derivative():
    def outer(w):
        return cr.grad(cr.jit(lambda x: np.sum(x ** 2 * w)))(X)[0]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JitWarning)
        got = cr.grad(outer)(np.array([3.0, -1.0, 2.0]))
    np.testing.assert_array_equal(got, [2 * X[0], 0.0, 0.0])


def test_threads_differentiating_one_jitted_function_at_once():
    fast = cr.jit(python_if)
    points = [X * scale for scale in (-2.0, -1.0, 1.0, 2.0)]
    errors = []

    def differentiate(x):
        try:
            for _ in range(20):
                assert_same(cr.grad(fast)(x), cr.grad(python_if)(x))
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=differentiate, args=(x,)) for x in points]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


# --- functions that cannot be compiled ------------------------------------------------
def test_a_function_that_cannot_be_traced_is_differentiated_eagerly_with_one_warning():
    def noisy(x):
        return np.sum(x ** 2) + 0.0 * np.random.normal()

    fast = cr.jit(noisy)
    with pytest.warns(JitWarning, match="draws from np.random"):
        first = cr.grad(fast)(X)
    with _ErrorOnJitWarning():
        second = cr.grad(fast)(X)
    np.testing.assert_array_equal(first, 2 * X)
    np.testing.assert_array_equal(second, 2 * X)
