"""The solution x(t) = expm(A t) x0 of the linear ODE dx/dt = A x, once with
chainrule.scipy.linalg.expm and once with a matrix exponential a drop-in user
writes by hand (scaling and squaring of a Taylor series)."""

import chainrule.numpy as np
from chainrule.scipy.linalg import expm


def solution(A, x0, t):
    return np.dot(expm(A * t), x0)


def expm_taylor(M, terms=14, squarings=8):
    """exp(M) = (exp(M / 2^s))^(2^s), the inner exponential by its Taylor series."""
    M = M / 2.0**squarings
    result = np.eye(M.shape[0])
    term = np.eye(M.shape[0])
    for k in range(1, terms + 1):
        term = np.dot(term, M) / k
        result = result + term
    for _ in range(squarings):
        result = np.dot(result, result)
    return result


def solution_taylor(A, x0, t):
    return np.dot(expm_taylor(A * t), x0)


def data(dim=3, seed=6):
    rng = np.random.RandomState(seed)
    return 0.7 * rng.randn(dim, dim), rng.randn(dim), 1.3
