"""Linear algebra: ``numpy.linalg`` for Tensors, batched over leading axes as NumPy is.

Every output of a decomposition is its own primitive (``eigh_values`` and
``eigh_vectors``, ``svd_u``/``svd_values``/``svd_vh``, ``qr_q``/``qr_r`` ...)
carrying the derivative of that output alone; the NumPy wrappers return NumPy's
(named) tuples of them. Inside a wrapper, or a rule that needs several factors,
one LAPACK call serves every output (``_sharing``). Rules are written with
NumPy calls and these primitives, so they run on Tensors for higher orders.

Conventions and limits, each an error rather than a wrong number:

- ``cholesky`` and ``eigh``/``eigvalsh`` read one triangle of their input (the
  lower, by default), as NumPy does; the derivative is that of NumPy's function,
  so the gradient lives on that triangle. For a symmetric input built from
  other values (``x @ x.T``) this is the usual symmetric derivative.
- Eigenvectors (``eigh``) and singular vectors (``svd``) have no derivative where
  eigenvalues or singular values repeat, and thin singular vectors of a
  non-square matrix none where a singular value is zero: their rules raise
  ``LinAlgError`` naming the values. Eigen- and singular *values* are
  differentiated at repeated values too (the usual convention).
- ``eigvals`` of a general (real or complex) matrix is differentiated where its
  eigenvalues are distinct; at a repeated one its rules raise ``LinAlgError``.
  ``eig``'s eigenvectors have no derivative here: LAPACK scales each by a phase
  of its own choosing, which is not a smooth function of the matrix.
- ``svd(full_matrices=True)`` (NumPy's default) and ``qr(mode='complete')`` of a
  non-square matrix add columns to U, Vh or Q that are any orthonormal basis of a
  complement. Those columns have no derivative: reverse mode raises if a
  gradient reaches them, forward mode (``jvp``, ``jacfwd``) raises as soon as they
  are computed from a traced input, as JAX does. The other columns and the
  singular values are differentiated as usual.
- ``inv``, ``solve`` and the triangular solve raise ``LinAlgError`` at singular
  matrices, as NumPy does; so do the derivatives of ``det``/``slogdet`` there,
  and that of ``qr`` at an input without full rank.
- ``pinv`` and ``lstsq`` are differentiated for a locally constant rank; only
  ``lstsq``'s solution is differentiable (residuals, rank and singular values
  are plain arrays).
- ``norm`` uses subgradients where it has a kink: 0 for the 2-norm of a zero
  vector, ``sign(0) = 0`` for absolute values, ties of a max or min share equally.
"""

from __future__ import annotations

import functools
import math
import operator
import threading
from collections import namedtuple
from collections.abc import Callable
from contextlib import contextmanager

import numpy as np

from .._core.graph import Box
from .._core.primitive import Primitive, strip
from .complex import real_part_for
from .products import matmul
from .reductions import expand_reduced, sum_, where
from .registry import FUNCTIONS, defprim, implements, nondifferentiable

try:
    from numpy.lib.array_utils import normalize_axis_tuple
except ImportError:  # NumPy < 2
    from numpy.core.numeric import normalize_axis_tuple

LinAlgError = np.linalg.LinAlgError
_NO_VALUE = np._NoValue
_NUMPY2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"


def _result_type(name: str, fields: str) -> type:
    """NumPy's named result tuple (NumPy 2), or one with the same fields."""
    existing = getattr(getattr(np.linalg, "_linalg", None), name, None)
    return existing if existing is not None else namedtuple(name, fields)


SlogdetResult = _result_type("SlogdetResult", "sign logabsdet")
EighResult = _result_type("EighResult", "eigenvalues eigenvectors")
SVDResult = _result_type("SVDResult", "U S Vh")
QRResult = _result_type("QRResult", "Q R")


# --- one decomposition for several outputs --------------------------------------------
class _SharedResults(threading.local):
    def __init__(self) -> None:
        self.depth = 0
        self.results: dict = {}


_shared = _SharedResults()


@contextmanager
def _sharing():
    """Within this block, a decomposition of the same arrays with the same options is
    computed once. Entries hold their arrays, so no id is reused while they live."""
    _shared.depth += 1
    try:
        yield
    finally:
        _shared.depth -= 1
        if not _shared.depth:
            _shared.results.clear()


def _computed_once(compute: Callable, *arrays, **options):
    """``compute(*arrays, **options)``, shared inside a ``_sharing`` block."""
    if not _shared.depth:
        return compute(*arrays, **options)
    key = (compute, tuple(map(id, arrays)), tuple(sorted(options.items())))
    try:
        entry = _shared.results.get(key)
    except TypeError:  # an unhashable option
        return compute(*arrays, **options)
    if entry is None:
        entry = _shared.results[key] = (arrays, compute(*arrays, **options))
    return entry[1]


# --- matrix helpers (differentiable: they run on arrays and on Tensors) ---------------
def _mT(x):
    """The transpose of each matrix in a stack."""
    return np.swapaxes(x, -1, -2)


def _eye(n: int, dtype):
    return np.eye(n, dtype=dtype)


def _trace(x):
    return np.trace(x, axis1=-2, axis2=-1)


