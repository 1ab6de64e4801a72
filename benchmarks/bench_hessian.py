"""Logistic regression: gradient plus full Hessian of the negative log-likelihood,
written with np.logaddexp and, as users write it, as np.log(1 + np.exp(z)).

N = 20,000 rows, k = 20 features, float64. Ratios against the analytic
gradient X^T (p - y) and Hessian X^T diag(p (1 - p)) X in NumPy. Target:
chainrule <= 1.5x. Then jacfwd against jacobian on tanh(A @ x) with a fixed
100 x 100 matrix A (100 inputs, 100 outputs).

The Hessian pass makes (k, N) tangent arrays of 3.2 MB each. Where the kernel
makes fresh pages expensive (some VMs), glibc's returning them to the system
dominates; MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=536870912 in
the environment keeps them in the heap, for NumPy and chainrule alike.
"""

from __future__ import annotations

import numpy as np
from common import best_time, optional, report, torch_single_thread

import chainrule as cr

ROWS, FEATURES = 20_000, 20
rng = np.random.default_rng(0)
X = rng.standard_normal((ROWS, FEATURES))
W = rng.standard_normal(FEATURES) / np.sqrt(FEATURES)
Y = (rng.random(ROWS) < 1 / (1 + np.exp(-X @ W))).astype(np.float64)
SIZE = 100
A = rng.standard_normal((SIZE, SIZE)) / np.sqrt(SIZE)
X100 = rng.standard_normal(SIZE)


def analytic(w):
    p = 1 / (1 + np.exp(-(X @ w)))
    return X.T @ (p - Y), (X.T * (p * (1 - p))) @ X


def negative_log_likelihood(w):
    z = X @ w
    return np.sum(np.logaddexp(0.0, z) - Y * z)


def negative_log_likelihood_as_written(w):
    """The same likelihood as users write it: more operations, larger tangents."""
    z = X @ w
    return np.sum(np.log(1 + np.exp(z)) - Y * z)


def chainrule_both(nll=negative_log_likelihood):
    nll_grad, nll_hessian = cr.grad(nll), cr.hessian(nll)
    return lambda w: (nll_grad(w), nll_hessian(w))


def autograd_both(autograd):
    anp = autograd.numpy

    def nll(w):
        z = anp.dot(X, w)
        return anp.sum(anp.logaddexp(0.0, z) - Y * z)

    nll_grad, nll_hessian = autograd.grad(nll), autograd.hessian(nll)
    return lambda w: (nll_grad(w), nll_hessian(w))


def torch_both(torch):
    x, y = torch.from_numpy(X), torch.from_numpy(Y)

    def nll(w):
        z = x @ w
        return torch.sum(torch.nn.functional.softplus(z) - y * z)

    def both(w):
        w = torch.from_numpy(w).requires_grad_(True)
        (g,) = torch.autograd.grad(nll(w), w)
        return g.numpy(), torch.autograd.functional.hessian(nll, w).numpy()

    return both


def jax_both(jax):
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    x, y = jnp.asarray(X), jnp.asarray(Y)

    def nll(w):
        z = x @ w
        return jnp.sum(jnp.logaddexp(0.0, z) - y * z)

    nll_grad, nll_hessian = jax.jit(jax.grad(nll)), jax.jit(jax.hessian(nll))

    def both(w):
        g, h = nll_grad(w), nll_hessian(w)
        return np.asarray(g.block_until_ready()), np.asarray(h.block_until_ready())

    return both


def assert_matches_analytic(name, got):
    expected = analytic(W)
    for what, a, b in zip(("gradient", "Hessian"), got, expected):
        assert np.allclose(a, b, rtol=1e-8, atol=1e-8), f"{name}: {what} differs"


def hessian_rows() -> list[tuple[str, float]]:
    runs = [("analytic NumPy", analytic), ("chainrule", chainrule_both()),
            ("chainrule, log(1 + exp(z))", chainrule_both(negative_log_likelihood_as_written))]
    peers = [("autograd", "HIPS autograd", autograd_both),
             ("torch", "torch CPU (1 thread)", torch_both),
             ("jax", "jax (jit)", jax_both)]
    for module, label, make in peers:
        lib = optional(module)
        if lib is None:
            print(f"  ({module} is not installed: skipped)")
            continue
        if module == "torch":
            torch_single_thread(lib)
        runs.append((label, make(lib)))
    rows = []
    for name, run in runs:
        assert_matches_analytic(name, run(W))
        rows.append((name, best_time(lambda run=run: run(W), repeat=15)))
    return rows


def tanh_layer(x):
    return np.tanh(A @ x)


def jacobian_rows() -> list[tuple[str, float]]:
    expected = (1 - np.tanh(A @ X100) ** 2)[:, None] * A
    rows = []
    for name, transform in (("cr.jacobian (reverse)", cr.jacobian),
                            ("cr.jacfwd (forward)", cr.jacfwd)):
        jac = transform(tanh_layer)
        assert np.allclose(jac(X100), expected, rtol=1e-12, atol=1e-12), name
        rows.append((name, best_time(lambda jac=jac: jac(X100), repeat=15)))
    return rows


def main() -> dict[str, float]:
    ratios = report(f"Logistic regression, N={ROWS:,}, k={FEATURES}: gradient + Hessian",
                    hessian_rows(), "analytic NumPy")
    report(f"Jacobian of tanh(A @ x), {SIZE} in / {SIZE} out", jacobian_rows(),
           "cr.jacobian (reverse)")
    return ratios


if __name__ == "__main__":
    main()
