"""``vmap``: run a function written for one example on a whole batch at once.

Inside ``vmap(f)(xs)``, ``f`` sees each mapped input as a ``Batched`` value: the
stacked array (batch axis in front) presenting the shape of one example. NumPy calls
on it dispatch to chainrule's primitives, and a primitive called with batched inputs
is evaluated once for the whole batch where its rules allow it:

- elementwise primitives (ufuncs and the like, ``Broadcasting`` batching) run on the
  stack, each example's axes lined up behind the batch axis;
- ``matmul`` and the stacked linear algebra of ``numpy.linalg`` run on the stack;
- a primitive that is linear in its batched inputs (a sum, a reshape, an index, a
  product with one batched factor) is its own derivative, so its batched forward-mode
  rule (``prim.batching``, the one ``jacfwd`` pushes a basis through) maps the stack;
- any other primitive loops over the examples (correct, slower).

``Batched`` values live *under* chainrule's traced boxes: ``vmap(grad(f))`` records
the gradient's graph over batched values and runs its rules on them. Inputs traced by
an enclosing transform (``grad(lambda w: vmap(f, in_axes=(None, 0))(w, xs).sum())``)
make the batched run one primitive of them, whose rules are vmaps of the per-example
``vjp`` and ``jvp``. What cannot be vectorised falls back to a Python loop over the
examples, stacked: Python control flow on a batched value (``if x > 0``,
``float(x)``), and a closure over a value traced by an enclosing transform, whose
derivative the loop then records.

Primitive calls reach the batching rules through the engine's trace hook, the one
``cr.jit`` uses to record them, so the per-operation path of the engine is unchanged.
"""

from __future__ import annotations

import functools
import inspect
import math
import string
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from ._core import primitive as _primitive
from ._core.batching import BROADCASTING
from ._core.forward import TangentNode, array_functions
from ._core.graph import Box
from ._core.primitive import strip
from ._pytree import flatten, unflatten
from .jit import api as _jit_api  # installs its trace hook first; vmap's wraps it
from .ops import indexing
from .ops.registry import FUNCTIONS, PRIMITIVES, UFUNCS
from .tensor import Tensor
from .tensor_operators import TensorOperators, strip_tree
from .transforms import jvp, vjp

__all__ = ["vmap"]


class _NeedsLoop(Exception):
    """Raised inside a vectorised run for what only a loop over examples can do."""


