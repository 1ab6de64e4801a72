"""JAX-style custom derivative rules: ``@custom_vjp`` and ``@custom_jvp``.

Both wrap the user's function in a ``Primitive`` whose rules call the user's, so a
decorated function is recorded as one step like any built-in operation: it works
with ``backward()``, every transform, NumPy dispatch and ``cr.jit``, and at higher
orders wherever the user's rules are themselves differentiable.

Each mode is derived from the other when only one rule is given: the VJP of a
``custom_jvp`` function is the transpose of its (linear in the tangents) JVP rule,
and the JVP of a ``custom_vjp`` function is the transpose of its (linear in the
cotangent) backward rule. Both transposes are taken by reverse mode at a zero point.
Rules are evaluated where derivatives are taken, not during the forward pass:
``fwd`` runs again when the backward pass needs its residuals.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._core.primitive import Primitive

__all__ = ["custom_jvp", "custom_vjp"]


class _CustomFunction:
    """What ``custom_vjp`` and ``custom_jvp`` share: the wrapped function as a primitive."""

    kind = "custom"
    how_to_define = ""

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: Sequence[int] = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(sorted(nondiff_argnums))
        self.primitive = Primitive(self._forward, getattr(fun, "__name__", "custom"))

    def _forward(self, *args, **kwargs):
        static, kwargs = _split_static(kwargs)
        out = self.fun(*self._all_arguments(args, static), **kwargs)
        if not hasattr(out, "shape"):
            out = np.asarray(out)
        return out

    def _all_arguments(self, differentiable, static) -> list:
        """The positional arguments in order, from the differentiable and static ones."""
        merged, rest = [], iter(differentiable)
        for position in range(len(differentiable) + len(static)):
            merged.append(static[self.nondiff_argnums.index(position)]
                          if position in self.nondiff_argnums else next(rest))
        return merged

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self._has_rules():
            raise TypeError(
                f"{self.kind} function '{self.primitive.name}' has no derivative rules yet; "
                f"give them with .{self.how_to_define} before calling it")
        if not self.nondiff_argnums:
            return self.primitive(*args, **kwargs)
        if max(self.nondiff_argnums) >= len(args):
            raise TypeError(f"{self.kind} function '{self.primitive.name}' has "
                            f"nondiff_argnums={self.nondiff_argnums} but got {len(args)} "
                            f"positional arguments")
        static = tuple(args[i] for i in self.nondiff_argnums)
        differentiable = [a for i, a in enumerate(args) if i not in self.nondiff_argnums]
        return self.primitive(*differentiable, **{_STATIC: static}, **kwargs)

    def _has_rules(self) -> bool:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{self.kind} {self.primitive.name}>"


class custom_vjp(_CustomFunction):  # noqa: N801  (JAX's name)
    """A function with a user-given reverse-mode rule (JAX's ``custom_vjp``).

    ``f.defvjp(fwd, bwd)``: ``fwd(*args)`` returns ``(out, residuals)`` and
    ``bwd(residuals, g)`` returns a tuple with one cotangent per positional argument
    (None for an argument with no derivative). Keyword arguments pass through to
    ``f`` and ``fwd`` undifferentiated. As in JAX, ``nondiff_argnums`` names positional
    arguments that are not differentiated (functions, flags, sizes): ``bwd`` then takes
    them first, ``bwd(*nondiff, residuals, g)``, and returns cotangents for the others
    only (``functools.partial(custom_vjp, nondiff_argnums=(0,))`` as a decorator).
    Forward mode (``jvp``, ``jacfwd``) transposes
    ``bwd``, so it works when ``bwd`` is written with differentiable operations.

    >>> @cr.custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> clip_gradient.defvjp(lambda x: (x, None), lambda res, g: (np.clip(g, -1, 1),))
    <custom_vjp clip_gradient>
    >>> cr.grad(lambda x: 5 * clip_gradient(x))(2.0)   # 5, clipped
    1.0
    """

    kind = "custom_vjp"
    how_to_define = "defvjp(fwd, bwd)"

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None

    def _has_rules(self) -> bool:
        return self.fwd is not None

    def defvjp(self, fwd: Callable[..., tuple[Any, Any]],
               bwd: Callable[[Any, Any], Sequence[Any]]) -> custom_vjp:
        """Set the forward pass ``fwd(*args) -> (out, residuals)`` and the backward pass
        ``bwd(residuals, g) -> (cotangent of each argument, ...)``; returns ``self``."""
        self.fwd, self.bwd = fwd, bwd
        self.primitive.defvjp_joint(self._vjp)
        self.primitive.defjvp_all(self._jvp)
        return self

    def _cotangents(self, g, args, kwargs) -> list:
        static, kwargs = _split_static(kwargs)
        _, residuals = self.fwd(*self._all_arguments(args, static), **kwargs)
        cotangents = self.bwd(*static, residuals, g)
        if not isinstance(cotangents, (tuple, list)) or len(cotangents) != len(args):
            raise TypeError(
                f"the bwd rule of custom_vjp function '{self.primitive.name}' must return a "
                f"tuple with one cotangent per positional argument not in nondiff_argnums "
                f"({len(args)}), got "
                f"{_describe(cotangents)}; write e.g. `return (g * 2,)` for one argument")
        return list(cotangents)

    def _vjp(self, g, ans, *args, **kwargs):
        return self._cotangents(g, args, kwargs)

    def _jvp(self, argnum, t, ans, *args, **kwargs):
        from .transforms import vjp

        def cotangent_of_argument(g):
            return self._cotangents(g, args, kwargs)[argnum]

        _, transpose = vjp(cotangent_of_argument, np.zeros(np.shape(ans), _float_dtype(ans)))
        return transpose(t)[0]


class custom_jvp(_CustomFunction):  # noqa: N801  (JAX's name)
    """A function with a user-given forward-mode rule (JAX's ``custom_jvp``).

    ``f.defjvp(jvp)``: ``jvp(primals, tangents)`` takes two tuples (one entry per
    positional argument) and returns ``(out, tangent_out)``. Reverse mode (``grad``,
    ``backward()``) transposes the rule, so the rule must be linear in the tangents
    and written with differentiable operations. Keyword arguments pass through to
    ``f`` and ``jvp`` undifferentiated. Arguments named in ``nondiff_argnums`` are left
    out of ``primals`` and ``tangents`` and passed first: ``jvp(*nondiff, primals,
    tangents)``.

    >>> @cr.custom_jvp
    ... def log1pexp(x):
    ...     return np.log1p(np.exp(x))
    >>> log1pexp.defjvp(lambda p, t: (log1pexp(p[0]), t[0] / (1 + np.exp(-p[0]))))
    <custom_jvp log1pexp>
    >>> cr.grad(log1pexp)(0.0)
    0.5
    """

    kind = "custom_jvp"
    how_to_define = "defjvp(jvp)"

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: Sequence[int] = ()):
        super().__init__(fun, nondiff_argnums)
        self.jvp: Callable | None = None

    def _has_rules(self) -> bool:
        return self.jvp is not None

    def defjvp(self, jvp: Callable[[tuple, tuple], tuple[Any, Any]]) -> custom_jvp:
        """Set the rule ``jvp(primals, tangents) -> (out, tangent_out)``; returns ``self``."""
        self.jvp = jvp
        self.primitive.defjvp_all(self._jvp)
        self.primitive.defvjp_joint(self._vjp)
        return self

    def _tangent_out(self, args, tangents, kwargs):
        static, kwargs = _split_static(kwargs)
        result = self.jvp(*static, tuple(args), tuple(tangents), **kwargs)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise TypeError(
                f"the jvp rule of custom_jvp function '{self.primitive.name}' must return a "
                f"pair (out, tangent_out), got {_describe(result)}")
        return result[1]

    def _jvp(self, argnum, t, ans, *args, **kwargs):
        tangents = [np.zeros(np.shape(a), _float_dtype(a)) for a in args]
        tangents[argnum] = t
        return self._tangent_out(args, tangents, kwargs)

    def _vjp(self, g, ans, *args, **kwargs):
        from .transforms import vjp

        differentiable = [i for i, a in enumerate(args) if _float_dtype(a, None) is not None]

        def tangent_out(*chosen):
            tangents = [np.zeros(np.shape(a), _float_dtype(a)) for a in args]
            for i, t in zip(differentiable, chosen):
                tangents[i] = t
            return self._tangent_out(args, tangents, kwargs)

        zeros = [np.zeros(np.shape(args[i]), _float_dtype(args[i])) for i in differentiable]
        _, transpose = vjp(tangent_out, *zeros)
        cotangents: list = [None] * len(args)
        for i, ct in zip(differentiable, transpose(g)):
            cotangents[i] = ct
        return cotangents


_STATIC = "_nondiff_arguments"  # the keyword that carries nondiff_argnums' values


def _split_static(kwargs: dict) -> tuple[tuple, dict]:
    """The values of the nondiff_argnums arguments, and the user's keyword arguments."""
    if _STATIC not in kwargs:
        return (), kwargs
    return kwargs[_STATIC], {k: v for k, v in kwargs.items() if k != _STATIC}


def _float_dtype(x, default=np.float64):
    """The floating dtype of ``x``, or ``default`` for integers, booleans and the rest."""
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        if isinstance(x, bool) or not isinstance(x, (int, float, complex)):
            return default
        dtype = np.result_type(x)
    return dtype if dtype.kind in "fc" else default


def _describe(value) -> str:
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"a {type(value).__name__}"
