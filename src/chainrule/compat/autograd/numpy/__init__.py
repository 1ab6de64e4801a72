"""``import chainrule.compat.autograd.numpy as np``: autograd's NumPy namespace.

It is ``chainrule.numpy`` (every NumPy name; the differentiable ones work on traced
values), with autograd's submodules ``linalg``, ``fft`` and ``random``.
"""

import builtins as _builtins
from typing import Any as _Any

import numpy as _onp

import chainrule.numpy as _cnp
from chainrule._core.graph import Box as _Box

# NumPy's names, each as chainrule.numpy has it; the submodules are this package's own
# (set here, the names would keep ``from . import linalg`` from importing them).
_SUBMODULES = ("fft", "linalg", "random")
globals().update({name: getattr(_cnp, name) for name in dir(_onp)
                  if not name.startswith("_") and name not in _SUBMODULES})

from . import fft as fft  # noqa: E402
from . import linalg as linalg  # noqa: E402
from . import numpy_boxes as numpy_boxes  # noqa: E402
from . import random as random  # noqa: E402

__version__ = _onp.__version__

_NOT_GIVEN = object()


def make_diagonal(D: _Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> _Any:
    """autograd's inverse of ``diagonal``: matrices with ``D``'s last axis on their
    diagonal (only ``offset=0, axis1=-1, axis2=-2``, as in autograd)."""
    if not (offset == 0 and axis1 == -1 and axis2 == -2):
        raise NotImplementedError(
            "make_diagonal supports only offset=0, axis1=-1, axis2=-2; use np.diag or "
            "np.einsum for other layouts")
    size = _onp.shape(D)[-1]
    return _cnp.expand_dims(D, -1) * _onp.eye(size)


def where(condition: _Any, x: _Any = _NOT_GIVEN, y: _Any = _NOT_GIVEN) -> _Any:
    """``numpy.where``; as in autograd, with Python scalars and lists only (no arrays)
    the result is a Python scalar or list."""
    if x is _NOT_GIVEN and y is _NOT_GIVEN:
        return _cnp.where(condition)
    if x is _NOT_GIVEN or y is _NOT_GIVEN:
        raise ValueError("either both or neither of x and y should be given")
    result = _cnp.where(condition, x, y)
    if _holds_arrays([condition, x, y]):
        return result
    return result.tolist()


def _holds_arrays(value: _Any) -> bool:
    if isinstance(value, (_onp.ndarray, _onp.generic, _Box)):
        return True
    # NumPy's any (all, sum ...) hides the builtin in this module.
    return isinstance(value, (list, tuple)) and _builtins.any(_holds_arrays(v) for v in value)
