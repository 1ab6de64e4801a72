"""``scipy.stats`` distributions with derivatives in the data and in every parameter.

Each object mirrors the SciPy distribution of the same name (same argument names
and defaults) and is written with chainrule operations, so it takes plain
arrays and Tensors alike and can be differentiated, at any order, with respect
to ``x`` and to ``loc``, ``scale``, ``df``, ``a``, ``b``, ``mu``, ``mean``,
``cov`` and ``alpha``:

>>> import chainrule as cr
>>> from chainrule.scipy.stats import norm
>>> cr.grad(lambda s: norm.logpdf(1.0, 0.0, s))(2.0)   # -1/s + x**2/s**3
-0.375

Outside a distribution's support the density is 0 (log-density ``-inf``) and its
derivative 0, as in SciPy; invalid parameters (``scale <= 0``) give NaN.

The distribution functions (``cdf``, ``sf`` and their logs) of ``t``, ``gamma``,
``beta`` and ``chi2`` are differentiable in their shape parameters (``df``, ``a``,
``b``) too, through ``chainrule.scipy.special``'s incomplete gamma and beta
functions, whose shape derivatives are computed by quadrature (relative accuracy
about 1e-10). ``multivariate_normal`` with a full covariance factors it with
``np.linalg.cholesky`` and solves with chainrule's triangular solve, so it is
differentiable in ``cov`` through chainrule's linear-algebra primitives.
"""

from __future__ import annotations

import math

import numpy as np

from .._core.arrays import plain_array
from .._core.graph import Box
from .._core.primitive import strip
from . import special as sp

__all__ = ["beta", "chi2", "dirichlet", "gamma", "multivariate_normal", "norm", "poisson", "t"]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


# --- helpers ---------------------------------------------------------------------------------
def _promote(*values):
    """The arguments as floating arrays of one dtype, keeping Tensors traced.

    The dtype is the one of the floating arrays among them (float64 if none).
    Python numbers and integer arrays take it, so ``norm.logpdf(x32, 0.0, 2.0)``
    and ``poisson.logpmf(counts, mu32)`` stay float32.
    """
    values = [v if isinstance(v, (Box, np.ndarray, int, float)) else np.asarray(v)
              for v in values]
    floats = [v.dtype for v in values
              if not isinstance(v, (int, float)) and v.dtype.kind in "fc"]
    dtype = np.result_type(*floats) if floats else np.dtype(np.float64)
    return [v if not isinstance(v, (int, float)) and v.dtype.kind in "fc"
            else plain_array(v, dtype) for v in values]


def _invalid_to_nan(result, invalid):
    """NaN where the parameters are invalid (as SciPy returns), ``result`` elsewhere."""
    if not np.any(invalid):
        return result
    return np.where(invalid, np.nan, result)


def _on_support(inside, z, fill_in, formula, fill_out):
    """``formula(z)`` where ``inside``, ``fill_out`` elsewhere, with gradient 0 there.

    The formula is evaluated at ``fill_in`` outside the support, so that its
    unused derivative there is finite (at a support's edge a density may be
    infinite, and 0 times infinity would make the gradient NaN).
    """
    if np.all(inside):
        return formula(z)
    safe = np.where(inside, z, fill_in)
    return np.where(inside, formula(safe), fill_out)


def _standardise(x, loc, scale):
    return (x - loc) / scale


class _Distribution:
    """Derived methods shared by every distribution: pdf from logpdf and the like."""

    def pdf(self, x, *args, **kwargs):
        """The probability density at ``x``."""
        return np.exp(self.logpdf(x, *args, **kwargs))

    def logcdf(self, x, *args, **kwargs):
        """The log of the cumulative distribution function."""
        return np.log(self.cdf(x, *args, **kwargs))

    def logsf(self, x, *args, **kwargs):
        """The log of the survival function."""
        return np.log(self.sf(x, *args, **kwargs))

    def __repr__(self) -> str:
        return f"<chainrule.scipy.stats.{self.name}>"


