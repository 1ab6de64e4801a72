"""Products: matmul, tensordot, einsum, outer, kron, cross, and the NumPy names over them.

``np.dot``, ``np.inner`` and ``np.vdot`` are not primitives of their own: each
of their cases is a matmul, a tensordot or a plain multiply, so they route there.
Every rule is written with products (and a transpose or an index), so it runs on
arrays for first derivatives and on Tensors for higher ones.
"""

from __future__ import annotations

import functools
import string
import warnings
from collections import Counter

import numpy as np

from .._core.arrays import foreign_array_type, is_lazy
from .broadcast import is_identity_basis
from .elementwise import multiply
from .indexing import as_operand, batch_aligned
from .registry import UFUNCS, defprim, implements

# --- helpers -----------------------------------------------------------------


def _as_operand(x):
    """Tensors and arrays as they are; lists and numbers as arrays (wrappers only)."""
    return as_operand(x)


def _no_out(name: str, out) -> None:
    if out is not None:
        raise TypeError(
            f"numpy.{name}(..., out=...) is not supported by chainrule: writing into "
            f"`out` would drop the gradient. Assign the result to a name instead.")


def _transpose_to(h, order: tuple):
    """Axis ``p`` of ``h`` is axis ``order[p]`` of the result: put it there."""
    perm = tuple(np.argsort(order))
    if perm == tuple(range(len(perm))):
        return h
    return np.transpose(h, perm)


# --- matmul --------------------------------------------------------------------


def _matmul_grad_a(g, ans, a, b):
    if b.ndim == 2 and a.ndim >= 2:  # the hot path: matrices, or a batch times a matrix
        return g @ b.T
    if b.ndim == 1:
        return g * b if a.ndim == 1 else g[..., None] * b
    if a.ndim == 1:
        return b @ g if b.ndim == 2 else (b @ g[..., None])[..., 0]
    return g @ np.swapaxes(b, -1, -2)


def _matmul_grad_b(g, ans, a, b):
    if a.ndim == 2 and b.ndim >= 2:
        return a.T @ g
    if a.ndim == 1:
        return g * a if b.ndim == 1 else a[:, None] * g[..., None, :]
    if b.ndim == 1:
        return g @ a if a.ndim == 2 else (g[..., None, :] @ a)[..., 0, :]
    return np.swapaxes(a, -1, -2) @ g


matmul = defprim(np.matmul, "matmul")
matmul.defvjp(_matmul_grad_a, _matmul_grad_b, reads="args")
matmul.defjvp(lambda t, ans, a, b: matmul(t, b), lambda t, ans, a, b: matmul(a, t))


# Batched rules (jacfwd, jacobian, hessian): a batch of tangents or cotangents stacked
# on a new first axis. matmul broadcasts over leading axes, so most cases are the plain
# rule with the batch's members aligned; a 1-D operand needs its batch axis moved.
def _batched_matmul_jvp_a(t, ans, a, b):
    if np.ndim(a) == 1:  # the batch of vectors t is a matrix with one row per member
        out = matmul(t, b)
        return np.moveaxis(out, -2, 0) if np.ndim(b) > 2 else out
    return matmul(batch_aligned(t, np.ndim(b)), b)


def _batched_matmul_jvp_b(t, ans, a, b):
    if np.ndim(b) == 1 and np.ndim(a) == 2:  # members a @ t_k are the rows of t @ a^T
        if is_identity_basis(t) and t.dtype == a.dtype:
            return np.swapaxes(a, 0, 1)
        return matmul(t, np.swapaxes(a, 0, 1))
    if np.ndim(b) == 1:  # the batch of vectors t is a matrix with one column per member
        return np.moveaxis(matmul(a, np.swapaxes(t, 0, 1)), -1, 0)
    return matmul(a, batch_aligned(t, np.ndim(a)))


def _batched_matmul_grad_a(g, ans, a, b):
    if a.ndim == 1:  # the plain rule's b @ g and g * b would meet g's batch axis
        return g[..., None] * b if b.ndim == 1 else (b @ g[..., None])[..., 0]
    return _matmul_grad_a(g, ans, a, b)


def _batched_matmul_grad_b(g, ans, a, b):
    if a.ndim == 1 and b.ndim == 1:
        return g[..., None] * a
    return _matmul_grad_b(g, ans, a, b)


