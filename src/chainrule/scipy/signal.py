"""``scipy.signal.convolve`` and ``correlate`` for N-dimensional arrays, differentiable.

Computed through the FFT (``numpy.fft``'s differentiable transforms): exact up to
rounding, in every mode and order, in time n log n rather than the direct method's
product of the sizes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.primitive import strip


def _full_shape(a, b) -> list[int]:
    return [n + m - 1 for n, m in zip(np.shape(a), np.shape(b))]


def _centered(x, shape: list[int]):
    """The centre ``shape`` part of ``x``, as SciPy takes it for 'same' and 'valid'."""
    starts = [(n - m) // 2 for n, m in zip(np.shape(x), shape)]
    return x[tuple(slice(s, s + m) for s, m in zip(starts, shape))]


def _check(in1, in2, mode: str) -> None:
    if np.ndim(in1) != np.ndim(in2):
        raise ValueError("in1 and in2 should have the same dimensionality")
    if mode not in ("full", "same", "valid"):
        raise ValueError("Acceptable mode flags are 'valid', 'same', or 'full'.")


def convolve(in1: Any, in2: Any, mode: str = "full", method: str = "auto") -> Any:
    """N-dimensional convolution, as ``scipy.signal.convolve`` (``method`` is ignored:
    the FFT is always used). Differentiable in both inputs."""
    _check(in1, in2, mode)
    shape1, shape2 = np.shape(in1), np.shape(in2)
    if mode == "valid" and not all(n >= m for n, m in zip(shape1, shape2)):
        if all(n <= m for n, m in zip(shape1, shape2)):
            in1, in2, shape1, shape2 = in2, in1, shape2, shape1  # as SciPy does
        else:
            raise ValueError("For 'valid' mode, one must be at least as large as the "
                             "other in every dimension")
    full = _full_shape(in1, in2)
    axes = list(range(len(full)))
    if np.iscomplexobj(strip(in1)) or np.iscomplexobj(strip(in2)):
        out = np.fft.ifftn(np.fft.fftn(in1, full, axes) * np.fft.fftn(in2, full, axes),
                           full, axes)
    else:
        out = np.fft.irfftn(np.fft.rfftn(in1, full, axes) * np.fft.rfftn(in2, full, axes),
                            full, axes)
    if mode == "same":
        return _centered(out, list(shape1))
    if mode == "valid":
        return _centered(out, [n - m + 1 for n, m in zip(shape1, shape2)])
    return out


def correlate(in1: Any, in2: Any, mode: str = "full", method: str = "auto") -> Any:
    """N-dimensional cross-correlation, as ``scipy.signal.correlate``: the convolution
    with ``in2`` reversed (and conjugated)."""
    _check(in1, in2, mode)
    reversed_in2 = in2[tuple(slice(None, None, -1) for _ in range(np.ndim(in2)))]
    if np.iscomplexobj(strip(in2)):
        reversed_in2 = np.conj(reversed_in2)
    return convolve(in1, reversed_in2, mode, method)