# --- continuous distributions on the line ----------------------------------------------------
class _Normal(_Distribution):
    """The normal distribution ``N(loc, scale**2)``, like ``scipy.stats.norm``."""

    name = "norm"

    def logpdf(self, x, loc=0.0, scale=1.0):
        """Log density: ``-z**2/2 - log(scale) - log(2 pi)/2`` with ``z = (x - loc)/scale``."""
        x, loc, scale = _promote(x, loc, scale)
        z = _standardise(x, loc, scale)
        return _invalid_to_nan(-0.5 * z * z - np.log(scale) - _HALF_LOG_2PI, strip(scale) <= 0)

    def cdf(self, x, loc=0.0, scale=1.0):
        """Cumulative distribution function ``ndtr((x - loc)/scale)``."""
        x, loc, scale = _promote(x, loc, scale)
        return _invalid_to_nan(sp.ndtr(_standardise(x, loc, scale)), strip(scale) <= 0)

    def logcdf(self, x, loc=0.0, scale=1.0):
        """Log of the cdf, accurate far in the left tail."""
        x, loc, scale = _promote(x, loc, scale)
        return _invalid_to_nan(sp.log_ndtr(_standardise(x, loc, scale)), strip(scale) <= 0)

    def sf(self, x, loc=0.0, scale=1.0):
        """Survival function ``1 - cdf``, accurate far in the right tail."""
        x, loc, scale = _promote(x, loc, scale)
        return _invalid_to_nan(sp.ndtr(-_standardise(x, loc, scale)), strip(scale) <= 0)

    def logsf(self, x, loc=0.0, scale=1.0):
        """Log of the survival function."""
        x, loc, scale = _promote(x, loc, scale)
        return _invalid_to_nan(sp.log_ndtr(-_standardise(x, loc, scale)), strip(scale) <= 0)

    def ppf(self, q, loc=0.0, scale=1.0):
        """Quantile function, the inverse of ``cdf``."""
        q, loc, scale = _promote(q, loc, scale)
        return _invalid_to_nan(loc + scale * sp.ndtri(q), strip(scale) <= 0)

    def isf(self, q, loc=0.0, scale=1.0):
        """Inverse survival function, the inverse of ``sf``."""
        q, loc, scale = _promote(q, loc, scale)
        return _invalid_to_nan(loc - scale * sp.ndtri(q), strip(scale) <= 0)


class _StudentT(_Distribution):
    """Student's t distribution with ``df`` degrees of freedom, like ``scipy.stats.t``."""

    name = "t"

    def logpdf(self, x, df, loc=0.0, scale=1.0):
        """Log density; differentiable in ``x``, ``df``, ``loc`` and ``scale``."""
        x, df, loc, scale = _promote(x, df, loc, scale)
        z = _standardise(x, loc, scale)
        half = 0.5 * (df + 1)
        out = (sp.gammaln(half) - sp.gammaln(0.5 * df) - 0.5 * np.log(math.pi * df)
               - np.log(scale) - half * np.log1p(z * z / df))
        return _invalid_to_nan(out, (strip(scale) <= 0) | (strip(df) <= 0))

    def cdf(self, x, df, loc=0.0, scale=1.0):
        """Cumulative distribution function."""
        x, df, loc, scale = _promote(x, df, loc, scale)
        out = sp.stdtr(df, _standardise(x, loc, scale))
        return _invalid_to_nan(out, strip(scale) <= 0)

    def sf(self, x, df, loc=0.0, scale=1.0):
        """Survival function."""
        x, df, loc, scale = _promote(x, df, loc, scale)
        out = sp.stdtr(df, -_standardise(x, loc, scale))
        return _invalid_to_nan(out, strip(scale) <= 0)


