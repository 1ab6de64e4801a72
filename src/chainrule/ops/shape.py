"""Shape primitives: reshaping, transposing, joining, splitting, padding, diagonals.

A handful of linear primitives carry every derivative here: ``reshape``,
``transpose``, ``broadcast_to``, ``concatenate``, ``flip``, ``roll``, ``pad``,
``triu``, ``tril`` and ``trace``, plus ``getitem``/``scatter_add`` from the
indexing module for slicing and gathering. Each rule is another linear
primitive applied to ``g``, so it runs unchanged on Tensors at higher orders.
Rules read only ``g`` and keyword arguments (shapes, axes), never the input
arrays, so these nodes keep no input alive (except ``concatenate``: the engine
assumes a rule taking ``*arrays`` reads them all). The NumPy functions (``stack``,
``split``, ``tile``, ``repeat``, ``pad``, ``diag`` ...) are wrappers with NumPy's
signatures that compose those primitives.
"""

from __future__ import annotations

import functools
import operator

import numpy as np

from .._core.graph import Box
from .._core.primitive import _EveryArgument, strip
from .indexing import astype, batch_aligned, getitem, scatter_add
from .indexing import copy as copy_array
from .reductions import axes_from_end, batch_by_axes_from_end
from .registry import defprim, implements, nondifferentiable

AxisError = np.exceptions.AxisError if hasattr(np, "exceptions") else np.AxisError

# --- the primitives -----------------------------------------------------------
# Every primitive here is linear, so each JVP rule is the primitive itself (or, for
# concatenate and pad, its linear part) applied to the tangent t.
# in_shape: the input's shape, passed in by the wrapper so the rule need not keep x.
reshape = defprim(lambda x, *, shape, in_shape: np.reshape(x, shape), "reshape")
reshape.defvjp(lambda g, ans, x, *, shape, in_shape:
               reshape(g, shape=in_shape, in_shape=g.shape))
reshape.defjvp(lambda t, ans, x, *, shape, in_shape:
               reshape(t, shape=shape, in_shape=in_shape))

transpose = defprim(lambda x, *, axes: np.transpose(x, axes), "transpose")
transpose.defvjp(lambda g, ans, x, *, axes: transpose(g, axes=_inverse_permutation(axes)))
transpose.defjvp(lambda t, ans, x, *, axes: transpose(t, axes=axes))

# Batched rules (jacobian, jacfwd, hessian): the batch is a new leading axis.
reshape.batched_jvps = (lambda t, ans, x, *, shape, in_shape:
                        reshape(t, shape=t.shape[:1] + tuple(ans.shape), in_shape=t.shape),)
reshape.batched_vjps = (lambda g, ans, x, *, shape, in_shape:
                        reshape(g, shape=g.shape[:1] + tuple(in_shape), in_shape=g.shape),)
transpose.batched_jvps = (lambda t, ans, x, *, axes:
                          transpose(t, axes=_after_batch(axes, t.ndim - 1)),)
transpose.batched_vjps = (lambda g, ans, x, *, axes: transpose(
    g, axes=_after_batch(_inverse_permutation(_full_axes(axes, g.ndim - 1)), g.ndim - 1)),)

broadcast_to = defprim(lambda x, *, shape: np.broadcast_to(x, shape), "broadcast_to")
# The engine sums a gradient of the broadcast shape back to x's shape.
broadcast_to.defvjp(lambda g, ans, x, *, shape: g)
broadcast_to.defjvp(lambda t, ans, x, *, shape: broadcast_to(t, shape=shape))
broadcast_to.batched_vjps = (lambda g, ans, x, *, shape: g,)
broadcast_to.batched_jvps = (lambda t, ans, x, *, shape: broadcast_each(t, shape),)

concatenate = defprim(lambda *arrays, axis, bounds: np.concatenate(arrays, axis=axis),
                      "concatenate")
concatenate.defvjp_all(lambda argnum, g, ans, *arrays, axis, bounds:
                       getitem(g, _along(axis, slice(*bounds[argnum]))))


def _concatenate_jvp(argnum, t, ans, *arrays, axis, bounds, lead=0):
    """The tangent of array ``argnum`` in its place, zeros over the other arrays'
    places, in the output's dtype (a float32 piece joined with a float64 one gives
    float64); ``lead`` batch axes stacked in front of ``t``."""
    widths = _around(axis + lead, len(t.shape), bounds[argnum], bounds[-1][1])
    return _in_dtype(pad(t, pad_width=widths, constant_values=0), ans.dtype)


