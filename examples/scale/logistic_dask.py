"""Logistic regression by maximum likelihood on 20 million rows, on a Dask cluster.

The data (20,000,000 rows x 10 features: an intercept and 9 standard normal
covariates, 1.6 GB of float64, plus the 0/1 responses) are generated chunk by
chunk on the workers of a ``LocalCluster`` of two worker processes, each with
a memory limit below the data's size, and kept there (persisted): no process
ever holds the whole data set. ``cr.mle.fit_mle`` fits the model from a
negative log-likelihood written with plain ``np.*`` calls, by SciPy's
trust-exact method (Newton steps with the exact Hessian). Each evaluation of
the value, gradient and Hessian runs on the workers, one chunk at a time, and
only the sums over the chunks (11 numbers and a 10 x 10 matrix) come back to
this process, which holds the parameters.

The negative log-likelihood is written both ways users write it:
``np.log1p(np.exp(z))`` and ``np.logaddexp(0, z)`` (which cannot overflow);
the full data set is fitted with the second.

It checks itself and exits with status 1 if a check fails:

- on a 200,000-row subsample (every k-th row, so every chunk contributes),
  both formulations fitted on in-memory NumPy arrays and on the Dask arrays
  give the same estimates and standard errors, to 1e-8 relative;
- on the full data, every coefficient lies within 3 standard errors of the
  value that generated the data.

It prints the timings and the peak memory of this process and of each worker.
Needs SciPy and Dask: pip install "chainrule[scipy,dask]".
Run: python examples/scale/logistic_dask.py [--rows N] [--workers W] [--plot-dir DIR]
(with --plot-dir, saves the loss per iteration as a PNG; needs matplotlib).
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time
from pathlib import Path

import dask
import dask.array as da
import numpy as np
from dask.distributed import Client, LocalCluster, wait

import chainrule as cr

SEED = 2026
TRUE_BETA = np.array([-0.5, 0.8, -0.6, 0.4, -0.3, 0.25, -0.2, 0.15, 0.5, -0.7])
NAMES = ["const"] + [f"x{i}" for i in range(1, TRUE_BETA.size)]
SUBSAMPLE_ROWS = 200_000
CHUNK_ROWS = 500_000  # 40 MB of X per chunk
# Newton steps in a trust region, with the exact Hessian at every iteration: about six
# passes over the data, where BFGS needs some fifty.
METHOD = "trust-exact"
# The same code on the same rows, summed in another order: only rounding differs.
SAME_FIT_TOLERANCE = 1e-8
WITHIN_STANDARD_ERRORS = 3.0
# Worker memory thresholds (fractions of the limit): each worker keeps its share of
# the data in memory, rather than spilling it to disk at Dask's default of 60%.
WORKER_MEMORY = {"distributed.worker.memory.target": 0.8,
                 "distributed.worker.memory.spill": 0.85,
                 "distributed.worker.memory.pause": 0.9}


def negloglik_log1p(beta, X, y):
    """-log L of logistic regression, log(1 + e^z) written as np.log1p(np.exp(z))."""
    z = X @ beta
    return np.sum(np.log1p(np.exp(z)) - y * z)


def negloglik_logaddexp(beta, X, y):
    """The same, with np.logaddexp(0, z) = log(e^0 + e^z), which never overflows."""
    z = X @ beta
    return np.sum(np.logaddexp(0.0, z) - y * z)


FORMULATIONS = {"log1p(exp(z))": negloglik_log1p, "logaddexp(0, z)": negloglik_logaddexp}


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000, help="rows of data")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--memory-limit", default="1.5GB",
                        help="memory limit of each worker (default 1.5GB)")
    parser.add_argument("--plot-dir", type=Path, help="save the loss per iteration here")
    arguments = parser.parse_args()
    if arguments.rows < 1_000 or arguments.workers < 1:
        parser.error("--rows must be at least 1000 and --workers at least 1")
    return arguments


def chunk_of_data(index: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of (X, y) drawn from their own seed, so that any worker can make them."""
    rng = np.random.default_rng([SEED, index])
    X = np.empty((rows, TRUE_BETA.size))
    X[:, 0] = 1.0
    X[:, 1:] = rng.standard_normal((rows, TRUE_BETA.size - 1))
    probability = 0.5 * (1.0 + np.tanh(0.5 * (X @ TRUE_BETA)))  # 1 / (1 + e^-z)
    y = (rng.random(rows) < probability).astype(np.float64)
    return X, y


