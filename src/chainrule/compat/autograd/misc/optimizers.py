"""autograd's stochastic optimizers: ``sgd``, ``rmsprop``, ``adam``.

Each takes ``grad(x, i)`` (the gradient at ``x`` on iteration ``i``) and a starting
point ``x0`` that may be any nesting of tuples, lists and dicts of arrays, and returns
the final point in the same structure. ``callback(x, i, g)`` is called before each step.
Their arithmetic is chainrule's, so they can be differentiated too (in their
hyperparameters, say).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import chainrule.numpy as np

from .flatten import flatten

__all__ = ["adam", "rmsprop", "sgd"]


def _on_vectors(grad: Callable, x0: Any, callback: Callable | None):
    """The start as a vector, and ``grad`` and ``callback`` working on vectors."""
    start, unflatten = flatten(x0)

    def flat_grad(x, i):
        return flatten(grad(unflatten(x), i))[0]

    def flat_callback(x, i, g):
        if callback is not None:
            callback(unflatten(x), i, unflatten(g))

    return start, flat_grad, flat_callback, unflatten


def sgd(grad: Callable, x0: Any, callback: Callable | None = None, num_iters: int = 200,
        step_size: float = 0.1, mass: float = 0.9) -> Any:
    """Stochastic gradient descent with momentum ``mass``."""
    x, flat_grad, report, unflatten = _on_vectors(grad, x0, callback)
    velocity = np.zeros(len(x))
    for i in range(num_iters):
        g = flat_grad(x, i)
        report(x, i, g)
        velocity = mass * velocity - (1.0 - mass) * g
        x = x + step_size * velocity
    return unflatten(x)


def rmsprop(grad: Callable, x0: Any, callback: Callable | None = None, num_iters: int = 100,
            step_size: float = 0.1, gamma: float = 0.9, eps: float = 1e-8) -> Any:
    """RMSprop: steps scaled by a running root mean square of the gradients."""
    x, flat_grad, report, unflatten = _on_vectors(grad, x0, callback)
    mean_square = np.ones(len(x))
    for i in range(num_iters):
        g = flat_grad(x, i)
        report(x, i, g)
        mean_square = gamma * mean_square + (1 - gamma) * g ** 2
        x = x - step_size * g / (np.sqrt(mean_square) + eps)
    return unflatten(x)


def adam(grad: Callable, x0: Any, callback: Callable | None = None, num_iters: int = 100,
         step_size: float = 0.001, b1: float = 0.9, b2: float = 0.999,
         eps: float = 1e-8) -> Any:
    """Adam (Kingma and Ba, 2015): RMSprop with momentum and bias-corrected moments."""
    x, flat_grad, report, unflatten = _on_vectors(grad, x0, callback)
    first = np.zeros(len(x))
    second = np.zeros(len(x))
    for i in range(num_iters):
        g = flat_grad(x, i)
        report(x, i, g)
        first = b1 * first + (1 - b1) * g
        second = b2 * second + (1 - b2) * g ** 2
        corrected_first = first / (1 - b1 ** (i + 1))
        corrected_second = second / (1 - b2 ** (i + 1))
        x = x - step_size * corrected_first / (np.sqrt(corrected_second) + eps)
    return unflatten(x)
