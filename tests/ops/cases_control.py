"""Conformance cases for the primitives that steer differentiation."""

import numpy as np

import chainrule as cr

from .case import Case


def _block(x, w):
    return np.tanh(x * w) * x


CASES = [
    Case("checkpoint", lambda x, w: cr.checkpoint(_block, x, w), ((3, 2), (2,))),
]
