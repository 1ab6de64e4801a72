"""Conformance cases for indexing, assignment, casting and copying."""

import numpy as np

from chainrule.ops.indexing import scatter_add, zeros_at

from .case import Arg, Case


def _assign(index):
    def fn(x, v):
        y = x * 1.0
        y[index] = v
        return y

    return fn


_REPEATED = np.array([0, 2, 2, 1])
_MASK = np.array([[True, False, True, False]] * 3)

CASES = [
    Case("getitem", lambda x: x[1], ((3, 4),), name="int", linear=True),
    Case("getitem", lambda x: x[1:, ::2], ((3, 4),), name="slices", linear=True),
    Case("getitem", lambda x: x[None, ..., -1], ((2, 3, 4),), name="none-ellipsis", linear=True),
    Case("getitem", lambda x: x[_MASK], ((3, 4),), name="mask", linear=True),
    Case("getitem", lambda x: x[_REPEATED], ((3, 4),), name="repeated", linear=True),
    Case("getitem", lambda x: x[[0, 2], [1, 3]], ((3, 4),), name="pairs", linear=True),
    Case("setitem", _assign((slice(None), 1)), ((3, 4), (3,)), name="column", linear=True),
    Case("setitem", _assign(1), ((3, 4), ()), name="broadcast-scalar", linear=True),
    Case("setitem", _assign(_MASK), ((3, 4), (6,)), name="mask", linear=True),
    Case("setitem", _assign(np.array([2, 0])), ((3, 4), (2, 4)), name="rows", linear=True),
    Case("scatter_add", lambda g: scatter_add(g, _REPEATED, (3, 5)), ((4, 5),), linear=True),
    Case("zeros_at", lambda g: zeros_at(g, (slice(None), 0)), ((3, 4),), linear=True),
    Case("astype", lambda x: x.astype(np.float64) * 2.0, ((3,),), linear=True),
    Case("copy", lambda x: np.copy(x) * x, ((3, 2),)),
]
_ = Arg
