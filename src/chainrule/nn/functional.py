"""Neural-network functions: layers, activations and losses as plain functions.

Every function takes Tensors or NumPy arrays and is written with NumPy calls, so
it differentiates at any order. Where a fused primitive is much cheaper than its
composition (ReLU, sigmoid, softmax, log-softmax, the linear layer, cross-entropy
on class indices, the normal CDF behind GELU), it comes from
``chainrule.ops.activations``, where its rules are checked with every other primitive.
Channel-first layouts (``(N, C, ...)``) and argument names follow
``torch.nn.functional``; axes are called ``axis``, as in NumPy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

import chainrule as cr
from chainrule.ops import activations as _fused
from chainrule.ops import convolution as _conv

ArrayLike = Any
_REDUCTIONS = ("mean", "sum", "none")
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_DEFAULT_RNG = np.random.default_rng()  # dropout's, when no generator is given


def _data(x) -> np.ndarray:
    """The array under ``x``, for decisions that carry no gradient (masks, shapes)."""
    if isinstance(x, cr.Tensor):
        return x.numpy()
    # arrays of other types (cr.jit's traced values) stay as they are
    return x if hasattr(x, "__array_namespace__") else np.asarray(x)


# --- activations -------------------------------------------------------------------------
def relu(x: ArrayLike) -> Any:
    """``max(x, 0)`` elementwise."""
    return _fused.relu(x)


def leaky_relu(x: ArrayLike, negative_slope: float = 0.01) -> Any:
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    return np.where(_data(x) > 0, x, x * negative_slope)


def sigmoid(x: ArrayLike) -> Any:
    """The logistic function ``1 / (1 + exp(-x))``, without overflow."""
    return _fused.sigmoid(x)


def tanh(x: ArrayLike) -> Any:
    """Hyperbolic tangent."""
    return np.tanh(x)


def gelu(x: ArrayLike, approximate: str = "none") -> Any:
    """``x * Phi(x)`` with ``Phi`` the standard normal CDF; ``approximate='tanh'`` uses
    the tanh approximation."""
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + np.tanh(inner))
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return x * _fused.normal_cdf(x)


def silu(x: ArrayLike) -> Any:
    """``x * sigmoid(x)`` (also called swish)."""
    return x * _fused.sigmoid(x)


def softplus(x: ArrayLike, beta: float = 1.0, threshold: float = 20.0) -> Any:
    """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold``."""
    scaled = x * beta
    smooth = np.logaddexp(scaled, 0) / beta if beta != 1 else np.logaddexp(scaled, 0)
    return np.where(_data(scaled) > threshold, x, smooth)


def softmax(x: ArrayLike, axis: int = -1) -> Any:
    """``exp(x) / sum(exp(x))`` along ``axis``, without overflow."""
    return _fused.softmax(x, axis=axis)


def log_softmax(x: ArrayLike, axis: int = -1) -> Any:
    """``x - logsumexp(x)`` along ``axis``: the log of ``softmax``, computed stably."""
    return _fused.log_softmax(x, axis=axis)


# --- layers --------------------------------------------------------------------------------
def linear(x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None) -> Any:
    """``x @ weight.T + bias``, with ``weight`` of shape ``(out_features, in_features)``."""
    if bias is None:
        return _fused.linear(x, weight)
    return _fused.linear(x, weight, bias)


def dropout(x: ArrayLike, p: float = 0.5, training: bool = True,
            rng: np.random.Generator | None = None) -> Any:
    """Zero each entry with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    The identity when ``training`` is False. ``rng`` draws the mask.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    data = _data(x)
    if p == 1.0:
        return x * np.zeros_like(data)
    rng = _DEFAULT_RNG if rng is None else rng
    keep = rng.random(data.shape) >= p
    return x * (keep * (1.0 / (1.0 - p))).astype(data.dtype)