def _as_rows(v):
    """Row vectors ``v[..., None, :]``: multiplying by them scales columns."""
    return v[..., None, :]


def _as_columns(v):
    """Column vectors ``v[..., :, None]``: multiplying by them scales rows."""
    return v[..., :, None]


@functools.lru_cache(maxsize=8)
def _triangle_mask(n: int, dtype, lower: bool, diagonal: float) -> np.ndarray:
    """Ones on the strict lower (or upper) triangle, ``diagonal`` on the diagonal, zeros
    above (below): multiplying by it is ``tril``/``triu`` without building the mask."""
    mask = np.tril(np.ones((n, n), dtype=dtype), -1)
    if not lower:
        mask = np.ascontiguousarray(mask.T)
    mask[np.diag_indices(n)] = diagonal
    mask.flags.writeable = False
    return mask


def _reads_lower(uplo: str) -> bool:
    return uplo.upper() == "L"


def _symmetric_from(t, lower: bool):
    """The symmetric matrix whose lower (or upper) triangle is ``t``'s: what NumPy's
    ``eigh`` and ``cholesky`` actually factor."""
    if lower:
        return np.tril(t) + _mT(np.tril(t, -1))
    return np.triu(t) + _mT(np.triu(t, 1))


def _onto_triangle(g, lower: bool):
    """The adjoint of ``_symmetric_from``: a cotangent of the symmetric matrix moved
    onto the triangle NumPy reads."""
    if lower:
        return np.tril(g) + np.tril(_mT(g), -1)
    return np.triu(g) + np.triu(_mT(g), 1)


def _check_distinct(values, what: str, kind: str) -> None:
    """Raise if two of ``values`` (last axis) coincide to working precision."""
    values = np.asarray(strip(values))
    n = values.shape[-1]
    if n < 2:
        return
    ordered = np.sort(values, axis=-1)
    scale = np.max(np.abs(values), axis=-1, keepdims=True)
    close = np.diff(ordered, axis=-1) <= 100 * n * np.finfo(values.dtype).eps * scale
    if np.any(close):
        where_ = tuple(int(i) for i in np.argwhere(close)[0])
        batch, i = where_[:-1], where_[-1]
        at = f" in matrix {batch} of the stack" if batch else ""
        raise LinAlgError(
            f"{what}: the derivative does not exist here, because two {kind}s are equal "
            f"to working precision ({float(ordered[where_]):.6g} and "
            f"{float(ordered[batch + (i + 1,)]):.6g}"
            f"{at}); the vectors of a repeated value can turn freely within their space. "
            f"Differentiate a function of the values only, or of the whole space "
            f"(e.g. a projector), or break the tie.")


def _reciprocal_gaps(values):
    """``F[..., i, j] = 1 / (values[j] - values[i])`` off the diagonal, 0 on it."""
    eye = _eye(values.shape[-1], values.dtype)
    return 1.0 / (_as_rows(values) - _as_columns(values) + eye) - eye


def _singular(what: str, error: Exception) -> LinAlgError:
    return LinAlgError(
        f"{what} needs the inverse of the input matrix, which is singular ({error}); "
        f"the derivative there is not computed by chainrule.")


def _inverse_for(what: str, a):
    try:
        return inv(a)
    except LinAlgError as error:
        raise _singular(what, error) from error


def _solve_for(what: str, a, b):
    try:
        return solve(a, b)
    except LinAlgError as error:
        raise _singular(what, error) from error


# --- inv, det, slogdet ----------------------------------------------------------------
inv = defprim(np.linalg.inv, "inv")
inv.defvjp(lambda g, ans, a: -(_mT(ans) @ g @ _mT(ans)))
inv.defjvp(lambda t, ans, a: -(ans @ t @ ans))


def _det_vjp(g, ans, a):
    inverse = _inverse_for("the derivative of numpy.linalg.det", a)
    return (g * ans)[..., None, None] * _mT(inverse)


def _det_jvp(t, ans, a):
    return ans * _trace(_solve_for("the derivative of numpy.linalg.det", a, t))


def _logabsdet(a):
    """``log|det(a)|``, the second output of ``numpy.linalg.slogdet``."""
    return _computed_once(np.linalg.slogdet, a)[1]


def _logabsdet_vjp(g, ans, a):
    inverse = _inverse_for("the derivative of numpy.linalg.slogdet", a)
    return g[..., None, None] * _mT(inverse)


def _logabsdet_jvp(t, ans, a):
    return _trace(_solve_for("the derivative of numpy.linalg.slogdet", a, t))


det = defprim(np.linalg.det, "det")
det.defvjp(_det_vjp)
det.defjvp(_det_jvp)
logabsdet = defprim(_logabsdet, "logabsdet")
logabsdet.defvjp(_logabsdet_vjp)
logabsdet.defjvp(_logabsdet_jvp)


# --- solve ----------------------------------------------------------------------------
def _solve_matrices(a, b):
    """``numpy.linalg.solve`` with ``b`` a stack of matrices ``(..., M, K)``."""
    return np.linalg.solve(a, b)


def _solve_vjp_a(g, ans, a, b):
    return -(solve(_mT(a), g) @ _mT(ans))


