"""chainrule's public names, module by module: what the API reference must document.

A module's public names are its ``__all__``; a module without one publishes the names
of the functions and classes it defines that do not start with an underscore.
Submodules listed in ``__all__`` get their own reference pages, so they are not
counted as names of their parent.
"""

from __future__ import annotations

import importlib
import inspect

# Each module with a reference page, in the order of the site's navigation.
# chainrule.numpy is left out: it mirrors NumPy, and its page is a summary.
REFERENCE_MODULES = (
    "chainrule",
    "chainrule.nn",
    "chainrule.nn.functional",
    "chainrule.nn.init",
    "chainrule.optim",
    "chainrule.training",
    "chainrule.data",
    "chainrule.optimize",
    "chainrule.mle",
    "chainrule.scale",
    "chainrule.scipy.special",
    "chainrule.scipy.stats",
    "chainrule.scipy.linalg",
    "chainrule.scipy.signal",
    "chainrule.viz",
    "chainrule.teach",
    "chainrule.testing",
)


def public_names(module_name: str) -> list[str]:
    """The public names of ``module_name`` that its reference page must document."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [name for name, obj in vars(module).items()
                 if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
                 and obj.__module__ == module_name]
    return sorted(name for name in names
                  if not inspect.ismodule(getattr(module, name, None)))


def reference_entries() -> dict[str, list[tuple[str, str]]]:
    """Every name to document, as its public path and the path where it is defined:
    ``{"chainrule": [("chainrule.tensor", "chainrule.tensor.tensor"), ...], ...}``.

    Either path may be the anchor of its entry (a function that shares its name with
    its module, like ``chainrule.tensor``, is documented where it is defined).
    """
    entries = {}
    for module_name in REFERENCE_MODULES:
        module = importlib.import_module(module_name)
        entries[module_name] = [(f"{module_name}.{name}", _defined_at(getattr(module, name)))
                                for name in public_names(module_name)]
    return entries


def _defined_at(obj: object) -> str:
    qualname = getattr(obj, "__qualname__", None)
    module = getattr(obj, "__module__", None)
    return f"{module}.{qualname}" if module and qualname else ""
