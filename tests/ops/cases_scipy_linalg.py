"""Conformance cases for chainrule.scipy.linalg's primitives and chainrule.scipy.signal
(composed of the FFT primitives); empty without SciPy."""

import importlib.util

import numpy as np

from .case import Arg, Case

SQUARE = Arg((3, 3), -1.0, 1.0)
EYE = np.eye(3)
BAND = Arg((4, 5), -1.0, 1.0)  # band storage: 1 sub-, 2 superdiagonals, n = 5
# Adds 4 to the diagonal (row ``upper`` of the band storage): diagonally dominant.
DOMINANT = np.zeros((4, 5))
DOMINANT[2] = 4.0


def _cases():
    import chainrule.scipy.linalg as crl
    import chainrule.scipy.signal as crs

    return [
        Case("solve_sylvester", lambda a, b, q: crl.solve_sylvester(a + 3 * EYE, b + 2 * EYE, q),
             (SQUARE, SQUARE, (3, 3))),
        Case("solve_sylvester", lambda q: crl.solve_sylvester(EYE * 2.0, EYE * 3.0, q),
             ((3, 3),), name="constant-coefficients", linear=True),
        Case("sqrtm", lambda m: crl.sqrtm(m @ m.T + EYE), (SQUARE,)),
        Case("sqrtm", lambda m: crl.sqrtm(m @ m.T + EYE), (SQUARE,), name="complex",
             complex=True),
        Case("solve_banded", lambda ab, b: crl.solve_banded((1, 2), ab + DOMINANT, b),
             (BAND, (5,))),
        Case("solve_banded", lambda ab, b: crl.solve_banded((1, 2), ab + DOMINANT, b),
             (BAND, (5, 2)), name="matrix"),
        Case("solve_banded", lambda ab, b: crl.solve_banded((0, 0), ab * 0.1 + 2.0, b),
             (Arg((1, 4), -1.0, 1.0), (4,)), name="diagonal"),
        Case("irfft", lambda a, b: crs.convolve(a, b), ((4, 3), (2, 3)), name="convolve"),
        Case("irfft", lambda a, b: crs.convolve(a, b, "same"), ((5,), (3,)),
             name="convolve-same"),
        Case("irfft", lambda a, b: crs.correlate(a, b, "valid"), ((4, 5), (2, 3)),
             name="correlate-valid"),
        Case("ifft", lambda a, b: crs.convolve(a, b, "same"), ((4, 3), (2, 2)),
             name="convolve-complex", complex=True),
    ]


CASES = _cases() if importlib.util.find_spec("scipy") else []
