"""Batching rules: how a primitive's derivative rules take many tangents at once.

``jacfwd``, ``jacobian`` and ``hessian`` push a whole basis through one evaluation
of a function, so tangents (forward mode) and cotangents (the backward walk) carry
a leading batch axis. Every primitive has one batching rule, ``prim.batching``,
and the engine reads it through two methods:

- ``jvp(prim, ans, vals, kwargs, parents)``: the output's tangent batch, from the
  parents' tangent nodes (at least one of them batched);
- ``vjp(prim, g, ans, vals, kwargs, parents)``: one cotangent batch per argument
  (None for an untraced argument or one without a rule), from the output's batch
  ``g``. The caller reduces each to its argument's shape.

There are three kinds, declared with ``Primitive.defbatch``:

- ``Batching``, the default, runs the ordinary rules once per batch member;
- ``Broadcasting``: the ordinary rules broadcast over a leading axis (elementwise
  functions, stacked linear algebra), so the batch goes through them in one call;
- ``BatchedRules``: separate rules that take the batch, per argument (or one
  joint VJP rule); a rule may decline a call by returning None, and that part of
  the batch then goes through the loop.
"""

from __future__ import annotations

from .forward import add_tangents, array_functions, sum_jvps
from .rules import JointVjp, rule_at


class Batching:
    """The default batching rule: the ordinary rules, once per batch member."""

    __slots__ = ()

    whole_batch = False  # True when both modes take the batch in one call

    def jvp(self, prim, ans, vals, kwargs, parents):
        """The batched output tangent, one member at a time."""
        size = _batch_size(parents)
        members = [sum_jvps(prim, ans, vals, kwargs, [_member(node, index) for node in parents],
                            ans.shape)
                   for index in range(size)]
        return array_functions.stack(members)

    def vjp(self, prim, g, ans, vals, kwargs, parents) -> list:
        """Each argument's batched cotangent, one member at a time."""
        if type(prim.vjps) is JointVjp:
            per_member = [prim.vjps.rule(one, ans, *vals, **kwargs) for one in g]
            return [None if parent is None or per_member[0][argnum] is None
                    else array_functions.stack([each[argnum] for each in per_member])
                    for argnum, parent in enumerate(parents)]
        return [None if parent is None else _loop_argument(prim, argnum, g, ans, vals, kwargs)
                for argnum, parent in enumerate(parents)]


class Broadcasting(Batching):
    """The ordinary rules broadcast over a leading batch axis: one call takes the batch."""

    __slots__ = ()

    whole_batch = True

    def jvp(self, prim, ans, vals, kwargs, parents):
        out_ndim = len(ans.shape)
        tangents = [None if node is None else
                    _aligned(node.tangent if node.batched else node.tangent[None], val, out_ndim)
                    for node, val in zip(parents, vals)]
        return sum_jvps(prim, ans, vals, kwargs, tangents, (_batch_size(parents),) + ans.shape)

    def vjp(self, prim, g, ans, vals, kwargs, parents) -> list:
        vjps = prim.vjps
        if type(vjps) is JointVjp:
            return list(vjps.rule(g, ans, *vals, **kwargs))
        cotangents = []
        for argnum, parent in enumerate(parents):
            rule = None if parent is None else rule_at(vjps, argnum)
            cotangents.append(None if rule is None else rule(g, ans, *vals, **kwargs))
        return cotangents


class BatchedRules(Batching):
    """Rules written for a batch on a leading axis, beside the primitive's ordinary ones.

    ``jvps[argnum](t, ans, *args, **kwargs)`` and ``vjps[argnum](g, ans, *args, **kwargs)``
    take and give batches; ``joint_vjp(g, ans, *args, **kwargs)`` gives every argument's
    batched cotangent at once. A rule returning None (or missing) declines: that part
    of the batch goes through the ordinary rules one member at a time. The JVP rules
    serve only calls where every traced input carries the batch.
    """

    __slots__ = ("jvps", "vjps", "joint_vjp")

    def __init__(self, jvps=None, vjps=None, joint_vjp=None):
        self.jvps = jvps
        self.vjps = vjps
        self.joint_vjp = joint_vjp

    @property
    def whole_batch(self) -> bool:
        return self.jvps is not None and (self.vjps is not None or self.joint_vjp is not None)

    def jvp(self, prim, ans, vals, kwargs, parents):
        total = self._batched_jvp(ans, vals, kwargs, parents)
        return super().jvp(prim, ans, vals, kwargs, parents) if total is None else total

    def _batched_jvp(self, ans, vals, kwargs, parents):
        """The sum of the batched rules' tangents, or None if any of them declines."""
        if self.jvps is None or any(node is not None and not node.batched for node in parents):
            return None
        total = None
        for argnum, node in enumerate(parents):
            if node is None:
                continue
            rule = rule_at(self.jvps, argnum)
            t = None if rule is None else rule(node.tangent, ans, *vals, **kwargs)
            if t is None:
                return None
            total = t if total is None else add_tangents(total, t)
        return total

    def vjp(self, prim, g, ans, vals, kwargs, parents) -> list:
        if self.joint_vjp is not None:
            cotangents = self.joint_vjp(g, ans, *vals, **kwargs)
            return super().vjp(prim, g, ans, vals, kwargs, parents) if cotangents is None \
                else list(cotangents)
        if self.vjps is None:
            return super().vjp(prim, g, ans, vals, kwargs, parents)
        cotangents = []
        for argnum, parent in enumerate(parents):
            gp = None
            if parent is not None:
                rule = rule_at(self.vjps, argnum)
                if rule is not None:
                    gp = rule(g, ans, *vals, **kwargs)
                if gp is None:
                    gp = _loop_argument(prim, argnum, g, ans, vals, kwargs)
            cotangents.append(gp)
        return cotangents


LOOP = Batching()
BROADCASTING = Broadcasting()


def _loop_argument(prim, argnum, g, ans, vals, kwargs):
    """One argument's batched cotangent from its ordinary rule, member by member."""
    rule = rule_at(prim.vjps, argnum)
    if rule is None:
        return None
    return array_functions.stack([rule(one, ans, *vals, **kwargs) for one in g])


def _batch_size(parents) -> int:
    return next(node.tangent.shape[0] for node in parents if node is not None and node.batched)


def _member(node, index):
    """Batch member ``index`` of a parent's tangent (an unbatched tangent serves them all)."""
    if node is None:
        return None
    return node.tangent[index] if node.batched else node.tangent


def _aligned(t, x, out_ndim: int):
    """A batched tangent of input ``x``, reshaped so that its batch axis stays in front
    when the rule broadcasts ``x`` against the output's other inputs."""
    x_shape = tuple(getattr(x, "shape", ()))
    missing = out_ndim - len(x_shape)
    if missing <= 0:
        return t
    return array_functions.reshape(t, t.shape[:1] + (1,) * missing + x_shape)
