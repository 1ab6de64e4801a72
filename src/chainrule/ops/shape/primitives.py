"""The linear shape primitives and the helpers their rules and wrappers share."""

from __future__ import annotations

import functools
import operator

import numpy as np

from ..._core.arrays import check_known_shape, plain_array
from ..._core.graph import Box
from ..._core.rules import EveryArgument
from ..indexing import as_operand, astype, batch_aligned, getitem
from ..reductions import axes_from_end, batch_by_axes_from_end
from ..registry import defprim

AxisError = np.exceptions.AxisError


# --- the primitives -----------------------------------------------------------
# Every primitive here is linear, so each JVP rule is the primitive itself (or, for
# concatenate and pad, its linear part) applied to the tangent t.
# in_shape: the input's shape, passed in by the wrapper so the rule need not keep x.
def _reshape(x, *, shape, in_shape):
    try:
        return np.reshape(x, shape)
    except (TypeError, ValueError):
        check_known_shape(np.shape(x), "reshape")
        raise


reshape = defprim(_reshape, "reshape")
reshape.defvjp(lambda g, ans, x, *, shape, in_shape:
               reshape(g, shape=in_shape, in_shape=g.shape), reads=())
reshape.defjvp(lambda t, ans, x, *, shape, in_shape:
               reshape(t, shape=shape, in_shape=in_shape))

transpose = defprim(lambda x, *, axes: np.transpose(x, axes), "transpose")
transpose.defvjp(lambda g, ans, x, *, axes: transpose(g, axes=_inverse_permutation(axes)), reads=())
transpose.defjvp(lambda t, ans, x, *, axes: transpose(t, axes=axes))

# Batched rules (jacobian, jacfwd, hessian): the batch is a new leading axis.
reshape.defbatch(
    jvps=(lambda t, ans, x, *, shape, in_shape:
          reshape(t, shape=t.shape[:1] + tuple(ans.shape), in_shape=t.shape),),
    vjps=(lambda g, ans, x, *, shape, in_shape:
          reshape(g, shape=g.shape[:1] + tuple(in_shape), in_shape=g.shape),))
transpose.defbatch(
    jvps=(lambda t, ans, x, *, axes: transpose(t, axes=_after_batch(axes, t.ndim - 1)),),
    vjps=(lambda g, ans, x, *, axes: transpose(
        g, axes=_after_batch(_inverse_permutation(_full_axes(axes, g.ndim - 1)), g.ndim - 1)),))

broadcast_to = defprim(lambda x, *, shape: np.broadcast_to(x, shape), "broadcast_to")
# The engine sums a gradient of the broadcast shape back to x's shape.
broadcast_to.defvjp(lambda g, ans, x, *, shape: g, reads=())
broadcast_to.defjvp(lambda t, ans, x, *, shape: broadcast_to(t, shape=shape))
broadcast_to.defbatch(jvps=(lambda t, ans, x, *, shape: broadcast_each(t, shape),),
                      vjps=(lambda g, ans, x, *, shape: g,))

concatenate = defprim(lambda *arrays, axis, bounds: np.concatenate(arrays, axis=axis),
                      "concatenate")
concatenate.defvjp_all(lambda argnum, g, ans, *arrays, axis, bounds:
                       getitem(g, _along(axis, slice(*bounds[argnum]))), reads=())


def _concatenate_jvp(argnum, t, ans, *arrays, axis, bounds, lead=0):
    """The tangent of array ``argnum`` in its place, zeros over the other arrays'
    places, in the output's dtype (a float32 piece joined with a float64 one gives
    float64); ``lead`` batch axes stacked in front of ``t``."""
    widths = _around(axis + lead, len(t.shape), bounds[argnum], bounds[-1][1])
    return _in_dtype(pad(t, pad_width=widths, constant_values=0), ans.dtype)


# One rule for every argument (there is no defjvp_all).
concatenate.jvps = EveryArgument(_concatenate_jvp)
concatenate.defbatch(
    jvps=EveryArgument(functools.partial(_concatenate_jvp, lead=1)),
    vjps=EveryArgument(lambda argnum, g, ans, *arrays, axis, bounds:
                        getitem(g, _along(axis + 1, slice(*bounds[argnum])))))

