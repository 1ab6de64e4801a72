"""Drop-in check: realistic programs written with ``import chainrule.numpy as np``
(as a NumPy or HIPS-autograd user would write them), each gradient checked
against finite differences in forward and reverse mode, and each value against
an independent NumPy/SciPy computation."""

from __future__ import annotations

import numpy as onp
import pytest

pytest.importorskip("scipy")
import scipy.integrate  # noqa: E402
import scipy.linalg  # noqa: E402
import scipy.special  # noqa: E402
import scipy.stats  # noqa: E402

import chainrule as cr  # noqa: E402

from . import (  # noqa: E402
    black_scholes,
    gaussian_process,
    kalman,
    least_squares,
    linear_ode,
    mixture_em,
    neural_ode,
    softmax_regression,
)

MODES = ("fwd", "rev")


# --- (1) Gaussian process ------------------------------------------------------------

GP_PARAMS = (onp.log(1.2), onp.log(0.8), onp.log(0.05))


GP_PROGRAMS = [gaussian_process.log_marginal_likelihood,
               gaussian_process.log_marginal_likelihood_scipy]
GP_IDS = ["np_linalg", "scipy_linalg"]


@pytest.mark.parametrize("program", GP_PROGRAMS, ids=GP_IDS)
def test_gp_value_matches_scipy(program):
    x, y = gaussian_process.data()
    ell, sf2, sn2 = onp.exp(GP_PARAMS)
    K = sf2 * onp.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / ell**2) + sn2 * onp.eye(len(x))
    expected = scipy.stats.multivariate_normal(onp.zeros(len(x)), K).logpdf(y)
    value = program(*GP_PARAMS, x, y)
    assert onp.isclose(float(value), expected, rtol=1e-10)


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("program", GP_PROGRAMS, ids=GP_IDS)
def test_gp_gradients(program, order):
    x, y = gaussian_process.data()
    cr.check_grads(lambda a, b, c: program(a, b, c, x, y),
                   *GP_PARAMS, modes=MODES, order=order)


def test_gp_gradient_closed_form():
    # d/d(log noise) = 0.5 sn2 (alpha^T alpha - tr K^-1)
    x, y = gaussian_process.data()
    ell, sf2, sn2 = onp.exp(GP_PARAMS)
    K = sf2 * onp.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / ell**2) + sn2 * onp.eye(len(x))
    Kinv = onp.linalg.inv(K)
    alpha = Kinv @ y
    expected = 0.5 * sn2 * (alpha @ alpha - onp.trace(Kinv))
    g = cr.grad(gaussian_process.log_marginal_likelihood, argnums=2)(*GP_PARAMS, x, y)
    assert onp.isclose(float(g), expected, rtol=1e-8)


# --- (2) Kalman filter ----------------------------------------------------------------

KALMAN_PARAMS = onp.array([onp.log(0.1), onp.log(0.3)])


def test_kalman_value_matches_joint_gaussian():
    # The local-level model makes y jointly Gaussian:
    # Cov(y_s, y_t) = P0 + q min(s, t) + r [s == t].
    ys = kalman.data()
    q, r = onp.exp(KALMAN_PARAMS)
    t = onp.arange(1, len(ys) + 1)
    cov = kalman.PRIOR_VARIANCE + q * onp.minimum(t[:, None], t[None, :]) + r * onp.eye(len(ys))
    expected = scipy.stats.multivariate_normal(onp.full(len(ys), kalman.PRIOR_MEAN),
                                               cov).logpdf(ys)
    assert onp.isclose(float(kalman.log_likelihood(KALMAN_PARAMS, ys)), expected, rtol=1e-10)


@pytest.mark.parametrize("order", [1, 2])
def test_kalman_gradients(order):
    ys = kalman.data()
    cr.check_grads(lambda p: kalman.log_likelihood(p, ys), KALMAN_PARAMS,
                   modes=MODES, order=order)


# --- (3) Softmax regression -----------------------------------------------------------

def test_softmax_regression_value_matches_scipy():
    weights, inputs, labels = softmax_regression.data()
    log_probs = scipy.special.log_softmax(inputs @ weights, axis=1)
    expected = -onp.mean(log_probs[onp.arange(len(labels)), labels])
    value = softmax_regression.negative_log_likelihood(weights, inputs, labels)
    assert onp.isclose(float(value), expected, rtol=1e-12)


