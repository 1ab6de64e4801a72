"""Paths taken only for large plain matrices agree with the general rules."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops.linalg import decompositions

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("n", [2 * decompositions.CHOLESKY_BLOCK + 1, 300])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_blocked_cholesky_gradient_equals_the_symbolic_one(n, dtype):
    m = RNG.standard_normal((n, n))
    l = np.linalg.cholesky(m @ m.T / n + np.eye(n)).astype(dtype)
    l_bar = RNG.standard_normal((n, n)).astype(dtype)  # the upper part must be ignored
    blocked = decompositions._cholesky_lower_vjp_blocked(l_bar, l)
    symbolic = decompositions._cholesky_lower_vjp_symbolic(l_bar, l)
    tolerance = 1e-10 if dtype == np.float64 else 1e-3
    np.testing.assert_allclose(blocked, symbolic, atol=tolerance * np.abs(symbolic).max())
    assert blocked.dtype == dtype


def test_gaussian_process_gradient_through_a_large_cholesky_matches_finite_differences():
    x = np.sort(RNG.uniform(0, 5, 200))
    y = np.sin(x) + 0.1 * RNG.standard_normal(200)

    def negative_log_likelihood(theta):
        k = np.exp(theta[0]) * np.exp(-(x[:, None] - x[None, :]) ** 2 / 2) + \
            np.exp(theta[1]) * np.eye(x.size)
        factor = np.linalg.cholesky(k)
        alpha = np.linalg.solve(factor.T, np.linalg.solve(factor, y))
        return 0.5 * y @ alpha + np.sum(np.log(np.diagonal(factor)))

    theta = np.array([0.2, -2.0])
    grad = cr.grad(negative_log_likelihood)(theta)
    step = 1e-6
    numeric = [(negative_log_likelihood(theta + step * e)
                - negative_log_likelihood(theta - step * e)) / (2 * step) for e in np.eye(2)]
    np.testing.assert_allclose(grad, numeric, rtol=1e-6)
