"""Tensor semantics (SPEC §1, §4): construction, attributes, operators, indexing,
assignment, in-place updates, backward(), hooks, grad modes, and the worked examples.

Every expected gradient is computed independently of chainrule: a closed form
written with NumPy, NumPy's own result, or central finite differences.
Non-scalar outputs are reduced with ``backward(gradient=G)``, so the expected
gradient is the vector-Jacobian product with ``G``.
"""

from __future__ import annotations

import contextlib
import operator
import sys
import threading

import numpy as np
import pytest

import chainrule as cr
from chainrule.testing import numerical_gradient


def grad_of(t: cr.Tensor) -> np.ndarray:
    """The accumulated gradient of ``t`` as a plain array (fails if there is none)."""
    assert t.grad is not None, "expected a gradient, found .grad is None"
    return np.asarray(t.grad.numpy())


def assert_close(actual, expected, rtol=1e-12, atol=1e-12):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=rtol, atol=atol)


A = np.array([1.3, 2.7, 0.6])
B = np.array([0.7, 1.9, 2.2])
G = np.array([0.5, -1.5, 2.0])  # the cotangent passed to backward(gradient=...)


# --- construction and dtypes -----------------------------------------------------------

def test_python_floats_give_float64():
    assert cr.tensor([1.0, 2.0]).dtype == np.float64
    assert cr.tensor(2.0).dtype == np.float64


def test_python_ints_give_numpys_default_integer_dtype():
    assert cr.tensor([1, 2]).dtype == np.array([1, 2]).dtype


def test_dtype_argument_sets_the_dtype():
    assert cr.tensor([1, 2], dtype=np.float32).dtype == np.float32


def test_tensor_copies_its_input_array():
    source = np.array([1.0, 2.0])
    t = cr.tensor(source)
    source[0] = 99.0
    assert t.tolist() == [1.0, 2.0]


def test_float32_stays_float32_through_operations_with_python_numbers():
    x = cr.tensor([0.5, 1.5], dtype=np.float32, requires_grad=True)
    results = [x * 2.5 + 1.0, 3 - x, 1 / x, x ** 2, 2.0 ** x, np.sin(x), np.exp(x) / 7,
               abs(-x), x[0]]
    assert [r.dtype for r in results] == [np.float32] * len(results)


def test_float32_gradient_is_float32():
    x = cr.tensor([0.5, 1.5], dtype=np.float32, requires_grad=True)
    (np.tanh(x * 2.0) / 3.0).backward(gradient=np.ones(2, dtype=np.float32))
    assert x.grad.dtype == np.float32
    assert_close(grad_of(x), 2.0 / 3.0 * (1 - np.tanh(2.0 * np.float32([0.5, 1.5])) ** 2),
                 rtol=1e-6)


def test_float32_leaf_gets_float32_gradient_through_a_float64_operation():
    x = cr.tensor([0.5, 1.5], dtype=np.float32, requires_grad=True)
    y = x * np.array([2.0, 3.0])  # NumPy promotes the product to float64
    assert y.dtype == np.float64
    y.backward(gradient=np.ones(2))
    assert x.grad.dtype == np.float32
    assert_close(grad_of(x), [2.0, 3.0])


@pytest.mark.parametrize("data", [[1, 2], [True, False]], ids=["int", "bool"])
def test_integer_and_boolean_tensors_cannot_require_grad(data):
    with pytest.raises(TypeError):
        cr.tensor(data, requires_grad=True)
    with pytest.raises(TypeError):
        cr.tensor(data).requires_grad_()


def test_integer_data_can_require_grad_once_given_a_float_dtype():
    x = cr.tensor([1, 2], dtype=np.float64, requires_grad=True)
    (x * x).backward(gradient=np.ones(2))
    assert_close(grad_of(x), [2.0, 4.0])


# --- attributes ------------------------------------------------------------------------

def test_shape_ndim_size_dtype_match_numpy():
    data = np.arange(24.0).reshape(2, 3, 4)
    t = cr.tensor(data)
    assert (t.shape, t.ndim, t.size, t.dtype) == (data.shape, data.ndim, data.size,
                                                  data.dtype)


def test_T_transposes_and_its_gradient_is_transposed_back():
    data = np.arange(6.0).reshape(2, 3)
    x = cr.tensor(data, requires_grad=True)
    cotangent = np.arange(6.0).reshape(3, 2) + 1
    y = x.T
    assert_close(y.numpy(), data.T)
    y.backward(gradient=cotangent)
    assert_close(grad_of(x), cotangent.T)


def test_leaf_starts_with_no_gradient():
    assert cr.tensor([1.0], requires_grad=True).grad is None


