"""chainrule.scipy: a singular multivariate normal, sampling, and SciPy functions that
NumPy cannot hand a Tensor."""

import numpy as np
import pytest

scipy_stats = pytest.importorskip("scipy.stats")
scipy_special = pytest.importorskip("scipy.special")

import chainrule as cr  # noqa: E402
from chainrule.scipy import stats  # noqa: E402
from chainrule.testing import numerical_gradient  # noqa: E402

FACTOR = np.array([[1.0, 0.0], [0.5, 0.0], [0.2, 1.0], [0.3, -0.4]])  # rank 2 in 4 dims
COV = FACTOR @ FACTOR.T
MEAN = np.array([0.1, 0.05, 0.2, -0.3])
ON_RANGE = MEAN + np.array([[0.3, 0.8], [1.0, -0.2], [-0.5, 0.4]]) @ FACTOR.T


def test_singular_normal_log_density_is_scipys_on_and_off_the_range():
    points = np.vstack([ON_RANGE, MEAN + np.array([0.0, 1.0, 0.0, 0.0])])
    np.testing.assert_allclose(
        stats.multivariate_normal.logpdf(points, MEAN, COV, allow_singular=True),
        scipy_stats.multivariate_normal.logpdf(points, MEAN, COV, allow_singular=True),
        rtol=1e-10)


def test_singular_normal_is_refused_without_allow_singular():
    with pytest.raises(np.linalg.LinAlgError):
        stats.multivariate_normal.logpdf(ON_RANGE, MEAN, COV)


def test_singular_normal_derivative_in_the_mean_matches_finite_differences():
    def f(mean):
        return np.sum(stats.multivariate_normal.logpdf(ON_RANGE, mean, COV, allow_singular=True))

    # Moving the mean within the range keeps the points on it.
    direction = FACTOR @ np.array([0.7, -0.2])
    analytic = cr.grad(f)(MEAN) @ direction
    numeric = (f(MEAN + 1e-6 * direction) - f(MEAN - 1e-6 * direction)) / 2e-6
    assert analytic == pytest.approx(numeric, rel=1e-6)


def test_singular_normal_derivative_in_the_factor_matches_finite_differences():
    def f(factor):
        cov = factor @ factor.T
        points = MEAN + np.array([[0.3, 0.8], [1.0, -0.2]]) @ factor.T
        return np.sum(stats.multivariate_normal.logpdf(points, MEAN, cov, allow_singular=True))

    np.testing.assert_allclose(cr.grad(f)(FACTOR), numerical_gradient(f, FACTOR), rtol=1e-5,
                               atol=1e-7)


def test_entropy_of_a_singular_normal_is_scipys_and_differentiable():
    np.testing.assert_allclose(stats.multivariate_normal.entropy(MEAN, COV),
                               scipy_stats.multivariate_normal.entropy(MEAN, COV), rtol=1e-10)

    def f(factor):
        return stats.multivariate_normal.entropy(None, factor @ factor.T)

    np.testing.assert_allclose(cr.grad(f)(FACTOR), numerical_gradient(f, FACTOR), rtol=1e-5,
                               atol=1e-7)


def test_dirichlet_samples_are_scipys():
    alpha = np.array([1.0, 2.0, 3.5])
    np.testing.assert_array_equal(
        stats.dirichlet.rvs(alpha, size=4, random_state=3),
        scipy_stats.dirichlet.rvs(alpha, size=4, random_state=3))
    np.testing.assert_allclose(stats.dirichlet.mean(alpha), scipy_stats.dirichlet.mean(alpha))
    np.testing.assert_allclose(stats.dirichlet.var(alpha), scipy_stats.dirichlet.var(alpha))


def test_samples_refuse_traced_parameters():
    with pytest.raises(TypeError, match="no derivative in the parameters"):
        cr.grad(lambda a: np.sum(stats.dirichlet.rvs(a, random_state=0)))(np.ones(3))
    with pytest.raises(TypeError, match="no derivative in the parameters"):
        cr.grad(lambda m: np.sum(stats.multivariate_normal.rvs(m, random_state=0)))(np.ones(2))


def test_multivariate_normal_samples_are_scipys():
    np.testing.assert_array_equal(
        stats.multivariate_normal.rvs(MEAN, COV + np.eye(4), size=3, random_state=1),
        scipy_stats.multivariate_normal.rvs(MEAN, COV + np.eye(4), size=3, random_state=1))


@pytest.mark.parametrize("call", [
    lambda t: scipy_special.logsumexp(t),
    lambda t: np.sum(scipy_special.softmax(t) * t),
    lambda t: np.sum(scipy_special.polygamma(1, t)),
])
def test_scipy_functions_numpy_cannot_dispatch_name_chainrules_version(call):
    with pytest.raises(TypeError, match=r"call chainrule\.scipy\.special\.\w+"):
        cr.grad(call)(np.array([0.3, 0.5]))
