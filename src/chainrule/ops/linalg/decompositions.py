"""Decompositions: cholesky, eigh, svd, qr (one primitive per output), eigvals."""

from __future__ import annotations

import numpy as np

from ..._core.arrays import plain_array
from ..._core.primitive import Primitive
from ..complex import conj_if_complex, imag, is_complex, real, real_cotangent, real_part_for
from ..registry import defprim
from .base import (
    IN_MEMORY_LINALG,
    LinAlgError,
    _as_columns,
    _as_rows,
    _check_distinct,
    _computed_once,
    _mH,
    _mT,
    _onto_triangle,
    _reads_lower,
    _reciprocal_gaps,
    _shared,
    _sharing,
    _symmetric_from,
    _triangle_mask,
)
from .solves import _solve_triangular, solve, triangular_solve


# --- cholesky -------------------------------------------------------------------------
def _cholesky(a, upper=False):
    """``numpy.linalg.cholesky``: L with ``a = L L^T`` (``U^T U`` if ``upper``), from the
    lower (upper) triangle of ``a``."""
    return np.linalg.cholesky(a, upper=True) if upper else np.linalg.cholesky(a)


def _cholesky_lower_vjp(l_bar, l):
    if _plain_matrices(l, l_bar) and l.shape[-1] > 2 * CHOLESKY_BLOCK:
        return _cholesky_lower_vjp_blocked(l_bar, l)
    return _cholesky_lower_vjp_symbolic(l_bar, l)


def _cholesky_lower_vjp_symbolic(l_bar, l):
    # A = L L^T gives dL = L Phi(L^-1 dA L^-T), Phi keeping the lower triangle and half
    # the diagonal. The cotangent of the symmetric matrix is G = L^-T Phi(L^T L_bar) L^-1;
    # moved onto the lower triangle NumPy reads, tril(G) + tril(G^T, -1), it is
    # Phi(G + G^T).
    phi = _triangle_mask(l.shape[-1], l.dtype, True, 0.5)
    left = triangular_solve(l, (_mT(l) @ l_bar) * phi, lower=True, transposed=True)
    g_transposed = triangular_solve(l, _mT(left), lower=True, transposed=True)
    return (g_transposed + _mT(g_transposed)) * phi


CHOLESKY_BLOCK = 64


def _plain_matrices(*arrays) -> bool:
    return all(type(a) is np.ndarray and a.ndim == 2 and a.dtype in (np.float32, np.float64)
               for a in arrays) and len({a.dtype for a in arrays}) == 1


def _cholesky_lower_vjp_blocked(l_bar, l):
    """The same cotangent, block column by block column from the last (Murray 2016,
    "Differentiation of the Cholesky decomposition"): about a third of the symbolic
    form's work on large matrices. First order only: plain arrays, updated in place."""
    n = l.shape[0]
    a_bar = np.tril(l_bar)
    for stop in range(n, 0, -CHOLESKY_BLOCK):
        start = max(0, stop - CHOLESKY_BLOCK)
        diagonal = l[start:stop, start:stop]
        left, below, below_left = l[start:stop, :start], l[stop:, start:stop], l[stop:, :start]
        below_bar = _solve_triangular(diagonal, _mT(a_bar[stop:, start:stop]),
                                      transposed=True).T
        a_bar[stop:, start:stop] = below_bar
        a_bar[stop:, :start] -= below_bar @ left
        a_bar[start:stop, start:stop] -= np.tril(below_bar.T @ below)
        diagonal_bar = _cholesky_lower_vjp_symbolic(a_bar[start:stop, start:stop], diagonal)
        a_bar[start:stop, start:stop] = diagonal_bar
        a_bar[start:stop, :start] -= (below_bar.T @ below_left
                                      + (diagonal_bar + diagonal_bar.T) @ left)
    return a_bar


def _cholesky_lower_jvp(t, l):
    left = triangular_solve(l, _symmetric_from(t, lower=True), lower=True)
    both = _mT(triangular_solve(l, _mT(left), lower=True))
    return l @ (both * _triangle_mask(l.shape[-1], l.dtype, True, 0.5))


def _cholesky_vjp(g, ans, a, upper=False):
    # The upper factor of A is the transposed lower factor of A^T.
    if upper:
        return _mT(_cholesky_lower_vjp(_mT(g), _mT(ans)))
    return _cholesky_lower_vjp(g, ans)


