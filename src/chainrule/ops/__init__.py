"""The built-in primitives, by topic. Importing this package registers them all."""

from . import (  # noqa: F401
    activations,
    control,
    convolution,
    elementwise,
    indexing,
    linalg,
    numeric,
    products,
    reductions,
    shape,
)
