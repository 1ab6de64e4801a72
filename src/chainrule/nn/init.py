"""Initialisers: fill a parameter in place, drawing from a NumPy ``Generator``.

Each function writes into the parameter without recording anything and returns
it. ``rng`` may be a ``numpy.random.Generator``, a seed, or None for fresh
entropy. The scales follow the usual definitions (Glorot & Bengio 2010, He et
al. 2015), with ``fan_in``/``fan_out`` counted as in PyTorch.
"""

from __future__ import annotations

import math

import numpy as np

import chainrule as cr

RandomSource = np.random.Generator | int | None

_GAINS = {"linear": 1.0, "identity": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0,
          "relu": math.sqrt(2.0), "selu": 0.75}
_CONVOLUTIONS = {"conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d"}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance steady through ``nonlinearity``."""
    if nonlinearity in _GAINS:
        return _GAINS[nonlinearity]
    if nonlinearity in _CONVOLUTIONS:
        return 1.0
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}")


def fans(shape: tuple) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape`` ``(out, in, *kernel)``."""
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a weight with at least 2 dimensions, "
                         f"got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _write(param: cr.Tensor, values: np.ndarray) -> cr.Tensor:
    with cr.no_grad():
        param[...] = np.asarray(values).astype(param.dtype, copy=False)
    return param


def _generator(rng: RandomSource) -> np.random.Generator:
    return np.random.default_rng(rng)


def uniform(param: cr.Tensor, a: float = 0.0, b: float = 1.0,
            rng: RandomSource = None) -> cr.Tensor:
    """Fill ``param`` with draws from U(a, b)."""
    return _write(param, _generator(rng).uniform(a, b, size=param.shape))


def normal(param: cr.Tensor, mean: float = 0.0, std: float = 1.0,
           rng: RandomSource = None) -> cr.Tensor:
    """Fill ``param`` with draws from N(mean, std**2)."""
    return _write(param, _generator(rng).normal(mean, std, size=param.shape))


def zeros(param: cr.Tensor) -> cr.Tensor:
    """Fill ``param`` with 0."""
    return _write(param, np.zeros(param.shape))


def ones(param: cr.Tensor) -> cr.Tensor:
    """Fill ``param`` with 1."""
    return _write(param, np.ones(param.shape))


def constant(param: cr.Tensor, value: float) -> cr.Tensor:
    """Fill ``param`` with ``value``."""
    return _write(param, np.full(param.shape, value))


def xavier_uniform(param: cr.Tensor, gain: float = 1.0, rng: RandomSource = None) -> cr.Tensor:
    """U(-b, b) with ``b = gain * sqrt(6 / (fan_in + fan_out))`` (Glorot)."""
    fan_in, fan_out = fans(param.shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform(param, -bound, bound, rng)


def xavier_normal(param: cr.Tensor, gain: float = 1.0, rng: RandomSource = None) -> cr.Tensor:
    """N(0, s**2) with ``s = gain * sqrt(2 / (fan_in + fan_out))`` (Glorot)."""
    fan_in, fan_out = fans(param.shape)
    return normal(param, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng)


def _kaiming_std(shape, a, mode, nonlinearity) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform(param: cr.Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", rng: RandomSource = None) -> cr.Tensor:
    """U(-b, b) with ``b = gain * sqrt(3 / fan)`` (He); ``a`` is the leaky ReLU slope."""
    bound = math.sqrt(3.0) * _kaiming_std(param.shape, a, mode, nonlinearity)
    return uniform(param, -bound, bound, rng)


def kaiming_normal(param: cr.Tensor, a: float = 0.0, mode: str = "fan_in",
                   nonlinearity: str = "leaky_relu", rng: RandomSource = None) -> cr.Tensor:
    """N(0, s**2) with ``s = gain / sqrt(fan)`` (He); ``a`` is the leaky ReLU slope."""
    return normal(param, 0.0, _kaiming_std(param.shape, a, mode, nonlinearity), rng)


__all__ = ["calculate_gain", "constant", "fans", "kaiming_normal", "kaiming_uniform",
           "normal", "ones", "uniform", "xavier_normal", "xavier_uniform", "zeros"]
