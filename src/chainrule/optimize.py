"""SciPy's optimisers fed with exact derivatives from chainrule.

``minimize``, ``least_squares`` and ``root`` call their ``scipy.optimize``
namesakes with the exact gradient, Jacobian, Hessian or Hessian-vector product
of the function you wrote with plain ``np.*`` calls. Starting points may be
arrays, floats or pytrees (nested tuples, lists and dicts of arrays); your
function receives the same structure, and so does ``result.x`` (the flat
float64 vector SciPy worked on is kept as ``result.x_flat``).

>>> import numpy as np
>>> import chainrule as cr
>>> rosen = lambda x: np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
>>> result = cr.optimize.minimize(rosen, np.array([-1.2, 1.0]))
>>> result.x.round(6)
array([1., 1.])

SciPy is an optional dependency (``pip install "chainrule[scipy]"``), imported
when one of these functions is first called.

Data too large for one machine's memory can be Dask arrays in ``args``: the
derivatives are then sums over the chunks, computed where the chunks live, and
the parameters stay a small NumPy vector on the client. Each point the
optimiser visits costs one ``dask.compute`` (value and gradient, and the
Hessian for the methods that use it), run on ``client=`` (a
``dask.distributed.Client``) or on Dask's default scheduler.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from ._core.arrays import size_of
from ._core.primitive import strip
from ._pytree import flatten, unflatten
from .jit import jit as jit_compile
from .scale import (
    Evaluations,
    check_lazy_data,
    holds_lazy,
    value_gradient_hessian,
    values_and_jacobian,
)
from .transforms import hessian, hvp, jacfwd, jacobian, value_and_grad

__all__ = ["least_squares", "minimize", "root"]

# Methods of scipy.optimize.minimize that use a gradient, a Hessian, or
# Hessian-vector products ("_custom" is a callable method).
GRADIENT_FREE = frozenset({"nelder-mead", "powell", "cobyla", "cobyqa"})
HESSIAN_METHODS = frozenset({"newton-cg", "dogleg", "trust-ncg", "trust-krylov",
                             "trust-exact", "trust-constr"})
HESSP_METHODS = frozenset({"newton-cg", "trust-ncg", "trust-krylov", "trust-constr"})
# Above this many parameters, methods that accept them get Hessian-vector
# products (each as cheap as a gradient) rather than the full n x n Hessian.
HESSP_ABOVE = 100


def _scipy_optimize():
    try:
        return importlib.import_module("scipy.optimize")
    except ImportError as error:
        raise ImportError(
            'chainrule.optimize needs SciPy, which is not installed; install it with '
            'pip install "chainrule[scipy]"') from error


class _Layout:
    """Where each leaf of a pytree sits in one flat float64 vector."""

    def __init__(self, tree: Any, what: str = "x0"):
        leaves, self.structure = flatten(tree)
        self.shapes = [np.shape(leaf) for leaf in leaves]
        self.python_float = [isinstance(leaf, float) for leaf in leaves]
        for position, leaf in enumerate(leaves):
            _check_float_leaf(leaf, position, len(leaves), what)
        sizes = [int(np.prod(shape)) for shape in self.shapes]
        self.stops = np.cumsum(sizes).tolist()
        self.size = self.stops[-1] if sizes else 0
        if self.size == 0:
            raise ValueError(f"{what} has no entries to optimise over; pass a float, an "
                             f"array or a pytree of arrays with at least one entry")
        # A plain vector needs no slicing: fun receives the flat vector itself.
        self.is_flat = self.structure is None and len(self.shapes[0]) == 1

    def ravel(self, tree: Any) -> np.ndarray:
        """One float64 vector holding every entry of ``tree`` (shaped like the layout)."""
        leaves = flatten(tree)[0]
        return np.concatenate([np.ravel(np.asarray(leaf, dtype=np.float64))
                               for leaf in leaves])

    def unravel(self, flat: Any) -> Any:
        """The tree for a flat vector; works on traced Tensors (for differentiation)."""
        if self.is_flat:
            return flat
        leaves, start = [], 0
        for shape, stop in zip(self.shapes, self.stops):
            leaves.append(flat[start] if shape == () else np.reshape(flat[start:stop], shape))
            start = stop
        return unflatten(self.structure, leaves)

    def restore(self, flat: np.ndarray) -> Any:
        """The tree for a plain flat vector: fresh arrays, and floats where floats came in."""
        leaves, start = [], 0
        for shape, stop, as_float in zip(self.shapes, self.stops, self.python_float):
            piece = np.array(flat[start:stop], dtype=np.float64).reshape(shape)
            leaves.append(float(piece) if as_float else piece)
            start = stop
        return unflatten(self.structure, leaves)


def _check_float_leaf(leaf: Any, position: int, count: int, what: str) -> None:
    dtype = np.asarray(leaf).dtype
    if dtype.kind != "f":
        where = what if count == 1 else f"leaf {position} of {what}"
        kind = {"b": "boolean", "i": "integer", "u": "integer", "c": "complex"}.get(
            dtype.kind, "non-numeric")
        raise TypeError(
            f"{where} is {kind} (dtype {dtype}); optimisation needs real floating-point "
            f"starting values: pass floats, e.g. 1.0 rather than 1, or "
            f"np.asarray(x, dtype=float)")


def _flat_output(out: Any) -> Any:
    """A function's output (array or pytree of arrays) as one 1-d vector."""
    leaves = flatten(out)[0]
    if len(leaves) == 1:
        return np.reshape(leaves[0], (-1,))
    return np.concatenate([np.reshape(leaf, (-1,)) for leaf in leaves])


