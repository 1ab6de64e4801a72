"""NumPy functions built from other primitives, so they need no rules of their own:
differences, NaN-ignoring reductions, polynomials, interpolation, convolution,
``linspace``/``logspace``, ``gradient``, ``trapezoid``, ``cov``/``corrcoef``,
``quantile``/``percentile``/``median``, ``select``, ``partition`` and the like.
Each follows NumPy's own arithmetic, so values agree to the last bits. And
``sinc``, a primitive whose derivative needs a series near its removable
singularity (``near_zero_series``, shared with ``chainrule.scipy.special``).
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .._core.arrays import plain_array, surely_false, surely_true
from .._core.graph import Box
from .._core.primitive import strip
from .elementwise import deg2rad, rad2deg
from .indexing import as_array_like, as_operand, astype, holds_box
from .reductions import permute_along
from .registry import FUNCTIONS, UFUNCS, defprim, implements


def _no_out(out, name: str) -> None:
    if out is not None:
        raise TypeError(f"numpy.{name}(..., out=...) is not supported on Tensors; "
                        f"assign the result instead")


@implements(np.diff)
def _diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    a, prepend, append = map(as_array_like, (a, prepend, append))
    parts = [p for p in (prepend, a, append) if p is not np._NoValue]
    if len(parts) > 1:
        shape = list(np.shape(a))
        parts = [p if np.ndim(p) else np.broadcast_to(p, shape[:axis % len(shape)] + [1] +
                                                     shape[axis % len(shape) + 1:])
                 for p in parts]
        a = np.concatenate(parts, axis=axis)
    for _ in range(n):
        upper = [slice(None)] * np.ndim(a)
        lower = [slice(None)] * np.ndim(a)
        upper[axis], lower[axis] = slice(1, None), slice(None, -1)
        a = a[tuple(upper)] - a[tuple(lower)]
    return a


@implements(np.ediff1d)
def _ediff1d(ary, to_end=None, to_begin=None):
    flat = np.ravel(as_array_like(ary))
    parts = [np.ravel(as_array_like(to_begin))] if to_begin is not None else []
    parts.append(flat[1:] - flat[:-1])
    if to_end is not None:
        parts.append(np.ravel(as_array_like(to_end)))
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def _without_nans(a, fill):
    a = as_array_like(a)
    return np.where(np.isnan(a), fill, a)


@implements(np.nansum)
def _nansum(a, axis=None, dtype=None, out=None, keepdims=False):
    _no_out(out, "nansum")
    return np.sum(_without_nans(a, 0.0), axis=axis, dtype=dtype, keepdims=keepdims)


@implements(np.nanprod)
def _nanprod(a, axis=None, dtype=None, out=None, keepdims=False):
    _no_out(out, "nanprod")
    return np.prod(_without_nans(a, 1.0), axis=axis, dtype=dtype, keepdims=keepdims)


@implements(np.nanmean)
def _nanmean(a, axis=None, dtype=None, out=None, keepdims=False):
    _no_out(out, "nanmean")
    a = as_array_like(a)
    count = _count(~np.isnan(a), axis, keepdims, a)
    return _nansum(a, axis=axis, dtype=dtype, keepdims=keepdims) / count


def _count(present, axis, keepdims, like):
    """How many entries are present, in ``like``'s float precision (float32 stays float32)."""
    dtype = plain_array(like).dtype
    real = np.finfo(dtype).dtype if dtype.kind in "fc" else np.float64
    return plain_array(np.sum(present, axis=axis, keepdims=keepdims), dtype=real)


@implements(np.nanvar)
def _nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    _no_out(out, "nanvar")
    a = as_array_like(a)
    present = ~np.isnan(a)
    mean = _nanmean(a, axis=axis, keepdims=True)
    squares = np.sum(np.where(present, (_without_nans(a, 0.0) - mean) ** 2, 0.0),
                     axis=axis, keepdims=keepdims)
    return squares / (_count(present, axis, keepdims, a) - ddof)


