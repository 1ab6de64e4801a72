"""Checking derivatives against finite differences.

``check_grads(f, *args)`` is for users who write their own primitives and for
the library's tests: it compares each mode and order of automatic derivatives
with central differences, entry by entry, and names the first entry that
disagrees.

How the orders are reached: order 1 checks ``f`` itself. Each higher order
checks a derivative of the previous function, built in one mode and checked
in every requested mode. Reverse mode builds ``<vjp(u), d>`` for random ``u``
and ``d`` (a scalar); forward mode builds ``jvp`` along a random direction (an
array like the output). So with both modes, order 2 covers reverse over
reverse, forward over reverse (the Hessian's way), reverse over forward and
forward over forward, and order 3 the same one level deeper.

A mode that some primitive in ``f`` has no rule for (a primitive defined with
``defvjp`` alone has no forward mode) is left out with a warning naming the
primitive, and the other mode is checked.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._core.primitive import strip
from .._core.rules import MissingRuleError
from ..transforms import jvp, vjp

_MODE_NAMES = {"rev": "reverse", "fwd": "forward"}


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


def numerical_jvp(fun: Callable[[np.ndarray], Any], x: np.ndarray, direction: np.ndarray,
                  step: float = 1e-6) -> np.ndarray:
    """Central-difference derivative of ``fun`` at ``x`` along ``direction`` (float64).

    >>> round(float(numerical_jvp(np.sin, np.array(0.0), np.array(2.0))), 6)  # 2 cos(0)
    2.0
    """
    x = np.asarray(x, dtype=np.float64)
    above = np.asarray(strip(fun(x + step * direction)), dtype=np.float64)
    below = np.asarray(strip(fun(x - step * direction)), dtype=np.float64)
    return (above - below) / (2 * step)


def check_grads(fun: Callable, *args: Any, modes: Sequence[str] = ("fwd", "rev"),
                order: int = 2, rtol: float = 1e-5, atol: float = 1e-6,
                seed: int = 0) -> None:
    """Check ``fun``'s derivatives at ``args`` up to ``order`` against finite differences.

    Every argument is differentiated (as float64). Reverse mode is checked on
    the gradient of ``<u, fun(*args)>`` for a random ``u``, entry by entry of
    each argument; forward mode on ``jvp`` along a random direction in one
    argument at a time, entry by entry of the output. With both modes they are
    also checked against each other (``<u, J v> == <J^T u, v>``, a thousand
    times more tightly, as neither side is approximate), and mixed
    orders are covered (see the module docstring). Tolerances grow tenfold per
    order. Raises ``GradientCheckError`` naming the mode, order, argument and
    entry that disagree; returns None when all agree. Complex arguments and
    results are checked as their real and imaginary parts (each complex
    argument counts as two real ones in the messages).

    When a primitive in ``fun`` has no rule for one of the modes (no ``defjvp``,
    say), that mode is skipped with a ``UserWarning`` naming the primitive and the
    mode, and the others are checked; with no mode left, the missing rule's
    ``NotImplementedError`` is raised.

    >>> check_grads(lambda x: np.sin(x) * x, np.array([0.3, 1.2]), order=3)
    """
    unknown = set(modes) - set(_MODE_NAMES)
    if unknown or not modes:
        raise ValueError(f"unknown modes {sorted(unknown)}; use 'rev' and/or 'fwd'")
    if order < 1:
        raise ValueError(f"order must be at least 1, got {order}")
    modes = tuple(m for m in ("rev", "fwd") if m in modes)
    fun, args = _as_real_function(fun, args)
    args = tuple(np.asarray(a, dtype=np.float64) for a in args)
    while True:
        try:
            return _check_modes(fun, args, modes, order, rtol, atol, seed)
        except MissingRuleError as missing:
            if missing.mode not in modes or len(modes) == 1:
                raise
            modes = tuple(m for m in modes if m != missing.mode)
            warnings.warn(_skipped_mode_message(missing, modes), stacklevel=2)


def _skipped_mode_message(missing: MissingRuleError, checked: tuple[str, ...]) -> str:
    skipped = _MODE_NAMES[missing.mode]
    rule = "defjvp" if missing.mode == "fwd" else "defvjp"
    return (f"check_grads skipped {skipped} mode: primitive '{missing.primitive}' has no "
            f"{skipped}-mode rule, so only {' and '.join(_MODE_NAMES[m] for m in checked)} "
            f"mode was checked; define {missing.primitive}.{rule}(...) to check "
            f"{skipped} mode too")


def _check_modes(fun, args, modes, order, rtol, atol, seed) -> None:
    """Every order of every mode in ``modes`` (see ``check_grads``)."""
    rng = np.random.default_rng(seed)
    # The functions checked at this order, keyed by the mode that built them.
    level_funs = {None: fun}
    for current in range(1, order + 1):
        next_funs = {}
        for builder, level_fun in level_funs.items():
            cotangent = rng.standard_normal(np.shape(strip(level_fun(*args))))
            if "rev" in modes:
                gradients = _check_reverse(level_fun, args, cotangent,
                                           _describe("rev", builder, current), rtol, atol)
            if "fwd" in modes:
                what = _describe("fwd", builder, current)
                tangents = _check_forward(level_fun, args, rng, what, rtol, atol)
                if "rev" in modes:
                    _check_adjoint(gradients, tangents, cotangent, what, rtol, atol)
            if current < order:
                for mode in modes if builder is None else (builder,):
                    next_funs[mode] = (
                        _reverse_derivative(level_fun, args, cotangent, rng) if mode == "rev"
                        else _forward_derivative(level_fun, args, rng))
        level_funs = next_funs
        rtol, atol = rtol * 10, atol * 10


def _as_real_function(fun: Callable, args: tuple) -> tuple[Callable, tuple]:
    """``fun`` as a real function of real arguments, when complex numbers are involved:
    each complex argument becomes its real and imaginary parts, and a complex
    result its real and imaginary parts stacked."""
    is_complex = [np.iscomplexobj(a) for a in args]
    complex_out = np.iscomplexobj(strip(fun(*args)))
    if not any(is_complex) and not complex_out:
        return fun, args

    def real_fun(*parts):
        position = iter(parts)
        rebuilt = [next(position) + 1j * next(position) if c else next(position)
                   for c in is_complex]
        out = fun(*rebuilt)
        return np.stack([np.real(out), np.imag(out)]) if complex_out else out

    real_args = []
    for a, c in zip(args, is_complex):
        real_args += [np.real(a), np.imag(a)] if c else [a]
    return real_fun, tuple(real_args)


def _describe(mode: str, builder: str | None, current: int) -> str:
    """``"forward-mode derivative of order 2 (forward over reverse)"`` and the like."""
    what = f"{_MODE_NAMES[mode]}-mode derivative of order {current}"
    if builder is not None and mode != builder:
        path = " over ".join([_MODE_NAMES[mode]] + [_MODE_NAMES[builder]] * (current - 1))
        what += f" ({path})"
    return what


def _float64(value: Any) -> np.ndarray:
    return np.asarray(strip(value), dtype=np.float64)


def _with_argument(args: tuple, argnum: int, value: Any) -> tuple:
    return args[:argnum] + (value,) + args[argnum + 1:]


def _check_reverse(fun, args, cotangent, what, rtol, atol) -> list[np.ndarray]:
    """Reverse mode: the gradient of <cotangent, fun>, entry by entry of each argument."""
    _, pullback = vjp(fun, *args)
    exact = [_float64(g) for g in pullback(cotangent)]
    for argnum, x in enumerate(args):
        def projection(xi, argnum=argnum):
            return np.sum(_float64(fun(*_with_argument(args, argnum, xi))) * cotangent)

        _compare(exact[argnum], numerical_gradient(projection, x),
                 f"{what} with respect to argument {argnum}, entry", rtol, atol)
    return exact


def _check_forward(fun, args, rng, what, rtol, atol) -> list[tuple]:
    """Forward mode: jvp along a random direction in each argument, entry by entry of
    the output. Returns ``(direction, tangent_out)`` per argument."""
    results = []
    for argnum, x in enumerate(args):
        along = lambda xi, argnum=argnum: fun(*_with_argument(args, argnum, xi))
        direction = rng.standard_normal(np.shape(x))
        tangent = _float64(jvp(along, (x,), (direction,))[1])
        _compare(tangent, numerical_jvp(along, x, direction),
                 f"{what} with respect to argument {argnum} along a random direction, "
                 f"output entry", rtol, atol)
        results.append((direction, tangent))
    return results


def _check_adjoint(reverse, forward, cotangent, what, rtol, atol) -> None:
    """Forward and reverse agree: <u, J v> (forward) == <J^T u, v> (reverse).

    Both sides are exact, so the tolerance is a thousand times tighter than
    the one that allows for finite-difference error.
    """
    for argnum, (gradient, (direction, tangent)) in enumerate(zip(reverse, forward)):
        by_forward = float(np.sum(cotangent * tangent))
        by_reverse = float(np.sum(gradient * direction))
        if not np.isclose(by_forward, by_reverse, rtol=rtol * 1e-3, atol=atol * 1e-3):
            raise GradientCheckError(
                f"{what} with respect to argument {argnum} disagrees with reverse mode: "
                f"<u, J v> is {by_forward:.10g} by forward mode but <J^T u, v> is "
                f"{by_reverse:.10g} by reverse mode")


def _reverse_derivative(fun, args, cotangent, rng) -> Callable:
    """The scalar ``<vjp(fun)(cotangent), d>`` for random directions ``d``."""
    directions = [rng.standard_normal(np.shape(x)) for x in args]

    def directional(*xs):
        _, pullback = vjp(fun, *xs)
        return sum(np.sum(g * d) for g, d in zip(pullback(cotangent), directions))

    return directional


def _forward_derivative(fun, args, rng) -> Callable:
    """``jvp`` of ``fun`` along random directions in every argument (shaped like its output)."""
    directions = tuple(rng.standard_normal(np.shape(x)) for x in args)

    def directional(*xs):
        return jvp(fun, xs, directions)[1]

    return directional


def _compare(exact: np.ndarray, numeric: np.ndarray, what: str, rtol: float,
             atol: float) -> None:
    bad = ~np.isclose(exact, numeric, rtol=rtol, atol=atol)
    if np.any(bad):
        entry = tuple(int(i) for i in np.argwhere(bad)[0])
        raise GradientCheckError(
            f"{what} {entry}: automatic {exact[entry]:.10g} but finite "
            f"differences {numeric[entry]:.10g} ({int(bad.sum())} of {bad.size} entries "
            f"disagree)")