def test_requires_grad_flag():
    assert cr.tensor([1.0]).requires_grad is False
    assert cr.tensor([1.0], requires_grad=True).requires_grad is True
    assert (cr.tensor([1.0], requires_grad=True) * 2).requires_grad is True


def test_requires_grad_underscore_turns_a_tensor_into_a_leaf_and_returns_it():
    t = cr.tensor([3.0])
    assert t.requires_grad_() is t
    assert t.requires_grad and t.is_leaf
    (t * t).backward()
    assert_close(grad_of(t), [6.0])


def test_requires_grad_setter():
    t = cr.tensor([3.0])
    t.requires_grad = True
    assert t.requires_grad
    t.requires_grad = False
    assert not t.requires_grad


def test_is_leaf_and_grad_fn():
    x = cr.tensor([1.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and y.grad_fn is not None
    assert y.grad_fn.name == "multiply"


def test_constant_tensor_is_a_leaf_without_grad_fn():
    c = cr.tensor([1.0])
    assert c.is_leaf and c.grad_fn is None


def test_item_gives_a_python_number():
    value = cr.tensor([[2.5]]).item()
    assert type(value) is float and value == 2.5


def test_tolist_gives_nested_python_lists():
    assert cr.tensor([[1.0, 2.0], [3.0, 4.0]]).tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_numpy_is_a_view_of_the_data_without_copy():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    array = x.numpy()
    assert type(array) is np.ndarray
    assert np.shares_memory(array, x.data)
    assert_close(array, [1.0, 2.0])


def test_detach_shares_data_and_cuts_the_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.numpy(), x.numpy())
    (x * d).backward(gradient=np.ones(2))  # d is a constant: d(x*d)/dx = d
    assert_close(grad_of(x), [1.0, 2.0])


def test_zero_grad_clears_the_gradient_and_accumulation_restarts():
    x = cr.tensor([1.0], requires_grad=True)
    (x * 3).backward()
    x.zero_grad()
    assert x.grad is None
    (x * 5).backward()
    assert_close(grad_of(x), [5.0])


def test_repr_of_a_gradient_matches_the_spec():
    assert repr(cr.tensor([7.0])) == "tensor([7.])"


def test_repr_shows_requires_grad():
    assert repr(cr.tensor([1.0, 2.0], requires_grad=True)) == \
        "tensor([1., 2.], requires_grad=True)"


def test_repr_shows_a_non_default_dtype():
    assert repr(cr.tensor([1.0], dtype=np.float32)) == "tensor([1.], dtype=float32)"


def test_repr_of_a_result_names_its_operation():
    y = cr.tensor([1.0], requires_grad=True) * 2
    assert repr(y) == "tensor([2.], grad_fn=<multiply>)"


# --- the SPEC examples -------------------------------------------------------------------

def test_spec_seed_example_gives_seven():
    x = cr.tensor([2.0], requires_grad=True)
    y = x ** 2 + 3 * x
    y.backward()
    assert_close(grad_of(x), [7.0])  # d/dx (x^2 + 3x) = 2x + 3 at x = 2
    assert repr(x.grad) == "tensor([7.])"


def test_array_example_matmul_and_power_gradients_match_closed_forms():
    rng = np.random.default_rng(0)
    a_data, b_data = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    c_data, d_data = rng.uniform(0.5, 2.0, (2, 4)), rng.uniform(-1.0, 2.0, (2, 4))
    a, b, c, d = (cr.tensor(v, requires_grad=True) for v in (a_data, b_data, c_data, d_data))
    G1, G2 = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))

    product, power = a @ b, c ** d
    assert_close(product.numpy(), a_data @ b_data)
    assert_close(power.numpy(), c_data ** d_data)
    product.backward(gradient=G1)
    power.backward(gradient=G2)

    assert_close(grad_of(a), G1 @ b_data.T)
    assert_close(grad_of(b), a_data.T @ G1)
    assert_close(grad_of(c), G2 * d_data * c_data ** (d_data - 1))
    assert_close(grad_of(d), G2 * c_data ** d_data * np.log(c_data))


def _user_cos():
    calls = []

    @cr.primitive
    def cos(x):
        return np.cos(x)

    def cos_vjp(g, ans, x):
        calls.append(1)
        return -g * np.sin(x)

    cos.defvjp(cos_vjp)
    return cos, calls


def test_user_defined_primitive_inside_a_larger_function_matches_closed_form():
    cos, calls = _user_cos()
    data = np.array([0.3, 1.2, -0.8])
    x = cr.tensor(data, requires_grad=True)
    y = cos(x * 2.0) * x + x ** 2
    y.backward(gradient=G)
    assert calls, "the primitive's own VJP rule was not used"
    assert_close(y.numpy(), np.cos(2 * data) * data + data ** 2)
    # d/dx [x cos(2x) + x^2] = cos(2x) - 2x sin(2x) + 2x
    assert_close(grad_of(x), G * (np.cos(2 * data) - 2 * data * np.sin(2 * data) + 2 * data))


