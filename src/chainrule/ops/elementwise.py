"""Elementwise primitives: NumPy's differentiable ufuncs and their rules.

Each rule is ``vjp(g, ans, *args)`` and is written with NumPy calls, so the
same line runs on arrays for a first derivative and on Tensors for higher ones.
Broadcasting is undone by the engine, never here.
"""

from __future__ import annotations

import numpy as np

from .._core.arrays import surely_false
from .complex import is_complex, real, real_cotangent
from .registry import UFUNCS, defprim, nondifferentiable

LOG2 = float(np.log(2.0))
LOG10 = float(np.log(10.0))


def _ufunc(ufunc, *vjps, reads, name=None):
    """A ufunc primitive. Its Jacobian is diagonal (up to broadcasting), so each
    VJP rule, read with the tangent in place of the cotangent, is its JVP rule.
    ``reads`` is what the rules read from the forward pass, as in ``defvjp``."""
    prim = defprim(ufunc, name or ufunc.__name__)
    prim.defvjp(*vjps, reads=reads)
    prim.defjvp(*vjps)
    prim.defbatch(broadcasts=True)
    UFUNCS[ufunc] = prim
    return prim


def _zero(g, ans, *args):
    return g * 0.0


def _share_of_ties(g, x, y):
    """g where x wins, 0 where it loses, g/2 on a tie: how max/min split a gradient."""
    ties = x == y
    if surely_false(ties):  # the usual case: skip the tie term's passes over the data
        return g * (x > y)
    return g * (x > y) + (0.5 * g) * ties


def _unless_facing_nan(g, share, mine, other, first=True):
    """An operand's ``share`` of g in fmax/fmin, or all of g where the other operand is
    NaN: fmax/fmin return the number, so it alone moves the result. (With both NaN the
    first operand takes g, as in torch.)"""
    facing_nan = np.isnan(other) if first else np.isnan(other) & ~np.isnan(mine)
    if surely_false(facing_nan):  # the usual case: no extra pass over the data
        return share
    return np.where(facing_nan, g, share)


def _unit_conj(x):
    """conj(x) / |x| (0 at 0): the gradient of |x|; sign(x) for real x.

    Written out for complex x rather than as conj(sign(x)): sign's derivative is
    zero, right for real x only, and higher derivatives differentiate this.
    """
    if not is_complex(x):
        return np.sign(x)
    magnitude = np.abs(x)
    return np.where(magnitude == 0, 0.0, np.conj(x) / np.where(magnitude == 0, 1.0, magnitude))


def _safe_log(x):
    """log(x), with 0 where x == 0 (used where it multiplies a zero anyway)."""
    if isinstance(x, (int, float)):  # keep Python numbers weak: float32 stays float32
        return float(np.log(x)) if x else 0.0  # NaN below 0, as NumPy gives
    return np.log(np.where(x == 0, np.ones_like(x), x))


# --- arithmetic --------------------------------------------------------------
add = _ufunc(np.add, lambda g, ans, x, y: g, lambda g, ans, x, y: g, reads=())
subtract = _ufunc(np.subtract, lambda g, ans, x, y: g, lambda g, ans, x, y: -g, reads=())
multiply = _ufunc(np.multiply, lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x, reads="args")
divide = _ufunc(np.true_divide, lambda g, ans, x, y: g / y,
                lambda g, ans, x, y: g * (-ans / y), name="divide", reads=("args", "ans"))
negative = _ufunc(np.negative, lambda g, ans, x: -g, reads=())
positive = _ufunc(np.positive, lambda g, ans, x: g, reads=())
def _lowered(y):
    """y - 1, or 1 where y is 0 (so that y * x ** (y - 1) is 0 there, even at x = 0).

    Python numbers stay Python numbers, so they do not widen float32 data.
    """
    if isinstance(y, (int, float)):
        return y - 1 if y else 1
    return np.where(y, y - 1, np.ones_like(y))


power = _ufunc(np.power,
               lambda g, ans, x, y: g * (y * x ** _lowered(y)),
               lambda g, ans, x, y: g * (ans * _safe_log(x)), reads=("args", "ans"))
float_power = _ufunc(np.float_power,
                     lambda g, ans, x, y: g * (y * np.float_power(x, _lowered(y))),
                     lambda g, ans, x, y: g * (ans * _safe_log(x)), reads=("args", "ans"))
# Each rule multiplies g by one factor computed from the values: when g is a batch
# of tangents (jacfwd, hessian) that is one pass over the batch, not several.
square = _ufunc(np.square, lambda g, ans, x: g * (2.0 * x), reads="args")
sqrt = _ufunc(np.sqrt, lambda g, ans, x: g * (0.5 / ans), reads="ans")
cbrt = _ufunc(np.cbrt, lambda g, ans, x: g / (3.0 * ans ** 2), reads="ans")
reciprocal = _ufunc(np.reciprocal, lambda g, ans, x: g * -(ans ** 2), reads="ans")
absolute = _ufunc(np.absolute, lambda g, ans, x: real_cotangent(g) * _unit_conj(x),
                  name="absolute", reads="args")
# For complex z, |z| is not holomorphic: d|z| = Re(conj(z) dz) / |z|, so the
# forward rule differs from the reverse one (which is g conj(z) / |z|).
absolute.defjvp(lambda t, ans, x: real(_unit_conj(x) * t) if is_complex(x) else t * np.sign(x))
fabs = _ufunc(np.fabs, lambda g, ans, x: g * np.sign(x), reads="args")
mod = _ufunc(np.remainder, lambda g, ans, x, y: g,
             lambda g, ans, x, y: -g * np.floor_divide(x, y), name="remainder", reads="args")
