"""Programs: what ``cr.jit`` records, as plain data that prints readably.

A program is a flat list of equations over numbered variables. An ``Equation``
calls one function (a NumPy function, a ufunc, a chainrule primitive's NumPy
function) on arguments that are variables or constants, and names its result(s).
A ``Guard`` checks at run time a fact the trace relied on (a branch taken, a shape
that depended on values); a failed guard makes ``cr.jit`` trace again.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class Var(int):
    """A program variable: a number, printed ``v<number>``."""

    def __repr__(self) -> str:
        return f"v{int(self)}"


@dataclass
class Equation:
    """``outs = fn(*args, **kwargs)``; ``args`` and ``kwargs`` may nest Vars in
    lists, tuples and dicts. ``in_place`` marks a call that writes into its first argument."""

    fn: Any
    name: str
    args: Any
    kwargs: dict
    outs: Any  # a Var, or a tuple of Vars
    in_place: bool = False

    def out_vars(self) -> tuple:
        return self.outs if isinstance(self.outs, tuple) else (self.outs,)

    def in_vars(self) -> list:
        return [v for v in leaves((self.args, self.kwargs)) if type(v) is Var]


@dataclass
class Guard:
    """A check the compiled program repeats: ``kind`` is "value" (the variable's
    Python value equals ``expected``), "shape" (its shape does) or "unchanged" (no
    variable: the tensor read as the constant ``expected`` still holds that value)."""

    var: Var | None
    kind: str
    expected: Any

    def in_vars(self) -> list:
        return [] if self.var is None else [self.var]

    def out_vars(self) -> tuple:
        return ()


@dataclass
class Program:
    """Equations over numbered variables, with the shapes and dtypes they had when traced."""

    equations: list = field(default_factory=list)
    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)  # Vars, or constants
    shapes: dict = field(default_factory=dict)
    dtypes: dict = field(default_factory=dict)
    has_in_place: bool = False
    count: int = 0

    def new_var(self, value) -> Var:
        return self.new_var_like(getattr(value, "shape", ()), getattr(value, "dtype", None))

    def new_var_like(self, shape: tuple, dtype) -> Var:
        var = Var(self.count)
        self.count += 1
        self.shapes[var] = shape
        self.dtypes[var] = dtype
        return var

    def guards(self) -> list:
        return [e for e in self.equations if isinstance(e, Guard)]

    def calls(self) -> list:
        return [e for e in self.equations if isinstance(e, Equation)]


class MethodCall:
    """Calls a method by name: ``MethodCall("astype")(x, float)`` is ``x.astype(float)``
    (NumPy scalars and arrays alike)."""

    __slots__ = ("method",)

    def __init__(self, method: str):
        self.method = method

    def __call__(self, obj, *args, **kwargs):
        return getattr(obj, self.method)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"MethodCall({self.method!r})"


_method_calls: dict = {}


def method_call(name: str) -> MethodCall:
    """The one ``MethodCall`` for ``name`` (one object, so equal calls can be merged)."""
    if name not in _method_calls:
        _method_calls[name] = MethodCall(name)
    return _method_calls[name]


def leaves(tree):
    """The objects in ``tree`` (nested tuples, lists and dicts), in order."""
    kind = type(tree)
    if kind in (tuple, list):
        for item in tree:
            yield from leaves(item)
    elif kind is dict:
        for item in tree.values():
            yield from leaves(item)
    else:
        yield tree


def map_leaves(tree, fn):
    """``tree`` (nested tuples, lists and dicts) with every object in it replaced by
    ``fn(object)``."""
    kind = type(tree)
    if kind in (tuple, list):
        return kind(map_leaves(item, fn) for item in tree)
    if kind is dict:
        return {k: map_leaves(v, fn) for k, v in tree.items()}
    return fn(tree)


def map_vars(tree, fn):
    """``tree`` with every Var replaced by ``fn(var)``."""
    return map_leaves(tree, lambda x: fn(x) if type(x) is Var else x)


def snapshot_constants(program: Program) -> Program:
    """Replace every writeable array the program reads as a constant by a read-only
    copy, so that every part of the program, and the values folded into it while
    tracing, see the arrays as they were when the function was traced. Programs share
    one copy of an array while it is unchanged (an optimiser's value, gradient and
    Hessian programs hold the data once)."""
    def frozen(x):
        return _snapshot_of(x) if type(x) is np.ndarray and x.flags.writeable else x

    for eq in program.equations:
        if isinstance(eq, Equation):
            eq.args, eq.kwargs = map_leaves(eq.args, frozen), map_leaves(eq.kwargs, frozen)
    return program


# Read-only copies of arrays that programs read, by the original's id, while the
# original lives: (a weak reference to the original, the copy).
_snapshots: dict = {}
_snapshots_lock = threading.Lock()


def _snapshot_of(array):
    key = id(array)
    with _snapshots_lock:
        entry = _snapshots.get(key)
    if entry is not None and entry[0]() is array and np.array_equal(array, entry[1],
                                                                    equal_nan=_has_nan(array)):
        return entry[1]
    copy = array.copy(order="K")  # the same memory layout
    copy.flags.writeable = False
    try:
        ref = weakref.ref(array, lambda _, key=key: _snapshots.pop(key, None))
    except TypeError:
        return copy
    with _snapshots_lock:
        _snapshots[key] = (ref, copy)
    return copy


def _has_nan(array) -> bool:
    return array.dtype.kind in "fc"
