"""Axis bookkeeping shared by the reductions' forward functions and rules, and the
helpers that give rules a batch of tangents stacked in front."""

from __future__ import annotations

import math

import numpy as np

from ..indexing import batch_aligned

try:
    from numpy.lib.array_utils import normalize_axis_tuple
except ImportError:  # NumPy < 2
    from numpy.core.numeric import normalize_axis_tuple


# --- axis bookkeeping (plain Python, shared by forward functions and rules) --
def _axes(axis, ndim: int) -> tuple:
    """``axis`` (None, int or tuple, possibly negative) as sorted non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    return tuple(sorted(normalize_axis_tuple(axis, ndim)))


def _kept_shape(shape: tuple, axis) -> tuple:
    """The shape of a reduction over ``axis`` with ``keepdims=True``."""
    reduced = _axes(axis, len(shape))
    return tuple(1 if i in reduced else n for i, n in enumerate(shape))


def _count(shape: tuple, axis) -> int:
    """How many entries each slice of a reduction over ``axis`` combines."""
    return math.prod(shape[i] for i in _axes(axis, len(shape)))


def _reversing_index(axis: int) -> tuple:
    return (slice(None),) * axis + (slice(None, None, -1),)


def axes_from_end(axis, ndim: int):
    """``axis`` (None for all, an int or a sequence) of an ``ndim``-dimensional array,
    counted from the end: the same axes once a batch axis is stacked in front."""
    if axis is None:
        return tuple(range(-ndim, 0))
    if isinstance(axis, (tuple, list)):
        return tuple(a - ndim if a >= 0 else a for a in axis)
    return axis - ndim if axis >= 0 else axis


def _batched_along_axes(rule):
    """``rule`` for a batch of tangents or cotangents stacked in front of its first
    argument (jacobian, jacfwd, hessian). With ``axis`` counted from the end it names
    the same axes in every member of the batch, and the rule's NumPy calls broadcast
    the unbatched arguments over the batch (once the members of a tangent have as many
    axes as the output, when the inputs broadcast)."""
    if rule is None:
        return None

    def batched(v, ans, x, *args, axis=None, **kwargs):
        ndim = np.ndim(v) - 1 if x is None else np.ndim(x)  # x is None when not saved
        if ans is not None:
            v = batch_aligned(v, np.ndim(ans))
        return rule(v, ans, x, *args, axis=axes_from_end(axis, ndim), **kwargs)

    return batched


def batch_by_own_rules(*prims) -> None:
    """Mark primitives whose own rules already take a batch stacked in front."""
    for prim in prims:
        prim.defbatch(jvps=tuple(prim.jvps), vjps=tuple(prim.vjps))


def batch_by_axes_from_end(*prims) -> None:
    """Give each primitive batched rules: its own rules, with axes counted from the end."""
    for prim in prims:
        prim.defbatch(jvps=tuple(map(_batched_along_axes, prim.jvps)),
                      vjps=tuple(map(_batched_along_axes, prim.vjps)))
