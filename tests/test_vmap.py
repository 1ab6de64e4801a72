"""cr.vmap: JAX's semantics, every primitive batched, and composition with the transforms."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import chainrule as cr

from .ops.test_conformance import CASES, _inputs, _wrt

vmap_module = sys.modules["chainrule.vmap"]
BATCH = 3


def _batch_of(case, dtype=np.float64):
    """Three examples of the case (its fixed inputs shared), and the case's in_axes."""
    examples = [_inputs(case, dtype, seed=seed) for seed in range(BATCH)]
    wrt = set(_wrt(case))
    stacked = [np.stack([e[i] for e in examples]) if i in wrt else examples[0][i]
               for i in range(len(case.args))]
    in_axes = tuple(0 if i in wrt else None for i in range(len(case.args)))
    per_example = [[e[i] if i in wrt else examples[0][i] for i in range(len(case.args))]
                   for e in examples]
    return stacked, in_axes, per_example


MAPPED_CASES = [c for c in CASES if _wrt(c)]


@pytest.mark.parametrize("case", MAPPED_CASES, ids=[c.id for c in MAPPED_CASES])
def test_vmap_of_every_case_equals_a_loop(case):
    stacked, in_axes, per_example = _batch_of(case)
    expected = np.stack([np.asarray(case.fn(*values)) for values in per_example])
    got = cr.vmap(case.fn, in_axes=in_axes)(*stacked)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", MAPPED_CASES, ids=[c.id for c in MAPPED_CASES])
def test_vmap_of_the_gradient_of_every_case_equals_a_loop(case):
    stacked, in_axes, per_example = _batch_of(case)
    wrt = _wrt(case)
    cotangent = np.random.default_rng(7).standard_normal(np.shape(case.fn(*per_example[0])))

    def loss(*values):
        return np.sum(cotangent * case.fn(*values))

    gradient = cr.grad(loss, argnums=tuple(wrt))
    expected = [gradient(*values) for values in per_example]
    got = cr.vmap(gradient, in_axes=in_axes)(*stacked)
    for k in range(len(wrt)):
        np.testing.assert_allclose(np.asarray(got[k]), np.stack([e[k] for e in expected]),
                                   rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("case", MAPPED_CASES, ids=[c.id for c in MAPPED_CASES])
def test_gradient_through_vmap_of_every_case_equals_a_loop(case):
    stacked, in_axes, per_example = _batch_of(case)
    wrt = _wrt(case)
    out_shape = np.shape(case.fn(*per_example[0]))
    cotangent = np.random.default_rng(8).standard_normal((BATCH,) + out_shape)

    def batched_loss(*mapped):
        values = list(stacked)
        for i, value in zip(wrt, mapped):
            values[i] = value
        return np.sum(cotangent * cr.vmap(case.fn, in_axes=in_axes)(*values))

    def looped_loss(*mapped):
        total = 0.0
        for b, values in enumerate(per_example):
            values = list(values)
            for i, value in zip(wrt, mapped):
                values[i] = value[b]
            total = total + np.sum(cotangent[b] * case.fn(*values))
        return total

    argnums = tuple(range(len(wrt)))
    got = cr.grad(batched_loss, argnums=argnums)(*[stacked[i] for i in wrt])
    expected = cr.grad(looped_loss, argnums=argnums)(*[stacked[i] for i in wrt])
    for g, e in zip(got, expected):
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=1e-9, atol=1e-11)


# --- the vectorised path is taken where the rules allow it ------------------------------

class _LoopCounter:
    """Counts primitives (and whole functions) that vmap had to run example by example."""

    def __init__(self, monkeypatch):
        self.primitives: list = []
        self.whole = 0
        loop_function, looped = vmap_module._loop_function, vmap_module._looped

        def counted_loop_function(function, *args, **kwargs):
            self.primitives.append(getattr(function, "name", function))
            return loop_function(function, *args, **kwargs)

        def counted_looped(*args, **kwargs):
            self.whole += 1
            return looped(*args, **kwargs)

        monkeypatch.setattr(vmap_module, "_loop_function", counted_loop_function)
        monkeypatch.setattr(vmap_module, "_looped", counted_looped)


def _mlp_loss(params, x, y):
    (w1, b1), (w2, b2) = params
    hidden = np.tanh(w1 @ x + b1)
    out = w2 @ hidden + b2
    return np.sum((out - y) ** 2) + 1e-3 * np.mean(w1 ** 2)


def _mlp(rng, sizes=(5, 8, 2)):
    return [(rng.standard_normal((n_out, n_in)) / np.sqrt(n_in), rng.standard_normal(n_out))
            for n_in, n_out in zip(sizes, sizes[1:])]


