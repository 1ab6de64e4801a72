"""The scalar engine: gradients against closed forms and finite differences."""

import math
import sys

import pytest

from chainrule.value import Value, zero_grad

STEP = 1e-6


def central_difference(f, x: float) -> float:
    """(f(x + h) - f(x - h)) / 2h, with f mapping a Value to a Value."""
    return (f(Value(x + STEP)).data - f(Value(x - STEP)).data) / (2 * STEP)


def gradient_at(f, x: float) -> float:
    leaf = Value(x)
    f(leaf).backward()
    return leaf.grad


# -- the SPEC example and basics ------------------------------------------------------


def test_spec_example_gradients():
    a, b = Value(2.0), Value(3.0)
    e = (a + b) + a * b
    e.backward()
    assert (a.grad, b.grad) == (4.0, 3.0)
    assert e.data == 11.0


def test_repr_is_exact():
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    assert str(Value(2.0)) == "Value(data=2.0, grad=0.0)"


def test_integer_data_is_stored_as_float():
    value = Value(2)
    assert type(value.data) is float and type(value.grad) is float
    assert repr(value) == "Value(data=2.0, grad=0.0)"


def test_results_of_operations_hold_plain_floats():
    a = Value(2.0)
    y = (a * 3 + 1).tanh()
    y.backward()
    assert type(y.data) is float and type(a.grad) is float


def test_data_can_be_updated_by_hand_in_a_training_loop():
    w = Value(0.0)
    for _ in range(200):
        w.zero_grad()
        loss = (w - 3.0) ** 2
        loss.backward()
        w.data -= 0.1 * w.grad
    assert w.data == pytest.approx(3.0, abs=1e-9)


def test_op_and_parents_describe_the_graph():
    a, b = Value(2.0), Value(3.0)
    product = a * b
    assert product.op == "*"
    assert product.parents == (a, b)
    assert a.op == "" and a.parents == ()
    assert (-a).op == "neg" and (-a).parents == (a,)


def test_a_number_operand_becomes_a_constant_leaf():
    a = Value(2.0)
    y = a * 5
    constant = y.parents[1]
    assert isinstance(constant, Value) and constant.data == 5.0 and constant.op == ""


# -- binary operators, numbers on either side -----------------------------------------

BINARY_CASES = [
    # (name, f(a, b), d/da, d/db) at a = 1.5, b = -2.5
    ("add", lambda a, b: a + b, lambda a, b: 1.0, lambda a, b: 1.0),
    ("sub", lambda a, b: a - b, lambda a, b: 1.0, lambda a, b: -1.0),
    ("mul", lambda a, b: a * b, lambda a, b: b, lambda a, b: a),
    ("div", lambda a, b: a / b, lambda a, b: 1 / b, lambda a, b: -a / b**2),
]


@pytest.mark.parametrize("name, f, dfda, dfdb", BINARY_CASES, ids=[c[0] for c in BINARY_CASES])
def test_binary_operator_between_values(name, f, dfda, dfdb):
    a, b = Value(1.5), Value(-2.5)
    out = f(a, b)
    out.backward()
    assert out.data == pytest.approx(f(1.5, -2.5))
    assert a.grad == pytest.approx(dfda(1.5, -2.5))
    assert b.grad == pytest.approx(dfdb(1.5, -2.5))


@pytest.mark.parametrize("name, f, dfda, dfdb", BINARY_CASES, ids=[c[0] for c in BINARY_CASES])
def test_binary_operator_with_number_on_the_right(name, f, dfda, dfdb):
    a = Value(1.5)
    out = f(a, -2.5)
    out.backward()
    assert out.data == pytest.approx(f(1.5, -2.5))
    assert a.grad == pytest.approx(dfda(1.5, -2.5))


@pytest.mark.parametrize("name, f, dfda, dfdb", BINARY_CASES, ids=[c[0] for c in BINARY_CASES])
def test_binary_operator_with_number_on_the_left(name, f, dfda, dfdb):
    b = Value(-2.5)
    out = f(1.5, b)
    out.backward()
    assert out.data == pytest.approx(f(1.5, -2.5))
    assert b.grad == pytest.approx(dfdb(1.5, -2.5))


def test_power_with_number_exponent():
    a = Value(1.7)
    (a**3).backward()
    assert a.grad == pytest.approx(3 * 1.7**2)


def test_power_with_value_exponent():
    a, p = Value(1.7), Value(2.3)
    out = a**p
    out.backward()
    assert out.data == pytest.approx(1.7**2.3)
    assert a.grad == pytest.approx(2.3 * 1.7**1.3)
    assert p.grad == pytest.approx(1.7**2.3 * math.log(1.7))


