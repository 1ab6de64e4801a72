"""What counts as an array: NumPy's, or another type that speaks NumPy's protocols."""

from __future__ import annotations

import numpy as np

from .graph import strip


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


def compute_lazy(values: list, wanted: list | None = None) -> list:
    """``values`` with every lazy one (or the ``wanted`` ones) evaluated, all in one
    ``dask.compute`` call: one pass over their shared graph, on the current scheduler
    or distributed client."""
    if wanted is None:
        wanted = [is_lazy(value) for value in values]
    positions = [i for i, want in enumerate(wanted) if want]
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


def foreign_array_type(values) -> type | None:
    """The type of the first value in ``values`` (or in a list or tuple among them)
    that is an array of another library than NumPy (Dask, CuPy, an array-API array),
    under any trace boxes; None if there is none. chainrule's own stand-ins for
    arrays (compiled-trace and vmap values) do not count."""
    for value in values:
        if isinstance(value, (list, tuple)):
            found = foreign_array_type(value)
            if found is not None:
                return found
            continue
        kind = type(strip(value))
        if (kind.__module__ or "").startswith(("numpy", "builtins", "chainrule")):
            continue
        if not issubclass(kind, np.ndarray) and holds_arrays_of(kind):
            return kind
    return None


def in_library_of(g, like):
    """``g``, a NumPy array, as an array of ``like``'s library when that is another
    (Dask, CuPy): the gradient of an input has the input's type even where it does
    not depend on its data. Anything else is returned as it is."""
    if type(g) is np.ndarray and type(like) is not np.ndarray \
            and foreign_array_type((like,)) is not None:
        return np.asarray(g, like=like)
    return g


def surely_false(mask) -> bool:
    """True when ``mask`` is known to hold no True entry: an in-memory mask with none.

    Rules use it to skip work that only matters where the mask holds (a correction at
    ties, a series near zero). A lazy mask is never known without computing it, so
    the full formula runs, which is right everywhere."""
    mask = strip(mask)
    return not is_lazy(mask) and not np.any(mask)


def surely_true(mask) -> bool:
    """True when ``mask`` is known to be True everywhere (see ``surely_false``)."""
    mask = strip(mask)
    return not is_lazy(mask) and bool(np.all(mask))


def zeros_like_kind(like, shape, dtype=None):
    """Zeros of ``shape`` and ``dtype`` (``like``'s by default), an array of the same
    library as ``like``: a Dask array for a Dask one, a CuPy array for a CuPy one."""
    if type(like) is np.ndarray:
        return np.zeros(shape, like.dtype if dtype is None else dtype)
    return np.zeros_like(like, dtype=dtype, shape=shape)


def known_to_hold(mask) -> bool:
    """True when ``mask`` is in memory and holds a True entry: for checks of bad input
    that may run only where they cost no computation (a lazy mask passes)."""
    mask = strip(mask)
    return not is_lazy(mask) and bool(np.any(mask))


def array_copy(x, dtype=None):
    """A copy of an array of any type, of that type (``np.array(x, copy=True)`` would
    turn a Dask array into a NumPy one), cast to ``dtype`` if given."""
    if not is_duck_array(x):
        return np.array(x, dtype=dtype, copy=True)
    return x.copy() if dtype is None else x.astype(dtype, copy=True)


def check_known_shape(shape: tuple, what: str) -> None:
    """Raise if ``shape`` has an unknown length (NaN, as Dask gives after indexing with
    a lazy boolean mask): ``what`` needs the shape, and Dask would only find it by
    computing the array."""
    if any(n != n for n in shape):
        raise ValueError(
            f"{what} needs the shape of an array whose chunk sizes are unknown (shape "
            f"{shape}), as after indexing a Dask array with a lazy mask, x[x > 0]: call "
            f"y = y.compute_chunk_sizes() on that array first (it computes the mask once), "
            f"or write the function with np.where(mask, x, 0) instead of selecting")


def refuse_foreign_arrays(prim, args: tuple) -> None:
    """Raise if ``prim``, declared NumPy-only, was handed an array of another library."""
    kind = foreign_array_type(args)
    if kind is not None:
        raise TypeError(f"primitive '{prim.name}' works on NumPy arrays only, and was given "
                        f"a {_type_name(kind)} ({prim.numpy_only}): {_conversion(kind)}")


def note_foreign_failure(prim, values, error: BaseException, what: str) -> None:
    """Add a note to ``error``, raised while primitive ``prim`` (``what``: its forward
    function or its gradient rule) ran on ``values``, naming the primitive and the
    array library when one of ``values`` is not NumPy's: the library may not support
    the operation. Python 3.10 has no exception notes; there the error is unchanged."""
    if not hasattr(error, "add_note") or not isinstance(values, (tuple, list)):
        return
    if any(note.startswith("chainrule:") for note in getattr(error, "__notes__", ())):
        return  # the innermost primitive has said it
    kind = foreign_array_type(values)
    if kind is None:
        return
    library = kind.__module__.split(".")[0]
    error.add_note(
        f"chainrule: primitive '{prim.name}' ({what}) failed on a {_type_name(kind)}. If "
        f"the same code runs on NumPy arrays, {library} does not support this operation "
        f"on its arrays: {_conversion(kind)}, or write it differently.")


def _type_name(kind: type) -> str:
    return f"{kind.__module__}.{kind.__name__}"


def _conversion(kind: type) -> str:
    """How to bring an array of type ``kind`` into memory as NumPy's."""
    if hasattr(kind, "__dask_graph__"):
        return "compute it first with x.compute() (reduced to what fits in memory)"
    return ("convert it to a NumPy array first (cupy.asnumpy(x) for CuPy, np.asarray(x) "
            "for array-API arrays)")
