"""``scipy.special`` with derivatives.

Each function here is a chainrule primitive (or is built from them) and takes
plain arrays and Tensors alike. Importing this module also routes SciPy's own
ufuncs to these primitives, so ``scipy.special.gammaln(t)`` on a Tensor is
differentiable as well. (That registration happens on ``import
chainrule.scipy``, never on ``import chainrule``, which must not import SciPy.)

The rules are written with these primitives and NumPy calls, so they work at
every order: the derivative of ``gammaln`` is ``digamma``, whose derivative is
``polygamma(1, x)``, and so on.

Arguments that are orders or counts (``n`` of ``polygamma`` and ``expn``, ``v``
of the Bessel functions, ``d`` of ``multigammaln``), the parameters of the
hypergeometric functions, ``x`` of the Hurwitz ``zeta(x, q)`` and the branch of
``lambertw`` are not differentiable. The shape parameters of the regularised
incomplete functions (``a`` of ``gammainc``/``gammaincc``, ``a, b`` of
``betainc``/``betaincc``, ``df`` of ``stdtr``) are differentiable: their
derivatives are integrals, computed by tanh-sinh quadrature (relative accuracy
about 1e-10 for shape parameters between 0.02 and 2000). The inverses
(``gammaincinv``, ``betaincinv``, ``stdtrit`` ...) are differentiated through the
implicit-function theorem from those.

Where a derivative's closed form is 0/0 at a point (``exprel`` and the Box-Cox
transforms at ``lmbda = 0``, ``ellipk``/``ellipe`` at ``m = 0``, ``spence`` at 1),
it is replaced near that point by its Taylor series, exact at every order.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import scipy.special as _sp

from .._core.arrays import (
    is_duck_array,
    is_lazy,
    known_to_hold,
    plain_array,
    surely_false,
    surely_true,
)
from .._core.graph import Box
from .._core.primitive import strip
from ..ops.numeric import near_zero_series
from ..ops.reductions import logsumexp as _logsumexp_reduction
from ..ops.registry import UFUNCS, defprim, nondifferentiable

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_HALF_SQRT_PI = 0.5 * math.sqrt(math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_LOG_PI = math.log(math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_SQRT_HALF_PI = math.sqrt(0.5 * math.pi)
_TWO_I_OVER_SQRT_PI = 2j / math.sqrt(math.pi)

__all__ = [
    "beta", "betainc", "betaincc", "betainccinv", "betaincinv", "betaln", "binom", "boxcox",
    "boxcox1p", "cosm1", "dawsn", "digamma", "ellipe", "ellipk", "ellipkm1", "entr", "erf",
    "erfc", "erfcinv", "erfcx", "erfi", "erfinv", "exp1", "expi", "expit", "expn", "exprel",
    "gamma", "gammainc", "gammaincc", "gammainccinv", "gammaincinv", "gammaln", "gammasgn",
    "huber", "hyp1f1", "hyp2f1", "hyperu", "i0", "i0e", "i1", "i1e", "inv_boxcox",
    "inv_boxcox1p", "iv", "ive", "j0", "j1", "jn", "jv", "k0", "k0e", "k1", "k1e", "kl_div",
    "kn", "kv", "kve", "lambertw", "log_expit", "log_ndtr", "log_softmax", "loggamma", "logit",
    "logsumexp", "multigammaln", "ndtr", "ndtri", "ndtri_exp", "owens_t", "poch", "polygamma",
    "powm1", "pseudo_huber", "psi", "rel_entr", "rgamma", "sindg", "softmax", "softplus", "spence",
    "stdtr", "stdtrit", "wofz", "wrightomega", "xlog1py", "xlogy", "y0", "y1", "yn", "yv",
    "zeta",
]


def _elementwise(fun, name: str, *rules, reads, ufunc=None):
    """A primitive acting entry by entry, with one rule per argument.

    Its Jacobian is diagonal (up to broadcasting), so each VJP rule, read with a
    tangent in place of the cotangent, is also its JVP rule. ``reads`` is what
    the rules read from the forward pass, as in ``defvjp``. ``ufunc`` is the
    SciPy ufunc to route to it from ``Tensor.__array_ufunc__``.
    """
    prim = defprim(fun, name)
    prim.defvjp(*rules, reads=reads)
    prim.defjvp(*rules)
    prim.defbatch(broadcasts=True)
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
    if is_duck_array(x):  # SciPy's polygamma converts x to NumPy: the same from ufuncs
        n = plain_array(n)
        order = n + 1.0
        higher = (-1.0) ** order * _sp.gamma(order) * _sp.zeta(order, x)
        return np.where(n == 0, _sp.psi(x), higher).astype(_float_dtype(x))
    return plain_array(_sp.polygamma(n, x), dtype=_float_dtype(x))


gammaln = _elementwise(_sp.gammaln, "gammaln", lambda g, ans, x: g * digamma(x),
                       ufunc=_sp.gammaln, reads="args")
gamma = _elementwise(_sp.gamma, "gamma", lambda g, ans, x: g * ans * digamma(x),
                     ufunc=_sp.gamma, reads=("args", "ans"))
rgamma = _elementwise(_sp.rgamma, "rgamma", lambda g, ans, x: g * _rgamma_slope(x),
                      ufunc=_sp.rgamma, reads="args")


def _rgamma_slope(x):
    """The derivative of ``1 / gamma(x)``, finite everywhere.

    ``-rgamma(x) * digamma(x)`` is ``0 * inf`` at the poles of gamma (0, -1, -2, ...),
    where ``1 / gamma`` is smooth. Below 1/2 the reflection formula
    ``1 / gamma(x) = sin(pi x) gamma(1 - x) / pi`` gives a form without poles. Each
    branch sees only its own safe arguments, so higher derivatives stay finite too.
    """
    left = x < 0.5
    x_left = np.where(left, x, 0.0)
    x_right = np.where(left, 1.0, x)
    by_reflection = gamma(1 - x_left) * (
        np.cos(np.pi * x_left) - np.sin(np.pi * x_left) * digamma(1 - x_left) / np.pi)
    return np.where(left, by_reflection, -rgamma(x_right) * digamma(x_right))


digamma = _elementwise(_sp.digamma, "digamma", lambda g, ans, x: g * polygamma(1, x),
                       ufunc=_sp.digamma, reads="args")
psi = digamma
polygamma = _elementwise(_polygamma, "polygamma", None,
                         lambda g, ans, n, x: g * polygamma(n + 1, x), reads="args")
betaln = _elementwise(_promoting(_sp.betaln), "betaln",
                      lambda g, ans, a, b: g * (digamma(a) - digamma(a + b)),
                      lambda g, ans, a, b: g * (digamma(b) - digamma(a + b)),
                      ufunc=_sp.betaln, reads="args")
beta = _elementwise(_promoting(_sp.beta), "beta",
                    lambda g, ans, a, b: g * ans * (digamma(a) - digamma(a + b)),
                    lambda g, ans, a, b: g * ans * (digamma(b) - digamma(a + b)),
                    ufunc=_sp.beta, reads=("args", "ans"))
nondifferentiable(_sp.gammasgn)
gammasgn = _sp.gammasgn


def multigammaln(a, d: int):
    """Log of the multivariate gamma function of dimension ``d``, differentiable in ``a``."""
    if known_to_hold(plain_array(a) <= 0.5 * (d - 1)):
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

    With ``x = t**2 / (df + t**2)`` and ``w = 1 - x = df / (df + t**2)`` the function is
    ``1/2 + sign(t) I_x(1/2, df/2) / 2``, or equally ``1 - I_w(df/2, 1/2) / 2`` for t > 0
    (``I_w / 2`` for t < 0). Each form is differentiated where its argument is below 1/2,
    so ``1 - w`` is never formed by subtraction (it loses every digit for small t).
    At t = 0 the function is 1/2 for every df.
    """
    plain = strip(t)
    at_zero = plain == 0
    if not surely_false(at_zero):
        t = np.where(at_zero, 1, t)
    square = t * t
    total = df + square
    x, w = square / total, df / total
    # d I_x(1/2, df/2) / dx * dx / d(df), with x**(-1/2) * t**2 cancelled to |t|:
    # it is sign(t) times this that enters, and sign(t) |t| = t.
    through_x = -t * np.exp((0.5 * df - 1) * np.log(w) - betaln(0.5, 0.5 * df)
                            - 1.5 * np.log(total))
    small = strip(x) < 0.5
    x_small, w_large = np.where(small, x, 0.25), np.where(small, 0.75, w)
    by_x = _incomplete_beta_slope(0.5, 0.5 * df, x_small, "b")
    by_w = -_incomplete_beta_slope(0.5 * df, 0.5, w_large, "a")
    incomplete = 0.5 * np.where(small, by_x, by_w)
    slope = 0.5 * (through_x + np.where(plain < 0, -incomplete, incomplete))
    return np.where(at_zero, 0, slope) if not surely_false(at_zero) else slope


