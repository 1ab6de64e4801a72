"""cr.jit on Dask data: it runs the function eagerly, which builds Dask's own lazy graph."""

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.jit import JitWarning
from chainrule.testing import forbid_compute

da = pytest.importorskip("dask.array")

X = np.arange(12.0).reshape(4, 3) / 7.0
B = np.array([0.5, -1.0, 2.0])


def squares(b, x):
    return np.sum((x @ b) ** 2)


def test_a_jitted_function_of_a_dask_argument_gives_the_in_memory_result_every_call():
    fast = cr.jit(cr.value_and_grad(squares))
    expected_value, expected_grad = cr.value_and_grad(squares)(B, X)
    x = da.from_array(X, chunks=2)
    for _ in range(3):  # the second call once failed on the cached program
        value, grad = fast(B, x)
        np.testing.assert_allclose(value, expected_value, rtol=1e-13)
        np.testing.assert_allclose(grad, 2 * X.T @ (X @ B), rtol=1e-13)
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-13)


def test_a_jitted_gradient_of_a_dask_array_is_lazy():
    fast = cr.jit(cr.grad(lambda x: np.sum(np.sin(x) * x)))
    x = da.from_array(X, chunks=2)
    with forbid_compute():
        g = fast(x)
    assert isinstance(g, da.Array)
    np.testing.assert_allclose(g.compute(), np.cos(X) * X + np.sin(X), rtol=1e-13)


def test_a_jitted_function_closing_over_dask_data_runs_eagerly_and_says_where():
    x = da.from_array(X, chunks=2)
    fast = cr.jit(cr.value_and_grad(lambda b: squares(b, x)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = [fast(B) for _ in range(2)]
    messages = [str(w.message) for w in caught if issubclass(w.category, JitWarning)]
    assert len(messages) == 1
    assert "Dask array" in messages[0] and "test_dask_jit.py" in messages[0]
    for value, grad in results:
        np.testing.assert_allclose(value, np.sum((X @ B) ** 2), rtol=1e-13)
        np.testing.assert_allclose(grad, 2 * X.T @ (X @ B), rtol=1e-13)
