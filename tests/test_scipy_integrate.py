"""chainrule.scipy.integrate.odeint: SciPy's solution, and its derivatives in the initial
state, the times and the arguments against closed forms and finite differences."""

import numpy as np
import pytest

pytest.importorskip("scipy.integrate")

import scipy.integrate  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule.scipy.integrate import odeint  # noqa: E402
from chainrule.testing import numerical_gradient  # noqa: E402

TIGHT = {"rtol": 1e-12, "atol": 1e-12}


def decay(y, t, k):
    return -k * y


def test_solution_is_scipys():
    times = np.linspace(0.0, 2.0, 5)
    np.testing.assert_array_equal(odeint(decay, [1.0, 2.0], times, args=(0.5,)),
                                  scipy.integrate.odeint(decay, [1.0, 2.0], times, args=(0.5,)))


def test_exponential_decay_derivatives_are_the_closed_forms():
    y0, k, times = 1.5, 0.7, np.array([0.0, 0.5, 2.0])

    def final(y0, times, k):
        return odeint(decay, y0, times, args=(k,), **TIGHT)[-1, 0]

    end = y0 * np.exp(-k * 2.0)
    dy0, dtimes, dk = cr.grad(final, argnums=(0, 1, 2))(y0, times, k)
    assert dy0 == pytest.approx(np.exp(-k * 2.0), rel=1e-9)
    assert dk == pytest.approx(-2.0 * end, rel=1e-9)
    # y(t_end) = y0 exp(-k (t_end - t_0)): the start and end times pull in opposite ways.
    np.testing.assert_allclose(dtimes, [k * end, 0.0, -k * end], rtol=1e-9, atol=1e-12)


def _oscillator(y, t, coefficients):
    stiffness, damping = coefficients[0], coefficients[1]
    return np.stack([y[1], -stiffness * y[0] - damping * y[1] * np.cos(t)])


Y0, TIMES, COEFFICIENTS = np.array([1.0, 0.3]), np.array([0.1, 0.7, 1.5, 2.0]), np.array([2.0, 0.4])
WEIGHTS = np.arange(8.0).reshape(4, 2)


def _loss(y0, times, coefficients):
    return np.sum(odeint(_oscillator, y0, times, args=(coefficients,), **TIGHT) * WEIGHTS)


@pytest.mark.parametrize("argnum", [0, 1, 2])
def test_reverse_and_forward_mode_match_finite_differences(argnum):
    inputs = [Y0, TIMES, COEFFICIENTS]

    def along(x):
        return _loss(*inputs[:argnum], x, *inputs[argnum + 1:])

    gradient = cr.grad(_loss, argnums=argnum)(*inputs)
    np.testing.assert_allclose(gradient, numerical_gradient(along, inputs[argnum]), rtol=1e-6)
    direction = np.random.default_rng(argnum).standard_normal(inputs[argnum].shape)
    _, tangent = cr.jvp(along, (inputs[argnum],), (direction,))
    assert tangent == pytest.approx(gradient @ direction, rel=1e-7)


def test_gradient_through_tensor_backward():
    coefficients = cr.tensor(COEFFICIENTS, requires_grad=True)
    _loss(Y0, TIMES, coefficients).backward()
    np.testing.assert_allclose(coefficients.grad.numpy(),
                               cr.grad(_loss, argnums=2)(Y0, TIMES, COEFFICIENTS), rtol=1e-12)


def test_second_derivatives_are_refused():
    with pytest.raises(NotImplementedError, match="second derivatives of odeint"):
        cr.hessian(lambda k: odeint(decay, 1.0, [0.0, 1.0], args=(k,))[-1, 0])(0.5)


def test_unsupported_options_are_named():
    with pytest.raises(ValueError, match="full_output"):
        odeint(decay, 1.0, [0.0, 1.0], args=(0.5,), full_output=True)