matmul.defbatch(jvps=(_batched_matmul_jvp_a, _batched_matmul_jvp_b),
                vjps=(_batched_matmul_grad_a, _batched_matmul_grad_b))
# np.matmul is a ufunc, so calls on Tensors arrive through __array_ufunc__, which
# checks the keywords; FUNCTIONS[np.matmul] only serves the ``@`` operator, which
# always passes two operands: it gets the primitive itself, one call cheaper.
UFUNCS[np.matmul] = matmul
implements(np.matmul)(matmul)


# --- tensordot -----------------------------------------------------------------


def _contracted_axes(axes, a_ndim: int, b_ndim: int) -> tuple:
    """NumPy's ``axes`` argument as two tuples of non-negative axes."""
    if isinstance(axes, (int, np.integer)):
        return tuple(range(a_ndim - axes, a_ndim)), tuple(range(axes))
    a_axes, b_axes = axes
    a_axes = (a_axes,) if isinstance(a_axes, (int, np.integer)) else tuple(a_axes)
    b_axes = (b_axes,) if isinstance(b_axes, (int, np.integer)) else tuple(b_axes)
    if len(a_axes) != len(b_axes):
        raise ValueError("tensordot: the two sequences of axes must have the same length")
    return _non_negative(a_axes, a_ndim), _non_negative(b_axes, b_ndim)


def _non_negative(axes: tuple, ndim: int) -> tuple:
    for axis in axes:
        if not -ndim <= axis < ndim:
            raise ValueError(f"tensordot: axis {axis} is out of bounds for an array of "
                             f"dimension {ndim}")
    return tuple(int(axis) % ndim for axis in axes)


@functools.lru_cache(maxsize=256)
def _tensordot_plan(axes: tuple, a_ndim: int, b_ndim: int, wrt: int) -> tuple:
    """(axes of the gradient's tensordot, where its result's axes belong)."""
    a_axes, b_axes = axes
    a_free = tuple(i for i in range(a_ndim) if i not in a_axes)
    b_free = tuple(i for i in range(b_ndim) if i not in b_axes)
    if wrt == 0:  # tensordot(g, b): a's free axes, then b's contracted ones in b's order
        g_axes = tuple(range(len(a_free), len(a_free) + len(b_free)))
        order = a_free + tuple(a_axes[b_axes.index(j)] for j in sorted(b_axes))
        return (g_axes, b_free), order
    # tensordot(a, g): a's contracted axes in a's order, then b's free axes
    order = tuple(b_axes[a_axes.index(i)] for i in sorted(a_axes)) + b_free
    return (a_free, tuple(range(len(a_free)))), order


def _tensordot_grad_a(g, ans, a, b, axes):
    contraction, order = _tensordot_plan(axes, a.ndim, b.ndim, 0)
    return _transpose_to(tensordot(g, b, axes=contraction), order)


def _tensordot_grad_b(g, ans, a, b, axes):
    contraction, order = _tensordot_plan(axes, a.ndim, b.ndim, 1)
    return _transpose_to(tensordot(a, g, axes=contraction), order)


def _tensordot(a, b, axes: tuple):
    """``np.tensordot`` with ``axes`` given as two tuples of non-negative axes."""
    return np.tensordot(a, b, axes)


tensordot = defprim(_tensordot, "tensordot")
tensordot.defvjp(_tensordot_grad_a, _tensordot_grad_b, reads="args")
tensordot.defjvp(lambda t, ans, a, b, axes: tensordot(t, b, axes=axes),
                 lambda t, ans, a, b, axes: tensordot(a, t, axes=axes))


def _tensordot_each(a, b, axes: tuple, batched: int):
    """``tensordot(a, b)`` for each member of a batch stacked in front of argument
    ``batched`` (0 for a, 1 for b), with the batch in front of the result."""
    a_axes, b_axes = axes
    if batched == 0:
        return tensordot(a, b, axes=(tuple(i + 1 for i in a_axes), b_axes))
    out = tensordot(a, b, axes=(a_axes, tuple(j + 1 for j in b_axes)))
    return np.moveaxis(out, a.ndim - len(a_axes), 0)