def _cholesky_jvp(t, ans, a, upper=False):
    if upper:
        return _mT(_cholesky_lower_jvp(_mT(t), _mT(ans)))
    return _cholesky_lower_jvp(t, ans)


cholesky = defprim(_cholesky, "cholesky", numpy_only=IN_MEMORY_LINALG)
cholesky.defvjp(_cholesky_vjp, reads=("args", "ans"))
cholesky.defjvp(_cholesky_jvp)


# --- eigh -----------------------------------------------------------------------------
def _eigh_values(a, UPLO="L"):
    """The eigenvalues of ``numpy.linalg.eigh``, ascending (``eigvalsh``)."""
    if _shared.depth:
        return _computed_once(np.linalg.eigh, a, UPLO=UPLO)[0]
    return np.linalg.eigvalsh(a, UPLO=UPLO)


def _eigh_vectors(a, UPLO="L"):
    """The eigenvectors of ``numpy.linalg.eigh``, as columns."""
    return _computed_once(np.linalg.eigh, a, UPLO=UPLO)[1]


def _eigh_factors(a, uplo: str, what: str):
    """Eigenvalues, eigenvectors and the reciprocal gaps of the vectors' derivative."""
    with _sharing():
        w, v = eigh_values(a, UPLO=uplo), eigh_vectors(a, UPLO=uplo)
    _check_distinct(w, what, "eigenvalue")
    return w, v, _reciprocal_gaps(w)


# For Hermitian A = V diag(w) V^H: dw = Re diag(V^H dA V) and dV = V (F o V^H dA V),
# F_ij = 1 / (w_j - w_i) off the diagonal. The diagonal of V^H dV is zero: each
# eigenvector's phase (sign, if real) is held still, the convention JAX uses. Cotangents
# pair with tangents by Re sum(g * t) (ops/complex.py), hence the conjugates.
def _eigh_values_vjp(g, ans, a, UPLO="L"):
    v = eigh_vectors(a, UPLO=UPLO)
    g = real_cotangent(g)
    return _onto_triangle(conj_if_complex((v * _as_rows(g)) @ _mH(v)), _reads_lower(UPLO))


def _eigh_values_jvp(t, ans, a, UPLO="L"):
    v = eigh_vectors(a, UPLO=UPLO)
    tangent = np.sum(conj_if_complex(v) * (_symmetric_from(t, _reads_lower(UPLO)) @ v),
                     axis=-2)
    return real(tangent) if is_complex(v) else tangent


def _eigh_vectors_vjp(g, ans, a, UPLO="L"):
    _, v, gaps = _eigh_factors(a, UPLO, "the derivative of numpy.linalg.eigh's eigenvectors")
    inner = gaps * (_mH(v) @ conj_if_complex(g))
    return _onto_triangle(conj_if_complex(v @ inner @ _mH(v)), _reads_lower(UPLO))


def _eigh_vectors_jvp(t, ans, a, UPLO="L"):
    _, v, gaps = _eigh_factors(a, UPLO, "the derivative of numpy.linalg.eigh's eigenvectors")
    return v @ (gaps * (_mH(v) @ _symmetric_from(t, _reads_lower(UPLO)) @ v))


eigh_values = defprim(_eigh_values, "eigh_values", numpy_only=IN_MEMORY_LINALG)
eigh_values.defvjp(_eigh_values_vjp, reads="args")
eigh_values.defjvp(_eigh_values_jvp)
eigh_vectors = defprim(_eigh_vectors, "eigh_vectors", numpy_only=IN_MEMORY_LINALG)
eigh_vectors.defvjp(_eigh_vectors_vjp, reads="args")
eigh_vectors.defjvp(_eigh_vectors_jvp)


# --- svd ------------------------------------------------------------------------------
# With U (M x K), s (K) and V = Vh^H (N x K), K = min(M, N), and dP = U^H dA V:
#   ds = Re diag(dP)
#   dU = U (F o (dP S + S dP^H) + i Im diag(dP) S^-1) + (I - U U^H) dA V S^-1
#   dV = V (F o (S dP + dP^H S)) + (I - V V^H) dA^H U S^-1
# where F[i, j] = 1 / (s[j]^2 - s[i]^2) off the diagonal; the VJP rules are their
# adjoints. The last terms vanish when U (or V) is square. A complex pair (u_i, v_i)
# is fixed only up to a common phase: dV keeps each v_i's phase still and dU takes the
# rest (JAX's convention), so only functions that a common phase leaves unchanged
# (U diag(s) Vh, |U|, u_i v_i^H ...) have a derivative that means anything.
def _thin_columns(x, k: int):
    return x if x.shape[-1] == k else x[..., :, :k]