def test_user_defined_primitive_gradient_matches_finite_differences():
    cos, _ = _user_cos()
    data = np.array([0.3, 1.2, -0.8])
    x = cr.tensor(data, requires_grad=True)
    (cos(x * 2.0) * x + x ** 2).backward(gradient=G)
    numeric = numerical_gradient(
        lambda v: float(np.dot(np.cos(2 * v) * v + v ** 2, G)), data)
    assert_close(grad_of(x), numeric, rtol=1e-7, atol=1e-8)


# --- operators ---------------------------------------------------------------------------

# operator -> (function, partial derivatives (d/da, d/db) of f(a, b))
BINARY = {
    "+": (operator.add, lambda a, b: (1.0, 1.0)),
    "-": (operator.sub, lambda a, b: (1.0, -1.0)),
    "*": (operator.mul, lambda a, b: (b, a)),
    "/": (operator.truediv, lambda a, b: (1 / b, -a / b ** 2)),
    "//": (operator.floordiv, lambda a, b: (0.0, 0.0)),
    "%": (operator.mod, lambda a, b: (1.0, -np.floor(a / b))),
    "**": (operator.pow, lambda a, b: (b * a ** (b - 1), a ** b * np.log(a))),
}
OPS = list(BINARY)


def _vjp(partial, shape):
    return np.broadcast_to(G * partial, shape)


@pytest.mark.parametrize("op", OPS)
def test_operator_between_two_tensors(op):
    fn, partials = BINARY[op]
    a, b = cr.tensor(A, requires_grad=True), cr.tensor(B, requires_grad=True)
    y = fn(a, b)
    assert_close(y.numpy(), fn(A, B))
    y.backward(gradient=G)
    da, db = partials(A, B)
    assert_close(grad_of(a), _vjp(da, A.shape))
    assert_close(grad_of(b), _vjp(db, B.shape))


@pytest.mark.parametrize("number", [1.7, 2], ids=["float", "int"])
@pytest.mark.parametrize("op", OPS)
def test_operator_with_a_python_number_on_the_right(op, number):
    fn, partials = BINARY[op]
    a = cr.tensor(A, requires_grad=True)
    y = fn(a, number)
    assert isinstance(y, cr.Tensor)
    assert_close(y.numpy(), fn(A, number))
    y.backward(gradient=G)
    assert_close(grad_of(a), _vjp(partials(A, number)[0], A.shape))


@pytest.mark.parametrize("number", [1.7, 2], ids=["float", "int"])
@pytest.mark.parametrize("op", OPS)
def test_reflected_operator_with_a_python_number_on_the_left(op, number):
    fn, partials = BINARY[op]
    b = cr.tensor(B, requires_grad=True)
    y = fn(number, b)
    assert isinstance(y, cr.Tensor)
    assert_close(y.numpy(), fn(number, B))
    y.backward(gradient=G)
    assert_close(grad_of(b), _vjp(partials(number, B)[1], B.shape))


@pytest.mark.parametrize("op", OPS)
def test_operator_with_a_numpy_array_on_the_right(op):
    fn, partials = BINARY[op]
    a = cr.tensor(A, requires_grad=True)
    y = fn(a, B)
    assert isinstance(y, cr.Tensor)
    assert_close(y.numpy(), fn(A, B))
    y.backward(gradient=G)
    assert_close(grad_of(a), _vjp(partials(A, B)[0], A.shape))


@pytest.mark.parametrize("op", OPS)
def test_reflected_operator_with_a_numpy_array_on_the_left(op):
    fn, partials = BINARY[op]
    b = cr.tensor(B, requires_grad=True)
    y = fn(A, b)
    assert isinstance(y, cr.Tensor)
    assert_close(y.numpy(), fn(A, B))
    y.backward(gradient=G)
    assert_close(grad_of(b), _vjp(partials(A, B)[1], B.shape))


M1 = np.array([[1.0, 2.0, -1.0], [0.5, -0.3, 2.0]])
M2 = np.array([[0.2, 1.0], [-1.5, 0.7], [2.0, 0.1]])
GM = np.array([[1.0, -2.0], [0.5, 3.0]])


def test_matmul_between_tensors():
    a, b = cr.tensor(M1, requires_grad=True), cr.tensor(M2, requires_grad=True)
    y = a @ b
    assert_close(y.numpy(), M1 @ M2)
    y.backward(gradient=GM)
    assert_close(grad_of(a), GM @ M2.T)
    assert_close(grad_of(b), M1.T @ GM)


