"""NumPy's joining, splitting and repeating functions, composed from the primitives."""

from __future__ import annotations

import operator

import numpy as np

from ..._core.primitive import strip
from ..indexing import getitem
from ..registry import implements
from .primitives import (
    _along,
    _array,
    _axis,
    _cast,
    _no_out,
    _numpy_functions,
    _reshaped,
    _shape,
    broadcast_to,
    concatenate,
)
from .reshaping import _at_least, _np_expand_dims, _np_ravel

AxisError = np.exceptions.AxisError


# --- joining ----------------------------------------------------------------------
@implements(np.concatenate, *_numpy_functions("concat"))
def _np_concatenate(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    _no_out("concatenate", out)
    arrays = [_array(a) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    if axis is None:
        arrays, axis = [_reshaped(a, (-1,)) for a in arrays], 0
    ndims = {len(_shape(a)) for a in arrays}
    if 0 in ndims:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    if len(ndims) > 1:
        raise ValueError("all the input arrays must have the same number of dimensions")
    axis = _axis(axis, ndims.pop())
    ends = np.cumsum([_shape(a)[axis] for a in arrays]).tolist()
    bounds = tuple(zip([0] + ends[:-1], ends, strict=True))
    return _cast(concatenate(*arrays, axis=axis, bounds=bounds), dtype)


@implements(np.stack)
def _np_stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    _no_out("stack", out)
    arrays = [_array(a) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to stack")
    shapes = {_shape(a) for a in arrays}
    if len(shapes) > 1:
        raise ValueError("all input arrays must have the same shape")
    axis = _axis(axis, len(shapes.pop()) + 1)
    return _np_concatenate([_np_expand_dims(a, axis) for a in arrays], axis, dtype=dtype)


@implements(np.hstack)
def _np_hstack(tup, *, dtype=None, casting="same_kind"):
    arrays = [_at_least(a, 1) for a in tup]
    axis = 0 if arrays and len(_shape(arrays[0])) == 1 else 1
    return _np_concatenate(arrays, axis, dtype=dtype)


@implements(np.vstack)
def _np_vstack(tup, *, dtype=None, casting="same_kind"):
    return _np_concatenate([_at_least(a, 2) for a in tup], 0, dtype=dtype)


@implements(np.dstack)
def _np_dstack(tup):
    return _np_concatenate([_at_least(a, 3) for a in tup], 2)


@implements(np.column_stack)
def _np_column_stack(tup):
    columns = []
    for a in tup:
        a = _array(a)
        columns.append(a if len(_shape(a)) >= 2 else _reshaped(a, (-1, 1)))
    return _np_concatenate(columns, 1)


@implements(np.append)
def _np_append(arr, values, axis=None):
    if axis is None:
        return _np_concatenate([_np_ravel(arr), _np_ravel(values)], 0)
    return _np_concatenate([arr, values], axis)


# --- splitting --------------------------------------------------------------------
def _split(ary, indices_or_sections, axis, equal: bool) -> list:
    ary = _array(ary)
    shape = _shape(ary)
    axis = _axis(axis, len(shape))
    indices_or_sections = strip(indices_or_sections)
    if np.ndim(indices_or_sections) == 0:
        sections = operator.index(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.")
        each, extra = divmod(shape[axis], sections)
        if equal and extra:
            raise ValueError("array split does not result in an equal division")
        points = np.cumsum([0] + [each + 1] * extra + [each] * (sections - extra)).tolist()
    else:
        points = [0, *np.asarray(indices_or_sections).tolist(), shape[axis]]
    return [getitem(ary, _along(axis, slice(start, stop)))
            for start, stop in zip(points[:-1], points[1:], strict=True)]


@implements(np.split)
def _np_split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, equal=True)


@implements(np.array_split)
def _np_array_split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, equal=False)


def _split_needing(ndim: int, name: str, ary, indices_or_sections, axis: int) -> list:
    if len(_shape(ary)) < ndim:
        raise ValueError(f"{name} only works on arrays of {ndim} or more dimensions")
    return _split(ary, indices_or_sections, axis, equal=True)


@implements(np.hsplit)
def _np_hsplit(ary, indices_or_sections):
    axis = 1 if len(_shape(ary)) > 1 else 0
    return _split_needing(1, "hsplit", ary, indices_or_sections, axis)


@implements(np.vsplit)
def _np_vsplit(ary, indices_or_sections):
    return _split_needing(2, "vsplit", ary, indices_or_sections, 0)


@implements(np.dsplit)
def _np_dsplit(ary, indices_or_sections):
    return _split_needing(3, "dsplit", ary, indices_or_sections, 2)


# --- repeating --------------------------------------------------------------------
@implements(np.tile)
def _np_tile(A, reps):
    A = _array(A)
    reps = tuple(reps) if np.ndim(reps) else (reps,)
    ndim = max(len(_shape(A)), len(reps))
    shape = (1,) * (ndim - len(_shape(A))) + _shape(A)
    reps = (1,) * (ndim - len(reps)) + reps
    # A as (1, s0, 1, s1, ...), stretched to (r0, s0, r1, s1, ...), then merged.
    spread = _reshaped(A, [n for s in shape for n in (1, s)])
    stretched = tuple(n for r, s in zip(reps, shape, strict=True) for n in (r, s))
    spread = broadcast_to(spread, shape=stretched)
    return _reshaped(spread, [r * s for r, s in zip(reps, shape, strict=True)])


@implements(np.repeat)
def _np_repeat(a, repeats, axis=None):
    a = _array(a)
    if axis is None:
        a, axis = _reshaped(a, (-1,)), 0
    shape = _shape(a)
    axis = _axis(axis, len(shape))
    repeats = strip(repeats)
    if np.size(repeats) != 1:
        index = np.repeat(np.arange(shape[axis]), repeats)
        return getitem(a, _along(axis, index))
    count = operator.index(np.reshape(repeats, -1)[0])
    if count < 0:
        raise ValueError("repeats may not contain negative values.")
    spread = _reshaped(a, shape[:axis + 1] + (1,) + shape[axis + 1:])
    spread = broadcast_to(spread, shape=shape[:axis + 1] + (count,) + shape[axis + 1:])
    return _reshaped(spread, shape[:axis] + (shape[axis] * count,) + shape[axis + 1:])
