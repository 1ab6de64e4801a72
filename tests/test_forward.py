"""Forward mode and nested transforms: jvp, jacfwd, hessian, hvp, linearize, check_grads."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.testing import (
    GradientCheckError,
    check_grads,
    numerical_jvp,
)


def finite_difference_jacobian(f, x):
    """Central-difference Jacobian, shape ``f(x).shape + x.shape``."""
    x = np.asarray(x, dtype=np.float64)
    columns = [numerical_jvp(f, x, e.reshape(x.shape)) for e in np.eye(x.size)]
    return np.moveaxis(np.array(columns), 0, -1).reshape(columns[0].shape + x.shape)


def rosenbrock(x):
    return np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def rosenbrock_hessian(x):
    """Closed form: tridiagonal."""
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        h[i + 1, i + 1] += 200
        h[i, i + 1] = h[i + 1, i] = -400 * x[i]
    return h


def softplus_primitive():
    """A user primitive log(1 + e^x) with both rules, written to nest."""

    @cr.primitive
    def softplus(x):
        return np.log1p(np.exp(x))

    softplus.defvjp(lambda g, ans, x: g / (1 + np.exp(-x)))
    softplus.defjvp(lambda t, ans, x: t / (1 + np.exp(-x)))
    return softplus


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# --- jvp ----------------------------------------------------------------------

def test_jvp_of_a_float_function_is_derivative_times_tangent():
    out, tangent = cr.jvp(np.sin, (0.7,), (2.0,))
    assert out == pytest.approx(np.sin(0.7))
    assert tangent == pytest.approx(2 * np.cos(0.7))


def test_jvp_of_an_array_function_matches_closed_form():
    a = np.array([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]])
    x, v = np.array([0.2, -0.4, 0.9]), np.array([1.0, 0.5, -2.0])
    out, tangent = cr.jvp(lambda x: np.tanh(a @ x), (x,), (v,))
    np.testing.assert_allclose(out, np.tanh(a @ x))
    np.testing.assert_allclose(tangent, (1 - np.tanh(a @ x) ** 2) * (a @ v), rtol=1e-12)


def test_jvp_of_a_matrix_function_matches_finite_differences():
    f = lambda x: np.exp(np.sin(x) @ x.T) / (1 + np.sum(x ** 2, axis=0))
    rng = np.random.default_rng(1)
    x, v = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    np.testing.assert_allclose(cr.jvp(f, (x,), (v,))[1], numerical_jvp(f, x, v),
                               rtol=1e-6, atol=1e-8)


def test_jvp_with_several_primals_sums_their_contributions():
    f = lambda x, y: x * y ** 2
    _, tangent = cr.jvp(f, (2.0, 3.0), (0.5, -1.0))
    assert tangent == pytest.approx(0.5 * 9.0 + 2 * 2.0 * 3.0 * -1.0)


def test_jvp_with_a_tuple_primal():
    f = lambda p: p[0] * np.sin(p[1])
    _, tangent = cr.jvp(f, ((2.0, 0.4),), ((1.0, 3.0),))
    assert tangent == pytest.approx(np.sin(0.4) + 2.0 * np.cos(0.4) * 3.0)


def test_jvp_with_a_dict_primal_and_a_dict_output_keeps_structure():
    f = lambda p: {"scaled": p["w"] * p["s"], "total": np.sum(np.exp(p["w"]))}
    w, s = np.array([0.5, -1.0]), 3.0
    out, tangent = cr.jvp(f, ({"w": w, "s": s},), ({"w": np.array([1.0, 2.0]), "s": 0.5},))
    assert set(out) == set(tangent) == {"scaled", "total"}
    np.testing.assert_allclose(tangent["scaled"], np.array([1.0, 2.0]) * s + w * 0.5)
    assert tangent["total"] == pytest.approx(np.sum(np.exp(w) * np.array([1.0, 2.0])))


def test_jvp_of_an_output_independent_of_the_input_is_zero():
    out, tangent = cr.jvp(lambda x: np.ones(3), (1.5,), (1.0,))
    np.testing.assert_array_equal(tangent, np.zeros(3))


def test_jvp_tangent_must_have_the_primal_shape():
    with pytest.raises(ValueError, match="shape"):
        cr.jvp(np.sin, (np.ones(2),), (np.ones(3),))


def test_jvp_needs_only_forward_rules():
    # True forward mode: a primitive without any VJP rule still has a JVP.
    @cr.primitive
    def sine(x):
        return np.sin(x)

    sine.defjvp(lambda t, ans, x: t * np.cos(x))
    assert cr.jvp(sine, (0.3,), (1.0,))[1] == pytest.approx(np.cos(0.3))


# --- jacfwd -------------------------------------------------------------------

def test_jacfwd_of_a_matrix_vector_product_is_the_matrix():
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(cr.jacfwd(lambda x: a @ x)(np.ones(3)), a)


def test_jacfwd_of_an_elementwise_function_is_diagonal():
    x = np.array([0.1, -0.7, 1.3])
    np.testing.assert_allclose(cr.jacfwd(np.tanh)(x), np.diag(1 - np.tanh(x) ** 2),
                               rtol=1e-12)


def test_jacfwd_of_a_float_function_is_its_derivative():
    assert cr.jacfwd(lambda x: x ** 3)(2.0) == pytest.approx(12.0)


def test_jacfwd_shape_is_output_shape_then_input_shape():
    f = lambda x: np.sum(x, axis=0) * np.array([[1.0], [2.0], [3.0], [4.0]])
    assert cr.jacfwd(f)(np.ones((2, 3))).shape == (4, 3, 2, 3)


def test_jacfwd_matches_finite_differences():
    f = lambda x: np.cos(x @ x) * x[::-1]
    x = np.random.default_rng(2).standard_normal((3, 3))
    np.testing.assert_allclose(cr.jacfwd(f)(x), finite_difference_jacobian(f, x),
                               rtol=1e-6, atol=1e-8)


def test_jacfwd_argnums_selects_the_second_argument():
    x, y = np.array([1.0, 2.0]), np.array([0.3, -0.5])
    jac = cr.jacfwd(lambda x, y: x * np.sin(y), argnums=1)(x, y)
    np.testing.assert_allclose(jac, np.diag(x * np.cos(y)))


def test_jacfwd_argnums_tuple_gives_one_jacobian_per_argument():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    jx, jy = cr.jacfwd(lambda x, y: a @ x + 2 * y, argnums=(0, 1))(np.ones(2), np.ones(2))
    np.testing.assert_array_equal(jx, a)
    np.testing.assert_array_equal(jy, 2 * np.eye(2))


def test_jacfwd_of_a_dict_argument_keeps_its_structure():
    params = {"a": np.array([1.0, 2.0]), "b": np.array([3.0, 4.0])}
    jac = cr.jacfwd(lambda p: p["a"] * p["b"])(params)
    np.testing.assert_array_equal(jac["a"], np.diag(params["b"]))
    np.testing.assert_array_equal(jac["b"], np.diag(params["a"]))


def test_jacfwd_of_a_tuple_output_gives_a_tuple_of_jacobians():
    x = np.array([1.0, 2.0])
    double, square = cr.jacfwd(lambda x: (2 * x, x ** 2))(x)
    np.testing.assert_array_equal(double, 2 * np.eye(2))
    np.testing.assert_array_equal(square, np.diag(2 * x))


def test_jacfwd_argnums_out_of_range_is_a_value_error():
    with pytest.raises(ValueError, match="argnums"):
        cr.jacfwd(lambda x: x, argnums=2)(1.0)


# --- jacfwd == jacobian on random programs ----------------------------------------

ELEMENTWISE = {
    "sin": np.sin,
    "tanh": np.tanh,
    "square": lambda z: z * z,
    "damped exp": lambda z: np.exp(0.3 * z),
    "log1p of square": lambda z: np.log1p(z * z),
    "rational": lambda z: z / (1 + z * z),
}


def random_program(seed):
    """A seeded composition of 3-6 steps on a (3, 4) input: elementwise functions,
    products, sums over an axis, matmuls with fixed matrices, indexing, concatenation."""
    rng = np.random.default_rng(seed)
    shape, steps = (3, 4), []
    for _ in range(rng.integers(3, 7)):
        kind = rng.choice(["elementwise", "product", "sum", "matmul", "index",
                           "concatenate"])
        if kind == "sum" and max(shape) == 1 or kind == "concatenate" and max(shape) > 6:
            kind = "elementwise"
        fn = ELEMENTWISE[rng.choice(list(ELEMENTWISE))]
        if kind == "elementwise":
            steps.append(fn)
        elif kind == "product":
            steps.append(lambda z, fn=fn: z * fn(z))
        elif kind == "sum":
            axis = int(rng.choice([a for a in (0, 1) if shape[a] > 1]))
            steps.append(lambda z, axis=axis: np.sum(z, axis=axis, keepdims=True))
            shape = (1, shape[1]) if axis == 0 else (shape[0], 1)
        elif kind == "matmul":
            k = int(rng.integers(1, 5))
            if rng.random() < 0.5:
                m = rng.standard_normal((k, shape[0])) / 2
                steps.append(lambda z, m=m: m @ z)
                shape = (k, shape[1])
            else:
                m = rng.standard_normal((shape[1], k)) / 2
                steps.append(lambda z, m=m: z @ m)
                shape = (shape[0], k)
        elif kind == "index":
            rows = rng.integers(0, shape[0], size=int(rng.integers(1, 4)))
            start = int(rng.integers(0, shape[1]))
            steps.append(lambda z, rows=rows, start=start: z[rows, start:])
            shape = (len(rows), shape[1] - start)
        else:
            axis = int(rng.integers(0, 2))
            steps.append(lambda z, fn=fn, axis=axis: np.concatenate([z, fn(z)], axis=axis))
            shape = (2 * shape[0], shape[1]) if axis == 0 else (shape[0], 2 * shape[1])

    def program(x):
        for step in steps:
            x = step(x)
        return x

    return program


PROGRAM_INPUT = np.random.default_rng(99).uniform(-1, 1, (3, 4))


@pytest.mark.parametrize("seed", range(30))
def test_jacfwd_equals_jacobian_on_a_random_program(seed):
    program = random_program(seed)
    np.testing.assert_allclose(cr.jacfwd(program)(PROGRAM_INPUT),
                               cr.jacobian(program)(PROGRAM_INPUT), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(30))
def test_jacfwd_of_a_random_program_matches_finite_differences(seed):
    program = random_program(seed)
    np.testing.assert_allclose(cr.jacfwd(program)(PROGRAM_INPUT),
                               finite_difference_jacobian(program, PROGRAM_INPUT),
                               rtol=1e-5, atol=1e-7)


def test_jacfwd_of_jacobian_matches_closed_form_third_order_tensor():
    x = np.array([0.4, -1.1, 2.0])
    tensor = cr.jacfwd(cr.jacobian(lambda x: np.sin(x) * x))(x)
    expected = np.zeros((3, 3, 3))
    for i in range(3):
        expected[i, i, i] = 2 * np.cos(x[i]) - x[i] * np.sin(x[i])
    np.testing.assert_allclose(tensor, expected, atol=1e-12)


# --- hessian ------------------------------------------------------------------

@pytest.mark.parametrize("x", [[-1.2, 1.0, 0.5, 2.0, -0.3], [1.0, 1.0, 1.0, 1.0, 1.0],
                               [0.0, 0.0, 0.0, 0.0, 0.0]])
def test_hessian_of_rosenbrock_matches_closed_form(x):
    x = np.array(x)
    np.testing.assert_allclose(cr.hessian(rosenbrock)(x), rosenbrock_hessian(x),
                               rtol=1e-12, atol=1e-12)


LOGISTIC_RNG = np.random.default_rng(3)
LOGISTIC_X = LOGISTIC_RNG.standard_normal((50, 4))
LOGISTIC_Y = (LOGISTIC_RNG.random(50) < 0.5).astype(float)
LOGISTIC_W = LOGISTIC_RNG.standard_normal(4) / 2


def logistic_log_likelihood(w):
    z = LOGISTIC_X @ w
    return np.sum(LOGISTIC_Y * z - np.logaddexp(0.0, z))


def test_grad_of_logistic_log_likelihood_is_xt_y_minus_p():
    p = sigmoid(LOGISTIC_X @ LOGISTIC_W)
    np.testing.assert_allclose(cr.grad(logistic_log_likelihood)(LOGISTIC_W),
                               LOGISTIC_X.T @ (LOGISTIC_Y - p), rtol=1e-12)


def test_hessian_of_logistic_log_likelihood_is_minus_xt_diag_p_one_minus_p_x():
    x, p = LOGISTIC_X, sigmoid(LOGISTIC_X @ LOGISTIC_W)
    np.testing.assert_allclose(cr.hessian(logistic_log_likelihood)(LOGISTIC_W),
                               -x.T @ np.diag(p * (1 - p)) @ x, rtol=1e-12)


def test_hessian_of_a_neural_network_loss_matches_finite_differences_of_its_gradient():
    rng = np.random.default_rng(4)
    inputs, targets = rng.standard_normal((8, 3)), rng.standard_normal(8)

    def loss(params):
        w1, b1, w2 = params[:12].reshape(3, 4), params[12:16], params[16:]
        hidden = np.tanh(inputs @ w1 + b1)
        return np.mean((hidden @ w2 - targets) ** 2)

    params = rng.standard_normal(20) / 2
    np.testing.assert_allclose(cr.hessian(loss)(params),
                               finite_difference_jacobian(cr.grad(loss), params),
                               rtol=1e-6, atol=1e-8)


def test_hessian_of_a_float_function():
    assert cr.hessian(lambda x: x ** 4)(1.5) == pytest.approx(12 * 1.5 ** 2)


def test_hessian_argnums_selects_the_second_argument():
    x, y = np.array([2.0, -1.0]), np.array([0.5, 3.0])
    h = cr.hessian(lambda x, y: np.sum(x * y ** 3), argnums=1)(x, y)
    np.testing.assert_allclose(h, np.diag(6 * x * y))


# --- hvp ----------------------------------------------------------------------

def test_hvp_equals_hessian_times_vector():
    rng = np.random.default_rng(5)
    x, v = rng.standard_normal(6), rng.standard_normal(6)
    np.testing.assert_allclose(cr.hvp(rosenbrock, x, v), cr.hessian(rosenbrock)(x) @ v,
                               rtol=1e-12)


def test_hvp_of_a_float_function():
    assert cr.hvp(lambda x: x ** 3, 2.0, 0.5) == pytest.approx(6 * 2.0 * 0.5)


def test_hvp_of_a_dict_argument_keeps_its_structure():
    # f = sum(a^2 b): H v = (2 b va + 2 a vb, 2 a va)
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    va, vb = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    result = cr.hvp(lambda p: np.sum(p["a"] ** 2 * p["b"]), {"a": a, "b": b},
                    {"a": va, "b": vb})
    np.testing.assert_allclose(result["a"], 2 * b * va + 2 * a * vb)
    np.testing.assert_allclose(result["b"], 2 * a * va)


def test_hvp_does_not_form_the_hessian():
    # The Hessian of this input would need 320 GB.
    x = np.linspace(-1.0, 1.0, 200_000)
    v = np.cos(x)
    np.testing.assert_allclose(cr.hvp(lambda x: np.sum(np.sin(x)), x, v), -np.sin(x) * v)


# --- third derivatives and nesting ------------------------------------------------

def _derivative_by_jvp(f):
    return lambda x: cr.jvp(f, (x,), (1.0,))[1]


THIRD_DERIVATIVES = {
    "grad grad grad": cr.grad(cr.grad(cr.grad(np.tanh))),
    "jvp jvp jvp": _derivative_by_jvp(_derivative_by_jvp(_derivative_by_jvp(np.tanh))),
    "jvp over grad grad": _derivative_by_jvp(cr.grad(cr.grad(np.tanh))),
    "grad over jvp over grad": cr.grad(_derivative_by_jvp(cr.grad(np.tanh))),
    "grad grad over jvp": cr.grad(cr.grad(_derivative_by_jvp(np.tanh))),
    "jacfwd over hessian": cr.jacfwd(cr.hessian(np.tanh)),
}


@pytest.mark.parametrize("name", THIRD_DERIVATIVES)
def test_third_derivative_of_tanh_matches_closed_form(name):
    x = 0.3
    t = np.tanh(x)
    expected = -2 * (1 - t ** 2) * (1 - 3 * t ** 2)
    assert THIRD_DERIVATIVES[name](x) == pytest.approx(expected, rel=1e-12)


def test_grad_has_no_perturbation_confusion():
    assert cr.grad(lambda x: x * cr.grad(lambda y: x + y)(1.0))(2.0) == 1.0


def test_jvp_has_no_perturbation_confusion():
    inner = lambda x: cr.jvp(lambda y: x + y, (1.0,), (1.0,))[1]
    assert cr.jvp(lambda x: x * inner(x), (2.0,), (1.0,))[1] == 1.0


def test_grad_over_jvp_has_no_perturbation_confusion():
    inner = lambda x: cr.jvp(lambda y: x * y, (1.0,), (1.0,))[1]  # d/dy (x y) = x
    assert cr.grad(lambda x: x * inner(x))(3.0) == 6.0


def test_jvp_over_grad_has_no_perturbation_confusion():
    inner = lambda x: cr.grad(lambda y: x * y)(1.0)  # = x
    assert cr.jvp(lambda x: x * inner(x), (3.0,), (1.0,))[1] == 6.0


# --- user primitives ----------------------------------------------------------------

def _cube_with_only_a_vjp():
    @cr.primitive
    def cube(x):
        return x ** 3

    cube.defvjp(lambda g, ans, x: 3 * g * x ** 2)
    return cube


FORWARD_TRANSFORMS = {
    "jvp": lambda f, x: cr.jvp(f, (x,), (np.ones_like(x),)),
    "jacfwd": lambda f, x: cr.jacfwd(f)(x),
    # Second order needs the tangent of cube's output: square's gradient reads it.
    "hessian": lambda f, x: cr.hessian(lambda x: np.sum(f(x) ** 2))(x),
    "hvp": lambda f, x: cr.hvp(lambda x: np.sum(f(x) ** 2), x, np.ones_like(x)),
}


@pytest.mark.parametrize("transform", FORWARD_TRANSFORMS)
def test_primitive_without_a_jvp_rule_fails_under_forward_mode_naming_it(transform):
    cube = _cube_with_only_a_vjp()
    with pytest.raises(NotImplementedError, match=r"'cube' has no forward-mode \(JVP\) rule"
                                                  r".*cube\.defjvp"):
        FORWARD_TRANSFORMS[transform](cube, np.array([1.0, 2.0]))


def test_second_order_needs_no_jvp_rule_where_no_tangent_of_its_output_is_read():
    # hessian(sum(cube(x))) differentiates cube's gradient rule 3 g x^2, which is made
    # of primitives with JVP rules; cube's own tangent is never read, so never computed.
    cube = _cube_with_only_a_vjp()
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(cr.hessian(lambda x: np.sum(cube(x)))(x), np.diag(6 * x))
    np.testing.assert_allclose(cr.hvp(lambda x: np.sum(cube(x)), x, np.ones(2)), 6 * x)


def test_primitive_with_defjvp_works_under_jvp():
    softplus = softplus_primitive()
    x, v = np.array([0.3, -1.2]), np.array([2.0, 0.5])
    out, tangent = cr.jvp(softplus, (x,), (v,))
    np.testing.assert_allclose(out, np.log1p(np.exp(x)))
    np.testing.assert_allclose(tangent, sigmoid(x) * v, rtol=1e-12)


def test_primitive_with_defjvp_works_under_jacfwd():
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(cr.jacfwd(softplus_primitive())(x), np.diag(sigmoid(x)),
                               rtol=1e-12)


def test_primitive_with_defjvp_works_under_hessian():
    softplus = softplus_primitive()
    x = np.array([0.3, -1.2])
    s = sigmoid(x)
    np.testing.assert_allclose(cr.hessian(lambda x: np.sum(softplus(x)))(x),
                               np.diag(s * (1 - s)), rtol=1e-12)


# --- check_grads ------------------------------------------------------------------

def test_check_grads_passes_in_both_modes_at_order_three_on_a_smooth_function():
    check_grads(lambda x, y: np.tanh(x @ y) * np.sin(y[0]), np.array([[0.3, -1.0, 0.5]]),
                np.array([[0.2, 0.4], [1.1, -0.6], [0.7, 0.1]]), modes=("fwd", "rev"),
                order=3)


def test_check_grads_in_forward_mode_needs_no_vjp_rules():
    @cr.primitive
    def sine(x):
        return np.sin(x)

    sine.defjvp(lambda t, ans, x: t * np.cos(x))
    check_grads(sine, np.array([0.3, 1.0]), modes=("fwd",), order=3)


def test_check_grads_names_the_argument_and_entry_of_a_wrong_jvp_rule():
    @cr.primitive
    def product(a, b):
        return a * b

    product.defvjp(lambda g, ans, a, b: g * b, lambda g, ans, a, b: g * a)
    # Right for argument 0; wrong at entry 1 of argument 1.
    product.defjvp(lambda t, ans, a, b: t * b, lambda t, ans, a, b: t * a * [1.0, 1.5])
    with pytest.raises(GradientCheckError, match=r"forward-mode derivative of order 1 with "
                       r"respect to argument 1 .*output entry \(1,\)"):
        check_grads(product, np.array([0.5, 2.0]), np.array([1.5, -1.0]), order=1)


def test_check_grads_holds_forward_mode_to_reverse_mode_more_tightly_than_to_differences():
    @cr.primitive
    def double(x):
        return 2 * x

    double.defvjp(lambda g, ans, x: 2 * g)
    double.defjvp(lambda t, ans, x: 2.001 * t)  # within rtol=1e-2 of finite differences
    with pytest.raises(GradientCheckError, match="disagrees with reverse mode"):
        check_grads(double, np.array([0.5, 2.0]), order=1, rtol=1e-2)


def test_check_grads_forward_over_reverse_catches_a_wrong_jvp_inside_a_vjp_rule():
    @cr.primitive
    def cosine(x):
        return np.cos(x)

    cosine.defvjp(lambda g, ans, x: -g * np.sin(x))
    cosine.defjvp(lambda t, ans, x: t * np.sin(x))  # wrong sign

    @cr.primitive
    def sine(x):
        return np.sin(x)

    sine.defvjp(lambda g, ans, x: g * cosine(x))
    sine.defjvp(lambda t, ans, x: t * np.cos(x))
    x = np.array([1.0, 2.0])
    check_grads(sine, x, modes=("rev",), order=2)
    with pytest.raises(GradientCheckError, match=r"order 2 \(forward over reverse\)"):
        check_grads(sine, x, modes=("fwd", "rev"), order=2)


def test_numerical_jvp_is_a_central_difference_along_the_direction():
    x, v = np.array([0.2, 1.0]), np.array([3.0, -1.0])
    np.testing.assert_allclose(numerical_jvp(np.exp, x, v), np.exp(x) * v, rtol=1e-9)


def test_check_grads_rejects_an_unknown_mode():
    with pytest.raises(ValueError, match="unknown modes"):
        check_grads(np.sin, np.array([1.0]), modes=("sideways",))


# --- linearize ----------------------------------------------------------------------

needs_linearize = pytest.mark.skipif(not hasattr(cr, "linearize"),
                                     reason="chainrule.linearize is not implemented yet")


@needs_linearize
def test_linearize_gives_the_output_and_the_jvp_function():
    f = lambda x: np.sin(x) * np.sum(x ** 2)
    x = np.array([0.4, -0.8, 1.5])
    out, f_jvp = cr.linearize(f, x)
    np.testing.assert_allclose(out, f(x))
    for v in np.random.default_rng(6).standard_normal((3, 3)):
        np.testing.assert_allclose(f_jvp(v), cr.jvp(f, (x,), (v,))[1], rtol=1e-12)


@needs_linearize
def test_linearize_function_matches_finite_differences():
    f = lambda x: np.exp(np.tanh(x))
    x, v = np.array([0.1, 0.9]), np.array([1.0, -2.0])
    np.testing.assert_allclose(cr.linearize(f, x)[1](v), numerical_jvp(f, x, v), rtol=1e-7)


def test_jacobian_of_a_tuple_output_matches_jacfwd():
    x = np.array([1.0, 2.0])
    for fwd, rev in zip(cr.jacfwd(lambda x: (2 * x, np.sum(x ** 2)))(x),
                        cr.jacobian(lambda x: (2 * x, np.sum(x ** 2)))(x)):
        np.testing.assert_array_equal(fwd, rev)


def test_hessian_with_several_argnums_gives_every_block():
    blocks = cr.hessian(lambda x, y: x ** 2 * y ** 3, argnums=(0, 1))(2.0, 3.0)
    x, y = 2.0, 3.0
    expected = ((2 * y ** 3, 6 * x * y ** 2), (6 * x * y ** 2, 6 * x ** 2 * y))
    np.testing.assert_allclose(np.array(blocks, dtype=float), np.array(expected))


def test_floats_in_give_floats_out_for_every_forward_transform():
    cube = lambda x: x ** 3
    value, slope = cr.jvp(cube, (2.0,), (1.0,))
    assert (type(value), type(slope)) == (float, float) and (value, slope) == (8.0, 12.0)
    assert type(cr.jacfwd(cube)(2.0)) is float and cr.jacfwd(cube)(2.0) == 12.0
    assert type(cr.jacobian(cube)(2.0)) is float
    assert type(cr.hessian(cube)(2.0)) is float and cr.hessian(cube)(2.0) == 12.0
    assert isinstance(cr.jacfwd(cube)(np.array(2.0)), np.ndarray)  # arrays stay arrays


def _with_aux(x):
    return np.sum(x ** 3), {"note": "kept", "double": x * 2}


@pytest.mark.parametrize("transform", ["jacfwd", "jacobian", "hessian"])
def test_has_aux_returns_aux_untraced_beside_the_derivative(transform):
    x = np.array([1.0, 2.0])
    result, aux = getattr(cr, transform)(_with_aux, has_aux=True)(x)
    expected = {"jacfwd": 3 * x ** 2, "jacobian": 3 * x ** 2, "hessian": np.diag(6 * x)}
    np.testing.assert_allclose(result, expected[transform])
    assert aux["note"] == "kept"
    assert type(aux["double"]) is np.ndarray
    np.testing.assert_array_equal(aux["double"], 2 * x)


def test_jvp_and_linearize_with_aux():
    x, v = np.array([1.0, 2.0]), np.array([1.0, -1.0])
    out, tangent, aux = cr.jvp(_with_aux, (x,), (v,), has_aux=True)
    assert out == pytest.approx(9.0) and tangent == pytest.approx(3 * 1 - 3 * 4)
    assert aux["note"] == "kept"
    out, f_jvp, aux = cr.linearize(_with_aux, x, has_aux=True)
    assert f_jvp(v) == pytest.approx(tangent) and aux["note"] == "kept"


def test_a_tangent_nobody_reads_is_never_computed():
    calls = []

    @cr.primitive
    def double(x):
        return 2 * x

    double.defvjp(lambda g, ans, x: 2 * g)
    double.defjvp(lambda t, ans, x: calls.append(1) or 2 * t)
    _, tangent = cr.jvp(lambda x: (double(x), np.sin(x))[1], (0.5,), (1.0,))
    assert tangent == pytest.approx(np.cos(0.5)) and calls == []
    _, tangent = cr.jvp(lambda x: double(x) + np.sin(x), (0.5,), (1.0,))
    assert tangent == pytest.approx(2 + np.cos(0.5)) and calls == [1]


def test_long_forward_computations_do_not_keep_every_intermediate():
    # Unread tangents wait with their inputs; past PENDING_DEPTH operations they are
    # computed, so 400 steps over 0.8 MB arrays hold a few dozen of them, not 400.
    import tracemalloc

    def steps(x):
        for _ in range(400):
            x = 0.5 * (np.sin(x) + x)
        return x

    x = np.linspace(0.0, 1.0, 100_000)
    tracemalloc.start()
    try:
        _, tangent = cr.jvp(steps, (x,), (np.ones_like(x),))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 150e6, f"peak {peak / 1e6:.0f} MB"
    numeric = (steps(x + 1e-6) - steps(x - 1e-6)) / 2e-6  # elementwise: all at once
    np.testing.assert_allclose(tangent, numeric, rtol=1e-5, atol=1e-8)
