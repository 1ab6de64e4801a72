"""Shifts, linear recurrences and the cumulative operations built on them: prod,
cumprod, cumsum."""

from __future__ import annotations

import numpy as np

from ..._core.arrays import array_copy, is_duck_array
from ..indexing import getitem
from ..registry import defprim
from .axes import _axes, _reversing_index, axes_from_end, batch_by_axes_from_end
from .sums import spread_reduced, sum_


# --- shifting and linear recurrences (helpers for products) --------------------
def _shift(x, axis, by, fill=0.0):
    """``x`` moved ``by`` places along ``axis`` (towards higher indices when positive),
    with ``fill`` in the places left empty."""
    out = np.full_like(x, fill)
    n = x.shape[axis]
    if abs(by) < n:
        source = [slice(None)] * x.ndim
        target = [slice(None)] * x.ndim
        source[axis] = slice(max(-by, 0), n - max(by, 0))
        target[axis] = slice(max(by, 0), n - max(-by, 0))
        out[tuple(target)] = x[tuple(source)]
    return out


def _linear_scan(b, a, axis, reverse=False):
    """``h[k] = b[k] + a[k] * h[k-1]`` along ``axis`` (``h[k+1]`` when ``reverse``)."""
    dtype = np.result_type(b, a)
    # A copy of b, as an array of a's library when a is not NumPy's (b may be).
    h = b + np.zeros_like(a, dtype=dtype) if is_duck_array(a) else array_copy(b, dtype)
    h = np.moveaxis(h, axis, 0)
    a = np.moveaxis(a, axis, 0)
    n = h.shape[0]
    # A loop, not a log-depth scan: partial products of ``a`` could overflow to inf.
    if reverse:
        for k in range(n - 2, -1, -1):
            h[k] += a[k] * h[k + 1]
    else:
        for k in range(1, n):
            h[k] += a[k] * h[k - 1]
    return np.moveaxis(h, 0, axis)


def _scan_adjoint(g, a, axis, reverse):
    """The transpose of ``b -> linear_scan(b, a)`` applied to ``g``."""
    return linear_scan(g, shift(a, axis=axis, by=1 if reverse else -1), axis=axis,
                       reverse=not reverse)


def _scan_vjp_a(g, ans, b, a, axis, reverse=False):
    previous = shift(ans, axis=axis, by=-1 if reverse else 1)
    return previous * _scan_adjoint(g, a, axis, reverse)


def _scan_jvp_a(t, ans, b, a, axis, reverse=False):
    # dh[k] = t[k] * h[k-1] + a[k] * dh[k-1]: the same recurrence, driven by t * h[k-1].
    previous = shift(ans, axis=axis, by=-1 if reverse else 1)
    return linear_scan(t * previous, a, axis=axis, reverse=reverse)


shift = defprim(_shift, "shift")
linear_scan = defprim(_linear_scan, "linear_scan")
shift.defvjp(lambda g, ans, x, axis, by, fill=0.0: shift(g, axis=axis, by=-by), reads="args")
linear_scan.defvjp(lambda g, ans, b, a, axis, reverse=False: _scan_adjoint(g, a, axis, reverse),
                   _scan_vjp_a, reads=("args", "ans"))
shift.defjvp(lambda t, ans, x, axis, by, fill=0.0: shift(t, axis=axis, by=by))
linear_scan.defjvp(lambda t, ans, b, a, axis, reverse=False:
                   linear_scan(t, a, axis=axis, reverse=reverse), _scan_jvp_a)
# Batched: the rules' own linear_scan calls carry the batch on b; a broadcasts over it.
batch_by_axes_from_end(shift, linear_scan)


# --- prod and cumprod ------------------------------------------------------------
def _prod(x, axis=None, keepdims=False):
    return np.prod(x, axis=axis, keepdims=keepdims)


def _cumprod(x, axis):
    return np.cumprod(x, axis=axis)


def _exclusive_cumprod(x, axis):
    """The product of the entries before each entry along ``axis`` (1 for the first)."""
    return shift(cumprod(x, axis=axis), axis=axis, by=1, fill=1.0)


def _product_of_others_along(x, axis: int):
    """For each entry, the product of the other entries on its line along ``axis``."""
    reverse = _reversing_index(axis)
    before = _exclusive_cumprod(x, axis)
    after = getitem(_exclusive_cumprod(getitem(x, reverse), axis), reverse)
    return before * after


