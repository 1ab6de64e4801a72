"""``scipy.special`` with derivatives.

Each function here is a chainrule primitive (or is built from them) and takes
plain arrays and Tensors alike. Importing this module also routes SciPy's own
ufuncs to these primitives, so ``scipy.special.gammaln(t)`` on a Tensor is
differentiable as well. (That registration happens on ``import
chainrule.scipy``, never on ``import chainrule``, which must not import SciPy.)

The rules are written with these primitives and NumPy calls, so they work at
every order: the derivative of ``gammaln`` is ``digamma``, whose derivative is
``polygamma(1, x)``, and so on.

Arguments that are orders or counts (``n`` of ``polygamma``, ``v`` of the
Bessel functions, ``d`` of ``multigammaln``) are not differentiable. The shape
parameters of the regularised incomplete functions (``a`` of
``gammainc``/``gammaincc``, ``a, b`` of ``betainc``, ``df`` of ``stdtr``) are
differentiable: their derivatives are integrals, computed by tanh-sinh quadrature
(relative accuracy about 1e-10 for shape parameters between 0.02 and 2000).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import scipy.special as _sp

from .._core.primitive import strip
from ..ops.reductions import logsumexp as _logsumexp_reduction
from ..ops.registry import UFUNCS, defprim, nondifferentiable

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_HALF_SQRT_PI = 0.5 * math.sqrt(math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_LOG_PI = math.log(math.pi)

__all__ = [
    "beta", "betainc", "betaln", "digamma", "erf", "erfc", "erfcinv", "erfinv", "expit",
    "gamma", "gammainc", "gammaincc", "gammaln", "gammasgn", "i0", "i0e", "i1", "i1e", "iv",
    "ive", "j0", "j1", "jn", "jv", "kv", "log_expit", "log_ndtr", "log_softmax", "logit",
    "logsumexp", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "rgamma", "softmax",
    "stdtr", "xlog1py", "xlogy", "y0", "y1", "yn",
]


def _elementwise(fun, name: str, *rules, ufunc=None):
    """A primitive acting entry by entry, with one rule per argument.

    Its Jacobian is diagonal (up to broadcasting), so each VJP rule, read with a
    tangent in place of the cotangent, is also its JVP rule. ``ufunc`` is the
    SciPy ufunc to route to it from ``Tensor.__array_ufunc__``.
    """
    prim = defprim(fun, name)
    prim.defvjp(*rules)
    prim.defjvp(*rules)
    prim.batch_safe = True
    if ufunc is not None:
        UFUNCS[ufunc] = prim
    return prim


def _promoting(ufunc):
    """``ufunc`` with NumPy's promotion of Python numbers: they do not widen float32.

    Some of SciPy's ufuncs of several arguments pick their float64 loop for
    ``(0.5, float32 array)``; the result is cast back to what NumPy would give.
    """

    def forward(*args):
        out = ufunc(*args)
        expected = np.result_type(*args)
        if expected.kind == "f" and out.dtype != expected:
            return out.astype(expected)
        return out

    forward.__name__ = ufunc.__name__
    forward.__doc__ = ufunc.__doc__
    return forward


def _float_dtype(x) -> np.dtype:
    """The floating dtype a result computed from ``x`` should have."""
    dtype = np.result_type(x)
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def _log(x):
    """``log(x)``, keeping Python numbers Python numbers (so float32 stays float32)."""
    if isinstance(x, (int, float)):
        return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)
    return np.log(x)


def _log1p(x):
    if isinstance(x, (int, float)):
        return math.log1p(x) if x > -1 else (-math.inf if x == -1 else math.nan)
    return np.log1p(x)


def _nonzero(x):
    """``x`` with its zeros replaced by ones: a safe divisor where the quotient is unused."""
    if isinstance(x, (int, float)):
        return x or 1
    return np.where(x == 0, np.ones_like(x), x)


# --- the gamma function and its relatives ------------------------------------------------
def _polygamma(n, x):
    """``polygamma(n, x)``: the n-th derivative of digamma (``n`` is not differentiable)."""
    return np.asarray(_sp.polygamma(n, x), dtype=_float_dtype(x))


gammaln = _elementwise(_sp.gammaln, "gammaln", lambda g, ans, x: g * digamma(x),
                       ufunc=_sp.gammaln)
gamma = _elementwise(_sp.gamma, "gamma", lambda g, ans, x: g * ans * digamma(x),
                     ufunc=_sp.gamma)
rgamma = _elementwise(_sp.rgamma, "rgamma", lambda g, ans, x: -g * ans * digamma(x),
                      ufunc=_sp.rgamma)
digamma = _elementwise(_sp.digamma, "digamma", lambda g, ans, x: g * polygamma(1, x),
                       ufunc=_sp.digamma)
psi = digamma
polygamma = _elementwise(_polygamma, "polygamma", None,
                         lambda g, ans, n, x: g * polygamma(n + 1, x))
betaln = _elementwise(_promoting(_sp.betaln), "betaln",
                      lambda g, ans, a, b: g * (digamma(a) - digamma(a + b)),
                      lambda g, ans, a, b: g * (digamma(b) - digamma(a + b)),
                      ufunc=_sp.betaln)
beta = _elementwise(_promoting(_sp.beta), "beta",
                    lambda g, ans, a, b: g * ans * (digamma(a) - digamma(a + b)),
                    lambda g, ans, a, b: g * ans * (digamma(b) - digamma(a + b)),
                    ufunc=_sp.beta)
nondifferentiable(_sp.gammasgn)
gammasgn = _sp.gammasgn


def multigammaln(a, d: int):
    """Log of the multivariate gamma function of dimension ``d``, differentiable in ``a``."""
    if np.any(np.asarray(strip(a)) <= 0.5 * (d - 1)):
        raise ValueError(f"multigammaln: every entry of a must be > (d - 1) / 2 = {(d - 1) / 2}")
    total = gammaln(a)
    for j in range(1, d):
        total = total + gammaln(a - 0.5 * j)
    return total + 0.25 * d * (d - 1) * _LOG_PI


# --- incomplete gamma and beta --------------------------------------------------------------
def _gamma_density(a, x):
    """d/dx of the regularised lower incomplete gamma function P(a, x)."""
    return np.exp(xlogy(a - 1, x) - x - gammaln(a))


def _beta_density(a, b, x):
    """d/dx of the regularised incomplete beta function I_x(a, b)."""
    return np.exp(xlogy(a - 1, x) + xlog1py(b - 1, -x) - betaln(a, b))


def _student_t_density(df, t):
    """d/dt of Student's t distribution function with ``df`` degrees of freedom."""
    half = 0.5 * (df + 1)
    return np.exp(gammaln(half) - gammaln(0.5 * df) - 0.5 * np.log(np.pi * df)
                  - half * np.log1p(t * t / df))