class Batched(TensorOperators):
    """A batch of values inside ``vmap``: ``data`` stacked on axis 0, shaped as one example.

    ``level`` tells nested ``vmap`` calls apart: the innermost (highest) is handled first.
    """

    __slots__ = ("data", "level")
    __array_priority__ = 10000.0
    base = None  # the engine asks for a memory owner when checking in-place changes

    def __init__(self, data: Any, level: int):
        self.data = data
        self.level = level

    shape = property(lambda self: tuple(self.data.shape[1:]))
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: len(self.data.shape) - 1)
    size = property(lambda self: math.prod(self.data.shape[1:]))
    T = property(lambda self: np.transpose(self))
    mT = property(lambda self: np.swapaxes(self, -1, -2))
    real = property(lambda self: np.real(self))
    imag = property(lambda self: np.imag(self))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        # A Tensor or ndarray attribute with no batched version: each example has it.
        raise _NeedsLoop(f"attribute {name!r}")

    def __repr__(self) -> str:
        return f"Batched(shape={self.shape}, dtype={self.dtype}, batch={self.data.shape[0]})"

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d batched value (one example is a scalar)")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, index: Any) -> Any:
        return indexing.getitem(self, indexing.plain_index(index))

    def __setitem__(self, index: Any, value: Any) -> None:
        raise _NeedsLoop("index assignment")

    def astype(self, dtype: Any) -> Any:
        """Cast to ``dtype`` (see ``Tensor.astype``)."""
        if np.dtype(dtype).kind in "fc":
            return indexing.astype(self, dtype)
        return Batched(self.data.astype(dtype), self.level)  # no derivative to keep

    def copy(self) -> Any:
        """A copy."""
        return np.copy(self)

    @staticmethod
    def _wrap(value: Any) -> Any:
        return value  # comparisons give a batched value already

    def _in_place(self, prim, other):
        raise _NeedsLoop("in-place arithmetic")

    # Python values of one example depend on the example: only a loop can give them.
    def _needs_loop(self, *args: Any, **kwargs: Any):
        raise _NeedsLoop("a Python value of a batched value")

    def __and__(self, other: Any) -> Any:
        return np.bitwise_and(self, other)

    def __rand__(self, other: Any) -> Any:
        return np.bitwise_and(other, self)

    def __or__(self, other: Any) -> Any:
        return np.bitwise_or(self, other)

    def __ror__(self, other: Any) -> Any:
        return np.bitwise_or(other, self)

    def __xor__(self, other: Any) -> Any:
        return np.bitwise_xor(self, other)

    def __rxor__(self, other: Any) -> Any:
        return np.bitwise_xor(other, self)

    def __invert__(self) -> Any:
        return np.invert(self)

    __bool__ = __float__ = __int__ = __index__ = __complex__ = _needs_loop
    item = tolist = __array__ = _needs_loop
    __hash__ = None  # type: ignore[assignment]

    def __array_namespace__(self, api_version: Any = None):
        return np  # an array operand (Tensors take part in operations with it)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs:
            prim = UFUNCS.get(ufunc)
            if prim is not None:
                return prim(*inputs)
            return _elementwise(ufunc, _top_level(inputs), strip_tree(inputs), {})
        if "out" in kwargs:
            raise _NeedsLoop("out=")
        function = ufunc if method == "__call__" else getattr(ufunc, method)
        return _loop_function(function, strip_tree(inputs), strip_tree(kwargs))

    def __array_function__(self, func, types, args, kwargs):
        if func in _SHAPE_ONLY:
            return func(*_examples(args), **_examples(kwargs))
        handler = FUNCTIONS.get(func)
        if handler is not None and func not in _local.handling:
            # A handler may call the same function on the plain values it unwrapped,
            # which are batched here: that inner call loops over the examples.
            _local.handling.add(func)
            try:
                return handler(*args, **kwargs)
            finally:
                _local.handling.discard(func)
        if func in _LIKE and "shape" not in kwargs and type(args[0]) is Batched:
            return Batched(func(args[0].data, *args[1:], **kwargs), args[0].level)
        return _loop_function(func, strip_tree(args), strip_tree(kwargs))


class _Local(threading.local):
    depth = 0  # how many vmap calls are vectorising in this thread

    def __init__(self) -> None:
        self.handling: set = set()  # NumPy functions whose handler is running


_local = _Local()

# Functions of shapes and dtypes only: one example answers for all.
_SHAPE_ONLY = {np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj,
               np.min_scalar_type, np.can_cast, np.broadcast_shapes}
_LIKE = {np.zeros_like, np.ones_like, np.empty_like, np.full_like}


# --- finding batched values ------------------------------------------------------

def _top_level(tree) -> int:
    """The highest ``vmap`` level of a batched value in ``tree`` (-1 if none)."""
    if type(tree) is Batched:
        return tree.level
    if type(tree) in (tuple, list):
        return max((_top_level(item) for item in tree), default=-1)
    if type(tree) is dict:
        return max((_top_level(v) for v in tree.values()), default=-1)
    return -1


def _member_of(tree, index: int, level: int):
    """``tree`` with each batched value of ``level`` replaced by its example ``index``."""
    if type(tree) is Batched:
        return tree.data[index] if tree.level == level else tree
    if type(tree) in (tuple, list):
        return type(tree)(_member_of(item, index, level) for item in tree)
    if type(tree) is dict:
        return {k: _member_of(v, index, level) for k, v in tree.items()}
    return tree


def _examples(tree):
    """``tree`` with each batched value replaced by a stand-in of one example's shape."""
    if type(tree) is Batched:
        return np.broadcast_to(np.zeros((), tree.dtype), tree.shape)
    if type(tree) in (tuple, list):
        return type(tree)(_examples(item) for item in tree)
    if type(tree) is dict:
        return {k: _examples(v) for k, v in tree.items()}
    return tree


