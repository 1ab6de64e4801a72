"""autograd's ``misc``: ``flatten`` and the optimizers in ``misc.optimizers``."""

from .flatten import flatten

__all__ = ["flatten"]
