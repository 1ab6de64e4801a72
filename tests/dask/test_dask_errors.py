"""Bad input on Dask arrays: primitives that work on NumPy arrays only, arrays whose
chunk sizes are unknown, and NumPy and Dask operands mixed in one function."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import chainrule as cr

da = pytest.importorskip("dask.array")
from chainrule.testing import forbid_compute  # noqa: E402  (needs Dask)

RNG = np.random.default_rng(0)
X = RNG.standard_normal((12, 3))
Y = RNG.standard_normal(12)
W = np.array([0.5, -1.0, 2.0])


def _lazy(a):
    return da.from_array(a, chunks=(6,) + a.shape[1:])


def squared_error(w, x, y):
    return np.sum((x @ w - y) ** 2)


def squared_error_gradient(w, x, y):
    return 2 * x.T @ (x @ w - y)  # the closed form


# --- primitives that work on NumPy arrays only ---------------------------------------
@pytest.mark.parametrize("fn, name", [
    (lambda a: np.linalg.det(a), "det"),
    (lambda a: np.sort(a, axis=0).sum(), "sort"),
    (lambda a: np.abs(np.fft.fft(a, axis=0)).sum(), "fft"),
])
def test_a_numpy_only_primitive_names_itself_the_dask_type_and_the_fix(fn, name):
    a = _lazy(np.eye(12)[:, :12] + 0.1)
    with pytest.raises(TypeError, match=f"primitive '{name}' works on NumPy arrays only") as info:
        cr.grad(fn)(a)
    assert "dask.array.core.Array" in str(info.value)
    assert ".compute()" in str(info.value)


def test_a_numpy_only_primitive_refuses_before_computing_anything():
    with forbid_compute(), pytest.raises(TypeError, match="works on NumPy arrays only"):
        cr.tensor(_lazy(np.eye(12)), requires_grad=True).sum()  # fine: lazy
        np.linalg.inv(cr.tensor(_lazy(np.eye(12)), requires_grad=True))


def test_computing_first_is_the_fix_for_a_numpy_only_primitive():
    a = _lazy(np.eye(12) * 2.0)
    np.testing.assert_allclose(cr.grad(lambda a: np.linalg.det(a))(a.compute()),
                               np.linalg.det(np.eye(12) * 2.0) * np.eye(12) / 2.0)


def test_gradient_through_an_index_that_repeats_elements_adds_every_copy():
    x = np.arange(12.0).reshape(6, 2)
    with forbid_compute():
        gradient = cr.grad(lambda x: np.sum(x[:, np.array([1, 0, 1, 1])] ** 2))(_lazy(x))
    np.testing.assert_allclose(gradient.compute(), 2 * x * [[1, 3]])


def test_a_repeating_index_dask_cannot_assign_through_names_the_problem():
    x = _lazy(np.arange(12.0).reshape(6, 2))
    with pytest.raises(TypeError, match="repeats elements.*one 1-d integer array"):
        cr.grad(lambda x: np.sum(x[0, np.array([1, 1])] ** 2))(x)


# --- unknown chunk sizes ---------------------------------------------------------------
def _positive_part_squares(x):
    return np.sum(x[x > 0] ** 2)


def test_a_gradient_through_a_lazy_mask_selection_names_compute_chunk_sizes():
    x = _lazy(Y)
    with pytest.raises(ValueError, match=r"unknown.*compute_chunk_sizes\(\)"):
        cr.grad(_positive_part_squares)(x)


def test_broadcasting_against_an_unknown_shape_names_compute_chunk_sizes():
    selected = _lazy(Y)[_lazy(Y) > 0]
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        cr.grad(lambda b: np.sum(selected * b))(np.array(2.0))


def test_reshaping_an_unknown_shape_names_compute_chunk_sizes():
    x = _lazy(Y)
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        cr.grad(lambda x: np.sum(np.reshape(x[x > 0], (-1, 1))))(x)


def test_with_chunk_sizes_computed_the_gradient_is_numpys():
    x = _lazy(Y)
    selected = x[x > 0].compute_chunk_sizes()
    gradient = cr.grad(lambda s: np.sum(s ** 2))(selected)
    np.testing.assert_allclose(gradient.compute(), 2 * Y[Y > 0])


@pytest.mark.parametrize("data", [Y, X], ids=["vector", "matrix"])
def test_a_numpy_mask_selects_a_known_number_of_entries(data):
    mask = data > 0
    with forbid_compute():
        gradient = cr.grad(lambda x: np.sum(x[mask] ** 2))(_lazy(data))
    np.testing.assert_allclose(gradient.compute(), 2 * data * mask)


def test_assigning_through_a_numpy_mask_over_every_axis_is_differentiable():
    mask = X > 0

    def clipped(x, v):
        y = x * 1.0
        y[mask] = v * np.ones(int(mask.sum()))
        return np.sum(y ** 2)

    with forbid_compute():
        gx, gv = cr.grad(clipped, argnums=(0, 1))(_lazy(X), da.from_array(np.array(3.0)))
    np.testing.assert_allclose(gx.compute(), 2 * X * ~mask)
    np.testing.assert_allclose(gv.compute(), 2 * 3.0 * mask.sum())


# --- NumPy and Dask operands mixed ---------------------------------------------------------
def test_numpy_parameters_with_dask_data_give_numpy_values_and_gradients():
    value, gradient = cr.value_and_grad(squared_error)(W, _lazy(X), _lazy(Y))
    assert isinstance(value, float) and isinstance(gradient, np.ndarray)
    np.testing.assert_allclose(value, squared_error(W, X, Y), rtol=1e-12)
    np.testing.assert_allclose(gradient, squared_error_gradient(W, X, Y), rtol=1e-12)


def test_dask_parameters_with_numpy_data_give_a_lazy_gradient_equal_to_numpys():
    with forbid_compute():
        gradient = cr.grad(squared_error)(da.from_array(W, chunks=2), X, Y)
    assert isinstance(gradient, da.Array)
    np.testing.assert_allclose(gradient.compute(), squared_error_gradient(W, X, Y), rtol=1e-12)


@pytest.mark.parametrize("lazy_data", [True, False], ids=["dask-data", "dask-parameters"])
def test_backward_gives_each_leaf_a_gradient_of_its_own_type(lazy_data):
    w = cr.tensor(W if lazy_data else da.from_array(W, chunks=2), requires_grad=True)
    x = cr.tensor(_lazy(X) if lazy_data else X, requires_grad=True)
    squared_error(w, x, _lazy(Y) if lazy_data else Y).backward()
    residual = X @ W - Y
    assert isinstance(w.grad.data, np.ndarray if lazy_data else da.Array)
    assert isinstance(x.grad.data, da.Array if lazy_data else np.ndarray)
    np.testing.assert_allclose(np.asarray(w.grad.data), 2 * X.T @ residual, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(x.grad.data), 2 * np.outer(residual, W), rtol=1e-12)


def test_one_transform_over_numpy_and_dask_inputs_gives_each_a_gradient_of_its_own_type():
    fun = cr.value_and_grad(squared_error, argnums=(0, 1))
    value, (w_grad, x_grad) = fun(W, _lazy(X), Y)
    residual = X @ W - Y
    assert isinstance(w_grad, np.ndarray) and isinstance(x_grad, da.Array)
    assert isinstance(value, da.Array)  # it depends on a lazy input: it stays lazy
    np.testing.assert_allclose(w_grad, 2 * X.T @ residual, rtol=1e-12)
    np.testing.assert_allclose(x_grad.compute(), 2 * np.outer(residual, W), rtol=1e-12)
    np.testing.assert_allclose(value.compute(), squared_error(W, X, Y), rtol=1e-12)


def test_a_gradient_independent_of_a_dask_input_is_still_a_dask_array():
    with forbid_compute():
        gradient = cr.grad(lambda x: np.sum(x * Y))(_lazy(Y))
    assert isinstance(gradient, da.Array)
    np.testing.assert_array_equal(gradient.compute(), Y)


def test_a_user_primitive_declared_numpy_only_refuses_dask_arrays_but_not_numpys():
    @cr.primitive
    def cube(x):
        return x ** 3

    cube.defvjp(lambda g, ans, x: 3 * g * x ** 2, reads="args")
    cube.numpy_only = "it stands for a C extension"
    assert cr.grad(lambda x: np.sum(cube(x)))(np.array([2.0])) == pytest.approx(12.0)
    with pytest.raises(TypeError, match=r"primitive 'cube'.*\(it stands for a C extension\)"):
        cr.grad(lambda x: np.sum(cube(x)))(_lazy(Y))


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes are Python 3.11+")
def test_an_operation_dask_does_not_support_names_the_primitive_and_the_array_type():
    x = _lazy(np.arange(12.0).reshape(3, 4))
    with pytest.raises(NotImplementedError) as raised:
        cr.grad(lambda x: np.sum(x[[0, 2], [1, 3]]))(x)  # Dask lacks n-d fancy indexing
    (note,) = raised.value.__notes__
    assert "primitive 'getitem'" in note and "dask.array.core.Array" in note
    assert "x.compute()" in note


def test_an_error_on_numpy_arrays_gets_no_note():
    with pytest.raises(ValueError) as raised:
        cr.grad(lambda x: np.sum(x @ np.ones((3, 3))))(np.ones((3, 4)))
    assert not getattr(raised.value, "__notes__", ())