flip = defprim(lambda x, *, axis: np.flip(x, axis), "flip")
flip.defvjp(lambda g, ans, x, *, axis: flip(g, axis=axis), reads=())
flip.defjvp(lambda t, ans, x, *, axis: flip(t, axis=axis))
batch_by_axes_from_end(flip)

roll = defprim(lambda x, *, shift, axis: np.roll(x, shift, axis), "roll")
roll.defvjp(lambda g, ans, x, *, shift, axis:
            roll(g, shift=np.negative(shift).tolist(), axis=axis), reads=())
roll.defjvp(lambda t, ans, x, *, shift, axis: roll(t, shift=shift, axis=axis))
roll.defbatch(jvps=(lambda t, ans, x, *, shift, axis: _roll_each(t, shift, axis),),
              vjps=(lambda g, ans, x, *, shift, axis:
                    _roll_each(g, np.negative(shift).tolist(), axis),))

pad = defprim(lambda x, *, pad_width, constant_values:
              np.pad(x, pad_width, constant_values=constant_values), "pad")
pad.defvjp(lambda g, ans, x, *, pad_width, constant_values: _unpadded(g, pad_width), reads=())
# Affine in x: the padding constant is no part of the tangent.
pad.defjvp(lambda t, ans, x, *, pad_width, constant_values:
           pad(t, pad_width=pad_width, constant_values=0))
pad.defbatch(jvps=(lambda t, ans, x, *, pad_width, constant_values:
                   pad(t, pad_width=_NO_PAD + tuple(pad_width), constant_values=0),),
             vjps=(lambda g, ans, x, *, pad_width, constant_values:
                   _unpadded(g, _NO_PAD + tuple(pad_width)),))

triu = defprim(lambda x, *, k: np.triu(x, k), "triu")
triu.defvjp(lambda g, ans, x, *, k: triu(g, k=k), reads=())
triu.defjvp(lambda t, ans, x, *, k: triu(t, k=k))

tril = defprim(lambda x, *, k: np.tril(x, k), "tril")
tril.defvjp(lambda g, ans, x, *, k: tril(g, k=k), reads=())
tril.defjvp(lambda t, ans, x, *, k: tril(t, k=k))
# Batched: the VJP rules take a batch as it is; a 1-D x stands for the matrix with x
# in every row, so its tangents are spread over the rows first.
triu.defbatch(jvps=(lambda t, ans, x, *, k: triu(broadcast_each(t, ans.shape), k=k),),
              vjps=tuple(triu.vjps))
tril.defbatch(jvps=(lambda t, ans, x, *, k: tril(broadcast_each(t, ans.shape), k=k),),
              vjps=tuple(tril.vjps))

trace = defprim(lambda x, *, offset, axis1, axis2, in_shape:
                plain_array(np.trace(x, offset, axis1, axis2)), "trace")
trace.defvjp(lambda g, ans, x, *, offset, axis1, axis2, in_shape:
             _spread_on_diagonal(g, offset, axis1, axis2, in_shape), reads=())
trace.defjvp(lambda t, ans, x, *, offset, axis1, axis2, in_shape:
             trace(t, offset=offset, axis1=axis1, axis2=axis2, in_shape=in_shape))
trace.defbatch(jvps=(lambda t, ans, x, *, offset, axis1, axis2, in_shape:
                     trace(t, offset=offset, axis1=axis1 + 1, axis2=axis2 + 1,
                           in_shape=t.shape),),
               vjps=(lambda g, ans, x, *, offset, axis1, axis2, in_shape:
                     _spread_on_diagonal(g, offset, axis1 + 1, axis2 + 1,
                                         g.shape[:1] + tuple(in_shape)),))


# --- helpers --------------------------------------------------------------------
def _shape(a) -> tuple:
    shape = getattr(a, "shape", None)
    return tuple(shape) if shape is not None else np.shape(a)


def _array(a):
    """A Tensor as it is; anything else (lists, scalars) as an array."""
    return a if isinstance(a, Box) else as_operand(a)


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
