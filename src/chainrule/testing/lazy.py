"""Checking that code on Dask arrays stays lazy."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class ComputeForbidden(RuntimeError):
    """Raised when a Dask graph is evaluated inside ``forbid_compute()``."""


@contextlib.contextmanager
def forbid_compute() -> Iterator[None]:
    """Inside the block, evaluating any Dask graph raises ``ComputeForbidden``.

    Use it to check that building derivatives of Dask arrays computes nothing:

    >>> import dask.array as da
    >>> x = da.ones(4, chunks=2)
    >>> with forbid_compute():
    ...     g = cr.grad(lambda x: (x ** 2).sum())(x)  # lazy: nothing runs
    >>> g.compute()
    array([2., 2., 2., 2.])

    Dask's own fallbacks, which compute an array to hand it to NumPy, raise too.
    Needs Dask (the extra ``dask``).
    """
    try:
        import dask
    except ImportError as error:
        raise ImportError("forbid_compute needs Dask: pip install 'chainrule[dask]'") from error

    def refuse(*args, **kwargs):
        raise ComputeForbidden(
            "a Dask graph was evaluated inside forbid_compute(): something converted a "
            "lazy array to memory (np.asarray, float(), a NumPy fallback) where it "
            "should have stayed lazy")

    with dask.config.set(scheduler=refuse):
        yield
