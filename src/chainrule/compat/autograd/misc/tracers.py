"""autograd's ``const_graph``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

__all__ = ["const_graph"]


def const_graph(fun: Callable, *args: Any, **kwargs: Any) -> Callable:
    """``fun`` with ``args`` and ``kwargs`` bound. autograd records ``fun``'s graph
    once and replays it on later calls; here ``fun`` runs on every call (same results;
    ``chainrule.jit``, where available, is chainrule's way to skip the Python)."""
    return functools.partial(fun, *args, **kwargs)
