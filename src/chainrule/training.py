"""A small training loop: ``fit(model, loss_fn, optimizer, batches, epochs)``.

Batches may hold Dask arrays (data larger than memory, or spread over a
cluster): each step on such a batch computes the loss and every gradient in
one ``dask.compute``, on ``client=`` or Dask's default scheduler, while the
parameters stay NumPy arrays on the client.

It shows a tqdm progress bar with the running loss when tqdm is installed
(``pip install "chainrule[progress]"``) and the output is a terminal or a notebook,
and prints one plain line per epoch (and every ``print_every`` steps, if asked)
otherwise, so that logs and redirected output hold no carriage-return fragments.
"""

from __future__ import annotations

import html
import math
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from .jit import JitWarning, jit
from .optim import ReduceLROnPlateau, clip_grad_norm_
from .scale import check_lazy_data, failures_named, holds_lazy, running_on
from .tensor import tensor
from .transforms import value_and_grad


@dataclass
class History:
    """What ``fit`` recorded: the loss of every step, the mean loss of every epoch,
    and whatever ``on_epoch_end`` returned each epoch."""

    step_losses: list[float] = field(default_factory=list)
    epoch_losses: list[float] = field(default_factory=list)
    metrics: list[dict[str, float]] = field(default_factory=list)

    def __repr__(self) -> str:
        if not self.epoch_losses:
            return "History(epochs=0)"
        best = min(range(len(self.epoch_losses)), key=self.epoch_losses.__getitem__)
        names = sorted({name for epoch in self.metrics for name in epoch})
        shown = f", metrics={names}" if names else ""
        return (f"History(epochs={len(self.epoch_losses)}, steps={len(self.step_losses)}, "
                f"last_loss={self.epoch_losses[-1]:.4g}, best_loss="
                f"{self.epoch_losses[best]:.4g} (epoch {best + 1}){shown})")

    def _repr_html_(self) -> str:
        """Jupyter's view: the summary above a plot of the loss, drawn as inline SVG."""
        summary = f"<pre>{html.escape(repr(self))}</pre>"
        losses, per = ((self.epoch_losses, "epoch") if len(self.epoch_losses) > 1
                       else (self.step_losses, "step"))
        if len(losses) < 2 or not all(math.isfinite(loss) for loss in losses):
            return summary
        return summary + _loss_curve_svg(losses, per)


def _loss_curve_svg(losses: list[float], per: str, width: int = 360,
                    height: int = 120) -> str:
    """A line of ``losses`` against their index, scaled to fit, with its range marked."""
    low, high = min(losses), max(losses)
    span = (high - low) or 1.0
    left, pad = 48, 6
    points = " ".join(
        f"{left + i * (width - left - pad) / (len(losses) - 1):.1f},"
        f"{pad + (high - loss) / span * (height - 2 * pad):.1f}"
        for i, loss in enumerate(losses))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'font-size="10" role="img"><title>loss per {per}, {len(losses)} {per}s'
            f'</title><polyline fill="none" stroke="#1f77b4" stroke-width="1.5" '
            f'points="{points}"/><text x="2" y="{pad + 8}">{high:.4g}</text>'
            f'<text x="2" y="{height - pad}">{low:.4g}</text></svg>')


