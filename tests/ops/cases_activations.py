"""Conformance cases for the fused neural-network primitives (chainrule.ops.activations)."""

import numpy as np

from chainrule.ops import activations as act

from .case import Arg, Case

_LABELS = Arg(value=np.array([0, 3, 1, 2, 3, 0]))
_LABELS_WITH_IGNORED = Arg(value=np.array([0, -100, 1, 2, -100, 3]))
_CLASS_WEIGHT = np.array([0.5, 2.0, 1.0, 1.5])


def _softmax(axis):
    return lambda x: act.softmax(x, axis=axis)


def _log_softmax(axis):
    return lambda x: act.log_softmax(x, axis=axis)


def _cross_entropy(reduction="mean", weight=None, label_smoothing=0.0, ignore_index=-100):
    return lambda logits, target: act.cross_entropy_indices(
        logits, target, weight=weight, label_smoothing=label_smoothing,
        ignore_index=ignore_index, reduction=reduction)


_SOFTMAX_LAYOUTS = [
    ((5,), -1, "vector"),
    ((3, 4), -1, "last"),
    ((3, 4), 0, "axis0"),
    ((2, 3, 4), 1, "middle"),
    ((2, 3, 4), (0, 2), "tuple"),
    ((3, 4), None, "all"),
    (Arg((3, 5), -20.0, 20.0), -1, "large-logits"),
]

CASES = [
    Case("relu", act.relu, ((),), name="scalar", linear=True),
    Case("relu", act.relu, ((3, 4),), name="matrix", linear=True),
    Case("relu", act.relu, ((2, 3, 4),), name="3d", linear=True),
    Case("relu", lambda x: act.relu(np.sin(3.0 * x)), ((3, 4),), name="nonlinear-input"),
    Case("sigmoid", act.sigmoid, ((),), name="scalar"),
    Case("sigmoid", act.sigmoid, ((3, 4),), name="matrix"),
    Case("sigmoid", act.sigmoid, (Arg((2, 3, 4), -12.0, 12.0),), name="wide"),
    Case("sigmoid", lambda x: act.sigmoid(x * x), ((5,),), name="nonlinear-input"),
    Case("normal_cdf", act.normal_cdf, ((),), name="scalar"),
    Case("normal_cdf", act.normal_cdf, ((3, 4),), name="matrix"),
    Case("normal_cdf", act.normal_cdf, (Arg((2, 3, 4), -6.0, 6.0),), name="wide"),
    Case("normal_cdf", lambda x: x * act.normal_cdf(x), ((3, 4),), name="gelu"),
    *[Case("softmax", _softmax(axis), (shape,), name=name)
      for shape, axis, name in _SOFTMAX_LAYOUTS],
    *[Case("log_softmax", _log_softmax(axis), (shape,), name=name)
      for shape, axis, name in _SOFTMAX_LAYOUTS],
    Case("linear", act.linear, ((4, 3), (2, 3), (2,)), name="matrix"),
    Case("linear", act.linear, ((4, 3), (2, 3)), name="no-bias"),
    Case("linear", act.linear, ((3,), (2, 3), (2,)), name="vector"),
    Case("linear", act.linear, ((2, 4, 3), (5, 3), (5,)), name="batched"),
    Case("linear", act.linear, ((4, 3), (2, 3), (1, 2)), name="bias-broadcast-rows"),
    Case("linear", act.linear, ((4, 3), (2, 3), ()), name="scalar-bias"),
    Case("linear", lambda x, w, b: act.linear(np.tanh(x), w * w, b),
         ((4, 3), (2, 3), (2,)), name="nonlinear-inputs"),
    Case("cross_entropy_indices", _cross_entropy(), ((6, 4), _LABELS), name="mean"),
    Case("cross_entropy_indices", _cross_entropy("sum"), ((6, 4), _LABELS), name="sum"),
    Case("cross_entropy_indices", _cross_entropy("none"), ((6, 4), _LABELS), name="none"),
    Case("cross_entropy_indices", _cross_entropy(weight=_CLASS_WEIGHT),
         ((6, 4), _LABELS), name="class-weights"),
    Case("cross_entropy_indices", _cross_entropy(label_smoothing=0.2),
         ((6, 4), _LABELS), name="label-smoothing"),
    Case("cross_entropy_indices", _cross_entropy(), ((6, 4), _LABELS_WITH_IGNORED),
         name="ignored-targets"),
    Case("cross_entropy_indices",
         _cross_entropy("none", weight=_CLASS_WEIGHT, label_smoothing=0.1),
         ((6, 4), _LABELS_WITH_IGNORED), name="everything-per-sample"),
    Case("cross_entropy_indices",
         _cross_entropy("sum", weight=_CLASS_WEIGHT, label_smoothing=0.3, ignore_index=3),
         ((6, 4), _LABELS), name="custom-ignore-index"),
    Case("cross_entropy_indices",
         lambda x, target: _cross_entropy()(np.sin(x) * 3.0, target),
         ((6, 4), _LABELS), name="nonlinear-logits"),
]
