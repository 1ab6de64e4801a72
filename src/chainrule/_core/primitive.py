"""Primitives: plain functions with derivative rules, and how a call is recorded.

A call looks at its arguments for traced boxes. With none it is just the plain
function. Otherwise it takes the highest trace level among them, unwraps the
boxes of that level, evaluates the primitive on what is left (recursively, when
lower-level boxes remain, so that each level records its own node), and wraps
the result in a new box whose node points at the unwrapped boxes' nodes.
"""

from __future__ import annotations

import dis
import functools
import inspect
import sys
from collections.abc import Callable
from typing import Any

from .forward import TangentNode, push_tangents
from .graph import Box, Node, _next_seq, new_node
from .state import inplace_epoch, state

_new = object.__new__
_box_type: type = Box  # replaced by Tensor when chainrule.tensor is imported
class _Nones(dict):
    """``_NONES[n]`` is a shared tuple of n Nones, made on first use (any n)."""

    def __missing__(self, count: int) -> tuple:
        self[count] = (None,) * count
        return self[count]


_NONES = _Nones()


def set_box_type(cls: type) -> None:
    """Make ``cls`` (a subclass of Box) the type of every traced result."""
    global _box_type
    _box_type = cls


_mutable_array_type: type | None = None  # numpy.ndarray, installed by the ops layer


def set_mutable_array_type(cls: type) -> None:
    """The array type whose untraced inputs a node copies before saving them."""
    global _mutable_array_type
    _mutable_array_type = cls


def _owned(vals, parents):
    """``vals`` with every untraced, writeable array replaced by a copy.

    A node keeps its inputs for the derivative rules. Untraced arrays belong to the
    user, who may change them before backward() (a buffer reused in a loop); traced
    values are the graph's own, and their changes are counted (see state.py).
    """
    return [v.copy() if p is None and type(v) is _mutable_array_type and v.flags.writeable
            else v for v, p in zip(vals, parents)]


def make_box(value, node):
    box = object.__new__(_box_type)
    box._value = value
    box._node = node
    return box


def strip(x):
    """The plain value under any number of boxes."""
    while isinstance(x, Box):
        x = x._value
    return x


