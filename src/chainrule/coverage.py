"""What chainrule differentiates, read from the registry: ``python -m chainrule.coverage``.

Prints the number of primitives; ``--print`` prints the Markdown coverage page and
``--write PATH`` writes it, e.g. to ``docs/coverage.md``. The page is not kept in the
repository: generated when asked for, it cannot go stale.
``python -m chainrule coverage NAME`` answers for one function.
"""

from __future__ import annotations

import sys

import numpy as np

from .ops import registry

# Functions deliberately left without derivatives, and why, by qualified name.
NOT_COVERED = {
    "numpy.linalg.cond": "infinite at singular matrices, where its gradient is undefined",
    "numpy.pad modes linear_ramp, maximum, mean, median, minimum":
        "their values are not copies of input entries; constant, edge, reflect, symmetric "
        "and wrap are differentiable",
    "numpy.float32(t), numpy.float64(t) of a traced value":
        "NumPy's scalar types turn their argument into a plain Python number, never "
        "another array type; use t.astype(np.float32)",
    "numpy.full(shape, t) with NumPy itself":
        "NumPy does not hand np.full to the type of its fill value; chainrule.numpy.full "
        "differentiates it",
    "scipy.special functions that are not ufuncs (logsumexp, softmax, polygamma ...) "
    "called through SciPy on Tensors":
        "SciPy turns their inputs into arrays before anything else; chainrule.scipy.special "
        "differentiates them",
    "second derivatives of scipy.integrate.odeint":
        "its derivative rules run SciPy's integrator on values, which has no derivative "
        "of its own",
    "numpy.round, delete, insert, unique, cumulative_sum, nancumsum, nanmedian, i0, "
    "piecewise, put on traced values":
        "no rule written yet: they raise an error naming the function",
}

# NumPy functions that chainrule routes only on some NumPy versions (those that have
# them), with the versions as (first, last excluded). The page lists them whatever NumPy
# is installed, so it is the same on every supported version; a test checks each range
# against the installed NumPy.
VERSIONED = {
    "numpy.row_stack": (None, "2.5.0"),
}


def routed_on_this_numpy(name: str) -> bool:
    """Whether ``VERSIONED[name]``'s range includes the installed NumPy."""
    first, last = VERSIONED[name]
    version = np.lib.NumpyVersion(np.__version__)
    return (first is None or version >= first) and (last is None or version < last)


def _versioned_label(name: str) -> str:
    first, last = VERSIONED[name]
    bounds = [f">= {first[:-2]}" if first else "", f"< {last[:-2]}" if last else ""]
    return f"{name} (NumPy {', '.join(b for b in bounds if b)})"


# Every function HIPS autograd differentiates, by module (names read from its source:
# numpy/numpy_vjps.py and numpy_wrapper.py, numpy/linalg.py, numpy/fft.py, scipy/).
AUTOGRAD_PARITY = {
    "numpy": [
        "absolute", "add", "amax", "amin", "angle", "append", "arccos", "arccosh", "arcsin",
        "arcsinh", "arctan", "arctan2", "arctanh", "array", "array_split", "astype",
        "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_to", "c_", "clip", "column_stack",
        "concatenate", "conjugate", "cos", "cosh", "cross", "cumsum", "deg2rad", "degrees",
        "diag", "diagonal", "diff", "divide", "dot", "dsplit", "einsum", "exp", "exp2",
        "expand_dims", "expm1", "fabs", "fliplr", "flipud", "fmax", "fmin", "full", "gradient",
        "hsplit", "hstack", "hypot", "imag", "inner", "kron", "linspace", "log", "log10",
        "log1p", "log2", "logaddexp", "logaddexp2", "matmul", "max", "maximum", "mean", "min",
        "minimum", "moveaxis", "multiply", "nan_to_num", "negative", "outer", "pad",
        "partition", "power", "prod", "r_", "rad2deg", "radians", "ravel", "real",
        "real_if_close", "reciprocal", "remainder", "repeat", "reshape", "roll", "rollaxis",
        "rot90", "row_stack", "select", "sin", "sinc", "sinh", "sort", "split", "sqrt",
        "square", "squeeze", "stack", "std", "subtract", "sum", "swapaxes", "tan", "tanh",
        "tensordot", "tile", "trace", "transpose", "tril", "triu", "var", "vsplit", "vstack",
        "where",
    ],
    "numpy.linalg": ["cholesky", "det", "eig", "eigh", "inv", "norm", "pinv", "slogdet",
                     "solve", "svd"],
    "numpy.fft": ["fft", "fft2", "fftn", "fftshift", "ifft", "ifft2", "ifftn", "ifftshift",
                  "irfft", "irfft2", "irfftn", "rfft", "rfft2", "rfftn"],
    "scipy.special": [
        "beta", "betainc", "betaln", "digamma", "erf", "erfc", "erfcinv", "erfinv", "expit",
        "gamma", "gammainc", "gammaincc", "gammaln", "gammasgn", "i0", "i1", "iv", "ive", "j0",
        "j1", "jn", "logit", "logsumexp", "multigammaln", "polygamma", "psi", "rgamma", "y0",
        "y1", "yn",
    ],
    "scipy.stats": [
        "beta.cdf", "beta.logpdf", "beta.pdf", "chi2.cdf", "chi2.logpdf", "chi2.pdf",
        "dirichlet.logpdf", "dirichlet.pdf", "gamma.cdf", "gamma.logpdf", "gamma.pdf",
        "multivariate_normal.entropy", "multivariate_normal.logpdf", "multivariate_normal.pdf",
        "norm.cdf", "norm.logcdf", "norm.logpdf", "norm.logsf", "norm.pdf", "norm.sf",
        "poisson.cdf", "poisson.logpmf", "poisson.pmf", "t.cdf", "t.logcdf", "t.logpdf",
        "t.pdf",
    ],
    "scipy.linalg": ["solve_banded", "solve_sylvester", "solve_triangular", "sqrtm"],
    "scipy.signal": ["convolve"],
    "scipy.integrate": ["odeint"],
}