gammainc = _elementwise(_promoting(_sp.gammainc), "gammainc",
                        lambda g, ans, a, x: g * _incomplete_gamma_slope(a, x),
                        lambda g, ans, a, x: g * _gamma_density(a, x), ufunc=_sp.gammainc,
                        reads="args")
gammaincc = _elementwise(_promoting(_sp.gammaincc), "gammaincc",
                         lambda g, ans, a, x: -g * _incomplete_gamma_slope(a, x),
                         lambda g, ans, a, x: -g * _gamma_density(a, x), ufunc=_sp.gammaincc,
                         reads="args")
betainc = _elementwise(_promoting(_sp.betainc), "betainc",
                       lambda g, ans, a, b, x: g * _incomplete_beta_slope(a, b, x, "a"),
                       lambda g, ans, a, b, x: g * _incomplete_beta_slope(a, b, x, "b"),
                       lambda g, ans, a, b, x: g * _beta_density(a, b, x), ufunc=_sp.betainc,
                       reads="args")
stdtr = _elementwise(_promoting(_sp.stdtr), "stdtr",
                     lambda g, ans, df, t: g * _student_t_df_slope(df, t),
                     lambda g, ans, df, t: g * _student_t_density(df, t), ufunc=_sp.stdtr,
                     reads="args")


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
    if is_lazy(strip(smallest_exponent)):  # unknown until computed: as many as any needs
        return _tanh_sinh_nodes(np.dtype(dtype), 7.5)
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
    a_plain, x_plain = np.broadcast_arrays(plain_array(a, dtype),
                                           plain_array(x, dtype))
    log_u, log_rest, log_weight = _tanh_sinh(dtype, a_plain)
    below = x_plain < a_plain
    inside = x_plain > 0
    a = _column(a, dtype)
    log_gamma, psi = gammaln(a), digamma(a)
    total = 0
    if not surely_false(below & inside):
        x_low = _column(np.where(below & inside, x, 0.5 * a_plain), dtype)
        log_t = np.log(x_low) + log_u
        terms = (log_t - psi) * np.exp(log_weight + a * log_t - np.exp(log_t) - log_gamma - log_u)
        total = np.where(below, np.sum(terms, axis=-1), total)
    if not surely_true(below):
        x_high = _column(np.where(below, a_plain + 1, x), dtype)
        scale = 1 + np.sqrt(_column(a_plain, dtype))  # any positive scale: a change of variable
        stretch = np.exp(np.minimum(log_u - log_rest, 0.5 * np.log(np.finfo(dtype).max)))
        t = x_high + scale * stretch
        log_t = np.log(t)
        terms = (log_t - psi) * np.exp(log_weight + np.log(scale) - 2 * log_rest
                                       + (a - 1) * log_t - t - log_gamma)
        total = np.where(below, total, -np.sum(terms, axis=-1))
    return np.where(inside, total, 0) if not surely_true(inside) else total


