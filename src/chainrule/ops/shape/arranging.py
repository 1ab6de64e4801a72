"""NumPy's reordering, padding, diagonal, gathering and grid functions."""

from __future__ import annotations

import operator

import numpy as np

from ..._core.arrays import plain_array
from ..._core.graph import Box
from ..._core.primitive import strip
from ..indexing import copy as copy_array
from ..indexing import getitem, scatter_add
from ..registry import implements, nondifferentiable
from .primitives import (
    _along,
    _array,
    _axis,
    _cast,
    _diagonal_indices,
    _no_out,
    _permuted,
    _reshaped,
    _shape,
    flip,
    pad,
    roll,
    trace,
    tril,
    triu,
)
from .reshaping import _np_broadcast_arrays

AxisError = np.exceptions.AxisError


# --- reordering -------------------------------------------------------------------
@implements(np.flip)
def _np_flip(m, axis=None):
    return flip(_array(m), axis=axis)


@implements(np.fliplr)
def _np_fliplr(m):
    m = _array(m)
    if len(_shape(m)) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, axis=1)


@implements(np.flipud)
def _np_flipud(m):
    m = _array(m)
    if len(_shape(m)) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, axis=0)


@implements(np.roll)
def _np_roll(a, shift, axis=None):
    shift = strip(shift)
    shift = np.asarray(shift).tolist() if np.ndim(shift) else operator.index(shift)
    return roll(_array(a), shift=shift, axis=axis)


# --- padding ----------------------------------------------------------------------
_INDEX_MODES = ("edge", "reflect", "symmetric", "wrap")


def _pad_widths(pad_width, ndim: int) -> tuple:
    widths = plain_array(pad_width)
    if widths.dtype.kind not in "iu":
        raise TypeError("`pad_width` must be of integral type.")
    if (widths < 0).any():
        raise ValueError("index can't contain negative values")
    return tuple((int(b), int(a)) for b, a in np.broadcast_to(widths, (ndim, 2)))


def _keywords(kwargs) -> str:
    return "".join(f", {k}={v!r}" for k, v in kwargs.items())


@implements(np.pad)
def _np_pad(array, pad_width, mode="constant", **kwargs):
    array = _array(array)
    shape = _shape(array)
    widths = _pad_widths(pad_width, len(shape))
    if mode == "constant":
        values = kwargs.pop("constant_values", 0)
        if kwargs:
            raise ValueError(f"unsupported keyword arguments for mode 'constant': "
                             f"{set(kwargs)}")
        if isinstance(values, Box) and values._node is not None:
            raise TypeError("numpy.pad: constant_values that require grad are not "
                            "differentiable in chainrule; pad with 0 and add the "
                            "constants times a mask instead.")
        return pad(array, pad_width=widths, constant_values=strip(values))
    if mode not in _INDEX_MODES or kwargs.get("reflect_type", "even") != "even":
        raise NotImplementedError(
            f"numpy.pad(mode={mode!r}{_keywords(kwargs)}) has no derivative rule in "
            f"chainrule; supported modes: 'constant', {', '.join(map(repr, _INDEX_MODES))} "
            f"(with reflect_type='even').")
    # These modes copy existing entries: pad each axis by gathering along it with
    # the index map NumPy itself produces for 0..n-1.
    for axis, (before, after) in enumerate(widths):
        if before or after:
            index = np.pad(np.arange(shape[axis]), (before, after), mode=mode, **kwargs)
            array = getitem(array, _along(axis, index))
    return array


# --- diagonals and triangles --------------------------------------------------------
def _two_axes(shape, axis1, axis2) -> tuple[int, int]:
    if len(shape) < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    axis1, axis2 = _axis(axis1, len(shape)), _axis(axis2, len(shape))
    if axis1 == axis2:
        raise ValueError("axis1 and axis2 cannot be the same")
    return axis1, axis2


@implements(np.diagonal)
def _np_diagonal(a, offset=0, axis1=0, axis2=1):
    a = _array(a)
    shape = _shape(a)
    axis1, axis2 = _two_axes(shape, axis1, axis2)
    rest = [i for i in range(len(shape)) if i not in (axis1, axis2)]
    rows, cols = _diagonal_indices(shape[axis1], shape[axis2], offset)
    return getitem(_permuted(a, rest + [axis1, axis2]), (Ellipsis, rows, cols))


@implements(np.diag)
def _np_diag(v, k=0):
    v = _array(v)
    shape = _shape(v)
    if len(shape) == 2:
        return _np_diagonal(v, k)
    if len(shape) != 1:
        raise ValueError("Input must be 1- or 2-d.")
    size = shape[0] + abs(k)
    return scatter_add(v, _diagonal_indices(size, size, k), (size, size))


@implements(np.trace)
def _np_trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    _no_out("trace", out)
    a = _array(a)
    shape = _shape(a)
    axis1, axis2 = _two_axes(shape, axis1, axis2)
    result = trace(a, offset=offset, axis1=axis1, axis2=axis2, in_shape=shape)
    return _cast(result, dtype)


@implements(np.triu)
def _np_triu(m, k=0):
    return triu(_array(m), k=k)


@implements(np.tril)
def _np_tril(m, k=0):
    return tril(_array(m), k=k)


# --- gathering ----------------------------------------------------------------------
@implements(np.take)
def _np_take(a, indices, axis=None, out=None, mode="raise"):
    _no_out("take", out)
    a = _array(a)
    if axis is None:
        a, axis = _reshaped(a, (-1,)), 0
    shape = _shape(a)
    axis = _axis(axis, len(shape))
    indices = plain_array(indices)
    if mode == "wrap":
        indices = np.mod(indices, shape[axis])
    elif mode == "clip":
        indices = np.clip(indices, 0, shape[axis] - 1)
    elif mode != "raise":
        raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    return getitem(a, _along(axis, indices))


@implements(np.take_along_axis)
def _np_take_along_axis(arr, indices, axis=-1):
    arr = _array(arr)
    indices = plain_array(indices)
    if axis is None:
        if indices.ndim != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        arr, axis = _reshaped(arr, (-1,)), 0
    shape = _shape(arr)
    if indices.ndim != len(shape):
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    axis = _axis(axis, len(shape))
    index = tuple(indices if i == axis else
                  np.arange(n).reshape([-1 if j == i else 1 for j in range(len(shape))])
                  for i, n in enumerate(shape))
    return getitem(arr, index)


# --- grids ----------------------------------------------------------------------------
@implements(np.meshgrid)
def _np_meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    ndim = len(xi)
    shapes = [[1] * ndim for _ in xi]
    for i, shape in enumerate(shapes):
        shape[i] = -1
    if indexing == "xy" and ndim > 1:
        shapes[0][:2], shapes[1][:2] = [1, -1], [-1, 1]
    grids = [_reshaped(_array(x), shape) for x, shape in zip(xi, shapes, strict=True)]
    if not sparse:
        grids = _np_broadcast_arrays(*grids)
        if copy:
            grids = [copy_array(g) for g in grids]
    return tuple(grids)


nondifferentiable(np.shape, np.ndim, np.size, np.result_type, np.zeros_like, np.ones_like,
                  np.empty_like, np.may_share_memory,
                  np.shares_memory, np.min_scalar_type, np.common_type, np.can_cast)