@implements(np.nanstd)
def _nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    variance = _nanvar(a, axis=axis, out=out, ddof=ddof, keepdims=keepdims)
    zero = plain_array(variance) == 0
    if surely_false(zero):
        return np.sqrt(variance)
    # sqrt's slope is infinite at 0, but a zero variance has every centered entry 0
    # and gradient 0: so has the std there (as std's own rule gives), not 0 * inf.
    return np.where(zero, 0.0, np.sqrt(np.where(zero, 1.0, variance)))


@implements(np.nanmax)
def _nanmax(a, axis=None, out=None, keepdims=False):
    _no_out(out, "nanmax")
    return np.max(_without_nans(a, -np.inf), axis=axis, keepdims=keepdims)


@implements(np.nanmin)
def _nanmin(a, axis=None, out=None, keepdims=False):
    _no_out(out, "nanmin")
    return np.min(_without_nans(a, np.inf), axis=axis, keepdims=keepdims)


@implements(np.polyval)
def _polyval(p, x):
    """Horner's rule; differentiable in the coefficients and in x."""
    p, x = as_array_like(p), as_array_like(x)
    result = 0.0 * x
    for k in range(np.shape(p)[0]):
        result = result * x + p[k]
    return result


@implements(np.interp)
def _interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation; differentiable in x, xp and fp."""
    if period is not None:
        raise NotImplementedError("np.interp(..., period=...) is not differentiable here; "
                                  "wrap x into one period first")
    x, xp, fp = map(as_array_like, (x, xp, fp))
    count = np.shape(xp)[0]
    upper = np.clip(np.searchsorted(plain_array(xp), plain_array(x)), 1, count - 1)
    x0, x1, f0, f1 = (_at(a, i) for a in (xp, fp) for i in (upper - 1, upper))
    inside = f0 + (x - x0) / (x1 - x0) * (f1 - f0)
    below = fp[0] if left is None else left
    above = fp[-1] if right is None else right
    return np.where(x < xp[0], below, np.where(x > xp[-1], above, inside))


def _at(values, positions):
    """``values[positions]`` for 1-d values; positions traced by cr.jit index a plain
    array through np.take_along_axis (which NumPy dispatches on its indices)."""
    if isinstance(values, Box):
        return values[positions]
    taken = np.take_along_axis(np.asarray(values), np.ravel(positions), axis=0)
    return np.reshape(taken, np.shape(positions))


def _full_convolution(a, v):
    n, m = np.shape(a)[0], np.shape(v)[0]
    padded = np.pad(a, (m - 1, m - 1))
    windows = np.arange(n + m - 1)[:, None] + np.arange(m)[None, :]
    return padded[windows] @ np.flip(v)


@implements(np.convolve)
def _convolve(a, v, mode="full"):
    a, v = as_array_like(a), as_array_like(v)
    if np.ndim(a) != 1 or np.ndim(v) != 1:
        raise ValueError("np.convolve takes one-dimensional inputs")
    full = _full_convolution(a, v)
    n, m = np.shape(a)[0], np.shape(v)[0]
    if mode == "full":
        return full
    if mode == "same":
        size = max(n, m)
        start = (min(n, m) - 1) // 2
        return full[start:start + size]
    if mode == "valid":
        return full[min(n, m) - 1:max(n, m)]
    raise ValueError(f"mode must be 'full', 'same' or 'valid', not {mode!r}")


@implements(np.correlate)
def _correlate(a, v, mode="valid"):
    a, v = as_array_like(a), as_array_like(v)
    if np.shape(v)[0] > np.shape(a)[0]:  # NumPy swaps the inputs and reverses the result
        return np.flip(_correlate(v, a, mode))
    return _convolve(a, np.flip(v), mode)


# --- sinc, and series near a removable singularity -----------------------------------
def near_zero_series(z, coefficients, formula, radius: float = 0.1):
    """``sum(c_k z**k)`` where ``|z| < radius``, ``formula(z)`` elsewhere.

    For derivatives written as a quotient that is 0/0 at ``z = 0`` (or loses digits
    near it): the polynomial is exact there at every order of differentiation,
    and ``formula`` is only evaluated away from 0.
    """
    near = np.abs(strip(z)) < radius
    if surely_false(near):
        return formula(z)
    small = np.where(near, z, 0)
    series = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        series = series * small + c
    if surely_true(near):
        return series
    return np.where(near, series, formula(np.where(near, 2 * radius, z)))


# sinc'(x) = sum_k (-1)^k pi^2k 2k x^(2k-1) / (2k+1)!, as coefficients of x^0 .. x^13.
_SINC_SLOPE_SERIES = [0.0] * 14
for _k in range(1, 8):
    _SINC_SLOPE_SERIES[2 * _k - 1] = (-1) ** _k * math.pi ** (2 * _k) * 2 * _k / math.factorial(
        2 * _k + 1)


def _sinc_slope(x):
    """d/dx sinc(x) = (cos(pi x) - sinc(x)) / x, 0 at x = 0."""
    return near_zero_series(x, _SINC_SLOPE_SERIES, lambda x: (np.cos(np.pi * x) - sinc(x)) / x)


sinc = defprim(np.sinc, "sinc")
sinc.defvjp(lambda g, ans, x: g * _sinc_slope(x), reads="args")
sinc.defjvp(lambda t, ans, x: t * _sinc_slope(x))
sinc.defbatch(broadcasts=True)
FUNCTIONS[np.sinc] = sinc

# --- aliases of primitives -----------------------------------------------------------
UFUNCS[np.degrees] = rad2deg
UFUNCS[np.radians] = deg2rad
if hasattr(np, "astype"):  # NumPy >= 2.1
    @implements(np.astype)
    def _np_astype(x, dtype, /, *, copy=True, device=None):
        return astype(x, np.dtype(dtype))
if hasattr(np, "row_stack"):  # deprecated alias of vstack, gone in later NumPy
    FUNCTIONS[np.row_stack] = FUNCTIONS[np.vstack]


# --- building arrays ------------------------------------------------------------------
@implements(np.full)
def _full(shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    """``numpy.full``, differentiable in ``fill_value``."""
    fill_value = as_array_like(fill_value)
    if dtype is not None:
        fill_value = (fill_value.astype(dtype) if isinstance(fill_value, Box)
                      else np.asarray(fill_value, dtype=dtype))
    return np.copy(np.broadcast_to(fill_value, shape))


@implements(np.full_like)
def _full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *,
               device=None):
    """``numpy.full_like``: a plain array, unless ``fill_value`` is traced (then
    differentiable in it, as ``full``)."""
    if not holds_box(fill_value):
        return np.full_like(np.asarray(strip(a)), fill_value, dtype=dtype, order=order,
                            subok=subok, shape=shape)
    dtype = np.result_type(strip(a)) if dtype is None else dtype
    return _full(np.shape(strip(a)) if shape is None else shape, fill_value, dtype=dtype)


@implements(np.copyto)
def _copyto(dst, src, casting="same_kind", where=True):
    """``numpy.copyto`` where no gradient is lost: refused into a traced Tensor (assign
    ``t[...] = src`` instead, which is recorded) and from a traced ``src`` (which is
    how ``numpy.full`` and ``full_like`` fill arrays); plain otherwise."""
    if _holds_traced(dst):
        raise TypeError("numpy.copyto into a traced Tensor is not recorded by chainrule; "
                        "assign with t[...] = src, which is differentiable.")
    if _holds_traced(src):
        raise TypeError(
            "numpy.copyto would write a traced value into an array, dropping its "
            "gradient (numpy.full(shape, x) and numpy.full_like(a, x) do this inside "
            "NumPy). Use chainrule.numpy.full / full_like, or np.broadcast_to(x, shape), "
            "which keep it.")
    return np.copyto(strip(dst), strip(src), casting=casting, where=strip(where))


def _holds_traced(x) -> bool:
    if isinstance(x, Box):
        return x._node is not None
    return isinstance(x, (list, tuple)) and any(map(_holds_traced, x))


@implements(np.linspace)
def _linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
              device=None):
    """``numpy.linspace``, differentiable in ``start`` and ``stop``; computed as NumPy does."""
    start, stop = as_array_like(start), as_array_like(stop)
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    divisions = num - 1 if endpoint else num
    inexact = np.result_type(strip(start), strip(stop), 1.0)
    delta = stop - start
    counts = np.arange(num, dtype=inexact).reshape((-1,) + (1,) * np.ndim(delta))
    if divisions > 0:
        step = delta / divisions
        y = counts / divisions * delta if not surely_false(strip(step) == 0) else counts * step
    else:
        step = np.nan
        y = counts * delta
    y = y + start
    if endpoint and num > 1:
        last = np.broadcast_to(stop, np.shape(y)[1:])  # exactly stop, as NumPy makes it
        if not isinstance(last, Box):
            last = np.asarray(last, dtype=y.dtype)
        y = np.concatenate([y[:-1], last[None]])
    if axis != 0:
        y = np.moveaxis(y, 0, axis)
    if dtype is not None:
        y = np.floor(y).astype(dtype) if np.issubdtype(dtype, np.integer) else y.astype(dtype)
    return (y, step) if retstep else y


# --- replacing and choosing values ------------------------------------------------------
@implements(np.nan_to_num)
def _nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """Non-finite entries replaced by numbers (gradient 0 there), the rest passed through."""
    x = as_array_like(x)
    plain = plain_array(x)
    if plain.dtype.kind == "c":
        parts = [_nan_to_num(part, nan=nan, posinf=posinf, neginf=neginf)
                 for part in (np.real(x), np.imag(x))]
        return parts[0] + 1j * parts[1]
    if plain.dtype.kind != "f":
        return x
    if isinstance(plain, np.ndarray):
        filled = np.nan_to_num(plain, nan=nan, posinf=posinf, neginf=neginf)
    else:
        filled = _non_finite_filled(plain, nan, posinf, neginf)
    return np.where(np.isfinite(plain), x, filled)


def _non_finite_filled(plain, nan, posinf, neginf):
    """``np.nan_to_num``'s fill values from ufuncs alone, for arrays of libraries whose
    ``nan_to_num`` takes no fill values (Dask's)."""
    largest = np.finfo(plain.dtype).max
    posinf = largest if posinf is None else posinf
    neginf = -largest if neginf is None else neginf
    infinite = np.where(plain > 0, posinf, neginf)
    return np.where(np.isnan(plain), nan, infinite).astype(plain.dtype)


@implements(np.real_if_close)
def _real_if_close(a, tol=100):
    """The real part when every imaginary part is within ``tol`` (machine epsilons) of 0."""
    a = as_array_like(a)
    close = np.real_if_close(plain_array(a), tol=tol)
    return np.real(a) if close.dtype.kind != "c" and np.iscomplexobj(strip(a)) else a


@implements(np.select)
def _select(condlist, choicelist, default=0):
    """The first choice whose condition holds, entry by entry (nested ``where``)."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if not condlist:
        raise ValueError("select with an empty condition list is not possible")
    result = as_array_like(default)
    for condition, choice in zip(reversed(condlist), reversed(choicelist)):
        result = np.where(plain_array(condition, dtype=bool), as_array_like(choice),
                          result)
    return result


@implements(np.partition)
def _partition(a, kth, axis=-1, kind="introselect", order=None):
    """``numpy.partition``: the entries rearranged by ``argpartition``, so that the
    gradient follows each entry to where it lands (as for ``sort``)."""
    if order is not None:
        raise TypeError("numpy.partition(..., order=...) partitions structured arrays, "
                        "which Tensors are not.")
    a = as_array_like(a)
    if axis is None:
        a, axis = np.reshape(a, -1), -1
    return permute_along(a, np.argpartition(strip(a), kth, axis=axis, kind=kind), axis=axis)


@implements(np.rollaxis)
def _rollaxis(a, axis, start=0):
    """``numpy.rollaxis`` as the transpose it is."""
    a = as_array_like(a)
    ndim = np.ndim(a)
    axis = axis + ndim if axis < 0 else axis
    start = start + ndim if start < 0 else start
    if not 0 <= axis < ndim or not 0 <= start <= ndim:
        raise np.exceptions.AxisError(f"rollaxis: axis {axis} or start {start} is out of "
                                      f"bounds for an array of dimension {ndim}")
    order = [i for i in range(ndim) if i != axis]
    order.insert(start - 1 if axis < start else start, axis)
    return np.transpose(a, order)


# --- gradient: finite differences of sampled values -------------------------------------
def _slab(f, start, stop, axis: int):
    index = [slice(None)] * np.ndim(f)
    index[axis] = slice(start, stop)
    return f[tuple(index)]


def _along_axis(v, ndim: int, axis: int):
    """A 1-D array of per-position weights, shaped to broadcast along ``axis``."""
    shape = [1] * ndim
    shape[axis] = -1
    return np.reshape(v, shape)


def _spacing(step, length: int, axis: int):
    """A scalar step, or the differences of 1-D coordinates (a scalar if they are uniform)."""
    if np.ndim(step) == 0:
        return step
    if np.ndim(step) != 1:
        raise ValueError("distances must be either scalars or 1d")
    if np.shape(step)[0] != length:
        raise ValueError("when 1d, distances must match the length of the corresponding "
                         "dimension")
    if plain_array(step).dtype.kind in "iub":
        step = plain_array(step, dtype=np.float64)
    differences = step[1:] - step[:-1]
    plain = plain_array(differences)
    return differences[0] if surely_true(plain == plain[0]) else differences


def _uniform_gradient(f, h, axis: int, edge_order: int):
    """NumPy's formulas for equally spaced samples, in NumPy's order of operations."""
    interior = (_slab(f, 2, None, axis) - _slab(f, None, -2, axis)) / (2.0 * h)
    f0, f1, f2 = (_slab(f, i, i + 1, axis) for i in range(3))
    fl, fm, fn = (_slab(f, i, i + 1 or None, axis) for i in (-3, -2, -1))
    if edge_order == 1:
        first, last = (f1 - f0) / h, (fn - fm) / h
    else:
        first = -1.5 / h * f0 + 2.0 / h * f1 + -0.5 / h * f2
        last = 0.5 / h * fl + -2.0 / h * fm + 1.5 / h * fn
    return first, interior, last


def _nonuniform_gradient(f, dx, axis: int, edge_order: int):
    """NumPy's second-order formulas for unequally spaced samples (spacings ``dx``)."""
    ndim = np.ndim(f)
    dx1, dx2 = dx[:-1], dx[1:]
    a = _along_axis(-dx2 / (dx1 * (dx1 + dx2)), ndim, axis)
    b = _along_axis((dx2 - dx1) / (dx1 * dx2), ndim, axis)
    c = _along_axis(dx1 / (dx2 * (dx1 + dx2)), ndim, axis)
    interior = a * _slab(f, None, -2, axis) + b * _slab(f, 1, -1, axis) + c * _slab(f, 2, None,
                                                                                    axis)
    f0, f1, f2 = (_slab(f, i, i + 1, axis) for i in range(3))
    fl, fm, fn = (_slab(f, i, i + 1 or None, axis) for i in (-3, -2, -1))
    if edge_order == 1:
        return (f1 - f0) / dx[0], interior, (fn - fm) / dx[-1]
    d1, d2 = dx[0], dx[1]
    first = (-(2.0 * d1 + d2) / (d1 * (d1 + d2)) * f0 + (d1 + d2) / (d1 * d2) * f1
             + -d1 / (d2 * (d1 + d2)) * f2)
    d1, d2 = dx[-2], dx[-1]
    last = (d2 / (d1 * (d1 + d2)) * fl + -(d2 + d1) / (d1 * d2) * fm
            + (2.0 * d2 + d1) / (d2 * (d1 + d2)) * fn)
    return first, interior, last


@implements(np.gradient)
def _gradient(f, *varargs, axis=None, edge_order=1):
    """``numpy.gradient`` with NumPy's formulas, differentiable in ``f`` and the spacings."""
    f, varargs = as_array_like(f), [as_array_like(step) for step in varargs]
    ndim = np.ndim(f)
    axes = list(range(ndim)) if axis is None else [
        a + ndim if a < 0 else a for a in (axis if isinstance(axis, (tuple, list)) else [axis])]
    if len(varargs) == 0:
        steps = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        steps = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes):
        steps = list(varargs)
    else:
        raise TypeError("invalid number of arguments")
    if edge_order > 2:
        raise ValueError("'edge_order' greater than 2 not supported")
    out = []
    for step, ax in zip(steps, axes):
        length = np.shape(f)[ax]
        if length < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, "
                             "at least (edge_order + 1) elements are required.")
        h = _spacing(step, length, ax)
        pieces = (_uniform_gradient if np.ndim(h) == 0 else _nonuniform_gradient)(
            f, h, ax, edge_order)
        result = np.concatenate(pieces, axis=ax)
        out.append(result if result.dtype == f.dtype else result.astype(f.dtype))
    return out[0] if len(out) == 1 else tuple(out)