def test_matmul_with_a_numpy_array_on_the_right():
    a = cr.tensor(M1, requires_grad=True)
    y = a @ M2
    assert isinstance(y, cr.Tensor)
    y.backward(gradient=GM)
    assert_close(grad_of(a), GM @ M2.T)


def test_reflected_matmul_with_a_numpy_array_on_the_left():
    b = cr.tensor(M2, requires_grad=True)
    y = M1 @ b
    assert isinstance(y, cr.Tensor)
    assert_close(y.numpy(), M1 @ M2)
    y.backward(gradient=GM)
    assert_close(grad_of(b), M1.T @ GM)


def test_matmul_of_a_vector_and_a_matrix():
    v = cr.tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    m = cr.tensor(M2, requires_grad=True)
    y = v @ m
    y.backward(gradient=np.array([2.0, -1.0]))
    assert_close(grad_of(v), M2 @ np.array([2.0, -1.0]))
    assert_close(grad_of(m), np.outer([1.0, -2.0, 0.5], [2.0, -1.0]))


def test_unary_minus():
    a = cr.tensor(A, requires_grad=True)
    y = -a
    assert_close(y.numpy(), -A)
    y.backward(gradient=G)
    assert_close(grad_of(a), -G)


def test_unary_plus():
    a = cr.tensor(A, requires_grad=True)
    (+a).backward(gradient=G)
    assert_close(grad_of(a), G)


def test_abs_gradient_is_the_sign():
    data = np.array([-1.5, 2.0, -0.25])
    a = cr.tensor(data, requires_grad=True)
    y = abs(a)
    assert_close(y.numpy(), np.abs(data))
    y.backward(gradient=G)
    assert_close(grad_of(a), G * np.sign(data))


COMPARISONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
               "==": operator.eq, "!=": operator.ne}
C1 = np.array([1.0, 2.0, 3.0, 2.0])
C2 = np.array([2.0, 2.0, 1.0, 5.0])


def _assert_boolean_without_gradient(result, expected):
    assert np.asarray(result.numpy() if isinstance(result, cr.Tensor) else result).dtype \
        == np.bool_
    assert not getattr(result, "requires_grad", False)
    np.testing.assert_array_equal(
        result.numpy() if isinstance(result, cr.Tensor) else result, expected)


@pytest.mark.parametrize("op", list(COMPARISONS))
def test_comparison_between_tensors_is_boolean_without_gradient(op):
    fn = COMPARISONS[op]
    x, y = cr.tensor(C1, requires_grad=True), cr.tensor(C2, requires_grad=True)
    _assert_boolean_without_gradient(fn(x, y), fn(C1, C2))


@pytest.mark.parametrize("op", list(COMPARISONS))
def test_comparison_with_a_python_number_either_side(op):
    fn = COMPARISONS[op]
    x = cr.tensor(C1, requires_grad=True)
    _assert_boolean_without_gradient(fn(x, 2.0), fn(C1, 2.0))
    _assert_boolean_without_gradient(fn(2.0, x), fn(2.0, C1))


@pytest.mark.parametrize("op", list(COMPARISONS))
def test_comparison_with_a_numpy_array_either_side(op):
    fn = COMPARISONS[op]
    x = cr.tensor(C1, requires_grad=True)
    _assert_boolean_without_gradient(fn(x, C2), fn(C1, C2))
    _assert_boolean_without_gradient(fn(C2, x), fn(C2, C1))


# --- broadcasting ------------------------------------------------------------------------

BROADCAST_SHAPES = [((3, 1), (1, 4)), ((2, 3), ()), ((4,), (2, 3, 4)), ((2, 1, 3), (5, 1)),
                    ((1, 1), (3, 2))]


@pytest.mark.parametrize("shape_a,shape_b", BROADCAST_SHAPES)
def test_broadcast_multiply_reduces_gradients_to_each_input_shape(shape_a, shape_b):
    rng = np.random.default_rng(1)
    a_data, b_data = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    out_shape = np.broadcast_shapes(shape_a, shape_b)
    cotangent = rng.standard_normal(out_shape)
    a, b = cr.tensor(a_data, requires_grad=True), cr.tensor(b_data, requires_grad=True)
    y = a * b
    assert y.shape == out_shape
    y.backward(gradient=cotangent)
    assert grad_of(a).shape == shape_a and grad_of(b).shape == shape_b
    # independent check: d<G, a*b>/da by finite differences
    assert_close(grad_of(a), numerical_gradient(
        lambda v: float(np.sum(cotangent * v * b_data)), a_data), rtol=1e-7, atol=1e-8)
    assert_close(grad_of(b), numerical_gradient(
        lambda v: float(np.sum(cotangent * a_data * v)), b_data), rtol=1e-7, atol=1e-8)


