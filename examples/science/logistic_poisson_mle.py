"""Logistic and Poisson regression by maximum likelihood, checked against IRLS.

Two generalised linear models on seeded data (N = 4,000 rows, an intercept and
5 covariates), each fitted by ``cr.mle.fit_mle`` from a negative log-likelihood
written with ``np.*``:

- logistic regression (y in {0, 1}, P(y = 1) = 1 / (1 + exp(-X b))), by BFGS
  with chainrule's exact gradient;
- Poisson regression (counts, E[y] = exp(X b)), by SciPy's trust-exact method,
  which also uses chainrule's exact Hessian at every step.

The independent answer is iteratively reweighted least squares, written here
in plain NumPy: Fisher scoring with weights W and working response z, iterated
to convergence; the standard errors are sqrt(diag((X'WX)^-1)) at the solution.
Estimates must agree to 1e-6 relative, standard errors to 1e-5, and the
maximised log-likelihoods to 1e-10.

Exits with status 1 if any check fails. Needs SciPy (pip install "chainrule[scipy]").
Run: python examples/science/logistic_poisson_mle.py [--plot-dir DIR]
(with --plot-dir, saves the estimates with their 95% intervals as a PNG; needs matplotlib).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from example_tools import check_relative as check
from example_tools import finish, plot_dir_argument, pyplot_for, save_figure

import chainrule as cr

ROWS, COVARIATES, SEED = 4_000, 5, 1
NAMES = ["const"] + [f"x{i}" for i in range(1, COVARIATES + 1)]


def simulate() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``{model: (X, y, true coefficients)}``, coefficients kept away from zero."""
    rng = np.random.default_rng(SEED)
    X = np.column_stack([np.ones(ROWS), 0.5 * rng.standard_normal((ROWS, COVARIATES))])
    signs = rng.choice([-1.0, 1.0], size=COVARIATES + 1)
    beta_logit = signs * rng.uniform(0.3, 1.2, size=COVARIATES + 1)
    beta_poisson = signs * rng.uniform(0.2, 0.6, size=COVARIATES + 1)
    beta_poisson[0] = 1.0
    y_logit = (rng.random(ROWS) < 1 / (1 + np.exp(-X @ beta_logit))).astype(np.float64)
    y_poisson = rng.poisson(np.exp(X @ beta_poisson)).astype(np.float64)
    return {"logistic": (X, y_logit, beta_logit), "poisson": (X, y_poisson, beta_poisson)}


def logistic_negloglik(beta, X, y):
    eta = X @ beta
    return np.sum(np.logaddexp(0.0, eta) - y * eta)


def poisson_negloglik(beta, X, y, log_factorials):
    eta = X @ beta
    return np.sum(np.exp(eta) - y * eta) + log_factorials


def fit_by_chainrule(model: str, X: np.ndarray, y: np.ndarray) -> cr.mle.MLEResult:
    start = np.zeros(X.shape[1])
    if model == "logistic":
        return cr.mle.fit_mle(logistic_negloglik, start, data=(X, y), param_names=NAMES,
                              method="BFGS", options={"gtol": 1e-6})
    log_factorials = sum(math.lgamma(count + 1.0) for count in y)
    # trust-exact stops when the objective (~1e4) no longer resolves its predicted
    # improvement; fit_mle's Newton-step check then confirms the optimum is reached.
    return cr.mle.fit_mle(poisson_negloglik, start, data=(X, y, log_factorials),
                          param_names=NAMES, method="trust-exact")


def irls(model: str, X: np.ndarray, y: np.ndarray) -> dict[str, object]:
    """Fisher scoring for a canonical-link GLM; estimates, standard errors, log-likelihood."""
    beta = np.zeros(X.shape[1])
    for _ in range(100):
        eta = X @ beta
        mean = 1 / (1 + np.exp(-eta)) if model == "logistic" else np.exp(eta)
        weights = mean * (1 - mean) if model == "logistic" else mean
        working = eta + (y - mean) / weights
        information = X.T @ (weights[:, None] * X)
        new_beta = np.linalg.solve(information, X.T @ (weights * working))
        converged = np.max(np.abs(new_beta - beta)) < 1e-14 * (1 + np.max(np.abs(beta)))
        beta = new_beta
        if converged:
            break
    eta = X @ beta
    mean = 1 / (1 + np.exp(-eta)) if model == "logistic" else np.exp(eta)
    weights = mean * (1 - mean) if model == "logistic" else mean
    covariance = np.linalg.inv(X.T @ (weights[:, None] * X))
    if model == "logistic":
        loglik = np.sum(y * np.log(mean) + (1 - y) * np.log1p(-mean))
    else:
        loglik = np.sum(y * eta - mean) - sum(math.lgamma(count + 1.0) for count in y)
    return {"beta": beta, "se": np.sqrt(np.diag(covariance)), "loglik": float(loglik)}


def run_model(model: str, X: np.ndarray, y: np.ndarray) -> tuple[cr.mle.MLEResult, list[bool]]:
    print(f"\n{model.capitalize()} regression")
    result = fit_by_chainrule(model, X, y)
    print(result.summary())
    expected = irls(model, X, y)
    print(f"Checks against IRLS ({model})")
    checks = [check("estimates vs IRLS", result.estimates, expected["beta"], 1e-6),
              check("standard errors vs (X'WX)^-1", result.std_errors, expected["se"], 1e-5),
              check("log-likelihood vs IRLS", result.loglik, expected["loglik"], 1e-10)]
    print(f"  {'optimiser converged':<38} {result.success} "
          f"{'ok' if result.success else 'MISMATCH'}")
    return result, [*checks, result.success]


def plot_estimates(plt, fits: dict, plot_dir: Path) -> None:
    figure, all_axes = plt.subplots(1, len(fits), figsize=(11, 4))
    for axes, (model, (result, true_beta)) in zip(all_axes, fits.items()):
        positions = np.arange(result.n_params)
        low, high = result.conf_int.T
        axes.errorbar(positions, result.estimates, yerr=[result.estimates - low,
                                                         high - result.estimates],
                      fmt="o", capsize=4, label="MLE with 95% interval")
        axes.scatter(positions, true_beta, marker="x", color="black", zorder=3,
                     label="true coefficient")
        axes.set_xticks(positions, NAMES)
        axes.set(title=f"{model.capitalize()} regression", ylabel="coefficient")
        axes.grid(alpha=0.3)
        axes.legend()
    figure.suptitle(f"GLMs by maximum likelihood with chainrule (N={ROWS:,})")
    figure.tight_layout()
    path = plot_dir / "logistic_poisson_mle.png"
    save_figure(plt, figure, path)


def save_plots(plot_dir: Path | None, fits: dict) -> None:
    plt = pyplot_for(plot_dir)
    if plt is not None:
        plot_estimates(plt, fits, plot_dir)


def main() -> None:
    plot_dir = plot_dir_argument(__doc__)
    fits, results = {}, []
    for model, (X, y, true_beta) in simulate().items():
        result, checks = run_model(model, X, y)
        fits[model] = (result, true_beta)
        results += checks
    save_plots(plot_dir, fits)
    finish(results)


if __name__ == "__main__":
    main()
