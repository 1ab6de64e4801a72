"""Sums and moments: sum and its adjoint expand_reduced, mean, var, std, logsumexp."""

from __future__ import annotations

import math

import numpy as np

from ..._core.arrays import check_known_shape, is_lazy, plain_array
from ..._core.primitive import strip
from ..complex import conj_if_complex, is_complex, real, real_cotangent
from ..registry import defprim
from .axes import _axes, _count, _kept_shape, batch_by_axes_from_end


# --- the linear pair sum / expand_reduced ------------------------------------
def _sum(x, axis=None, keepdims=False):
    return np.sum(x, axis=axis, keepdims=keepdims)


def _expand_reduced(g, shape, axis=None, keepdims=False):
    """``g``, the result of reducing an array of ``shape``, copied back over ``shape``."""
    try:
        if not keepdims:
            g = np.reshape(g, _kept_shape(shape, axis))
        # A real array, not a read-only broadcast view: it may end up in a leaf's .grad.
        return np.broadcast_to(g, shape).copy()
    except (TypeError, ValueError):
        check_known_shape(shape, "the gradient of a sum")
        raise


sum_ = defprim(_sum, "sum")
expand_reduced = defprim(_expand_reduced, "expand_reduced")
sum_.defvjp(lambda g, ans, x, axis=None, keepdims=False:
            _spread(g, x, (), axis, keepdims), reads="args")
expand_reduced.defvjp(lambda g, ans, h, shape, axis=None, keepdims=False:
                      sum_(g, axis=axis, keepdims=keepdims), None, reads="args")
# Both are linear: the JVP is the primitive itself applied to the tangent.
sum_.defjvp(lambda t, ans, x, axis=None, keepdims=False: sum_(t, axis=axis, keepdims=keepdims))
expand_reduced.defjvp(lambda t, ans, h, shape, axis=None, keepdims=False:
                      expand_reduced(t, shape, axis=axis, keepdims=keepdims), None)


# Batched rules (jacobian, jacfwd, hessian): the batch is a new leading axis, so
# the reduced axes move up by one.
def _batch_axes(axis, ndim: int) -> tuple:
    return tuple(a + 1 for a in _axes(axis, ndim))


sum_.defbatch(jvps=(lambda t, ans, x, axis=None, keepdims=False:
                    sum_(t, axis=_batch_axes(axis, x.ndim), keepdims=keepdims),),
              vjps=(lambda g, ans, x, axis=None, keepdims=False:
                    _spread(g, x, g.shape[:1], axis, keepdims),))
expand_reduced.defbatch(
    jvps=(lambda t, ans, h, shape, axis=None, keepdims=False:
          expand_reduced(t, t.shape[:1] + tuple(shape), axis=_batch_axes(axis, len(shape)),
                         keepdims=keepdims), None),
    vjps=(lambda g, ans, h, shape, axis=None, keepdims=False:
          sum_(g, axis=_batch_axes(axis, len(shape)), keepdims=keepdims), None))


def spread_reduced(g, x, axis, keepdims):
    """The cotangent of a reduction of ``x`` spread back over ``x``'s shape; a batch
    stacked in front of ``g`` stays in front."""
    reduced_ndim = x.ndim if keepdims else x.ndim - len(_axes(axis, x.ndim))
    return _spread(g, x, g.shape[:g.ndim - reduced_ndim], axis, keepdims)


def _spread(g, x, lead: tuple, axis, keepdims):
    """``g``, with a batch of shape ``lead`` in front, spread over ``x``'s shape."""
    if is_lazy(strip(x)):
        return _spread_over_chunks(g, x, lead, axis, keepdims)
    if lead:
        axis = tuple(a + len(lead) for a in _axes(axis, x.ndim))
    return expand_reduced(g, lead + x.shape, axis=axis, keepdims=keepdims)


def _spread_over_chunks(g, x, lead: tuple, axis, keepdims):
    """The spread for a Dask ``x``: ``g`` broadcast against ``zeros_like(x)``, so it
    is laid out in ``x``'s chunks where they live, rather than made as one array of
    ``x``'s size where the rule runs (and sent to the workers with every graph)."""
    if not keepdims:
        g = np.reshape(g, lead + _kept_shape(x.shape, axis))
    return np.zeros_like(x) + g


# --- mean, var, std ------------------------------------------------------------
def _mean(x, axis=None, keepdims=False):
    return np.mean(x, axis=axis, keepdims=keepdims)


def _var(x, axis=None, keepdims=False, ddof=0):
    return np.var(x, axis=axis, keepdims=keepdims, ddof=ddof)