def _method_key(method: Any, bounds: Any, constraints: Any) -> str:
    if callable(method):
        return "_custom"
    if method is None:  # SciPy's own default choice
        return "slsqp" if constraints else "l-bfgs-b" if bounds is not None else "bfgs"
    return method.lower()


def minimize(fun: Callable, x0: Any, args: tuple = (), method: str | Callable | None = "BFGS",
             *, jac: bool | str = True, hess: Any = None, hessp: bool | None = None,
             bounds: Any = None, constraints: Any = (), tol: float | None = None,
             callback: Callable | None = None, options: dict | None = None,
             jit: bool = True, client: Any = None) -> Any:
    """Minimise a scalar ``fun(x, *args)`` with ``scipy.optimize.minimize`` and exact derivatives.

    ``x0`` is an array, a float or a pytree of float arrays; ``fun`` receives
    that structure and returns a scalar. ``jac=True`` (the default) gives SciPy
    the exact gradient, computed with the value in one pass; ``jac=False`` or a
    SciPy finite-difference scheme ("2-point", "3-point") lets SciPy estimate it.

    For methods that use second derivatives (Newton-CG, dogleg, trust-ncg,
    trust-krylov, trust-exact, trust-constr) the exact Hessian is passed, or
    exact Hessian-vector products when the method accepts them and there are
    more than ``HESSP_ABOVE`` parameters. Force a choice with ``hess=True`` or
    ``hessp=True``; ``False`` withholds one. A SciPy Hessian strategy
    ("2-point", ``scipy.optimize.BFGS()``...) given as ``hess`` is passed as is.

    Constraints given as dicts receive ``x`` in your structure and get exact
    Jacobians when they have none; constraint objects, ``bounds`` and SciPy's
    ``hess_inv`` refer to the flat vector. ``callback`` receives your structure.
    Returns SciPy's ``OptimizeResult`` with ``x`` and ``jac`` in the structure
    of ``x0``, and the flat vectors as ``x_flat`` and ``jac_flat``.

    The value, gradient and Hessian (products) are compiled with ``cr.jit``, as
    ``fun`` is called with the same shapes at every iteration; a ``fun`` that
    cannot be compiled runs eagerly, with a ``JitWarning``. ``jit=False`` runs
    it eagerly from the start (for a ``fun`` whose side effects must repeat).

    Dask arrays in ``args`` make the data lazy: ``fun`` then runs eagerly (``jit``
    is not used: a compiled function would hold its data in memory), and each
    point SciPy visits costs one ``dask.compute`` of everything the method needs
    there, on ``client`` (a ``dask.distributed.Client``; None uses Dask's
    default scheduler). Methods that use second derivatives get the exact
    Hessian computed with the value and gradient, and Hessian-vector products
    as products with it on the client (there are few parameters). A fit that
    loses its workers raises ``chainrule.scale.ClusterComputeError`` naming the
    iteration. Pass the data in ``args``, not in a closure: a ``fun`` that
    closes over Dask arrays needs ``jit=False``.
    """
    return _minimize(fun, x0, tuple(args), method, jac=jac, hess=hess, hessp=hessp,
                     bounds=bounds, constraints=constraints, tol=tol, callback=callback,
                     options=options, jit=jit, client=client)[0]