def _incomplete_beta_slope(a, b, x, wrt: str):
    """d/da (``wrt="a"``) or d/db of I_x(a, b), by quadrature of the density's derivative.

    Below x (t = x u) where x is below the mean, minus the integral above x
    (1 - t = (1 - x) u) elsewhere; 0 at x = 0 and x = 1.
    """
    dtype = _float_dtype(np.result_type(strip(a), strip(b), strip(x)))
    a_plain, b_plain, x_plain = np.broadcast_arrays(
        *(plain_array(v, dtype) for v in (a, b, x)))
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
    if not surely_false(below & inside):
        x_low = _column(np.where(below & inside, x, 0.5 * mean), dtype)
        u = np.exp(log_u)
        total = np.where(below, integral(np.log(x_low) + log_u, np.log1p(-x_low * u),
                                         np.log(x_low)), total)
    if not surely_false(~below & inside):
        rest = 1 - _column(np.where(~below & inside, x, 0.5 * (1 + mean)), dtype)
        u = np.exp(log_u)
        total = np.where(below, total, -integral(np.log1p(-rest * u), np.log(rest) + log_u,
                                                 np.log(rest)))
    return np.where(inside, total, 0) if not surely_true(inside) else total

# --- error functions and the normal distribution -------------------------------------------
erf = _elementwise(_sp.erf, "erf", lambda g, ans, x: g * _TWO_OVER_SQRT_PI * np.exp(-x * x),
                   ufunc=_sp.erf, reads="args")
erfc = _elementwise(_sp.erfc, "erfc",
                    lambda g, ans, x: -g * _TWO_OVER_SQRT_PI * np.exp(-x * x), ufunc=_sp.erfc,
                    reads="args")
erfinv = _elementwise(_sp.erfinv, "erfinv",
                      lambda g, ans, y: g * _HALF_SQRT_PI * np.exp(ans * ans), ufunc=_sp.erfinv,
                      reads="ans")
erfcinv = _elementwise(_sp.erfcinv, "erfcinv",
                       lambda g, ans, y: -g * _HALF_SQRT_PI * np.exp(ans * ans),
                       ufunc=_sp.erfcinv, reads="ans")
