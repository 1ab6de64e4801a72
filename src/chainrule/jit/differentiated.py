"""A jitted function called on values a transform differentiates: one compiled step.

Inside ``cr.grad(cr.jit(f))``, ``cr.jvp``, ``cr.hessian`` or ``Tensor.backward()``,
some arguments of the jitted function are traced boxes. The call is recorded as one
primitive of those arguments (as ``checkpoint`` and ``vmap`` record theirs): its
forward function is the compiled ``f``; its rules are the transforms' ``vjp`` and
``jvp`` of ``f``, each compiled once per signature by ``cr.jit`` too. A rule called
on traced values (a Hessian's second pass, ``create_graph=True``) is itself a jitted
call on differentiated values, so it becomes such a primitive one level up, and
derivatives of every order run compiled.

The rules recompute ``f``'s forward pass inside their compiled programs, except in
the common case of a first-order reverse pass (``cr.grad``, ``backward()``): there the
forward call runs the first part of the traced ``vjp`` of ``f``, which returns ``f``'s
output and the values its backward part reads (residuals, kept until the backward
pass), and the VJP rule runs the second part on them, as ``cr.jit(cr.grad(f))`` would.

Several output leaves are laid end to end in one array, the primitive's output; the
caller takes them apart again (each part a differentiable slice of it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _pytree
from .._core.forward import TangentNode
from .._core.graph import Box
from .._core.primitive import Primitive, strip
from .._core.rules import EveryArgument
from ..tensor import Tensor
from ..transforms import batched_jvp, batched_vjp, jvp, vjp
from .codegen import Retrace
from .passes import split_program
from .program import Guard, Var, snapshot_constants
from .tracer import output_of, trace_of, traced_value


def is_differentiated(leaf) -> bool:
    """Whether ``leaf`` is a value some transform is differentiating."""
    return isinstance(leaf, Box) and leaf._node is not None


def _is_inexact(leaf) -> bool:
    dtype = getattr(strip(leaf), "dtype", None)
    return dtype is not None and dtype.kind in "fc"


def joined(out) -> Any:
    """The float and complex array leaves of ``out`` as one array: the leaf itself when
    there is one, else each raveled and all concatenated in their common dtype."""
    parts = [leaf for leaf in _pytree.flatten(out)[0] if _is_inexact(leaf)]
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return np.zeros(0)
    dtype = np.result_type(*[strip(p).dtype for p in parts])
    return np.concatenate([np.reshape(p, (-1,)).astype(dtype) for p in parts])


class _Layout:
    """One call's output: its structure, its other (not float) leaves, and where each
    float leaf sits in the joined array. Filled by the forward function."""

    __slots__ = ("structure", "leaves", "dtype", "keeps_residuals", "residuals", "backward")

    def __init__(self, keeps_residuals: bool) -> None:
        self.keeps_residuals = keeps_residuals
        self.backward = None  # the compiled backward part, when the forward kept residuals

    def join(self, out) -> np.ndarray:
        leaves, structure = _pytree.flatten(out)
        return self.join_leaves([strip(leaf) for leaf in leaves], structure)

    def join_leaves(self, leaves: list, structure) -> np.ndarray:
        """The joined output from plain output leaves, noting how to take it apart."""
        self.leaves, self.structure = leaves, structure
        result = joined(self.leaves)
        if not hasattr(result, "shape"):
            result = np.asarray(result)
        self.dtype = result.dtype
        return result

    def split(self, joined_out) -> Any:
        """The call's output, its float leaves cut from ``joined_out`` (a traced box)."""
        inexact = [i for i, leaf in enumerate(self.leaves) if _is_inexact(leaf)]
        leaves = list(self.leaves)
        if len(inexact) == 1:
            leaves[inexact[0]] = joined_out
        start = 0
        for i in inexact if len(inexact) > 1 else ():
            leaf = leaves[i]
            stop = start + math.prod(np.shape(leaf))
            part = np.reshape(joined_out[start:stop], np.shape(leaf))
            leaves[i] = part if leaf.dtype == self.dtype else part.astype(leaf.dtype)
            start = stop
        return _pytree.unflatten(self.structure, leaves)


