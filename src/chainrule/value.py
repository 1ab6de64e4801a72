"""A scalar reverse-mode autodiff engine on plain Python floats.

``Value`` wraps one float. Every arithmetic operation returns a new ``Value`` that
remembers its operands and the local derivative with respect to each of them,
computed once at forward time. ``backward()`` then walks the graph from the output
back to the inputs and applies the chain rule::

    >>> a, b = Value(2.0), Value(3.0)
    >>> e = (a + b) + a * b
    >>> e.backward()
    >>> a.grad, b.grad
    (4.0, 3.0)

Gradients accumulate into leaves (values made by the user, such as weights) across
``backward()`` calls, as in PyTorch. Zero them between training steps with
``value.zero_grad()``, ``zero_grad(model.parameters())`` or, for every value in a
graph, ``loss.zero_grad(graph=True)``. Interior nodes hold the gradient of the latest
``backward()`` only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real

__all__ = ["Value", "zero_grad"]


class Value:
    """A float that records how it was computed, so its gradient can be taken.

    ``data`` and ``grad`` are plain floats; a training loop may update ``data`` by
    hand (``p.data -= lr * p.grad``). ``op`` names the operation that produced the
    value (``""`` for a leaf) and ``parents`` the values it was computed from.
    """

    # No operation has more than two operands, so the operands and the local
    # derivatives d(self)/d(operand) live in slots rather than in a tuple of pairs:
    # one allocation per node means less memory and less garbage-collector work, and
    # backward is a bare multiply-add per operand. `_pending` counts the consumers
    # that have not yet sent their gradient; it is 0 outside backward().
    __slots__ = ("data", "grad", "op", "_left", "_dleft", "_right", "_dright", "_pending")

    def __init__(self, data: float) -> None:
        self.data = float(data)
        self.grad = 0.0
        self.op = ""
        self._left = self._right = None
        self._dleft = self._dright = 0.0
        self._pending = 0

    @property
    def parents(self) -> tuple[Value, ...]:
        """The values this one was computed from, in operand order (empty for a leaf)."""
        if self._left is None:
            return ()
        if self._right is None:
            return (self._left,)
        return (self._left, self._right)

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    def _repr_html_(self) -> str | None:
        """Jupyter's view of a computed value: its repr above a drawing of its graph."""
        if not self.op:
            return None  # a leaf has no graph; Jupyter shows the repr
        import html

        from . import viz  # viz needs NumPy, which the scalar engine never imports

        return f"<pre>{html.escape(repr(self))}</pre>\n{viz.show(self)._repr_html_()}"

    # -- arithmetic ---------------------------------------------------------------

    def __add__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            if not isinstance(other, Real):
                return NotImplemented
            other = Value(other)
        return _node(self.data + other.data, "+", self, 1.0, other, 1.0)

    def __mul__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            if not isinstance(other, Real):
                return NotImplemented
            other = Value(other)
        x, y = self.data, other.data
        return _node(x * y, "*", self, y, other, x)

    def __sub__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            if not isinstance(other, Real):
                return NotImplemented
            other = Value(other)
        return _node(self.data - other.data, "-", self, 1.0, other, -1.0)

    def __truediv__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            if not isinstance(other, Real):
                return NotImplemented
            other = Value(other)
        y = other.data
        quotient = self.data / y
        return _node(quotient, "/", self, 1.0 / y, other, -quotient / y)

    def __pow__(self, exponent: Value | float) -> Value:
        if isinstance(exponent, Value):
            return _power_of_values(self, exponent)
        if not isinstance(exponent, Real):
            return NotImplemented
        return _power_of_number(self, float(exponent))

    def __radd__(self, other: float) -> Value:
        return Value(other) + self if isinstance(other, Real) else NotImplemented

    def __rmul__(self, other: float) -> Value:
        return Value(other) * self if isinstance(other, Real) else NotImplemented

    def __rsub__(self, other: float) -> Value:
        return Value(other) - self if isinstance(other, Real) else NotImplemented

    def __rtruediv__(self, other: float) -> Value:
        return Value(other) / self if isinstance(other, Real) else NotImplemented

    def __rpow__(self, base: float) -> Value:
        return Value(base) ** self if isinstance(base, Real) else NotImplemented

    def __neg__(self) -> Value:
        return _node(-self.data, "neg", self, -1.0)

    # -- functions ----------------------------------------------------------------

    def relu(self) -> Value:
        """max(x, 0); the derivative at 0 is taken as 0."""
        x = self.data
        if x > 0.0:
            return _node(x, "relu", self, 1.0)
        return _node(0.0, "relu", self, 0.0)

    def sigmoid(self) -> Value:
        """1 / (1 + exp(-x)), computed without overflow for large |x|."""
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _node(s, "sigmoid", self, s * (1.0 - s))

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        t = math.tanh(self.data)
        return _node(t, "tanh", self, 1.0 - t * t)

    def exp(self) -> Value:
        """e ** x; raises OverflowError past the float range (x > 709.78)."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise _overflow(f"exp({self.data!r})") from None
        return _node(e, "exp", self, e)

    def log(self) -> Value:
        """Natural logarithm; raises ValueError unless x > 0."""
        x = self.data
        if x <= 0.0:
            raise ValueError(
                f"log of a non-positive value ({x!r}): log is only defined for x > 0. "
                "Keep its input positive, e.g. (x + eps).log() for x >= 0, or "
                "x.sigmoid().log() rather than the log of a probability that can reach 0."
            )
        return _node(math.log(x), "log", self, 1.0 / x)

    def abs(self) -> Value:
        """|x|; the derivative at 0 is taken as 0."""
        x = self.data
        sign = 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)
        return _node(abs(x), "abs", self, sign)

    __abs__ = abs

    def sqrt(self) -> Value:
        """Square root; raises ValueError for x < 0. The derivative at 0 is +inf."""
        x = self.data
        if x < 0.0:
            raise ValueError(
                f"sqrt of a negative value ({x!r}): the result would be complex. "
                "Take the root of a non-negative quantity, e.g. x.abs().sqrt()."
            )
        root = math.sqrt(x)
        return _node(root, "sqrt", self, 0.5 / root if root > 0.0 else math.inf)

    def sin(self) -> Value:
        """Sine (radians)."""
        x = self.data
        return _node(math.sin(x), "sin", self, math.cos(x))

    def cos(self) -> Value:
        """Cosine (radians)."""
        x = self.data
        return _node(math.cos(x), "cos", self, -math.sin(x))

    # -- gradients ----------------------------------------------------------------

    def backward(self) -> None:
        """Set ``grad`` of every value behind this one to d(self)/d(value).

        Leaves add to their ``grad`` (zero it between steps); interior nodes are reset
        first, so calling ``backward()`` twice doubles the leaves' gradients and
        nothing else. The walk is iterative, so graphs of any depth work at the
        default recursion limit. Do not run two backward() calls at once (from two
        threads) over graphs that share values.
        """
        if self._left is None:
            self.grad += 1.0
            return
        try:
            _count_pending_consumers(self)
            self.grad = 1.0
            _propagate(self)
        except BaseException:
            # Interrupted half-way (e.g. Ctrl-C): leave no stale counts behind, or the
            # next backward() over these nodes would skip parts of the graph.
            for node in _all_nodes(self):
                node._pending = 0
            raise

    def zero_grad(self, graph: bool = False) -> None:
        """Set ``grad`` to 0.0 on this value, or with ``graph=True`` on every value
        in the graph behind it (itself, its parents, their parents, ...)."""
        if not graph:
            self.grad = 0.0
            return
        for node in _all_nodes(self):
            node.grad = 0.0


def zero_grad(values: Iterable[Value]) -> None:
    """Set ``grad`` to 0.0 on each of ``values``, e.g. ``zero_grad(model.parameters())``."""
    for value in values:
        value.grad = 0.0


_new_value = object.__new__


def _node(
    data: float,
    op: str,
    left: Value,
    dleft: float,
    right: Value | None = None,
    dright: float = 0.0,
) -> Value:
    # Bypasses __init__: results of operations are floats already, so the float()
    # conversion a user-made leaf needs would be wasted work on the hot path.
    node = _new_value(Value)
    node.data = data
    node.grad = 0.0
    node.op = op
    node._left = left
    node._dleft = dleft
    node._right = right
    node._dright = dright
    node._pending = 0
    return node


def _power_slope(x: float, p: float) -> float:
    """d/dx x**p, with the one-sided limits where Python's ** would divide by zero."""
    if p == 0.0:
        return 0.0
    if x == 0.0 and p < 1.0:
        return math.inf
    return p * x ** (p - 1.0)


