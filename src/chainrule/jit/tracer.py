"""Tracing: run a function once on arrays that record what is done to them.

A ``Tracer`` stands in for one array while a function is traced. It holds the
array's value (tracing runs the real computation, so Python control flow sees real
numbers) and the number of the program variable it is. Every NumPy call on a
tracer, through ``__array_ufunc__``, ``__array_function__``, an operator or an
ndarray method, is computed on the values and appended to the trace as one
``Equation``; chainrule primitives are recorded whole (see ``record_primitive``).

What cannot be recorded is refused, never baked in silently: turning a tracer into
a plain array (``np.asarray``, a buffer) raises ``UntraceableError``, and turning
it into a Python number or truth value (``if x > 0``, ``float(x)``, ``x.item()``)
adds a *guard*, a check that the compiled program repeats at run time.
"""

from __future__ import annotations

import operator
import weakref

import numpy as np

from .._core.arrays import is_lazy
from .._core.graph import Box
from .._core.primitive import strip
from .._core.state import version_of
from .program import Equation, Guard, Program, Var, leaves, map_leaves, method_call


class UntraceableError(TypeError):
    """The traced function did something a compiled program cannot repeat."""


# Functions whose result depends only on shapes and dtypes, not on values:
# computed while tracing and kept as constants.
_SHAPE_ONLY = {np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj,
               np.min_scalar_type, np.can_cast, np.broadcast_shapes}

# Functions whose output shape depends on the values of their inputs: the compiled
# program checks the shape it gets against the traced one.
_VALUE_SHAPED = {np.nonzero, np.flatnonzero, np.argwhere, np.unique, np.extract,
                 np.compress, np.trim_zeros, np.bincount, np.histogram, np.unique_values,
                 np.unique_counts, np.unique_inverse, np.unique_all, np.repeat,
                 np.delete, np.insert}

# ndarray methods that change the array in place.
_IN_PLACE_METHODS = {"fill", "sort", "put", "partition", "itemset", "resize", "setfield",
                     "byteswap"}


class Trace:
    """The program being recorded, and the variables made so far."""

    def __init__(self) -> None:
        self.program = Program()
        self.active = True

    def new_input(self, value) -> Tracer:
        var = self.program.new_var(value)
        self.program.inputs.append(var)
        return Tracer(self, var, value)

    def record(self, fn, args, kwargs, name: str | None = None, in_place: bool = False):
        """Compute ``fn(*args, **kwargs)`` on values and append it to the program."""
        self._check_active()
        values_args, values_kwargs = _values(args), _values(kwargs)
        if any(is_lazy(leaf) for leaf in leaves((values_args, values_kwargs))):
            raise UntraceableError(
                f"{name or getattr(fn, '__name__', 'an operation')} reads a Dask array: "
                f"cr.jit compiles functions of arrays in memory, and a function of Dask "
                f"data builds Dask's own lazy graph when run eagerly")
        result = fn(*values_args, **values_kwargs)
        if in_place:  # a write into the first argument: the statement has no result
            self.program.has_in_place = True
            self._append(fn, name, args, kwargs, (), in_place)
            return result
        outs = self._outputs(result)
        if outs is None:  # a Python value computed from traced values: guard it
            var = self.program.new_var(result)
            self._append(fn, name, args, kwargs, var, in_place)
            self.program.equations.append(Guard(var, "value", _plain(result)))
            return result
        self._append(fn, name, args, kwargs, outs, in_place)
        if fn in _VALUE_SHAPED or _is_mask_index(fn, args):
            for var in (outs if isinstance(outs, tuple) else (outs,)):
                self.program.equations.append(Guard(var, "shape", self.program.shapes[var]))
        return self._wrap(result, outs)

    def watch_tensor(self, tensor, value) -> None:
        """Read ``tensor``'s current ``value`` into the program as a constant, with a
        guard that retraces when the tensor changes (an optimiser's update, ``.data =``)."""
        if isinstance(value, np.ndarray):
            watched = WatchedTensor(tensor, value)
            self.program.equations.append(Guard(None, "unchanged", watched))

    def guard(self, tracer: Tracer, convert):
        """``convert(value)`` (``bool``, ``float`` ...), checked again at run time."""
        return self.record(convert, (tracer,), {})

    def _append(self, fn, name, args, kwargs, outs, in_place):
        self.program.equations.append(Equation(fn, name or _name_of(fn),
                                               _template(tuple(args), self),
                                               _template(kwargs, self), outs, in_place))

    def _outputs(self, result):
        """The variable(s) for a result: one Var, a tuple of Vars, or None."""
        if isinstance(result, (np.ndarray, np.generic)):
            return self.program.new_var(result)
        if isinstance(result, (tuple, list)) and result and all(
                isinstance(r, (np.ndarray, np.generic)) for r in result):
            return tuple(self.program.new_var(r) for r in result)
        return None

    def _wrap(self, result, outs):
        if isinstance(outs, Var):
            return Tracer(self, outs, result)
        items = [Tracer(self, v, r) for v, r in zip(outs, result)]
        if isinstance(result, list):
            return items
        return type(result)(*items) if hasattr(result, "_fields") else tuple(items)

    def _check_active(self) -> None:
        if not self.active:
            raise UntraceableError(
                "a value traced by cr.jit was used after its trace ended (it was kept in "
                "a global or a closure); return it from the jitted function instead")