fmod = _ufunc(np.fmod, lambda g, ans, x, y: g,
              lambda g, ans, x, y: -g * np.trunc(x / y), reads="args")

# --- exponentials and logarithms --------------------------------------------
exp = _ufunc(np.exp, lambda g, ans, x: g * ans, reads="ans")
exp2 = _ufunc(np.exp2, lambda g, ans, x: g * (ans * LOG2), reads="ans")
expm1 = _ufunc(np.expm1, lambda g, ans, x: g * (ans + 1.0), reads="ans")
log = _ufunc(np.log, lambda g, ans, x: g / x, reads="args")
log2 = _ufunc(np.log2, lambda g, ans, x: g / (x * LOG2), reads="args")
log10 = _ufunc(np.log10, lambda g, ans, x: g / (x * LOG10), reads="args")
log1p = _ufunc(np.log1p, lambda g, ans, x: g / (1.0 + x), reads="args")

# --- trigonometric and hyperbolic -------------------------------------------
sin = _ufunc(np.sin, lambda g, ans, x: g * np.cos(x), reads="args")
cos = _ufunc(np.cos, lambda g, ans, x: g * -np.sin(x), reads="args")
tan = _ufunc(np.tan, lambda g, ans, x: g * (1.0 + ans ** 2), reads="ans")
arcsin = _ufunc(np.arcsin, lambda g, ans, x: g / np.sqrt(1.0 - x ** 2), reads="args")
arccos = _ufunc(np.arccos, lambda g, ans, x: -g / np.sqrt(1.0 - x ** 2), reads="args")
arctan = _ufunc(np.arctan, lambda g, ans, x: g / (1.0 + x ** 2), reads="args")
sinh = _ufunc(np.sinh, lambda g, ans, x: g * np.cosh(x), reads="args")
cosh = _ufunc(np.cosh, lambda g, ans, x: g * np.sinh(x), reads="args")
tanh = _ufunc(np.tanh, lambda g, ans, x: g * (1.0 - ans ** 2), reads="ans")
arcsinh = _ufunc(np.arcsinh, lambda g, ans, x: g / np.sqrt(x ** 2 + 1.0), reads="args")
arccosh = _ufunc(np.arccosh, lambda g, ans, x: g / np.sqrt(x ** 2 - 1.0), reads="args")
arctanh = _ufunc(np.arctanh, lambda g, ans, x: g / (1.0 - x ** 2), reads="args")
arctan2 = _ufunc(np.arctan2, lambda g, ans, y, x: g * x / (x ** 2 + y ** 2),
                 lambda g, ans, y, x: -g * y / (x ** 2 + y ** 2), reads="args")
hypot = _ufunc(np.hypot, lambda g, ans, x, y: g * (x / ans), lambda g, ans, x, y: g * (y / ans),
               reads=("args", "ans"))
deg2rad = _ufunc(np.deg2rad, lambda g, ans, x: g * (np.pi / 180.0), reads=())
rad2deg = _ufunc(np.rad2deg, lambda g, ans, x: g * (180.0 / np.pi), reads=())

# --- piecewise ---------------------------------------------------------------
maximum = _ufunc(np.maximum, lambda g, ans, x, y: _share_of_ties(g, x, y),
                 lambda g, ans, x, y: _share_of_ties(g, y, x), reads="args")
minimum = _ufunc(np.minimum, lambda g, ans, x, y: _share_of_ties(g, y, x),
                 lambda g, ans, x, y: _share_of_ties(g, x, y), reads="args")
fmax = _ufunc(np.fmax, lambda g, ans, x, y: _unless_facing_nan(g, _share_of_ties(g, x, y), x, y),
              lambda g, ans, x, y: _unless_facing_nan(g, _share_of_ties(g, y, x), y, x, False),
              reads="args")
fmin = _ufunc(np.fmin, lambda g, ans, x, y: _unless_facing_nan(g, _share_of_ties(g, y, x), x, y),
              lambda g, ans, x, y: _unless_facing_nan(g, _share_of_ties(g, x, y), y, x, False),
              reads="args")
copysign = _ufunc(np.copysign, lambda g, ans, x, y: g * np.sign(x) * np.sign(ans),
                  _zero, reads=("args", "ans"))
ldexp = _ufunc(np.ldexp, lambda g, ans, x, i: np.ldexp(g, i), None, reads="args")
# Piecewise constant: derivative zero wherever it exists.
floor = _ufunc(np.floor, _zero, reads=())
ceil = _ufunc(np.ceil, _zero, reads=())
trunc = _ufunc(np.trunc, _zero, reads=())
rint = _ufunc(np.rint, _zero, reads=())
sign = _ufunc(np.sign, _zero, reads=())
floor_divide = _ufunc(np.floor_divide, _zero, _zero, reads=())
heaviside = _ufunc(np.heaviside, _zero, lambda g, ans, x, y: g * (x == 0), reads="args")

nondifferentiable(
    np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal,
    np.logical_and, np.logical_or, np.logical_xor, np.logical_not, np.isfinite,
    np.isinf, np.isnan, np.signbit, np.bitwise_and, np.bitwise_or, np.bitwise_xor,
    np.invert, np.left_shift, np.right_shift, np.gcd, np.lcm, np.isnat, np.spacing,
    np.nextafter,
)