def _power_of_number(base: Value, exponent: float) -> Value:
    x = base.data
    if x < 0.0 and not exponent.is_integer():
        raise ValueError(
            f"negative base ({x!r}) to the non-integer power {exponent!r}: the result "
            "would be complex. Use an integer exponent, or raise base.abs() instead."
        )
    try:
        result = x**exponent
    except OverflowError:
        raise _overflow(f"{x!r} ** {exponent!r}") from None
    return _node(result, "**", base, _power_slope(x, exponent))


def _power_of_values(base: Value, exponent: Value) -> Value:
    x, p = base.data, exponent.data
    if x < 0.0 or (x == 0.0 and p <= 0.0):
        raise ValueError(
            f"base {x!r} to a Value exponent ({p!r}): with a Value exponent the base must "
            "be positive, since d/dp x**p = x**p * log(x). Use a plain-number exponent "
            "if it is a constant, or a positive base such as x.abs() + eps."
        )
    try:
        result = x**p
    except OverflowError:
        raise _overflow(f"{x!r} ** {p!r}") from None
    # As x -> 0+ with p > 0, x**p * log(x) -> 0.
    dexponent = result * math.log(x) if x > 0.0 else 0.0
    return _node(result, "**", base, _power_slope(x, p), exponent, dexponent)


