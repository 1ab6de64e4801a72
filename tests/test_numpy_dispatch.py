"""Plain NumPy calls on Tensors, and the chainrule.numpy drop-in namespace."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.testing import numerical_gradient


def _grad_through(fn, x):
    t = cr.tensor(x, requires_grad=True)
    out = fn(t)
    assert isinstance(out, cr.Tensor)
    out.backward()
    return t.grad.numpy()


@pytest.mark.parametrize("fn", [
    lambda x: np.sum(np.sin(x) ** 2),
    lambda x: np.mean(np.exp(x), axis=0).sum(),
    lambda x: np.sum(np.concatenate([x, x ** 2])),
    lambda x: np.einsum("ij,ij->", x, x),
    lambda x: np.sum(np.where(x > 0, x, 0.1 * x)),
    lambda x: np.sum(np.sqrt(np.sum(x ** 2, 0))),
    lambda x: np.trace(x @ x.T),
    lambda x: np.max(np.cumsum(x, axis=1)),
])
def test_numpy_functions_on_tensors_match_finite_differences(fn):
    x = np.array([[0.3, -1.2, 0.5], [0.8, 0.1, -0.4]])
    np.testing.assert_allclose(_grad_through(fn, x), numerical_gradient(fn, x), rtol=1e-6,
                               atol=1e-8)


def test_ndarray_operator_with_tensor_on_the_right_returns_a_tensor():
    a = np.array([1.0, 2.0])
    t = cr.tensor([3.0, 4.0], requires_grad=True)
    out = a * t
    assert isinstance(out, cr.Tensor)
    out.backward(np.ones(2))
    np.testing.assert_allclose(t.grad.numpy(), a)


def test_function_without_a_rule_raises_naming_it():
    t = cr.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"numpy\.unwrap"):
        np.unwrap(t)


def test_nondifferentiable_functions_return_plain_results():
    t = cr.tensor([1.0, 5.0, 3.0], requires_grad=True)
    assert np.argmax(t) == 1
    assert np.shape(t) == (3,)


def test_out_argument_with_tensor_target_records():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    np.multiply(y, 3.0, out=y)
    y.backward(np.ones(2))
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_where_argument_of_a_ufunc_is_refused():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="where="):
        np.sin(x, where=np.array([True, False]))


def test_namespace_functions_work_on_plain_arrays():
    assert cnp.sin(0.5) == np.sin(0.5)
    np.testing.assert_array_equal(cnp.zeros(3), np.zeros(3))
    assert cnp.pi == np.pi


def test_namespace_array_of_traced_scalars_is_differentiable():
    def f(a, b):
        v = cnp.array([a * b, a + b, b])
        return cnp.sum(v ** 2)

    ga, gb = cr.grad(f, argnums=(0, 1))(2.0, 3.0)
    assert ga == pytest.approx(2 * 6 * 3 + 2 * 5)
    assert gb == pytest.approx(2 * 6 * 2 + 2 * 5 + 2 * 3)


def test_autograd_style_program_runs_unchanged():
    def logistic_loss(w, x, y):
        p = 1.0 / (1.0 + cnp.exp(-cnp.dot(x, w)))
        return -cnp.sum(y * cnp.log(p) + (1 - y) * cnp.log(1 - p))

    rng = np.random.default_rng(0)
    x, y, w = rng.standard_normal((20, 3)), rng.integers(0, 2, 20), rng.standard_normal(3)
    p = 1 / (1 + np.exp(-x @ w))
    np.testing.assert_allclose(cr.grad(logistic_loss)(w, x, y), x.T @ (p - y), rtol=1e-10)


def test_matmul_and_power_wrapper_example_matches_closed_forms():
    a = cr.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    b = cr.tensor(np.array([[0.5], [-1.0]]), requires_grad=True)
    c = cr.tensor(np.array([1.5, 2.0]), requires_grad=True)
    d = cr.tensor(np.array([2.0, 3.0]), requires_grad=True)
    loss = np.sum(a @ b) + np.sum(c ** d)
    loss.backward()
    np.testing.assert_allclose(a.grad.numpy(), np.ones((2, 1)) @ b.numpy().T)
    np.testing.assert_allclose(b.grad.numpy(), a.numpy().T @ np.ones((2, 1)))
    np.testing.assert_allclose(c.grad.numpy(), d.numpy() * c.numpy() ** (d.numpy() - 1))
    np.testing.assert_allclose(d.grad.numpy(), c.numpy() ** d.numpy() * np.log(c.numpy()))


def test_stacking_hundreds_of_traced_arrays_keeps_the_gradient():
    # One primitive call with 300 traced arguments (an ODE loop's states, stacked).
    grad = cr.grad(lambda x: np.sum(np.stack([x * i for i in range(300)]) ** 2))(np.ones(2))
    np.testing.assert_allclose(grad, np.full(2, 2.0 * sum(i * i for i in range(300))))
