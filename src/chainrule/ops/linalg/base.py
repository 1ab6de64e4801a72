"""Shared pieces of the linear-algebra primitives: result types, one decomposition
for several outputs, and matrix helpers that run on arrays and Tensors alike."""

from __future__ import annotations

import functools
import threading
from collections import namedtuple
from collections.abc import Callable
from contextlib import contextmanager

import numpy as np

from ..._core.arrays import plain_array
from ..._core.graph import Box
from ..complex import conj_if_complex, is_complex, real
from ..indexing import as_operand

# Why the factorisations and solves refuse Dask (and other non-NumPy) arrays.
IN_MEMORY_LINALG = "Dask's linear algebra lacks it or wants each matrix in one square chunk"

LinAlgError = np.linalg.LinAlgError
_NO_VALUE = np._NoValue


def _result_type(name: str, fields: str) -> type:
    """NumPy's named result tuple (NumPy 2), or one with the same fields."""
    existing = getattr(getattr(np.linalg, "_linalg", None), name, None)
    return existing if existing is not None else namedtuple(name, fields)


SlogdetResult = _result_type("SlogdetResult", "sign logabsdet")
EighResult = _result_type("EighResult", "eigenvalues eigenvectors")
EigResult = _result_type("EigResult", "eigenvalues eigenvectors")
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


def _mH(x):
    """The conjugate transpose of each matrix in a stack (the transpose, for real ones)."""
    return conj_if_complex(np.swapaxes(x, -1, -2))


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
    """The symmetric (Hermitian) matrix whose lower (or upper) triangle is ``t``'s: what
    NumPy's ``eigh`` and ``cholesky`` actually factor. LAPACK reads only the real part
    of a complex diagonal."""
    if is_complex(t):
        strict = np.tril(t, -1) if lower else np.triu(t, 1)
        return strict + _mH(strict) + _real_diagonal(t)
    if lower:
        return np.tril(t) + _mT(np.tril(t, -1))
    return np.triu(t) + _mT(np.triu(t, 1))


def _onto_triangle(g, lower: bool):
    """The adjoint of ``_symmetric_from``: a cotangent of the symmetric (Hermitian)
    matrix moved onto the triangle NumPy reads."""
    if is_complex(g):
        strict = np.tril(g + _mH(g), -1) if lower else np.triu(g + _mH(g), 1)
        return strict + _real_diagonal(g)
    if lower:
        return np.tril(g) + np.tril(_mT(g), -1)
    return np.triu(g) + np.triu(_mT(g), 1)


def _real_diagonal(x):
    """The real part of each matrix's diagonal, as a diagonal matrix."""
    n = x.shape[-1]
    return real(x) * _eye(n, np.finfo(x.dtype).dtype)


def _check_distinct(values, what: str, kind: str) -> None:
    """Raise if two of ``values`` (last axis) coincide to working precision."""
    values = plain_array(values)
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


# --- operands ---------------------------------------------------------------------------
def _array_operand(x):
    """Tensors and arrays as they are; lists and numbers as arrays."""
    return as_operand(x)


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
    x = _array_operand(x)
    return x if x.dtype.kind in "fc" else x.astype(np.float64)
