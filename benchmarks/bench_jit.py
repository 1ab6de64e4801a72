"""cr.jit against hand-written NumPy, eager chainrule and JAX jit, one BLAS thread.

Four workloads, each as a user would write it:
- per-op: 1000 x (sin, *1.001, +0.1, tanh) on 16 float64, forward and backward
  (np.* on arrays, and chainrule.numpy), compiled as ``cr.jit(cr.grad(f))`` and as
  ``cr.grad(cr.jit(f))`` (a compiled forward, and a compiled VJP that recomputes it);
- the logistic negative log-likelihood, N = 20,000, k = 20: gradient plus full
  Hessian, as ``log(1 + exp(z))`` and as ``logaddexp(0, z)``, called as two
  compiled functions, as one, and as transforms of the compiled likelihood;
- a deep chain of 100,000 operations on one element, value and gradient;
- one SGD step of a 784-512-512-10 ReLU MLP, float32, batch 128.

Also the time to trace and compile each, and the peak memory of a compiled call
against an eager one. Targets (issue #14): per-op <= 1.1x, logistic <= 1.5x,
deep chain <= 1.3x, MLP <= 1.0x, a 4000-op program compiled in under a second.
"""

from __future__ import annotations

import time

import bench_deep_chain as deep
import bench_hessian as logistic
import bench_mlp as mlp
import bench_per_op as per_op
import numpy as np
from common import best_time, optional, peak_traced_memory, report

import chainrule as cr
import chainrule.numpy as cnp


def _single_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(1)


