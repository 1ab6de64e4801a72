"""Forward mode: tangents carried alongside values.

On a forward level a traced value's ``_node`` is a ``TangentNode`` holding its
tangent. A primitive call on that level records nothing: it evaluates each
traced input's JVP rule, ``rule(tangent, ans, *args, **kwargs)``, and sums the
results into the output's tangent.
"""

from __future__ import annotations


class TangentNode:
    """The tangent of a value on a forward-mode level."""

    __slots__ = ("level", "tangent")

    def __init__(self, level: int, tangent):
        self.level = level
        self.tangent = tangent

    parents = ()
    hooks = None
    name = "tangent"


_widen = None  # np.broadcast_to, installed by the ops layer (the engine knows no NumPy)


def set_broadcast(broadcast_to) -> None:
    """Install the function that widens a tangent to its output's shape."""
    global _widen
    _widen = broadcast_to


def push_tangents(prim, ans, vals, kwargs, parents):
    """The output tangent of ``prim`` from its inputs' tangents."""
    jvps = prim.jvps
    total = None
    for argnum, node in enumerate(parents):
        if node is None:
            continue
        rule = jvps[argnum] if argnum < len(jvps) else None
        if rule is None:
            raise NotImplementedError(
                f"'{prim.name}' has no forward-mode (JVP) rule for its argument {argnum}, "
                f"so it cannot be used under jvp/jacfwd/hessian; define one with "
                f"{prim.name}.defjvp(...), or use reverse mode (grad, jacobian).")
        t = rule(node.tangent, ans, *vals, **kwargs)
        total = t if total is None else total + t
    shape = ans.shape
    if total.shape != shape:
        total = _widen(total, shape)
    return total