# One rule for every argument (there is no defjvp_all).
concatenate.jvps = _EveryArgument(_concatenate_jvp)
concatenate.batched_jvps = _EveryArgument(functools.partial(_concatenate_jvp, lead=1))
concatenate.batched_vjps = _EveryArgument(
    lambda argnum, g, ans, *arrays, axis, bounds:
    getitem(g, _along(axis + 1, slice(*bounds[argnum]))))

flip = defprim(lambda x, *, axis: np.flip(x, axis), "flip")
flip.defvjp(lambda g, ans, x, *, axis: flip(g, axis=axis))
flip.defjvp(lambda t, ans, x, *, axis: flip(t, axis=axis))
batch_by_axes_from_end(flip)

roll = defprim(lambda x, *, shift, axis: np.roll(x, shift, axis), "roll")
roll.defvjp(lambda g, ans, x, *, shift, axis:
            roll(g, shift=np.negative(shift).tolist(), axis=axis))
roll.defjvp(lambda t, ans, x, *, shift, axis: roll(t, shift=shift, axis=axis))
roll.batched_vjps = (lambda g, ans, x, *, shift, axis:
                     _roll_each(g, np.negative(shift).tolist(), axis),)
roll.batched_jvps = (lambda t, ans, x, *, shift, axis: _roll_each(t, shift, axis),)

pad = defprim(lambda x, *, pad_width, constant_values:
              np.pad(x, pad_width, constant_values=constant_values), "pad")
pad.defvjp(lambda g, ans, x, *, pad_width, constant_values: _unpadded(g, pad_width))
# Affine in x: the padding constant is no part of the tangent.
pad.defjvp(lambda t, ans, x, *, pad_width, constant_values:
           pad(t, pad_width=pad_width, constant_values=0))
pad.batched_vjps = (lambda g, ans, x, *, pad_width, constant_values:
                    _unpadded(g, _NO_PAD + tuple(pad_width)),)
pad.batched_jvps = (lambda t, ans, x, *, pad_width, constant_values:
                    pad(t, pad_width=_NO_PAD + tuple(pad_width), constant_values=0),)

triu = defprim(lambda x, *, k: np.triu(x, k), "triu")
triu.defvjp(lambda g, ans, x, *, k: triu(g, k=k))
triu.defjvp(lambda t, ans, x, *, k: triu(t, k=k))

tril = defprim(lambda x, *, k: np.tril(x, k), "tril")
tril.defvjp(lambda g, ans, x, *, k: tril(g, k=k))
tril.defjvp(lambda t, ans, x, *, k: tril(t, k=k))
# Batched: the VJP rules take a batch as it is; a 1-D x stands for the matrix with x
# in every row, so its tangents are spread over the rows first.
triu.batched_vjps = tuple(triu.vjps)
tril.batched_vjps = tuple(tril.vjps)
triu.batched_jvps = (lambda t, ans, x, *, k: triu(broadcast_each(t, ans.shape), k=k),)
tril.batched_jvps = (lambda t, ans, x, *, k: tril(broadcast_each(t, ans.shape), k=k),)

trace = defprim(lambda x, *, offset, axis1, axis2, in_shape:
                np.asarray(np.trace(x, offset, axis1, axis2)), "trace")
trace.defvjp(lambda g, ans, x, *, offset, axis1, axis2, in_shape:
             _spread_on_diagonal(g, offset, axis1, axis2, in_shape))
trace.defjvp(lambda t, ans, x, *, offset, axis1, axis2, in_shape:
             trace(t, offset=offset, axis1=axis1, axis2=axis2, in_shape=in_shape))
trace.batched_vjps = (lambda g, ans, x, *, offset, axis1, axis2, in_shape:
                      _spread_on_diagonal(g, offset, axis1 + 1, axis2 + 1,
                                          g.shape[:1] + tuple(in_shape)),)
trace.batched_jvps = (lambda t, ans, x, *, offset, axis1, axis2, in_shape:
                      trace(t, offset=offset, axis1=axis1 + 1, axis2=axis2 + 1,
                            in_shape=t.shape),)


# --- helpers --------------------------------------------------------------------
def _shape(a) -> tuple:
    shape = getattr(a, "shape", None)
    return tuple(shape) if shape is not None else np.shape(a)


