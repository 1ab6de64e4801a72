"""``scipy.integrate.odeint`` with derivatives in the initial state, the times and the
extra arguments.

``odeint(func, y0, t, args=())`` solves ``dy/dt = func(y, t, *args)`` with SciPy's
LSODA, as SciPy does. Its derivatives come from more ODEs solved by the same
integrator, with the same options: reverse mode integrates the adjoint system
backwards between the output times (the adjoint method, which stores no solver
steps), forward mode the sensitivity system forwards. ``func`` must be written with
NumPy functions, so that chainrule can differentiate it (it is called on Tensors);
its Jacobian-vector products are what the two systems need. Both are accurate to
the integrator's tolerances (``rtol``, ``atol``), not to rounding. Second
derivatives are not available: differentiating a derivative raises.

>>> import chainrule as cr
>>> from chainrule.scipy.integrate import odeint
>>> decay = lambda y, t, k: -k * y
>>> slope = cr.grad(lambda k: odeint(decay, 1.0, [0.0, 2.0], args=(k,))[-1, 0])(0.5)
>>> round(slope, 5)   # -2 exp(-1)
-0.73576
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.integrate as _integrate

from .._core.graph import Box
from .._core.primitive import strip
from ..ops.array_likes import as_operand
from ..ops.registry import defprim
from ..transforms import jvp, vjp

__all__ = ["odeint"]


def odeint(func: Callable, y0: Any, t: Any, args: Sequence = (), **options: Any) -> Any:
    """``scipy.integrate.odeint(func, y0, t, args, **options)``, differentiable in
    ``y0``, ``t`` and every float array in ``args``. Options are SciPy's (``rtol``,
    ``atol``, ``mxstep`` ...); ``full_output`` and ``tfirst`` are not supported."""
    for name in ("full_output", "tfirst", "Dfun"):
        if options.get(name):
            raise ValueError(f"chainrule.scipy.integrate.odeint does not support {name}=; "
                             f"call scipy.integrate.odeint on plain arrays for it.")
    y0 = as_operand(y0)
    return _odeint(np.reshape(y0, (-1,)) if np.ndim(y0) != 1 else y0, as_operand(t),
                   *map(as_operand, args), func=func, options=tuple(sorted(options.items())))


def _solve(func, y0, t, args, options):
    return _integrate.odeint(func, y0, t, args=tuple(args), **dict(options))


def _plain(values: Sequence, what: str) -> list:
    """The values as plain arrays; traced ones mean a second derivative, not available."""
    if any(isinstance(v, Box) and v._node is not None for v in values):
        raise NotImplementedError(
            f"the {what} of chainrule.scipy.integrate.odeint are computed by SciPy's "
            f"integrator, so they have no derivative of their own: second derivatives "
            f"of odeint are not available.")
    return [np.asarray(strip(v), dtype=np.float64) for v in values]


def _flat(arrays: Sequence) -> np.ndarray:
    return np.concatenate([np.ravel(a) for a in arrays]) if arrays else np.zeros(0)


def _unflat(flat: np.ndarray, like: Sequence) -> list:
    parts, start = [], 0
    for a in like:
        parts.append(np.reshape(flat[start:start + a.size], a.shape))
        start += a.size
    return parts


# --- reverse mode: the adjoint system --------------------------------------------------
# For L depending on the states y(t_i): a(t) = dL/dy(t) jumps by g_i at each t_i and
# between them follows da/dt = -a^T df/dy; dL/d args = integral of a^T df/d args dt,
# dL/dt_i = g_i . f(y_i, t_i) for the later times, and -a(t_0)^T f(y_0, t_0) for the
# first (a(t_0) without g_0: y(t_0) = y0 whatever t_0 is).
def _adjoint_dynamics(func, args, sizes):
    def dynamics(state, time):
        y, adjoint = state[:sizes], state[sizes:2 * sizes]
        dy, pullback = vjp(lambda y, *args: func(y, time, *args), y, *args)
        cotangents = pullback(-adjoint)
        return np.concatenate([np.ravel(dy), np.ravel(cotangents[0]),
                               _flat(cotangents[1:])])
    return dynamics


def _odeint_vjp(g, ans, y0, t, *args, func, options):
    g, ans, times = _plain((g, ans, t), "derivatives")
    args = _plain(args, "derivatives")
    size = y0.size
    dynamics = _adjoint_dynamics(func, args, size)
    adjoint, args_bar = g[-1], np.zeros(sum(a.size for a in args))
    times_bar = np.zeros_like(times)
    for i in range(len(times) - 1, 0, -1):
        times_bar[i] = g[i] @ np.ravel(func(ans[i], times[i], *args))
        state = np.concatenate([ans[i], adjoint, args_bar])
        state = _solve(dynamics, state, [times[i], times[i - 1]], (), options)[1]
        adjoint, args_bar = state[size:2 * size] + g[i - 1], state[2 * size:]
    # Moving the start (y0 held) moves the solution after it by -f(y0, t0) dt0.
    times_bar[0] = -(adjoint - g[0]) @ np.ravel(func(ans[0], times[0], *args))
    return [np.reshape(adjoint, np.shape(y0)), times_bar.astype(np.result_type(t)),
            *_unflat(args_bar, args)]


# --- forward mode: the sensitivity system ----------------------------------------------
# s(t) = dy(t) along the input tangents follows ds/dt = df/dy s + df/d args d args,
# from s(t_0) = dy0 - f(y0, t0) dt0; the output tangent at t_i adds f(y_i, t_i) dt_i.
def _sensitivity_dynamics(func, args, arg_tangents, size):
    def dynamics(state, time):
        y, s = state[:size], state[size:]
        dy, ds = jvp(lambda y, *args: func(y, time, *args), (y, *args), (s, *arg_tangents))
        return np.concatenate([np.ravel(dy), np.ravel(ds)])
    return dynamics


def _odeint_jvp(argnum, tangent, ans, y0, t, *args, func, options):
    tangent, ans, times = _plain((tangent, ans, t), "tangents")
    args = _plain(args, "tangents")
    size = y0.size
    arg_tangents = [np.zeros_like(a) for a in args]
    start = np.zeros(size)
    if argnum == 0:
        start = np.ravel(tangent)
    elif argnum == 1:
        start = -tangent[0] * np.ravel(func(ans[0], times[0], *args))
    else:
        arg_tangents[argnum - 2] = tangent
    dynamics = _sensitivity_dynamics(func, args, arg_tangents, size)
    states = _solve(dynamics, np.concatenate([ans[0], start]), times, (), options)
    out = states[:, size:]
    if argnum == 1:
        slopes = np.array([np.ravel(func(y, time, *args)) for y, time in zip(ans, times)])
        out = out + slopes * tangent[:, None]
    return out.astype(ans.dtype)


_odeint = defprim(lambda y0, t, *args, func, options: _solve(func, y0, t, args, options),
                  "odeint", numpy_only="SciPy's odeint integrates NumPy arrays in memory")
_odeint.defvjp_joint(_odeint_vjp, reads=("args", "ans"))
_odeint.defjvp_all(_odeint_jvp)
