"""Linear-regression MLE: exact derivatives against finite differences.

N = 5,000 rows and K = 10, 50, 100 coefficients (plus log sigma). One fit is
BFGS to the optimum and then the Hessian there for the standard errors:

- chainrule: ``cr.mle.fit_mle`` (exact gradient with each value, exact Hessian);
- numerical: ``scipy.optimize.minimize`` with SciPy's finite-difference gradient
  (jac=None) and a Hessian from central second differences of the objective
  (4 evaluations for each pair of parameters);
- HIPS autograd, when installed: ``autograd.grad`` to BFGS, ``autograd.hessian``.

Every fit's standard errors are compared with the closed form sqrt(diag(s^2
(X'X)^-1)), s^2 = RSS/N (and 1/sqrt(2N) for log sigma). The last table gives
how many times faster the exact fits are than the numerical one; a published
comparison found autograd 4.5x, 21x and 39x faster at K = 10, 50 and 100.
The numerical fits take seconds each at K = 100, so they are timed fewer times.
"""

from __future__ import annotations

import numpy as np
from common import best_time, optional, report

import chainrule as cr

ROWS, SIZES, SEED = 5_000, (10, 50, 100), 0
PUBLISHED_AUTOGRAD_SPEEDUP = {10: 4.5, 50: 21.0, 100: 39.0}
HALF_LOG_TWO_PI = 0.5 * np.log(2 * np.pi)
# A numerical fit takes seconds at K = 100: fewer timing rounds there.
EXACT_REPEATS, NUMERICAL_REPEATS = {10: 7, 50: 7, 100: 5}, {10: 5, 50: 3, 100: 1}


def simulate(k: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED + k)
    X = np.column_stack([np.ones(ROWS), rng.standard_normal((ROWS, k - 1))])
    y = X @ rng.uniform(-1.0, 1.0, size=k) + 1.5 * rng.standard_normal(ROWS)
    return X, y


def negloglik(theta, X, y):
    """theta = (coefficients, log sigma); works on arrays, Tensors and autograd boxes."""
    log_sigma = theta[-1]
    residuals = y - X @ theta[:-1]
    return (y.size * (log_sigma + HALF_LOG_TWO_PI)
            + 0.5 * np.sum(residuals ** 2) * np.exp(-2.0 * log_sigma))


def start(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.append(np.zeros(X.shape[1]), np.log(np.std(y)))


def closed_form_errors(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    gram_inverse = np.linalg.inv(X.T @ X)
    beta = gram_inverse @ (X.T @ y)
    variance = np.sum((y - X @ beta) ** 2) / y.size
    return np.append(np.sqrt(variance * np.diag(gram_inverse)), 1 / np.sqrt(2 * y.size))


def fit_chainrule(X, y) -> np.ndarray:
    """fit_mle as users call it: the objective is compiled with cr.jit (tracing included)."""
    return cr.mle.fit_mle(negloglik, start(X, y), data=(X, y)).std_errors


def fit_chainrule_eager(X, y) -> np.ndarray:
    return cr.mle.fit_mle(negloglik, start(X, y), data=(X, y), jit=False).std_errors


def central_difference_hessian(f, x: np.ndarray) -> np.ndarray:
    """Second differences of f: (f(++) - f(+-) - f(-+) + f(--)) / (4 h_i h_j)."""
    steps = np.diag(np.finfo(float).eps ** 0.25 * np.maximum(np.abs(x), 1.0))
    h = np.diag(steps)
    hess = np.empty((x.size, x.size))
    for i in range(x.size):
        for j in range(i, x.size):
            plus, minus = x + steps[i], x - steps[i]
            hess[i, j] = hess[j, i] = (f(plus + steps[j]) - f(plus - steps[j])
                                       - f(minus + steps[j]) + f(minus - steps[j])
                                       ) / (4 * h[i] * h[j])
    return hess


def fit_numerical(X, y, scipy_optimize) -> np.ndarray:
    objective = lambda theta: negloglik(theta, X, y)
    result = scipy_optimize.minimize(objective, start(X, y), method="BFGS")
    return np.sqrt(np.diag(np.linalg.inv(central_difference_hessian(objective, result.x))))


def fit_autograd(X, y, scipy_optimize, autograd) -> np.ndarray:
    anp = autograd.numpy

    def objective(theta):
        log_sigma = theta[-1]
        residuals = y - anp.dot(X, theta[:-1])
        return (y.size * (log_sigma + HALF_LOG_TWO_PI)
                + 0.5 * anp.sum(residuals ** 2) * anp.exp(-2.0 * log_sigma))

    result = scipy_optimize.minimize(objective, start(X, y), jac=autograd.grad(objective),
                                     method="BFGS")
    return np.sqrt(np.diag(np.linalg.inv(autograd.hessian(objective)(result.x))))


def runs(scipy_optimize, autograd) -> list[tuple[str, object, dict[int, int]]]:
    """(name, fit(X, y) -> standard errors, timing repeats at each K)."""
    fits = [("chainrule (exact)", fit_chainrule, EXACT_REPEATS),
            ("chainrule eager (jit=False)", fit_chainrule_eager, EXACT_REPEATS),
            ("numerical (finite diff.)", lambda X, y: fit_numerical(X, y, scipy_optimize),
             NUMERICAL_REPEATS)]
    if autograd is None:
        print("  (autograd is not installed: skipped)")
    else:
        fits.append(("HIPS autograd (exact)",
                     lambda X, y: fit_autograd(X, y, scipy_optimize, autograd), EXACT_REPEATS))
    return fits


def time_size(k: int, fits) -> dict[str, float]:
    X, y = simulate(k)
    expected = closed_form_errors(X, y)
    rows = []
    for name, fit, repeats in fits:
        error = np.max(np.abs(fit(X, y) / expected - 1))
        print(f"  K={k:<3} {name:<26} standard errors within {error:.1e} of the closed form")
        if name.startswith("chainrule"):  # both of its rows
            assert error < 1e-4, f"chainrule standard errors off by {error:.1e}"
        rows.append((name, best_time(lambda fit=fit: fit(X, y), repeat=repeats[k])))
    return report(f"Linear-regression MLE fit, N={ROWS:,}, K={k}: BFGS + Hessian",
                  rows, "chainrule (exact)", unit="s", scale=1.0)


def main() -> dict[int, dict[str, float]]:
    scipy_optimize = optional("scipy.optimize")
    if scipy_optimize is None:
        print("SciPy is not installed: this benchmark needs it (pip install \"chainrule[scipy]\")")
        return {}
    fits = runs(scipy_optimize, optional("autograd"))
    ratios = {k: time_size(k, fits) for k in SIZES}
    print("\nSpeedup of the exact fit over the numerical one (numerical time / exact time)")
    print(f"  {'K':>5}{'chainrule':>12}{'eager':>12}{'autograd':>12}{'published autograd':>22}")
    for k, by_name in ratios.items():
        numerical = by_name["numerical (finite diff.)"]
        eager = numerical / by_name["chainrule eager (jit=False)"]
        autograd_ratio = by_name.get("HIPS autograd (exact)")
        autograd_speedup = (f"{numerical / autograd_ratio:>11.1f}x" if autograd_ratio
                            else f"{'n/a':>12}")
        print(f"  {k:>5}{numerical:>11.1f}x{eager:>11.1f}x{autograd_speedup}"
              f"{PUBLISHED_AUTOGRAD_SPEEDUP[k]:>21.1f}x")
    return ratios


if __name__ == "__main__":
    main()
