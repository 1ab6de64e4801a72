"""Every ``>>>`` example in a public docstring runs, and shows what it really prints.

The API reference renders these examples as code, so each one is a doctest: it runs
in a namespace holding ``np`` (NumPy), ``cr`` (chainrule) and the globals of the
module that defines the documented name, and its output must match (``...`` stands
for any text, and runs of whitespace compare equal).
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import re
import sys
from pathlib import Path

import numpy
import pytest

import chainrule

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import public_api  # noqa: E402

OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
# chainrule.optimize, chainrule.mle and chainrule.scipy need SciPy, an optional extra.
NEEDS_SCIPY = re.compile(r"\bcr\.(optimize|mle)\b|\bscipy\b")


def _own_doc(obj: object) -> str | None:
    """``obj``'s docstring, or None where it only repeats its type's (an instance)."""
    doc = getattr(obj, "__doc__", None)
    if not inspect.isclass(obj) and doc == type(obj).__doc__:
        return None
    return doc if isinstance(doc, str) else None


def _borrowed_from_scipy(module_name: str, name: str, obj: object) -> bool:
    """SciPy's ufuncs made primitives keep SciPy's docstring (and SciPy's examples);
    the reference shows only its first sentence."""
    if module_name != "chainrule.scipy.special":
        return False
    scipy_special = importlib.import_module("scipy.special")
    return obj.__doc__ == getattr(getattr(scipy_special, name, None), "__doc__", None)


def _defined_in_chainrule(obj: object) -> bool:
    return (getattr(obj, "__module__", None) or "").startswith("chainrule")


def _methods(cls: type):
    """The public methods and properties of ``cls``, and its documented ``__init__``."""
    for name, attr in inspect.getmembers(cls):
        if name.startswith("_") and name != "__init__":
            continue
        function = attr.fget if isinstance(attr, property) else attr
        function = getattr(function, "__func__", function)
        if callable(function) and _defined_in_chainrule(function):
            yield name, function


def _documented(module_name: str):
    """``(qualified name, object)`` for the module itself (its reference page shows its
    docstring), each of its public names, and each public method of its public classes
    (an instance stands for its class)."""
    module = importlib.import_module(module_name)
    yield module_name, module
    for name in public_api.public_names(module_name):
        obj = getattr(module, name)
        if _borrowed_from_scipy(module_name, name, obj):
            continue
        if _own_doc(obj) is None and _defined_in_chainrule(type(obj)):
            obj = type(obj)
        qualified = f"{module_name}.{name}"
        yield qualified, obj
        if inspect.isclass(obj):
            for method_name, method in _methods(obj):
                yield f"{qualified}.{method_name}", method


def _examples() -> list:
    """One pytest parameter per docstring with examples, each docstring once."""
    seen: set[int] = set()
    params = []
    for module_name in public_api.REFERENCE_MODULES:
        try:
            documented = list(_documented(module_name))
        except ModuleNotFoundError as error:  # an optional extra (SciPy) is not installed
            if not (error.name or "").startswith("scipy"):
                raise
            continue
        for qualified, obj in documented:
            doc = _own_doc(obj)
            if not doc or ">>>" not in doc or id(obj) in seen:
                continue
            seen.add(id(obj))
            params.append(pytest.param(qualified, obj, doc, id=qualified))
    return params


EXAMPLES = _examples()


def _namespace(obj: object) -> dict:
    module = obj if inspect.ismodule(obj) else sys.modules[obj.__module__]
    return {**vars(module), "np": numpy, "cr": chainrule}


def _location(obj: object, doc: str) -> tuple[str | None, int | None]:
    """The file that defines ``obj`` and the line before its docstring (0-based), so a
    failure names the line of the example; None where there is no source."""
    try:
        lines, start = inspect.getsourcelines(inspect.unwrap(obj))
        path = inspect.getsourcefile(inspect.unwrap(obj))
    except (TypeError, OSError):  # no source, like a primitive made from a ufunc
        return None, None
    first = doc.strip().splitlines()[0]
    offset = next((i for i, line in enumerate(lines) if first in line), 0)
    return path, max(start, 1) - 1 + offset


@pytest.mark.parametrize(("qualified", "obj", "doc"), EXAMPLES)
def test_docstring_example_runs_and_shows_its_output(qualified, obj, doc):
    if NEEDS_SCIPY.search(f"{qualified}\n{doc}"):
        pytest.importorskip("scipy")
    test = doctest.DocTestParser().get_doctest(doc, _namespace(obj), qualified,
                                               *_location(obj, doc))
    report: list[str] = []
    result = doctest.DocTestRunner(optionflags=OPTIONS).run(test, out=report.append)
    assert result.failed == 0, "".join(report)


def test_the_examples_are_found():
    names = {param.id for param in EXAMPLES}
    assert {"chainrule.grad", "chainrule.Tensor", "chainrule.Primitive.defvjp",
            "chainrule.nn.Module"} <= names
