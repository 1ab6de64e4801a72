"""Wrong derivatives the random-program fuzzer found, each checked against finite
differences of SciPy's or NumPy's own function."""

import numpy as np
import pytest
import scipy.special

import chainrule as cr
import chainrule.scipy.special as cspecial

STEP = 1e-5


def central_difference(fun, x, step=STEP):
    return (fun(x + step) - fun(x - step)) / (2 * step)


@pytest.mark.parametrize("x", [0.0, -1.0, -2.0, -3.0])
def test_rgamma_is_differentiable_at_the_poles_of_gamma(x):
    # 1/gamma is smooth at 0, -1, -2, ...; the rule -rgamma * digamma gave 0 * inf = nan.
    expected = central_difference(scipy.special.rgamma, x)
    assert cr.grad(cspecial.rgamma)(x) == pytest.approx(expected, rel=1e-8)
    assert cr.jvp(cspecial.rgamma, (x,), (1.0,))[1] == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("x", [0.0, -1.0, -0.5, 0.7, 2.5])
def test_rgamma_second_derivative_is_finite_and_right_at_the_poles(x):
    slope = cr.grad(cspecial.rgamma)
    expected = central_difference(slope, x)
    assert cr.grad(slope)(x) == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("options", [{}, {"b": 2.0}])
def test_logsumexp_of_a_0d_input_keeps_the_axes_scipy_keeps(options):
    # SciPy >= 1.15 gives shape (1,) here; chainrule gave (), so np.fft.fft of it failed.
    x = 0.5
    expected = scipy.special.logsumexp(x, keepdims=True, **options)
    got = cspecial.logsumexp(x, keepdims=True, **options)
    assert np.shape(got) == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-15)
    slope = cr.grad(lambda x: np.sum(cspecial.logsumexp(x, keepdims=True, **options)))(x)
    assert slope == pytest.approx(central_difference(
        lambda x: np.sum(scipy.special.logsumexp(x, keepdims=True, **options)), x), rel=1e-8)


def test_astype_to_real_passes_back_only_the_real_part_at_second_order():
    # cos(cos x) through complex exponentials and a cast of a real value: reverse over
    # reverse let an imaginary cotangent through astype (0.13 instead of 0.465).
    def f(x):
        inner = np.real(np.exp(1j * x)).astype(float)
        return np.real(np.exp(1j * inner))

    x = 0.5478467492858172
    second = -np.cos(np.cos(x)) * np.sin(x) ** 2 + np.sin(np.cos(x)) * np.cos(x)
    assert cr.grad(cr.grad(f))(np.array(x)) == pytest.approx(second, rel=1e-10)
    assert cr.hvp(f, np.array(x), np.array(1.0)) == pytest.approx(second, rel=1e-10)
    slope = cr.grad(f)
    assert second == pytest.approx(central_difference(slope, np.array(x)), rel=1e-7)


@pytest.mark.parametrize("t", [1e-300, 3.9e-17, 1e-8, -1e-5, 1e-3])
@pytest.mark.parametrize("df", [1.3, 7.5])
def test_stdtr_slope_in_df_is_finite_and_right_for_small_t(df, t):
    # For tiny t, 1 - df / (df + t**2) rounded to 0: the slope was nan, and for t near
    # 1e-8 it had no right digit.
    step = 1e-3 * df
    expected = (-scipy.special.stdtr(df + 2 * step, t) + 8 * scipy.special.stdtr(df + step, t)
                - 8 * scipy.special.stdtr(df - step, t)
                + scipy.special.stdtr(df - 2 * step, t)) / (12 * step)
    slope = cr.grad(lambda d: cspecial.stdtr(d, t))(df)
    assert slope == pytest.approx(expected, rel=1e-6, abs=1e-13)


@pytest.mark.parametrize("y", [-7044.29365964315, -50.0, -0.7])
def test_ndtri_exp_second_derivative_is_accurate_deep_in_the_tail(y):
    # dx/dy was computed as exp(y + x**2/2), which carries x's rounding error times x**2;
    # the second derivative amplified it to a relative error of 1e-6 at y = -7044.
    def slope_by_scipy(y):  # cdf(x) / pdf(x) at x = ndtri_exp(y), from SciPy alone
        x = scipy.special.ndtri_exp(y)
        return np.sqrt(np.pi / 2) * scipy.special.erfcx(-x / np.sqrt(2))

    h = 1e-3  # five points: the truncation error is of order h**4
    expected = (-slope_by_scipy(y + 2 * h) + 8 * slope_by_scipy(y + h) - 8 * slope_by_scipy(y - h)
                + slope_by_scipy(y - 2 * h)) / (12 * h)
    assert cr.grad(cr.grad(cspecial.ndtri_exp))(y) == pytest.approx(expected, rel=1e-8, abs=0)


@pytest.mark.parametrize("reduction", [np.quantile, np.median])
def test_order_statistics_along_an_axis_of_an_empty_array(reduction):
    # A (3, 0) input reduced over axis 0: reshaping to (-1, 0) was ambiguous and raised.
    def f(x):
        empty = np.outer(x, x)[:, 3:]  # shape (3, 0)
        args = (0.3,) if reduction is np.quantile else ()
        return np.sum(reduction(empty, *args, axis=0)) + np.sum(x * x)

    x = np.array([0.5, -1.0, 2.0])
    assert np.shape(np.quantile(np.zeros((3, 0)), 0.3, axis=0)) == (0,)
    np.testing.assert_allclose(cr.grad(f)(x), 2 * x)
