"""autograd programs' differential operators, through chainrule.compat.autograd,
checked against closed forms and finite differences."""

import warnings
from collections import OrderedDict

import numpy as onp
import pytest

import chainrule.compat.autograd as autograd
import chainrule.compat.autograd.numpy as np
from chainrule.compat.autograd import (
    checkpoint,
    deriv,
    elementwise_grad,
    grad,
    grad_and_aux,
    grad_named,
    hessian,
    hessian_tensor_product,
    hessian_vector_product,
    holomorphic_grad,
    jacobian,
    make_ggnvp,
    make_hvp,
    make_jvp,
    make_vjp,
    multigrad_dict,
    tensor_jacobian_product,
    value_and_grad,
    vector_jacobian_product,
)

X = onp.array([0.3, -1.2, 2.0])


def central_difference(f, x, step=1e-6):
    x = onp.array(x, dtype=float)
    out = onp.zeros_like(x)
    for i in onp.ndindex(x.shape):
        e = onp.zeros_like(x)
        e[i] = step
        out[i] = (f(x + e) - f(x - e)) / (2 * step)
    return out


def loss(w, x, scale=1.0):
    return scale * np.sum(np.tanh(w * x) ** 2)


def test_grad_takes_argnum_and_passes_keywords_through():
    w = onp.array([0.5, 1.5, -0.7])
    expected = central_difference(lambda v: loss(w, v, scale=2.5), X)
    assert onp.allclose(grad(loss, 1)(w, X, scale=2.5), expected, atol=1e-7)
    assert onp.allclose(grad(loss, argnum=0)(w, X), central_difference(lambda v: loss(v, X), w),
                        atol=1e-7)


def test_grad_with_a_tuple_of_argnums_gives_a_tuple():
    gw, gx = grad(lambda w, x: np.sum(w * x ** 2), (0, 1))(X, 2 * X)
    assert onp.allclose(gw, (2 * X) ** 2) and onp.allclose(gx, 2 * X * (2 * X))


def test_grad_of_a_float_is_a_float():
    assert grad(lambda x: x ** 3)(2.0) == pytest.approx(12.0)
    assert isinstance(grad(lambda x: x ** 3)(2.0), float)


def test_grad_with_respect_to_a_dict_and_a_list():
    g = grad(lambda p: p["a"] * np.sin(p["b"]))({"a": 2.0, "b": 0.5})
    assert g["a"] == pytest.approx(onp.sin(0.5)) and g["b"] == pytest.approx(2 * onp.cos(0.5))
    g = grad(lambda ws: ws[0] * ws[1] ** 2)([3.0, 2.0])
    assert g == pytest.approx([4.0, 12.0])


def test_make_vjp_returns_the_pullback_then_the_value():
    vjp, ans = make_vjp(np.sin)(X)
    assert onp.allclose(ans, onp.sin(X))
    g = onp.array([1.0, -2.0, 0.5])
    assert onp.allclose(vjp(g), g * onp.cos(X))


def test_make_vjp_of_a_second_argument():
    vjp, ans = make_vjp(lambda a, b: a * b ** 2, argnum=1)(3.0, X)
    assert onp.allclose(ans, 3.0 * X ** 2)
    assert onp.allclose(vjp(onp.ones(3)), 6.0 * X)


def test_make_jvp_is_forward_mode():
    ans, tangent = make_jvp(np.exp)(X)(onp.array([1.0, 0.0, 2.0]))
    assert onp.allclose(ans, onp.exp(X))
    assert onp.allclose(tangent, onp.exp(X) * [1.0, 0.0, 2.0])


def test_elementwise_grad_is_the_derivative_of_each_entry():
    assert onp.allclose(elementwise_grad(np.tanh)(X), 1 - onp.tanh(X) ** 2)


def test_deriv_of_a_scalar_function():
    assert deriv(np.sin)(0.7) == pytest.approx(onp.cos(0.7))


def test_value_and_grad_and_grad_and_aux():
    value, g = value_and_grad(lambda x: np.sum(x ** 3))(X)
    assert value == pytest.approx(onp.sum(X ** 3)) and onp.allclose(g, 3 * X ** 2)
    g, aux = grad_and_aux(lambda x: (np.sum(x ** 2), "note"))(X)
    assert onp.allclose(g, 2 * X) and aux == "note"


