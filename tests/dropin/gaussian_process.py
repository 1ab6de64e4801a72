"""Gaussian-process regression: the log marginal likelihood of a squared-exponential
kernel, as a function of its log hyperparameters (the program a user would write)."""

import chainrule.numpy as np
from chainrule.scipy.linalg import cho_factor, cho_solve, solve_triangular


def squared_distances(x1, x2):
    return (x1[:, None] - x2[None, :]) ** 2


def rbf_kernel(x1, x2, log_lengthscale, log_signal_variance):
    lengthscale = np.exp(log_lengthscale)
    return np.exp(log_signal_variance) * np.exp(
        -0.5 * squared_distances(x1, x2) / lengthscale**2)


def log_marginal_likelihood(log_lengthscale, log_signal_variance, log_noise, x, y):
    n = x.shape[0]
    K = rbf_kernel(x, x, log_lengthscale, log_signal_variance) + np.exp(log_noise) * np.eye(n)
    L = np.linalg.cholesky(K)
    z = np.linalg.solve(L, y)          # L z = y
    alpha = np.linalg.solve(L.T, z)    # L^T alpha = z
    return (-0.5 * np.dot(y, alpha) - np.sum(np.log(np.diag(L)))
            - 0.5 * n * np.log(2 * np.pi))


def log_marginal_likelihood_scipy(log_lengthscale, log_signal_variance, log_noise, x, y):
    """The same, written the SciPy way (cho_factor/cho_solve, solve_triangular)."""
    n = x.shape[0]
    K = rbf_kernel(x, x, log_lengthscale, log_signal_variance) + np.exp(log_noise) * np.eye(n)
    factor = cho_factor(K, lower=True)
    alpha = cho_solve(factor, y)
    z = solve_triangular(factor[0], y, lower=True)
    return (-0.25 * np.dot(y, alpha) - 0.25 * np.dot(z, z)
            - np.sum(np.log(np.diag(factor[0]))) - 0.5 * n * np.log(2 * np.pi))


def data(n=8, seed=0):
    rng = np.random.RandomState(seed)
    x = np.sort(rng.uniform(-3, 3, size=n))
    y = np.sin(x) + 0.1 * rng.randn(n)
    return x, y