def _thin_rows(x, k: int):
    return x if x.shape[-2] == k else x[..., :k, :]


def _svd_values(a, full_matrices=False):
    """Singular values; ``full_matrices`` only says which decomposition to share."""
    if _shared.depth:
        return _computed_once(np.linalg.svd, a, full_matrices=full_matrices)[1]
    return np.linalg.svd(a, compute_uv=False)


def _svd_u(a, full_matrices=False):
    """The first K = min(M, N) columns of U (all of U unless full and tall)."""
    u = _computed_once(np.linalg.svd, a, full_matrices=full_matrices)[0]
    return _thin_columns(u, min(a.shape[-2:]))


def _svd_vh(a, full_matrices=False):
    """The first K = min(M, N) rows of Vh (all of Vh unless full and wide)."""
    vh = _computed_once(np.linalg.svd, a, full_matrices=full_matrices)[2]
    return _thin_rows(vh, min(a.shape[-2:]))


def _svd_factors(a, full_matrices: bool):
    """Thin U, s, Vh of one decomposition, traced so rules differentiate again."""
    with _sharing():
        return (svd_u(a, full_matrices=full_matrices),
                svd_values(a, full_matrices=full_matrices),
                svd_vh(a, full_matrices=full_matrices))


def _svd_vector_factors(a, full_matrices: bool, output: str):
    """U, s, Vh and F for the rules of U or Vh, after checking they have a derivative."""
    what = f"the derivative of numpy.linalg.svd's {output}"
    u, s, vh = _svd_factors(a, full_matrices)
    if a.shape[-1] != a.shape[-2]:
        _check_nonzero(s, what)
    _check_distinct(s, what, "singular value")
    return u, s, vh, _reciprocal_gaps(s * s)


def _check_nonzero(s, what: str) -> None:
    """Raise if a singular value is zero to working precision (rank deficiency)."""
    s = plain_array(s)
    cutoff = max(s.shape[-1], 1) * np.finfo(s.dtype).eps * np.max(s, axis=-1, keepdims=True)
    if np.any(s <= cutoff):
        raise LinAlgError(f"{what} of a non-square matrix does not exist where a singular "
                          f"value is zero (the input does not have full rank).")


def _svd_values_vjp(g, ans, a, full_matrices=False):
    u, _, vh = _svd_factors(a, False)
    return conj_if_complex((u * _as_rows(real_cotangent(g))) @ vh)


def _svd_values_jvp(t, ans, a, full_matrices=False):
    u, _, vh = _svd_factors(a, False)
    tangent = np.sum(conj_if_complex(u) * (t @ _mH(vh)), axis=-2)
    return real(tangent) if is_complex(tangent) else tangent


def _phase_part(x, s):
    """``i Im diag(x) S^-1`` as a diagonal matrix: the part of dU along each u_i's own
    phase (zero for real matrices)."""
    return (1j * imag(np.diagonal(x, axis1=-2, axis2=-1)) / s)[..., None, :] * _eye_like(x)


def _eye_like(x):
    return np.eye(x.shape[-1], dtype=np.finfo(x.dtype).dtype)


def _svd_u_vjp(g, ans, a, full_matrices=False):
    u, s, vh, gaps = _svd_vector_factors(a, full_matrices, "U")
    g = conj_if_complex(g)  # the rules below pair by Re tr(g^H dU)
    j = _mH(u) @ g
    inner = (gaps * (j - _mH(j))) * _as_rows(s)
    if is_complex(u):
        inner = inner + _phase_part(j, s)
    result = u @ inner @ vh
    if a.shape[-2] > a.shape[-1]:
        result = result + ((g - u @ j) / _as_rows(s)) @ vh
    return conj_if_complex(result)


def _svd_vh_vjp(g, ans, a, full_matrices=False):
    u, s, vh, gaps = _svd_vector_factors(a, full_matrices, "Vh")
    k = vh @ _mT(g)
    result = u @ (_as_columns(s) * (gaps * (k - _mH(k)))) @ vh
    if a.shape[-1] > a.shape[-2]:
        g = conj_if_complex(g)
        result = result + (u / _as_rows(s)) @ (g - (g @ _mH(vh)) @ vh)
    return conj_if_complex(result)