class WatchedTensor:
    """A tensor whose value a program holds as a constant, and the value's version then."""

    __slots__ = ("tensor", "value", "version")

    def __init__(self, tensor, value) -> None:
        self.tensor = weakref.ref(tensor)
        self.value = value
        self.version = version_of(value)

    def unchanged(self) -> bool:
        tensor = self.tensor()
        return (tensor is not None and strip(tensor) is self.value
                and version_of(self.value) == self.version)

    def __repr__(self) -> str:
        return f"<tensor of shape {self.value.shape}>"


def _plain(value):
    return value.tolist() if isinstance(value, np.ndarray) else value


def _is_mask_index(fn, args) -> bool:
    """Whether this is indexing by a boolean array (its shape depends on values)."""
    if fn is not _getitem or len(args) < 2:
        return False
    index = args[1] if isinstance(args[1], tuple) else (args[1],)
    return any(np.asarray(_value(i)).dtype == bool and np.ndim(_value(i)) > 0
               for i in index if isinstance(i, (Tracer, np.ndarray, list)))


def _name_of(fn) -> str:
    if isinstance(fn, np.ufunc):
        return fn.__name__
    module = getattr(fn, "__module__", "") or ""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "fn")
    if module.startswith("numpy") and "." not in name:
        return name
    return name.replace(".", "_").replace("<", "").replace(">", "")


def _value(x):
    return x._data if type(x) is Tracer else x


def _values(tree):
    """``tree`` with every tracer replaced by its value (lists, tuples and dicts)."""
    return map_leaves(tree, _value)


def _template(tree, trace):
    """``tree`` with every tracer replaced by its variable, checked to be of ``trace``."""
    def variable(x):
        if type(x) is not Tracer:
            return x
        if x._trace is not trace:
            raise UntraceableError(
                "a value from another cr.jit trace reached this one; pass values into a "
                "jitted function as arguments")
        return x._var
    return map_leaves(tree, variable)


def trace_of(tree) -> Trace | None:
    """The trace of the first tracer in ``tree`` (nested lists, tuples, dicts), if any."""
    return next((x._trace for x in leaves(tree) if type(x) is Tracer), None)


def holds_tracer(tree) -> bool:
    """Whether ``tree`` (an argument list, nested lists, tuples or dicts) holds a tracer."""
    return trace_of(tree) is not None

