"""Forward mode: tangents carried alongside values.

On a forward level a traced value's ``_node`` is a ``TangentNode`` holding its
tangent. A primitive call on that level records nothing: it evaluates each
traced input's JVP rule, ``rule(tangent, ans, *args, **kwargs)``, and sums the
results into the output's tangent.

A tangent may be *batched*: a leading axis holds many tangents at once, so
``jacfwd`` pushes a whole basis through one evaluation of the function. The
primitive's batching rule (``prim.batching``, see batching.py) says how such a
batch goes through its JVP rules.

Tangents are computed when first read, not when the value is: a tangent nobody
reads costs nothing. That matters for ``hessian`` and ``hvp`` (forward over
reverse), where the function's own value and its intermediate sums have
tangents that no gradient rule reads. To keep memory bounded in long
computations (whose pending rules hold their inputs), a chain of unread
tangents is computed once it grows ``PENDING_DEPTH`` operations deep.
"""

from __future__ import annotations

from .rules import MissingRuleError, rule_at
from .state import inplace_epoch, state

PENDING_DEPTH = 64


class TangentNode:
    """The tangent of a value on a forward-mode level (``batched``: leading batch axis).

    ``tangent`` is computed on first read from the rule call recorded in ``pending``.
    """

    __slots__ = ("level", "_tangent", "batched", "pending", "depth")

    def __init__(self, level: int, tangent, batched: bool = False):
        self.level = level
        self._tangent = tangent
        self.batched = batched
        self.pending = None
        self.depth = 0

    @property
    def tangent(self):
        if self.pending is not None:
            _settle(self)
        return self._tangent

    parents = ()
    hooks = None
    name = "tangent"


class _ArrayFunctions:
    """NumPy's broadcast_to, reshape and stack, installed by the ops layer."""

    broadcast_to = reshape = stack = None


array_functions = _ArrayFunctions()


def set_array_functions(broadcast_to, reshape, stack) -> None:
    """Install the array functions forward mode needs (the engine knows no NumPy)."""
    array_functions.broadcast_to = broadcast_to
    array_functions.reshape = reshape
    array_functions.stack = stack


def push_tangents(prim, ans, vals, kwargs, parents) -> TangentNode:
    """The output's tangent node: its tangent is computed from the inputs' when read."""
    level = depth = 0
    batched = False
    for node in parents:
        if node is not None:
            level = node.level
            batched = batched or node.batched
            depth = max(depth, node.depth)
    out = TangentNode(level, None, batched)
    out.pending = (prim, ans, vals, kwargs, parents, state.record_from, inplace_epoch[0])
    out.depth = depth + 1
    if out.depth > PENDING_DEPTH:
        _settle(out)
    return out


def _settle(node: TangentNode) -> None:
    """Compute a pending tangent, its pending inputs' first (at most PENDING_DEPTH deep)."""
    prim, ans, vals, kwargs, parents, record_from, epoch = node.pending
    if epoch != inplace_epoch[0]:  # the rule is about to read arrays saved back then
        from .graph import check_saved_values  # graph builds on this module

        check_saved_values(prim.name, vals, ans, epoch)
    for parent in parents:
        if parent is not None and parent.pending is not None:
            _settle(parent)
    # Rules run as they would have when the value was computed (no_grad included).
    outer, state.record_from = state.record_from, record_from
    try:
        node._tangent = _tangent_of(prim, ans, vals, kwargs, parents, node.batched)
    finally:
        state.record_from = outer
    node.pending = None
    node.depth = 0


def _tangent_of(prim, ans, vals, kwargs, parents, batched: bool):
    """The output tangent of ``prim`` from its inputs' tangents."""
    if batched:
        return prim.batching.jvp(prim, ans, vals, kwargs, parents)
    tangents = [None if node is None else node.tangent for node in parents]
    return sum_jvps(prim, ans, vals, kwargs, tangents, ans.shape)


def sum_jvps(prim, ans, vals, kwargs, tangents, shape):
    """The sum of the JVP rules' results for the inputs' ``tangents`` (None where an
    input is not traced), broadcast to ``shape``."""
    jvps = prim.jvps
    total = None
    for argnum, t in enumerate(tangents):
        if t is None:
            continue
        rule = rule_at(jvps, argnum)
        if rule is None:
            raise MissingRuleError(
                f"'{prim.name}' has no forward-mode (JVP) rule for its argument {argnum}, "
                f"so it cannot be used under jvp/jacfwd/hessian; define one with "
                f"{prim.name}.defjvp(...), or use reverse mode (grad, jacobian).",
                prim.name, "fwd")
        t = rule(t, ans, *vals, **kwargs)
        total = t if total is None else total + t
    if total.shape != shape:
        total = array_functions.broadcast_to(total, shape)
    return total
