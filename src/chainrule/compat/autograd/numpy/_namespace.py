"""Copy a NumPy module's names, each replaced by chainrule's differentiable version."""

from __future__ import annotations

from types import ModuleType

from chainrule.ops.registry import FUNCTIONS


def differentiable_names(module: ModuleType) -> dict:
    """Every public name of ``module``, with chainrule's version where it has one."""
    names = {}
    for name in dir(module):
        if name.startswith("_"):
            continue
        obj = getattr(module, name)
        try:
            names[name] = FUNCTIONS.get(obj, obj)
        except TypeError:  # unhashable
            names[name] = obj
    return names
