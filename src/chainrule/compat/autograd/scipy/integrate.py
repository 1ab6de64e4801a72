"""autograd's ``scipy.integrate``: ``odeint``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import scipy.integrate as _integrate

from chainrule._core.graph import Box
from chainrule._pytree import flatten

try:
    from chainrule.scipy.integrate import odeint
except ImportError:  # a chainrule without a differentiable odeint

    def odeint(func: Callable, y0: Any, t: Any, args: tuple = (), **kwargs: Any) -> Any:
        """``scipy.integrate.odeint``, for values that are not traced."""
        if any(isinstance(leaf, Box) for leaf in flatten((y0, t, args))[0]):
            raise NotImplementedError(
                "this chainrule cannot differentiate odeint; integrate with a "
                "differentiable step (e.g. Runge-Kutta written with NumPy calls) instead")
        return _integrate.odeint(func, y0, t, args=tuple(args), **kwargs)

__all__ = ["odeint"]
