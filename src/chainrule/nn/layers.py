"""Layers and activations as modules, over ``chainrule.nn.functional``.

Every layer with parameters takes keyword arguments ``dtype`` (NumPy's default,
float64, unless given; pass ``np.float32`` for speed) and ``rng`` (a NumPy
``Generator``, a seed, or None) for its initial values, which follow PyTorch's
defaults so that models behave alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

import chainrule as cr

from . import functional as F
from . import init
from .module import Module, Parameter

DType = Any
RandomSource = np.random.Generator | int | None


def _empty(shape: tuple, dtype: DType) -> Parameter:
    return Parameter(np.zeros(shape, dtype=dtype))


def _fan_in_uniform(weight: Parameter, bias: Parameter | None, rng: np.random.Generator) -> None:
    """PyTorch's default for linear and convolution layers: U(-1/sqrt(fan_in), +...)."""
    init.kaiming_uniform(weight, a=math.sqrt(5.0), rng=rng)
    if bias is not None:
        bound = 1.0 / math.sqrt(init.fans(weight.shape)[0])
        init.uniform(bias, -bound, bound, rng=rng)


class Identity(Module):
    """Returns its input."""

    def forward(self, x: Any) -> Any:
        return x


class Linear(Module):
    """``y = x @ weight.T + bias`` with ``weight`` of shape ``(out_features, in_features)``."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 dtype: DType = np.float64, rng: RandomSource = None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = _empty((out_features, in_features), dtype)
        self.register_parameter("bias", _empty((out_features,), dtype) if bias else None)
        _fan_in_uniform(self.weight, self.bias, np.random.default_rng(rng))

    def forward(self, x: Any) -> Any:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class _ConvNd(Module):
    spatial = 0
    convolve = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, *, dtype: DType = np.float64,
                 rng: RandomSource = None) -> None:
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"groups={groups} must divide in_channels={in_channels} and "
                             f"out_channels={out_channels}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _tuple(kernel_size, self.spatial)
        self.stride = _tuple(stride, self.spatial)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, self.spatial)
        self.dilation = _tuple(dilation, self.spatial)
        self.groups = groups
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = _empty(shape, dtype)
        self.register_parameter("bias", _empty((out_channels,), dtype) if bias else None)
        _fan_in_uniform(self.weight, self.bias, np.random.default_rng(rng))

    def forward(self, x: Any) -> Any:
        return type(self).convolve(x, self.weight, self.bias, self.stride, self.padding,
                                   self.dilation, self.groups)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self.spatial:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.spatial:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


def _tuple(value, n: int) -> tuple:
    return (int(value),) * n if isinstance(value, (int, np.integer)) else tuple(value)


class Conv1d(_ConvNd):
    """1-d convolution (cross-correlation) over ``(N, C_in, L)`` inputs."""

    spatial = 1
    convolve = staticmethod(F.conv1d)


class Conv2d(_ConvNd):
    """2-d convolution (cross-correlation) over ``(N, C_in, H, W)`` inputs.

    >>> conv = cr.nn.Conv2d(1, 8, kernel_size=3, padding=1)
    >>> conv(np.ones((2, 1, 5, 5))).shape
    (2, 8, 5, 5)
    """

    spatial = 2
    convolve = staticmethod(F.conv2d)


class _MaxPoolNd(Module):
    pool = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation

    def forward(self, x: Any) -> Any:
        return type(self).pool(x, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}")


class MaxPool1d(_MaxPoolNd):
    """The maximum of each window along the last axis."""

    pool = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """The maximum of each 2-d window; ``stride`` defaults to ``kernel_size``."""

    pool = staticmethod(F.max_pool2d)


class _AvgPoolNd(Module):
    pool = None

    def __init__(self, kernel_size, stride=None, padding=0,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.count_include_pad = count_include_pad

    def forward(self, x: Any) -> Any:
        return type(self).pool(x, self.kernel_size, self.stride, self.padding,
                               self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """The mean of each window along the last axis."""

    pool = staticmethod(F.avg_pool1d)


class AvgPool2d(_AvgPoolNd):
    """The mean of each 2-d window; ``stride`` defaults to ``kernel_size``."""

    pool = staticmethod(F.avg_pool2d)


class Flatten(Module):
    """Merge the axes ``start_axis`` to ``end_axis`` into one (by default all but the batch)."""

    def __init__(self, start_axis: int = 1, end_axis: int = -1) -> None:
        super().__init__()
        self.start_axis = start_axis
        self.end_axis = end_axis

    def forward(self, x: Any) -> Any:
        shape = np.shape(x)
        start = self.start_axis % len(shape)
        end = self.end_axis % len(shape)
        return np.reshape(x, shape[:start] + (-1,) + shape[end + 1:])

    def extra_repr(self) -> str:
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"


class Dropout(Module):
    """In training, zero each entry with probability ``p`` and scale the rest by
    ``1 / (1 - p)``; in evaluation, the identity."""

    def __init__(self, p: float = 0.5, *, rng: RandomSource = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must be in [0, 1], got {p}")
        self.p = p
        self.rng = np.random.default_rng(rng)

    def forward(self, x: Any) -> Any:
        return F.dropout(x, self.p, self.training, self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class LayerNorm(Module):
    """Normalise the trailing ``normalized_shape`` axes, then scale and shift."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, *,
                 dtype: DType = np.float64) -> None:
        super().__init__()
        self.normalized_shape = ((normalized_shape,) if isinstance(normalized_shape, int)
                                 else tuple(normalized_shape))
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        affine = elementwise_affine
        self.register_parameter(
            "weight", Parameter(np.ones(self.normalized_shape, dtype)) if affine else None)
        self.register_parameter(
            "bias", _empty(self.normalized_shape, dtype) if affine and bias else None)

    def forward(self, x: Any) -> Any:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class _BatchNorm(Module):
    input_ndims: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *,
                 dtype: DType = np.float64) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.register_parameter(
            "weight", Parameter(np.ones(num_features, dtype)) if affine else None)
        self.register_parameter("bias", _empty((num_features,), dtype) if affine else None)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype))
            self.register_buffer("num_batches_tracked", np.zeros((), np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Start the running statistics afresh (mean 0, variance 1)."""
        if self.track_running_stats:
            self.running_mean[...] = 0
            self.running_var[...] = 1
            self.num_batches_tracked[...] = 0

    def forward(self, x: Any) -> Any:
        if np.ndim(x) not in self.input_ndims:
            raise ValueError(f"{type(self).__name__} expects an input with "
                             f"{' or '.join(map(str, self.input_ndims))} dimensions, got shape "
                             f"{np.shape(x)}")
        if np.shape(x)[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}) got an input with "
                             f"{np.shape(x)[1]} channels (axis 1)")
        use_batch = self.training or not self.track_running_stats
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked += 1
            if momentum is None:  # a cumulative average of every batch so far
                momentum = 1.0 / float(self.num_batches_tracked)
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            training=use_batch, momentum=momentum or 0.0, eps=self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over ``(N, C)`` or ``(N, C, L)`` inputs, per channel."""

    input_ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over ``(N, C, H, W)`` inputs, per channel."""

    input_ndims = (4,)


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, looked up by
    integer index; initialised from N(0, 1), with the ``padding_idx`` row zero."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 *, dtype: DType = np.float64, rng: RandomSource = None) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"padding_idx {padding_idx} is out of range for "
                                 f"{num_embeddings} embeddings")
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        self.weight = _empty((num_embeddings, embedding_dim), dtype)
        init.normal(self.weight, rng=np.random.default_rng(rng))
        if padding_idx is not None:
            with cr.no_grad():
                self.weight[padding_idx] = 0

    def forward(self, indices: Any) -> Any:
        return F.embedding(indices, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text if self.padding_idx is None else text + f", padding_idx={self.padding_idx}"


# --- activations ---------------------------------------------------------------------------
class ReLU(Module):
    """``max(x, 0)``."""

    def forward(self, x: Any) -> Any:
        return F.relu(x)


class LeakyReLU(Module):
    """``x`` where positive, ``negative_slope * x`` elsewhere."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Any) -> Any:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    """Hyperbolic tangent."""

    def forward(self, x: Any) -> Any:
        return F.tanh(x)


class Sigmoid(Module):
    """The logistic function."""

    def forward(self, x: Any) -> Any:
        return F.sigmoid(x)


class GELU(Module):
    """``x * Phi(x)``; ``approximate='tanh'`` for the tanh approximation."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, x: Any) -> Any:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """``x * sigmoid(x)``."""

    def forward(self, x: Any) -> Any:
        return F.silu(x)


class Softplus(Module):
    """``log(1 + exp(beta x)) / beta``, linear above ``threshold``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, x: Any) -> Any:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """``softmax`` along ``axis``."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Any) -> Any:
        return F.softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LogSoftmax(Module):
    """``log_softmax`` along ``axis``."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Any) -> Any:
        return F.log_softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"