def _batch_size(tree, level: int) -> int:
    leaves = flatten(tree)[0]
    return next(x.data.shape[0] for x in leaves if type(x) is Batched and x.level == level)


# --- batching rules -----------------------------------------------------------------

def _batching_hook(previous: Callable) -> Callable:
    """The engine's trace hook: batched calls here, the rest to ``previous`` (cr.jit)."""

    def hook(prim, args, kwargs):
        level = _top_level(args)
        if level < 0 and kwargs:
            level = _top_level(kwargs)
        if level < 0:
            return previous(prim, args, kwargs)
        return _batched_call(prim, args, kwargs, level)

    return hook


def _batched_call(prim, args, kwargs, level: int):
    """``prim(*args, **kwargs)`` for every example at once: a ``Batched`` of ``level``."""
    batched = [i for i, a in enumerate(args) if type(a) is Batched and a.level == level]
    flat = len(batched) == sum(_top_level(a) == level for a in args) and \
        _top_level(kwargs) < level
    if flat and batched:
        for rule in _rules_for(prim):
            result = rule(prim, args, kwargs, batched, level)
            if result is not None:
                return Batched(result, level)
    return _loop_function(prim, args, kwargs, level)


def _rules_for(prim) -> tuple:
    if prim in _ELEMENTWISE or (prim.batching is BROADCASTING and _is_special_function(prim)):
        return (_elementwise_rule,)
    if prim is PRIMITIVES["matmul"]:
        return (_matmul_rule, _linear_rule)
    if prim is PRIMITIVES["einsum"]:
        return (_einsum_rule, _linear_rule)
    if prim in _STACKED_LINALG:
        return (_stacked_rule,)
    if prim in _ALONG_AXES:
        return (_along_axes_rule,)
    if prim is _LINEAR_LAYER:
        return (_first_argument_rule,)
    if prim in _LINEAR:
        return (_linear_rule,)
    return ()


def _is_special_function(prim) -> bool:
    """A ufunc, or a function of chainrule.scipy.special (all of them elementwise)."""
    return isinstance(prim.fun, np.ufunc) or \
        getattr(prim.fun, "__module__", None) == "chainrule.scipy.special"


def _front(data, missing: int):
    """A stack reshaped so that each example broadcasts with ``missing`` more axes."""
    if missing <= 0:
        return data
    shape = tuple(data.shape)
    return np.reshape(data, shape[:1] + (1,) * missing + shape[1:])


def _elementwise_rule(prim, args, kwargs, batched, level):
    """Elementwise: examples lined up behind the batch axis, one call on the stack."""
    out_ndim = max(_ndim(a) for a in args)
    return prim(*[_front(a.data, out_ndim - a.ndim) if i in batched else a
                  for i, a in enumerate(args)], **kwargs)


def _elementwise(ufunc, level: int, inputs, kwargs):
    """A ufunc without a derivative (comparisons, predicates) on batched inputs."""
    out_ndim = max(_ndim(a) for a in inputs)
    aligned = [_front(a.data, out_ndim - a.ndim) if type(a) is Batched and a.level == level
               else a for a in inputs]
    result = ufunc(*aligned, **kwargs)
    if isinstance(result, tuple):
        return tuple(Batched(r, level) for r in result)
    return Batched(result, level)


def _matmul_rule(prim, args, kwargs, batched, level):
    """``a @ b`` on stacks: a vector becomes a one-row (a) or one-column (b) matrix."""
    a, b = args
    a_vector, b_vector = _ndim(a) == 1, _ndim(b) == 1
    if kwargs or not _ndim(a) or not _ndim(b):
        return None
    ndim = max(_ndim(a) + a_vector, _ndim(b) + b_vector)
    out = prim(_as_matrix(a, 0 in batched, a_vector, -2, ndim),
               _as_matrix(b, 1 in batched, b_vector, -1, ndim))
    if b_vector:
        out = out[..., 0]
    if a_vector:
        out = out[..., 0] if b_vector else out[..., 0, :]
    return out