def _svd_u_jvp(t, ans, a, full_matrices=False):
    u, s, vh, gaps = _svd_vector_factors(a, full_matrices, "U")
    dp = _mH(u) @ t @ _mH(vh)
    inner = gaps * (dp * _as_rows(s) + _as_columns(s) * _mH(dp))
    if is_complex(dp):
        inner = inner + _phase_part(dp, s)
    du = u @ inner
    if a.shape[-2] > a.shape[-1]:
        du = du + (t @ _mH(vh) - u @ dp) / _as_rows(s)
    return du


def _svd_vh_jvp(t, ans, a, full_matrices=False):
    u, s, vh, gaps = _svd_vector_factors(a, full_matrices, "Vh")
    dp = _mH(u) @ t @ _mH(vh)
    dv = _mH(vh) @ (gaps * (_as_columns(s) * dp + _mH(dp) * _as_rows(s)))
    if a.shape[-1] > a.shape[-2]:
        dv = dv + (_mH(t) @ u - _mH(vh) @ _mH(dp)) / _as_rows(s)
    return _mH(dv)


svd_values = defprim(_svd_values, "svd_values", numpy_only=IN_MEMORY_LINALG)
svd_values.defvjp(_svd_values_vjp, reads="args")
svd_values.defjvp(_svd_values_jvp)
svd_u = defprim(_svd_u, "svd_u", numpy_only=IN_MEMORY_LINALG)
svd_u.defvjp(_svd_u_vjp, reads="args")
svd_u.defjvp(_svd_u_jvp)
svd_vh = defprim(_svd_vh, "svd_vh", numpy_only=IN_MEMORY_LINALG)
svd_vh.defvjp(_svd_vh_vjp, reads="args")
svd_vh.defjvp(_svd_vh_jvp)


# --- qr -------------------------------------------------------------------------------
# For M >= N, A = QR, C = Q^T dA R^-1 and core(C) = triu(C) + tril(C, -1)^T (upper):
#   dR = core(C) R,   dQ = dA R^-1 - Q core(C).
# A wide A = [X | Y] (X square) factors as Q [R1 | Q^T Y], with Q and R1 from X.
def _qr_q(a, mode="reduced"):
    """The first K = min(M, N) columns of Q (all of Q unless complete and tall)."""
    q = _computed_once(np.linalg.qr, a, mode=mode)[0]
    return _thin_columns(q, min(a.shape[-2:]))


def _qr_r(a, mode="reduced"):
    """The first K = min(M, N) rows of R (the others are zeros)."""
    if not _shared.depth and mode == "reduced":
        return np.linalg.qr(a, mode="r")
    return _thin_rows(_computed_once(np.linalg.qr, a, mode=mode)[1], min(a.shape[-2:]))


def _qr_factors(a, mode: str):
    """Q and the square part R1 of R (all of R unless A is wide), checked invertible."""
    with _sharing():
        q, r = qr_q(a, mode=mode), qr_r(a, mode=mode)
    m = a.shape[-2]
    if a.shape[-1] > m:
        r = r[..., :, :m]
    diagonal = np.abs(np.diagonal(plain_array(r), axis1=-2, axis2=-1))
    cutoff = max(a.shape[-2:]) * np.finfo(diagonal.dtype).eps * np.max(
        diagonal, axis=-1, keepdims=True, initial=0.0)
    if np.any(diagonal <= cutoff):
        raise LinAlgError("the derivative of numpy.linalg.qr needs an input of full rank "
                          "(R has a zero on its diagonal); it does not exist here.")
    return q, r


def _core(c):
    return np.triu(c) + _mT(np.tril(c, -1))


def _core_adjoint(x):
    return np.triu(x) + np.tril(_mT(x), -1)


def _times_r_inverse(x, r, transposed: bool):
    """``x R^-1`` (``x R^-T`` when ``transposed``) for upper-triangular ``R``."""
    return _mT(triangular_solve(r, _mT(x), lower=False, transposed=not transposed))