ndtr = _elementwise(_sp.ndtr, "ndtr", lambda g, ans, x: g * _INV_SQRT_2PI * np.exp(-0.5 * x * x),
                    ufunc=_sp.ndtr, reads="args")
# pdf / cdf as exp(log pdf - log cdf): no underflow far in the left tail.
log_ndtr = _elementwise(_sp.log_ndtr, "log_ndtr",
                        lambda g, ans, x: g * _INV_SQRT_2PI * np.exp(-0.5 * x * x - ans),
                        ufunc=_sp.log_ndtr, reads=("args", "ans"))
ndtri = _elementwise(_sp.ndtri, "ndtri", lambda g, ans, p: g * _SQRT_2PI * np.exp(0.5 * ans * ans),
                     ufunc=_sp.ndtri, reads="ans")

# --- logistic functions and x log y ---------------------------------------------------------
expit = _elementwise(_sp.expit, "expit", lambda g, ans, x: g * ans * (1 - ans), ufunc=_sp.expit,
                     reads="ans")
log_expit = _elementwise(_sp.log_expit, "log_expit", lambda g, ans, x: g * expit(-x),
                         ufunc=_sp.log_expit, reads="args")
logit = _elementwise(_sp.logit, "logit", lambda g, ans, p: g / (p * (1 - p)), ufunc=_sp.logit,
                     reads="args")
# Where x == 0 the function is 0 for every y, so its y-derivative is 0 (not 0/0).
xlogy = _elementwise(_promoting(_sp.xlogy), "xlogy", lambda g, ans, x, y: g * _log(y),
                     lambda g, ans, x, y: g * x / _nonzero_where_x(x, y), ufunc=_sp.xlogy,
                     reads="args")
xlog1py = _elementwise(_promoting(_sp.xlog1py), "xlog1py", lambda g, ans, x, y: g * _log1p(y),
                       lambda g, ans, x, y: g * x / _nonzero_where_x(x, 1 + y),
                       ufunc=_sp.xlog1py, reads="args")


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


i0 = _elementwise(_sp.i0, "i0", lambda g, ans, x: g * i1(x), ufunc=_sp.i0, reads="args")
i1 = _elementwise(_sp.i1, "i1", lambda g, ans, x: g * _i1_slope(x), ufunc=_sp.i1, reads="args")
i0e = _elementwise(_sp.i0e, "i0e", lambda g, ans, x: g * (i1e(x) - np.sign(x) * ans),
                   ufunc=_sp.i0e, reads=("args", "ans"))
i1e = _elementwise(_sp.i1e, "i1e", lambda g, ans, x: g * _i1e_slope(x, ans), ufunc=_sp.i1e,
                   reads=("args", "ans"))
j0 = _elementwise(_sp.j0, "j0", lambda g, ans, x: -g * j1(x), ufunc=_sp.j0, reads="args")
j1 = _elementwise(_sp.j1, "j1", lambda g, ans, x: g * 0.5 * (j0(x) - jv(2, x)), ufunc=_sp.j1,
                  reads="args")
y0 = _elementwise(_sp.y0, "y0", lambda g, ans, x: -g * y1(x), ufunc=_sp.y0, reads="args")
y1 = _elementwise(_sp.y1, "y1", lambda g, ans, x: g * 0.5 * (y0(x) - yn(2, x)), ufunc=_sp.y1,
                  reads="args")
# Bessel functions of order v: derivatives in x only (v is not differentiable).
jv = _elementwise(_promoting(_sp.jv), "jv", None,
                  lambda g, ans, v, x: g * 0.5 * (jv(v - 1, x) - jv(v + 1, x)), ufunc=_sp.jv,
                  reads="args")
jn = jv  # scipy.special.jn is jv
def _yn(n, x):
    # SciPy picks its (integer n, float64 x) loop for integer orders: keep x's dtype.
    return plain_array(_sp.yn(n, x)).astype(_float_dtype(x), copy=False)


yn = _elementwise(_yn, "yn", None,
                  lambda g, ans, n, x: g * 0.5 * (yn(n - 1, x) - yn(n + 1, x)), ufunc=_sp.yn,
                  reads="args")
iv = _elementwise(_promoting(_sp.iv), "iv", None,
                  lambda g, ans, v, x: g * 0.5 * (iv(v - 1, x) + iv(v + 1, x)), ufunc=_sp.iv,
                  reads="args")
ive = _elementwise(_promoting(_sp.ive), "ive", None,
                   lambda g, ans, v, x: g * (0.5 * (ive(v - 1, x) + ive(v + 1, x))
                                             - np.sign(x) * ans), ufunc=_sp.ive,
                   reads=("args", "ans"))