solve = defprim(_solve_matrices, "solve")
solve.defvjp(_solve_vjp_a, lambda g, ans, a, b: solve(_mT(a), g))
solve.defjvp(lambda t, ans, a, b: -solve(a, t @ ans), lambda t, ans, a, b: solve(a, t))


def _is_vector_rhs(a_ndim: int, b_ndim: int) -> bool:
    """Whether ``solve`` reads ``b`` as one vector (NumPy 2) or a stack of them (NumPy 1)."""
    return b_ndim == 1 if _NUMPY2 else b_ndim == a_ndim - 1


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


triangular_solve = defprim(_solve_triangular, "solve_triangular")
triangular_solve.defvjp(
    _triangular_solve_vjp_a,
    lambda g, ans, a, b, lower=True, transposed=False, unit_diagonal=False:
    triangular_solve(a, g, lower=lower, transposed=not transposed, unit_diagonal=unit_diagonal))
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


# --- cholesky -------------------------------------------------------------------------
def _cholesky(a, upper=False):
    """``numpy.linalg.cholesky``: L with ``a = L L^T`` (``U^T U`` if ``upper``), from the
    lower (upper) triangle of ``a``."""
    return np.linalg.cholesky(a, upper=True) if upper else np.linalg.cholesky(a)


def _cholesky_lower_vjp(l_bar, l):
    # A = L L^T gives dL = L Phi(L^-1 dA L^-T), Phi keeping the lower triangle and half
    # the diagonal. The cotangent of the symmetric matrix is G = L^-T Phi(L^T L_bar) L^-1;
    # moved onto the lower triangle NumPy reads, tril(G) + tril(G^T, -1), it is
    # Phi(G + G^T).
    phi = _triangle_mask(l.shape[-1], l.dtype, True, 0.5)
    left = triangular_solve(l, _lower_transposed_times(l, l_bar) * phi, lower=True,
                            transposed=True)
    g_transposed = triangular_solve(l, _mT(left), lower=True, transposed=True)
    return (g_transposed + _mT(g_transposed)) * phi


def _lower_transposed_times(l, x):
    """``L^T x`` for a lower-triangular ``L``. On plain matrices, with SciPy, BLAS's
    triangular product does it in half the work of a general one."""
    if (type(l) is np.ndarray and type(x) is np.ndarray and l.ndim == x.ndim == 2
            and l.dtype == x.dtype and l.dtype in (np.float32, np.float64)):
        trmm = _scipy_blas("trmm", l)
        if trmm is not None:
            return trmm(1.0, l, x, side=0, lower=1, trans_a=1)
    return _mT(l) @ x


@functools.lru_cache(maxsize=4)
def _blas_for(name: str, dtype):
    try:
        from scipy.linalg.blas import get_blas_funcs
    except ImportError:
        return None
    return get_blas_funcs(name, dtype=dtype)


def _scipy_blas(name: str, like):
    return _blas_for(name, np.dtype(like.dtype))


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


cholesky = defprim(_cholesky, "cholesky")
cholesky.defvjp(_cholesky_vjp)
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


def _eigh_values_vjp(g, ans, a, UPLO="L"):
    v = eigh_vectors(a, UPLO=UPLO)
    return _onto_triangle((v * _as_rows(g)) @ _mT(v), _reads_lower(UPLO))


def _eigh_values_jvp(t, ans, a, UPLO="L"):
    v = eigh_vectors(a, UPLO=UPLO)
    return np.sum(v * (_symmetric_from(t, _reads_lower(UPLO)) @ v), axis=-2)


def _eigh_vectors_vjp(g, ans, a, UPLO="L"):
    _, v, gaps = _eigh_factors(a, UPLO, "the derivative of numpy.linalg.eigh's eigenvectors")
    return _onto_triangle(v @ (gaps * (_mT(v) @ g)) @ _mT(v), _reads_lower(UPLO))


def _eigh_vectors_jvp(t, ans, a, UPLO="L"):
    _, v, gaps = _eigh_factors(a, UPLO, "the derivative of numpy.linalg.eigh's eigenvectors")
    return v @ (gaps * (_mT(v) @ _symmetric_from(t, _reads_lower(UPLO)) @ v))


eigh_values = defprim(_eigh_values, "eigh_values")
eigh_values.defvjp(_eigh_values_vjp)
eigh_values.defjvp(_eigh_values_jvp)
eigh_vectors = defprim(_eigh_vectors, "eigh_vectors")
eigh_vectors.defvjp(_eigh_vectors_vjp)
eigh_vectors.defjvp(_eigh_vectors_jvp)


# --- svd ------------------------------------------------------------------------------
# With U (M x K), s (K) and V = Vh^T (N x K), K = min(M, N), and dP = U^T dA V:
#   ds = diag(dP)
#   dU = U (F o (dP S + S dP^T)) + (I - U U^T) dA V S^-1
#   dV = V (F o (S dP + dP^T S)) + (I - V V^T) dA^T U S^-1
# where F[i, j] = 1 / (s[j]^2 - s[i]^2) off the diagonal; the VJP rules are their
# transposes. The last terms vanish when U (or V) is square.
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
    s = np.asarray(strip(s))
    cutoff = max(s.shape[-1], 1) * np.finfo(s.dtype).eps * np.max(s, axis=-1, keepdims=True)
    if np.any(s <= cutoff):
        raise LinAlgError(f"{what} of a non-square matrix does not exist where a singular "
                          f"value is zero (the input does not have full rank).")


