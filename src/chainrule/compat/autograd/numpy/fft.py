"""autograd's ``numpy.fft``: ``chainrule.numpy.fft``."""

import chainrule.numpy.fft as _fft

globals().update({name: getattr(_fft, name) for name in dir(_fft) if not name.startswith("_")})
