"""The built-in primitives, by topic. Importing this package registers them all."""

from . import control, elementwise, indexing, products, reductions, shape  # noqa: F401
