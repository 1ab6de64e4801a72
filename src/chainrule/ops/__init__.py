"""The built-in primitives, by topic. Importing this package registers them all."""

from . import elementwise, indexing  # noqa: F401