def timed_first_call(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


# --- per-op -------------------------------------------------------------------------
def per_op_loss(np_module):
    def f(x):
        t = x
        for _ in range(per_op.REPS):
            t = np_module.tanh(np_module.sin(t) * 1.001 + 0.1)
        return np_module.sum(t)
    return f


def run_per_op(jax) -> dict:
    x = per_op.X0
    rows = [("hand-written NumPy", best_time(per_op.hand_written)),
            ("eager cr.grad", best_time(per_op.chainrule_grad))]
    compile_times = {}
    for label, module in (("np.*", np), ("chainrule.numpy", cnp)):
        compiled = cr.jit(cr.grad(per_op_loss(module)))
        compile_times[label] = timed_first_call(compiled, x)
        assert np.allclose(compiled(x), per_op.hand_written())
        rows.append((f"cr.jit(cr.grad) {label}", best_time(lambda c=compiled: c(x))))
        differentiated = cr.grad(cr.jit(per_op_loss(module)))
        compile_times[f"cr.grad(cr.jit) {label}"] = timed_first_call(differentiated, x)
        assert np.allclose(differentiated(x), per_op.hand_written())
        rows.append((f"cr.grad(cr.jit) {label}", best_time(lambda d=differentiated: d(x))))
    if jax is not None:
        g = jax.jit(jax.grad(per_op_loss(jax.numpy)))
        g(x).block_until_ready()
        rows.append(("JAX jit", best_time(lambda: g(x).block_until_ready())))
    report("per-op: 4000 ops on 16 float64 + backward", rows, "hand-written NumPy")
    print("  trace + compile: " + ", ".join(f"{k} {v:.3f} s" for k, v in compile_times.items()))
    return dict(rows)


# --- logistic gradient + Hessian ------------------------------------------------------
def nll_log1p_exp(w):
    z = logistic.X @ w
    return np.sum(np.log(1 + np.exp(z)) - logistic.Y * z)


def nll_logaddexp(w):
    z = logistic.X @ w
    return np.sum(np.logaddexp(0.0, z) - logistic.Y * z)


def run_logistic(jax) -> dict:
    w = logistic.W
    rows = [("analytic NumPy", best_time(lambda: logistic.analytic(w)))]
    compile_times = {}
    expected_g, expected_h = logistic.analytic(w)
    for label, nll in (("log(1+exp(z))", nll_log1p_exp), ("logaddexp(0,z)", nll_logaddexp)):
        eager_g, eager_h = cr.grad(nll), cr.hessian(nll)
        rows.append((f"eager {label}", best_time(lambda g=eager_g, h=eager_h: (g(w), h(w)))))
        g, h = cr.jit(cr.grad(nll)), cr.jit(cr.hessian(nll))
        both = cr.jit(lambda w, nll=nll: (cr.grad(nll)(w), cr.hessian(nll)(w)))
        compile_times[label] = timed_first_call(g, w) + timed_first_call(h, w)
        both(w)
        assert np.allclose(g(w), expected_g) and np.allclose(h(w), expected_h)
        rows.append((f"cr.jit grad, hessian {label}", best_time(lambda g=g, h=h: (g(w), h(w)))))
        rows.append((f"cr.jit one function {label}", best_time(lambda b=both: b(w))))
        fast = cr.jit(nll)
        g, h = cr.grad(fast), cr.hessian(fast)
        compile_times[f"cr.grad, cr.hessian of cr.jit {label}"] = \
            timed_first_call(g, w) + timed_first_call(h, w)
        assert np.allclose(g(w), expected_g) and np.allclose(h(w), expected_h)
        rows.append((f"cr.grad, cr.hessian of cr.jit {label}",
                     best_time(lambda g=g, h=h: (g(w), h(w)))))
    if jax is not None:
        jnp = jax.numpy
        X, Y = jnp.asarray(logistic.X), jnp.asarray(logistic.Y)

        def jax_nll(w):
            z = X @ w
            return jnp.sum(jnp.log(1 + jnp.exp(z)) - Y * z)

        jg, jh = jax.jit(jax.grad(jax_nll)), jax.jit(jax.hessian(jax_nll))
        jg(w).block_until_ready()
        jh(w).block_until_ready()
        rows.append(("JAX jit log(1+exp(z))", best_time(
            lambda: (jg(w).block_until_ready(), jh(w).block_until_ready()))))
    report("logistic NLL, N=20000, k=20: gradient + Hessian", rows, "analytic NumPy")
    print("  trace + compile: " + ", ".join(f"{k} {v:.3f} s" for k, v in compile_times.items()))
    compiled = cr.jit(cr.hessian(nll_log1p_exp))
    compiled(w)
    eager = cr.hessian(nll_log1p_exp)
    compiled_peak = peak_traced_memory(lambda: compiled(w)) / 2**20
    eager_peak = peak_traced_memory(lambda: eager(w)) / 2**20
    print(f"  peak memory of one Hessian: compiled {compiled_peak:.1f} MiB, "
          f"eager {eager_peak:.1f} MiB")
    return dict(rows)


# --- deep chain -------------------------------------------------------------------------
def deep_chain(x):
    for _ in range(deep.PAIRS):
        x = x * deep.C
        x = x + 0.0
    return x[0]


def run_deep_chain() -> dict:
    x = deep.X0
    compiled = cr.jit(cr.value_and_grad(deep_chain))
    compile_time = timed_first_call(compiled, x)
    assert np.allclose(compiled(x)[1], deep.hand_written())
    rows = [("hand-written NumPy", best_time(deep.hand_written, repeat=3)),
            ("eager", best_time(deep.chainrule_chain, repeat=3)),
            ("cr.jit(value_and_grad)", best_time(lambda: compiled(x), repeat=3))]
    report("deep chain: 100,000 ops on one element, value + gradient", rows,
           "hand-written NumPy")
    print(f"  trace + compile: {compile_time:.2f} s")
    return dict(rows)


# --- MLP SGD step -----------------------------------------------------------------------
def mlp_loss(params):
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.maximum(mlp.X @ w1 + b1, 0)
    h2 = np.maximum(h1 @ w2 + b2, 0)
    z3 = h2 @ w3 + b3
    shifted = z3 - cr.stop_gradient(np.max(z3, axis=1, keepdims=True))
    log_total = np.log(np.sum(np.exp(shifted), axis=1))
    return np.mean(log_total - shifted[np.arange(mlp.BATCH), mlp.Y])


def run_mlp() -> dict:
    compiled = cr.jit(cr.value_and_grad(mlp_loss))

    def step(params):
        loss, grads = compiled(params)
        for p, g in zip(params, grads):
            p -= mlp.LR * g
        return loss

    hand = [p.copy() for p in mlp.PARAMS]
    ours = [p.copy() for p in mlp.PARAMS]
    compile_time = timed_first_call(compiled, ours)
    expected = mlp.hand_written_step([p.copy() for p in mlp.PARAMS])
    assert np.isclose(step([p.copy() for p in mlp.PARAMS]), expected, rtol=1e-4)
    eager = [cr.tensor(p, requires_grad=True) for p in mlp.PARAMS]
    rows = [("hand-written NumPy", best_time(lambda: mlp.hand_written_step(hand), repeat=15)),
            ("eager", best_time(lambda: mlp.chainrule_step(eager), repeat=15)),
            ("cr.jit(value_and_grad) + update", best_time(lambda: step(ours), repeat=15))]
    report("MLP SGD step 784-512-512-10, batch 128, float32", rows, "hand-written NumPy")
    print(f"  trace + compile: {compile_time:.3f} s")
    return dict(rows)


def main() -> None:
    jax = optional("jax")
    if jax is not None:
        jax.config.update("jax_enable_x64", True)
    limits = _single_thread()
    try:
        run_per_op(jax)
        run_logistic(jax)
        run_deep_chain()
        run_mlp()
    finally:
        if limits is not None:
            limits.unregister()


if __name__ == "__main__":
    main()