kv = _elementwise(_promoting(_sp.kv), "kv", None,
                  lambda g, ans, v, x: -g * 0.5 * (kv(v - 1, x) + kv(v + 1, x)), ufunc=_sp.kv,
                  reads="args")


# --- forward functions that keep their arguments' precision ------------------------------
def _precision(args) -> np.dtype:
    """The floating dtype of a result from ``args``: that of the floating arrays among
    them (Python numbers are weak, integer arrays such as orders do not count)."""
    floats = [a for a in args if not isinstance(a, (bool, int))
              and np.result_type(a).kind in "fc"]
    return np.result_type(*floats) if floats else np.dtype(np.float64)


def _same_precision(ufunc):
    """``ufunc``, with its result cast to the precision of its floating arguments.

    SciPy computes several functions in float64 only, or picks a float64 loop when
    an order is an integer array; float32 data keep float32 (complex64) results.
    """

    def forward(*args):
        out = ufunc(*args)
        dtype = _precision(args)
        if out.dtype.kind == "c":
            dtype = np.result_type(dtype, np.complex64)
        return out if out.dtype == dtype else out.astype(dtype)

    forward.__name__ = ufunc.__name__
    forward.__doc__ = ufunc.__doc__
    return forward


def _special(name: str, *rules, reads, ufunc=None):
    """The primitive for ``scipy.special.<name>``, routed from its ufunc."""
    ufunc = getattr(_sp, name) if ufunc is None else ufunc
    return _elementwise(_same_precision(ufunc), name, *rules, reads=reads, ufunc=ufunc)


# --- more of the gamma family ---------------------------------------------------------------
loggamma = _special("loggamma", lambda g, ans, x: g * digamma(x), reads="args")
poch = _special("poch", lambda g, ans, z, m: g * ans * (digamma(z + m) - digamma(z)),
                lambda g, ans, z, m: g * ans * digamma(z + m), reads=("args", "ans"))
binom = _special("binom", lambda g, ans, n, k: g * ans * (digamma(n + 1) - digamma(n - k + 1)),
                 lambda g, ans, n, k: g * ans * (digamma(n - k + 1) - digamma(k + 1)),
                 reads=("args", "ans"))


# --- inverses of distribution functions, by the implicit-function theorem ----------------
# If F(p, x) = y defines x(p, y), then dx/dy = 1 / F_x and dx/dp = -F_p / F_x, with F_x
# the density and F_p the shape derivative (by quadrature, as above).
def _gamma_inverse_slope(a, x):
    """d/da of the x solving P(a, x) = y (or Q(a, x) = 1 - y)."""
    return -_incomplete_gamma_slope(a, x) / _gamma_density(a, x)


def _beta_inverse_slope(a, b, x, wrt: str):
    """d/da (or d/db) of the x solving I_x(a, b) = y."""
    return -_incomplete_beta_slope(a, b, x, wrt) / _beta_density(a, b, x)


gammaincinv = _special("gammaincinv", lambda g, ans, a, y: g * _gamma_inverse_slope(a, ans),
                       lambda g, ans, a, y: g / _gamma_density(a, ans), reads=("args", "ans"))
gammainccinv = _special("gammainccinv", lambda g, ans, a, y: g * _gamma_inverse_slope(a, ans),
                        lambda g, ans, a, y: -g / _gamma_density(a, ans), reads=("args", "ans"))
betaincc = _special("betaincc", lambda g, ans, a, b, x: -g * _incomplete_beta_slope(a, b, x, "a"),
                    lambda g, ans, a, b, x: -g * _incomplete_beta_slope(a, b, x, "b"),
                    lambda g, ans, a, b, x: -g * _beta_density(a, b, x), reads="args")
betaincinv = _special("betaincinv",
                      lambda g, ans, a, b, y: g * _beta_inverse_slope(a, b, ans, "a"),
                      lambda g, ans, a, b, y: g * _beta_inverse_slope(a, b, ans, "b"),
                      lambda g, ans, a, b, y: g / _beta_density(a, b, ans), reads=("args", "ans"))
betainccinv = _special("betainccinv",
                       lambda g, ans, a, b, y: g * _beta_inverse_slope(a, b, ans, "a"),
                       lambda g, ans, a, b, y: g * _beta_inverse_slope(a, b, ans, "b"),
                       lambda g, ans, a, b, y: -g / _beta_density(a, b, ans), reads=("args", "ans"))
stdtrit = _special("stdtrit",
                   lambda g, ans, df, p: -g * _student_t_df_slope(df, ans)
                   / _student_t_density(df, ans),
                   lambda g, ans, df, p: g / _student_t_density(df, ans), reads=("args", "ans"))
