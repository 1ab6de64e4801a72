"""@cr.custom_vjp and @cr.custom_jvp (JAX's shapes), cr.jacrev, and keyword arguments
passed through the transforms."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

import chainrule as cr


def _finite_difference(f, x, step=1e-6):
    x = np.asarray(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = step
        grad[i] = (f(x + e) - f(x - e)) / (2 * step)
    return grad


# --- custom_vjp ---------------------------------------------------------------------------

@cr.custom_vjp
def softplus(x):
    return np.log1p(np.exp(x))


def _softplus_fwd(x):
    return softplus(x), x


def _softplus_bwd(x, g):
    return (g / (1 + np.exp(-x)),)


softplus.defvjp(_softplus_fwd, _softplus_bwd)


def _softplus_reference(x):
    return np.log1p(np.exp(x))


def test_custom_vjp_uses_the_backward_rule_in_grad():
    x = np.array([-1.0, 0.5, 2.0])
    got = cr.grad(lambda x: np.sum(softplus(x)))(x)
    np.testing.assert_allclose(got, 1 / (1 + np.exp(-x)), rtol=1e-12)


def test_custom_vjp_rule_replaces_the_derivative_of_the_forward_function():
    @cr.custom_vjp
    def clipped_identity(x):
        return x

    clipped_identity.defvjp(lambda x: (x, None), lambda res, g: (np.clip(g, -1.0, 1.0),))
    got = cr.grad(lambda x: np.sum(5.0 * clipped_identity(x)))(np.zeros(3))
    np.testing.assert_allclose(got, np.ones(3))


def test_custom_vjp_works_with_backward_on_tensors():
    x = cr.tensor([0.3, -0.7], requires_grad=True)
    np.sum(softplus(x) ** 2).backward()
    expected = 2 * _softplus_reference(x.numpy()) / (1 + np.exp(-x.numpy()))
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_custom_vjp_second_order_through_a_differentiable_bwd():
    x = np.array([0.2, -1.3])
    hessian = cr.hessian(lambda x: np.sum(softplus(x)))(x)
    sigmoid = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(hessian, np.diag(sigmoid * (1 - sigmoid)), rtol=1e-10)
    second = cr.grad(lambda x: np.sum(cr.grad(lambda y: np.sum(softplus(y)))(x)))(x)
    np.testing.assert_allclose(second, sigmoid * (1 - sigmoid), rtol=1e-10)


def test_custom_vjp_forward_mode_transposes_bwd():
    x, t = np.array([0.4, -2.0]), np.array([1.0, 3.0])
    out, tangent = cr.jvp(softplus, (x,), (t,))
    np.testing.assert_allclose(out, _softplus_reference(x), rtol=1e-12)
    np.testing.assert_allclose(tangent, t / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(cr.jacfwd(softplus)(x), np.diag(1 / (1 + np.exp(-x))),
                               rtol=1e-12)


def test_custom_vjp_of_two_arguments_with_residuals():
    @cr.custom_vjp
    def product(a, b):
        return a * b

    product.defvjp(lambda a, b: (a * b, (a, b)), lambda res, g: (g * res[1], g * res[0]))
    a, b = np.array([1.0, 2.0]), np.array([3.0, -4.0])
    ga, gb = cr.grad(lambda a, b: np.sum(product(a, b) ** 2), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga, 2 * a * b * b)
    np.testing.assert_allclose(gb, 2 * a * b * a)


def test_custom_vjp_under_jit_and_vmap():
    x = np.linspace(-2.0, 2.0, 5)
    compiled = cr.jit(cr.grad(lambda x: np.sum(softplus(x))))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(compiled(x), 1 / (1 + np.exp(-x)), rtol=1e-12)
    per_row = cr.vmap(cr.grad(lambda x: np.sum(softplus(x) ** 2)))(np.stack([x, 2 * x]))
    expected = [_finite_difference(lambda v: np.sum(_softplus_reference(v) ** 2), row)
                for row in (x, 2 * x)]
    np.testing.assert_allclose(per_row, expected, rtol=1e-6)


def test_custom_vjp_without_rules_is_an_error():
    @cr.custom_vjp
    def f(x):
        return x

    with pytest.raises(TypeError, match=r"defvjp\(fwd, bwd\)"):
        f(np.ones(2))


def test_custom_vjp_bwd_returning_a_bare_array_is_an_error():
    @cr.custom_vjp
    def f(x):
        return 2 * x

    f.defvjp(lambda x: (2 * x, None), lambda res, g: 2 * g)
    with pytest.raises(TypeError, match="one cotangent per positional argument"):
        cr.grad(lambda x: np.sum(f(x)))(np.ones(2))


# --- custom_jvp ---------------------------------------------------------------------------

@cr.custom_jvp
def log1pexp(x):
    return np.log1p(np.exp(x))


@log1pexp.defjvp
def _log1pexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return log1pexp(x), t / (1 + np.exp(-x))


def test_custom_jvp_in_forward_mode():
    x, t = np.array([0.5, -3.0]), np.array([2.0, 1.0])
    out, tangent = cr.jvp(log1pexp, (x,), (t,))
    np.testing.assert_allclose(out, _softplus_reference(x), rtol=1e-12)
    np.testing.assert_allclose(tangent, t / (1 + np.exp(-x)), rtol=1e-12)


def test_custom_jvp_reverse_mode_transposes_the_rule():
    x = np.array([0.5, -3.0, 10.0])
    got = cr.grad(lambda x: np.sum(log1pexp(x) * np.arange(1.0, 4.0)))(x)
    np.testing.assert_allclose(got, np.arange(1.0, 4.0) / (1 + np.exp(-x)), rtol=1e-12)


def test_custom_jvp_rule_is_what_is_differentiated():
    @cr.custom_jvp
    def f(x):
        return np.sin(x)

    f.defjvp(lambda p, t: (f(p[0]), 10.0 * t[0]))  # deliberately not cos
    np.testing.assert_allclose(cr.grad(lambda x: np.sum(f(x)))(np.zeros(2)), [10.0, 10.0])
    np.testing.assert_allclose(cr.jvp(f, (np.zeros(2),), (np.ones(2),))[1], [10.0, 10.0])


def test_custom_jvp_hessian_matches_finite_differences():
    x = np.array([0.3, -0.8])
    hessian = cr.hessian(lambda x: np.sum(log1pexp(x) ** 2))(x)
    numeric = np.stack([_finite_difference(
        lambda v, i=i: cr.grad(lambda y: np.sum(_softplus_reference(y) ** 2))(v)[i], x)
        for i in range(2)])
    np.testing.assert_allclose(hessian, numeric, rtol=1e-6)


def test_custom_jvp_with_an_integer_argument_and_two_inputs():
    @cr.custom_jvp
    def scaled_power(x, n):
        return x ** n

    scaled_power.defjvp(lambda p, t: (p[0] ** p[1], p[1] * p[0] ** (p[1] - 1) * t[0]))
    got = cr.grad(lambda x: np.sum(scaled_power(x, 3)))(np.array([1.0, 2.0]))
    np.testing.assert_allclose(got, [3.0, 12.0])


def test_custom_jvp_rule_returning_one_value_is_an_error():
    @cr.custom_jvp
    def f(x):
        return x

    f.defjvp(lambda p, t: t[0])
    with pytest.raises(TypeError, match=r"pair \(out, tangent_out\)"):
        cr.jvp(f, (np.ones(2),), (np.ones(2),))


# --- jacrev and keyword arguments ----------------------------------------------------------

def test_jacrev_is_jacobian():
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(cr.jacrev(lambda x: np.sin(x) * x[0])(x),
                               cr.jacobian(lambda x: np.sin(x) * x[0])(x))
    np.testing.assert_allclose(cr.jacrev(lambda x: x ** 2)(x), np.diag(2 * x))


def _scaled(x, scale=1.0):
    return scale * np.sum(x ** 3)


@pytest.mark.parametrize("transform, expected", [
    (cr.grad, 2.5 * 3 * np.array([1.0, 4.0])),
    (cr.elementwise_grad, 2.5 * 3 * np.array([1.0, 4.0])),
    (cr.jacobian, 2.5 * 3 * np.array([1.0, 4.0])),
    (cr.jacrev, 2.5 * 3 * np.array([1.0, 4.0])),
    (cr.jacfwd, 2.5 * 3 * np.array([1.0, 4.0])),
    (cr.hessian, np.diag(2.5 * 6 * np.array([1.0, 2.0]))),
])
def test_transforms_pass_keyword_arguments_through(transform, expected):
    np.testing.assert_allclose(transform(_scaled)(np.array([1.0, 2.0]), scale=2.5), expected)


def test_value_and_grad_passes_keyword_arguments_through():
    value, grad = cr.value_and_grad(_scaled)(np.array([1.0, 2.0]), scale=2.5)
    assert value == pytest.approx(2.5 * 9.0)
    np.testing.assert_allclose(grad, 2.5 * 3 * np.array([1.0, 4.0]))


def test_keyword_arguments_are_not_differentiated_and_may_be_traced_outside():
    # d/ds of grad_x(s * x^3) = 3 x^2: the keyword carries an outer level's trace.
    got = cr.grad(lambda s: np.sum(cr.grad(_scaled)(np.array([1.0, 2.0]), scale=s)))(2.0)
    assert got == pytest.approx(3 * (1.0 + 4.0))


def test_custom_vjp_nondiff_argnums_pass_first_to_bwd():
    @functools.partial(cr.custom_vjp, nondiff_argnums=(0,))
    def apply(f, x):
        return f(x)

    apply.defvjp(lambda f, x: (f(x), x), lambda f, x, g: (g * 3.0 * x ** 2,))
    cube = lambda x: x ** 3  # noqa: E731
    np.testing.assert_allclose(cr.grad(lambda x: np.sum(apply(cube, x)))(np.array([1.0, 2.0])),
                               [3.0, 12.0])
    np.testing.assert_allclose(cr.jvp(lambda x: apply(cube, x), (np.array([2.0]),),
                                      (np.array([1.0]),))[1], [12.0])


def test_custom_jvp_nondiff_argnums_pass_first_to_the_rule():
    @functools.partial(cr.custom_jvp, nondiff_argnums=(1,))
    def power(x, n):
        return x ** n

    power.defjvp(lambda n, p, t: (p[0] ** n, n * p[0] ** (n - 1) * t[0]))
    np.testing.assert_allclose(cr.grad(lambda x: np.sum(power(x, 3)))(np.array([1.0, 2.0])),
                               [3.0, 12.0])
    np.testing.assert_allclose(cr.hessian(lambda x: np.sum(power(x, 3)))(np.array([2.0])),
                               [[12.0]])
