"""Primitives that steer differentiation: stopping gradients, recomputing in backward."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


# The backward walk asks for one argument's cotangent at a time, back to back for
# the same node; one recomputation serves them all through this one-entry cache.
# The cache holds its key's objects, so their ids cannot be reused meanwhile.
_last_pullback: dict = {"key": (), "grads": None}


def _checkpoint_vjp(argnum, g, ans, fn, *xs):
    from ..transforms import vjp  # transforms sit above ops; imported when first needed

    if argnum == 0:
        raise TypeError("checkpoint: the function argument is not differentiable")
    key = (g, fn, *xs)
    cached = _last_pullback["key"]
    if len(cached) != len(key) or any(a is not b for a, b in zip(cached, key)):
        _, pullback = vjp(fn, *xs)
        _last_pullback.update(key=key, grads=dict(enumerate(pullback(g), start=1)))
    grads = _last_pullback["grads"]
    grad = grads.pop(argnum)
    if not grads:
        _last_pullback.update(key=(), grads=None)
    return grad


def _checkpoint_jvp(argnum, t, ans, fn, *xs):
    from ..transforms import jvp

    def along(x):
        return fn(*xs[:argnum - 1], x, *xs[argnum:])

    return jvp(along, (xs[argnum - 1],), (t,))[1]


def _checkpoint_batched_vjp(argnum, g, ans, fn, *xs):
    from ..transforms import batched_vjp

    if argnum == 0:
        raise TypeError("checkpoint: the function argument is not differentiable")
    return batched_vjp(fn, xs, g)[argnum - 1]


def _checkpoint_batched_jvp(argnum, t, ans, fn, *xs):
    from ..transforms import batched_jvp

    return batched_jvp(fn, xs, argnum - 1, t)


_checkpoint = defprim(_run_checkpointed, "checkpoint")
_checkpoint.defvjp_all(_checkpoint_vjp, reads="args")
_checkpoint.defjvp_all(_checkpoint_jvp)
# jacobian and jacfwd: one recomputation for the whole batch.
_checkpoint.batched_vjps = _EveryArgument(_checkpoint_batched_vjp)
_checkpoint.batched_jvps = _EveryArgument(_checkpoint_batched_jvp)


def checkpoint(fn: Callable, *args: Any) -> Any:
    """``fn(*args)``, recomputed during backward instead of keeping its intermediates.

    Trades time for memory: only ``args`` and the result are stored. Every
    value that needs a gradient must be passed in ``args``.
    """
    return _checkpoint(fn, *args)
