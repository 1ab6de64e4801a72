"""autograd's ``scipy``: ``special``, ``stats``, ``linalg``, ``signal``, ``integrate``
(SciPy is needed, as for ``chainrule.scipy``)."""

from . import integrate, linalg, signal, special, stats

__all__ = ["integrate", "linalg", "signal", "special", "stats"]