def _student_t_df_slope(df, t):
    """d/d(df) of Student's t distribution function, through the incomplete beta function.

    For t < 0 the function is ``I_w(df/2, 1/2) / 2`` with ``w = df / (df + t**2)``,
    and ``1 -`` that for t > 0; at t = 0 it is 1/2 for every df.
    """
    plain = strip(t)
    at_zero = plain == 0
    if np.any(at_zero):
        t = np.where(at_zero, 1, t)
    square = t * t
    w = df / (df + square)
    half_slope = 0.5 * (_beta_density(0.5 * df, 0.5, w) * square / (df + square) ** 2
                        + 0.5 * _incomplete_beta_slope(0.5 * df, 0.5, w, "a"))
    slope = np.where(plain < 0, half_slope, -half_slope)
    return np.where(at_zero, 0, slope) if np.any(at_zero) else slope


gammainc = _elementwise(_promoting(_sp.gammainc), "gammainc",
                        lambda g, ans, a, x: g * _incomplete_gamma_slope(a, x),
                        lambda g, ans, a, x: g * _gamma_density(a, x), ufunc=_sp.gammainc)
gammaincc = _elementwise(_promoting(_sp.gammaincc), "gammaincc",
                         lambda g, ans, a, x: -g * _incomplete_gamma_slope(a, x),
                         lambda g, ans, a, x: -g * _gamma_density(a, x), ufunc=_sp.gammaincc)
betainc = _elementwise(_promoting(_sp.betainc), "betainc",
                       lambda g, ans, a, b, x: g * _incomplete_beta_slope(a, b, x, "a"),
                       lambda g, ans, a, b, x: g * _incomplete_beta_slope(a, b, x, "b"),
                       lambda g, ans, a, b, x: g * _beta_density(a, b, x), ufunc=_sp.betainc)
stdtr = _elementwise(_promoting(_sp.stdtr), "stdtr",
                     lambda g, ans, df, t: g * _student_t_df_slope(df, t),
                     lambda g, ans, df, t: g * _student_t_density(df, t), ufunc=_sp.stdtr)


