"""Where the built-in primitives are listed, and how NumPy names map to them.

``PRIMITIVES`` is every built-in primitive by name (the conformance tests walk
it). ``UFUNCS`` maps a NumPy ufunc to its primitive, for ``__array_ufunc__``;
``FUNCTIONS`` maps a NumPy function to a wrapper with NumPy's signature, for
``__array_function__`` and ``chainrule.numpy``.
"""

from __future__ import annotations

from collections.abc import Callable

from .._core.primitive import Primitive

PRIMITIVES: dict[str, Primitive] = {}
UFUNCS: dict = {}
FUNCTIONS: dict = {}
NONDIFFERENTIABLE: set = set()


def defprim(fun: Callable, name: str | None = None, *, numpy_only: str = "") -> Primitive:
    """Make and register a built-in primitive. ``numpy_only`` says why it cannot run on
    arrays of other libraries (Dask, CuPy), when it cannot: it then refuses them."""
    prim = Primitive(fun, name)
    prim.numpy_only = numpy_only
    if prim.name in PRIMITIVES:
        raise ValueError(f"a primitive named {prim.name!r} is already registered")
    PRIMITIVES[prim.name] = prim
    return prim


def implements(*numpy_functions: Callable) -> Callable:
    """Decorator: route these NumPy functions to the decorated wrapper."""

    def register(wrapper: Callable) -> Callable:
        for f in numpy_functions:
            FUNCTIONS[f] = wrapper
        return wrapper

    return register


def nondifferentiable(*numpy_functions: Callable) -> None:
    """These NumPy functions take Tensors but give plain arrays, with no gradient."""
    NONDIFFERENTIABLE.update(numpy_functions)
