"""Conformance cases for products: matmul, dot, inner, outer, vdot, tensordot, einsum,
kron and cross."""

import numpy as np

from chainrule.ops.products import embed_diagonal

from .case import Arg, Case

# Values away from zero keep the relative tolerance meaningful for sums of products.
POS = Arg((3,), 0.5, 2.0)

_MATMUL = {
    "1d-1d": ((4,), (4,)),
    "2d-2d": ((3, 4), (4, 2)),
    "1d-2d": ((3,), (3, 4)),
    "2d-1d": ((3, 4), (4,)),
    "batched": ((2, 3, 4), (2, 4, 5)),
    "broadcast-batch": ((2, 1, 3, 4), (5, 4, 2)),
    "batch-2d": ((2, 3, 4), (4, 2)),
    "2d-batch": ((3, 4), (2, 4, 2)),
    "1d-batch": ((4,), (2, 4, 3)),
    "batch-1d": ((2, 3, 4), (4,)),
}

_DOT = {
    "scalar": ((), (3, 2)),
    "1d-1d": ((4,), (4,)),
    "2d-2d": ((3, 4), (4, 2)),
    "nd-1d": ((2, 3, 4), (4,)),
    "nd-2d": ((2, 3, 4), (4, 2)),
    "nd-nd": ((2, 3, 4), (5, 4, 2)),
    "1d-nd": ((3,), (2, 3, 4)),
}

_INNER = {
    "scalar": ((3,), ()),
    "1d-1d": ((4,), (4,)),
    "2d-1d": ((3, 4), (4,)),
    "2d-2d": ((3, 4), (2, 4)),
    "nd-nd": ((2, 3, 4), (5, 4)),
}

_TENSORDOT = {
    "int-2": ((2, 3, 4), (3, 4, 5), 2),
    "int-0": ((2, 3), (4,), 0),
    "int-1": ((3, 4), (4, 2), 1),
    "pairs": ((2, 3, 4), (4, 5, 3), ([1, 2], [2, 0])),
    "pairs-crossed": ((3, 4, 2), (2, 3), ([2, 0], [0, 1])),
    "negative-axes": ((3, 4, 2), (4, 5), ([-2], [0])),
    "all": ((3, 4), (3, 4), ([0, 1], [0, 1])),
}

_EINSUM = {
    "sum": ("ij->", ((3, 4),)),
    "transpose": ("ij->ji", ((3, 4),)),
    "trace": ("ii->", ((3, 3),)),
    "diagonal": ("ii->i", ((3, 3),)),
    "implicit-trace": ("ii", ((3, 3),)),
    "diagonal-3d": ("iji->ij", ((3, 2, 3),)),
    "row-sums": ("ij->i", ((3, 4),)),
    "matmul": ("ij,jk->ik", ((3, 4), (4, 2))),
    "implicit-matmul": ("ij,jk", ((3, 4), (4, 2))),
    "implicit-order": ("ba,ac", ((3, 4), (4, 2))),
    "outer": ("i,j->ij", ((3,), (4,))),
    "dot": ("i,i->", ((4,), (4,))),
    "hadamard": ("ij,ij->ij", ((3, 4), (3, 4))),
    "broadcast": ("ij,ij->ij", ((1, 4), (3, 4))),
    "lonely-index": ("ij,k->ik", ((3, 4), (2,))),
    "diag-times": ("ii,i->i", ((3, 3), (3,))),
    "bilinear": ("i,ij,j->", ((3,), (3, 4), (4,))),
    "three": ("ij,jk,kl->il", ((2, 3), (3, 4), (4, 2))),
    "three-shared": ("bi,bij,bj->b", ((2, 3), (2, 3, 4), (2, 4))),
    "ellipsis-batch": ("...ij,...jk->...ik", ((2, 3, 4), (2, 4, 5))),
    "ellipsis-broadcast": ("...ij,...jk->...ik", ((2, 3, 4), (4, 5))),
    "ellipsis-implicit": ("...ij,jk", ((2, 3, 4), (4, 5))),
    "ellipsis-front": ("i...->...", ((3, 2, 4),)),
    "ellipsis-diagonal": ("...ii->...i", ((2, 3, 3),)),
}

_KRON = {
    "1d": ((3,), (2,)),
    "2d": ((2, 3), (2, 2)),
    "mixed-ndim": ((2,), (3, 2)),
    "3d-2d": ((2, 1, 2), (2, 3)),
}

