"""Dask arrays against NumPy: one optimiser iteration, and the 20M-row example.

(a) One iteration's work for a logistic negative log-likelihood on 1,000,000 rows
    x 10 features (80 MB, in memory either way): the value and gradient, and the
    value, gradient and Hessian, each from one graph as ``fit_mle`` computes them, with
    the likelihood written as ``log1p(exp(z))`` and as ``logaddexp(0, z)``. NumPy
    arrays (eager, and compiled with ``cr.jit``) against the same data as a Dask
    array of 8 chunks on Dask's synchronous scheduler (the graph's own cost), its
    threaded scheduler (2 threads), and a ``LocalCluster`` of 2 worker processes
    with the data persisted on them. Ratios are against eager NumPy.
(b) examples/scale/logistic_dask.py on 20,000,000 rows (1.76 GB) with 1 and then
    2 worker processes, in a process of its own: wall times and the speed-up.
(c) The peak resident memory of the client and of each worker in those runs,
    against the data's size.

One BLAS thread everywhere (threadpoolctl here, Dask's nanny in the workers), one
thread per worker. On a two-core machine the two workers have a core each only if
nothing else runs; the timings are only as steady as the machine is idle.
Run: python benchmarks/bench_dask.py [--rows N] [--skip-example]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path

import numpy as np
from common import best_time, optional, report

import chainrule as cr

ROWS, FEATURES, CHUNKS, SEED = 1_000_000, 10, 8, 0
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "scale" / "logistic_dask.py"
# One worker holds all 1.76 GB of the 20M-row data: room for it, so that nothing spills.
MEMORY_LIMIT = {1: "3GB", 2: "1.5GB"}


def _example_module():
    """examples/scale/logistic_dask.py as a module: its likelihoods are what is timed."""
    spec = importlib.util.spec_from_file_location("logistic_dask", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FORMULATIONS = _example_module().FORMULATIONS


def simulate() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    X = np.column_stack([np.ones(ROWS), rng.standard_normal((ROWS, FEATURES - 1))])
    beta = rng.uniform(-0.8, 0.8, FEATURES)
    y = (rng.random(ROWS) < 1 / (1 + np.exp(-X @ beta))).astype(np.float64)
    return X, y


def iteration(negloglik, with_hessian: bool, compiled: bool = False):
    """One iteration's work at a point as ``fit_mle`` does it, as a function of the data:
    the value and gradient, or those and the Hessian (forward mode over the gradient)
    from one graph, so that Dask data costs one ``dask.compute``."""
    def gradient_with_value(beta, X, y):
        value, gradient = cr.value_and_grad(negloglik)(beta, X, y)
        return gradient, (value, gradient)

    work = (cr.jacfwd(gradient_with_value, has_aux=True) if with_hessian
            else cr.value_and_grad(negloglik))
    work = cr.jit(work) if compiled else work
    beta = np.full(FEATURES, 0.1)
    return lambda X, y: work(beta, X, y)


def single_blas_thread():
    threadpoolctl = optional("threadpoolctl")
    return nullcontext() if threadpoolctl is None else threadpoolctl.threadpool_limits(1)


def time_iterations(X, y, client) -> None:
    import dask.array as da
    import dask.config

    in_memory = (X, y)
    lazy = (da.from_array(X, chunks=(ROWS // CHUNKS, FEATURES)),
            da.from_array(y, chunks=ROWS // CHUNKS))
    on_cluster = tuple(client.persist(list(lazy)))
    for with_hessian in (False, True):
        for label, negloglik in FORMULATIONS.items():
            work = "value + gradient + Hessian" if with_hessian else "value + gradient"
            rows = time_one(iteration(negloglik, with_hessian),
                            iteration(negloglik, with_hessian, compiled=True),
                            in_memory, lazy, on_cluster, dask, client)
            report(f"{work}, {label}, {ROWS:,} x {FEATURES}", rows, "NumPy, eager")


def time_one(run, compiled, in_memory, lazy, on_cluster, dask, client) -> list:
    """Rows of (variant, seconds) for one iteration's work, checked against NumPy's."""
    expected = run(*in_memory)
    rows = [("NumPy, eager", best_time(lambda: run(*in_memory))),
            ("NumPy, cr.jit", best_time(lambda: compiled(*in_memory)))]
    variants = [("Dask, synchronous scheduler", "synchronous", lazy),
                ("Dask, threaded scheduler (2 threads)", "threads", lazy),
                ("Dask, LocalCluster of 2 processes", client, on_cluster)]
    for name, scheduler, data in variants:
        with dask.config.set(scheduler=scheduler):
            check_same(run(*data), expected)
            rows.append((name, best_time(lambda data=data: run(*data), repeat=5)))
    return rows


def check_same(got, expected) -> None:
    """The Dask results are the NumPy ones, up to the order of the sums."""
    for got_leaf, expected_leaf in zip(flat(got), flat(expected)):
        np.testing.assert_allclose(got_leaf, expected_leaf, rtol=1e-10)


def flat(results) -> list:
    if isinstance(results, tuple):
        return [leaf for part in results for leaf in flat(part)]
    return [np.asarray(results)]


def run_example(rows: int, workers: int) -> dict[str, float]:
    """The example in a process of its own; its timings (s) and peak memories (MB)."""
    env = {**os.environ, **{name: "1" for name in ("OPENBLAS_NUM_THREADS",
                                                   "OMP_NUM_THREADS", "MKL_NUM_THREADS")}}
    source = str(EXAMPLE.parent.parent.parent / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    finished = subprocess.run(
        [sys.executable, str(EXAMPLE), "--rows", str(rows), "--workers", str(workers),
         "--memory-limit", MEMORY_LIMIT[workers]],
        capture_output=True, text=True, env=env, check=False)
    if finished.returncode != 0:
        raise RuntimeError(f"the example failed:\n{finished.stdout}\n{finished.stderr}")
    measured = {label.strip(): float(value) for label, value in
                re.findall(r"^  (\S.*?)\s+([\d.]+) (?:s|MB)\b", finished.stdout, re.M)}
    measured["iterations"] = float(re.search(r"(\d+) iterations", finished.stdout).group(1))
    return measured


def report_example(rows: int) -> None:
    runs = {workers: run_example(rows, workers) for workers in (1, 2)}
    print(f"\nexamples/scale/logistic_dask.py, {rows:,} rows, trust-exact "
          f"({runs[2]['iterations']:.0f} iterations)")
    print(f"  {'':<40}{'1 worker':>12}{'2 workers':>12}{'speed-up':>10}")
    for label in ("generate and persist the data", "subsample: 4 fits, NumPy and Dask",
                  "full fit", "whole run"):
        one, two = runs[1][label], runs[2][label]
        print(f"  {label + ' (s)':<40}{one:>12.1f}{two:>12.1f}{one / two:>9.2f}x")
    for workers, measured in runs.items():
        data = measured["data on the workers (X and y)"]
        print(f"\nPeak memory with {workers} worker(s), data {data:,.0f} MB "
              f"(memory limit {MEMORY_LIMIT[workers]} per worker)")
        for label, value in measured.items():
            if label.startswith(("client", "worker")):
                print(f"  {label:<40}{value:>10,.0f} MB  {value / data:>6.0%} of the data")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000, help="rows for (b) and (c)")
    parser.add_argument("--skip-example", action="store_true", help="only (a)")
    arguments = parser.parse_args()
    if optional("dask.distributed") is None or optional("scipy") is None:
        print('Dask and SciPy are not installed: pip install "chainrule[scipy,dask]"')
        return
    from dask.distributed import Client, LocalCluster

    X, y = simulate()
    with (single_blas_thread(),
          LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
          Client(cluster, set_as_default=False) as client):
        time_iterations(X, y, client)
    if not arguments.skip_example:
        report_example(arguments.rows)


if __name__ == "__main__":
    main()
