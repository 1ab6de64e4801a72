"""Reductions and selection: sums, means, products, extrema, moments, cumulative
sums and products, ``logsumexp``, ``where``, ``clip`` and ``sort``.

A reduction's gradient is the output cotangent spread back over the reduced
axes (``expand_reduced``, the adjoint of ``sum``) times a local factor. Every
helper a rule needs is itself a primitive with a rule, so the same rules run on
Tensors and give derivatives of any order. Products never divide by the input:
their gradients are built from exclusive cumulative products, so zeros in the
input are exact at every order.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .._core.graph import Box
from .._core.primitive import strip
from .complex import conj_if_complex, is_complex, real, real_cotangent
from .control import stop_gradient
from .indexing import astype, batch_aligned, getitem
from .registry import defprim, implements, nondifferentiable

try:
    from numpy.lib.array_utils import normalize_axis_tuple
except ImportError:  # NumPy < 2
    from numpy.core.numeric import normalize_axis_tuple

_NO_VALUE = np._NoValue


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
        prim.batched_vjps = tuple(prim.vjps)
        prim.batched_jvps = tuple(prim.jvps)


def batch_by_axes_from_end(*prims) -> None:
    """Give each primitive batched rules: its own rules, with axes counted from the end."""
    for prim in prims:
        prim.batched_vjps = tuple(map(_batched_along_axes, prim.vjps))
        prim.batched_jvps = tuple(map(_batched_along_axes, prim.jvps))


# --- the linear pair sum / expand_reduced ------------------------------------
def _sum(x, axis=None, keepdims=False):
    return np.sum(x, axis=axis, keepdims=keepdims)


def _expand_reduced(g, shape, axis=None, keepdims=False):
    """``g``, the result of reducing an array of ``shape``, copied back over ``shape``."""
    if not keepdims:
        g = np.reshape(g, _kept_shape(shape, axis))
    # A real array, not a read-only broadcast view: it may end up in a leaf's .grad.
    return np.broadcast_to(g, shape).copy()


sum_ = defprim(_sum, "sum")
expand_reduced = defprim(_expand_reduced, "expand_reduced")
sum_.defvjp(lambda g, ans, x, axis=None, keepdims=False:
            expand_reduced(g, x.shape, axis=axis, keepdims=keepdims))
expand_reduced.defvjp(lambda g, ans, h, shape, axis=None, keepdims=False:
                      sum_(g, axis=axis, keepdims=keepdims), None)
# Both are linear: the JVP is the primitive itself applied to the tangent.
sum_.defjvp(lambda t, ans, x, axis=None, keepdims=False: sum_(t, axis=axis, keepdims=keepdims))
expand_reduced.defjvp(lambda t, ans, h, shape, axis=None, keepdims=False:
                      expand_reduced(t, shape, axis=axis, keepdims=keepdims), None)


# Batched rules (jacobian, jacfwd, hessian): the batch is a new leading axis, so
# the reduced axes move up by one.
def _batch_axes(axis, ndim: int) -> tuple:
    return tuple(a + 1 for a in _axes(axis, ndim))


sum_.batched_jvps = (lambda t, ans, x, axis=None, keepdims=False:
                     sum_(t, axis=_batch_axes(axis, x.ndim), keepdims=keepdims),)
sum_.batched_vjps = (lambda g, ans, x, axis=None, keepdims=False:
                     expand_reduced(g, g.shape[:1] + x.shape,
                                    axis=_batch_axes(axis, x.ndim), keepdims=keepdims),)
expand_reduced.batched_jvps = (
    lambda t, ans, h, shape, axis=None, keepdims=False:
    expand_reduced(t, t.shape[:1] + tuple(shape), axis=_batch_axes(axis, len(shape)),
                   keepdims=keepdims), None)
expand_reduced.batched_vjps = (
    lambda g, ans, h, shape, axis=None, keepdims=False:
    sum_(g, axis=_batch_axes(axis, len(shape)), keepdims=keepdims), None)


def _spread(g, x, axis, keepdims):
    """The cotangent of a reduction of ``x`` spread back over ``x``'s shape; a batch
    stacked in front of ``g`` stays in front (then ``axis`` counts from the end)."""
    reduced_ndim = x.ndim if keepdims else x.ndim - len(_axes(axis, x.ndim))
    lead = g.shape[:g.ndim - reduced_ndim]
    return expand_reduced(g, lead + x.shape, axis=axis, keepdims=keepdims)


# --- mean, var, std ------------------------------------------------------------
def _mean(x, axis=None, keepdims=False):
    return np.mean(x, axis=axis, keepdims=keepdims)


def _var(x, axis=None, keepdims=False, ddof=0):
    return np.var(x, axis=axis, keepdims=keepdims, ddof=ddof)


def _std(x, axis=None, keepdims=False, ddof=0):
    return np.std(x, axis=axis, keepdims=keepdims, ddof=ddof)


def _degrees_of_freedom(x, axis, ddof) -> float:
    # NumPy returns inf/nan when ddof leaves no degrees of freedom; so does the gradient.
    dof = _count(x.shape, axis) - ddof
    return dof if dof > 0 else math.nan


# For complex x, var is the mean of |x - mean|^2: real, with gradient
# 2 conj(x - mean) / dof (JAX's convention; see ops/complex.py).
def _centered(x, axis):
    return conj_if_complex(x - mean(x, axis=axis, keepdims=True))


def _real_sum(t, axis, keepdims):
    total = sum_(t, axis=axis, keepdims=keepdims)
    return real(total) if is_complex(total) else total


def _var_vjp(g, ans, x, axis=None, keepdims=False, ddof=0):
    return _spread(real_cotangent(g), x, axis, keepdims) * _centered(x, axis) * (
        2.0 / _degrees_of_freedom(x, axis, ddof))


def _std_vjp(g, ans, x, axis=None, keepdims=False, ddof=0):
    return _spread(real_cotangent(g) / ans, x, axis, keepdims) * _centered(x, axis) * (
        1.0 / _degrees_of_freedom(x, axis, ddof))


def _var_jvp(t, ans, x, axis=None, keepdims=False, ddof=0):
    return _real_sum(_centered(x, axis) * t, axis, keepdims) * (
        2.0 / _degrees_of_freedom(x, axis, ddof))


def _std_jvp(t, ans, x, axis=None, keepdims=False, ddof=0):
    return _real_sum(_centered(x, axis) * t, axis, keepdims) / ans * (
        1.0 / _degrees_of_freedom(x, axis, ddof))


mean = defprim(_mean, "mean")
var = defprim(_var, "var")
std = defprim(_std, "std")
mean.defvjp(lambda g, ans, x, axis=None, keepdims=False:
            _spread(g, x, axis, keepdims) / _count(x.shape, axis))
var.defvjp(_var_vjp)
std.defvjp(_std_vjp)
mean.defjvp(lambda t, ans, x, axis=None, keepdims=False: mean(t, axis=axis, keepdims=keepdims))
mean.batched_jvps = (lambda t, ans, x, axis=None, keepdims=False:
                     mean(t, axis=_batch_axes(axis, x.ndim), keepdims=keepdims),)
mean.batched_vjps = (lambda g, ans, x, axis=None, keepdims=False:
                     expand_reduced(g, g.shape[:1] + x.shape, axis=_batch_axes(axis, x.ndim),
                                    keepdims=keepdims) / _count(x.shape, axis),)
var.defjvp(_var_jvp)
std.defjvp(_std_jvp)
batch_by_axes_from_end(var, std)


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
    return _spread(g, x, axis, keepdims) * _share_of_extremum(x, ans, axis, keepdims)


max_ = defprim(_max, "max")
min_ = defprim(_min, "min")
def _extremum_jvp(t, ans, x, axis=None, keepdims=False):
    return sum_(t * _share_of_extremum(x, ans, axis, keepdims), axis=axis, keepdims=keepdims)


max_.defvjp(_extremum_vjp)
min_.defvjp(_extremum_vjp)
max_.defjvp(_extremum_jvp)
min_.defjvp(_extremum_jvp)
batch_by_axes_from_end(max_, min_)


# --- logsumexp -----------------------------------------------------------------
def _logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, without overflow or underflow.

    >>> logsumexp(np.array([1000.0, 1000.0]))   # 1000 + log(2)
    """
    x = np.asarray(x)
    shift = np.max(x, axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0)
    with np.errstate(divide="ignore"):
        total = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
    return total if keepdims else np.reshape(total, _reduced_shape(x.shape, axis))


