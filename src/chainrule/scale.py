"""Objectives over Dask data: one round trip to the scheduler per point.

``chainrule.optimize``, ``chainrule.mle`` and ``chainrule.training`` fit small
in-memory parameters to data held as Dask arrays (or, for ``fit_mle``, the
columns of a Dask DataFrame). The helpers here are what they share:

- ``holds_lazy`` and ``check_lazy_data`` decide whether data is lazy and
  reject what cannot be computed on (unknown chunk sizes, foreign arrays);
- ``running_on(client)`` sends every ``dask.compute`` in its block to a
  ``dask.distributed.Client`` (``None`` keeps Dask's default scheduler);
- ``Evaluations`` computes the value and the derivatives an optimiser needs at
  a point in ONE ``dask.compute`` and keeps them for the next call at that
  point, so SciPy's separate calls for value, gradient and Hessian at one point
  cost one round trip;
- ``value_gradient_hessian`` and ``values_and_jacobian`` build those parts as
  one lazy graph;
- ``frame_columns`` turns a pandas or Dask DataFrame into a dict of its columns.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from ._core.arrays import compute_lazy, is_duck_array, is_lazy
from ._core.primitive import strip
from ._pytree import flatten
from .transforms import jacfwd, jacobian, value_and_grad

__all__ = ["ClusterComputeError", "Evaluations", "check_lazy_data", "failures_named",
           "frame_columns", "holds_lazy", "is_frame", "running_on", "value_gradient_hessian",
           "values_and_jacobian"]


class ClusterComputeError(RuntimeError):
    """Computing on Dask failed at an iteration: a worker died and Dask's retries
    did not recover, or the scheduler could not be reached."""


def holds_lazy(tree: Any) -> bool:
    """Whether any leaf of ``tree`` (a pytree of arguments) is a Dask collection."""
    return any(is_lazy(strip(leaf)) for leaf in flatten(tree)[0])


def check_lazy_data(tree: Any, what: str = "args") -> None:
    """Raise a clear error for data chainrule cannot compute on next to Dask arrays:
    Dask arrays with unknown chunk sizes, Dask DataFrames (pass their columns), and
    arrays of other libraries (pandas, CuPy, ...) mixed with Dask data."""
    leaves = flatten(tree)[0]
    for position, leaf in enumerate(leaves):
        value = strip(leaf)
        where = f"{what}[{position}]" if len(leaves) > 1 else what
        if is_lazy(value):
            _check_dask_leaf(value, where)
        elif _is_foreign_array(value):
            raise TypeError(
                f"{where} is a {_type_name(value)} next to Dask data; chainrule computes on "
                f"Dask and NumPy arrays together: convert it with np.asarray(...) (small "
                f"data) or dask.array.from_array(...) (large data)")


def _check_dask_leaf(value: Any, where: str) -> None:
    if not hasattr(value, "chunks") or not hasattr(value, "dtype"):
        raise TypeError(
            f"{where} is a {_type_name(value)}; chainrule computes on Dask arrays: pass "
            f"the columns as arrays (chainrule.mle.fit_mle takes a DataFrame as data= and "
            f"passes a dict of its columns), or use frame.to_dask_array(lengths=True)")
    if any(np.isnan(size) for size in value.shape):
        raise ValueError(
            f"{where} is a Dask array with unknown chunk sizes (shape {value.shape}), as "
            f"after boolean indexing or reading a DataFrame: call x.compute_chunk_sizes() "
            f"(or frame.to_dask_array(lengths=True)) before fitting")


def _is_foreign_array(value: Any) -> bool:
    """An array of another library than NumPy and Dask (NumPy scalars and Python
    numbers, strings and options are not arrays)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return False
    return is_duck_array(value) or hasattr(value, "__array__")


def _type_name(value: Any) -> str:
    kind = type(value)
    return f"{kind.__module__.split('.')[0]}.{kind.__name__}"


@contextmanager
def running_on(client: Any) -> Iterator[None]:
    """Run every ``dask.compute`` in the block on ``client`` (a ``dask.distributed.Client``);
    with ``None``, on Dask's default (the threaded scheduler, or an active client)."""
    if client is None:
        yield
        return
    if not (hasattr(client, "get") and hasattr(client, "scheduler_info")):
        raise TypeError(f"client must be a dask.distributed.Client, got a {_type_name(client)}; "
                        f"create one with dask.distributed.Client(...), or pass None for "
                        f"Dask's default scheduler")
    import dask  # present: the caller has a client

    with dask.config.set(scheduler=client):
        yield


@contextmanager
def failures_named(doing: str, when: str) -> Iterator[None]:
    """Turn a lost computation (a worker died, a connection closed) in the block into
    a ``ClusterComputeError`` saying what was being done and when; other errors pass."""
    try:
        yield
    except Exception as error:
        if not _is_cluster_failure(error):
            raise
        raise ClusterComputeError(
            f"{doing} on Dask failed at {when}: {type(error).__name__}: {error}. A worker "
            f"may have died more often than Dask retries a task (the scheduler's "
            f"distributed.scheduler.allowed-failures), or the scheduler is unreachable; "
            f"check the workers' memory and logs, then run again") from error


def _is_cluster_failure(error: BaseException) -> bool:
    """Whether ``error`` says the computation was lost (a worker died, a connection
    closed), rather than that the objective itself is wrong."""
    module = type(error).__module__ or ""
    return (module.split(".")[0] == "distributed"
            or isinstance(error, (OSError, TimeoutError, concurrent.futures.CancelledError,
                                  asyncio.CancelledError)))


