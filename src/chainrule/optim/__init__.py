"""Optimizers, learning-rate schedulers and gradient clipping (torch.optim's definitions).

>>> import chainrule as cr
>>> from chainrule import optim
>>> w = cr.tensor([1.0, -2.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
>>> (w ** 2).sum().backward()
>>> opt.step()
>>> opt.zero_grad()
"""

from .clip import clip_grad_norm_, clip_grad_value_
from .optimizers import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from .schedulers import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LRScheduler,
    ReduceLROnPlateau,
    StepLR,
)

__all__ = [
    "SGD", "Adagrad", "Adam", "AdamW", "CosineAnnealingLR", "ExponentialLR", "LRScheduler",
    "LambdaLR", "Optimizer", "RMSprop", "ReduceLROnPlateau", "StepLR", "clip_grad_norm_",
    "clip_grad_value_",
]