def _tensordot_grad_each(wrt: int):
    def rule(g, ans, a, b, axes):
        contraction, order = _tensordot_plan(axes, a.ndim, b.ndim, wrt)
        h = _tensordot_each(g, b, contraction, 0) if wrt == 0 else \
            _tensordot_each(a, g, contraction, 1)
        return _transpose_to(h, (0,) + tuple(i + 1 for i in order))

    return rule


tensordot.defbatch(jvps=(lambda t, ans, a, b, axes: _tensordot_each(t, b, axes, 0),
                         lambda t, ans, a, b, axes: _tensordot_each(a, t, axes, 1)),
                   vjps=(_tensordot_grad_each(0), _tensordot_grad_each(1)))


@implements(np.tensordot)
def _np_tensordot(a, b, axes=2):
    a, b = _as_operand(a), _as_operand(b)
    return tensordot(a, b, axes=_contracted_axes(axes, a.ndim, b.ndim))


# --- dot, inner, vdot: routed to the primitives above ------------------------


@implements(np.dot)
def _np_dot(a, b, out=None):
    _no_out("dot", out)
    a, b = _as_operand(a), _as_operand(b)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    if b.ndim <= 2:  # NumPy's dot and matmul agree here
        return matmul(a, b)
    return tensordot(a, b, axes=((a.ndim - 1,), (b.ndim - 2,)))


@implements(np.inner)
def _np_inner(a, b, /):
    a, b = _as_operand(a), _as_operand(b)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    if b.ndim == 1:
        return matmul(a, b)
    return tensordot(a, b, axes=((a.ndim - 1,), (b.ndim - 1,)))


def _flat(x):
    x = _as_operand(x)
    return x if x.ndim == 1 else np.ravel(x)


@implements(np.vdot)
def _np_vdot(a, b, /):
    a, b = _flat(a), _flat(b)
    if a.dtype.kind == "c":
        a = np.conjugate(a)
    return matmul(a, b)


# --- outer ---------------------------------------------------------------------

outer = defprim(np.outer, "outer")
outer.defvjp(lambda g, ans, a, b: g @ b, lambda g, ans, a, b: a @ g, reads="args")
outer.defjvp(lambda t, ans, a, b: outer(t, b), lambda t, ans, a, b: outer(a, t))
# Batched: the VJP rules' products broadcast over a batch stacked in front of g.
outer.defbatch(jvps=(lambda t, ans, a, b: t[:, :, None] * b,
                     lambda t, ans, a, b: a[:, None] * t[:, None, :]),
               vjps=tuple(outer.vjps))


@implements(np.outer)
def _np_outer(a, b, out=None):
    _no_out("outer", out)
    return outer(_flat(a), _flat(b))


# --- einsum ----------------------------------------------------------------------

_LABELS = string.ascii_uppercase + string.ascii_lowercase  # NumPy's order for int labels


def _unique(labels: str) -> str:
    return "".join(dict.fromkeys(labels))


@functools.lru_cache(maxsize=512)
def _explicit_subscripts(subscripts: str, ndims: tuple) -> str:
    """``subscripts`` with ``...`` spelt out in letters and the output made explicit.

    >>> _explicit_subscripts("...ij,jk", (3, 2))
    'aij,jk->aik'
    """
    inputs, arrow, output = subscripts.replace(" ", "").partition("->")
    terms = inputs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(f"einsum: the subscripts name {len(terms)} operands but "
                         f"{len(ndims)} were given")
    spare = [c for c in string.ascii_letters if c not in subscripts]
    hidden = [ndim - len(term) + 3 if "..." in term else 0
              for term, ndim in zip(terms, ndims, strict=True)]
    if min(hidden, default=0) < 0:
        raise ValueError("einsum: an operand has fewer dimensions than its subscripts")
    ellipsis = "".join(spare[:max(hidden, default=0)])
    terms = [t.replace("...", ellipsis[len(ellipsis) - n:])
             for t, n in zip(terms, hidden, strict=True)]
    if not arrow:
        counts = Counter("".join(terms))
        output = ellipsis + "".join(sorted(c for c, n in counts.items()
                                           if n == 1 and c not in ellipsis))
    elif "..." in output:
        output = output.replace("...", ellipsis)
    elif ellipsis:
        raise ValueError("output has more dimensions than subscripts given in einstein "
                         "sum, but no '...' ellipsis provided to broadcast the extra "
                         "dimensions.")
    return ",".join(terms) + "->" + output


