"""Ordinary least squares with numpy.linalg.lstsq: the norm of the fitted
residual, as a function of the design matrix and the data."""

import chainrule.numpy as np


def fit(design, y):
    coefficients, _, _, _ = np.linalg.lstsq(design, y, rcond=None)
    return coefficients


def residual_norm(design, y):
    return np.linalg.norm(y - np.dot(design, fit(design, y)))


def data(n=7, p=3, seed=5):
    rng = np.random.RandomState(seed)
    t = np.linspace(0, 1, n)
    design = np.vander(t, p, increasing=True) + 0.05 * rng.randn(n, p)
    y = 1.0 + 2.0 * t - t**2 + 0.1 * rng.randn(n)
    return design, y
