"""autograd's ``test_util``: ``check_grads(fun, argnum=0, modes=..., order=2)(*args)``.

The check is autograd's: each derivative is compared with central differences
along random directions, one scalar per check (``<v, J u>`` against the difference
quotient), with a relative tolerance; so functions with large values are checked
as precisely as small ones. Arguments and results may be tuples, lists and dicts
of arrays, real or complex. (chainrule's own ``check_grads`` compares entry by
entry instead, and names the entry that disagrees.)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as _onp

import chainrule as _cr
from chainrule._core.primitive import strip
from chainrule._pytree import flatten as _leaves_of
from chainrule._pytree import unflatten as _rebuild

from .wrap_util import unary_to_nary

__all__ = ["check_equivalent", "check_grads", "check_jvp", "check_vjp", "combo_check",
           "scalar_close"]

TOL = 1e-6
RTOL = 1e-6
EPS = 1e-6


def scalar_close(a: Any, b: Any) -> bool:
    """``a`` and ``b`` agree to an absolute or relative tolerance of 1e-6."""
    return bool(abs(a - b) < TOL or abs(a - b) / abs(a + b) < RTOL)


def _map(fn: Callable, *trees: Any) -> Any:
    leaves, structure = _leaves_of(trees[0])
    others = [_leaves_of(tree)[0] for tree in trees[1:]]
    return _rebuild(structure, [fn(*values) for values in zip(leaves, *others)])


def _random_like(tree: Any) -> Any:
    """Standard normal values shaped like ``tree``'s leaves (complex where they are)."""
    def random_leaf(leaf):
        value = _onp.asarray(strip(leaf))
        draw = _onp.random.randn(*value.shape)
        if value.dtype.kind == "c":
            draw = draw + 1j * _onp.random.randn(*value.shape)
        return draw

    return _map(random_leaf, tree)


def _inner(x: Any, y: Any) -> float:
    """The real inner product of two trees: the sum of ``Re(x * conj(y))`` over entries."""
    products = _leaves_of(_map(lambda a, b: _onp.sum(_onp.real(strip(a) * _onp.conj(strip(b)))),
                               x, y))[0]
    return float(sum(products))


def _covector(x: Any) -> Any:
    return _map(lambda a: _onp.conj(strip(a)), x)


def _numerical_jvp(fun: Callable, x: Any, direction: Any) -> Any:
    above = fun(_map(lambda a, d: a + d * (EPS / 2), x, direction))
    below = fun(_map(lambda a, d: a - d * (EPS / 2), x, direction))
    return _map(lambda a, b: (strip(a) - strip(b)) / EPS, above, below)


def _check_shapes(x: Any, y: Any, what: str) -> None:
    x_leaves, x_structure = _leaves_of(x)
    y_leaves, y_structure = _leaves_of(y)
    assert x_structure == y_structure, f"{what}: structures differ:\n{x}\n{y}"
    for a, b in zip(x_leaves, y_leaves):
        assert _onp.shape(strip(a)) == _onp.shape(strip(b)), \
            f"{what}: shapes differ: {_onp.shape(strip(a))} and {_onp.shape(strip(b))}"


def check_equivalent(x: Any, y: Any) -> None:
    """Assert that ``x`` and ``y`` have the same structure and shapes, and (projected
    on a random direction) the same values."""
    _check_shapes(x, y, "check_equivalent")
    direction = _random_like(x)
    assert scalar_close(_inner(x, direction), _inner(y, direction)), \
        f"values differ:\nx: {x}\ny: {y}"


def check_vjp(fun: Callable, x: Any) -> None:
    """Reverse mode: ``<J^T v, u>`` against ``<v, (f(x + eps u/2) - f(x - eps u/2)) / eps>``."""
    y, pullback = _cr.vjp(fun, x)
    x_direction, y_direction = _random_like(x), _random_like(y)
    gradient = _covector(pullback(_covector(y_direction))[0])
    _check_shapes(gradient, x, f"the VJP of {_name(fun)}")
    exact = _inner(x_direction, gradient)
    numeric = _inner(y_direction, _numerical_jvp(fun, x, x_direction))
    assert scalar_close(numeric, exact), (
        f"derivative (VJP) check of {_name(fun)} failed with argument {x}:\n"
        f"analytic: {exact}\nnumeric:  {numeric}")


def check_jvp(fun: Callable, x: Any) -> None:
    """Forward mode: ``J u`` against the difference quotient along ``u``."""
    direction = _random_like(x)
    tangent = _cr.jvp(fun, (x,), (direction,))[1]
    check_equivalent(tangent, _numerical_jvp(fun, x, direction))


def _name(fun: Callable) -> str:
    return getattr(fun, "__name__", "[unknown name]")


@unary_to_nary
def check_grads(fun: Callable, x: Any, modes: Sequence[str] | None = None,
                order: int = 2) -> None:
    """Check ``fun``'s derivatives in argument ``argnum`` (a value, or a tuple, list or
    dict of them) in ``modes`` (``"fwd"``, ``"rev"``; both by default) up to ``order``
    against finite differences. Raises ``AssertionError`` saying what disagrees."""
    modes = ("fwd", "rev") if modes is None else tuple(modes)
    unknown = set(modes) - {"fwd", "rev"}
    if unknown:
        raise ValueError(f"unknown modes {sorted(unknown)}; use 'fwd' and/or 'rev'")
    if "fwd" in modes:
        check_jvp(fun, x)
        if order > 1:
            def forward_derivative(x, v):
                return _cr.jvp(fun, (x,), (v,))[1]

            forward_derivative.__name__ = f"jvp_{_name(fun)}"
            check_grads(forward_derivative, (0, 1), modes, order=order - 1)(x, _random_like(x))
    if "rev" in modes:
        check_vjp(fun, x)
        if order > 1:
            def reverse_derivative(x, v):
                return _cr.vjp(fun, x)[1](v)[0]

            reverse_derivative.__name__ = f"vjp_{_name(fun)}"
            check_grads(reverse_derivative, (0, 1), modes, order=order - 1)(
                x, _random_like(fun(x)))


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
