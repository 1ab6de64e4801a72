"""autograd's ``fixed_point``: a fixed point of ``f(a)``, differentiable in ``a``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as _onp

import chainrule as _cr
from chainrule._core.primitive import strip

from ..extend import defvjp, primitive

__all__ = ["fixed_point"]


@primitive
def fixed_point(f: Callable, a: Any, x0: Any, distance: Callable, tol: float) -> Any:
    """Iterate ``x = f(a)(x)`` from ``x0`` until ``distance`` between successive
    iterates is at most ``tol``; the result's gradient in ``a`` comes from the implicit
    function theorem (a second fixed-point iteration, on the adjoint), not from
    differentiating the iterations."""
    step = f(a)
    x, previous = step(x0), x0
    while distance(x, previous) > tol:
        x, previous = step(x), x
    return x


def _fixed_point_vjp(ans, f, a, x0, distance, tol):
    def gradient_of_a(g):
        # The adjoint w solves w = g + (df/dx)^T w at the fixed point.
        _, pullback_x = _cr.vjp(f(a), ans)
        w, previous = g, _onp.zeros_like(strip(g))
        while distance(w, previous) > tol:
            w, previous = g + pullback_x(w)[0], w
        _, pullback_a = _cr.vjp(lambda a: f(a)(ans), a)
        return pullback_a(w)[0]

    return gradient_of_a


defvjp(fixed_point, None, _fixed_point_vjp, None)
