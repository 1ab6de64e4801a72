"""autograd's extension API: primitives with derivative rules in autograd's forms.

autograd writes a VJP rule curried, ``lambda ans, x, y: lambda g: ...``, with
``None`` for a zero gradient; chainrule writes it flat, ``lambda g, ans, x, y: ...``,
with ``None`` for "not differentiable". The functions here translate each of
autograd's forms into a rule on a chainrule ``Primitive``; JVP rules already have
chainrule's form ``lambda g, ans, *args``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as _onp

from chainrule._core import primitive as _engine
from chainrule._core.graph import Box
from chainrule._core.primitive import Primitive, strip

from .wrap_util import substitute

__all__ = [
    "Box", "VSpace", "def_linear", "defjvp", "defjvp_argnum", "defjvp_argnums", "defvjp",
    "defvjp_argnum", "defvjp_argnums", "notrace_primitive", "primitive", "vspace",
]


class _AutogradPrimitive(Primitive):
    """A primitive that, like autograd's, returns ``fun``'s result untouched when no
    argument is traced, and accepts Python scalars as results when one is."""

    def __init__(self, fun: Callable):
        super().__init__(_array_result(fun), getattr(fun, "__name__", None))
        self.raw_fun = fun

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _engine._open_traces:  # cr.jit is tracing: let it record the call
            return super().__call__(*args, **kwargs)
        for a in args:
            if isinstance(a, Box):
                return super().__call__(*args, **kwargs)
        return self.raw_fun(*args, **kwargs)


def _array_result(fun: Callable) -> Callable:
    """``fun`` giving 0-d arrays where it gives Python or NumPy scalars (the engine
    records arrays)."""

    @functools.wraps(fun)
    def with_array_result(*args, **kwargs):
        ans = fun(*args, **kwargs)
        return _onp.asarray(ans) if isinstance(ans, (int, float, complex, _onp.generic)) else ans

    return with_array_result


def primitive(fun: Callable) -> Primitive:
    """Make ``fun`` a primitive: recorded as one step, differentiated by the rules
    given with ``defvjp``/``defjvp`` below (never traced into)."""
    return _AutogradPrimitive(fun)


def _checked(fun: Any, what: str) -> Primitive:
    if not isinstance(fun, Primitive):
        raise TypeError(f"{what} needs a primitive, got {fun!r}; decorate the function "
                        f"with @primitive (from chainrule.compat.autograd.extend) first")
    return fun


def _zeros_like(x: Any) -> Any:
    return _onp.zeros_like(strip(x))


def _curried_vjp(fun: Primitive, maker: Callable | None, argnum: int) -> Callable:
    """autograd's ``maker(ans, *args, **kwargs)(g)`` as chainrule's
    ``rule(g, ans, *args, **kwargs)``."""
    if maker is None:
        return lambda g, ans, *args, **kwargs: _zeros_like(args[argnum])
    if not callable(maker):
        raise TypeError(f"bad VJP {maker!r} for {fun.name}: give a function "
                        f"`lambda ans, *args: lambda g: ...`, or None for a zero gradient")
    return lambda g, ans, *args, **kwargs: maker(ans, *args, **kwargs)(g)


def defvjp(fun: Primitive, *vjpmakers: Callable | None,
           argnums: Iterable[int] | None = None) -> None:
    """Give ``fun`` one curried VJP rule per argument, ``lambda ans, *args: lambda g: ...``
    (``None``: a zero gradient). ``argnums`` says which arguments the rules are for
    (default: the first ``len(vjpmakers)``); an argument given no rule has no
    derivative, and differentiating through it raises."""
    prim = _checked(fun, "defvjp")
    argnums = range(len(vjpmakers)) if argnums is None else tuple(argnums)
    by_argnum = dict(zip(argnums, vjpmakers))
    count = max(by_argnum, default=-1) + 1
    rules = [_curried_vjp(prim, by_argnum[i], i) if i in by_argnum else None
             for i in range(count)]
    Primitive.defvjp(prim, *rules)


def defvjp_argnum(fun: Primitive, vjpmaker: Callable) -> None:
    """One rule for every argument: ``vjpmaker(argnum, ans, args, kwargs)`` returns
    ``lambda g: ...``, the gradient of argument ``argnum``."""
    prim = _checked(fun, "defvjp_argnum")
    prim.defvjp_all(lambda argnum, g, ans, *args, **kwargs:
                    vjpmaker(argnum, ans, args, kwargs)(g))


def defvjp_argnums(fun: Primitive, vjpmaker: Callable) -> None:
    """One rule for several arguments at once: ``vjpmaker(argnums, ans, args, kwargs)``
    returns ``lambda g: ...`` giving the gradients of the arguments ``argnums``, in order.

    It is asked for every argument that holds a float or complex value (the ones that
    can be traced), and the others get no gradient.
    """
    prim = _checked(fun, "defvjp_argnums")

    def joint_rule(g, ans, *args, **kwargs):
        argnums = [i for i, a in enumerate(args) if _holds_floats(a)]
        grads = list(vjpmaker(argnums, ans, args, kwargs)(g))
        cotangents = [None] * len(args)
        for i, gradient in zip(argnums, grads):
            cotangents[i] = gradient
        return cotangents

    prim.defvjp_joint(joint_rule)


def _holds_floats(x: Any) -> bool:
    value = strip(x)
    if isinstance(value, (float, complex)):
        return True
    return isinstance(value, (_onp.ndarray, _onp.generic)) and value.dtype.kind in "fc"


def _jvp_rule(fun: Primitive, rule: Callable | str | None, argnum: int) -> Callable:
    """autograd's JVP forms (a function, "same" for linear arguments, None for zero)."""
    if rule is None:
        return lambda g, ans, *args, **kwargs: _zeros_like(ans)
    if isinstance(rule, str) and rule == "same":
        return lambda g, ans, *args, **kwargs: fun(*substitute(args, argnum, g), **kwargs)
    if not callable(rule):
        raise TypeError(f"bad JVP {rule!r} for {fun.name}: give a function "
                        f"`lambda g, ans, *args: ...`, \"same\" or None")
    return lambda g, ans, *args, **kwargs: rule(g, ans, *args, **kwargs)