def _einsum_rule(prim, args, kwargs, batched, level):
    """einsum (its subscripts explicit): the batch gets a label of its own."""
    subscripts = kwargs.get("subscripts", "")
    label = next((c for c in string.ascii_letters if c not in subscripts), None)
    if label is None or "->" not in subscripts or "." in subscripts:
        return None
    inputs, output = subscripts.split("->")
    terms = [label + term if i in batched else term for i, term in enumerate(inputs.split(","))]
    return prim(*[a.data if i in batched else a for i, a in enumerate(args)],
                **{**kwargs, "subscripts": ",".join(terms) + "->" + label + output})


def _as_matrix(x, is_batched: bool, vector: bool, axis: int, ndim: int):
    if not is_batched:
        return np.expand_dims(x, axis) if vector else x
    data = np.expand_dims(x.data, axis) if vector else x.data
    return _front(data, ndim - (x.ndim + vector))


def _stacked_rule(prim, args, kwargs, batched, level):
    """NumPy's linear algebra maps over leading axes of stacked matrices."""
    if any(_ndim(a) < 2 for a in args if hasattr(a, "shape")):
        return None
    out_ndim = max(_ndim(a) for a in args)
    out = prim(*[_front(a.data, out_ndim - a.ndim) if i in batched else a
                 for i, a in enumerate(args)], **kwargs)
    return out if np.shape(out)[:1] == (_batch_size(args, level),) else None


def _along_axes_rule(prim, args, kwargs, batched, level):
    """Reductions, scans and transforms along ``axis``: the same axes one further on."""
    if batched != [0] or len(args) != 1:
        return None
    parameter = _axis_parameter(prim)
    axis = kwargs.get("axis", parameter.default)
    ndim = args[0].ndim
    if axis is None:
        if parameter.name == "flattens":
            return None
        shifted = tuple(range(1, ndim + 1))
    elif not ndim:
        return None
    elif isinstance(axis, tuple):
        shifted = tuple(a % ndim + 1 for a in axis)
    else:
        shifted = axis % ndim + 1
    return prim(args[0].data, **{**kwargs, "axis": shifted})


@functools.cache
def _axis_parameter(prim) -> inspect.Parameter:
    """The ``axis`` parameter of ``prim``'s function (renamed "flattens" when None
    flattens the input rather than meaning every axis)."""
    parameter = inspect.signature(prim.fun).parameters["axis"]
    if prim.name in ("cumprod", "sort"):
        parameter = parameter.replace(name="flattens")
    return parameter


def _first_argument_rule(prim, args, kwargs, batched, level):
    """A primitive acting on the last axes of its first argument maps its leading ones."""
    if batched != [0] or not args[0].ndim:
        return None
    return prim(args[0].data, *args[1:], **kwargs)


def _linear_rule(prim, args, kwargs, batched, level):
    """A primitive linear in its batched inputs maps a stack as its batched JVP rule does.

    Multilinear products (``_LINEAR[prim]`` is "each") take one batched factor; jointly
    linear maps ("all") take any, their unbatched inputs broadcast over the batch.
    """
    kind, argnums = _LINEAR[prim]
    linear = range(len(args)) if argnums == "all" else argnums
    if any(i not in linear for i in batched) or (kind == "each" and len(batched) != 1):
        return None
    size = _batch_size(args, level)
    examples = [a.data[0] if i in batched else a for i, a in enumerate(args)]
    ans = prim(*examples, **kwargs)
    parents = [None] * len(args)
    for i, a in enumerate(args):
        if i in batched:
            parents[i] = TangentNode(0, a.data, batched=True)
        elif kind == "all" and i in linear and hasattr(a, "shape"):
            parents[i] = TangentNode(0, np.broadcast_to(a, (size,) + tuple(a.shape)), True)
    out = prim.batching.jvp(prim, ans, examples, kwargs, parents)
    if tuple(out.shape) != (size,) + tuple(ans.shape) or out.dtype != ans.dtype:
        return None
    return out


def _ndim(x) -> int:
    return x.ndim if type(x) is Batched else np.ndim(x)


