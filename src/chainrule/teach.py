"""A neuron, a layer and a multi-layer perceptron built from scalar ``Value`` s.

Meant for learning: every weight is a ``Value`` you can print, and a training loop is
a few lines you write yourself::

    >>> from chainrule.teach import MLP
    >>> model = MLP(2, [4, 1], rng=0)
    >>> len(model.parameters())
    17
    >>> loss = (model([0.5, -1.0]) - 1.0) ** 2
    >>> model.zero_grad()
    >>> loss.backward()
    >>> for p in model.parameters():
    ...     p.data -= 0.1 * p.grad
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from .value import Value

__all__ = ["Layer", "MLP", "Module", "Neuron"]

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")


class Module:
    """Something with parameters: ``parameters()`` and ``zero_grad()``."""

    def parameters(self) -> list[Value]:
        """Every trainable ``Value``, in a fixed order."""
        return []

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to 0.0 (call it before ``backward()``)."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """``activation(w · x + b)`` with one weight per input.

    Weights start uniform in [-1, 1) from ``rng`` (a ``random.Random`` or an int
    seed), the bias at 0.
    """

    def __init__(
        self,
        nin: int,
        activation: str = "tanh",
        rng: random.Random | int | None = None,
    ) -> None:
        rng = _as_rng(rng)
        self.activation = _checked_activation(activation)
        self.weights = [Value(rng.uniform(-1.0, 1.0)) for _ in range(nin)]
        self.bias = Value(0.0)

    def __call__(self, x: Sequence[Value | float]) -> Value:
        if len(x) != len(self.weights):
            raise ValueError(
                f"this neuron takes {len(self.weights)} inputs but got {len(x)}; "
                "pass one number or Value per weight"
            )
        total = self.bias
        # A plain loop, not sum() over a generator: it is the hot path of training.
        for w, xi in zip(self.weights, x, strict=True):
            total = total + w * xi
        if self.activation == "linear":
            return total
        return getattr(total, self.activation)()

    def parameters(self) -> list[Value]:
        return [*self.weights, self.bias]

    def __repr__(self) -> str:
        return f"Neuron({len(self.weights)} inputs, {self.activation})"


class Layer(Module):
    """``nout`` independent neurons reading the same ``nin`` inputs."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "tanh",
        rng: random.Random | int | None = None,
    ) -> None:
        rng = _as_rng(rng)
        self.neurons = [Neuron(nin, activation, rng) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        return [neuron(x) for neuron in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for neuron in self.neurons for p in neuron.parameters()]

    def __repr__(self) -> str:
        first = self.neurons[0]
        return f"Layer({len(first.weights)} -> {len(self.neurons)}, {first.activation})"


class MLP(Module):
    """Layers of neurons in sequence: ``MLP(2, [16, 16, 1])`` maps 2 inputs to 1 output.

    Hidden layers use ``activation`` (tanh by default: in a network this small, ReLU
    units often all stop at 0 on a few samples and the output sticks at a constant;
    pass ``activation="relu"`` to try it); the last layer ``output_activation``
    (linear by default, as a score or regression output should be). Calling the model returns a
    single ``Value`` when the last layer has one neuron, else a list.
    """

    def __init__(
        self,
        nin: int,
        sizes: Sequence[int],
        activation: str = "tanh",
        output_activation: str = "linear",
        rng: random.Random | int | None = None,
    ) -> None:
        if not sizes:
            raise ValueError("an MLP needs at least one layer: pass sizes such as [16, 1]")
        rng = _as_rng(rng)
        widths = [nin, *sizes]
        activations = [activation] * (len(sizes) - 1) + [output_activation]
        self.layers = [
            Layer(n_in, n_out, act, rng)
            for n_in, n_out, act in zip(widths[:-1], widths[1:], activations, strict=True)
        ]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        layers = ", ".join(repr(layer) for layer in self.layers)
        return f"MLP([{layers}], {len(self.parameters())} parameters)"


def _as_rng(rng: random.Random | int | None) -> random.Random:
    if isinstance(rng, random.Random):
        return rng
    return random.Random(rng)


def _checked_activation(name: str) -> str:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return name
