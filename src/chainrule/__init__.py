"""chainrule: automatic differentiation for NumPy code.

>>> import chainrule as cr
>>> cr.grad(lambda x: x ** 2 + 3 * x)(2.0)
7.0
"""

from types import ModuleType
from typing import TYPE_CHECKING

from . import numpy
from ._core.primitive import Primitive, primitive
from ._core.rules import EveryArgument
from ._core.state import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .checkpoint import checkpoint
from .custom import custom_jvp, custom_vjp
from .jit import jit
from .ops.control import stop_gradient
from .serialization import StateFileError, load, save
from .tensor import Tensor, tensor
from .testing import check_grads
from .transforms import (
    elementwise_grad,
    grad,
    gradients,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    linearize,
    value_and_grad,
    vjp,
)
from .value import Value
from .vmap import vmap

__version__ = "0.1.0"

__all__ = [
    "check_grads", "checkpoint", "custom_jvp", "custom_vjp", "data", "detect_anomaly",
    "elementwise_grad", "enable_grad", "EveryArgument", "grad", "gradients", "hessian", "hvp",
    "is_grad_enabled", "jacfwd", "jacobian", "jacrev", "jit", "jvp", "linearize", "load", "nn",
    "no_grad", "numpy", "optim", "Primitive", "primitive", "save", "StateFileError",
    "stop_gradient", "teach", "Tensor", "tensor", "training", "Value", "value_and_grad", "vjp",
    "viz", "vmap",
]


# Imported when first used: nn, optim, data and training are built on the public names
# above (so they import chainrule whole first, whatever is imported first), and scipy,
# optimize and mle need SciPy, an optional extra.
_SUBMODULES = ("data", "nn", "optim", "training", "scipy", "optimize", "mle", "viz", "teach")

# Type checkers (editors included) see the submodules as imported, and see no module
# __getattr__, so a misspelt name is an error there (`x as x` marks a re-export).
if TYPE_CHECKING:
    from . import data as data
    from . import mle as mle
    from . import nn as nn
    from . import optim as optim
    from . import optimize as optimize
    from . import scipy as scipy
    from . import teach as teach
    from . import training as training
    from . import viz as viz
else:
    def __getattr__(name: str) -> ModuleType:
        if name in _SUBMODULES:
            import importlib

            return importlib.import_module(f".{name}", __name__)
        raise AttributeError(f"module 'chainrule' has no attribute {name!r}")
