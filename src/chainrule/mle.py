"""Maximum likelihood with exact derivatives: estimates, standard errors, a summary table.

``fit_mle`` minimises a negative log-likelihood you wrote with plain ``np.*``
calls (``chainrule.optimize.minimize``, exact gradient), then takes the exact
Hessian at the optimum: its inverse is the covariance of the estimates.

>>> import numpy as np
>>> import chainrule as cr
>>> y = np.random.default_rng(0).normal(3.0, 2.0, size=500)
>>> def negloglik(p, y):
...     z = (y - p["mu"]) / np.exp(p["log_sigma"])
...     return np.sum(0.5 * z ** 2 + p["log_sigma"]) + 0.5 * y.size * np.log(2 * np.pi)
>>> fit = cr.mle.fit_mle(negloglik, {"mu": 0.0, "log_sigma": 0.0}, data=(y,),
...                      transforms={"log_sigma": "exp"})
>>> print(fit)     # the fit, then each parameter on its own scale (sigma, not log_sigma)
                         Maximum likelihood estimates
==============================================================================
Method:                           BFGS  Log-likelihood:             -1062.7967
...
                   coef    std err          z      P>|z|     [0.025     0.975]
------------------------------------------------------------------------------
mu               2.9462     0.0907     32.498      0.000     2.7685     3.1239
log_sigma        0.7067     0.0316     22.346      0.000     0.6447     0.7686
...
mu               2.9462     0.0907     32.498      0.000     2.7685     3.1239
sigma            2.0272     0.0641     31.623      0.000     1.9016     2.1528
==============================================================================

A Hessian that is singular or not positive definite at the optimum (a
parameter that is not identified, or a point that is not a minimum) raises
``SingularHessianError`` naming the parameters involved: there are then no
standard errors to report, and the estimates are not to be trusted.
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from html import escape
from typing import Any

import numpy as np

from ._core.arrays import is_array, is_lazy, size_of
from ._core.primitive import strip
from ._pytree import flatten
from .optimize import _Layout, _minimize
from .scale import Evaluations, frame_columns, is_frame, value_gradient_hessian
from .transforms import grad

__all__ = ["MLEResult", "SingularHessianError", "fit_mle"]

TRANSFORMS: dict[str, Callable] = {
    "exp": np.exp,
    "expit": lambda t: 0.5 * (1.0 + np.tanh(0.5 * t)),  # 1 / (1 + exp(-t)), no overflow
}
# SciPy's optimisers often stop on rounding ("precision loss") once the objective,
# a sum over many observations, no longer resolves the last improvements. The fit
# has converged all the same if a Newton step from there would move no estimate by
# more than this many standard errors.
NEWTON_STEP_TOLERANCE = 1e-6
# The prefix a name drops when its transform is applied: log_sigma -> sigma.
_PREFIX_DROPPED = {"exp": "log_", "expit": "logit_"}


class SingularHessianError(np.linalg.LinAlgError):
    """The Hessian at the estimate is singular or not positive definite.

    Carries what was found: ``params`` (the estimates, not to be trusted),
    ``names``, ``hessian`` and ``optimize_result``.
    """

    def __init__(self, message: str, params: Any, names: Sequence[str],
                 hessian: np.ndarray, optimize_result: Any):
        super().__init__(message)
        self.params, self.names = params, list(names)
        self.hessian, self.optimize_result = hessian, optimize_result


@dataclass(frozen=True, repr=False)
class MLEResult:
    """A maximum-likelihood fit: estimates, covariance, and how the optimiser did.

    ``params`` has the structure of ``params0``; ``estimates``, ``names``,
    ``std_errors``, ``z_values``, ``p_values`` and ``conf_int`` are flat, one
    entry (row) per scalar parameter. ``print(result)`` shows ``summary()``.

    ``success`` is true when the optimiser reported success, or when the Newton
    step ``H^-1 g`` at the estimate is at most ``NEWTON_STEP_TOLERANCE`` standard
    errors in every parameter (``newton_step`` is that largest ratio): the
    optimiser then stopped where rounding hides further progress, at the optimum
    for every practical purpose. ``message`` is the optimiser's own, and
    ``grad_norm`` the largest gradient entry at the estimate.
    """

    params: Any
    names: tuple[str, ...]
    estimates: np.ndarray
    cov: np.ndarray
    loglik: float
    nobs: int | None
    method: str
    success: bool
    message: str
    iterations: int
    grad_norm: float
    newton_step: float
    alpha: float = 0.05
    hessian: np.ndarray | None = None
    optimize_result: Any = None
    transforms: dict = field(default_factory=dict)
    scale: str = "fitted"

    @property
    def n_params(self) -> int:
        """The number of free scalar parameters."""
        return self.estimates.size

    @property
    def std_errors(self) -> np.ndarray:
        """Standard errors: square roots of the covariance's diagonal."""
        return np.sqrt(np.diag(self.cov))

    @property
    def z_values(self) -> np.ndarray:
        """Wald statistics ``estimate / std_error`` (for the hypothesis parameter = 0)."""
        return self.estimates / self.std_errors

    @property
    def p_values(self) -> np.ndarray:
        """Two-sided p-values of the z statistics under the standard normal."""
        return np.array([math.erfc(abs(z) / math.sqrt(2.0)) for z in self.z_values])

    @property
    def conf_int(self) -> np.ndarray:
        """Wald confidence intervals at level ``1 - alpha``, shape ``(n_params, 2)``."""
        half = statistics.NormalDist().inv_cdf(1.0 - self.alpha / 2.0) * self.std_errors
        return np.column_stack([self.estimates - half, self.estimates + half])

    @property
    def aic(self) -> float:
        """Akaike's information criterion, ``2 k - 2 loglik``."""
        return 2.0 * self.n_params - 2.0 * self.loglik

    @property
    def bic(self) -> float | None:
        """Schwarz's criterion, ``k log(nobs) - 2 loglik`` (None when nobs is unknown)."""
        if self.nobs is None:
            return None
        return self.n_params * math.log(self.nobs) - 2.0 * self.loglik

    def natural_scale(self) -> MLEResult:
        """The fit with ``transforms`` applied, standard errors by the delta method.

        ``params`` of the result is a dict from the new names to the values;
        the covariance is ``J cov J^T`` with ``J`` the (diagonal) Jacobian of
        the transforms, each derivative taken by chainrule. Without transforms
        this is the fit itself.
        """
        if not self.transforms:
            return self
        names, values, slopes = list(self.names), self.estimates.copy(), np.ones(self.n_params)
        for index, (name, how) in self.transforms.items():
            function = TRANSFORMS.get(how, how)
            names[index] = _natural_name(name, how)
            values[index] = float(function(self.estimates[index]))
            slopes[index] = float(grad(function)(float(self.estimates[index])))
        cov = slopes[:, None] * self.cov * slopes[None, :]
        return replace(self, params=dict(zip(names, values.tolist())), names=tuple(names),
                       estimates=values, cov=cov, hessian=None, transforms={},
                       scale="natural scale, delta method")

    def summary(self) -> str:
        """A statsmodels-like table: fit statistics, then one row per parameter.

        With ``transforms``, a second table gives the natural-scale values.
        """
        text = _summary_table(self)
        if self.transforms:
            natural = self.natural_scale()
            text += "\n" + _parameter_rows(natural, "Natural scale (delta method)")
        return text

    def to_frame(self) -> Any:
        """The parameter table as a pandas DataFrame (needs pandas)."""
        try:
            import pandas
        except ImportError as error:
            raise ImportError("MLEResult.to_frame needs pandas, which is not installed; "
                              "install it with pip install pandas") from error
        low, high = self.conf_int.T
        columns = _column_titles(self.alpha)
        values = [self.estimates, self.std_errors, self.z_values, self.p_values, low, high]
        return pandas.DataFrame(dict(zip(columns, values)), index=list(self.names))

    def __str__(self) -> str:
        return self.summary()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        """Jupyter's view: the summary as HTML tables."""
        return _summary_html(self)


