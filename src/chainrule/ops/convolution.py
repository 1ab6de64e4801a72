"""Convolution and pooling primitives, for any number of spatial dimensions.

Arrays are laid out channels first: inputs ``(N, C, *spatial)``, kernels
``(C_out, C_in / groups, *kernel)``. Convolution reads every window at once through
``sliding_window_view`` and contracts with one batched matrix product (im2col).
Pooling and the adjoint "fold" work one kernel offset at a time, each step a
vectorised operation over every window of every sample: the only Python loops run
over the few kernel offsets, never over pixels or samples.

Derivatives of every order come from closing each family under its own rules:

* ``conv``, ``conv_input_grad`` and ``conv_weight_grad`` are the three faces of the
  trilinear form ``<conv(x, w), g>``, so each one's derivatives are the other two.
* ``avg_pool`` and ``avg_pool_adjoint`` are a linear map and its transpose.
* ``max_pool`` routes gradient through the largest entry of each window:
  ``max_pool_spread`` (its VJP) and ``max_pool_select`` are adjoint linear maps
  that take the input only to say where the maxima are.

For jacobian, jacfwd and hessian, pooling takes any leading axes, so its rules take
a batch stacked in front as they are; convolution folds the batch into the samples
or the channels, runs once, and unfolds it from the result.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._core.primitive import strip
from .reductions import batch_by_own_rules
from .registry import defprim


# --- argument normalisation (plain Python) ----------------------------------------
def as_tuple(value, ndim: int, what: str) -> tuple:
    """``value`` (an int or a sequence of ``ndim`` ints) as a tuple of ``ndim`` ints."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * ndim
    value = tuple(int(v) for v in value)
    if len(value) != ndim:
        raise ValueError(f"{what} needs {ndim} values (one per spatial dimension), "
                         f"got {value}")
    return value


