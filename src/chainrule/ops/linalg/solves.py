"""Inverses and solves: inv, det, slogdet, solve, triangular solves, pinv, lstsq."""

from __future__ import annotations

import functools

import numpy as np

from ..registry import defprim
from .base import (
    IN_MEMORY_LINALG,
    LinAlgError,
    _computed_once,
    _eye,
    _mT,
    _operand,
    _singular,
    _trace,
    _triangle_mask,
)
from .lu import shared_inverse, shared_slogdet, shared_solve


def _inverse_for(what: str, a):
    try:
        shared = shared_inverse(a)
        return inv(a) if shared is None else shared
    except LinAlgError as error:
        raise _singular(what, error) from error


def _solve_for(what: str, a, b):
    try:
        shared = shared_solve(a, b)
        return solve(a, b) if shared is None else shared
    except LinAlgError as error:
        raise _singular(what, error) from error


def _solve_transposed(a, g):
    """``solve(a.T, g)``, the adjoint solve of the rules."""
    shared = shared_solve(a, g, transposed=True)
    return solve(_mT(a), g) if shared is None else shared


# --- inv, det, slogdet ----------------------------------------------------------------
def _inv(a):
    shared = shared_inverse(a)
    return np.linalg.inv(a) if shared is None else shared


def _det(a):
    shared = shared_slogdet(a)
    return np.linalg.det(a) if shared is None else shared[0] * np.exp(shared[1])


inv = defprim(_inv, "inv", numpy_only=IN_MEMORY_LINALG)
inv.defvjp(lambda g, ans, a: -(_mT(ans) @ g @ _mT(ans)), reads="ans")
inv.defjvp(lambda t, ans, a: -(ans @ t @ ans))


def _det_vjp(g, ans, a):
    inverse = _inverse_for("the derivative of numpy.linalg.det", a)
    return (g * ans)[..., None, None] * _mT(inverse)


def _det_jvp(t, ans, a):
    return ans * _trace(_solve_for("the derivative of numpy.linalg.det", a, t))


def slogdet_of(a):
    """``numpy.linalg.slogdet(a)`` of a plain array, from shared LU factors if there are."""
    shared = shared_slogdet(a)
    return _computed_once(np.linalg.slogdet, a) if shared is None else shared


def _logabsdet(a):
    """``log|det(a)|``, the second output of ``numpy.linalg.slogdet``."""
    return slogdet_of(a)[1]


def _logabsdet_vjp(g, ans, a):
    inverse = _inverse_for("the derivative of numpy.linalg.slogdet", a)
    return g[..., None, None] * _mT(inverse)


def _logabsdet_jvp(t, ans, a):
    return _trace(_solve_for("the derivative of numpy.linalg.slogdet", a, t))


det = defprim(_det, "det", numpy_only=IN_MEMORY_LINALG)
det.defvjp(_det_vjp, reads=("args", "ans"))
det.defjvp(_det_jvp)
logabsdet = defprim(_logabsdet, "logabsdet", numpy_only=IN_MEMORY_LINALG)
logabsdet.defvjp(_logabsdet_vjp, reads="args")
logabsdet.defjvp(_logabsdet_jvp)


# --- solve ----------------------------------------------------------------------------
def _solve_matrices(a, b):
    """``numpy.linalg.solve`` with ``b`` a stack of matrices ``(..., M, K)``."""
    shared = shared_solve(a, b)
    return np.linalg.solve(a, b) if shared is None else shared


def _solve_vjp_a(g, ans, a, b):
    return -_solve_transposed(a, g) @ _mT(ans)  # negates the small factor, not the product


solve = defprim(_solve_matrices, "solve", numpy_only=IN_MEMORY_LINALG)
solve.defvjp(_solve_vjp_a, lambda g, ans, a, b: _solve_transposed(a, g), reads=("args", "ans"))
solve.defjvp(lambda t, ans, a, b: -solve(a, t @ ans), lambda t, ans, a, b: solve(a, t))


def _is_vector_rhs(a_ndim: int, b_ndim: int) -> bool:
    """Whether ``solve`` reads ``b`` as one vector (NumPy >= 2 does only for 1-d b)."""
    return b_ndim == 1