# x = ndtri(exp(y)): dx/dy = exp(y) / pdf(x) = cdf(x) / pdf(x) = sqrt(pi/2) erfcx(-x/sqrt(2)).
# The last form reads x alone: exp(y + x**2/2) multiplies x's rounding error by x**2 in
# the exponent, which the second derivative, d1 (1 + x d1), then amplifies by 1/x**2.
ndtri_exp = _special("ndtri_exp",
                     lambda g, ans, y: g * _SQRT_HALF_PI * erfcx(-_INV_SQRT_2 * ans), reads="ans")


# --- relatives of the error function -------------------------------------------------------
erfcx = _special("erfcx", lambda g, ans, x: g * (2 * x * ans - _TWO_OVER_SQRT_PI),
                 reads=("args", "ans"))
erfi = _special("erfi", lambda g, ans, x: g * _TWO_OVER_SQRT_PI * np.exp(x * x), reads="args")
dawsn = _special("dawsn", lambda g, ans, x: g * (1 - 2 * x * ans), reads=("args", "ans"))
wofz = _special("wofz", lambda g, ans, z: g * (_TWO_I_OVER_SQRT_PI - 2 * z * ans),
                reads=("args", "ans"))
# T(h, a) = integral_0^a exp(-h^2 (1 + t^2) / 2) / (2 pi (1 + t^2)) dt.
owens_t = _special("owens_t",
                   lambda g, ans, h, a: -g * 0.5 * _INV_SQRT_2PI * np.exp(-0.5 * h * h)
                   * erf(a * h * _INV_SQRT_2),
                   lambda g, ans, h, a: g * np.exp(-0.5 * h * h * (1 + a * a))
                   / (2 * math.pi * (1 + a * a)), reads="args")


# --- exponential integrals and the Hurwitz zeta function -----------------------------------
def _expn_slope(n, x, ans):
    """d/dx E_n(x) = -E_{n-1}(x), and for n = 0 (E_0 = exp(-x) / x) -E_0 (1 + 1/x)."""
    n = plain_array(n)
    lower = -expn(np.maximum(n - 1, 0), x)
    return np.where(n == 0, -ans * (1 + 1 / x), lower) if not surely_false(n == 0) else lower


exp1 = _special("exp1", lambda g, ans, x: -g * np.exp(-x) / x, reads="args")
expi = _special("expi", lambda g, ans, x: g * np.exp(x) / x, reads="args")
expn = _special("expn", None, lambda g, ans, n, x: g * _expn_slope(n, x, ans),
                reads=("args", "ans"))
_hurwitz_zeta = _special("zeta", None, lambda g, ans, x, q: -g * strip(x) * _hurwitz_zeta(x + 1, q),
                         ufunc=_sp._ufuncs._zeta, reads="args")


def zeta(x, q=None):
    """The Riemann zeta function, or with ``q`` the Hurwitz zeta function ``sum (k + q)**-x``.

    Differentiable in ``q`` (``d/dq = -x zeta(x + 1, q)``); ``x`` is not (its
    derivative has no closed form), nor is the Riemann zeta function.
    """
    if q is not None:
        return _hurwitz_zeta(x, q)
    if isinstance(x, Box) and x._node is not None:
        raise NotImplementedError("chainrule differentiates zeta(x, q) in q only; the "
                                  "derivative of the Riemann zeta function in x has no closed "
                                  "form here. Pass x through .detach() if it is a constant.")
    return _sp.zeta(strip(x))


# --- Bessel functions of the second kind and modified ones of order 0, 1, n, v --------------
k0 = _special("k0", lambda g, ans, x: -g * k1(x), reads="args")
k1 = _special("k1", lambda g, ans, x: -g * (k0(x) + ans / x), reads=("args", "ans"))
k0e = _special("k0e", lambda g, ans, x: g * (ans - k1e(x)), reads=("args", "ans"))
k1e = _special("k1e", lambda g, ans, x: g * (ans * (1 - 1 / x) - k0e(x)), reads=("args", "ans"))
kn = _special("kn", None, lambda g, ans, n, x: -g * 0.5 * (kn(n - 1, x) + kn(n + 1, x)),
              reads="args")
kve = _special("kve", None,
               lambda g, ans, v, x: g * (ans - 0.5 * (kve(v - 1, x) + kve(v + 1, x))),
               reads=("args", "ans"))
yv = _special("yv", None, lambda g, ans, v, x: g * 0.5 * (yv(v - 1, x) - yv(v + 1, x)),
              reads="args")


