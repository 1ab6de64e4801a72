"""``python -m chainrule``: a short tour that checks itself as it goes.

The command line around it (``--help``, ``--version``, ``coverage``, ``check``) is in
``chainrule.cli``.
"""

from __future__ import annotations

import textwrap
import time

import numpy as np

import chainrule as cr


def _row(label: str, got: float, expected: float) -> bool:
    ok = abs(got - expected) <= 1e-9 * max(1.0, abs(expected))
    print(f"  {label:<34} {got:>14.10f}   closed form {expected:>14.10f}   "
          f"{'ok' if ok else 'MISMATCH'}")
    return ok


def derivatives() -> bool:
    print("Derivatives of f(x) = sin(x) * x**2 + 3x at x = 1.3, three ways")
    x0 = 1.3
    exact = np.cos(x0) * x0 ** 2 + 2 * x0 * np.sin(x0) + 3

    x = cr.tensor(x0, requires_grad=True)
    y = np.sin(x) * x ** 2 + 3 * x
    y.backward()
    ok = _row("Tensor.backward()", x.grad.item(), exact)

    f = lambda x: np.sin(x) * x ** 2 + 3 * x
    ok &= _row("cr.grad(f)", cr.grad(f)(x0), exact)

    second = -np.sin(x0) * x0 ** 2 + 4 * x0 * np.cos(x0) + 2 * np.sin(x0)
    ok &= _row("cr.grad(cr.grad(f))  (second)", cr.grad(cr.grad(f))(x0), second)

    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([0.5, -1.0])
    grad_b = cr.grad(lambda b: np.sum((a @ b) ** 2))(b)
    ok &= _row("np.* on Tensors: d/db |a b|^2 [0]", grad_b[0], (2 * a.T @ (a @ b))[0])
    return ok


def scalar_engine() -> bool:
    print("\nThe scalar engine for learners: e = (a + b) + a*b")
    a, b = cr.Value(2.0), cr.Value(3.0)
    e = (a + b) + a * b
    e.backward()
    print(f"  {e}   de/da = {a.grad} (1 + b)   de/db = {b.grad} (1 + a)")
    return a.grad == 4.0 and b.grad == 3.0


def trained_model() -> bool:
    print("\nA small network (cr.nn + cr.optim) trained to separate two circles")
    rng = np.random.default_rng(0)
    points = rng.uniform(-1, 1, size=(400, 2))
    labels = (np.sum(points ** 2, axis=1) < 0.45).astype(np.int64)
    model = cr.nn.Sequential(cr.nn.Linear(2, 16, rng=rng), cr.nn.Tanh(),
                             cr.nn.Linear(16, 2, rng=rng))
    optimizer = cr.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(200):
        loss = cr.nn.functional.cross_entropy(model(points), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with cr.no_grad():
        accuracy = np.mean(np.argmax(model(points).numpy(), axis=1) == labels)
    print(textwrap.indent(repr(model), "  "))
    print(f"  final loss {loss.item():.4f}, training accuracy {accuracy:.1%}")
    return accuracy > 0.95


def fitted_likelihood() -> bool:
    rng = np.random.default_rng(1)
    data = rng.normal(3.0, 2.0, size=2000)

    def negloglik(theta, y):
        mu, log_sigma = theta[0], theta[1]
        z = (y - mu) / np.exp(log_sigma)
        return np.sum(0.5 * z ** 2 + log_sigma) + 0.5 * y.size * np.log(2 * np.pi)

    quartiles = np.percentile(data, [25, 50, 75])
    start = np.array([quartiles[1], np.log((quartiles[2] - quartiles[0]) / 1.349)])
    fit = _fit_with_scipy if _has_scipy() else _fit_by_newton
    mu, sigma, mu_error, sigma_error = fit(negloglik, start, data)
    mean, std, n = data.mean(), data.std(), data.size
    ok = _row("mu", mu, mean)
    ok &= _row("sigma", sigma, std)
    ok &= _row("std err of mu: sigma / sqrt(n)", mu_error, std / np.sqrt(n))
    return _row("std err of sigma: sigma / sqrt(2n)", sigma_error, std / np.sqrt(2 * n)) & ok


def _has_scipy() -> bool:
    try:
        import scipy  # noqa: F401
    except ImportError:
        return False
    return True


def _fit_with_scipy(negloglik, start, data):
    print("\nMaximum likelihood of a normal sample: cr.mle.fit_mle, exact gradient and Hessian")
    fit = cr.mle.fit_mle(negloglik, start, data=(data,), param_names=["mu", "log_sigma"],
                         method="Newton-CG", transforms={"log_sigma": "exp"})
    print(textwrap.indent(fit.summary(), "  "))
    natural = fit.natural_scale()
    return (natural.estimates[0], natural.estimates[1], natural.std_errors[0],
            natural.std_errors[1])


def _fit_by_newton(negloglik, start, data):
    print("\nMaximum likelihood of a normal sample by Newton's method on exact derivatives")
    print("  (install SciPy for cr.mle.fit_mle and its summary table)")
    gradient = cr.grad(negloglik)
    hessian = cr.jacobian(gradient)
    theta = start
    for _ in range(30):
        theta = theta - np.linalg.solve(hessian(theta, data), gradient(theta, data))
    errors = np.sqrt(np.diag(np.linalg.inv(hessian(theta, data))))
    sigma = np.exp(theta[1])
    return theta[0], sigma, errors[0], sigma * errors[1]  # delta method for exp(log_sigma)


def main() -> int:
    start = time.perf_counter()
    ok = derivatives() & scalar_engine() & trained_model() & fitted_likelihood()
    print(f"\n{'All checks passed' if ok else 'SOME CHECKS FAILED'} "
          f"in {time.perf_counter() - start:.2f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    from chainrule.cli import main as command_line

    raise SystemExit(command_line(demo=main))
