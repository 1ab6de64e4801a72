"""autograd's extension API (primitive, curried defvjp, defjvp ...) on chainrule."""

import numpy as onp
import pytest

import chainrule as cr
import chainrule.compat.autograd.numpy as np
from chainrule.compat.autograd import deriv, grad, hessian
from chainrule.compat.autograd.extend import (
    Box,
    def_linear,
    defjvp,
    defjvp_argnum,
    defjvp_argnums,
    defvjp,
    defvjp_argnum,
    defvjp_argnums,
    notrace_primitive,
    primitive,
    vspace,
)
from chainrule.compat.autograd.test_util import check_grads

X = onp.array([0.3, -1.2, 2.0])


def make_logsumexp():
    @primitive
    def logsumexp(x):
        top = onp.max(x)
        return top + onp.log(onp.sum(onp.exp(x - top)))

    # Written with differentiable calls, so it differentiates again.
    defvjp(logsumexp, lambda ans, x: lambda g: g * np.exp(x - ans))
    return logsumexp


def test_a_curried_vjp_rule_gives_the_gradient():
    logsumexp = make_logsumexp()
    softmax = onp.exp(X) / onp.sum(onp.exp(X))
    assert onp.allclose(grad(logsumexp)(X), softmax)


def test_a_curried_vjp_rule_written_with_numpy_calls_differentiates_again():
    logsumexp = make_logsumexp()
    softmax = onp.exp(X) / onp.sum(onp.exp(X))
    assert onp.allclose(hessian(logsumexp)(X), onp.diag(softmax) - onp.outer(softmax, softmax))
    check_grads(logsumexp, modes=["rev"], order=2)(X)


def test_a_primitive_called_on_plain_values_returns_its_result_untouched():
    @primitive
    def halve(x):
        return x / 2

    assert halve(3.0) == 1.5 and type(halve(3.0)) is float


def test_a_primitive_may_return_a_python_scalar_when_traced():
    @primitive
    def square_of_first(x):
        return float(x[0]) ** 2

    defvjp(square_of_first, lambda ans, x: lambda g: g * 2 * x * (onp.arange(len(x)) == 0))
    assert onp.allclose(grad(square_of_first)(X), [0.6, 0.0, 0.0])


def test_none_is_a_zero_gradient_and_argnums_picks_the_arguments():
    @primitive
    def scaled(x, scale):
        return x * scale

    defvjp(scaled, None, lambda ans, x, scale: lambda g: onp.sum(g * x))
    assert onp.allclose(grad(lambda x: np.sum(scaled(x, 2.0)))(X), onp.zeros(3))
    assert grad(lambda s: np.sum(scaled(X, s)))(2.0) == pytest.approx(onp.sum(X))

    @primitive
    def shifted(x, shift):
        return x + shift

    defvjp(shifted, lambda ans, x, shift: lambda g: onp.sum(g), argnums=[1])
    assert grad(lambda s: np.sum(shifted(X, s)))(1.0) == pytest.approx(3.0)
    with pytest.raises(NotImplementedError, match="argument 0"):
        grad(lambda x: np.sum(shifted(x, 1.0)))(X)


def test_defvjp_argnum_gives_every_argument_from_one_rule():
    @primitive
    def product(x, y):
        return x * y

    defvjp_argnum(product, lambda argnum, ans, args, kwargs:
                  lambda g: g * args[1 - argnum])
    gx, gy = grad(lambda x, y: product(x, y), (0, 1))(2.0, 5.0)
    assert (gx, gy) == pytest.approx((5.0, 2.0))


def test_defvjp_argnums_gives_the_requested_arguments_at_once():
    calls = []

    @primitive
    def weighted(x, w, name):
        return onp.sum(x * w)

    def vjps(argnums, ans, args, kwargs):
        calls.append(tuple(argnums))
        x, w, _ = args
        return lambda g: [g * (w, x)[i] for i in argnums]

    defvjp_argnums(weighted, vjps)
    gx, gw = grad(lambda x, w: weighted(x, w, "label"), (0, 1))(X, 2 * X)
    assert onp.allclose(gx, 2 * X) and onp.allclose(gw, X)
    assert calls == [(0, 1)]  # the string argument is never asked for


def test_defjvp_forms_same_none_and_a_rule():
    @primitive
    def double(x):
        return 2 * x

    defjvp(double, "same")
    assert deriv(double)(1.5) == pytest.approx(2.0)

    @primitive
    def stepped(x):
        return onp.floor(x)

    defjvp(stepped, None)
    assert deriv(stepped)(1.5) == pytest.approx(0.0)

    @primitive
    def cube(x):
        return x ** 3

    defjvp(cube, lambda g, ans, x: 3 * g * x ** 2)
    assert deriv(cube)(2.0) == pytest.approx(12.0)


def test_defjvp_argnum_argnums_and_def_linear():
    @primitive
    def product(x, y):
        return x * y

    defjvp_argnum(product, lambda argnum, g, ans, args, kwargs: g * args[1 - argnum])
    assert deriv(lambda t: product(t, t))(3.0) == pytest.approx(6.0)

    @primitive
    def difference(x, y):
        return x - y

    defjvp_argnums(difference, lambda argnums, gs, ans, args, kwargs:
                   sum(g if i == 0 else -g for i, g in zip(argnums, gs)))
    assert deriv(lambda t: difference(3 * t, t))(1.0) == pytest.approx(2.0)

    @primitive
    def bilinear(x, y):  # linear in each argument: d(xy) = dx y + x dy
        return x * y

    def_linear(bilinear)
    assert deriv(lambda t: bilinear(t, 2 * t))(3.0) == pytest.approx(12.0)


def test_forward_and_reverse_rules_check_together():
    @primitive
    def sin(x):
        return onp.sin(x)

    defvjp(sin, lambda ans, x: lambda g: g * np.cos(x))
    defjvp(sin, lambda g, ans, x: g * np.cos(x))
    check_grads(sin, modes=["fwd", "rev"], order=1)(X)


def test_defvjp_of_a_plain_function_says_to_decorate_it():
    with pytest.raises(TypeError, match="@primitive"):
        defvjp(onp.sin, lambda ans, x: lambda g: g)


def test_notrace_primitive_sees_plain_values():
    seen = []

    @notrace_primitive
    def record(x):
        seen.append(type(x))
        return onp.shape(x)

    grad(lambda x: np.sum(x) * len(record(x)))(X)
    assert seen == [onp.ndarray]


def test_vspace_of_an_array():
    space = vspace(X)
    assert space.shape == (3,) and space.size == 3 and not space.iscomplex
    assert onp.array_equal(space.zeros(), onp.zeros(3))
    assert len(list(space.standard_basis())) == 3
    assert vspace(1j * X).iscomplex


def test_box_is_the_traced_type():
    seen = []
    grad(lambda x: seen.append(isinstance(x, Box)) or np.sum(x))(X)
    assert seen == [True] and issubclass(cr.Tensor, Box)


def test_array_box_is_the_traced_array_type():
    from chainrule.compat.autograd.numpy.numpy_boxes import ArrayBox

    seen = []
    grad(lambda x: seen.append(isinstance(x, ArrayBox)) or np.sum(x))(X)
    assert seen == [True] and np.numpy_boxes.ArrayBox is ArrayBox


def test_a_rule_that_is_not_a_function_is_refused_when_given():
    @primitive
    def double(x):
        return 2 * x

    with pytest.raises(TypeError, match="bad VJP 2.0 for double"):
        defvjp(double, 2.0)
    with pytest.raises(TypeError, match="bad JVP 'linear' for double"):
        defjvp(double, "linear")
