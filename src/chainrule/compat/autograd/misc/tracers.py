"""autograd's ``const_graph``, on ``chainrule.jit``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import chainrule as _cr

__all__ = ["const_graph"]


def const_graph(fun: Callable, *args: Any, **kwargs: Any) -> Callable:
    """``fun`` with ``args`` and ``kwargs`` bound, traced once and replayed on later
    calls (by ``chainrule.jit``: once per shape and dtype of the remaining arguments),
    so Python control flow is fixed at the first call, as in autograd."""
    return _cr.jit(functools.partial(fun, *args, **kwargs))
