"""Reverse-mode transforms: grad, value_and_grad, elementwise_grad, vjp, jacobian, gradients."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.testing import GradientCheckError, check_grads, numerical_gradient


def test_grad_of_the_seed_example_is_seven():
    assert cr.grad(lambda x: x ** 2 + 3 * x)(2.0) == 7.0


def test_float_in_gives_float_out():
    g = cr.grad(lambda x: x ** 3)(2.0)
    assert type(g) is float and g == 12.0


def test_second_and_third_derivatives_by_nesting():
    f = lambda x: np.sin(x) * x
    x = 0.7
    assert cr.grad(cr.grad(f))(x) == pytest.approx(2 * np.cos(x) - x * np.sin(x))
    assert cr.grad(cr.grad(cr.grad(f)))(x) == pytest.approx(-3 * np.sin(x) - x * np.cos(x))


def test_third_derivative_of_tanh_matches_closed_form():
    x = 0.3
    t = np.tanh(x)
    expected = -2 * (1 - t ** 2) * (1 - 3 * t ** 2)
    assert cr.grad(cr.grad(cr.grad(np.tanh)))(x) == pytest.approx(expected, rel=1e-10)


def test_no_perturbation_confusion():
    assert cr.grad(lambda x: x * cr.grad(lambda y: x + y)(1.0))(2.0) == 1.0


def test_nested_grad_closing_over_outer_variable():
    # d/dx [ d/dy (x*y^2) at y=3 ] = d/dx [6x] = 6
    assert cr.grad(lambda x: cr.grad(lambda y: x * y ** 2)(3.0))(1.5) == pytest.approx(6.0)


def test_grad_of_array_function_matches_finite_differences():
    a = np.array([[1.0, 2.0], [0.5, -1.0]])
    f = lambda x: np.tanh(x * a).sum() + (x ** 2).sum()
    x = np.array([[0.3, -0.2], [0.1, 0.4]])
    np.testing.assert_allclose(cr.grad(f)(x), numerical_gradient(f, x), rtol=1e-6)


def test_argnums_tuple_returns_a_gradient_per_argument():
    f = lambda x, y, z: x * y ** 2 + z
    gx, gz = cr.grad(f, argnums=(0, 2))(2.0, 3.0, 4.0)
    assert (gx, gz) == (9.0, 1.0)


def test_argnums_selects_second_argument():
    assert cr.grad(lambda x, y: x * y ** 2, argnums=1)(2.0, 3.0) == 12.0


def test_pytree_input_gradients_keep_structure():
    params = {"w": np.array([1.0, 2.0]), "b": (0.5, [np.array(3.0)])}

    def f(p):
        return np.sum(p["w"] ** 2) + p["b"][0] * p["b"][1][0]

    g = cr.grad(f)(params)
    np.testing.assert_allclose(g["w"], [2.0, 4.0])
    assert g["b"][0] == pytest.approx(3.0)
    assert isinstance(g["b"][1], list)
    np.testing.assert_allclose(g["b"][1][0], 0.5)


def test_has_aux_returns_auxiliary_value_untouched():
    g, aux = cr.grad(lambda x: (x ** 2, "info"), has_aux=True)(3.0)
    assert g == 6.0 and aux == "info"


def test_value_and_grad():
    value, g = cr.value_and_grad(lambda x: np.sum(x ** 2))(np.array([1.0, 2.0]))
    assert value == pytest.approx(5.0)
    np.testing.assert_allclose(g, [2.0, 4.0])


def test_output_independent_of_input_has_zero_gradient():
    np.testing.assert_array_equal(cr.grad(lambda x: 3.0)(np.array([1.0, 2.0])), [0.0, 0.0])


def test_grad_of_non_scalar_output_is_an_error():
    with pytest.raises(TypeError, match="scalar output"):
        cr.grad(lambda x: x * 2)(np.array([1.0, 2.0]))


def test_grad_of_integer_input_is_an_error_that_says_pass_floats():
    with pytest.raises(TypeError, match="pass floats"):
        cr.grad(lambda x: x * 2)(2)


def test_float32_gradient_stays_float32():
    g = cr.grad(lambda x: np.sum(np.sin(x)))(np.ones(3, np.float32))
    assert g.dtype == np.float32


def test_elementwise_grad_of_tanh():
    x = np.linspace(-2, 2, 7)
    np.testing.assert_allclose(cr.elementwise_grad(np.tanh)(x), 1 - np.tanh(x) ** 2)


def test_vjp_returns_output_and_pullback_for_every_primal():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    out, pullback = cr.vjp(lambda x, y: x * y, np.array([1.0, 2.0]), a)
    np.testing.assert_allclose(out, a * [1.0, 2.0])
    ct = np.array([[1.0, 0.0], [0.5, 2.0]])
    gx, gy = pullback(ct)
    np.testing.assert_allclose(gx, (ct * a).sum(axis=0))
    np.testing.assert_allclose(gy, ct * [1.0, 2.0])
    gx_again, _ = pullback(ct)  # the pullback can be called again
    np.testing.assert_allclose(gx_again, gx)


def test_vjp_cotangent_shape_mismatch_is_an_error():
    _, pullback = cr.vjp(lambda x: x * 2, np.ones(3))
    with pytest.raises(ValueError, match="shape"):
        pullback(np.ones(4))


def test_jacobian_of_matrix_vector_product_is_the_matrix():
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(cr.jacobian(lambda x: a @ x)(np.ones(3)), a)


def test_jacobian_shape_is_output_shape_then_input_shape():
    jac = cr.jacobian(lambda x: np.sin(x) * 2)(np.ones((2, 2)))
    assert jac.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(jac.reshape(4, 4), np.diag(2 * np.cos(np.ones(4))))


def test_hessian_by_jacobian_of_grad_for_rosenbrock():
    def rosenbrock(x):
        return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2

    x = np.array([0.5, -0.3])
    expected = np.array([[2 - 400 * (x[1] - 3 * x[0] ** 2), -400 * x[0]],
                         [-400 * x[0], 200.0]])
    np.testing.assert_allclose(cr.jacobian(cr.grad(rosenbrock))(x), expected)


def test_gradients_does_not_touch_grad_attribute():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x ** 2).sum()
    (g,) = cr.gradients(y, [x])
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])
    assert x.grad is None


def test_gradients_with_respect_to_an_intermediate_tensor():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    y = (h ** 2).sum()
    (g,) = cr.gradients(y, h)
    np.testing.assert_allclose(g.numpy(), 2 * h.numpy())


def test_gradients_unused_input_needs_allow_unused():
    x = cr.tensor([1.0], requires_grad=True)
    z = cr.tensor([1.0], requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        cr.gradients(y, [x, z], retain_graph=True)
    assert cr.gradients(y, [x, z], allow_unused=True)[1] is None


def test_check_grads_passes_for_correct_rules():
    check_grads(lambda x, y: np.sin(x) * y ** 2, np.array([0.3, 1.2]), np.array([0.5, -0.7]),
                order=2)


def test_check_grads_names_the_entry_of_a_wrong_rule():
    @cr.primitive
    def wrong_square(x):
        return x ** 2

    wrong_square.defvjp(lambda g, ans, x: g * x)  # should be 2 * g * x
    with pytest.raises(GradientCheckError, match=r"argument 0, entry \(0,\)"):
        check_grads(wrong_square, np.array([1.0, 2.0]), order=1)


def test_user_primitive_works_under_transforms_at_second_order():
    @cr.primitive
    def cos(x):
        return np.cos(x)

    cos.defvjp(lambda g, ans, x: -g * np.sin(x))
    x = 0.4
    assert cr.grad(lambda x: cos(x) * x)(x) == pytest.approx(np.cos(x) - x * np.sin(x))
    assert cr.grad(cr.grad(cos))(x) == pytest.approx(-np.cos(x))


def test_stop_gradient_blocks_every_level():
    assert cr.grad(lambda x: x * cr.stop_gradient(x))(3.0) == 3.0


def test_checkpoint_gives_the_same_gradient():
    f = lambda x: np.sin(x) * np.exp(x)
    x = np.array([0.1, 0.5, 0.9])
    plain = cr.grad(lambda x: np.sum(f(x)))(x)
    checkpointed = cr.grad(lambda x: np.sum(cr.checkpoint(f, x)))(x)
    np.testing.assert_allclose(checkpointed, plain)


def test_transform_leaves_assignment_differentiable():
    def f(x):
        y = x * 1.0
        y[0] = x[1] ** 2
        return np.sum(y * np.array([10.0, 1.0, 1.0]))

    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(cr.grad(f)(x), [0.0, 1.0 + 10 * 2 * 2.0, 1.0])


def test_user_input_array_is_not_modified_by_assignment_inside_grad():
    def f(x):
        x[0] = 0.0
        return np.sum(x ** 2)

    x = np.array([1.0, 2.0])
    g = cr.grad(f)(x)
    np.testing.assert_allclose(x, [1.0, 2.0])
    np.testing.assert_allclose(g, [0.0, 4.0])
