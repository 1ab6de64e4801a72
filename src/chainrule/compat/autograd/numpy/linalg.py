"""autograd's ``numpy.linalg``: ``numpy.linalg`` with chainrule's derivatives."""

import numpy.linalg as _linalg

from ._namespace import differentiable_names

globals().update(differentiable_names(_linalg))