def fit(model: Callable[[Any], Any], loss_fn: Callable[[Any, Any], Any], optimizer: Any,
        batches: Iterable[tuple[Any, Any]], epochs: int = 1, *, scheduler: Any = None,
        max_grad_norm: float | None = None,
        on_epoch_end: Callable[[int, float], dict[str, float] | None] | None = None,
        progress: bool = True, print_every: int | None = None,
        file: IO[str] | None = None, jit: bool = False, client: Any = None) -> History:
    """Train ``model`` on ``batches`` of ``(inputs, targets)`` for ``epochs`` passes.

    Each step computes ``loss_fn(model(inputs), targets)``, runs ``backward()``,
    clips the gradient norm to ``max_grad_norm`` if given, and calls
    ``optimizer.step()``. ``batches`` is iterated once per epoch (a
    ``chainrule.data.Batches`` reshuffles each time). After each epoch the
    ``scheduler`` steps (``ReduceLROnPlateau`` with the epoch's mean loss) and
    ``on_epoch_end(epoch, mean_loss)`` may return metrics to show and record,
    such as a validation accuracy. ``progress=False`` prints nothing.

    ``jit=True`` compiles the loss and its gradient with ``cr.jit`` (the model
    called with its parameters as traced inputs), for a model whose forward pass
    is the same function at every step: a model with dropout or batch-norm
    statistics, or one that draws random numbers, trains eagerly instead (with a
    ``JitWarning`` for the modules chainrule knows).

    A batch holding Dask arrays (``batches=[(X, y)]`` for full-batch steps over
    chunked data, or a ``chainrule.data.Batches`` of Dask arrays) is trained on
    where its chunks live: the loss and every parameter's gradient come back in
    one ``dask.compute`` per step, run on ``client`` (a ``dask.distributed.Client``;
    None uses Dask's default scheduler). Such steps run eagerly, also with
    ``jit=True`` (a compiled step would hold its data in memory). A step whose
    workers are lost raises ``chainrule.scale.ClusterComputeError`` naming it.
    """
    history = History()
    reporter = _Reporter(progress, print_every, file)
    steps = _Steps(model, loss_fn, optimizer, jit)
    for epoch in range(1, epochs + 1):
        if hasattr(model, "train"):
            model.train()
        with running_on(client):
            losses = reporter.run_epoch(
                (steps.train(batch, max_grad_norm, f"epoch {epoch}, step {number}")
                 for number, batch in enumerate(batches, start=1)),
                epoch, epochs, _length(batches))
        if not losses:
            raise ValueError(f"the batches gave nothing to train on in epoch {epoch}; pass "
                             f"something that can be iterated once per epoch, such as "
                             f"chainrule.data.Batches (a generator runs out after one)")
        mean_loss = sum(losses) / len(losses)
        history.step_losses += losses
        history.epoch_losses.append(mean_loss)
        _step_scheduler(scheduler, mean_loss)
        metrics = (on_epoch_end(epoch, mean_loss) if on_epoch_end else None) or {}
        history.metrics.append(dict(metrics))
        reporter.end_epoch(epoch, epochs, mean_loss, metrics)
    return history


class _Steps:
    """One training step per batch: eager with ``backward()``, compiled (``jit=True``),
    or, for a batch of Dask arrays, the loss and gradients in one compute."""

    def __init__(self, model, loss_fn, optimizer, use_jit: bool) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.compiled = _ValueAndGradStep.for_model(model, loss_fn, optimizer) if use_jit else None
        self.lazy: _ValueAndGradStep | None = None  # built for the first Dask batch

    def train(self, batch, max_grad_norm: float | None, where: str) -> float:
        """Run one step on ``batch``; returns its loss."""
        inputs, targets = batch
        self.optimizer.zero_grad()
        if holds_lazy(batch):
            loss = self._lazy_loss(batch, inputs, targets, where)
        elif self.compiled is not None:
            loss = self.compiled(inputs, targets)
        else:
            loss = self.loss_fn(self.model(inputs), targets)
            loss.backward()
        if max_grad_norm is not None:
            clip_grad_norm_([p for group in self.optimizer.param_groups
                             for p in group["params"]], max_grad_norm)
        self.optimizer.step()
        return float(loss.item())

    def _lazy_loss(self, batch, inputs, targets, where: str):
        check_lazy_data(batch, "batch")
        if self.lazy is None:
            self.lazy = _ValueAndGradStep(self.model, self.loss_fn, self.optimizer, compile=False)
        with failures_named("computing the loss and gradients", where):
            return self.lazy(inputs, targets)