class _Gamma(_Distribution):
    """The gamma distribution with shape ``a``, like ``scipy.stats.gamma``."""

    name = "gamma"

    def logpdf(self, x, a, loc=0.0, scale=1.0):
        """Log density ``(a-1) log z - z - gammaln(a) - log(scale)``; ``-inf`` for ``z < 0``."""
        x, a, loc, scale = _promote(x, a, loc, scale)
        z = _standardise(x, loc, scale)
        out = _on_support(strip(z) >= 0, z, 1.0,
                          lambda z: sp.xlogy(a - 1, z) - z - sp.gammaln(a), -np.inf)
        return _invalid_to_nan(out - np.log(scale), (strip(scale) <= 0) | (strip(a) <= 0))

    def cdf(self, x, a, loc=0.0, scale=1.0):
        """Cumulative distribution function."""
        x, a, loc, scale = _promote(x, a, loc, scale)
        z = _standardise(x, loc, scale)
        out = _on_support(strip(z) > 0, z, 1.0, lambda z: sp.gammainc(a, z), 0.0)
        return _invalid_to_nan(out, strip(scale) <= 0)

    def sf(self, x, a, loc=0.0, scale=1.0):
        """Survival function."""
        x, a, loc, scale = _promote(x, a, loc, scale)
        z = _standardise(x, loc, scale)
        out = _on_support(strip(z) > 0, z, 1.0, lambda z: sp.gammaincc(a, z), 1.0)
        return _invalid_to_nan(out, strip(scale) <= 0)


class _ChiSquared(_Distribution):
    """The chi-squared distribution with ``df`` degrees of freedom: gamma(df/2, scale=2)."""

    name = "chi2"

    def logpdf(self, x, df, loc=0.0, scale=1.0):
        """Log density; differentiable in ``x``, ``df``, ``loc`` and ``scale``."""
        x, df, loc, scale = _promote(x, df, loc, scale)
        return gamma.logpdf(x, 0.5 * df, loc, 2 * scale)

    def cdf(self, x, df, loc=0.0, scale=1.0):
        """Cumulative distribution function."""
        x, df, loc, scale = _promote(x, df, loc, scale)
        return gamma.cdf(x, 0.5 * df, loc, 2 * scale)

    def sf(self, x, df, loc=0.0, scale=1.0):
        """Survival function."""
        x, df, loc, scale = _promote(x, df, loc, scale)
        return gamma.sf(x, 0.5 * df, loc, 2 * scale)


class _Beta(_Distribution):
    """The beta distribution on ``[loc, loc + scale]``, like ``scipy.stats.beta``."""

    name = "beta"

    def logpdf(self, x, a, b, loc=0.0, scale=1.0):
        """Log density; ``-inf`` outside ``[0, 1]`` in standard units."""
        x, a, b, loc, scale = _promote(x, a, b, loc, scale)
        z = _standardise(x, loc, scale)
        plain = strip(z)
        out = _on_support((plain >= 0) & (plain <= 1), z, 0.5,
                          lambda z: sp.xlogy(a - 1, z) + sp.xlog1py(b - 1, -z) - sp.betaln(a, b),
                          -np.inf)
        invalid = (strip(scale) <= 0) | (strip(a) <= 0) | (strip(b) <= 0)
        return _invalid_to_nan(out - np.log(scale), invalid)

    def cdf(self, x, a, b, loc=0.0, scale=1.0):
        """Cumulative distribution function."""
        x, a, b, loc, scale = _promote(x, a, b, loc, scale)
        z = _standardise(x, loc, scale)
        plain = strip(z)
        out = _on_support((plain > 0) & (plain < 1), z, 0.5, lambda z: sp.betainc(a, b, z),
                          (plain >= 1).astype(plain.dtype))
        return _invalid_to_nan(out, strip(scale) <= 0)

    def sf(self, x, a, b, loc=0.0, scale=1.0):
        """Survival function, ``I_{1-z}(b, a)``: accurate where the cdf is close to 1."""
        x, a, b, loc, scale = _promote(x, a, b, loc, scale)
        z = _standardise(x, loc, scale)
        plain = strip(z)
        out = _on_support((plain > 0) & (plain < 1), z, 0.5, lambda z: sp.betainc(b, a, 1 - z),
                          (plain <= 0).astype(plain.dtype))
        return _invalid_to_nan(out, strip(scale) <= 0)