class Evaluations:
    """What an optimiser asks for at one point, computed together in one round trip.

    ``parts(flat)`` returns a tuple (value, gradient, ... as NumPy values, evaluated
    in one ``dask.compute``); ``at(flat)`` returns it, computing only for a point
    other than the last one. ``iteration`` counts the optimiser's iterations (the
    caller advances it from SciPy's callback) so that a failure names it;
    ``computes`` counts the round trips. Without that count (``iteration`` None),
    a failure names the round trip.
    """

    def __init__(self, parts: Callable[[np.ndarray], tuple], client: Any = None,
                 what: str = "the objective"):
        self.parts, self.client, self.what = parts, client, what
        self.iteration: int | None = None
        self.computes = 0
        self._point: np.ndarray | None = None
        self._values: tuple = ()

    def at(self, flat: Any) -> tuple:
        """The parts at ``flat``, from the last round trip when it was at this point."""
        flat = np.asarray(flat, dtype=np.float64)
        if self._point is None or not np.array_equal(flat, self._point):
            self._values = self._computed(flat)
            self._point = flat.copy()
        return self._values

    def holds(self, flat: Any) -> bool:
        """Whether the last round trip was at ``flat``."""
        return self._point is not None and np.array_equal(np.asarray(flat), self._point)

    def _computed(self, flat: np.ndarray) -> tuple:
        self.computes += 1
        when = (f"round trip {self.computes}" if self.iteration is None else
                f"iteration {self.iteration} (round trip {self.computes})")
        with running_on(self.client), failures_named(f"computing {self.what}", when):
            return tuple(compute_lazy(list(self.parts(flat))))

    def counting_iterations(self, relay: Callable | None) -> Callable:
        """A SciPy callback that advances ``iteration`` and then calls ``relay``
        (the user's callback, already adapted to SciPy), keeping its signature."""
        self.iteration = 0
        if relay is not None and _takes_intermediate_result(relay):
            def count_result(intermediate_result):
                self.iteration = (self.iteration or 0) + 1
                return relay(intermediate_result=intermediate_result)

            return count_result

        def count(xk, *rest):
            self.iteration = (self.iteration or 0) + 1
            return None if relay is None else relay(xk, *rest)

        return count


def _takes_intermediate_result(callback: Callable) -> bool:
    import inspect

    return set(inspect.signature(callback).parameters) == {"intermediate_result"}


def value_gradient_hessian(fun: Callable) -> Callable:
    """``parts(flat, *args) -> (value, gradient, hessian)`` of a scalar ``fun``, from
    one traced graph: lazy data gives one lazy graph, evaluated in one compute."""

    def gradient_with_value(flat, *args):
        value, gradient = value_and_grad(fun)(flat, *args)
        return gradient, (value, gradient)

    hessian_with_aux = jacfwd(gradient_with_value, has_aux=True)

    def parts(flat, *args):
        hess, (value, gradient) = hessian_with_aux(flat, *args)
        return value, gradient, hess

    return parts


def values_and_jacobian(fun: Callable, forward: bool) -> Callable:
    """``parts(flat) -> (values, jacobian)`` of a vector ``fun`` from one traced graph
    (forward mode when ``forward``, for fewer inputs than outputs)."""

    def values_twice(flat):
        values = fun(flat)
        return values, values

    transform = jacfwd if forward else jacobian
    with_values = transform(values_twice, has_aux=True)

    def parts(flat):
        jac, values = with_values(flat)
        return values, jac

    return parts


def frame_columns(frame: Any, columns: Sequence[str] | None = None) -> dict[str, Any]:
    """The columns of a pandas or Dask DataFrame as ``{name: array}``: NumPy arrays for
    pandas, Dask arrays with known chunk sizes for Dask (the partitions' lengths are
    computed once, here). ``columns`` picks and orders them; by default every numeric
    or boolean column is taken."""
    names = list(frame.columns) if columns is None else list(columns)
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise KeyError(f"columns {missing} are not in the DataFrame, whose columns are "
                       f"{list(frame.columns)}")
    numeric = [name for name in names if _is_numeric(frame.dtypes[name])]
    if columns is not None and len(numeric) != len(names):
        wrong = [f"{name} ({frame.dtypes[name]})" for name in names if name not in numeric]
        raise TypeError(f"columns {', '.join(wrong)} are not numeric; chainrule computes on "
                        f"numbers: encode them first (e.g. as 0/1 indicator columns)")
    if not is_lazy(frame):
        return {name: frame[name].to_numpy() for name in numeric}
    import dask

    lengths = tuple(int(n) for n in dask.compute(frame.map_partitions(len))[0])
    return {name: frame[name].to_dask_array(lengths=lengths) for name in numeric}


def _is_numeric(dtype: Any) -> bool:
    """A NumPy boolean, integer or float dtype (not pandas' string or category types)."""
    try:
        return np.dtype(dtype).kind in "biuf"
    except TypeError:
        return False


def is_frame(value: Any) -> bool:
    """Whether ``value`` is a pandas or Dask DataFrame (recognised without importing either)."""
    kind = type(value)
    module = getattr(kind, "__module__", "") or ""
    return kind.__name__ == "DataFrame" and module.split(".")[0] in ("pandas", "dask")
