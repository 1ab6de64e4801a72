"""Array-likes holding traced values: the one place that turns a list or tuple of
Tensors and numbers into a stacked Tensor, as NumPy turns array-likes into arrays."""

from __future__ import annotations

import numpy as np

from .._core.arrays import is_duck_array
from .._core.graph import Box
from .registry import FUNCTIONS


def as_array_like(x):
    """A list or tuple as one array, as NumPy reads array-likes (stacked, so traced
    values in it keep their gradients); anything else unchanged, so Python numbers
    stay weak in type promotion and Tensors stay Tensors."""
    if not isinstance(x, (list, tuple)):
        return x
    if not holds_box(x) and not _holds_duck_array(x):
        return np.asarray(x)
    return FUNCTIONS[np.stack]([as_array_like(item) for item in x])


def _holds_duck_array(items) -> bool:
    return any(_holds_duck_array(i) if isinstance(i, (list, tuple)) else is_duck_array(i)
               for i in items)


def as_operand(x):
    """``x`` as an array operand of a NumPy function: Tensors and arrays as they are,
    lists and tuples holding traced values stacked (``as_array_like``), anything
    else through ``numpy.asarray``. Every wrapper of a NumPy signature reads its
    array arguments through this (or ``as_array_like``, to keep numbers weak)."""
    if isinstance(x, (np.ndarray, Box)) or is_duck_array(x):
        return x
    return as_array_like(x) if isinstance(x, (list, tuple)) else np.asarray(x)


def holds_box(obj) -> bool:
    """Whether ``obj`` is a traced value or a (nested) list or tuple holding one."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, Box):
            return True
        if isinstance(item, (list, tuple)):
            stack.extend(item)
    return False