def test_broadcast_against_a_python_number_keeps_the_tensor_shape():
    a = cr.tensor(np.ones((2, 3)), requires_grad=True)
    (a + 1.0).backward(gradient=np.full((2, 3), 2.0))
    assert_close(grad_of(a), np.full((2, 3), 2.0))


# --- indexing ----------------------------------------------------------------------------

X = np.arange(12.0).reshape(3, 4) / 7.0
INDICES = {
    "int": 1,
    "negative-int": -1,
    "int-pair": (1, 2),
    "slices": (slice(1, None), slice(None, None, 2)),
    "reverse-slice": slice(None, None, -1),
    "none": (slice(None), None, 2),
    "ellipsis": (Ellipsis, 1),
    "none-ellipsis": (None, Ellipsis, -1),
    "mask": X > 0.6,
    "row-mask": np.array([True, False, True]),
    "int-array": np.array([2, 0]),
    "repeated-int-array": np.array([0, 0, 2, 0]),
    "repeated-pairs": (np.array([0, 1, 0]), np.array([3, 2, 3])),
    "array-and-slice": (np.array([1, 1]), slice(1, 3)),
}


@pytest.mark.parametrize("index", list(INDICES.values()), ids=list(INDICES))
def test_indexing_value_matches_numpy(index):
    assert_close(cr.tensor(X)[index].numpy(), X[index])


@pytest.mark.parametrize("index", list(INDICES.values()), ids=list(INDICES))
def test_indexing_gradient_scatters_and_accumulates_repeats(index):
    x = cr.tensor(X, requires_grad=True)
    y = x[index]
    cotangent = np.arange(1.0, 1.0 + np.size(X[index])).reshape(np.shape(X[index]))
    y.backward(gradient=cotangent)
    expected = np.zeros_like(X)
    np.add.at(expected, index, cotangent)
    assert_close(grad_of(x), expected)


def test_repeated_index_gradient_counts_each_repeat():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 0, 2])].backward(gradient=np.ones(4))
    assert_close(grad_of(x), [3.0, 0.0, 1.0])


def test_indexing_with_an_integer_tensor():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x[cr.tensor([2, 2])]
    y.backward(gradient=np.array([1.0, 5.0]))
    assert_close(grad_of(x), [0.0, 0.0, 6.0])


def test_iterating_a_tensor_yields_differentiable_rows():
    x = cr.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    rows = list(x)
    assert len(rows) == 2
    (rows[0] * rows[1]).backward(gradient=np.ones(2))
    assert_close(grad_of(x), [[3.0, 4.0], [1.0, 2.0]])


# --- assignment --------------------------------------------------------------------------

SETITEM_CASES = {
    "int": (1, ()),
    "slice": (slice(0, 2), (2, 4)),
    "column-broadcast-row": ((slice(None), 1), (1,)),
    "scalar-into-slice": (slice(1, 3), ()),
    "mask": (X > 0.6, (int(np.count_nonzero(X > 0.6)),)),
    "unique-int-array": (np.array([2, 0]), (2, 4)),
    "ellipsis": ((Ellipsis, 3), (3,)),
}


@pytest.mark.parametrize("index,v_shape", list(SETITEM_CASES.values()), ids=list(SETITEM_CASES))
def test_assignment_is_differentiable_in_both_the_tensor_and_the_value(index, v_shape):
    rng = np.random.default_rng(2)
    v_data = rng.standard_normal(v_shape)
    cotangent = rng.standard_normal(X.shape)
    x = cr.tensor(X, requires_grad=True)
    v = cr.tensor(v_data, requires_grad=True)
    t = x * 1.0
    t[index] = v
    expected_value = X.copy()
    expected_value[index] = v_data
    assert_close(t.numpy(), expected_value)
    t.backward(gradient=cotangent)
    untouched = np.ones_like(X)
    untouched[index] = 0.0
    assert_close(grad_of(x), cotangent * untouched)
    # v was broadcast to the selection: its gradient sums the cotangent over the copies
    assert_close(grad_of(v), numerical_gradient(
        lambda w: float(np.sum(cotangent[index] * np.broadcast_to(w, X[index].shape))),
        v_data), rtol=1e-7, atol=1e-8)


def test_assignment_of_a_python_number_blocks_the_gradient_there():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    t = x * 2.0
    t[1] = 10.0
    assert t.tolist() == [2.0, 10.0, 6.0]
    t.backward(gradient=np.array([1.0, 1.0, 1.0]))
    assert_close(grad_of(x), [2.0, 0.0, 2.0])