def as_padding(padding, ndim: int, kernel: tuple, dilation: tuple, stride: tuple) -> tuple:
    """``padding`` (int, tuple, 'valid' or 'same') as ``((before, after), ...)`` pairs."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * ndim
        if padding != "same":
            raise ValueError(f"padding must be an int, a tuple, 'valid' or 'same'; "
                             f"got {padding!r}")
        if any(s != 1 for s in stride):
            raise ValueError("padding='same' needs stride 1")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return tuple((p, p) for p in as_tuple(padding, ndim, "padding"))


def output_size(size: int, kernel: int, stride: int, pad: tuple, dilation: int) -> int:
    """How many windows fit along one axis."""
    return (size + pad[0] + pad[1] - dilation * (kernel - 1) - 1) // stride + 1


# --- windows and their adjoint ----------------------------------------------------------
def _spatial_axes(ndim: int) -> tuple:
    return tuple(range(2, 2 + ndim))


def _windows(x, kernel, stride, padding, dilation):
    """A view ``(N, C, *out, *kernel)`` of every window of ``x`` padded with zeros."""
    ndim = len(kernel)
    x = _padded(x, padding)
    extent = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    view = sliding_window_view(x, extent, axis=_spatial_axes(ndim))
    every = (slice(None), slice(None))
    return view[every + tuple(slice(None, None, s) for s in stride)
                + tuple(slice(None, None, d) for d in dilation)]


# The helpers from here to _fold, and pooling, act on the last (spatial) axes and take
# any leading ones: (N, C), or a batch of tangents or cotangents stacked in front.
def _split_spatial(shape, ndim: int) -> tuple:
    """``shape`` as (leading axes, the last ``ndim`` spatial axes)."""
    shape = tuple(shape)
    return shape[:len(shape) - ndim], shape[len(shape) - ndim:]


def _padded(x, padding, fill=0.0):
    if any(p != (0, 0) for p in padding):
        return np.pad(x, ((0, 0),) * (x.ndim - len(padding)) + padding, constant_values=fill)
    return x


def _offsets(kernel, stride, dilation, out_sizes):
    """For each kernel offset, the index of the entries it reads, one per window, in the
    padded input: strided slices, so every window is handled at once."""
    for offset in np.ndindex(*kernel):
        yield offset, (Ellipsis,) + tuple(
            slice(o * d, o * d + s * (n - 1) + 1, s)
            for o, d, s, n in zip(offset, dilation, stride, out_sizes, strict=True))


def _zeros_padded(shape, padding, dtype):
    lead, spatial = _split_spatial(shape, len(padding))
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(spatial, padding, strict=True))
    return np.zeros(lead + padded, dtype=dtype)


def _cropped(total, shape, padding):
    spatial = _split_spatial(shape, len(padding))[1]
    crop = tuple(slice(lo, lo + n) for n, (lo, _) in zip(spatial, padding, strict=True))
    return np.ascontiguousarray(total[(Ellipsis,) + crop])


def _fold(cols, input_shape, kernel, stride, padding, dilation):
    """Add every window in ``cols`` ``(C, *kernel, N, *out)`` back where it was read:
    the transpose of im2col."""
    out_sizes = cols.shape[2 + len(kernel):]
    total = _zeros_padded(input_shape, padding, cols.dtype)
    for offset, where in _offsets(kernel, stride, dilation, out_sizes):
        total[where] += cols[(slice(None),) + offset].swapaxes(0, 1)
    return _cropped(total, input_shape, padding)


# --- convolution as one batched matrix product ------------------------------------------
# Matrices are laid out (channels and kernel offsets) x (samples and positions), so that
# the copies into and out of them move whole rows of pixels at a time.
def _columns(x, kernel, stride, padding, dilation, groups):
    """im2col: ``(G, C_in / G * kernel size, N * positions)`` and the output sizes."""
    ndim = len(kernel)
    view = _windows(x, kernel, stride, padding, dilation)
    n, c = x.shape[:2]
    out_sizes = view.shape[2:2 + ndim]
    # (N, C, *out, *k) -> (C, *k, N, *out)
    order = (1,) + tuple(range(2 + ndim, 2 + 2 * ndim)) + (0,) + tuple(range(2, 2 + ndim))
    cols = view.transpose(order).reshape(groups, -1, n * math.prod(out_sizes))
    return cols, out_sizes


def _rows_of(g, groups):
    """An output-shaped ``g`` ``(N, C_out, *out)`` as ``(G, C_out / G, N * positions)``."""
    return g.swapaxes(0, 1).reshape(groups, g.shape[1] // groups, -1)


def _unrows(rows, n, out_sizes):
    """The inverse of ``_rows_of``: ``(G, C_out / G, N * positions)`` -> ``(N, C_out, *out)``."""
    rows = rows.reshape((-1, n) + tuple(out_sizes))
    return np.ascontiguousarray(rows.swapaxes(0, 1))


def _kernel_matrix(w, groups):
    """``(C_out, C_in / G, *k)`` as ``(G, C_out / G, C_in / G * kernel size)``."""
    return w.reshape(groups, w.shape[0] // groups, -1)


def _conv(x, w, *, stride, padding, dilation, groups):
    cols, out_sizes = _columns(x, w.shape[2:], stride, padding, dilation, groups)
    return _unrows(_kernel_matrix(w, groups) @ cols, x.shape[0], out_sizes)


def _conv_input_grad(g, w, *, input_shape, stride, padding, dilation, groups):
    """The transpose of ``x -> conv(x, w)`` applied to ``g``."""
    kernel = w.shape[2:]
    cols = _kernel_matrix(w, groups).transpose(0, 2, 1) @ _rows_of(g, groups)
    cols = cols.reshape((input_shape[1],) + kernel + (g.shape[0],) + g.shape[2:])
    return _fold(cols, input_shape, kernel, stride, padding, dilation)


def _conv_weight_grad(x, g, *, weight_shape, stride, padding, dilation, groups):
    """The transpose of ``w -> conv(x, w)`` applied to ``g``."""
    cols, _ = _columns(x, weight_shape[2:], stride, padding, dilation, groups)
    return (_rows_of(g, groups) @ cols.transpose(0, 2, 1)).reshape(weight_shape)


# Why convolutions and pools refuse Dask arrays: they read windows through NumPy's
# strided views and add into buffers in place.
_WINDOWS_IN_MEMORY = "it reads windows through strided views of NumPy buffers"
conv = defprim(_conv, "conv", numpy_only=_WINDOWS_IN_MEMORY)
conv_input_grad = defprim(_conv_input_grad, "conv_input_grad", numpy_only=_WINDOWS_IN_MEMORY)
conv_weight_grad = defprim(_conv_weight_grad, "conv_weight_grad", numpy_only=_WINDOWS_IN_MEMORY)


def _geometry(stride, padding, dilation, groups) -> dict:
    return {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}


conv.defvjp(
    lambda g, ans, x, w, **geo: conv_input_grad(g, w, input_shape=x.shape, **geo),
    lambda g, ans, x, w, **geo: conv_weight_grad(x, g, weight_shape=w.shape, **geo),
    reads="args")
conv_input_grad.defvjp(
    lambda h, ans, g, w, input_shape, **geo: conv(h, w, **geo),
    lambda h, ans, g, w, input_shape, **geo: conv_weight_grad(h, g, weight_shape=w.shape,
                                                              **geo),
    reads="args")
conv_weight_grad.defvjp(
    lambda h, ans, x, g, weight_shape, **geo: conv_input_grad(g, h, input_shape=x.shape,
                                                              **geo),
    lambda h, ans, x, g, weight_shape, **geo: conv(x, h, **geo),
    reads="args")
# Each is bilinear: the tangent of one argument goes through the same map.
conv.defjvp(lambda t, ans, x, w, **geo: conv(t, w, **geo),
            lambda t, ans, x, w, **geo: conv(x, t, **geo))
conv_input_grad.defjvp(
    lambda t, ans, g, w, input_shape, **geo: conv_input_grad(t, w, input_shape=input_shape,
                                                             **geo),
    lambda t, ans, g, w, input_shape, **geo: conv_input_grad(g, t, input_shape=input_shape,
                                                             **geo))
conv_weight_grad.defjvp(
    lambda t, ans, x, g, weight_shape, **geo: conv_weight_grad(t, g, weight_shape=weight_shape,
                                                               **geo),
    lambda t, ans, x, g, weight_shape, **geo: conv_weight_grad(x, t, weight_shape=weight_shape,
                                                               **geo))


# Batched rules (jacobian, jacfwd, hessian). A batch stacked in front of one argument
# is folded into that argument, the primitive runs once, and the batch is unfolded
# from its result: a batch of inputs or output cotangents becomes more samples; a
# batch of kernels, or of inputs to conv_weight_grad, more channels in each group.
# For each (primitive, argument): where the batch folds in and where it comes out,
# as (axis, whether it goes inside each group of that axis).
_BATCH_LAYOUT = {
    (conv, 0): ((0, False), (0, False)),
    (conv, 1): ((0, True), (1, True)),
    (conv_input_grad, 0): ((0, False), (0, False)),
    (conv_input_grad, 1): ((1, False), (1, True)),
    (conv_weight_grad, 0): ((1, True), (1, False)),
    (conv_weight_grad, 1): ((1, True), (0, True)),
}


def _fold_batch(v, axis: int, groups: int):
    """``(B, ..., G * c, ...) -> (..., G * B * c, ...)``: the batch on ``v``'s first axis
    moved into ``axis``, inside each of its ``groups`` blocks."""
    size, shape = v.shape[0], tuple(v.shape[1:])
    split = shape[:axis] + (groups, shape[axis] // groups) + shape[axis + 1:]
    v = np.moveaxis(np.reshape(v, (size,) + split), 0, axis + 1)
    return np.reshape(v, shape[:axis] + (size * shape[axis],) + shape[axis + 1:])


def _unfold_batch(y, axis: int, groups: int, size: int):
    """The inverse of ``_fold_batch``: ``(..., G * B * c, ...) -> (B, ..., G * c, ...)``."""
    shape = tuple(y.shape)
    split = shape[:axis] + (groups, size, shape[axis] // (groups * size)) + shape[axis + 1:]
    y = np.moveaxis(np.reshape(y, split), axis + 1, 0)
    return np.reshape(y, (size,) + shape[:axis] + (shape[axis] // size,) + shape[axis + 1:])


def _conv_each(prim, argnum: int, *args, **kwargs):
    """``prim(*args, **kwargs)`` for each member of a batch stacked in front of argument
    ``argnum``, with the batch in front of the result."""
    (into, into_groups), (out, out_groups) = _BATCH_LAYOUT[prim, argnum]
    groups = kwargs["groups"]
    size = args[argnum].shape[0]
    args = list(args)
    args[argnum] = _fold_batch(args[argnum], into, groups if into_groups else 1)
    for key in ("input_shape", "weight_shape"):  # the result's shape grows along `out`
        if key in kwargs:
            shape = list(kwargs[key])
            shape[out] *= size
            kwargs[key] = tuple(shape)
    return _unfold_batch(prim(*args, **kwargs), out, groups if out_groups else 1, size)


# Each batched rule is its plain rule above with _conv_each in place of the call.
conv.defbatch(
    jvps=(lambda t, ans, x, w, **geo: _conv_each(conv, 0, t, w, **geo),
          lambda t, ans, x, w, **geo: _conv_each(conv, 1, x, t, **geo)),
    vjps=(lambda g, ans, x, w, **geo: _conv_each(conv_input_grad, 0, g, w,
                                                 input_shape=x.shape, **geo),
          lambda g, ans, x, w, **geo: _conv_each(conv_weight_grad, 1, x, g,
                                                 weight_shape=w.shape, **geo)))
conv_input_grad.defbatch(
    jvps=(lambda t, ans, g, w, input_shape, **geo: _conv_each(conv_input_grad, 0, t, w,
                                                              input_shape=input_shape, **geo),
          lambda t, ans, g, w, input_shape, **geo: _conv_each(conv_input_grad, 1, g, t,
                                                              input_shape=input_shape, **geo)),
    vjps=(lambda h, ans, g, w, input_shape, **geo: _conv_each(conv, 0, h, w, **geo),
          lambda h, ans, g, w, input_shape, **geo: _conv_each(conv_weight_grad, 0, h, g,
                                                              weight_shape=w.shape, **geo)))
conv_weight_grad.defbatch(
    jvps=(lambda t, ans, x, g, weight_shape, **geo: _conv_each(conv_weight_grad, 0, t, g,
                                                               weight_shape=weight_shape,
                                                               **geo),
          lambda t, ans, x, g, weight_shape, **geo: _conv_each(conv_weight_grad, 1, x, t,
                                                               weight_shape=weight_shape,
                                                               **geo)),
    vjps=(lambda h, ans, x, g, weight_shape, **geo: _conv_each(conv_input_grad, 1, g, h,
                                                               input_shape=x.shape, **geo),
          lambda h, ans, x, g, weight_shape, **geo: _conv_each(conv, 1, x, h, **geo)))


def convolution(x, w, stride=1, padding=0, dilation=1, groups: int = 1):
    """Cross-correlate ``x`` ``(N, C_in, *spatial)`` with kernels ``w``
    ``(C_out, C_in / groups, *kernel)``, as ``torch.nn.functional.conv{1,2,3}d`` (no bias).

    ``padding`` is an int, one int per spatial axis, ``'valid'`` or ``'same'``.
    """
    ndim = np.ndim(w) - 2
    if ndim < 1 or np.ndim(x) != ndim + 2:
        raise ValueError(f"convolution: a kernel of shape {np.shape(w)} needs an input with "
                         f"{np.ndim(w)} dimensions (N, C, *spatial), got shape {np.shape(x)}")
    n_in, n_out = np.shape(x)[1], np.shape(w)[0]
    if groups < 1 or n_in % groups or n_out % groups:
        raise ValueError(f"convolution: groups={groups} must divide both the input "
                         f"channels ({n_in}) and the output channels ({n_out})")
    if np.shape(w)[1] * groups != n_in:
        raise ValueError(f"convolution: the input has {n_in} channels but the kernel of "
                         f"shape {np.shape(w)} with groups={groups} expects "
                         f"{np.shape(w)[1] * groups}")
    kernel = tuple(np.shape(w)[2:])
    stride = as_tuple(stride, ndim, "stride")
    dilation = as_tuple(dilation, ndim, "dilation")
    pads = as_padding(padding, ndim, kernel, dilation, stride)
    _check_fits(np.shape(x)[2:], kernel, stride, pads, dilation, "convolution")
    return conv(x, w, **_geometry(stride, pads, dilation, groups))


def _check_fits(sizes, kernel, stride, pads, dilation, what):
    outs = [output_size(n, k, s, p, d) for n, k, s, p, d in zip(sizes, kernel, stride, pads,
                                                                 dilation, strict=True)]
    if min(outs) < 1:
        raise ValueError(f"{what}: a kernel of size {kernel} (dilation {dilation}) does "
                         f"not fit in an input of spatial size {tuple(sizes)} with padding "
                         f"{pads}; the output would be empty")


# --- pooling: one pass over the windows per kernel offset ------------------------------------
def _pool_output_sizes(shape, kernel, stride, padding, dilation):
    return tuple(output_size(n, k, s, p, d) for n, k, s, p, d in
                 zip(_split_spatial(shape, len(kernel))[1], kernel, stride, padding, dilation,
                     strict=True))


@functools.lru_cache(maxsize=64)
def _window_counts(sizes, kernel, stride, padding, count_include_pad):
    """How many entries each window averages: the kernel size, or only real entries."""
    if count_include_pad:
        return float(math.prod(kernel))
    ones = np.ones((1, 1) + tuple(sizes))
    return _window_sums(ones, kernel, stride, padding)[0, 0]


def _window_sums(x, kernel, stride, padding):
    ones = (1,) * len(kernel)
    out_sizes = _pool_output_sizes(x.shape, kernel, stride, padding, ones)
    padded = _padded(x, padding)
    total = np.zeros(_split_spatial(x.shape, len(kernel))[0] + out_sizes, dtype=x.dtype)
    for _, where in _offsets(kernel, stride, ones, out_sizes):
        total += padded[where]
    return total


def _avg_pool(x, *, kernel, stride, padding, count_include_pad):
    spatial = _split_spatial(x.shape, len(kernel))[1]
    counts = _window_counts(spatial, kernel, stride, padding, count_include_pad)
    return (_window_sums(x, kernel, stride, padding) / counts).astype(x.dtype, copy=False)


def _avg_pool_adjoint(g, *, input_shape, kernel, stride, padding, count_include_pad):
    ones = (1,) * len(kernel)
    counts = _window_counts(input_shape[2:], kernel, stride, padding, count_include_pad)
    share = (g / counts).astype(g.dtype, copy=False)
    out_sizes = _split_spatial(g.shape, len(kernel))[1]
    batch = g.shape[:g.ndim - len(input_shape)]
    total = _zeros_padded(batch + tuple(input_shape), padding, g.dtype)
    for _, where in _offsets(kernel, stride, ones, out_sizes):
        total[where] += share
    return _cropped(total, input_shape, padding)


avg_pool = defprim(_avg_pool, "avg_pool", numpy_only=_WINDOWS_IN_MEMORY)
avg_pool_adjoint = defprim(_avg_pool_adjoint, "avg_pool_adjoint", numpy_only=_WINDOWS_IN_MEMORY)
avg_pool.defvjp(lambda g, ans, x, **pool: avg_pool_adjoint(g, input_shape=x.shape, **pool),
                reads="args")
avg_pool_adjoint.defvjp(lambda h, ans, g, input_shape, **pool: avg_pool(h, **pool), reads=())
avg_pool.defjvp(lambda t, ans, x, **pool: avg_pool(t, **pool))
avg_pool_adjoint.defjvp(lambda t, ans, g, input_shape, **pool:
                        avg_pool_adjoint(t, input_shape=input_shape, **pool))
# Pooling takes any leading axes, so these rules take a batch stacked in front as it is.
batch_by_own_rules(avg_pool, avg_pool_adjoint)


def _lowest(dtype):
    return -np.inf if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).min


def _max_pool(x, *, kernel, stride, padding, dilation):
    out_sizes = _pool_output_sizes(x.shape, kernel, stride, padding, dilation)
    padded = _padded(x, padding, _lowest(x.dtype))
    best = None
    for _, where in _offsets(kernel, stride, dilation, out_sizes):
        best = padded[where].copy() if best is None else np.maximum(best, padded[where],
                                                                     out=best)
    return best


def _first_maxima(x, kernel, stride, padding, dilation):
    """For each kernel offset, its index into the padded input and a mask of the windows
    whose maximum of ``x`` it holds (the first one on ties, as torch). Arithmetic on
    masks, not masked assignment, which is many times slower."""
    best = _max_pool(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation)
    padded = _padded(x, padding, _lowest(x.dtype))
    taken = np.zeros(best.shape, dtype=bool)
    for _, where in _offsets(kernel, stride, dilation, best.shape[2:]):
        hit = padded[where] == best
        hit &= ~taken
        taken |= hit
        yield where, hit


def _max_pool_spread(g, x, *, kernel, stride, padding, dilation):
    """Each entry of ``g`` added at the place of its window's maximum in ``x``."""
    total = _zeros_padded(g.shape[:g.ndim - x.ndim] + x.shape, padding, g.dtype)
    for where, hit in _first_maxima(x, kernel, stride, padding, dilation):
        total[where] += g * hit
    return _cropped(total, x.shape, padding)