def simulated_data(rows: int) -> tuple[da.Array, da.Array]:
    """Lazy X and y, one generating task per chunk (at least 8 chunks)."""
    chunk_rows = min(CHUNK_ROWS, math.ceil(rows / 8))
    sizes = [min(chunk_rows, rows - start) for start in range(0, rows, chunk_rows)]
    chunks = [dask.delayed(chunk_of_data, nout=2)(index, size)
              for index, size in enumerate(sizes)]
    X = da.concatenate([da.from_delayed(X, (size, TRUE_BETA.size), np.float64)
                        for (X, _), size in zip(chunks, sizes)])
    y = da.concatenate([da.from_delayed(y, (size,), np.float64)
                        for (_, y), size in zip(chunks, sizes)])
    return X, y


def fit(negloglik, X, y, client: Client | None, losses: list[float] | None = None):
    """The same call fits NumPy and Dask data; records each iteration's loss if asked."""
    def record(intermediate_result):
        losses.append(float(intermediate_result.fun))

    return cr.mle.fit_mle(negloglik, np.zeros(TRUE_BETA.size), data=(X, y),
                          param_names=NAMES, method=METHOD, client=client,
                          callback=record if losses is not None else None)


def relative_difference(got: np.ndarray, expected: np.ndarray) -> float:
    return float(np.max(np.abs(got - expected) / np.abs(expected)))