def test_number_to_a_value_power():
    p = Value(0.5)
    out = 2**p
    out.backward()
    assert out.data == pytest.approx(2**0.5)
    assert p.grad == pytest.approx(2**0.5 * math.log(2))


def test_negative_base_to_an_integer_power_is_fine():
    a = Value(-2.0)
    (a**3).backward()
    assert a.grad == pytest.approx(12.0)


def test_unary_minus():
    a = Value(4.0)
    out = -a
    out.backward()
    assert out.data == -4.0 and a.grad == -1.0


def test_non_numbers_are_rejected_with_type_error():
    with pytest.raises(TypeError):
        Value(1.0) + "2"
    with pytest.raises(TypeError):
        "2" * Value(1.0)


# -- unary functions against closed forms and finite differences ----------------------

UNARY_CASES = [
    # (method, closed-form derivative, points)
    ("relu", lambda x: 1.0 if x > 0 else 0.0, [-2.0, -0.3, 0.4, 3.0]),
    ("sigmoid", lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2, [-5.0, -0.5, 0.0, 2.0, 8.0]),
    ("tanh", lambda x: 1 / math.cosh(x) ** 2, [-3.0, -0.5, 0.0, 0.7, 2.5]),
    ("exp", math.exp, [-2.0, 0.0, 0.5, 3.0]),
    ("log", lambda x: 1 / x, [0.01, 0.5, 1.0, 7.0]),
    ("abs", lambda x: math.copysign(1.0, x), [-4.0, -0.2, 0.3, 5.0]),
    ("sqrt", lambda x: 0.5 / math.sqrt(x), [0.04, 1.0, 9.0, 30.0]),
    ("sin", math.cos, [-2.0, 0.0, 1.0, 4.0]),
    ("cos", lambda x: -math.sin(x), [-2.0, 0.0, 1.0, 4.0]),
]
UNARY_POINTS = [(name, d, x) for name, d, points in UNARY_CASES for x in points]


