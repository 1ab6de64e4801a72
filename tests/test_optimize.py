"""chainrule.optimize: SciPy's minimize, least_squares and root with exact derivatives."""

import sys

import numpy as np
import pytest

pytest.importorskip("scipy")
import scipy.optimize  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule import optimize  # noqa: E402

HESSIAN_METHODS = ["Newton-CG", "dogleg", "trust-ncg", "trust-krylov", "trust-exact",
                   "trust-constr"]


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosen_hessian(x):
    """The Rosenbrock Hessian in two dimensions, by hand."""
    return np.array([[1200 * x[0] ** 2 - 400 * x[1] + 2, -400 * x[0]],
                     [-400 * x[0], 200.0]])


def spy_on(monkeypatch, name):
    """Replace scipy.optimize.<name> by a wrapper that records what it was given."""
    calls = []
    original = getattr(scipy.optimize, name)

    def recording(*args, **kwargs):
        calls.append({"fun": args[0] if args else kwargs.get("fun"), **kwargs})
        return original(*args, **kwargs)

    monkeypatch.setattr(scipy.optimize, name, recording)
    return calls


def test_rosenbrock_minimum_is_found_by_bfgs():
    result = optimize.minimize(rosen, np.array([-1.2, 1.0]))
    assert result.success
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-5)


def test_bfgs_is_given_the_exact_gradient_with_the_value(monkeypatch):
    calls = spy_on(monkeypatch, "minimize")
    optimize.minimize(rosen, np.array([-1.2, 1.0]))
    assert calls[0]["jac"] is True
    x = np.array([0.3, -0.7])
    value, gradient = calls[0]["fun"](x)
    expected = [-400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]), 200 * (x[1] - x[0] ** 2)]
    assert value == pytest.approx(100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2, rel=1e-14)
    np.testing.assert_allclose(gradient, expected, rtol=1e-12)


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B", "CG", "SLSQP", "TNC"])
def test_quadratic_minimiser_matches_the_linear_solve(method):
    rng = np.random.default_rng(0)
    m = rng.standard_normal((5, 5))
    a, b = m @ m.T + 5 * np.eye(5), rng.standard_normal(5)
    result = optimize.minimize(lambda x: 0.5 * x @ a @ x - b @ x, np.zeros(5), method=method)
    np.testing.assert_allclose(result.x, np.linalg.solve(a, b), atol=1e-5)


@pytest.mark.parametrize("method", HESSIAN_METHODS)
def test_every_hessian_method_reaches_the_rosenbrock_minimum(method):
    result = optimize.minimize(rosen, np.array([-1.2, 1.0]), method=method, tol=1e-8)
    assert result.success
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-6)
    assert result.nhev > 0


@pytest.mark.parametrize("method", HESSIAN_METHODS)
def test_hessian_methods_receive_the_exact_hessian(monkeypatch, method):
    calls = spy_on(monkeypatch, "minimize")
    optimize.minimize(rosen, np.array([-1.2, 1.0]), method=method)
    assert calls[0]["hessp"] is None
    x = np.array([0.4, 1.7])
    np.testing.assert_allclose(calls[0]["hess"](x), rosen_hessian(x), rtol=1e-12)


def test_hessian_vector_products_are_exact_when_forced(monkeypatch):
    calls = spy_on(monkeypatch, "minimize")
    result = optimize.minimize(rosen, np.array([-1.2, 1.0]), method="Newton-CG", hessp=True)
    assert calls[0]["hess"] is None
    x, v = np.array([0.4, 1.7]), np.array([0.3, -2.0])
    np.testing.assert_allclose(calls[0]["hessp"](x, v), rosen_hessian(x) @ v, rtol=1e-12)
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-4)


def test_many_parameters_get_hessian_vector_products(monkeypatch):
    calls = spy_on(monkeypatch, "minimize")
    size = optimize.HESSP_ABOVE + 1
    result = optimize.minimize(lambda x: np.sum((x - 2.0) ** 4 + x ** 2), np.zeros(size),
                               method="trust-ncg")
    assert calls[0]["hess"] is None and calls[0]["hessp"] is not None
    # d/dx [(x - 2)^4 + x^2] = 4 (x - 2)^3 + 2 x = 0 has a single real root
    root = scipy.optimize.brentq(lambda t: 4 * (t - 2) ** 3 + 2 * t, 0.0, 2.0)
    np.testing.assert_allclose(result.x, np.full(size, root), atol=1e-6)