def _minimize(fun: Callable, x0: Any, args: tuple = (), method: Any = "BFGS", *,
              jac: Any = True, hess: Any = None, hessp: Any = None, bounds: Any = None,
              constraints: Any = (), tol: Any = None, callback: Any = None,
              options: Any = None, jit: bool = True,
              client: Any = None) -> tuple[Any, Evaluations | None]:
    """``minimize``, and the ``Evaluations`` that served it when the data is lazy."""
    optimize = _scipy_optimize()
    layout = _Layout(x0)
    objective = _objective(fun, layout, args)
    flat0 = layout.ravel(x0)
    key = _method_key(method, bounds, constraints)
    relay = _callback_for(callback, layout)
    evaluations = None
    if holds_lazy(args):
        check_lazy_data(args)
        derivatives, evaluations = _lazy_derivatives(objective, key, layout.size, jac, hess,
                                                     hessp, client)
        _check_start(evaluations.at, flat0)
        relay = evaluations.counting_iterations(relay)
    else:
        derivatives = _derivatives(objective, key, layout.size, jac, hess, hessp, jit)
        _check_start(_float_value(_compiled(value_and_grad(objective), jit)), flat0)
    result = optimize.minimize(
        x0=flat0, method=method, bounds=bounds, tol=tol, options=options,
        constraints=_constraints_for(constraints, layout), callback=relay, **derivatives)
    result.x_flat = result.x
    result.x = layout.restore(result.x)
    if "jac" in result and np.shape(result.jac) == (layout.size,):
        result.jac_flat = result.jac
        result.jac = layout.restore(result.jac)
    return result, evaluations


def _derivatives(objective: Callable, key: str, size: int, jac: Any, hess: Any,
                 hessp: Any, use_jit: bool) -> dict:
    """SciPy's ``fun``, ``jac``, ``hess`` and ``hessp`` for this method and these choices."""
    exact_gradient = jac is True and key not in GRADIENT_FREE
    use_hess, use_hessp = _second_order_choice(key, size, hess, hessp)
    value = _compiled(value_and_grad(objective) if exact_gradient else objective, use_jit)
    return {
        "fun": _float_value(value) if exact_gradient else _plain(value),
        "jac": True if exact_gradient else None if jac is True else jac,
        "hess": _hessian_of(objective, use_jit) if use_hess else
        None if hess in (None, False) else hess,
        "hessp": _hessp_of(objective, use_jit) if use_hessp else None,
    }


def _lazy_derivatives(objective: Callable, key: str, size: int, jac: Any, hess: Any,
                      hessp: Any, client: Any) -> tuple[dict, Evaluations]:
    """SciPy's ``fun``, ``jac``, ``hess`` and ``hessp`` served from one round trip per point."""
    exact_gradient = jac is True and key not in GRADIENT_FREE
    use_hess, use_hessp = _second_order_choice(key, size, hess, hessp)
    if use_hess or use_hessp:
        parts = value_gradient_hessian(objective)
    elif exact_gradient:
        parts = value_and_grad(objective)
    else:
        def parts(flat):
            return (objective(flat),)
    evaluations = Evaluations(parts, client)

    def hessian_at(flat):
        return np.asarray(evaluations.at(flat)[2], dtype=np.float64)

    derivatives = {
        "fun": _float_value(evaluations.at) if exact_gradient else
        (lambda flat: float(np.reshape(evaluations.at(flat)[0], ()))),
        "jac": True if exact_gradient else None if jac is True else jac,
        "hess": hessian_at if use_hess else None if hess in (None, False) else hess,
        "hessp": (lambda flat, v: hessian_at(flat) @ np.asarray(v, dtype=np.float64))
        if use_hessp else None,
    }
    return derivatives, evaluations


def _compiled(fn: Callable, use_jit: bool) -> Callable:
    """``fn`` compiled with ``cr.jit`` (which runs it eagerly where it cannot), or as it is."""
    return jit_compile(fn) if use_jit else fn


def _objective(fun: Callable, layout: _Layout, args: tuple) -> Callable:
    def objective(flat):
        out = fun(layout.unravel(flat), *args)
        if size_of(strip(out)) != 1:
            raise ValueError(
                f"minimize needs fun to return a scalar (the value to minimise), got an "
                f"output of shape {np.shape(out)}; reduce it (e.g. np.sum(...)), or use "
                f"chainrule.optimize.least_squares for a vector of residuals")
        return out

    return objective


def _float_value(value_and_gradient: Callable) -> Callable:
    def float_value_and_gradient(flat):
        value, gradient = value_and_gradient(flat)[:2]
        return float(np.reshape(value, ())), gradient

    return float_value_and_gradient


def _plain(objective: Callable) -> Callable:
    return lambda flat: float(np.reshape(objective(flat), ()))


