"""Conformance cases for reductions and selection (sum ... sort) and their helpers."""

import numpy as np

from chainrule.ops.reductions import (
    expand_reduced,
    linear_scan,
    logsumexp,
    permute_along,
    reverse_cumsum,
    shift,
)

from .case import Arg, Case

POSITIVE = Arg((3, 4), 0.5, 2.0)
ZEROS = Arg((3, 4), 0.0, 0.0)  # exact zeros that are still differentiated
_ONE_ZERO = np.array([[False, True, False, False]] * 3)
_TWO_ZEROS = np.array([[True, False, False, True], [False] * 4, [False, True, False, False]])
_PERMUTATION = np.array([[2, 0, 3, 1], [1, 2, 0, 3], [3, 2, 1, 0]])


def _with_zeros(mask):
    """Entries of ``z`` (all exactly 0) where ``mask``, of ``x`` elsewhere."""
    return lambda x, z: np.where(mask, z, x)


def _prod_with_zeros(mask, **kwargs):
    place = _with_zeros(mask)
    return lambda x, z: np.prod(place(x, z), **kwargs)


def _cumprod_with_zeros(mask, **kwargs):
    place = _with_zeros(mask)
    return lambda x, z: np.cumprod(place(x, z), **kwargs)


def _average_and_total(a, w):
    average, total = np.average(a, axis=1, weights=w, returned=True)
    return average * total



# NumPy 2.1 added the min=/max= keywords of clip.
if np.lib.NumpyVersion(np.__version__) >= "2.1.0":
    def _clip_from_below(x, lo):
        return np.clip(x, min=lo) * x
else:
    def _clip_from_below(x, lo):
        return np.clip(x, lo, None) * x


