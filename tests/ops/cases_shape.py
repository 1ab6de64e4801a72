"""Conformance cases for shape functions: reshaping, joining, splitting, padding, diagonals.

Most shape functions are linear, so most cases square (or multiply) the result:
the cotangent reaching the shape rule then depends on the input, and the
second-order check runs the rule on Tensors.
"""

import numpy as np

import chainrule.ops.shape  # noqa: F401  (registers the shape primitives)

from .case import Arg, Case


def _rejoin(parts, axis=0):
    """Pieces put back together, each bent differently so that mixing them up shows."""
    return np.concatenate([p ** (i + 2) for i, p in enumerate(parts)], axis=axis)


def _mix(parts):
    """Same-shape pieces multiplied, each to a different power."""
    result = parts[0]
    for i, p in enumerate(parts[1:]):
        result = result * p ** (i + 2)
    return result


_ORDER = np.array([[2, 0, 1, 3], [1, 1, 0, 2], [3, 2, 2, 0]])

_RESHAPING = [
    Case("reshape", lambda x: np.reshape(x, (4, 3)) ** 2, ((3, 4),), name="2d"),
    Case("reshape", lambda x: np.reshape(x, (-1, 2)) ** 2, ((2, 3, 4),), name="minus-one"),
    Case("reshape", lambda x: np.reshape(x, 6) ** 2, ((2, 3),), name="int-shape"),
    Case("reshape", lambda x: np.reshape(x, (2, 6), order="F") ** 2, ((3, 4),),
         name="order-f"),
    Case("reshape", lambda x: x.reshape(2, 6) ** 2, ((3, 4),), name="method"),
    Case("reshape", lambda x: np.reshape(x, ()) ** 2, ((1, 1),), name="to-scalar"),
    Case("reshape", lambda x: np.reshape(x, (3, 4)), ((12,),), name="linear", linear=True),
    Case("reshape", lambda x: np.ravel(x) ** 2, ((2, 3),), name="ravel"),
    Case("reshape", lambda x: np.squeeze(x) ** 2, ((3, 1, 2, 1),), name="squeeze-all"),
    Case("reshape", lambda x: np.squeeze(x, axis=-1) ** 2, ((3, 1, 2, 1),),
         name="squeeze-axis"),
    Case("reshape", lambda x: np.expand_dims(x, (0, -1)) ** 2, ((2, 3),),
         name="expand-dims"),
    Case("reshape", lambda x: np.expand_dims(x, -2) ** 2, ((2, 3),), name="expand-dims-neg"),
    Case("reshape", lambda x: np.atleast_1d(x) ** 2, ((),), name="atleast-1d"),
    Case("reshape", lambda x: np.atleast_2d(x) ** 2, ((3,),), name="atleast-2d"),
    Case("reshape", lambda x: np.atleast_3d(x) ** 2, ((3,),), name="atleast-3d-vector"),
    Case("reshape", lambda x: np.atleast_3d(x) ** 2, ((2, 3),), name="atleast-3d-matrix"),
]

_TRANSPOSING = [
    Case("transpose", lambda x: np.transpose(x) ** 2, ((2, 3, 4),), name="reverse"),
    Case("transpose", lambda x: np.transpose(x, (1, -1, 0)) ** 2, ((2, 3, 4),),
         name="axes"),
    Case("transpose", lambda x: x.T * x.T, ((3, 2),), name="T"),
    Case("transpose", lambda x: np.transpose(x), ((3, 2),), name="linear", linear=True),
    Case("transpose", lambda x: np.swapaxes(x, 0, -1) ** 2, ((2, 3, 4),), name="swapaxes"),
    Case("transpose", lambda x: np.moveaxis(x, 0, -1) ** 2, ((2, 3, 4),), name="moveaxis"),
    Case("transpose", lambda x: np.moveaxis(x, [0, 1], [-1, -3]) ** 2, ((2, 3, 4),),
         name="moveaxis-several"),
    Case("transpose", lambda x: np.rot90(x) ** 2, ((2, 3),), name="rot90"),
    Case("transpose", lambda x: np.rot90(x, 3, axes=(-1, 0)) ** 2, ((2, 3, 4),),
         name="rot90-k3"),
]

