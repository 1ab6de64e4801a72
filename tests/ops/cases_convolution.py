"""Conformance cases for convolution and pooling, and the adjoint primitives their rules use.

The adjoint primitives appear on their own too, so that their derivatives (which
second-order derivatives of convolution and pooling need) are checked directly.
"""

import numpy as np

from chainrule.ops import convolution as conv_ops

from .case import Arg, Case

_FIXED = np.random.default_rng(7).uniform(-2.0, 2.0, size=(2, 3, 5, 6))
_POOL = {"kernel": (2, 3), "stride": (2, 2), "padding": ((1, 1), (1, 1)), "dilation": (1, 1)}
_POOL_OUT = (2, 3, 3, 3)  # max pooling _FIXED with _POOL
_GEOMETRY = {"stride": (2, 1), "padding": ((1, 1), (0, 0)), "dilation": (1, 2), "groups": 2}
_GEOMETRY_X = (2, 4, 5, 6)
_GEOMETRY_W = (4, 2, 2, 2)
_GEOMETRY_OUT = (2, 4, 3, 4)


def _conv(**kwargs):
    return lambda x, w: conv_ops.convolution(x, w, **kwargs)


def _max_pool(**kwargs):
    return lambda x: conv_ops.max_pooling(x, **kwargs)


def _avg_pool(**kwargs):
    return lambda x: conv_ops.average_pooling(x, **kwargs)


CASES = [
    Case("conv", _conv(), ((2, 3, 5, 5), (4, 3, 3, 3)), name="2d"),
    Case("conv", _conv(stride=2, padding=1), ((2, 3, 5, 6), (2, 3, 3, 2)),
         name="2d-stride-padding"),
    Case("conv", _conv(dilation=2, padding=(2, 1)), ((1, 2, 6, 5), (3, 2, 2, 3)),
         name="2d-dilation"),
    Case("conv", _conv(groups=2, stride=(1, 2)), ((2, 4, 4, 5), (6, 2, 2, 2)),
         name="2d-groups"),
    Case("conv", _conv(groups=3), ((2, 3, 4, 4), (3, 1, 3, 3)), name="2d-depthwise"),
    Case("conv", _conv(padding="same"), ((2, 2, 4, 5), (3, 2, 2, 3)), name="2d-same"),
    Case("conv", _conv(stride=2, padding=1, dilation=2), ((2, 3, 9), (2, 3, 3)), name="1d"),
    Case("conv", _conv(padding=1), ((1, 2, 3, 4, 3), (2, 2, 2, 2, 2)), name="3d"),
    Case("conv", lambda x, w: conv_ops.convolution(x * x, w * w, padding=1),
         ((2, 2, 4, 4), (2, 2, 3, 3)), name="nonlinear-inputs"),
    Case("conv_input_grad",
         lambda g, w: conv_ops.conv_input_grad(g, w, input_shape=_GEOMETRY_X, **_GEOMETRY),
         (_GEOMETRY_OUT, _GEOMETRY_W)),
    Case("conv_weight_grad",
         lambda x, g: conv_ops.conv_weight_grad(x, g, weight_shape=_GEOMETRY_W, **_GEOMETRY),
         (_GEOMETRY_X, _GEOMETRY_OUT)),
    Case("max_pool", _max_pool(kernel_size=2), ((2, 3, 4, 6),), name="2d", linear=True),
    Case("max_pool", _max_pool(kernel_size=3, stride=2, padding=1), ((2, 2, 5, 6),),
         name="2d-overlapping-padding", linear=True),
    Case("max_pool", _max_pool(kernel_size=(2, 3), stride=1, dilation=(2, 1)), ((1, 2, 5, 5),),
         name="2d-dilation", linear=True),
    Case("max_pool", _max_pool(kernel_size=3, stride=2), ((2, 3, 9),), name="1d", linear=True),
    Case("max_pool", lambda x: conv_ops.max_pooling(np.sinh(x), kernel_size=2), ((2, 2, 4, 4),),
         name="nonlinear-input"),
    Case("max_pool_spread",
         lambda g: conv_ops.max_pool_spread(g, _FIXED, **_POOL), (_POOL_OUT,), linear=True),
    Case("max_pool_select",
         lambda h: conv_ops.max_pool_select(h, _FIXED, **_POOL), ((2, 3, 5, 6),), linear=True),
    Case("max_pool_spread", lambda g, x: conv_ops.max_pool_spread(g, x, **_POOL),
         (_POOL_OUT, Arg(value=_FIXED)), name="fixed-positions", linear=True),
    Case("avg_pool", _avg_pool(kernel_size=2), ((2, 3, 4, 6),), name="2d", linear=True),
    Case("avg_pool", _avg_pool(kernel_size=3, stride=2, padding=1), ((2, 2, 5, 6),),
         name="2d-padding", linear=True),
    Case("avg_pool", _avg_pool(kernel_size=3, stride=2, padding=1, count_include_pad=False),
         ((2, 2, 5, 6),), name="2d-exclude-padding", linear=True),
    Case("avg_pool", _avg_pool(kernel_size=3, stride=1), ((2, 2, 7),), name="1d", linear=True),
    Case("avg_pool", lambda x: conv_ops.average_pooling(np.sin(x), kernel_size=2),
         ((2, 2, 4, 4),), name="nonlinear-input"),
    Case("avg_pool_adjoint",
         lambda g: conv_ops.avg_pool_adjoint(g, input_shape=(2, 2, 5, 6), kernel=(3, 3),
                                             stride=(2, 2), padding=((1, 1), (1, 1)),
                                             count_include_pad=False),
         ((2, 2, 3, 3),), linear=True),
]
