"""Reductions and selection: sums, means, products, extrema, moments, cumulative
sums and products, ``logsumexp``, ``where``, ``clip`` and ``sort``.

A reduction's gradient is the output cotangent spread back over the reduced
axes (``expand_reduced``, the adjoint of ``sum``) times a local factor. Every
helper a rule needs is itself a primitive with a rule, so the same rules run on
Tensors and give derivatives of any order. Products never divide by the input:
their gradients are built from exclusive cumulative products, so zeros in the
input are exact at every order.
"""


from . import numpy_api  # noqa: F401  (registers NumPy's names)
from .axes import axes_from_end, batch_by_axes_from_end, batch_by_own_rules
from .scans import cumprod, cumsum, linear_scan, prod, reverse_cumsum, shift
from .selection import clip, max_, min_, permute_along, sort, where
from .sums import expand_reduced, logsumexp, mean, spread_reduced, std, sum_, var

__all__ = [
    "axes_from_end", "batch_by_axes_from_end", "batch_by_own_rules", "clip", "cumprod",
    "cumsum", "expand_reduced", "linear_scan", "logsumexp", "max_", "mean", "min_",
    "permute_along", "prod", "reverse_cumsum", "shift", "sort", "spread_reduced", "std",
    "sum_", "var", "where",
]