def _interleaved_subscripts(args: tuple) -> tuple:
    """``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as ``("AB,BC->AC", (a, b))``."""
    def letters(sublist) -> str:
        return "".join("..." if s is Ellipsis else _LABELS[s] for s in sublist)

    has_output = len(args) % 2 == 1
    operands = args[0:len(args) - has_output:2]
    inputs = ",".join(letters(s) for s in args[1::2])
    return (inputs + "->" + letters(args[-1]) if has_output else inputs), operands


def _free_label(subscripts: str) -> str | None:
    return next((c for c in string.ascii_letters if c not in subscripts), None)


@functools.lru_cache(maxsize=1024)
def _batched_subscripts(subscripts: str, k: int) -> str:
    """``subscripts`` with a new label in front of operand ``k`` and of the output: the
    same einsum for each member of a batch stacked in front of operand ``k``."""
    label = _free_label(subscripts)
    inputs, output = subscripts.split("->")
    terms = inputs.split(",")
    terms[k] = label + terms[k]
    return ",".join(terms) + "->" + label + output


@functools.lru_cache(maxsize=1024)
def _einsum_gradient_plan(subscripts: str, k: int, batched: bool = False) -> tuple:
    """How to get operand ``k``'s gradient: an einsum of g with the other operands.

    Labels that only operand ``k`` has are summed in the forward pass, so the
    gradient is constant along them: they come from vectors of ones. A label
    repeated within operand ``k`` (a diagonal) gives a gradient that lives on that
    diagonal: it is computed with the label once, then embedded. ``batched``: for a
    batch of cotangents stacked in front of g, kept in front of the gradient.
    """
    inputs, output = subscripts.split("->")
    terms = inputs.split(",")
    target = terms[k]
    unique = _unique(target)
    others = terms[:k] + terms[k + 1:]
    seen = set(output).union(*others)
    lonely = [c for c in unique if c not in seen]
    spec = ",".join([output, *others, *lonely]) + "->" + unique
    is_copy = not others and not lonely and output == unique
    lonely_axes = tuple(target.index(c) for c in lonely)
    diagonal = target if len(unique) < len(target) else None
    if batched:
        spec = _batched_subscripts(spec, 0)
        diagonal = diagonal and _free_label(diagonal) + diagonal
    return None if is_copy else spec, lonely_axes, diagonal


def _einsum_vjp(k: int, batched: bool = False):
    def rule(g, ans, *operands, subscripts, optimize=False):
        if batched and _free_label(subscripts) is None:
            return None  # no label left for the batch: the fallback loops
        spec, lonely_axes, diagonal = _einsum_gradient_plan(subscripts, k, batched)
        if spec is None:
            h = g
        else:
            target = operands[k]
            ones = [np.ones(target.shape[i], dtype=g.dtype) for i in lonely_axes]
            others = operands[:k] + operands[k + 1:]
            h = einsum(g, *others, *ones, subscripts=spec,
                       optimize=optimize if isinstance(optimize, (bool, str)) else True)
        return h if diagonal is None else embed_diagonal(h, labels=diagonal)

    return rule


def _einsum_jvp(k: int, batched: bool = False):
    def rule(t, ans, *operands, subscripts, optimize=False):
        if batched:
            if _free_label(subscripts) is None:
                return None
            subscripts = _batched_subscripts(subscripts, k)
        # Multilinear: the same einsum with the tangent in operand k's slot.
        return einsum(*operands[:k], t, *operands[k + 1:], subscripts=subscripts,
                      optimize=optimize)

    return rule


def _embed_diagonal(h, labels: str):
    """Zeros of the shape ``labels`` spell, with ``h`` written on their diagonal."""
    unique = _unique(labels)
    shape = tuple(h.shape[unique.index(c)] for c in labels)
    if type(h) is not np.ndarray and foreign_array_type((h,)) is not None:
        return _embed_diagonal_by_mask(h, labels, shape)
    out = np.zeros(shape, dtype=h.dtype)
    np.einsum(f"{labels}->{unique}", out)[...] = h  # a writeable view of the diagonal
    return out


