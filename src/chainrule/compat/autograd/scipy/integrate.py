"""autograd's ``scipy.integrate``: ``odeint``, on chainrule's differentiable one
(derivatives in ``y0``, ``t`` and the arrays in ``args``, by the adjoint method)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from chainrule._pytree import flatten, unflatten
from chainrule.scipy.integrate import odeint as _odeint

__all__ = ["odeint"]


def odeint(func: Callable, y0: Any, t: Any, args: Sequence = (), **options: Any) -> Any:
    """``scipy.integrate.odeint``, differentiable; as in autograd, ``args`` may hold
    tuples, lists and dicts of arrays (a network's parameters, say)."""
    leaves, structure = flatten(tuple(args))

    def func_of_leaves(y, time, *values):
        return func(y, time, *unflatten(structure, list(values)))

    return _odeint(func_of_leaves, y0, t, tuple(leaves), **options)