# --- integrals, covariances, order statistics ---------------------------------------------
@implements(np.trapezoid)
def _trapezoid(y, x=None, dx=1.0, axis=-1):
    """The trapezoidal rule along ``axis``, differentiable in ``y`` and in ``x`` (or ``dx``)."""
    y, x = as_array_like(y), as_array_like(x)
    if x is None:
        widths = dx
    elif np.ndim(x) == 1:
        widths = _along_axis(x[1:] - x[:-1], np.ndim(y), axis % np.ndim(y))
    else:
        widths = np.diff(x, axis=axis)
    ends = _slab(y, 1, None, axis % np.ndim(y)) + _slab(y, None, -1, axis % np.ndim(y))
    return np.sum(widths * ends / 2.0, axis=axis)


def _observations(m, rowvar: bool, dtype):
    """``m`` as a 2-D array of variables (rows) by observations (columns)."""
    m = as_operand(m)
    m = m.astype(dtype) if m.dtype != dtype else m
    m = np.reshape(m, (1, -1)) if np.ndim(m) < 2 else m
    return m if rowvar or np.shape(m)[0] == 1 else m.T


@implements(np.cov)
def _cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
         dtype=None):
    """The covariance matrix as NumPy computes it, differentiable in the data and weights."""
    m, y, fweights, aweights = map(as_array_like, (m, y, fweights, aweights))
    if dtype is None:
        dtype = np.result_type(strip(m), np.float64) if y is None else np.result_type(
            strip(m), strip(y), np.float64)
    x = _observations(m, rowvar, dtype)
    if y is not None:
        x = np.concatenate([x, _observations(y, rowvar, dtype)], axis=0)
    ddof = (0 if bias else 1) if ddof is None else ddof
    weights = None
    if fweights is not None:
        weights = plain_array(fweights, dtype=float) if not isinstance(
            fweights, Box) else fweights
    if aweights is not None:
        weights = aweights if weights is None else weights * aweights
    if weights is None:
        mean = np.mean(x, axis=1, keepdims=True)
        count = np.shape(x)[1] - ddof
    else:
        total = np.sum(weights)
        mean = np.sum(x * weights, axis=1, keepdims=True) / total
        count = (total if ddof == 0 else total - ddof if aweights is None
                 else total - ddof * np.sum(weights * aweights) / total)
    centered = x - mean
    scaled = centered if weights is None else centered * weights
    return np.squeeze(centered @ np.conj(scaled).T * (1.0 / count))


