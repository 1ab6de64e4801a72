"""autograd's ``scipy.linalg``: chainrule's differentiable ``scipy.linalg`` functions,
and SciPy's others (routed to chainrule's rules where it has them)."""

import scipy.linalg as _linalg

from chainrule.numpy._namespace import populate as _populate
from chainrule.scipy import linalg as _differentiable

globals().update({name: getattr(_differentiable, name) for name in dir(_differentiable)
                  if not name.startswith("_") and callable(getattr(_differentiable, name))})
_populate(globals(), _linalg)
