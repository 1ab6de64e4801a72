"""autograd's ``scipy.special``: chainrule's differentiable ``scipy.special``."""

from chainrule.scipy import special as _special

globals().update({name: getattr(_special, name) for name in _special.__all__})
