"""Tensor: a NumPy array that records the operations applied to it.

Operators and methods delegate to the primitives in ``ops``; plain ``np.*``
calls reach the same primitives through ``__array_ufunc__`` and
``__array_function__``.
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from . import ops  # noqa: F401  (registers every primitive before operators are bound)
from ._core import primitive as _primitive
from ._core.arrays import compute_lazy, in_library_of, is_duck_array, is_lazy, plain_array
from ._core.graph import Box, LeafNode, Node, RetainGrad, backward_pass
from ._core.primitive import make_box, strip
from ._core.state import mark_modified, note_handout, owner, version_of
from .ops import indexing, ufunc_methods
from .ops.broadcast import reduce_to_shape
from .ops.complex import real_part_for
from .ops.registry import FUNCTIONS, NONDIFFERENTIABLE, UFUNCS
from .tensor_operators import (
    OPERAND_TYPES,
    TensorOperators,
    defers_to_type,
    differentiable_version_hint,
    no_rule,
    operands,
    qualified_name,
    strip_tree,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

_FLOAT_KINDS = "fc"
# What to use instead of a conversion to Python numbers inside a transform.
_PLAIN_HINTS = {
    "float": "math.* functions call it too; use NumPy functions, e.g. np.sin(x) rather "
             "than math.sin(x)",
    "item": "use the Tensor itself, e.g. x[0] or np.sum(x), in place of x.item()",
    "tolist": "index or iterate over the Tensor itself, e.g. sum(x) or x[i], in place "
              "of x.tolist()",
}


class Tensor(Box, TensorOperators):
    """An array with an optional gradient, like ``torch.Tensor`` on NumPy.

    >>> x = cr.tensor([2.0], requires_grad=True)
    >>> (x ** 2 + 3 * x).backward()
    >>> x.grad
    tensor([7.])
    """

    # _view_of  (base tensor, index) when this tensor's array is a view of base's
    # _views    weak references to the tensors that are views of this one
    __slots__ = ("_view_of", "_views")
    __array_priority__ = 1000.0

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False):
        value = _as_array(data, dtype)
        self._value = value
        self._node = None
        if requires_grad:
            self.requires_grad_(True)

    # Slots left unset on the hot path read as their defaults. Type checkers see the
    # declared attributes instead, so a misspelt attribute is an error in the editor.
    grad: Tensor | None
    _view_of: tuple[Tensor, Any] | None
    _views: list[weakref.ref[Tensor]] | None

    if not TYPE_CHECKING:
        def __getattr__(self, name: str) -> Any:
            if name in ("grad", "_view_of", "_views"):
                return None
            raise AttributeError(f"'Tensor' object has no attribute {name!r}")

    # --- attributes ----------------------------------------------------------
    @property
    def data(self) -> NDArray[Any]:
        """The underlying array (no gradient tracking).

        Writing into it changes the tensor; if the graph still needs the old values,
        backward() reports it (a tensor in a graph keeps a copy to compare with).
        """
        return _handed_out(self)

    @data.setter
    def data(self, value: Any) -> None:
        value = plain_array(value)
        if isinstance(self._value, Box):
            raise RuntimeError("cannot set .data of a value traced by a transform")
        if self._node is not None and value.dtype.kind not in _FLOAT_KINDS:
            raise TypeError(
                f".data of a tensor that requires grad must be floating point (or "
                f"complex), got dtype {value.dtype}: its gradients would become "
                f"{value.dtype} too. Assign float data, e.g. "
                f"np.asarray(values, dtype=np.{self.dtype}), or stop tracking first with "
                f".requires_grad_(False).")
        node = self._node
        if node is not None and value.shape != node.shape:
            if type(node) is not LeafNode:
                raise ValueError(
                    f".data of a tensor computed by '{node.name}' cannot change its shape "
                    f"{node.shape} to {value.shape}: the graph's gradients have that shape. "
                    f"Make a new tensor instead, or .detach() this one first.")
            self._node = LeafNode(0, value.shape, self)  # gradients of the new shape
            self._node.hooks = node.hooks
        self._value = value

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the array."""
        return self._value.shape

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self._value.ndim

    @property
    def size(self) -> int:
        """Number of elements."""
        return self._value.size

    @property
    def dtype(self) -> np.dtype[Any]:
        """NumPy dtype."""
        return self._value.dtype

    @property
    def T(self) -> Tensor:
        """Transpose."""
        return FUNCTIONS[np.transpose](self)

    @property
    def mT(self) -> Tensor:
        """Transpose of the last two axes."""
        return FUNCTIONS[np.swapaxes](self, -1, -2)

    @property
    def real(self) -> Tensor:
        """Real part."""
        return FUNCTIONS[np.real](self)

    @property
    def imag(self) -> Tensor:
        """Imaginary part."""
        return FUNCTIONS[np.imag](self)

    @property
    def requires_grad(self) -> bool:
        """Whether operations on this tensor are recorded for backward()."""
        return self._node is not None

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by a recorded operation."""
        return self._node is None or type(self._node) is LeafNode

    @property
    def grad_fn(self) -> Node | None:
        """The recorded operation that produced this tensor (None for leaves)."""
        node = self._node
        return None if node is None or type(node) is LeafNode else node

    @property
    def version(self) -> int:
        """Grows each time the tensor's memory (or a view of it) is modified in place."""
        return version_of(strip(self))

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Start (or stop) tracking gradients for this leaf tensor; returns it."""
        if not self.is_leaf:
            raise RuntimeError(
                "requires_grad can only be changed on leaf tensors; this one was made "
                "by an operation. Use .detach().requires_grad_() for a new leaf.")
        if not flag:
            self._node = None
            return self
        if self.dtype.kind not in _FLOAT_KINDS:
            raise TypeError(
                f"only floating-point (or complex) tensors can require grad, got dtype "
                f"{self.dtype}; create it with float data, e.g. tensor([1.0, 2.0]) or "
                f"dtype=np.float64")
        if self._node is None:
            self._node = LeafNode(0, self._value.shape, self)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward()."""
        node = self._require_node("retain_grad")
        if type(node) is not LeafNode or node.tensor_ref is None:
            node.hooks = (node.hooks or []) + [RetainGrad(self)]

    def register_hook(self, hook: Callable) -> Callable[[], None]:
        """Call ``hook(grad)`` when this tensor's gradient is computed.

        A hook may return a replacement gradient. Returns a function that
        removes the hook.
        """
        node = self._require_node("register_hook")
        node.hooks = (node.hooks or []) + [hook]

        def remove() -> None:
            node.hooks = [h for h in node.hooks if h is not hook] or None

        return remove

    def _require_node(self, what: str):
        if self._node is None:
            raise RuntimeError(
                f"{what}() needs a tensor that requires grad; create it with "
                f"requires_grad=True or compute it from one.")
        return self._node

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets ``.grad`` to None)."""
        self.grad = None

    # --- conversion ----------------------------------------------------------
    def numpy(self) -> NDArray[Any]:
        """The data as a NumPy array, without copying and without gradient.

        For a tensor in a graph the array is a read-only view: the graph may need
        these values. Use ``t.detach().numpy()`` or ``t.numpy().copy()`` to write.
        """
        value = plain_array(self)
        if self._node is not None and getattr(value, "flags", None) is not None \
                and value.flags.writeable:
            value = value.view()
            value.flags.writeable = False
        return value

    def detach(self) -> Tensor:
        """A tensor sharing this data, cut off from the graph."""
        return Tensor._wrap(_handed_out(self))

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph."""
        return FUNCTIONS[np.copy](self)

    def copy(self) -> Tensor:
        """Same as clone()."""
        return self.clone()

    def item(self) -> Any:
        """The single element as a Python number (not inside a transform: no gradient)."""
        return self._plain("item").item()

    def tolist(self) -> Any:
        """The data as nested Python lists (not inside a transform: no gradient)."""
        return self._plain("tolist").tolist()

    def astype(self, dtype: Any) -> Tensor:
        """Cast to ``dtype``: differentiable between float dtypes; a cast to an integer
        or boolean dtype has no derivative, so its result does not require grad."""
        return indexing.astype(self, dtype)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> NDArray[Any]:
        # Integers and booleans have no derivative, so a cast to them loses nothing:
        # np.int64(t), np.asarray(t, dtype=bool) give what t.astype(...) holds.
        if self._node is not None and (dtype is None or np.dtype(dtype).kind not in "biu"):
            raise TypeError(
                "a Tensor that requires grad cannot become a plain NumPy array: the "
                "gradient would be lost silently. Use .detach() or .numpy() if you "
                "mean to drop it, x.astype(dtype) to cast it (np.float32(x) cannot "
                "return a Tensor), or chainrule.numpy functions to keep it."
                + differentiable_version_hint())
        if dtype is None:
            return self._value
        # Under nested transforms the value is a lower level's Tensor: cast what it holds.
        return strip(self._value).astype(dtype, copy=False)

    def __float__(self) -> float:
        return float(self._plain("float"))

    def __int__(self) -> int:
        return int(self._plain("int"))

    def _plain(self, what: str):
        node = self._node
        if node is not None and node.level > 0:
            raise TypeError(
                f"{what}() of a value being differentiated by a transform would lose "
                f"its derivative ({_PLAIN_HINTS.get(what, _PLAIN_HINTS['float'])}); "
                f"or call it on x.detach() if no gradient is meant to flow through it.")
        return strip(self)

    def __index__(self) -> int:
        return strip(self).__index__()

    def __bool__(self) -> bool:
        return bool(strip(self))

    def __len__(self) -> int:
        return len(self._value)

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    def __hash__(self) -> int:
        return id(self)

    def __deepcopy__(self, memo: dict) -> Tensor:
        if not self.is_leaf:
            raise RuntimeError(
                "only leaf tensors can be deep-copied (a copy cannot share the graph); "
                "use t.detach() and deep-copy that, or t.clone() to stay in the graph")
        copied = Tensor(strip(self).copy())
        if self._node is not None:
            copied.requires_grad_(True)
        if self.grad is not None:
            copied.grad = Tensor(strip(self.grad).copy())
        memo[id(self)] = copied
        return copied

    def __reduce__(self):
        return (_rebuild_tensor, (strip(self), self.requires_grad and self.is_leaf))

    def __repr__(self) -> str:
        value = strip(self)
        # A lazy (Dask) value shows its own summary: printing computes nothing.
        body = repr(value) if is_lazy(value) else \
            np.array2string(value, separator=", ", prefix="tensor(")
        extras = ""
        if self.dtype not in (np.float64, np.int64, np.bool_):
            extras += f", dtype={self.dtype}"
        node = self._node
        if node is not None:
            extras += (", requires_grad=True" if type(node) is LeafNode
                       else f", grad_fn=<{node.name}>")
        return f"tensor({body}{extras})"

    # --- autodiff ------------------------------------------------------------
    def backward(self, gradient: Any = None, retain_graph: bool = False,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        A non-scalar tensor needs ``gradient`` (the vector in the
        vector-Jacobian product). ``create_graph=True`` records the backward
        pass, so the gradients can be differentiated again.
        """
        seed = _seed_gradient(self, gradient, create_graph)
        _, to_store = backward_pass(
            [(self._node, seed)], make_box=make_box, reduce_to_shape=reduce_to_shape,
            retain_graph=retain_graph or create_graph, create_graph=create_graph)
        tensors = [tensor_ref() for tensor_ref, _ in to_store]
        gradients = _computed_for_eager_leaves(tensors, [g for _, g in to_store])
        for tensor, g in zip(tensors, gradients):
            _accumulate_grad(tensor, g)

    # --- indexing ------------------------------------------------------------
    def __getitem__(self, index: Any) -> Tensor:
        index = indexing.plain_index(index)
        result = indexing.getitem(self, index)
        view_base = getattr(strip(result), "base", None)
        if view_base is not None and view_base is owner(strip(self)):
            # A view of this tensor's memory (NumPy's basic indexing gives one; its
            # base is always the array that owns the memory).
            result._view_of = (self, index)
            self._add_view(result)
        return result

    def _add_view(self, view: Tensor) -> None:
        views = self._views
        if views is None:
            self._views = views = []
        views.append(weakref.ref(view))
        count = len(views)
        if count >= 8 and not count & (count - 1):  # at powers of two: O(1) amortised
            views[:] = [ref for ref in views if ref() is not None]

    def __setitem__(self, index: Any, value: Any) -> None:
        index = indexing.plain_index(index)
        if _is_current_view(value, self, index):
            return  # y[i] += v: the in-place step already wrote through to y
        result = indexing.setitem(self, index, value)
        self._take_result(result, "index assignment")

    def _take_result(self, result: Box, what: str) -> None:
        """Make this tensor hold ``result``: recorded if traced, in place if not."""
        if result._node is None:
            target = self._value
            if isinstance(target, Box) or not isinstance(target, np.ndarray):
                self._value = plain_array(result._value)
            else:
                if result.shape != target.shape:
                    raise ValueError(
                        f"{what}: the result has shape {result.shape} but the tensor "
                        f"has shape {target.shape}; in-place changes cannot reshape")
                np.copyto(target, result._value, casting="same_kind")
                mark_modified(target)
            return
        node = self._node
        if type(node) is LeafNode and node.tensor_ref is not None:
            raise RuntimeError(
                f"{what} on a leaf tensor that requires grad: its gradient would have "
                f"nowhere to go. Work on a copy (y = x.clone()), or wrap parameter "
                f"updates in `with cr.no_grad():`.")
        if result.shape != self._value.shape:
            raise ValueError(f"{what}: result shape {result.shape} does not match "
                             f"the tensor's shape {self._value.shape}")
        view_of = self._view_of
        if view_of is not None:  # write through to the base, as NumPy would
            base, index = view_of
            base[index] = result
            return
        _refuse_untracked_view(self, what)
        self._value = result._value
        self._node = result._node
        self._refresh_views()

    def _refresh_views(self) -> None:
        """After this tensor took a new value: its views show the new value, as NumPy's do."""
        for ref in self._views or ():
            view = ref()
            if view is not None and view._view_of[0] is self:
                fresh = indexing.getitem(self, view._view_of[1])
                view._value, view._node = fresh._value, fresh._node
                view._refresh_views()

    # --- NumPy protocols -----------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        for x in inputs:
            if type(x) not in OPERAND_TYPES:
                inputs = operands(inputs)
                if inputs is None:
                    return NotImplemented
                break
        if method == "__call__" and not kwargs:
            prim = UFUNCS.get(ufunc)
            if prim is not None:
                return prim(*inputs)
        return self._array_ufunc_general(ufunc, method, inputs, kwargs)

    def _array_ufunc_general(self, ufunc, method, inputs, kwargs):
        out = kwargs.pop("out", None)
        if method == "__call__" and ufunc in UFUNCS:
            _check_ufunc_kwargs(ufunc, kwargs)
            result = UFUNCS[ufunc](*inputs)
        elif ufunc in NONDIFFERENTIABLE:
            return ufunc(*map(strip, inputs), **kwargs) if method == "__call__" else \
                getattr(ufunc, method)(*map(strip, inputs), **kwargs)
        elif ufunc_methods.has_rule(ufunc, method):
            result = ufunc_methods.METHODS[method](ufunc, *inputs, **kwargs)
        elif not _any_traced(inputs):
            plain = ufunc if method == "__call__" else getattr(ufunc, method)
            return plain(*map(strip, inputs), **kwargs)
        else:
            raise no_rule(_ufunc_name(ufunc) + ("" if method == "__call__" else f".{method}"))
        return _write_out(result, out)

    def __array_function__(self, func, types, args, kwargs):
        if len(types) > 1 and any(defers_to_type(kind) for kind in types):
            return NotImplemented
        handler = FUNCTIONS.get(func)
        if handler is not None:
            return handler(*args, **kwargs)
        if func in NONDIFFERENTIABLE or not _any_traced((args, kwargs)):
            return func(*strip_tree(args), **strip_tree(kwargs))
        raise no_rule(qualified_name(func))

    # --- wrapping ------------------------------------------------------------
    @staticmethod
    def _wrap(value: Any) -> Tensor:
        t = object.__new__(Tensor)
        t._value = value
        t._node = None
        return t


_primitive.set_box_type(Tensor)
OPERAND_TYPES.add(Tensor)


# Primitives whose result may be a view of their input's memory.
_VIEW_PRIMITIVES = frozenset({"getitem", "reshape", "transpose", "flip", "broadcast_to"})


def _refuse_untracked_view(t: Tensor, what: str) -> None:
    """A traced view made other than by indexing: its base cannot be updated."""
    node = t._node
    value = strip(t)
    if (node is not None and getattr(node, "prim", None) is not None
            and node.prim.name in _VIEW_PRIMITIVES and getattr(value, "base", None) is not None):
        raise RuntimeError(
            f"{what} on a tensor that is a view ({node.prim.name}) of another traced "
            f"tensor: in NumPy the change would show in the original too, which chainrule "
            f"can do only for views made by indexing (v = y[0:2]). Change the original "
            f"instead, or work on a copy (v = v.copy()).")


def _is_current_view(value: Any, base: Tensor, index: Any) -> bool:
    """Whether ``value`` is ``base[index]`` of base as it is now (traced)."""
    view_of = getattr(value, "_view_of", None)
    if view_of is None or view_of[0] is not base or base._node is None:
        return False
    node = value._node
    if node is None or not node.parents or node.parents[0] is not base._node:
        return False
    try:
        return view_of[1] is index or bool(view_of[1] == index)
    except (TypeError, ValueError):  # indices holding arrays: compare no further
        return False


def _handed_out(t: Tensor):
    """``t``'s array, to be written by anyone: if ``t`` is in a graph, the graph's
    nodes may have saved it, so its content is noted for backward() to compare."""
    value = strip(t)
    if t._node is not None:
        note_handout(value)
    return value


def _as_array(data: Any, dtype: Any) -> np.ndarray:
    if isinstance(data, Box):
        if data._node is not None:
            raise TypeError(
                "tensor(t) of a tensor that requires grad would cut it from the "
                "graph; use t.clone() to copy it in the graph or t.detach() to cut it.")
        data = data._value
    elif isinstance(data, (list, tuple)) and _contains_traced(data):
        raise TypeError(
            "tensor([...]) got tensors that require grad; build the array with "
            "np.stack([...]) or chainrule.numpy.array([...]) to keep their gradients.")
    if is_duck_array(data):  # a Dask or CuPy array stays one (immutable or its own copy)
        return data if dtype is None else data.astype(dtype)
    return np.array(data, dtype=dtype)


def _contains_traced(seq) -> bool:
    stack = list(seq)
    while stack:
        item = stack.pop()
        if isinstance(item, Box) and item._node is not None:
            return True
        if isinstance(item, (list, tuple)):
            stack.extend(item)
    return False



def _any_traced(tree) -> bool:
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, Box):
            if item._node is not None:
                return True
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return False



