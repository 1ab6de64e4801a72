"""Reducing a gradient back to the shape of a broadcast input: the one place."""

from __future__ import annotations

import numpy as np

from .._core import forward, primitive


def reduce_batch_to_shape(g, shape: tuple):
    """Like ``reduce_to_shape``, for a batch of gradients: ``shape`` starts with the
    batch axis, which is kept; broadcast axes sit just after it."""
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(1, 1 + extra)))
    return reduce_to_shape(g, shape)


def reduce_to_shape(g, shape: tuple):
    """Sum ``g`` over the axes that broadcasting added or stretched to reach ``shape``."""
    extra = g.ndim - len(shape)
    if extra < 0:
        return np.broadcast_to(g, shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and g.shape[i + extra] != 1)
    if axes:
        g = g.sum(axis=axes)
    return g.reshape(shape) if g.shape != shape else g


forward.set_array_functions(np.broadcast_to, np.reshape, np.stack)
primitive.set_mutable_array_type(np.ndarray)


# jacfwd and hessian start from the identity: the k-th tangent of an input with k
# entries is the k-th unit vector. Rules may recognise that basis (by identity, as
# an object) and skip a product with it, e.g. A @ x for a matrix A, whose batch of
# tangents is then A's transpose.
_IDENTITY_BASES: dict = {}


def identity_basis(size: int, dtype) -> np.ndarray:
    """The read-only ``size`` x ``size`` identity, one shared array per size and dtype."""
    key = (size, np.dtype(dtype))
    basis = _IDENTITY_BASES.get(key)
    if basis is None:
        basis = _IDENTITY_BASES[key] = np.eye(size, dtype=dtype)
        basis.flags.writeable = False
    return basis


def is_identity_basis(t) -> bool:
    """True if ``t`` is the batch of unit vectors that ``identity_basis`` made."""
    shape = getattr(t, "shape", ())
    return len(shape) == 2 and _IDENTITY_BASES.get((shape[0], t.dtype)) is t
