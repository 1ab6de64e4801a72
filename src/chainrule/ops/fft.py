"""``numpy.fft``: four one-axis primitives, and the rest composed from them.

The rules follow the complex convention of ``ops/complex.py`` (a cotangent
pairs with a tangent by the real part of their plain product). The DFT matrix
F is symmetric, so the transpose of ``fft`` is ``fft`` and of ``ifft`` is
``ifft``, with the same normalisation; ``n`` (crop or zero-pad the input)
transposes to padding or cropping the cotangent back. ``rfft`` and ``irfft``
map between real and complex data, so their rules take real parts and weights
for the entries the half spectrum stands for twice.

Several-axis transforms apply the one-axis ones axis by axis, which is how
the transform itself factorises, so they are exact and need no rules of their own.
"""

from __future__ import annotations

import math

import numpy as np

from .complex import conjugate, real, real_cotangent
from .indexing import as_operand
from .registry import FUNCTIONS, defprim, implements
from .shape import pad as _pad_prim


def _resize(x, size: int, axis: int):
    """Crop ``x`` along ``axis`` to ``size`` entries, or pad it with zeros to that size."""
    length = x.shape[axis]
    if size == length:
        return x
    if size < length:
        index = [slice(None)] * x.ndim
        index[axis] = slice(0, size)
        return x[tuple(index)]
    widths = [(0, 0)] * x.ndim
    widths[axis] = (0, size - length)
    return _pad_prim(x, pad_width=tuple(widths), constant_values=0)


def _scale(n: int, norm: str | None, inverse: bool) -> float:
    """The factor NumPy applies to an unnormalised sum, for this ``norm``."""
    norm = norm or "backward"
    if norm == "ortho":
        return 1.0 / math.sqrt(n)
    return 1.0 / n if (norm == "backward") == inverse else 1.0


def _half_weights(n: int, size: int, dtype):
    """How many times each entry of a half spectrum of length ``size`` counts in
    a real signal of length ``n``: once for 0 (and n/2 when n is even), else twice."""
    weights = np.full(size, 2.0, dtype=dtype)
    weights[0] = 1.0
    if n % 2 == 0 and size == n // 2 + 1:
        weights[-1] = 1.0
    return weights


def _along(weights, ndim: int, axis: int):
    shape = [1] * ndim
    shape[axis] = weights.size
    return weights.reshape(shape)


def _fft_vjp(g, ans, x, *, n, axis, norm):
    return _resize(fft(g, n=n, axis=axis, norm=norm), x.shape[axis], axis)


def _ifft_vjp(g, ans, x, *, n, axis, norm):
    return _resize(ifft(g, n=n, axis=axis, norm=norm), x.shape[axis], axis)


def _rfft_vjp(g, ans, x, *, n, axis, norm):
    full = _resize(g, n, axis)  # the negative frequencies rfft leaves out: zero
    return _resize(real(fft(full, n=n, axis=axis, norm=norm)), x.shape[axis], axis)


def _irfft_vjp(g, ans, x, *, n, axis, norm):
    # irfft(c) = s * sum_j w_j Re(c_j e^{2 pi i jk/n}); its gradient in c is
    # s * w * conj(rfft(g)) with rfft unnormalised (s is irfft's own factor).
    g = real_cotangent(g)
    spectrum = rfft(g, n=n, axis=axis, norm="backward")
    size = n // 2 + 1
    weights = _half_weights(n, size, np.dtype(g.dtype)) * _scale(n, norm, inverse=True)
    return _resize(conjugate(spectrum) * _along(weights, g.ndim, axis), x.shape[axis], axis)


# Why the transforms refuse Dask arrays.
_ONE_CHUNK_PER_AXIS = "Dask's FFT needs every transformed axis in one chunk"
fft = defprim(lambda x, *, n, axis, norm: np.fft.fft(x, n, axis, norm), "fft",
              numpy_only=_ONE_CHUNK_PER_AXIS)
ifft = defprim(lambda x, *, n, axis, norm: np.fft.ifft(x, n, axis, norm), "ifft",
               numpy_only=_ONE_CHUNK_PER_AXIS)
rfft = defprim(lambda x, *, n, axis, norm: np.fft.rfft(x, n, axis, norm), "rfft",
               numpy_only=_ONE_CHUNK_PER_AXIS)
irfft = defprim(lambda x, *, n, axis, norm: np.fft.irfft(x, n, axis, norm), "irfft",
                numpy_only=_ONE_CHUNK_PER_AXIS)
for _prim, _vjp in ((fft, _fft_vjp), (ifft, _ifft_vjp), (rfft, _rfft_vjp),
                    (irfft, _irfft_vjp)):
    _prim.defvjp(_vjp, reads="args")
    # Linear maps: the derivative along t is the map applied to t.
    _prim.defjvp(lambda t, ans, x, *, _p=_prim, **kw: _p(t, **kw))
    # ``axis`` counts from the end, so a batch of tangents in front changes nothing.
    _prim.defbatch(broadcasts=True)


