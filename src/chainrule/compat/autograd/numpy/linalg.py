"""autograd's ``numpy.linalg``: ``chainrule.numpy.linalg``."""

import chainrule.numpy.linalg as _linalg

globals().update({name: getattr(_linalg, name) for name in dir(_linalg)
                  if not name.startswith("_")})
