"""checkpoint: recompute a function during backward instead of keeping its intermediates.

A primitive whose rules run the transforms on the checkpointed function, so it sits
above them (and the conformance table checks it like any other primitive).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._core.arrays import plain_array
from ._core.graph import Box
from ._core.primitive import strip
from ._core.rules import EveryArgument
from .ops.registry import defprim
from .transforms import batched_jvp, batched_vjp, jvp, vjp


def _run_checkpointed(fn, *xs):
    ans = fn(*xs)
    if isinstance(ans, Box) and ans._node is not None:
        if not any(isinstance(x, Box) for x in xs):
            raise ValueError(
                "checkpoint(fn, *args): fn used a value that requires grad without "
                "receiving it as an argument, so its gradient would be lost; pass every "
                "tensor that needs a gradient in args.")
    return strip(ans) if isinstance(ans, Box) and ans._node is None else ans


def _checkpoint_cotangents(g, ans, fn, *xs):
    """Every argument's cotangent from one recomputation of ``fn`` (none for ``fn``)."""
    along, wrt = _of_float_arguments(fn, xs)
    _, pullback = vjp(along, *[xs[i] for i in wrt])
    return _by_position(len(xs), wrt, pullback(g))


def _of_float_arguments(fn, xs):
    """``fn`` as a function of its float arguments only (index arrays, flags and other
    constants stay as given), and the positions of those arguments."""
    wrt = [i for i, x in enumerate(xs) if plain_array(x).dtype.kind in "fc"]

    def along(*chosen):
        args = list(xs)
        for i, x in zip(wrt, chosen):
            args[i] = x
        return fn(*args)

    return along, wrt


def _by_position(count: int, wrt: list, grads) -> list:
    """Cotangents for the primitive's arguments (``fn``, then ``count`` more)."""
    cotangents = [None] * (count + 1)
    for i, g in zip(wrt, grads):
        cotangents[i + 1] = g
    return cotangents


def _checkpoint_jvp(argnum, t, ans, fn, *xs):
    def along(x):
        return fn(*xs[:argnum - 1], x, *xs[argnum:])

    return jvp(along, (xs[argnum - 1],), (t,))[1]


def _checkpoint_batched_cotangents(g, ans, fn, *xs):
    along, wrt = _of_float_arguments(fn, xs)
    return _by_position(len(xs), wrt, batched_vjp(along, [xs[i] for i in wrt], g))


def _checkpoint_batched_jvp(argnum, t, ans, fn, *xs):
    return batched_jvp(fn, xs, argnum - 1, t)


_checkpoint = defprim(_run_checkpointed, "checkpoint")
# One recomputation gives every argument's cotangent; jacobian and jacfwd: one
# recomputation for the whole batch.
_checkpoint.defvjp_joint(_checkpoint_cotangents, reads="args")
_checkpoint.defjvp_all(_checkpoint_jvp)
_checkpoint.defbatch(jvps=EveryArgument(_checkpoint_batched_jvp),
                     joint_vjp=_checkpoint_batched_cotangents)


def checkpoint(fn: Callable, *args: Any) -> Any:
    """``fn(*args)``, recomputed during backward instead of keeping its intermediates.

    Trades time for memory: only ``args`` and the result are stored. Every
    value that needs a gradient must be passed in ``args``.
    """
    return _checkpoint(fn, *args)