def test_per_example_gradients_equal_a_loop_of_grad_and_take_no_loop(monkeypatch):
    rng = np.random.default_rng(0)
    params, xs, ys = _mlp(rng), rng.standard_normal((16, 5)), rng.standard_normal((16, 2))
    expected = [cr.grad(_mlp_loss)(params, x, y) for x, y in zip(xs, ys)]
    counter = _LoopCounter(monkeypatch)
    got = cr.vmap(cr.grad(_mlp_loss), in_axes=(None, 0, 0))(params, xs, ys)
    assert counter.primitives == [] and counter.whole == 0
    for layer in range(2):
        for part in range(2):
            np.testing.assert_allclose(got[layer][part],
                                       np.stack([e[layer][part] for e in expected]),
                                       rtol=1e-12, atol=1e-12)


def test_grad_through_vmap_sums_the_examples():
    rng = np.random.default_rng(1)
    w, xs = rng.standard_normal((3, 4)), rng.standard_normal((6, 4))

    def f(w, x):
        return np.sum(np.sin(w @ x) ** 2)

    got = cr.grad(lambda w: cr.vmap(f, in_axes=(None, 0))(w, xs).sum())(w)
    expected = sum(cr.grad(f)(w, x) for x in xs)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    closure = cr.grad(lambda w: cr.vmap(lambda x: f(w, x))(xs).sum())(w)
    np.testing.assert_allclose(closure, expected, rtol=1e-12)


def test_grad_through_vmap_of_traced_arguments_is_batched(monkeypatch):
    rng = np.random.default_rng(4)
    w, xs = rng.standard_normal((3, 4)), rng.standard_normal((6, 4))

    def f(w, x):
        return np.sum(np.sin(w @ x) ** 2)

    counter = _LoopCounter(monkeypatch)
    got = cr.grad(lambda w: cr.vmap(f, in_axes=(None, 0))(w, xs).sum() + np.sum(w ** 2))(w)
    assert counter.whole == 0 and counter.primitives == []
    np.testing.assert_allclose(got, sum(cr.grad(f)(w, x) for x in xs) + 2 * w, rtol=1e-12)


def test_gradient_of_a_mapped_traced_input_with_out_axes():
    xs = np.random.default_rng(5).standard_normal((4, 3))

    def total(xs):
        columns = cr.vmap(lambda x: (np.sin(x) * x, np.sum(x)), in_axes=1, out_axes=(1, 0))(xs)
        return np.sum(columns[0] ** 2) + np.sum(columns[1] ** 3)

    expected = cr.grad(lambda xs: np.sum((np.sin(xs) * xs) ** 2)
                       + np.sum(np.sum(xs, axis=0) ** 3))(xs)
    np.testing.assert_allclose(cr.grad(total)(xs), expected, rtol=1e-12)


def test_hessian_and_backward_through_vmap_of_traced_arguments():
    rng = np.random.default_rng(6)
    w, xs = rng.standard_normal(3), rng.standard_normal((5, 3))

    def f(w, x):
        return np.exp(np.dot(w, x)) + np.sum(w ** 3 * x)

    hessian = cr.hessian(lambda w: cr.vmap(f, in_axes=(None, 0))(w, xs).sum())(w)
    np.testing.assert_allclose(hessian, sum(cr.hessian(f)(w, x) for x in xs), rtol=1e-12)
    tensor = cr.tensor(w, requires_grad=True)
    cr.vmap(f, in_axes=(None, 0))(tensor, xs).sum().backward()
    np.testing.assert_allclose(tensor.grad.numpy(), sum(cr.grad(f)(w, x) for x in xs),
                               rtol=1e-12)


def test_jvp_and_hessian_through_vmap_equal_loops():
    xs = np.random.default_rng(2).standard_normal((4, 3))
    t = np.ones_like(xs)
    f = cr.vmap(lambda x: np.sum(np.exp(x) * x))
    _, tangent = cr.jvp(f, (xs,), (t,))
    expected = [cr.jvp(lambda x: np.sum(np.exp(x) * x), (x,), (np.ones(3),))[1] for x in xs]
    np.testing.assert_allclose(tangent, expected, rtol=1e-12)
    hessians = cr.vmap(cr.hessian(lambda x: np.sum(np.exp(x) * x)))(xs)
    np.testing.assert_allclose(hessians, [np.diag(np.exp(x) * (x + 2)) for x in xs],
                               rtol=1e-12)