class Primitive:
    """A function with derivative rules that the engine records as one step.

    >>> @primitive
    ... def cube(x):
    ...     return x ** 3
    >>> cube.defvjp(lambda g, ans, x: 3 * g * x ** 2)
    """

    # True when every rule broadcasts elementwise, so a batch of tangents can
    # go through it in one call (forward mode's batched tangents).
    batch_safe = False
    # Otherwise, optional rules per argument that take a batch of tangents
    # (cotangents) stacked on a leading axis, or return None to decline a call;
    # without them, the batch goes through the ordinary rules one at a time.
    batched_jvps: tuple | None = None
    batched_vjps: tuple | None = None

    def __init__(self, fun: Callable, name: str | None = None):
        self.fun = fun
        self.name = name or getattr(fun, "__name__", "primitive")
        self.vjps: list = []
        self.jvps: list = []
        self.saves_args = False
        self.saves_ans = False
        functools.update_wrapper(self, fun)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def defvjp(self, *rules: Callable | None) -> Primitive:
        """Give one VJP rule per positional argument: ``rule(g, ans, *args, **kwargs)``.

        ``None`` marks an argument the primitive is not differentiable in.
        """
        self.vjps = list(rules)
        self._note_saved_values(rules)
        return self

    def defvjp_all(self, rule: Callable) -> Primitive:
        """One VJP rule for every positional argument, for primitives taking ``*arrays``.

        ``rule(argnum, g, ans, *args, **kwargs)`` returns the cotangent of argument
        ``argnum``.
        """
        self.vjps = _EveryArgument(rule)
        used = {p - 1 for p in _used_positions(rule) if p > 0}
        self.saves_ans = 1 in used
        self.saves_args = any(i >= 2 for i in used)
        return self

    def defjvp_all(self, rule: Callable) -> Primitive:
        """One JVP rule for every positional argument: ``rule(argnum, t, ans, *args, **kwargs)``."""
        self.jvps = _EveryArgument(rule)
        return self

    def defjvp(self, *rules: Callable | None) -> Primitive:
        """Give one JVP rule per positional argument: ``rule(t, ans, *args, **kwargs)``."""
        self.jvps = list(rules)
        return self

    def _note_saved_values(self, rules) -> None:
        # Keep a node's inputs and output alive only if some rule reads them.
        used = set()
        for rule in rules:
            if rule is not None:
                used |= _used_positions(rule)
        self.saves_ans = 1 in used
        self.saves_args = any(i >= 2 for i in used)

    def __call__(self, *args, **kwargs):
        # One pass for the common case: every traced input on the same level.
        # ``parents`` lines up with ``args``: the input's node, or None.
        vals = []
        parents = []
        level = -1
        boxed = untraced_array = False
        for a in args:
            node = None
            if isinstance(a, Box):
                boxed = True
                node = a._node
                a = a._value
                if node is not None and node.level != level:
                    if level >= 0:
                        return self._record_mixed(args, kwargs)
                    level = node.level
                    top = node
            if node is None and type(a) is _mutable_array_type:
                untraced_array = True
            vals.append(a)
            parents.append(node)
        if level < state.record_from:
            if not boxed:
                return self.fun(*args, **kwargs)
            return make_box(self.fun(*map(strip, args), **kwargs), None)
        if level:
            for v in vals:  # a traced value of a lower level underneath?
                if isinstance(v, Box):
                    return self._record_mixed(args, kwargs)
            if type(top) is TangentNode:
                ans = self.fun(*vals, **kwargs)
                return self._forward(ans, _owned(vals, parents) if untraced_array else vals,
                                     kwargs, parents, level)
        ans = self.fun(*vals, **kwargs)
        # new_node() and make_box(), written out: this is the hottest path in the library.
        if not self.saves_args:
            vals = _NONES[len(args)]
        elif untraced_array:
            vals = _owned(vals, parents)
        node = _new(Node)
        node.prim = self
        node.vals = vals
        node.kwargs = kwargs
        node.ans = ans if self.saves_ans else None
        node.parents = parents
        node.level = level
        node.seq = _next_seq()
        try:
            node.shape = ans.shape
        except AttributeError:
            raise _not_an_array(self, ans) from None
        node.epoch = inplace_epoch[0]
        node.hooks = None
        box = _new(_box_type)
        box._value = ans
        box._node = node
        return box

    def _forward(self, ans, vals, kwargs, parents, level):
        return make_box(ans, push_tangents(self, ans, vals, kwargs, parents))

    def _record_mixed(self, args: tuple, kwargs: dict) -> Any:
        """Inputs traced on several levels: record the top one, recurse for the rest."""
        level = max(a._node.level for a in args if isinstance(a, Box) and a._node is not None)
        if level < state.record_from:
            return make_box(self.fun(*map(strip, args), **kwargs), None)
        vals = list(args)
        parents = [None] * len(args)
        for i, a in enumerate(args):
            if isinstance(a, Box):
                node = a._node
                if node is None:
                    vals[i] = a._value
                elif node.level == level:
                    vals[i] = a._value
                    parents[i] = node
        ans = self(*vals, **kwargs)
        if isinstance(ans, Box) and ans._node is None:
            ans = ans._value
        vals = _owned(vals, parents)
        if any(type(p) is TangentNode for p in parents):
            return self._forward(ans, vals, kwargs, parents, level)
        try:
            shape = ans.shape
        except AttributeError:
            raise _not_an_array(self, ans) from None
        node = new_node(self, vals if self.saves_args else _NONES[len(args)], kwargs,
                        ans if self.saves_ans else None, parents, level, shape)
        return make_box(ans, node)


class _EveryArgument:
    """Stands in for the list of VJP rules when one rule serves every argument."""

    __slots__ = ("rule",)

    def __init__(self, rule: Callable):
        self.rule = rule

    def __len__(self) -> int:
        return sys.maxsize

    def __getitem__(self, argnum: int) -> Callable:
        return functools.partial(self.rule, argnum)


def _not_an_array(prim, ans) -> TypeError:
    return TypeError(f"primitive '{prim.name}' returned {type(ans).__name__}; a primitive "
                     f"must return a NumPy array (wrap the result in np.asarray)")


def primitive(fun: Callable) -> Primitive:
    """Decorator: turn a NumPy function into a chainrule primitive.

    Give it rules with ``.defvjp`` (and ``.defjvp`` for forward mode). Rules
    written with NumPy calls work at every order, because NumPy calls on Tensors
    are themselves recorded.
    """
    return Primitive(fun)


_LOADS = {"LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_AND_CLEAR", "LOAD_DEREF",
          "LOAD_CLOSURE", "LOAD_FAST_LOAD_FAST", "LOAD_FAST_BORROW",
          "LOAD_FAST_BORROW_LOAD_FAST_BORROW"}


def _used_positions(rule: Callable) -> set[int]:
    """Which positional parameters of ``rule`` its body reads (all, if unsure)."""
    code = getattr(rule, "__code__", None)
    everything = set(range(64))
    if code is None:
        return everything
    names = code.co_varnames[:code.co_argcount]
    loaded = set()
    for ins in dis.get_instructions(code):
        if ins.opname in _LOADS:
            val = ins.argval
            loaded.update(val if isinstance(val, tuple) else (val,))
    loaded.update(code.co_cellvars)  # read by an inner function: count as used
    used = {i for i, n in enumerate(names) if n in loaded}
    if code.co_flags & inspect.CO_VARARGS:
        varargs = code.co_varnames[code.co_argcount + code.co_kwonlyargcount]
        if varargs in loaded:
            used |= set(range(code.co_argcount, 64))
    return used
