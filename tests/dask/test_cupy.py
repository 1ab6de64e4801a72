"""The same rules on CuPy (GPU) arrays: values and gradients stay on the device and
equal NumPy's; NumPy-only primitives refuse CuPy arrays. Skipped without CuPy or a GPU."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

cp = pytest.importorskip("cupy")
try:
    if cp.cuda.runtime.getDeviceCount() < 1:
        pytest.skip("no GPU", allow_module_level=True)
except Exception:  # CUDA driver or runtime missing
    pytest.skip("no usable GPU", allow_module_level=True)

X = np.array([[0.3, -1.2, 2.0], [0.7, -0.4, 1.5]])


def energy(x):
    return np.sum(np.tanh(x) * x ** 2) + np.log(np.sum(np.exp(x)))


def test_grad_of_a_cupy_array_is_a_cupy_array_equal_to_numpys():
    gradient = cr.grad(energy)(cp.asarray(X))
    assert isinstance(gradient, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(gradient), cr.grad(energy)(X), rtol=1e-12)


def test_jvp_of_a_cupy_array_stays_on_the_device():
    direction = np.ones_like(X)
    _, tangent = cr.jvp(energy, (cp.asarray(X),), (cp.asarray(direction),))
    assert isinstance(tangent, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(tangent), cr.jvp(energy, (X,), (direction,))[1],
                               rtol=1e-12)


def test_backward_on_a_cupy_tensor_gives_a_cupy_grad():
    x = cr.Tensor(cp.asarray(X), requires_grad=True)
    energy(x[:, 1:] + x[:, :1]).backward()
    assert isinstance(x.grad.data, cp.ndarray)


def test_a_numpy_only_primitive_refuses_a_cupy_array():
    with pytest.raises(TypeError, match="works on NumPy arrays only.*cupy"):
        cr.grad(lambda a: np.linalg.det(a))(cp.asarray(np.eye(3)))
