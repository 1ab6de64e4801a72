"""Vector and matrix norms: ``numpy.linalg.norm``, ``vector_norm``, ``matrix_norm``."""

from __future__ import annotations

import math
import operator

import numpy as np

from ..._core.arrays import known_to_hold, plain_array
from ..complex import conj_if_complex, conjugate, is_complex, real, real_cotangent
from ..reductions import batch_by_axes_from_end, expand_reduced, spread_reduced, sum_, where
from ..registry import defprim, implements
from .base import _array_operand, _as_inexact
from .decompositions import svd_values

try:
    from numpy.lib.array_utils import normalize_axis_tuple
except ImportError:  # NumPy < 2
    from numpy.core.numeric import normalize_axis_tuple


# --- vector norms ---------------------------------------------------------------------
def _vector_norm(x, ord=2, axis=None, keepdims=False):
    """The ``ord``-norm of ``x`` over ``axis`` (a tuple, or None for every entry)."""
    if ord == 2:
        squares = x * x if x.dtype.kind != "c" else x.real ** 2 + x.imag ** 2
        return np.sqrt(np.sum(squares, axis=axis, keepdims=keepdims))
    if ord == 1:
        return np.sum(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == math.inf:
        return np.max(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == -math.inf:
        return np.min(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        count = np.sum(x != 0, axis=axis, keepdims=keepdims)
        return count.astype(np.finfo(x.dtype).dtype)
    return np.sum(np.abs(x) ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


def _norm_slope(x, norm, ord, axis, keepdims):
    """The derivative of the norm with respect to each entry of ``x``: ``d norm =
    Re sum(slope * dx)``, so for complex ``x`` it holds the conjugate directions."""
    norm = expand_reduced(norm, x.shape, axis=axis, keepdims=keepdims)
    plain_x, plain_norm = plain_array(x), plain_array(norm)
    safe_norm = where(plain_norm == 0, 1.0, norm)  # a zero vector: subgradient 0
    if ord == 2:
        return conj_if_complex(x) / safe_norm
    sign = _conjugate_direction(x, plain_x)
    if ord == 1:
        return sign
    if ord == 0:
        return np.zeros_like(plain_x)
    if ord in (math.inf, -math.inf):
        hits = (np.abs(plain_x) == plain_norm).astype(plain_norm.dtype)
        return sign * hits / np.sum(hits, axis=axis, keepdims=True)
    if ord < 1 and known_to_hold(plain_x == 0):
        raise ValueError(f"the derivative of the {ord}-norm is infinite at a vector with "
                         f"a zero entry (an ord below 1); it does not exist here.")
    return sign * (np.abs(x) / safe_norm) ** (ord - 1)


def _conjugate_direction(x, plain_x):
    """``conj(x) / |x|`` (0 at 0): the sign of real ``x``, a constant; for complex
    ``x`` a traced function of it, so higher derivatives see it turn."""
    if not is_complex(x):
        return np.sign(plain_x)
    return conjugate(x) / where(plain_x == 0, 1.0, np.abs(x)) * (plain_x != 0)


def _vector_norm_vjp(g, ans, x, ord=2, axis=None, keepdims=False):
    g = real_cotangent(g)
    return spread_reduced(g, x, axis, keepdims) * _norm_slope(x, ans, ord, axis, keepdims)


def _vector_norm_jvp(t, ans, x, ord=2, axis=None, keepdims=False):
    tangent = sum_(t * _norm_slope(x, ans, ord, axis, keepdims), axis=axis, keepdims=keepdims)
    return real(tangent) if is_complex(tangent) else tangent


vector_norm = defprim(_vector_norm, "vector_norm")
vector_norm.defvjp(_vector_norm_vjp, reads=("args", "ans"))
vector_norm.defjvp(_vector_norm_jvp)
batch_by_axes_from_end(vector_norm)


# --- norm -----------------------------------------------------------------------------
def _vector_ord(ord) -> float:
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    return 2 if ord is None else ord


def _with_unit_axes(result, shape: tuple, axes: tuple):
    """``result`` of reducing an array of ``shape`` over ``axes``, with those axes back
    as length 1 (``keepdims``)."""
    return np.reshape(result, tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _matrix_norm(x, ord, axes: tuple, keepdims: bool):
    """NumPy's matrix norms over the two ``axes`` (rows, columns)."""
    row, col = axes
    if ord in (None, "fro", "f"):
        return vector_norm(x, ord=2, axis=axes, keepdims=keepdims)
    if ord in ("nuc", 2, -2):
        s = svd_values(np.moveaxis(x, axes, (-2, -1)))
        reduce = {"nuc": np.sum, 2: np.max, -2: np.min}[ord]
        result = reduce(s, axis=-1)
    elif ord in (1, -1, math.inf, -math.inf):
        summed, kept = (row, col) if ord in (1, -1) else (col, row)
        reduce = np.max if ord > 0 else np.min
        result = reduce(np.sum(np.abs(x), axis=summed), axis=kept - (kept > summed))
    else:
        raise ValueError("Invalid norm order for matrices.")
    return _with_unit_axes(result, x.shape, axes) if keepdims else result


@implements(np.linalg.norm)
def _np_norm(x, ord=None, axis=None, keepdims=False):
    x = _as_inexact(x)
    if axis is None:
        if ord is None:  # the 2-norm of every entry, whatever the shape
            return vector_norm(x, ord=2, axis=None, keepdims=keepdims)
        if x.ndim not in (1, 2):
            raise ValueError("Improper number of dimensions to norm.")
        axis = tuple(range(x.ndim))
    elif not isinstance(axis, tuple):
        axis = (operator.index(axis),)
    axes = normalize_axis_tuple(axis, x.ndim)
    if len(axes) == 1:
        return vector_norm(x, ord=_vector_ord(ord), axis=axes, keepdims=keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError("Improper number of dimensions to norm.")


if hasattr(np.linalg, "vector_norm"):
    @implements(np.linalg.vector_norm)
    def _np_vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
        x = _as_inexact(x)
        axes = None if axis is None else normalize_axis_tuple(axis, x.ndim)
        return vector_norm(x, ord=_vector_ord(ord), axis=axes, keepdims=keepdims)

    @implements(np.linalg.matrix_norm)
    def _np_matrix_norm(x, /, *, keepdims=False, ord="fro"):
        x = _as_inexact(x)
        if x.ndim < 2:
            raise ValueError(f"Input array must be at least 2-dimensional, but it is "
                             f"{x.ndim}")
        return _matrix_norm(x, ord, (x.ndim - 2, x.ndim - 1), keepdims)

    @implements(np.linalg.svdvals)
    def _np_svdvals(x, /):
        return svd_values(_array_operand(x))
