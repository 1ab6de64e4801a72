"""NumPy functions built from other primitives, so they need no rules of their own:
differences, NaN-ignoring reductions, polynomials, interpolation, convolution."""

from __future__ import annotations

import numpy as np

from .registry import implements


def _no_out(out, name: str) -> None:
    if out is not None:
        raise TypeError(f"numpy.{name}(..., out=...) is not supported on Tensors; "
                        f"assign the result instead")


@implements(np.diff)
def _diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
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
    flat = np.ravel(ary)
    parts = [np.ravel(to_begin)] if to_begin is not None else []
    parts.append(flat[1:] - flat[:-1])
    if to_end is not None:
        parts.append(np.ravel(to_end))
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def _without_nans(a, fill):
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
    count = np.sum(~np.isnan(a), axis=axis, keepdims=keepdims)
    return _nansum(a, axis=axis, dtype=dtype, keepdims=keepdims) / count


@implements(np.nanvar)
def _nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    _no_out(out, "nanvar")
    present = ~np.isnan(a)
    mean = _nanmean(a, axis=axis, keepdims=True)
    squares = np.sum(np.where(present, (_without_nans(a, 0.0) - mean) ** 2, 0.0),
                     axis=axis, keepdims=keepdims)
    return squares / (np.sum(present, axis=axis, keepdims=keepdims) - ddof)


@implements(np.nanstd)
def _nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return np.sqrt(_nanvar(a, axis=axis, out=out, ddof=ddof, keepdims=keepdims))


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
    count = np.shape(xp)[0]
    upper = np.clip(np.searchsorted(np.asarray(_plain(xp)), _plain(x)), 1, count - 1)
    x0, x1, f0, f1 = xp[upper - 1], xp[upper], fp[upper - 1], fp[upper]
    inside = f0 + (x - x0) / (x1 - x0) * (f1 - f0)
    below = fp[0] if left is None else left
    above = fp[-1] if right is None else right
    return np.where(x < xp[0], below, np.where(x > xp[-1], above, inside))


def _plain(x):
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def _full_convolution(a, v):
    n, m = np.shape(a)[0], np.shape(v)[0]
    padded = np.pad(a, (m - 1, m - 1))
    windows = np.arange(n + m - 1)[:, None] + np.arange(m)[None, :]
    return padded[windows] @ np.flip(v)


@implements(np.convolve)
def _convolve(a, v, mode="full"):
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
    if np.shape(v)[0] > np.shape(a)[0]:  # NumPy swaps the inputs and reverses the result
        return np.flip(_correlate(v, a, mode))
    return _convolve(a, np.flip(v), mode)