def _check_start(values_at: Callable, flat0: np.ndarray) -> None:
    """Raise unless the value (and the gradient, when given) at ``flat0`` is finite;
    ``values_at(flat)`` returns ``(value, gradient, ...)`` or ``(value,)``."""
    value, *derivatives = values_at(flat0)
    value = float(np.reshape(value, ()))
    gradient = derivatives[0] if derivatives else 0.0
    if not np.isfinite(value):
        raise ValueError(f"fun(x0) is {value}; start from a point where the "
                         f"objective is finite")
    if not np.all(np.isfinite(gradient)):
        raise ValueError("the gradient of fun at x0 has non-finite entries; start from a "
                         "point where the objective is differentiable")


def _second_order_choice(key: str, size: int, hess: Any, hessp: bool | None):
    """Whether to pass the exact Hessian and/or exact Hessian-vector products."""
    if hess is True and hessp is True:
        raise ValueError("pass hess=True or hessp=True, not both")
    forced = hess is True or hessp is True
    if key not in HESSIAN_METHODS and key != "_custom":
        if forced:
            raise ValueError(
                f"method {key!r} does not use second derivatives; use one of "
                f"{sorted(HESSIAN_METHODS)} to make use of hess or hessp")
        return False, False
    if hessp is True and key not in HESSP_METHODS | {"_custom"}:
        raise ValueError(f"method {key!r} needs the full Hessian, not Hessian-vector "
                         f"products: pass hess=True, or use one of {sorted(HESSP_METHODS)}")
    if forced or key == "_custom":
        return hess is True, hessp is True
    if hess not in (None, False):  # a SciPy strategy such as "2-point" or BFGS()
        return False, False
    hessp_allowed = hessp is None and key in HESSP_METHODS
    if hessp_allowed and (hess is False or size > HESSP_ABOVE):
        return False, True
    return hess is None, False


def _hessian_of(objective: Callable, use_jit: bool) -> Callable:
    full = _compiled(hessian(objective), use_jit)
    return lambda flat: np.asarray(full(flat), dtype=np.float64)


def _hessp_of(objective: Callable, use_jit: bool) -> Callable:
    product = _compiled(lambda flat, v: hvp(objective, flat, v), use_jit)
    return lambda flat, v: np.asarray(product(flat, np.asarray(v, dtype=np.float64)))


def _constraints_for(constraints: Any, layout: _Layout) -> Any:
    if isinstance(constraints, dict):
        return _constraint_for(constraints, layout)
    if not isinstance(constraints, (list, tuple)):
        return constraints  # a single constraint object, on the flat vector
    return [_constraint_for(con, layout) for con in constraints]


def _constraint_for(con: Any, layout: _Layout) -> Any:
    if not isinstance(con, dict):
        return con
    user_fun, user_jac = con["fun"], con.get("jac")

    def con_fun(flat, *args):
        return _flat_output(user_fun(layout.unravel(flat), *args))

    def con_jac(flat, *args):
        if user_jac is not None:
            return user_jac(layout.unravel(flat), *args)
        return np.asarray(jacobian(lambda x: con_fun(x, *args))(flat))

    return {**con, "fun": con_fun, "jac": con_jac}


def _callback_for(callback: Callable | None, layout: _Layout) -> Callable | None:
    if callback is None:
        return None
    if set(inspect.signature(callback).parameters) == {"intermediate_result"}:
        optimize = _scipy_optimize()

        def relay_result(intermediate_result):
            state = optimize.OptimizeResult(intermediate_result)
            state.x_flat, state.x = state.x, layout.restore(state.x)
            return callback(intermediate_result=state)

        return relay_result

    def relay(xk, *rest):
        return callback(layout.restore(xk), *rest)

    return relay


def least_squares(fun: Callable, x0: Any, args: tuple = (), *, jac: bool | str = True,
                  jit: bool = True, client: Any = None, **kwargs: Any) -> Any:
    """``scipy.optimize.least_squares`` on residuals ``fun(x, *args)`` with the exact Jacobian.

    ``fun`` returns an array (or pytree of arrays) of residuals; their sum of
    squares is minimised. The Jacobian comes from forward mode when there are
    fewer parameters than residuals, from reverse mode otherwise. Other keyword
    arguments (``bounds`` on the flat vector, ``method``, ``loss``...) go to SciPy;
    ``jac="2-point"`` etc. lets SciPy estimate it instead. Returns SciPy's result
    with ``x`` in the structure of ``x0`` and ``x_flat``. The residuals and their
    Jacobian are compiled with ``cr.jit`` unless ``jit=False``.

    With Dask arrays in ``args``, the residuals and their Jacobian at each point
    come back in one ``dask.compute`` (on ``client``, see ``minimize``) as NumPy
    arrays: SciPy needs them whole, one row per residual. For more residuals than
    the client holds, minimise their sum of squares with ``minimize`` instead.
    """
    optimize = _scipy_optimize()
    layout = _Layout(x0)
    flat0 = layout.ravel(x0)
    residuals, jacobian_fun, _ = _vector_and_jacobian(
        fun, layout, tuple(args), flat0, ("least_squares", "residuals"),
        lambda count: jacfwd if layout.size < count else jacobian, jac is True, jit, client)
    result = optimize.least_squares(residuals, flat0,
                                    jac=jacobian_fun if jac is True else jac, **kwargs)
    result.x_flat = result.x
    result.x = layout.restore(result.x)
    return result


