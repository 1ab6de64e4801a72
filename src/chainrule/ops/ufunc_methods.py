"""NumPy's ufunc methods ``outer``, ``reduce`` and ``accumulate`` on traced values,
composed from the primitives chainrule has: ``outer`` is the ufunc broadcast over
reshaped inputs, ``add.accumulate`` is ``cumsum``, ``maximum.reduce`` is ``max`` ...,
and any other binary ufunc with a rule is folded along the axis one step at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .registry import FUNCTIONS, UFUNCS

_REDUCTIONS = {np.add: np.sum, np.multiply: np.prod, np.maximum: np.max, np.minimum: np.min}
_SCANS = {np.add: np.cumsum, np.multiply: np.cumprod}


def has_rule(ufunc: np.ufunc, method: str) -> bool:
    """Whether ``ufunc.method`` is differentiable here (a binary ufunc with a rule)."""
    return (method in METHODS and ufunc in UFUNCS and ufunc.nin == 2 and ufunc.nout == 1
            and ufunc.signature is None)


def outer(ufunc: np.ufunc, a: Any, b: Any, **kwargs: Any) -> Any:
    """``ufunc.outer(a, b)``: ``ufunc`` of every entry of ``a`` with every entry of ``b``."""
    _refuse_options(ufunc, "outer", kwargs)
    column = np.reshape(a, np.shape(a) + (1,) * np.ndim(b))
    return UFUNCS[ufunc](column, b)


def reduce(ufunc: np.ufunc, a: Any, axis: Any = 0, keepdims: bool = False,
           initial: Any = None, **kwargs: Any) -> Any:
    """``ufunc.reduce(a, axis)``: a matching reduction, or a fold along ``axis``."""
    if ufunc in _REDUCTIONS:
        if initial is not None:
            kwargs["initial"] = initial
        return FUNCTIONS[_REDUCTIONS[ufunc]](a, axis=axis, keepdims=keepdims, **kwargs)
    _refuse_options(ufunc, "reduce", kwargs)
    axis = _one_axis(ufunc, a, axis)
    result = _fold(ufunc, a, axis, initial)[-1]
    return np.expand_dims(result, axis) if keepdims else result


def accumulate(ufunc: np.ufunc, a: Any, axis: int = 0, **kwargs: Any) -> Any:
    """``ufunc.accumulate(a, axis)``: the running results along ``axis``."""
    _refuse_options(ufunc, "accumulate", kwargs)
    if ufunc in _SCANS:
        return FUNCTIONS[_SCANS[ufunc]](a, axis=axis)
    return np.moveaxis(np.stack(_fold(ufunc, a, axis, None)), 0, axis)


METHODS: dict[str, Callable] = {"outer": outer, "reduce": reduce, "accumulate": accumulate}


def _fold(ufunc: np.ufunc, a: Any, axis: int, initial: Any) -> list:
    """The running results of ``ufunc`` along ``axis``, first to last."""
    step = UFUNCS[ufunc]
    items = np.moveaxis(a, axis, 0)
    if items.shape[0] == 0:
        raise ValueError(f"numpy.{ufunc.__name__}.reduce/accumulate of an empty axis has "
                         f"no derivative in chainrule; check the axis length first.")
    running = items[0] if initial is None else step(initial, items[0])
    results = [running]
    for i in range(1, items.shape[0]):
        running = step(running, items[i])
        results.append(running)
    return results


def _one_axis(ufunc: np.ufunc, a: Any, axis: Any) -> int:
    ndim = np.ndim(a)
    axes = tuple(range(ndim)) if axis is None else np.atleast_1d(axis).tolist()
    if len(axes) != 1:
        raise TypeError(
            f"numpy.{ufunc.__name__}.reduce over {len(axes)} axes at once is not "
            f"differentiable in chainrule; reduce one axis at a time, e.g. "
            f"np.{ufunc.__name__}.reduce(np.{ufunc.__name__}.reduce(x, axis=1), axis=0).")
    return axes[0]


def _refuse_options(ufunc: np.ufunc, method: str, kwargs: dict) -> None:
    unsupported = sorted(name for name, value in kwargs.items()
                         if not (name == "dtype" and value is None)
                         and not (name == "where" and value is True))
    if unsupported:
        raise TypeError(
            f"numpy.{ufunc.__name__}.{method} with {unsupported} is not supported on "
            f"Tensors; cast with .astype() first, or select entries with np.where.")