def resolve(module: str, name: str):
    """What differentiates ``module.name`` in chainrule (``"numpy.linalg"``, ``"solve"``),
    or None. NumPy names count when they route to a primitive (or ``chainrule.numpy``
    has its own version); SciPy names when ``chainrule.<module>`` defines them."""
    import importlib

    if module.split(".")[0] == "numpy":
        namespace = np if module == "numpy" else getattr(np, module.split(".")[1])
        target = getattr(namespace, name, None)
        try:
            if target in registry.UFUNCS or target in registry.FUNCTIONS:
                return target
        except TypeError:  # unhashable
            pass
        if module == "numpy":
            ours = getattr(importlib.import_module("chainrule.numpy"), name, None)
            return ours if ours is not None and ours is not target else None
        return None
    try:
        found = importlib.import_module(f"chainrule.{module}")
    except ImportError:
        return None
    for part in name.split("."):
        found = getattr(found, part, None)
    return found


def parity() -> dict:
    """For each module of ``AUTOGRAD_PARITY``: its names split into ``covered`` (by the
    installed version, or listed in ``VERSIONED``), ``not_covered`` (each in
    ``NOT_COVERED``) and ``missing`` (neither: a gap to fill or to explain)."""
    table = {}
    for module, names in AUTOGRAD_PARITY.items():
        groups = {"covered": [], "not_covered": [], "missing": []}
        for name in names:
            qualified = f"{module}.{name}"
            if qualified in VERSIONED or resolve(module, name) is not None:
                groups["covered"].append(name)
            elif qualified in NOT_COVERED:
                groups["not_covered"].append(name)
            else:
                groups["missing"].append(name)
        table[module] = groups
    return table


def _parity_section() -> list[str]:
    table = parity()
    total = sum(len(names) for names in AUTOGRAD_PARITY.values())
    covered = sum(len(groups["covered"]) for groups in table.values())
    lines = [
        "## HIPS autograd parity",
        "",
        f"Every function HIPS autograd differentiates ({total}, read from its source), and "
        f"whether chainrule does: {covered} are covered. The others are listed with the "
        "reason under \"Deliberately not covered\".",
        "",
    ]
    for module, groups in table.items():
        names = AUTOGRAD_PARITY[module]
        covered_names = ", ".join(f"`{n}`" for n in groups["covered"]) or "none"
        lines.append(f"- `{module}` ({len(groups['covered'])} of {len(names)}): {covered_names}")
        for label, key in (("not covered", "not_covered"), ("missing", "missing")):
            if groups[key]:
                lines.append(f"  - {label}: " + ", ".join(f"`{n}`" for n in groups[key]))
    return [*lines, ""]


def _name(obj) -> str:
    if isinstance(obj, np.ufunc) and getattr(np, obj.__name__, None) is not obj:
        # A private ufunc (_zeta, _lambertw) is what the public function of its name calls.
        return f"scipy.special.{obj.__name__.lstrip('_')}"
    module = getattr(obj, "__module__", None) or "numpy"
    if module.startswith("numpy._core") or module == "numpy":
        module = "numpy"
    return f"{module}.{getattr(obj, '__name__', repr(obj))}"


