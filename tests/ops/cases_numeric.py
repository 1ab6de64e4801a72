"""Conformance cases for NumPy functions composed of other primitives
(each case names the primitive it leans on)."""

import numpy as np

import chainrule.numpy as cnp

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

_NONFINITE = np.array([[np.nan, 1.0, np.inf], [2.0, -np.inf, 3.0]])
_COORDINATES = np.array([0.0, 0.3, 1.1, 1.5, 2.6])

CASES += [
    Case("sinc", np.sinc, ((3, 4),)),
    Case("sinc", lambda x: np.sinc(x * (np.arange(4) > 0)), ((3, 4),), name="at-zero"),
    Case("sinc", lambda x: np.sinc(x * 0.04), ((3, 4),), name="near-zero"),
    Case("sinc", lambda x: np.sinc(x), (Arg((3, 4), -1.0, 1.0),), complex=True),
    Case("rad2deg", lambda x: np.degrees(x), ((3, 4),), name="degrees", linear=True),
    Case("deg2rad", lambda x: np.radians(x), ((3, 4),), name="radians", linear=True),
    Case("astype", lambda x: np.astype(x, np.float64) ** 2, ((3, 4),), name="np-astype"),
    Case("add", lambda a, b: np.linspace(a, b, 5) ** 2, ((), ()), name="linspace"),
    Case("add", lambda a, b: np.linspace(a, b, 4, endpoint=False, axis=1) ** 2, ((3,), ()),
         name="linspace-axis-no-endpoint"),
    Case("divide", lambda a, b: np.linspace(a, b, 3, retstep=True)[1] ** 2, ((2,), (2,)),
         name="linspace-step"),
    Case("copy", lambda v: cnp.full((2, 3), v) * v, ((),), name="full"),
    Case("where", lambda x: np.tanh(np.nan_to_num(_NONFINITE + x)), ((2, 3),),
         name="nan-to-num"),
    Case("where", lambda x: np.nan_to_num(_NONFINITE + x, nan=1.5, posinf=9.0,
                                          neginf=-4.0) ** 2,
         ((2, 3),), name="nan-to-num-fill"),
    Case("real", lambda x: np.real_if_close(x * (1 + 1e-20j)) ** 2, ((3, 4),),
         name="real-if-close"),
    Case("where", lambda x, y: np.select([x > 0.5, y < 0], [x * y, y ** 2], default=x),
         ((3, 4), (4,)), name="select"),
    Case("permute_along", lambda x: np.partition(x, 2, axis=1) ** 2, ((3, 5),),
         name="partition"),
    Case("permute_along", lambda x: np.partition(x, [0, 3], axis=None) ** 2, ((3, 4),),
         name="partition-flat"),
    Case("transpose", lambda x: np.rollaxis(x, 2) * 2.0, ((2, 3, 4),), name="rollaxis",
         linear=True),
    Case("subtract", lambda f: np.gradient(f) ** 2, ((6,),), name="gradient"),
    Case("subtract", lambda f: np.stack(np.gradient(f, 0.5, edge_order=2)) ** 2, ((4, 5),),
         name="gradient-2d-edge2"),
    Case("multiply", lambda f: np.gradient(f, _COORDINATES, axis=1, edge_order=2) ** 2,
         ((3, 5),), name="gradient-coordinates"),
    Case("multiply", lambda f, x: np.gradient(f, np.cumsum(x)), ((5,), Arg((5,), 0.5, 1.5)),
         name="gradient-in-coordinates"),
]

_WEIGHTS = np.array([1, 2, 1, 3, 1])  # integers: NumPy scales float fweights in place
_LEVELS = np.array([0.0, 0.3, 0.5, 0.77, 1.0])

CASES += [
    Case("multiply", lambda y: np.trapezoid(y), ((3, 5),), name="trapezoid", linear=True),
    Case("multiply", lambda y, x: np.trapezoid(y, np.cumsum(x), axis=1),
         ((3, 5), Arg((5,), 0.2, 1.0)), name="trapezoid-coordinates"),
    Case("matmul", lambda m: np.cov(m), ((3, 5),), name="cov"),
    Case("matmul", lambda m, y: np.cov(m, y, rowvar=False, ddof=0), ((5, 2), (5,)),
         name="cov-columns"),
    Case("matmul", lambda m, w: np.cov(m, aweights=w, fweights=_WEIGHTS),
         ((3, 5), Arg((5,), 0.5, 2.0)), name="cov-weights"),
    Case("clip", lambda m: np.corrcoef(m), ((3, 6),), name="corrcoef"),
    Case("power", lambda a, b, base: np.logspace(a, b, 4, base=base), ((), (2,), Arg((), 1.5, 3.0)),
         name="logspace"),
    Case("sort", lambda a: np.quantile(a, _LEVELS, axis=1), ((3, 6),), name="quantile",
         linear=True),
    Case("sort", lambda a, q: np.quantile(a, q), ((3, 4), Arg((2,), 0.1, 0.9)),
         name="quantile-levels"),
    Case("sort", lambda a: np.percentile(a, 40.0, axis=(0, 2), keepdims=True), ((3, 2, 4),),
         name="percentile", linear=True),
    Case("sort", lambda a: np.median(a, axis=0), ((5, 3),), name="median-odd", linear=True),
    Case("sort", lambda a: np.median(a), ((2, 3),), name="median-even", linear=True),
]
