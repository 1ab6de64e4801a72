"""Selection: max and min, where, clip and sort."""

from __future__ import annotations

import math

import numpy as np

from ..._core.primitive import strip
from ..registry import defprim
from .axes import _kept_shape, batch_by_axes_from_end
from .sums import spread_reduced, sum_


# --- max and min ---------------------------------------------------------------
def _max(x, axis=None, keepdims=False):
    return np.max(x, axis=axis, keepdims=keepdims)


def _min(x, axis=None, keepdims=False):
    return np.min(x, axis=axis, keepdims=keepdims)


def _share_of_extremum(x, ans, axis, keepdims):
    """1/k at each of the k entries equal to their slice's extremum, 0 elsewhere."""
    x, ans = strip(x), strip(ans)
    if not keepdims:
        ans = np.reshape(ans, _kept_shape(x.shape, axis))
    hits = (x == ans).astype(x.dtype)
    return hits / np.sum(hits, axis=axis, keepdims=True)


def _extremum_vjp(g, ans, x, axis=None, keepdims=False):
    return spread_reduced(g, x, axis, keepdims) * _share_of_extremum(x, ans, axis, keepdims)


max_ = defprim(_max, "max")
min_ = defprim(_min, "min")
def _extremum_jvp(t, ans, x, axis=None, keepdims=False):
    return sum_(t * _share_of_extremum(x, ans, axis, keepdims), axis=axis, keepdims=keepdims)


max_.defvjp(_extremum_vjp, reads=("args", "ans"))
min_.defvjp(_extremum_vjp, reads=("args", "ans"))
max_.defjvp(_extremum_jvp)
min_.defjvp(_extremum_jvp)
batch_by_axes_from_end(max_, min_)


# --- where, clip, sort -------------------------------------------------------------
def _where(condition, x, y):
    return np.where(condition, x, y)


where = defprim(_where, "where")
where.defvjp(None, lambda g, ans, c, x, y: where(c, g, 0.0),
             lambda g, ans, c, x, y: where(c, 0.0, g), reads="args")
# where and clip pick entries, so the VJP rules, which pick the tangent's, serve as JVP
# rules, and they broadcast over a batch stacked in front.
where.defjvp(*where.vjps)
where.defbatch(broadcasts=True)


def _clip(x, low, high):
    return np.clip(x, low, high)


def _clip_sources(x, low, high):
    """Masks saying whether each entry of ``clip(x, low, high)`` is ``x``, ``low`` or
    ``high``; ties at a bound go to ``x``, as does NaN."""
    x = strip(x)
    low = -math.inf if low is None else strip(low)
    high = math.inf if high is None else strip(high)
    from_high = (x > high) | (low > high)  # NumPy: clip is high everywhere if low > high
    from_low = (x < low) & ~from_high
    return ~(from_low | from_high), from_low, from_high


clip = defprim(_clip, "clip")
clip.defvjp(lambda g, ans, x, low, high: where(_clip_sources(x, low, high)[0], g, 0.0),
            lambda g, ans, x, low, high: where(_clip_sources(x, low, high)[1], g, 0.0),
            lambda g, ans, x, low, high: where(_clip_sources(x, low, high)[2], g, 0.0),
            reads="args")
clip.defjvp(*clip.vjps)
clip.defbatch(broadcasts=True)


def _permute_along(x, order, axis):
    if order.ndim < x.ndim:  # x has a batch in front (batched rules): permute each member
        order = np.reshape(order, (1,) * (x.ndim - order.ndim) + order.shape)
    return np.take_along_axis(x, order, axis=axis)


def _inverse_permutation(order, axis):
    return np.argsort(order, axis=axis)


def _sort(x, axis=-1, kind=None):
    return np.sort(x, axis=axis, kind=kind)


def _sort_vjp(g, ans, x, axis=-1, kind=None):
    order = np.argsort(strip(x), axis=axis, kind="stable")
    return permute_along(g, _inverse_permutation(order, axis), axis=axis)


permute_along = defprim(_permute_along, "permute_along",
                        numpy_only="Dask can neither sort nor partition along an axis")
permute_along.defvjp(lambda g, ans, x, order, axis:
                     permute_along(g, _inverse_permutation(order, axis), axis=axis), None,
                     reads="args")
permute_along.defjvp(lambda t, ans, x, order, axis: permute_along(t, order, axis=axis), None)
sort = defprim(_sort, "sort", numpy_only="Dask can neither sort nor partition along an axis")
sort.defvjp(_sort_vjp, reads="args")
sort.defjvp(lambda t, ans, x, axis=-1, kind=None:
            permute_along(t, np.argsort(strip(x), axis=axis, kind="stable"), axis=axis))
batch_by_axes_from_end(permute_along, sort)
