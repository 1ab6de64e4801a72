"""det, slogdet, inv and solve of one traced matrix share one LU factorisation within a
transform call (ops/linalg/lu.py), and never use factors of a matrix that changed."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops.linalg import lu

pytest.importorskip("scipy")

RNG = np.random.default_rng(0)
M = RNG.standard_normal((5, 5))
A = M @ M.T / 5 + np.eye(5)
B = RNG.standard_normal(5)


def likelihood_like(a):
    return (np.linalg.slogdet(a)[1] + np.sum(np.linalg.solve(a, B))
            + np.sum(np.linalg.inv(a)) + np.linalg.det(a))


def closed_form_gradient(a):
    inverse = np.linalg.inv(a)
    x = inverse @ B
    ones = np.ones(5)
    return (inverse.T - np.outer(inverse.T @ ones, x)
            - inverse.T @ np.outer(ones, ones) @ inverse.T
            + np.linalg.det(a) * inverse.T)


@pytest.fixture
def factorisations(monkeypatch):
    """Counts the LU factorisations made through the shared path."""
    lu_factor, lu_solve = lu._scipy_lu()
    calls = []

    def counting(a, **options):
        calls.append(a.shape)
        return lu_factor(a, **options)

    monkeypatch.setattr(lu, "_scipy_lu", lambda: (counting, lu_solve))
    return calls


def test_gradient_is_right_and_factors_once(factorisations):
    value, grad = cr.value_and_grad(likelihood_like)(A)
    assert value == pytest.approx(likelihood_like(A), rel=1e-12)
    np.testing.assert_allclose(grad, closed_form_gradient(A), rtol=1e-10)
    assert factorisations == [(5, 5)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_mode_and_order_matches_finite_differences(dtype):
    cr.check_grads(likelihood_like, A.astype(dtype), order=2)
    hessian = cr.hessian(lambda a: np.linalg.slogdet(a)[1])(A)
    inverse = np.linalg.inv(A)
    # d2 log|det A| / dA_ij dA_kl = -inv(A)_li inv(A)_jk
    np.testing.assert_allclose(hessian, -np.einsum("li,jk->ijkl", inverse, inverse),
                               rtol=1e-10, atol=1e-12)


def test_a_matrix_changed_between_calls_is_factored_again():
    a = A.copy()
    grad = cr.grad(likelihood_like)
    grad(a)
    a[0, 0] += 1.0  # in place, with no transform call under way
    np.testing.assert_allclose(grad(a), closed_form_gradient(a), rtol=1e-10)
    assert not lu._entries.by_id  # nothing outlives a call


def test_a_pullback_called_later_is_right():
    _, pullback = cr.vjp(likelihood_like, A)
    np.testing.assert_allclose(pullback(1.0)[0], closed_form_gradient(A), rtol=1e-10)


def test_singular_matrix_gives_numpy_values_and_clear_errors():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    # The sign is piecewise constant (no derivative): 0 for a singular matrix, as NumPy.
    value = cr.value_and_grad(lambda a: np.sum(a) + np.linalg.slogdet(a)[0])(singular)[0]
    assert value == pytest.approx(9.0)
    for name, f in [("slogdet", lambda a: np.linalg.slogdet(a)[1]),
                    ("det", np.linalg.det)]:
        with pytest.raises(np.linalg.LinAlgError, match=f"numpy.linalg.{name}.*singular"):
            cr.grad(f)(singular)
    with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
        cr.grad(lambda a: np.sum(np.linalg.solve(a, np.ones(2))))(singular)


def test_without_scipy_numpy_does_it_all(monkeypatch):
    monkeypatch.setattr(lu, "_scipy_lu", lambda: None)
    np.testing.assert_allclose(cr.grad(likelihood_like)(A), closed_form_gradient(A),
                               rtol=1e-10)
