"""``scipy.linalg`` functions with derivatives, built on chainrule's linear algebra."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as _scipy_linalg

from ..ops import linalg as _linalg
from ..ops.registry import defprim

_SCIPY_ONLY = "SciPy's routine works on NumPy arrays in memory"


def solve_triangular(a: Any, b: Any, trans: Any = 0, lower: bool = False,
                     unit_diagonal: bool = False, **_: Any) -> Any:
    """``scipy.linalg.solve_triangular`` (same defaults: upper triangle), differentiable
    in ``a``'s triangle and in ``b``."""
    return _linalg.solve_triangular(a, b, lower=lower, trans=trans,
                                    unit_diagonal=unit_diagonal)


def cho_factor(a: Any, lower: bool = False, **_: Any) -> tuple:
    """``(c, lower)`` as ``scipy.linalg.cho_factor`` returns it; ``c`` holds the factor
    in its ``lower`` (or upper) triangle and zeros elsewhere."""
    factor = np.linalg.cholesky(a)
    return (factor if lower else np.swapaxes(factor, -1, -2)), lower


def cho_solve(c_and_lower: tuple, b: Any, **_: Any) -> Any:
    """Solve ``A x = b`` given ``cho_factor(A)``; differentiable in the factor and ``b``."""
    c, lower = c_and_lower
    if lower:
        y = _linalg.solve_triangular(c, b, lower=True)
        return _linalg.solve_triangular(c, y, lower=True, trans=1)
    y = _linalg.solve_triangular(c, b, lower=False, trans=1)
    return _linalg.solve_triangular(c, y, lower=False)


# Coefficients of the degree-13 Pade approximant of exp (Higham 2005).
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0,
           1187353796428800.0, 129060195264000.0, 10559470521600.0, 670442572800.0,
           33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def expm(a: Any) -> Any:
    """The matrix exponential (scaling and squaring with a degree-13 Pade approximant),
    written with differentiable operations, so every mode and order works."""
    norm = float(np.max(np.sum(np.abs(np.asarray(_plain(a))), axis=-2)))
    squarings = max(0, int(np.ceil(np.log2(norm / _THETA13)))) if norm > _THETA13 else 0
    a = a / 2.0 ** squarings
    identity = np.eye(np.shape(a)[-1], dtype=np.result_type(_plain(a)))
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    b = _PADE13
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4
             + b[3] * a2 + b[1] * identity)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 \
        + b[0] * identity
    result = np.linalg.solve(v - u, v + u)
    for _ in range(squarings):
        result = result @ result
    return result


def _mT(x):
    return np.swapaxes(x, -1, -2)