def check_subsample(X: da.Array, y: da.Array, client: Client) -> list[bool]:
    """Every k-th row, fitted in memory and on the cluster, with both formulations."""
    step = max(1, X.shape[0] // SUBSAMPLE_ROWS)
    X_dask, y_dask = client.persist([X[::step][:SUBSAMPLE_ROWS], y[::step][:SUBSAMPLE_ROWS]])
    X_numpy, y_numpy = dask.compute(X_dask, y_dask)
    print(f"\nSubsample: every {step}th row, {X_numpy.shape[0]:,} rows, "
          f"{X_dask.numblocks[0]} chunks on the workers")
    results = []
    for label, negloglik in FORMULATIONS.items():
        in_memory, on_cluster = fit(negloglik, X_numpy, y_numpy, None), fit(
            negloglik, X_dask, y_dask, client)
        for what in ("estimates", "std_errors"):
            difference = relative_difference(getattr(on_cluster, what), getattr(in_memory, what))
            passed = difference <= SAME_FIT_TOLERANCE
            print(f"  {label:<16} {what:<11} Dask vs NumPy: max relative difference "
                  f"{difference:.1e} (tolerance {SAME_FIT_TOLERANCE:.0e})  "
                  f"{'ok' if passed else 'FAILED'}")
            results.append(passed)
    return results


def check_full_fit(result) -> list[bool]:
    """Each coefficient within WITHIN_STANDARD_ERRORS of its generating value."""
    print(f"\nEstimates against the values that generated the data "
          f"(|estimate - true| / std err, at most {WITHIN_STANDARD_ERRORS:g})")
    results = []
    for name, estimate, error, true in zip(NAMES, result.estimates, result.std_errors,
                                           TRUE_BETA):
        distance = abs(estimate - true) / error
        passed = distance <= WITHIN_STANDARD_ERRORS
        print(f"  {name:<6} estimate {estimate:+.5f}  true {true:+.5f}  std err {error:.5f}  "
              f"{distance:5.2f} SE  {'ok' if passed else 'FAILED'}")
        results.append(passed)
    results.append(bool(result.success))
    print(f"  optimiser converged: {result.success}  {'ok' if result.success else 'FAILED'}")
    return results


def peak_memory() -> int:
    """Peak resident memory of the calling process, in bytes. Linux's VmHWM belongs
    to this program alone; ru_maxrss would also count a parent's memory at the fork
    that started it (a benchmark that runs this script)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return 1024 * int(line.split()[1])
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else 1024 * peak


def report_memory(client: Client, data_bytes: int) -> None:
    print("\nPeak memory (resident set size)")
    print(f"  {'data on the workers (X and y)':<36}{data_bytes / 1e6:10.1f} MB")
    rows = [("client (this process)", peak_memory())]
    rows += [(f"worker {address}", peak) for address, peak in
             sorted(client.run(peak_memory).items())]
    for label, peak in rows:
        print(f"  {label:<36}{peak / 1e6:10.1f} MB  ({peak / data_bytes:.0%} of the data)")


def report_timings(timings: dict[str, float]) -> None:
    print("\nTimings")
    for label, seconds in timings.items():
        print(f"  {label:<36}{seconds:10.1f} s")


def plot_losses(plot_dir: Path | None, losses: list[float], rows: int) -> None:
    if plot_dir is None:
        return
    try:
        import matplotlib
    except ImportError:
        print('matplotlib is not installed, so no plot: pip install "chainrule[plot]"')
        return
    matplotlib.use("Agg")  # files only: no window, works without a display
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    plot_dir.mkdir(parents=True, exist_ok=True)
    iterations = np.arange(1, len(losses) + 1)
    excess = np.array(losses) - min(losses)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(iterations, losses, marker="o")
    left.set(xlabel="iteration", ylabel="negative log-likelihood", title="Loss")
    right.semilogy(iterations[excess > 0], excess[excess > 0], marker="o")
    right.set(xlabel="iteration", ylabel="loss - final loss", title="Distance to the optimum")
    for axes in (left, right):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
    figure.suptitle(f"Logistic regression on Dask, {rows:,} rows ({METHOD})")
    figure.tight_layout()
    path = plot_dir / "logistic_dask_loss.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"plot saved to {path}")


def run(arguments: argparse.Namespace) -> list[bool]:
    timings, start = {}, time.perf_counter()
    with dask.config.set(WORKER_MEMORY), LocalCluster(
            n_workers=arguments.workers, threads_per_worker=1, processes=True,
            memory_limit=arguments.memory_limit, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        timings["start the cluster"] = time.perf_counter() - start
        print(f"LocalCluster: {arguments.workers} worker processes, one thread each, "
              f"memory limit {arguments.memory_limit} each")

        tick = time.perf_counter()
        X, y = client.persist(list(simulated_data(arguments.rows)))
        wait([X, y])
        timings["generate and persist the data"] = time.perf_counter() - tick
        data_bytes = X.nbytes + y.nbytes
        print(f"Data: {arguments.rows:,} rows x {X.shape[1]} features, "
              f"{data_bytes / 1e9:.2f} GB in {X.numblocks[0]} chunks on the workers")

        tick = time.perf_counter()
        results = check_subsample(X, y, client)
        timings["subsample: 4 fits, NumPy and Dask"] = time.perf_counter() - tick

        tick, losses = time.perf_counter(), []
        result = fit(negloglik_logaddexp, X, y, client, losses)
        timings["full fit"] = time.perf_counter() - tick
        print(f"\nFull data, logaddexp(0, z), {METHOD}: {result.iterations} iterations, "
              f"{result.optimize_result.nfev} evaluations of the value and gradient, "
              f"{result.optimize_result.get('nhev', 0)} of the Hessian")
        print(result.summary())
        results += check_full_fit(result)
        timings["whole run"] = time.perf_counter() - start
        report_timings(timings)
        report_memory(client, data_bytes)
    plot_losses(arguments.plot_dir, losses, arguments.rows)
    return results


def main() -> None:
    results = run(parse_arguments())
    if not all(results):
        print(f"FAILED: {results.count(False)} of {len(results)} checks")
        sys.exit(1)
    print(f"all {len(results)} checks passed")


if __name__ == "__main__":
    main()