# --- NumPy signatures -------------------------------------------------------------
def _axis_length(a, n, axis: int, default) -> tuple[int, int]:
    """The transform length, and ``axis`` counted from the end (negative)."""
    axis = axis % a.ndim - a.ndim if a.ndim else -1
    return (default(a.shape[axis]) if n is None else int(n)), axis


def _array(a):
    return a if hasattr(a, "ndim") else as_operand(a)


def _check_norm(norm) -> None:
    if norm not in (None, "backward", "ortho", "forward"):
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" '
                         f'or "forward".')


def _one_axis(prim, default_length):
    def transform(a, n=None, axis=-1, norm=None, out=None):
        if out is not None:
            raise TypeError("numpy.fft with out=... is not supported by chainrule: writing "
                            "into `out` would drop the gradient. Assign the result.")
        _check_norm(norm)
        a = _array(a)
        n, axis = _axis_length(a, n, axis, default_length)
        return prim(a, n=n, axis=axis, norm=norm)

    return transform


_same = lambda m: m  # noqa: E731
_fft = implements(np.fft.fft)(_one_axis(fft, _same))
_ifft = implements(np.fft.ifft)(_one_axis(ifft, _same))
_rfft = implements(np.fft.rfft)(_one_axis(rfft, _same))
_irfft = implements(np.fft.irfft)(_one_axis(irfft, lambda m: 2 * (m - 1)))


def _swapped(norm):
    """The normalisation that makes a Hermitian transform NumPy's (``hfft`` is
    ``irfft`` of the conjugate, scaled as the opposite direction)."""
    return {None: "forward", "backward": "forward", "forward": "backward"}.get(norm, norm)


@implements(np.fft.hfft)
def _hfft(a, n=None, axis=-1, norm=None, out=None):
    _check_norm(norm)
    return _irfft(conjugate(_array(a)), n, axis, _swapped(norm), out)


@implements(np.fft.ihfft)
def _ihfft(a, n=None, axis=-1, norm=None, out=None):
    _check_norm(norm)
    return conjugate(_rfft(a, n, axis, _swapped(norm), out))


def _axes_and_sizes(a, s, axes, last_default=None):
    if axes is None:
        axes = list(range(-len(s), 0)) if s is not None else list(range(a.ndim))
    axes = [ax % a.ndim for ax in axes]
    if s is None:
        s = [a.shape[ax] for ax in axes]
        if last_default is not None:
            s[-1] = last_default(a.shape[axes[-1]])
    if len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    return list(s), axes


def _n_axes(one_axis):
    def transform(a, s=None, axes=None, norm=None, out=None):
        _check_norm(norm)
        a = _array(a)
        s, axes = _axes_and_sizes(a, s, axes)
        for size, axis in zip(s, axes):
            a = one_axis(a, size, axis, norm, out)
        return a

    return transform


_fftn = implements(np.fft.fftn)(_n_axes(_fft))
_ifftn = implements(np.fft.ifftn)(_n_axes(_ifft))


@implements(np.fft.fft2)
def _fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return _fftn(a, s, axes, norm, out)


@implements(np.fft.ifft2)
def _ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return _ifftn(a, s, axes, norm, out)


@implements(np.fft.rfftn)
def _rfftn(a, s=None, axes=None, norm=None, out=None):
    _check_norm(norm)
    a = _array(a)
    s, axes = _axes_and_sizes(a, s, axes)
    a = _rfft(a, s[-1], axes[-1], norm, out)
    return _fftn(a, s[:-1], axes[:-1], norm, out) if len(axes) > 1 else a


@implements(np.fft.irfftn)
def _irfftn(a, s=None, axes=None, norm=None, out=None):
    _check_norm(norm)
    a = _array(a)
    s, axes = _axes_and_sizes(a, s, axes, last_default=lambda m: 2 * (m - 1))
    if len(axes) > 1:
        a = _ifftn(a, s[:-1], axes[:-1], norm, out)
    return _irfft(a, s[-1], axes[-1], norm, out)


@implements(np.fft.rfft2)
def _rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return _rfftn(a, s, axes, norm, out)


@implements(np.fft.irfft2)
def _irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    return _irfftn(a, s, axes, norm, out)


def _shift(a, axes, sign: int):
    a = _array(a)
    axes = list(range(a.ndim)) if axes is None else np.atleast_1d(axes).tolist()
    return FUNCTIONS[np.roll](a, [sign * (a.shape[ax] // 2) for ax in axes], axes)


@implements(np.fft.fftshift)
def _fftshift(x, axes=None):
    return _shift(x, axes, 1)


@implements(np.fft.ifftshift)
def _ifftshift(x, axes=None):
    return _shift(x, axes, -1)
