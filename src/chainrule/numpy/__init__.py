"""``import chainrule.numpy as np``: NumPy with derivatives.

Every NumPy name is here. Those chainrule differentiates are its primitives
(they accept Tensors and plain arrays alike); the rest are NumPy's own. On top
of NumPy, ``array``/``asarray`` build arrays from lists of traced values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as _np

from .._core.graph import Box as _Box
from ..ops.indexing import holds_box as _holds_box
from ..ops.registry import FUNCTIONS as _FUNCTIONS
from ..ops.registry import UFUNCS as _UFUNCS

# What a ufunc has beyond calls; its methods hand Tensors back to chainrule's rules.
_UFUNC_ATTRIBUTES = ("outer", "reduce", "accumulate", "reduceat", "at", "nin", "nout",
                     "nargs", "ntypes", "types", "identity", "signature")


def _differentiable_version(obj):
    try:
        primitive = _UFUNCS.get(obj)
    except TypeError:  # unhashable NumPy attribute
        return obj
    if primitive is None:
        return _FUNCTIONS.get(obj) or obj
    for name in _UFUNC_ATTRIBUTES:  # copied, so calls keep the primitive's own speed
        setattr(primitive, name, getattr(obj, name))
    return primitive


def _populate() -> None:
    namespace = globals()
    for name in dir(_np):
        if not name.startswith("__") and name not in namespace:
            namespace[name] = _differentiable_version(getattr(_np, name))



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


_populate()

# Type checkers cannot see the names filled in above. NumPy's annotations would say
# ndarray where these functions give Tensors, so they are declared as Any instead.
if TYPE_CHECKING:
    def __getattr__(name: str) -> Any: ...
