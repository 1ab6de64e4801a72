"""autograd's ``test_util``: ``check_grads(fun, argnum=0, modes=..., order=2)(*args)``.

The checks are chainrule's ``check_grads`` (every mode and order against central
differences, entry by entry); this module gives them autograd's calling convention,
and handles arguments and results that are tuples, lists or dicts of arrays.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as _onp

import chainrule as _cr
import chainrule.numpy as _np
from chainrule._core.primitive import strip
from chainrule._pytree import flatten as _leaves_of
from chainrule._pytree import unflatten as _rebuild

from .wrap_util import unary_to_nary

__all__ = ["check_equivalent", "check_grads", "combo_check", "scalar_close"]

TOL = 1e-6
RTOL = 1e-6


def scalar_close(a: Any, b: Any) -> bool:
    """``a`` and ``b`` agree to an absolute or relative tolerance of 1e-6."""
    return bool(abs(a - b) < TOL or abs(a - b) / abs(a + b) < RTOL)


def check_equivalent(x: Any, y: Any) -> None:
    """Assert that ``x`` and ``y`` have the same structure and shapes, and equal values."""
    x_leaves, x_structure = _leaves_of(x)
    y_leaves, y_structure = _leaves_of(y)
    assert x_structure == y_structure, f"structures differ:\nx: {x}\ny: {y}"
    for a, b in zip(x_leaves, y_leaves):
        a, b = _onp.asarray(strip(a)), _onp.asarray(strip(b))
        assert a.shape == b.shape, f"shapes differ: {a.shape} and {b.shape}"
        assert _onp.allclose(a, b, rtol=RTOL, atol=TOL), f"values differ:\nx: {a}\ny: {b}"


def _as_one_array(out: Any) -> Any:
    """A function's result as one array: tuples, lists and dicts of arrays joined."""
    leaves, structure = _leaves_of(out)
    if structure is None:
        return out
    return _np.concatenate([_np.ravel(leaf) for leaf in leaves]) if leaves else _onp.zeros(0)


@unary_to_nary
def check_grads(fun: Callable, x: Any, modes: Sequence[str] | None = None,
                order: int = 2) -> None:
    """Check ``fun``'s derivatives in argument ``argnum`` (a value, or a tuple, list or
    dict of them) in ``modes`` (``"fwd"``, ``"rev"``; both by default) up to ``order``
    against finite differences. Raises ``AssertionError`` naming what disagrees."""
    leaves, structure = _leaves_of(x)

    def fun_of_leaves(*values):
        return _as_one_array(fun(_rebuild(structure, list(values))))

    _cr.check_grads(fun_of_leaves, *leaves, modes=tuple(modes or ("fwd", "rev")), order=order)


def combo_check(fun: Callable, *args: Any, **kwargs: Any) -> Callable:
    """``check_grads(fun, *args, **kwargs)`` for every combination of the values given:
    ``combo_check(f, argnum)([x1, x2], [y1], axis=[0, 1])`` checks f(x1, y1, axis=0),
    f(x1, y1, axis=1), f(x2, y1, axis=0) ..."""

    def check_every_combination(*value_lists: Sequence, **keyword_lists: Sequence) -> None:
        names = list(keyword_lists)
        for values in itertools.product(*value_lists):
            for keywords in itertools.product(*keyword_lists.values()):
                check_grads(fun, *args, **kwargs)(*values, **dict(zip(names, keywords)))

    return check_every_combination
