"""``import chainrule.compat.autograd.numpy as np``: autograd's NumPy namespace.

It is ``chainrule.numpy`` (every NumPy name; the differentiable ones work on traced
values), with autograd's submodules ``linalg``, ``fft`` and ``random``.
"""

import numpy as _onp

import chainrule.numpy as _cnp

globals().update({name: getattr(_cnp, name) for name in dir(_cnp) if not name.startswith("_")})

from . import fft as fft  # noqa: E402  (after the NumPy modules they replace)
from . import linalg as linalg  # noqa: E402
from . import random as random  # noqa: E402

__version__ = _onp.__version__