def test_softmax_regression_gradient_closed_form():
    # d NLL / dW = X^T (softmax(XW) - onehot) / n
    weights, inputs, labels = softmax_regression.data()
    probs = scipy.special.softmax(inputs @ weights, axis=1)
    onehot = onp.eye(weights.shape[1])[labels]
    expected = inputs.T @ (probs - onehot) / len(labels)
    g = cr.grad(softmax_regression.negative_log_likelihood)(weights, inputs, labels)
    onp.testing.assert_allclose(onp.asarray(g), expected, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("order", [1, 2])
def test_softmax_regression_gradients(order):
    weights, inputs, labels = softmax_regression.data()
    cr.check_grads(lambda w: softmax_regression.negative_log_likelihood(w, inputs, labels),
                   weights, modes=MODES, order=order)


# --- (4) Neural ODE step --------------------------------------------------------------

def test_neural_ode_step_matches_solve_ivp():
    W, b, x = neural_ode.data()
    reference = scipy.integrate.solve_ivp(lambda t, z: onp.tanh(W @ z + b), (0.0, 0.1), x,
                                          rtol=1e-12, atol=1e-12).y[:, -1]
    # RK4's local error is O(h^5) ~ 1e-5 h-scaled; far below 1e-5 here.
    onp.testing.assert_allclose(onp.asarray(neural_ode.rk4_step(W, b, x)), reference,
                                atol=1e-6)


@pytest.mark.parametrize("order", [1, 2])
def test_neural_ode_gradients(order):
    cr.check_grads(neural_ode.rk4_step, *neural_ode.data(), modes=MODES, order=order)


# --- (5) Mixture of Gaussians ---------------------------------------------------------

def _mixture_reference(means, log_sds, logit, x):
    w = scipy.special.expit(logit)
    dens = (w * scipy.stats.norm.pdf(x, means[0], onp.exp(log_sds[0]))
            + (1 - w) * scipy.stats.norm.pdf(x, means[1], onp.exp(log_sds[1])))
    return onp.sum(onp.log(dens))


def test_mixture_value_matches_scipy():
    params, x = mixture_em.data()
    assert onp.isclose(float(mixture_em.log_likelihood(*params, x)),
                       _mixture_reference(*params, x), rtol=1e-12)


@pytest.mark.parametrize("order", [1, 2])
def test_mixture_log_likelihood_gradients(order):
    params, x = mixture_em.data()
    cr.check_grads(lambda m, s, a: mixture_em.log_likelihood(m, s, a, x), *params,
                   modes=MODES, order=order)


@pytest.mark.parametrize("order", [1, 2])
def test_mixture_em_objective_gradients(order):
    params, x = mixture_em.data()
    resp = onp.asarray(mixture_em.responsibilities(*params, x))
    cr.check_grads(lambda m, s, a: mixture_em.em_objective(m, s, a, x, resp), *params,
                   modes=MODES, order=order)


def test_mixture_fisher_identity():
    # At theta_old, grad log-likelihood == grad Q(. | theta_old); for the means both
    # equal sum_i r_ki (x_i - mu_k) / sigma_k^2.
    params, x = mixture_em.data()
    means, log_sds, logit = params
    resp = onp.asarray(mixture_em.responsibilities(*params, x))
    grad_ll = cr.grad(mixture_em.log_likelihood, argnums=(0, 1, 2))(*params, x)
    grad_q = cr.grad(mixture_em.em_objective, argnums=(0, 1, 2))(*params, x, resp)
    for a, b in zip(grad_ll, grad_q):
        onp.testing.assert_allclose(onp.asarray(a), onp.asarray(b), rtol=1e-10)
    expected = onp.sum(resp * (x[None, :] - means[:, None]), axis=1) / onp.exp(2 * log_sds)
    onp.testing.assert_allclose(onp.asarray(grad_ll[0]), expected, rtol=1e-10)


# --- (6) Black-Scholes ----------------------------------------------------------------

BS_ARGS = (105.0, 0.25, 0.03, 0.75)  # spot, vol, rate, time


def _bs_reference(spot, vol, rate, time):
    K = black_scholes.STRIKE
    d1 = (onp.log(spot / K) + (rate + 0.5 * vol**2) * time) / (vol * onp.sqrt(time))
    d2 = d1 - vol * onp.sqrt(time)
    N = scipy.stats.norm.cdf
    return spot * N(d1) - K * onp.exp(-rate * time) * N(d2), d1, d2


def test_black_scholes_value_matches_scipy():
    expected, _, _ = _bs_reference(*BS_ARGS)
    assert onp.isclose(float(black_scholes.call_price(*BS_ARGS)), expected, rtol=1e-12)


def test_black_scholes_greeks_closed_form():
    spot, vol, rate, time = BS_ARGS
    _, d1, d2 = _bs_reference(*BS_ARGS)
    delta, vega, rho, _ = cr.grad(black_scholes.call_price, argnums=(0, 1, 2, 3))(*BS_ARGS)
    assert onp.isclose(float(delta), scipy.stats.norm.cdf(d1), rtol=1e-10)
    assert onp.isclose(float(vega), spot * scipy.stats.norm.pdf(d1) * onp.sqrt(time),
                       rtol=1e-10)
    assert onp.isclose(float(rho), black_scholes.STRIKE * time * onp.exp(-rate * time)
                       * scipy.stats.norm.cdf(d2), rtol=1e-10)
    gamma = cr.grad(cr.grad(black_scholes.call_price))(*BS_ARGS)
    assert onp.isclose(float(gamma),
                       scipy.stats.norm.pdf(d1) / (spot * vol * onp.sqrt(time)), rtol=1e-8)


@pytest.mark.parametrize("order", [1, 2])
def test_black_scholes_gradients(order):
    cr.check_grads(black_scholes.call_price, *BS_ARGS, modes=MODES, order=order)


# --- (7) Least squares ----------------------------------------------------------------

def test_least_squares_value_and_gradient_closed_form():
    design, y = least_squares.data()
    beta = scipy.linalg.lstsq(design, y)[0]
    residual = y - design @ beta
    norm = onp.linalg.norm(residual)
    assert onp.isclose(float(least_squares.residual_norm(design, y)), norm, rtol=1e-10)
    g_design, g_y = cr.grad(least_squares.residual_norm, argnums=(0, 1))(design, y)
    # ||(I - P) y||: d/dy = r / ||r||, d/dA = -r beta^T / ||r||.
    onp.testing.assert_allclose(onp.asarray(g_y), residual / norm, rtol=1e-8, atol=1e-12)
    onp.testing.assert_allclose(onp.asarray(g_design), -onp.outer(residual, beta) / norm,
                                rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("order", [1, 2])
def test_least_squares_gradients(order):
    cr.check_grads(least_squares.residual_norm, *least_squares.data(), modes=MODES,
                   order=order)


def test_least_squares_solution_gradients():
    cr.check_grads(least_squares.fit, *least_squares.data(), modes=MODES, order=1)


# --- (8) Linear ODE via the matrix exponential ----------------------------------------

SOLVERS = [linear_ode.solution, linear_ode.solution_taylor]


@pytest.mark.parametrize("solve", SOLVERS, ids=["scipy_expm", "taylor"])
def test_linear_ode_value_matches_scipy(solve):
    A, x0, t = linear_ode.data()
    expected = scipy.linalg.expm(A * t) @ x0
    onp.testing.assert_allclose(onp.asarray(solve(A, x0, t)), expected, rtol=1e-10)


@pytest.mark.parametrize("solve", SOLVERS, ids=["scipy_expm", "taylor"])
def test_linear_ode_time_derivative_is_the_vector_field(solve):
    A, x0, t = linear_ode.data()
    xdot = cr.jacfwd(solve, argnums=2)(A, x0, t)
    expected = A @ scipy.linalg.expm(A * t) @ x0
    onp.testing.assert_allclose(onp.asarray(xdot), expected, rtol=1e-9)


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("solve", SOLVERS, ids=["scipy_expm", "taylor"])
def test_linear_ode_gradients(solve, order):
    cr.check_grads(solve, *linear_ode.data(), modes=MODES, order=order)
