"""What the fuzzer asserts about one program at one point (see ``fuzz``)."""

from __future__ import annotations

import types
from collections.abc import Callable, Sequence

import numpy as np

# Exact derivatives computed two ways agree to this, relative to their size.
EXACT_RTOL = 1e-9
# Finite differences agree to this (relative to the derivative's size) plus their own
# error estimate.
NUMERIC_RTOL = 1e-7
# Finite differences that move more than this (relative) between two steps mean the
# point is too close to a singularity to be checked.
SETTLED_RTOL = 1e-3
STEP = 1e-4


class FuzzFailure(AssertionError):
    """chainrule disagrees with itself, with NumPy or with finite differences."""


class Rejected(Exception):  # noqa: N818 - a verdict on a point, not an error
    """The point is too close to a singularity for finite differences to settle."""


def namespaces() -> dict[str, tuple]:
    """The ``(np, special)`` pairs a program runs with: plain NumPy and SciPy; the same
    on Tensors (NumPy's dispatch; scipy.special's functions that are not ufuncs cannot
    dispatch, so those come from chainrule.scipy.special); chainrule's own."""
    import scipy.special

    import chainrule.numpy as cnp
    import chainrule.scipy.special as cspecial

    dispatching = types.SimpleNamespace(**{
        name: getattr(scipy.special, name) if isinstance(getattr(scipy.special, name, None),
                                                         np.ufunc)
        else getattr(cspecial, name) for name in cspecial.__all__})
    return {"numpy": (np, scipy.special), "dispatch": (np, dispatching),
            "chainrule.numpy": (cnp, cspecial)}


def check_program(program: Callable, inputs: Sequence[np.ndarray], step: float = STEP) -> None:
    """Check every derivative of ``program(np, special, *inputs)`` (a scalar), see ``fuzz``.

    Raises ``FuzzFailure`` naming what disagrees, ``Rejected`` when finite differences
    cannot settle at this point.
    """
    import chainrule as cr

    inputs = tuple(np.asarray(x, dtype=np.float64) for x in inputs)
    spaces = namespaces()
    plain, dispatch, own = (lambda *xs, s=spaces[k]: program(*s, *xs)
                            for k in ("numpy", "dispatch", "chainrule.numpy"))
    argnums = tuple(range(len(inputs)))
    expected = float(plain(*inputs))
    value, gradient = cr.value_and_grad(dispatch, argnums)(*inputs)
    _exact("the value by NumPy dispatch", value, expected)
    own_value, own_gradient = cr.value_and_grad(own, argnums)(*inputs)
    _exact("the value by chainrule.numpy", own_value, expected)
    _numeric("the reverse-mode gradient", gradient, *_difference_gradient(plain, inputs, step))
    _exact("the gradient by chainrule.numpy (against dispatch's)", own_gradient, gradient)
    _exact("the gradient by Tensor.backward() (against grad's)", _by_backward(dispatch, inputs),
           gradient)
    _exact("the gradient by jacfwd (against reverse mode's)",
           cr.jacfwd(dispatch, argnums)(*inputs), gradient)
    directions = _directions(inputs)
    along = sum(float(np.sum(g * d)) for g, d in zip(gradient, directions))
    _exact("jvp along a direction (against <gradient, direction>)",
           cr.jvp(dispatch, inputs, directions)[1], along)
    _check_second_order(dispatch, inputs, directions, step)
    _check_compiled(dispatch, inputs, directions)


def _check_compiled(fun: Callable, inputs: tuple, directions: tuple) -> None:
    """``cr.jit`` gives eager mode's value and gradient, traced and then compiled (at the
    inputs and at a point nearby), and eager mode's Hessian-vector product."""
    import warnings

    import chainrule as cr
    from chainrule.jit import JitWarning

    argnums = tuple(range(len(inputs)))
    eager = cr.value_and_grad(fun, argnums)
    nearby = tuple(x + 1e-3 * d for x, d in zip(inputs, directions))
    with warnings.catch_warnings():
        warnings.simplefilter("error", JitWarning)  # a fallback to eager mode is a failure
        compiled = cr.jit(cr.value_and_grad(fun, argnums))
        for point, when in ((inputs, "traced"), (inputs, "compiled"), (nearby, "compiled")):
            if when == "compiled" and not compiled.cache_info()["variants"]:
                continue
            _exact(f"value and gradient by cr.jit ({when}, against eager mode's)",
                   compiled(*point), eager(*point))
        product = cr.jit(lambda *xs: cr.hvp(lambda xs: fun(*xs), xs, directions))
        _exact("the Hessian-vector product by cr.jit (against eager mode's)",
               product(*inputs), cr.hvp(lambda xs: fun(*xs), inputs, directions))