def test_few_parameters_get_the_full_hessian(monkeypatch):
    calls = spy_on(monkeypatch, "minimize")
    optimize.minimize(rosen, np.zeros(3), method="trust-ncg")
    assert calls[0]["hess"] is not None and calls[0]["hessp"] is None


def test_forcing_a_hessian_on_a_first_order_method_is_an_error():
    with pytest.raises(ValueError, match="does not use second derivatives"):
        optimize.minimize(rosen, np.zeros(2), method="BFGS", hess=True)


def test_hessian_vector_products_for_a_full_hessian_method_is_an_error():
    with pytest.raises(ValueError, match="needs the full Hessian"):
        optimize.minimize(rosen, np.zeros(2), method="dogleg", hessp=True)


def test_a_scipy_hessian_strategy_is_passed_through(monkeypatch):
    calls = spy_on(monkeypatch, "minimize")
    result = optimize.minimize(rosen, np.array([-1.2, 1.0]), method="trust-constr",
                               hess=scipy.optimize.BFGS())
    assert isinstance(calls[0]["hess"], scipy.optimize.BFGS)
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-3)


def test_pytree_start_is_restored_in_the_result():
    def loss(p):
        a, (b, c) = p["a"], p["pair"]
        return (a - 1.5) ** 2 + np.sum((b + 2.0) ** 2) + np.sum((c - np.arange(3.0)) ** 2)

    start = {"a": 0.0, "pair": (np.zeros((2, 2)), np.zeros(3))}
    result = optimize.minimize(loss, start)
    assert isinstance(result.x["a"], float) and isinstance(result.x["pair"], tuple)
    assert result.x["a"] == pytest.approx(1.5, abs=1e-6)
    np.testing.assert_allclose(result.x["pair"][0], np.full((2, 2), -2.0), atol=1e-6)
    np.testing.assert_allclose(result.x["pair"][1], [0.0, 1.0, 2.0], atol=1e-6)
    np.testing.assert_allclose(result.x_flat, [1.5, -2, -2, -2, -2, 0, 1, 2], atol=1e-6)
    assert result.jac["pair"][0].shape == (2, 2)


def test_a_float_start_gives_a_float_minimiser():
    result = optimize.minimize(lambda t: (t - 0.25) ** 2 + np.cos(t) * 0.0, 3.0)
    assert isinstance(result.x, float)
    assert result.x == pytest.approx(0.25, abs=1e-7)


def test_extra_arguments_reach_the_objective():
    target = np.array([3.0, -1.0])
    result = optimize.minimize(lambda x, t, w: w * np.sum((x - t) ** 2), np.zeros(2),
                               args=(target, 2.0))
    np.testing.assert_allclose(result.x, target, atol=1e-6)


def test_callback_receives_the_users_structure():
    seen = []
    optimize.minimize(lambda p: (p["x"] - 1.0) ** 2, {"x": 0.0},
                      callback=lambda p: seen.append(p))
    assert seen and all(isinstance(p, dict) and isinstance(p["x"], float) for p in seen)


def test_new_style_callback_receives_the_users_structure():
    seen = []

    def callback(intermediate_result):
        seen.append(intermediate_result)

    optimize.minimize(lambda p: (p["x"] - 1.0) ** 2, {"x": 0.0}, callback=callback)
    assert seen and isinstance(seen[-1].x, dict) and seen[-1].x_flat.shape == (1,)


def test_dict_constraints_see_the_structure_and_get_exact_jacobians():
    # minimise (x - 2)^2 + (y - 1)^2 subject to x + y = 1: the projection is (1, 0)
    result = optimize.minimize(lambda p: (p["x"] - 2.0) ** 2 + (p["y"] - 1.0) ** 2,
                               {"x": 0.0, "y": 0.0}, method="SLSQP",
                               constraints={"type": "eq", "fun": lambda p: p["x"] + p["y"] - 1})
    assert result.x["x"] == pytest.approx(1.0, abs=1e-7)
    assert result.x["y"] == pytest.approx(0.0, abs=1e-7)


def test_finite_differences_instead_when_jac_is_false(monkeypatch):
    calls = spy_on(monkeypatch, "minimize")
    result = optimize.minimize(rosen, np.array([-1.2, 1.0]), jac=False)
    assert not calls[0]["jac"]
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-4)


def test_gradient_free_methods_get_no_gradient(recwarn):
    result = optimize.minimize(rosen, np.array([-1.2, 1.0]), method="Nelder-Mead",
                               options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 5000})
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-5)
    assert not [w for w in recwarn if "does not use gradient" in str(w.message)]