def traced_value(leaf):
    """The array a leaf is traced as (a Tensor's value, a number as a 0-d array), or
    None for a leaf that is part of the signature (ints, bools, strings, objects)."""
    if isinstance(leaf, Box):
        return leaf._value
    if type(leaf) is np.ndarray:
        return leaf
    if isinstance(leaf, np.ndarray):  # a subclass: traced as the array it holds
        return np.asarray(leaf)
    if isinstance(leaf, (float, complex, np.generic)) and not isinstance(leaf, (bool, np.bool_)):
        return np.asarray(leaf)
    return None


def output_of(leaf, trace: Trace):
    """(kind, program output) for one leaf of the traced function's result."""
    if isinstance(leaf, Box):
        if leaf._node is not None:
            raise UntraceableError("the jitted function returned a value still being "
                                   "differentiated; return plain results")
        inner = leaf._value
        if type(inner) is Tracer:
            _check_own(inner, trace)
            return "tensor", inner._var
        return "constant", inner
    if type(leaf) is Tracer:
        _check_own(leaf, trace)
        return "array", leaf._var
    return "constant", leaf


def _check_own(tracer: Tracer, trace: Trace) -> None:
    if tracer._trace is not trace:
        raise UntraceableError("the jitted function returned a value from another trace")


def _getitem(a, index):
    return a[index]


def _setitem(a, index, value):
    a[index] = value


def _ndarray_method(name):
    method = method_call(name)

    def call(self, *args, **kwargs):
        return self._trace.record(method, (self,) + args, kwargs, name=f".{name}",
                                 in_place=name in _IN_PLACE_METHODS)
    call.__name__ = name
    return call


def _binary(ufunc, reflected=False):
    if reflected:
        return lambda self, other: ufunc(other, self)
    return lambda self, other: ufunc(self, other)


class Tracer:
    """An array being traced by ``cr.jit``: its value and its program variable."""

    __slots__ = ("_trace", "_var", "_data")
    __array_priority__ = 100.0
    recorded_by_trace = True  # the engine keeps this call's constants uncopied (see api.py)
    base = None  # the engine asks for a memory owner: a tracer is its own

    def __init__(self, trace: Trace, var: Var, value):
        self._trace = trace
        self._var = var
        self._data = value

    def __repr__(self) -> str:
        return f"Tracer(v{self._var}, shape={self._data.shape}, dtype={self._data.dtype})"

    # --- what does not depend on values --------------------------------------
    shape = property(lambda self: self._data.shape)
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: self._data.ndim)
    size = property(lambda self: self._data.size)
    itemsize = property(lambda self: self._data.itemsize)
    nbytes = property(lambda self: self._data.nbytes)

    def __len__(self) -> int:
        return len(self._data)

    # --- NumPy's protocols -----------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if any(not isinstance(x, (Tracer, np.ndarray, np.generic, int, float, complex,
                                  bool, type(None), list, tuple)) for x in inputs):
            return NotImplemented  # a Tensor (or another array type) takes it from here
        fn = ufunc if method == "__call__" else getattr(ufunc, method)
        name = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
        if "out" in kwargs:
            return self._into_out(fn, name, inputs, kwargs)
        return self._trace.record(fn, inputs, kwargs, name=name)

    def _into_out(self, fn, name, inputs, kwargs):
        out = kwargs.pop("out")
        outs = out if isinstance(out, tuple) else (out,)
        result = self._trace.record(fn, inputs, kwargs, name=name)
        results = result if isinstance(result, tuple) else (result,)
        for target, value in zip(outs, results):
            if target is not None:
                _assign(target, Ellipsis, value)
        return out

    def __array_function__(self, func, types, args, kwargs):
        if any(not issubclass(t, (Tracer, np.ndarray)) for t in types):
            return NotImplemented
        if func in _SHAPE_ONLY:
            return func(*_values(args), **_values(kwargs))
        if "out" in kwargs and kwargs["out"] is not None:
            out = kwargs.pop("out")
            _assign(out, Ellipsis, self._trace.record(func, args, kwargs))
            return out
        return self._trace.record(func, args, kwargs)

    def __array_namespace__(self, api_version=None):
        return np  # NumPy's functions dispatch to a tracer: it is an array operand

    def __array__(self, dtype=None, copy=None):
        raise UntraceableError(
            f"cr.jit cannot compile a conversion of a traced value (shape {self.shape}) "
            f"into a plain NumPy array (np.asarray, np.array, a buffer, or a NumPy function "
            f"that chainrule does not see); use NumPy functions on it instead")

    # --- conversions to Python values become guards ----------------------------
    def __bool__(self) -> bool:
        return self._trace.guard(self, bool)

    def __float__(self) -> float:
        return self._trace.guard(self, float)

    def __int__(self) -> int:
        return self._trace.guard(self, int)

    def __complex__(self) -> complex:
        return self._trace.guard(self, complex)

    def __index__(self) -> int:
        return self._trace.guard(self, operator.index)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # --- indexing ---------------------------------------------------------------
    def __getitem__(self, index):
        return self._trace.record(_getitem, (self, index), {}, name="getitem")

    def __setitem__(self, index, value) -> None:
        _assign(self, index, value)

    # --- attributes that are arrays ---------------------------------------------
    T = property(lambda self: self._trace.record(np.transpose, (self,), {}))
    mT = property(lambda self: self._trace.record(np.matrix_transpose, (self,), {}))
    real = property(lambda self: self._trace.record(np.real, (self,), {}))
    imag = property(lambda self: self._trace.record(np.imag, (self,), {}))
    flat = property(lambda self: self._trace.record(np.ravel, (self,), {}))

    def __getattr__(self, name: str):
        if callable(getattr(np.ndarray, name, None)) and not name.startswith("_"):
            return _ndarray_method(name).__get__(self)
        raise AttributeError(f"'Tracer' (a value traced by cr.jit) has no attribute {name!r}")

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self):
        return self._trace.record(np.copy, (self,), {})

    def __deepcopy__(self, memo):
        return self.__copy__()