# --- complete elliptic integrals and the dilogarithm ---------------------------------------
# K(m) = pi/2 sum c_n^2 m^n and E(m) = pi/2 sum c_n^2 m^n / (1 - 2n), c_n = binom(2n, n) / 4^n:
# their derivatives' series near m = 0, where the closed forms are 0/0.
_CENTRAL = [math.comb(2 * n, n) / 4 ** n for n in range(1, 20)]
_ELLIPK_SLOPE_SERIES = [0.5 * math.pi * (k + 1) * c * c for k, c in enumerate(_CENTRAL)]
_ELLIPE_SLOPE_SERIES = [-0.5 * math.pi * (k + 1) * c * c / (2 * k + 1)
                        for k, c in enumerate(_CENTRAL)]
# log(z) / (1 - z) = -log1p(u) / u with u = z - 1, as a series in u.
_SPENCE_SLOPE_SERIES = [-(-1) ** k / (k + 1) for k in range(18)]


def _ellipk_slope(m, p):
    """dK/dm = (E - p K) / (2 m p) at m = 1 - p, with p given so that K = ellipkm1(p)
    keeps its precision near m = 1."""
    near = np.abs(strip(m)) < 0.1

    def formula(m_far):
        p_far = np.where(near, 1 - m_far, p) if not surely_false(near) else p
        return (ellipe(m_far) - p_far * ellipkm1(p_far)) / (2 * m_far * p_far)

    return near_zero_series(m, _ELLIPK_SLOPE_SERIES, formula)


def _ellipe_slope(m):
    """dE/dm = (E - K) / (2 m)."""
    return near_zero_series(m, _ELLIPE_SLOPE_SERIES,
                            lambda m: (ellipe(m) - ellipkm1(1 - m)) / (2 * m))


ellipk = _special("ellipk", lambda g, ans, m: g * _ellipk_slope(m, 1 - m), reads="args")
ellipkm1 = _special("ellipkm1", lambda g, ans, p: -g * _ellipk_slope(1 - p, p), reads="args")
ellipe = _special("ellipe", lambda g, ans, m: g * _ellipe_slope(m), reads="args")
spence = _special("spence", lambda g, ans, z: g * near_zero_series(
    z - 1, _SPENCE_SLOPE_SERIES, lambda u: -np.log1p(u) / u), reads="args")


# --- Lambert W, Wright omega and hypergeometric functions -----------------------------------
# W exp(W) = z gives W' = exp(-W) / (1 + W), finite at z = 0; omega + log(omega) = z gives
# omega' = omega / (1 + omega). Branch k, tolerance and the hypergeometric parameters are
# not differentiable.
_lambertw = _special("lambertw", lambda g, ans, z, k, tol: g * np.exp(-ans) / (1 + ans),
                     None, None, ufunc=_sp._ufuncs._lambertw, reads="ans")


def lambertw(z, k=0, tol: float = 1e-8):
    """Branch ``k`` of the Lambert W function (complex), differentiable in ``z``."""
    return _lambertw(z, np.asarray(k, dtype=np.dtype("long")), tol)


wrightomega = _special("wrightomega", lambda g, ans, z: g * ans / (1 + ans), reads="ans")
hyp1f1 = _special("hyp1f1", None, None,
                  lambda g, ans, a, b, x: g * (a / b) * hyp1f1(a + 1, b + 1, x), reads="args")
hyp2f1 = _special("hyp2f1", None, None, None,
                  lambda g, ans, a, b, c, z: g * (a * b / c) * hyp2f1(a + 1, b + 1, c + 1, z),
                  reads="args")
hyperu = _special("hyperu", None, None,
                  lambda g, ans, a, b, x: -g * a * hyperu(a + 1, b + 1, x), reads="args")


# --- information measures and robust losses -------------------------------------------------
entr = _special("entr", lambda g, ans, x: -g * (np.log(x) + 1), reads="args")
rel_entr = _special("rel_entr", lambda g, ans, x, y: g * (np.log(x / y) + 1),
                    lambda g, ans, x, y: -g * x / y, reads="args")
kl_div = _special("kl_div", lambda g, ans, x, y: g * np.log(x / y),
                  lambda g, ans, x, y: g * (1 - x / y), reads="args")
# huber: r^2 / 2 for |r| <= delta, delta (|r| - delta / 2) beyond.
huber = _special("huber", lambda g, ans, delta, r: g * np.maximum(np.abs(r) - delta, 0),
                 lambda g, ans, delta, r: g * np.clip(r, -delta, delta), reads="args")


def _pseudo_huber_scale(delta, r):
    return np.sqrt(1 + (r / delta) ** 2)


# pseudo_huber = delta^2 (s - 1) = r^2 / (s + 1) with s = sqrt(1 + (r / delta)^2):
# d/d(delta) = r^4 / (delta^3 s (s + 1)^2), free of the cancellation in s - 1.
pseudo_huber = _special(
    "pseudo_huber",
    lambda g, ans, delta, r: g * r ** 4 / (delta ** 3 * _pseudo_huber_scale(delta, r)
                                           * (_pseudo_huber_scale(delta, r) + 1) ** 2),
    lambda g, ans, delta, r: g * r / _pseudo_huber_scale(delta, r), reads="args")


