"""Conformance cases with complex inputs, and the complex-number primitives.

Cases marked ``complex=True`` are checked through their real split (see
``case.split_complex``); the primitives ``real``, ``imag``, ``conjugate`` and
``angle`` are also checked on real inputs.
"""

import numpy as np

from .case import Arg, Case

POS = Arg((3, 4), 0.5, 2.0)
UNIT = Arg((3, 4), -0.6, 0.6)
BIG = Arg((3, 4), 1.1, 3.0)

_HOLOMORPHIC_UNARY = {
    "negative": (np.negative, (3, 4)), "positive": (np.positive, (3, 4)),
    "square": (np.square, (3, 4)), "sqrt": (np.sqrt, POS), "reciprocal": (np.reciprocal, POS),
    "exp": (np.exp, (3, 4)), "exp2": (np.exp2, (3, 4)), "expm1": (np.expm1, (3, 4)),
    "log": (np.log, POS), "log2": (np.log2, POS), "log10": (np.log10, POS),
    "log1p": (np.log1p, POS), "sin": (np.sin, (3, 4)), "cos": (np.cos, (3, 4)),
    "tan": (np.tan, UNIT), "arcsin": (np.arcsin, UNIT), "arccos": (np.arccos, UNIT),
    "arctan": (np.arctan, UNIT), "sinh": (np.sinh, (3, 4)), "cosh": (np.cosh, (3, 4)),
    "tanh": (np.tanh, UNIT), "arcsinh": (np.arcsinh, UNIT), "arccosh": (np.arccosh, BIG),
    "arctanh": (np.arctanh, UNIT),
}

_HOLOMORPHIC_BINARY = {
    "add": (np.add, (3, 4), (4,)), "subtract": (np.subtract, (3, 1), (1, 4)),
    "multiply": (np.multiply, (2, 3, 4), (3, 1)), "divide": (np.divide, (3, 4), BIG),
    "power": (np.power, POS, Arg((4,), -1.5, 1.5)),
    "float_power": (np.float_power, POS, Arg((3, 1), -1.5, 1.5)),
}

_LINEAR = {"negative", "positive", "add", "subtract", "real", "imag", "conjugate"}

CASES = [Case(name, fn, (arg,), complex=True, linear=name in _LINEAR)
         for name, (fn, arg) in _HOLOMORPHIC_UNARY.items()]
CASES += [Case(name, fn, (a, b), complex=True, linear=name in _LINEAR)
          for name, (fn, a, b) in _HOLOMORPHIC_BINARY.items()]

# Not holomorphic, and defined on real and complex inputs alike.
_PARTS = {
    "real": np.real, "imag": np.imag, "conjugate": np.conj, "absolute": np.abs,
    "angle": np.angle,
}
CASES += [Case(name, fn, (BIG,), complex=True, linear=name in _LINEAR)
          for name, fn in _PARTS.items()]
CASES += [
    Case("real", lambda x: np.real(x) * 2.0, ((3, 4),), name="real-input", linear=True),
    Case("imag", lambda x: np.imag(x * (1 + 2j)), ((3, 4),), name="real-input",
         extra_prims=("multiply",), linear=True),
    Case("conjugate", lambda x: np.abs(np.conj(x * (1 + 2j)) + x), ((3, 4),),
         name="real-input"),
    Case("real", lambda z: z.real * z.imag, (BIG,), name="attributes", complex=True),
    Case("conjugate", lambda z: z.conj() * z, (BIG,), name="method", complex=True),
    Case("angle", lambda x: np.angle(x, deg=True), (BIG,), name="deg", complex=True),
    Case("angle", np.angle, (Arg((3, 4), -2.0, -0.5),), name="real-input"),
]

# Linear and holomorphic primitives beyond the ufuncs.
CASES += [
    Case("sum", lambda z: np.sum(z, axis=0), ((3, 4),), complex=True, linear=True),
    Case("mean", lambda z: np.mean(z, axis=1), ((3, 4),), complex=True, linear=True),
    Case("prod", lambda z: np.prod(z, axis=1), (POS,), complex=True),
    Case("cumsum", lambda z: np.cumsum(z, axis=1), ((3, 4),), complex=True, linear=True),
    Case("cumprod", lambda z: np.cumprod(z, axis=0), (POS,), complex=True),
    Case("var", lambda z: np.var(z, axis=0), ((3, 4),), complex=True),
    Case("std", lambda z: np.std(z), ((3, 4),), complex=True),
    Case("reshape", lambda z: np.reshape(z, (4, 3)) * 1.0, ((3, 4),), complex=True, linear=True),
    Case("transpose", lambda z: z.T @ z, ((3, 4),), complex=True),
    Case("getitem", lambda z: z[1:, ::2], ((3, 4),), complex=True, linear=True),
    Case("concatenate", lambda a, b: np.concatenate([a, b]), ((2, 3), (1, 3)),
         complex=True, linear=True),
    Case("matmul", lambda a, b: a @ b, ((3, 4), (4, 2)), complex=True),
    Case("einsum", lambda a, b: np.einsum("ij,jk->ik", a, b), ((3, 4), (4, 2)),
         complex=True),
    Case("tensordot", lambda a, b: np.tensordot(a, b, 1), ((3, 4), (4, 2)),
         complex=True),
    Case("outer", np.outer, ((3,), (4,)), complex=True),
    Case("trace", lambda a: np.trace(a), ((3, 3),), complex=True, linear=True),
    Case("inv", np.linalg.inv, (Arg((3, 3), 0.5, 2.0),), complex=True),
    Case("solve", np.linalg.solve, (Arg((3, 3), 0.5, 2.0), (3, 2)), complex=True),
    Case("det", np.linalg.det, (Arg((3, 3), 0.5, 2.0),), complex=True),
]
