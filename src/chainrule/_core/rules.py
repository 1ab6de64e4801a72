"""How a primitive's rules are tabled: one per argument, one for every argument, or one
giving every argument's result at once. The engine reads a table only through
``rule_at`` (or the joint rule), so each form is a plain sequence-like object."""

from __future__ import annotations

import functools
from collections.abc import Callable


class EveryArgument:
    """One rule serving every positional argument: ``rule(argnum, *rule_args)``.

    For primitives taking any number of arrays (``concatenate``, ``checkpoint``):

    >>> @cr.primitive
    ... def total(*arrays):
    ...     return sum(arrays)
    >>> total.defvjp_all(lambda argnum, g, ans, *arrays: g, reads=())
    <primitive total>
    >>> total.defbatch(vjps=cr.EveryArgument(lambda argnum, g, ans, *arrays: g))
    <primitive total>
    >>> cr.jacobian(lambda x: total(x, 2 * x, 3 * x))(np.ones(2))
    array([[6., 0.],
           [0., 6.]])
    """

    __slots__ = ("rule",)

    def __init__(self, rule: Callable):
        self.rule = rule

    def __getitem__(self, argnum: int) -> Callable:
        return functools.partial(self.rule, argnum)


class JointVjp:
    """Stands in for a primitive's VJP rules when one call gives every argument's
    cotangent: ``rule(g, ans, *args, **kwargs)`` returns one per positional argument
    (None where there is none). For rules that share costly work between arguments,
    such as a recomputation (its batched form: ``Primitive.defbatch(joint_vjp=...)``).
    """

    __slots__ = ("rule",)

    def __init__(self, rule: Callable):
        self.rule = rule

    def __getitem__(self, argnum: int) -> Callable:
        """One argument's rule, for code that reads rules one at a time."""
        rule = self.rule
        return lambda g, ans, *args, **kwargs: rule(g, ans, *args, **kwargs)[argnum]


class MissingRuleError(NotImplementedError):
    """A primitive met in ``mode`` (``"rev"`` or ``"fwd"``) has no rule for that mode.

    ``primitive`` is its name. Raised while derivatives are taken, so a caller that
    can do without the mode (as ``check_grads`` does) knows which one to leave out.
    """

    def __init__(self, message: str, primitive: str, mode: str):
        super().__init__(message)
        self.primitive = primitive
        self.mode = mode


def rule_at(rules, argnum: int) -> Callable | None:
    """The rule of argument ``argnum`` in a table of rules, or None when there is none."""
    try:
        return rules[argnum]
    except IndexError:
        return None
