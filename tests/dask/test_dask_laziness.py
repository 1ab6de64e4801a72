"""Derivatives of Dask arrays stay lazy: building them computes nothing, and computing
them gives NumPy's result; a transform of NumPy parameters over Dask data computes once."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
from dask.callbacks import Callback  # noqa: E402

from chainrule.testing import forbid_compute  # noqa: E402  (needs Dask)

X = np.array([0.3, -1.2, 2.0, 0.7, -0.4, 1.5])
DIRECTION = np.array([1.0, 0.5, -2.0, 0.0, 3.0, -1.0])


def energy(x):
    return np.sum(np.sin(x) * x ** 2) + np.log(np.sum(np.exp(x)))


def _lazy(a):
    return da.from_array(a, chunks=3)


def test_grad_of_a_dask_array_is_lazy_and_equals_numpys():
    with forbid_compute():
        gradient = cr.grad(energy)(_lazy(X))
    assert isinstance(gradient, da.Array)
    np.testing.assert_allclose(gradient.compute(), cr.grad(energy)(X), rtol=1e-12)


def test_jvp_of_a_dask_array_is_lazy_and_equals_numpys():
    with forbid_compute():
        value, tangent = cr.jvp(energy, (_lazy(X),), (_lazy(DIRECTION),))
    assert isinstance(value, da.Array) and isinstance(tangent, da.Array)
    expected_value, expected_tangent = cr.jvp(energy, (X,), (DIRECTION,))
    np.testing.assert_allclose(value.compute(), expected_value, rtol=1e-12)
    np.testing.assert_allclose(tangent.compute(), expected_tangent, rtol=1e-12)


def test_hessian_of_a_function_of_a_dask_vector_is_lazy_and_equals_numpys():
    with forbid_compute():
        hessian = cr.hessian(energy)(_lazy(X))
    assert isinstance(hessian, da.Array)
    np.testing.assert_allclose(hessian.compute(), cr.hessian(energy)(X), rtol=1e-12)


def test_backward_on_a_dask_tensor_leaves_a_lazy_grad():
    with forbid_compute():
        x = cr.Tensor(_lazy(X), requires_grad=True)
        energy(x).backward()
    assert isinstance(x.grad.data, da.Array)
    np.testing.assert_allclose(x.grad.data.compute(), cr.grad(energy)(X), rtol=1e-12)


class _CountComputes(Callback):
    """Counts graph evaluations: Dask calls ``_start`` once per compute."""

    def __init__(self):
        super().__init__()
        self.computes = 0

    def _start(self, dsk):
        self.computes += 1


def negative_log_likelihood(beta, features, outcomes):
    """Logistic regression."""
    logits = features @ beta
    return np.sum(np.logaddexp(0.0, logits) - outcomes * logits)


def test_value_and_grad_of_numpy_parameters_over_dask_data_computes_once():
    rng = np.random.default_rng(1)
    features = rng.standard_normal((40, 3))
    outcomes = (rng.uniform(size=40) < 0.5).astype(float)
    beta = np.array([0.2, -0.1, 0.4])
    counter = _CountComputes()
    with counter, dask.config.set(scheduler="synchronous"):
        value, gradient = cr.value_and_grad(negative_log_likelihood)(
            beta, da.from_array(features, chunks=(10, 3)), da.from_array(outcomes, chunks=10))
    assert counter.computes == 1
    expected_value, expected_gradient = cr.value_and_grad(negative_log_likelihood)(
        beta, features, outcomes)
    assert isinstance(gradient, np.ndarray)
    np.testing.assert_allclose(value, expected_value, rtol=1e-12)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-12)


def _largest_task_bytes(array) -> int:
    import pickle

    return max(len(pickle.dumps(task)) for task in dict(array.__dask_graph__()).values())


def test_the_gradient_of_a_sum_is_laid_out_in_the_inputs_chunks_not_built_in_memory():
    x = da.ones(1_000_000, chunks=250_000)
    with forbid_compute():
        g = cr.grad(lambda x: np.sum(-x))(x)
    assert g.chunks == x.chunks
    assert _largest_task_bytes(g) < 100_000  # no 8 MB array sent with the graph
    np.testing.assert_array_equal(g.compute(), -np.ones(1_000_000))


def test_a_hessian_over_dask_data_sends_no_array_of_the_datas_size_with_its_graph():
    rng = da.random.default_rng(0)
    X = rng.normal(size=(200_000, 4), chunks=(50_000, 4))
    y = (X[:, 0] > 0).astype(float)

    def nll(b, X, y):
        return np.sum(np.log(1 + np.exp(X @ b)) - y * (X @ b))

    with forbid_compute():
        h = cr.jacfwd(cr.grad(nll))(da.zeros(4, chunks=4), X, y)
    assert _largest_task_bytes(h) < 100_000
    Xn, yn = dask.compute(X, y)
    np.testing.assert_allclose(h.compute(), cr.hessian(nll)(np.zeros(4), Xn, yn), rtol=1e-10)


def test_printing_a_tensor_of_a_dask_array_shows_dask_summary_and_computes_nothing():
    with forbid_compute():
        t = cr.tensor(da.ones(4, chunks=2), requires_grad=True)
        text = repr(np.sin(t))
    assert text.startswith("tensor(dask.array<sin, shape=(4,)") and "grad_fn=<sin>" in text
