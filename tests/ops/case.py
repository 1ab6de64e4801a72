"""The format of the conformance table: one ``Case`` per way of calling a primitive.

Every registered primitive must appear in at least one case (``prim``); the
harness checks each case's reverse-mode derivatives against central finite
differences at first and second order, in float64 and float32.

A case marked ``linear=True`` computes a linear or piecewise-linear function of its
differentiable inputs (``sum``, slicing, ``relu``, ``sort`` ...): its gradient does
not depend on them, so its second-order checks are skipped, after checking that the
gradient is indeed not traced. Every other case must have a traced gradient.

A case marked ``complex=True`` takes complex inputs. The harness checks it
through ``split_complex``: each complex input ``z`` becomes two real inputs
``x, y`` with ``z = x + iy`` and the output becomes its real and imaginary
parts, so every real-valued check applies unchanged (float32 data become
complex64, float64 complex128).
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
    complex: bool = False
    linear: bool = False
    complex_source: Case | None = None  # set on the real split of a complex case

    def __post_init__(self):
        self.args = tuple(a if isinstance(a, Arg) else Arg(a) for a in self.args)

    @property
    def id(self) -> str:
        return f"{self.prim}-{self.name}" if self.name else self.prim


def real_and_imaginary(out):
    """A complex result as real numbers: its real and imaginary parts, stacked."""
    return np.stack([np.real(out), np.imag(out)])


def split_complex(case: Case) -> Case:
    """``case`` as a real function of the real and imaginary parts of its inputs."""

    def fn(*parts):
        args, position = [], iter(parts)
        for arg in case.args:
            args.append(next(position) + 1j * next(position) if arg.differentiable
                        else next(position))
        return real_and_imaginary(case.fn(*args))

    args = []
    for arg in case.args:
        args += [arg, arg] if arg.differentiable else [arg]
    name = f"{case.name}-complex" if case.name else "complex"
    return Case(case.prim, fn, tuple(args), name=name, order=case.order, dtypes=case.dtypes,
                rtol=case.rtol, extra_prims=case.extra_prims, linear=case.linear,
                complex_source=case)