def _max_pool_select(h, x, *, kernel, stride, padding, dilation):
    """From each window of ``h``, the entry where ``x`` has its window's maximum."""
    padded = _padded(h, padding)
    out = None
    for where, hit in _first_maxima(x, kernel, stride, padding, dilation):
        part = padded[where] * hit
        out = part if out is None else out + part
    return out


max_pool = defprim(_max_pool, "max_pool", numpy_only=_WINDOWS_IN_MEMORY)
max_pool_spread = defprim(_max_pool_spread, "max_pool_spread", numpy_only=_WINDOWS_IN_MEMORY)
max_pool_select = defprim(_max_pool_select, "max_pool_select", numpy_only=_WINDOWS_IN_MEMORY)
# The maxima's positions are piecewise constant in x: they carry no derivative.
max_pool.defvjp(lambda g, ans, x, **pool: max_pool_spread(g, strip(x), **pool), reads="args")
max_pool_spread.defvjp(lambda h, ans, g, x, **pool: max_pool_select(h, strip(x), **pool), None,
                       reads="args")
max_pool_select.defvjp(lambda g, ans, h, x, **pool: max_pool_spread(g, strip(x), **pool), None,
                       reads="args")
max_pool.defjvp(lambda t, ans, x, **pool: max_pool_select(t, strip(x), **pool))
max_pool_spread.defjvp(lambda t, ans, g, x, **pool: max_pool_spread(t, strip(x), **pool), None)
max_pool_select.defjvp(lambda t, ans, h, x, **pool: max_pool_select(t, strip(x), **pool), None)
batch_by_own_rules(max_pool, max_pool_spread, max_pool_select)