# --- their derivatives in the shape parameters, by quadrature ---------------------------------
# d/da of P(a, x) is the integral of d/da of the gamma density up to x; that of the
# beta function likewise. Tanh-sinh quadrature of the nearer tail (the two tails'
# integrals sum to 0) is accurate to about 1e-10 for shape parameters from 0.02 to
# about 2000, and, being written with chainrule operations, differentiable again.
_QUADRATURE_STEP = 1 / 16


def _tanh_sinh(dtype: np.dtype, smallest_exponent):
    """Tanh-sinh nodes ``u`` on (0, 1) as logs: ``log u``, ``log(1 - u)``, ``log weight``.

    They reach as close to 0 and 1 as an integrand behaving like ``u ** (e - 1)``
    there needs, for the smallest exponent ``e`` in use (many nodes for small ones).
    """
    smallest = float(np.min(smallest_exponent, initial=np.inf))
    reach = math.asinh(40.0 / (math.pi * smallest)) if smallest > 0 else 7.5
    return _tanh_sinh_nodes(np.dtype(dtype), min(7.5, max(3.5, math.ceil(2 * reach) / 2)))


@functools.lru_cache(maxsize=32)
def _tanh_sinh_nodes(dtype: np.dtype, reach: float):
    s = np.arange(-reach, reach + _QUADRATURE_STEP / 2, _QUADRATURE_STEP)
    z = np.pi * np.sinh(s)
    log_u = -np.logaddexp(0.0, -z)
    log_rest = -np.logaddexp(0.0, z)
    log_weight = np.log(_QUADRATURE_STEP * np.pi * np.cosh(s)) + log_u + log_rest
    return tuple(v.astype(dtype) for v in (log_u, log_rest, log_weight))


def _column(x, dtype):
    """``x`` with a trailing axis, along which the quadrature nodes run (numbers as ``dtype``)."""
    return np.expand_dims(x if hasattr(x, "dtype") else np.asarray(x, dtype), -1)


def _incomplete_gamma_slope(a, x):
    """d/da of P(a, x): the integral of (log t - digamma(a)) times the gamma density.

    Below x (t = x u) where x < a, minus the integral above x (t = x + c u / (1 - u))
    elsewhere; each branch is evaluated only at points where it is finite, so that
    the branch ``where`` does not use cannot spoil gradients with NaN.
    """
    dtype = _float_dtype(np.result_type(strip(a), strip(x)))
    a_plain, x_plain = np.broadcast_arrays(np.asarray(strip(a), dtype),
                                           np.asarray(strip(x), dtype))
    log_u, log_rest, log_weight = _tanh_sinh(dtype, a_plain)
    below = x_plain < a_plain
    inside = x_plain > 0
    a = _column(a, dtype)
    log_gamma, psi = gammaln(a), digamma(a)
    total = 0
    if np.any(below & inside):
        x_low = _column(np.where(below & inside, x, 0.5 * a_plain), dtype)
        log_t = np.log(x_low) + log_u
        terms = (log_t - psi) * np.exp(log_weight + a * log_t - np.exp(log_t) - log_gamma - log_u)
        total = np.where(below, np.sum(terms, axis=-1), total)
    if not np.all(below):
        x_high = _column(np.where(below, a_plain + 1, x), dtype)
        scale = 1 + np.sqrt(_column(a_plain, dtype))  # any positive scale: a change of variable
        stretch = np.exp(np.minimum(log_u - log_rest, 0.5 * np.log(np.finfo(dtype).max)))
        t = x_high + scale * stretch
        log_t = np.log(t)
        terms = (log_t - psi) * np.exp(log_weight + np.log(scale) - 2 * log_rest
                                       + (a - 1) * log_t - t - log_gamma)
        total = np.where(below, total, -np.sum(terms, axis=-1))
    return np.where(inside, total, 0) if not np.all(inside) else total