@pytest.mark.parametrize("name, derivative, x", UNARY_POINTS)
def test_unary_derivative_matches_closed_form(name, derivative, x):
    grad = gradient_at(lambda v: getattr(v, name)(), x)
    assert grad == pytest.approx(derivative(x), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name, derivative, x", UNARY_POINTS)
def test_unary_derivative_matches_finite_differences(name, derivative, x):
    f = lambda v: getattr(v, name)()
    assert gradient_at(f, x) == pytest.approx(central_difference(f, x), rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("name", [case[0] for case in UNARY_CASES])
def test_unary_forward_value_matches_math(name):
    x = 0.8
    expected = {"relu": 0.8, "sigmoid": 1 / (1 + math.exp(-x)), "abs": 0.8}.get(name)
    if expected is None:
        expected = getattr(math, name)(x)
    assert getattr(Value(x), name)().data == pytest.approx(expected, rel=1e-15)


def test_builtin_abs_uses_the_value_method():
    a = Value(-3.0)
    out = abs(a)
    out.backward()
    assert out.data == 3.0 and a.grad == -1.0


def test_sigmoid_does_not_overflow_for_large_inputs():
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0


def test_derivatives_at_kinks_are_zero():
    assert gradient_at(lambda v: v.relu(), 0.0) == 0.0
    assert gradient_at(lambda v: v.abs(), 0.0) == 0.0


def test_root_derivatives_at_zero_are_infinite():
    assert gradient_at(lambda v: v.sqrt(), 0.0) == math.inf
    assert gradient_at(lambda v: v**0.5, 0.0) == math.inf


def test_power_zero_has_zero_derivative_even_at_zero():
    assert gradient_at(lambda v: v**0, 0.0) == 0.0


def test_value_exponent_of_zero_base_has_zero_exponent_derivative():
    p = Value(2.0)
    (Value(0.0) ** p).backward()
    assert p.grad == 0.0


def test_composite_function_matches_finite_differences():
    def f(x):
        return ((x * x + 1).log() * x.sin() + (x / 3).exp() * x.tanh() - 2 / (1 + x**2)).sigmoid()

    for x in (-1.3, 0.2, 2.1):
        assert gradient_at(f, x) == pytest.approx(central_difference(f, x), rel=1e-6)


# -- graph shapes ---------------------------------------------------------------------


def test_value_added_to_itself_gets_gradient_two():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_value_times_itself_gets_gradient_two_x():
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0


def test_diamond_accumulates_both_paths():
    a = Value(1.5)
    left, right = a * 2, a * 3
    (left * right).backward()  # 6 a**2
    assert a.grad == pytest.approx(12 * 1.5)


def test_shared_interior_node_is_propagated_once():
    x = Value(0.7)
    shared = x.tanh()
    out = shared * shared + shared.exp() + shared
    out.backward()
    t = math.tanh(0.7)
    expected = (2 * t + math.exp(t) + 1) * (1 - t * t)
    assert x.grad == pytest.approx(expected, rel=1e-14)
    assert shared.grad == pytest.approx(2 * t + math.exp(t) + 1, rel=1e-14)


def test_backward_on_a_leaf_gives_one():
    a = Value(5.0)
    a.backward()
    assert a.grad == 1.0


def test_unrelated_values_are_untouched():
    a, b, bystander = Value(1.0), Value(2.0), Value(7.0)
    unused = bystander * a  # consumes a, but is not part of the loss
    (a * b).backward()
    assert bystander.grad == 0.0 and unused.grad == 0.0
    assert a.grad == 2.0


def test_million_operation_chain_backpropagates_at_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = y.tanh()
    y.backward()
    assert 0.0 < x.grad < 1.0
    del y  # freeing a million-deep chain must not overflow the C stack either


def test_long_chain_gradient_is_exact():
    x = Value(1.0)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001**10_000, rel=1e-9)


# -- accumulation and zero_grad -------------------------------------------------------


def square_gradient_step(x: Value) -> None:
    (x * x).backward()


def test_forgetting_zero_grad_accumulates_6_then_12():
    x = Value(3.0)
    square_gradient_step(x)
    assert x.grad == 6.0
    square_gradient_step(x)
    assert x.grad == 12.0


def test_zero_grad_restores_the_single_step_gradient():
    x = Value(3.0)
    square_gradient_step(x)
    square_gradient_step(x)
    x.zero_grad()
    square_gradient_step(x)
    assert x.grad == 6.0


def test_second_backward_doubles_leaves_but_not_interior_nodes():
    x = Value(3.0)
    t = x * x
    y = t * 1.0
    y.backward()
    y.backward()
    assert x.grad == 12.0  # not 18: t's gradient was not counted twice
    assert t.grad == 1.0 and y.grad == 1.0


def test_zero_grad_of_whole_graph():
    a, b = Value(2.0), Value(3.0)
    e = (a + b) * a
    e.backward()
    e.zero_grad(graph=True)
    assert (a.grad, b.grad, e.grad, e.parents[0].grad) == (0.0, 0.0, 0.0, 0.0)


def test_zero_grad_of_one_value_leaves_the_rest():
    a, b = Value(2.0), Value(3.0)
    (a * b).backward()
    a.zero_grad()
    assert (a.grad, b.grad) == (0.0, 2.0)


def test_module_zero_grad_takes_any_iterable_of_values():
    params = [Value(1.0), Value(2.0)]
    (params[0] * params[1]).backward()
    zero_grad(params)
    assert [p.grad for p in params] == [0.0, 0.0]


def test_interrupted_backward_does_not_corrupt_the_next_one():
    a, b = Value(2.0), Value(3.0)
    e = (a * b).tanh() * a
    a.grad = None  # makes backward fail half-way
    with pytest.raises(TypeError):
        e.backward()
    a.grad = 0.0
    e.backward()
    t = math.tanh(6.0)
    assert a.grad == pytest.approx(t + 2.0 * (1 - t * t) * 3.0)
    assert b.grad == pytest.approx(2.0 * (1 - t * t) * 2.0)


# -- errors name the problem and the fix ----------------------------------------------


@pytest.mark.parametrize("x", [0.0, -1.5])
def test_log_of_non_positive_raises(x):
    with pytest.raises(ValueError, match=r"log of a non-positive value.*x > 0.*eps"):
        Value(x).log()


def test_sqrt_of_negative_raises():
    with pytest.raises(ValueError, match=r"sqrt of a negative value.*abs\(\)"):
        Value(-4.0).sqrt()


def test_negative_base_to_fractional_number_power_raises():
    with pytest.raises(ValueError, match=r"negative base.*non-integer power.*integer exponent"):
        Value(-8.0) ** (1 / 3)


@pytest.mark.parametrize("base", [-2.0, 0.0])
def test_value_exponent_needs_a_positive_base(base):
    with pytest.raises(ValueError, match=r"Value exponent.*base must be positive.*plain-number"):
        Value(base) ** Value(-0.5)


def test_number_base_to_a_value_power_checks_the_base():
    with pytest.raises(ValueError, match="base must be positive"):
        (-2.0) ** Value(2.0)


@pytest.mark.parametrize(
    "compute",
    [lambda: Value(800.0).exp(), lambda: Value(1e200) ** 2, lambda: Value(1e200) ** Value(2.0)],
    ids=["exp", "number power", "value power"],
)
def test_overflow_says_the_result_is_too_large_and_what_to_do(compute):
    with pytest.raises(OverflowError, match="too large for a float.*learning rate"):
        compute()
