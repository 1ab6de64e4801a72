"""The command line, ``python -m chainrule [demo | coverage [NAME] | check FILE:FUNC]``.

``coverage NAME`` says whether chainrule differentiates a NumPy or SciPy function
(exit 0 when it does, 1 when not); ``check FILE:FUNC`` runs ``check_grads`` on a
function at random inputs (exit 0 when every derivative agrees with finite
differences, 1 when one does not).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import chainrule
from chainrule._core.primitive import strip
from chainrule.testing import GradientCheckError


class UsageError(Exception):
    """A command line that names something that is not there (exit code 2)."""


_SCIPY_HINT = ("it is in chainrule.scipy, an optional extra that needs SciPy, which is not "
               "installed: pip install 'chainrule[scipy]'")


def main(argv: Sequence[str] | None = None, demo: Callable[[], int] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``) and return the exit code.

    ``demo`` runs the tour (no subcommand, or ``demo``); by default the one in
    ``chainrule.__main__``.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "coverage":
        return coverage_page() if args.name is None else coverage_of(args.name)
    if args.command == "check":
        try:
            return check(args.target, args.shape or [()], args.seed, args.order, args.modes,
                         args.uniform)
        except UsageError as error:
            parser.error(str(error))
    if demo is None:
        from chainrule.__main__ import main as demo
    return demo()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: the demo by default, and the subcommands."""
    parser = argparse.ArgumentParser(
        prog="python -m chainrule",
        description="chainrule: automatic differentiation for NumPy code. With no "
                    "subcommand, runs the demo.")
    parser.add_argument("--version", action="version",
                        version=f"chainrule {chainrule.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("demo", help="a short tour that checks itself (the default)")
    coverage = commands.add_parser(
        "coverage", help="print what chainrule differentiates, or look up one function",
        description="Without NAME, print the coverage page. With NAME (numpy.linalg.eig, "
                    "numpy.sin, scipy.special.gammaln, or sin for numpy.sin), say whether "
                    "chainrule differentiates it: exit 0 if it does, 1 if not.")
    coverage.add_argument("name", nargs="?", metavar="NAME")
    check_parser = commands.add_parser(
        "check", help="check a function's derivatives against finite differences",
        description="Import FUNC from the Python file FILE, draw random float64 inputs "
                    "and compare its derivatives in every mode and order with finite "
                    "differences (chainrule.check_grads): exit 0 if all agree, 1 if not.")
    check_parser.add_argument("target", metavar="FILE:FUNC", type=_file_and_function)
    check_parser.add_argument(
        "--shape", action="append", type=_shape, metavar="SHAPE",
        help="the shape of the next argument: 3, 2x2, or 'scalar' (repeat once per "
             "argument; default: one scalar argument)")
    check_parser.add_argument("--seed", type=int, default=0,
                              help="seed of the random inputs and directions (default 0)")
    check_parser.add_argument("--order", type=_positive_int, default=2,
                              help="highest order of derivatives checked (default 2)")
    check_parser.add_argument("--modes", nargs="+", choices=("fwd", "rev"),
                              default=["fwd", "rev"],
                              help="modes checked (default: fwd rev)")
    check_parser.add_argument(
        "--uniform", nargs=2, type=float, metavar=("LOW", "HIGH"),
        help="draw inputs uniformly in [LOW, HIGH) instead of from a standard normal "
             "(for functions defined on part of the line, like log)")
    return parser


# --- coverage -------------------------------------------------------------------------

def coverage_page() -> int:
    """Print the coverage page (as ``python -m chainrule.coverage --print`` does)."""
    from chainrule import coverage

    _import_scipy_rules()
    print(coverage.coverage_markdown(), end="")
    return 0


def coverage_of(name: str) -> int:
    """Print whether chainrule differentiates the function ``name``; 0 if so, 1 if not."""
    qualified = name if name.split(".")[0] in ("numpy", "scipy") else f"numpy.{name}"
    verdict, differentiable = _verdict(qualified)
    print(verdict)
    for caveat, reason in _caveats(qualified):
        print(f"  but {caveat}: {reason}")
    return 0 if differentiable else 1


def _verdict(name: str) -> tuple[str, bool]:
    """What to say about ``name`` (qualified), and whether it is differentiable."""
    from chainrule import coverage

    if name.startswith("scipy.") and not _import_scipy_rules():
        return f"{name}: cannot tell here, {_SCIPY_HINT}", False
    if name in coverage.NOT_COVERED:
        return f"{name} is not covered: {coverage.NOT_COVERED[name]}", False
    if name in coverage.VERSIONED:
        if not coverage.routed_on_this_numpy(name):
            return (f"{name} is differentiated only on other NumPy versions than this "
                    f"one ({np.__version__})"), False
    target = _lookup(name)
    if target is _MISSING:
        return f"{name}: no such function (check the spelling and module)", False
    if not callable(target):
        return f"{name} is not a function, so there is nothing to differentiate", False
    return _verdict_on_function(name, target)


def _verdict_on_function(name: str, target: Callable) -> tuple[str, bool]:
    """What ``target``, the function called ``name``, does on Tensors."""
    from chainrule.ops import registry

    if _is_ufunc_method(target):
        ufunc, method = target.__self__, target.__name__
        if _ufunc_has_method_rule(ufunc, method):
            return f"{name} is differentiable: a rule for ufunc.{method} of {ufunc.__name__}", True
    else:
        found = _routed(target, registry)
        if found is not None:
            return f"{name} is differentiable: on Tensors it routes to {found}", True
        if _hashable_in(target, registry.NONDIFFERENTIABLE):
            return (f"{name} is passed through without a derivative: it takes Tensors and "
                    "returns a plain result (nothing to differentiate)"), False
    ours = _chainrule_version(name)
    if ours is not None:
        return (f"{name} is differentiable through chainrule.{name}: call that one "
                f"(calling {name} itself on a Tensor does not record it)"), True
    return (f"{name} is not differentiated by chainrule: calling it on a Tensor raises "
            "an error. Define it with @chainrule.primitive and .defvjp(...), or call it on "
            "t.detach() if no gradient is needed"), False


_MISSING = object()


def _lookup(name: str) -> Any:
    """The object called ``name`` (``numpy.linalg.eig``), importing modules as needed."""
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for part in parts[split:]:
            found = getattr(found, part, _MISSING)
        return found
    return _MISSING


def _routed(target: Any, registry: Any) -> str | None:
    """What ``target`` (a NumPy or SciPy callable) reaches on Tensors, described."""
    if _hashable_in(target, registry.UFUNCS):
        return f"the primitive {registry.UFUNCS[target].name!r}"
    if _hashable_in(target, registry.FUNCTIONS):
        return f"the wrapper {_describe(registry.FUNCTIONS[target])}"
    return None


def _chainrule_version(name: str) -> Any:
    """chainrule's own function for ``name``: ``chainrule.numpy.array`` for ``numpy.array``,
    ``chainrule.scipy.stats.norm.logpdf`` for ``scipy.stats.norm.logpdf``."""
    ours = _lookup(f"chainrule.{name}")
    if ours is _MISSING or ours is _lookup(name):
        return None
    return ours


def _caveats(name: str) -> list[tuple[str, str]]:
    """Entries of NOT_COVERED about some uses of ``name`` (the modes of numpy.pad)."""
    from chainrule import coverage

    return [(what, why) for what, why in coverage.NOT_COVERED.items()
            if what.startswith(name + " ")]


def _describe(obj: Any) -> str:
    if isinstance(obj, chainrule.Primitive):
        return f"the primitive {obj.name!r}"
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", repr(obj))
    if "<locals>" in qualname:  # made by a factory: its module is what a reader can find
        return f"in {module}"
    return f"{module}.{qualname}" if module else qualname


def _hashable_in(obj: Any, table: Any) -> bool:
    try:
        return obj in table
    except TypeError:  # unhashable
        return False


def _is_ufunc_method(obj: Any) -> bool:
    return isinstance(getattr(obj, "__self__", None), np.ufunc)


def _ufunc_has_method_rule(ufunc: np.ufunc, method: str) -> bool:
    from chainrule.ops import ufunc_methods

    return ufunc_methods.has_rule(ufunc, method)


def _import_scipy_rules() -> bool:
    """Import chainrule.scipy, which registers SciPy's rules; False without SciPy."""
    try:
        importlib.import_module("chainrule.scipy")
    except ImportError:
        return False
    return True


# --- check ----------------------------------------------------------------------------

def check(target: tuple[Path, str], shapes: list[tuple[int, ...]], seed: int, order: int,
          modes: Sequence[str], uniform: Sequence[float] | None) -> int:
    """Run ``check_grads`` on ``FUNC`` from ``FILE`` at random inputs and print a report."""
    path, func_name = target
    fun = _load_function(path, func_name)
    rng = np.random.default_rng(seed)
    inputs = [rng.uniform(*uniform, size=shape) if uniform else rng.standard_normal(shape)
              for shape in shapes]
    drawn = ", ".join(f"argument {n} {_shape_text(shape)}" for n, shape in enumerate(shapes))
    what = (f"{func_name} from {path} at random inputs ({drawn}; seed {seed}), "
            f"modes {' and '.join(modes)}, up to order {order}")
    print(f"checking {what}")
    try:
        value = np.asarray(strip(fun(*inputs)))
        if not np.all(np.isfinite(value)):
            print(f"FAILED: {func_name} is not finite at these inputs; draw them from its "
                  "domain with --uniform LOW HIGH")
            return 1
        chainrule.check_grads(fun, *inputs, modes=modes, order=order, seed=seed)
    except GradientCheckError as disagreement:
        print(f"FAILED: {disagreement}")
        for argnum, x in enumerate(inputs):
            print(f"  argument {argnum} ({_shape_text(x.shape)}):",
                  np.array2string(x, precision=6, separator=", ").replace("\n", " "))
        return 1
    except Exception as error:  # in the user's function, or a rule it needs is missing
        if not _raised_by_chainrule(error):
            traceback.print_exc()
        print(f"ERROR: the check could not run: {type(error).__name__}: {error}")
        if isinstance(error, NotImplementedError):
            print("  (--modes chooses the modes checked: fwd, rev or both)")
        return 1
    print("ok: every derivative agrees with finite differences")
    return 0


def _load_function(path: Path, func_name: str) -> Callable:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))  # so the file finds its neighbours
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    fun = getattr(module, func_name, None)
    if not callable(fun):
        raise UsageError(f"{path} defines no function {func_name!r}")
    return fun


