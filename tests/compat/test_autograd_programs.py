"""Whole programs in autograd's style, with only the imports changed."""

import numpy as onp
import pytest

import chainrule.compat.autograd.numpy as np
import chainrule.compat.autograd.numpy.random as npr
from chainrule.compat.autograd import grad
from chainrule.compat.autograd.misc import flatten
from chainrule.compat.autograd.misc.optimizers import adam

special = pytest.importorskip("chainrule.compat.autograd.scipy.special")  # needs SciPy


def init_params(sizes, rs):
    return [(0.5 * rs.randn(m, n), 0.5 * rs.randn(n)) for m, n in zip(sizes[:-1], sizes[1:])]


def predict(params, inputs):
    for W, b in params:
        outputs = np.dot(inputs, W) + b
        inputs = np.tanh(outputs)
    return outputs - special.logsumexp(outputs, axis=1, keepdims=True)


def make_objective(inputs, labels):
    def objective(params, i):
        return -np.sum(predict(params, inputs) * labels)

    return objective


def two_blobs(rs, n=40):
    inputs = onp.concatenate([rs.randn(n, 2) + 2.0, rs.randn(n, 2) - 2.0])
    labels = onp.zeros((2 * n, 2))
    labels[:n, 0] = labels[n:, 1] = 1.0
    return inputs, labels


def test_an_mlp_on_lists_of_tuples_has_finite_difference_gradients():
    rs = npr.RandomState(0)
    inputs, labels = two_blobs(rs, n=5)
    params = init_params([2, 3, 2], rs)
    objective = make_objective(inputs, labels)
    flat, unflatten = flatten(params)
    analytic, _ = flatten(grad(objective)(params, 0))
    step = 1e-6
    for k in range(flat.size):
        e = onp.zeros(flat.size)
        e[k] = step
        above, below = objective(unflatten(flat + e), 0), objective(unflatten(flat - e), 0)
        numeric = (above - below) / (2 * step)
        assert abs(analytic[k] - numeric) < 1e-5 * max(1.0, abs(numeric))


def test_an_mlp_trained_with_adam_separates_two_blobs():
    rs = npr.RandomState(1)
    inputs, labels = two_blobs(rs)
    objective = make_objective(inputs, labels)
    params = init_params([2, 4, 2], rs)
    losses = []
    trained = adam(grad(objective), params, step_size=0.05, num_iters=200,
                   callback=lambda p, i, g: losses.append(objective(p, i)))
    accuracy = onp.mean(onp.argmax(predict(trained, inputs), 1) == onp.argmax(labels, 1))
    assert losses[-1] < 0.1 * losses[0] and accuracy == 1.0
    assert isinstance(trained, list) and isinstance(trained[0], tuple)
