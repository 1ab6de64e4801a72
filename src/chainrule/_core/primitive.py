"""Primitives: plain functions with derivative rules, and how a call is recorded.

A call looks at its arguments for traced boxes. With none it is just the plain
function. Otherwise it takes the highest trace level among them, unwraps the
boxes of that level, evaluates the primitive on what is left (recursively, when
lower-level boxes remain, so that each level records its own node), and wraps
the result in a new box whose node points at the unwrapped boxes' nodes.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .arrays import note_foreign_failure, refuse_foreign_arrays
from .batching import BROADCASTING, LOOP, BatchedRules, Batching
from .forward import TangentNode, push_tangents
from .graph import NO_KWARGS, Box, Node, _next_seq, new_node, strip
from .rules import EveryArgument, JointVjp
from .state import inplace_epoch, state

if TYPE_CHECKING:
    import inspect

_new = object.__new__
_new_list = list.__new__
_box_type: type = Box  # replaced by Tensor when chainrule.tensor is imported

# What VJP rules read from the forward pass: "args", "ans", both, or () for nothing.
Reads = str | tuple[str, ...]
_READABLE = ("args", "ans")


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
    if _open_traces and any(getattr(type(strip(v)), "recorded_by_trace", False) for v in vals):
        return tuple(vals)  # a compiled program snapshots its constants once (jit/api.py)
    return tuple([_private_copy(v) if p is None and type(v) is _mutable_array_type
                  and v.flags.writeable else v for v, p in zip(vals, parents)])


def _private_copy(array):
    # Read-only: the copy cannot change, so where it is saved again (a nested level,
    # a rule's own call) it is kept as it is rather than copied once more.
    copy = array.copy()
    copy.flags.writeable = False
    return copy


# How many cr.jit traces are open (in any thread). While one is, a call whose
# inputs hold a tracer is handed to ``_traced_call`` (installed by chainrule.jit),
# which records the primitive as one step of the program being traced.
_open_traces = 0
_traced_call: Callable | None = None
_open_traces_lock = threading.Lock()


def set_trace_hook(hook: Callable) -> None:
    """Install the function that records primitive calls on traced values."""
    global _traced_call
    _traced_call = hook


def count_open_traces(change: int) -> None:
    """Note that a trace opened (+1) or closed (-1)."""
    global _open_traces
    with _open_traces_lock:
        _open_traces += change


def _call_untraced(prim, args, kwargs):
    """``prim.fun`` on the plain values of ``args`` (boxes below the recorded levels),
    or its recording when a trace is open: the hook sees the boxes, so that a
    compiled program can check that the tensors it read have not changed since."""
    if _open_traces:
        return _traced_call(prim, args, kwargs)
    return prim.fun(*map(strip, args), **kwargs)


def make_box(value, node):
    box = object.__new__(_box_type)
    box._value = value
    box._node = node
    return box


class Primitive:
    """A function with derivative rules that the engine records as one step.

    Its rules are declared beside it: ``defvjp`` (or ``defvjp_all``,
    ``defvjp_joint``), ``defjvp`` (or ``defjvp_all``), and ``defbatch`` for how a
    batch of tangents goes through them (``prim.batching``, see batching.py).
    A primitive that needs in-memory NumPy arrays says why in ``numpy_only``
    (``prim.numpy_only = "it calls a C extension"``): called on a Dask, CuPy or other
    array it then raises a TypeError naming itself, the array's type and the fix.

    >>> @cr.primitive
    ... def cube(x):
    ...     return x ** 3
    >>> cube.defvjp(lambda g, ans, x: 3 * g * x ** 2, reads="args")
    <primitive cube>
    >>> cr.grad(cube)(2.0)
    12.0
    """

    def __init__(self, fun: Callable, name: str | None = None):
        self.fun = fun
        self.name = name or getattr(fun, "__name__", "primitive")
        self.vjps: list = []
        self.jvps: list = []
        self.saves_args = False
        self.saves_ans = False
        self.batching: Batching = LOOP
        # Why the forward function or the rules need in-memory NumPy arrays, when they
        # do; a call on a Dask, CuPy or other array then fails with that reason.
        self.numpy_only = ""
        functools.update_wrapper(self, fun)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def defvjp(self, *rules: Callable | None, reads: Reads = ("args", "ans")) -> Primitive:
        """Give one VJP rule per positional argument: ``rule(g, ans, *args, **kwargs)``.

        ``None`` marks an argument the primitive is not differentiable in.
        ``reads`` names what the rules read from the forward pass, so a
        recorded call keeps only that alive until backward: ``"args"`` (the
        inputs), ``"ans"`` (the output), ``("args", "ans")`` (both, the
        default: always correct, costs memory only) or ``()`` (neither, for
        rules that use ``g`` and keyword arguments alone). A rule that reads
        something it did not declare gets None in its place. A rule taking one
        positional argument too few, like HIPS autograd's curried
        ``lambda ans, x: lambda g: ...``, is refused here with a TypeError.

        >>> exp = cr.primitive(np.exp)
        >>> exp.defvjp(lambda g, ans, x: g * ans, reads="ans")
        <primitive exp>
        >>> cr.grad(exp)(0.0)
        1.0
        """
        self._check_rule_arity(rules, "VJP", "g")
        self.saves_args, self.saves_ans = _parse_reads(self.name, reads)
        self.vjps = list(rules)
        return self

    def defvjp_all(self, rule: Callable, reads: Reads = ("args", "ans")) -> Primitive:
        """One VJP rule for every positional argument, for primitives taking ``*arrays``.

        ``rule(argnum, g, ans, *args, **kwargs)`` returns the cotangent of argument
        ``argnum``. ``reads`` declares what the rule reads, as for ``defvjp``.
        """
        self.saves_args, self.saves_ans = _parse_reads(self.name, reads)
        self.vjps = EveryArgument(rule)
        return self

    def defvjp_joint(self, rule: Callable, reads: Reads = ("args", "ans")) -> Primitive:
        """One VJP rule giving every argument's cotangent at once, for rules that share
        costly work between arguments (a recomputation, a factorisation).

        ``rule(g, ans, *args, **kwargs)`` returns a sequence with one cotangent per
        positional argument (None where there is none). ``reads`` as for ``defvjp``.
        A rule for a whole batch of cotangents is declared with
        ``defbatch(joint_vjp=...)``.
        """
        self.saves_args, self.saves_ans = _parse_reads(self.name, reads)
        self.vjps = JointVjp(rule)
        return self

    def defjvp_all(self, rule: Callable) -> Primitive:
        """One JVP rule for every positional argument: ``rule(argnum, t, ans, *args, **kwargs)``."""
        self.jvps = EveryArgument(rule)
        return self

    def defjvp(self, *rules: Callable | None) -> Primitive:
        """Give one JVP rule per positional argument: ``rule(t, ans, *args, **kwargs)``.

        A rule taking one positional argument too few is refused with a TypeError.
        """
        self._check_rule_arity(rules, "JVP", "t")
        self.jvps = list(rules)
        return self

    def defbatch(self, *, broadcasts: bool = False, jvps: Sequence[Callable | None] | None = None,
                 vjps: Sequence[Callable | None] | None = None,
                 joint_vjp: Callable | None = None) -> Primitive:
        """Declare how a batch of tangents or cotangents, stacked on a leading axis,
        goes through this primitive's rules (``jacfwd``, ``jacobian``, ``hessian``).

        Without a declaration the ordinary rules run once per batch member. Declare
        either ``broadcasts=True``, when the ordinary JVP and VJP rules already
        broadcast over a leading axis (elementwise functions, stacked linear
        algebra), or rules written for the batch: ``jvps`` and ``vjps`` with one rule
        per positional argument, ``rule(t_or_g, ans, *args, **kwargs)`` as for
        ``defjvp``/``defvjp`` but with the batch axis in front, or ``joint_vjp``, the
        batched form of a ``defvjp_joint`` rule. A batched rule may return None to
        decline a call: that part of the batch then runs member by member, as does
        a mode given no batched rules.

        >>> @cr.primitive
        ... def cube(x):
        ...     return x ** 3
        >>> cube.defvjp(lambda g, ans, x: 3 * g * x ** 2, reads="args").defbatch(broadcasts=True)
        <primitive cube>
        >>> cr.jacobian(cube)(np.array([1.0, 2.0]))
        array([[ 3.,  0.],
               [ 0., 12.]])
        """
        rules = (jvps, vjps, joint_vjp)
        if broadcasts and any(r is not None for r in rules):
            raise TypeError(f"primitive '{self.name}': defbatch takes broadcasts=True or "
                            f"batched rules (jvps, vjps, joint_vjp), not both")
        if vjps is not None and joint_vjp is not None:
            raise TypeError(f"primitive '{self.name}': defbatch takes per-argument vjps or "
                            f"one joint_vjp, not both")
        if broadcasts:
            self.batching = BROADCASTING
        elif any(r is not None for r in rules):
            self.batching = BatchedRules(jvps, vjps, joint_vjp)
        else:
            raise TypeError(f"primitive '{self.name}': defbatch needs broadcasts=True or "
                            f"batched rules (jvps=..., vjps=... or joint_vjp=...)")
        return self

    def _check_rule_arity(self, rules, kind: str, seed: str) -> None:
        # A rule that requires and accepts at most one positional argument more
        # than the function has room for only one of (g, ans) before the inputs:
        # most likely HIPS autograd's curried ``lambda ans, x: lambda g: ...``,
        # which would otherwise fail as a bare TypeError deep in a backward pass.
        # (Requiring two more and accepting fewer is fine: callers may pass an
        # optional parameter by keyword only, like np.outer's ``out``.)
        if getattr(self.fun, "__module__", "").startswith("chainrule.ops"):
            return  # chainrule's own rules: the conformance tests call every one
        import inspect  # here, not at import: it is slow to import

        if not inspect.isfunction(inspect.unwrap(self.fun)):
            return  # ufuncs and builtins: their signatures are not reliable
        params = _positional_params(self.fun)
        if params is None:
            return
        required, accepted = _arity(params)
        for argnum, rule in enumerate(rules):
            rule_params = None if rule is None else _positional_params(rule)
            if rule_params is None:
                continue
            rule_required, rule_accepted = _arity(rule_params)
            if rule_required <= required + 1 and rule_accepted <= accepted + 1:
                raise _rule_arity_error(self.name, kind, seed, argnum, rule_accepted, params)

    def __call__(self, *args, **kwargs):
        if self.numpy_only:
            refuse_foreign_arrays(self, args)
        try:
            # One pass for the common case: every traced input on the same level.
            # ``parents`` lines up with ``args``: the input's node, or None.
            vals = []
            parents = []
            level = -1
            boxed = untraced_array = False
            for a in args:
                if isinstance(a, Box):
                    boxed = True
                    node = a._node
                    a = a._value
                    if node is None:
                        untraced_array = untraced_array or type(a) is _mutable_array_type
                    elif node.level != level:
                        if level >= 0:
                            return self._record_mixed(args, kwargs)
                        level = node.level
                        top = node
                else:
                    node = None
                    untraced_array = untraced_array or type(a) is _mutable_array_type
                vals.append(a)
                parents.append(node)
            if level < state.record_from:
                if not boxed:
                    return self.fun(*args, **kwargs) if not _open_traces else \
                        _traced_call(self, args, kwargs)
                return make_box(_call_untraced(self, args, kwargs), None)
            if level:
                for v in vals:  # a traced value of a lower level underneath?
                    if isinstance(v, Box):
                        return self._record_mixed(args, kwargs)
                if type(top) is TangentNode:
                    ans = self.fun(*vals, **kwargs) if not _open_traces else \
                        _traced_call(self, vals, kwargs)
                    return self._forward(ans, _owned(vals, parents) if untraced_array else vals,
                                         kwargs, parents, level)
            if _open_traces:
                ans = _traced_call(self, vals, kwargs)
            else:
                ans = self.fun(*vals, **kwargs) if kwargs else self.fun(*vals)
            # new_node() and make_box(), written out: this is the hottest path in the library.
            # Every object a node keeps for itself is one more for the cyclic garbage
            # collector to count and rescan while the graph lives, so the node holds its
            # parents itself and shares what it can: a tuple of saved inputs (which the
            # collector stops tracking when it holds no containers), one empty kwargs
            # dict, and its input's shape tuple when equal.
            if not self.saves_args:
                vals = _NONES[len(args)]
            elif untraced_array:
                vals = _owned(vals, parents)
            else:
                vals = tuple(vals)
            try:
                shape = ans.shape
            except AttributeError:
                raise _not_an_array(self, ans) from None
            node = _new_list(Node)
            node += parents
            node.prim = self
            node.vals = vals
            node.kwargs = kwargs or NO_KWARGS
            node.ans = ans if self.saves_ans else None
            node.level = level
            node.seq = _next_seq()
            node.shape = top.shape if shape == top.shape else shape
            node.epoch = inplace_epoch[0]
            node.hooks = None
            box = _new(_box_type)
            box._value = ans
            box._node = node
            return box
        except Exception as error:
            note_foreign_failure(self, args, error, "its forward function")
            raise

    def _forward(self, ans, vals, kwargs, parents, level):
        return make_box(ans, push_tangents(self, ans, vals, kwargs, parents))

    def _record_mixed(self, args: tuple, kwargs: dict) -> Any:
        """Inputs traced on several levels: record the top one, recurse for the rest."""
        level = max(a._node.level for a in args if isinstance(a, Box) and a._node is not None)
        if level < state.record_from:
            return make_box(_call_untraced(self, args, kwargs), None)
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
        vals = _owned(vals, parents)  # before the lower levels record: one copy serves all
        ans = self(*vals, **kwargs)
        if isinstance(ans, Box) and ans._node is None:
            ans = ans._value
        if any(type(p) is TangentNode for p in parents):
            return self._forward(ans, vals, kwargs, parents, level)
        try:
            shape = ans.shape
        except AttributeError:
            raise _not_an_array(self, ans) from None
        node = new_node(self, vals if self.saves_args else _NONES[len(args)], kwargs,
                        ans if self.saves_ans else None, parents, level, shape)
        return make_box(ans, node)



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


def _parse_reads(name: str, reads) -> tuple[bool, bool]:
    """``(saves_args, saves_ans)`` for a ``reads=`` declaration, or a clear error."""
    names = (reads,) if isinstance(reads, str) else reads
    hint = ("reads names what the VJP rules read from the forward pass: 'args', 'ans', "
            "('args', 'ans') for both, or () for nothing")
    if not isinstance(names, (tuple, list, set, frozenset)):
        raise TypeError(f"primitive '{name}': reads={reads!r} is a {type(reads).__name__}; {hint}")
    unknown = [n for n in names if n not in _READABLE]
    if unknown:
        raise ValueError(f"primitive '{name}': reads={reads!r} names {unknown[0]!r}; {hint}")
    return "args" in names, "ans" in names


def _positional_params(fun: Callable) -> list[inspect.Parameter] | None:
    """The positional parameters of ``fun``; None if it takes ``*args`` or its
    signature cannot be read."""
    import inspect
    try:
        params = inspect.signature(fun).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    return [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _arity(params: list[inspect.Parameter]) -> tuple[int, int]:
    """How many positional arguments these parameters require, and accept."""
    return sum(p.default is p.empty for p in params), len(params)


def _rule_arity_error(name, kind, seed, argnum, accepted, params) -> TypeError:
    args = ", ".join(p.name for p in params)
    message = (f"the {kind} rule for argument {argnum} of primitive '{name}' accepts at most "
               f"{accepted} positional arguments, but chainrule calls it as "
               f"rule({seed}, ans, {args}): write it as `lambda {seed}, ans, {args}: ...`")
    if kind == "VJP":
        message += (f". HIPS autograd's curried form `lambda ans, {args}: lambda g: ...` "
                    f"becomes that by moving g to the front")
    return TypeError(message + ".")
