"""``cr.jit``: trace a function once per signature, then run compiled code.

The signature of a call is the structure of its arguments, the shape and dtype of
each array, and the value of each static argument (Python ints, bools, strings,
``static_argnums``). Floats and arrays are traced. Each signature keeps a few
*variants*, one per path through the function's Python ``if``s; a failed guard
tries the next variant, and traces a new one when none fits.
"""

from __future__ import annotations

import functools
import os
import threading
import traceback
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _pytree
from .._core import primitive as _primitive
from .._core.arrays import is_lazy
from .._core.graph import Box
from .._core.primitive import strip
from ..tensor import Tensor
from .codegen import Retrace, compile_program
from .differentiated import AsPrimitive, is_differentiated
from .passes import simplify
from .program import Guard, snapshot_constants
from .tracer import Trace, Tracer, UntraceableError, output_of, trace_of, traced_value

MAX_SIGNATURES = 64  # signatures kept per jitted function (least recently used go first)


class JitWarning(UserWarning):
    """``cr.jit`` runs a function eagerly (uncompiled), for the reason given."""


def _record_primitive(prim, args, kwargs):
    """The trace hook of ``Primitive.__call__``: record the call whole, if it is traced."""
    values = [strip(a) for a in args]
    trace = trace_of(values) or trace_of(kwargs)
    if trace is None:
        return prim.fun(*values, **kwargs)
    for arg, value in zip(args, values):
        if isinstance(arg, Box) and type(value) is not Tracer:
            trace.watch_tensor(arg, value)
    return trace.record(prim.fun, values, kwargs, name=prim.name)


_primitive.set_trace_hook(_record_primitive)


class Compiled:
    """One variant: a compiled program and how to rebuild its outputs."""

    def __init__(self, program, run, source, out_structure, out_kinds):
        self.program = program
        self.run = run
        self.source = source
        self.out_structure = out_structure
        self.out_kinds = out_kinds

    def is_stale(self, failed: Retrace) -> bool:
        """Whether the guard that failed was on a tensor that has changed since: this
        variant then never runs again (the next trace reads the new value)."""
        guard = self.program.equations[failed.args[0]]
        return isinstance(guard, Guard) and guard.kind == "unchanged"

    def outputs(self, values) -> Any:
        leaves = [Tensor._wrap(v) if kind == "tensor" else _fresh(v, kind)
                  for v, kind in zip(values, self.out_kinds)]
        return _pytree.unflatten(self.out_structure, leaves)


def _fresh(value, kind):
    # A constant output is copied, so a caller changing it does not change the next call's.
    if kind == "constant" and isinstance(value, np.ndarray):
        return value.copy()
    if kind == "array" and isinstance(value, np.ndarray) and value.ndim == 0:
        return value[()]
    return value


class _Signature:
    """The variants traced for one signature, and whether it runs eagerly instead."""

    __slots__ = ("variants", "eager")

    def __init__(self) -> None:
        self.variants: list[Compiled] = []
        self.eager = False