def defjvp(fun: Primitive, *jvpfuns: Callable | str | None,
           argnums: Sequence[int] | None = None) -> None:
    """Give ``fun`` one JVP rule per argument, ``lambda g, ans, *args: ...`` (``"same"``:
    the argument enters linearly, so the rule is ``fun`` itself; ``None``: zero)."""
    prim = _checked(fun, "defjvp")
    argnums = range(len(jvpfuns)) if argnums is None else tuple(argnums)
    by_argnum = dict(zip(argnums, jvpfuns))
    count = max(by_argnum, default=-1) + 1
    Primitive.defjvp(prim, *[_jvp_rule(prim, by_argnum[i], i) if i in by_argnum else None
                             for i in range(count)])


def defjvp_argnum(fun: Primitive, jvpmaker: Callable) -> None:
    """One JVP rule for every argument: ``jvpmaker(argnum, g, ans, args, kwargs)``."""
    prim = _checked(fun, "defjvp_argnum")
    prim.defjvp_all(lambda argnum, g, ans, *args, **kwargs:
                    jvpmaker(argnum, g, ans, args, kwargs))


def defjvp_argnums(fun: Primitive, jvpmaker: Callable) -> None:
    """One JVP rule for several arguments: ``jvpmaker(argnums, gs, ans, args, kwargs)``
    returns the summed tangent (chainrule asks one argument at a time and sums)."""
    prim = _checked(fun, "defjvp_argnums")
    prim.defjvp_all(lambda argnum, g, ans, *args, **kwargs:
                    jvpmaker((argnum,), (g,), ans, args, kwargs))


def def_linear(fun: Primitive) -> None:
    """Declare ``fun`` linear in every argument: its JVP is ``fun`` itself."""
    prim = _checked(fun, "def_linear")
    prim.defjvp_all(lambda argnum, g, ans, *args, **kwargs:
                    prim(*substitute(args, argnum, g), **kwargs))


def notrace_primitive(fun: Callable) -> Callable:
    """``fun`` called on the plain values of its arguments: never traced, never
    differentiated (for shapes, dtypes, predicates, random numbers)."""

    @functools.wraps(fun)
    def untraced(*args, **kwargs):
        return fun(*[strip(a) for a in args], **kwargs)

    return untraced


class VSpace:
    """The vector space a value lives in: its shape and dtype, with ``zeros``, ``ones``,
    ``randn`` and ``standard_basis`` members (arrays and scalars only)."""

    def __init__(self, value: Any):
        plain = _onp.asarray(strip(value))
        if plain.dtype.kind not in "fciub":
            raise TypeError(f"no vector space for a value of type {type(value).__name__}")
        self.shape = plain.shape
        self.dtype = plain.dtype if plain.dtype.kind in "fc" else _onp.dtype(float)
        self.size = plain.size
        self.ndim = plain.ndim
        self.iscomplex = plain.dtype.kind == "c"

    def zeros(self) -> _onp.ndarray:
        return _onp.zeros(self.shape, self.dtype)

    def ones(self) -> _onp.ndarray:
        return _onp.ones(self.shape, self.dtype)

    def randn(self) -> _onp.ndarray:
        real = _onp.random.randn(*self.shape)
        if self.iscomplex:
            real = real + 1j * _onp.random.randn(*self.shape)
        return _onp.asarray(real, self.dtype)

    def standard_basis(self):
        for index in _onp.ndindex(*self.shape):
            vector = self.zeros()
            vector[index] = 1
            yield vector

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, VSpace) and self.shape == other.shape
                and self.dtype == other.dtype)

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype))

    def __repr__(self) -> str:
        return f"VSpace(shape={self.shape}, dtype={self.dtype})"


def vspace(value: Any) -> VSpace:
    """The ``VSpace`` of an array or scalar (traced or not)."""
    return VSpace(value)
