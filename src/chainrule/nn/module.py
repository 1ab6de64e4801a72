"""``Module`` and ``Parameter``: the bookkeeping under every layer.

A module finds its parameters, buffers and sub-modules by watching attribute
assignment: ``self.weight = Parameter(...)`` registers a parameter,
``self.block = Linear(...)`` a sub-module. Each is also a plain attribute, so
reading ``self.weight`` in ``forward`` costs nothing extra.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

import chainrule as cr


class Parameter(cr.Tensor):
    """A tensor that is a learnable part of a module: a leaf that requires grad.

    >>> w = cr.nn.Parameter(np.zeros(3))
    >>> w.requires_grad
    True
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None):
        super().__init__(data, dtype=dtype, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    # A copy must be a new leaf: copying the graph node would send the copy's
    # gradients to the original.
    def __deepcopy__(self, memo: dict) -> Parameter:
        twin = Parameter(self.numpy(), self.requires_grad)
        if self.grad is not None:
            twin.grad = cr.tensor(self.grad.numpy())
        memo[id(self)] = twin
        return twin

    def __reduce__(self):
        return Parameter, (self.numpy(), self.requires_grad)


class Module:
    """Base class of layers and models: subclass it, assign parameters and
    sub-modules in ``__init__``, and compute the output in ``forward``.

    >>> class Affine(cr.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.scale = cr.nn.Parameter(np.ones(3))
    ...     def forward(self, x):
    ...         return x * self.scale
    >>> model = Affine()
    >>> model(np.arange(3.0))
    tensor([0., 1., 2.], grad_fn=<multiply>)
    >>> [name for name, parameter in model.named_parameters()]
    ['scale']
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # --- registration ------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() has run; "
                                 f"call super().__init__() first in {type(self).__name__}")
        if isinstance(value, Parameter):
            self._place(self._parameters, name, value)
        elif isinstance(value, Module):
            self._place(self._modules, name, value)
        elif name in self._buffers:
            self._buffers[name] = self._as_buffer(name, value)
            value = self._buffers[name]
        elif name in self._parameters or name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to {name!r}, which "
                                f"is a {self._kind(name)}; assign a Parameter, a Module or "
                                f"None")
            (self._parameters if name in self._parameters else self._modules)[name] = None
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._forget(name)
        object.__delattr__(self, name)

    def _forget(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)

    def _place(self, registry: dict, name: str, value: Any) -> None:
        """Put ``value`` in ``registry`` (keeping its place if already there), and out of
        the others."""
        for other in (self._parameters, self._buffers, self._modules):
            if other is not registry:
                other.pop(name, None)
        registry[name] = value

    def _kind(self, name: str) -> str:
        return "parameter" if name in self._parameters else "sub-module"

    @staticmethod
    def _as_buffer(name: str, value: Any) -> np.ndarray | None:
        if value is None:
            return None
        if isinstance(value, cr.Tensor):
            if value.requires_grad:
                raise TypeError(f"buffer {name!r} cannot hold a tensor that requires grad; "
                                f"use a Parameter, or .detach() it")
            value = value.numpy()
        return np.asarray(value)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add ``param`` (or None, a declared but absent parameter) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter({name!r}) needs a Parameter or None, got "
                            f"{type(param).__name__}")
        self._place(self._parameters, name, param)
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, value: Any) -> None:
        """Add a NumPy array that is saved in ``state_dict`` but not trained (for
        example BatchNorm's running statistics)."""
        self._place(self._buffers, name, self._as_buffer(name, value))
        object.__setattr__(self, name, self._buffers[name])

    def add_module(self, name: str, module: Module | None) -> None:
        """Add ``module`` as a sub-module under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}) needs a Module, got {type(module).__name__}")
        self._place(self._modules, name, module)
        object.__setattr__(self, name, module)

    # --- calling -------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} has no forward() method")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # --- walking the tree ------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct sub-module."""
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every module below it, each once."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            below = [(f"{name}.{child}" if name else child, m)
                     for child, m in module.named_children()]
            stack.extend(reversed(below))

    def modules(self) -> Iterator[Module]:
        """This module and every module below it."""
        for _, module in self.named_modules():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool):
        seen = set()
        owners = self.named_modules(prefix) if recurse else [(prefix, self)]
        for owner_name, owner in owners:
            for name, value in getattr(owner, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{owner_name}.{name}" if owner_name else name), value

    def named_parameters(self, prefix: str = "",
                         recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) for every parameter, each once even if shared."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter, each once: what an optimizer trains."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "",
                      recurse: bool = True) -> Iterator[tuple[str, np.ndarray]]:
        """(dotted name, array) for every buffer."""
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[np.ndarray]:
        """Every buffer."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module and then on this module; returns self."""
        for module in reversed(list(self.modules())):
            fn(module)
        return self

    # --- modes and gradients ----------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (Dropout drops, BatchNorm uses batch statistics) here and
        below; returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Set evaluation mode, the same as ``train(False)``; returns self."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (set ``.grad`` to None)."""
        for param in self.parameters():
            param.grad = None

    def requires_grad_(self, flag: bool = True) -> Module:
        """Start or stop tracking gradients for every parameter; returns self."""
        for param in self.parameters():
            param.requires_grad_(flag)
        return self

    def to(self, dtype: Any) -> Module:
        """Cast every floating-point parameter and buffer to ``dtype``; returns self.

        Parameters stay the same objects (an optimizer made earlier still holds
        them); their gradients are dropped.
        """
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Module.to() needs a floating-point dtype, got {dtype}")
        for param in self.parameters():
            if param.dtype != dtype:
                param.data = param.numpy().astype(dtype)
                param.grad = None
        for module in self.modules():
            for name, buffer in list(module._buffers.items()):
                if buffer is not None and buffer.dtype.kind == "f":
                    module.register_buffer(name, buffer.astype(dtype))
        return self

    # --- state -----------------------------------------------------------------------
    def _state_entries(self) -> Iterator[tuple[str, Any]]:
        """(dotted name, parameter or buffer) in order, keeping shared entries under
        every name, as torch does."""
        for owner_name, owner in self.named_modules():
            for registry in (owner._parameters, owner._buffers):
                for name, value in registry.items():
                    if value is not None:
                        yield (f"{owner_name}.{name}" if owner_name else name), value

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Every parameter and buffer by dotted name, as NumPy copies."""
        return OrderedDict((name, np.array(_array(value), copy=True))
                           for name, value in self._state_entries())

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> None:
        """Copy values from ``state_dict`` into the parameters and buffers, in place.

        Everything is checked before anything is copied: a missing or (with
        ``strict``) unexpected key, or a shape that does not match, raises an
        error naming the key and leaves the module unchanged.
        """
        entries = OrderedDict(self._state_entries())
        missing = [k for k in entries if k not in state_dict]
        unexpected = [k for k in state_dict if k not in entries]
        if strict and (missing or unexpected):
            raise KeyError(_key_problems(type(self).__name__, missing, unexpected))
        checked = []
        for name, target in entries.items():
            if name not in state_dict:
                continue
            source = np.asarray(_array(state_dict[name]))
            current = _array(target)
            if source.shape != current.shape:
                raise ValueError(
                    f"load_state_dict for {type(self).__name__}: {name!r} has shape "
                    f"{source.shape} in the state_dict but {current.shape} in the model")
            if not np.can_cast(source.dtype, current.dtype, casting="same_kind"):
                raise TypeError(
                    f"load_state_dict for {type(self).__name__}: {name!r} has dtype "
                    f"{source.dtype} in the state_dict, which cannot become {current.dtype}")
            checked.append((target, source))
        with cr.no_grad():
            for target, source in checked:
                if isinstance(target, cr.Tensor):
                    target[...] = source  # in place, so the change is tracked
                else:
                    np.copyto(target, source, casting="same_kind")

    # --- printing --------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The settings shown between the parentheses of this module's repr."""
        return ""

    def __repr__(self) -> str:
        children = [f"({name}): " + _indent(repr(module))
                    for name, module in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not children:
            return head + ")"
        lines = ([f"  {self.extra_repr()}"] if self.extra_repr() else []) + \
            [f"  {child}" for child in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


def _array(value: Any) -> np.ndarray:
    return value.numpy() if isinstance(value, cr.Tensor) else np.asarray(value)


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


def _key_problems(owner: str, missing: list, unexpected: list) -> str:
    parts = []
    if missing:
        parts.append(f"missing keys {missing}")
    if unexpected:
        parts.append(f"unexpected keys {unexpected}")
    return f"load_state_dict for {owner}: " + " and ".join(parts) + "; nothing was loaded"


class Sequential(Module):
    """Modules applied one after another: ``Sequential(Linear(4, 8), ReLU(), Linear(8, 1))``.

    Indexing gives a module (or a smaller Sequential for a slice).
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            items = modules[0].items()
        else:
            items = ((str(i), m) for i, m in enumerate(modules))
        for name, module in items:
            self.add_module(name, module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index: int | slice) -> Module:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*modules[index])
        return modules[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self._modules)), module)
        return self


class ModuleList(Module):
    """A list of sub-modules, registered so that their parameters are found; it has
    no forward of its own."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add each module at the end; returns self."""
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, index: int | slice) -> Module | ModuleList:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(modules[index])
        return modules[index]

    def __setitem__(self, index: int, module: Module) -> None:
        name = list(self._modules)[index]
        self.add_module(name, module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())