# --- triangular solve -----------------------------------------------------------------
def _triangle(a, lower: bool, unit_diagonal: bool):
    """The triangle of ``a`` a triangular solve reads (with ones on the diagonal if
    ``unit_diagonal``)."""
    if unit_diagonal:
        strict = np.tril(a, -1) if lower else np.triu(a, 1)
        return strict + _eye(a.shape[-1], a.dtype)
    return np.tril(a) if lower else np.triu(a)


@functools.lru_cache(maxsize=1)
def _scipy_triangular_solver():
    try:
        from scipy.linalg import solve_triangular as solver
    except ImportError:
        return None
    return solver


def _solve_triangular(a, b, lower=True, transposed=False, unit_diagonal=False):
    """``op(T) x = b`` for a stack of triangles ``T`` of ``a`` and matrices ``b``."""
    solver = _scipy_triangular_solver()
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if solver is None or 0 in batch:  # NumPy alone: a general solve of the triangle
        t = _triangle(a, lower, unit_diagonal)
        return np.linalg.solve(_mT(t) if transposed else t, b)
    options = {"lower": lower, "trans": int(transposed), "unit_diagonal": unit_diagonal,
               "check_finite": False}
    if not batch:
        return solver(a, b, **options)
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    solutions = [solver(a[i], b[i], **options) for i in np.ndindex(*batch)]
    return np.reshape(np.stack(solutions), batch + b.shape[-2:])


def _read_entries(x, lower: bool, unit_diagonal: bool):
    """``x`` on the entries a triangular solve reads, zero elsewhere."""
    diagonal = 0.0 if unit_diagonal else 1.0
    return x * _triangle_mask(x.shape[-1], x.dtype, lower, diagonal)


def _triangular_solve_vjp_a(g, ans, a, b, lower=True, transposed=False, unit_diagonal=False):
    b_bar = triangular_solve(a, g, lower=lower, transposed=not transposed,
                             unit_diagonal=unit_diagonal)
    outer = ans @ _mT(b_bar) if transposed else b_bar @ _mT(ans)
    return -_read_entries(outer, lower, unit_diagonal)


def _triangular_solve_jvp_a(t, ans, a, b, lower=True, transposed=False, unit_diagonal=False):
    t = _read_entries(t, lower, unit_diagonal)
    return -triangular_solve(a, (_mT(t) if transposed else t) @ ans, lower=lower,
                             transposed=transposed, unit_diagonal=unit_diagonal)


triangular_solve = defprim(_solve_triangular, "solve_triangular", numpy_only=IN_MEMORY_LINALG)
triangular_solve.defvjp(
    _triangular_solve_vjp_a,
    lambda g, ans, a, b, lower=True, transposed=False, unit_diagonal=False:
    triangular_solve(a, g, lower=lower, transposed=not transposed, unit_diagonal=unit_diagonal),
    reads=("args", "ans"))
triangular_solve.defjvp(
    _triangular_solve_jvp_a,
    lambda t, ans, a, b, lower=True, transposed=False, unit_diagonal=False:
    triangular_solve(a, t, lower=lower, transposed=transposed, unit_diagonal=unit_diagonal))

_TRANS = {0: False, "N": False, 1: True, "T": True, 2: True, "C": True}


def solve_triangular(a, b, lower: bool = True, trans=0, unit_diagonal: bool = False):
    """Solve ``T x = b`` (``T.T x = b`` with ``trans=1``) where ``T`` is the lower
    (``lower=True``) or upper triangle of ``a``; with ``unit_diagonal`` the
    diagonal is taken to be ones. Differentiable in ``a`` (its triangle) and ``b``.

    Batched as ``numpy.linalg.solve``: ``a`` is ``(..., M, M)``, ``b`` is ``(M,)``
    or ``(..., M, K)``, leading axes broadcast. ``trans`` is 0/'N', 1/'T' or 2/'C'
    (the same as 'T' for real input), as in ``scipy.linalg.solve_triangular`` (whose
    default is ``lower=False``).

    >>> solve_triangular(np.array([[2.0, 0.0], [1.0, 1.0]]), np.array([2.0, 3.0]))
    array([1., 2.])
    """
    if trans not in _TRANS:
        raise ValueError(f"trans must be one of 0, 1, 2, 'N', 'T', 'C', not {trans!r}")
    a, b = _operand(a), _operand(b)
    options = {"lower": bool(lower), "transposed": _TRANS[trans],
               "unit_diagonal": bool(unit_diagonal)}
    if b.ndim == 1:
        return triangular_solve(a, b[:, None], **options)[..., 0]
    return triangular_solve(a, b, **options)


