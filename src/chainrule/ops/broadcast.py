"""Reducing a gradient back to the shape of a broadcast input: the one place."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

import numpy as np

from .._core import forward, primitive
from .._core.arrays import check_known_shape


def reduce_batch_to_shape(g, shape: tuple):
    """Like ``reduce_to_shape``, for a batch of gradients: ``shape`` starts with the
    batch axis, which is kept; broadcast axes sit just after it."""
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(1, 1 + extra)))
    return reduce_to_shape(g, shape)


def reduce_to_shape(g, shape: tuple):
    """Sum ``g`` over the axes that broadcasting added or stretched to reach ``shape``."""
    if type(g) is not np.ndarray:
        check_known_shape(shape, "reducing a gradient to its input's shape")
        check_known_shape(g.shape, "reducing a gradient to its input's shape")
    extra = g.ndim - len(shape)
    if extra < 0:
        return np.broadcast_to(g, shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and g.shape[i + extra] != 1)
    if axes:
        g = g.sum(axis=axes)
    return g.reshape(shape) if g.shape != shape else g


forward.set_array_functions(np.broadcast_to, np.reshape, np.stack, np.ndarray)
primitive.set_mutable_array_type(np.ndarray)


# jacfwd and hessian start from the identity: the k-th tangent of an input with k
# entries is the k-th unit vector. Rules may recognise that basis (by identity, as
# an object) and skip a product with it, e.g. A @ x for a matrix A, whose batch of
# tangents is then A's transpose.
class _IdentityBases:
    """The identity bases handed out and still alive (to recognise them), and the
    most recently used ones kept for reuse up to ``kept_bytes`` in all."""

    def __init__(self, kept_bytes: int) -> None:
        self.kept_bytes = kept_bytes
        self._lock = threading.Lock()
        self._alive: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self._kept: OrderedDict = OrderedDict()  # oldest first
        self._kept_total = 0

    def get(self, size: int, dtype) -> np.ndarray:
        key = (size, np.dtype(dtype))
        with self._lock:
            basis = self._alive.get(key)
        if basis is None:
            fresh = np.eye(size, dtype=dtype)
            fresh.flags.writeable = False
            with self._lock:
                basis = self._alive.setdefault(key, fresh)
        with self._lock:
            self._keep(key, basis)
        return basis

    def _keep(self, key: tuple, basis: np.ndarray) -> None:
        if key in self._kept:
            self._kept.move_to_end(key)
            return
        if basis.nbytes > self.kept_bytes:
            return
        self._kept[key] = basis
        self._kept_total += basis.nbytes
        while self._kept_total > self.kept_bytes:
            self._kept_total -= self._kept.popitem(last=False)[1].nbytes

    def recognises(self, t) -> bool:
        shape = getattr(t, "shape", ())
        if len(shape) != 2 or shape[0] != shape[1]:
            return False
        with self._lock:
            return self._alive.get((shape[0], t.dtype)) is t


_IDENTITY_BASES = _IdentityBases(kept_bytes=16 * 2**20)


def identity_basis(size: int, dtype) -> np.ndarray:
    """The read-only ``size`` x ``size`` identity, one shared array per size and dtype
    while it is in use (thread-safe; recent ones are kept, up to 16 MiB in all)."""
    return _IDENTITY_BASES.get(size, dtype)


def is_identity_basis(t) -> bool:
    """True if ``t`` is the batch of unit vectors that ``identity_basis`` made."""
    return _IDENTITY_BASES.recognises(t)