def _reduced_shape(shape: tuple, axis) -> tuple:
    reduced = _axes(axis, len(shape))
    return tuple(n for i, n in enumerate(shape) if i not in reduced)


logsumexp = defprim(_logsumexp, "logsumexp")
logsumexp.defvjp(lambda g, ans, x, axis=None, keepdims=False:
                 _spread(g, x, axis, keepdims) * np.exp(x - _spread(ans, x, axis, keepdims)))
logsumexp.defjvp(lambda t, ans, x, axis=None, keepdims=False:
                 sum_(t * np.exp(x - _spread(ans, x, axis, keepdims)), axis=axis,
                      keepdims=keepdims))
batch_by_axes_from_end(logsumexp)


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
    h = np.moveaxis(np.array(b, dtype=np.result_type(b, a), copy=True), axis, 0)
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
shift.defvjp(lambda g, ans, x, axis, by, fill=0.0: shift(g, axis=axis, by=-by))
linear_scan.defvjp(lambda g, ans, b, a, axis, reverse=False: _scan_adjoint(g, a, axis, reverse),
                   _scan_vjp_a)
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
    spread = _spread(g, x, axis, keepdims)
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
prod.defvjp(_prod_vjp)
cumprod.defvjp(_cumprod_vjp)
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
cumsum.defvjp(lambda g, ans, x, axis=None: reverse_cumsum(g, x.shape, axis=axis))
reverse_cumsum.defvjp(lambda g, ans, h, shape, axis=None: cumsum(g, axis=axis), None)
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


