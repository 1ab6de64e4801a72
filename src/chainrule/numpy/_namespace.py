"""How ``chainrule.numpy`` and its submodules are filled from NumPy's namespaces."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from .._core.graph import Box
from .._core.primitive import Primitive
from ..ops.array_likes import as_array_like, holds_box
from ..ops.registry import FUNCTIONS, UFUNCS

# What a ufunc has beyond calls; its methods hand Tensors back to chainrule's rules.
_UFUNC_ATTRIBUTES = ("outer", "reduce", "accumulate", "reduceat", "at", "nin", "nout",
                     "nargs", "ntypes", "types", "identity", "signature")


def accepting_array_likes(primitive: Callable) -> Callable:
    """``primitive``, also taking lists and tuples of traced values where NumPy takes
    array-likes (``np.sin([a, 1.0])``).

    The lists are stacked only when the plain call fails on them (NumPy cannot turn a
    traced value into an array), so a call on arrays or Tensors costs one frame more.
    """

    def call(*args, **kwargs):
        try:
            return primitive(*args, **kwargs)
        except TypeError:
            if not any(isinstance(a, (list, tuple)) and holds_box(a) for a in args):
                raise
        return primitive(*map(as_array_like, args), **kwargs)

    call.__name__ = call.__qualname__ = primitive.__name__
    call.__doc__ = primitive.__doc__
    call.__wrapped__ = primitive
    return call


def _differentiable_version(obj):
    try:
        primitive = UFUNCS.get(obj)
    except TypeError:  # unhashable NumPy attribute
        return obj
    if primitive is not None:
        call = accepting_array_likes(primitive)
        for name in _UFUNC_ATTRIBUTES:
            setattr(call, name, getattr(obj, name))
        return call
    handler = FUNCTIONS.get(obj)
    if handler is None:
        return obj
    # Wrappers read their array arguments through ops.array_likes already.
    return accepting_array_likes(handler) if isinstance(handler, Primitive) else handler


def populate(namespace: dict, module) -> None:
    """Fill ``namespace`` with every public name of NumPy's ``module`` that it does not
    define already, differentiable where chainrule has rules."""
    loaded = vars(module)  # not the submodules NumPy imports on first use (testing, f2py)
    for name in dir(module):
        if not name.startswith("__") and name not in namespace and name in loaded:
            namespace[name] = _differentiable_version(loaded[name])


class AxisJoiner:
    """``numpy.r_`` or ``numpy.c_`` that also joins traced values (NumPy's own when
    none is given): ``r_[a, b, 0.5]``, ``c_[a, b]``, ``r_['0,2', a, b]``, slices
    as ranges."""

    def __init__(self, axis: int, ndmin: int, trans1d: int, plain: Any):
        self.axis, self.ndmin, self.trans1d, self.plain = axis, ndmin, trans1d, plain

    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        if not holds_box(items):
            return self.plain[key]
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        if items and isinstance(items[0], str):
            axis, ndmin, trans1d = _directive(items[0], ndmin, trans1d)
            items = items[1:]
        parts = [_joined_part(item, ndmin, trans1d) for item in items]
        return FUNCTIONS[np.concatenate](parts, axis=axis)

    def __len__(self) -> int:
        return 0


def _directive(text: str, ndmin: int, trans1d: int) -> tuple[int, int, int]:
    """NumPy's ``'axis[,ndmin[,trans1d]]'`` string; the matrix forms have no Tensors."""
    try:
        numbers = [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"chainrule.numpy.r_/c_ with traced values takes the directive "
                         f"'axis[,ndmin[,trans1d]]', not {text!r} (np.matrix results "
                         f"are not supported).") from None
    defaults = [numbers[0], ndmin, trans1d]
    return tuple(numbers + defaults[len(numbers):])[:3]


def _joined_part(item, ndmin: int, trans1d: int):
    """One item of ``r_[...]`` as an array of at least ``ndmin`` dimensions, its own
    axes placed where ``trans1d`` says (NumPy's rule)."""
    if isinstance(item, slice):
        return np.r_[item]
    part = item if isinstance(item, Box) else as_array_like(item)
    if not isinstance(part, Box):
        return np.array(part, copy=None, subok=True, ndmin=ndmin)
    own = part.ndim
    if own >= ndmin:
        return part
    part = np.reshape(part, (1,) * (ndmin - own) + part.shape)
    if trans1d == -1:
        return part
    first = operator.index(trans1d)
    last = ndmin - own
    if first < 0:
        first += last + 1
    axes = list(range(ndmin))
    return np.transpose(part, axes[:first] + axes[last:] + axes[first:last])
