"""autograd's numpy and scipy namespaces on chainrule: the names programs import,
differentiated, against closed forms and SciPy's own values."""

import importlib

import numpy as onp
import pytest

import chainrule.compat.autograd.numpy as np
import chainrule.compat.autograd.numpy.random as npr
from chainrule.compat.autograd import elementwise_grad, grad, jacobian
from chainrule.compat.autograd.test_util import check_grads

X = onp.array([0.3, -1.2, 2.0])


def test_numpy_has_every_numpy_name_and_numpy_s_version():
    assert np.__version__ == onp.__version__
    assert np.pi == onp.pi and np.float64 is onp.float64


def test_array_of_traced_scalars_is_differentiable():
    assert grad(lambda x: np.sum(np.array([x, 2 * x, x ** 2])))(3.0) == pytest.approx(9.0)


def test_linalg_inverse_gradient_is_minus_inverse_transpose_squared():
    A = onp.array([[2.0, 1.0], [0.5, 3.0]])
    g = grad(lambda a: np.sum(np.linalg.inv(a)))(A)
    inverse = onp.linalg.inv(A)
    assert onp.allclose(g, -inverse.T @ onp.ones((2, 2)) @ inverse.T)


def test_fft_is_differentiated():
    check_grads(lambda x: np.real(np.fft.fft(x)), modes=["rev"], order=1)(X)


def test_random_is_numpy_s_random():
    npr.seed(3)
    first = npr.randn(2)
    onp.random.seed(3)
    assert onp.array_equal(first, onp.random.randn(2))
    assert npr.RandomState is onp.random.RandomState


def test_where_of_python_values_gives_python_values_of_arrays_arrays():
    assert np.where(True, 1, 2) == 1 and type(np.where(True, 1, 2)) is int
    assert np.where([True, False], [1, 2], [3, 4]) == [1, 4]
    assert isinstance(np.where(onp.array([True]), 1.0, 2.0), onp.ndarray)
    assert onp.array_equal(np.where([True, False, True])[0], [0, 2])
    with pytest.raises(ValueError, match="both or neither"):
        np.where(True, 1)


def test_where_on_traced_values_selects_the_gradient():
    g = grad(lambda x: np.sum(np.where(x > 0, x ** 2, -x)))(X)
    assert onp.allclose(g, [0.6, -1.0, 4.0])


def test_make_diagonal_puts_the_last_axis_on_the_diagonal():
    D = onp.arange(6.0).reshape(2, 3)
    A = np.make_diagonal(D, axis1=-1, axis2=-2)
    assert A.shape == (2, 3, 3) and onp.array_equal(A[1], onp.diag(D[1]))
    assert onp.allclose(grad(lambda d: np.sum(np.make_diagonal(d, axis1=-1, axis2=-2) ** 2))(D),
                        2 * D)
    with pytest.raises(NotImplementedError, match="offset=0"):
        np.make_diagonal(D)


def test_scipy_special_and_stats_modules():
    pytest.importorskip("scipy")
    import chainrule.compat.autograd.scipy.stats.norm as norm
    import scipy.special
    import scipy.stats

    from chainrule.compat.autograd.scipy import special, stats

    assert onp.allclose(elementwise_grad(special.gammaln)(onp.array([1.5, 4.0])),
                        scipy.special.digamma([1.5, 4.0]))
    assert grad(norm.logpdf)(0.7, 0.2, 2.0) == pytest.approx(-(0.7 - 0.2) / 4.0)
    assert onp.allclose(norm.cdf(X), scipy.stats.norm.cdf(X))
    assert stats.norm is norm and stats.t.logpdf(0.5, 3.0) == pytest.approx(
        scipy.stats.t.logpdf(0.5, 3.0))
    assert callable(stats.dirichlet.rvs)


@pytest.mark.parametrize("name", ["beta", "chi2", "dirichlet", "gamma", "multivariate_normal",
                                  "norm", "poisson", "t"])
def test_every_stats_module_imports_by_its_dotted_name(name):
    pytest.importorskip("scipy")
    module = importlib.import_module(f"chainrule.compat.autograd.scipy.stats.{name}")
    assert callable(getattr(module, "logpmf" if name == "poisson" else "logpdf"))