def _std(x, axis=None, keepdims=False, ddof=0):
    return np.std(x, axis=axis, keepdims=keepdims, ddof=ddof)


def _degrees_of_freedom(x, axis, ddof) -> float:
    # NumPy returns inf/nan when ddof leaves no degrees of freedom; so does the gradient.
    dof = _count(x.shape, axis) - ddof
    return dof if dof > 0 else math.nan


# For complex x, var is the mean of |x - mean|^2: real, with gradient
# 2 conj(x - mean) / dof (JAX's convention; see ops/complex.py).
def _centered(x, axis):
    return conj_if_complex(x - mean(x, axis=axis, keepdims=True))


def _real_sum(t, axis, keepdims):
    total = sum_(t, axis=axis, keepdims=keepdims)
    return real(total) if is_complex(total) else total


def _var_vjp(g, ans, x, axis=None, keepdims=False, ddof=0):
    return spread_reduced(real_cotangent(g), x, axis, keepdims) * _centered(x, axis) * (
        2.0 / _degrees_of_freedom(x, axis, ddof))


def _nonzero(std_value):
    """``std_value`` with 1 in place of 0. Where std is 0 every centered entry is 0, so
    dividing by this gives the gradient 0 there (exact for one element, where std is
    constant; the least-norm subgradient for constant data) instead of 0/0 = NaN."""
    return np.where(std_value == 0, 1.0, std_value)


def _std_vjp(g, ans, x, axis=None, keepdims=False, ddof=0):
    return spread_reduced(real_cotangent(g) / _nonzero(ans), x, axis, keepdims) * _centered(
        x, axis) * (1.0 / _degrees_of_freedom(x, axis, ddof))


def _var_jvp(t, ans, x, axis=None, keepdims=False, ddof=0):
    return _real_sum(_centered(x, axis) * t, axis, keepdims) * (
        2.0 / _degrees_of_freedom(x, axis, ddof))


def _std_jvp(t, ans, x, axis=None, keepdims=False, ddof=0):
    return _real_sum(_centered(x, axis) * t, axis, keepdims) / _nonzero(ans) * (
        1.0 / _degrees_of_freedom(x, axis, ddof))


mean = defprim(_mean, "mean")
var = defprim(_var, "var")
std = defprim(_std, "std")
mean.defvjp(lambda g, ans, x, axis=None, keepdims=False:
            spread_reduced(g, x, axis, keepdims) / _count(x.shape, axis), reads="args")
var.defvjp(_var_vjp, reads="args")
std.defvjp(_std_vjp, reads=("args", "ans"))
mean.defjvp(lambda t, ans, x, axis=None, keepdims=False: mean(t, axis=axis, keepdims=keepdims))
mean.defbatch(jvps=(lambda t, ans, x, axis=None, keepdims=False:
                    mean(t, axis=_batch_axes(axis, x.ndim), keepdims=keepdims),),
              vjps=(lambda g, ans, x, axis=None, keepdims=False:
                    expand_reduced(g, g.shape[:1] + x.shape, axis=_batch_axes(axis, x.ndim),
                                   keepdims=keepdims) / _count(x.shape, axis),))
var.defjvp(_var_jvp)
std.defjvp(_std_jvp)
batch_by_axes_from_end(var, std)


# --- logsumexp -----------------------------------------------------------------
def _logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, without overflow or underflow.

    >>> logsumexp(np.array([1000.0, 1000.0]))   # 1000 + log(2)
    array(1000.69314718)
    """
    x = plain_array(x)
    shift = np.max(x, axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0)
    with np.errstate(divide="ignore"):
        total = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
    return total if keepdims else np.reshape(total, _reduced_shape(x.shape, axis))


def _reduced_shape(shape: tuple, axis) -> tuple:
    reduced = _axes(axis, len(shape))
    return tuple(n for i, n in enumerate(shape) if i not in reduced)


logsumexp = defprim(_logsumexp, "logsumexp")
logsumexp.defvjp(lambda g, ans, x, axis=None, keepdims=False:
                 spread_reduced(g, x, axis, keepdims)
                 * np.exp(x - spread_reduced(ans, x, axis, keepdims)), reads=("args", "ans"))
logsumexp.defjvp(lambda t, ans, x, axis=None, keepdims=False:
                 sum_(t * np.exp(x - spread_reduced(ans, x, axis, keepdims)), axis=axis,
                      keepdims=keepdims))
batch_by_axes_from_end(logsumexp)
