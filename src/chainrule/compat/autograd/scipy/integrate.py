"""autograd's ``scipy.integrate``: ``odeint``, chainrule's differentiable one
(derivatives in ``y0``, ``t`` and the arrays in ``args``, by the adjoint method)."""

from chainrule.scipy.integrate import odeint

__all__ = ["odeint"]