# --- discrete ----------------------------------------------------------------------------------
class _Poisson(_Distribution):
    """The Poisson distribution with mean ``mu``, like ``scipy.stats.poisson``."""

    name = "poisson"

    def logpmf(self, k, mu, loc=0):
        """Log probability of ``k`` events: ``k log mu - mu - gammaln(k + 1)``.

        ``-inf`` where ``k - loc`` is not a non-negative integer. Differentiable in
        ``mu`` (and, through the gamma function's continuation, in ``k``).
        """
        k, mu, loc = _promote(k, mu, loc)
        k = k - loc
        plain = strip(k)
        counts = (plain >= 0) & (plain == np.floor(plain))
        out = _on_support(counts, k, 0.0, lambda k: sp.xlogy(k, mu) - sp.gammaln(k + 1) - mu,
                          -np.inf)
        return _invalid_to_nan(out, strip(mu) < 0)

    def pmf(self, k, mu, loc=0):
        """Probability of ``k`` events."""
        return np.exp(self.logpmf(k, mu, loc))

    def cdf(self, k, mu, loc=0):
        """Probability of at most ``k`` events, ``gammaincc(floor(k) + 1, mu)``.

        A step function of ``k`` (its derivative in ``k`` is 0); differentiable in ``mu``.
        """
        k, mu, loc = _promote(k, mu, loc)
        steps = np.floor(strip(k) - strip(loc))
        counts = np.maximum(steps, 0) + 1
        return _invalid_to_nan(np.where(steps >= 0, sp.gammaincc(counts, mu), 0), strip(mu) < 0)

    def sf(self, k, mu, loc=0):
        """Probability of more than ``k`` events, ``gammainc(floor(k) + 1, mu)``."""
        k, mu, loc = _promote(k, mu, loc)
        steps = np.floor(strip(k) - strip(loc))
        counts = np.maximum(steps, 0) + 1
        return _invalid_to_nan(np.where(steps >= 0, sp.gammainc(counts, mu), 1), strip(mu) < 0)


# --- multivariate ------------------------------------------------------------------------------
def _points(x, dim: int):
    """``x`` as points along its last axis, read as SciPy does for dimension ``dim``."""
    if np.ndim(x) == 0:
        x = np.reshape(x, (1,))
    if np.ndim(x) == 1:
        x = np.reshape(x, (-1, 1) if dim == 1 else (1, -1))
    return x


def _squeezed(out):
    """SciPy's habit: drop every axis of length 1 from a multivariate result."""
    shape = tuple(n for n in np.shape(out) if n != 1)
    return out if shape == np.shape(out) else np.reshape(out, shape)


def _dimension(mean, cov) -> int:
    if mean is not None and np.ndim(mean) > 0:
        return np.shape(mean)[-1]
    if np.ndim(cov) > 0:
        return np.shape(cov)[-1]
    return 1


