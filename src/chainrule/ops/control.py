"""Primitives that steer differentiation: stopping gradients, recomputing in backward."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._core.graph import Box
from .._core.primitive import _EveryArgument, make_box, strip
from .registry import defprim


def stop_gradient(x: Any) -> Any:
    """``x``'s value, treated as a constant by every level of differentiation."""
    return make_box(strip(x), None) if isinstance(x, Box) else x


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
    from ..transforms import vjp  # transforms sit above ops; imported when first needed

    along, wrt = _of_float_arguments(fn, xs)
    _, pullback = vjp(along, *[xs[i] for i in wrt])
    return _by_position(len(xs), wrt, pullback(g))


def _of_float_arguments(fn, xs):
    """``fn`` as a function of its float arguments only (index arrays, flags and other
    constants stay as given), and the positions of those arguments."""
    wrt = [i for i, x in enumerate(xs) if np.asarray(strip(x)).dtype.kind in "fc"]

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
    from ..transforms import jvp

    def along(x):
        return fn(*xs[:argnum - 1], x, *xs[argnum:])

    return jvp(along, (xs[argnum - 1],), (t,))[1]


def _checkpoint_batched_cotangents(g, ans, fn, *xs):
    from ..transforms import batched_vjp

    along, wrt = _of_float_arguments(fn, xs)
    return _by_position(len(xs), wrt, batched_vjp(along, [xs[i] for i in wrt], g))


def _checkpoint_batched_jvp(argnum, t, ans, fn, *xs):
    from ..transforms import batched_jvp

    return batched_jvp(fn, xs, argnum - 1, t)


_checkpoint = defprim(_run_checkpointed, "checkpoint")
# One recomputation gives every argument's cotangent; jacobian and jacfwd: one
# recomputation for the whole batch.
_checkpoint.defvjp_joint(_checkpoint_cotangents, reads="args",
                         batched=_checkpoint_batched_cotangents)
_checkpoint.defjvp_all(_checkpoint_jvp)
_checkpoint.batched_jvps = _EveryArgument(_checkpoint_batched_jvp)


def checkpoint(fn: Callable, *args: Any) -> Any:
    """``fn(*args)``, recomputed during backward instead of keeping its intermediates.

    Trades time for memory: only ``args`` and the result are stored. Every
    value that needs a gradient must be passed in ``args``.
    """
    return _checkpoint(fn, *args)