# --- small-argument exponentials and the Box-Cox transforms ---------------------------------
# exprel(z) = expm1(z) / z = sum z^k / (k + 1)!, so exprel'(z) = sum (k + 1) z^k / (k + 2)!;
# log1p(z) / z = sum (-z)^k / (k + 1), whose derivative is sum_k (-1)^k k z^(k-1) / (k + 1).
_EXPREL_SLOPE_SERIES = [(k + 1) / math.factorial(k + 2) for k in range(18)]
_LOG1P_RATIO_SLOPE_SERIES = [(-1) ** (k + 1) * (k + 1) / (k + 2) for k in range(20)]


def _exprel_slope(z):
    """d/dz exprel(z) = (exp(z) (z - 1) + 1) / z^2."""
    return near_zero_series(z, _EXPREL_SLOPE_SERIES,
                            lambda z: (np.exp(z) * (z - 1) + 1) / (z * z), radius=0.5)


def _log1p_ratio_slope(z):
    """d/dz (log1p(z) / z) = (z / (1 + z) - log1p(z)) / z^2."""
    return near_zero_series(z, _LOG1P_RATIO_SLOPE_SERIES,
                            lambda z: (z / (1 + z) - np.log1p(z)) / (z * z))


exprel = _special("exprel", lambda g, ans, x: g * _exprel_slope(x), reads="args")
cosm1 = _special("cosm1", lambda g, ans, x: -g * np.sin(x), reads="args")
sindg = _special("sindg", lambda g, ans, x: g * (np.pi / 180) * np.cos(x * (np.pi / 180)),
                 reads="args")
powm1 = _special("powm1", lambda g, ans, x, y: g * y * x ** (y - 1),
                 lambda g, ans, x, y: g * (ans + 1) * np.log(x), reads=("args", "ans"))
# boxcox(x, l) = L exprel(l L) with L = log x (log1p x for boxcox1p); the inverses are
# exp(y log1p(l y) / (l y)), minus 1 for inv_boxcox1p.
boxcox = _special("boxcox", lambda g, ans, x, lmbda: g * x ** (lmbda - 1),
                  lambda g, ans, x, lmbda: g * np.log(x) ** 2 * _exprel_slope(lmbda * np.log(x)),
                  reads="args")
boxcox1p = _special("boxcox1p", lambda g, ans, x, lmbda: g * (1 + x) ** (lmbda - 1),
                    lambda g, ans, x, lmbda: g * np.log1p(x) ** 2
                    * _exprel_slope(lmbda * np.log1p(x)), reads="args")
inv_boxcox = _special("inv_boxcox", lambda g, ans, y, lmbda: g * ans / (1 + lmbda * y),
                      lambda g, ans, y, lmbda: g * ans * y * y * _log1p_ratio_slope(lmbda * y),
                      reads=("args", "ans"))
inv_boxcox1p = _special("inv_boxcox1p",
                        lambda g, ans, y, lmbda: g * (ans + 1) / (1 + lmbda * y),
                        lambda g, ans, y, lmbda: g * (ans + 1) * y * y
                        * _log1p_ratio_slope(lmbda * y), reads=("args", "ans"))


def softplus(x, **kwargs):
    """``log(1 + exp(x))`` without overflow (``np.logaddexp(0, x)``), like SciPy's."""
    return np.logaddexp(0, x, **kwargs)


# --- reductions along an axis, built from chainrule operations --------------------------------
# What SciPy's logsumexp keeps of a 0-d input with keepdims=True: one axis since
# SciPy 1.15, none before.
_KEPT_SHAPE_OF_0D = np.shape(_sp.logsumexp(0.0, keepdims=True))


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False):
    """``log(sum(b * exp(a)))`` over ``axis``, without overflow; like ``scipy.special.logsumexp``.

    Differentiable in ``a`` and in the weights ``b``. With ``return_sign`` it
    returns ``(log|s|, sign(s))`` for weights that make the sum ``s`` negative.
    """
    result = _logsumexp(a, axis, b, keepdims, return_sign)
    if not (keepdims and np.ndim(a) == 0 and (b is None or np.ndim(b) == 0)):
        return result
    if return_sign:
        return tuple(np.reshape(part, _KEPT_SHAPE_OF_0D) for part in result)
    return np.reshape(result, _KEPT_SHAPE_OF_0D)


def _logsumexp(a, axis, b, keepdims: bool, return_sign: bool):
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
