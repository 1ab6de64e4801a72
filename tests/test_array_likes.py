"""Lists and tuples of traced values wherever NumPy takes an array-like, NumPy's
predicates on Tensors, and casts to NumPy's scalar types."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.numpy as cnp
from chainrule.testing import numerical_gradient


def _check_against_finite_differences(fn, x):
    x = np.asarray(x, dtype=np.float64)
    np.testing.assert_allclose(cr.grad(fn)(x), numerical_gradient(fn, x), rtol=1e-6,
                               atol=1e-9)


@pytest.mark.parametrize("fn", [
    lambda x: cnp.mean([x[0], 2 * x[1], 3.0]),
    lambda x: cnp.std((x[0], x[1] ** 2, 1.0)),
    lambda x: cnp.var([x[0], x[1] * x[0]], ddof=1),
    lambda x: cnp.sum(cnp.append(x, [x[0] * x[1], 1.0])),
    lambda x: cnp.sum(cnp.append([x[1], 2.0], x) ** 2),
    lambda x: cnp.linalg.norm([x[0], 2 * x[1]]),
    lambda x: cnp.linalg.norm([[x[0], x[1]], [1.0, x[0]]], "fro"),
    lambda x: cnp.linalg.det([[x[0], x[1]], [1.0, 3.0]]),
    lambda x: cnp.sum(cnp.sin([x[0], 1.0])),
    lambda x: cnp.sum(cnp.add([x[0], x[1]], 2.0) ** 2),
    lambda x: cnp.sum(cnp.sinc([x[0], x[1]])),
    lambda x: cnp.sum(cnp.fft.fft([x[0], x[1], 0.5]).real ** 2),
    lambda x: cnp.sum(cnp.dot([x[0], x[1]], [x[1], 3.0])),
    lambda x: cnp.sum(cnp.reshape([x[0], x[1], x[0], 1.0], (2, 2)) ** 3),
    lambda x: cnp.sum(cnp.flip([x[0], 2 * x[1]]) * [1.0, 3.0]),
    lambda x: cnp.sum(cnp.real([x[0], x[1] ** 2])),
    lambda x: cnp.sum(cnp.where([True, False], [x[0], x[1]], 0.5) ** 2),
    lambda x: cnp.sum(cnp.copy([x[0], x[1]]) ** 2),
])
def test_lists_of_traced_values_are_array_likes(fn):
    _check_against_finite_differences(fn, [0.7, -1.3])


@pytest.mark.parametrize("fn", [
    lambda x: np.sum(x * [x[1], 2.0]),
    lambda x: np.sum([x[1], 2.0] - x),
    lambda x: np.sum(np.add(x, [x[1], 2.0]) ** 2),
    lambda x: np.sum(np.maximum(x, [x[1] - 5, 0.0])),
    lambda x: np.matmul(x, [x[1], 2.0]),
    lambda x: x @ [x[1], 2.0],
])
def test_tensor_operations_take_lists_of_traced_values(fn):
    _check_against_finite_differences(fn, [0.7, -1.3])


@pytest.mark.parametrize("plain, ours", [
    (lambda x: np.interp(0.5, [0.0, 1.0], [x[0], x[1]]),
     lambda x: cnp.interp(0.5, [0.0, 1.0], [x[0], x[1]])),
    (lambda x: np.polyval([x[0], x[1]], 2.0), lambda x: cnp.polyval([x[0], x[1]], 2.0)),
])
def test_namespace_versions_take_what_plain_numpy_cannot_dispatch(plain, ours):
    with pytest.raises(TypeError, match="call chainrule.numpy"):
        cr.grad(plain)(np.array([0.7, -1.3]))
    _check_against_finite_differences(ours, [0.7, -1.3])


@pytest.mark.parametrize("call, ours", [
    (lambda x: np.mean([x, 2 * x]), "chainrule.numpy.mean"),
    (lambda x: np.sum(np.full((2, 2), x)), "chainrule.numpy.full"),
    (lambda x: np.linalg.norm([x, 2 * x]), "chainrule.numpy.linalg.norm"),
    (lambda x: np.sum(np.r_[x, 2 * x]), "chainrule.numpy.r_"),
])
def test_plain_numpy_call_that_cannot_dispatch_names_the_differentiable_version(call, ours):
    # NumPy hands chainrule nothing to dispatch on: it converts the argument itself.
    with pytest.raises(TypeError, match=f"call {ours}, which is differentiable"):
        cr.grad(call)(1.0)


@pytest.mark.parametrize("build, expected", [
    (lambda x: cnp.r_[x, x ** 2, 5.0], lambda x: np.r_[x, x ** 2, 5.0]),
    (lambda x: cnp.r_[x[:1], 0:2, x], lambda x: np.r_[x[:1], 0:2, x]),
    (lambda x: cnp.c_[x, 2 * x], lambda x: np.c_[x, 2 * x]),
    (lambda x: cnp.c_[x[:, None], np.ones((2, 1))], lambda x: np.c_[x[:, None], np.ones((2, 1))]),
    (lambda x: cnp.r_["0,2", x, x ** 3], lambda x: np.r_["0,2", x, x ** 3]),
    (lambda x: cnp.r_["0,2,0", x, x ** 3], lambda x: np.r_["0,2,0", x, x ** 3]),
])
def test_r_and_c_join_traced_values_as_numpy_does(build, expected):
    x = np.array([0.5, -2.0])
    np.testing.assert_allclose(cr.tensor(build(cr.tensor(x))).numpy(), expected(x))
    weights = np.random.default_rng(0).standard_normal(expected(x).shape)
    _check_against_finite_differences(lambda x: cnp.sum(build(x) ** 2 * weights), x)


def test_r_without_traced_values_is_numpys():
    assert cnp.r_[1:4, 7].tolist() == [1, 2, 3, 7]


def test_version_is_numpys():
    assert cnp.__version__ == np.__version__


@pytest.mark.parametrize("predicate", [np.iscomplex, np.isreal, np.iscomplexobj,
                                       np.isrealobj, np.isscalar, np.isneginf, np.isposinf])
def test_predicates_on_traced_values_give_numpys_plain_answer(predicate):
    x = np.array([1.5, -np.inf])
    answers = []

    def fn(t):
        answers.append(predicate(t))
        return np.sum(t[:1] ** 2)

    cr.grad(fn)(x)
    np.testing.assert_array_equal(answers[0], predicate(x))
    assert not isinstance(answers[0], cr.Tensor)


def test_complex_predicates_on_a_complex_tensor():
    z = cr.tensor(np.array([1.0 + 2j, 3.0 + 0j]), requires_grad=True)
    assert np.iscomplexobj(z) and not np.isrealobj(z)
    np.testing.assert_array_equal(np.iscomplex(z), [True, False])


@pytest.mark.parametrize("scalar_type", [np.int64, np.int32, np.uint8, np.bool_])
def test_integer_casts_of_traced_values_hold_what_astype_gives(scalar_type):
    x = np.array([1.7, 2.2, 0.0])
    seen = []

    def fn(t):
        seen.append(scalar_type(t))
        return np.sum(t ** 2)

    cr.grad(fn)(x)
    np.testing.assert_array_equal(seen[0], x.astype(scalar_type))
    assert seen[0].dtype == np.dtype(scalar_type)


def test_integer_cast_used_as_an_index_keeps_the_gradient_of_the_rest():
    def fn(w):
        rows = np.int64(w[:, -1])   # piecewise constant: no derivative
        return np.sum(w[rows, :-1] ** 2)

    w = np.array([[0.5, 1.0, 1.2], [2.0, -1.0, 0.1]])
    _check_against_finite_differences(fn, w)


def test_integer_cast_under_nested_transforms():
    # d/dy (y * int(y)) = int(y) away from the integers; its derivative is 0.
    def fn(y):
        return np.sum(y * np.int64(y))

    assert cr.grad(fn)(2.5) == 2.0
    assert cr.grad(cr.grad(fn))(2.5) == 0.0


@pytest.mark.parametrize("scalar_type", [np.float32, np.float64, np.complex128])
def test_inexact_casts_of_traced_values_name_astype(scalar_type):
    with pytest.raises(TypeError, match=r"astype|float\(\)"):
        cr.grad(lambda t: np.sum(scalar_type(t) * t))(np.array([1.0, 2.0]))


def test_full_like_with_a_traced_fill_value_is_differentiable():
    x = np.array([1.5, 2.0, 3.0])
    fn = lambda x: np.sum(np.full_like(x, x[0]) * x)   # noqa: E731
    np.testing.assert_allclose(cr.grad(fn)(x), [x[0] + x.sum(), x[0], x[0]])


def test_namespace_full_and_full_like_with_a_traced_fill_value():
    assert cr.grad(lambda v: cnp.sum(cnp.full((2, 3), v) ** 2))(1.5) == pytest.approx(18.0)
    assert cr.grad(lambda v: cnp.sum(cnp.full_like(np.ones(4), v)))(1.5) == pytest.approx(4.0)


def test_full_like_of_a_tensor_with_a_plain_value_is_a_plain_array():
    out = np.full_like(cr.tensor([1.0, 2.0], requires_grad=True), 7.0)
    assert type(out) is np.ndarray and out.tolist() == [7.0, 7.0]


def test_numpy_filling_a_plain_array_with_a_traced_value_says_what_to_use():
    with pytest.raises(TypeError, match="chainrule.numpy.full"):
        cr.grad(lambda v: np.sum(np.full_like(np.ones(3), v)))(1.5)


def test_copyto_into_a_traced_tensor_says_to_assign():
    with pytest.raises(TypeError, match=r"t\[\.\.\.\] = src"):
        np.copyto(cr.tensor(np.zeros(2), requires_grad=True) * 1.0, np.ones(2))
