"""chainrule.scipy.linalg against SciPy's values, and its derivatives."""

import numpy as np
import pytest

import chainrule as cr

sl = pytest.importorskip("scipy.linalg")
from chainrule.scipy import linalg  # noqa: E402

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("scale", [0.05, 1.0, 12.0])
def test_expm_matches_scipy(scale):
    a = RNG.standard_normal((4, 4)) * scale
    np.testing.assert_allclose(linalg.expm(a), sl.expm(a), rtol=1e-10, atol=1e-12)


def test_expm_derivatives_match_finite_differences():
    cr.check_grads(linalg.expm, RNG.standard_normal((3, 3)) * 0.7, order=2)


def test_time_derivative_of_expm_is_a_times_expm():
    a, t = RNG.standard_normal((3, 3)), 0.4
    np.testing.assert_allclose(cr.jacfwd(lambda t: linalg.expm(a * t))(t),
                               a @ sl.expm(a * t), rtol=1e-9)


@pytest.mark.parametrize("lower", [True, False])
def test_cho_solve_solves_and_differentiates(lower):
    m = RNG.standard_normal((3, 3))
    spd, b = m @ m.T + 3 * np.eye(3), RNG.standard_normal(3)
    np.testing.assert_allclose(linalg.cho_solve(linalg.cho_factor(spd, lower=lower), b),
                               np.linalg.solve(spd, b))
    cr.check_grads(lambda m, b: linalg.cho_solve(
        linalg.cho_factor(m @ m.T + 3 * np.eye(3), lower=lower), b), m, b, order=1)


def test_solve_triangular_uses_scipys_upper_default():
    t = np.triu(RNG.standard_normal((3, 3))) + 3 * np.eye(3)
    b = RNG.standard_normal(3)
    np.testing.assert_allclose(linalg.solve_triangular(t, b), sl.solve_triangular(t, b))
