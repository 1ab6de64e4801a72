"""NumPy's signatures for the reductions, routed to the primitives."""

from __future__ import annotations

import operator

import numpy as np

from ..._core.arrays import known_to_hold
from ..._core.graph import Box
from ..._core.primitive import strip
from ..control import stop_gradient
from ..indexing import as_array_like, astype, getitem
from ..registry import implements, nondifferentiable
from .axes import _axes, _count
from .scans import cumprod, cumsum, prod
from .selection import clip, max_, min_, sort, where
from .sums import mean, std, sum_, var

_NO_VALUE = np._NoValue


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
    """``a`` (any array-like) cast to ``dtype`` before reducing, which is what NumPy's
    ``dtype=`` means."""
    a = as_array_like(a)
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
        a, keepdims = as_array_like(a), _keepdims(keepdims)
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
    a, keepdims = as_array_like(a), _keepdims(keepdims)
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
    a, weights, keepdims = as_array_like(a), as_array_like(weights), _keepdims(keepdims)
    if weights is None:
        average = mean(a, axis=axis, keepdims=keepdims)
        if not returned:
            return average
        count = _count(_shape(a), axis)
        return average, np.full(_shape(average), count, dtype=strip(average).dtype)
    weights = _weights_along(weights, _shape(a), axis)
    total_weight = sum_(weights, axis=axis, keepdims=keepdims)
    if known_to_hold(strip(total_weight) == 0.0):
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
    condition = stop_gradient(as_array_like(condition))  # a mask: never differentiated
    if x is _NO_VALUE and y is _NO_VALUE:
        return np.nonzero(strip(condition))
    if x is _NO_VALUE or y is _NO_VALUE:
        raise ValueError("either both or neither of x and y should be given")
    return where(condition, as_array_like(x), as_array_like(y))


@implements(np.clip)
def _np_clip(a, a_min=_NO_VALUE, a_max=_NO_VALUE, out=None, *, min=_NO_VALUE,
             max=_NO_VALUE, **kwargs):
    _refuse_out("clip", out)
    if kwargs:
        raise TypeError(f"numpy.clip(..., {', '.join(sorted(kwargs))}=...) is not supported "
                        f"for Tensors here.")
    low = as_array_like(_one_bound(a_min, min, "a_min", "min"))
    high = as_array_like(_one_bound(a_max, max, "a_max", "max"))
    return clip(as_array_like(a), low, high)


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
    a = as_array_like(a)
    if axis is None:
        a, axis = np.reshape(a, -1), -1
    return sort(a, axis=axis, kind=kind)


nondifferentiable(
    np.argmax, np.argmin, np.argsort, np.argpartition, np.lexsort, np.nonzero,
    np.flatnonzero, np.argwhere, np.count_nonzero, np.all, np.any, np.isclose,
    np.allclose, np.array_equal, np.array_equiv, np.searchsorted, np.nanargmax,
    np.nanargmin, np.isin, np.isneginf, np.isposinf, np.digitize, np.unravel_index,
    np.ravel_multi_index, np.diag_indices_from, np.tril_indices_from, np.triu_indices_from,
)