cumsum.batched_jvps = (lambda t, ans, x, axis=None: _cumsum_each(t, axis),)
cumsum.batched_vjps = (lambda g, ans, x, axis=None: _reverse_cumsum_each(g, x.shape, axis),)
reverse_cumsum.batched_jvps = (lambda t, ans, h, shape, axis=None:
                               _reverse_cumsum_each(t, shape, axis), None)
reverse_cumsum.batched_vjps = (lambda g, ans, h, shape, axis=None: _cumsum_each(g, axis), None)


# --- where, clip, sort -------------------------------------------------------------
def _where(condition, x, y):
    return np.where(condition, x, y)


where = defprim(_where, "where")
where.defvjp(None, lambda g, ans, c, x, y: where(c, g, 0.0),
             lambda g, ans, c, x, y: where(c, 0.0, g))
# where and clip pick entries, so the VJP rules, which pick the tangent's, serve as JVP
# rules, and they broadcast over a batch stacked in front.
where.defjvp(*where.vjps)
where.batch_safe = True


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
            lambda g, ans, x, low, high: where(_clip_sources(x, low, high)[2], g, 0.0))
clip.defjvp(*clip.vjps)
clip.batch_safe = True


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


permute_along = defprim(_permute_along, "permute_along")
permute_along.defvjp(lambda g, ans, x, order, axis:
                     permute_along(g, _inverse_permutation(order, axis), axis=axis), None)
permute_along.defjvp(lambda t, ans, x, order, axis: permute_along(t, order, axis=axis), None)
sort = defprim(_sort, "sort")
sort.defvjp(_sort_vjp)
sort.defjvp(lambda t, ans, x, axis=-1, kind=None:
            permute_along(t, np.argsort(strip(x), axis=axis, kind="stable"), axis=axis))
batch_by_axes_from_end(permute_along, sort)


# --- NumPy signatures ------------------------------------------------------------------
def _refuse_out(name: str, out) -> None:
    if out is not None:
        raise TypeError(
            f"numpy.{name}(..., out=...) is not supported for Tensors here; assign the "
            f"result instead: y = numpy.{name}(...).")


def _refuse_where(name: str, where_mask) -> None:
    if where_mask is not _NO_VALUE and where_mask is not True:
        raise TypeError(
            f"numpy.{name}(..., where=...) is not supported for Tensors here; select the "
            f"entries first, e.g. numpy.{name}(numpy.where(mask, x, neutral_value)).")


def _keepdims(keepdims) -> bool:
    return False if keepdims is _NO_VALUE else bool(keepdims)


