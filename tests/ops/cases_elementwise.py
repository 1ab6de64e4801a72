"""Conformance cases for the elementwise primitives (NumPy ufuncs)."""

import numpy as np

from .case import Arg, Case

POS = Arg((3, 4), 0.5, 2.0)
UNIT = Arg((3, 4), -0.9, 0.9)
BIG = Arg((3, 4), 1.1, 3.0)

_UNARY = {
    "negative": (np.negative, (3, 4)), "positive": (np.positive, (3, 4)),
    "square": (np.square, (3, 4)), "sqrt": (np.sqrt, POS), "cbrt": (np.cbrt, POS),
    "reciprocal": (np.reciprocal, POS), "absolute": (np.abs, BIG), "fabs": (np.fabs, BIG),
    "exp": (np.exp, (3, 4)), "exp2": (np.exp2, (3, 4)), "expm1": (np.expm1, (3, 4)),
    "log": (np.log, POS), "log2": (np.log2, POS), "log10": (np.log10, POS),
    "log1p": (np.log1p, POS), "sin": (np.sin, (3, 4)), "cos": (np.cos, (3, 4)),
    "tan": (np.tan, UNIT), "arcsin": (np.arcsin, UNIT), "arccos": (np.arccos, UNIT),
    "arctan": (np.arctan, (3, 4)), "sinh": (np.sinh, (3, 4)), "cosh": (np.cosh, (3, 4)),
    "tanh": (np.tanh, (3, 4)), "arcsinh": (np.arcsinh, (3, 4)),
    "arccosh": (np.arccosh, BIG), "arctanh": (np.arctanh, UNIT),
    "deg2rad": (np.deg2rad, (3, 4)), "rad2deg": (np.rad2deg, (3, 4)),
    "floor": (np.floor, Arg((3, 4), 0.1, 0.9)), "ceil": (np.ceil, Arg((3, 4), 0.1, 0.9)),
    "trunc": (np.trunc, Arg((3, 4), 0.1, 0.9)), "rint": (np.rint, Arg((3, 4), 0.1, 0.4)),
    "sign": (np.sign, BIG),
}

_BINARY = {
    "add": (np.add, (3, 4), (4,)), "subtract": (np.subtract, (3, 1), (1, 4)),
    "multiply": (np.multiply, (2, 3, 4), (3, 1)), "divide": (np.divide, (3, 4), BIG),
    "power": (np.power, POS, Arg((4,), -1.5, 1.5)),
    "float_power": (np.float_power, POS, Arg((3, 1), -1.5, 1.5)),
    "remainder": (np.remainder, Arg((3, 4), 0.1, 0.9), Arg((4,), 1.5, 2.0)),
    "fmod": (np.fmod, Arg((3, 4), 0.1, 0.9), Arg((4,), 1.5, 2.0)),
    "logaddexp": (np.logaddexp, (3, 4), (4,)), "logaddexp2": (np.logaddexp2, (3, 4), (3, 1)),
    "arctan2": (np.arctan2, (3, 4), BIG), "hypot": (np.hypot, POS, (4,)),
    "maximum": (np.maximum, (3, 4), (4,)), "minimum": (np.minimum, (3, 4), (3, 1)),
    "fmax": (np.fmax, (3, 4), (4,)), "fmin": (np.fmin, (3, 4), (4,)),
    "copysign": (np.copysign, BIG, (3, 4)),
    "floor_divide": (np.floor_divide, Arg((3, 4), 0.1, 0.9), Arg((4,), 1.5, 2.0)),
    "heaviside": (np.heaviside, BIG, (3, 4)),
}

# Linear or piecewise linear: no second derivative to check.
_LINEAR = {"negative", "positive", "deg2rad", "rad2deg", "floor", "ceil", "trunc", "rint",
           "sign", "add", "subtract", "maximum", "minimum", "fmax", "fmin", "floor_divide",
           "heaviside"}

CASES = [Case(name, fn, (arg,), linear=name in _LINEAR) for name, (fn, arg) in _UNARY.items()]
CASES += [Case(name, fn, (a, b), linear=name in _LINEAR)
          for name, (fn, a, b) in _BINARY.items()]
CASES += [
    Case("add", lambda x: x + 1.5, ((2, 3),), name="scalar", linear=True),
    Case("multiply", lambda x: 2.0 * x * x, ((5,),), name="reflected-square"),
    Case("divide", lambda x: 1.0 / x, (POS,), name="reflected"),
    Case("subtract", lambda x: 3.0 - x, ((3,),), name="reflected", linear=True),
    Case("power", lambda x: x ** 3, ((3, 4),), name="int-exponent"),
    Case("power", lambda x: 2.0 ** x, ((3, 4),), name="reflected"),
    Case("power", lambda x: x ** 0.5, (POS,), name="sqrt"),
    Case("multiply", lambda x, y: x * y, ((), (3, 4)), name="0d-broadcast"),
    Case("ldexp", lambda x: np.ldexp(x, np.array([1, 2, -1, 0])), ((3, 4),), linear=True),
    Case("multiply", lambda x: np.multiply(x, x), ((3,),), name="same-input"),
]
