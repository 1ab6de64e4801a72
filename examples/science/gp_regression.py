"""Gaussian-process regression with hyperparameters fitted by exact gradients.

150 seeded points y = sin(2x) + x/3 + noise (sd 0.2) on [-4, 4]. The model is a GP
with a squared-exponential (RBF) kernel plus white noise; its three
hyperparameters are log length-scale, log signal variance and log noise
variance. The negative log marginal likelihood (NLML) is written in NumPy with a
Cholesky factor, and chainrule differentiates through the factorisation:

- the NLML and its gradient at a test point are compared with a direct NumPy
  computation without chainrule (np.linalg.solve and slogdet, and the closed-form
  gradient 0.5 tr((K^-1 - a a^T) dK/dtheta) with a = K^-1 y), to a relative 1e-8;
- the gradient is checked against central finite differences (relative 1e-6);
- ``chainrule.optimize.minimize`` (BFGS, exact gradient) fits the hyperparameters;
  the gradient at the optimum must be below 1e-4, and the fitted noise variance
  within 3 standard errors of the true 0.04, the standard error of its log coming
  from the exact Hessian (``cr.hessian``) of the NLML;
- the posterior mean at 50 test points must be within 0.1 of the true function
  in root-mean-square (half the noise sd), and within 3 posterior standard
  deviations of it at every point.

Exits with status 1 if any check fails. Needs SciPy (pip install "chainrule[scipy]").
Run: python examples/science/gp_regression.py [--plot-dir DIR]
(with --plot-dir, saves the data, the true function and the posterior mean
+- 2 sd as a PNG there; needs matplotlib).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from example_tools import check, finish, plot_dir_argument, pyplot_for, save_figure

import chainrule as cr
from chainrule.optimize import minimize
from chainrule.scipy.linalg import cho_solve

POINTS, NOISE_SD, SEED = 150, 0.2, 0
NAMES = ("log length-scale", "log signal variance", "log noise variance")
START = np.log([1.0, 1.0, 0.1])
TEST_POINT = np.log([0.7, 1.5, 0.05])  # where the gradient is checked
REFERENCE_TOLERANCE, FD_TOLERANCE, FD_STEP = 1e-8, 1e-6, 1e-5
GRADIENT_TOLERANCE, NOISE_STANDARD_ERRORS = 1e-4, 3.0
MEAN_RMS_TOLERANCE, MEAN_SDS = 0.1, 3.0


def true_function(x):
    return np.sin(2.0 * x) + x / 3.0


def make_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    x = np.sort(rng.uniform(-4.0, 4.0, POINTS))
    return x, true_function(x) + NOISE_SD * rng.standard_normal(POINTS)


def rbf_kernel(x1, x2, lengthscale, signal_variance):
    squared_distances = (x1[:, None] - x2[None, :]) ** 2
    return signal_variance * np.exp(-0.5 * squared_distances / lengthscale**2)


def covariance(log_hyperparameters, x):
    lengthscale, signal_variance, noise_variance = np.exp(log_hyperparameters)
    return rbf_kernel(x, x, lengthscale, signal_variance) + noise_variance * np.eye(len(x))


def negative_log_marginal_likelihood(log_hyperparameters, x, y):
    factor = np.linalg.cholesky(covariance(log_hyperparameters, x))
    weights = cho_solve((factor, True), y)  # K^-1 y
    return (0.5 * np.dot(y, weights) + np.sum(np.log(np.diag(factor)))
            + 0.5 * len(x) * math.log(2.0 * math.pi))


def reference_nlml_and_gradient(log_hyperparameters, x, y) -> tuple[float, np.ndarray]:
    """The NLML and its closed-form gradient in plain NumPy (no chainrule, no Cholesky)."""
    lengthscale, signal_variance, noise_variance = np.exp(log_hyperparameters)
    rbf = rbf_kernel(x, x, lengthscale, signal_variance)
    K = rbf + noise_variance * np.eye(len(x))
    weights = np.linalg.solve(K, y)
    _, log_determinant = np.linalg.slogdet(K)
    nlml = 0.5 * y @ weights + 0.5 * log_determinant + 0.5 * len(x) * math.log(2 * math.pi)
    squared_distances = (x[:, None] - x[None, :]) ** 2
    kernel_derivatives = [rbf * squared_distances / lengthscale**2,  # d K / d log lengthscale
                          rbf,                                        # d K / d log signal var.
                          noise_variance * np.eye(len(x))]            # d K / d log noise var.
    inner = np.linalg.inv(K) - np.outer(weights, weights)
    # tr(A B) is the sum of A * B for symmetric B
    gradient = np.array([0.5 * np.sum(inner * derivative) for derivative in kernel_derivatives])
    return nlml, gradient


def finite_difference_gradient(log_hyperparameters, x, y) -> np.ndarray:
    gradient = np.empty(len(log_hyperparameters))
    for i in range(len(log_hyperparameters)):
        step = np.zeros(len(log_hyperparameters))
        step[i] = FD_STEP
        gradient[i] = (negative_log_marginal_likelihood(log_hyperparameters + step, x, y)
                       - negative_log_marginal_likelihood(log_hyperparameters - step, x, y)
                       ) / (2 * FD_STEP)
    return gradient


def posterior(log_hyperparameters, x, y, x_test) -> tuple[np.ndarray, np.ndarray]:
    """The posterior mean and standard deviation of the latent function at ``x_test``."""
    lengthscale, signal_variance, _ = np.exp(log_hyperparameters)
    factor = np.linalg.cholesky(covariance(log_hyperparameters, x))
    cross = rbf_kernel(x_test, x, lengthscale, signal_variance)
    mean = cross @ cho_solve((factor, True), y)
    explained = np.linalg.solve(factor, cross.T)  # L^-1 K(x, x_test)
    variance = signal_variance - np.sum(explained**2, axis=0)
    return mean, np.sqrt(np.maximum(variance, 0.0))


def check_bound(label: str, value: float, tolerance: float) -> bool:
    passed = value <= tolerance
    print(f"{label:<46} {value:.2e} (tolerance {tolerance:.0e})  {'ok' if passed else 'FAILED'}")
    return passed


def relative_error(value: float, reference: float) -> float:
    return abs(value - reference) / abs(reference)


def check_gradient(x: np.ndarray, y: np.ndarray) -> list[bool]:
    nlml, gradient = cr.value_and_grad(negative_log_marginal_likelihood)(TEST_POINT, x, y)
    reference_nlml, reference_gradient = reference_nlml_and_gradient(TEST_POINT, x, y)
    numerical = finite_difference_gradient(TEST_POINT, x, y)
    results = [check("NLML vs NumPy formula", nlml, reference_nlml,
                     relative_error(nlml, reference_nlml), REFERENCE_TOLERANCE)]
    for name, value, by_formula, by_differences in zip(NAMES, gradient, reference_gradient,
                                                       numerical):
        results.append(check(f"d NLML / d {name} vs formula", value, by_formula,
                             relative_error(value, by_formula), REFERENCE_TOLERANCE))
        results.append(check(f"d NLML / d {name} vs finite diff.", value, by_differences,
                             relative_error(value, by_differences), FD_TOLERANCE))
    return results


def fit(x: np.ndarray, y: np.ndarray) -> tuple[list[bool], np.ndarray]:
    start = time.perf_counter()
    result = minimize(negative_log_marginal_likelihood, START, args=(x, y), method="BFGS")
    seconds = time.perf_counter() - start
    lengthscale, signal_variance, noise_variance = np.exp(result.x)
    print(f"BFGS: {result.message} {result.nit} iterations, {seconds:.2f} s; NLML "
          f"{result.fun:.4f}; length-scale {lengthscale:.4f}, signal variance "
          f"{signal_variance:.4f}, noise variance {noise_variance:.5f}")
    gradient = cr.grad(negative_log_marginal_likelihood)(result.x, x, y)
    gradient_ok = check_bound("gradient at the optimum: max |entry|", np.max(np.abs(gradient)),
                              GRADIENT_TOLERANCE)
    # Laplace approximation: the inverse Hessian of the NLML is the covariance of the
    # log hyperparameters.
    hessian = cr.hessian(negative_log_marginal_likelihood)(result.x, x, y)
    log_noise_se = math.sqrt(np.linalg.inv(hessian)[2, 2])
    true_log_noise = math.log(NOISE_SD**2)
    noise_ok = check("noise variance (error in SEs of its log)", noise_variance, NOISE_SD**2,
                     abs(result.x[2] - true_log_noise) / log_noise_se, NOISE_STANDARD_ERRORS)
    print(f"  noise variance relative error {relative_error(noise_variance, NOISE_SD**2):.1%}, "
          f"standard error of its log {log_noise_se:.3f}")
    return [result.success, gradient_ok, noise_ok], result.x


def check_prediction(fitted: np.ndarray, x: np.ndarray, y: np.ndarray) -> list[bool]:
    x_test = np.linspace(-3.8, 3.8, 50)
    mean, sd = posterior(fitted, x, y, x_test)
    errors = mean - true_function(x_test)
    return [check_bound("posterior mean: RMS error vs true f", np.sqrt(np.mean(errors**2)),
                        MEAN_RMS_TOLERANCE),
            check_bound("posterior mean: largest |error| / sd", np.max(np.abs(errors) / sd),
                        MEAN_SDS)]


def plot_posterior(plt, fitted: np.ndarray, x: np.ndarray, y: np.ndarray, plot_dir: Path) -> None:
    grid = np.linspace(-4.5, 4.5, 300)
    mean, sd = posterior(fitted, x, y, grid)
    figure, axes = plt.subplots(figsize=(9, 4.5))
    axes.plot(x, y, "o", color="grey", alpha=0.5, markersize=3, label="data")
    axes.plot(grid, true_function(grid), ":", color="black", label="true function")
    axes.plot(grid, mean, color="C0", label="posterior mean")
    axes.fill_between(grid, mean - 2 * sd, mean + 2 * sd, color="C0", alpha=0.25,
                      label="mean +- 2 sd of f")
    lengthscale, signal_variance, noise_variance = np.exp(fitted)
    axes.set(xlabel="x", ylabel="y",
             title=f"GP regression, hyperparameters by BFGS with chainrule gradients "
                   f"(l={lengthscale:.2f}, s2={signal_variance:.2f}, n2={noise_variance:.3f})")
    axes.legend()
    axes.grid(alpha=0.3)
    figure.tight_layout()
    path = plot_dir / "gp_regression.png"
    save_figure(plt, figure, path)


def save_plots(plot_dir: Path | None, fitted: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
    plt = pyplot_for(plot_dir)
    if plt is not None:
        plot_posterior(plt, fitted, x, y, plot_dir)


def main() -> None:
    plot_dir = plot_dir_argument(__doc__)
    x, y = make_data()
    results = check_gradient(x, y)
    fit_results, fitted = fit(x, y)
    results += fit_results + check_prediction(fitted, x, y)
    save_plots(plot_dir, fitted, x, y)
    finish(results)


if __name__ == "__main__":
    main()