# --- pinv and lstsq -------------------------------------------------------------------
# For a locally constant rank, with P = pinv(A):
#   dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P
def _pinv(a, **options):
    """``numpy.linalg.pinv``, the Moore-Penrose pseudo-inverse."""
    return np.linalg.pinv(a, **options)


def _minus_from_identity(x):
    return _eye(x.shape[-1], x.dtype) - x


def _pinv_vjp(g, ans, a, **options):
    p, pt, gt = ans, _mT(ans), _mT(g)
    return (-(pt @ g @ pt) + _minus_from_identity(a @ p) @ gt @ (p @ pt)
            + (pt @ p) @ gt @ _minus_from_identity(p @ a))


def _pinv_jvp(t, ans, a, **options):
    p, pt, tt = ans, _mT(ans), _mT(t)
    return (-(p @ t @ p) + (p @ pt) @ tt @ _minus_from_identity(a @ p)
            + _minus_from_identity(p @ a) @ tt @ (pt @ p))


pinv = defprim(_pinv, "pinv", numpy_only=IN_MEMORY_LINALG)
pinv.defvjp(_pinv_vjp, reads=("args", "ans"))
pinv.defjvp(_pinv_jvp)


# lstsq's solution x = P b, with the residual r = b - A x:
#   dx = -P dA x + P P^T dA^T r + (I - P A) dA^T P^T x + P db
def _lstsq_solution(a, b, **options):
    """The solution, first output of ``numpy.linalg.lstsq``."""
    return _computed_once(np.linalg.lstsq, a, b, **options)[0]


def _lstsq_pinv(a, options):
    """pinv(a) with the cutoff lstsq uses for small singular values."""
    rcond = options.get("rcond", None)
    eps = np.finfo(a.dtype).eps
    if rcond is None:  # NumPy 2's default
        rcond = eps * max(a.shape)
    elif rcond == "warn" or rcond < 0:  # LAPACK's: machine precision
        rcond = eps
    return pinv(a, rcond=rcond)


def _columns_if(vector: bool, *arrays):
    return [x[..., None] for x in arrays] if vector else list(arrays)


def _lstsq_vjp_a(g, ans, a, b, **options):
    p = _lstsq_pinv(a, options)
    g, x, b = _columns_if(b.ndim == 1, g, ans, b)
    pt_g = _mT(p) @ g
    return (-(pt_g @ _mT(x)) + (b - a @ x) @ _mT(p @ pt_g)
            + (_mT(p) @ x) @ _mT(g - p @ (a @ g)))


def _lstsq_jvp_a(t, ans, a, b, **options):
    p = _lstsq_pinv(a, options)
    vector = b.ndim == 1
    x, b = _columns_if(vector, ans, b)
    tt = _mT(t)
    dx = (-(p @ (t @ x)) + p @ (_mT(p) @ (tt @ (b - a @ x)))
          + _minus_from_identity(p @ a) @ (tt @ (_mT(p) @ x)))
    return dx[..., 0] if vector else dx


def _lstsq_vjp_b(g, ans, a, b, **options):
    vector = b.ndim == 1
    g, = _columns_if(vector, g)  # a batch of cotangents in front stays in front
    gb = _mT(_lstsq_pinv(a, options)) @ g
    return gb[..., 0] if vector else gb


def _lstsq_jvp_b(t, ans, a, b, **options):
    vector = b.ndim == 1
    t, = _columns_if(vector, t)
    dx = _lstsq_pinv(a, options) @ t
    return dx[..., 0] if vector else dx


lstsq_solution = defprim(_lstsq_solution, "lstsq_solution", numpy_only=IN_MEMORY_LINALG)
lstsq_solution.defvjp(_lstsq_vjp_a, _lstsq_vjp_b, reads=("args", "ans"))
lstsq_solution.defjvp(_lstsq_jvp_a, _lstsq_jvp_b)
# b's rules keep a batch of vectors in front (_columns_if), so every rule broadcasts.
lstsq_solution.defbatch(broadcasts=True)