# --- Sylvester equations and the matrix square root --------------------------------------
# X solving A X + X B = Q changes by dX = S(dQ - dA X - X dB), S solving with A and B;
# the adjoint of S solves with A^T and B^T.
def _solve_sylvester_stacked(a, b, q):
    """SciPy's solve_sylvester, over leading axes that broadcast (as numpy.linalg's
    functions do), so a batch of right-hand sides goes through one call."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2], q.shape[:-2])
    if not batch:
        return _scipy_linalg.solve_sylvester(a, b, q)
    a, b, q = (np.broadcast_to(x, batch + x.shape[-2:]) for x in (a, b, q))
    out = np.empty(batch + q.shape[-2:], dtype=np.result_type(a, b, q))
    for index in np.ndindex(*batch):
        out[index] = _scipy_linalg.solve_sylvester(a[index], b[index], q[index])
    return out


sylvester = defprim(_solve_sylvester_stacked, "solve_sylvester", numpy_only=_SCIPY_ONLY)


def _sylvester_adjoint(g, a, b):
    return sylvester(_mT(a), _mT(b), g)


sylvester.defvjp(lambda g, ans, a, b, q: -(_sylvester_adjoint(g, a, b) @ _mT(ans)),
                 lambda g, ans, a, b, q: -(_mT(ans) @ _sylvester_adjoint(g, a, b)),
                 lambda g, ans, a, b, q: _sylvester_adjoint(g, a, b), reads=("args", "ans"))
sylvester.defjvp(lambda t, ans, a, b, q: -sylvester(a, b, t @ ans),
                 lambda t, ans, a, b, q: -sylvester(a, b, ans @ t),
                 lambda t, ans, a, b, q: sylvester(a, b, t))


def solve_sylvester(a: Any, b: Any, q: Any) -> Any:
    """``X`` with ``a X + X b = q`` (``scipy.linalg.solve_sylvester``), differentiable in
    all three."""
    return sylvester(a, b, q)


# X = sqrtm(A) has X dX + dX X = dA: a Sylvester equation with A = B = X.
_sqrtm = defprim(lambda a: _scipy_linalg.sqrtm(a), "sqrtm", numpy_only=_SCIPY_ONLY)
_sqrtm.defvjp(lambda g, ans, a: sylvester(_mT(ans), _mT(ans), g), reads="ans")
_sqrtm.defjvp(lambda t, ans, a: sylvester(ans, ans, t))
# Their rules are products and (stacked) Sylvester solves: a batch of tangents or
# cotangents in front (jacfwd, jacobian) is one more stacked axis.
sylvester.defbatch(broadcasts=True)
_sqrtm.defbatch(broadcasts=True)


def sqrtm(a: Any, **_: Any) -> Any:
    """The principal matrix square root (``scipy.linalg.sqrtm``), differentiable where it
    is (no eigenvalue of ``a`` on the closed negative real axis)."""
    return _sqrtm(a)


# --- banded systems ----------------------------------------------------------------------
# ``ab`` holds A in LAPACK's band storage: A[i, j] = ab[upper + i - j, j]. The rules stay
# in band storage, so their cost grows with n (l + u + 1), not n^2.
def _shifted(row, shift: int):
    """``out[j] = row[j + shift]``, zero where ``j + shift`` falls outside."""
    n = row.shape[0]
    if shift == 0:
        return row
    if abs(shift) >= n:
        return row * 0.0
    if shift > 0:
        return np.concatenate([row[shift:], np.zeros(shift, dtype=row.dtype)])
    return np.concatenate([np.zeros(-shift, dtype=row.dtype), row[:shift]])


def _band_transpose(ab, lower: int, upper: int):
    """The band storage of A^T (which has ``upper`` subdiagonals, ``lower`` superdiagonals)."""
    return np.stack([_shifted(ab[upper + lower - r], r - lower)
                     for r in range(lower + upper + 1)])


def _band_product(ab, x, upper: int):
    """``A @ x`` from band storage (x a vector or a matrix)."""
    total = 0.0
    for r in range(ab.shape[0]):
        diagonal = ab[r] if x.ndim == 1 else ab[r][:, None]
        term = diagonal * x  # entry j feeds row j + r - upper
        total = total + (_shifted(term, upper - r) if x.ndim == 1 else
                         np.stack([_shifted(term[:, k], upper - r)
                                   for k in range(x.shape[1])], axis=1))
    return total


def _band_outer(y, x, upper: int, rows: int):
    """The band-stored entries of ``y @ x.T``: entry (r, j) is y[j + r - upper] . x[j]."""
    if y.ndim == 1:
        y, x = y[:, None], x[:, None]
    return np.stack([np.sum(_shifted_rows(y, r - upper) * x, axis=1) for r in range(rows)])


def _shifted_rows(y, shift: int):
    return np.stack([_shifted(y[:, k], shift) for k in range(y.shape[1])], axis=1)


_banded = defprim(lambda ab, b, *, lower, upper:
                  _scipy_linalg.solve_banded((lower, upper), ab, b), "solve_banded",
                  numpy_only=_SCIPY_ONLY)


def _banded_vjp_b(g, ans, ab, b, *, lower, upper):
    return _banded(_band_transpose(ab, lower, upper), g, lower=upper, upper=lower)


_banded.defvjp(
    lambda g, ans, ab, b, *, lower, upper:
    -_band_outer(_banded_vjp_b(g, ans, ab, b, lower=lower, upper=upper), ans, upper,
                 ab.shape[0]),
    _banded_vjp_b, reads=("args", "ans"))
_banded.defjvp(
    lambda t, ans, ab, b, *, lower, upper:
    -_banded(ab, _band_product(t, ans, upper), lower=lower, upper=upper),
    lambda t, ans, ab, b, *, lower, upper: _banded(ab, t, lower=lower, upper=upper))


def solve_banded(l_and_u: tuple, ab: Any, b: Any, **_: Any) -> Any:
    """``scipy.linalg.solve_banded``: solve A x = b for A in band storage ``ab`` with
    ``(l, u)`` sub- and superdiagonals; differentiable in ``ab`` and ``b``."""
    lower, upper = (int(n) for n in l_and_u)
    return _banded(ab, b, lower=lower, upper=upper)


def _plain(x: Any) -> np.ndarray:
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)
