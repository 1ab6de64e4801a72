"""Testing derivatives: finite-difference checks and a random-program fuzzer.

``check_grads`` and the finite-difference helpers live in ``gradcheck``; the
fuzzer, which needs Hypothesis (a test-only dependency), in ``fuzz`` and is
imported only when asked for: ``python -m chainrule.testing.fuzz --programs 1000``.
"""

from .gradcheck import GradientCheckError, check_grads, numerical_gradient, numerical_jvp

__all__ = ["GradientCheckError", "check_grads", "numerical_gradient", "numerical_jvp"]