def test_assignment_of_a_tracked_value_into_a_constant_tensor_records_it():
    c = cr.tensor([0.0, 0.0, 0.0])
    v = cr.tensor([5.0], requires_grad=True)
    c[0] = v[0] * 3.0
    assert c.requires_grad and not c.is_leaf
    assert c.tolist() == [15.0, 0.0, 0.0]
    c.backward(gradient=np.array([2.0, 1.0, 1.0]))
    assert_close(grad_of(v), [6.0])


def test_assignment_may_read_the_tensor_it_writes():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    t = x * 1.0
    t[1] = t[0] * 3.0  # t = [x0, 3 x0, x2]
    assert t.tolist() == [1.0, 3.0, 3.0]
    t.backward(gradient=np.array([1.0, 10.0, 100.0]))
    assert_close(grad_of(x), [1.0 + 30.0, 0.0, 100.0])


def test_assignment_into_a_plain_tensor_works_in_place():
    c = cr.tensor([1.0, 2.0, 3.0])
    buffer = c.numpy()
    c[1:] = np.array([7.0, 8.0])
    assert c.tolist() == [1.0, 7.0, 8.0]
    assert np.shares_memory(c.numpy(), buffer)


def test_earlier_results_keep_their_value_after_a_tensor_is_assigned_into():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    t = x * 1.0
    y = t * t
    t[0] = 5.0  # replaces t in the graph; y was computed from the old t
    assert y.tolist() == [1.0, 4.0]
    y.backward(gradient=np.ones(2))
    assert_close(grad_of(x), [2.0, 4.0])


# --- in-place operators ------------------------------------------------------------------

INPLACE = {"+=": (operator.iadd, "+"), "-=": (operator.isub, "-"), "*=": (operator.imul, "*"),
           "/=": (operator.itruediv, "/"), "//=": (operator.ifloordiv, "//"),
           "%=": (operator.imod, "%"), "**=": (operator.ipow, "**")}


@pytest.mark.parametrize("op", list(INPLACE))
def test_in_place_operator_on_a_non_leaf_is_recorded(op):
    inplace, binary = INPLACE[op]
    fn, partials = BINARY[binary]
    a, b = cr.tensor(A, requires_grad=True), cr.tensor(B, requires_grad=True)
    h = a * 1.0
    before = id(h)
    result = inplace(h, b)
    assert result is h and id(h) == before
    assert_close(h.numpy(), fn(A, B))
    assert h.grad_fn is not None
    h.backward(gradient=G)
    da, db = partials(A, B)
    assert_close(grad_of(a), _vjp(da, A.shape))
    assert_close(grad_of(b), _vjp(db, B.shape))


def test_in_place_add_of_an_expression_of_the_same_leaf():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    h = a * 1.0
    h += a * a  # h = a + a^2
    h.backward(gradient=np.ones(2))
    assert_close(grad_of(a), 1.0 + 2.0 * np.array([1.0, 2.0]))


def test_in_place_operator_on_a_leaf_that_requires_grad_raises_and_leaves_it_unchanged():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        w += 1.0
    assert w.tolist() == [1.0, 2.0] and w.is_leaf and w.requires_grad


def test_in_place_update_of_a_leaf_under_no_grad_works_in_place():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    buffer = w.numpy()
    before = id(w)
    with cr.no_grad():
        w -= 0.5 * np.array([2.0, 4.0])
    assert id(w) == before and np.shares_memory(w.numpy(), buffer)
    assert w.tolist() == [0.0, 0.0]
    assert w.is_leaf and w.requires_grad


def test_leaf_updated_under_no_grad_trains_on_the_next_step():
    w = cr.tensor([3.0], requires_grad=True)
    for _ in range(2):
        (w * w).backward()
        with cr.no_grad():
            w -= 0.25 * w.grad
        w.zero_grad()
    # w <- w - 0.25 * 2w = w / 2, twice
    assert_close(w.numpy(), [0.75])


def test_in_place_operator_on_a_constant_tensor_changes_it_in_place():
    c = cr.tensor([1.0, 2.0])
    buffer = c.numpy()
    c *= 3.0
    assert c.tolist() == [3.0, 6.0] and np.shares_memory(c.numpy(), buffer)


# --- backward ----------------------------------------------------------------------------

def test_backward_with_a_gradient_computes_the_vector_jacobian_product():
    x = cr.tensor(A, requires_grad=True)
    np.sin(x).backward(gradient=G)
    assert_close(grad_of(x), G * np.cos(A))


def test_gradients_accumulate_across_two_backward_calls():
    x = cr.tensor([2.0], requires_grad=True)
    (x * x).backward()
    (x * 3.0).backward()
    assert_close(grad_of(x), [2 * 2.0 + 3.0])


