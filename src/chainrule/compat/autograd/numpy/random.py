"""autograd's ``numpy.random``: NumPy's own (random numbers have no derivative)."""

import numpy.random as _random

globals().update({name: getattr(_random, name) for name in dir(_random)
                  if not name.startswith("_")})
