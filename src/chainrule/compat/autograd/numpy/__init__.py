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


def make_diagonal(D, offset=0, axis1=0, axis2=1):
    """autograd's inverse of ``diagonal``: matrices with ``D``'s last axis on their
    diagonal (only ``offset=0, axis1=-1, axis2=-2``, as in autograd)."""
    if not (offset == 0 and axis1 == -1 and axis2 == -2):
        raise NotImplementedError(
            "make_diagonal supports only offset=0, axis1=-1, axis2=-2; use np.diag or "
            "np.einsum for other layouts")
    size = _onp.shape(D)[-1]
    return _cnp.expand_dims(D, -1) * _onp.eye(size)