def test_holomorphic_grad_is_the_complex_derivative():
    z = 0.5 + 1.5j
    assert holomorphic_grad(lambda z: z ** 3)(z) == pytest.approx(3 * z ** 2)


def test_holomorphic_grad_warns_about_a_real_input():
    with pytest.warns(UserWarning, match="not complex"):
        holomorphic_grad(lambda z: z ** 2)(1.0)


def test_jacobian_is_shaped_output_then_input():
    A = onp.arange(6.0).reshape(2, 3)
    J = jacobian(lambda x: np.tanh(A @ x))(X)
    assert J.shape == (2, 3)
    assert onp.allclose(J, (1 - onp.tanh(A @ X) ** 2)[:, None] * A)


def test_hessian_of_a_quadratic_form_is_its_symmetric_matrix():
    A = onp.array([[2.0, 1.0, 0.0], [0.0, 3.0, -1.0], [4.0, 0.0, 1.0]])
    H = hessian(lambda x: x @ A @ x)(X)
    assert onp.allclose(H, A + A.T)


def test_hessian_products_without_the_hessian():
    def f(x):
        return np.sum(np.sin(x) * x ** 2)

    v = onp.array([1.0, -1.0, 0.5])
    H = hessian(f)(X)
    assert onp.allclose(hessian_tensor_product(f)(X, v), H @ v)
    assert hessian_vector_product is hessian_tensor_product
    hvp, gradient = make_hvp(f)(X)
    assert onp.allclose(hvp(v), H @ v)
    assert onp.allclose(gradient, central_difference(lambda x: onp.sum(onp.sin(x) * x ** 2), X),
                        atol=1e-7)


def test_tensor_jacobian_product_is_a_vector_jacobian_product():
    v = onp.array([2.0, -1.0, 3.0])
    assert onp.allclose(tensor_jacobian_product(np.sin)(X, v), v * onp.cos(X))
    assert vector_jacobian_product is tensor_jacobian_product


def test_make_ggnvp_of_a_squared_loss():
    A = onp.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]])

    def f(x):
        return np.tanh(A @ x)

    J = (1 - onp.tanh(A @ X) ** 2)[:, None] * A
    v = onp.array([1.0, 0.5, -2.0])
    assert onp.allclose(make_ggnvp(f)(X)(v), J.T @ J @ v)


def test_grad_named_and_multigrad_dict():
    def f(a, b, c=2.0):
        return a * b ** 2 * c

    assert grad_named(f, "b")(3.0, 2.0) == pytest.approx(24.0)
    grads = multigrad_dict(f)(3.0, 2.0)
    assert isinstance(grads, OrderedDict) and list(grads) == ["a", "b", "c"]
    assert [grads[k] for k in "abc"] == pytest.approx([8.0, 24.0, 12.0])


def test_grad_named_of_a_missing_name_says_which_exist():
    with pytest.raises(ValueError, match=r"no positional argument named 'z'.*\['a', 'b'\]"):
        grad_named(lambda a, b: a * b, "z")


def test_checkpoint_gives_the_same_gradient():
    def block(x, power=3):
        return np.sum(np.sin(x) ** power)

    expected = grad(block)(X, power=2)
    assert onp.allclose(grad(checkpoint(block))(X, power=2), expected)
    assert onp.allclose(expected, 2 * onp.sin(X) * onp.cos(X))


def test_an_out_of_range_argnum_names_the_count():
    with pytest.raises(IndexError, match="1 positional argument"):
        grad(np.sin, 2)(0.5)


def test_builtins_see_through_traced_values():
    seen = []

    def f(x):
        seen.append((autograd.isinstance(x, onp.ndarray), autograd.type(x) is onp.ndarray))
        return np.sum(x)

    grad(f)(X)
    assert seen == [(True, True)]
    assert autograd.tuple is tuple and autograd.dict is dict


def test_no_warning_for_an_ordinary_program():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad(lambda x: np.sum(np.exp(x)))(X)
