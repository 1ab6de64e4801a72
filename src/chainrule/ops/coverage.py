"""What chainrule differentiates, read from the registry: ``python -m chainrule.ops.coverage``.

Prints the number of primitives, and with ``--write PATH`` writes the Markdown
page ``docs/coverage.md`` (a test checks that the committed page is current).
"""

from __future__ import annotations

import sys

import numpy as np

from . import registry

# NumPy functions deliberately left without derivatives, and why.
NOT_COVERED = {
    "numpy.linalg.eig, eigvals": "general (non-symmetric) matrices have complex results",
    "numpy.linalg.cond": "infinite at singular matrices, where its gradient is undefined",
    "numpy.pad modes linear_ramp, maximum, mean, median, minimum":
        "their values are not copies of input entries; constant, edge, reflect, symmetric "
        "and wrap are differentiable",
}


def _name(obj) -> str:
    module = getattr(obj, "__module__", None) or "numpy"
    if module.startswith("numpy._core") or module == "numpy":
        module = "numpy"
    return f"{module}.{getattr(obj, '__name__', repr(obj))}"


def _section(title: str, names: list[str]) -> list[str]:
    return [f"## {title}", "", ", ".join(f"`{name}`" for name in names), ""]


def _batches(prim) -> bool:
    return bool(prim.batch_safe or (prim.batched_jvps and prim.batched_vjps))


def coverage_markdown() -> str:
    """The coverage page, generated from the registry."""
    prims = sorted(registry.PRIMITIVES)
    ufuncs = sorted(f"numpy.{u.__name__}" for u in registry.UFUNCS
                    if getattr(np, u.__name__, None) is u)
    functions = sorted({_name(f) for f in registry.FUNCTIONS})
    plain = sorted({_name(f) for f in registry.NONDIFFERENTIABLE})
    lines = [
        "# What chainrule differentiates",
        "",
        "Generated from the registry by `python -m chainrule.ops.coverage --write "
        "docs/coverage.md`; do not edit by hand.",
        "",
        f"- {len(prims)} primitives, each with reverse and forward rules checked by the "
        "conformance table (tests/ops).",
        f"- {len(ufuncs)} NumPy ufuncs and {len(functions)} NumPy functions route to them "
        "when called on Tensors.",
        f"- {len(plain)} NumPy functions take Tensors and return plain results "
        "(no derivative exists: shapes, comparisons, arg-sorts ...).",
        "",
        *_section("Primitives", prims),
        *_section("NumPy ufuncs", ufuncs),
        *_section("NumPy functions", functions),
        *_section("Passed through without a derivative", plain),
        "## Batched tangents and cotangents",
        "",
        "`jacfwd`, `jacobian` and `hessian` push a whole basis through one pass. These "
        "primitives take the batch in one call, in both modes (their rules broadcast "
        "elementwise, or they have batched rules); every other primitive loops over it "
        "inside that pass:",
        "",
        ", ".join(f"`{p}`" for p in prims if _batches(registry.PRIMITIVES[p])),
        "",
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