def _loop_function(function, args, kwargs, level: int | None = None):
    """``function`` once per example, the results stacked (Python values must agree)."""
    if level is None:
        level = _top_level((args, kwargs))
    size = _batch_size((args, kwargs), level)
    results = [function(*_member_of(args, i, level), **_member_of(kwargs, i, level))
               for i in range(size)]
    first = results[0]
    if isinstance(first, tuple) and first and all(hasattr(r, "shape") for r in first):
        return type(first)(*(Batched(array_functions.stack(parts), level)
                              for parts in zip(*results))) if hasattr(first, "_fields") \
            else tuple(Batched(array_functions.stack(parts), level) for parts in zip(*results))
    if hasattr(first, "shape") and hasattr(first, "dtype"):
        if any(isinstance(r, Box) and r._node is not None for r in results):
            raise _NeedsLoop("a traced result")
        return Batched(array_functions.stack(results), level)
    if all(_same(r, first) for r in results[1:]):
        return first
    raise _NeedsLoop("a Python value that differs between examples")


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001  (incomparable values: not the same)
        return False


def _named(*names: str) -> set:
    return {PRIMITIVES[name] for name in names if name in PRIMITIVES}


_ELEMENTWISE = {p for p in UFUNCS.values() if p is not PRIMITIVES["matmul"]} | _named(
    "real", "imag", "angle", "astype", "copy", "where", "clip", "relu", "sigmoid",
    "normal_cdf", "sinc", "cross")
_ALONG_AXES = _named("max", "min", "prod", "var", "std", "logsumexp", "softmax", "log_softmax",
                     "vector_norm", "cumprod", "sort", "fft", "ifft", "rfft", "irfft")
_LINEAR_LAYER = PRIMITIVES.get("linear")
_STACKED_LINALG = _named("inv", "det", "logabsdet", "pinv", "cholesky", "eigh_values",
                         "eigh_vectors", "svd_values", "svd_u", "svd_vh", "qr_q", "qr_r",
                         "eigvals", "eig_vectors", "solve")
# Linear primitives: ("all", argnums) jointly linear in those inputs, ("each", argnums)
# linear in each of them when the others are held fixed.
_LINEAR = {PRIMITIVES[name]: rule for name, rule in {
    "getitem": ("all", (0,)), "scatter_add": ("all", (0,)), "zeros_at": ("all", (0,)),
    "sum": ("all", (0,)), "expand_reduced": ("all", (0,)), "mean": ("all", (0,)),
    "cumsum": ("all", (0,)), "reverse_cumsum": ("all", (0,)), "reshape": ("all", (0,)),
    "transpose": ("all", (0,)), "broadcast_to": ("all", (0,)), "concatenate": ("all", "all"),
    "flip": ("all", (0,)), "roll": ("all", (0,)), "triu": ("all", (0,)),
    "tril": ("all", (0,)), "trace": ("all", (0,)), "embed_diagonal": ("all", (0,)),
    "matmul": ("each", (0, 1)), "tensordot": ("each", (0, 1)), "outer": ("each", (0, 1)),
    "einsum": ("each", "all"), "kron": ("each", (0, 1)),
}.items() if name in PRIMITIVES}

_primitive.set_trace_hook(_batching_hook(_primitive._traced_call))
_jit_api.run_inline_for(Batched)  # jit(f) inside vmap runs f on the batch


# --- vmap itself --------------------------------------------------------------------



def _next_level() -> int:
    return _local.depth + 1


class _Vectorising:
    """While open, primitive calls go through the trace hook, which sees batched values."""

    def __enter__(self) -> int:
        self.level = _next_level()
        _local.depth = self.level
        _primitive.count_open_traces(+1)
        return self.level

    def __exit__(self, *exc: object) -> None:
        _primitive.count_open_traces(-1)
        _local.depth = self.level - 1