def _ufunc_name(ufunc) -> str:
    """A ufunc's public name: numpy.X, or scipy.special.X for SciPy's (same type)."""
    name = ufunc.__name__
    if getattr(np, name, None) is ufunc:
        return f"numpy.{name}"
    special = sys.modules.get("scipy.special")
    if special is not None and getattr(special, name, None) is ufunc:
        return f"scipy.special.{name}"
    return f"the ufunc {name}"



def _check_ufunc_kwargs(ufunc, kwargs) -> None:
    where = kwargs.pop("where", True)
    if where is not True:
        raise TypeError(
            f"numpy.{ufunc.__name__}(..., where=...) is not differentiable in chainrule; "
            f"use np.where(mask, {ufunc.__name__}(x), other) instead.")
    kwargs.pop("casting", None)
    kwargs.pop("order", None)
    kwargs.pop("subok", None)
    if kwargs.pop("dtype", None) is not None or kwargs:
        raise TypeError(f"numpy.{ufunc.__name__} with {sorted(kwargs) or ['dtype']} "
                        f"is not supported on Tensors; cast with .astype() first.")


def _write_out(result, out):
    if out is None:
        return result
    target = out[0] if isinstance(out, tuple) else out
    if len(out if isinstance(out, tuple) else (out,)) != 1:
        raise TypeError("ufuncs with several outputs are not supported on Tensors")
    if isinstance(target, Tensor):
        target._take_result(result if isinstance(result, Box) else Tensor._wrap(result),
                            "out= argument")
        return target
    if isinstance(result, Box) and result._node is not None:
        raise TypeError(
            "out= a NumPy array would drop the gradient of a traced result; assign "
            "the result to a name instead, or pass a Tensor as out=.")
    np.copyto(target, strip(result))
    mark_modified(target)
    return target