def _with_dtype(a, dtype, name: str):
    """``a`` cast to ``dtype`` before reducing, which is what NumPy's ``dtype=`` means."""
    if dtype is None:
        return a
    dtype = np.dtype(dtype)
    if isinstance(a, Box):
        if dtype.kind not in "fc" and a.requires_grad:
            raise TypeError(
                f"numpy.{name}(..., dtype={dtype}) of a Tensor that requires grad: an "
                f"integer or boolean result has no gradient. Use a float dtype, or "
                f".detach() the input.")
        return astype(a, dtype)
    return np.asarray(a).astype(dtype)


def _shape(a) -> tuple:
    return np.shape(strip(a))


@implements(np.sum)
def _np_sum(a, axis=None, dtype=None, out=None, keepdims=_NO_VALUE, initial=_NO_VALUE,
            where=_NO_VALUE):
    _refuse_out("sum", out)
    _refuse_where("sum", where)
    result = sum_(_with_dtype(a, dtype, "sum"), axis=axis, keepdims=_keepdims(keepdims))
    return result if initial is _NO_VALUE else result + initial


@implements(np.mean)
def _np_mean(a, axis=None, dtype=None, out=None, keepdims=_NO_VALUE, *, where=_NO_VALUE):
    _refuse_out("mean", out)
    _refuse_where("mean", where)
    return mean(_with_dtype(a, dtype, "mean"), axis=axis, keepdims=_keepdims(keepdims))


@implements(np.prod)
def _np_prod(a, axis=None, dtype=None, out=None, keepdims=_NO_VALUE, initial=_NO_VALUE,
             where=_NO_VALUE):
    _refuse_out("prod", out)
    _refuse_where("prod", where)
    result = prod(_with_dtype(a, dtype, "prod"), axis=axis, keepdims=_keepdims(keepdims))
    return result if initial is _NO_VALUE else result * initial


def _extremum(prim, combine, name):
    def reduce(a, axis=None, out=None, keepdims=_NO_VALUE, initial=_NO_VALUE,
               where=_NO_VALUE):
        _refuse_out(name, out)
        _refuse_where(name, where)
        keepdims = _keepdims(keepdims)
        if initial is _NO_VALUE:
            return prim(a, axis=axis, keepdims=keepdims)
        if _count(_shape(a), axis) == 0:
            # Every slice is empty, so every result is `initial`: a constant.
            return sum_(a, axis=axis, keepdims=keepdims) * 0 + initial
        return combine(prim(a, axis=axis, keepdims=keepdims), initial)

    reduce.__name__ = name
    reduce.__doc__ = f"numpy.{name} for Tensors: the gradient is split equally among ties."
    return reduce


_np_max = implements(np.max, np.amax)(_extremum(max_, np.maximum, "max"))
_np_min = implements(np.min, np.amin)(_extremum(min_, np.minimum, "min"))


@implements(np.ptp)
def _np_ptp(a, axis=None, out=None, keepdims=_NO_VALUE):
    _refuse_out("ptp", out)
    keepdims = _keepdims(keepdims)
    return max_(a, axis=axis, keepdims=keepdims) - min_(a, axis=axis, keepdims=keepdims)


def _moment_options(name, out, where_mask, ddof, correction, mean_value):
    _refuse_out(name, out)
    _refuse_where(name, where_mask)
    if mean_value is not _NO_VALUE:
        raise TypeError(f"numpy.{name}(..., mean=...) is not supported for Tensors here; "
                        f"chainrule computes the mean itself.")
    if correction is not _NO_VALUE:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        return correction
    return ddof


@implements(np.var)
def _np_var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NO_VALUE, *,
            where=_NO_VALUE, mean=_NO_VALUE, correction=_NO_VALUE):
    ddof = _moment_options("var", out, where, ddof, correction, mean)
    return var(_with_dtype(a, dtype, "var"), axis=axis, keepdims=_keepdims(keepdims), ddof=ddof)


@implements(np.std)
def _np_std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NO_VALUE, *,
            where=_NO_VALUE, mean=_NO_VALUE, correction=_NO_VALUE):
    ddof = _moment_options("std", out, where, ddof, correction, mean)
    return std(_with_dtype(a, dtype, "std"), axis=axis, keepdims=_keepdims(keepdims), ddof=ddof)