CASES = [
    Case("sum", lambda x: np.sum(x), ((3, 4),), name="all", linear=True),
    Case("sum", lambda x: np.sum(x, axis=0), ((3, 4),), name="axis0", linear=True),
    Case("sum", lambda x: np.sum(x, axis=-1, keepdims=True), ((2, 3, 4),), name="last-keepdims",
         linear=True),
    Case("sum", lambda x: np.sum(x, axis=(0, 2)), ((2, 3, 4),), name="tuple", linear=True),
    Case("sum", lambda x: np.sum(x ** 2, axis=1, initial=1.5), ((3, 4),), name="initial"),
    Case("sum", lambda x: np.sum(x), ((),), name="scalar", linear=True),
    Case("expand_reduced", lambda g: expand_reduced(g, (3, 4), axis=1), ((3,),), linear=True),
    Case("expand_reduced", lambda g: expand_reduced(g, (2, 3, 4), axis=(0, 2), keepdims=True),
         ((1, 3, 1),), name="keepdims", linear=True),
    Case("mean", lambda x: np.mean(x), ((3, 4),), name="all", linear=True),
    Case("mean", lambda x: np.mean(x, axis=-1), ((3, 4),), name="last", linear=True),
    Case("mean", lambda x: np.mean(x ** 2, axis=(0, 1), keepdims=True), ((2, 3, 4),),
         name="tuple-keepdims"),
    Case("prod", lambda x: np.prod(x), (POSITIVE,), name="all"),
    Case("prod", lambda x: np.prod(x, axis=1), ((3, 4),), name="axis1"),
    Case("prod", lambda x: np.prod(x, axis=-1, keepdims=True), ((2, 3, 4),), name="keepdims"),
    Case("prod", lambda x: np.prod(x, axis=(0, 2)), ((2, 3, 4),), name="tuple"),
    Case("prod", _prod_with_zeros(_ONE_ZERO, axis=1), ((3, 4), ZEROS), name="one-zero"),
    Case("prod", _prod_with_zeros(_TWO_ZEROS, axis=1), ((3, 4), ZEROS), name="zeros"),
    Case("prod", _prod_with_zeros(_ONE_ZERO), ((3, 4), ZEROS), name="one-zero-all"),
    Case("prod", _prod_with_zeros(_ONE_ZERO, axis=0), ((3, 4), ZEROS), name="zero-column"),
    Case("prod", lambda x: np.prod(x * np.array([1.0, 0.0, 1.0, 1.0]), axis=1), ((3, 4),),
         name="masked"),
    Case("max", lambda x: np.max(x), ((3, 4),), name="all", linear=True),
    Case("max", lambda x: np.max(x, axis=0), ((3, 4),), name="axis0", linear=True),
    Case("max", lambda x: np.amax(x, axis=(0, 2), keepdims=True), ((2, 3, 4),), name="tuple",
         linear=True),
    Case("max", lambda x: np.ptp(x, axis=-1), ((3, 4),), name="ptp", extra_prims=("min",),
         linear=True),
    Case("min", lambda x: np.min(x), ((3, 4),), name="all", linear=True),
    Case("min", lambda x: np.amin(x, axis=-1, keepdims=True), ((3, 4),), name="last", linear=True),
    Case("min", lambda x: np.min(x ** 2, axis=1), ((3, 4),), name="squared"),
    Case("var", lambda x: np.var(x), ((3, 4),), name="all"),
    Case("var", lambda x: np.var(x, axis=0, ddof=1), ((3, 4),), name="ddof"),
    Case("var", lambda x: np.var(x, axis=(1, 2), keepdims=True), ((2, 3, 4),), name="tuple"),
    Case("std", lambda x: np.std(x), ((3, 4),), name="all"),
    Case("std", lambda x: np.std(x, axis=-1, ddof=1), ((3, 4),), name="ddof"),
    Case("std", lambda x: np.std(x, axis=0, keepdims=True), ((3, 4),), name="keepdims"),
    Case("cumsum", lambda x: np.cumsum(x), ((3, 4),), name="flat", linear=True),
    Case("cumsum", lambda x: np.cumsum(x, axis=0), ((3, 4),), name="axis0", linear=True),
    Case("cumsum", lambda x: np.cumsum(x ** 2, axis=-1), ((2, 3, 4),), name="last"),
    Case("reverse_cumsum", lambda g: reverse_cumsum(g, (3, 4)), ((12,),), name="flat", linear=True),
    Case("reverse_cumsum", lambda g: reverse_cumsum(g, (3, 4), axis=1), ((3, 4),), linear=True),
    Case("cumprod", lambda x: np.cumprod(x), (Arg((2, 3), 0.5, 1.5),), name="flat"),
    Case("cumprod", lambda x: np.cumprod(x, axis=1), ((3, 4),), name="axis1"),
    Case("cumprod", lambda x: np.cumprod(x, axis=-1), ((2, 3, 4),), name="last"),
    Case("cumprod", _cumprod_with_zeros(_ONE_ZERO, axis=1), ((3, 4), ZEROS), name="one-zero"),
    Case("cumprod", _cumprod_with_zeros(_TWO_ZEROS, axis=1), ((3, 4), ZEROS), name="zeros"),
    Case("cumprod", _cumprod_with_zeros(_ONE_ZERO, axis=0), ((3, 4), ZEROS), name="zero-col"),
    Case("shift", lambda x: shift(x, axis=1, by=2), ((3, 4),), linear=True),
    Case("shift", lambda x: shift(x, axis=0, by=-1, fill=1.0) * x, ((3, 4),), name="fill"),
    Case("linear_scan", lambda b, a: linear_scan(b, a, axis=1), ((3, 4), (3, 4))),
    Case("linear_scan", lambda b, a: linear_scan(b, a, axis=0, reverse=True),
         ((3, 4), (3, 4)), name="reverse"),
    Case("mean", lambda a: np.average(a, axis=0), ((3, 4),), name="average", linear=True),
    Case("sum", lambda a, w: np.average(a, weights=w), ((3, 4), POSITIVE),
         name="average-weights"),
    Case("sum", lambda a, w: np.average(a, axis=1, weights=w, keepdims=True),
         ((3, 4), Arg((4,), 0.5, 2.0)), name="average-1d-weights"),
    Case("sum", _average_and_total, ((3, 4), Arg((4,), 0.5, 2.0)), name="average-returned"),
    Case("logsumexp", lambda x: logsumexp(x), ((3, 4),), name="all"),
    Case("logsumexp", lambda x: logsumexp(x, axis=1), ((3, 4),), name="axis1"),
    Case("logsumexp", lambda x: logsumexp(x, axis=(0, 2), keepdims=True), ((2, 3, 4),),
         name="tuple-keepdims"),
    Case("logsumexp", lambda x: logsumexp(x, axis=-1), (Arg((3, 4), 700.0, 702.0),),
         name="large", dtypes=(np.float64,)),
    Case("where", lambda x, y: np.where(np.array([[True], [False], [True]]), x, y),
         ((1, 4), (3, 4)), name="broadcast", linear=True),
    Case("where", lambda x: np.where(x > 0, x ** 2, 0.0), ((3, 4),), name="scalar"),
    Case("where", lambda x, y: np.where(x > y, x * y, y), ((3, 4), (4,)), name="mask-from-data"),
    Case("clip", lambda x: np.clip(x, -1.0, 1.0), ((3, 4),), name="constants", linear=True),
    Case("clip", lambda x, lo, hi: np.clip(x, lo, hi) ** 2,
         ((3, 4), Arg((4,), -1.0, -0.5), Arg((3, 1), 0.5, 1.0)), name="broadcast"),
    Case("clip", lambda x, hi: np.clip(x, None, hi) * x, ((3, 4), Arg((), -0.5, 0.5)),
         name="no-min"),
    Case("clip", _clip_from_below, ((3, 4), Arg((), -0.5, 0.5)), name="no-max"),
    Case("clip", lambda x, lo, hi: np.clip(x, lo, hi), ((3, 4), Arg((), 0.5, 1.0),
                                                        Arg((), -1.0, -0.5)),
         name="min-above-max", linear=True),
    Case("sort", lambda x: np.sort(x) ** 2, ((3, 4),), name="last"),
    Case("sort", lambda x: np.sort(x, axis=0) * np.arange(4.0), ((3, 4),), name="axis0",
         linear=True),
    Case("sort", lambda x: np.sort(x, axis=None) * np.arange(12.0), ((3, 4),), name="flat",
         linear=True),
    Case("permute_along", lambda x: permute_along(x, _PERMUTATION, axis=1) * x, ((3, 4),)),
]