def _qr_vjp(a, mode, q_bar=None, r_bar=None):
    """The cotangent of A from the cotangent of Q or of R (the other one None)."""
    q, r = _qr_factors(a, mode)
    m = a.shape[-2]
    wide = a.shape[-1] > m
    y_bar = None
    if wide and r_bar is not None:  # R = [R1 | Q^T Y]: R_bar's right part feeds Q and Y
        r_bar, r_bar_right = r_bar[..., :, :m], r_bar[..., :, m:]
        q_bar = a[..., :, m:] @ _mT(r_bar_right)
        y_bar = q @ r_bar_right
    inner = 0.0
    if r_bar is not None:
        inner = r_bar @ _mT(r)
    if q_bar is not None:
        inner = inner - _mT(q) @ q_bar
    direct = q @ _core_adjoint(inner)
    if q_bar is not None:
        direct = direct + q_bar
    x_bar = _times_r_inverse(direct, r, transposed=True)
    if not wide:
        return x_bar
    if y_bar is None:
        y_bar = np.zeros(x_bar.shape[:-1] + (a.shape[-1] - m,), dtype=x_bar.dtype)
    return np.concatenate([x_bar, y_bar], axis=-1)


def _qr_tangents(a, t, mode):
    """(dQ, dR) along the tangent ``t`` of A."""
    q, r = _qr_factors(a, mode)
    m = a.shape[-2]
    wide = a.shape[-1] > m
    t_square = t[..., :, :m] if wide else t
    t_r_inverse = _times_r_inverse(t_square, r, transposed=False)
    core = _core(_mT(q) @ t_r_inverse)
    dq = t_r_inverse - q @ core
    dr = core @ r
    if wide:
        dr_right = _mT(dq) @ a[..., :, m:] + _mT(q) @ t[..., :, m:]
        dr = np.concatenate([dr, dr_right], axis=-1)
    return dq, dr


qr_q = defprim(_qr_q, "qr_q", numpy_only=IN_MEMORY_LINALG)
qr_q.defvjp(lambda g, ans, a, mode="reduced": _qr_vjp(a, mode, q_bar=g), reads="args")
qr_q.defjvp(lambda t, ans, a, mode="reduced": _qr_tangents(a, t, mode)[0])
qr_r = defprim(_qr_r, "qr_r", numpy_only=IN_MEMORY_LINALG)
qr_r.defvjp(lambda g, ans, a, mode="reduced": _qr_vjp(a, mode, r_bar=g), reads="args")
qr_r.defjvp(lambda t, ans, a, mode="reduced": _qr_tangents(a, t, mode)[1])


# --- the extra columns of full factors ----------------------------------------------
# svd(full_matrices=True) and qr(mode='complete') of a non-square matrix complete U,
# Vh or Q with any orthonormal basis of a complement: LAPACK's choice, not a function
# with a derivative. They are a primitive of their own whose rules say so, so that the
# factors' other columns keep theirs.
def _orthonormal_complement(a, factor):
    """The columns of U or Q (``factor`` 'U', 'Q') or rows of Vh ('Vh') past K = min(M, N)."""
    k = min(a.shape[-2:])
    if factor == "Q":
        return _computed_once(np.linalg.qr, a, mode="complete")[0][..., :, k:]
    full = _computed_once(np.linalg.svd, a, full_matrices=True)
    return full[0][..., :, k:] if factor == "U" else full[2][..., k:, :]


def _complement_error(factor, shape, forward: bool) -> LinAlgError:
    call = "qr(mode='complete')" if factor == "Q" else "svd(full_matrices=True)"
    fix = "mode='reduced'" if factor == "Q" else "full_matrices=False"
    where_ = "rows" if factor == "Vh" else "columns"
    how = (f"Forward mode computes them for every output, used or not: pass {fix}."
           if forward else f"Pass {fix}, or leave those {where_} out of what you "
           f"differentiate.")
    return LinAlgError(
        f"the last {where_} of {factor} from numpy.linalg.{call} of a {shape[-2]}x"
        f"{shape[-1]} matrix are any orthonormal basis of a complement, so they have no "
        f"derivative. {how}")


def _complement_vjp(g, ans, a, factor):
    # A zero cotangent (the factor was used, but not these columns) is fine.
    plain_g = plain_array(g)
    if np.any(plain_g):
        raise _complement_error(factor, a.shape, forward=False)
    return np.zeros(a.shape, dtype=plain_g.dtype)


def _complement_jvp(t, ans, a, factor):
    raise _complement_error(factor, a.shape, forward=True)


# Not in the registry: its rules are errors by design, so the conformance table,
# which checks every registered primitive forward and reverse, cannot list it.
orthonormal_complement = Primitive(_orthonormal_complement, "orthonormal_complement")
orthonormal_complement.defvjp(_complement_vjp, reads="args")
orthonormal_complement.defjvp(_complement_jvp)


