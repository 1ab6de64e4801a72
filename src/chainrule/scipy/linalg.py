"""``scipy.linalg`` functions with derivatives, built on chainrule's linear algebra."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops import linalg as _linalg


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


def _plain(x: Any) -> np.ndarray:
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)