class Jitted:
    """A function compiled by ``cr.jit``; call it like the function itself."""

    def __init__(self, fun: Callable, static_argnums: Sequence[int], max_variants: int,
                 backend: str = "numpy"):
        functools.update_wrapper(self, fun, updated=())  # not fun's __dict__: it may hold "fun"
        self.fun = fun
        self.backend = backend
        self.compile_program = _backend(backend)
        self.static_argnums = frozenset(static_argnums)
        self.max_variants = max_variants
        self._signatures: OrderedDict = OrderedDict()
        self._as_primitives: OrderedDict = OrderedDict()  # by signature and traced leaves
        self._lock = threading.RLock()
        self._warned: set = set()

    def __repr__(self) -> str:
        return f"<cr.jit of {getattr(self.fun, '__name__', self.fun)!r}>"

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        leaves = _pytree.flatten((args, kwargs))[0]
        if any(_runs_inline(leaf) for leaf in leaves):
            return self.fun(*args, **kwargs)  # inside a trace or a vmap, or on Dask data
        if any(is_differentiated(leaf) for leaf in leaves):
            return self._differentiated_call(args, kwargs)
        key, dynamic = self._signature(args, kwargs)
        with self._lock:
            entry = self._signatures.get(key)
            if entry is None:
                entry = self._signatures[key] = _Signature()
                if len(self._signatures) > MAX_SIGNATURES:
                    self._signatures.popitem(last=False)
            else:
                self._signatures.move_to_end(key)
            variants = list(entry.variants)  # a copy: other threads may add to it
        if entry.eager:
            return self.fun(*args, **kwargs)
        fit = self._first_fit(entry, variants, dynamic)
        if fit is None:
            return self._trace_new_variant(entry, args, kwargs)
        variant, values = fit
        return variant.outputs(values)

    def _differentiated_call(self, args, kwargs):
        """A call on values a transform differentiates, as one primitive of them whose
        forward function and rules are compiled (see differentiated.py)."""
        kwargs = {name: kwargs[name] for name in sorted(kwargs)}  # one order per signature
        key, _ = self._signature(args, kwargs)
        entry = self._signatures.get(key)
        if entry is not None and entry.eager:
            return self.fun(*args, **kwargs)
        dynamic_args = [a for i, a in enumerate(args) if i not in self.static_argnums]
        leaves = _pytree.flatten((dynamic_args, kwargs))[0]
        traced = tuple(i for i, leaf in enumerate(leaves) if is_differentiated(leaf))
        with self._lock:
            as_primitive = self._as_primitives.get((key, traced))
            if as_primitive is None:
                as_primitive = AsPrimitive(self, args, kwargs, traced)
                self._as_primitives[key, traced] = as_primitive
                if len(self._as_primitives) > MAX_SIGNATURES:
                    self._as_primitives.popitem(last=False)
            else:
                self._as_primitives.move_to_end((key, traced))
        out = as_primitive(leaves)
        entry = self._signatures.get(key)
        if entry is not None and entry.eager:  # it could not be traced: differentiate f itself
            return self.fun(*args, **kwargs)
        return out

    def derived(self, fun: Callable, name: str, static_argnums: Sequence[int] = ()) -> Jitted:
        """``fun`` (a function derived from this one, such as its VJP) jitted as this
        function is, and named ``name`` in warnings and generated source."""
        def derived_function(*args):
            return fun(*args)

        derived_function.__name__ = derived_function.__qualname__ = name
        return Jitted(derived_function, static_argnums, self.max_variants, self.backend)

    def _first_fit(self, entry: _Signature, variants: list, dynamic: list):
        """The first variant whose guards hold for these values, and its outputs (or
        None); a variant found stale on the way is dropped."""
        for variant in variants:
            try:
                return variant, variant.run(*dynamic)
            except Retrace as failed:
                if variant.is_stale(failed):
                    with self._lock:
                        if variant in entry.variants:
                            entry.variants.remove(variant)
        return None

    # --- what callers can inspect -------------------------------------------------
    def source(self, *args: Any, **kwargs: Any) -> str:
        """The generated Python source for these arguments' signature (traced if needed)."""
        return self._variant_for(args, kwargs).source

    def program(self, *args: Any, **kwargs: Any):
        """The simplified program for these arguments' signature (traced if needed)."""
        return self._variant_for(args, kwargs).program

    def cache_info(self) -> dict:
        """How many signatures and variants are cached."""
        with self._lock:
            return {"signatures": len(self._signatures),
                    "variants": sum(len(e.variants) for e in self._signatures.values()),
                    "eager": sum(e.eager for e in self._signatures.values())}

    def _variant_for(self, args, kwargs) -> Compiled:
        key, dynamic = self._signature(args, kwargs)
        entry = self._signatures.get(key)
        fit = None if entry is None else self._first_fit(entry, list(entry.variants), dynamic)
        if fit is not None:
            return fit[0]
        self(*args, **kwargs)
        entry = self._signatures[key]
        if entry.eager:
            raise UntraceableError("cr.jit runs this function eagerly for these arguments "
                                   "(see the JitWarning it gave); there is no source")
        return entry.variants[-1]

    # --- signatures -----------------------------------------------------------------
    def _signature(self, args, kwargs):
        key = []
        dynamic = []
        for position, arg in enumerate(args):
            if position in self.static_argnums:
                key.append(("static", _static_key(arg)))
            else:
                key.append(_leaf_keys(arg, dynamic))
        for name in sorted(kwargs):
            key.append((name, _leaf_keys(kwargs[name], dynamic)))
        return tuple(key), dynamic

    # --- tracing --------------------------------------------------------------------
    def _trace_new_variant(self, entry: _Signature, args, kwargs):
        if len(entry.variants) >= self.max_variants:
            self._go_eager(entry, f"it needed more than {self.max_variants} traced variants "
                                  f"for one signature (Python branches on traced values)")
            return self.fun(*args, **kwargs)
        try:
            trace, result = self.trace(self.fun, args, kwargs)
        except Exception as error:  # noqa: BLE001 - retried eagerly, raised from there
            return self._eager_after_failure(entry, args, kwargs, error)
        try:
            variant = self._compile(trace, result)
        except UntraceableError as error:
            return self._eager_after_failure(entry, args, kwargs, error)
        with self._lock:
            entry.variants.append(variant)
        return variant.outputs([_value_of(leaf) for leaf in _pytree.flatten(result)[0]])

    def trace(self, fun: Callable, args: Sequence, kwargs: dict) -> tuple[Trace, Any]:
        """Run ``fun`` on tracers standing in for the traced leaves of ``args`` and
        ``kwargs`` (static arguments as they are): the trace it recorded, and its result."""
        trace = Trace()
        traced_args, traced_kwargs = self._tracers_for(trace, args, kwargs)
        random_state = np.random.get_state()
        _primitive.count_open_traces(+1)
        try:
            result = fun(*traced_args, **traced_kwargs)
            if _drew_random_numbers(random_state):
                np.random.set_state(random_state)  # the eager call that follows draws them once
                raise UntraceableError("the function draws from np.random's global generator, "
                                       "and a compiled program would repeat the same draws")
        finally:
            trace.active = False
            _primitive.count_open_traces(-1)
        return trace, result

    def _tracers_for(self, trace: Trace, args, kwargs):
        def traced(leaf):
            value = traced_value(leaf)
            if value is None:
                return leaf
            tracer = trace.new_input(value)
            return Tensor._wrap(tracer) if isinstance(leaf, Tensor) else tracer

        new_args = [arg if i in self.static_argnums else _pytree.tree_map(traced, arg)
                    for i, arg in enumerate(args)]
        new_kwargs = {k: _pytree.tree_map(traced, kwargs[k]) for k in sorted(kwargs)}
        return new_args, new_kwargs

    def _compile(self, trace: Trace, result) -> Compiled:
        leaves, structure = _pytree.flatten(result)
        program = trace.program
        kinds = []
        for leaf in leaves:
            kind, output = output_of(leaf, trace)
            kinds.append(kind)
            program.outputs.append(output)
        program = simplify(snapshot_constants(program))
        run, source = self.compile_program(program, getattr(self.fun, "__name__", "jitted"))
        return Compiled(program, run, source, structure, kinds)

    def _eager_after_failure(self, entry, args, kwargs, error):
        result = self.fun(*args, **kwargs)  # raises here if the function itself fails
        self._go_eager(entry, f"tracing failed{_where(error)}: {type(error).__name__}: {error}")
        return result

    def _go_eager(self, entry: _Signature, reason: str) -> None:
        entry.eager = True
        if reason not in self._warned:
            self._warned.add(reason)
            name = getattr(self.fun, "__qualname__", repr(self.fun))
            warnings.warn(f"cr.jit runs {name} eagerly (uncompiled) for this signature: "
                          f"{reason}", JitWarning, stacklevel=4)


