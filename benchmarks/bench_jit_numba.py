"""cr.jit with the numba backend (fused elementwise loops) against hand-written NumPy.

Single-threaded BLAS (threadpoolctl, when installed). Two workloads:

- per-op: 1000 x (sin, *1.001, +0.1, tanh) on 16 float64, gradient (bench_per_op's
  hand-written forward and backward as the baseline). Target <= 0.25x.
- logistic regression, N = 20,000, k = 20, written ``np.log(1 + np.exp(z))``:
  gradient + full Hessian (bench_hessian's analytic NumPy as the baseline), as two
  jitted functions and as one returning both. Target <= 1.1x.

Also printed: the time of the first call (tracing), of the second (numba compiling the
kernels) and how many distinct kernels were compiled. Skips when numba is absent.
"""

from __future__ import annotations

import contextlib
import time

import bench_hessian
import bench_per_op
import numpy as np
from common import best_time, optional, report

import chainrule as cr
import chainrule.numpy as cnp


def per_op_function(x):
    t = x
    for _ in range(bench_per_op.REPS):
        t = cnp.tanh(cnp.sin(t) * 1.001 + 0.1)
    return cnp.sum(t)


def logistic_nll(w):
    z = bench_hessian.X @ w
    return np.sum(np.log(1 + np.exp(z)) - bench_hessian.Y * z)


def compiled_with_costs(make, args, label):
    """``make()`` jitted, called twice; prints how long tracing and compiling took."""
    from chainrule.jit import numba_backend

    kernels_before = numba_backend.kernel_cache_size()
    fn = make()
    start = time.perf_counter()
    fn(*args)
    traced = time.perf_counter()
    fn(*args)
    compiled = time.perf_counter()
    steady = best_time(lambda: fn(*args), repeat=3)
    print(f"  {label}: trace {traced - start:.2f} s, first compiled call "
          f"{compiled - traced:.2f} s (numba compiling, less one steady call "
          f"{steady * 1e3:.2f} ms), {numba_backend.kernel_cache_size() - kernels_before} "
          f"new distinct kernels")
    return fn


def per_op_rows():
    x0 = bench_per_op.X0
    expected = bench_per_op.hand_written()
    numba_grad = compiled_with_costs(
        lambda: cr.jit(cr.grad(per_op_function), backend="numba"), (x0,), "per-op numba")
    numpy_grad = cr.jit(cr.grad(per_op_function))
    for name, fn in (("numba", numba_grad), ("numpy", numpy_grad)):
        assert np.allclose(fn(x0), expected, rtol=1e-12, atol=1e-300), name
    return [("hand-written NumPy", best_time(bench_per_op.hand_written)),
            ("cr.jit numba backend", best_time(lambda: numba_grad(x0))),
            ("cr.jit numpy backend", best_time(lambda: numpy_grad(x0)))]


def hessian_rows():
    w = bench_hessian.W

    def both(backend):
        gradient = cr.jit(cr.grad(logistic_nll), backend=backend)
        hessian = cr.jit(cr.hessian(logistic_nll), backend=backend)
        return lambda w: (gradient(w), hessian(w))

    def one_function(backend):  # as the analytic baseline: X @ w computed once for both
        return cr.jit(lambda w: (cr.grad(logistic_nll)(w), cr.hessian(logistic_nll)(w)),
                      backend=backend)

    numba_both = compiled_with_costs(lambda: both("numba"), (w,), "logistic numba")
    rows = []
    for name, run in (("analytic NumPy", bench_hessian.analytic),
                      ("cr.jit numba backend", numba_both),
                      ("cr.jit numba, one function", one_function("numba")),
                      ("cr.jit numpy backend", both("numpy")),
                      ("cr.jit numpy, one function", one_function("numpy"))):
        bench_hessian.assert_matches_analytic(name, run(w))
        rows.append((name, best_time(lambda run=run: run(w), repeat=15)))
    return rows


def main() -> dict[str, float]:
    if optional("numba") is None:
        print("numba is not installed (pip install chainrule[jit]): skipped")
        return {}
    threadpoolctl = optional("threadpoolctl")
    limit = (threadpoolctl.threadpool_limits(1) if threadpoolctl is not None
             else contextlib.nullcontext())
    with limit:
        ratios = report("per-op: 1000 x (sin, *1.001, +0.1, tanh) on 16 float64, gradient",
                        per_op_rows(), "hand-written NumPy")
        report("logistic regression log(1 + exp(z)), N=20,000, k=20: gradient + Hessian",
               hessian_rows(), "analytic NumPy")
    return ratios


if __name__ == "__main__":
    main()
