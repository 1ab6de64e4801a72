"""Shape primitives: reshaping, transposing, joining, splitting, padding, diagonals.

A handful of linear primitives carry every derivative here: ``reshape``,
``transpose``, ``broadcast_to``, ``concatenate``, ``flip``, ``roll``, ``pad``,
``triu``, ``tril`` and ``trace``, plus ``getitem``/``scatter_add`` from the
indexing module for slicing and gathering. Each rule is another linear
primitive applied to ``g``, so it runs unchanged on Tensors at higher orders.
Rules read only ``g`` and keyword arguments (shapes, axes), never the input
arrays, so these nodes keep no input alive (except ``concatenate``: the engine
assumes a rule taking ``*arrays`` reads them all). The NumPy functions (``stack``,
``split``, ``tile``, ``repeat``, ``pad``, ``diag`` ...) are wrappers with NumPy's
signatures that compose those primitives.
"""


from . import arranging, joining, reshaping  # noqa: F401  (registers NumPy's names)
from .primitives import (
    broadcast_each,
    broadcast_to,
    concatenate,
    flip,
    pad,
    reshape,
    roll,
    trace,
    transpose,
    tril,
    triu,
)

__all__ = ["broadcast_each", "broadcast_to", "concatenate", "flip", "pad", "reshape", "roll",
           "trace", "transpose", "tril", "triu"]
