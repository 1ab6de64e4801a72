"""autograd's ``scipy.signal.convolve``, which generalises SciPy's.

``convolve(A, B, axes=None, dot_axes=None, mode="full")`` convolves ``A`` and
``B`` along the paired ``axes`` (``([axes of A], [axes of B])``, all of them by
default), sums products along the paired ``dot_axes``, and keeps every other axis
as in an outer product. The result's axes: ``A``'s other axes, ``B``'s other axes,
then the convolved ones. Built from chainrule's differentiable ``pad``,
``tensordot`` and slicing.
"""

from __future__ import annotations

import itertools
from typing import Any

import chainrule.numpy as _np
from chainrule.scipy import signal as _signal

__all__ = ["convolve"]

_MODES = ("full", "valid", "same")


def convolve(A: Any, B: Any, axes: Any = None, dot_axes: Any = None,
             mode: str = "full") -> Any:
    """Convolve ``A`` with ``B`` along ``axes``, contracting ``dot_axes`` (see the module)."""
    if mode not in _MODES:
        raise ValueError(f"mode {mode!r} is not one of {_MODES}")
    dot_a, dot_b = (tuple(d) for d in (dot_axes or ((), ())))
    if axes is None and not dot_a and not dot_b:
        return _signal.convolve(A, B, mode=mode)
    ndim_a = _np.ndim(A)
    conv_a, conv_b = (tuple(range(ndim_a)),) * 2 if axes is None else (tuple(a) for a in axes)
    if len(conv_a) != len(conv_b) or len(dot_a) != len(dot_b):
        raise ValueError("axes and dot_axes must pair as many axes of A as of B")
    full = _full_convolution(A, B, conv_a, conv_b, dot_a, dot_b)
    return full[_cropping(A, B, conv_a, conv_b, _np.ndim(full), mode)]


def _full_convolution(A, B, conv_a, conv_b, dot_a, dot_b):
    """Sum over A's convolved positions i of A[i] times B shifted by i."""
    shape_a, shape_b = _np.shape(A), _np.shape(B)
    rest_a = [ax for ax in range(len(shape_a)) if ax not in conv_a]
    dot_positions_a = [rest_a.index(ax) for ax in dot_a]
    total = None
    for shift in itertools.product(*[range(shape_a[ax]) for ax in conv_a]):
        index = [slice(None)] * len(shape_a)
        padding = [(0, 0)] * len(shape_b)
        for ax_a, ax_b, i in zip(conv_a, conv_b, shift):
            index[ax_a] = i
            padding[ax_b] = (i, shape_a[ax_a] - 1 - i)
        term = _np.tensordot(A[tuple(index)], _np.pad(B, padding),
                             axes=(dot_positions_a, list(dot_b)))
        total = term if total is None else total + term
    # tensordot leaves A's other axes, then B's axes but the dot ones, in B's order.
    kept_a = len(rest_a) - len(dot_a)
    kept_b = [ax for ax in range(len(shape_b)) if ax not in dot_b]
    other_b = [ax for ax in kept_b if ax not in conv_b]
    order = list(range(kept_a)) + [kept_a + kept_b.index(ax) for ax in other_b + list(conv_b)]
    return _np.transpose(total, order)


def _cropping(A, B, conv_a, conv_b, ndim: int, mode: str) -> tuple:
    """The slices taking the full convolution to ``mode``'s part of it."""
    index = [slice(None)] * ndim
    first = ndim - len(conv_a)
    for k, (ax_a, ax_b) in enumerate(zip(conv_a, conv_b)):
        n_a, n_b = _np.shape(A)[ax_a], _np.shape(B)[ax_b]
        if mode == "valid":
            index[first + k] = slice(min(n_a, n_b) - 1, max(n_a, n_b))
        elif mode == "same":
            start = (n_b - 1) // 2
            index[first + k] = slice(start, start + n_a)
    return tuple(index)

