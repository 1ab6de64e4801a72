"""Indexing primitives: reading ``x[idx]``, writing ``x[idx] = v``, casting, copying."""

from __future__ import annotations

import numpy as np

from .._core.arrays import array_copy, is_lazy, plain_array, zeros_like_kind
from .._core.graph import Box
from .._core.primitive import make_box, strip
from .array_likes import as_array_like, as_operand, holds_box  # noqa: F401  (re-exported)
from .complex import real, real_cotangent
from .registry import defprim, implements


def plain_index(index):
    """An index with any Tensors in it replaced by their arrays (indices carry no gradient)."""
    if isinstance(index, tuple):
        return tuple(strip(i) if isinstance(i, Box) else i for i in index)
    return strip(index) if isinstance(index, Box) else index


def _is_basic(index) -> bool:
    """True when no entry of the index can select the same element twice."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, (int, np.integer, slice)) or part is None or part is Ellipsis:
            continue
        if isinstance(part, np.ndarray) and part.dtype == np.bool_:
            continue
        return False
    return True


def _never_repeats(index, shape) -> bool:
    """True for an all-integer-array index that selects each element at most once."""
    parts = index if isinstance(index, tuple) else (index,)
    arrays = []
    for part, size in zip(parts, shape):
        part = np.asarray(part)
        if part.dtype.kind not in "iu":
            return False
        arrays.append(np.where(part < 0, part + size, part))
    if not arrays or len(arrays) > len(shape):
        return False
    flat = np.ravel_multi_index(np.broadcast_arrays(*arrays), shape[:len(arrays)])
    return np.unique(flat).size == flat.size


def _scatter_add(g, index, shape):
    out = zeros_like_kind(g, shape)
    if _is_basic(index) or _never_repeats(index, shape):
        return _assigned(out, index, g)
    if isinstance(out, np.ndarray):
        np.add.at(out, index, g)  # repeated indices: every copy adds its share
        return out
    return _added_in_rounds(out, index, g)


def _added_in_rounds(out, index, g):
    """``np.add.at(out, index, g)`` for arrays of libraries without ufunc.at (Dask's),
    for an index of slices and one one-dimensional integer array: round r adds the
    r-th occurrence of every position, so no round names a position twice."""
    parts = index if isinstance(index, tuple) else (index,)
    advanced = [i for i, part in enumerate(parts) if not isinstance(part, slice)]
    if len(advanced) != 1 or np.ndim(parts[advanced[0]]) != 1:
        raise TypeError(
            f"the gradient of indexing a {type(out).__module__}.{type(out).__name__} with "
            f"an index that repeats elements is supported for slices and one 1-d integer "
            f"array only (it has no ufunc.at): compute the array first, or index with "
            f"unique positions")
    axis = advanced[0]
    positions = np.asarray(parts[axis]) % out.shape[axis]
    occurrence = _occurrence_numbers(positions)
    for rank in range(int(occurrence.max(initial=-1)) + 1):
        chosen = np.flatnonzero(occurrence == rank)
        target = (*parts[:axis], positions[chosen], *parts[axis + 1:])
        out = _assigned(out, target, out[target] + g[(slice(None),) * axis + (chosen,)])
    return out


def _occurrence_numbers(positions: np.ndarray) -> np.ndarray:
    """For each entry of ``positions``, how many equal entries come before it."""
    order = np.argsort(positions, kind="stable")
    ranked = positions[order]
    starts_group = np.concatenate([[True], ranked[1:] != ranked[:-1]])
    group_start = np.maximum.accumulate(np.where(starts_group, np.arange(len(ranked)), 0))
    occurrence = np.empty(len(positions), dtype=np.intp)
    occurrence[order] = np.arange(len(ranked)) - group_start
    return occurrence


def _zeros_at(g, index):
    return _assigned(g.copy(), index, 0)


def _set(x, index, v):
    return _assigned(array_copy(x), index, v)


def _assigned(out, index, value):
    """``out`` after ``out[index] = value`` (in place for NumPy arrays). A Dask array
    is given the index in forms Dask can assign through: a mask of all its axes as
    positions in the flattened array, and no new axes (``None``), whose length-1 axes
    leave ``value``."""
    if type(out) is np.ndarray or not is_lazy(out):
        out[index] = value
        return out
    if _is_full_mask(index, out.ndim):
        flat = np.reshape(out, (-1,))
        flat[np.flatnonzero(index)] = value
        return np.reshape(flat, out.shape)
    index = _index_for_dask(index)
    parts = index if isinstance(index, tuple) else (index,)
    if any(part is None for part in parts):
        region = out[index].shape
        index = tuple(part for part in parts if part is not None)
        value = np.reshape(np.broadcast_to(value, region), out[index].shape)
    out[index] = value
    return out


def _getitem(x, index):
    if type(x) is not np.ndarray and is_lazy(x):
        if _is_full_mask(index, x.ndim):  # Dask would give the selection an unknown length
            return np.reshape(x, (-1,))[np.flatnonzero(index)]
        index = _index_for_dask(index)
    return x[index]


def _is_full_mask(index, ndim: int) -> bool:
    """Whether ``index`` is one NumPy boolean mask over two or more axes (all of them)."""
    return (isinstance(index, np.ndarray) and index.dtype == np.bool_
            and index.ndim == ndim > 1)


def _index_for_dask(index):
    """``index`` in the forms Dask reads best: one-dimensional NumPy boolean masks
    become the positions they select (Dask gives a selection by a mask an unknown
    length, even for a mask in memory) and 0-d integer arrays become integers."""
    if isinstance(index, tuple):
        return tuple(_index_for_dask(part) for part in index)
    if isinstance(index, np.ndarray):
        if index.dtype == np.bool_ and index.ndim == 1:
            return np.flatnonzero(index)
        if index.ndim == 0 and index.dtype.kind in "iu":
            return int(index)
    return index


getitem = defprim(_getitem, "getitem")
scatter_add = defprim(_scatter_add, "scatter_add")
zeros_at = defprim(_zeros_at, "zeros_at")
setitem = defprim(_set, "setitem")

getitem.defvjp(lambda g, ans, x, index: scatter_add(g, index, np.shape(x)), reads="args")
scatter_add.defvjp(lambda g, ans, h, index, shape: getitem(g, index), reads="args")
zeros_at.defvjp(lambda g, ans, h, index: zeros_at(g, index), reads="args")
setitem.defvjp(lambda g, ans, x, index, v: zeros_at(g, index), None,
               lambda g, ans, x, index, v: _assigned_part(g, index), reads="args")

getitem.defjvp(lambda t, ans, x, index: getitem(t, index))


def _batched_index(index):
    """``index`` for the same array with a batch axis in front, or None where NumPy
    would move that axis (advanced indices split by a slice go to the front)."""
    parts = index if isinstance(index, tuple) else (index,)
    fancy = [i for i, p in enumerate(parts)
             if not (isinstance(p, slice) or p is None or p is Ellipsis)]
    has_arrays = any(not isinstance(parts[i], (int, np.integer)) for i in fancy)
    if has_arrays and fancy[-1] - fancy[0] + 1 != len(fancy):
        return None
    return (slice(None), *parts)


scatter_add.defjvp(lambda t, ans, h, index, shape: scatter_add(t, index, shape))
zeros_at.defjvp(lambda t, ans, h, index: zeros_at(t, index))
setitem.defjvp(lambda t, ans, x, index, v: zeros_at(t, index), None,
               lambda t, ans, x, index, v: setitem(np.zeros_like(ans), index, t))


def batch_aligned(t, ndim: int):
    """A batch stacked on ``t``'s first axis, with axes of length 1 inserted after it
    so that each member has at least ``ndim`` axes: broadcasting against arrays of
    ``ndim`` axes then pairs the members' axes, not the batch axis, with theirs."""
    missing = ndim + 1 - t.ndim
    if missing <= 0:
        return t
    return np.reshape(t, t.shape[:1] + (1,) * missing + t.shape[1:])


def _each(op, v, index, *rest):
    """``op(v, index, *rest)`` for each member of a batch stacked on ``v``'s first
    axis, or None (the fallback loops) when the index would move the batch axis."""
    batched = _batched_index(index)
    return None if batched is None else op(v, batched, *rest)


def _set_each(zeros, index, t):
    """``setitem(zeros, index, t)`` for a batch stacked in front of ``zeros`` and
    ``t``; each member of ``t`` broadcast to the indexed region as NumPy would."""
    return _each(setitem, zeros, index, batch_aligned(t, np.ndim(zeros[0][index])))


# Batched rules (jacobian, jacfwd, hessian): the batch is a new leading axis.
getitem.defbatch(jvps=(lambda t, ans, x, index: _each(getitem, t, index), None),
                 vjps=(lambda g, ans, x, index:
                       _each(scatter_add, g, index, g.shape[:1] + np.shape(x)), None))
scatter_add.defbatch(jvps=(lambda t, ans, h, index, shape:
                           _each(scatter_add, t, index, t.shape[:1] + tuple(shape)), None, None),
                     vjps=(lambda g, ans, h, index, shape: _each(getitem, g, index), None, None))
_zeros_at_each = (lambda v, ans, h, index: _each(zeros_at, v, index), None)
zeros_at.defbatch(jvps=_zeros_at_each, vjps=_zeros_at_each)
setitem.defbatch(jvps=(lambda t, ans, x, index, v: _each(zeros_at, t, index), None,
                       lambda t, ans, x, index, v:
                       _set_each(np.zeros(t.shape[:1] + ans.shape, ans.dtype), index, t)),
                 vjps=(lambda g, ans, x, index, v: _each(zeros_at, g, index), None,
                       lambda g, ans, x, index, v: _each(_assigned_part, g, index)))


def _assigned_part(g, index):
    advanced = [p for p in (index if isinstance(index, tuple) else (index,))
                if not (isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis
                        or (isinstance(p, np.ndarray) and p.dtype == np.bool_))]
    if len(advanced) == 1:
        positions = np.asarray(advanced[0]).ravel()
        if len(np.unique(positions)) != len(positions):
            raise ValueError(
                "assignment through an index that repeats an element is ambiguous to "
                "differentiate (only the last write survives); use unique indices.")
    return getitem(g, index)


def astype(x, dtype):
    """``x`` cast to ``dtype``: differentiable between float (and complex) dtypes; a cast
    to an integer or boolean dtype is piecewise constant, so its result is untraced."""
    dtype = np.dtype(dtype)
    if dtype.kind in "fc":
        return cast(x, dtype)
    result = plain_array(x).astype(dtype)
    return make_box(result, None) if isinstance(x, Box) else result


def _cast_vjp(g, ans, x, dtype):
    # A real result passes back only the real part of its cotangent (see real_cotangent):
    # cast to a complex input's dtype, an imaginary part would survive.
    if np.dtype(dtype).kind != "c":
        g = real_cotangent(g)
    elif x.dtype.kind != "c":  # a real input cast to complex takes the real part
        g = real(g)
    return g.astype(x.dtype)


cast = defprim(lambda x, dtype: x.astype(dtype), "astype")
cast.defvjp(_cast_vjp, reads="args")
cast.defjvp(lambda t, ans, x, dtype: t.astype(dtype))
cast.defbatch(broadcasts=True)

copy = defprim(array_copy, "copy")
copy.defvjp(lambda g, ans, x: g, reads=())
copy.defjvp(lambda t, ans, x: t)
copy.defbatch(broadcasts=True)


@implements(np.copy)
def _np_copy(a, order="K", subok=False):
    return copy(as_operand(a))
