"""chainrule.mle.fit_mle: estimates and standard errors against closed forms."""

import math
import sys

import numpy as np
import pytest

pytest.importorskip("scipy")
from scipy import stats  # noqa: E402

from chainrule.mle import MLEResult, SingularHessianError, fit_mle  # noqa: E402

SAMPLE = np.random.default_rng(3).normal(1.7, 0.6, size=800)


def normal_negloglik(p, y):
    z = (y - p["mu"]) / np.exp(p["log_sigma"])
    return np.sum(0.5 * z ** 2 + p["log_sigma"]) + 0.5 * y.size * np.log(2 * np.pi)


def fit_normal(**kwargs) -> MLEResult:
    return fit_mle(normal_negloglik, {"mu": 0.0, "log_sigma": 0.0}, data=(SAMPLE,),
                   method="Newton-CG", tol=1e-12, **kwargs)


def test_normal_estimates_are_the_sample_mean_and_standard_deviation():
    fit = fit_normal()
    assert fit.params["mu"] == pytest.approx(SAMPLE.mean(), rel=1e-10)
    assert math.exp(fit.params["log_sigma"]) == pytest.approx(SAMPLE.std(), rel=1e-10)


def test_normal_standard_errors_match_the_closed_form():
    fit = fit_normal()
    n, sigma = SAMPLE.size, SAMPLE.std()
    np.testing.assert_allclose(fit.std_errors, [sigma / math.sqrt(n), 1 / math.sqrt(2 * n)],
                               rtol=1e-8)
    np.testing.assert_allclose(fit.cov, np.diag([sigma ** 2 / n, 1 / (2 * n)]), atol=1e-14)


def test_delta_method_gives_sigma_over_root_2n_for_exp_log_sigma():
    natural = fit_normal(transforms={"log_sigma": "exp"}).natural_scale()
    n, sigma = SAMPLE.size, SAMPLE.std()
    assert natural.names == ("mu", "sigma")
    assert natural.params["sigma"] == pytest.approx(sigma, rel=1e-10)
    assert natural.std_errors[1] == pytest.approx(sigma / math.sqrt(2 * n), rel=1e-8)
    assert natural.std_errors[0] == pytest.approx(sigma / math.sqrt(n), rel=1e-8)


def test_expit_transform_gives_the_binomial_standard_error():
    y = (np.random.default_rng(4).random(500) < 0.3).astype(float)

    def negloglik(p, y):
        return np.sum(np.logaddexp(0.0, p["logit_p"]) - y * p["logit_p"])

    fit = fit_mle(negloglik, {"logit_p": 0.0}, data=(y,), transforms={"logit_p": "expit"})
    natural = fit.natural_scale()
    p = y.mean()
    assert natural.names == ("p",)
    assert natural.estimates[0] == pytest.approx(p, rel=1e-7)
    assert natural.std_errors[0] == pytest.approx(math.sqrt(p * (1 - p) / y.size), rel=1e-6)


def test_a_function_transform_is_differentiated_for_the_delta_method():
    def square(t):
        return t ** 2

    natural = fit_normal(transforms={"mu": square}).natural_scale()
    mu, n, sigma = SAMPLE.mean(), SAMPLE.size, SAMPLE.std()
    assert natural.names[0] == "square(mu)"
    assert natural.estimates[0] == pytest.approx(mu ** 2, rel=1e-10)
    assert natural.std_errors[0] == pytest.approx(2 * mu * sigma / math.sqrt(n), rel=1e-8)


def test_a_transform_naming_no_parameter_is_an_error_listing_the_names():
    with pytest.raises(ValueError, match="'scale'.*mu, log_sigma"):
        fit_normal(transforms={"scale": "exp"})


def test_an_unknown_transform_is_an_error():
    with pytest.raises(ValueError, match="unknown transform 'log'"):
        fit_normal(transforms={"log_sigma": "log"})


def test_loglik_aic_and_bic_match_the_closed_form():
    fit = fit_normal()
    n, variance = SAMPLE.size, SAMPLE.var()
    loglik = -0.5 * n * (math.log(2 * math.pi * variance) + 1)
    assert fit.loglik == pytest.approx(loglik, rel=1e-12)
    assert fit.aic == pytest.approx(2 * 2 - 2 * loglik, rel=1e-12)
    assert fit.bic == pytest.approx(2 * math.log(n) - 2 * loglik, rel=1e-12)
    assert fit.nobs == n and fit.n_params == 2


def test_p_values_and_intervals_follow_the_normal_distribution():
    fit = fit_normal(alpha=0.1)
    z = fit.estimates / fit.std_errors
    np.testing.assert_allclose(fit.z_values, z)
    np.testing.assert_allclose(fit.p_values, 2 * stats.norm.sf(np.abs(z)), rtol=1e-10,
                               atol=1e-300)
    half = stats.norm.ppf(0.95) * fit.std_errors
    np.testing.assert_allclose(fit.conf_int, np.column_stack([fit.estimates - half,
                                                              fit.estimates + half]))