_BROADCASTING = [
    Case("broadcast_to", lambda x: np.broadcast_to(x, (2, 3, 4)) ** 2, ((3, 1),),
         name="stretch"),
    Case("broadcast_to", lambda x: np.broadcast_to(x, 5) ** 2, ((),), name="scalar"),
    Case("broadcast_to", lambda x: np.broadcast_to(x, (2, 3)) ** 2, ((2, 3),),
         name="same-shape"),
    Case("broadcast_to", lambda x, y: _mix(np.broadcast_arrays(x, y)),
         ((3, 1), (4,)), name="broadcast-arrays"),
    Case("broadcast_to", lambda x: np.tile(x, (2, 1, 3)) ** 2, ((2, 3),), name="tile"),
    Case("broadcast_to", lambda x: np.tile(x, 2) ** 2, ((3,),), name="tile-int"),
    Case("broadcast_to", lambda x: np.repeat(x, 3, axis=-1) ** 2, ((2, 3),),
         name="repeat-axis"),
    Case("broadcast_to", lambda x: np.repeat(x, 2) ** 2, ((2, 3),), name="repeat-flat"),
    Case("getitem", lambda x: np.repeat(x, [1, 0, 2], axis=0) ** 2, ((3, 2),),
         name="repeat-each"),
    Case("broadcast_to", lambda x, y: _mix(np.meshgrid(x, y)), ((3,), (4,)),
         name="meshgrid-xy"),
    Case("broadcast_to", lambda x, y, z: _mix(np.meshgrid(x, y, z, indexing="ij")),
         ((2,), (3,), (4,)), name="meshgrid-ij"),
    Case("reshape", lambda x, y: _mix(np.meshgrid(x, y, sparse=True)), ((3,), (4,)),
         name="meshgrid-sparse"),
]

_JOINING = [
    Case("concatenate", lambda x, y: np.concatenate([x, y], axis=-1) ** 2, ((2, 3), (2, 4)),
         name="two"),
    Case("concatenate", lambda x, y: np.concatenate((x, np.ones((1, 3)), y)) ** 2,
         ((2, 3), (4, 3)), name="with-array"),
    Case("concatenate", lambda x: np.concatenate([x, [[1.0, 2.0]], x ** 2]), ((2, 2),),
         name="same-input-twice"),
    Case("concatenate", lambda x, y: np.concatenate([x, y], axis=None) ** 2, ((2, 3), (4,)),
         name="axis-none"),
    Case("concatenate", lambda x, y: np.stack([x, y]) ** 2, ((2, 3), (2, 3)), name="stack"),
    Case("concatenate", lambda x, y: np.stack([x, [1.0, 2.0, 3.0], y], axis=-1) ** 2,
         ((3,), (3,)), name="stack-last"),
    Case("concatenate", lambda x, y: np.hstack([x, y]) ** 2, ((3,), (2,)),
         name="hstack-1d"),
    Case("concatenate", lambda x, y: np.hstack((x, y)) ** 2, ((2, 3), (2, 1)),
         name="hstack-2d"),
    Case("concatenate", lambda x, y: np.vstack([x, y]) ** 2, ((3,), (2, 3)), name="vstack"),
    Case("concatenate", lambda x, y: np.dstack([x, y]) ** 2, ((2, 3), (2, 3, 2)),
         name="dstack"),
    Case("concatenate", lambda x, y: np.column_stack([x, y]) ** 2, ((3,), (3, 2)),
         name="column-stack"),
    Case("concatenate", lambda x, y: np.append(x, y) ** 2, ((2, 2), (3,)), name="append"),
    Case("concatenate", lambda x, y: np.append(x, y, axis=0) ** 2, ((2, 2), (3, 2)),
         name="append-axis"),
]

_SPLITTING = [
    Case("getitem", lambda x: _rejoin(np.split(x, 3, axis=-1), axis=-1), ((2, 6),),
         name="split-sections"),
    Case("getitem", lambda x: _rejoin(np.split(x, [1, 3])), ((5, 2),), name="split-indices"),
    Case("getitem", lambda x: _rejoin(np.array_split(x, 3)), ((7,),), name="array-split"),
    Case("getitem", lambda x: _rejoin(np.hsplit(x, 2), axis=1), ((3, 4),), name="hsplit"),
    Case("getitem", lambda x: _rejoin(np.vsplit(x, [2])), ((3, 4),), name="vsplit"),
    Case("getitem", lambda x: _rejoin(np.dsplit(x, 2), axis=2), ((2, 1, 4),), name="dsplit"),
]

_REORDERING = [
    Case("flip", lambda x: np.flip(x) ** 2, ((2, 3),), name="all"),
    Case("flip", lambda x: np.flip(x, -1) ** 2, ((2, 3),), name="last"),
    Case("flip", lambda x: np.flip(x, (0, 2)) ** 2, ((2, 3, 2),), name="two-axes"),
    Case("flip", lambda x: np.fliplr(x) ** 2, ((2, 3),), name="fliplr"),
    Case("flip", lambda x: np.flipud(x) ** 2, ((2, 3),), name="flipud"),
    Case("flip", lambda x: np.rot90(x, 2) ** 2, ((2, 3),), name="rot90-half"),
    Case("roll", lambda x: np.roll(x, 2) ** 2, ((2, 3),), name="flat"),
    Case("roll", lambda x: np.roll(x, -1, axis=1) ** 2, ((2, 3),), name="axis"),
    Case("roll", lambda x: np.roll(x, (1, 2), axis=(0, -1)) ** 2, ((2, 3, 4),),
         name="tuple"),
]

