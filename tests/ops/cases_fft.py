"""Conformance cases for ``numpy.fft``: each transform on real and complex data,
with cropping and padding (``n``/``s``), every normalisation and several axes."""

import numpy as np

from .case import Case, real_and_imaginary

_ONE_AXIS = [
    ("fft", lambda x: np.fft.fft(x), ((3, 6),), ""),
    ("fft", lambda x: np.fft.fft(x, n=8, axis=0, norm="ortho"), ((5, 3),), "pad-ortho"),
    ("fft", lambda x: np.fft.fft(x, n=4, norm="forward"), ((2, 7),), "crop-forward"),
    ("ifft", lambda x: np.fft.ifft(x), ((3, 6),), ""),
    ("ifft", lambda x: np.fft.ifft(x, n=9, axis=0, norm="ortho"), ((5, 2),), "pad-ortho"),
    ("ifft", lambda x: np.fft.ifft(x, n=3, norm="forward"), ((2, 5),), "crop-forward"),
]
_REAL_IN = [
    ("rfft", lambda x: np.fft.rfft(x), ((3, 6),), ""),
    ("rfft", lambda x: np.fft.rfft(x, n=7, axis=0, norm="ortho"), ((5, 3),), "odd-pad-ortho"),
    ("rfft", lambda x: np.fft.rfft(x, n=4, norm="forward"), ((2, 9),), "crop-forward"),
    ("rfft", lambda x: np.fft.ihfft(x), ((3, 6),), "ihfft"),
]
_HALF_SPECTRUM_IN = [
    ("irfft", lambda c: np.fft.irfft(c), ((3, 5),), ""),
    ("irfft", lambda c: np.fft.irfft(c, n=7, axis=0, norm="ortho"), ((4, 3),), "odd-ortho"),
    ("irfft", lambda c: np.fft.irfft(c, n=12, norm="forward"), ((2, 5),), "pad-forward"),
    ("irfft", lambda c: np.fft.irfft(c, n=4), ((2, 6),), "crop"),
    ("irfft", lambda c: np.fft.hfft(c), ((3, 4),), "hfft"),
]
_SEVERAL_AXES = [
    ("fft", lambda x: np.fft.fft2(x), ((2, 3, 4),), "fft2"),
    ("fft", lambda x: np.fft.fftn(x, s=(4, 2), axes=(0, 2), norm="ortho"), ((3, 2, 3),),
     "fftn"),
    ("ifft", lambda x: np.fft.ifft2(x, s=(5, 3)), ((3, 4),), "ifft2"),
    ("ifft", lambda x: np.fft.ifftn(x), ((2, 3, 2),), "ifftn"),
    ("rfft", lambda x: np.fft.rfft2(x), ((3, 4),), "rfft2"),
    ("rfft", lambda x: np.fft.rfftn(x, s=(4, 5), axes=(1, 2), norm="forward"),
     ((2, 3, 4),), "rfftn"),
    ("irfft", lambda c: np.fft.irfft2(c), ((3, 4),), "irfft2"),
    ("irfft", lambda c: np.fft.irfftn(c, s=(3, 4, 5), axes=(0, 1, 2)), ((2, 3, 3),), "irfftn"),
]
_SHIFTS = [
    ("roll", lambda x: np.fft.fftshift(x), ((5, 4),), "fftshift"),
    ("roll", lambda x: np.fft.ifftshift(x, axes=0), ((5, 4),), "ifftshift"),
]

_COMPLEX_IN = _ONE_AXIS + _SEVERAL_AXES[:4] + _SHIFTS


def _real_output(fn):
    return lambda *args: real_and_imaginary(fn(*args))


# Every transform here is linear in its input.
CASES = []
for prim, fn, args, name in _ONE_AXIS + _SEVERAL_AXES + _REAL_IN:
    CASES.append(Case(prim, _real_output(fn), args, name=name, linear=True))
for prim, fn, args, name in _COMPLEX_IN:
    CASES.append(Case(prim, fn, args, name=name, complex=True, linear=True))
for prim, fn, args, name in _SHIFTS:
    CASES.append(Case(prim, fn, args, name=name, linear=True))
for prim, fn, args, name in _HALF_SPECTRUM_IN:
    CASES.append(Case(prim, fn, args, name=name, complex=True, linear=True))
    CASES.append(Case(prim, fn, args, name=f"{name}-real-input".strip("-"),
                      linear=True))