def _seed_gradient(t: Tensor, gradient: Any, create_graph: bool):
    if t._node is None:
        raise RuntimeError(
            "backward() on a tensor that does not require grad: no input it was "
            "computed from has requires_grad=True (or it was computed under no_grad()). "
            "Create the inputs with requires_grad=True.")
    value = t._value
    if gradient is None:
        if value.size != 1:
            raise RuntimeError(
                f"backward() on a tensor of shape {value.shape} needs a `gradient` "
                f"argument of that shape (the vector in the vector-Jacobian product); "
                f"call .sum().backward() for the gradient of the sum.")
        if value.dtype.kind == "c":
            raise RuntimeError(
                "backward() on a complex tensor needs a `gradient` argument: a "
                "gradient is defined for a real-valued loss. Reduce it to a real "
                "number first, e.g. (abs(z) ** 2).sum() or z.real.sum().")
        return np.ones_like(strip(value))
    if not create_graph:
        gradient = strip(gradient)
    if tuple(np.shape(gradient)) != value.shape:
        raise ValueError(
            f"backward(gradient=...) got shape {tuple(np.shape(gradient))}, but the "
            f"tensor has shape {value.shape}; pass a gradient of the tensor's shape.")
    return gradient if isinstance(gradient, Box) else np.asarray(gradient)