def layer_norm(x: ArrayLike, normalized_shape: int | Sequence[int], weight: ArrayLike = None,
               bias: ArrayLike = None, eps: float = 1e-5) -> Any:
    """Normalise over the trailing ``normalized_shape`` axes to mean 0 and variance 1,
    then scale by ``weight`` and shift by ``bias`` (both of ``normalized_shape``)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(np.shape(x)[-len(shape):]) != shape:
        raise ValueError(f"layer_norm: normalized_shape {shape} does not match the trailing "
                         f"axes of an input of shape {np.shape(x)}")
    axes = tuple(range(-len(shape), 0))
    centered = x - np.mean(x, axis=axes, keepdims=True)
    out = centered / np.sqrt(np.var(x, axis=axes, keepdims=True) + eps)
    return _affine(out, weight, bias)


def _affine(out, weight, bias, shape=None):
    if weight is not None:
        out = out * (weight if shape is None else np.reshape(weight, shape))
    if bias is not None:
        out = out + (bias if shape is None else np.reshape(bias, shape))
    return out


def batch_norm(x: ArrayLike, running_mean: np.ndarray | None, running_var: np.ndarray | None,
               weight: ArrayLike = None, bias: ArrayLike = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Any:
    """Normalise each channel (axis 1) of ``x`` ``(N, C, ...)``.

    Training normalises with the batch's statistics and, when running statistics
    are given, updates them in place: ``running = (1 - momentum) * running +
    momentum * batch`` (the unbiased variance, as torch). Otherwise it uses the
    running statistics.
    """
    shape = np.shape(x)
    if len(shape) < 2:
        raise ValueError(f"batch_norm needs an input (N, C, ...), got shape {shape}")
    axes = (0,) + tuple(range(2, len(shape)))
    channel_shape = (1, shape[1]) + (1,) * (len(shape) - 2)
    if training:
        count = math.prod(shape[i] for i in axes)
        if count < 2:
            raise ValueError(f"batch_norm in training needs more than one value per channel, "
                             f"got an input of shape {shape}")
        mean = np.mean(x, axis=axes, keepdims=True)
        var = np.var(x, axis=axes, keepdims=True)
        if running_mean is not None:
            _update_running(running_mean, _data(mean), momentum)
        if running_var is not None:
            _update_running(running_var, _data(var) * (count / (count - 1)), momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm outside training needs running_mean and running_var")
        mean = np.reshape(running_mean, channel_shape)
        var = np.reshape(running_var, channel_shape)
    out = (x - mean) / np.sqrt(var + eps)
    return _affine(out, weight, bias, channel_shape)


def _update_running(running: np.ndarray, batch: np.ndarray, momentum: float) -> None:
    running *= 1 - momentum
    running += momentum * batch.reshape(running.shape).astype(running.dtype, copy=False)


def embedding(indices: ArrayLike, weight: ArrayLike, padding_idx: int | None = None) -> Any:
    """Rows of ``weight`` picked by the integer ``indices`` (any shape): the result has
    shape ``indices.shape + (embedding_dim,)``. Rows at ``padding_idx`` get no gradient."""
    indices = _data(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {indices.dtype}")
    rows = weight[indices]
    if padding_idx is None:
        return rows
    counted = (indices != padding_idx)[..., None]
    return np.where(counted, rows, cr.stop_gradient(rows))


# --- convolution and pooling -------------------------------------------------------------------
def _batched(x, spatial: int, what: str):
    """``x`` with a batch axis, and whether one was added (an unbatched input)."""
    ndim = np.ndim(x)
    if ndim == spatial + 1:
        return x[None], True
    if ndim != spatial + 2:
        raise ValueError(f"{what} expects an input of {spatial + 2} dimensions (N, C, ...) or "
                         f"{spatial + 1} (C, ...), got shape {np.shape(x)}")
    return x, False


def _convolve(x, weight, bias, stride, padding, dilation, groups, spatial, what):
    x, unbatched = _batched(x, spatial, what)
    out = _conv.convolution(x, weight, stride=stride, padding=padding, dilation=dilation,
                            groups=groups)
    if bias is not None:
        out = out + np.reshape(bias, (-1,) + (1,) * spatial)
    return out[0] if unbatched else out


def conv1d(x: ArrayLike, weight: ArrayLike, bias: ArrayLike = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Any:
    """1-d cross-correlation: ``x`` ``(N, C_in, L)``, ``weight`` ``(C_out, C_in / groups,
    k)``. ``padding`` may be an int, ``'valid'`` or ``'same'``."""
    return _convolve(x, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(x: ArrayLike, weight: ArrayLike, bias: ArrayLike = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Any:
    """2-d cross-correlation: ``x`` ``(N, C_in, H, W)``, ``weight`` ``(C_out, C_in / groups,
    kH, kW)``. ``stride``, ``padding`` and ``dilation`` are ints or pairs; ``padding``
    may also be ``'valid'`` or ``'same'``."""
    return _convolve(x, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def _pool(pooling, x, spatial, what, *args, **kwargs):
    x, unbatched = _batched(x, spatial, what)
    out = pooling(x, *args, **kwargs)
    return out[0] if unbatched else out


def max_pool1d(x: ArrayLike, kernel_size, stride=None, padding=0, dilation=1) -> Any:
    """The maximum of each window along the last axis of ``x`` ``(N, C, L)``."""
    return _pool(_conv.max_pooling, x, 1, "max_pool1d", kernel_size, stride, padding, dilation)


def max_pool2d(x: ArrayLike, kernel_size, stride=None, padding=0, dilation=1) -> Any:
    """The maximum of each window of ``x`` ``(N, C, H, W)``; ``stride`` defaults to
    ``kernel_size``. Gradient goes to the first maximum of each window."""
    return _pool(_conv.max_pooling, x, 2, "max_pool2d", kernel_size, stride, padding, dilation)


def avg_pool1d(x: ArrayLike, kernel_size, stride=None, padding=0,
               count_include_pad: bool = True) -> Any:
    """The mean of each window along the last axis of ``x`` ``(N, C, L)``."""
    return _pool(_conv.average_pooling, x, 1, "avg_pool1d", kernel_size, stride, padding,
                 count_include_pad)


def avg_pool2d(x: ArrayLike, kernel_size, stride=None, padding=0,
               count_include_pad: bool = True) -> Any:
    """The mean of each window of ``x`` ``(N, C, H, W)``; ``stride`` defaults to
    ``kernel_size``; zero padding counts towards the mean unless ``count_include_pad``
    is False."""
    return _pool(_conv.average_pooling, x, 2, "avg_pool2d", kernel_size, stride, padding,
                 count_include_pad)


# --- losses --------------------------------------------------------------------------------------
def _reduce(loss, reduction: str):
    if reduction == "mean":
        return np.mean(loss)
    if reduction == "sum":
        return np.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _check_same_shape(input, target, what: str) -> None:
    if np.shape(input) != np.shape(target):
        raise ValueError(f"{what}: input of shape {np.shape(input)} and target of shape "
                         f"{np.shape(target)} must have the same shape")


def mse_loss(input: ArrayLike, target: ArrayLike, reduction: str = "mean") -> Any:
    """Squared error ``(input - target) ** 2``, averaged (or summed, or per entry)."""
    _check_same_shape(input, target, "mse_loss")
    return _reduce(np.square(input - target), reduction)


def l1_loss(input: ArrayLike, target: ArrayLike, reduction: str = "mean") -> Any:
    """Absolute error ``|input - target|``, averaged (or summed, or per entry)."""
    _check_same_shape(input, target, "l1_loss")
    return _reduce(np.abs(input - target), reduction)


def huber_loss(input: ArrayLike, target: ArrayLike, reduction: str = "mean",
               delta: float = 1.0) -> Any:
    """``0.5 d**2`` where ``|d| < delta``, ``delta * (|d| - 0.5 delta)`` elsewhere,
    with ``d = input - target``."""
    _check_same_shape(input, target, "huber_loss")
    diff = input - target
    size = np.abs(diff)
    loss = np.where(_data(size) < delta, 0.5 * diff * diff, delta * (size - 0.5 * delta))
    return _reduce(loss, reduction)


def _classes_last(x):
    """``(N, C, d1, ...)`` as ``(N * d1 * ..., C)``; ``(N, C)`` as it is."""
    if np.ndim(x) == 2:
        return x
    moved = np.moveaxis(x, 1, -1)
    return np.reshape(moved, (-1, np.shape(x)[1]))


def _class_input(input, target, what):
    """The input as ``(samples, C)``, the integer target flat, and how to shape
    per-sample results back."""
    shape = np.shape(input)
    target = _data(target)
    if len(shape) == 1:
        return np.reshape(input, (1, -1)), target.reshape(1), ()
    if target.shape != shape[:1] + shape[2:]:
        raise ValueError(f"{what}: an input of shape {shape} needs a target of class "
                         f"indices of shape {shape[:1] + shape[2:]}, got {target.shape}")
    return _classes_last(input), target.reshape(-1), target.shape


def cross_entropy(input: ArrayLike, target: ArrayLike, weight: ArrayLike | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Any:
    """Cross-entropy between the softmax of ``input`` (logits, classes on axis 1) and
    ``target``, as ``torch.nn.functional.cross_entropy``.

    ``target`` holds class indices (shape ``input`` without axis 1; entries equal to
    ``ignore_index`` do not count) or class probabilities (``input``'s shape).
    ``weight`` weighs each class; the mean over class indices divides by the summed
    weights of the counted targets. ``label_smoothing`` mixes the target with the
    uniform distribution.
    """
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    weight = None if weight is None else _data(weight)
    if _data(target).dtype.kind == "f":
        return _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing)
    logits, flat_target, sample_shape = _class_input(input, target, "cross_entropy")
    loss = _fused.cross_entropy_indices(logits, flat_target.astype(np.intp, copy=False),
                                  weight=weight, label_smoothing=float(label_smoothing),
                                  ignore_index=ignore_index, reduction=reduction)
    return np.reshape(loss, sample_shape) if reduction == "none" else loss


def _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing):
    shape = np.shape(input)
    if len(shape) > 1 and np.shape(target) == shape[:1] + shape[2:]:
        raise TypeError(f"cross_entropy: a target of shape {np.shape(target)} holds class "
                        f"indices, which must be integers, but its dtype is "
                        f"{_data(target).dtype}; pass target.astype(int) (a float target "
                        f"of the input's shape {shape} is read as class probabilities)")
    _check_same_shape(input, target, "cross_entropy with class probabilities")
    n_classes = np.shape(input)[0 if np.ndim(input) == 1 else 1]
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    terms = log_softmax(input, axis=0 if np.ndim(input) == 1 else 1) * target
    if weight is not None:
        shape = (-1,) + (1,) * (np.ndim(input) - 2) if np.ndim(input) > 1 else (-1,)
        terms = terms * np.reshape(weight.astype(_data(input).dtype), shape)
    per_sample = -np.sum(terms, axis=0 if np.ndim(input) == 1 else 1)
    return _reduce(per_sample, reduction)


def nll_loss(input: ArrayLike, target: ArrayLike, weight: ArrayLike | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> Any:
    """Negative log-likelihood of class indices given log-probabilities ``input``
    (classes on axis 1), as ``torch.nn.functional.nll_loss``."""
    _check_reduction(reduction)
    if _data(target).dtype.kind not in "iu":
        raise TypeError(f"nll_loss: target must hold integer class indices, got dtype "
                        f"{_data(target).dtype}; pass target.astype(int)")
    logp, flat_target, sample_shape = _class_input(input, target, "nll_loss")
    n_classes = np.shape(logp)[1]
    counted = flat_target != ignore_index
    safe = np.where(counted, flat_target, 0).astype(np.intp)
    if np.any((safe < 0) | (safe >= n_classes)):
        raise IndexError(f"nll_loss: a target class is out of range for {n_classes} classes")
    dtype = _data(logp).dtype
    class_weight = np.ones(n_classes, dtype) if weight is None else _data(weight).astype(dtype)
    sample_weight = class_weight[safe] * counted
    picked = np.take_along_axis(logp, safe[:, None], axis=1)[:, 0]
    per_sample = -picked * sample_weight
    if reduction == "none":
        return np.reshape(per_sample, sample_shape)
    total = np.sum(per_sample)
    return total if reduction == "sum" else total / sample_weight.sum()


def binary_cross_entropy(input: ArrayLike, target: ArrayLike, weight: ArrayLike | None = None,
                         reduction: str = "mean") -> Any:
    """``-(t log p + (1 - t) log(1 - p))`` for probabilities ``p = input``; each log is
    clamped at -100, as torch, so that ``p = 0`` or ``1`` gives a finite loss."""
    _check_same_shape(input, target, "binary_cross_entropy")
    data = _data(input)
    if np.any((data < 0) | (data > 1)):
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1]; "
                         "for logits use binary_cross_entropy_with_logits")
    log_p = _clamped_log(input, data.dtype)
    log_q = _clamped_log(1 - input, data.dtype)
    loss = -(target * log_p + (1 - target) * log_q)
    return _reduce(loss if weight is None else loss * weight, reduction)


def _clamped_log(p, dtype):
    """``max(log p, -100)``, with a zero (not NaN) gradient where ``p`` is 0."""
    return np.maximum(np.log(np.maximum(p, np.finfo(dtype).tiny)), -100.0)


def binary_cross_entropy_with_logits(input: ArrayLike, target: ArrayLike,
                                     weight: ArrayLike | None = None, reduction: str = "mean",
                                     pos_weight: ArrayLike | None = None) -> Any:
    """``binary_cross_entropy(sigmoid(input), target)`` computed stably from logits;
    ``pos_weight`` multiplies the loss of positive targets (per class, last axis)."""
    _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    softplus_negative = np.logaddexp(-input, 0)  # -log(sigmoid(input))
    if pos_weight is None:
        loss = (1 - target) * input + softplus_negative
    else:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * softplus_negative
    return _reduce(loss if weight is None else loss * weight, reduction)
