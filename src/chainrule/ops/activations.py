"""Fused neural-network primitives: activations, the linear layer, cross-entropy.

Each is much cheaper as one recorded step than as the composition of its NumPy
calls (one node instead of several, and no saved intermediates), which is why
``chainrule.nn.functional`` builds on them. The rules are written with NumPy
calls and with these primitives, so they run on Tensors for higher orders.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .._core.arrays import plain_array
from .._core.primitive import Primitive
from .elementwise import LOG2, _ufunc
from .reductions import batch_by_axes_from_end, batch_by_own_rules
from .registry import defprim
from .shape import broadcast_each

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _elementwise(prim):
    """Mark a primitive whose rules broadcast elementwise (forward mode batches them)."""
    prim.defbatch(broadcasts=True)
    return prim


# --- elementwise activations -----------------------------------------------------------
def _relu(x):
    return np.maximum(x, 0)


relu = _elementwise(defprim(_relu, "relu"))
relu.defvjp(lambda g, ans, x: g * (ans > 0), reads="ans")
relu.defjvp(lambda t, ans, x: t * (ans > 0))


def _sigmoid(x):
    # exp(-|x|) never overflows; each branch divides without cancellation.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


sigmoid = _elementwise(defprim(_sigmoid, "sigmoid"))
sigmoid.defvjp(lambda g, ans, x: g * (ans * (1 - ans)), reads="ans")
sigmoid.defjvp(lambda t, ans, x: t * (ans * (1 - ans)))

# log(e^x + e^y) (the smooth maximum; softplus is logaddexp(0, x)). Its partial
# derivatives are sigmoid(x - y) and sigmoid(y - x), written so rather than as
# exp(x - ans) so that no rule reads the output: under hessian (forward over
# reverse) the output's tangent is then never needed, so never computed.
logaddexp = _ufunc(np.logaddexp, lambda g, ans, x, y: g * sigmoid(x - y),
                   lambda g, ans, x, y: g * sigmoid(y - x), reads="args")
logaddexp2 = _ufunc(np.logaddexp2, lambda g, ans, x, y: g * sigmoid((x - y) * LOG2),
                    lambda g, ans, x, y: g * sigmoid((y - x) * LOG2), reads="args")


@functools.lru_cache(maxsize=1)
def _find_erfc():
    # SciPy is an optional extra, imported the first time GELU needs it.
    try:
        from scipy.special import erfc
    except ImportError:  # exact without SciPy, but one Python call per entry
        return np.vectorize(math.erfc, otypes=[np.float64])
    return erfc


def _erfc(x):
    return _find_erfc()(x)


def _normal_cdf(x):
    return (0.5 * _erfc(-x / math.sqrt(2.0))).astype(x.dtype, copy=False)


def _normal_pdf(x):
    return np.exp(-0.5 * x * x) * _INV_SQRT_2PI


normal_cdf = _elementwise(defprim(_normal_cdf, "normal_cdf"))
normal_cdf.defvjp(lambda g, ans, x: g * _normal_pdf(x), reads="args")
normal_cdf.defjvp(lambda t, ans, x: t * _normal_pdf(x))


# --- softmax along an axis ---------------------------------------------------------------
def _softmax(x, *, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax(x, *, axis):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


softmax = defprim(_softmax, "softmax")
softmax.defvjp(lambda g, ans, x, *, axis:
               ans * (g - np.sum(g * ans, axis=axis, keepdims=True)), reads="ans")
softmax.defjvp(lambda t, ans, x, *, axis:
               ans * (t - np.sum(t * ans, axis=axis, keepdims=True)))

log_softmax = defprim(_log_softmax, "log_softmax")
log_softmax.defvjp(lambda g, ans, x, *, axis:
                   g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True), reads="ans")
log_softmax.defjvp(lambda t, ans, x, *, axis:
                   t - np.sum(np.exp(ans) * t, axis=axis, keepdims=True))
batch_by_axes_from_end(softmax, log_softmax)


# --- the linear layer --------------------------------------------------------------------
def _linear(x, w, b=None):
    out = x @ w.T
    if b is not None:
        out += b
    return out


def _rows(a):
    """``a`` as a matrix of its last axis (a no-op for matrices)."""
    return a if a.ndim == 2 else np.reshape(a, (-1, a.shape[-1]))


linear = defprim(_linear, "linear")
# The gradient of w comes out contiguous, not as the transpose of a product; the
# engine sums the bias's gradient over the leading axes.
linear.defvjp(lambda g, ans, x, w, b=None: g @ w,
              lambda g, ans, x, w, b=None: _rows(g).T @ _rows(x),
              lambda g, ans, x, w, b=None: g, reads="args")
linear.defjvp(lambda t, ans, x, w, b=None: t @ w.T,
              lambda t, ans, x, w, b=None: x @ t.T,
              lambda t, ans, x, w, b=None: t)


def _batched_linear_jvp_w(t, ans, x, w, b=None):
    rows = _rows(x) @ np.swapaxes(t, -1, -2)  # (batch, rows of x, out)
    return np.reshape(rows, t.shape[:1] + ans.shape)


def _batched_linear_grad_w(g, ans, x, w, b=None):
    rows = np.reshape(g, (g.shape[0], -1, g.shape[-1]))  # (batch, rows of x, out)
    return np.swapaxes(rows, -1, -2) @ _rows(x)


# Batched: x's rules and b's VJP broadcast over a batch stacked in front of t or g
# (the engine sums b's gradient over the rows).
linear.defbatch(jvps=(linear.jvps[0], _batched_linear_jvp_w,
                      lambda t, ans, x, w, b=None: broadcast_each(t, ans.shape)),
                vjps=(linear.vjps[0], _batched_linear_grad_w, linear.vjps[2]))


# --- cross-entropy on class indices ------------------------------------------------------
def _compute_target_weights(target, n_classes, dtype, weight, label_smoothing, ignore_index):
    """The matrix ``T`` with per-sample loss ``-sum_c T[m, c] log p[m, c]``, and the
    denominator of the mean (the summed class weights of the counted samples)."""
    counted = target != ignore_index
    safe = np.where(counted, target, 0)
    if np.any((safe < 0) | (safe >= n_classes)):
        bad = target[counted & ((target < 0) | (target >= n_classes))][0]
        raise IndexError(f"cross_entropy: target class {bad} is out of range for "
                         f"{n_classes} classes")
    class_weight = np.ones(n_classes, dtype) if weight is None else weight.astype(dtype)
    sample_weight = class_weight[safe] * counted
    table = np.zeros((target.shape[0], n_classes), dtype)
    np.put_along_axis(table, safe[:, None], ((1 - label_smoothing) * sample_weight)[:, None],
                      axis=1)
    if label_smoothing:
        table += (label_smoothing / n_classes) * counted[:, None] * class_weight
    return table, sample_weight.sum()


# One step for cr.jit (it indexes plain arrays by the targets, which a trace cannot record
# piece by piece); it has no derivative, the targets being class indices.
_target_weights = Primitive(_compute_target_weights, "target_weights")


# The helpers below sum over the last axis and append axes, so that the rules also
# take a batch of tangents or cotangents stacked in front.
def _reduce_per_sample(per_sample, reduction, denominator):
    if reduction == "none":
        return per_sample
    total = np.sum(per_sample, axis=-1)
    return total if reduction == "sum" else total / denominator


def _spread_cotangent(g, reduction, denominator):
    """The cotangent of the loss as a column over the samples: ``(samples, 1)``."""
    if reduction == "none":
        return g[..., None]
    return g[..., None, None] if reduction == "sum" else g[..., None, None] / denominator


def _cross_entropy_indices(logits, target, *, weight, label_smoothing, ignore_index,
                           reduction):
    table, denominator = _target_weights(target, logits.shape[1], logits.dtype, weight,
                                         label_smoothing, ignore_index)
    per_sample = -np.sum(table * _log_softmax(logits, axis=1), axis=1)
    return plain_array(_reduce_per_sample(per_sample, reduction, denominator))


def _logit_slope(logits, target, weight, label_smoothing, ignore_index):
    """d(per-sample loss)/d(logits): ``softmax * row total of T - T``."""
    table, denominator = _target_weights(target, logits.shape[1], logits.dtype, weight,
                                         label_smoothing, ignore_index)
    return softmax(logits, axis=1) * np.sum(table, axis=1, keepdims=True) - table, denominator


def _cross_entropy_vjp(g, ans, logits, target, *, weight, label_smoothing, ignore_index,
                       reduction):
    slope, denominator = _logit_slope(logits, target, weight, label_smoothing, ignore_index)
    return slope * _spread_cotangent(g, reduction, denominator)


def _cross_entropy_jvp(t, ans, logits, target, *, weight, label_smoothing, ignore_index,
                       reduction):
    slope, denominator = _logit_slope(logits, target, weight, label_smoothing, ignore_index)
    return _reduce_per_sample(np.sum(slope * t, axis=-1), reduction, denominator)


# ``logits`` is ``(samples, classes)``, ``target`` the integer class of each sample.
cross_entropy_indices = defprim(_cross_entropy_indices, "cross_entropy_indices")
cross_entropy_indices.defvjp(_cross_entropy_vjp, None, reads="args")
cross_entropy_indices.defjvp(_cross_entropy_jvp, None)
batch_by_own_rules(cross_entropy_indices)