def fit_mle(negloglik: Callable, params0: Any, data: Any = (),
            param_names: Sequence[str] | None = None, method: str = "BFGS",
            transforms: dict[str, str | Callable] | None = None, alpha: float = 0.05,
            nobs: int | None = None, *, columns: Sequence[str] | None = None,
            client: Any = None, **minimize_kwargs: Any) -> MLEResult:
    """Maximum-likelihood estimates of ``params`` minimising ``negloglik(params, *data)``.

    ``params0`` (starting values) is an array, a float or a pytree of float
    arrays; a dict gives parameters their names (``beta[0]``, ``log_sigma``...),
    or pass ``param_names``, one per scalar parameter. ``data`` is a tuple of
    further arguments (a single array is taken as one argument). ``nobs``, for
    BIC, defaults to the length of the first data array.

    ``data`` may be large: Dask arrays (in the tuple), or a pandas or Dask
    DataFrame given as ``data=frame``. A DataFrame reaches ``negloglik`` as a
    dict of its columns, ``negloglik(params, d)`` reading ``d["x1"]``: NumPy
    arrays for pandas, Dask arrays for Dask (whose partition lengths are
    computed once, up front). ``columns=["y", "x1"]`` picks the columns; by
    default every numeric or boolean one is passed. With Dask data each point
    the optimiser visits costs one ``dask.compute`` on ``client`` (a
    ``dask.distributed.Client``; None uses Dask's default scheduler), the
    parameters stay NumPy arrays on the client, ``negloglik`` runs eagerly
    (not compiled with ``cr.jit``, which would hold the data in memory), and
    the exact Hessian for the standard errors is one more compute (none when
    the method's last point was the estimate). See ``chainrule.optimize.minimize``.

    ``transforms`` maps a parameter name (or a dict key, for all its entries) to
    "exp", "expit" or a function written with ``np.*``: ``natural_scale()`` and
    the summary then give e.g. ``sigma = exp(log_sigma)`` with delta-method
    standard errors. Other keyword arguments go to ``chainrule.optimize.minimize``
    (``options={"gtol": 1e-8}``, ``bounds``...; ``jit=False`` runs ``negloglik``
    eagerly instead of compiling it with ``cr.jit``).

    Raises ``SingularHessianError`` when the Hessian at the optimum is singular
    or not positive definite; warns (RuntimeWarning) when the fit has not
    converged (see ``MLEResult.success``).
    """
    layout = _Layout(params0, "params0")
    data = _data_arguments(data, columns)
    names = _parameter_names(params0, layout.size, param_names)
    index_transforms = _index_transforms(transforms or {}, names)
    _check_scalar(negloglik(params0, *data))

    def flat_negloglik(theta, *data):
        return negloglik(layout.unravel(theta), *data)

    result, evaluations = _minimize(flat_negloglik, layout.ravel(params0), data, method,
                                    client=client, **minimize_kwargs)
    theta = np.asarray(result.x_flat, dtype=np.float64)
    gradient, hess = _gradient_and_hessian(flat_negloglik, theta, data, evaluations, client)
    hess = 0.5 * (hess + hess.T)
    cov = _covariance(hess, names, layout.restore(theta), result)
    newton_step = float(np.max(np.abs(cov @ gradient) / np.sqrt(np.diag(cov))))
    success = bool(result.success) or newton_step <= NEWTON_STEP_TOLERANCE
    if not success:
        warnings.warn(f"the optimiser ({method}) did not converge: {result.message} (a "
                      f"Newton step would still move an estimate by {newton_step:.3g} "
                      f"standard errors); check the estimates, or try more iterations or "
                      f"method='trust-exact'", RuntimeWarning, stacklevel=2)
    return MLEResult(
        params=layout.restore(theta), names=tuple(names), estimates=theta, cov=cov,
        loglik=-float(result.fun), nobs=_observation_count(nobs, data),
        method=method if isinstance(method, str) else getattr(method, "__name__", "custom"),
        success=success, message=str(result.message), iterations=int(result.get("nit", -1)),
        grad_norm=float(np.max(np.abs(gradient))), newton_step=newton_step, alpha=alpha,
        hessian=hess, optimize_result=result, transforms=index_transforms)