def test_retain_graph_allows_a_second_backward_that_accumulates():
    x = cr.tensor([2.0], requires_grad=True)
    y = x ** 3
    y.backward(retain_graph=True)
    y.backward()
    assert_close(grad_of(x), [2 * 3 * 2.0 ** 2])


def test_backward_reaches_every_leaf_through_a_shared_subexpression():
    x = cr.tensor([1.5], requires_grad=True)
    w = cr.tensor([-0.5], requires_grad=True)
    h = x * w
    y = h * h + h  # dy/dh = 2h + 1
    y.backward()
    dh = 2 * 1.5 * -0.5 + 1
    assert_close(grad_of(x), [dh * -0.5])
    assert_close(grad_of(w), [dh * 1.5])


def test_gradients_function_does_not_touch_grad():
    x = cr.tensor(A, requires_grad=True)
    (g,) = cr.gradients(x * x, x, grad_outputs=G)
    assert_close(g.numpy(), 2 * A * G)
    assert x.grad is None


def _cube_exp_derivatives(x):
    """f(x) = x^3 e^x and its first three derivatives, in closed form."""
    e = np.exp(x)
    return (x ** 3 * e, (3 * x ** 2 + x ** 3) * e, (6 * x + 6 * x ** 2 + x ** 3) * e,
            (6 + 18 * x + 9 * x ** 2 + x ** 3) * e)


def test_create_graph_backward_gives_second_and_third_derivatives():
    data = np.array([0.4, 1.1, -0.7])
    _, first, second, third = _cube_exp_derivatives(data)
    ones = np.ones(3)
    x = cr.tensor(data, requires_grad=True)
    (x ** 3 * np.exp(x)).backward(gradient=ones, create_graph=True)
    d1 = x.grad
    assert d1.requires_grad
    assert_close(d1.numpy(), first)
    x.zero_grad()
    d1.backward(gradient=ones, create_graph=True)
    d2 = x.grad
    assert_close(d2.numpy(), second)
    x.zero_grad()
    d2.backward(gradient=ones)
    assert_close(grad_of(x), third)


def test_create_graph_gradients_give_second_and_third_derivatives():
    data = np.array([0.4, 1.1, -0.7])
    _, first, second, third = _cube_exp_derivatives(data)
    ones = np.ones(3)
    x = cr.tensor(data, requires_grad=True)
    (d1,) = cr.gradients(x ** 3 * np.exp(x), x, grad_outputs=ones, create_graph=True)
    (d2,) = cr.gradients(d1, x, grad_outputs=ones, create_graph=True)
    (d3,) = cr.gradients(d2, x, grad_outputs=ones)
    assert_close(d1.numpy(), first)
    assert_close(d2.numpy(), second)
    assert_close(d3.numpy(), third)


def test_a_chain_of_a_million_operations_backpropagates_without_recursion():
    assert sys.getrecursionlimit() < 1_000_000
    x = cr.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert_close(y.numpy(), 1_000_000.5)
    assert_close(grad_of(x), 1.0)


# --- hooks and retain_grad -------------------------------------------------------------

def test_hook_on_a_non_leaf_replaces_its_gradient():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    h.register_hook(lambda g: g * 10.0)
    (h * h).backward(gradient=np.ones(2))
    # dy/dh = 2h, replaced by 20h; dx = 2 * 20h = 40h = 80x
    assert_close(grad_of(x), 80.0 * np.array([1.0, 2.0]))


def test_hook_on_a_leaf_replaces_the_gradient_stored_in_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g + 1.0)
    (x * 3.0).backward(gradient=np.ones(2))
    assert_close(grad_of(x), [4.0, 4.0])


def test_hook_returning_none_sees_the_gradient_and_keeps_it():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    seen = []
    h.register_hook(lambda g: seen.append(np.array(g)))
    (h * 3.0).backward(gradient=np.array([1.0, 2.0]))
    assert_close(seen[0], [3.0, 6.0])
    assert_close(grad_of(x), [3.0 * 2 * 1.0, 6.0 * 2 * 2.0])


def test_removed_hook_no_longer_runs():
    x = cr.tensor([1.0], requires_grad=True)
    remove = x.register_hook(lambda g: g * 100.0)
    remove()
    (x * 3.0).backward()
    assert_close(grad_of(x), [3.0])


def test_retain_grad_keeps_the_gradient_of_a_non_leaf():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    h.retain_grad()
    (h * h).backward(gradient=np.ones(2))
    assert_close(grad_of(h), 2 * np.array([2.0, 4.0]))
    assert_close(grad_of(x), 4 * np.array([2.0, 4.0]))


def test_non_leaf_without_retain_grad_has_no_grad():
    x = cr.tensor([1.0], requires_grad=True)
    h = x * 2.0
    (h * h).backward()
    assert h.grad is None