class AsPrimitive:
    """Calls of one jitted function on differentiated values, for one signature and
    one choice of differentiated leaves: a primitive whose forward function and
    rules are compiled."""

    def __init__(self, jitted, args: tuple, kwargs: dict, traced: tuple):
        static = sorted(i for i in jitted.static_argnums if i < len(args))
        self.jitted = jitted
        self.statics = [(i, args[i]) for i in static]
        dynamic_args = [a for i, a in enumerate(args) if i not in jitted.static_argnums]
        self.structure = _pytree.flatten((dynamic_args, kwargs))[1]
        self.traced = traced
        name = getattr(jitted.fun, "__name__", "jitted")
        self.pullback = jitted.derived(self._pullback, f"{name}_vjp")
        self.pushforward = jitted.derived(self._pushforward, f"{name}_jvp", static_argnums=(0,))
        self.batched_pullback = jitted.derived(self._batched_pullback, f"{name}_batched_vjp")
        self.batched_pushforward = jitted.derived(self._batched_pushforward,
                                                  f"{name}_batched_jvp", static_argnums=(0,))
        self.split_variants: list = []
        self.splits = True  # whether the traced vjp could be cut in two (see _SplitVjp)
        self.primitive = Primitive(self._forward, f"jit_{name}")
        self.primitive.defvjp_joint(self._vjp_rule, reads="args")
        self.primitive.defjvp_all(self._jvp_rule)
        self.primitive.defbatch(jvps=EveryArgument(self._batched_jvp_rule),
                                joint_vjp=self._batched_vjp_rule)

    def __call__(self, leaves: list) -> Any:
        """The output of one call with these argument leaves, as a traced value."""
        traced = set(self.traced)
        rest = tuple(_owned(leaf) for i, leaf in enumerate(leaves) if i not in traced)
        layout = _Layout(all(_first_order_reverse(leaves[i]) for i in self.traced))
        out = self.primitive(*[leaves[i] for i in self.traced], rest=rest, layout=layout)
        return layout.split(out)

    # --- the function of the differentiated leaves -----------------------------------
    def _arguments(self, traced_values, rest) -> tuple[list, dict]:
        leaves = list(rest)
        for i, value in zip(self.traced, traced_values):
            leaves.insert(i, value)
        dynamic_args, kwargs = _pytree.unflatten(self.structure, leaves)
        args = list(dynamic_args)
        for i, value in self.statics:
            args.insert(i, value)
        return args, kwargs

    def _call(self, traced_values, rest) -> Any:
        args, kwargs = self._arguments(traced_values, rest)
        return joined(self.jitted.fun(*args, **kwargs))

    def _forward(self, *traced_values, rest, layout):
        if layout.keeps_residuals and self.splits:
            out = self._forward_keeping_residuals(traced_values, rest, layout)
            if out is not None:
                return out
        tensors = [v if isinstance(v, Box) else Tensor._wrap(v) for v in traced_values]
        args, kwargs = self._arguments(tensors, rest)
        return layout.join(self.jitted(*args, **kwargs))

    # --- the first-order reverse pass in two compiled parts -----------------------------
    def _forward_keeping_residuals(self, traced_values, rest, layout):
        """The joined output from the first part of a split vjp whose guards hold (traced
        when none does), the residuals and second part left in ``layout``; or None."""
        # The inputs of a trace of keyword arguments "traced" and "rest" (see _trace_split),
        # in the order Jitted.trace makes them: by name, then leaf by leaf.
        dynamic = [v for v in map(traced_value, rest + traced_values) if v is not None]
        for variant in list(self.split_variants):
            try:
                values = variant.forward(*dynamic)
            except Retrace as failed:
                if variant.is_stale(failed):
                    self._drop(variant)
                continue
            return variant.keep_residuals(values, layout)
        if len(self.split_variants) >= self.jitted.max_variants:
            return None
        variant = self._trace_split(traced_values, rest)
        if variant is None:
            self.splits = False
            return None
        with self.jitted._lock:
            self.split_variants.append(variant)
        return self._forward_keeping_residuals(traced_values, rest, layout)

    def _drop(self, variant) -> None:
        with self.jitted._lock:
            if variant in self.split_variants:
                self.split_variants.remove(variant)

    def _trace_split(self, traced_values, rest):
        """The vjp of the function, traced with a stand-in cotangent and cut in two."""
        late = []

        def output_and_cotangents(traced, rest):
            _, pull, out = vjp(lambda *xs: self._with_output(xs, rest), *traced, has_aux=True)
            g = _stand_in_cotangent(trace_of(list(traced)), joined(out))
            late.append(g._var)
            return out, pull(g)

        try:
            trace, (out, cotangents) = self.jitted.trace(
                output_and_cotangents, (), {"traced": traced_values, "rest": rest})
            leaves, structure = _pytree.flatten(out)
            for leaf in leaves + list(cotangents):
                trace.program.outputs.append(output_of(leaf, trace)[1])
        except Exception:  # noqa: BLE001 - the plain forward call runs it, or says why not
            return None
        parts = split_program(snapshot_constants(trace.program), late, len(leaves))
        if parts is None:
            return None
        return _SplitVjp(self.jitted, parts, structure, len(leaves))

    def _with_output(self, traced_values, rest):
        args, kwargs = self._arguments(traced_values, rest)
        out = self.jitted.fun(*args, **kwargs)
        return joined(out), out

    # --- the functions the rules compile ------------------------------------------------
    def _pullback(self, traced_values, rest, g):
        _, pull = vjp(lambda *xs: self._call(xs, rest), *traced_values)
        return pull(g)

    def _pushforward(self, argnum, traced_values, rest, t):
        return jvp(lambda x: self._call(_replaced(traced_values, argnum, x), rest),
                   (traced_values[argnum],), (t,))[1]

    def _batched_pullback(self, traced_values, rest, gs):
        return tuple(batched_vjp(lambda *xs: self._call(xs, rest), traced_values, gs))

    def _batched_pushforward(self, argnum, traced_values, rest, ts):
        return batched_jvp(lambda *xs: self._call(xs, rest), traced_values, argnum, ts)

    # --- the primitive's rules -------------------------------------------------------------
    def _vjp_rule(self, g, ans, *traced_values, rest, layout):
        if layout.backward is not None and getattr(g, "dtype", None) == layout.dtype \
                and not any(isinstance(v, Box) for v in (g, *traced_values)):
            try:
                return list(layout.backward(*layout.residuals, g))
            except Retrace:
                pass  # a guard on the cotangent's values failed: recompute instead
        return list(self.pullback(traced_values, rest, g))

    def _jvp_rule(self, argnum, t, ans, *traced_values, rest, layout):
        return self.pushforward(argnum, traced_values, rest, t)

    def _batched_vjp_rule(self, gs, ans, *traced_values, rest, layout):
        return list(self.batched_pullback(traced_values, rest, gs))

    def _batched_jvp_rule(self, argnum, ts, ans, *traced_values, rest, layout):
        return self.batched_pushforward(argnum, traced_values, rest, ts)


