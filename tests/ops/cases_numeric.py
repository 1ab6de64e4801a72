"""Conformance cases for NumPy functions composed of other primitives
(each case names the primitive it leans on)."""

import numpy as np

from .case import Arg, Case

_XP = np.array([-1.5, -0.4, 0.3, 1.1, 1.8])

CASES = [
    Case("subtract", lambda x: np.diff(x) ** 2, ((3, 5),), name="diff"),
    Case("subtract", lambda x: np.diff(x, n=2, axis=0) ** 2, ((4, 3),), name="diff-n2-axis0"),
    Case("subtract", lambda x: np.ediff1d(x, to_begin=[0.5]) ** 2, ((6,),), name="ediff1d"),
    Case("sum", lambda x: np.nansum(x ** 2, axis=1), ((3, 4),), name="nansum"),
    Case("divide", lambda x: np.nanmean(x ** 2, axis=0), ((3, 4),), name="nanmean"),
    Case("sqrt", lambda x: np.nanstd(x, axis=1), ((3, 4),), name="nanstd"),
    Case("divide", lambda x: np.nanvar(x, ddof=1), ((3, 4),), name="nanvar"),
    Case("max", lambda x: np.nanmax(x ** 2, axis=0), ((3, 4),), name="nanmax"),
    Case("min", lambda x: np.nanmin(x ** 2), ((3, 4),), name="nanmin"),
    Case("prod", lambda x: np.nanprod(x, axis=1), ((3, 4),), name="nanprod"),
    Case("add", lambda p, x: np.polyval(p, x), ((4,), (5,)), name="polyval"),
    Case("where", lambda x, fp: np.interp(x, _XP, fp), (Arg((7,), -2.0, 2.2), (5,)),
         name="interp"),
    Case("matmul", lambda a, v: np.convolve(a, v), ((6,), (3,)), name="convolve-full"),
    Case("matmul", lambda a, v: np.convolve(a, v, "same") ** 2, ((3,), (5,)),
         name="convolve-same"),
    Case("matmul", lambda a, v: np.convolve(a, v, "valid"), ((6,), (4,)),
         name="convolve-valid"),
    Case("matmul", lambda a, v: np.correlate(a, v) * a[:3], ((5,), (3,)), name="correlate"),
    Case("matmul", lambda a, v: np.correlate(a, v, "full"), ((3,), (5,)),
         name="correlate-longer-kernel"),
]