def _array(a):
    """A Tensor as it is; anything else (lists, scalars) as an array."""
    return a if isinstance(a, Box) else np.asarray(a)


def _axis(axis, ndim: int) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise AxisError(axis, ndim)
    return axis % ndim


def _axes(axis, ndim: int) -> tuple[int, ...]:
    axes = tuple(_axis(a, ndim) for a in (axis if isinstance(axis, (tuple, list))
                                          else (axis,)))
    if len(set(axes)) != len(axes):
        raise ValueError(f"repeated axis in {axis}")
    return axes


def _along(axis: int, index) -> tuple:
    """An index that applies ``index`` on ``axis`` and takes everything elsewhere."""
    return (slice(None),) * axis + (index,)


def _around(axis: int, ndim: int, bound, total: int) -> tuple:
    """Pad widths that put a piece spanning ``bound`` on ``axis`` in a length of ``total``."""
    return tuple((bound[0], total - bound[1]) if i == axis else (0, 0) for i in range(ndim))


def _full_axes(axes, ndim: int) -> tuple[int, ...]:
    return tuple(range(ndim))[::-1] if axes is None else tuple(a % ndim for a in axes)


def _after_batch(axes, ndim: int) -> tuple[int, ...]:
    """A permutation of ``ndim`` axes, for the same array with a batch axis in front."""
    return (0,) + tuple(a + 1 for a in _full_axes(axes, ndim))


def _inverse_permutation(axes) -> tuple[int, ...]:
    return tuple(sorted(range(len(axes)), key=axes.__getitem__))


def _reshaped(x, shape):
    shape = tuple(shape)
    return x if _shape(x) == shape else reshape(x, shape=shape, in_shape=_shape(x))


def _permuted(x, axes):
    axes = tuple(axes)
    return x if axes == tuple(range(len(axes))) else transpose(x, axes=axes)


def _cast(x, dtype):
    return x if dtype is None else astype(x, np.dtype(dtype))


def _in_dtype(x, dtype):
    return x if x.dtype == dtype else astype(x, dtype)


def _no_out(name: str, out) -> None:
    if out is not None:
        raise TypeError(f"numpy.{name}(..., out=...) is not supported on Tensors; "
                        f"assign the result to a name instead.")


def _numpy_functions(*names: str) -> list:
    """The NumPy functions among ``names`` that this NumPy version has."""
    return [getattr(np, n) for n in names if hasattr(np, n)]


def _diagonal_indices(rows: int, cols: int, offset: int):
    first_row, first_col = max(-offset, 0), max(offset, 0)
    length = max(0, min(rows - first_row, cols - first_col))
    return np.arange(length) + first_row, np.arange(length) + first_col


_NO_PAD = ((0, 0),)


def _unpadded(g, pad_width):
    return getitem(g, tuple(slice(before, n - after)
                            for (before, after), n in zip(pad_width, g.shape, strict=True)))


def broadcast_each(t, shape):
    """A batch stacked on ``t``'s first axis, each member broadcast to ``shape``."""
    shape = tuple(shape)
    if t.shape[1:] == shape:
        return t
    return broadcast_to(batch_aligned(t, len(shape)), shape=t.shape[:1] + shape)


def _roll_each(v, shift, axis):
    """``roll`` of each member of a batch stacked on ``v``'s first axis."""
    if axis is not None:
        return roll(v, shift=shift, axis=axes_from_end(axis, v.ndim - 1))
    flat = _reshaped(v, (v.shape[0], -1))  # axis=None rolls the flattened array
    return _reshaped(roll(flat, shift=shift, axis=-1), v.shape)


def _spread_on_diagonal(g, offset, axis1, axis2, shape):
    """g (one value per diagonal) placed on every element of that diagonal."""
    kept = tuple(1 if i in (axis1, axis2) else n for i, n in enumerate(shape))
    mask = np.eye(shape[axis1], shape[axis2], k=offset, dtype=bool)
    if axis1 > axis2:
        mask = mask.T
    full = tuple(n if i in (axis1, axis2) else 1 for i, n in enumerate(shape))
    return reshape(g, shape=kept, in_shape=g.shape) * mask.reshape(full)


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
    widths = np.asarray(strip(pad_width))
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
    indices = np.asarray(strip(indices))
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
    indices = np.asarray(strip(indices))
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
                  np.empty_like, np.full_like)
