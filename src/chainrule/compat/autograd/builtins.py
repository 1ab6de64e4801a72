"""autograd's ``builtins``: ``isinstance`` and ``type`` that see through traced values,
and the container types.

chainrule differentiates through plain tuples, lists and dicts of arrays, so
``tuple``, ``list`` and ``dict`` here are Python's own.
"""

from __future__ import annotations

import builtins as _builtins
from typing import Any

from chainrule._core.primitive import strip

__all__ = ["dict", "isinstance", "list", "tuple", "type"]

dict = _builtins.dict
list = _builtins.list
tuple = _builtins.tuple


def isinstance(obj: Any, classinfo: Any) -> bool:
    """``isinstance`` of ``obj`` or of the value it traces: a traced array is an ``ndarray``."""
    return _builtins.isinstance(obj, classinfo) or _builtins.isinstance(strip(obj), classinfo)


def type(obj: Any) -> _builtins.type:
    """The type of the value ``obj`` traces (of ``obj`` itself when it is not traced)."""
    return _builtins.type(strip(obj))
