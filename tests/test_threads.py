"""Tracing and backward walks in several threads at once give the single-threaded answers,
and leave no process-wide state (the garbage collector) changed behind them."""

import gc
import random
import sys
import threading
import time
import warnings
import weakref

import numpy as np
import pytest

import chainrule as cr
from chainrule._core import graph
from chainrule.ops.broadcast import identity_basis

THREADS = 4


@pytest.fixture(autouse=True)
def frequent_thread_switches():
    """Switch threads every microsecond, so that races show up within a few calls."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def run_in_threads(work, count=THREADS):
    """``work(i)`` in ``count`` threads started together; their results, in order."""
    results = [None] * count
    errors = []
    start = threading.Barrier(count)

    def run(i):
        try:
            start.wait()
            results[i] = work(i)
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def block(u, v):
    return np.tanh(u * v) + u ** 2


def checkpointed_gradients(seed: int, repeats: int = 60) -> list:
    rng = np.random.default_rng(seed)
    results = []
    for _ in range(repeats):
        a = cr.tensor(rng.normal(size=3), requires_grad=True)
        b = cr.tensor(rng.normal(size=3), requires_grad=True)
        loss = np.sum(cr.checkpoint(block, a, b) * cr.checkpoint(block, b, a))
        results.append(cr.gradients(loss, [a, b]))
    return results


def test_second_gradients_through_a_checkpoint_with_retained_graph():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    c = cr.tensor([3.0, 4.0])
    out = cr.checkpoint(lambda u, v: u * v, a, c)
    cotangent = np.ones(2)
    first = cr.gradients(out, [a], grad_outputs=[cotangent], retain_graph=True)
    second = cr.gradients(out, [a], grad_outputs=[cotangent], retain_graph=True)
    np.testing.assert_array_equal(first[0].numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(second[0].numpy(), [3.0, 4.0])


def test_checkpointed_backward_passes_in_threads_match_one_thread():
    expected = [checkpointed_gradients(i) for i in range(THREADS)]
    for _ in range(3):
        results = run_in_threads(checkpointed_gradients)
        for got, want in zip(results, expected):
            for got_pair, want_pair in zip(got, want):
                for g, w in zip(got_pair, want_pair):
                    np.testing.assert_array_equal(g.numpy(), w.numpy())


def test_checkpointed_jacobians_in_threads_match_one_thread():
    def jacobian(i):
        x = np.linspace(-1.0, 1.0, 4) + i
        return [cr.jacobian(lambda z: cr.checkpoint(block, z, z[::-1]))(x) for _ in range(10)]

    expected = [jacobian(i) for i in range(THREADS)]
    for got, want in zip(run_in_threads(jacobian), expected):
        np.testing.assert_array_equal(np.array(got), np.array(want))


def test_jacfwd_in_threads_matches_one_thread():
    def jacobians(i):
        sizes = (3 + i, 40, 3 + i, 7)  # shared and private sizes of identity basis
        return [cr.jacfwd(lambda x: np.sin(np.outer(x, x)) @ x)(np.linspace(0.1, 1.0, n))
                for n in sizes]

    expected = [jacobians(i) for i in range(THREADS)]
    for got, want in zip(run_in_threads(jacobians), expected):
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)


def test_hessians_in_threads_match_one_thread():
    def hessians(i):
        a = np.arange(1.0, 10.0).reshape(3, 3) / 10 + i
        f = lambda x: np.sum(np.exp(a @ x) * x)  # noqa: E731
        return [cr.hessian(f)(np.full(3, 0.1 * k)) for k in range(8)]

    expected = [hessians(i) for i in range(THREADS)]
    for got, want in zip(run_in_threads(hessians), expected):
        np.testing.assert_array_equal(np.array(got), np.array(want))


class SlowToReadCollector:
    """The ``gc`` module, except that reading its state lets other threads run: a
    thread switch between reading the state and pausing the collector is the race."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.enable, self.disable = gc.enable, gc.disable

    def isenabled(self) -> bool:
        enabled = gc.isenabled()
        time.sleep(self.random.random() * 1e-3)
        return enabled


def backward_passes_at_random_moments(i: int) -> list:
    pause = random.Random(i)
    x = cr.tensor(np.arange(3.0) + i, requires_grad=True)
    grads = []
    for _ in range(8):
        time.sleep(pause.random() * 1e-3)
        y = x * x
        y.register_hook(lambda g: time.sleep(pause.random() * 1e-3))  # a longer walk
        grads.append(cr.gradients(y.sum(), [x])[0].numpy())
    return grads


@pytest.mark.parametrize("enabled_before", [True, False])
def test_concurrent_backward_passes_leave_the_garbage_collector_as_found(monkeypatch,
                                                                         enabled_before):
    monkeypatch.setattr(graph, "gc", SlowToReadCollector(seed=0))
    was_enabled = gc.isenabled()
    try:
        gc.enable() if enabled_before else gc.disable()
        for _ in range(3):
            results = run_in_threads(backward_passes_at_random_moments)
            assert gc.isenabled() == enabled_before
        for i, grads in enumerate(results):
            np.testing.assert_array_equal(grads, [2 * (np.arange(3.0) + i)] * len(grads))
    finally:
        gc.enable() if was_enabled else gc.disable()


def test_likelihood_gradients_sharing_lu_factors_in_threads_match_one_thread():
    pytest.importorskip("scipy")

    def gradients(i):
        rng = np.random.default_rng(i)
        m = rng.normal(size=(4, 4))
        b = rng.normal(size=4)

        def nll(a):
            return np.linalg.slogdet(a)[1] + b @ np.linalg.solve(a, b)

        return [cr.grad(nll)(m @ m.T + np.eye(4) * (1 + k)) for k in range(10)]

    expected = [gradients(i) for i in range(THREADS)]
    for got, want in zip(run_in_threads(gradients), expected):
        np.testing.assert_array_equal(np.array(got), np.array(want))


def test_identity_bases_from_threads_are_identities():
    bases = run_in_threads(lambda i: [identity_basis(n, np.float64) for n in (5, 6, 5, 6)])
    for per_thread in bases:
        for basis in per_thread:
            np.testing.assert_array_equal(basis, np.eye(len(basis)))
            assert not basis.flags.writeable


def test_a_large_identity_basis_is_not_kept_once_unused():
    basis = identity_basis(1500, np.float64)  # 17 MiB: more than the cache keeps
    gone = weakref.ref(basis)
    del basis
    assert gone() is None


def test_a_small_identity_basis_is_reused():
    assert identity_basis(10, np.float32) is identity_basis(10, np.float32)


def test_shared_lu_factors_leave_the_process_wide_warning_filters_alone(monkeypatch):
    pytest.importorskip("scipy")
    changes = []

    class RecordingCatchWarnings(warnings.catch_warnings):
        def __enter__(self):
            changes.append(self)
            return super().__enter__()

    monkeypatch.setattr(warnings, "catch_warnings", RecordingCatchWarnings)
    a = np.array([[2.0, 0.5], [0.5, 1.0]])
    b = np.array([1.0, -1.0])
    grad = cr.grad(lambda m: np.linalg.slogdet(m)[1] + b @ np.linalg.solve(m, b))(a)
    inverse = np.linalg.inv(a)
    np.testing.assert_allclose(grad, inverse.T - np.outer(inverse.T @ b, inverse @ b))
    assert changes == []
