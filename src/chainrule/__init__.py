"""chainrule: automatic differentiation for NumPy code."""

from ._core.primitive import Primitive, primitive
from ._core.state import enable_grad, is_grad_enabled, no_grad
from .tensor import Tensor, tensor

__all__ = ["Primitive", "Tensor", "enable_grad", "is_grad_enabled", "no_grad",
           "primitive", "tensor"]
