"""SciPy with derivatives: ``chainrule.scipy.special``, ``.stats``, ``.linalg``, ``.signal``,
``.integrate``.

SciPy is an optional dependency, imported only here (``import chainrule`` never
imports it). Importing this package registers the differentiable
``scipy.special`` functions, so from then on SciPy's own ufuncs work on Tensors
too:

>>> import scipy.special
>>> import chainrule as cr
>>> import chainrule.scipy  # registers scipy.special's ufuncs with Tensor
>>> x = cr.tensor(3.0, requires_grad=True)
>>> scipy.special.gammaln(x).backward()   # x.grad is digamma(3)
"""

try:
    import scipy  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        'chainrule.scipy needs SciPy, which is not installed; install it with '
        'pip install "chainrule[scipy]"') from error

from . import integrate, linalg, signal, special, stats  # noqa: E402

__all__ = ["integrate", "linalg", "signal", "special", "stats"]