# --- eig: eigenvalues and eigenvectors of a general matrix ---------------------------
# With A = V diag(w) V^-1 and distinct eigenvalues, dw = diag(V^-1 dA V), and its
# transpose (unconjugated, the convention of ops/complex.py) is V^-T diag(g) V^T.
# Each eigenvector is fixed only up to a complex factor. NumPy (LAPACK) scales each to
# unit length, with a phase of its own choosing; the derivative keeps the unit length
# and holds the phase still: dV = N(V (F o (V^-1 dA V))), F_ij = 1 / (w_j - w_i) off
# the diagonal and 0 on it, where N removes from each dv_i its part along v_i,
# v_i (v_i^H dv_i), so that v_i^H dv_i = 0 (as eigh's rules do). LAPACK's phases
# need not follow it, so only functions that rescaling a column by a unit complex
# number leaves unchanged (|v_i|, v_i v_i^H, v_i with its phase fixed by one entry)
# have a derivative that means anything; those are what the tests check.
def _eig(a):
    """``numpy.linalg.eig(a)``, computed once per ``_sharing`` block."""
    return _computed_once(np.linalg.eig, a)


def _check_simple(w, what: str) -> None:
    """Raise if two eigenvalues (last axis, possibly complex) coincide to working precision."""
    w = plain_array(w)
    n = w.shape[-1]
    if n < 2:
        return
    gaps = np.abs(w[..., :, None] - w[..., None, :]) + np.where(np.eye(n, dtype=bool), np.inf, 0)
    scale = np.max(np.abs(w), axis=-1)[..., None, None]
    close = gaps <= 100 * n * np.finfo(w.dtype).eps * scale
    if np.any(close):
        at = tuple(int(i) for i in np.argwhere(close)[0])
        first, second = complex(w[at[:-1]]), complex(w[at[:-2] + at[-1:]])
        raise LinAlgError(
            f"{what}: the derivative does not exist here, because two eigenvalues are equal "
            f"to working precision ({first:.6g} and {second:.6g}); a repeated eigenvalue of "
            f"a general matrix is not differentiable. Break the tie, or differentiate a "
            f"symmetric function of the eigenvalues directly (np.trace, np.linalg.det).")


def _eig_factors(a, what: str):
    """Eigenvalues and eigenvectors as chainrule values (differentiable), checked simple."""
    with _sharing():
        w, v = eigvals(a), eig_vectors(a)
    _check_simple(w, what)
    return w, v


def _eigvals_vjp(g, ans, a):
    _, v = _eig_factors(a, "the derivative of numpy.linalg.eigvals")
    vt = _mT(v)
    return real_part_for(solve(vt, _as_columns(g) * vt), a.dtype)


def _eigvals_jvp(t, ans, a):
    _, v = _eig_factors(a, "the derivative of numpy.linalg.eigvals")
    return np.sum(solve(v, t) * _mT(v), axis=-1)


def _orthogonal_to_columns(v, dv):
    """Each column of ``dv`` without its part along the same (unit) column of ``v``."""
    return dv - v * _as_rows(np.sum(conj_if_complex(v) * dv, axis=-2))


def _orthogonal_to_columns_adjoint(v, g):
    return g - conj_if_complex(v) * _as_rows(np.sum(g * v, axis=-2))


def _eig_vectors_vjp(g, ans, a):
    w, v = _eig_factors(a, "the derivative of the eigenvectors of numpy.linalg.eig")
    vt = _mT(v)
    g = _orthogonal_to_columns_adjoint(v, g)
    return real_part_for(solve(vt, _reciprocal_gaps(w) * (vt @ g)) @ vt, a.dtype)


def _eig_vectors_jvp(t, ans, a):
    w, v = _eig_factors(a, "the derivative of the eigenvectors of numpy.linalg.eig")
    return _orthogonal_to_columns(v, v @ (_reciprocal_gaps(w) * solve(v, t @ v)))


eigvals = defprim(lambda a: _eig(a)[0], "eigvals", numpy_only=IN_MEMORY_LINALG)
eigvals.defvjp(_eigvals_vjp, reads="args")
eigvals.defjvp(_eigvals_jvp)
eig_vectors = defprim(lambda a: _eig(a)[1], "eig_vectors", numpy_only=IN_MEMORY_LINALG)
eig_vectors.defvjp(_eig_vectors_vjp, reads="args")
eig_vectors.defjvp(_eig_vectors_jvp)