def _assign(target, index, value) -> None:
    """``target[index] = value`` where ``target`` is a tracer: recorded in place."""
    if type(target) is not Tracer:
        raise UntraceableError(
            "cr.jit cannot compile writing a traced value into a plain NumPy array "
            "(out=... or an index assignment); write into an array made from the traced "
            "values (np.zeros_like(x)) instead")
    target._trace.record(_setitem, (target, index, value), {}, name="setitem", in_place=True)


_OPERATORS = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
    "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power, "matmul": np.matmul,
    "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor,
    "lshift": np.left_shift, "rshift": np.right_shift, "divmod": np.divmod,
}
for _name, _ufunc in _OPERATORS.items():
    setattr(Tracer, f"__{_name}__", _binary(_ufunc))
    setattr(Tracer, f"__r{_name}__", _binary(_ufunc, reflected=True))
for _name, _ufunc in {"lt": np.less, "le": np.less_equal, "gt": np.greater,
                      "ge": np.greater_equal, "eq": np.equal, "ne": np.not_equal}.items():
    setattr(Tracer, f"__{_name}__", _binary(_ufunc))
for _name, _ufunc in {"neg": np.negative, "pos": np.positive, "abs": np.absolute,
                      "invert": np.invert}.items():
    setattr(Tracer, f"__{_name}__", lambda self, _u=_ufunc: _u(self))


def _in_place(ufunc):
    def apply(self, other):
        ufunc(self, other, out=self)
        return self
    return apply


for _name, _ufunc in {"add": np.add, "sub": np.subtract, "mul": np.multiply,
                      "truediv": np.true_divide, "floordiv": np.floor_divide, "mod": np.remainder,
                      "pow": np.power, "matmul": np.matmul, "and": np.bitwise_and,
                      "or": np.bitwise_or, "xor": np.bitwise_xor}.items():
    setattr(Tracer, f"__i{_name}__", _in_place(_ufunc))