@implements(np.cumsum)
def _np_cumsum(a, axis=None, dtype=None, out=None):
    _refuse_out("cumsum", out)
    return cumsum(_with_dtype(a, dtype, "cumsum"), axis=axis)


@implements(np.cumprod)
def _np_cumprod(a, axis=None, dtype=None, out=None):
    _refuse_out("cumprod", out)
    a = _with_dtype(a, dtype, "cumprod")
    if axis is None:
        a, axis = np.reshape(a, -1), 0
    return cumprod(a, axis=operator.index(axis))


@implements(np.average)
def _np_average(a, axis=None, weights=None, returned=False, *, keepdims=_NO_VALUE):
    keepdims = _keepdims(keepdims)
    if weights is None:
        average = mean(a, axis=axis, keepdims=keepdims)
        if not returned:
            return average
        count = _count(_shape(a), axis)
        return average, np.full(_shape(average), count, dtype=strip(average).dtype)
    weights = _weights_along(weights, _shape(a), axis)
    total_weight = sum_(weights, axis=axis, keepdims=keepdims)
    if np.any(strip(total_weight) == 0.0):
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    average = sum_(a * weights, axis=axis, keepdims=keepdims) / total_weight
    if not returned:
        return average
    if _shape(total_weight) != _shape(average):
        total_weight = total_weight + np.zeros(_shape(average), strip(total_weight).dtype)
    return average, total_weight


def _weights_along(weights, shape: tuple, axis):
    """1-D weights laid along ``axis`` of an array of ``shape``, as NumPy's average does."""
    weight_shape = _shape(weights)
    if weight_shape == shape:
        return weights
    if axis is None:
        raise TypeError("Axis must be specified when shapes of a and weights differ.")
    if len(weight_shape) != 1:
        raise TypeError("1D weights expected when shapes of a and weights differ.")
    (axis,) = _axes(axis, len(shape))
    if weight_shape[0] != shape[axis]:
        raise ValueError("Length of weights not compatible with specified axis.")
    return getitem(weights, (None,) * axis + (slice(None),) + (None,) * (len(shape) - 1 - axis))


@implements(np.where)
def _np_where(condition, x=_NO_VALUE, y=_NO_VALUE):
    condition = stop_gradient(condition)  # a mask: never differentiated
    if x is _NO_VALUE and y is _NO_VALUE:
        return np.nonzero(strip(condition))
    if x is _NO_VALUE or y is _NO_VALUE:
        raise ValueError("either both or neither of x and y should be given")
    return where(condition, x, y)


@implements(np.clip)
def _np_clip(a, a_min=_NO_VALUE, a_max=_NO_VALUE, out=None, *, min=_NO_VALUE,
             max=_NO_VALUE, **kwargs):
    _refuse_out("clip", out)
    if kwargs:
        raise TypeError(f"numpy.clip(..., {', '.join(sorted(kwargs))}=...) is not supported "
                        f"for Tensors here.")
    low = _one_bound(a_min, min, "a_min", "min")
    high = _one_bound(a_max, max, "a_max", "max")
    return clip(a, low, high)


def _one_bound(positional, keyword, positional_name: str, keyword_name: str):
    if positional is not _NO_VALUE and keyword is not _NO_VALUE:
        raise TypeError(f"Passed `{positional_name}` and `{keyword_name}`, use only "
                        f"`{keyword_name}`")
    value = keyword if positional is _NO_VALUE else positional
    return None if value is _NO_VALUE else value


@implements(np.sort)
def _np_sort(a, axis=-1, kind=None, order=None, *, stable=None):
    if order is not None:
        raise TypeError("numpy.sort(..., order=...) sorts structured arrays, which Tensors "
                        "are not.")
    if stable:
        kind = "stable"
    if axis is None:
        a, axis = np.reshape(a, -1), -1
    return sort(a, axis=axis, kind=kind)


nondifferentiable(
    np.argmax, np.argmin, np.argsort, np.argpartition, np.lexsort, np.nonzero,
    np.flatnonzero, np.argwhere, np.count_nonzero, np.all, np.any, np.isclose,
    np.allclose, np.array_equal, np.array_equiv, np.searchsorted,
)
