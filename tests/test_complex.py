"""Complex numbers and the FFT through the transforms (the convention of docs/complex.md).

The per-primitive rules are in the conformance table (tests/ops, cases marked
complex); these tests check the user-facing behaviour against closed forms and
finite differences.
"""

import numpy as np
import pytest

import chainrule as cr


def _split_gradient(f, z, step=1e-6):
    """df/dx - i df/dy by central differences, entry by entry."""
    z = np.array(z, dtype=complex)
    out = np.zeros_like(z)
    for index in np.ndindex(z.shape):
        for direction, weight in ((1.0, 1.0), (1j, -1j)):
            up, down = z.copy(), z.copy()
            up[index] += step * direction
            down[index] -= step * direction
            out[index] += weight * (f(up) - f(down)) / (2 * step)
    return out


Z = np.array([3 + 4j, 1 - 2j, -0.5 + 0.25j])


def test_gradient_of_squared_magnitude_is_twice_the_conjugate():
    grad = cr.grad(lambda z: np.sum(np.abs(z) ** 2))(Z)
    np.testing.assert_allclose(grad, 2 * np.conj(Z), rtol=1e-12)


@pytest.mark.parametrize("f", [
    lambda z: np.sum(np.real(np.exp(z) * np.conj(z))),
    lambda z: np.sum(np.angle(z) * np.abs(z)),
    lambda z: np.sum(np.imag(np.log(z) ** 2)),
    lambda z: np.real(np.vdot(z, z)),
    lambda z: np.sum(np.abs(np.fft.fft(z)) ** 2),
])
def test_real_functions_of_complex_inputs_match_finite_differences(f):
    np.testing.assert_allclose(cr.grad(f)(Z), _split_gradient(f, Z), rtol=1e-6, atol=1e-8)


def test_holomorphic_gradient_is_the_complex_derivative():
    z = 0.7 - 1.3j
    got = cr.grad(lambda z: np.sin(z) * z ** 2, holomorphic=True)(z)
    assert got == pytest.approx(np.cos(z) * z ** 2 + 2 * z * np.sin(z), rel=1e-12)
    second = cr.grad(cr.grad(lambda z: z ** 3, holomorphic=True), holomorphic=True)(z)
    assert second == pytest.approx(6 * z, rel=1e-12)


def test_holomorphic_jacobians_agree_in_both_modes():
    f = lambda z: np.exp(z) * z[::-1]
    expected = np.diag(np.exp(Z) * Z[::-1]) + np.exp(Z)[:, None] * np.eye(3)[::-1]
    np.testing.assert_allclose(cr.jacobian(f, holomorphic=True)(Z), expected, rtol=1e-12)
    np.testing.assert_allclose(cr.jacfwd(f, holomorphic=True)(Z), expected, rtol=1e-12)
    hess = cr.hessian(lambda z: np.sum(z ** 3), holomorphic=True)(Z)
    np.testing.assert_allclose(hess, np.diag(6 * Z), rtol=1e-12)


def test_jvp_with_complex_tangent_is_the_derivative_along_it():
    f = lambda z: np.abs(z) ** 2
    direction = np.array([1j, 1.0, 1 - 1j])
    _, tangent = cr.jvp(f, (Z,), (direction,))
    expected = (f(Z + 1e-6 * direction) - f(Z - 1e-6 * direction)) / 2e-6
    np.testing.assert_allclose(tangent, expected, rtol=1e-6)


def test_real_input_with_complex_intermediate_gets_a_real_gradient():
    x = np.array([0.3, -1.2, 2.0])
    f = lambda x: np.sum(np.abs(np.exp(1j * x) + x) ** 2)  # |e^{ix} + x|^2
    grad = cr.grad(f)(x)
    assert grad.dtype == np.float64
    expected = 2 * x + 2 * np.cos(x) - 2 * x * np.sin(x)
    np.testing.assert_allclose(grad, expected, rtol=1e-12)
    np.testing.assert_allclose(cr.jacfwd(f)(x), expected, rtol=1e-12)


def test_tensor_backward_on_complex_leaf():
    z = cr.tensor(Z.copy(), requires_grad=True)
    (abs(z) ** 2).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), 2 * np.conj(Z))
    assert z.real.shape == z.imag.shape == (3,)
    np.testing.assert_allclose((z.conj() * z).real.numpy(), np.abs(Z) ** 2)


def test_power_spectrum_gradient_matches_parseval():
    # sum |fft(x)|^2 = n sum x^2, so its gradient is 2 n x.
    x = np.random.default_rng(0).standard_normal(16)
    grad = cr.grad(lambda x: np.sum(np.abs(np.fft.rfft(x, n=16)) ** 2 *
                                    np.r_[1, np.full(7, 2.0), 1]))(x)
    np.testing.assert_allclose(grad, 2 * 16 * x, rtol=1e-10)


def test_fft_round_trip_is_identity_in_both_modes():
    x = np.random.default_rng(1).standard_normal((4, 6))
    f = lambda x: np.fft.irfft2(np.fft.rfft2(x), s=x.shape)
    np.testing.assert_allclose(cr.jacobian(f)(x).reshape(24, 24), np.eye(24), atol=1e-12)
    np.testing.assert_allclose(cr.jacfwd(f)(x).reshape(24, 24), np.eye(24), atol=1e-12)


def test_check_grads_takes_complex_arguments():
    cr.check_grads(lambda z, w: np.sin(z) * np.conj(w), Z, Z[::-1], order=2)
    cr.check_grads(lambda x: np.fft.fftn(x, axes=(0, 1)), np.ones((2, 3)), order=1)


@pytest.mark.parametrize("call, message", [
    (lambda: cr.grad(np.sin)(1 + 1j), "holomorphic=True"),
    (lambda: cr.grad(np.sin, holomorphic=True)(1.0), "needs complex inputs"),
    (lambda: cr.jacobian(lambda x: x * 1j)(np.ones(2)), "real-valued output"),
    (lambda: cr.jacfwd(np.sin)(Z), "holomorphic=True"),
    (lambda: cr.tensor(Z, requires_grad=True).sum().backward(), "complex tensor"),
])
def test_complex_misuse_is_explained(call, message):
    with pytest.raises((TypeError, RuntimeError), match=message):
        call()


def test_a_real_input_cast_to_complex_takes_the_real_part_of_its_cotangent_without_warning():
    import warnings

    x = np.array([1.0, 2.0])
    scale = 1 + 2j

    def power(x):
        return np.sum(np.abs(x.astype(np.complex128) * scale) ** 2)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ComplexWarning was raised here
        gradient = cr.grad(power)(x)
        hessian = cr.hessian(power)(x)
    np.testing.assert_allclose(gradient, 2 * abs(scale) ** 2 * x, rtol=1e-14)
    np.testing.assert_allclose(hessian, 2 * abs(scale) ** 2 * np.eye(2), rtol=1e-14)