def _overflow(expression: str) -> OverflowError:
    return OverflowError(
        f"{expression} is too large for a float. If this happens while training, the "
        "loss is diverging: lower the learning rate or scale the inputs."
    )


def _count_pending_consumers(root: Value) -> None:
    """First pass: for each interior node behind ``root``, count the edges into it
    from other interior nodes behind ``root``, and reset its grad to 0.0.

    Leaves are never counted or pushed: they have nothing to pass on.
    """
    stack = [root]
    push, pop = stack.append, stack.pop
    while stack:
        node = pop()
        node.grad = 0.0
        left = node._left
        if left._left is not None:
            if not left._pending:
                push(left)
            left._pending += 1
        right = node._right
        if right is not None and right._left is not None:
            if not right._pending:
                push(right)
            right._pending += 1


def _propagate(root: Value) -> None:
    """Second pass: a node sends its gradient to its operands once every consumer
    has sent it theirs (Kahn's algorithm), which brings every count back to 0."""
    ready = [root]
    push, pop = ready.append, ready.pop
    while ready:
        node = pop()
        upstream = node.grad
        left = node._left
        left.grad += node._dleft * upstream
        if left._left is not None:
            left._pending -= 1
            if not left._pending:
                push(left)
        right = node._right
        if right is not None:
            right.grad += node._dright * upstream
            if right._left is not None:
                right._pending -= 1
                if not right._pending:
                    push(right)


def _all_nodes(root: Value) -> list[Value]:
    """Every value behind ``root``, root included, each once, without recursion."""
    seen = {root}
    stack = [root]
    while stack:
        for parent in stack.pop().parents:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return list(seen)