# --- grad modes --------------------------------------------------------------------------

def test_no_grad_stops_recording():
    x = cr.tensor([1.0], requires_grad=True)
    with cr.no_grad():
        assert not cr.is_grad_enabled()
        y = x * 2.0
    assert cr.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None
    assert_close(y.numpy(), [2.0])


def test_no_grad_as_a_decorator():
    x = cr.tensor([1.0], requires_grad=True)

    @cr.no_grad()
    def double(t):
        return t * 2.0

    assert not double(x).requires_grad
    assert (x * 2.0).requires_grad


def test_enable_grad_inside_no_grad_records():
    x = cr.tensor([3.0], requires_grad=True)
    with cr.no_grad():
        with cr.enable_grad():
            y = x * x
        z = x * x
    assert y.requires_grad and not z.requires_grad
    y.backward()
    assert_close(grad_of(x), [6.0])


def test_enable_grad_as_a_decorator_inside_no_grad():
    x = cr.tensor([3.0], requires_grad=True)

    @cr.enable_grad()
    def square(t):
        return t * t

    with cr.no_grad():
        y = square(x)
    assert y.requires_grad


def test_no_grad_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with cr.no_grad():
            1 / 0  # noqa: B018
    assert cr.is_grad_enabled()


def test_grad_mode_is_thread_local():
    barrier = threading.Barrier(2, timeout=30)
    seen, errors = {}, []

    def run(name, disable):
        try:
            x = cr.tensor([1.0], requires_grad=True)
            with cr.no_grad() if disable else contextlib.nullcontext():
                barrier.wait()  # both threads are now inside their own mode
                y = x * 2.0
                seen[name] = (cr.is_grad_enabled(), y.requires_grad)
                barrier.wait()  # neither leaves its mode before the other has recorded
        except Exception as error:  # reported in the main thread below
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=run, args=("no_grad", True)),
               threading.Thread(target=run, args=("recording", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert seen == {"no_grad": (False, False), "recording": (True, True)}
    assert cr.is_grad_enabled()


# --- stop_gradient and checkpoint --------------------------------------------------------

def test_stop_gradient_treats_its_input_as_a_constant():
    x = cr.tensor([2.0, -1.0], requires_grad=True)
    frozen = cr.stop_gradient(x * x)
    assert_close(frozen.numpy(), [4.0, 1.0])
    assert not frozen.requires_grad
    (x * frozen).backward(gradient=np.ones(2))
    assert_close(grad_of(x), [4.0, 1.0])  # d/dx [x * c] = c = x^2


def _block(a, b):
    return np.tanh(a * b) * np.exp(a)


def test_checkpoint_gives_the_same_value_and_gradient_as_without_it():
    a_data, b_data = np.array([0.5, 1.5, -0.3]), np.array([2.0, -1.0, 0.4])
    a, b = cr.tensor(a_data, requires_grad=True), cr.tensor(b_data, requires_grad=True)
    a2, b2 = cr.tensor(a_data, requires_grad=True), cr.tensor(b_data, requires_grad=True)
    y = cr.checkpoint(_block, a, b)
    plain = _block(a2, b2)
    assert_close(y.numpy(), plain.numpy())
    y.backward(gradient=G)
    plain.backward(gradient=G)
    assert_close(grad_of(a), grad_of(a2))
    assert_close(grad_of(b), grad_of(b2))
    # closed form: d/da = tanh(ab) e^a + b sech^2(ab) e^a
    sech2 = 1 - np.tanh(a_data * b_data) ** 2
    assert_close(grad_of(a), G * np.exp(a_data) * (np.tanh(a_data * b_data) + b_data * sech2))
    assert_close(grad_of(b), G * np.exp(a_data) * a_data * sech2)


def test_checkpoint_recomputes_the_function_during_backward():
    calls = []

    def block(a):
        calls.append(1)
        return np.sin(a) * a

    a = cr.tensor([0.5, 1.0], requires_grad=True)
    y = cr.checkpoint(block, a)
    assert len(calls) == 1
    y.backward(gradient=np.ones(2))
    assert len(calls) == 2
    assert_close(grad_of(a), np.cos([0.5, 1.0]) * [0.5, 1.0] + np.sin([0.5, 1.0]))


def test_operators_and_methods_are_written_in_a_class_body_for_type_checkers():
    import inspect

    for name in ("__add__", "__rmul__", "__iadd__", "__matmul__", "__lt__", "__neg__",
                 "sum", "exp", "reshape", "transpose"):
        source = inspect.getsource(getattr(cr.Tensor, name))
        assert source.lstrip().startswith(f"def {name}("), name