def _svd_values_vjp(g, ans, a, full_matrices=False):
    u, _, vh = _svd_factors(a, False)
    return (u * _as_rows(g)) @ vh


def _svd_values_jvp(t, ans, a, full_matrices=False):
    u, _, vh = _svd_factors(a, False)
    return np.sum(u * (t @ _mT(vh)), axis=-2)


def _svd_u_vjp(g, ans, a, full_matrices=False):
    u, s, vh, gaps = _svd_vector_factors(a, full_matrices, "U")
    j = _mT(u) @ g
    result = u @ ((gaps * (j - _mT(j))) * _as_rows(s)) @ vh
    if a.shape[-2] > a.shape[-1]:
        result = result + ((g - u @ j) / _as_rows(s)) @ vh
    return result


def _svd_vh_vjp(g, ans, a, full_matrices=False):
    u, s, vh, gaps = _svd_vector_factors(a, full_matrices, "Vh")
    k = vh @ _mT(g)
    result = u @ (_as_columns(s) * (gaps * (k - _mT(k)))) @ vh
    if a.shape[-1] > a.shape[-2]:
        result = result + (u / _as_rows(s)) @ (g - (g @ _mT(vh)) @ vh)
    return result


def _svd_u_jvp(t, ans, a, full_matrices=False):
    u, s, vh, gaps = _svd_vector_factors(a, full_matrices, "U")
    dp = _mT(u) @ t @ _mT(vh)
    du = u @ (gaps * (dp * _as_rows(s) + _as_columns(s) * _mT(dp)))
    if a.shape[-2] > a.shape[-1]:
        du = du + (t @ _mT(vh) - u @ dp) / _as_rows(s)
    return du


def _svd_vh_jvp(t, ans, a, full_matrices=False):
    u, s, vh, gaps = _svd_vector_factors(a, full_matrices, "Vh")
    dp = _mT(u) @ t @ _mT(vh)
    dv = _mT(vh) @ (gaps * (_as_columns(s) * dp + _mT(dp) * _as_rows(s)))
    if a.shape[-1] > a.shape[-2]:
        dv = dv + (_mT(t) @ u - _mT(vh) @ _mT(dp)) / _as_rows(s)
    return _mT(dv)


svd_values = defprim(_svd_values, "svd_values")
svd_values.defvjp(_svd_values_vjp)
svd_values.defjvp(_svd_values_jvp)
svd_u = defprim(_svd_u, "svd_u")
svd_u.defvjp(_svd_u_vjp)
svd_u.defjvp(_svd_u_jvp)
svd_vh = defprim(_svd_vh, "svd_vh")
svd_vh.defvjp(_svd_vh_vjp)
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
    diagonal = np.abs(np.diagonal(np.asarray(strip(r)), axis1=-2, axis2=-1))
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
        y_bar = np.zeros(a.shape[:-2] + (m, a.shape[-1] - m), dtype=x_bar.dtype)
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


qr_q = defprim(_qr_q, "qr_q")
qr_q.defvjp(lambda g, ans, a, mode="reduced": _qr_vjp(a, mode, q_bar=g))
qr_q.defjvp(lambda t, ans, a, mode="reduced": _qr_tangents(a, t, mode)[0])
qr_r = defprim(_qr_r, "qr_r")
qr_r.defvjp(lambda g, ans, a, mode="reduced": _qr_vjp(a, mode, r_bar=g))
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
    plain_g = np.asarray(strip(g))
    if np.any(plain_g):
        raise _complement_error(factor, a.shape, forward=False)
    return np.zeros(a.shape, dtype=plain_g.dtype)


def _complement_jvp(t, ans, a, factor):
    raise _complement_error(factor, a.shape, forward=True)


# Not in the registry: its rules are errors by design, so the conformance table,
# which checks every registered primitive forward and reverse, cannot list it.
orthonormal_complement = Primitive(_orthonormal_complement, "orthonormal_complement")
orthonormal_complement.defvjp(_complement_vjp)
orthonormal_complement.defjvp(_complement_jvp)


# --- eigvals: the eigenvalues of a general matrix ------------------------------------
# With A = V diag(w) V^-1 and distinct eigenvalues, dw = diag(V^-1 dA V), and its
# transpose (unconjugated, the convention of ops/complex.py) is V^-T diag(g) V^T.
# V enters only through expressions that do not change when its columns are
# rescaled, so any smooth choice of eigenvectors serves at higher orders: the
# internal primitive below moves them by dV = V (F o (V^-1 dA V)), with
# F_ij = 1 / (w_j - w_i) off the diagonal and 0 on it.
def _eig(a):
    """``numpy.linalg.eig(a)``, computed once per ``_sharing`` block."""
    return _computed_once(np.linalg.eig, a)


def _check_simple(w, what: str) -> None:
    """Raise if two eigenvalues (last axis, possibly complex) coincide to working precision."""
    w = np.asarray(strip(w))
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


