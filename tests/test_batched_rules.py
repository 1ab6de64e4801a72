"""Batched rules: jacobian, jacfwd and hessian push a whole basis through each primitive
in one call, and get the Jacobian that one vector-Jacobian product per row gives.

Each case calls one primitive (``prim``) inside a small function of one float64 array.
Beyond agreeing with the row-by-row Jacobian, every case must go through its rules'
batch path: the engine's per-member fallback loop (the only user of
``array_functions.stack``) must never run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import chainrule as cr
from chainrule._core import forward
from chainrule.ops import (
    activations,
    control,
    convolution,
    elementwise,
    indexing,
    products,
    reductions,
    shape,
)
from chainrule.ops import complex as complex_ops
from chainrule.ops.activations import cross_entropy_indices, linear, log_softmax, softmax
from chainrule.ops.convolution import (
    average_pooling,
    avg_pool_adjoint,
    conv_input_grad,
    conv_weight_grad,
    max_pool_select,
    max_pool_spread,
    max_pooling,
)
from chainrule.ops.indexing import scatter_add, zeros_at
from chainrule.ops.products import embed_diagonal
from chainrule.ops.reductions import (
    expand_reduced,
    linear_scan,
    logsumexp,
    permute_along,
    reverse_cumsum,
    shift,
)
from chainrule.ops.registry import PRIMITIVES, UFUNCS

conv2d = convolution.convolution
RNG = np.random.default_rng(3)
A = RNG.uniform(-1.0, 1.0, (3, 2))
W = RNG.uniform(-1.0, 1.0, (5, 4))
BIAS = RNG.uniform(-1.0, 1.0, 5)
T = RNG.uniform(-1.0, 1.0, (2, 4, 3))
LABELS = np.array([0, 3, 1])
PERMUTATION = np.array([[2, 0, 3, 1], [0, 1, 2, 3], [3, 2, 1, 0]])
GEOMETRY = {"stride": (2, 1), "padding": ((1, 1), (0, 0)), "dilation": (1, 2), "groups": 2}
IMAGES = RNG.uniform(-1.0, 1.0, (2, 4, 5, 6))  # convolved by KERNELS with GEOMETRY: (2, 4, 3, 4)
KERNELS = RNG.uniform(-1.0, 1.0, (4, 2, 2, 2))
POOL = {"kernel": (2, 3), "stride": (2, 2), "padding": ((1, 1), (1, 1)), "dilation": (1, 1)}
POOLED = IMAGES[:, :3]  # max pooled with POOL: (2, 3, 3, 3)
AVERAGE = {"kernel": (2, 2), "stride": (1, 2), "padding": ((1, 1), (0, 0)),
           "count_include_pad": False}


@dataclass
class Case:
    """``fn`` of one float64 array of ``shape``, calling primitive ``prim``."""

    prim: str
    name: str
    fn: object
    shape: tuple = (3, 4)

    @property
    def id(self) -> str:
        return f"{self.prim}-{self.name}"


def _set_row(x):
    y = x * 1.0
    y[1] = x[0] ** 2
    return y * x


def _set_columns_broadcast(x):
    y = x * 2.0
    y[:, [0, 2]] = x[0, :2] ** 2  # a (2,) value spread over a (3, 2) region
    return y * x


def _cross_entropy(reduction, **options):
    options = {"weight": None, "label_smoothing": 0.1, "ignore_index": -100, **options}
    return lambda x: cross_entropy_indices(x, LABELS, reduction=reduction, **options)


CASES = [
    # reductions.py
    Case("sum", "axis", lambda x: np.sum(x ** 2, axis=1)),
    Case("mean", "keepdims", lambda x: np.mean(x ** 2, axis=0, keepdims=True)),
    Case("expand_reduced", "direct", lambda x: expand_reduced(x[0], (3, 4), axis=0) * x),
    Case("var", "axis", lambda x: np.var(x, axis=1)),
    Case("var", "keepdims-ddof", lambda x: np.var(x, axis=(0, 1), keepdims=True, ddof=1)),
    Case("std", "axis0", lambda x: np.std(x, axis=0)),
    Case("std", "all", lambda x: np.std(x)),
    Case("max", "last-keepdims", lambda x: np.max(x, axis=-1, keepdims=True)),
    Case("max", "broadcast-after", lambda x: np.max(x, axis=0) * x),
    Case("min", "all", lambda x: np.min(x)),
    Case("min", "two-axes", lambda x: np.min(x, axis=(0, 2)), (2, 3, 4)),
    Case("logsumexp", "axis", lambda x: logsumexp(x, axis=1)),
    Case("logsumexp", "keepdims", lambda x: logsumexp(x, axis=0, keepdims=True) * x),
    Case("prod", "axis", lambda x: np.prod(x, axis=1)),
    Case("prod", "all-keepdims", lambda x: np.prod(x, axis=(0, 1), keepdims=True)),
    Case("prod", "all", lambda x: np.prod(x)),
    Case("cumprod", "axis0", lambda x: np.cumprod(x, axis=0)),
    Case("cumprod", "last", lambda x: np.cumprod(x, axis=-1)),
    Case("cumprod", "flat", lambda x: np.cumprod(x)),
    Case("cumsum", "axis", lambda x: np.cumsum(x, axis=1) * x),
    Case("cumsum", "flat", lambda x: np.cumsum(x) ** 2),
    Case("reverse_cumsum", "axis", lambda x: reverse_cumsum(x, (3, 4), axis=0) * x),
    Case("reverse_cumsum", "flat", lambda x: reverse_cumsum(np.ravel(x), (3, 4)) * x),
    Case("where", "broadcast", lambda x: np.where(x > 0, x, x[0] ** 2)),
    Case("clip", "traced-bound", lambda x: np.clip(x, -0.5, x[0])),
    Case("clip", "low-only", lambda x: np.clip(x ** 2, x[:, :1], None)),
    Case("sort", "axis0", lambda x: np.sort(x, axis=0) * x),
    Case("sort", "flat", lambda x: np.sort(x, axis=None) ** 2),
    Case("permute_along", "direct", lambda x: permute_along(x, PERMUTATION, axis=1) * x),
    Case("shift", "by2", lambda x: shift(x, axis=1, by=2) * x),
    Case("shift", "fill", lambda x: shift(x, axis=0, by=-1, fill=1.0) * x),
    Case("linear_scan", "forward", lambda x: linear_scan(x, x[::-1] * 0.5, axis=1)),
    Case("linear_scan", "reverse", lambda x: linear_scan(x ** 2, x, axis=0, reverse=True)),
    # shape.py
    Case("reshape", "merge", lambda x: np.reshape(x, (2, 6)) ** 2),
    Case("transpose", "axes", lambda x: np.transpose(x, (2, 0, 1)) ** 2, (2, 3, 4)),
    Case("broadcast_to", "rows", lambda x: np.broadcast_to(x[0], (2, 4)) ** 2),
    Case("concatenate", "axis0", lambda x: np.concatenate([x, x[:1] ** 2, np.ones((1, 4))])),
    Case("concatenate", "last", lambda x: np.concatenate([x ** 2, x[:, :1]], axis=-1)),
    Case("concatenate", "stack", lambda x: np.stack([x, x ** 2], axis=1)),
    Case("flip", "last", lambda x: np.flip(x, axis=-1) * x),
    Case("flip", "all", lambda x: np.flip(x) * x),
    Case("roll", "axes", lambda x: np.roll(x, (1, -2), axis=(0, 1)) * x),
    Case("roll", "flat", lambda x: np.roll(x, 5) * x),
    Case("pad", "constant", lambda x: np.pad(x, ((1, 0), (2, 3)), constant_values=1.5) ** 2),
    Case("triu", "offset", lambda x: np.triu(x, 1) * x),
    Case("tril", "vector", lambda x: np.tril(x[0], -1) ** 2),
    Case("trace", "offset", lambda x: np.trace(x * x, 1)),
    Case("trace", "swapped-axes", lambda x: np.trace(x * x, -1, axis1=2, axis2=1), (2, 3, 4)),
    # indexing.py
    Case("getitem", "fancy", lambda x: x[[0, 2, 2]] * x[1]),
    Case("scatter_add", "direct", lambda x: scatter_add(x ** 2, (slice(None), [0, 2, 0, 1]),
                                                       (3, 3))),
    Case("zeros_at", "direct", lambda x: zeros_at(x, (slice(None), [0, 2])) * x),
    Case("setitem", "row", _set_row),
    Case("setitem", "broadcast-value", _set_columns_broadcast),
    Case("astype", "float64", lambda x: x.astype(np.float64) * x),
    Case("copy", "copy", lambda x: np.copy(x) * x),
    # products.py
    Case("matmul", "vector-matrix", lambda x: x[:, 0] @ (x * x)),
    Case("matmul", "matrix-vector", lambda x: (x * x) @ x[0]),
    Case("matmul", "vector-vector", lambda x: x[0] @ x[1]),
    Case("matmul", "stack-matrix", lambda x: x @ x[0].T, (2, 3, 4)),
    Case("matmul", "matrix-stack", lambda x: A.T @ x ** 2, (2, 3, 4)),
    Case("tensordot", "two-axes", lambda x: np.tensordot(x, T, axes=([1, 0], [1, 2])) * x[0, 0]),
    Case("tensordot", "second", lambda x: np.tensordot(A, x ** 2, axes=([0], [0]))),
    Case("tensordot", "both", lambda x: np.tensordot(x, x, axes=([0], [0]))),
    Case("tensordot", "outer", lambda x: np.tensordot(x, x[0], axes=0)),
    Case("einsum", "matrix-product", lambda x: np.einsum("ij,jk->ik", A.T, x * x)),
    Case("einsum", "diagonal", lambda x: np.einsum("ii->i", x[:, :3]) ** 2),
    Case("einsum", "full", lambda x: np.einsum("ij,ij->", x, x)),
    Case("einsum", "ellipsis", lambda x: np.einsum("...j,jk", x, x.T)),
    Case("einsum", "lonely-label", lambda x: np.einsum("ij,k->jk", x * x, x[0])),
    Case("embed_diagonal", "direct", lambda x: embed_diagonal(x[0] ** 2, labels="ii")),
    Case("outer", "outer", lambda x: np.outer(x[0], x[1] ** 2)),
    Case("kron", "matrices", lambda x: np.kron(x[:2, :2], x * x)),
    Case("kron", "vector-matrix", lambda x: np.kron(x[0] ** 2, A)),
    Case("kron", "matrix-vector", lambda x: np.kron(x, x[1] ** 2)),
    Case("cross", "broadcast", lambda x: np.cross(x[:, :3], x[0, 1:] ** 2)),
    # activations.py
    Case("relu", "relu", lambda x: activations.relu(x) * x),
    Case("sigmoid", "sigmoid", lambda x: activations.sigmoid(x)),
    Case("normal_cdf", "normal_cdf", lambda x: activations.normal_cdf(x)),
    Case("softmax", "rows", lambda x: softmax(x, axis=1)),
    Case("softmax", "columns", lambda x: softmax(x, axis=0)),
    Case("log_softmax", "last", lambda x: log_softmax(x, axis=-1)),
    Case("linear", "input", lambda x: linear(x * x, W, BIAS)),
    Case("linear", "vector-input", lambda x: linear(x[0] * x[1], W)),
    Case("linear", "weight", lambda w: linear(w[:3] ** 2, w, BIAS), (5, 4)),
    Case("linear", "stacked-input", lambda w: linear(np.stack([w, w])[:, :2], w * w), (5, 4)),
    Case("linear", "bias", lambda b: linear(W[:2], W, b * b), (5,)),
    Case("cross_entropy_indices", "mean", _cross_entropy("mean")),
    Case("cross_entropy_indices", "sum", _cross_entropy("sum")),
    Case("cross_entropy_indices", "none-weighted",
         _cross_entropy("none", weight=np.array([1.0, 2.0, 0.5, 1.5]))),
    # convolution.py
    Case("conv", "input", lambda x: conv2d(x, KERNELS, stride=(2, 1), padding=1,
                                           dilation=(1, 2), groups=2) ** 2, IMAGES.shape),
    Case("conv", "kernels", lambda w: conv2d(IMAGES, w, stride=(2, 1), padding=1,
                                             dilation=(1, 2), groups=2) ** 2, KERNELS.shape),
    Case("conv", "both", lambda x: conv2d(x, x[:, :2, 1:3, 2:4].reshape(4, 2, 2, 1) * 2.0,
                                          padding="same", groups=2), IMAGES.shape),
    Case("conv", "small-both", lambda x: conv2d(x, x[:, :, :2, 1:] * 0.5), (1, 2, 3, 3)),
    Case("conv_input_grad", "direct", lambda g: conv_input_grad(
        g * g, KERNELS, input_shape=IMAGES.shape, **GEOMETRY), (2, 4, 3, 4)),
    Case("conv_weight_grad", "direct", lambda x: conv_weight_grad(
        x, x[:, :, 1:4, 1:5] ** 2, weight_shape=KERNELS.shape, **GEOMETRY),
         IMAGES.shape),
    Case("avg_pool", "exclude-pad", lambda x: average_pooling(x * x, 2, stride=(1, 2), padding=1,
                                                              count_include_pad=False),
         POOLED.shape),
    Case("avg_pool_adjoint", "direct", lambda g: avg_pool_adjoint(
        g * g, input_shape=POOLED.shape, **AVERAGE), (2, 3, 6, 3)),
    Case("max_pool", "padded", lambda x: max_pooling(x * x, (2, 3), padding=1), POOLED.shape),
    Case("max_pool", "small", lambda x: max_pooling(x * x, 2, stride=1), (1, 2, 3, 3)),
    Case("max_pool_spread", "direct", lambda g: max_pool_spread(g * g, POOLED, **POOL),
         (2, 3, 3, 3)),
    Case("max_pool_select", "direct", lambda h: max_pool_select(h * h, POOLED, **POOL),
         POOLED.shape),
    Case("checkpoint", "block", lambda x: cr.checkpoint(lambda a: np.tanh(a @ a.T) * a[:, :1],
                                                       x)),
]

# Cases for functions whose rules' rules also run batched (jacobian of jacobian ...).
NESTED = ["cumprod-last", "linear_scan-forward", "sort-axis0", "setitem-broadcast-value",
          "matmul-vector-matrix", "einsum-diagonal", "kron-vector-matrix", "conv-small-both",
          "max_pool-small", "softmax-rows", "cross_entropy_indices-none-weighted"]
# Left to the fallback loop (none in these modules).
LOOPING: set = set()


def _input(case):
    return np.random.default_rng(0).uniform(-2.0, 2.0, case.shape)


def _scalar(case):
    """A scalar function through the case, for Hessians (nonlinear after the case too)."""
    def f(x):
        out = case.fn(x)
        weights = np.linspace(0.5, 1.5, int(np.prod(np.shape(out)))).reshape(np.shape(out))
        return np.sum(weights * out * out)
    return f


def _jacobian_by_rows(fn, x):
    out, pullback = cr.vjp(fn, x)
    shape = np.shape(out)
    rows = [pullback(e.reshape(shape))[0] for e in np.eye(int(np.prod(shape)))]
    return np.reshape(np.array(rows), shape + x.shape)


def _close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-11)


@pytest.fixture
def fallback_calls(monkeypatch):
    """A list that grows by one each time the engine loops over a batch member by member."""
    calls = []
    stack = forward.array_functions.stack

    def counting_stack(arrays, *args, **kwargs):
        calls.append(len(arrays))
        return stack(arrays, *args, **kwargs)

    monkeypatch.setattr(forward.array_functions, "stack", counting_stack)
    return calls


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_jacobian_and_jacfwd_match_the_rows_of_vjps(case):
    x = _input(case)
    expected = _jacobian_by_rows(case.fn, x)
    _close(cr.jacobian(case.fn)(x), expected)
    _close(cr.jacfwd(case.fn)(x), expected)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hessian_matches_the_jacobian_of_the_gradient(case):
    x = _input(case)
    f = _scalar(case)
    _close(cr.hessian(f)(x), cr.jacobian(cr.grad(f))(x))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_batch_goes_through_each_rule_in_one_call(case, fallback_calls, monkeypatch):
    prim = PRIMITIVES[case.prim]
    uses = []
    fun = prim.fun
    monkeypatch.setattr(prim, "fun", lambda *a, **k: uses.append(1) or fun(*a, **k))
    x = _input(case)
    f = _scalar(case)
    for transform in (cr.jacobian(case.fn), cr.jacfwd(case.fn), cr.hessian(f),
                      cr.jacobian(cr.grad(f))):
        transform(x)
    assert uses, f"the case never calls {case.prim}"
    assert fallback_calls == []


@pytest.mark.parametrize("name", NESTED)
def test_nested_batched_transforms_agree(name):
    case = next(c for c in CASES if c.id == name)
    x = _input(case)
    expected = cr.jacobian(cr.jacobian(case.fn))(x)
    for outer, inner in ((cr.jacfwd, cr.jacfwd), (cr.jacobian, cr.jacfwd),
                         (cr.jacfwd, cr.jacobian)):
        _close(outer(inner(case.fn))(x), expected)


def test_a_primitive_without_batched_rules_falls_back_to_the_loop(fallback_calls):
    @cr.primitive
    def cube(x):
        return x ** 3

    cube.defvjp(lambda g, ans, x: 3 * g * x ** 2)
    cube.defjvp(lambda t, ans, x: 3 * t * x ** 2)
    x = np.arange(1.0, 4.0)
    _close(cr.jacobian(cube)(x), np.diag(3 * x ** 2))
    _close(cr.jacfwd(cube)(x), np.diag(3 * x ** 2))
    assert fallback_calls == [3, 3]


def _primitives_in(*modules) -> set:
    return {p.name for m in modules for p in vars(m).values() if isinstance(p, cr.Primitive)}


def test_every_primitive_here_batches_and_has_a_case_unless_it_loops():
    ufuncs = {prim.name for prim in UFUNCS.values()}  # elementwise: the conformance table
    here = _primitives_in(shape, reductions, products, activations, convolution, control,
                          indexing) - _primitives_in(elementwise, complex_ops) - ufuncs
    batched = {name for name in here
               if PRIMITIVES[name].batching.whole_batch}
    assert here - batched == LOOPING
    assert batched - {c.prim for c in CASES} == set()
