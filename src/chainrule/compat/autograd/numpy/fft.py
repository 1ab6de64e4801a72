"""autograd's ``numpy.fft``: ``numpy.fft`` with chainrule's derivatives."""

import numpy.fft as _fft

from ._namespace import differentiable_names

globals().update(differentiable_names(_fft))