def vmap(fun: Callable[..., Any], in_axes: Any = 0, out_axes: Any = 0,
         axis_size: int | None = None) -> Callable[..., Any]:
    """Vectorise ``fun`` over a batch axis of its inputs, as JAX's ``vmap`` does.

    ``in_axes`` says which axis of each positional argument is the batch axis: an int
    for all of them, None for an argument that is the same for every example, or a
    tuple with one entry per argument, each entry an int, None or a tuple, list or dict
    matching that argument's structure. Keyword arguments are mapped over axis 0.
    ``out_axes`` places the batch axis in the outputs (int, None for an output that
    does not depend on the example, or a structure matching the output). With no
    mapped input, ``axis_size`` gives the batch size.

    >>> def loss(w, x, y):
    ...     return (np.dot(w, x) - y) ** 2
    >>> w, xs, ys = np.array([1.0, 2.0]), np.eye(2), np.array([0.0, 1.0])
    >>> cr.vmap(cr.grad(loss), in_axes=(None, 0, 0))(w, xs, ys)   # one gradient per example
    array([[2., 0.],
           [0., 2.]])

    It composes with every transform: ``vmap(grad(f))`` gives per-example gradients,
    ``grad(lambda w: vmap(f, in_axes=(None, 0))(w, xs).sum())`` differentiates
    through it, and ``jit(vmap(f))`` compiles it.
    """
    if not callable(fun):
        raise TypeError(f"vmap needs a function, got {type(fun).__name__}")
    _check_axes_spec(in_axes, "in_axes")
    _check_axes_spec(out_axes, "out_axes")

    @functools.wraps(fun)
    def vmapped(*args: Any, **kwargs: Any) -> Any:
        leaves, structure = flatten((args, kwargs))
        axes = _leaf_axes(in_axes, args, kwargs)
        size = _common_size(leaves, axes, axis_size)
        traced = any(isinstance(x, Box) and x._node is not None for x in leaves)
        try:
            if traced:
                return _as_one_primitive(fun, leaves, axes, structure, size, out_axes)
            return _vectorised(fun, leaves, axes, structure, size, out_axes)
        except _NeedsLoop:
            return _looped(fun, leaves, axes, structure, size, out_axes)

    return vmapped


def _check_axes_spec(spec: Any, what: str) -> None:
    for leaf in flatten(spec)[0]:
        if leaf is not None and not isinstance(leaf, (int, np.integer)):
            raise TypeError(f"vmap {what} entries must be ints or None, got {leaf!r} "
                            f"(of type {type(leaf).__name__})")


def _leaf_axes(in_axes: Any, args: tuple, kwargs: dict) -> list:
    """The batch axis (or None) of every leaf of ``(args, kwargs)``, in flatten order."""
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if isinstance(in_axes, tuple):
        if len(in_axes) != len(args):
            raise ValueError(f"vmap in_axes has {len(in_axes)} entries but the function got "
                             f"{len(args)} positional arguments; give one entry per argument "
                             f"(None for an argument that is not mapped)")
        per_arg = in_axes
    elif in_axes is None or isinstance(in_axes, (int, np.integer)):
        per_arg = (in_axes,) * len(args)
    else:
        raise TypeError(f"vmap in_axes must be an int, None, or a tuple with one entry per "
                        f"positional argument, got {type(in_axes).__name__}")
    axes = []
    for number, (arg, spec) in enumerate(zip(args, per_arg)):
        axes.extend(_broadcast_prefix(spec, arg, f"argument {number}"))
    for name, value in kwargs.items():
        axes.extend(_broadcast_prefix(0, value, f"keyword argument {name!r}"))
    return axes


def _broadcast_prefix(spec: Any, tree: Any, where: str) -> list:
    """One axis per leaf of ``tree``, from ``spec``: a leaf, or a prefix of its structure."""
    if spec is None or isinstance(spec, (int, np.integer)):
        return [spec] * len(flatten(tree)[0])
    if isinstance(spec, dict) and isinstance(tree, dict) and set(spec) == set(tree):
        return [a for key in tree for a in _broadcast_prefix(spec[key], tree[key], where)]
    if isinstance(spec, (tuple, list)) and isinstance(tree, (tuple, list)) \
            and len(spec) == len(tree):
        return [a for s, t in zip(spec, tree) for a in _broadcast_prefix(s, t, where)]
    raise ValueError(f"vmap in_axes entry {spec!r} for {where} does not match its structure "
                     f"({type(tree).__name__}); give an int, None, or a structure like it")