def _computed_for_eager_leaves(tensors: list, gradients: list) -> list:
    """The gradients, with the lazy (Dask) ones of tensors that hold in-memory arrays
    evaluated together in one ``dask.compute``: a NumPy parameter trained on Dask data
    gets a NumPy gradient; a Dask leaf keeps a lazy one."""
    return compute_lazy(gradients, [tensor is not None and is_lazy(g) and not is_lazy(tensor._value)
                                    for tensor, g in zip(tensors, gradients)])


def _accumulate_grad(tensor: Tensor | None, g) -> None:
    if tensor is None:
        return
    g = _as_leaf_gradient(g, tensor._value)
    old = tensor.grad
    tensor.grad = g if old is None else old + g


def _as_leaf_gradient(g, like) -> Tensor:
    """A gradient as a Tensor of the leaf's shape and dtype, and of its array library: a
    Dask leaf gets a Dask gradient even where the gradient does not depend on its
    data (a linear function of it), and a NumPy one is computed after the pass."""
    like = strip(like)
    dtype = like.dtype
    g = real_part_for(g, dtype)
    if isinstance(g, Box):
        return g if g.dtype == dtype else g.astype(dtype)
    g = plain_array(g)
    if g.dtype != dtype:
        g = g.astype(dtype)
    return Tensor._wrap(in_library_of(g, like))


def _rebuild_tensor(data: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(data, requires_grad=requires_grad)


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Make a Tensor from array-like ``data`` (copied).

    >>> cr.tensor([1.0, 2.0], requires_grad=True)
    tensor([1., 2.], requires_grad=True)
    """
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)