def _data_arguments(data: Any, columns: Sequence[str] | None) -> tuple:
    """``data`` as the tuple of arguments after the parameters: a single array or
    DataFrame is one argument, and a DataFrame becomes a dict of its columns."""
    single = is_array(data) or is_lazy(data) or is_frame(data)
    arguments = (data,) if single else tuple(data)
    if columns is not None and not any(is_frame(value) for value in arguments):
        raise ValueError("columns= picks the columns of a DataFrame given as data=; "
                         "data holds no DataFrame")
    return tuple(frame_columns(value, columns) if is_frame(value) else value
                 for value in arguments)


def _gradient_and_hessian(flat_negloglik: Callable, theta: np.ndarray, data: tuple,
                          evaluations: Evaluations | None, client: Any):
    """The exact gradient and Hessian at the estimate: in one compute for lazy data
    (none when the optimiser's last round trip was there and included the Hessian)."""
    parts = value_gradient_hessian(flat_negloglik)
    if evaluations is None:
        values = parts(theta, *data)
    elif evaluations.holds(theta) and len(evaluations.at(theta)) == 3:
        values = evaluations.at(theta)
    else:
        values = Evaluations(lambda flat: parts(flat, *data), client,
                             "the Hessian at the estimate").at(theta)
    return (np.asarray(values[1], dtype=np.float64).reshape(-1),
            np.asarray(values[2], dtype=np.float64))