def _common_size(leaves: list, axes: list, axis_size: int | None) -> int:
    sizes = set()
    for leaf, axis in zip(leaves, axes):
        if axis is None:
            continue
        shape = np.shape(strip(leaf))
        if not -len(shape) <= axis < len(shape):
            raise ValueError(f"vmap cannot map axis {axis} of an input of shape {shape}; "
                             f"pick an axis it has, or None for an input not mapped")
        sizes.add(shape[axis])
    if len(sizes) > 1:
        raise ValueError(f"vmap got mapped inputs of different sizes along their batch "
                         f"axes: {sorted(sizes)}; every mapped axis must have the same size")
    if sizes:
        size = sizes.pop()
        if axis_size is not None and axis_size != size:
            raise ValueError(f"vmap axis_size={axis_size} but the mapped inputs have {size}")
        return size
    if axis_size is None:
        raise ValueError("vmap got no mapped input (every in_axes entry is None); pass "
                         "axis_size= to say how many times to run the function")
    return int(axis_size)


def _vectorised(fun, leaves, axes, structure, size, out_axes):
    with _Vectorising() as level:
        inputs = [leaf if axis is None else
                  Batched(np.moveaxis(strip(leaf), axis, 0), level)
                  for leaf, axis in zip(leaves, axes)]
        args, kwargs = unflatten(structure, inputs)
        out = fun(*args, **kwargs)
        out_leaves, out_structure = flatten(out)
        spec = _out_axes(out_axes, out, len(out_leaves))
        results = [_unbatched_output(leaf, axis, level, size)
                   for leaf, axis in zip(out_leaves, spec)]
    if any(isinstance(leaf, Tensor) for leaf in leaves):
        results = [Tensor._wrap(r) if isinstance(r, np.ndarray) else r for r in results]
    return unflatten(out_structure, results)


def _out_axes(out_axes: Any, out: Any, count: int) -> list:
    if out_axes is None or isinstance(out_axes, (int, np.integer)):
        return [out_axes] * count
    if isinstance(out_axes, list):
        out_axes = tuple(out_axes)
    if isinstance(out, list):
        out = tuple(out)
    return _broadcast_prefix(out_axes, out, "the output").copy()


def _unbatched_output(leaf: Any, axis: int | None, level: int, size: int) -> Any:
    """An output of the vectorised run as a stacked array with the batch on ``axis``."""
    if isinstance(leaf, Box):
        if leaf._node is not None:
            raise _NeedsLoop("an output traced by an enclosing transform")
        leaf = strip(leaf)
    if type(leaf) is Batched and leaf.level == level:
        if axis is None:
            raise ValueError("vmap out_axes is None for an output that depends on the "
                             "mapped inputs; give it an axis")
        return np.moveaxis(leaf.data, 0, axis)
    if axis is None:
        return leaf
    shape = np.shape(leaf)
    stacked = np.broadcast_to(leaf, (size,) + tuple(shape))
    if isinstance(stacked, np.ndarray):
        stacked = stacked.copy()
    return np.moveaxis(stacked, 0, axis)