def _drew_random_numbers(before: tuple) -> bool:
    """Whether np.random's global generator moved since its state was ``before``."""
    after = np.random.get_state()
    return after[2] != before[2] or after[3] != before[3] or not np.array_equal(after[1],
                                                                                 before[1])


def _where(error: BaseException) -> str:
    """" at file:line" of the innermost frame of ``error`` outside chainrule: the
    user's line that did what cannot be compiled."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not os.path.abspath(f.filename).startswith(here + os.sep)]
    return f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""


def _value_of(leaf):
    if isinstance(leaf, Box):
        leaf = leaf._value
    return leaf._data if type(leaf) is Tracer else leaf


def _leaf_keys(tree, dynamic: list):
    """The signature of ``tree`` (nested as ``_pytree`` nests), appending the arrays
    it traces to ``dynamic``, in the order ``Jitted._tracers_for`` makes their tracers."""
    if isinstance(tree, (tuple, list)):
        return (type(tree),) + tuple(_leaf_keys(item, dynamic) for item in tree)
    if isinstance(tree, dict):
        return (dict,) + tuple((k, _leaf_keys(tree[k], dynamic)) for k in tree)
    value = traced_value(tree)
    if value is None:
        return ("static", _static_key(tree))
    dynamic.append(value)
    return (type(tree), value.shape, value.dtype)


def _static_key(value):
    try:
        hash(value)
    except TypeError:
        return _ByIdentity(value)
    return (type(value), value)


class _ByIdentity:
    """An unhashable static argument in a signature: equal only to itself, and kept
    alive by the signature, so that its id is never another object's."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other) -> bool:
        return type(other) is _ByIdentity and other.value is self.value