_PADDING = [
    Case("pad", lambda x: np.pad(x, 1) ** 2, ((2, 3),), name="constant"),
    Case("pad", lambda x: np.pad(x, ((1, 2), (0, 3)), constant_values=1.5) ** 2, ((2, 3),),
         name="per-axis"),
    Case("pad", lambda x: np.pad(x, (2, 1), mode="constant") ** 2, ((3,),), name="pair"),
    Case("getitem", lambda x: np.pad(x, ((1, 2), (2, 0)), mode="edge") ** 2, ((2, 3),),
         name="pad-edge"),
    Case("getitem", lambda x: np.pad(x, ((2, 1), (1, 5)), mode="reflect") ** 2, ((3, 3),),
         name="pad-reflect"),
    Case("getitem", lambda x: np.pad(x, 2, mode="symmetric") ** 2, ((3, 2),),
         name="pad-symmetric"),
    Case("getitem", lambda x: np.pad(x, (4, 1), mode="wrap") ** 2, ((3,),), name="pad-wrap"),
]

_DIAGONALS = [
    Case("triu", lambda x: np.triu(x) ** 2, ((3, 4),), name="square"),
    Case("triu", lambda x: np.triu(x, 1) ** 2, ((2, 3, 3),), name="batched"),
    Case("triu", lambda x: np.triu(x, -1) ** 2, ((3,),), name="vector"),
    Case("tril", lambda x: np.tril(x) ** 2, ((4, 3),), name="square"),
    Case("tril", lambda x: np.tril(x, -1) ** 2, ((2, 3, 3),), name="batched"),
    Case("tril", lambda x: np.tril(x, 1) ** 2, ((3,),), name="vector"),
    Case("trace", lambda x: np.trace(x) ** 2, ((3, 3),), name="square"),
    Case("trace", lambda x: np.trace(x, 1) ** 2, ((3, 4),), name="offset"),
    Case("trace", lambda x: np.trace(x, -1, axis1=-1, axis2=0) ** 2, ((3, 2, 4),),
         name="axes"),
    Case("trace", lambda x: x.trace() * x[0, 1], ((2, 2),), name="method"),
    Case("getitem", lambda x: np.diagonal(x) ** 2, ((3, 4),), name="diagonal"),
    Case("getitem", lambda x: np.diagonal(x, -1) ** 2, ((3, 4),), name="diagonal-offset"),
    Case("getitem", lambda x: np.diagonal(x, 1, axis1=2, axis2=0) ** 2, ((3, 2, 4),),
         name="diagonal-axes"),
    Case("getitem", lambda x: np.diag(x, 1) ** 2, ((3, 4),), name="diag-of-matrix"),
    Case("scatter_add", lambda x: np.diag(x) ** 2, ((3,),), name="diag-of-vector"),
    Case("scatter_add", lambda x: np.diag(x, -2) ** 2, ((3,),), name="diag-offset"),
]

_GATHERING = [
    Case("getitem", lambda x: np.take(x, [0, 2, 2, 5]) ** 2, ((2, 3),), name="take-flat"),
    Case("getitem", lambda x: np.take(x, [[0, 1], [1, 1]], axis=-1) ** 2, ((2, 3),),
         name="take-axis"),
    Case("getitem", lambda x: np.take(x, 1, axis=0) ** 2, ((2, 3),), name="take-scalar"),
    Case("getitem", lambda x: np.take(x, [-1, 4], axis=1, mode="wrap") ** 2, ((2, 3),),
         name="take-wrap"),
    Case("getitem", lambda x: np.take(x, [-1, 4], mode="clip") ** 2, ((2, 3),),
         name="take-clip"),
    Case("getitem", lambda x, i: np.take_along_axis(x, i, axis=1) ** 2,
         ((3, 4), Arg(value=_ORDER)), name="take-along-axis"),
    Case("getitem", lambda x, i: np.take_along_axis(x, i, axis=1) ** 2,
         ((3, 4), Arg(value=_ORDER[:1])), name="take-along-axis-broadcast"),
    Case("getitem", lambda x: np.take_along_axis(x, np.array([3, 0, 0]), axis=None) ** 2,
         ((2, 2),), name="take-along-none"),
]

CASES = (_RESHAPING + _TRANSPOSING + _BROADCASTING + _JOINING + _SPLITTING + _REORDERING
         + _PADDING + _DIAGONALS + _GATHERING)