def test_p_value_of_a_small_effect_is_not_zero():
    fit = fit_mle(lambda m, y: 0.5 * np.sum((y - m) ** 2), 0.0, data=np.array([-0.1, 0.3]))
    z = 0.1 / math.sqrt(0.5)
    assert fit.p_values[0] == pytest.approx(2 * stats.norm.sf(z), rel=1e-10)


def test_nobs_comes_from_the_first_data_array_unless_given():
    assert fit_normal(nobs=10).nobs == 10
    fit = fit_mle(lambda p: (p - 1.0) ** 2, 0.0)
    assert fit.nobs is None and fit.bic is None and "n/a" in fit.summary()


def test_names_come_from_dict_keys_and_positions():
    fit = fit_mle(lambda p: np.sum((p["beta"] - 1.0) ** 2) + (p["c"] - 2.0) ** 2,
                  {"beta": np.zeros((2, 2)), "c": 0.0})
    assert fit.names == ("beta[0,0]", "beta[0,1]", "beta[1,0]", "beta[1,1]", "c")
    assert fit_mle(lambda t: np.sum(t ** 2), np.ones(2)).names == ("theta[0]", "theta[1]")


def test_param_names_must_match_the_number_of_parameters():
    with pytest.raises(ValueError, match="3 names for 2 scalar parameters"):
        fit_mle(lambda t: np.sum(t ** 2), np.ones(2), param_names=["a", "b", "c"])


def test_a_duplicated_parameter_is_reported_as_singular_naming_both():
    def negloglik(p, y):
        return 0.5 * np.sum((y - p["mu1"] - p["mu2"]) ** 2) + 0.5 * p["other"] ** 2

    with pytest.raises(SingularHessianError, match="singular") as caught:
        fit_mle(negloglik, {"mu1": 0.0, "mu2": 0.0, "other": 0.0}, data=(SAMPLE,))
    message = str(caught.value)
    assert "Parameters involved: mu1, mu2:" in message
    assert "0.707*mu1" in message and "other" not in message.split("Parameters involved")[1]
    assert caught.value.hessian.shape == (3, 3)


def test_a_saddle_point_is_reported_as_not_positive_definite():
    # x^2 - y^2 has zero gradient at the origin: BFGS stops there at once
    with pytest.raises(SingularHessianError, match="not positive definite.*y"):
        fit_mle(lambda p: p["x"] ** 2 - p["y"] ** 2, {"x": 0.0, "y": 0.0})


def test_an_optimiser_stopped_far_from_the_optimum_warns():
    def negloglik(p):
        return 0.5 * (100.0 * (p[0] - 1.0) ** 2 + (p[1] + 1.0) ** 2)

    with pytest.warns(RuntimeWarning, match="did not converge"):
        fit = fit_mle(negloglik, np.zeros(2), options={"maxiter": 1})
    assert not fit.success and fit.newton_step > 1e-3


def test_summary_looks_like_a_statsmodels_table():
    fit = fit_normal(transforms={"log_sigma": "exp"})
    text = fit.summary()
    for piece in ("Log-likelihood:", "AIC:", "BIC:", "No. observations:", "Method:",
                  "Converged:", "coef", "std err", "P>|z|", "[0.025", "0.975]",
                  "mu", "log_sigma", "Natural scale (delta method)", "sigma"):
        assert piece in text
    assert f"{fit.loglik:.4f}" in text and "Newton-CG" in text
    assert str(fit) == repr(fit) == text


def test_a_single_data_array_is_one_argument():
    fit = fit_mle(lambda m, y: 0.5 * np.sum((y - m) ** 2), 0.0, data=SAMPLE)
    assert fit.params == pytest.approx(SAMPLE.mean(), rel=1e-9)
    assert fit.nobs == SAMPLE.size


def test_to_frame_without_pandas_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        fit_normal().to_frame()


def test_to_frame_gives_the_parameter_table():
    pytest.importorskip("pandas")
    frame = fit_normal().to_frame()
    assert list(frame.index) == ["mu", "log_sigma"]
    assert list(frame.columns) == ["coef", "std err", "z", "P>|z|", "[0.025", "0.975]"]


def test_stopping_on_rounding_at_the_optimum_counts_as_converged(recwarn):
    # no float64 objective of size ~600 can get its gradient down to 1e-13
    fit = fit_mle(normal_negloglik, {"mu": 0.0, "log_sigma": 0.0}, data=(SAMPLE,),
                  options={"gtol": 1e-13})
    assert not fit.optimize_result.success and "precision loss" in fit.message
    assert fit.success and fit.newton_step < 1e-6
    assert not [w for w in recwarn if "did not converge" in str(w.message)]
    assert fit.params["mu"] == pytest.approx(SAMPLE.mean(), rel=1e-9)


def test_per_observation_terms_are_an_error_asking_for_a_sum():
    with pytest.raises(ValueError, match=r"shape \(800,\).*np.sum"):
        fit_mle(lambda m, y: 0.5 * (y - m) ** 2, 0.0, data=(SAMPLE,))


def test_missing_scipy_is_an_import_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    with pytest.raises(ImportError, match=r'pip install "chainrule\[scipy\]"'):
        fit_normal()
