"""Checking derivatives against finite differences.

``check_grads(f, *args)`` is for users who write their own primitives and for
the library's tests: it compares each mode and order of automatic derivatives
with central differences, entry by entry, and names the first entry that
disagrees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._core.primitive import strip
from .transforms import vjp


class GradientCheckError(AssertionError):
    """Automatic and numerical derivatives disagree."""


def numerical_gradient(fun: Callable[[np.ndarray], Any], x: np.ndarray,
                       step: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of a scalar function of one float64 array."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + step
        above = float(np.real(strip(fun(x))))
        x[index] = original - step
        below = float(np.real(strip(fun(x))))
        x[index] = original
        grad[index] = (above - below) / (2 * step)
    return grad


def check_grads(fun: Callable, *args: Any, modes: Sequence[str] = ("rev",), order: int = 2,
                rtol: float = 1e-5, atol: float = 1e-6, seed: int = 0) -> None:
    """Check ``fun``'s derivatives at ``args`` up to ``order`` against finite differences.

    Every float argument is differentiated. The check projects the output on
    a random vector, so it covers functions with array outputs. Raises
    ``GradientCheckError`` naming the mode, order, argument and entry that
    disagree; returns None when all agree.
    """
    unknown = set(modes) - {"rev", "fwd"}
    if unknown:
        raise ValueError(f"unknown modes {sorted(unknown)}; use 'rev' and/or 'fwd'")
    if "fwd" in modes:
        raise NotImplementedError("forward mode checks need chainrule's forward mode")
    args = tuple(np.asarray(a, dtype=np.float64) for a in args)
    _check_reverse(fun, args, order, 1, rtol, atol, np.random.default_rng(seed))


def _check_reverse(fun, args, order, current, rtol, atol, rng):
    out = np.asarray(strip(fun(*args)), dtype=np.float64)
    cotangent = rng.standard_normal(out.shape)

    def projected_gradient(*xs):
        _, pullback = vjp(fun, *xs)
        return pullback(cotangent)

    exact = projected_gradient(*args)
    for argnum, x in enumerate(args):
        def projection(xi, argnum=argnum):
            shifted = list(args)
            shifted[argnum] = xi
            return np.sum(np.asarray(strip(fun(*shifted)), dtype=np.float64) * cotangent)

        numeric = numerical_gradient(projection, x)
        _compare(np.asarray(strip(exact[argnum]), dtype=np.float64), numeric,
                 f"reverse-mode derivative of order {current} with respect to argument "
                 f"{argnum}", rtol, atol)
    if current < order:
        directions = [rng.standard_normal(np.shape(x)) for x in args]

        def directional(*xs):
            grads = projected_gradient(*xs)
            return sum(np.sum(g * d) for g, d in zip(grads, directions))

        _check_reverse(directional, args, order, current + 1, rtol * 10, atol * 10, rng)


def _compare(exact: np.ndarray, numeric: np.ndarray, what: str, rtol: float,
             atol: float) -> None:
    bad = ~np.isclose(exact, numeric, rtol=rtol, atol=atol)
    if np.any(bad):
        entry = tuple(int(i) for i in np.argwhere(bad)[0])
        raise GradientCheckError(
            f"{what}, entry {entry}: automatic {exact[entry]:.10g} but finite "
            f"differences {numeric[entry]:.10g} ({int(bad.sum())} of {bad.size} entries "
            f"disagree)")
