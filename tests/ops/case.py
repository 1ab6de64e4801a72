"""The format of the conformance table: one ``Case`` per way of calling a primitive.

Every registered primitive must appear in at least one case (``prim``); the
harness checks each case's reverse-mode derivatives against central finite
differences at first and second order, in float64 and float32.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Arg:
    """A random input: float data uniform in [low, high), or fixed non-differentiable data."""

    shape: tuple = ()
    low: float = -2.0
    high: float = 2.0
    value: object = None  # a fixed value (indices, masks): not differentiated

    @property
    def differentiable(self) -> bool:
        return self.value is None

    def make(self, rng: np.random.Generator, dtype) -> np.ndarray:
        if self.value is not None:
            return self.value
        return rng.uniform(self.low, self.high, size=self.shape).astype(dtype)


@dataclass
class Case:
    """``fn(*inputs)`` written with NumPy calls; it must exercise primitive ``prim``."""

    prim: str
    fn: Callable
    args: tuple
    name: str = ""
    order: int = 2
    dtypes: tuple = (np.float64, np.float32)
    rtol: float = 1e-5
    extra_prims: tuple = field(default=())

    def __post_init__(self):
        self.args = tuple(a if isinstance(a, Arg) else Arg(a) for a in self.args)

    @property
    def id(self) -> str:
        return f"{self.prim}-{self.name}" if self.name else self.prim
