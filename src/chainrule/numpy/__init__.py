"""``import chainrule.numpy as np``: NumPy with derivatives.

Every NumPy name is here. Those chainrule differentiates are its primitives
(they accept Tensors and plain arrays alike); the rest are NumPy's own. On top
of NumPy, ``array``/``asarray`` build arrays from lists of traced values, every
function accepts such lists wherever NumPy accepts an array-like
(``np.mean([a, b])``, ``np.sin([a, 1.0])``), and ``r_``/``c_`` join traced values.
``linalg`` and ``fft`` are namespaces of the same kind.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from .._core.graph import Box as _Box
from ..ops.array_likes import holds_box as _holds_box
from ..ops.registry import FUNCTIONS as _FUNCTIONS
from . import fft, linalg  # noqa: F401  (NumPy's submodules, with derivatives)
from ._namespace import AxisJoiner as _AxisJoiner
from ._namespace import populate as _populate

__version__ = _np.__version__


def array(obj: Any, dtype: Any = None, copy: bool | None = True, **kwargs: Any) -> Any:
    """``numpy.array`` that also stacks Tensors and traced scalars, keeping gradients."""
    if not _holds_box(obj):
        return _np.array(obj, dtype=dtype, copy=copy, **kwargs)
    if isinstance(obj, _Box):
        result = _FUNCTIONS[_np.copy](obj)
    else:
        result = _FUNCTIONS[_np.stack]([array(item) for item in obj])
    return result if dtype is None else result.astype(dtype)


def asarray(obj: Any, dtype: Any = None, **kwargs: Any) -> Any:
    """``numpy.asarray`` that keeps Tensors (and lists of them) differentiable."""
    if isinstance(obj, _Box) and dtype is None:
        return obj
    if not _holds_box(obj):
        return _np.asarray(obj, dtype=dtype, **kwargs)
    return array(obj, dtype=dtype)


r_ = _AxisJoiner(axis=0, ndmin=1, trans1d=-1, plain=_np.r_)
c_ = _AxisJoiner(axis=-1, ndmin=2, trans1d=0, plain=_np.c_)

_populate(globals(), _np)

# Type checkers cannot see the names filled in above. NumPy's annotations would say
# ndarray where these functions give Tensors, so they are declared as Any instead.
# At run time this finds what NumPy itself loads on first use (np.testing, np.f2py ...).
def __getattr__(name: str) -> Any:
    try:
        return getattr(_np, name)
    except AttributeError:
        raise AttributeError(f"module 'chainrule.numpy' has no attribute {name!r}") from None