def _embed_diagonal_by_mask(h, labels: str, shape: tuple):
    """``_embed_diagonal`` without writing into a view, for arrays of other libraries:
    ``h`` spread over ``shape`` (a repeated label's later axes have length 1), kept
    where a NumPy mask of the diagonal holds."""
    diagonal = np.zeros(shape, dtype=bool)
    np.einsum(f"{labels}->{_unique(labels)}", diagonal)[...] = True
    seen: set = set()
    spread = []
    for c, n in zip(labels, shape):
        spread.append(1 if c in seen else n)
        seen.add(c)
    # The mask in h's library: CuPy does not mix its arrays with NumPy's.
    return np.where(np.asarray(diagonal, like=h), np.reshape(h, spread),
                    np.zeros_like(h, shape=()))


def _einsum(*operands, subscripts: str, optimize=False):
    """``np.einsum`` with explicit subscripts: every ``...`` spelt out, output given."""
    if any(is_lazy(x) for x in operands):
        operands = _diagonals_in_one_chunk(operands, subscripts)
    return np.einsum(subscripts, *operands, optimize=optimize)


def _diagonals_in_one_chunk(operands, subscripts: str) -> list:
    """Dask pairs the blocks of a label repeated in one operand (a diagonal) only when
    its axes are chunked alike: those axes are made one chunk each."""
    labels_of = subscripts.split("->")[0].split(",")
    return [x.rechunk({i: -1 for i, c in enumerate(labels) if labels.count(c) > 1})
            if is_lazy(x) and len(set(labels)) < len(labels) else x
            for x, labels in zip(operands, labels_of)]


einsum = defprim(_einsum, "einsum")
einsum.defvjp(*(_einsum_vjp(k) for k in range(64)), reads="args")
einsum.defjvp(*(_einsum_jvp(k) for k in range(64)))
einsum.defbatch(jvps=tuple(_einsum_jvp(k, batched=True) for k in range(64)),
                vjps=tuple(_einsum_vjp(k, batched=True) for k in range(64)))

embed_diagonal = defprim(_embed_diagonal, "embed_diagonal")
embed_diagonal.defvjp(
    lambda g, ans, h, labels: einsum(g, subscripts=f"{labels}->{_unique(labels)}"), reads="args")
embed_diagonal.defjvp(lambda t, ans, h, labels: embed_diagonal(t, labels=labels))
embed_diagonal.defbatch(
    jvps=(lambda t, ans, h, labels: embed_diagonal(t, labels=_free_label(labels) + labels),),
    vjps=(lambda g, ans, h, labels: einsum(
        g, subscripts=_batched_subscripts(f"{labels}->{_unique(labels)}", 0)),))


@implements(np.einsum)
def _np_einsum(*operands, out=None, dtype=None, order="K", casting="safe", optimize=False):
    _no_out("einsum", out)
    if isinstance(operands[0], str):
        subscripts, arrays = operands[0], operands[1:]
    else:
        subscripts, arrays = _interleaved_subscripts(operands)
    arrays = tuple(_as_operand(x) for x in arrays)
    if dtype is not None:
        arrays = tuple(x.astype(dtype) for x in arrays)
    spec = _explicit_subscripts(subscripts, tuple(x.ndim for x in arrays))
    return einsum(*arrays, subscripts=spec, optimize=optimize)


# --- kron ----------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _kron_plan(a_ndim: int, b_ndim: int, wrt: int) -> str:
    """Subscripts contracting g (axes interleaved a0 b0 a1 b1 ...) with the other input."""
    n = max(a_ndim, b_ndim)
    big, small = string.ascii_uppercase[:n], string.ascii_lowercase[:n]
    g_labels = "".join(A + a for A, a in zip(big, small, strict=True))
    a_labels, b_labels = big[n - a_ndim:], small[n - b_ndim:]
    if wrt == 0:
        return f"{g_labels},{b_labels}->{a_labels}"
    return f"{g_labels},{a_labels}->{b_labels}"


def _interleaved_shape(a_shape: tuple, b_shape: tuple) -> tuple:
    n = max(len(a_shape), len(b_shape))
    a_shape = (1,) * (n - len(a_shape)) + a_shape
    b_shape = (1,) * (n - len(b_shape)) + b_shape
    return tuple(d for pair in zip(a_shape, b_shape, strict=True) for d in pair)