def _eig_vectors_vjp(g, ans, a):
    w, v = _eig_factors(a, "the derivative of the eigenvectors of numpy.linalg.eig")
    vt = _mT(v)
    return real_part_for(solve(vt, _reciprocal_gaps(w) * (vt @ g)) @ vt, a.dtype)


def _eig_vectors_jvp(t, ans, a):
    w, v = _eig_factors(a, "the derivative of the eigenvectors of numpy.linalg.eig")
    return v @ (_reciprocal_gaps(w) * solve(v, t @ v))


eigvals = defprim(lambda a: _eig(a)[0], "eigvals")
eigvals.defvjp(_eigvals_vjp)
eigvals.defjvp(_eigvals_jvp)
# Not in the registry and not behind numpy.linalg.eig: LAPACK normalises each
# eigenvector to unit length with a phase of its choosing, which these rules do not
# follow. They serve the eigenvalues' higher derivatives, which see V only through
# products that rescaling its columns leaves unchanged.
eig_vectors = Primitive(lambda a: _eig(a)[1], "eig_vectors")
eig_vectors.defvjp(_eig_vectors_vjp)
eig_vectors.defjvp(_eig_vectors_jvp)


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


pinv = defprim(_pinv, "pinv")
pinv.defvjp(_pinv_vjp)
pinv.defjvp(_pinv_jvp)


# lstsq's solution x = P b, with the residual r = b - A x:
#   dx = -P dA x + P P^T dA^T r + (I - P A) dA^T P^T x + P db
def _lstsq_solution(a, b, **options):
    """The solution, first output of ``numpy.linalg.lstsq``."""
    return _computed_once(np.linalg.lstsq, a, b, **options)[0]


def _lstsq_pinv(a, options):
    """pinv(a) with the cutoff lstsq uses for small singular values."""
    rcond = options.get("rcond", None if _NUMPY2 else -1)
    eps = np.finfo(a.dtype).eps
    if rcond is None:  # NumPy 2's default
        rcond = eps * max(a.shape)
    elif rcond == "warn" or rcond < 0:  # LAPACK's: machine precision
        rcond = eps
    return pinv(a, rcond=rcond)


def _columns_if(vector: bool, *arrays):
    return [x[:, None] for x in arrays] if vector else list(arrays)


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
    return dx[:, 0] if vector else dx


lstsq_solution = defprim(_lstsq_solution, "lstsq_solution")
lstsq_solution.defvjp(_lstsq_vjp_a,
                      lambda g, ans, a, b, **options: _mT(_lstsq_pinv(a, options)) @ g)
lstsq_solution.defjvp(_lstsq_jvp_a,
                      lambda t, ans, a, b, **options: _lstsq_pinv(a, options) @ t)