def _raised_by_chainrule(error: Exception) -> bool:
    """Whether ``error`` was raised inside chainrule, whose messages say what to do (a
    traceback is for errors in the user's own code)."""
    frames = traceback.extract_tb(error.__traceback__)
    package = Path(chainrule.__file__).parent
    return bool(frames) and Path(frames[-1].filename).is_relative_to(package)


def _file_and_function(text: str) -> tuple[Path, str]:
    path, colon, func_name = text.rpartition(":")
    if not colon or not path or not func_name.isidentifier():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not FILE:FUNC; write the file and the function's name, "
            "like model.py:loss")
    if not Path(path).is_file():
        raise argparse.ArgumentTypeError(f"no such file: {path}")
    return Path(path), func_name


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not an order; write 1, 2, 3 ...")
    return int(text)


def _shape(text: str) -> tuple[int, ...]:
    if text in ("scalar", "()", ""):
        return ()
    try:
        shape = tuple(int(n) for n in text.lower().replace(",", "x").split("x"))
    except ValueError:
        shape = (-1,)
    if any(n < 1 for n in shape):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a shape; write sizes separated by x, like 3 or 2x2 "
            "(or 'scalar')")
    return shape


def _shape_text(shape: tuple[int, ...]) -> str:
    return f"shape {'x'.join(map(str, shape))}" if shape else "scalar"