_CROSS = {
    "vectors": ((3,), (3,)),
    "batch": ((4, 3), (4, 3)),
    "broadcast": ((2, 1, 3), (4, 3)),
}

CASES = [Case("matmul", np.matmul, shapes, name=name) for name, shapes in _MATMUL.items()]
CASES += [
    Case("matmul", lambda a, b: a @ b, ((3, 4), (4, 2)), name="operator"),
    Case("matmul", lambda a: a.T @ a, ((4, 3),), name="gram"),
    Case("matmul", lambda a, b: np.tanh(a @ b) @ b.T, ((2, 3), (3, 3)), name="chain"),
]
CASES += [Case("matmul", np.dot, shapes, name=f"dot-{name}")
          for name, shapes in _DOT.items() if name in ("1d-1d", "2d-2d", "nd-1d", "nd-2d")]
CASES += [
    Case("multiply", np.dot, _DOT["scalar"], name="dot-scalar"),
    Case("tensordot", np.dot, _DOT["nd-nd"], name="dot-nd-nd"),
    Case("tensordot", np.dot, _DOT["1d-nd"], name="dot-1d-nd"),
    Case("matmul", lambda a, b: a.dot(b), ((3, 4), (4,)), name="dot-method"),
    Case("multiply", np.inner, _INNER["scalar"], name="inner-scalar"),
    Case("matmul", np.inner, _INNER["1d-1d"], name="inner-1d-1d"),
    Case("matmul", np.inner, _INNER["2d-1d"], name="inner-2d-1d"),
    Case("tensordot", np.inner, _INNER["2d-2d"], name="inner-2d-2d"),
    Case("tensordot", np.inner, _INNER["nd-nd"], name="inner-nd-nd"),
    Case("matmul", np.vdot, ((5,), (5,)), name="vdot"),
    Case("matmul", np.vdot, ((2, 3), (3, 2)), name="vdot-2d"),
    Case("matmul", lambda a: np.vdot(a, a), ((2, 3),), name="vdot-square"),
    Case("outer", np.outer, ((3,), (4,)), name="1d"),
    Case("outer", np.outer, ((2, 2), (3,)), name="ravelled"),
    Case("outer", lambda a: np.outer(a, a) * a, ((3,),), name="square"),
]
CASES += [Case("tensordot", lambda a, b, axes=axes: np.tensordot(a, b, axes), (sa, sb),
               name=name) for name, (sa, sb, axes) in _TENSORDOT.items()]
CASES += [Case("tensordot", lambda a: np.tensordot(a, a, 1), ((3, 3),), name="square")]
# An einsum of one operand is linear in it.
CASES += [Case("einsum", lambda *ops, s=s: np.einsum(s, *ops), shapes, name=name,
               linear=len(shapes) == 1)
          for name, (s, shapes) in _EINSUM.items()]
CASES += [
    Case("einsum", lambda a, b: np.einsum("ij,jk->ik", a, b, optimize=True),
         ((3, 4), (4, 2)), name="optimize"),
    Case("einsum", lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c, optimize="greedy"),
         ((2, 3), (3, 4), (4, 2)), name="optimize-three"),
    Case("einsum", lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]),
         ((3, 4), (4, 2)), name="interleaved"),
    Case("einsum", lambda a: np.einsum("ij,jk->ik", a, a), ((3, 3),), name="same-operand"),
    Case("einsum", lambda a: np.einsum("ii,i->", a, a[0]),
         ((3, 3),), name="trace-times-row"),
    Case("embed_diagonal", lambda h: embed_diagonal(h, labels="ii") * 2.0, ((3,),), linear=True),
    Case("embed_diagonal", lambda h: embed_diagonal(h, labels="iji"), ((3, 2),),
         name="3d", linear=True),
]
CASES += [Case("kron", np.kron, shapes, name=name) for name, shapes in _KRON.items()]
CASES += [Case("kron", lambda a: np.kron(a, a), ((2, 2),), name="square")]
CASES += [Case("cross", np.cross, shapes, name=name) for name, shapes in _CROSS.items()]
CASES += [
    Case("cross", lambda a, b: np.cross(a, b, axis=0), ((3, 4), (3, 4)), name="axis-0"),
    Case("cross", lambda a: np.cross(a, a[::-1]), ((3,),), name="same"),
    Case("cross", lambda a, b: np.cross(a, b) * a, (POS, (3,)), name="times"),
]