@implements(np.corrcoef)
def _corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """Pearson correlation coefficients, clipped to [-1, 1] as NumPy does."""
    c = _cov(x, y, rowvar, dtype=dtype)
    if np.ndim(c) == 0:
        return c / c
    stddev = np.sqrt(np.real(np.diagonal(c)))
    c = c / stddev[:, None] / stddev[None, :]
    if np.iscomplexobj(strip(c)):
        return np.clip(np.real(c), -1, 1) + 1j * np.clip(np.imag(c), -1, 1)
    return np.clip(c, -1, 1)


@implements(np.logspace)
def _logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """``base ** linspace(start, stop)``, differentiable in ``start``, ``stop`` and ``base``."""
    start, stop, base = map(as_array_like, (start, stop, base))
    ndim = max(np.ndim(start), np.ndim(stop), np.ndim(base))
    start, stop, base = (np.reshape(v, (1,) * (ndim - np.ndim(v)) + np.shape(v))
                         for v in (start, stop, base))
    y = _linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    out = np.power(np.expand_dims(base, axis), y)
    return out if dtype is None else out.astype(dtype)


def _to_front(a, axis):
    """``a`` with the reduced axes (all when None) flattened into a leading one, and the
    shape ``keepdims`` restores."""
    a = as_array_like(a)
    a = as_operand(a)
    ndim = np.ndim(a)
    axes = tuple(range(ndim)) if axis is None else tuple(
        ax % ndim for ax in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    kept = [ax for ax in range(ndim) if ax not in axes]
    moved = np.transpose(a, axes + tuple(kept))
    rest = tuple(np.shape(a)[ax] for ax in kept)
    keep_shape = tuple(1 if ax in axes else np.shape(a)[ax] for ax in range(ndim))
    count = math.prod(np.shape(a)[ax] for ax in axes)  # not -1: rest may hold a 0
    return np.reshape(moved, (count,) + rest), keep_shape


def _nan_where_nan(result, ordered):
    """NaN wherever the slice held a NaN (sorted last), as NumPy's order statistics give."""
    last = plain_array(ordered)[-1]
    return np.where(np.isnan(last), np.nan, result) if not surely_false(np.isnan(last)) else result


@implements(np.quantile)
def _quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
              keepdims=False, *, weights=None, interpolation=None):
    """Quantiles by linear interpolation between order statistics (NumPy's default
    method), differentiable in ``a`` and ``q``."""
    _no_out(out, "quantile")
    if method != "linear" or weights is not None or interpolation is not None:
        raise NotImplementedError("chainrule differentiates numpy.quantile and percentile "
                                  "with method='linear' and no weights only.")
    q = as_array_like(q)
    flat, keep_shape = _to_front(a, axis)
    ordered = np.sort(flat, axis=0)
    last = np.shape(ordered)[0] - 1
    position = plain_array(q, dtype=float) * last
    below = np.clip(np.floor(position).astype(int), 0, last)
    above = np.minimum(below + 1, last)
    if isinstance(q, (int, float)):  # a Python number keeps the result in a's precision
        fraction = float(position - below)
    else:
        fraction = q * last - below
        fraction = np.reshape(fraction, np.shape(fraction) + (1,) * (np.ndim(ordered) - 1))
    low, high = ordered[below], ordered[above]
    step = high - low
    upper_half = plain_array(fraction) >= 0.5
    result = np.where(upper_half, high - step * (1 - fraction), low + step * fraction)
    result = _nan_where_nan(result, ordered)
    if keepdims:
        result = np.reshape(result, np.shape(q) + keep_shape)
    return result


@implements(np.percentile)
def _percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, weights=None, interpolation=None):
    """``quantile(a, q / 100)``."""
    return _quantile(a, as_array_like(q) / 100, axis, out, overwrite_input, method, keepdims,
                     weights=weights, interpolation=interpolation)


@implements(np.median)
def _median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The middle order statistic, or the mean of the two middle ones."""
    _no_out(out, "median")
    flat, keep_shape = _to_front(a, axis)
    ordered = np.sort(flat, axis=0)
    n = np.shape(ordered)[0]
    middle = ordered[n // 2] if n % 2 else np.mean(ordered[n // 2 - 1:n // 2 + 1], axis=0)
    result = _nan_where_nan(middle, ordered)
    return np.reshape(result, keep_shape) if keepdims else result