def _check_scalar(value: Any) -> None:
    if size_of(strip(value)) != 1:
        raise ValueError(
            f"negloglik must return one number, the negative log-likelihood of the whole "
            f"sample; it returned shape {np.shape(value)}: sum the terms of the "
            f"observations with np.sum(...)")


def _observation_count(nobs: int | None, data: tuple) -> int | None:
    if nobs is not None:
        return int(nobs)
    shapes = [np.shape(strip(leaf)) for leaf in flatten(data)[0] if hasattr(leaf, "shape")]
    return next((int(shape[0]) for shape in shapes if len(shape) >= 1), None)


def _parameter_names(params0: Any, size: int, param_names: Sequence[str] | None) -> list[str]:
    if param_names is None:
        return list(_tree_names(params0, ""))
    names = [str(name) for name in param_names]
    if len(names) != size:
        raise ValueError(f"param_names has {len(names)} names for {size} scalar parameters "
                         f"in params0; give one name per entry")
    return names


def _tree_names(tree: Any, path: str):
    """One name per scalar entry: dict keys, tuple fields, and ``[i]`` for positions."""
    if isinstance(tree, dict):
        for key, child in tree.items():
            yield from _tree_names(child, f"{path}.{key}" if path else str(key))
    elif isinstance(tree, (tuple, list)):
        fields = getattr(tree, "_fields", None)
        for i, child in enumerate(tree):
            label = fields[i] if fields else None
            yield from _tree_names(child, (f"{path}.{label}" if path else label) if label
                                   else f"{path or 'theta'}[{i}]")
    elif np.ndim(tree) == 0:
        yield path or "theta"
    else:
        for index in np.ndindex(np.shape(tree)):
            yield f"{path or 'theta'}[{','.join(map(str, index))}]"


def _index_transforms(transforms: dict, names: list[str]) -> dict:
    """``{flat index: (name, transform)}`` for every entry a key of ``transforms`` names."""
    chosen = {}
    for key, how in transforms.items():
        if not callable(how) and how not in TRANSFORMS:
            raise ValueError(f"unknown transform {how!r} for {key!r}: use 'exp', 'expit' "
                             f"or a function written with np.*")
        hits = [i for i, name in enumerate(names)
                if name == key or name.startswith((f"{key}[", f"{key}."))]
        if not hits:
            raise ValueError(f"transforms names {key!r}, which is not a parameter; the "
                             f"parameters are {', '.join(names)}")
        chosen.update({i: (names[i], how) for i in hits})
    return chosen


def _natural_name(name: str, how: str | Callable) -> str:
    prefix = _PREFIX_DROPPED.get(how) if isinstance(how, str) else None
    if prefix and name.startswith(prefix) and len(name) > len(prefix):
        return name[len(prefix):]
    label = how if isinstance(how, str) else getattr(how, "__name__", "f")
    return f"{'f' if label == '<lambda>' else label}({name})"


def _covariance(hess: np.ndarray, names: list[str], params: Any, result: Any) -> np.ndarray:
    """The inverse Hessian, or SingularHessianError naming the directions at fault."""
    if not np.all(np.isfinite(hess)):
        rows = [names[i] for i in np.flatnonzero(~np.all(np.isfinite(hess), axis=1))]
        raise SingularHessianError(
            f"the Hessian at the estimate has non-finite entries for {', '.join(rows)}; the "
            f"negative log-likelihood is not twice differentiable there", params, names,
            hess, result)
    eigenvalues, vectors = np.linalg.eigh(hess)
    scale = max(float(np.max(np.abs(eigenvalues))), np.finfo(float).tiny)
    tolerance = 1e3 * hess.shape[0] * np.finfo(float).eps * scale
    flat = eigenvalues <= tolerance
    if np.any(flat):
        raise SingularHessianError(
            _singular_message(eigenvalues, vectors, flat, names, scale, result),
            params, names, hess, result)
    return (vectors / eigenvalues) @ vectors.T


def _singular_message(eigenvalues, vectors, flat, names, scale, result) -> str:
    directions = [f"{_direction(vectors[:, j], names)} (eigenvalue {eigenvalues[j]:.3g})"
                  for j in np.flatnonzero(flat)]
    involved = sorted({names[i] for j in np.flatnonzero(flat)
                       for i in np.flatnonzero(np.abs(vectors[:, j]) > 0.1)},
                      key=names.index)
    negative = np.any(eigenvalues < -1e-8 * scale)
    problem = ("is not positive definite: the estimate is not a minimum (a saddle point, "
               "or the optimiser stopped early" + ("" if result.success else
                                                  f": {result.message}") + ")"
               if negative else
               "is singular: the likelihood is flat along a direction, so the parameters "
               "along it are not identified")
    advice = ("try other starting values or a tighter tolerance" if negative else
              "fix or drop one of them, or reparameterise the model")
    return (f"the Hessian of the negative log-likelihood at the estimate {problem}; "
            f"standard errors do not exist. Direction(s): {'; '.join(directions)} "
            f"(largest eigenvalue {scale:.3g}). Parameters involved: "
            f"{', '.join(involved)}: {advice}.")


