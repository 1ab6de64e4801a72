"""Fitting on a real dask.distributed cluster: two worker processes on this machine.

One cluster serves the module; a test that kills workers starts its own, as a nanny
here does not bring a killed worker back (its restart fails to pickle the process).
Every fit runs in a thread joined with a timeout, so that a lost worker shows as a
failure, never as a hung test run.
"""

import os
import threading

import numpy as np
import pytest

pytest.importorskip("scipy")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import chainrule as cr  # noqa: E402
from chainrule.scale import ClusterComputeError  # noqa: E402

TIMEOUT = 60  # seconds any one fit may take before the test fails
ROWS, CHUNK = 600, 150
TRUE_BETA = np.array([0.3, -0.8, 0.5])


def poisson_data():
    rng = np.random.default_rng(11)
    X = np.column_stack([np.ones(ROWS), rng.normal(size=(ROWS, 2))])
    return X, rng.poisson(np.exp(X @ TRUE_BETA)).astype(float)


X, Y = poisson_data()
X_LAZY, Y_LAZY = da.from_array(X, chunks=(CHUNK, 3)), da.from_array(Y, chunks=CHUNK)


def poisson_negloglik(beta, X, y):
    eta = X @ beta
    return np.sum(np.exp(eta) - y * eta)


def two_worker_client():
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       dashboard_address=":0", silence_logs=50)
    with cluster, distributed.Client(cluster) as client:
        client.wait_for_workers(2, timeout=TIMEOUT)
        yield client


@pytest.fixture(scope="module")
def client():
    yield from two_worker_client()


@pytest.fixture
def doomed_client():
    """A cluster of its own, for a test that kills its workers."""
    yield from two_worker_client()


@pytest.fixture
def computes(client, monkeypatch):
    """Counts the graphs sent to the cluster (``dask.compute`` calls ``client.get``)."""
    sent = []
    get = client.get

    def counting_get(*args, **kwargs):
        sent.append(1)
        return get(*args, **kwargs)

    monkeypatch.setattr(client, "get", counting_get)
    return sent


def within(seconds, run):
    """``run()``'s result, or its exception; fails the test if it takes longer."""
    outcome = {}

    def target():
        try:
            outcome["value"] = run()
        except BaseException as error:  # handed to the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"the fit did not finish within {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def fit_in_memory():
    return cr.mle.fit_mle(poisson_negloglik, np.zeros(3), data=(X, Y), method="trust-exact")


def test_fit_mle_on_the_cluster_equals_the_in_memory_fit(client, computes):
    lazy = within(TIMEOUT, lambda: cr.mle.fit_mle(
        poisson_negloglik, np.zeros(3), data=(X_LAZY, Y_LAZY), method="trust-exact",
        client=client))
    in_memory = fit_in_memory()
    np.testing.assert_allclose(lazy.estimates, in_memory.estimates, rtol=1e-8)
    np.testing.assert_allclose(lazy.std_errors, in_memory.std_errors, rtol=1e-8)
    assert lazy.loglik == pytest.approx(in_memory.loglik, rel=1e-10)
    # One round trip per point: value, gradient and Hessian together, and the Hessian
    # of the last point serves the standard errors.
    assert len(computes) == lazy.optimize_result.nfev


def test_minimize_with_gradients_sends_one_graph_per_point(client, computes):
    result = within(TIMEOUT, lambda: cr.optimize.minimize(
        poisson_negloglik, np.zeros(3), args=(X_LAZY, Y_LAZY), method="BFGS", client=client))
    assert result.success
    assert len(computes) == result.nfev


def poisoned(X_lazy, flag):
    """``X_lazy`` read through a task that ends its worker process while ``flag``
    exists (once, if ``once``): a worker lost in the middle of an iteration."""

    def read_chunk(block, once):
        if os.path.exists(flag):
            if once:
                try:
                    os.remove(flag)
                except FileNotFoundError:  # another task took the flag first
                    return block
            os._exit(1)
        return block

    return lambda once: X_lazy.map_blocks(read_chunk, once, dtype=X_lazy.dtype)


def poison_at_iteration(flag, iteration):
    def callback(xk):
        if callback.iterations == iteration - 1:
            flag.touch()
        callback.iterations += 1

    callback.iterations = 0
    return callback


def test_a_worker_killed_mid_iteration_is_recovered_by_dasks_retries(doomed_client,
                                                                      tmp_path):
    flag = tmp_path / "kill-one-worker"
    X_flaky = poisoned(X_LAZY, str(flag))(once=True)
    lazy = within(TIMEOUT, lambda: cr.mle.fit_mle(
        poisson_negloglik, np.zeros(3), data=(X_flaky, Y_LAZY), method="trust-exact",
        client=doomed_client, callback=poison_at_iteration(flag, 2)))
    assert not flag.exists()  # a task took it: a worker did die during the fit
    np.testing.assert_allclose(lazy.estimates, fit_in_memory().estimates, rtol=1e-8)
    np.testing.assert_allclose(lazy.std_errors, fit_in_memory().std_errors, rtol=1e-8)


def test_workers_dying_past_the_retries_raise_an_error_naming_the_iteration(doomed_client,
                                                                            tmp_path):
    flag = tmp_path / "kill-every-worker"
    X_flaky = poisoned(X_LAZY, str(flag))(once=False)
    doomed_client.run_on_scheduler(
        lambda dask_scheduler: setattr(dask_scheduler, "allowed_failures", 0))
    with pytest.raises(ClusterComputeError, match=r"at iteration 2 .*KilledWorker"):
        within(TIMEOUT, lambda: cr.optimize.minimize(
            poisson_negloglik, np.zeros(3), args=(X_flaky, Y_LAZY), method="trust-exact",
            client=doomed_client, callback=poison_at_iteration(flag, 2)))
