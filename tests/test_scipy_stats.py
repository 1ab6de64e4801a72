"""chainrule.scipy.stats against scipy.stats, and its derivatives against finite differences.

Each distribution function is compared with SciPy's value, then ``check_grads``
checks its derivatives in the data and in every parameter (reverse and forward
mode, first and second order) against central differences.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

scipy_stats = pytest.importorskip("scipy.stats")

import chainrule as cr  # noqa: E402
from chainrule.ops.registry import FUNCTIONS  # noqa: E402
from chainrule.scipy import special as cs  # noqa: E402
from chainrule.scipy import stats  # noqa: E402

RNG = np.random.default_rng(0)


def _uniform(low, high, shape=(5,)):
    return RNG.uniform(low, high, size=shape)


X = _uniform(-2.0, 2.0)
LOC = np.array(0.3)
SCALE = np.array(1.7)
POSITIVE_X = _uniform(0.3, 4.0)
UNIT_X = _uniform(0.15, 0.85)
QUANTILES = _uniform(0.05, 0.95)

# name, method, arguments (all differentiated), the same for SciPy.
CASES = [
    ("norm", "logpdf", (X, LOC, SCALE)), ("norm", "pdf", (X, LOC, SCALE)),
    ("norm", "cdf", (X, LOC, SCALE)), ("norm", "logcdf", (X, LOC, SCALE)),
    ("norm", "sf", (X, LOC, SCALE)), ("norm", "logsf", (X, LOC, SCALE)),
    ("norm", "ppf", (QUANTILES, LOC, SCALE)), ("norm", "isf", (QUANTILES, LOC, SCALE)),
    ("t", "logpdf", (X, np.array(3.5), LOC, SCALE)), ("t", "pdf", (X, np.array(2.5), LOC, SCALE)),
    ("gamma", "logpdf", (POSITIVE_X, np.array(2.5), np.array(-0.2), SCALE)),
    ("gamma", "pdf", (POSITIVE_X, np.array(0.7), np.array(0.1), SCALE)),
    ("chi2", "logpdf", (POSITIVE_X, np.array(3.0), np.array(-0.2), SCALE)),
    ("chi2", "pdf", (POSITIVE_X, np.array(4.5), np.array(0.1), SCALE)),
    ("beta", "logpdf", (UNIT_X, np.array(2.5), np.array(0.8), np.array(-0.1), np.array(1.2))),
    ("beta", "pdf", (UNIT_X, np.array(0.7), np.array(3.0), np.array(0.05), np.array(1.0))),
]

# Distribution functions, whose shape derivatives go through incomplete gamma/beta functions.
SHAPED = [
    ("t", np.array(3.5), X), ("gamma", np.array(2.5), POSITIVE_X),
    ("chi2", np.array(3.0), POSITIVE_X), ("beta", (np.array(2.5), np.array(0.8)), UNIT_X),
]


def _ours(name, method):
    return getattr(getattr(stats, name), method)


def _theirs(name, method):
    return getattr(getattr(scipy_stats, name), method)


@pytest.mark.parametrize("name, method, args", CASES, ids=[f"{n}.{m}" for n, m, _ in CASES])
def test_values_match_scipy(name, method, args):
    np.testing.assert_allclose(_ours(name, method)(*args), _theirs(name, method)(*args),
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name, method, args", CASES, ids=[f"{n}.{m}" for n, m, _ in CASES])
def test_derivatives_in_data_and_every_parameter(name, method, args):
    cr.check_grads(_ours(name, method), *args, order=2)


def _shape_args(shape):
    return shape if isinstance(shape, tuple) else (shape,)


@pytest.mark.parametrize("method", ["cdf", "sf", "logcdf", "logsf"])
@pytest.mark.parametrize("name, shape, x", SHAPED, ids=[s[0] for s in SHAPED])
def test_distribution_functions_match_scipy_and_differentiate_in_every_parameter(
        name, shape, x, method):
    loc, scale = np.array(-0.1), np.array(1.3)
    shape = _shape_args(shape)
    expected = _theirs(name, method)(x, *shape, loc, scale)
    np.testing.assert_allclose(_ours(name, method)(x, *shape, loc, scale), expected,
                               rtol=1e-12, atol=1e-14)
    cr.check_grads(_ours(name, method), x, *shape, loc, scale, order=2)


@pytest.mark.parametrize("a", [0.05, 0.7, 4.0, 60.0, 900.0])
def test_gamma_cdf_shape_derivative_across_scales(a):
    x = a * np.array([0.05, 0.6, 1.0, 1.5, 4.0]) + np.array([0.0, 0.0, 0.0, 0.0, 5.0])
    exact = cr.elementwise_grad(lambda a: stats.gamma.cdf(x, a))(np.full(5, a))
    step = 1e-5 * a
    numeric = (scipy_stats.gamma.cdf(x, a + step) - scipy_stats.gamma.cdf(x, a - step)) / (2 * step)
    np.testing.assert_allclose(exact, numeric, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("a, b", [(0.1, 0.5), (0.5, 0.5), (3.0, 40.0), (200.0, 5.0)])
def test_beta_cdf_shape_derivatives_across_scales(a, b):
    x = np.array([1e-3, 0.1, a / (a + b), 0.9, 0.999])
    exact_a = cr.elementwise_grad(lambda a: stats.beta.cdf(x, a, b))(np.full(5, a))
    exact_b = cr.elementwise_grad(lambda b: stats.beta.cdf(x, a, b))(np.full(5, b))
    step_a, step_b = 1e-5 * a, 1e-5 * b
    numeric_a = (scipy_stats.beta.cdf(x, a + step_a, b)
                 - scipy_stats.beta.cdf(x, a - step_a, b)) / (2 * step_a)
    numeric_b = (scipy_stats.beta.cdf(x, a, b + step_b)
                 - scipy_stats.beta.cdf(x, a, b - step_b)) / (2 * step_b)
    np.testing.assert_allclose(exact_a, numeric_a, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(exact_b, numeric_b, rtol=1e-6, atol=1e-12)


def test_student_t_cdf_degrees_of_freedom_derivative_is_zero_at_zero():
    slope = cr.elementwise_grad(lambda df: stats.t.cdf(np.array([-1.0, 0.0, 1.0]), df))(
        np.full(3, 3.0))
    assert slope[1] == 0.0
    assert slope[0] == pytest.approx(-slope[2])


# --- support and invalid parameters ----------------------------------------------------
@pytest.mark.parametrize("name, args, outside", [
    ("gamma", (np.array(2.0),), np.array([-1.0, -0.1])),
    ("chi2", (np.array(3.0),), np.array([-1.0, -0.1])),
    ("beta", (np.array(2.0), np.array(3.0)), np.array([-0.5, 1.5])),
], ids=["gamma", "chi2", "beta"])
def test_outside_the_support_the_log_density_is_minus_infinity_with_zero_gradient(
        name, args, outside):
    inside = np.array([0.4])
    x = np.concatenate([outside, inside])
    np.testing.assert_allclose(stats.__dict__[name].logpdf(x, *args),
                               _theirs(name, "logpdf")(x, *args), rtol=1e-14)
    gradient = cr.grad(lambda x: np.sum(stats.__dict__[name].pdf(x, *args)))(x)
    assert np.all(np.isfinite(gradient))
    np.testing.assert_array_equal(gradient[:2], 0.0)


@pytest.mark.parametrize("method", ["cdf", "sf"])
@pytest.mark.parametrize("name, shape", [("gamma", (0.5,)), ("beta", (0.5, 0.7)),
                                         ("chi2", (1.5,))], ids=["gamma", "beta", "chi2"])
def test_distribution_functions_are_flat_outside_the_support(name, shape, method):
    # Shapes below 1 make the density infinite at the support's edges.
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    np.testing.assert_allclose(_ours(name, method)(x, *shape), _theirs(name, method)(x, *shape))
    gradient = cr.grad(lambda x: np.sum(_ours(name, method)(x, *shape)))(x)
    inside = (x > 0) & (x < (1 if name == "beta" else np.inf))
    sign = 1 if method == "cdf" else -1
    np.testing.assert_allclose(gradient, np.where(inside, sign * _theirs(name, "pdf")(x, *shape),
                                                  0.0))


def test_a_non_positive_scale_gives_nan_as_scipy_does():
    with np.errstate(invalid="ignore"):
        assert np.isnan(stats.norm.logpdf(0.5, 0.0, -1.0))
        assert np.isnan(stats.gamma.cdf(0.5, 2.0, 0.0, -1.0))
    assert np.isnan(scipy_stats.norm.logpdf(0.5, 0.0, -1.0))


def test_float32_stays_float32():
    x = np.linspace(0.1, 0.9, 4, dtype=np.float32)
    for value in (stats.norm.logpdf(x, 0.0, 2.0), stats.t.cdf(x, 3.0),
                  stats.gamma.logpdf(x, 2.0), stats.beta.logpdf(x, 2.0, 3.0),
                  stats.poisson.logpmf(np.arange(4), np.float32(2.0))):
        assert value.dtype == np.float32
    gradient = cr.grad(lambda s: np.sum(stats.norm.logpdf(x, 0.0, s)))(np.float32(2.0))
    assert np.asarray(gradient).dtype == np.float32


def test_tensors_carry_gradients_into_every_parameter():
    x = cr.tensor([0.5, 1.5], requires_grad=True)
    a = cr.tensor(2.0, requires_grad=True)
    scale = cr.tensor(1.5, requires_grad=True)
    stats.gamma.logpdf(x, a, 0.0, scale).sum().backward()
    expected_a = np.sum(np.log(x.data / 1.5) - cs.digamma(2.0))
    np.testing.assert_allclose(a.grad.numpy(), expected_a)
    assert x.grad is not None and scale.grad is not None


# --- Poisson -----------------------------------------------------------------------------
K = np.array([0, 1, 3, 7])
MU = np.array(2.7)


@pytest.mark.parametrize("method", ["logpmf", "pmf", "cdf", "sf", "logcdf", "logsf"])
def test_poisson_matches_scipy_and_differentiates_in_mu(method):
    ours = getattr(stats.poisson, method)
    np.testing.assert_allclose(ours(K, MU), getattr(scipy_stats.poisson, method)(K, MU),
                               rtol=1e-12)
    cr.check_grads(lambda mu: ours(K, mu), MU, order=2)


def test_poisson_outside_the_integers_matches_scipy():
    k = np.array([-1.0, 1.5, 2.0, 2.5])
    np.testing.assert_array_equal(stats.poisson.logpmf(k, 2.0), scipy_stats.poisson.logpmf(k, 2.0))
    np.testing.assert_allclose(stats.poisson.cdf(k, 2.0), scipy_stats.poisson.cdf(k, 2.0))
    np.testing.assert_allclose(stats.poisson.sf(k, 2.0), scipy_stats.poisson.sf(k, 2.0))
    gradient = cr.grad(lambda mu: np.sum(stats.poisson.pmf(k, mu)))(2.0)
    assert np.isfinite(gradient)


def test_poisson_cdf_is_a_step_function_of_k():
    gradient = cr.grad(lambda k: np.sum(stats.poisson.cdf(k, 2.0)))(np.array([1.0, 2.5]))
    np.testing.assert_array_equal(gradient, 0.0)


# --- multivariate normal ------------------------------------------------------------------
POINTS = RNG.standard_normal((4, 3))
MEAN = np.array([0.1, -0.4, 0.3])
FACTOR = RNG.standard_normal((3, 3))


def _spd(factor):
    return factor @ factor.T + 3.0 * np.eye(3)


@pytest.mark.parametrize("cov", [np.array(1.7), np.array([0.5, 1.2, 2.0]), _spd(FACTOR)],
                         ids=["scalar", "diagonal", "full"])
@pytest.mark.parametrize("x", [POINTS, POINTS[0]], ids=["points", "one-point"])
def test_multivariate_normal_matches_scipy(cov, x):
    np.testing.assert_allclose(stats.multivariate_normal.logpdf(x, MEAN, cov),
                               scipy_stats.multivariate_normal.logpdf(x, MEAN, cov), rtol=1e-12)
    np.testing.assert_allclose(stats.multivariate_normal.pdf(x, MEAN, cov),
                               scipy_stats.multivariate_normal.pdf(x, MEAN, cov), rtol=1e-12)
    np.testing.assert_allclose(stats.multivariate_normal.entropy(MEAN, cov),
                               scipy_stats.multivariate_normal.entropy(MEAN, cov), rtol=1e-12)


def test_multivariate_normal_in_one_dimension_reads_a_vector_as_points():
    x = np.array([0.3, -1.0, 2.0])
    np.testing.assert_allclose(stats.multivariate_normal.logpdf(x, 0.5, 2.0),
                               scipy_stats.multivariate_normal.logpdf(x, 0.5, 2.0), rtol=1e-12)


@pytest.mark.parametrize("cov", [np.array(1.7), np.array([0.5, 1.2, 2.0])],
                         ids=["scalar", "diagonal"])
def test_multivariate_normal_derivatives_with_a_diagonal_covariance(cov):
    cr.check_grads(stats.multivariate_normal.logpdf, POINTS, MEAN, cov, order=2)


def _linalg_is_differentiable():
    if np.linalg.cholesky not in FUNCTIONS or np.linalg.solve not in FUNCTIONS:
        return False
    try:
        cr.grad(lambda a: np.sum(np.linalg.solve(np.linalg.cholesky(a), np.ones(2))))(
            np.eye(2) * 2.0)
    except (NotImplementedError, TypeError):
        return False
    return True


def test_multivariate_normal_derivatives_with_a_full_covariance():
    if not _linalg_is_differentiable():
        pytest.skip("np.linalg.cholesky/solve are not differentiable yet")

    def logpdf(x, mean, factor):
        return stats.multivariate_normal.logpdf(x, mean, factor @ factor.T + 3.0 * np.eye(3))

    cr.check_grads(logpdf, POINTS, MEAN, FACTOR, order=2)


# --- Dirichlet ------------------------------------------------------------------------------
ALPHA = np.array([0.8, 2.0, 3.5])
SIMPLEX = RNG.dirichlet(ALPHA, size=4).T  # components along the first axis, as SciPy


@pytest.mark.parametrize("x", [SIMPLEX, SIMPLEX[:, 0], SIMPLEX[:-1]],
                         ids=["points", "one-point", "k-1-components"])
def test_dirichlet_matches_scipy(x):
    np.testing.assert_allclose(stats.dirichlet.logpdf(x, ALPHA),
                               scipy_stats.dirichlet.logpdf(x, ALPHA), rtol=1e-12)
    np.testing.assert_allclose(stats.dirichlet.pdf(x, ALPHA),
                               scipy_stats.dirichlet.pdf(x, ALPHA), rtol=1e-12)


@pytest.mark.parametrize("x", [SIMPLEX, SIMPLEX[:-1]], ids=["points", "k-1-components"])
def test_dirichlet_derivatives_in_x_and_alpha(x):
    cr.check_grads(stats.dirichlet.logpdf, x, ALPHA, order=2)


def test_dirichlet_rejects_a_wrong_number_of_components():
    with pytest.raises(ValueError, match="components"):
        stats.dirichlet.logpdf(np.full(5, 0.2), ALPHA)


# --- special functions that are not single primitives ----------------------------------------
def test_logsumexp_softmax_and_log_softmax_match_scipy():
    import scipy.special as sp

    a = RNG.standard_normal((3, 4))
    b = RNG.uniform(0.1, 2.0, (3, 4))
    for axis in (None, 0, 1, (0, 1)):
        np.testing.assert_allclose(cs.logsumexp(a, axis=axis), sp.logsumexp(a, axis=axis))
        np.testing.assert_allclose(cs.logsumexp(a, axis=axis, b=b, keepdims=True),
                                   sp.logsumexp(a, axis=axis, b=b, keepdims=True))
        np.testing.assert_allclose(cs.softmax(a, axis=axis), sp.softmax(a, axis=axis))
        np.testing.assert_allclose(cs.log_softmax(a, axis=axis), sp.log_softmax(a, axis=axis))
    out, sign = cs.logsumexp(a[0], b=np.array([1.0, -3.0, 0.5, 0.2]), return_sign=True)
    expected = sp.logsumexp(a[0], b=np.array([1.0, -3.0, 0.5, 0.2]), return_sign=True)
    np.testing.assert_allclose((out, sign), expected)


def test_logsumexp_derivatives_in_values_and_weights():
    a = RNG.standard_normal((3, 4))
    b = RNG.uniform(0.1, 2.0, (3, 4))
    cr.check_grads(lambda a, b: cs.logsumexp(a, axis=1, b=b), a, b, order=2)


def test_multigammaln_matches_scipy_and_differentiates():
    import scipy.special as sp

    a = np.array([2.0, 3.7])
    np.testing.assert_allclose(cs.multigammaln(a, 3), sp.multigammaln(a, 3))
    cr.check_grads(lambda a: cs.multigammaln(a, 3), a, order=2)
    with pytest.raises(ValueError, match="multigammaln"):
        cs.multigammaln(np.array([0.7]), 3)


def test_i1_slope_at_zero_is_one_half_and_i1e_too():
    assert cr.grad(cs.i1)(0.0) == pytest.approx(0.5)
    assert cr.grad(cs.i1e)(0.0) == pytest.approx(0.5)
    assert cr.grad(cr.grad(cs.i1))(0.0) == pytest.approx(0.0)


def test_scipy_ufuncs_on_tensors_are_differentiable():
    import scipy.special as sp

    x = cr.tensor([0.5, 2.0], requires_grad=True)
    y = sp.gammaln(x) + sp.xlogy(x, x) + sp.ndtr(x)
    assert isinstance(y, cr.Tensor)
    y.sum().backward()
    expected = sp.digamma([0.5, 2.0]) + np.log([0.5, 2.0]) + 1 + scipy_stats.norm.pdf([0.5, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_gammasgn_passes_tensors_through_without_gradient():
    import scipy.special as sp

    out = sp.gammasgn(cr.tensor([-0.5, 2.0], requires_grad=True))
    np.testing.assert_array_equal(out, [-1.0, 1.0])
    assert not isinstance(out, cr.Tensor)


def test_a_bessel_order_is_not_differentiable_and_says_so():
    with pytest.raises(NotImplementedError, match="jv"):
        cr.grad(lambda v: cs.jv(v, 1.5))(2.0)


def test_core_works_without_scipy_and_chainrule_scipy_says_how_to_install_it():
    script = (
        "import sys\n"
        "sys.modules['scipy'] = None\n"
        "import chainrule as cr\n"
        "assert cr.grad(lambda x: x ** 2)(3.0) == 6.0\n"
        "try:\n"
        "    import chainrule.scipy\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    assert 'pip install "chainrule[scipy]"' in result.stdout
