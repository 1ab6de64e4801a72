"""Testing derivatives: finite-difference checks and a random-program fuzzer.

``check_grads`` and the finite-difference helpers live in ``gradcheck``; the
fuzzer, which needs Hypothesis (a test-only dependency), in ``fuzz`` and is
imported only when asked for: ``python -m chainrule.testing.fuzz --programs 1000``.
``forbid_compute`` (in ``lazy``) checks that code on Dask arrays stays lazy.
"""

from .gradcheck import GradientCheckError, check_grads, numerical_gradient, numerical_jvp
from .lazy import ComputeForbidden, forbid_compute

__all__ = ["ComputeForbidden", "GradientCheckError", "check_grads", "forbid_compute",
           "numerical_gradient", "numerical_jvp"]