class _MultivariateNormal(_Distribution):
    """The multivariate normal ``N(mean, cov)``, like ``scipy.stats.multivariate_normal``.

    ``cov`` may be a scalar (``cov * I``), a vector (a diagonal) or a full
    positive-definite matrix (factored by Cholesky; its derivative is the one of
    ``np.linalg.cholesky``, which reads the lower triangle). With
    ``allow_singular=True`` a positive semi-definite ``cov`` is taken as SciPy takes
    it: the density lives on the range of ``cov`` (``-inf`` off it), with its
    pseudo-determinant and pseudo-inverse, eigenvalues below SciPy's cutoff counting
    as zero; it is differentiable where that rank does not change.
    """

    name = "multivariate_normal"

    def logpdf(self, x, mean=None, cov=1.0, allow_singular=False):
        """Log density at the points along the last axis of ``x``."""
        dim = _dimension(mean, cov)
        mean = 0.0 if mean is None else mean
        x, mean, cov = _promote(x, mean, cov)
        diff = _points(x, dim) - mean
        if np.ndim(cov) < 2:
            variances = np.broadcast_to(cov, (dim,)) if np.ndim(cov) == 0 else cov
            quadratic = np.sum(diff * diff / variances, axis=-1)
            log_det = np.sum(np.log(variances))
        elif allow_singular:
            return _squeezed(_singular_logpdf(diff, cov, dim))
        else:
            quadratic, log_det = _cholesky_terms(diff, cov, dim)
        return _squeezed(-0.5 * quadratic - 0.5 * log_det - dim * _HALF_LOG_2PI)

    def pdf(self, x, mean=None, cov=1.0, allow_singular=False):
        """Density at the points along the last axis of ``x``."""
        return np.exp(self.logpdf(x, mean, cov, allow_singular))

    def entropy(self, mean=None, cov=1.0):
        """Differential entropy ``log pdet(2 pi e cov) / 2`` (over the range of ``cov``,
        as SciPy computes it for a singular ``cov`` too)."""
        dim = _dimension(mean, cov)
        (cov,) = _promote(cov)
        if np.ndim(cov) < 2:
            log_det = np.sum(np.log(np.broadcast_to(cov, (dim,)) if np.ndim(cov) == 0 else cov))
        else:
            log_det, dim = _log_pseudo_determinant(cov)
        return 0.5 * log_det + dim * (0.5 + _HALF_LOG_2PI)

    def rvs(self, mean=None, cov=1.0, size=1, random_state=None):
        """Random draws, by SciPy (not differentiable: pass plain parameters)."""
        return _sample("multivariate_normal", mean=mean, cov=cov, size=size,
                       random_state=random_state)


def _sample(name: str, **parameters):
    """SciPy's ``rvs`` of distribution ``name``, refusing traced parameters: a sample's
    derivative in them (a reparameterisation) is not what SciPy computes."""
    import scipy.stats

    if any(_holds_traced(value) for value in parameters.values()):
        raise TypeError(
            f"{name}.rvs draws with SciPy, so its samples carry no derivative in the "
            f"parameters; pass plain values (x.detach()), or differentiate logpdf "
            f"(score-function estimators) instead.")
    return getattr(scipy.stats, name).rvs(**parameters)


def _holds_traced(value) -> bool:
    if isinstance(value, Box):
        return value._node is not None
    return isinstance(value, (list, tuple)) and any(map(_holds_traced, value))


def _pseudo_inverse_cutoff(dtype) -> float:
    """SciPy's relative cutoff under which an eigenvalue of ``cov`` counts as zero."""
    return {"f": 1e3, "d": 1e6}.get(np.dtype(dtype).char, 1e6) * np.finfo(dtype).eps


def _range_eigenvalues(cov):
    """The eigenvalues of ``cov`` (traced), and which of them count as nonzero."""
    values = np.linalg.eigvalsh(cov)
    plain = np.asarray(strip(values))
    cutoff = _pseudo_inverse_cutoff(plain.dtype) * np.max(np.abs(plain))
    if np.min(plain) < -cutoff:
        raise ValueError("multivariate_normal: the covariance matrix must be positive "
                         "semidefinite")
    return values, plain > cutoff


def _log_pseudo_determinant(cov):
    """``log pdet(cov)`` (the product of its nonzero eigenvalues) and its rank."""
    values, kept = _range_eigenvalues(cov)
    return np.sum(np.log(np.where(kept, values, 1.0))), int(np.sum(kept))


def _singular_logpdf(diff, cov, dim: int):
    """SciPy's density of a possibly singular normal: on the range of ``cov``."""
    log_pdet, rank = _log_pseudo_determinant(cov)
    relative = _pseudo_inverse_cutoff(np.asarray(strip(cov)).dtype)
    inverse = np.linalg.pinv(cov, rcond=relative, hermitian=True)
    quadratic = np.sum((diff @ inverse) * diff, axis=-1)
    result = -0.5 * quadratic - 0.5 * log_pdet - rank * _HALF_LOG_2PI
    return np.where(_on_range(strip(diff), strip(cov), relative), result, -np.inf)


