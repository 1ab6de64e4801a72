"""The built-in primitives, by topic. Importing this package registers them all."""

from . import (  # noqa: F401
    activations,
    complex,
    control,
    convolution,
    elementwise,
    fft,
    indexing,
    linalg,
    numeric,
    products,
    reductions,
    shape,
)