def _section(title: str, names: list[str]) -> list[str]:
    return [f"## {title}", "", ", ".join(f"`{name}`" for name in names), ""]


def _batches(prim) -> bool:
    return prim.batching.whole_batch


def numpy_only() -> dict[str, str]:
    """The primitives that refuse arrays of other libraries than NumPy (Dask, CuPy),
    by name, with the reason each declares (``numpy_only`` where it is defined)."""
    return {name: prim.numpy_only for name, prim in sorted(registry.PRIMITIVES.items())
            if prim.numpy_only}


def _numpy_only_section() -> list[str]:
    refused = numpy_only()
    return [
        "## Not on Dask arrays",
        "",
        f"{len(refused)} of the {len(registry.PRIMITIVES)} primitives work on NumPy arrays "
        "only: called on a Dask (or CuPy, or other array-API) array they raise a TypeError "
        "naming the array's type and the fix (compute the array first). Every other "
        "primitive keeps Dask arrays lazy, as the conformance table run on Dask checks "
        "(tests/dask).",
        "",
        *[f"- `{name}`: {why}" for name, why in refused.items()],
        "",
    ]


def coverage_markdown() -> str:
    """The coverage page, generated from the registry."""
    prims = sorted(registry.PRIMITIVES)
    ufuncs = sorted(f"numpy.{u.__name__}" for u in registry.UFUNCS
                    if getattr(np, u.__name__, None) is u)
    scipy_ufuncs = sorted(_name(u) for u in registry.UFUNCS
                          if getattr(np, u.__name__, None) is not u)
    functions = sorted({_name(f) for f in registry.FUNCTIONS} - set(VERSIONED)
                       | {_versioned_label(name) for name in VERSIONED})
    plain = sorted({_name(f) for f in registry.NONDIFFERENTIABLE})
    lines = [
        "# What chainrule differentiates",
        "",
        "Generated from the registry by `python -m chainrule coverage` (this installation's "
        "NumPy and SciPy); do not edit by hand.",
        "",
        f"- {len(prims)} primitives, each with reverse and forward rules checked by the "
        "conformance table (tests/ops).",
        f"- {len(ufuncs)} NumPy ufuncs and {len(functions)} NumPy functions route to them "
        "when called on Tensors (a few only on the NumPy versions that have them, as marked).",
        f"- {len(scipy_ufuncs)} SciPy ufuncs route to them as well (with `chainrule.scipy` "
        "imported).",
        f"- {len(plain)} NumPy functions take Tensors and return plain results "
        "(no derivative exists: shapes, comparisons, arg-sorts ...).",
        "",
        *_section("Primitives", prims),
        *_section("NumPy ufuncs", ufuncs),
        *_section("NumPy functions", functions),
        *_section("SciPy ufuncs", scipy_ufuncs),
        *_section("Passed through without a derivative", plain),
        "## Batched tangents and cotangents",
        "",
        "`jacfwd`, `jacobian` and `hessian` push a whole basis through one pass. "
        f"{sum(map(_batches, registry.PRIMITIVES.values()))} of the {len(prims)} primitives "
        "take the batch in one call, in both modes (their rules broadcast elementwise, "
        "or they have batched rules). These loop over it inside that pass, one rule call "
        "per basis vector:",
        "",
        ", ".join(f"`{p}`" for p in prims if not _batches(registry.PRIMITIVES[p])),
        "",
        *_numpy_only_section(),
        *_parity_section(),
        "## Deliberately not covered",
        "",
        *[f"- {what}: {why}." for what, why in NOT_COVERED.items()],
        "",
        "Counted with the `scipy` extra installed: `chainrule.scipy.special` and "
        "`chainrule.scipy.stats` register their primitives when `chainrule.scipy` is imported.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Print the primitive count; ``--write PATH`` writes the page, ``--print`` shows it."""
    if argv == ["--print"]:
        print(coverage_markdown(), end="")
        return 0
    print(f"{len(registry.PRIMITIVES)} primitives in the registry")
    if argv[:1] == ["--write"] and len(argv) == 2:
        with open(argv[1], "w", encoding="utf-8") as page:
            page.write(coverage_markdown())
        print(f"wrote {argv[1]}")
    return 0


if __name__ == "__main__":
    import chainrule  # noqa: F401  (registers every primitive)

    try:  # SciPy's functions are counted when the scipy extra is installed
        import chainrule.scipy  # noqa: F401
    except ImportError:
        pass

    raise SystemExit(main(sys.argv[1:]))