def _on_range(diff, cov, relative: float):
    """Whether each point lies in the range of ``cov`` (SciPy's support test)."""
    values, vectors = np.linalg.eigh(cov)
    cutoff = relative * np.max(np.abs(values))
    null_space = vectors[:, values <= cutoff]
    return np.linalg.norm(diff @ null_space, axis=-1) < cutoff


def _triangular_solver():
    """chainrule's triangular solve, when its linear-algebra module provides one."""
    try:
        from ..ops.linalg import solve_triangular
    except ImportError:
        return None
    return solve_triangular


def _cholesky_terms(diff, cov, dim: int):
    """Mahalanobis terms ``diff^T cov^-1 diff`` and ``log det cov`` through ``cov = L L^T``."""
    lower = np.linalg.cholesky(cov)
    columns = np.transpose(np.reshape(diff, (-1, dim)))
    solve_triangular = _triangular_solver()
    if solve_triangular is None:
        whitened = np.linalg.solve(lower, columns)
    else:
        whitened = solve_triangular(lower, columns, lower=True)
    quadratic = np.reshape(np.sum(whitened * whitened, axis=0), np.shape(diff)[:-1])
    return quadratic, 2 * np.sum(np.log(np.diagonal(lower)))


class _Dirichlet(_Distribution):
    """The Dirichlet distribution, like ``scipy.stats.dirichlet``.

    As in SciPy, the components of ``x`` run along its first axis, which holds
    either all ``k`` components or the first ``k - 1`` (the last is then
    ``1 - sum``). The density formula is differentiated as written: ``x`` is not
    projected onto the simplex.
    """

    name = "dirichlet"

    def logpdf(self, x, alpha):
        """Log density ``sum((alpha - 1) log x) - log B(alpha)``."""
        x, alpha = _promote(x, alpha)
        k = np.shape(alpha)[0]
        if np.shape(x)[0] == k - 1:
            x = np.concatenate([x, np.reshape(1 - np.sum(x, axis=0), (1,) + np.shape(x)[1:])])
        elif np.shape(x)[0] != k:
            raise ValueError(f"dirichlet: x has {np.shape(x)[0]} components along its first "
                             f"axis, alpha has {k}; give k or k - 1 components")
        plain = strip(x)
        if np.any(plain < 0) or np.any(plain > 1):
            raise ValueError("dirichlet: every entry of x must lie in [0, 1]")
        column = np.reshape(alpha, (k,) + (1,) * (np.ndim(x) - 1))
        log_beta = np.sum(sp.gammaln(alpha)) - sp.gammaln(np.sum(alpha))
        return np.sum(sp.xlogy(column - 1, x), axis=0) - log_beta

    def pdf(self, x, alpha):
        """Density at ``x``."""
        return np.exp(self.logpdf(x, alpha))

    def mean(self, alpha):
        """The mean ``alpha / sum(alpha)``."""
        (alpha,) = _promote(alpha)
        return alpha / np.sum(alpha)

    def var(self, alpha):
        """The variance of each component."""
        (alpha,) = _promote(alpha)
        total = np.sum(alpha)
        return alpha * (total - alpha) / (total * total * (total + 1))

    def rvs(self, alpha, size=1, random_state=None):
        """Random draws, by SciPy (not differentiable: pass a plain ``alpha``)."""
        return _sample("dirichlet", alpha=alpha, size=size, random_state=random_state)


norm = _Normal()
t = _StudentT()
gamma = _Gamma()
chi2 = _ChiSquared()
beta = _Beta()
poisson = _Poisson()
multivariate_normal = _MultivariateNormal()
dirichlet = _Dirichlet()
