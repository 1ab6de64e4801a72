"""autograd's ``scipy.stats``: one module per distribution (``stats.norm.logpdf`` ...),
each function chainrule's differentiable one.

``import chainrule.compat.autograd.scipy.stats.norm as norm`` works as with autograd:
the modules are made here, from chainrule's distributions.
"""

import sys
import types

import scipy.stats as _scipy_stats

from chainrule.scipy import stats as _stats

__all__ = list(_stats.__all__)

# Sampling has no derivative: what chainrule's distributions lack of these is SciPy's own.
_SCIPY_ONLY = ("rvs",)


def _distribution_module(name: str) -> types.ModuleType:
    distribution = getattr(_stats, name)
    module = types.ModuleType(f"{__name__}.{name}", f"autograd's scipy.stats.{name}.")
    for attribute in dir(distribution):
        if not attribute.startswith("_") and callable(getattr(distribution, attribute)):
            setattr(module, attribute, getattr(distribution, attribute))
    for attribute in _SCIPY_ONLY:
        if not hasattr(module, attribute):
            setattr(module, attribute, getattr(getattr(_scipy_stats, name), attribute))
    sys.modules[module.__name__] = module
    return module


globals().update({name: _distribution_module(name) for name in __all__})
