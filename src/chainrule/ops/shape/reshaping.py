"""NumPy's reshaping and transposing functions, composed from the primitives."""

from __future__ import annotations

import numpy as np

from ..registry import implements
from .primitives import (
    _array,
    _axes,
    _axis,
    _numpy_functions,
    _permuted,
    _reshaped,
    _shape,
    broadcast_to,
    flip,
    reshape,
    transpose,
)

AxisError = np.exceptions.AxisError


# --- reshaping --------------------------------------------------------------------
@implements(np.reshape)
def _np_reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    shape = newshape if shape is None else shape
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    a = _array(a)
    if order == "C":
        return reshape(a, shape=shape, in_shape=_shape(a))
    if order == "F":
        flipped = _permuted(a, range(len(_shape(a)))[::-1])
        flipped = reshape(flipped, shape=shape[::-1], in_shape=_shape(flipped))
        return _permuted(flipped, range(len(shape))[::-1])
    raise NotImplementedError(
        f"numpy.reshape(..., order={order!r}) is not supported on Tensors (it depends on "
        f"memory layout); use order='C' or order='F'.")


@implements(np.ravel)
def _np_ravel(a, order="C"):
    return _np_reshape(a, (-1,), order=order)


@implements(np.squeeze)
def _np_squeeze(a, axis=None):
    a = _array(a)
    shape = _shape(a)
    if axis is None:
        return _reshaped(a, [n for n in shape if n != 1])
    axes = _axes(axis, len(shape))
    if any(shape[i] != 1 for i in axes):
        raise ValueError("cannot select an axis to squeeze out which has size not equal "
                         "to one")
    return _reshaped(a, [n for i, n in enumerate(shape) if i not in axes])


@implements(np.expand_dims)
def _np_expand_dims(a, axis):
    a = _array(a)
    shape = _shape(a)
    count = len(axis) if isinstance(axis, (tuple, list)) else 1
    axes = _axes(axis, len(shape) + count)
    sizes = iter(shape)
    return _reshaped(a, [1 if i in axes else next(sizes) for i in range(len(shape) + count)])


def _at_least(a, ndim: int):
    a = _array(a)
    shape = _shape(a)
    if len(shape) >= ndim:
        return a
    if ndim == 3:  # NumPy appends the third axis: (n,) -> (1, n, 1)
        return _reshaped(a, (1,) * (2 - len(shape)) + shape + (1,))
    return _reshaped(a, (1,) * (ndim - len(shape)) + shape)


def _each_at_least(arys, ndim: int):
    results = tuple(_at_least(a, ndim) for a in arys)
    return results[0] if len(results) == 1 else results


@implements(np.atleast_1d)
def _np_atleast_1d(*arys):
    return _each_at_least(arys, 1)


@implements(np.atleast_2d)
def _np_atleast_2d(*arys):
    return _each_at_least(arys, 2)


@implements(np.atleast_3d)
def _np_atleast_3d(*arys):
    return _each_at_least(arys, 3)


@implements(np.broadcast_to)
def _np_broadcast_to(array, shape, subok=False):
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    return broadcast_to(_array(array), shape=shape)


@implements(np.broadcast_arrays)
def _np_broadcast_arrays(*args, subok=False):
    arrays = [_array(a) for a in args]
    shape = np.broadcast_shapes(*map(_shape, arrays))
    return tuple(a if _shape(a) == shape else broadcast_to(a, shape=shape) for a in arrays)


# --- transposing ------------------------------------------------------------------
@implements(np.transpose, *_numpy_functions("permute_dims"))
def _np_transpose(a, axes=None):
    a = _array(a)
    ndim = len(_shape(a))
    axes = tuple(range(ndim))[::-1] if axes is None else _axes(axes, ndim)
    if len(axes) != ndim:
        raise ValueError("axes don't match array")
    return transpose(a, axes=axes)


@implements(np.swapaxes)
def _np_swapaxes(a, axis1, axis2):
    a = _array(a)
    ndim = len(_shape(a))
    axes = list(range(ndim))
    i, j = _axis(axis1, ndim), _axis(axis2, ndim)
    axes[i], axes[j] = j, i
    return _permuted(a, axes)


@implements(*_numpy_functions("matrix_transpose"))
def _np_matrix_transpose(x):
    x = _array(x)
    if len(_shape(x)) < 2:
        raise ValueError("matrix_transpose needs an array of at least 2 dimensions")
    return _np_swapaxes(x, -1, -2)


@implements(np.moveaxis)
def _np_moveaxis(a, source, destination):
    a = _array(a)
    ndim = len(_shape(a))
    source, destination = _axes(source, ndim), _axes(destination, ndim)
    if len(source) != len(destination):
        raise ValueError("`source` and `destination` arguments must have the same number "
                         "of elements")
    order = [i for i in range(ndim) if i not in source]
    for dest, src in sorted(zip(destination, source, strict=True)):
        order.insert(dest, src)
    return _permuted(a, order)


@implements(np.rot90)
def _np_rot90(m, k=1, axes=(0, 1)):
    m = _array(m)
    ndim = len(_shape(m))
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    first, second = _axis(axes[0], ndim), _axis(axes[1], ndim)
    if first == second:
        raise ValueError("Axes must be different.")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(m, axis=(first, second))
    swapped = list(range(ndim))
    swapped[first], swapped[second] = second, first
    if k == 1:
        return transpose(flip(m, axis=second), axes=tuple(swapped))
    return flip(transpose(m, axes=tuple(swapped)), axis=second)
