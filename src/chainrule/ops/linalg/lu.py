"""One LU factorisation of a traced matrix, shared by det, slogdet, inv, solve and
their rules: a likelihood with ``slogdet(A)`` and ``solve(A, b)`` factors ``A``
once for its value and gradient, not four times.

Only inside one transform call (``cr.grad``, ``cr.jacobian`` ...: its forward
and backward passes), for a matrix that is a traced value there, 2-D, float32
or float64, and with SciPy installed (NumPy has no LU of its own). Entries are
checked against their array's in-place version and all dropped when the call
returns, so a matrix changed between calls is factored afresh. Everything else
takes NumPy's functions as before.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict

import numpy as np

from ..._core.graph import Box
from ..._core.state import at_transform_end, state, version_of

KEPT = 8  # the most recently shared matrices; older ones are factored again if needed
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class _Entries(threading.local):
    def __init__(self) -> None:
        self.by_id: OrderedDict = OrderedDict()


_entries = _Entries()
at_transform_end.append(lambda: _entries.by_id.clear())


@functools.lru_cache(maxsize=1)
def _scipy_lu():
    try:
        from scipy.linalg import get_lapack_funcs, lu_solve
    except ImportError:
        return None

    def lu_factor(a, check_finite=False):
        # LAPACK's getrf, as scipy.linalg.lu_factor calls it, without lu_factor's warning
        # for a singular matrix (the callers report that): silencing a warning changes
        # the process-wide warning filters, which races with other threads.
        (getrf,) = get_lapack_funcs(("getrf",), (a,))
        lu, pivots, _ = getrf(a)
        return lu, pivots

    return lu_factor, lu_solve


def share_factors(x) -> None:
    """Let the calls that follow reuse the LU factors of ``x``, if it is a traced matrix."""
    if not (state.transform_calls and isinstance(x, Box) and x._node is not None):
        return
    raw = x._value
    if type(raw) is not np.ndarray or raw.ndim != 2 or raw.dtype not in _FLOATS:
        return
    by_id = _entries.by_id
    if id(raw) in by_id or _scipy_lu() is None:
        return
    by_id[id(raw)] = [raw, version_of(raw), None]  # holds raw: its id stays its own
    if len(by_id) > KEPT:
        by_id.popitem(last=False)


def _factors(a):
    """``(lu, pivots, singular)`` of ``a`` if it is shared, else None."""
    if type(a) is not np.ndarray:
        return None
    entry = _entries.by_id.get(id(a))
    if entry is None or entry[0] is not a or entry[1] != version_of(a):
        return None
    if entry[2] is None:
        lu, pivots = _scipy_lu()[0](a, check_finite=False)
        entry[2] = (lu, pivots, bool(np.any(np.diagonal(lu) == 0)))
    return entry[2]


def shared_slogdet(a):
    """``numpy.linalg.slogdet(a)`` from the shared factors, or None."""
    factors = _factors(a)
    if factors is None:
        return None
    lu, pivots, singular = factors
    if singular:
        return np.zeros((), a.dtype), np.array(-np.inf, a.dtype)
    diagonal = np.diagonal(lu)
    swaps = np.count_nonzero(pivots != np.arange(pivots.size))
    sign = np.prod(np.sign(diagonal)) * (-1.0 if swaps % 2 else 1.0)
    return np.asarray(sign, a.dtype), np.sum(np.log(np.abs(diagonal)))


def shared_solve(a, b, transposed: bool = False):
    """``solve(a, b)`` (``solve(a.T, b)`` if ``transposed``) from the shared factors,
    or None. ``b`` is a vector or a matrix."""
    factors = _factors(a)
    if factors is None or type(b) is not np.ndarray or b.ndim > 2 or b.dtype != a.dtype:
        return None
    lu, pivots, singular = factors
    if singular:
        raise np.linalg.LinAlgError("Singular matrix")
    return _scipy_lu()[1]((lu, pivots), b, trans=int(transposed), check_finite=False)


def shared_inverse(a):
    """``inv(a)`` from the shared factors, or None."""
    if _factors(a) is None:
        return None
    return shared_solve(a, np.eye(a.shape[0], dtype=a.dtype))