class _ValueAndGradStep:
    """The loss and every parameter's gradient for one batch from one ``value_and_grad``
    call, compiled by ``cr.jit`` unless ``compile=False`` (for lazy data, whose loss and
    gradients then come back in one ``dask.compute``)."""

    def __init__(self, model, loss_fn, optimizer, compile: bool = True) -> None:
        self.params = [p for group in optimizer.param_groups for p in group["params"]]

        def loss_of(values, inputs, targets):
            with _standing_for(self.params, values):
                return loss_fn(model(inputs), targets)

        self.value_and_grad = jit(value_and_grad(loss_of)) if compile else \
            value_and_grad(loss_of)

    @classmethod
    def for_model(cls, model, loss_fn, optimizer) -> _ValueAndGradStep | None:
        """The compiled step, or None (with a warning) for a model with random or
        stateful modules, which must run eagerly."""
        varying = sorted({type(m).__name__ for m in getattr(model, "modules", list)()
                          if type(m).__name__ in _VARYING_MODULES})
        if varying:
            warnings.warn(f"fit(jit=True) trains eagerly: the model has {', '.join(varying)}, "
                          f"whose forward pass changes from step to step", JitWarning,
                          stacklevel=3)
            return None
        return cls(model, loss_fn, optimizer)

    def __call__(self, inputs, targets):
        loss, grads = self.value_and_grad([p._value for p in self.params], inputs, targets)
        for p, g in zip(self.params, grads):
            p.grad = tensor(g)
        return loss


# Modules whose forward pass differs between steps in training (random, or with state).
_VARYING_MODULES = {"Dropout", "BatchNorm1d", "BatchNorm2d"}


@contextmanager
def _standing_for(params, values):
    """Let each parameter be the traced value in its place, for one forward pass."""
    saved = [(p._value, p._node) for p in params]
    try:
        for p, v in zip(params, values):
            p._value, p._node = v._value, v._node
        yield
    finally:
        for p, (value, node) in zip(params, saved):
            p._value, p._node = value, node


def _step_scheduler(scheduler: Any, mean_loss: float) -> None:
    if scheduler is None:
        return
    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(mean_loss)
    else:
        scheduler.step()


def _length(batches: Any) -> int | None:
    try:
        return len(batches)
    except TypeError:
        return None


class _Reporter:
    """Shows progress: a tqdm bar per epoch if tqdm is there, plain lines if not."""

    def __init__(self, enabled: bool, print_every: int | None, file: IO[str] | None) -> None:
        self.enabled = enabled
        self.print_every = print_every
        self.file = file
        self.tqdm = _optional_tqdm() if enabled else None
        if self.tqdm is not None and not _shows_a_bar(self.tqdm, file or sys.stdout):
            self.tqdm = None
        self.bar = None
        self.started = time.perf_counter()

    def run_epoch(self, steps: Iterable[float], epoch: int, epochs: int,
                  total: int | None) -> list[float]:
        """Run the epoch's steps, showing the running mean loss; returns the losses."""
        losses: list[float] = []
        if self.tqdm is not None:
            self.bar = self.tqdm(total=total, desc=f"epoch {epoch}/{epochs}", leave=True,
                                 file=self.file, dynamic_ncols=True)
        for loss in steps:
            losses.append(loss)
            self._show_step(epoch, epochs, len(losses), sum(losses) / len(losses))
        return losses

    def _show_step(self, epoch: int, epochs: int, step: int, running: float) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{running:.4f}", refresh=False)
        elif self.enabled and self.print_every and step % self.print_every == 0:
            self._print(f"epoch {epoch}/{epochs}  step {step}  loss {running:.4f}")

    def end_epoch(self, epoch: int, epochs: int, mean_loss: float,
                  metrics: dict[str, float]) -> None:
        """Close the epoch's bar, or print its summary line."""
        shown = "  ".join(f"{k} {v:.4f}" for k, v in metrics.items())
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{mean_loss:.4f}", **{k: f"{v:.4f}"
                                                            for k, v in metrics.items()})
            self.bar.close()
            self.bar = None
        elif self.enabled:
            elapsed = time.perf_counter() - self.started
            self._print(f"epoch {epoch}/{epochs}  loss {mean_loss:.4f}"
                        f"{'  ' + shown if shown else ''}  ({elapsed:.1f} s)")

    def _print(self, line: str) -> None:
        print(line, file=self.file or sys.stdout, flush=True)


def _shows_a_bar(tqdm: Any, stream: IO[str]) -> bool:
    """Whether a bar redraws in place: in a terminal, or as a notebook widget. Anywhere
    else (a log file, a pipe, captured output) tqdm would leave ``\\r`` fragments."""
    notebook = sys.modules.get("tqdm.notebook")  # imported by tqdm.auto only in Jupyter
    if notebook is not None and issubclass(tqdm, notebook.tqdm_notebook):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _optional_tqdm():
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm
