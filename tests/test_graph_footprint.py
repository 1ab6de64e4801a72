"""What a recorded graph costs beyond its arrays: objects for the cyclic garbage
collector to scan, and memory for batched tangents."""

import gc
import tracemalloc

import numpy as np

import chainrule as cr


def _tracked_objects_per_operation(count: int) -> float:
    x = cr.tensor(np.array([0.5, 1.0]), requires_grad=True)
    t = x * 1.0
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(count // 2):
        t = t * 1.5  # saves its inputs for backward
        t = t + 1.0  # saves nothing
    gc.collect()
    return (len(gc.get_objects()) - before) / count


def test_a_recorded_operation_leaves_one_object_for_the_collector_to_scan():
    # The node, which holds its parents' nodes itself; its saved inputs, shape and
    # keyword arguments are untracked tuples or shared.
    assert _tracked_objects_per_operation(1000) <= 1.0


def test_nodes_are_their_parents_and_compare_by_identity():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y, z = x * 2.0, x * 2.0
    assert list(y._node.parents) == [x._node, None]
    assert y._node != z._node and len({y._node, z._node}) == 2


def test_a_node_at_the_end_of_a_long_chain_prints_briefly():
    t = cr.tensor([1.0], requires_grad=True)
    for _ in range(5000):
        t = np.sin(t)
    assert repr(t._node) == "<node sin of 1 inputs>"


def test_nodes_without_keyword_arguments_share_one_empty_dict():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert (x * 2.0)._node.kwargs is np.sin(x)._node.kwargs == {}


def test_a_node_keeps_its_input_shape_tuple_when_the_output_has_the_same_shape():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = np.sin(x)
    assert y._node.shape is x._node.shape


def _logistic_hessian_and_peak_memory(features, weights):
    def nll(w):
        return np.sum(np.log(1 + np.exp(features @ w)))

    hessian = cr.hessian(nll)
    hessian(weights)  # warm caches outside the measurement
    tracemalloc.start()
    try:
        result = hessian(weights)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_hessian_sums_tangents_into_a_fresh_partial_sum_instead_of_a_new_array():
    rng = np.random.default_rng(0)
    features = rng.standard_normal((5000, 10))
    weights = 0.3 * rng.standard_normal(10)
    hessian, peak = _logistic_hessian_and_peak_memory(features, weights)
    p = 1 / (1 + np.exp(-(features @ weights)))
    np.testing.assert_allclose(hessian, (features.T * (p * (1 - p))) @ features,
                               rtol=1e-12, atol=1e-12)
    # Each batched tangent is as large as the data; summing the product rule's two
    # terms into the first saves one of them at the peak (6.3 data sizes before).
    assert peak < 5.6 * features.nbytes


def test_a_tangent_that_is_also_an_input_tangent_is_not_summed_into():
    # add's rule hands back its input's tangent itself: the sum must be a new array,
    # or x's tangent, read again by the multiply, would change.
    def f(x):
        return (x + 2.0 * x) * x

    x = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(cr.jacfwd(f)(x), np.diag(6.0 * x), rtol=1e-15)


def test_a_rule_returning_a_shared_array_gets_it_back_unchanged():
    shared = np.array([1.0, 1.0])

    @cr.primitive
    def both(x, y):
        return x + y

    both.defvjp(lambda g, ans, x, y: g, lambda g, ans, x, y: g)
    both.defjvp(lambda t, ans, x, y: shared, lambda t, ans, x, y: t)

    out, tangent = cr.jvp(lambda x: both(x, 2.0 * x), (np.array([1.0, 2.0]),),
                          (np.array([1.0, 1.0]),))
    np.testing.assert_array_equal(tangent, [3.0, 3.0])
    np.testing.assert_array_equal(shared, [1.0, 1.0])


def test_backward_through_a_jitted_call_frees_the_values_it_kept_for_its_rule():
    fast = cr.jit(lambda x: np.sum(np.sin(x) * np.exp(x)))
    x = np.linspace(0.0, 1.0, 250_000)  # 2 MB per array
    for _ in range(2):  # trace and compile outside the measurement
        t = cr.tensor(x, requires_grad=True)
        fast(t).backward()
    t = cr.tensor(x, requires_grad=True)
    gc.collect()
    tracemalloc.start()
    try:
        y = fast(t)
        y.backward()
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the gradient (2 MB) is all that stays while y is alive: not the kept sin, exp ...
    assert held < 3_000_000
    np.testing.assert_allclose(t.grad.numpy(), np.exp(x) * (np.cos(x) + np.sin(x)), rtol=1e-12)
