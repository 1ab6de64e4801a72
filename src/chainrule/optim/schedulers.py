"""Learning-rate schedulers (torch.optim.lr_scheduler's definitions).

A scheduler sets ``group["lr"]`` of each parameter group of its optimizer.
Call ``scheduler.step()`` once per epoch, after ``optimizer.step()``.
``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR`` and ``LambdaLR`` compute the
rate in closed form from the epoch count and the group's initial rate, so each
one owns the rate outright (they are not meant to be stacked on one optimizer);
``ReduceLROnPlateau`` scales the current rate when a metric stops improving.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .optimizers import Optimizer


class _SavesAttributes:
    """``state_dict``/``load_state_dict`` over the attributes named in ``_saved``."""

    _saved: tuple[str, ...] = ()

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's progress and settings (numbers, strings and lists only)."""
        return {name: _copy(getattr(self, name)) for name in self._saved}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()``, and put its last rates back into the optimizer's
        groups (the optimizer's own state is restored separately)."""
        unknown = sorted(set(state_dict) - set(self._saved))
        missing = sorted(set(self._saved) - set(state_dict))
        if unknown or missing:
            raise KeyError(f"{type(self).__name__} state_dict: missing {missing}, "
                           f"unexpected {unknown}")
        groups = self.optimizer.param_groups
        if len(state_dict["last_lr"]) != len(groups):
            raise ValueError(f"the state_dict has rates for {len(state_dict['last_lr'])} "
                             f"parameter groups but the optimizer has {len(groups)}")
        for name in self._saved:
            setattr(self, name, _copy(state_dict[name]))
        for group, lr in zip(groups, self.last_lr, strict=True):
            group["lr"] = lr


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, (list, tuple)) else value


class LRScheduler(_SavesAttributes):
    """Base class: keeps the epoch count and writes ``_rates(epoch)`` to the groups."""

    _saved = ("last_epoch", "base_lrs", "last_lr")

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} needs a chainrule Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        for number, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"parameter group {number} has no 'initial_lr': resuming at "
                               f"last_epoch={last_epoch} needs a restored optimizer state")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def _rate(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError

    def _rates(self, epoch: int) -> list[float]:
        return [self._rate(base_lr, epoch) for base_lr in self.base_lrs]

    def step(self) -> None:
        """Advance one epoch and set each group's learning rate."""
        self.last_epoch += 1
        rates = self._rates(self.last_epoch)
        for group, lr in zip(self.optimizer.param_groups, rates, strict=True):
            group["lr"] = lr
        self.last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group as last set by this scheduler."""
        return list(self.last_lr)


class StepLR(LRScheduler):
    """``lr = initial_lr * gamma ** (epoch // step_size)``."""

    _saved = LRScheduler._saved + ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        if step_size < 1:
            raise ValueError(f"step_size must be a positive integer, got {step_size}")
        self.step_size, self.gamma = int(step_size), gamma
        super().__init__(optimizer, last_epoch)

    def _rate(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """``lr = initial_lr * gamma ** epoch``."""

    _saved = LRScheduler._saved + ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _rate(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** epoch


class CosineAnnealingLR(LRScheduler):
    """``lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``.

    Past ``T_max`` the cosine goes on, so the rate rises again (as in torch).
    """

    _saved = LRScheduler._saved + ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,  # noqa: N803
                 last_epoch: int = -1) -> None:
        if T_max < 1:
            raise ValueError(f"T_max must be a positive integer, got {T_max}")
        self.T_max, self.eta_min = int(T_max), eta_min
        super().__init__(optimizer, last_epoch)

    def _rate(self, base_lr: float, epoch: int) -> float:
        cosine = (1.0 + math.cos(math.pi * epoch / self.T_max)) / 2.0
        return self.eta_min + (base_lr - self.eta_min) * cosine


class LambdaLR(LRScheduler):
    """``lr = initial_lr * lr_lambda(epoch)``, one function for all groups or one per group.

    The functions are not part of ``state_dict()``: pass the same ones when
    rebuilding the scheduler.
    """

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        groups = len(optimizer.param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else \
            [lr_lambda] * groups
        if len(lambdas) != groups:
            raise ValueError(f"LambdaLR got {len(lambdas)} functions for {groups} "
                             f"parameter groups")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def _rates(self, epoch: int) -> list[float]:
        pairs = zip(self.base_lrs, self.lr_lambdas, strict=True)
        return [base_lr * factor(epoch) for base_lr, factor in pairs]


class ReduceLROnPlateau(_SavesAttributes):
    """Multiply the rate by ``factor`` once a metric has not improved for ``patience`` epochs.

    ``mode="min"`` watches a quantity that should fall (a loss), ``"max"`` one that
    should rise (an accuracy). An improvement must beat the best value by
    ``threshold``, relative (``"rel"``) or absolute (``"abs"``). After a reduction,
    ``cooldown`` epochs pass before bad epochs are counted again; rates never go
    below ``min_lr``, and changes smaller than ``eps`` are skipped.

    >>> opt = cr.optim.SGD([cr.tensor([1.0], requires_grad=True)], lr=1.0)
    >>> scheduler = cr.optim.ReduceLROnPlateau(opt, patience=2)
    >>> for validation_loss in [1.0, 0.9, 0.9, 0.9, 0.9]:   # no better for 3 epochs
    ...     scheduler.step(validation_loss)
    >>> opt.param_groups[0]["lr"]
    0.1
    """

    _saved = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown",
              "min_lrs", "eps", "best", "num_bad_epochs", "cooldown_counter", "last_epoch",
              "last_lr")

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | Sequence[float] = 0.0,
                 eps: float = 1e-8) -> None:
        if factor >= 1.0:
            raise ValueError(f"factor must be below 1.0, got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        groups = len(optimizer.param_groups)
        min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * groups
        if len(min_lrs) != groups:
            raise ValueError(f"got {len(min_lrs)} min_lr values for {groups} parameter groups")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lrs, self.eps = cooldown, min_lrs, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = self.last_epoch = 0
        self.last_lr = [group["lr"] for group in optimizer.param_groups]

    def step(self, metric: float) -> None:
        """Record this epoch's ``metric`` and reduce the rates if it has plateaued."""
        current = float(metric)
        self.last_epoch += 1
        if self._improves_on_best(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_rates()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self.last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _improves_on_best(self, value: float) -> bool:
        relative = self.threshold_mode == "rel"
        if self.mode == "min":
            bound = self.best * (1.0 - self.threshold) if relative else self.best - self.threshold
            return value < bound
        bound = self.best * (1.0 + self.threshold) if relative else self.best + self.threshold
        return value > bound

    def _reduce_rates(self) -> None:
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
            old = group["lr"]
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = new

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group after the last ``step``."""
        return list(self.last_lr)
