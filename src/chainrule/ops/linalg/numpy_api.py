"""NumPy's ``numpy.linalg`` signatures, routed to the primitives."""

from __future__ import annotations

import math
import operator

import numpy as np

from ..._core.primitive import strip
from ..products import matmul
from ..reductions import where
from ..registry import FUNCTIONS, implements, nondifferentiable
from .base import (
    _NO_VALUE,
    EighResult,
    EigResult,
    LinAlgError,
    QRResult,
    SlogdetResult,
    SVDResult,
    _array_operand,
    _as_rows,
    _computed_once,
    _eye,
    _mH,
    _mT,
    _operand,
    _sharing,
    _symmetric_from,
)
from .decompositions import (
    cholesky,
    eig_vectors,
    eigh_values,
    eigh_vectors,
    eigvals,
    orthonormal_complement,
    qr_q,
    qr_r,
    svd_u,
    svd_values,
    svd_vh,
)
from .lu import share_factors
from .solves import _is_vector_rhs, det, inv, logabsdet, lstsq_solution, pinv, slogdet_of, solve

# --- NumPy signatures -----------------------------------------------------------------


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
    a = _array_operand(a)
    share_factors(a)
    return inv(a)


@implements(np.linalg.det)
def _np_det(a):
    a = _array_operand(a)
    share_factors(a)
    return det(a)


@implements(np.linalg.slogdet)
def _np_slogdet(a):
    a = _operand(a)
    share_factors(a)
    with _sharing():
        log_magnitude = logabsdet(a)
        sign = slogdet_of(strip(a))[0]  # piecewise constant
    return SlogdetResult(sign, log_magnitude)


@implements(np.linalg.solve)
def _np_solve(a, b):
    a, b = _array_operand(a), _array_operand(b)
    share_factors(a)
    if _is_vector_rhs(a.ndim, b.ndim):
        return solve(a, b[..., None])[..., 0]
    return solve(a, b)


@implements(np.linalg.cholesky)
def _np_cholesky(a, /, *, upper=False):
    return cholesky(_operand(a), upper=bool(upper))


@implements(np.linalg.eigh)
def _np_eigh(a, UPLO="L"):
    a = _array_operand(a)
    with _sharing():
        return EighResult(eigh_values(a, UPLO=UPLO), eigh_vectors(a, UPLO=UPLO))


@implements(np.linalg.eigvalsh)
def _np_eigvalsh(a, UPLO="L"):
    return eigh_values(_array_operand(a), UPLO=UPLO)


@implements(np.linalg.eig)
def _np_eig(a):
    """Eigenvalues and unit eigenvectors of general (also complex) matrices, as NumPy
    gives them; differentiable where the eigenvalues are distinct. Each eigenvector's
    phase is LAPACK's: differentiate functions it does not change (ops.linalg)."""
    a = _array_operand(a)
    _check_stacked_square(a)
    with _sharing():
        return EigResult(eigvals(a), eig_vectors(a))


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
    return SVDResult(u, s, _mH(u * _as_rows(signs)))


@implements(np.linalg.svd)
def _np_svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    a = _array_operand(a)
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