def _kron_grad(wrt: int, batched: bool = False):
    def rule(g, ans, a, b):
        lead = g.shape[:1] if batched else ()
        g = g.reshape(lead + _interleaved_shape(a.shape, b.shape))
        spec = _kron_plan(a.ndim, b.ndim, wrt)
        return einsum(g, b if wrt == 0 else a,
                      subscripts=_batched_subscripts(spec, 0) if batched else spec)

    return rule


kron = defprim(np.kron, "kron", numpy_only="Dask has no kron")
kron.defvjp(_kron_grad(0), _kron_grad(1), reads="args")
kron.defjvp(lambda t, ans, a, b: kron(t, b), lambda t, ans, a, b: kron(a, t))


def _kron_factor(x, ndim: int, slot: int, lead: int):
    """``x`` (after ``lead`` batch axes, padded to ``ndim`` axes) laid on slot 0 (a's)
    or 1 (b's) of the interleaved axis pairs whose product ``kron`` flattens."""
    shape = (1,) * (ndim + lead - x.ndim) + tuple(x.shape[lead:])
    pairs = [(n, 1) if slot == 0 else (1, n) for n in shape]
    return np.reshape(x, tuple(x.shape[:lead]) + tuple(n for pair in pairs for n in pair))


def _kron_jvp_each(wrt: int):
    def rule(t, ans, a, b):
        n = ans.ndim
        a_part = _kron_factor(t, n, 0, 1) if wrt == 0 else _kron_factor(a, n, 0, 0)
        b_part = _kron_factor(t, n, 1, 1) if wrt == 1 else _kron_factor(b, n, 1, 0)
        return np.reshape(a_part * b_part, t.shape[:1] + ans.shape)

    return rule


kron.defbatch(jvps=(_kron_jvp_each(0), _kron_jvp_each(1)),
              vjps=(_kron_grad(0, batched=True), _kron_grad(1, batched=True)))


@implements(np.kron)
def _np_kron(a, b):
    return kron(_as_operand(a), _as_operand(b))


# --- cross ---------------------------------------------------------------------

def _cross(a, b):
    """Cross products of 3-vectors along the last axis, batch axes broadcast."""
    return np.cross(a, b)


cross = defprim(_cross, "cross", numpy_only="Dask has no cross product")
# <g, a x b> = <a, b x g> = <b, g x a>
cross.defvjp(lambda g, ans, a, b: cross(b, g), lambda g, ans, a, b: cross(g, a), reads="args")
cross.defjvp(lambda t, ans, a, b: cross(t, b), lambda t, ans, a, b: cross(a, t))
# The vectors lie along the last axis and the rules broadcast over the rest, so a
# batch stacked in front goes through them in one call.
cross.defbatch(broadcasts=True)


def _as_3_vectors(x):
    """2-vectors padded with a zero third component (a product keeps it differentiable)."""
    return x @ np.eye(2, 3, dtype=x.dtype)


@implements(np.cross)
def _np_cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _as_operand(a), _as_operand(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("At least one array has zero dimension")
    if axisa % a.ndim != a.ndim - 1:
        a = np.moveaxis(a, axisa, -1)
    if axisb % b.ndim != b.ndim - 1:
        b = np.moveaxis(b, axisb, -1)
    sizes = (a.shape[-1], b.shape[-1])
    if not set(sizes) <= {2, 3}:
        raise ValueError("incompatible dimensions for cross product\n"
                         "(dimension must be 2 or 3)")
    if 2 in sizes:
        warnings.warn("Arrays of 2-dimensional vectors are deprecated. Use arrays of "
                      "3-dimensional vectors instead. (deprecated in NumPy 2.0)",
                      DeprecationWarning, stacklevel=2)
        a = _as_3_vectors(a) if sizes[0] == 2 else a
        b = _as_3_vectors(b) if sizes[1] == 2 else b
        if sizes == (2, 2):
            return cross(a, b)[..., 2]
    c = cross(a, b)
    if c.ndim > 1 and axisc % c.ndim != c.ndim - 1:
        c = np.moveaxis(c, -1, axisc)
    return c
