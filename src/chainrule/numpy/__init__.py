"""``import chainrule.numpy as np``: NumPy with derivatives.

Every NumPy name is here. Those chainrule differentiates are its primitives
(they accept Tensors and plain arrays alike); the rest are NumPy's own. On top
of NumPy, ``array``/``asarray`` build arrays from lists of traced values.
"""

from __future__ import annotations

import numpy as _np

from .._core.graph import Box as _Box
from ..ops.registry import FUNCTIONS as _FUNCTIONS
from ..ops.registry import UFUNCS as _UFUNCS


class DifferentiableUfunc:
    """A NumPy ufunc whose calls are chainrule's primitive, so that they accept lists
    of traced values too; its methods (``outer``, ``reduce``, ``accumulate`` ...) and
    attributes are the ufunc's own, which hand Tensors to chainrule's rules."""

    __slots__ = ("ufunc", "_primitive")

    def __init__(self, ufunc: _np.ufunc, primitive) -> None:
        self.ufunc = ufunc
        self._primitive = primitive

    def __call__(self, *args, **kwargs):
        if kwargs:  # out=, where= ...: NumPy's protocol checks them
            return self.ufunc(*args, **kwargs)
        return self._primitive(*args)

    def __getattr__(self, name: str):
        return getattr(self.ufunc, name)

    def __repr__(self) -> str:
        return f"<differentiable ufunc '{self.ufunc.__name__}'>"


def _differentiable_version(obj):
    try:
        primitive = _UFUNCS.get(obj)
        if primitive is not None:
            return DifferentiableUfunc(obj, primitive)
        return _FUNCTIONS.get(obj) or obj
    except TypeError:  # unhashable NumPy attribute
        return obj


def _populate() -> None:
    namespace = globals()
    for name in dir(_np):
        if not name.startswith("__") and name not in namespace:
            namespace[name] = _differentiable_version(getattr(_np, name))


def _holds_traced(obj) -> bool:
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, _Box):
            return True
        if isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


def array(obj, dtype=None, copy=True, **kwargs):
    """``numpy.array`` that also stacks Tensors and traced scalars, keeping gradients."""
    if not _holds_traced(obj):
        return _np.array(obj, dtype=dtype, copy=copy, **kwargs)
    if isinstance(obj, _Box):
        result = _FUNCTIONS[_np.copy](obj)
    else:
        result = _FUNCTIONS[_np.stack]([array(item) for item in obj])
    return result if dtype is None else result.astype(dtype)


def asarray(obj, dtype=None, **kwargs):
    """``numpy.asarray`` that keeps Tensors (and lists of them) differentiable."""
    if isinstance(obj, _Box) and dtype is None:
        return obj
    if not _holds_traced(obj):
        return _np.asarray(obj, dtype=dtype, **kwargs)
    return array(obj, dtype=dtype)


_populate()