def _runs_inline(leaf) -> bool:
    """Whether a jitted function runs uncompiled, inside the caller's computation, on
    this argument: a value being traced (by an enclosing ``cr.jit``) or batched, or a
    lazy (Dask) array, for which Dask builds its own graph."""
    value = strip(leaf)
    return type(value) is Tracer or type(value) in _INLINE_TYPES or is_lazy(value)


# Argument types a jitted function runs eagerly on (registered by chainrule.vmap).
_INLINE_TYPES: set = set()


def run_inline_for(kind: type) -> None:
    """Make jitted functions run eagerly, inside the caller's computation, when an
    argument is of type ``kind`` (one that a trace cannot take as an input)."""
    _INLINE_TYPES.add(kind)


def _backend(name: str) -> Callable:
    """The function turning a program into a Python callable, for a backend name."""
    if name == "numpy":
        return compile_program
    if name == "numba":
        from .numba_backend import compile_program_numba  # needs the optional extra "jit"

        return compile_program_numba
    raise ValueError(f"cr.jit(backend={name!r}): the backends are 'numpy' (generated Python "
                     f"calling NumPy) and 'numba' (fused loops; pip install chainrule[jit])")


def jit(fun: Callable | None = None, *, static_argnums: int | Sequence[int] = (),
        max_variants: int = 8, backend: str = "numpy") -> Any:
    """Compile ``fun``: trace it once per signature into a program of NumPy calls,
    simplify the program, and run it as generated Python from then on.

    Works on plain NumPy code and on transformed functions alike:
    ``cr.jit(cr.value_and_grad(f))``, ``cr.jit(cr.hessian(f))``; and transforms of a
    jitted function run compiled too (``cr.grad(cr.jit(f))``, ``backward()``: the
    call is one step whose derivative rules are compiled ``vjp``s and ``jvp``s of
    ``fun``). Arrays and floats
    are traced; ints, bools, strings and the arguments in ``static_argnums`` are
    part of the signature. A Python ``if`` on a traced value becomes a guard: a call
    that takes another branch traces that branch too (up to ``max_variants`` per
    signature, then the function runs eagerly, with a ``JitWarning``). Anything
    tracing cannot compile runs eagerly with a ``JitWarning`` that says why.

    ``backend="numba"`` (the optional extra ``jit``) fuses chains of elementwise
    operations into compiled loops; the default, ``"numpy"``, needs nothing more.

    Arrays the function closes over are read when it is traced: pass data that
    changes between calls as an argument. Random numbers drawn inside the function
    are drawn once, when it is traced.

    >>> def loss(w):
    ...     return np.sum((w - 1.0) ** 2)
    >>> fast = cr.jit(cr.value_and_grad(loss))
    >>> value, gradient = fast(np.array([0.0, 3.0]))
    >>> gradient
    array([-2.,  4.])
    >>> print(fast.source(np.array([0.0, 3.0])))   # the generated code
    def compiled_loss(v0):
        v1 = subtract(v0, 1.0)
        ...
    """
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)
    if fun is None:
        return lambda f: Jitted(f, static_argnums, max_variants, backend)
    if not callable(fun):
        raise TypeError(f"cr.jit needs a function, got {type(fun).__name__}")
    return Jitted(fun, static_argnums, max_variants, backend)