def test_a_non_scalar_objective_is_an_error_naming_least_squares():
    with pytest.raises(ValueError, match="scalar.*least_squares"):
        optimize.minimize(lambda x: x ** 2, np.ones(3))


def test_an_integer_start_is_an_error_naming_the_fix():
    with pytest.raises(TypeError, match=r"integer.*dtype=float"):
        optimize.minimize(rosen, np.array([1, 2]))


def test_an_integer_leaf_of_a_pytree_is_named():
    with pytest.raises(TypeError, match="leaf 1 of x0 is integer"):
        optimize.minimize(lambda p: p[0] ** 2 + p[1] ** 2, (1.0, 2))


def test_a_non_finite_start_is_an_error():
    with pytest.raises(ValueError, match="fun\\(x0\\) is nan"), np.errstate(invalid="ignore"):
        optimize.minimize(lambda x: np.sum(np.log(x)), np.array([-1.0, 1.0]))


def test_least_squares_recovers_exponential_decay():
    t = np.linspace(0.0, 4.0, 50)
    y = 2.5 * np.exp(-1.3 * t) + 0.4

    def residuals(p):
        return p["amplitude"] * np.exp(-p["rate"] * t) + p["offset"] - y

    result = optimize.least_squares(residuals, {"amplitude": 1.0, "rate": 0.5, "offset": 0.0},
                                    xtol=1e-15, ftol=1e-15, gtol=1e-15)
    assert result.x["amplitude"] == pytest.approx(2.5, rel=1e-9)
    assert result.x["rate"] == pytest.approx(1.3, rel=1e-9)
    assert result.x["offset"] == pytest.approx(0.4, rel=1e-9)


def test_least_squares_jacobian_is_exact(monkeypatch):
    calls = spy_on(monkeypatch, "least_squares")
    t = np.linspace(0.0, 4.0, 50)
    optimize.least_squares(lambda p: p[0] * np.exp(-p[1] * t), np.array([1.0, 0.5]))
    p = np.array([2.0, 0.7])
    expected = np.column_stack([np.exp(-p[1] * t), -p[0] * t * np.exp(-p[1] * t)])
    np.testing.assert_allclose(calls[0]["jac"](p), expected, rtol=1e-12)


def test_least_squares_uses_forward_mode_for_few_parameters(monkeypatch):
    used = []
    monkeypatch.setattr(optimize, "jacfwd", lambda f: used.append("fwd") or cr.jacfwd(f))
    monkeypatch.setattr(optimize, "jacobian", lambda f: used.append("rev") or cr.jacobian(f))
    optimize.least_squares(lambda p: p * np.arange(1.0, 9.0)[:, None], np.ones(2))
    optimize.least_squares(lambda p: p[:2] ** 2 - 1.0, np.full(5, 3.0))
    assert used == ["fwd", "rev"]


def test_root_of_a_nonlinear_system_matches_the_known_root():
    # x^2 + y^2 = 5 and x y = 2: the root near (0.8, 2.2) is (1, 2)
    def equations(p):
        x, y = p["x"], p["y"]
        return np.stack([x ** 2 + y ** 2 - 5.0, x * y - 2.0])

    result = optimize.root(equations, {"x": 0.8, "y": 2.2})
    assert result.success
    assert result.x["x"] == pytest.approx(1.0, rel=1e-10)
    assert result.x["y"] == pytest.approx(2.0, rel=1e-10)


def test_root_passes_the_exact_jacobian(monkeypatch):
    calls = spy_on(monkeypatch, "root")
    optimize.root(lambda v: np.array([1.0, 0.0]) * v[0] ** 3 + np.array([0.0, 1.0]) * v[1]
                  - 1.0, np.array([2.0, 2.0]))
    np.testing.assert_allclose(calls[0]["jac"](np.array([2.0, 5.0])), [[12.0, 0.0],
                                                                      [0.0, 1.0]])


def test_root_needs_as_many_equations_as_unknowns():
    with pytest.raises(ValueError, match="as many equations as unknowns"):
        optimize.root(lambda x: np.stack([x[0], x[1], x[0] + x[1]]), np.ones(2))


def test_missing_scipy_is_an_import_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    with pytest.raises(ImportError, match=r'pip install "chainrule\[scipy\]"'):
        optimize.minimize(rosen, np.zeros(2))
    with pytest.raises(ImportError, match="needs SciPy"):
        optimize.least_squares(lambda x: x, np.zeros(2))


def test_optimize_is_a_lazy_attribute_of_the_package():
    assert cr.optimize is optimize and cr.mle.fit_mle is not None
