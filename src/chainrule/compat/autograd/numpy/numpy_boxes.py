"""autograd's ``ArrayBox``: the type of traced arrays, for ``isinstance`` checks
(chainrule's traced values are ``chainrule.Tensor``, a subclass of this type)."""

from chainrule._core.graph import Box as ArrayBox

__all__ = ["ArrayBox"]
