"""Gradient clipping, applied to ``p.grad`` of parameters after ``backward()``."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from chainrule import Tensor


def _gradients(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    """The ``.grad`` Tensors of the parameters that have one."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> float:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    The joint norm is the ``norm_type``-norm of all gradient entries, as if they
    were one vector (``inf`` for the largest magnitude). Gradients are multiplied
    by ``min(1, max_norm / (norm + 1e-6))``, as in torch. Returns the norm
    before clipping.

    >>> w = cr.tensor([3.0, 4.0], requires_grad=True)
    >>> (w ** 2).sum().backward()             # w.grad is [6, 8], of norm 10
    >>> cr.optim.clip_grad_norm_([w], max_norm=1.0)
    10.0
    >>> w.grad
    tensor([0.59999994, 0.79999992])
    """
    grads = _gradients(parameters)
    if not grads:
        return 0.0
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        total = max(float(np.max(np.abs(g.data), initial=0.0)) for g in grads)
    else:
        norms = np.array([np.linalg.norm(g.data.ravel(), ord=norm_type) for g in grads])
        total = float(np.linalg.norm(norms, ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"the total {norm_type}-norm of the gradients is {total}, so they cannot be "
            f"clipped; pass error_if_nonfinite=False to scale them anyway")
    scale = min(1.0, max_norm / (total + 1e-6))
    for g in grads:
        g.data = g.data * scale
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry into ``[-clip_value, clip_value]``."""
    clip_value = float(clip_value)
    if clip_value < 0:
        raise ValueError(f"clip_value must be non-negative, got {clip_value}")
    for g in _gradients(parameters):
        g.data = np.clip(g.data, -clip_value, clip_value)
