"""The names programs import from autograd's ``core``: the unary ``make_vjp`` and
``make_jvp`` (differentiating a function of one value), ``vspace`` and the rule
definitions of ``extend``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import chainrule as _cr

from .extend import (
    VSpace,
    def_linear,
    defjvp,
    defjvp_argnum,
    defjvp_argnums,
    defvjp,
    defvjp_argnum,
    defvjp_argnums,
    primitive,
    vspace,
)

__all__ = [
    "VSpace", "def_linear", "defjvp", "defjvp_argnum", "defjvp_argnums", "defvjp",
    "defvjp_argnum", "defvjp_argnums", "make_jvp", "make_vjp", "primitive", "vspace",
]


def make_vjp(fun: Callable, x: Any) -> tuple[Callable, Any]:
    """``(vjp, fun(x))``: ``vjp(g)`` is the gradient of ``<g, fun(x)>`` in ``x``."""
    ans, pullback = _cr.vjp(fun, x)
    return (lambda g: pullback(g)[0]), ans


def make_jvp(fun: Callable, x: Any) -> Callable:
    """``jvp(v)`` gives ``(fun(x), J v)`` by forward mode, one pass per call."""
    return lambda v: _cr.jvp(fun, (x,), (v,))
