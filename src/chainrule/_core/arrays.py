"""What counts as an array: NumPy's, or another type that speaks NumPy's protocols."""

from __future__ import annotations

import numpy as np

from .primitive import strip


def holds_arrays_of(kind: type) -> bool:
    """Whether values of type ``kind`` are arrays a Tensor may hold (rather than
    containers that wrap arrays, such as xarray's): types of the array API
    (``__array_namespace__``), and Dask's and CuPy's arrays, recognised by their
    module so that neither is imported here."""
    if hasattr(kind, "__array_namespace__"):
        return True
    module = getattr(kind, "__module__", "") or ""
    return ((module.startswith("dask.array") and kind.__name__ == "Array")
            or (module.startswith("cupy") and kind.__name__ == "ndarray"))


def is_duck_array(value) -> bool:
    """Whether ``value`` is an array of another type than NumPy's (a value traced by
    ``cr.jit``, for one) that NumPy functions dispatch to: it has a shape, a dtype
    and ``__array_function__``, and must not be converted with ``np.asarray``."""
    return (not isinstance(value, np.ndarray) and hasattr(type(value), "__array_function__")
            and hasattr(value, "shape") and hasattr(value, "dtype"))


def is_array(value) -> bool:
    """A NumPy array or a duck array (see ``is_duck_array``)."""
    return isinstance(value, np.ndarray) or is_duck_array(value)


def plain_array(x, dtype=None):
    """The array under any trace boxes, as an array: a NumPy array, or a duck array
    kept as it is (so that a compiled trace records what is computed from it)."""
    value = strip(x)
    if is_duck_array(value):
        return value if dtype is None or value.dtype == dtype else value.astype(dtype)
    return np.asarray(value, dtype)


def is_lazy(value) -> bool:
    """Whether ``value`` is a lazy collection (a Dask array): it follows Dask's
    collection protocol, so ``dask.compute`` evaluates it."""
    return hasattr(type(value), "__dask_graph__")


def compute_lazy(values: list) -> list:
    """``values`` with every lazy one evaluated, all in one ``dask.compute`` call (one
    pass over the shared graph, on the current scheduler or distributed client)."""
    positions = [i for i, value in enumerate(values) if is_lazy(value)]
    if not positions:
        return values
    import dask  # present: a lazy value came from it

    computed = dask.compute(*(values[i] for i in positions))
    values = list(values)
    for i, value in zip(positions, computed):
        values[i] = value
    return values


def size_of(value) -> int:
    """The number of entries of an array of any type, read from its shape (NumPy's
    ``np.size`` would make a Dask array compute)."""
    shape = getattr(value, "shape", None)
    return int(np.prod(shape)) if shape is not None else int(np.size(value))