def _as_one_primitive(fun, leaves, axes, structure, size, out_axes):
    """vmap of inputs traced by an enclosing transform, as one primitive of those inputs.

    Its forward function is the batched run on their values (its outputs laid end to
    end in one array when there are several); its rules are vmaps of the per-example
    ``vjp`` and ``jvp`` (an unmapped input's cotangent summed over the examples),
    written with transforms, so every order works.
    """
    traced = [i for i, x in enumerate(leaves) if isinstance(x, Box) and x._node is not None]
    layout = _Layout()

    def with_traced(values):
        full = list(leaves)
        for i, value in zip(traced, values):
            full[i] = value
        return full

    def run(*values):
        return layout.join(_vectorised(fun, with_traced(values), axes, structure, size,
                                       out_axes), out_axes)

    def call_on(full, changed: dict):
        full = list(full)
        for i, value in changed.items():
            full[i] = value
        args, kwargs = unflatten(structure, full)
        return fun(*args, **kwargs)

    def vjp_rule(g, ans, *values):
        def per_example(*example):
            full, g_example = example[:len(leaves)], example[len(leaves):]
            _, pull = vjp(lambda *xs: call_on(full, dict(zip(traced, xs))),
                          *[full[i] for i in traced])
            return pull(unflatten(layout.structure, list(g_example)))

        gs = [np.moveaxis(part, axis, 0) for part, axis in zip(layout.split(g), layout.axes)]
        cotangents = vmap(per_example, in_axes=tuple(axes) + (0,) * len(gs))(
            *with_traced(values), *gs)
        return [np.sum(ct, axis=0) if axes[i] is None else np.moveaxis(ct, 0, axes[i])
                for i, ct in zip(traced, cotangents)]

    def jvp_rule(argnum, t, ans, *values):
        i = traced[argnum]

        def per_example(*example):
            *full, t_example = example
            return jvp(lambda x: call_on(full, {i: x}), (full[i],), (t_example,))[1]

        tangents = vmap(per_example, in_axes=tuple(axes) + (axes[i],), out_axes=out_axes)(
            *with_traced(values), t)
        return layout.join(tangents, out_axes)

    batched_run = _primitive.Primitive(run, f"vmap of {getattr(fun, '__name__', 'a function')}")
    batched_run.defvjp_joint(vjp_rule)
    batched_run.defjvp_all(jvp_rule)
    out = batched_run(*[leaves[i] for i in traced])
    return unflatten(layout.structure, layout.split(out))


class _Layout:
    """How the outputs of a batched run are laid end to end in one array, and back."""

    def __init__(self) -> None:
        self.structure = None
        self.shapes: list = []
        self.dtypes: list = []
        self.axes: list = []

    def join(self, out, out_axes):
        """The output leaves as one array (the leaf itself when there is one)."""
        parts, self.structure = flatten(out)
        parts = [strip(p) for p in parts]  # a Tensor result, for one, is its array here
        self.axes = _out_axes(out_axes, out, len(parts))
        if None in self.axes or not all(hasattr(p, "shape") for p in parts):
            raise _NeedsLoop("an output that is not batched arrays")
        self.shapes = [tuple(p.shape) for p in parts]
        self.dtypes = [p.dtype for p in parts]
        if self.structure is None:
            return parts[0]
        dtype = np.result_type(*parts)
        return np.concatenate([np.reshape(p, (-1,)).astype(dtype) for p in parts])

    def split(self, joined) -> list:
        """The output leaves from their joined array (or cotangent, or tangent)."""
        if self.structure is None:
            return [joined]
        parts, start = [], 0
        for shape, dtype in zip(self.shapes, self.dtypes):
            stop = start + math.prod(shape)
            part = np.reshape(joined[start:stop], shape)
            parts.append(part if part.dtype == dtype else part.astype(dtype))
            start = stop
        return parts


def _looped(fun, leaves, axes, structure, size, out_axes):
    """``fun`` once per example, each output stacked along its ``out_axes`` entry."""
    outputs = []
    for i in range(size):
        members = [leaf if axis is None else _take(leaf, axis, i)
                   for leaf, axis in zip(leaves, axes)]
        args, kwargs = unflatten(structure, members)
        outputs.append(fun(*args, **kwargs))
    out_leaves, out_structure = flatten(outputs[0]) if outputs else ([], None)
    if not outputs:
        raise ValueError("vmap over a batch of size 0 cannot tell the output's shape")
    spec = _out_axes(out_axes, outputs[0], len(out_leaves))
    per_leaf = zip(*(flatten(out)[0] for out in outputs))
    return unflatten(out_structure, [parts[0] if axis is None else np.stack(parts, axis=axis)
                                     for parts, axis in zip(per_leaf, spec)])


def _take(leaf: Any, axis: int, index: int) -> Any:
    ndim = np.ndim(strip(leaf))
    axis = axis % ndim
    return leaf[(slice(None),) * axis + (index,)]
