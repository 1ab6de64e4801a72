"""Complex numbers: ``real``, ``imag``, ``conjugate``, ``angle`` and their rules.

chainrule follows JAX's convention. A cotangent pairs with a tangent by the
real part of their plain (not conjugated) product, so a holomorphic
function's rules are the real formulas unchanged (``g * f'(z)``), and the
gradient of a real-valued ``f(x + iy)`` is ``df/dx - i df/dy``. A gradient
that reaches a real input keeps only its real part (see ``real_part_for``).
"""

from __future__ import annotations

import math

import numpy as np

from .array_likes import as_array_like
from .registry import UFUNCS, defprim, implements, nondifferentiable


def is_complex(x) -> bool:
    """True if ``x`` (array, Tensor or number) holds complex numbers."""
    dtype = getattr(x, "dtype", None)
    return (dtype if dtype is not None else np.result_type(x)).kind == "c"


def conj_if_complex(x):
    """``conj(x)``, skipping the pass over real data, where it changes nothing."""
    return conjugate(x) if is_complex(x) else x


def real_part_for(g, like_dtype):
    """The gradient ``g`` as it reaches an input of ``like_dtype``: real inputs
    take the real part (a real perturbation only sees that part)."""
    if np.dtype(like_dtype).kind != "c" and is_complex(g):
        return real(g)
    return g


def _elementwise(fun, name, vjp, jvp, *, reads):
    prim = defprim(fun, name)
    prim.defvjp(vjp, reads=reads)
    prim.defjvp(jvp)
    prim.defbatch(broadcasts=True)
    return prim


def real_cotangent(g):
    """The part of a cotangent that a real-valued output can receive.

    A real output computed from complex inputs (``real``, ``abs``, ``angle`` ...)
    must pass back only the real part of its cotangent: the imaginary part pairs
    with nothing (a real output has no imaginary perturbation).
    """
    return real(g) if is_complex(g) else g


real = _elementwise(np.real, "real", lambda g, ans, x: real_cotangent(g),
                    lambda t, ans, x: real(t), reads=())
imag = _elementwise(np.imag, "imag", lambda g, ans, x: real_cotangent(g) * -1j,
                    lambda t, ans, x: imag(t), reads=())
conjugate = _elementwise(np.conjugate, "conjugate",
                         lambda g, ans, x: conjugate(g), lambda t, ans, x: conjugate(t), reads=())
UFUNCS[np.conjugate] = conjugate

# d angle(z) = Im(dz / z); its gradient is -i / z (the conjugate-free form of
# -i conj(z) / |z|^2). At z = 0 the angle has no derivative; like NumPy's
# angle(0) = 0 it gives 0 rather than a division by zero.
_angle = _elementwise(
    lambda x, *, scale: np.angle(x) * scale if scale != 1.0 else np.angle(x), "angle",
    lambda g, ans, x, *, scale: real_cotangent(g) * (-1j * scale) * _safe_reciprocal(x),
    lambda t, ans, x, *, scale: imag(t * _safe_reciprocal(x)) * scale, reads="args")


def _safe_reciprocal(x):
    return np.where(x == 0, 0.0, 1.0 / np.where(x == 0, 1.0, x))


@implements(np.real)
def _real(val):
    return real(as_array_like(val))


@implements(np.imag)
def _imag(val):
    return imag(as_array_like(val))


@implements(np.angle)
def angle(z, deg: bool = False):
    """The argument of complex ``z`` (radians, or degrees with ``deg=True``)."""
    return _angle(as_array_like(z), scale=180.0 / math.pi if deg else 1.0)


# Questions about the kind of numbers held: answered from the values, no derivative.
nondifferentiable(np.iscomplex, np.isreal, np.iscomplexobj, np.isrealobj)