class _SplitVjp:
    """One variant of a split vjp: the compiled first part (``forward``: the function's
    output leaves, then the residuals) and second part (``backward``: residuals and
    cotangent to the differentiated arguments' cotangents)."""

    def __init__(self, jitted, parts: tuple, structure, count: int):
        first, second = parts
        name = getattr(jitted.fun, "__name__", "jitted")
        self.program = first
        self.forward, self.forward_source = jitted.compile_program(first, f"{name}_forward")
        self.backward, self.backward_source = jitted.compile_program(second, f"{name}_backward")
        self.structure = structure
        self.count = count  # the function's output leaves, before the residuals
        self.constants = [type(v) is not Var for v in first.outputs[:self.count]]

    def is_stale(self, failed: Retrace) -> bool:
        """Whether the guard that failed was on a tensor that has changed since."""
        guard = self.program.equations[failed.args[0]]
        return isinstance(guard, Guard) and guard.kind == "unchanged"

    def keep_residuals(self, values: tuple, layout: _Layout):
        leaves = [_fresh(v, constant) for v, constant in zip(values, self.constants)]
        layout.residuals = values[self.count:]
        layout.backward = self.backward
        return layout.join_leaves(leaves, self.structure)


def _fresh(value, constant: bool):
    # A constant output is copied, so a caller changing it does not change the next
    # call's; a 0-d result is a NumPy scalar, as NumPy's own reductions give.
    if isinstance(value, np.ndarray):
        if constant:
            return value.copy()
        if value.ndim == 0:
            return value[()]
    return value


def _stand_in_cotangent(trace, out):
    """A traced cotangent for ``out`` (its values only steer tracing: ones)."""
    value = np.ones(np.shape(out), getattr(out, "dtype", None) or np.result_type(out))
    return trace.new_input(value)


def _first_order_reverse(leaf) -> bool:
    """Whether ``leaf`` is a plain value differentiated by one reverse-mode transform."""
    return type(leaf._node) is not TangentNode and not isinstance(leaf._value, Box)


def _replaced(values: tuple, index: int, value) -> tuple:
    return values[:index] + (value,) + values[index + 1:]


def _owned(leaf):
    # The rules read the other arguments when derivatives are taken, maybe after the
    # caller has changed an array it passed: they keep a read-only copy, as a recorded
    # operation does (a read-only array is kept as it is).
    if type(leaf) is np.ndarray and leaf.flags.writeable:
        copy = leaf.copy()
        copy.flags.writeable = False
        return copy
    return leaf

