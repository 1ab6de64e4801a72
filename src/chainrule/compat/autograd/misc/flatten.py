"""autograd's ``flatten``: nested tuples, lists and dicts of arrays as one vector."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as _onp

import chainrule.numpy as _np
from chainrule._core.primitive import strip
from chainrule._pytree import flatten as _leaves_of
from chainrule._pytree import unflatten as _rebuild

__all__ = ["flatten", "flatten_func"]


def _sorted_dicts(tree: Any) -> Any:
    """``tree`` with every dict's keys in sorted order (autograd's flattening order)."""
    if isinstance(tree, dict):
        return {key: _sorted_dicts(tree[key]) for key in sorted(tree)}
    if isinstance(tree, (tuple, list)):
        return type(tree)(_sorted_dicts(item) for item in tree)
    return tree


def flatten(value: Any) -> tuple[Any, Callable[[Any], Any]]:
    """``(vector, unflatten)``: every array and scalar in ``value`` raveled and joined
    in one 1-d array (dicts in sorted key order), and the function rebuilding a value
    of the same structure from such a vector. Both are differentiable."""
    leaves, structure = _leaves_of(_sorted_dicts(value))
    shapes = [_onp.shape(strip(leaf)) for leaf in leaves]
    sizes = [int(_onp.prod(shape)) for shape in shapes]
    if leaves:
        vector = _np.concatenate([_np.ravel(leaf) for leaf in leaves])
    else:
        vector = _onp.zeros(0)

    def unflatten(flat: Any) -> Any:
        parts, start = [], 0
        for shape, size in zip(shapes, sizes):
            parts.append(_np.reshape(flat[start:start + size], shape))
            start += size
        return _rebuild(structure, parts)

    return vector, unflatten


def flatten_func(func: Callable, example: Any) -> tuple[Callable, Callable, Any]:
    """``func`` of a structured value as a function of its flattened vector:
    ``(flat_func, unflatten, flat_example)``."""
    flat_example, unflatten = flatten(example)

    def flat_func(flat: Any, *args: Any) -> Any:
        return flatten(func(unflatten(flat), *args))[0]

    return flat_func, unflatten, flat_example