def root(fun: Callable, x0: Any, args: tuple = (), method: str = "hybr", *,
         jac: bool = True, jit: bool = True, client: Any = None, **kwargs: Any) -> Any:
    """``scipy.optimize.root`` of the system ``fun(x, *args) = 0`` with the exact Jacobian.

    ``fun`` returns as many equations (an array or a pytree of arrays) as ``x0``
    has entries. Methods "hybr" and "lm" get the exact Jacobian; the others do
    not use one. Other keyword arguments go to SciPy. Returns SciPy's result
    with ``x`` in the structure of ``x0`` and ``x_flat``. The equations and their
    Jacobian are compiled with ``cr.jit`` unless ``jit=False``. With Dask arrays in
    ``args`` (equations that sum over data, such as score equations), the
    equations and their Jacobian at each point cost one ``dask.compute``, on
    ``client`` (see ``minimize``).
    """
    optimize = _scipy_optimize()
    layout = _Layout(x0)
    flat0 = layout.ravel(x0)
    uses_jacobian = jac is True and method.lower() in ("hybr", "lm")
    equations, jacobian_fun, count = _vector_and_jacobian(
        fun, layout, tuple(args), flat0, ("root", "equations"), lambda count: jacobian,
        uses_jacobian, jit, client)
    if count != layout.size and method.lower() != "lm":
        raise ValueError(
            f"root needs as many equations as unknowns: fun returned {count} values for "
            f"{layout.size} unknowns; for an over-determined system use least_squares")
    result = optimize.root(equations, flat0, method=method,
                           jac=jacobian_fun if uses_jacobian
                           else None if jac is True else jac, **kwargs)
    result.x_flat = result.x
    result.x = layout.restore(result.x)
    return result


def _vector_and_jacobian(fun: Callable, layout: _Layout, args: tuple, flat0: np.ndarray,
                         names: tuple[str, str], transform_for: Callable, wants_jacobian: bool,
                         use_jit: bool, client: Any) -> tuple[Callable, Callable | None, int]:
    """The flat vector function ``fun`` of the flat parameters, its Jacobian (when
    wanted) by the transform ``transform_for(count)`` chooses for ``count`` outputs,
    and ``count``; checked to be finite at ``flat0``. With lazy data the values and
    the Jacobian at a point come from one round trip."""
    vector = _vector_function(fun, layout, args)
    if not holds_lazy(args):
        values = _compiled(vector, use_jit)
        count = _check_vector_start(values, flat0, *names)
        if not wants_jacobian:
            return values, None, count
        return values, _dense(_compiled(transform_for(count)(values), use_jit)), count
    check_lazy_data(args)
    transform = transform_for(size_of(strip(vector(flat0))))  # a graph's shape: no compute
    if wants_jacobian:
        evaluations = Evaluations(values_and_jacobian(vector, transform is jacfwd), client,
                                  f"the {names[1]}")
    else:
        evaluations = Evaluations(lambda flat: (vector(flat),), client, f"the {names[1]}")

    def values(flat):
        return np.asarray(evaluations.at(flat)[0], dtype=np.float64)

    def jacobian_at(flat):
        return np.asarray(evaluations.at(flat)[1], dtype=np.float64)

    count = _check_vector_start(values, flat0, *names)
    return values, jacobian_at if wants_jacobian else None, count


def _vector_function(fun: Callable, layout: _Layout, args: tuple) -> Callable:
    return lambda flat: _flat_output(fun(layout.unravel(flat), *args))


def _check_vector_start(vector_fun: Callable, flat0: np.ndarray, name: str, what: str) -> int:
    values = np.asarray(vector_fun(flat0))
    if values.size == 0:
        raise ValueError(f"{name}: fun returned no {what} at x0")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name}: fun(x0) has non-finite {what}; start from a point "
                         f"where they are all finite")
    return values.size


def _dense(jacobian_fun: Callable) -> Callable:
    return lambda flat: np.asarray(jacobian_fun(flat), dtype=np.float64)
