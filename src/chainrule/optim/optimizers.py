"""Gradient-descent optimizers with parameter groups, as ``torch.optim`` defines them.

Each optimizer reads ``p.grad`` of its parameters and gives every parameter a new
array. The update is plain NumPy on the underlying arrays (nothing is recorded),
and the parameter's array is *replaced* rather than overwritten: a graph recorded
before ``step()`` still holds the values it was computed from, so a late
``backward()`` through it is consistent instead of silently mixing old and new
values. float32 parameters stay float32: hyperparameters are applied as Python
floats, which NumPy does not let widen an array's dtype.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from chainrule import Tensor, enable_grad

ParamsLike = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``zero_grad`` and ``step``.

    ``params`` is an iterable of Tensors, of ``(name, Tensor)`` pairs (as from
    ``Module.named_parameters()``), or of dicts each holding ``"params"`` and any
    hyperparameters that group overrides. A subclass supplies ``_update`` (the
    rule for one parameter) and ``_state_names`` (the state it keeps).
    """

    def __init__(self, params: ParamsLike, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Tensor, dict[str, Any]] = {}
        if isinstance(params, Tensor):
            raise TypeError("params should be an iterable of Tensors or of dicts, got a "
                            "single Tensor; wrap it in a list: [p]")
        groups = list(params)
        if not groups:
            raise ValueError("the optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # --- parameter groups ------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters, with hyperparameters defaulting to the optimizer's."""
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError("a parameter group is a dict with a 'params' entry")
        params = _parameter_list(param_group["params"])
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if len({id(p) for p in params}) != len(params) or any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group "
                             "(or twice in one); each parameter may be optimized once")
        group = {**self.defaults, **param_group, "params": params}
        self._check_hyperparameters(group)
        self.param_groups.append(group)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        """Raise ValueError for a hyperparameter outside its range."""
        _require(group, "lr", group["lr"] >= 0)
        if "weight_decay" in group:
            _require(group, "weight_decay", group["weight_decay"] >= 0)
        if "eps" in group:
            _require(group, "eps", group["eps"] >= 0)

    # --- the training-loop API -------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (``None``, or zeros if ``set_to_none=False``)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad.data = np.zeros_like(p.grad.data)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()`` if given.

        ``closure`` re-evaluates the model and returns the loss; it runs with
        gradient recording on.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.data = self._step_one(p.data, p.grad.data,
                                            self.state.setdefault(p, {}), group)
        return loss

    def _step_one(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                  group: dict[str, Any]) -> np.ndarray:
        if grad.shape != param.shape:
            raise ValueError(f"a parameter of shape {param.shape} has a .grad of shape "
                             f"{grad.shape}; gradients must have their parameter's shape")
        grad = grad.astype(param.dtype, copy=False)
        if param.dtype.kind != "c":
            return self._update(param, grad, state, group)
        # As torch does: a complex entry is a pair of real ones, each updated on its own.
        _, real = _state_layout(param)
        as_real = lambda a: np.ascontiguousarray(a).reshape(-1).view(real)
        new = self._update(as_real(param), as_real(grad), state, group)
        return new.view(param.dtype).reshape(param.shape)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> np.ndarray:
        """The new value of one parameter; may update ``state`` in place."""
        raise NotImplementedError

    def _state_names(self, group: dict[str, Any]) -> set[str]:
        """The state entries a parameter of ``group`` has after its first step."""
        raise NotImplementedError

    # --- saving and restoring ----------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """A snapshot of hyperparameters and state, with parameters named by position.

        Arrays are copied, so training on does not change a saved snapshot. The
        result holds only dicts, lists, tuples, numbers and arrays, so
        ``cr.save`` can write it.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            saved = {k: v for k, v in group.items() if k != "params"}
            saved["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(saved)
        state = {index[id(p)]: {k: _copy_value(v) for k, v in entry.items()}
                 for p, entry in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a snapshot made by ``state_dict()`` of an optimizer of the same shape.

        Raises ValueError or KeyError, naming the entry, when the snapshot does not
        fit these parameters (other group sizes, missing or extra state, shapes).
        """
        for key in ("state", "param_groups"):
            if key not in state_dict:
                raise KeyError(f"optimizer state_dict has no {key!r} entry")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"the state_dict has {len(saved_groups)} parameter groups but "
                             f"this optimizer has {len(self.param_groups)}")
        by_index: dict[int, tuple[Tensor, dict[str, Any]]] = {}
        new_groups = []
        for number, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"parameter group {number} has {len(saved['params'])} "
                                 f"parameters in the state_dict but {len(group['params'])} "
                                 f"in this optimizer")
            hyper = {k: tuple(v) if isinstance(v, list) else v
                     for k, v in saved.items() if k != "params"}
            new_group = {**hyper, "params": group["params"]}
            new_groups.append(new_group)
            by_index.update({int(i): (p, new_group)
                             for i, p in zip(saved["params"], group["params"], strict=True)})
        new_state = {}
        for key, entry in state_dict["state"].items():
            if int(key) not in by_index:
                raise KeyError(f"state entry {key!r} belongs to no parameter "
                               f"(this optimizer has {len(by_index)})")
            param, group = by_index[int(key)]
            new_state[param] = self._checked_state(int(key), entry, param, group)
        self.param_groups = new_groups
        self.state = new_state

    def _checked_state(self, key: int, entry: dict[str, Any], param: Tensor,
                       group: dict[str, Any]) -> dict[str, Any]:
        expected = self._state_names(group)
        for name in sorted(expected - set(entry)):
            raise KeyError(f"optimizer state of parameter {key} is missing {name!r}")
        for name in sorted(set(entry) - expected):
            raise KeyError(f"optimizer state of parameter {key} has an unexpected entry "
                           f"{name!r} (expected {sorted(expected)})")
        shape, dtype = _state_layout(param)
        checked = {}
        for name, value in entry.items():
            if name == "step":
                checked[name] = int(value)
                continue
            value = np.asarray(value)
            if value.shape != shape:
                raise ValueError(f"optimizer state {name!r} of parameter {key} has shape "
                                 f"{value.shape} but the parameter needs shape {shape}")
            checked[name] = value.astype(dtype, copy=True)
        return checked

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


def _parameter_list(params: Any) -> list[Tensor]:
    if isinstance(params, Tensor):
        params = [params]
    params = [p[1] if isinstance(p, tuple) else p for p in params]
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"optimizers take Tensors, got {type(p).__name__}")
        if not p.is_leaf:
            raise ValueError("cannot optimize a tensor made by an operation (a non-leaf); "
                             "optimize the leaf tensors it was computed from")
        if p.dtype.kind not in "fc":
            raise TypeError(f"cannot optimize a tensor of dtype {p.dtype}; parameters "
                            f"must be floating point")
    return params


def _state_layout(param: Tensor | np.ndarray) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of a parameter's state arrays: its own, or for a complex
    parameter a flat real array holding real and imaginary parts side by side."""
    if param.dtype.kind != "c":
        return param.shape, param.dtype
    return (2 * int(np.prod(param.shape)),), np.empty(0, param.dtype).real.dtype


def _require(group: dict[str, Any], name: str, ok: bool) -> None:
    if not ok:
        raise ValueError(f"invalid {name}: {group[name]!r}")


def _copy_value(value: Any) -> Any:
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value


def _descend(param: np.ndarray, direction: np.ndarray, step_size: float,
             divisor: np.ndarray | None = None) -> np.ndarray:
    """``param - step_size * direction [/ divisor]`` as a new array, allocating only it."""
    out = direction * -step_size
    if divisor is not None:
        out /= divisor
    out += param
    return out


def _ascent_aware(grad: np.ndarray, group: dict[str, Any]) -> np.ndarray:
    """The gradient to descend: negated when the group maximizes."""
    return -grad if group["maximize"] else grad


def _with_weight_decay(grad: np.ndarray, param: np.ndarray, weight_decay: float) -> np.ndarray:
    """L2 penalty folded into the gradient: ``grad + weight_decay * param``."""
    return grad + weight_decay * param if weight_decay else grad


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (torch.optim.SGD).

    With ``g`` the gradient plus ``weight_decay * p``: the buffer is ``b = g`` at
    the first step and ``b = momentum * b + (1 - dampening) * g`` after; the step
    direction is ``g + momentum * b`` (Nesterov) or ``b``; ``p -= lr * direction``.

    >>> w = cr.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = cr.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> (w ** 2).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.8, -1.6], requires_grad=True)
    """

    def __init__(self, params: ParamsLike, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        _require(group, "momentum", group["momentum"] >= 0)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")

    def _state_names(self, group: dict[str, Any]) -> set[str]:
        return {"momentum_buffer"} if group["momentum"] else set()

    def _update(self, param, grad, state, group):
        lr, momentum = float(group["lr"]), float(group["momentum"])
        grad = _with_weight_decay(_ascent_aware(grad, group), param,
                                  float(group["weight_decay"]))
        if momentum:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = np.array(grad, copy=True)
            else:
                buffer *= momentum
                buffer += (1.0 - float(group["dampening"])) * grad
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        return _descend(param, grad, lr)


class Adam(Optimizer):
    """Adam (torch.optim.Adam), with optional AMSGrad and decoupled weight decay.

    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g²`` and
    ``p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``, where AMSGrad
    uses the running maximum of ``v``. Weight decay is added to ``g``, or with
    ``decoupled_weight_decay=True`` (AdamW) multiplies ``p`` by ``1 - lr * wd`` first.
    """

    def __init__(self, params: ParamsLike, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        for beta in group["betas"]:
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"invalid betas: {group['betas']!r} (each in [0, 1))")

    def _state_names(self, group: dict[str, Any]) -> set[str]:
        names = {"step", "exp_avg", "exp_avg_sq"}
        return names | {"max_exp_avg_sq"} if group["amsgrad"] else names

    def _update(self, param, grad, state, group):
        lr, eps, weight_decay = float(group["lr"]), float(group["eps"]), float(
            group["weight_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(param), exp_avg_sq=np.zeros_like(param))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        grad = _ascent_aware(grad, group)
        if group["decoupled_weight_decay"]:
            param = param * (1.0 - lr * weight_decay) if weight_decay else param
        else:
            grad = _with_weight_decay(grad, param, weight_decay)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg += (1.0 - beta1) * (grad - exp_avg)
        exp_avg_sq *= beta2
        exp_avg_sq += (1.0 - beta2) * grad * grad
        if group["amsgrad"]:
            second_moment = np.maximum(state["max_exp_avg_sq"], exp_avg_sq,
                                       out=state["max_exp_avg_sq"])
        else:
            second_moment = exp_avg_sq
        step = state["step"]
        step_size = lr / (1.0 - beta1 ** step)
        denominator = np.sqrt(second_moment)
        denominator /= math.sqrt(1.0 - beta2 ** step)
        denominator += eps
        return _descend(param, exp_avg, step_size, denominator)


class AdamW(Adam):
    """Adam with decoupled weight decay (torch.optim.AdamW): ``p *= 1 - lr * wd`` each step."""

    def __init__(self, params: ParamsLike, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=True)


class RMSprop(Optimizer):
    """RMSprop (torch.optim.RMSprop), optionally centered and with momentum.

    ``v = alpha v + (1 - alpha) g²``; the scale is ``sqrt(v) + eps``, or
    ``sqrt(v - ḡ²) + eps`` when centered (``ḡ`` a running mean of ``g``);
    ``p -= lr * g / scale``, or through a momentum buffer ``b = momentum b + g / scale``.
    """

    def __init__(self, params: ParamsLike, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered,
                                      maximize=maximize))

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        _require(group, "alpha", group["alpha"] >= 0)
        _require(group, "momentum", group["momentum"] >= 0)

    def _state_names(self, group: dict[str, Any]) -> set[str]:
        names = {"step", "square_avg"}
        if group["momentum"] > 0:
            names.add("momentum_buffer")
        if group["centered"]:
            names.add("grad_avg")
        return names

    def _update(self, param, grad, state, group):
        lr, alpha, momentum = float(group["lr"]), float(group["alpha"]), float(
            group["momentum"])
        if not state:
            state.update(step=0, square_avg=np.zeros_like(param))
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        grad = _with_weight_decay(_ascent_aware(grad, group), param,
                                  float(group["weight_decay"]))
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1.0 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg += (1.0 - alpha) * (grad - grad_avg)
            scale = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            scale = np.sqrt(square_avg)
        scale += float(group["eps"])
        if momentum > 0:
            buffer = state["momentum_buffer"]
            buffer *= momentum
            buffer += grad / scale
            return _descend(param, buffer, lr)
        return _descend(param, grad / scale, lr)


class Adagrad(Optimizer):
    """Adagrad (torch.optim.Adagrad).

    ``s += g²`` and ``p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)``,
    with ``s`` starting at ``initial_accumulator_value``.
    """

    def __init__(self, params: ParamsLike, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        _require(group, "lr_decay", group["lr_decay"] >= 0)
        _require(group, "initial_accumulator_value", group["initial_accumulator_value"] >= 0)

    def _state_names(self, group: dict[str, Any]) -> set[str]:
        return {"step", "sum"}

    def _update(self, param, grad, state, group):
        if not state:
            state.update(step=0, sum=np.full_like(
                param, float(group["initial_accumulator_value"])))
        state["step"] += 1
        grad = _with_weight_decay(_ascent_aware(grad, group), param,
                                  float(group["weight_decay"]))
        decayed_lr = float(group["lr"]) / (1.0 + (state["step"] - 1) * float(group["lr_decay"]))
        accumulated = state["sum"]
        accumulated += grad * grad
        scale = np.sqrt(accumulated)
        scale += float(group["eps"])
        return _descend(param, grad / scale, decayed_lr)
