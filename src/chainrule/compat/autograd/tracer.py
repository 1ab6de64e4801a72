"""The names programs import from autograd's ``tracer``: ``primitive``,
``notrace_primitive``, ``Box``, ``isbox`` and ``getval``."""

from __future__ import annotations

from typing import Any

from chainrule._core.graph import Box
from chainrule._core.primitive import strip

from .extend import notrace_primitive, primitive

__all__ = ["Box", "getval", "isbox", "notrace_primitive", "primitive"]


def isbox(x: Any) -> bool:
    """Whether ``x`` is a traced value (a chainrule Tensor)."""
    return isinstance(x, Box)


def getval(x: Any) -> Any:
    """The plain value under any traced wrapping of ``x``."""
    return strip(x)
