"""autograd's misc (optimizers, flatten) and test_util on chainrule."""

import numpy as onp
import pytest

import chainrule.compat.autograd.numpy as np
from chainrule.compat.autograd import grad
from chainrule.compat.autograd.extend import defvjp, primitive
from chainrule.compat.autograd.misc import flatten
from chainrule.compat.autograd.misc.flatten import flatten_func
from chainrule.compat.autograd.misc.optimizers import adam, rmsprop, sgd
from chainrule.compat.autograd.test_util import check_grads, combo_check

TARGET = onp.array([1.0, -2.0, 0.5])


def squared_distance(params, i):
    return np.sum((params["w"] - TARGET) ** 2) + (params["b"] - 3.0) ** 2


@pytest.mark.parametrize("optimizer, options", [
    (adam, {"step_size": 0.1, "num_iters": 500}),
    (sgd, {"step_size": 0.2, "num_iters": 500}),
    (rmsprop, {"step_size": 0.01, "num_iters": 1000}),
])
def test_an_optimizer_finds_the_minimum_of_a_quadratic_on_a_dict(optimizer, options):
    start = {"w": onp.zeros(3), "b": 0.0}
    found = optimizer(grad(squared_distance), start, **options)
    assert set(found) == {"w", "b"}
    assert onp.allclose(found["w"], TARGET, atol=0.02)
    assert float(found["b"]) == pytest.approx(3.0, abs=0.02)


def test_adam_calls_back_with_the_structured_point_and_gradient():
    seen = []
    adam(grad(squared_distance), {"w": onp.zeros(3), "b": 0.0}, num_iters=2,
         callback=lambda x, i, g: seen.append((i, sorted(x), onp.allclose(g["w"], -2 * TARGET))))
    assert seen[0] == (0, ["b", "w"], True) and seen[1][0] == 1


def test_adam_is_differentiable_in_its_step_size():
    def final_loss(step):
        found = adam(lambda x, i: 2 * (x - TARGET), onp.zeros(3), num_iters=3, step_size=step)
        return np.sum((found - TARGET) ** 2)

    step, h = 0.1, 1e-6
    numeric = (final_loss(step + h) - final_loss(step - h)) / (2 * h)
    assert grad(final_loss)(step) == pytest.approx(numeric, rel=1e-6)


def test_flatten_round_trip_with_sorted_dict_keys():
    value = (1.0, onp.arange(6.0).reshape(2, 3), [onp.ones((1, 2)), {"y": onp.zeros(2), "x": 2.0}])
    vector, unflatten = flatten(value)
    assert vector.shape == (12,)
    assert onp.array_equal(vector, [1, 0, 1, 2, 3, 4, 5, 1, 1, 2, 0, 0])  # "x" before "y"
    rebuilt = unflatten(vector)
    assert onp.array_equal(rebuilt[1], value[1]) and rebuilt[2][1]["x"] == 2.0
    assert rebuilt[2][1]["y"].shape == (2,)
    assert onp.array_equal(flatten(rebuilt)[0], vector)


def test_flatten_is_differentiable():
    def total(params):
        vector, _ = flatten(params)
        return np.sum(vector ** 2)

    g = grad(total)({"a": onp.array([1.0, 2.0]), "b": 3.0})
    assert onp.allclose(g["a"], [2.0, 4.0]) and g["b"] == pytest.approx(6.0)


def test_flatten_func_works_on_the_vector():
    flat_fun, unflatten, start = flatten_func(lambda p: {"twice": 2 * p["v"]},
                                              {"v": onp.array([1.0, 2.0])})
    assert onp.allclose(flat_fun(start), [2.0, 4.0]) and onp.allclose(unflatten(start)["v"], start)


def test_check_grads_passes_a_correct_function_in_every_mode():
    check_grads(lambda x: np.sin(x) * np.exp(x), modes=["fwd", "rev"], order=2)(
        onp.array([0.3, -0.8]))


def test_check_grads_takes_tuples_dicts_and_complex_values():
    check_grads(lambda p: (p["a"] * p["b"], np.abs(p["z"]) ** 2))(
        {"a": 1.5, "b": onp.array([0.5, 2.0]), "z": 1.0 + 2.0j})


def test_check_grads_finds_a_wrong_rule_and_names_the_function():
    @primitive
    def double(x):
        return 2.0 * x

    defvjp(double, lambda ans, x: lambda g: 2.01 * g)
    with pytest.raises(AssertionError, match=r"\(VJP\) check of double failed"):
        check_grads(double, modes=["rev"], order=1)(1.0)


def test_check_grads_finds_a_wrong_second_order_rule():
    @primitive
    def identity(x):
        return 1.0 * x

    defvjp(identity, lambda ans, x: lambda g: 1.01 * g)  # wrong

    @primitive
    def square(x):
        return x ** 2

    # Right values at first order; its own derivative goes through identity's rule.
    defvjp(square, lambda ans, x: lambda g: 2 * identity(x) * g)
    check_grads(square, modes=["rev"], order=1)(0.7)
    with pytest.raises(AssertionError, match="check of vjp_square failed"):
        check_grads(square, modes=["rev"], order=2)(0.7)


def test_check_grads_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match="unknown modes"):
        check_grads(np.sin, modes=["sideways"])(0.5)


def test_combo_check_tries_every_combination():
    seen = []

    def f(x, axis=None):
        seen.append((onp.shape(x), axis))
        return np.sum(x ** 2, axis=axis)

    combo_check(f, [0], modes=["rev"], order=1)([onp.ones(2), onp.ones((2, 3))], axis=[None, 0])
    assert {(shape, axis) for shape, axis in seen} == {
        ((2,), None), ((2,), 0), ((2, 3), None), ((2, 3), 0)}


def test_fixed_point_gradient_by_the_implicit_function_theorem():
    from chainrule.compat.autograd.misc.fixed_points import fixed_point

    def newton_sqrt(a):
        return lambda x: 0.5 * (x + a / x)

    def distance(x, y):
        return np.abs(x - y)

    def sqrt(a):
        return fixed_point(newton_sqrt, a, 1.0, distance, 1e-10)

    assert sqrt(2.0) == pytest.approx(onp.sqrt(2.0))
    assert grad(sqrt)(2.0) == pytest.approx(0.5 / onp.sqrt(2.0), rel=1e-8)


def test_const_graph_traces_once_and_replays():
    from chainrule.compat.autograd.misc import const_graph

    calls = []

    def f(x, y):
        calls.append("f")
        return np.sum(np.sin(x) * y)

    replayed = const_graph(f, y=onp.array([1.0, 2.0]))
    x = onp.array([0.3, 0.7])
    first, second = replayed(x), replayed(2 * x)
    assert first == pytest.approx(onp.sum(onp.sin(x) * [1.0, 2.0]))
    assert second == pytest.approx(onp.sum(onp.sin(2 * x) * [1.0, 2.0]))
    assert calls == ["f"]


def test_a_primitive_is_recorded_by_cr_jit_and_rerun_on_new_inputs():
    import chainrule as cr

    calls = []

    @primitive
    def double(x):
        calls.append("double")
        return 2.0 * x

    defvjp(double, lambda ans, x: lambda g: 2.0 * g)
    compiled = cr.jit(lambda x: np.sum(double(x) ** 2))
    x = onp.array([1.0, 2.0])
    assert compiled(x) == pytest.approx(20.0) and compiled(3 * x) == pytest.approx(180.0)
    assert calls == ["double", "double"]  # traced once, replayed once: fun runs each time
    assert onp.allclose(cr.grad(compiled)(x), 8 * x)