def test_scipy_linalg_has_chainrule_s_and_scipy_s_names():
    pytest.importorskip("scipy")
    import chainrule.compat.autograd.scipy.linalg as spla

    A = onp.array([[2.0, 0.0], [1.0, 3.0]])
    b = onp.array([1.0, 2.0])
    g = grad(lambda b: np.sum(spla.solve_triangular(A, b, lower=True)))(b)
    assert onp.allclose(g, onp.linalg.solve(A.T, onp.ones(2)))
    assert callable(spla.lu_factor)


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
def test_convolve_on_all_axes_is_scipy_s(mode):
    pytest.importorskip("scipy")
    import scipy.signal

    from chainrule.compat.autograd.scipy.signal import convolve

    A, B = onp.arange(12.0).reshape(3, 4), onp.array([[1.0, -1.0], [0.5, 2.0]])
    assert onp.allclose(convolve(A, B, mode=mode), scipy.signal.convolve(A, B, mode))


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
def test_convolve_along_chosen_axes_with_dot_axes(mode):
    pytest.importorskip("scipy")
    import scipy.signal

    from chainrule.compat.autograd.scipy.signal import convolve

    rng = onp.random.default_rng(0)
    A, B = rng.standard_normal((3, 5)), rng.standard_normal((3, 2, 4))
    out = convolve(A, B, axes=([1], [2]), dot_axes=([0], [0]), mode=mode)
    for k in range(2):  # B's other axis, then the convolved one
        expected = sum(scipy.signal.convolve(A[i], B[i, k], mode) for i in range(3))
        assert onp.allclose(out[k], expected)
    check_grads(lambda a, b: convolve(a, b, axes=([1], [2]), dot_axes=([0], [0]), mode=mode),
                argnum=(0, 1), modes=["rev"], order=1)(A, B)


def test_convolve_keeps_other_axes_as_an_outer_product():
    pytest.importorskip("scipy")
    import scipy.signal

    from chainrule.compat.autograd.scipy.signal import convolve

    rng = onp.random.default_rng(1)
    A, B = rng.standard_normal((2, 5)), rng.standard_normal((3, 4))
    out = convolve(A, B, axes=([1], [1]))
    assert out.shape == (2, 3, 8)
    assert onp.allclose(out[1, 2], scipy.signal.convolve(A[1], B[2]))


def test_odeint_integrates_plain_values():
    pytest.importorskip("scipy")
    from chainrule.compat.autograd.scipy.integrate import odeint

    t = onp.linspace(0.0, 1.0, 5)
    y = odeint(lambda y, t: -2.0 * y, onp.array([1.0]), t)
    assert onp.allclose(y[:, 0], onp.exp(-2.0 * t), rtol=1e-5)


def test_jacobian_of_a_holomorphic_function_is_complex():
    z = onp.array([0.5 + 1.0j, -1.0 + 0.2j])
    assert onp.allclose(jacobian(lambda z: z ** 2)(z), onp.diag(2 * z))


def test_jacobian_of_a_complex_function_of_real_inputs_says_what_to_do():
    with pytest.raises(TypeError, match="real-valued output"):
        jacobian(lambda x: np.exp(1j * x))(X)


def test_odeint_differentiates_in_the_arrays_of_its_args():
    pytest.importorskip("scipy")
    from chainrule.compat.autograd.scipy import integrate

    def final_value(k):  # y' = -k y, y(0) = 1: y(1) = exp(-k)
        return integrate.odeint(lambda y, t, k: -k * y, onp.array([1.0]), onp.array([0.0, 1.0]),
                                (k,), rtol=1e-10, atol=1e-12)[-1, 0]

    assert final_value(2.0) == pytest.approx(onp.exp(-2.0), rel=1e-8)
    assert grad(final_value)(2.0) == pytest.approx(-onp.exp(-2.0), rel=1e-6)


def test_the_submodules_are_the_layer_s_own():
    import chainrule.compat.autograd.numpy.fft as fft
    import chainrule.compat.autograd.numpy.linalg as linalg

    assert np.linalg is linalg and np.fft is fft and np.random is npr
    assert grad(lambda a, b: np.linalg.norm([a, b]))(3.0, 4.0) == pytest.approx(0.6)


def test_odeint_takes_parameters_nested_in_its_args():
    pytest.importorskip("scipy")
    from chainrule.compat.autograd.scipy import integrate

    def final_value(params):  # y' = -(a + b) y: y(1) = exp(-(a + b))
        return integrate.odeint(lambda y, t, p: -(p[0][0] + p[1]["b"]) * y, onp.array([1.0]),
                                onp.array([0.0, 1.0]), (params,),
                                rtol=1e-10, atol=1e-12)[-1, 0]

    params = [(0.5,), {"b": 1.0}]
    g = grad(lambda a, b: final_value([(a,), {"b": b}]), (0, 1))(0.5, 1.0)
    assert final_value(params) == pytest.approx(onp.exp(-1.5), rel=1e-8)
    assert g == pytest.approx((-onp.exp(-1.5), -onp.exp(-1.5)), rel=1e-6)
