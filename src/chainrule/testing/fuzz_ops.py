"""The operations the fuzzer composes: one entry per way of calling a primitive.

Each ``Op`` turns the concrete values it is applied to into a line of source, a
template over ``{0}`` (and ``{1}`` for two operands) written with ``np.`` and
``special.`` calls, or declines (``None``) when the values do not suit it: a
shape it cannot take, or a point too close to where it is not differentiable
(a tie, a kink, a step). Domains are met by composing: ``log`` of a value that
is not safely positive is written ``np.log(np.square(v) + 0.5)``, so every
drawn program is defined and smooth on a neighbourhood of its inputs.

Builders choose their parameters (axes, permutations, index lists) through a
``chooser`` with ``integer(lo, hi)``, ``choice(items)`` and ``flag()``: the
fuzzer backs it with Hypothesis, so programs shrink.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# How far a point must stay from a kink, a tie or a step, in the units of the value.
MARGIN = 0.05
# The most entries a drawn value may have (finite differences cost two calls per entry).
MAX_SIZE = 48


@dataclass(frozen=True)
class Domain:
    """Where an argument must lie: ``holds(value)``, and a template (``None`` when there
    is none) that maps any real value into the domain."""

    holds: Callable[[np.ndarray], bool]
    into: str | None


REAL = Domain(lambda a: True, None)
MODERATE = Domain(lambda a: bool(np.all(np.abs(a) <= 3.0)), "np.tanh({})")
POSITIVE = Domain(lambda a: bool(np.all(a >= 0.3)), "(np.square({}) + 0.5)")
UNIT = Domain(lambda a: bool(np.all(np.abs(a) <= 0.9)), "(0.9 * np.tanh({}))")
PROBABILITY = Domain(lambda a: bool(np.all((a >= 0.05) & (a <= 0.95))),
                     "(0.5 + 0.45 * np.tanh({}))")
ABOVE_ONE = Domain(lambda a: bool(np.all(a >= 1.3)), "(np.square({}) + 1.5)")
NONZERO = Domain(lambda a: bool(np.all(np.abs(a) >= MARGIN)), None)
# Shape parameters (degrees of freedom ...) in the range their quadratures are accurate.
SHAPE = Domain(lambda a: bool(np.all((a >= 0.3) & (a <= 40.0))),
               "(20.0 * np.square(np.tanh({})) + 0.5)")
SMALL_POSITIVE = Domain(lambda a: bool(np.all((a >= 0.3) & (a <= 3.0))),
                        "(np.square(np.tanh({})) + 0.5)")


def _argument(name: str, value: np.ndarray, domain: Domain) -> str | None:
    """``name``, or ``name`` mapped into ``domain``; None when neither is possible."""
    if domain.holds(value):
        return name
    return None if domain.into is None else domain.into.format(name)


@dataclass(frozen=True)
class Op:
    """One way of calling a primitive. ``build(chooser, *values)`` gives the template,
    or None; ``fits(a, b)`` says which second operands a binary op can take."""

    name: str
    arity: int
    build: Callable
    fits: Callable | None = None


def _needs_ndim(low: int, high: int = 4):
    """Decorator: the builder declines values with fewer than ``low`` or more than
    ``high`` axes."""

    def wrap(build):
        def checked(chooser, a, *rest):
            return build(chooser, a, *rest) if low <= a.ndim <= high else None

        return checked

    return wrap


# --- elementwise --------------------------------------------------------------


def unary(name: str, template: str, domain: Domain = REAL,
          smooth: Callable[[np.ndarray], bool] | None = None) -> Op:
    """An elementwise function of one argument in ``domain``, drawn only where
    ``smooth(value)`` holds (away from its kinks and steps)."""

    def build(chooser, a):
        arg = _argument("{0}", a, domain)
        if arg is None or (smooth is not None and not smooth(a)):
            return None
        return template.format(arg)

    return Op(name, 1, build)


def _broadcastable(a: np.ndarray, b: np.ndarray) -> bool:
    try:
        return math.prod(np.broadcast_shapes(a.shape, b.shape)) <= MAX_SIZE
    except ValueError:
        return False


def binary(name: str, template: str, domains: tuple = (REAL, REAL),
           smooth: Callable[[np.ndarray, np.ndarray], bool] | None = None) -> Op:
    """An elementwise function of two broadcast arguments."""

    def build(chooser, a, b):
        first = _argument("{0}", a, domains[0])
        second = _argument("{1}", b, domains[1])
        if first is None or second is None or (smooth is not None and not smooth(a, b)):
            return None
        return template.format(first, second)

    return Op(name, 2, build, _broadcastable)


def _away_from_integers(shift: float = 0.0):
    return lambda a: bool(np.all(np.abs(a + shift - np.round(a + shift)) >= MARGIN))


def _apart(a, b) -> bool:
    return bool(np.all(np.abs(a - b) >= MARGIN))


def _quotient_not_integer(a, b) -> bool:
    return bool(np.all(np.abs(b) >= 0.3)) and _away_from_integers()(a / b)


def _off_branch_cut(y, x) -> bool:
    """arctan2 jumps where x < 0 and y crosses 0, and is singular at the origin."""
    return bool(np.all((np.abs(y) >= MARGIN) | (x >= MARGIN)) and np.all(np.hypot(x, y) >= 0.1))


_UNARY = [
    unary("negative", "-{0}"), unary("positive", "np.positive({0})"),
    unary("square", "np.square({0})"), unary("cube", "{0} ** 3"),
    unary("sqrt", "np.sqrt({0})", POSITIVE), unary("cbrt", "np.cbrt({0})", POSITIVE),
    unary("reciprocal", "np.reciprocal({0})", POSITIVE), unary("rdivide", "1.5 / {0}", POSITIVE),
    unary("absolute", "np.abs({0})", NONZERO), unary("fabs", "np.fabs({0})", NONZERO),
    unary("sign", "np.sign({0}) * 0.5", NONZERO),
    unary("exp", "np.exp({0})", MODERATE), unary("exp2", "np.exp2({0})", MODERATE),
    unary("expm1", "np.expm1({0})", MODERATE), unary("rpower", "2.0 ** {0}", MODERATE),
    unary("log", "np.log({0})", POSITIVE), unary("log2", "np.log2({0})", POSITIVE),
    unary("log10", "np.log10({0})", POSITIVE), unary("log1p", "np.log1p({0})", POSITIVE),
    unary("sin", "np.sin({0})"), unary("cos", "np.cos({0})"), unary("tan", "np.tan({0})", UNIT),
    unary("arcsin", "np.arcsin({0})", UNIT), unary("arccos", "np.arccos({0})", UNIT),
    unary("arctan", "np.arctan({0})"), unary("sinh", "np.sinh({0})", MODERATE),
    unary("cosh", "np.cosh({0})", MODERATE), unary("tanh", "np.tanh({0})"),
    unary("arcsinh", "np.arcsinh({0})"), unary("arccosh", "np.arccosh({0})", ABOVE_ONE),
    unary("arctanh", "np.arctanh({0})", UNIT), unary("deg2rad", "np.deg2rad({0})"),
    unary("rad2deg", "np.rad2deg({0})"), unary("affine", "1.5 * {0} - 0.25"),
    unary("floor", "np.floor({0}) + {0}", smooth=_away_from_integers()),
    unary("ceil", "np.ceil({0})", smooth=_away_from_integers()),
    unary("trunc", "np.trunc({0}) * {0}", smooth=_away_from_integers()),
    unary("rint", "np.rint({0}) * {0}", smooth=_away_from_integers(0.5)),
    unary("clip", "np.clip({0}, -0.5, 0.8)",
          smooth=lambda a: bool(np.all((np.abs(a + 0.5) >= MARGIN) & (np.abs(a - 0.8) >= MARGIN)))),
    unary("sinc", "np.sinc({0})", MODERATE),
]

_BINARY = [
    binary("add", "{0} + {1}"), binary("subtract", "{0} - {1}"), binary("multiply", "{0} * {1}"),
    binary("np.add", "np.add({0}, {1})"), binary("np.multiply", "np.multiply({0}, {1})"),
    binary("divide", "{0} / {1}", (REAL, POSITIVE)),
    binary("np.divide", "np.divide({0}, {1})", (REAL, POSITIVE)),
    binary("power", "{0} ** {1}", (POSITIVE, MODERATE)),
    binary("np.power", "np.power({0}, {1})", (POSITIVE, MODERATE)),
    binary("float_power", "np.float_power({0}, {1})", (POSITIVE, MODERATE)),
    binary("logaddexp", "np.logaddexp({0}, {1})"), binary("logaddexp2", "np.logaddexp2({0}, {1})"),
    binary("arctan2", "np.arctan2({0}, {1})", smooth=_off_branch_cut),
    binary("hypot", "np.hypot({0}, {1})",
           smooth=lambda a, b: bool(np.all(np.hypot(a, b) >= 0.1))),
    binary("maximum", "np.maximum({0}, {1})", smooth=_apart),
    binary("minimum", "np.minimum({0}, {1})", smooth=_apart),
    binary("fmax", "np.fmax({0}, {1})", smooth=_apart),
    binary("fmin", "np.fmin({0}, {1})", smooth=_apart),
    binary("copysign", "np.copysign({0}, {1})",
           smooth=lambda a, b: NONZERO.holds(a) and NONZERO.holds(b)),
    binary("remainder", "{0} % {1}", smooth=_quotient_not_integer),
    binary("fmod", "np.fmod({0}, {1})", smooth=_quotient_not_integer),
    binary("where", "np.where(weights(np.shape({0})) > 0, {0}, {1})"),
    binary("floor_divide", "{0} // {1} + {0}", smooth=_quotient_not_integer),
    binary("heaviside", "np.heaviside({0}, 0.5) * {1}",
           smooth=lambda a, b: NONZERO.holds(a)),
]


# --- reductions -----------------------------------------------------------------


def _draw_axis(chooser, a: np.ndarray) -> int | None:
    """None (every axis) or one axis, sometimes negative."""
    if a.ndim == 0 or chooser.flag():
        return None
    axis = chooser.integer(0, a.ndim - 1)
    return axis - a.ndim if chooser.flag() else axis


def _reduced_lengths(a: np.ndarray, axis: int | None) -> np.ndarray:
    """``a`` with the reduced entries along a last axis."""
    return a.reshape(1, -1) if axis is None else np.moveaxis(a, axis, -1)


def _unique_extreme(a: np.ndarray, axis: int | None) -> bool:
    lanes = np.sort(_reduced_lengths(a, axis), axis=-1)
    return lanes.shape[-1] < 2 or bool(np.all(lanes[..., -1] - lanes[..., -2] >= MARGIN)
                                       and np.all(lanes[..., 1] - lanes[..., 0] >= MARGIN))


def _no_ties(a: np.ndarray, axis: int | None) -> bool:
    lanes = np.sort(_reduced_lengths(a, axis), axis=-1)
    return bool(np.all(np.diff(lanes, axis=-1) >= MARGIN))


def reduction(name: str, call: str, keepdims: bool = True, domain: Domain = REAL,
              smooth: Callable | None = None, axis_none: bool = True) -> Op:
    """``call({0}, axis=..., keepdims=...)`` (or ``{0}.method(...)`` when ``call`` is
    ``".method"``), differentiable where ``smooth(a, axis)``."""

    def build(chooser, a):
        arg = _argument("{0}", a, domain)
        axis = _draw_axis(chooser, a)
        if axis is None and not axis_none:
            axis = -1 if a.ndim else None
        if arg is None or (smooth is not None and not smooth(a, axis)):
            return None
        if a.ndim == 0 and not axis_none:
            return None
        options = "" if axis is None else f", axis={axis}"
        if keepdims and chooser.flag():
            options += ", keepdims=True"
        if call.startswith("."):  # a method of the value
            return f"{arg}{call}({options.lstrip(', ')})"
        return f"{call}({arg}{options})"

    return Op(name, 1, build)


def _spread(a, axis) -> bool:
    return bool(np.all(np.var(_reduced_lengths(a, axis), axis=-1) >= 0.01))


def _norms_nonzero(a, axis) -> bool:
    return bool(np.all(np.linalg.norm(_reduced_lengths(a, axis), axis=-1) >= 0.1))


_REDUCTIONS = [
    reduction("sum", "np.sum"), reduction("mean", "np.mean"), reduction("prod", "np.prod"),
    reduction("max", "np.max", smooth=_unique_extreme),
    reduction("min", "np.min", smooth=_unique_extreme),
    reduction("amax", "np.amax", smooth=_unique_extreme),
    reduction("var", "np.var"), reduction("std", "np.std", smooth=_spread),
    reduction("ptp", "np.ptp", smooth=_unique_extreme),
    reduction("cumsum", "np.cumsum", keepdims=False),
    reduction("cumprod", "np.cumprod", keepdims=False),
    reduction("sort", "np.sort", keepdims=False, smooth=_no_ties, axis_none=False),
    reduction("norm", "np.linalg.norm", smooth=_norms_nonzero),
    reduction("logsumexp", "special.logsumexp"),
    reduction("softmax", "special.softmax", keepdims=False),
    reduction("log_softmax", "special.log_softmax", keepdims=False),
    reduction("Tensor.sum", ".sum"), reduction("Tensor.mean", ".mean"),
]


def _diff_build(chooser, a):
    if a.ndim == 0 or a.shape[-1] < 2:
        return None
    return "np.diff({0})"


def _var_ddof(chooser, a):
    if a.size < 2:
        return None
    return "np.var({0}, ddof=1)"


def _quantile(chooser, a):
    axis = _draw_axis(chooser, a)
    if a.ndim == 0 or not _no_ties(a, axis):
        return None
    options = "" if axis is None else f", axis={axis}"
    return chooser.choice([f"np.median({{0}}{options})", f"np.quantile({{0}}, 0.3{options})",
                           f"np.percentile({{0}}, [20.0, 75.0]{options})"])


@_needs_ndim(1)
def _along_last(chooser, a):
    weights = f"np.arange(1.0, {a.shape[-1] + 1})"
    options = ["np.trapezoid({0})", "np.gradient({0}, axis=-1)", "np.ediff1d({0})",
               f"np.average({{0}}, axis=-1, weights={weights})",
               "np.linalg.vector_norm({0}, axis=-1)", "np.polyval({0}, 0.7)"]
    if a.shape[-1] < 2:
        options = options[3:]
    return chooser.choice(options)


def _nan_reduction(chooser, a):
    axis = _draw_axis(chooser, a)
    name = chooser.choice(["nansum", "nanmean", "nanvar", "nanprod", "nanmax", "nanstd"])
    if name in ("nanmax",) and not _unique_extreme(a, axis):
        return None
    if name == "nanstd" and not _spread(a, axis):
        return None
    return f"np.{name}({{0}}{'' if axis is None else f', axis={axis}'})"


def _statistics(chooser, a):
    if a.ndim != 2 or a.shape[1] < 2 or not np.all(np.std(a, axis=1) >= 0.1):
        return None
    return chooser.choice(["np.cov({0})", "np.corrcoef({0})", "np.cov({0}, ddof=0)"])


_REDUCTIONS += [Op("diff", 1, _diff_build), Op("var-ddof", 1, _var_ddof),
                Op("quantile", 1, _quantile), Op("along_last", 1, _along_last),
                Op("nan_reduction", 1, _nan_reduction), Op("statistics", 1, _statistics)]


# --- shape functions and indexing -----------------------------------------------------


def _shape_text(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


@_needs_ndim(1)
def _reshape(chooser, a):
    target = chooser.choice([(-1,), tuple(reversed(a.shape)), (1, -1), (a.size, 1)])
    return f"np.reshape({{0}}, {_shape_text(target)})"


@_needs_ndim(1)
def _ravel(chooser, a):
    return chooser.choice(["np.ravel({0})", "{0}.reshape(-1)", "{0}.flatten()"])


@_needs_ndim(2)
def _transpose(chooser, a):
    axes = list(range(a.ndim))
    axes.insert(chooser.integer(0, a.ndim - 1), axes.pop())
    return chooser.choice([f"np.transpose({{0}}, {_shape_text(axes)})", "{0}.T",
                           "np.swapaxes({0}, 0, -1)", "np.moveaxis({0}, -1, 0)"])


@_needs_ndim(0, 2)
def _expand_dims(chooser, a):
    axis = chooser.integer(0, a.ndim)
    return chooser.choice([f"np.expand_dims({{0}}, {axis})", "{0}[None]", "{0}[..., None]"])


def _squeeze(chooser, a):
    return "np.squeeze({0})" if 1 in a.shape else None


@_needs_ndim(0, 2)
def _broadcast_to(chooser, a):
    return f"np.broadcast_to({{0}}, {_shape_text((2,) + a.shape)})"


@_needs_ndim(1, 3)
def _repeat(chooser, a):
    axis = chooser.integer(0, a.ndim - 1)
    if a.size * 2 > MAX_SIZE:
        return None
    return chooser.choice([f"np.repeat({{0}}, 2, axis={axis})", "np.tile({0}, 2)",
                           f"np.flip({{0}}, axis={axis})", f"np.roll({{0}}, 1, axis={axis})",
                           "np.flip({0})"])


@_needs_ndim(1, 2)
def _pad(chooser, a):
    mode = chooser.choice(["constant", "edge", "reflect", "wrap"])
    if mode == "reflect" and min(a.shape) < 2:
        return None
    return f"np.pad({{0}}, 1, mode={mode!r})"


@_needs_ndim(1, 2)
def _diag(chooser, a):
    return "np.diag({0})"


@_needs_ndim(2)
def _diagonal(chooser, a):
    return chooser.choice(["np.diagonal({0})", "np.diagonal({0}, offset=1, axis1=-2, axis2=-1)",
                           "np.trace({0})", "np.triu({0})", "np.tril({0}, -1)"])


@_needs_ndim(1)
def _index(chooser, a):
    n = a.shape[0]
    picks = [chooser.integer(0, n - 1) for _ in range(chooser.integer(1, 4))]
    options = [f"{{0}}[{picks}]", f"{{0}}[{picks[0]}]", "{0}[::-1]", "{0}[..., ::-2]",
               f"np.take({{0}}, {picks}, axis=0)"]
    if n > 1:
        options.append("{0}[1:]")
    if NONZERO.holds(a) and np.any(a > 0):
        options.append("{0}[{0} > 0]")
    return chooser.choice(options)


@_needs_ndim(1)
def _take_along_axis(chooser, a):
    if not _no_ties(a, -1):
        return None
    return "np.take_along_axis({0}, np.argsort({0}, axis=-1), axis=-1)"


def _same_shape(a, b) -> bool:
    return a.shape == b.shape and a.ndim >= 1 and 2 * a.size <= MAX_SIZE


@_needs_ndim(1)
def _join(chooser, a, b):
    axis = chooser.integer(0, a.ndim - 1)
    return chooser.choice([f"np.concatenate([{{0}}, {{1}}], axis={axis})",
                           f"np.stack([{{0}}, {{1}}], axis={axis})", "np.hstack([{0}, {1}])",
                           "np.vstack([{0}, {1}])", "np.stack([{0}, {1}, {0}])"])


@_needs_ndim(2)
def _matrix_shape(chooser, a):
    return chooser.choice(["np.rot90({0})", "np.fliplr({0})", "np.flipud({0})",
                           "np.linalg.matrix_transpose({0})", "np.rollaxis({0}, -1)",
                           "np.linalg.diagonal({0})", "np.linalg.trace({0})",
                           "np.split({0}, [1], axis=-1)[1]", "np.array_split({0}, 2)[0]"])


@_needs_ndim(0, 2)
def _promote(chooser, a):
    return chooser.choice(["np.atleast_2d({0})", "np.atleast_1d({0})", "np.copy({0})",
                           "np.nan_to_num({0})", "np.real_if_close({0})", "{0}.astype(float)",
                           "np.real({0})", "np.column_stack([{0}, {0}])" if a.ndim else "{0}",
                           "np.append({0}, {0})", "np.broadcast_arrays({0}, np.ones((2, 1)))[0]"])


def _scalar_pair(a, b) -> bool:
    return a.ndim == 0 and b.ndim == 0


def _spaced(chooser, a, b):
    return chooser.choice(["np.linspace({0}, {1}, 4)", "np.logspace(np.tanh({0}), {1}, 3)",
                           "np.meshgrid(np.stack([{0}, {1}]), np.stack([{1}, {0}, {1}]))[0]"])


def _interp(chooser, a):
    knots = np.array([-1.0, 0.0, 1.5])
    if a.ndim > 1 or not np.all(np.min(np.abs(a[..., None] - knots), axis=-1) >= MARGIN):
        return None
    return "np.interp({0}, [-1.0, 0.0, 1.5], [0.5, 2.0, -1.0])"


def _select(chooser, a):
    if not np.all(np.abs(a) >= MARGIN):
        return None
    return chooser.choice(["np.select([{0} > 0], [np.sin({0})], default=np.cos({0}))",
                           "np.where({0} > 0, np.square({0}), -{0})"])


_SHAPE = [
    Op("matrix_shape", 1, _matrix_shape), Op("promote", 1, _promote),
    Op("spaced", 2, _spaced, _scalar_pair), Op("interp", 1, _interp), Op("select", 1, _select),
    Op("reshape", 1, _reshape), Op("ravel", 1, _ravel), Op("transpose", 1, _transpose),
    Op("expand_dims", 1, _expand_dims), Op("squeeze", 1, _squeeze),
    Op("broadcast_to", 1, _broadcast_to), Op("repeat", 1, _repeat), Op("pad", 1, _pad),
    Op("diag", 1, _diag), Op("diagonal", 1, _diagonal), Op("index", 1, _index),
    Op("take_along_axis", 1, _take_along_axis), Op("join", 2, _join, _same_shape),
]


# --- products ---------------------------------------------------------------------------


def _result_fits(call: Callable) -> Callable:
    """``fits`` for a product: NumPy accepts the shapes and the result is small."""

    def fits(a, b) -> bool:
        try:
            out = call(np.ones(a.shape), np.ones(b.shape))
        except (ValueError, IndexError):
            return False
        return np.size(out) <= MAX_SIZE

    return fits


def _einsum_spec(chooser, a, b) -> str | None:
    """A random einsum over ``a``'s and ``b``'s axes: ``b`` reuses a letter of ``a`` where
    the lengths match (a contraction or a batch axis), the output keeps a random subset."""
    letters = iter("ijklmn")
    first = [next(letters) for _ in range(a.ndim)]
    second = []
    for length in b.shape:
        shared = [c for c, n in zip(first, a.shape) if n == length and c not in second]
        second.append(chooser.choice(shared) if shared and chooser.flag() else next(letters))
    used = list(dict.fromkeys(first + second))
    kept = [c for c in used if chooser.flag()]
    if len(kept) > 1 and chooser.flag():
        kept.reverse()
    return f"{''.join(first)},{''.join(second)}->{''.join(kept)}"


def _einsum(chooser, a, b):
    if a.ndim + b.ndim > 5:
        return None
    spec = _einsum_spec(chooser, a, b)
    out = np.einsum(spec, np.ones(a.shape), np.ones(b.shape))
    return None if np.size(out) > MAX_SIZE else f"np.einsum({spec!r}, {{0}}, {{1}})"


def _product(name, template, call) -> Op:
    return Op(name, 2, lambda chooser, a, b: template, _result_fits(call))


@_needs_ndim(1, 2)
def _gram(chooser, a):
    return chooser.choice(["{0} @ {0}.T" if a.ndim == 2 else "{0} @ {0}",
                           "np.dot({0}, {0})" if a.ndim == 1 else "np.dot({0}.T, {0})",
                           "np.einsum('...i,...i->...', {0}, {0})"])


def _cross_fits(a, b) -> bool:
    return a.shape[-1:] == b.shape[-1:] == (3,) and _broadcastable(a[..., 0], b[..., 0])


def _tensordot_fits(a, b) -> bool:
    return a.ndim >= 1 and b.ndim >= 1 and _result_fits(
        lambda x, y: np.tensordot(x, y, axes=1))(a, b)


_PRODUCTS = [
    _product("matmul", "{0} @ {1}", np.matmul),
    _product("np.matmul", "np.matmul({0}, {1})", np.matmul),
    _product("dot", "np.dot({0}, {1})", np.dot),
    _product("inner", "np.inner({0}, {1})", np.inner),
    _product("outer", "np.outer({0}, {1})", np.outer),
    _product("kron", "np.kron({0}, {1})", np.kron),
    Op("tensordot", 2, lambda chooser, a, b: "np.tensordot({0}, {1}, axes=1)", _tensordot_fits),
    Op("cross", 2, lambda chooser, a, b: "np.cross({0}, {1})", _cross_fits),
    Op("einsum", 2, _einsum, lambda a, b: True), Op("gram", 1, _gram),
    _product("vdot", "np.vdot({0}, {1})", lambda x, y: np.vdot(x, y)),
    _product("linalg.outer", "np.linalg.outer({0}, {1})", np.linalg.outer),
    _product("linalg.matmul", "np.linalg.matmul({0}, {1})", np.linalg.matmul),
    _product("vecdot", "np.linalg.vecdot({0}, {1})", np.linalg.vecdot),
    _product("multi_dot", "np.linalg.multi_dot([{0}, {1}, np.ones(({1}).shape[-1:] * 2)])",
             lambda x, y: x.ndim == y.ndim == 2 and np.linalg.multi_dot([x, y])),
    Op("convolve", 2, lambda chooser, a, b: chooser.choice(
        ["np.convolve({0}, {1})", "np.correlate({0}, {1}, mode='full')"]),
       lambda a, b: a.ndim == b.ndim == 1),
]


# --- linear algebra -----------------------------------------------------------------------


def _square(a) -> bool:
    return a.ndim >= 2 and a.shape[-1] == a.shape[-2] >= 2 and a.ndim <= 3


def _singular_values(a) -> np.ndarray:
    return np.linalg.svd(a, compute_uv=False)


def _well_conditioned(a) -> str:
    """``{0}``, or ``{0}`` shifted by a multiple of the identity that makes it well
    conditioned (its smallest singular value then exceeds its largest's distance)."""
    sv = _singular_values(a)
    if np.all(sv[..., -1] >= 0.2) and np.all(sv[..., 0] <= 20 * sv[..., -1]):
        return "{0}"
    shift = float(math.ceil(2 * np.max(sv) + 1))
    return f"({{0}} + {shift} * np.eye({a.shape[-1]}))"


def _symmetric(a) -> str:
    return "({0} + np.swapaxes({0}, -1, -2))"


def _spd(a) -> str | None:
    if np.max(np.abs(a)) > 5:
        return None
    return f"({{0}} @ np.swapaxes({{0}}, -1, -2) + {a.shape[-1]}.0 * np.eye({a.shape[-1]}))"


def _separated(values: np.ndarray, gap: float = 0.1) -> bool:
    return bool(np.all(np.diff(np.sort(values, axis=-1), axis=-1) >= gap))


def _matrix_op(build) -> Op:
    def checked(chooser, a):
        return build(chooser, a) if _square(a) else None

    return Op(build.__name__.lstrip("_"), 1, checked)


@_matrix_op
def _inverse(chooser, a):
    m = _well_conditioned(a)
    return chooser.choice([f"np.linalg.inv({m})", f"np.linalg.det({m})",
                           f"np.linalg.slogdet({m})[1]", f"np.linalg.matrix_power({m}, -2)",
                           f"np.linalg.solve({m}, {{0}})", f"np.linalg.pinv({m})"])


@_matrix_op
def _matrix_power(chooser, a):
    if np.max(np.abs(a)) > 5:
        return None
    return f"np.linalg.matrix_power({{0}}, {chooser.integer(2, 3)})"


@_matrix_op
def _cholesky(chooser, a):
    s = _spd(a)
    return None if s is None else chooser.choice(
        [f"np.linalg.cholesky({s})", f"np.linalg.slogdet({s})[1]",
         f"np.linalg.solve({s}, {{0}}[..., 0])" if a.ndim == 2 else f"np.linalg.inv({s})"])


@_matrix_op
def _eigh(chooser, a):
    s = _symmetric(a)
    if not _separated(np.linalg.eigvalsh(a + np.swapaxes(a, -1, -2))):
        return None
    return chooser.choice([f"np.linalg.eigh({s})[0]", f"np.square(np.linalg.eigh({s})[1])",
                           f"np.linalg.eigvalsh({s})",
                           f"np.linalg.eigh({s})[1] @ np.linalg.eigh({s})[1].T"
                           if a.ndim == 2 else f"np.linalg.eigvalsh({s})"])


def _svd(chooser, a):
    if not 2 <= a.ndim <= 3 or min(a.shape[-2:]) < 2:
        return None
    sv = _singular_values(a)
    if not (_separated(sv) and np.all(sv >= 0.1)):
        return None
    options = ["np.linalg.svd({0}, compute_uv=False)", "np.linalg.norm({0}, 'nuc', axis=(-2, -1))",
               "np.linalg.pinv({0})", "np.linalg.norm({0}, 2, axis=(-2, -1))"]
    if a.shape[-2] == a.shape[-1]:
        options.append("np.square(np.linalg.svd({0})[0])")
    if a.shape[-2] >= a.shape[-1]:
        options.append("np.square(np.linalg.qr({0})[1])")
    return chooser.choice(options)


def _least_squares(chooser, a):
    if a.ndim != 2 or a.shape[0] < a.shape[1]:
        return None
    sv = _singular_values(a)
    if np.min(sv) < 0.2 or not _separated(sv):  # singular values cross at ties
        return None
    return chooser.choice(["np.linalg.lstsq({0}, np.arange(1.0, {n}), rcond=None)[0]",
                           "np.linalg.svdvals({0})", "np.linalg.matrix_norm({0})"]
                          ).replace("{n}", str(a.shape[0] + 1))


_LINALG = [_inverse, _matrix_power, _cholesky, _eigh, Op("svd", 1, _svd),
           Op("least_squares", 1, _least_squares),
           Op("solve", 2, lambda chooser, a, b: f"np.linalg.solve({_well_conditioned(a)}, {{1}})",
              lambda a, b: _square(a) and a.ndim == 2 and b.ndim in (1, 2)
              and b.shape[0] == a.shape[0])]


# --- FFT ---------------------------------------------------------------------------------


@_needs_ndim(1, 3)
def _fft(chooser, a):
    norm = chooser.choice(["", ", norm='ortho'"])
    part = chooser.choice(["np.real", "np.imag"])
    options = [f"{part}(np.fft.fft({{0}}{norm}))", f"{part}(np.fft.ifft({{0}}, axis=0))",
               f"{part}(np.fft.rfft({{0}}{norm}))", "np.fft.fftshift({0})",
               f"np.fft.irfft(np.fft.rfft({{0}}){norm}, n={a.shape[-1]})"]
    if a.ndim >= 2:
        options += [f"{part}(np.fft.fft2({{0}}))", f"{part}(np.fft.rfftn({{0}}))",
                    "np.fft.irfft2(np.fft.rfft2({0}) * 1j)"]
    if a.shape[-1] >= 2:
        options.append("np.fft.irfft({0})")
    return chooser.choice(options)


# --- scipy.special ------------------------------------------------------------------------

_SPECIAL = [
    unary("gammaln", "special.gammaln({0})", POSITIVE),
    unary("digamma", "special.digamma({0})", POSITIVE),
    unary("polygamma", "special.polygamma(1, {0})", POSITIVE),
    unary("gamma", "special.gamma({0})", SMALL_POSITIVE),
    unary("rgamma", "special.rgamma({0})", MODERATE),
    unary("erf", "special.erf({0})"), unary("erfc", "special.erfc({0})", MODERATE),
    unary("erfcx", "special.erfcx({0})", MODERATE), unary("erfinv", "special.erfinv({0})", UNIT),
    unary("expit", "special.expit({0})"), unary("log_expit", "special.log_expit({0})"),
    unary("logit", "special.logit({0})", PROBABILITY),
    unary("ndtr", "special.ndtr({0})"), unary("log_ndtr", "special.log_ndtr({0})", MODERATE),
    unary("ndtri", "special.ndtri({0})", PROBABILITY),
    unary("i0", "special.i0({0})", MODERATE), unary("i1", "special.i1({0})", MODERATE),
    unary("i0e", "special.i0e({0})", NONZERO), unary("i1e", "special.i1e({0})", NONZERO),
    unary("entr", "special.entr({0})", POSITIVE), unary("softplus", "special.softplus({0})"),
    binary("xlogy", "special.xlogy({0}, {1})", (REAL, POSITIVE)),
    binary("xlog1py", "special.xlog1py({0}, {1})", (REAL, POSITIVE)),
    binary("betaln", "special.betaln({0}, {1})", (POSITIVE, POSITIVE)),
    binary("rel_entr", "special.rel_entr({0}, {1})", (POSITIVE, POSITIVE)),
    binary("kl_div", "special.kl_div({0}, {1})", (POSITIVE, POSITIVE)),
    binary("gammainc", "special.gammainc({0}, {1})", (SMALL_POSITIVE, POSITIVE)),
    unary("loggamma", "special.loggamma({0})", POSITIVE),
    unary("psi", "special.psi({0})", POSITIVE),
    binary("poch", "special.poch({0} + 1.0, {1})", (POSITIVE, UNIT)),
    binary("binom", "special.binom({0} + 2.0, {1})", (POSITIVE, UNIT)),
    binary("beta", "special.beta({0}, {1})", (SMALL_POSITIVE, SMALL_POSITIVE)),
    unary("multigammaln", "special.multigammaln({0} + 2.0, 2)", POSITIVE),
    unary("ndtri_exp", "special.ndtri_exp(-{0})", POSITIVE),
    binary("owens_t", "special.owens_t({0}, {1})", (REAL, MODERATE)),
    unary("expi", "special.expi({0})", POSITIVE), unary("expn", "special.expn(2, {0})", POSITIVE),
    unary("zeta", "special.zeta(3.0, {0})", POSITIVE),
    unary("spence", "special.spence({0})", POSITIVE),
    unary("ellipk", "special.ellipk({0})", UNIT), unary("ellipe", "special.ellipe({0})", UNIT),
    unary("ellipkm1", "special.ellipkm1({0})", POSITIVE),
    unary("jv", "special.jv(1.5, {0})", POSITIVE), unary("yv", "special.yv(1.5, {0})", POSITIVE),
    unary("iv", "special.iv(0.5, {0})", POSITIVE), unary("kv", "special.kv(1.5, {0})", POSITIVE),
    unary("ive", "special.ive(2.5, {0})", POSITIVE),
    unary("kve", "special.kve(0.5, {0})", POSITIVE),
    unary("j0", "special.j0({0})"), unary("j1", "special.j1({0})"),
    unary("y0", "special.y0({0})", POSITIVE), unary("y1", "special.y1({0})", POSITIVE),
    unary("yn", "special.yn(2, {0})", POSITIVE), unary("kn", "special.kn(2, {0})", POSITIVE),
    unary("k0", "special.k0({0})", POSITIVE), unary("k1", "special.k1({0})", POSITIVE),
    unary("k0e", "special.k0e({0})", POSITIVE), unary("k1e", "special.k1e({0})", POSITIVE),
    binary("boxcox", "special.boxcox({0}, {1})", (POSITIVE, MODERATE)),
    binary("boxcox1p", "special.boxcox1p({0}, {1})", (POSITIVE, MODERATE)),
    binary("inv_boxcox", "special.inv_boxcox(np.tanh({0}), 0.5 * np.tanh({1}))"),
    binary("inv_boxcox1p", "special.inv_boxcox1p(np.tanh({0}), 0.5 * np.tanh({1}))"),
    binary("powm1", "special.powm1({0}, {1})", (POSITIVE, MODERATE)),
    binary("pseudo_huber", "special.pseudo_huber({0}, {1})", (POSITIVE, REAL)),
    unary("huber", "special.huber(1.0, {0})", smooth=lambda a: bool(
        np.all(np.abs(np.abs(a) - 1.0) >= MARGIN))),
    unary("cosm1", "special.cosm1({0})"), unary("exprel", "special.exprel({0})", MODERATE),
    unary("dawsn", "special.dawsn({0})"), unary("erfi", "special.erfi({0})", MODERATE),
    unary("erfcinv", "special.erfcinv(1.0 + {0})", UNIT),
    unary("wrightomega", "special.wrightomega({0})", MODERATE),
    unary("lambertw", "np.real(special.lambertw({0}))", POSITIVE),
    binary("gammaincc", "special.gammaincc({0}, {1})", (SMALL_POSITIVE, POSITIVE)),
    binary("gammaincinv", "special.gammaincinv({0}, {1})", (SMALL_POSITIVE, PROBABILITY)),
    binary("gammainccinv", "special.gammainccinv({0}, {1})", (SMALL_POSITIVE, PROBABILITY)),
    binary("stdtr", "special.stdtr({0}, {1})", (SHAPE, MODERATE)),
    binary("stdtrit", "special.stdtrit({0}, {1})", (SHAPE, PROBABILITY)),
    binary("betainc", "special.betainc({0}, {1}, 0.4)", (SMALL_POSITIVE, SMALL_POSITIVE)),
    binary("betaincc", "special.betaincc(1.5, {0}, {1})", (SMALL_POSITIVE, PROBABILITY)),
    binary("betaincinv", "special.betaincinv({0}, 2.0, {1})", (SMALL_POSITIVE, PROBABILITY)),
]

# --- complex intermediates (holomorphic rules, real, imag, conj, abs, angle) --------------

_COMPLEX = [
    unary("cexp", "np.real(np.exp(1j * {0}) * (2.0 - 1j))"),
    unary("cabs", "np.abs(np.exp(1j * {0}) + 2.0)"),
    unary("clog", "np.imag(np.log({0} + 2j))"),
    unary("angle", "np.angle({0} + 1.5j)"),
    unary("csqrt", "np.real(np.sqrt({0} + 1j))"),
    unary("conj", "np.real(np.conj({0} * (1 + 2j)) * ({0} - 1j))"),
    unary("cpower", "np.imag(({0} + 0.5j) ** 3)"),
    unary("csin", "np.real(np.sin({0} * (1 - 0.5j)) / ({0} + 2j))"),
    unary("wofz", "np.real(special.wofz({0} + 1j))"),
    unary("cmatmul", "np.real(np.conj({0} * 1j + 1.0).T @ ({0} - 2j))"),
    unary("cvdot", "np.real(np.vdot({0} + 1j, {0} * (2 - 1j)))"),
    unary("ccumsum", "np.imag(np.cumsum({0} * (1 - 1j)) * 1j)"),
    unary("cmean", "np.real(np.mean(np.exp(1j * {0}), axis=-1))", smooth=lambda a: a.ndim >= 1),
    unary("fft_abs", "np.abs(np.fft.fft({0}))", smooth=lambda a: a.ndim >= 1 and bool(
        np.all(np.abs(np.fft.fft(a)) >= 0.1))),
    unary("cdet", "np.real(np.linalg.det({0} * (1 + 0.5j) + 4.0 * np.eye(np.shape({0})[-1])))",
          smooth=lambda a: _square(a) and np.max(np.abs(a)) <= 1.0),
]

# Every operation the fuzzer draws from, by kind.
OPS: dict[str, list[Op]] = {
    "unary": _UNARY, "binary": _BINARY, "reduction": _REDUCTIONS, "shape": _SHAPE,
    "product": _PRODUCTS, "linalg": _LINALG, "fft": [Op("fft", 1, _fft)], "special": _SPECIAL,
    "complex": _COMPLEX,
}
ALL_OPS: list[Op] = list(itertools.chain.from_iterable(OPS.values()))