# --- vector norms ---------------------------------------------------------------------
def _vector_norm(x, ord=2, axis=None, keepdims=False):
    """The ``ord``-norm of ``x`` over ``axis`` (a tuple, or None for every entry)."""
    if ord == 2:
        return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
    if ord == 1:
        return np.sum(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == math.inf:
        return np.max(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == -math.inf:
        return np.min(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return np.sum(x != 0, axis=axis, keepdims=keepdims).astype(x.dtype)
    return np.sum(np.abs(x) ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


def _norm_slope(x, norm, ord, axis, keepdims):
    """The derivative of the norm with respect to each entry of ``x``."""
    norm = expand_reduced(norm, x.shape, axis=axis, keepdims=keepdims)
    plain_x, plain_norm = np.asarray(strip(x)), np.asarray(strip(norm))
    safe_norm = where(plain_norm == 0, 1.0, norm)  # a zero vector: subgradient 0
    if ord == 2:
        return x / safe_norm
    sign = np.sign(plain_x)
    if ord == 1:
        return sign
    if ord == 0:
        return np.zeros_like(plain_x)
    if ord in (math.inf, -math.inf):
        hits = (np.abs(plain_x) == plain_norm).astype(plain_x.dtype)
        return sign * hits / np.sum(hits, axis=axis, keepdims=True)
    if ord < 1 and np.any(plain_x == 0):
        raise ValueError(f"the derivative of the {ord}-norm is infinite at a vector with "
                         f"a zero entry (an ord below 1); it does not exist here.")
    return sign * (np.abs(x) / safe_norm) ** (ord - 1)


def _vector_norm_vjp(g, ans, x, ord=2, axis=None, keepdims=False):
    spread = expand_reduced(g, x.shape, axis=axis, keepdims=keepdims)
    return spread * _norm_slope(x, ans, ord, axis, keepdims)


def _vector_norm_jvp(t, ans, x, ord=2, axis=None, keepdims=False):
    return sum_(t * _norm_slope(x, ans, ord, axis, keepdims), axis=axis, keepdims=keepdims)


vector_norm = defprim(_vector_norm, "vector_norm")
vector_norm.defvjp(_vector_norm_vjp)
vector_norm.defjvp(_vector_norm_jvp)


# --- NumPy signatures -----------------------------------------------------------------
def _array_operand(x):
    """Tensors and arrays as they are; lists and numbers as arrays."""
    return x if isinstance(x, (np.ndarray, Box)) else np.asarray(x)


def _operand(x):
    """``_array_operand``, refusing traced complex input: these rules are for real
    matrices (complex ones need conjugate transposes). inv, det and solve are
    holomorphic, so their rules hold for complex matrices as they are."""
    x = _array_operand(x)
    if isinstance(x, Box) and x._node is not None and x.dtype.kind == "c":
        raise NotImplementedError(
            f"chainrule differentiates numpy.linalg for real matrices only; this input is "
            f"complex ({x.dtype}). Work with the real and imaginary parts, or .detach() it.")
    return x


def _as_inexact(x):
    """Integer and boolean input as float64, as NumPy's norm takes it."""
    x = _operand(x)
    return x if x.dtype.kind in "fc" else x.astype(np.float64)


def _check_stacked_square(a) -> None:
    if a.ndim < 2:
        raise LinAlgError(f"{a.ndim}-dimensional array given. Array must be at least "
                          f"two-dimensional")
    if a.shape[-1] != a.shape[-2]:
        raise LinAlgError("Last 2 dimensions of the array must be square")


def _no_out(name: str, out) -> None:
    if out is not None:
        raise TypeError(f"numpy.linalg.{name}(..., out=...) is not supported by chainrule: "
                        f"writing into `out` would drop the gradient. Assign the result.")


@implements(np.linalg.inv)
def _np_inv(a):
    return inv(_array_operand(a))


@implements(np.linalg.det)
def _np_det(a):
    return det(_array_operand(a))


@implements(np.linalg.slogdet)
def _np_slogdet(a):
    a = _operand(a)
    with _sharing():
        log_magnitude = logabsdet(a)
        sign = _computed_once(np.linalg.slogdet, strip(a))[0]  # piecewise constant
    return SlogdetResult(sign, log_magnitude)


@implements(np.linalg.solve)
def _np_solve(a, b):
    a, b = _array_operand(a), _array_operand(b)
    if _is_vector_rhs(a.ndim, b.ndim):
        return solve(a, b[..., None])[..., 0]
    return solve(a, b)


@implements(np.linalg.cholesky)
def _np_cholesky(a, /, *, upper=False):
    return cholesky(_operand(a), upper=bool(upper))


@implements(np.linalg.eigh)
def _np_eigh(a, UPLO="L"):
    a = _operand(a)
    with _sharing():
        return EighResult(eigh_values(a, UPLO=UPLO), eigh_vectors(a, UPLO=UPLO))


@implements(np.linalg.eigvalsh)
def _np_eigvalsh(a, UPLO="L"):
    return eigh_values(_operand(a), UPLO=UPLO)


@implements(np.linalg.eigvals)
def _np_eigvals(a):
    """Eigenvalues of general (also complex) matrices: complex unless all are real, as
    in NumPy; differentiable where they are distinct."""
    a = _array_operand(a)
    _check_stacked_square(a)
    return eigvals(a)


def _hermitian_svd(a, compute_uv: bool):
    """NumPy's svd(hermitian=True), step by step: eigh, then |w| sorted descending."""
    if not compute_uv:
        return np.sort(np.abs(eigh_values(a)), axis=-1)[..., ::-1]
    with _sharing():
        w, v = eigh_values(a), eigh_vectors(a)
    s = np.abs(w)
    order = np.argsort(strip(s), axis=-1)[..., ::-1]
    signs = np.take_along_axis(np.sign(strip(w)), order, axis=-1)
    s = np.take_along_axis(s, order, axis=-1)
    u = np.take_along_axis(v, order[..., None, :], axis=-1)
    return SVDResult(u, s, _mT(u * _as_rows(signs)))


@implements(np.linalg.svd)
def _np_svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    a = _operand(a)
    if hermitian:
        return _hermitian_svd(a, compute_uv)
    if not compute_uv:
        return svd_values(a)
    full = bool(full_matrices)
    m, n = a.shape[-2:]
    with _sharing():
        u = svd_u(a, full_matrices=full)
        s = svd_values(a, full_matrices=full)
        vh = svd_vh(a, full_matrices=full)
        if full and m > n:
            u = np.concatenate([u, orthonormal_complement(a, factor="U")], axis=-1)
        if full and n > m:
            vh = np.concatenate([vh, orthonormal_complement(a, factor="Vh")], axis=-2)
    return SVDResult(u, s, vh)


@implements(np.linalg.qr)
def _np_qr(a, mode="reduced"):
    a = _operand(a)
    if mode == "r":
        return qr_r(a)
    if mode not in ("reduced", "complete"):
        raise ValueError(f"numpy.linalg.qr(..., mode={mode!r}) is not supported for Tensors; "
                         f"use mode='reduced', 'complete' or 'r'.")
    m, n = a.shape[-2:]
    with _sharing():
        q, r = qr_q(a, mode=mode), qr_r(a, mode=mode)
        if mode == "complete" and m > n:
            q = np.concatenate([q, orthonormal_complement(a, factor="Q")], axis=-1)
            zeros = np.zeros(a.shape[:-2] + (m - n, n), dtype=r.dtype)
            r = np.concatenate([r, zeros], axis=-2)
    return QRResult(q, r)


@implements(np.linalg.pinv)
def _np_pinv(a, rcond=_NO_VALUE, hermitian=False, *, rtol=_NO_VALUE):
    a = _operand(a)
    options = {name: value for name, value in (("rcond", rcond), ("rtol", rtol))
               if value is not _NO_VALUE}
    if hermitian:  # NumPy then reads the lower triangle only
        return pinv(_symmetric_from(a, lower=True), hermitian=True, **options)
    return pinv(a, **options)


@implements(np.linalg.lstsq)
def _np_lstsq(a, b, rcond=_NO_VALUE):
    """lstsq for Tensors: the solution is differentiable; residuals, rank and singular
    values are plain arrays (compute ``((b - a @ x) ** 2).sum(0)`` to differentiate
    the residuals)."""
    a, b = _operand(a), _operand(b)
    options = {} if rcond is _NO_VALUE else {"rcond": rcond}
    with _sharing():
        solution = lstsq_solution(a, b, **options)
        _, residuals, rank, singular_values = _computed_once(
            np.linalg.lstsq, strip(a), strip(b), **options)
    return solution, residuals, rank, singular_values


@implements(np.linalg.matrix_power)
def _np_matrix_power(a, n):
    """NumPy's algorithm (inverse for negative powers, then repeated squaring) on
    Tensors, so the products happen in the same order."""
    a = _operand(a)
    _check_stacked_square(a)
    try:
        n = operator.index(n)
    except TypeError as error:
        raise TypeError("exponent must be an integer") from error
    if n == 0:  # the identity, on the graph with a zero derivative
        identity = np.broadcast_to(_eye(a.shape[-1], a.dtype), a.shape)
        return where(np.ones(a.shape, dtype=bool), identity, a)
    if n < 0:
        a, n = inv(a), -n
    if n <= 3:
        result = a
        for _ in range(n - 1):
            result = matmul(result, a)
        return result
    square = result = None
    while n > 0:
        square = a if square is None else matmul(square, square)
        n, bit = divmod(n, 2)
        if bit:
            result = square if result is None else matmul(result, square)
    return result


def _chain_order(shapes: list) -> list:
    """NumPy's optimal parenthesisation of a chain of matrices: ``split[i][j]``."""
    dims = [shapes[0][0]] + [shape[1] for shape in shapes]
    n = len(shapes)
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k
    return split


def _chain_product(arrays: list, split: list, i: int, j: int):
    if i == j:
        return arrays[i]
    k = split[i][j]
    return matmul(_chain_product(arrays, split, i, k), _chain_product(arrays, split, k + 1, j))


def _three_product(a, b, c):
    """(AB)C or A(BC), whichever costs fewer multiplications (NumPy's rule)."""
    (a0, a1), (b1,), (c1,) = a.shape, b.shape[1:], c.shape[1:]
    if a0 * a1 * b1 + a0 * b1 * c1 < a1 * b1 * c1 + a0 * a1 * c1:
        return matmul(matmul(a, b), c)
    return matmul(a, matmul(b, c))


@implements(np.linalg.multi_dot)
def _np_multi_dot(arrays, *, out=None):
    _no_out("multi_dot", out)
    arrays = [_array_operand(x) for x in arrays]
    if len(arrays) < 2:
        raise ValueError("Expecting at least two arrays.")
    if len(arrays) == 2:
        return FUNCTIONS[np.dot](arrays[0], arrays[1])
    first_is_vector, last_is_vector = arrays[0].ndim == 1, arrays[-1].ndim == 1
    if first_is_vector:
        arrays[0] = arrays[0][None, :]
    if last_is_vector:
        arrays[-1] = arrays[-1][:, None]
    for x in arrays:
        if x.ndim != 2:
            raise LinAlgError(f"{x.ndim}-dimensional array given. Array must be "
                              f"two-dimensional")
    if len(arrays) == 3:
        result = _three_product(*arrays)
    else:
        split = _chain_order([x.shape for x in arrays])
        result = _chain_product(arrays, split, 0, len(arrays) - 1)
    if first_is_vector and last_is_vector:
        return result[0, 0]
    if first_is_vector or last_is_vector:
        return np.ravel(result)
    return result


def _np_matrix_transpose(x, /):
    x = _array_operand(x)
    if x.ndim < 2:
        raise ValueError(f"Input array must be at least 2-dimensional, but it is {x.ndim}")
    return _mT(x)


if hasattr(np.linalg, "matrix_transpose"):
    implements(np.linalg.matrix_transpose)(_np_matrix_transpose)


# --- norm -----------------------------------------------------------------------------
def _vector_ord(ord) -> float:
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    return 2 if ord is None else ord


def _with_unit_axes(result, shape: tuple, axes: tuple):
    """``result`` of reducing an array of ``shape`` over ``axes``, with those axes back
    as length 1 (``keepdims``)."""
    return np.reshape(result, tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _matrix_norm(x, ord, axes: tuple, keepdims: bool):
    """NumPy's matrix norms over the two ``axes`` (rows, columns)."""
    row, col = axes
    if ord in (None, "fro", "f"):
        return vector_norm(x, ord=2, axis=axes, keepdims=keepdims)
    if ord in ("nuc", 2, -2):
        s = svd_values(np.moveaxis(x, axes, (-2, -1)))
        reduce = {"nuc": np.sum, 2: np.max, -2: np.min}[ord]
        result = reduce(s, axis=-1)
    elif ord in (1, -1, math.inf, -math.inf):
        summed, kept = (row, col) if ord in (1, -1) else (col, row)
        reduce = np.max if ord > 0 else np.min
        result = reduce(np.sum(np.abs(x), axis=summed), axis=kept - (kept > summed))
    else:
        raise ValueError("Invalid norm order for matrices.")
    return _with_unit_axes(result, x.shape, axes) if keepdims else result


@implements(np.linalg.norm)
def _np_norm(x, ord=None, axis=None, keepdims=False):
    x = _as_inexact(x)
    if axis is None:
        if ord is None:  # the 2-norm of every entry, whatever the shape
            return vector_norm(x, ord=2, axis=None, keepdims=keepdims)
        if x.ndim not in (1, 2):
            raise ValueError("Improper number of dimensions to norm.")
        axis = tuple(range(x.ndim))
    elif not isinstance(axis, tuple):
        axis = (operator.index(axis),)
    axes = normalize_axis_tuple(axis, x.ndim)
    if len(axes) == 1:
        return vector_norm(x, ord=_vector_ord(ord), axis=axes, keepdims=keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError("Improper number of dimensions to norm.")


if hasattr(np.linalg, "vector_norm"):
    @implements(np.linalg.vector_norm)
    def _np_vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
        x = _as_inexact(x)
        axes = None if axis is None else normalize_axis_tuple(axis, x.ndim)
        return vector_norm(x, ord=_vector_ord(ord), axis=axes, keepdims=keepdims)

    @implements(np.linalg.matrix_norm)
    def _np_matrix_norm(x, /, *, keepdims=False, ord="fro"):
        x = _as_inexact(x)
        if x.ndim < 2:
            raise ValueError(f"Input array must be at least 2-dimensional, but it is "
                             f"{x.ndim}")
        return _matrix_norm(x, ord, (x.ndim - 2, x.ndim - 1), keepdims)

    @implements(np.linalg.svdvals)
    def _np_svdvals(x, /):
        return svd_values(_operand(x))


# --- tensor forms, and numpy.linalg's names for array-API functions ---------------------
@implements(np.linalg.tensorinv)
def _np_tensorinv(a, ind=2):
    """NumPy's tensorinv: ``inv`` of ``a`` seen as a matrix, reshaped back."""
    a = _operand(a)
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    rows = math.prod(a.shape[ind:])
    inverse = inv(np.reshape(a, (rows, -1)))
    return np.reshape(inverse, a.shape[ind:] + a.shape[:ind])


@implements(np.linalg.tensorsolve)
def _np_tensorsolve(a, b, axes=None):
    """NumPy's tensorsolve: ``solve`` with ``a`` seen as a matrix and ``b`` as a vector."""
    a, b = _operand(a), _operand(b)
    if axes is not None:
        order = [k for k in range(a.ndim) if k not in axes] + list(axes)
        a = np.transpose(a, order)
    solution_shape = a.shape[-(a.ndim - b.ndim):]
    size = math.prod(solution_shape)
    if a.size != size ** 2:
        raise LinAlgError("Input arrays must satisfy the requirement "
                          "prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim])")
    solution = solve(np.reshape(a, (size, size)), np.reshape(b, (size, 1)))
    return np.reshape(solution, solution_shape)


nondifferentiable(np.linalg.matrix_rank)

if _NUMPY2:
    @implements(np.linalg.matmul)
    def _np_linalg_matmul(x1, x2, /):
        return matmul(_array_operand(x1), _array_operand(x2))

    @implements(np.linalg.tensordot)
    def _np_linalg_tensordot(x1, x2, /, *, axes=2):
        return FUNCTIONS[np.tensordot](x1, x2, axes=axes)

    @implements(np.linalg.outer)
    def _np_linalg_outer(x1, x2, /):
        x1, x2 = _array_operand(x1), _array_operand(x2)
        if x1.ndim != 1 or x2.ndim != 1:
            raise ValueError(f"Input arrays must be one-dimensional, but they are "
                             f"x1.ndim={x1.ndim} and x2.ndim={x2.ndim}.")
        return FUNCTIONS[np.outer](x1, x2)

    @implements(np.linalg.vecdot)
    def _np_linalg_vecdot(x1, x2, /, *, axis=-1):
        return np.sum(_operand(x1) * _operand(x2), axis=axis)

    @implements(np.linalg.cross)
    def _np_linalg_cross(x1, x2, /, *, axis=-1):
        x1, x2 = _array_operand(x1), _array_operand(x2)
        if x1.shape[axis] != 3 or x2.shape[axis] != 3:
            raise ValueError("Both input arrays must be (arrays of) 3-dimensional vectors, "
                             f"but they are {x1.shape[axis]} and {x2.shape[axis]} "
                             "dimensional instead.")
        return FUNCTIONS[np.cross](x1, x2, axis=axis)

    @implements(np.linalg.trace)
    def _np_linalg_trace(x, /, *, offset=0, dtype=None):
        return FUNCTIONS[np.trace](x, offset=offset, axis1=-2, axis2=-1, dtype=dtype)

    @implements(np.linalg.diagonal)
    def _np_linalg_diagonal(x, /, *, offset=0):
        return FUNCTIONS[np.diagonal](x, offset=offset, axis1=-2, axis2=-1)