def _incomplete_beta_slope(a, b, x, wrt: str):
    """d/da (``wrt="a"``) or d/db of I_x(a, b), by quadrature of the density's derivative.

    Below x (t = x u) where x is below the mean, minus the integral above x
    (1 - t = (1 - x) u) elsewhere; 0 at x = 0 and x = 1.
    """
    dtype = _float_dtype(np.result_type(strip(a), strip(b), strip(x)))
    a_plain, b_plain, x_plain = np.broadcast_arrays(
        *(np.asarray(strip(v), dtype) for v in (a, b, x)))
    log_u, _, log_weight = _tanh_sinh(dtype, np.minimum(a_plain, b_plain))
    mean = a_plain / (a_plain + b_plain)
    below = x_plain < mean
    inside = (x_plain > 0) & (x_plain < 1)
    a, b = _column(a, dtype), _column(b, dtype)
    log_beta, psi_sum = betaln(a, b), digamma(a + b)
    shift = (digamma(a) if wrt == "a" else digamma(b)) - psi_sum

    def integral(log_t, log_s, log_length):
        """Sum over nodes of (d log density) * density * dt, with log t and log(1 - t)."""
        slope = (log_t if wrt == "a" else log_s) - shift
        return np.sum(slope * np.exp(log_weight + log_length + (a - 1) * log_t
                                     + (b - 1) * log_s - log_beta), axis=-1)

    total = 0
    if np.any(below & inside):
        x_low = _column(np.where(below & inside, x, 0.5 * mean), dtype)
        u = np.exp(log_u)
        total = np.where(below, integral(np.log(x_low) + log_u, np.log1p(-x_low * u),
                                         np.log(x_low)), total)
    if np.any(~below & inside):
        rest = 1 - _column(np.where(~below & inside, x, 0.5 * (1 + mean)), dtype)
        u = np.exp(log_u)
        total = np.where(below, total, -integral(np.log1p(-rest * u), np.log(rest) + log_u,
                                                 np.log(rest)))
    return np.where(inside, total, 0) if not np.all(inside) else total

# --- error functions and the normal distribution -------------------------------------------
erf = _elementwise(_sp.erf, "erf", lambda g, ans, x: g * _TWO_OVER_SQRT_PI * np.exp(-x * x),
                   ufunc=_sp.erf)
erfc = _elementwise(_sp.erfc, "erfc",
                    lambda g, ans, x: -g * _TWO_OVER_SQRT_PI * np.exp(-x * x), ufunc=_sp.erfc)
erfinv = _elementwise(_sp.erfinv, "erfinv",
                      lambda g, ans, y: g * _HALF_SQRT_PI * np.exp(ans * ans), ufunc=_sp.erfinv)
erfcinv = _elementwise(_sp.erfcinv, "erfcinv",
                       lambda g, ans, y: -g * _HALF_SQRT_PI * np.exp(ans * ans),
                       ufunc=_sp.erfcinv)
ndtr = _elementwise(_sp.ndtr, "ndtr", lambda g, ans, x: g * _INV_SQRT_2PI * np.exp(-0.5 * x * x),
                    ufunc=_sp.ndtr)
# pdf / cdf as exp(log pdf - log cdf): no underflow far in the left tail.
log_ndtr = _elementwise(_sp.log_ndtr, "log_ndtr",
                        lambda g, ans, x: g * _INV_SQRT_2PI * np.exp(-0.5 * x * x - ans),
                        ufunc=_sp.log_ndtr)
ndtri = _elementwise(_sp.ndtri, "ndtri", lambda g, ans, p: g * _SQRT_2PI * np.exp(0.5 * ans * ans),
                     ufunc=_sp.ndtri)

# --- logistic functions and x log y ---------------------------------------------------------
expit = _elementwise(_sp.expit, "expit", lambda g, ans, x: g * ans * (1 - ans), ufunc=_sp.expit)
log_expit = _elementwise(_sp.log_expit, "log_expit", lambda g, ans, x: g * expit(-x),
                         ufunc=_sp.log_expit)
logit = _elementwise(_sp.logit, "logit", lambda g, ans, p: g / (p * (1 - p)), ufunc=_sp.logit)
# Where x == 0 the function is 0 for every y, so its y-derivative is 0 (not 0/0).
xlogy = _elementwise(_promoting(_sp.xlogy), "xlogy", lambda g, ans, x, y: g * _log(y),
                     lambda g, ans, x, y: g * x / _nonzero_where_x(x, y), ufunc=_sp.xlogy)
xlog1py = _elementwise(_promoting(_sp.xlog1py), "xlog1py", lambda g, ans, x, y: g * _log1p(y),
                       lambda g, ans, x, y: g * x / _nonzero_where_x(x, 1 + y),
                       ufunc=_sp.xlog1py)


def _nonzero_where_x(x, divisor):
    """``divisor``, with ones wherever ``x`` is 0 (where ``x / divisor`` must be 0)."""
    if isinstance(x, (int, float)):
        return divisor if x else 1
    return np.where(x == 0, 1, divisor)