def _direction(vector: np.ndarray, names: list[str]) -> str:
    terms = [f"{vector[i]:+.3f}*{names[i]}" for i in np.argsort(-np.abs(vector))
             if abs(vector[i]) > 0.1]
    return " ".join(terms)


def _column_titles(alpha: float) -> list[str]:
    return ["coef", "std err", "z", "P>|z|", f"[{alpha / 2:g}", f"{1 - alpha / 2:g}]"]


def _number(x: float) -> str:
    if x == 0 or 1e-4 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.3e}"


def _name_width(result: MLEResult) -> int:
    return max(12, *(len(name) + 2 for name in result.names))


def _parameter_rows(result: MLEResult, title: str | None = None) -> str:
    width = _name_width(result)
    total = width + 6 * 11
    lines = [title.center(total)] if title else []
    lines += ["=" * total,
              " " * width + "".join(f"{c:>11}" for c in _column_titles(result.alpha)),
              "-" * total]
    for name, row in zip(result.names, zip(result.estimates, result.std_errors,
                                           result.z_values, result.p_values,
                                           *result.conf_int.T)):
        coef, se, z, p, low, high = row
        cells = [_number(coef), _number(se), f"{z:.3f}", f"{p:.3f}", _number(low),
                 _number(high)]
        lines.append(f"{name:<{width}}" + "".join(f"{c:>11}" for c in cells))
    lines.append("=" * total)
    return "\n".join(lines)


def _fit_statistics(result: MLEResult) -> list[tuple[str, str]]:
    """The summary's fit statistics as (label, value), in reading order by rows of two."""
    return [
        ("Method", result.method), ("Log-likelihood", f"{result.loglik:.4f}"),
        ("Converged", str(result.success)), ("AIC", f"{result.aic:.4f}"),
        ("Iterations", str(result.iterations)),
        ("BIC", "n/a" if result.bic is None else f"{result.bic:.4f}"),
        ("No. observations", "n/a" if result.nobs is None else str(result.nobs)),
        ("No. parameters", str(result.n_params)),
        ("Max |gradient|", f"{result.grad_norm:.3g}"),
        ("Newton step / SE", f"{result.newton_step:.3g}"),
    ]


def _title(result: MLEResult) -> str:
    title = "Maximum likelihood estimates"
    return title if result.scale == "fitted" else f"{title} ({result.scale})"


def _summary_table(result: MLEResult) -> str:
    total = _name_width(result) + 6 * 11
    half = total // 2
    stats = _fit_statistics(result)
    header = [f"{a + ':':<18}{b:>{half - 19}} " + f" {c + ':':<18}{d:>{total - half - 19}}"
              for (a, b), (c, d) in zip(stats[0::2], stats[1::2])]
    return "\n".join([_title(result).center(total), "=" * total, *header,
                      _parameter_rows(result), f"Optimiser: {result.message}"])


def _summary_html(result: MLEResult) -> str:
    stats = _fit_statistics(result)
    rows = "".join(
        "<tr>" + "".join(f"<th>{escape(a)}</th><td>{escape(b)}</td>" for a, b in pair) + "</tr>"
        for pair in zip(stats[0::2], stats[1::2]))
    parts = [f"<table><caption>{escape(_title(result))}</caption>{rows}</table>",
             _parameter_html(result)]
    if result.transforms:
        parts.append(_parameter_html(result.natural_scale(), "Natural scale (delta method)"))
    parts.append(f"<p>Optimiser: {escape(str(result.message))}</p>")
    return "\n".join(parts)


def _parameter_html(result: MLEResult, title: str | None = None) -> str:
    caption = f"<caption>{escape(title)}</caption>" if title else ""
    header = "".join(f"<th>{escape(c)}</th>" for c in ["", *_column_titles(result.alpha)])
    rows = []
    for name, (coef, se, z, p, low, high) in zip(result.names, zip(
            result.estimates, result.std_errors, result.z_values, result.p_values,
            *result.conf_int.T)):
        cells = [_number(coef), _number(se), f"{z:.3f}", f"{p:.3f}", _number(low),
                 _number(high)]
        rows.append(f"<tr><th>{escape(name)}</th>"
                    + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table>{caption}<thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
