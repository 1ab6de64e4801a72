"""Never a silently wrong value: conversions that would drop a derivative raise,
rules give the derivative NumPy's semantics imply (checked against closed forms,
finite differences or NumPy itself), and misuse gets a message naming the problem.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import chainrule as cr


def assert_mentions(excinfo, *fragments: str) -> None:
    message = str(excinfo.value)
    missing = [f for f in fragments if f not in message]
    assert not missing, f"message {message!r} does not mention {missing}"


# --- leaving the graph through Python numbers ------------------------------------------

def test_item_inside_grad_raises_instead_of_dropping_the_gradient():
    with pytest.raises(TypeError) as excinfo:
        cr.grad(lambda x: x.item() ** 2)(1.0)
    assert_mentions(excinfo, "item()", "derivative", "detach()")


def test_tolist_inside_grad_raises_instead_of_dropping_the_gradient():
    with pytest.raises(TypeError) as excinfo:
        cr.grad(lambda x: sum(x.tolist()))(np.array([1.0, 2.0]))
    assert_mentions(excinfo, "tolist()", "derivative", "detach()")


def test_item_inside_jvp_raises():
    with pytest.raises(TypeError, match=r"item\(\)"):
        cr.jvp(lambda x: x.item() * x, (2.0,), (1.0,))


def test_item_and_tolist_of_tensors_outside_transforms_still_work():
    x = cr.tensor([[1.5, 2.5]], requires_grad=True)
    assert x.tolist() == [[1.5, 2.5]]
    assert x[0, 1].item() == 2.5
    assert cr.tensor(3.0).item() == 3.0


def test_item_of_a_detached_value_inside_grad_is_allowed():
    scale = cr.grad(lambda x: x * x.detach().item())(3.0)
    assert scale == 3.0


# --- casts ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [int, np.int32, bool])
def test_cast_to_a_non_float_dtype_cuts_the_gradient_in_reverse_mode(dtype):
    x = np.array([1.5, 2.5, -0.5])
    # d/dx [cast(x) * x] = cast(x): the cast itself contributes nothing.
    gradient = cr.grad(lambda x: np.sum(x.astype(dtype) * x))(x)
    np.testing.assert_array_equal(gradient, x.astype(dtype).astype(float))


@pytest.mark.parametrize("dtype", [int, bool])
def test_cast_to_a_non_float_dtype_has_a_zero_tangent_in_forward_mode(dtype):
    x = np.array([1.5, 2.5])
    value, tangent = cr.jvp(lambda x: x.astype(dtype), (x,), (np.ones(2),))
    np.testing.assert_array_equal(np.asarray(value), x.astype(dtype))
    np.testing.assert_array_equal(tangent, np.zeros(2))


def test_cast_of_a_leaf_to_int_does_not_require_grad():
    x = cr.tensor([1.5, 2.5], requires_grad=True)
    assert not x.astype(int).requires_grad
    assert x.astype(int).dtype == np.int64


def test_cast_between_float_dtypes_keeps_the_gradient():
    x = cr.tensor([1.5, 2.5], requires_grad=True)
    (x.astype(np.float32) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 5.0])


@pytest.mark.skipif(not hasattr(np, "astype"), reason="numpy.astype is NumPy >= 2.1")
def test_numpy_astype_to_int_cuts_the_gradient_too():
    gradient = cr.grad(lambda x: np.sum(np.astype(x, np.int64) * x))(np.array([1.5, 2.5]))
    np.testing.assert_array_equal(gradient, [1.0, 2.0])


# --- fmax / fmin against NaN -----------------------------------------------------------

def central_difference(f, x, h=1e-6):
    """d sum(f(x)) / dx entry by entry, by central differences."""
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        out[i] = (np.sum(f(x + step)) - np.sum(f(x - step))) / (2 * h)
    return out


NAN_FACING = np.array([np.nan, 1.0, np.nan, 0.5])
NUMBERS = np.array([2.0, np.nan, -1.0, 3.0])


@pytest.mark.parametrize("fun", [np.fmax, np.fmin])
def test_fmax_fmin_give_the_whole_gradient_to_the_number_facing_a_nan(fun):
    expected_x = central_difference(lambda x: fun(x, NAN_FACING), NUMBERS)
    expected_y = central_difference(lambda y: fun(NUMBERS, y), NAN_FACING)
    gx, gy = cr.grad(lambda x, y: np.sum(fun(x, y)), argnums=(0, 1))(NUMBERS, NAN_FACING)
    np.testing.assert_allclose(gx, np.nan_to_num(expected_x), atol=1e-8)
    np.testing.assert_allclose(gy, np.nan_to_num(expected_y), atol=1e-8)
    assert gx[0] == 1.0 and gy[1] == 1.0


@pytest.mark.parametrize("fun", [np.fmax, np.fmin])
def test_fmax_fmin_forward_mode_agrees_with_reverse_mode_at_nans(fun):
    reverse = cr.grad(lambda x: np.sum(fun(x, NAN_FACING)))(NUMBERS)
    _, tangent = cr.jvp(lambda x: fun(x, NAN_FACING), (NUMBERS,), (np.ones(4),))
    np.testing.assert_array_equal(tangent, reverse)


def test_fmax_of_two_nans_gives_the_gradient_to_the_first_operand_as_torch_does():
    gx, gy = cr.grad(lambda x, y: np.fmax(x, y), argnums=(0, 1))(np.nan, np.nan)
    assert (gx, gy) == (1.0, 0.0)


# --- .data of a tensor that requires grad ------------------------------------------------

@pytest.mark.parametrize("data", [np.array([1, 2, 3]), np.array([True, False, True])])
def test_setting_integer_data_on_a_leaf_that_requires_grad_raises(data):
    w = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(TypeError) as excinfo:
        w.data = data
    assert_mentions(excinfo, ".data", str(data.dtype), "float64")
    assert w.dtype == np.float64


def test_float_data_on_a_leaf_keeps_float_gradients():
    w = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w.data = np.array([4.0, 5.0, 6.0])
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [8.0, 10.0, 12.0])


def test_integer_data_on_a_tensor_without_grad_is_allowed():
    w = cr.tensor([1.0, 2.0, 3.0])
    w.data = np.array([1, 2, 3])
    assert w.dtype.kind == "i"


# --- std and var of one element ----------------------------------------------------------

@pytest.mark.parametrize("fun", [np.std, np.var])
@pytest.mark.parametrize("ddof", [0, -1])
def test_std_and_var_of_one_element_have_gradient_zero(fun, ddof):
    # With one element x - mean(x) is 0 for every x: the function is constant.
    x = np.array([3.0])
    assert cr.grad(lambda x: fun(x, ddof=ddof))(x)[0] == 0.0
    assert cr.jvp(lambda x: fun(x, ddof=ddof), (x,), (np.ones(1),))[1] == 0.0
    assert cr.hessian(lambda x: fun(x, ddof=ddof))(x)[0, 0] == 0.0


@pytest.mark.parametrize("x", [[3.0], [3.0, np.nan]], ids=["one", "one-and-nan"])
def test_nanstd_of_one_number_has_gradient_zero(x):
    x = np.array(x)
    np.testing.assert_array_equal(cr.grad(np.nanstd)(x), np.zeros_like(x))
    np.testing.assert_array_equal(cr.hessian(np.nanstd)(x), np.zeros((x.size, x.size)))
    assert cr.value_and_grad(np.nanstd)(x)[0] == np.nanstd(x) == 0.0


def test_nanstd_gradient_elsewhere_matches_finite_differences():
    x = np.array([[3.0, np.nan, 1.0], [1.0, 2.0, 4.0]])
    loss = lambda v: np.sum(np.nanstd(v, axis=1))  # noqa: E731
    np.testing.assert_allclose(cr.grad(loss)(x), np.nan_to_num(central_difference(loss, x)),
                               atol=1e-7)


def test_std_over_an_axis_of_length_one_has_gradient_zero():
    x = cr.tensor([[3.0], [4.0]], requires_grad=True)
    np.std(x, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 1)))
    jac = cr.jacfwd(lambda x: np.std(x, axis=1))(np.array([[3.0], [4.0]]))
    np.testing.assert_array_equal(jac, np.zeros((2, 2, 1)))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("fun", [np.std, np.var])
def test_std_and_var_without_degrees_of_freedom_are_nan_with_nan_gradient(fun):
    x = np.array([3.0])
    value, gradient = cr.value_and_grad(lambda x: fun(x, ddof=1))(x)
    assert np.isnan(value) and np.isnan(fun(x, ddof=1))
    assert np.isnan(gradient[0])


def test_std_of_constant_data_has_the_zero_subgradient_like_norm():
    assert np.all(cr.grad(np.std)(np.array([2.0, 2.0, 2.0])) == 0.0)
    assert np.all(cr.grad(np.linalg.norm)(np.zeros(3)) == 0.0)


def test_std_gradient_away_from_constant_data_is_unchanged():
    x = np.array([1.0, 3.0, 4.0])
    np.testing.assert_allclose(cr.grad(lambda x: np.std(x, ddof=1))(x),
                               central_difference(lambda x: np.std(x, ddof=1), x), atol=1e-8)


# --- a negative base ---------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:invalid value encountered in log:RuntimeWarning")
@pytest.mark.parametrize("power", [lambda x: (-2.0) ** x, lambda x: np.power(-2.0, x)],
                         ids=["operator", "np.power"])
def test_power_of_a_negative_python_base_has_a_nan_derivative_as_numpy_gives(power):
    # d/dx b**x = b**x log(b), and NumPy's log of a negative number is NaN.
    with np.errstate(invalid="ignore"):
        expected = (-2.0) ** 2.0 * np.log(-2.0)
    assert np.isnan(expected)
    assert np.isnan(cr.grad(power)(2.0))
    assert np.isnan(cr.jvp(power, (2.0,), (1.0,))[1])


def test_power_of_a_positive_python_base_keeps_its_derivative():
    assert cr.grad(lambda x: 2.0 ** x)(3.0) == pytest.approx(8.0 * np.log(2.0))


# --- what a differentiated function returns ------------------------------------------------

NOT_A_FLOAT_SCALAR = {
    "comparison": (lambda x: np.sum(x) > 0, "boolean", "comparison"),
    "None": (lambda x: None, "None", "return"),
    "tuple": (lambda x: (np.sum(x), np.sum(x)), "tuple of length 2", "has_aux=True"),
    "dict": (lambda x: {"loss": np.sum(x)}, "dict of length 1", "jacobian()"),
    "string": (lambda x: "loss", "'loss'", "float scalar"),
    "int array": (lambda x: np.sum(x).astype(int), "integer", "int64"),
    "python int": (lambda x: 3, "3 (a Python int)", "float scalar"),
}


@pytest.mark.parametrize("transform", [cr.grad, cr.value_and_grad, cr.hessian])
@pytest.mark.parametrize("case", NOT_A_FLOAT_SCALAR.values(), ids=NOT_A_FLOAT_SCALAR.keys())
def test_gradient_transforms_name_an_output_that_is_not_a_float_scalar(transform, case):
    fun, *fragments = case
    with pytest.raises(TypeError) as excinfo:
        transform(fun)(np.array([1.0, 2.0]))
    assert_mentions(excinfo, f"{transform.__name__} needs", "returned", *fragments)


@pytest.mark.parametrize("transform", [cr.jacobian, cr.jacfwd])
@pytest.mark.parametrize("fun, fragment", [
    (lambda x: x > 0, "boolean array of shape (2,)"),
    (lambda x: (x, None), "None"),
    (lambda x: {"a": x, "b": "text"}, "'text'"),
    (lambda x: x.astype(np.int32), "dtype int32"),
], ids=["comparison", "None-leaf", "string-leaf", "int-array"])
def test_jacobian_transforms_name_an_output_leaf_that_is_not_a_float_array(
        transform, fun, fragment):
    with pytest.raises(TypeError) as excinfo:
        transform(fun)(np.array([1.0, 2.0]))
    assert_mentions(excinfo, f"{transform.__name__} needs", "float array", fragment)


@pytest.mark.parametrize("fun, fragment", [
    (lambda x: (x, x), "tuple of length 2"),
    (lambda x: x > 0, "boolean array of shape (2,)"),
    (lambda x: x.astype(np.int32), "dtype int32"),
], ids=["tuple", "comparison", "int-array"])
def test_elementwise_grad_names_an_output_that_is_not_one_float_array(fun, fragment):
    with pytest.raises(TypeError) as excinfo:
        cr.elementwise_grad(fun)(np.array([1.0, 2.0]))
    assert_mentions(excinfo, "elementwise_grad needs", "a float array", fragment)


def test_outputs_that_do_not_depend_on_the_input_still_have_zero_derivatives():
    assert cr.grad(lambda x: 1.0)(2.0) == 0.0
    np.testing.assert_array_equal(cr.jacobian(lambda x: (x, np.zeros(2)))(np.ones(2))[1],
                                  np.zeros((2, 2)))


def test_aux_data_may_be_anything():
    g, aux = cr.grad(lambda x: (x * x, {"note": "text", "count": 3}), has_aux=True)(3.0)
    assert g == 6.0 and aux == {"note": "text", "count": 3}


def test_hessian_of_a_non_scalar_function_says_hessian_needs_a_scalar():
    with pytest.raises(TypeError) as excinfo:
        cr.hessian(lambda x: x * 2.0)(np.array([1.0, 2.0]))
    assert_mentions(excinfo, "hessian needs", "scalar output", "(2,)", "jacfwd(jacobian(f))")
    assert "grad needs" not in str(excinfo.value)


# --- what a function is differentiated at ------------------------------------------------

@pytest.mark.parametrize("value, description", [
    ("2.0", "a string ('2.0')"), (None, "None"), (object(), "object of type object")],
    ids=["string", "None", "object"])
def test_grad_names_the_real_type_of_an_input_that_is_not_a_number(value, description):
    with pytest.raises(TypeError) as excinfo:
        cr.grad(lambda x: x * 2.0)(value)
    assert_mentions(excinfo, description, "pass floats")
    assert "integer or boolean" not in str(excinfo.value)


def test_grad_still_calls_an_integer_input_an_integer():
    with pytest.raises(TypeError) as excinfo:
        cr.grad(lambda x: x * 2.0)(2)
    assert_mentions(excinfo, "integer or boolean input (2 of type int)", "2.0 rather than 2")


# --- lists where NumPy accepts lists -------------------------------------------------------

X = np.array([0.5, 2.0, 2.5])
M = np.array([[1.0, 2.0, 0.5], [3.0, 5.0, 4.0]])
LIST_CALLS = {
    "interp": lambda w: np.interp(w(X), [0, 1, 3], [0, 2, 3]),
    "average-weights": lambda w: np.average(w(X), weights=[1, 3, 2]),
    "average-axis-weights": lambda w: np.average(w(M), axis=0, weights=[1, 3]),
    "gradient-coordinates": lambda w: np.gradient(w(X), [0.0, 1.0, 3.0]),
    "gradient-2d-coordinates": lambda w: np.gradient(w(M), [0.0, 2.0], [0.0, 1.0, 3.0]),
    "gradient-edge-order-2": lambda w: np.gradient(w(X), [0.0, 1.0, 3.0], edge_order=2),
    "polyval-points": lambda w: np.polyval(w(X), [0.5, 2.0]),
    "cov-aweights": lambda w: np.cov(w(M), aweights=[1.0, 2.0, 0.5]),
    "cov-second-variable": lambda w: np.cov(w(X), [1.0, 3.0, 2.0]),
    "corrcoef-second-variable": lambda w: np.corrcoef(w(X), [1.0, 3.0, 2.0]),
    "convolve": lambda w: np.convolve(w(X), [1.0, 2.0]),
    "where-branch": lambda w: np.where(w(X) > 1, w(X), [0.0, 0.0, 0.0]),
}


def values_of(result):
    if isinstance(result, (tuple, list)):
        return [values_of(r) for r in result]
    return np.asarray(result.numpy() if isinstance(result, cr.Tensor) else result)


@pytest.mark.parametrize("call", LIST_CALLS.values(), ids=LIST_CALLS.keys())
def test_numpy_functions_on_tensors_accept_lists_as_numpy_does(call):
    expected = call(lambda a: a)
    np.testing.assert_allclose(values_of(call(cr.tensor)), expected, rtol=1e-14)
    np.testing.assert_allclose(values_of(call(lambda a: cr.tensor(a, requires_grad=True))),
                               expected, rtol=1e-14)


@pytest.mark.parametrize("name", ["interp", "average-axis-weights", "gradient-coordinates",
                                  "cov-aweights", "polyval-points"])
def test_gradients_through_functions_given_lists_match_finite_differences(name):
    call = LIST_CALLS[name]
    x = M if "axis" in name or "cov" in name else X
    weights = np.linspace(0.5, 1.5, np.size(call(lambda a: a))).reshape(
        np.shape(call(lambda a: a)))
    loss = lambda v: np.sum(call(lambda _: v) * weights)  # noqa: E731
    np.testing.assert_allclose(cr.grad(loss)(x), central_difference(loss, x), atol=1e-7)


def test_lists_of_traced_values_keep_their_gradients_in_chainrule_numpy():
    import chainrule.numpy as cnp

    assert cr.grad(lambda a: cnp.sum([a, 2.0 * a, 3.0]))(1.5) == 3.0
    assert cr.grad(lambda a: cnp.average([a, 1.0], weights=[1.0, 3.0]))(2.0) == 0.25
    slope = cr.grad(lambda a: cnp.interp(1.0, [0.0, 2.0], [0.0, a]))(4.0)
    assert slope == pytest.approx(0.5)


# --- naming functions without a rule ---------------------------------------------------------

def run_fresh(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a new interpreter (nothing imported yet) that sees this chainrule."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)


def test_a_scipy_ufunc_without_chainrule_scipy_is_named_and_the_import_suggested():
    pytest.importorskip("scipy")
    result = run_fresh(
        "import scipy.special, chainrule as cr\n"
        "try:\n"
        "    scipy.special.gamma(cr.tensor([2.0], requires_grad=True))\n"
        "except TypeError as error:\n"
        "    print(error)\n")
    assert result.returncode == 0, result.stderr
    assert "scipy.special.gamma" in result.stdout
    assert "import chainrule.scipy" in result.stdout
    assert "numpy.gamma" not in result.stdout


def test_a_scipy_ufunc_after_chainrule_scipy_is_differentiable():
    pytest.importorskip("scipy")
    import scipy.special

    import chainrule.scipy  # noqa: F401

    x = cr.tensor(3.0, requires_grad=True)
    scipy.special.gamma(x).backward()
    assert x.grad.item() == pytest.approx(scipy.special.gamma(3.0) * scipy.special.digamma(3.0))


def test_a_numpy_ufunc_without_a_rule_is_still_named_as_numpy_s():
    with pytest.raises(TypeError) as excinfo:
        np.frexp(cr.tensor([2.0], requires_grad=True))
    assert_mentions(excinfo, "numpy.frexp has no derivative rule", "@chainrule.primitive")


# --- follow-ups: untraced results, .data of another shape, nan-reductions' dtype ------

def test_a_result_without_gradient_comes_back_as_a_plain_array():
    out = cr.jvp(lambda x: x > 1.0, (np.array([1.0, 2.0]),), (np.ones(2),))[0]
    assert type(out) is np.ndarray
    np.testing.assert_array_equal(out, [False, True])


def test_data_of_another_shape_on_a_leaf_gives_gradients_of_that_shape():
    w = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w.data = np.arange(5.0)
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), 2.0 * np.arange(5.0))


def test_data_of_another_shape_on_a_computed_tensor_is_refused():
    y = cr.tensor([1.0, 2.0], requires_grad=True) * 2.0
    with pytest.raises(ValueError, match="cannot change its shape"):
        y.data = np.ones(3)


@pytest.mark.parametrize("reduction", [np.nanmean, np.nanvar, np.nanstd])
def test_nan_reductions_keep_float32(reduction):
    data = np.array([1.0, np.nan, 3.0], dtype=np.float32)
    result = reduction(cr.tensor(data))
    assert result.dtype == reduction(data).dtype == np.float32
    assert float(result.numpy()) == pytest.approx(float(reduction(data)))