# --- Bessel functions ------------------------------------------------------------------------
def _i1_slope(x):
    """d/dx i1(x) = i0(x) - i1(x) / x, whose limit at 0 is 1/2."""
    return np.where(x == 0, 0.5, i0(x) - i1(x) / _nonzero(x))


def _i1e_slope(x, ans):
    """d/dx i1e(x) = i0e(x) - i1e(x) / x - sign(x) i1e(x), whose limit at 0 is 1/2."""
    return np.where(x == 0, 0.5, i0e(x) - ans / _nonzero(x)) - np.sign(x) * ans


i0 = _elementwise(_sp.i0, "i0", lambda g, ans, x: g * i1(x), ufunc=_sp.i0)
i1 = _elementwise(_sp.i1, "i1", lambda g, ans, x: g * _i1_slope(x), ufunc=_sp.i1)
i0e = _elementwise(_sp.i0e, "i0e", lambda g, ans, x: g * (i1e(x) - np.sign(x) * ans),
                   ufunc=_sp.i0e)
i1e = _elementwise(_sp.i1e, "i1e", lambda g, ans, x: g * _i1e_slope(x, ans), ufunc=_sp.i1e)
j0 = _elementwise(_sp.j0, "j0", lambda g, ans, x: -g * j1(x), ufunc=_sp.j0)
j1 = _elementwise(_sp.j1, "j1", lambda g, ans, x: g * 0.5 * (j0(x) - jv(2, x)), ufunc=_sp.j1)
y0 = _elementwise(_sp.y0, "y0", lambda g, ans, x: -g * y1(x), ufunc=_sp.y0)
y1 = _elementwise(_sp.y1, "y1", lambda g, ans, x: g * 0.5 * (y0(x) - yn(2, x)), ufunc=_sp.y1)
# Bessel functions of order v: derivatives in x only (v is not differentiable).
jv = _elementwise(_promoting(_sp.jv), "jv", None,
                  lambda g, ans, v, x: g * 0.5 * (jv(v - 1, x) - jv(v + 1, x)), ufunc=_sp.jv)
jn = jv  # scipy.special.jn is jv
def _yn(n, x):
    # SciPy picks its (integer n, float64 x) loop for integer orders: keep x's dtype.
    return np.asarray(_sp.yn(n, x)).astype(_float_dtype(x), copy=False)


yn = _elementwise(_yn, "yn", None,
                  lambda g, ans, n, x: g * 0.5 * (yn(n - 1, x) - yn(n + 1, x)), ufunc=_sp.yn)
iv = _elementwise(_promoting(_sp.iv), "iv", None,
                  lambda g, ans, v, x: g * 0.5 * (iv(v - 1, x) + iv(v + 1, x)), ufunc=_sp.iv)
ive = _elementwise(_promoting(_sp.ive), "ive", None,
                   lambda g, ans, v, x: g * (0.5 * (ive(v - 1, x) + ive(v + 1, x))
                                             - np.sign(x) * ans), ufunc=_sp.ive)
kv = _elementwise(_promoting(_sp.kv), "kv", None,
                  lambda g, ans, v, x: -g * 0.5 * (kv(v - 1, x) + kv(v + 1, x)), ufunc=_sp.kv)


# --- reductions along an axis, built from chainrule operations --------------------------------
def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False):
    """``log(sum(b * exp(a)))`` over ``axis``, without overflow; like ``scipy.special.logsumexp``.

    Differentiable in ``a`` and in the weights ``b``. With ``return_sign`` it
    returns ``(log|s|, sign(s))`` for weights that make the sum ``s`` negative.
    """
    if b is None and not return_sign:
        return _logsumexp_reduction(a, axis=axis, keepdims=keepdims)
    shift = np.max(strip(a), axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0)  # a constant: the result does not depend on it
    terms = np.exp(a - shift)
    if b is not None:
        terms = b * terms
    total = np.sum(terms, axis=axis, keepdims=keepdims)
    sign = None
    if return_sign:
        sign = np.sign(strip(total))
        total = np.abs(total)
    with np.errstate(divide="ignore"):
        out = np.log(total) + np.reshape(shift, np.shape(total))
    return (out, sign) if return_sign else out


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x))`` over ``axis`` (every entry when None), like SciPy's."""
    return np.exp(x - _logsumexp_reduction(x, axis=axis, keepdims=True))


def log_softmax(x, axis=None):
    """``x - logsumexp(x)`` over ``axis`` (every entry when None), like SciPy's."""
    return x - _logsumexp_reduction(x, axis=axis, keepdims=True)
