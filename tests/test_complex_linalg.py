"""numpy.linalg on complex matrices, and the eigenvectors of numpy.linalg.eig, against
closed forms and finite differences (the convention of docs/complex.md:
grad = df/dx - i df/dy)."""

import numpy as np
import pytest

import chainrule as cr

from .test_complex import _split_gradient

RNG = np.random.default_rng(7)
A = RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))
TALL = RNG.standard_normal((4, 3)) + 1j * RNG.standard_normal((4, 3))


def _check(f, z):
    np.testing.assert_allclose(cr.grad(f)(z), _split_gradient(f, z), rtol=1e-6, atol=1e-7)


def test_squared_frobenius_norm_has_twice_the_conjugate_as_gradient():
    gradient = cr.grad(lambda z: np.linalg.norm(z) ** 2)(A)
    np.testing.assert_allclose(gradient, 2 * np.conj(A), rtol=1e-12)


def test_nuclear_norm_gradient_is_the_conjugate_of_u_vh():
    u, _, vh = np.linalg.svd(TALL, full_matrices=False)
    gradient = cr.grad(lambda z: np.linalg.norm(z, "nuc"))(TALL)
    np.testing.assert_allclose(gradient, np.conj(u @ vh), rtol=1e-10)


@pytest.mark.parametrize("order", [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf])
def test_every_matrix_norm_of_a_complex_matrix_matches_finite_differences(order):
    _check(lambda z: np.linalg.norm(z, order), TALL)


@pytest.mark.parametrize("order", [2, 1, 3, 0.5, np.inf, -np.inf])
def test_vector_norms_of_a_complex_vector_match_finite_differences(order):
    _check(lambda z: np.linalg.norm(z, order), A[0])


def test_eigh_of_a_complex_matrix_reads_a_hermitian_lower_triangle():
    weights = np.array([1.0, -2.0, 0.5])
    f = lambda z: np.sum(np.linalg.eigvalsh(z) * weights)  # noqa: E731
    gradient = cr.grad(f)(A)
    _check(f, A)
    assert np.allclose(np.triu(gradient, 1), 0)             # the upper triangle is unread
    assert np.allclose(np.diagonal(gradient).imag, 0)       # so is the diagonal's imaginary part


def test_hermitian_eigenvector_projectors_match_finite_differences():
    def projector_weight(z):
        _, v = np.linalg.eigh(z)
        return np.sum(np.abs(v[:, 1]) ** 2 * np.array([1.0, 2.0, 3.0]))

    _check(projector_weight, A)


def test_hermitian_eigenvector_tangent_holds_the_phase_still():
    hermitian = A + A.conj().T
    direction = RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))
    v, dv = cr.jvp(lambda z: np.linalg.eigh(z)[1], (hermitian,), (direction,))
    np.testing.assert_allclose(np.sum(np.conj(v) * dv, axis=0), 0, atol=1e-12)


def test_svd_of_a_complex_matrix_rebuilds_it_with_the_identity_as_derivative():
    direction = RNG.standard_normal(TALL.shape) + 1j * RNG.standard_normal(TALL.shape)

    def rebuilt(z):
        u, s, vh = np.linalg.svd(z, full_matrices=False)
        return (u * s) @ vh

    _, tangent = cr.jvp(rebuilt, (TALL,), (direction,))
    np.testing.assert_allclose(tangent, direction, rtol=1e-10, atol=1e-12)
    _check(lambda z: np.sum(np.abs(rebuilt(z) - 1.0) ** 2), TALL)


def test_svd_phase_convention_keeps_each_right_vector_still():
    direction = RNG.standard_normal(A.shape) + 1j * RNG.standard_normal(A.shape)
    vh, dvh = cr.jvp(lambda z: np.linalg.svd(z)[2], (A,), (direction,))
    np.testing.assert_allclose(np.sum(vh * np.conj(dvh), axis=1), 0, atol=1e-12)


def test_singular_vector_moduli_match_finite_differences():
    _check(lambda z: np.sum(np.abs(np.linalg.svd(z, full_matrices=False)[0]) ** 3), TALL)


# --- numpy.linalg.eig ---------------------------------------------------------------
GENERAL = RNG.standard_normal((4, 4))


def _phased(v):
    return v * (np.conj(v[:1]) / np.abs(v[:1]))


def test_eig_returns_numpys_factors():
    w, v = np.linalg.eig(cr.tensor(GENERAL))
    expected_w, expected_v = np.linalg.eig(GENERAL)
    np.testing.assert_allclose(w.numpy(), expected_w)
    np.testing.assert_allclose(v.numpy(), expected_v)


def test_eig_phase_fixed_eigenvectors_match_finite_differences():
    weights = RNG.standard_normal((4, 4))

    def f(a):
        return np.sum(np.real(_phased(np.linalg.eig(a)[1])) * weights)

    x = GENERAL
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = 1e-6
        numeric[index] = (f(x + step) - f(x - step)) / 2e-6
    np.testing.assert_allclose(cr.grad(f)(x), numeric, rtol=1e-6, atol=1e-8)


def test_eig_of_a_complex_matrix_moduli_match_finite_differences():
    _check(lambda z: np.sum(np.abs(np.linalg.eig(z)[1]) ** 2 * np.arange(9).reshape(3, 3)), A)


def test_eig_eigenvector_tangent_keeps_unit_length_and_phase():
    direction = RNG.standard_normal((4, 4))
    v, dv = cr.jvp(lambda a: np.linalg.eig(a)[1], (GENERAL,), (direction,))
    np.testing.assert_allclose(np.sum(np.conj(v) * dv, axis=0), 0, atol=1e-12)


def test_eig_eigenvectors_at_a_repeated_eigenvalue_are_refused():
    with pytest.raises(np.linalg.LinAlgError, match="two eigenvalues are equal"):
        cr.grad(lambda a: np.sum(np.abs(np.linalg.eig(a)[1])))(np.eye(3))
