"""Linear regression by maximum likelihood, checked against the OLS closed forms.

N = 5,000 seeded rows, K = 10 coefficients (an intercept and 9 covariates) and
normal errors. The negative log-likelihood is written once with ``np.*``, with
sigma on the log scale; ``cr.mle.fit_mle`` minimises it by BFGS with chainrule's
exact gradient and takes standard errors from the exact Hessian. The checks,
against formulas computed here with plain NumPy linear algebra:

- coefficients = (X'X)^-1 X'y, to 1e-6 relative;
- their standard errors = sqrt(diag(sigma^2 (X'X)^-1)) with sigma^2 = RSS/N,
  to 1e-4 relative;
- sigma = sqrt(RSS/N) to 1e-6, and its delta-method standard error (from
  log_sigma) = sigma / sqrt(2N), to 1e-4;
- the maximised log-likelihood = -N/2 (log(2 pi sigma^2) + 1), to 1e-9.

Exits with status 1 if any check fails. Needs SciPy (pip install "chainrule[scipy]").
Run: python examples/science/linear_regression_mle.py [--plot-dir DIR]
(with --plot-dir, saves the estimates with their 95% intervals as a PNG; needs matplotlib).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from example_tools import check_relative as check
from example_tools import finish, plot_dir_argument, pyplot_for, save_figure

import chainrule as cr

ROWS, COEFFICIENTS, SIGMA, SEED = 5_000, 10, 1.5, 0
NAMES = ["const"] + [f"x{i}" for i in range(1, COEFFICIENTS)] + ["log_sigma"]


def simulate() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    X = np.column_stack([np.ones(ROWS), rng.standard_normal((ROWS, COEFFICIENTS - 1))])
    beta = rng.uniform(-2.0, 2.0, size=COEFFICIENTS)
    y = X @ beta + SIGMA * rng.standard_normal(ROWS)
    return X, y, beta


def negloglik(params, X, y):
    residuals = y - X @ params["beta"]
    log_sigma = params["log_sigma"]
    return (y.size * (log_sigma + 0.5 * np.log(2 * np.pi))
            + 0.5 * np.sum(residuals ** 2) * np.exp(-2.0 * log_sigma))


def fit(X: np.ndarray, y: np.ndarray) -> cr.mle.MLEResult:
    start = {"beta": np.zeros(X.shape[1]), "log_sigma": float(np.log(np.std(y)))}
    # The negative log-likelihood is about 1e4, so rounding stops BFGS's line search
    # near max |gradient| ~ 1e-6 ("precision loss"): a tighter gtol cannot be met.
    # gtol = 1e-5 already puts the coefficients within ~1e-9 of the optimum, since the
    # Hessian is N / sigma^2 ~ 2,000 times the covariates' covariance.
    return cr.mle.fit_mle(negloglik, start, data=(X, y), param_names=NAMES,
                          transforms={"log_sigma": "exp"},
                          options={"gtol": 1e-5, "maxiter": 1000})


def closed_form(X: np.ndarray, y: np.ndarray) -> dict[str, object]:
    """OLS estimates and the MLE standard errors, by plain linear algebra."""
    gram_inverse = np.linalg.inv(X.T @ X)
    beta = gram_inverse @ (X.T @ y)
    variance = np.sum((y - X @ beta) ** 2) / y.size
    return {"beta": beta, "se": np.sqrt(variance * np.diag(gram_inverse)),
            "sigma": math.sqrt(variance), "sigma_se": math.sqrt(variance / (2 * y.size)),
            "loglik": -0.5 * y.size * (math.log(2 * math.pi * variance) + 1.0)}


def check_converged(result: cr.mle.MLEResult) -> bool:
    print(f"  {'optimiser converged':<44} {result.success} after {result.iterations} "
          f"iterations, max |gradient| {result.grad_norm:.1e} "
          f"{'ok' if result.success else 'MISMATCH'}")
    return result.success


def run_checks(result: cr.mle.MLEResult, X: np.ndarray, y: np.ndarray) -> list[bool]:
    expected = closed_form(X, y)
    natural = result.natural_scale()
    sigma, sigma_se = natural.estimates[-1], natural.std_errors[-1]
    print("\nChecks against the closed forms")
    return [
        check("coefficients vs OLS (X'X)^-1 X'y", result.params["beta"], expected["beta"], 1e-6),
        check("standard errors vs sigma^2 (X'X)^-1", result.std_errors[:-1], expected["se"],
              1e-4),
        check("sigma vs sqrt(RSS/N)", sigma, expected["sigma"], 1e-6),
        check("delta-method SE of sigma vs sigma/sqrt(2N)", sigma_se, expected["sigma_se"],
              1e-4),
        check("log-likelihood vs -N/2 (log(2 pi s^2) + 1)", result.loglik, expected["loglik"],
              1e-9),
        check_converged(result),
    ]


def plot_estimates(plt, result: cr.mle.MLEResult, true_beta: np.ndarray, plot_dir: Path) -> None:
    positions = np.arange(COEFFICIENTS)
    low, high = result.conf_int[:-1].T
    estimates = result.estimates[:-1]
    figure, axes = plt.subplots(figsize=(8, 4))
    axes.errorbar(positions, estimates - true_beta, yerr=[estimates - low, high - estimates],
                  fmt="o", capsize=4, label="estimate - true, with 95% interval")
    axes.axhline(0.0, color="black", linewidth=1)
    axes.set_xticks(positions, NAMES[:-1])
    axes.set(ylabel="estimation error",
             title=f"Linear regression by MLE (N={ROWS:,}): estimates around the truth")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    path = plot_dir / "linear_regression_mle.png"
    save_figure(plt, figure, path)


def save_plots(plot_dir: Path | None, result: cr.mle.MLEResult, true_beta: np.ndarray) -> None:
    plt = pyplot_for(plot_dir)
    if plt is not None:
        plot_estimates(plt, result, true_beta, plot_dir)


def main() -> None:
    plot_dir = plot_dir_argument(__doc__)
    X, y, true_beta = simulate()
    result = fit(X, y)
    print(result.summary())
    results = run_checks(result, X, y)
    save_plots(plot_dir, result, true_beta)
    finish(results)


if __name__ == "__main__":
    main()
