"""autograd's ``scipy.linalg``: ``scipy.linalg`` with chainrule's derivatives."""

import scipy.linalg as _linalg

from chainrule.scipy import linalg as _differentiable

from ..numpy._namespace import differentiable_names

globals().update(differentiable_names(_linalg))
globals().update({name: getattr(_differentiable, name) for name in dir(_differentiable)
                  if not name.startswith("_") and callable(getattr(_differentiable, name))})
