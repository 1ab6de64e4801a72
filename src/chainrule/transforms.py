"""Function transforms in reverse mode: grad, value_and_grad, vjp, jacobian ...

Each transform opens a new trace level, wraps the chosen inputs as traced
values of that level, runs the function, and walks the graph of that level
only. Gradients come back as values one level down, so transforms nest.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, Literal, ParamSpec, TypeVar, overload

import numpy as np

from ._core.arrays import (
    compute_lazy,
    in_library_of,
    is_array,
    is_duck_array,
    is_lazy,
    plain_array,
    size_of,
)
from ._core.forward import TangentNode
from ._core.graph import Box, LeafNode, backward_pass
from ._core.primitive import make_box, strip
from ._core.state import new_level, transform_call
from ._pytree import flatten, unflatten
from .ops.broadcast import identity_basis, reduce_batch_to_shape, reduce_to_shape
from .ops.complex import real_part_for
from .tensor import Tensor, _as_leaf_gradient
from .tensor_operators import defers_to

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _one_call(transformed: Callable[_P, _R], argnums: Any = None) -> Callable[_P, _R]:
    """Run ``transformed`` as one transform call, forward and backward passes both
    (caches scoped to a call, such as shared LU factors, are dropped after it).
    ``argnums`` names the differentiated arguments (all of them when None)."""

    @functools.wraps(transformed)
    def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with transform_call():
            result = transformed(*args, **kwargs)
        return _computed_unless_lazy_inputs(result, _chosen(args, argnums))

    return call


def _computed_unless_lazy_inputs(result: Any, args: tuple) -> Any:
    """``result`` with its lazy (Dask) arrays evaluated, in one ``dask.compute``, when
    no differentiated argument is lazy: the gradient of NumPy parameters of a function
    of Dask data is a NumPy array, while a lazy argument gets lazy derivatives."""
    leaves, structure = flatten(result)
    wanted = [_untraced_lazy(leaf) for leaf in leaves]
    if not any(wanted) or any(is_lazy(strip(leaf)) for leaf in flatten(args)[0]):
        return result
    return unflatten(structure, _computed(leaves, wanted))


def _computed(values: list, wanted: list) -> list:
    """``values`` with the ``wanted`` ones (lazy arrays, or Tensors of them) evaluated
    together in one ``dask.compute``; a Tensor stays a Tensor."""
    computed = compute_lazy([strip(v) for v in values], wanted)
    return [Tensor._wrap(new) if want and isinstance(old, Tensor) else new
            for old, new, want in zip(values, computed, wanted)]


def _chosen(args: tuple, argnums: Any) -> tuple:
    if argnums is None:
        return args
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    return tuple(args[n] for n in nums if -len(args) <= n < len(args))


def _untraced_lazy(leaf: Any) -> bool:
    return is_lazy(leaf) or (isinstance(leaf, Box) and leaf._node is None
                             and is_lazy(leaf._value))


class _Input:
    """One differentiated input leaf: how it came in, and its traced stand-in."""

    __slots__ = ("original", "value", "box", "node")

    def __init__(self, original: Any, level: int):
        self.original = original
        self.value = _as_float_input(original)
        self.node = LeafNode(level, np.shape(strip(self.value)))
        self.box = make_box(self.value, self.node)

    def gradient(self, g: Any) -> Any:
        """``g`` shaped, typed and boxed like the input the user passed."""
        like = strip(self.value)
        if g is None:
            g = np.zeros_like(like)
        g = real_part_for(g, like.dtype)
        if isinstance(g, Box) or is_duck_array(g):
            if g.dtype != like.dtype:
                g = g.astype(like.dtype)
            return g if g.shape == like.shape else np.reshape(g, like.shape)
        g = np.asarray(g, dtype=like.dtype).reshape(like.shape)
        g = in_library_of(g, like)
        if isinstance(self.original, Tensor):
            return _as_leaf_gradient(g, like)
        if isinstance(self.original, (float, int, np.floating)) and g.ndim == 0:
            return type(self.original)(g) if isinstance(self.original, float) else g[()]
        return g


def _as_float_input(x: Any) -> Any:
    if isinstance(x, Box):
        if x._node is None:
            x = x._value
        else:
            return x
    problem = _not_a_float_value(x)
    if problem is not None:
        kind, description = problem
        if kind in ("bool", "int"):
            description = f"an integer or boolean input ({x!r} of type {type(x).__name__})"
        raise TypeError(
            f"cannot differentiate with respect to {description}; pass floats instead, "
            f"e.g. 2.0 rather than 2, or np.asarray(x, dtype=float) (or a tuple, list "
            f"or dict of them).")
    return x if is_array(x) else np.asarray(x)


def _not_a_float_value(x: Any) -> tuple[str, str] | None:
    """``(kind, description)`` of ``x`` unless it is a float or complex number or
    array (then None); kind is one of none, string, bool, int, container, other."""
    value = strip(x)
    if isinstance(value, (float, complex, np.floating, np.complexfloating)):
        return None
    if value is None:
        return "none", "None"
    if isinstance(value, (str, bytes)):
        return "string", f"a string ({_short_repr(value)})"
    if isinstance(value, (tuple, list, dict)):
        return "container", f"a {type(value).__name__} of length {len(value)}"
    if isinstance(value, (bool, int)):
        kind = "bool" if isinstance(value, bool) else "int"
        return kind, f"{value!r} (a Python {kind})"
    if defers_to(value):
        return "wrapper", f"a {type(value).__name__} ({_short_repr(value)})"
    if not isinstance(value, (np.ndarray, np.generic)) and not is_duck_array(value):
        return "other", f"an object of type {type(x).__name__} ({_short_repr(x)})"
    dtype, shape = value.dtype, np.shape(value)
    if dtype.kind in "fc":
        return None
    what = "scalar" if shape == () else f"array of shape {shape}"
    if dtype.kind == "b":
        return "bool", f"a boolean {what}"
    if dtype.kind in "iu":
        return "int", f"an integer {what} (dtype {dtype})"
    return "other", f"a{'n' if what[0] == 'a' else ''} {what} of dtype {dtype}"


def _short_repr(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


# Why an output is not differentiable, and what to return instead, by kind.
_OUTPUT_HINTS = {
    "none": "; is a return statement missing?",
    "bool": ": a comparison such as np.sum(x) > 0 has no derivative; return the float "
            "value itself.",
    "int": ": an integer result has no derivative; return floats.",
    "wrapper": ", a container that wraps arrays (chainrule leaves operations with it to "
               "the container, which then holds the Tensor): return the array inside "
               "it, e.g. .data of an xarray.DataArray.",
}


_NEEDED = {
    "scalar": "a float scalar (a float, or a float array of size 1)",
    "array": "a float array",
    "arrays": "float arrays (or tuples, lists and dicts of them)",
}


def _check_output(out: Any, what: str, needs: str = "arrays") -> None:
    """Raise a TypeError naming what the function returned, unless ``what`` can
    differentiate it: ``needs`` one float (or complex) "scalar", one "array", or
    "arrays" in tuples, lists and dicts."""
    if isinstance(out, Box) and out.dtype.kind in "fc":
        return  # the usual case
    needed = _NEEDED[needs]
    if needs != "arrays" and isinstance(out, (tuple, list, dict)):
        aux_hint = ("If the function returns (value, auxiliary data), pass has_aux=True; "
                    if needs == "scalar" else "")
        raise TypeError(
            f"{what} needs a function that returns {needed}, but it returned "
            f"{_not_a_float_value(out)[1]}. {aux_hint}For several outputs use jacobian().")
    for leaf in flatten(out)[0]:
        problem = _not_a_float_value(leaf)
        if problem is not None:
            kind, description = problem
            raise TypeError(f"{what} needs a function that returns {needed}, but it "
                            f"returned {description}{_OUTPUT_HINTS.get(kind, '.')}")


def _refuse_wrappers(out_leaves: list, what: str) -> None:
    """Raise if an output is a container wrapping arrays (whose derivative would
    otherwise read as zero, the Tensor inside unseen)."""
    for leaf in out_leaves:
        if defers_to(leaf):
            raise TypeError(f"{what} needs a function that returns arrays, but it returned "
                            f"{_not_a_float_value(leaf)[1]}{_OUTPUT_HINTS['wrapper']}")


def _trace(fun: Callable, args: tuple, argnums: int | Sequence[int], kwargs=None):
    """Run ``fun`` with the ``argnums`` inputs traced on a new level (keyword
    arguments pass through untraced)."""
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    if any(not -len(args) <= n < len(args) for n in nums):
        raise ValueError(f"argnums={argnums} is out of range for {len(args)} arguments")
    with new_level() as level:
        traced_args = list(args)
        trees = []
        for n in nums:
            leaves, structure = flatten(args[n])
            inputs = [_Input(leaf, level) for leaf in leaves]
            trees.append((structure, inputs))
            traced_args[n] = unflatten(structure, [i.box for i in inputs])
        out = fun(*traced_args, **(kwargs or {}))
    return out, trees, single, level


def _untrace(x: Any, level: int) -> Any:
    """The value of ``x`` one level down: plain, or traced by an outer level."""
    if isinstance(x, Box) and (x._node is None or x._node.level == level):
        return x._value  # an untraced box (a comparison, an integer cast) too
    return x


def _pull_back(out_leaves, cotangents, trees, level, retain_graph):
    """Gradients of sum(<cotangent, out>) for every traced input, in input trees."""
    seeds = []
    for out, ct in zip(out_leaves, cotangents):
        if isinstance(out, Box) and out._node is not None and out._node.level == level:
            seeds.append((out._node, ct))
    nodes = {i.node for _, inputs in trees for i in inputs}
    captured, _ = backward_pass(seeds, make_box=make_box, reduce_to_shape=reduce_to_shape,
                                retain_graph=retain_graph, capture=nodes, accumulate=False)
    inputs = [i for _, tree_inputs in trees for i in tree_inputs]
    gradients = iter(_of_their_inputs_kind(
        inputs, [i.gradient(captured.get(i.node)) for i in inputs]))
    return [unflatten(structure, [next(gradients) for _ in tree_inputs])
            for structure, tree_inputs in trees]


def _of_their_inputs_kind(inputs: list, gradients: list) -> list:
    """When some inputs are lazy (Dask) and others in memory, the in-memory inputs'
    lazy gradients computed together in one ``dask.compute``; the lazy inputs keep
    lazy ones. (With no lazy input, the whole result is computed at the end.)"""
    lazy_input = [is_lazy(strip(i.value)) for i in inputs]
    if not any(lazy_input) or all(lazy_input):
        return gradients
    return _computed(gradients, [not lazy and _untraced_lazy(g)
                                 for lazy, g in zip(lazy_input, gradients)])


def _result(grads: list, single: bool):
    return grads[0] if single else tuple(grads)


def _split_aux(out: Any, has_aux: bool):
    if not has_aux:
        return out, None
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError("with has_aux=True the function must return a pair (output, aux)")
    return out[0], out[1]


def _scalar_output(out: Any, level: int, what: str):
    _check_output(out, what, "scalar")
    value = _untrace(out, level)
    if size_of(strip(value)) != 1:
        alternatives = ("jacfwd(jacobian(f)) for the second derivatives of each entry"
                        if what == "hessian" else
                        "jacobian(), elementwise_grad() or vjp() for non-scalar outputs")
        raise TypeError(
            f"{what} needs a function with a scalar output, got shape "
            f"{np.shape(strip(value))}; use {alternatives}, or reduce the output "
            f"(e.g. .sum()).")
    return value


def value_and_grad(fun: Callable[..., Any], argnums: int | Sequence[int] = 0,
                   has_aux: bool = False, holomorphic: bool = False) -> Callable[..., Any]:
    """Return a function giving ``(fun(*args), gradient)``; see ``grad``."""
    return _value_and_grad(fun, argnums, has_aux, holomorphic, "value_and_grad")


def _value_and_grad(fun: Callable, argnums, has_aux: bool, holomorphic: bool,
                    what: str) -> Callable:
    """``value_and_grad``, naming ``what`` (the transform the user called) in errors."""

    @functools.wraps(fun)
    @functools.partial(_one_call, argnums=argnums)
    def value_and_grad_fun(*args, **kwargs):
        out, trees, single, level = _trace(fun, args, argnums, kwargs)
        out, aux = _split_aux(out, has_aux)
        value = _scalar_output(out, level, what)
        seed = np.ones(np.shape(strip(value)),
                       dtype=_seed_dtype(value, trees, holomorphic, what))
        grads = _result(_pull_back([out], [seed], trees, level, False), single)
        value = _plain_scalar(value)
        if _all_python_floats(_originals(trees)) and isinstance(value, np.floating):
            value = float(value)  # floats in, floats out, as the gradient is
        return ((value, _untrace_tree(aux, level)), grads) if has_aux else (value, grads)

    return value_and_grad_fun


def grad(fun: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
         holomorphic: bool = False) -> Callable[..., Any]:
    """The gradient of a scalar function, as a function.

    >>> grad(lambda x: x ** 2 + 3 * x)(2.0)
    7.0

    ``argnums`` picks the argument(s) to differentiate (an int or a tuple);
    arguments may be pytrees (tuples, lists, dicts) of arrays. Keyword arguments
    pass through to ``fun`` undifferentiated: ``grad(f)(x, scale=2.5)``. With
    ``has_aux=True`` the function returns ``(output, aux)`` and ``grad``
    returns ``(gradient, aux)``.

    Complex inputs follow JAX's convention: for a real-valued ``f(x + iy)``
    the gradient is ``df/dx - i df/dy``; for a holomorphic ``f`` of complex
    inputs, ``holomorphic=True`` gives the complex derivative ``f'(z)``.
    """
    return _grad(fun, argnums, has_aux, holomorphic, "grad")


def _grad(fun: Callable, argnums, has_aux: bool, holomorphic: bool, what: str) -> Callable:
    """``grad``, naming ``what`` (the transform the user called) in errors."""
    vg = _value_and_grad(fun, argnums, has_aux, holomorphic, what)

    @functools.wraps(fun)
    def grad_fun(*args, **kwargs):
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return grad_fun


def elementwise_grad(fun: Callable[..., Any],
                     argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """For elementwise functions: the derivative of each output entry, entry by entry.

    Computes the vector-Jacobian product with a vector of ones.
    """

    @functools.wraps(fun)
    @functools.partial(_one_call, argnums=argnums)
    def elementwise_grad_fun(*args, **kwargs):
        out, trees, single, level = _trace(fun, args, argnums, kwargs)
        _check_output(out, "elementwise_grad", "array")
        value = _untrace(out, level)
        seed = np.ones(np.shape(strip(value)),
                       dtype=_seed_dtype(value, trees, False, "elementwise_grad"))
        return _result(_pull_back([out], [seed], trees, level, False), single)

    return elementwise_grad_fun


@overload
def vjp(fun: Callable[..., Any], *primals: Any,
        has_aux: Literal[False] = False) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]: ...
@overload
def vjp(fun: Callable[..., Any], *primals: Any, has_aux: bool) -> tuple[Any, ...]: ...


@_one_call
def vjp(fun: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """Evaluate ``fun(*primals)`` and return ``(out, vjp_fn)``.

    ``vjp_fn(cotangent)`` returns a tuple with the gradient of
    ``<cotangent, fun(*primals)>`` for every primal; it may be called many times.
    """
    out, trees, _, level = _trace(fun, primals, tuple(range(len(primals))))
    out, aux = _split_aux(out, has_aux)
    out_leaves, out_structure = flatten(out)
    _refuse_wrappers(out_leaves, "vjp")

    def vjp_fn(cotangent: Any) -> tuple:
        ct_leaves, _ = flatten(cotangent)
        if len(ct_leaves) != len(out_leaves):
            raise ValueError(f"the cotangent has {len(ct_leaves)} leaves but the "
                             f"output has {len(out_leaves)}; give one per output")
        cts = [_cotangent(c, o, level) for c, o in zip(ct_leaves, out_leaves)]
        return tuple(_pull_back(out_leaves, cts, trees, level, True))

    primal_out = unflatten(out_structure, [_untrace(o, level) for o in out_leaves])
    return (primal_out, vjp_fn, _untrace_tree(aux, level)) if has_aux else (primal_out, vjp_fn)


def _cotangent(ct: Any, out: Any, level: int) -> Any:
    shape = np.shape(strip(_untrace(out, level)))
    if isinstance(ct, Box):
        return ct
    ct = ct if is_duck_array(ct) else np.asarray(ct)
    if ct.shape != shape:
        raise ValueError(f"the cotangent has shape {ct.shape} but the output has shape "
                         f"{shape}; they must match")
    return ct


def jacobian(fun: Callable[..., Any], argnums: int | Sequence[int] = 0,
             has_aux: bool = False, holomorphic: bool = False) -> Callable[..., Any]:
    """The Jacobian of ``fun`` by reverse mode: shape ``out.shape + input.shape``.

    Inputs and outputs may be pytrees: the result has the output's structure,
    each leaf holding the input's structure (a tuple of them for several
    ``argnums``). One backward walk per output leaf carries all of its rows at once.
    With ``has_aux=True`` it returns ``(jacobian, aux)``. Complex outputs need
    ``holomorphic=True`` (complex inputs, complex derivative), or ``jacfwd``.
    """

    @functools.wraps(fun)
    @functools.partial(_one_call, argnums=argnums)
    def jacobian_fun(*args, **kwargs):
        out, trees, single, level = _trace(fun, args, argnums, kwargs)
        out, aux = _split_aux(out, has_aux)
        _check_output(out, "jacobian")
        out_leaves, out_structure = flatten(out)
        nodes = {i.node for _, inputs in trees for i in inputs}
        blocks = []  # blocks[o][t][k]: d out leaf o / d leaf k of input tree t
        last = len(out_leaves) - 1
        for index, leaf in enumerate(out_leaves):
            value = _untrace(leaf, level)
            shape = np.shape(strip(value))
            size = int(np.prod(shape))
            traced = isinstance(leaf, Box) and leaf._node is not None and leaf._node.level == level
            chunks = [None]  # an untraced leaf: one walk with no seed frees the graph
            if traced:
                dtype = _seed_dtype(value, trees, holomorphic, "jacobian")
                chunks = _identity_rows(size, shape, dtype)
            walks = []
            for number, basis in enumerate(chunks):
                seeds = [] if basis is None else [(leaf._node, basis)]
                # Output leaves (and chunks) may share intermediates: keep the graph
                # until the last walk.
                walks.append(backward_pass(
                    seeds, make_box=make_box, reduce_to_shape=reduce_batch_to_shape,
                    retain_graph=index < last or number < len(chunks) - 1, capture=nodes,
                    accumulate=False, batched=True)[0])
            blocks.append([[_jacobian_block(_rows_of(walks, chunks, i.node), shape,
                                            strip(i.value))
                            for i in inputs] for _, inputs in trees])
        if _all_python_floats(_originals(trees)):
            blocks = [[_floats_where_scalar(leaves) for leaves in per_tree]
                      for per_tree in blocks]
        jac = _assemble(blocks, out_structure, [st for st, _ in trees], single)
        return (jac, _untrace_tree(aux, level)) if has_aux else jac

    return jacobian_fun


def jacrev(fun: Callable[..., Any], argnums: int | Sequence[int] = 0,
           has_aux: bool = False, holomorphic: bool = False) -> Callable[..., Any]:
    """The Jacobian by reverse mode, JAX's name for ``jacobian`` (same arguments, same result).

    >>> jacrev(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    return jacobian(fun, argnums, has_aux, holomorphic)


# Seeds for more output entries than this are pushed back in chunks of rows, so that
# a tall Jacobian does not build a square identity of its output's size at once.
SEED_CHUNK_BYTES = 64 * 2**20


def _identity_rows(size: int, shape: tuple, dtype) -> list:
    """The identity over ``size`` output entries as seed batches (usually one)."""
    rows = max(1, SEED_CHUNK_BYTES // max(1, size * np.dtype(dtype).itemsize))
    if rows >= size:
        return [np.eye(size, dtype=dtype).reshape((size,) + shape)]
    chunks = []
    for start in range(0, size, rows):
        count = min(rows, size - start)
        chunk = np.zeros((count, size), dtype=dtype)
        chunk[np.arange(count), np.arange(start, start + count)] = 1
        chunks.append(chunk.reshape((count,) + shape))
    return chunks


def _rows_of(walks: list, chunks: list, node) -> Any:
    """An input's Jacobian rows from every chunk's walk (None if no walk reached it)."""
    parts = [captured.get(node) for captured in walks]
    if len(parts) == 1 or all(part is None for part in parts):
        return parts[0]
    like = next(part for part in parts if part is not None)
    return np.concatenate([
        part if part is not None else np.zeros((len(chunk),) + node.shape,
                                                dtype=strip(like).dtype)
        for part, chunk in zip(parts, chunks)])


def _jacobian_block(rows: Any, out_shape: tuple, like: Any) -> Any:
    """Rows of a Jacobian (a batch over output entries) shaped ``out + input``."""
    if rows is None:
        return np.zeros(out_shape + np.shape(like), dtype=np.result_type(like))
    return np.reshape(real_part_for(rows, like.dtype), out_shape + np.shape(like))


def _assemble(blocks, out_structure, in_structures, single):
    """Nest Jacobian blocks as the output's structure of the inputs' structures."""
    per_out = []
    for per_tree in blocks:
        trees = [unflatten(structure, leaves)
                 for structure, leaves in zip(in_structures, per_tree)]
        per_out.append(trees[0] if single else tuple(trees))
    return unflatten(out_structure, per_out)


def gradients(outputs: Any, inputs: Any, grad_outputs: Any = None,
              retain_graph: bool | None = None, create_graph: bool = False,
              allow_unused: bool = False) -> tuple[Any, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    Like ``torch.autograd.grad``: ``outputs`` and ``inputs`` are Tensors or
    sequences of Tensors; returns a tuple with one gradient per input.
    """
    outputs = _as_tensor_list(outputs, "outputs")
    inputs = _as_tensor_list(inputs, "inputs")
    grad_outputs = [None] * len(outputs) if grad_outputs is None else \
        _as_list(grad_outputs)
    seeds = []
    for out, g in zip(outputs, grad_outputs):
        if out._node is None:
            raise RuntimeError("an output does not require grad: none of the inputs it "
                               "was computed from has requires_grad=True")
        seeds.append((out._node, _gradients_seed(out, g, create_graph)))
    for t in inputs:
        if t._node is None:
            raise RuntimeError("an input does not require grad; create it with "
                               "requires_grad=True")
    nodes = {t._node for t in inputs}
    captured, _ = backward_pass(
        seeds, make_box=make_box, reduce_to_shape=reduce_to_shape,
        retain_graph=create_graph if retain_graph is None else retain_graph,
        create_graph=create_graph, capture=nodes, accumulate=False)
    result = []
    for t in inputs:
        g = captured.get(t._node)
        if g is None and not allow_unused:
            raise RuntimeError(
                "one of the inputs was not used to compute the outputs; pass "
                "allow_unused=True to get None for it")
        result.append(None if g is None else _as_leaf_gradient(g, t._value))
    return tuple(result)


def _gradients_seed(out: Tensor, g: Any, create_graph: bool):
    value = strip(out)
    if g is None:
        if value.size != 1:
            raise RuntimeError(f"an output of shape {value.shape} needs a grad_outputs "
                               f"entry of that shape")
        return np.ones(value.shape, dtype=value.dtype)
    if not create_graph:
        g = strip(g)
    if np.shape(strip(g)) != value.shape:
        raise ValueError(f"grad_outputs entry has shape {np.shape(strip(g))}, but the "
                         f"output has shape {value.shape}")
    return g if isinstance(g, Box) else np.asarray(g)


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _as_tensor_list(x: Any, what: str) -> list:
    items = _as_list(x)
    for item in items:
        if not isinstance(item, Tensor):
            raise TypeError(f"{what} must be Tensors, got {type(item).__name__}")
    return items


def _float_dtype(value: Any):
    dtype = np.result_type(strip(value))
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def _seed_dtype(value: Any, trees: list, holomorphic: bool, what: str):
    """The dtype of the cotangent seeding a reverse pass, after checking that a
    complex output is asked for as a holomorphic derivative of complex inputs."""
    dtype = _float_dtype(value)
    if holomorphic:
        real = [i for _, inputs in trees for i in inputs if strip(i.value).dtype.kind != "c"]
        if real:
            raise TypeError(
                f"{what}(holomorphic=True) needs complex inputs, got dtype "
                f"{strip(real[0].value).dtype}; pass e.g. x.astype(complex).")
        return np.result_type(dtype, np.complex64)
    if dtype.kind == "c":
        raise TypeError(
            f"{what} needs a real-valued output, got dtype {dtype}. For a holomorphic "
            f"function of complex inputs pass holomorphic=True; otherwise reduce to a "
            f"real number first (e.g. abs(z) ** 2 or z.real).")
    return dtype


def _plain_scalar(value: Any) -> Any:
    if isinstance(value, Box) or is_duck_array(value):
        return value
    value = np.asarray(value)
    return value[()] if value.ndim == 0 else value


def _untrace_tree(tree: Any, level: int) -> Any:
    if tree is None:
        return None
    leaves, structure = flatten(tree)
    return unflatten(structure, [_untrace(leaf, level) for leaf in leaves])


# --- forward mode -------------------------------------------------------------

@_one_call
def jvp(fun: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any],
        has_aux: bool = False) -> tuple[Any, ...]:
    """Evaluate ``fun(*primals)`` and its directional derivative along ``tangents``.

    True forward mode: tangents travel with the values, one pass. Returns
    ``(out, tangent_out)``; ``primals`` and ``tangents`` are sequences of equal
    length whose items are arrays, floats or pytrees of them. With
    ``has_aux=True``, ``fun`` returns ``(output, aux)`` and so does ``jvp``:
    ``(out, tangent_out, aux)``.
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp got {len(primals)} primals but {len(tangents)} tangents; "
                         f"give one tangent per primal")
    with new_level() as level:
        traced = []
        for p, t in zip(primals, tangents):
            p_leaves, structure = flatten(p)
            t_leaves, t_structure = flatten(t)
            if len(p_leaves) != len(t_leaves):
                raise ValueError("each tangent must have the structure of its primal")
            traced.append(unflatten(structure, [
                _tangent_box(pl, tl, level) for pl, tl in zip(p_leaves, t_leaves)]))
        out, aux = _split_aux(fun(*traced), has_aux)
    out_leaves, structure = flatten(out)
    _refuse_wrappers(out_leaves, "jvp")
    values = [_untrace(o, level) for o in out_leaves]
    tangent_out = [_tangent_of(o, v, level) for o, v in zip(out_leaves, values)]
    if _all_python_floats(primals):
        values, tangent_out = map(_floats_where_scalar, (values, tangent_out))
    result = unflatten(structure, values), unflatten(structure, tangent_out)
    return (*result, _untrace_tree(aux, level)) if has_aux else result


def _originals(trees) -> list:
    """The differentiated inputs as the user passed them."""
    return [i.original for _, inputs in trees for i in inputs]


def _all_python_floats(trees) -> bool:
    leaves = flatten(list(trees))[0]
    return bool(leaves) and all(type(leaf) is float for leaf in leaves)


def _floats_where_scalar(items: list) -> list:
    """Floats in give floats out: plain 0-d results become Python floats."""
    return [float(x) if not isinstance(x, Box) and not is_duck_array(x) and np.ndim(x) == 0
            and np.asarray(x).dtype.kind == "f" else x for x in items]


def _tangent_box(primal: Any, tangent: Any, level: int):
    value = _as_float_input(primal)
    shape = np.shape(strip(value))
    if not isinstance(tangent, Box):
        tangent = plain_array(tangent, dtype=strip(value).dtype)
    if np.shape(strip(tangent)) != shape:
        raise ValueError(f"a tangent has shape {np.shape(strip(tangent))} but its primal "
                         f"has shape {shape}; they must match")
    return make_box(value, TangentNode(level, tangent))


def _tangent_of(out: Any, value: Any, level: int):
    if isinstance(out, Box) and type(out._node) is TangentNode and out._node.level == level:
        return out._node.tangent
    return np.zeros(np.shape(strip(value)), dtype=_float_dtype(value))


def jacfwd(fun: Callable[..., Any], argnums: int | Sequence[int] = 0,
           has_aux: bool = False, holomorphic: bool = False) -> Callable[..., Any]:
    """The Jacobian of ``fun`` by forward mode, structured like ``jacobian``'s.

    One evaluation of ``fun`` carries a batch of basis tangents, one per entry of
    every requested input leaf (all traced together, so their values may meet in
    any operation). With ``has_aux=True`` it returns ``(jacobian, aux)``.
    Complex inputs need ``holomorphic=True``: the result is then the complex
    derivative (a derivative along the real axis only would not be a gradient).
    """

    @functools.wraps(fun)
    @functools.partial(_one_call, argnums=argnums)
    def jacfwd_fun(*args, **kwargs):
        nums, single = _checked_argnums(argnums, len(args))
        trees = [flatten(args[n]) for n in nums]  # (leaves, structure) per argnum
        inputs = [_forward_input(leaf, holomorphic) for leaves, _ in trees for leaf in leaves]
        offsets = np.cumsum([0] + [size_of(strip(x)) for x in inputs]).tolist()
        with new_level() as level:
            boxes = iter(_basis_boxes(inputs, offsets, level))
            call_args = list(args)
            for n, (leaves, structure) in zip(nums, trees):
                call_args[n] = unflatten(structure, [next(boxes) for _ in leaves])
            out, aux = _split_aux(fun(*call_args, **kwargs), has_aux)
        _check_output(out, "jacfwd")
        out_leaves, out_structure = flatten(out)
        blocks = []  # blocks[o][t][k]: d out leaf o / d leaf k of input tree t
        for leaf in out_leaves:
            per_input = iter(_jacfwd_blocks(leaf, level, inputs, offsets))
            blocks.append([[next(per_input) for _ in leaves] for leaves, _ in trees])
        if _all_python_floats([args[n] for n in nums]):
            blocks = [[_floats_where_scalar(leaves) for leaves in per_tree]
                      for per_tree in blocks]
        jac = _assemble(blocks, out_structure, [structure for _, structure in trees], single)
        return (jac, _untrace_tree(aux, level)) if has_aux else jac

    return jacfwd_fun


def _checked_argnums(argnums, count: int):
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    if any(not -count <= n < count for n in nums):
        raise ValueError(f"argnums={argnums} is out of range for {count} arguments")
    return nums, single


def _forward_input(leaf: Any, holomorphic: bool) -> Any:
    """An input leaf of ``jacfwd``, checked: float, or complex exactly when holomorphic."""
    x = _as_float_input(leaf)
    if (strip(x).dtype.kind == "c") != holomorphic:
        raise TypeError(
            "jacfwd of a function of complex inputs needs holomorphic=True (and "
            "then gives the complex derivative)" if not holomorphic else
            f"jacfwd(holomorphic=True) needs complex inputs, got dtype {strip(x).dtype}")
    return x


def _basis_boxes(inputs: list, offsets: list, level: int) -> list:
    """The inputs traced with one batch of tangents spanning all of them: tangent ``j``
    is the ``j``-th unit vector of the inputs' entries laid end to end."""
    total = offsets[-1]
    boxes = []
    for x, start, stop in zip(inputs, offsets, offsets[1:]):
        shape = np.shape(strip(x))
        basis = identity_basis(total, strip(x).dtype)
        if stop - start != total:  # several inputs: this one's columns of the identity
            basis = basis[:, start:stop]
        if shape != (total,):
            basis = basis.reshape((total,) + shape)
        boxes.append(make_box(x, TangentNode(level, basis, batched=True)))
    return boxes


def _jacfwd_blocks(out: Any, level: int, inputs: list, offsets: list) -> list:
    """The Jacobian blocks of one output leaf, one per input leaf: ``out + input`` shaped."""
    value = _untrace(out, level)
    out_shape = np.shape(strip(value))
    node = out._node if isinstance(out, Box) else None
    traced = type(node) is TangentNode and node.level == level
    blocks = []
    for x, start, stop in zip(inputs, offsets, offsets[1:]):
        shape = np.shape(strip(x))
        if not traced:
            blocks.append(np.zeros(out_shape + shape, dtype=_float_dtype(value)))
            continue
        columns = np.moveaxis(node.tangent[start:stop], 0, -1)
        block = np.reshape(columns, out_shape + shape)
        # A fresh array: a rule may have answered with a view of the user's data.
        blocks.append(block if isinstance(block, Box) or is_duck_array(block) else np.copy(block))
    return blocks


def hessian(fun: Callable[..., Any], argnums: int | Sequence[int] = 0,
            has_aux: bool = False, holomorphic: bool = False) -> Callable[..., Any]:
    """The Hessian of a scalar function (forward over reverse).

    With ``has_aux=True``, ``fun`` returns ``(value, aux)`` and so does the result:
    ``(hessian, aux)``.
    """
    return jacfwd(_grad(fun, argnums, has_aux, holomorphic, "hessian"), argnums, has_aux,
                  holomorphic)


@overload
def linearize(fun: Callable[..., Any], *primals: Any,
              has_aux: Literal[False] = False) -> tuple[Any, Callable[..., Any]]: ...
@overload
def linearize(fun: Callable[..., Any], *primals: Any, has_aux: bool) -> tuple[Any, ...]: ...


def linearize(fun: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """``(fun(*primals), f_jvp)`` where ``f_jvp(*tangents)`` is the JVP at ``primals``.

    Each call of ``f_jvp`` runs one forward-mode pass at the fixed primals. With
    ``has_aux=True`` it returns ``(out, f_jvp, aux)``.
    """
    out, aux = _split_aux(fun(*primals), has_aux)

    def f_jvp(*tangents: Any) -> Any:
        return jvp(fun, primals, tangents, has_aux=has_aux)[1]

    return (out, f_jvp, aux) if has_aux else (out, f_jvp)


def hvp(fun: Callable[..., Any], x: Any, v: Any) -> Any:
    """Hessian-vector product ``H(x) @ v`` of a scalar function, without forming H."""
    return jvp(_grad(fun, 0, False, False, "hvp"), (x,), (v,))[1]


# --- batches of tangents and cotangents for rules (used by checkpoint) -----------------

def batched_jvp(fun: Callable, primals: Sequence[Any], argnum: int, tangents: Any) -> Any:
    """The derivatives of ``fun(*primals)`` (one array) along a batch of tangents of
    ``primals[argnum]`` stacked on a leading axis, in one forward pass."""
    primals = list(primals)
    with new_level() as level:
        primals[argnum] = make_box(primals[argnum], TangentNode(level, tangents, batched=True))
        out = fun(*primals)
    node = out._node if isinstance(out, Box) else None
    if type(node) is TangentNode and node.level == level:
        return node.tangent
    value = _untrace(out, level)
    return np.zeros((np.shape(tangents)[0],) + np.shape(strip(value)), _float_dtype(value))


def batched_vjp(fun: Callable, primals: Sequence[Any], cotangents: Any) -> list:
    """The gradients of every primal for a batch of cotangents of ``fun(*primals)`` (one
    array) stacked on a leading axis, in one backward walk."""
    out, trees, _, level = _trace(fun, tuple(primals), tuple(range(len(primals))))
    seeds = []
    if isinstance(out, Box) and out._node is not None and out._node.level == level:
        seeds.append((out._node, cotangents))
    nodes = {i.node for _, inputs in trees for i in inputs}
    captured, _ = backward_pass(seeds, make_box=make_box, reduce_to_shape=reduce_batch_to_shape,
                                capture=nodes, accumulate=False, batched=True)
    batch = np.shape(cotangents)[:1]
    grads = []
    for _, (item,) in trees:
        g = captured.get(item.node)
        like = strip(item.value)
        grads.append(np.zeros(batch + like.shape, like.dtype) if g is None else
                     real_part_for(g, like.dtype))
    return grads