def _product_of_others(x, axes: tuple):
    """For each entry, the product of the other entries in its slice over ``axes``.

    Over several axes this factors as the product of the others on the entry's
    line along the last axis, times the product of the other lines' products
    along the axis before, and so on.
    """
    others = None
    partial = x
    for position, axis in enumerate(reversed(axes)):
        factor = _product_of_others_along(partial, axis)
        others = factor if others is None else others * factor
        if position + 1 < len(axes):
            partial = prod(partial, axis=axis, keepdims=True)
    return others


def _prod_vjp(g, ans, x, axis=None, keepdims=False):
    spread = spread_reduced(g, x, axis, keepdims)
    axes = _axes(axis, x.ndim)
    return spread * _product_of_others(x, axes) if axes else spread


def _cumprod_vjp(g, ans, x, axis):
    # d/dx[k] of sum_i g[i] prod_{j<=i} x[j] = prod_{j<k} x[j] * sum_{i>=k} g[i] prod_{k<j<=i} x[j]
    before = shift(ans, axis=axis, by=1, fill=1.0)
    weighted_rest = linear_scan(g, shift(x, axis=axis, by=-1), axis=axis, reverse=True)
    return before * weighted_rest


def _prod_jvp(t, ans, x, axis=None, keepdims=False):
    axes = _axes(axis, x.ndim)
    if not axes:
        return t
    return sum_(t * _product_of_others(x, axes), axis=axis, keepdims=keepdims)


def _cumprod_jvp(t, ans, x, axis):
    # d ans[k] = t[k] * ans[k-1] + x[k] * d ans[k-1], with ans[-1] = 1: no division by x.
    before = shift(ans, axis=axis, by=1, fill=1.0)
    return linear_scan(t * before, x, axis=axis)


prod = defprim(_prod, "prod")
cumprod = defprim(_cumprod, "cumprod")
prod.defvjp(_prod_vjp, reads="args")
cumprod.defvjp(_cumprod_vjp, reads=("args", "ans"))
prod.defjvp(_prod_jvp)
cumprod.defjvp(_cumprod_jvp)
batch_by_axes_from_end(prod, cumprod)


# --- cumsum ----------------------------------------------------------------------
def _cumsum(x, axis=None):
    return np.cumsum(x, axis=axis)


def _reverse_cumsum(g, shape, axis=None):
    """Sums from each place to the end along ``axis`` (of the flat array when None),
    in ``shape``: the transpose of ``cumsum``."""
    along = 0 if axis is None else axis
    flipped = np.flip(np.cumsum(np.flip(g, along), axis=along), along)
    return np.reshape(flipped, shape)


cumsum = defprim(_cumsum, "cumsum")
reverse_cumsum = defprim(_reverse_cumsum, "reverse_cumsum")
cumsum.defvjp(lambda g, ans, x, axis=None: reverse_cumsum(g, x.shape, axis=axis), reads="args")
reverse_cumsum.defvjp(lambda g, ans, h, shape, axis=None: cumsum(g, axis=axis), None, reads="args")
cumsum.defjvp(lambda t, ans, x, axis=None: cumsum(t, axis=axis))
reverse_cumsum.defjvp(lambda t, ans, h, shape, axis=None: reverse_cumsum(t, shape, axis=axis),
                      None)


# Batched: axis=None means the flattened array, which for a batch is each member's.
def _cumsum_each(v, axis):
    if axis is None:
        return cumsum(np.reshape(v, (v.shape[0], -1)), axis=-1)
    return cumsum(v, axis=axes_from_end(axis, v.ndim - 1))


def _reverse_cumsum_each(v, shape, axis):
    along = -1 if axis is None else axes_from_end(axis, len(shape))
    return reverse_cumsum(v, v.shape[:1] + tuple(shape), axis=along)


cumsum.defbatch(jvps=(lambda t, ans, x, axis=None: _cumsum_each(t, axis),),
                vjps=(lambda g, ans, x, axis=None: _reverse_cumsum_each(g, x.shape, axis),))
reverse_cumsum.defbatch(
    jvps=(lambda t, ans, h, shape, axis=None: _reverse_cumsum_each(t, shape, axis), None),
    vjps=(lambda g, ans, h, shape, axis=None: _cumsum_each(g, axis), None))