def _pool_arguments(x, kernel_size, stride, padding, dilation, what):
    ndim = np.ndim(x) - 2
    if ndim < 1:
        raise ValueError(f"{what}: the input needs dimensions (N, C, *spatial), got shape "
                         f"{np.shape(x)}")
    kernel = as_tuple(kernel_size, ndim, "kernel_size")
    stride = kernel if stride is None else as_tuple(stride, ndim, "stride")
    dilation = as_tuple(dilation, ndim, "dilation")
    pad = as_tuple(padding, ndim, "padding")
    if any(2 * p > k for p, k in zip(pad, kernel, strict=True)):
        raise ValueError(f"{what}: padding {pad} must be at most half the kernel size "
                         f"{kernel}")
    pads = tuple((p, p) for p in pad)
    _check_fits(np.shape(x)[2:], kernel, stride, pads, dilation, what)
    return kernel, stride, pads, dilation


def max_pooling(x, kernel_size, stride=None, padding=0, dilation=1):
    """The maximum of each window of ``x`` ``(N, C, *spatial)``, as ``torch``'s ``max_pool``.

    ``stride`` defaults to ``kernel_size``; padding counts as minus infinity.
    """
    kernel, stride, pads, dilation = _pool_arguments(x, kernel_size, stride, padding,
                                                     dilation, "max_pool")
    return max_pool(x, kernel=kernel, stride=stride, padding=pads, dilation=dilation)


def average_pooling(x, kernel_size, stride=None, padding=0, count_include_pad: bool = True):
    """The mean of each window of ``x`` ``(N, C, *spatial)``, as ``torch``'s ``avg_pool``.

    ``stride`` defaults to ``kernel_size``; padding counts as zeros, and with
    ``count_include_pad=False`` is left out of each window's count.
    """
    kernel, stride, pads, _ = _pool_arguments(x, kernel_size, stride, padding, 1, "avg_pool")
    return avg_pool(x, kernel=kernel, stride=stride, padding=pads,
                    count_include_pad=bool(count_include_pad))