def test_jit_of_vmap_compiles_and_equals_the_loop():
    rng = np.random.default_rng(3)
    params, xs, ys = _mlp(rng), rng.standard_normal((8, 5)), rng.standard_normal((8, 2))
    compiled = cr.jit(cr.vmap(cr.grad(_mlp_loss), in_axes=(None, 0, 0)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback to eager mode warns: fail on it
        first = compiled(params, xs, ys)
        again = compiled(params, xs + 1.0, ys)
    for x_shift, got in ((0.0, first), (1.0, again)):
        expected = [cr.grad(_mlp_loss)(params, x + x_shift, y) for x, y in zip(xs, ys)]
        np.testing.assert_allclose(got[0][0], np.stack([e[0][0] for e in expected]),
                                   rtol=1e-12)


def test_python_control_flow_on_an_example_falls_back_to_a_loop():
    def f(x):
        return x * 2.0 if np.sum(x) > 0 else -x

    xs = np.array([[1.0, 2.0], [-3.0, 1.0]])
    np.testing.assert_allclose(cr.vmap(f)(xs), [[2.0, 4.0], [3.0, -1.0]])


def test_nested_vmap_gives_the_outer_product_of_batches():
    a, b = np.arange(3.0), np.arange(4.0)
    got = cr.vmap(lambda x: cr.vmap(lambda y: np.sin(x) * y)(b))(a)
    np.testing.assert_allclose(got, np.sin(a)[:, None] * b[None, :])


# --- JAX's in_axes, out_axes and axis_size -----------------------------------------------

def test_in_axes_picks_the_mapped_axis_of_each_argument():
    a = np.arange(12.0).reshape(3, 4)
    b = np.arange(3.0)
    got = cr.vmap(lambda x, y: x * y, in_axes=(1, None))(a, b)
    np.testing.assert_allclose(got, a.T * b)


def test_in_axes_prefix_of_a_pytree_and_negative_axes():
    tree = {"w": np.ones((2, 5)), "b": np.arange(5.0)}
    got = cr.vmap(lambda p: p["w"].sum() + p["b"], in_axes=({"w": -1, "b": 0},))(tree)
    np.testing.assert_allclose(got, 2.0 + np.arange(5.0))


def test_out_axes_moves_the_batch_axis_and_none_keeps_an_unmapped_output():
    xs = np.arange(6.0).reshape(2, 3)
    first, constant = cr.vmap(lambda x: (x * 2, np.float64(7.0)), out_axes=(1, None))(xs)
    np.testing.assert_allclose(first, (xs * 2).T)
    assert constant == 7.0


def test_an_output_that_ignores_the_input_is_broadcast_over_the_batch():
    np.testing.assert_allclose(cr.vmap(lambda x: np.ones(2))(np.zeros((3, 1))), np.ones((3, 2)))


def test_axis_size_when_no_input_is_mapped():
    got = cr.vmap(lambda c: c * 2, in_axes=None, axis_size=4)(np.arange(2.0))
    np.testing.assert_allclose(got, np.tile(np.arange(2.0) * 2, (4, 1)))


def test_keyword_arguments_are_mapped_over_their_leading_axis():
    got = cr.vmap(lambda x, scale: x * scale)(np.ones((3, 2)), scale=np.arange(3.0))
    np.testing.assert_allclose(got, np.arange(3.0)[:, None] * np.ones((3, 2)))


def test_tensor_inputs_give_tensor_outputs():
    got = cr.vmap(np.sin)(cr.tensor(np.zeros((2, 3))))
    assert isinstance(got, cr.Tensor) and got.shape == (2, 3)


# --- errors ----------------------------------------------------------------------------------

def test_mapped_inputs_of_different_sizes_are_an_error():
    with pytest.raises(ValueError, match="different sizes"):
        cr.vmap(lambda x, y: x + y)(np.ones(3), np.ones(4))


def test_no_mapped_input_without_axis_size_is_an_error():
    with pytest.raises(ValueError, match="axis_size"):
        cr.vmap(lambda x: x, in_axes=None)(np.ones(3))


def test_in_axes_of_the_wrong_length_is_an_error():
    with pytest.raises(ValueError, match="one entry per argument"):
        cr.vmap(lambda x, y: x, in_axes=(0,))(np.ones(3), np.ones(3))


def test_an_axis_the_input_lacks_is_an_error():
    with pytest.raises(ValueError, match="cannot map axis 1"):
        cr.vmap(lambda x: x, in_axes=1)(np.ones(3))


def test_out_axes_none_for_a_mapped_output_is_an_error():
    with pytest.raises(ValueError, match="out_axes is None"):
        cr.vmap(lambda x: x, out_axes=None)(np.ones(3))


def test_in_axes_of_the_wrong_type_is_an_error():
    with pytest.raises(TypeError, match="ints or None"):
        cr.vmap(lambda x: x, in_axes="0")


def test_a_tensor_method_without_a_batched_version_falls_back_to_a_loop():
    xs = np.arange(6.0).reshape(3, 2)
    got = cr.vmap(lambda x: cr.tensor(x).detach() * 2.0)(xs)
    np.testing.assert_allclose(np.asarray(got), xs * 2.0)


def test_a_closure_over_a_traced_value_is_differentiated_through_the_loop():
    w, xs = np.array([0.5, -1.0]), np.arange(6.0).reshape(3, 2)
    got = cr.grad(lambda w: cr.vmap(lambda x: np.sum(np.sin(w * x)))(xs).sum())(w)
    np.testing.assert_allclose(got, np.sum(xs * np.cos(w * xs), axis=0), rtol=1e-12)


def test_a_jitted_function_inside_vmap_runs_on_each_new_batch():
    f = cr.jit(lambda x: np.sin(x) * np.sum(x ** 2))
    for seed in range(20):  # batches made and freed in turn: nothing stale is reused
        xs = np.random.default_rng(seed).standard_normal((4, 3))
        np.testing.assert_allclose(cr.vmap(f)(xs),
                                   [np.sin(x) * np.sum(x ** 2) for x in xs], rtol=1e-12)