def _check_second_order(fun: Callable, inputs: tuple, directions: tuple, step: float) -> None:
    import chainrule as cr

    def packed(xs):
        return fun(*xs)

    def along_gradient(xs):
        return sum(np.sum(g * d) for g, d in zip(cr.grad(packed)(xs), directions))

    numeric = _difference_along(cr.grad(packed), inputs, directions, step)
    _numeric("the Hessian-vector product by hvp (forward over reverse)",
             cr.hvp(packed, inputs, directions), *numeric)
    _numeric("the Hessian-vector product by reverse over reverse",
             cr.grad(along_gradient)(inputs), *numeric)


def _by_backward(fun: Callable, inputs: tuple) -> list:
    """The gradient the PyTorch way: leaves that require grad, ``backward()``, ``.grad``."""
    import chainrule as cr

    leaves = [cr.tensor(x, requires_grad=True) for x in inputs]
    fun(*leaves).backward()
    return [np.zeros_like(x) if leaf.grad is None else leaf.grad for x, leaf in zip(inputs, leaves)]


def _directions(inputs: tuple) -> tuple:
    rng = np.random.default_rng(0)
    return tuple(rng.standard_normal(x.shape) for x in inputs)


def _flat(tree) -> np.ndarray:
    """Every number in an array, a scalar or a tuple of them, as one float64 vector."""
    if isinstance(tree, (tuple, list)):
        parts = [_flat(t) for t in tree]
        return np.concatenate(parts) if parts else np.zeros(0)
    from .._core.primitive import strip

    return np.ravel(np.asarray(strip(tree), dtype=np.float64))


def _exact(what: str, got, expected) -> None:
    """Two exact computations agree up to rounding."""
    got, expected = _flat(got), _flat(expected)
    if got.shape != expected.shape:
        raise FuzzFailure(f"{what} has {got.size} entries, expected {expected.size}")
    scale = 1.0 + np.max(np.abs(expected[np.isfinite(expected)]), initial=0.0)
    bad = ~(np.abs(got - expected) <= EXACT_RTOL * scale)  # nan and inf are never close
    if np.any(bad):
        raise FuzzFailure(_disagreement(what, got, expected, bad))


def _numeric(what: str, got, numeric: np.ndarray, error: np.ndarray) -> None:
    """An exact derivative agrees with finite differences within their error estimate."""
    got = _flat(got)
    if not np.all(np.isfinite(numeric)):
        raise Rejected(f"finite differences for {what} are not finite")
    if not np.all(np.isfinite(got)):
        raise FuzzFailure(_disagreement(what, got, numeric, ~np.isfinite(got),
                                        "finite differences"))
    scale = 1.0 + max(np.max(np.abs(got), initial=0.0), np.max(np.abs(numeric), initial=0.0))
    if np.any(error > SETTLED_RTOL * scale):
        raise Rejected(f"finite differences for {what} do not settle")
    bad = ~(np.abs(got - numeric) <= NUMERIC_RTOL * scale + 4 * error)
    if np.any(bad):
        raise FuzzFailure(_disagreement(what, got, numeric, bad, "finite differences"))


def _disagreement(what, got, expected, bad, source: str = "expected") -> str:
    entry = int(np.argmax(bad))
    return (f"{what} disagrees at flat entry {entry}: {got[entry]!r} but {source} "
            f"{expected[entry]!r} ({int(bad.sum())} of {bad.size} entries differ)")


def _richardson(above_below: Callable[[float], np.ndarray], step: float):
    """Central differences at ``step`` and ``step / 2``: the finer one, and how far
    apart the two are (a bound on its error)."""
    coarse, fine = above_below(step), above_below(step / 2)
    return fine, np.abs(coarse - fine)


def _difference_gradient(fun: Callable, inputs: tuple, step: float):
    """The gradient of scalar ``fun`` by central differences, entry by entry, flat."""
    columns, errors = [], []
    for argnum, x in enumerate(inputs):
        for index in np.ndindex(x.shape):
            def difference(h, argnum=argnum, index=index):
                shifted = [np.array(a) for a in inputs]
                shifted[argnum][index] += h
                above = float(fun(*shifted))
                shifted[argnum][index] -= 2 * h
                return np.array([(above - float(fun(*shifted))) / (2 * h)])

            value, error = _richardson(difference, step)
            columns.append(value)
            errors.append(error)
    return (np.concatenate(columns), np.concatenate(errors)) if columns else (
        np.zeros(0), np.zeros(0))


def _difference_along(gradient: Callable, inputs: tuple, directions: tuple, step: float):
    """The derivative of ``gradient`` (a tuple of arrays) along ``directions``, flat."""

    def difference(h):
        above = gradient(tuple(x + h * d for x, d in zip(inputs, directions)))
        below = gradient(tuple(x - h * d for x, d in zip(inputs, directions)))
        return (_flat(above) - _flat(below)) / (2 * h)

    return _richardson(difference, step)
