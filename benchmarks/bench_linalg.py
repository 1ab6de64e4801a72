"""Linear-algebra gradients against hand-derived NumPy gradients (target <= 1.3x).

1. f(A) = log|det A| + sum(A^-1 b) for a 200x200 SPD matrix: gradient w.r.t. A.
2. A 1000-point Gaussian-process negative log marginal likelihood: gradient
   w.r.t. log length-scale, log signal variance and log noise variance.
"""

from __future__ import annotations

import numpy as np
from common import best_time, optional, report

import chainrule as cr
from chainrule.scipy import linalg as crl

rng = np.random.default_rng(0)
M = rng.standard_normal((200, 200))
A = M @ M.T / 200 + np.eye(200)
B = rng.standard_normal(200)

POINTS = np.sort(rng.uniform(0, 10, 1000))
TARGETS = np.sin(POINTS) + 0.1 * rng.standard_normal(1000)
SQUARED_DISTANCES = (POINTS[:, None] - POINTS[None, :]) ** 2
THETA = np.array([0.0, 0.0, np.log(0.01)])


def slogdet_solve(a):
    return np.linalg.slogdet(a)[1] + np.sum(np.linalg.solve(a, B))


def slogdet_solve_by_hand(a):
    inverse = np.linalg.inv(a)
    x = inverse @ B
    return inverse.T - np.outer(inverse.T @ np.ones(len(B)), x)


def gp_negative_log_likelihood(theta):
    length, signal, noise = np.exp(theta[0]), np.exp(theta[1]), np.exp(theta[2])
    k = signal * np.exp(-SQUARED_DISTANCES / (2 * length ** 2)) + noise * np.eye(len(POINTS))
    factor = np.linalg.cholesky(k)
    alpha = crl.cho_solve((factor, True), TARGETS)
    return 0.5 * TARGETS @ alpha + np.sum(np.log(np.diagonal(factor)))


def gp_gradient_by_hand(theta):
    import scipy.linalg as sl

    length, signal, noise = np.exp(theta)
    shape = np.exp(-SQUARED_DISTANCES / (2 * length ** 2))
    k = signal * shape + noise * np.eye(len(POINTS))
    factor = sl.cho_factor(k, lower=True)
    alpha = sl.cho_solve(factor, TARGETS)
    inner = sl.cho_solve(factor, np.eye(len(POINTS))) - np.outer(alpha, alpha)
    derivatives = (signal * shape * SQUARED_DISTANCES / length ** 2, signal * shape,
                   noise * np.eye(len(POINTS)))
    return np.array([0.5 * np.sum(inner * d) for d in derivatives])


def main() -> None:
    grad_f = cr.grad(slogdet_solve)
    np.testing.assert_allclose(grad_f(A), slogdet_solve_by_hand(A), rtol=1e-8, atol=1e-10)
    # Milliseconds each: many rounds of several calls, so the best is a stable figure.
    rounds = {"repeat": 30, "number": 5}
    rows = [("hand-derived NumPy", best_time(lambda: slogdet_solve_by_hand(A), **rounds)),
            ("chainrule cr.grad", best_time(lambda: grad_f(A), **rounds))]
    autograd = optional("autograd")
    if autograd is not None:
        anp = autograd.numpy
        g = autograd.grad(lambda a: anp.linalg.slogdet(a)[1] + anp.sum(anp.linalg.solve(a, B)))
        rows.append(("HIPS autograd", best_time(lambda: g(A), **rounds)))
    report("gradient of slogdet(A) + sum(solve(A, b)), A 200x200 SPD", rows,
           "hand-derived NumPy")

    grad_gp = cr.grad(gp_negative_log_likelihood)
    np.testing.assert_allclose(grad_gp(THETA), gp_gradient_by_hand(THETA), rtol=1e-6)
    rows = [("hand-derived NumPy", best_time(lambda: gp_gradient_by_hand(THETA), repeat=3)),
            ("chainrule cr.grad", best_time(lambda: grad_gp(THETA), repeat=3))]
    report("gradient of a 1000-point GP negative log marginal likelihood", rows,
           "hand-derived NumPy")


if __name__ == "__main__":
    main()
