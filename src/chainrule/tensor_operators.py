"""Tensor's Python operators and NumPy-named methods, written out in a class body so
editors and type checkers see them. Each one calls a primitive (or NumPy's function
through chainrule's dispatch table); ``Tensor`` inherits them.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from ._core.arrays import holds_arrays_of
from ._core.graph import Box
from ._core.primitive import strip
from ._core.state import mark_modified, state
from .ops import elementwise as ew
from .ops.array_likes import as_array_like, holds_box
from .ops.registry import FUNCTIONS, NONDIFFERENTIABLE, UFUNCS

if TYPE_CHECKING:
    from .tensor import Tensor

_add, _subtract, _multiply, _divide = ew.add, ew.subtract, ew.multiply, ew.divide
_floor_divide, _mod, _power = ew.floor_divide, ew.mod, ew.power
_matmul = FUNCTIONS[np.matmul]


# Operands a Tensor handles itself without asking (Tensor is added by tensor.py).
OPERAND_TYPES: set = {float, int, complex, bool, np.ndarray, np.float64, np.float32,
                      np.int64, np.int32, np.complex128, np.bool_}


def defers_to(other: Any) -> bool:
    """Whether a Tensor leaves an operation with ``other`` to ``other``'s own type.

    Types that take part in NumPy's protocols without being arrays chainrule holds
    (labelled containers such as xarray.DataArray, pandas objects, or any type that
    sets ``__array_ufunc__ = None``) wrap arrays themselves: deferring lets them wrap
    the Tensor, so ``t * da`` is what ``da * t`` is, and the gradient flows through
    the Tensor inside. NumPy arrays, their plain subclasses (``memmap``), Tensors and
    array-API arrays (``__array_namespace__``) are operands; masked arrays, matrices
    and subclasses with their own ``__array_ufunc__`` are deferred to, and raise when
    they try to turn a traced Tensor into an array.
    """
    return defers_to_type(type(other))


def defers_to_type(kind: type) -> bool:
    """``defers_to`` for any value of type ``kind``."""
    if issubclass(kind, (np.generic, Box)) or not hasattr(kind, "__array_ufunc__"):
        return False
    if issubclass(kind, np.ndarray):  # masks and matrix products change what ops mean
        return (issubclass(kind, _SUBCLASSES_WITH_OWN_MEANING)
                or kind.__array_ufunc__ is not np.ndarray.__array_ufunc__)
    return kind.__array_ufunc__ is None or not holds_arrays_of(kind)


_SUBCLASSES_WITH_OWN_MEANING = (np.ma.MaskedArray, np.matrix)


def operand(other: Any) -> Any:
    """``other`` as an operand of a Tensor's operation: NotImplemented for a type the
    Tensor defers to, a list or tuple holding traced values stacked (a Tensor), as it is
    otherwise."""
    if defers_to(other):
        return NotImplemented
    if isinstance(other, (list, tuple)) and holds_box(other):
        return as_array_like(other)
    return other


def operands(inputs: tuple) -> tuple | None:
    """``operand`` of each input, or None if the Tensor defers to one of them."""
    converted = tuple(map(operand, inputs))
    return None if any(x is NotImplemented for x in converted) else converted


class TensorOperators:
    """Python's operators and the ndarray methods users call, on Tensors."""

    __slots__ = ()

    def __add__(self, other: Any) -> Tensor:
        if type(other) not in OPERAND_TYPES and (other := operand(other)) is NotImplemented:
            return NotImplemented
        return _add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        if type(other) not in OPERAND_TYPES and (other := operand(other)) is NotImplemented:
            return NotImplemented
        return _add(other, self)

    def __iadd__(self, other: Any) -> Tensor:
        return self._in_place(_add, other)

    def __sub__(self, other: Any) -> Tensor:
        if type(other) not in OPERAND_TYPES and (other := operand(other)) is NotImplemented:
            return NotImplemented
        return _subtract(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        if type(other) not in OPERAND_TYPES and (other := operand(other)) is NotImplemented:
            return NotImplemented
        return _subtract(other, self)

    def __isub__(self, other: Any) -> Tensor:
        return self._in_place(_subtract, other)

    def __mul__(self, other: Any) -> Tensor:
        if type(other) not in OPERAND_TYPES and (other := operand(other)) is NotImplemented:
            return NotImplemented
        return _multiply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        if type(other) not in OPERAND_TYPES and (other := operand(other)) is NotImplemented:
            return NotImplemented
        return _multiply(other, self)

    def __imul__(self, other: Any) -> Tensor:
        return self._in_place(_multiply, other)

    def __truediv__(self, other: Any) -> Tensor:
        if type(other) not in OPERAND_TYPES and (other := operand(other)) is NotImplemented:
            return NotImplemented
        return _divide(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        if type(other) not in OPERAND_TYPES and (other := operand(other)) is NotImplemented:
            return NotImplemented
        return _divide(other, self)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._in_place(_divide, other)

    def __floordiv__(self, other: Any) -> Tensor:
        if type(other) not in OPERAND_TYPES and (other := operand(other)) is NotImplemented:
            return NotImplemented
        return _floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        if type(other) not in OPERAND_TYPES and (other := operand(other)) is NotImplemented:
            return NotImplemented
        return _floor_divide(other, self)

    def __ifloordiv__(self, other: Any) -> Tensor:
        return self._in_place(_floor_divide, other)

    def __mod__(self, other: Any) -> Tensor:
        if type(other) not in OPERAND_TYPES and (other := operand(other)) is NotImplemented:
            return NotImplemented
        return _mod(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        if type(other) not in OPERAND_TYPES and (other := operand(other)) is NotImplemented:
            return NotImplemented
        return _mod(other, self)

    def __imod__(self, other: Any) -> Tensor:
        return self._in_place(_mod, other)

    def __pow__(self, other: Any) -> Tensor:
        if type(other) not in OPERAND_TYPES and (other := operand(other)) is NotImplemented:
            return NotImplemented
        return _power(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        if type(other) not in OPERAND_TYPES and (other := operand(other)) is NotImplemented:
            return NotImplemented
        return _power(other, self)

    def __ipow__(self, other: Any) -> Tensor:
        return self._in_place(_power, other)

    def __matmul__(self, other: Any) -> Tensor:
        if type(other) not in OPERAND_TYPES and (other := operand(other)) is NotImplemented:
            return NotImplemented
        return _matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        if type(other) not in OPERAND_TYPES and (other := operand(other)) is NotImplemented:
            return NotImplemented
        return _matmul(other, self)

    def __imatmul__(self, other: Any) -> Tensor:
        return self._in_place(_matmul, other)

    def __neg__(self) -> Tensor:
        return ew.negative(self)

    def __pos__(self) -> Tensor:
        return ew.positive(self)

    def __abs__(self) -> Tensor:
        return ew.absolute(self)

    def __lt__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._wrap(np.less(strip(self), strip(other)))

    def __le__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._wrap(np.less_equal(strip(self), strip(other)))

    def __gt__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._wrap(np.greater(strip(self), strip(other)))

    def __ge__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._wrap(np.greater_equal(strip(self), strip(other)))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._wrap(np.equal(strip(self), strip(other)))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._wrap(np.not_equal(strip(self), strip(other)))

    def _in_place(self, prim, other: Any) -> Tensor:
        """``self op= other``: in the array itself when nothing is recorded (a parameter
        update under no_grad), otherwise recorded, as the tensor's new value."""
        target = self._value
        ufunc = prim.fun
        if (type(ufunc) is np.ufunc and type(target) is np.ndarray and not _recorded(self)
                and not _recorded(other)):
            ufunc(target, strip(other), out=target, casting="same_kind")
            mark_modified(target)
            return self
        self._take_result(prim(self, other), f"in-place {prim.name}")
        return self

    # --- NumPy-named methods: the same as numpy.<name>(self, ...), differentiable ----

    def sum(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.sum(self, ...)``."""
        return _dispatch(np.sum, (self, *args), kwargs)

    def mean(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.mean(self, ...)``."""
        return _dispatch(np.mean, (self, *args), kwargs)

    def prod(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.prod(self, ...)``."""
        return _dispatch(np.prod, (self, *args), kwargs)

    def max(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.max(self, ...)``."""
        return _dispatch(np.max, (self, *args), kwargs)

    def min(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.min(self, ...)``."""
        return _dispatch(np.min, (self, *args), kwargs)

    def var(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.var(self, ...)``."""
        return _dispatch(np.var, (self, *args), kwargs)

    def std(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.std(self, ...)``."""
        return _dispatch(np.std, (self, *args), kwargs)

    def cumsum(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.cumsum(self, ...)``."""
        return _dispatch(np.cumsum, (self, *args), kwargs)

    def cumprod(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.cumprod(self, ...)``."""
        return _dispatch(np.cumprod, (self, *args), kwargs)

    def ravel(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.ravel(self, ...)``."""
        return _dispatch(np.ravel, (self, *args), kwargs)

    def squeeze(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.squeeze(self, ...)``."""
        return _dispatch(np.squeeze, (self, *args), kwargs)

    def swapaxes(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.swapaxes(self, ...)``."""
        return _dispatch(np.swapaxes, (self, *args), kwargs)

    def clip(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.clip(self, ...)``."""
        return _dispatch(np.clip, (self, *args), kwargs)

    def dot(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.dot(self, ...)``."""
        return _dispatch(np.dot, (self, *args), kwargs)

    def trace(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.trace(self, ...)``."""
        return _dispatch(np.trace, (self, *args), kwargs)

    def diagonal(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.diagonal(self, ...)``."""
        return _dispatch(np.diagonal, (self, *args), kwargs)

    def repeat(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.repeat(self, ...)``."""
        return _dispatch(np.repeat, (self, *args), kwargs)

    def take(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.take(self, ...)``."""
        return _dispatch(np.take, (self, *args), kwargs)

    def argmax(self, *args: Any, **kwargs: Any) -> Any:
        """``numpy.argmax(self, ...)``."""
        return _dispatch(np.argmax, (self, *args), kwargs)

    def argmin(self, *args: Any, **kwargs: Any) -> Any:
        """``numpy.argmin(self, ...)``."""
        return _dispatch(np.argmin, (self, *args), kwargs)

    def argsort(self, *args: Any, **kwargs: Any) -> Any:
        """``numpy.argsort(self, ...)``."""
        return _dispatch(np.argsort, (self, *args), kwargs)

    def all(self, *args: Any, **kwargs: Any) -> Any:
        """``numpy.all(self, ...)``."""
        return _dispatch(np.all, (self, *args), kwargs)

    def any(self, *args: Any, **kwargs: Any) -> Any:
        """``numpy.any(self, ...)``."""
        return _dispatch(np.any, (self, *args), kwargs)

    def nonzero(self, *args: Any, **kwargs: Any) -> Any:
        """``numpy.nonzero(self, ...)``."""
        return _dispatch(np.nonzero, (self, *args), kwargs)

    def ptp(self, *args: Any, **kwargs: Any) -> Tensor:
        """``numpy.ptp(self, ...)``."""
        return _dispatch(np.ptp, (self, *args), kwargs)

    def exp(self) -> Tensor:
        """``numpy.exp(self)``."""
        return _dispatch(np.exp, (self,), {})

    def log(self) -> Tensor:
        """``numpy.log(self)``."""
        return _dispatch(np.log, (self,), {})

    def sin(self) -> Tensor:
        """``numpy.sin(self)``."""
        return _dispatch(np.sin, (self,), {})

    def cos(self) -> Tensor:
        """``numpy.cos(self)``."""
        return _dispatch(np.cos, (self,), {})

    def tan(self) -> Tensor:
        """``numpy.tan(self)``."""
        return _dispatch(np.tan, (self,), {})

    def tanh(self) -> Tensor:
        """``numpy.tanh(self)``."""
        return _dispatch(np.tanh, (self,), {})

    def sqrt(self) -> Tensor:
        """``numpy.sqrt(self)``."""
        return _dispatch(np.sqrt, (self,), {})

    def abs(self) -> Tensor:
        """``numpy.absolute(self)``."""
        return _dispatch(np.absolute, (self,), {})

    def square(self) -> Tensor:
        """``numpy.square(self)``."""
        return _dispatch(np.square, (self,), {})

    def conj(self) -> Tensor:
        """``numpy.conjugate(self)``."""
        return _dispatch(np.conjugate, (self,), {})

    def conjugate(self) -> Tensor:
        """``numpy.conjugate(self)``."""
        return _dispatch(np.conjugate, (self,), {})

    def reshape(self, *shape: Any, **kwargs: Any) -> Tensor:
        """``numpy.reshape(self, shape)``; the shape as one tuple or as separate ints."""
        return _dispatch(np.reshape, (self, shape[0] if len(shape) == 1 else shape), kwargs)

    def transpose(self, *axes: Any) -> Tensor:
        """``numpy.transpose(self, axes)``; the axes as one tuple or as separate ints."""
        return _dispatch(np.transpose, (self, (axes[0] if len(axes) == 1 else axes) or None), {})

    def flatten(self) -> Tensor:
        """A 1-d copy of the data, in the graph (``numpy.ravel``)."""
        return _dispatch(np.ravel, (self,), {})


def _recorded(x) -> bool:
    """Whether an operation on ``x`` would be recorded right now."""
    return (isinstance(x, Box) and x._node is not None
            and x._node.level >= state.record_from)


def _dispatch(numpy_function, args, kwargs):
    handler = FUNCTIONS.get(numpy_function) or UFUNCS.get(numpy_function)
    if handler is not None:
        return handler(*args, **kwargs)
    if numpy_function in NONDIFFERENTIABLE:
        return numpy_function(*strip_tree(args), **strip_tree(kwargs))
    raise no_rule(qualified_name(numpy_function))


def strip_tree(x):
    """``x`` with every traced value in its lists, tuples and dicts made plain."""
    if isinstance(x, Box):
        return strip(x)
    if isinstance(x, (list, tuple)):
        return type(x)(strip_tree(i) for i in x)
    if isinstance(x, dict):
        return {k: strip_tree(v) for k, v in x.items()}
    return x


def qualified_name(func) -> str:
    module = getattr(func, "__module__", None) or "numpy"
    return f"{module}.{func.__name__}"


def differentiable_version_hint() -> str:
    """When a NumPy or SciPy function that cannot dispatch on a Tensor (``numpy.full``,
    ``numpy.mean([a, b])``, ``scipy.special.logsumexp`` ...) tries to turn a traced
    Tensor into an array: where chainrule's differentiable version of it is, found
    from the calling frames ("" if there is none)."""
    frame, caller = sys._getframe(1), None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.split(".")[0] in ("numpy", "scipy"):
            caller = (module, _function_name(frame))
        elif caller is not None:
            break
        frame = frame.f_back
    if caller is None:
        return ""
    module, name = caller
    ours = _differentiable_namespace(module)
    original = getattr(sys.modules.get(ours.replace("chainrule.", "", 1)), name, None)
    found = getattr(sys.modules.get(ours), name, None)
    if found is None or found is original:
        return ""
    public = ours.replace("chainrule.", "", 1)
    return (f" NumPy cannot hand {public}.{name} a Tensor here; call {ours}.{name}, which "
            f"is differentiable.")


def _function_name(frame) -> str:
    """The name a user called: ``r_`` and ``c_`` for NumPy's index objects."""
    name = frame.f_code.co_name
    if name == "__getitem__":
        target = frame.f_locals.get("self")
        return next((index for index in ("r_", "c_") if target is getattr(np, index)), name)
    return name


def _differentiable_namespace(module: str) -> str:
    """The chainrule namespace mirroring the NumPy or SciPy module ``module``."""
    parts = module.split(".")
    if parts[0] == "scipy":
        return f"chainrule.scipy.{parts[1]}" if len(parts) > 1 else "chainrule.scipy"
    for sub in ("linalg", "fft"):
        if sub in parts[1:]:
            return f"chainrule.numpy.{sub}"
    return "chainrule.numpy"


def no_rule(name: str) -> TypeError:
    """The error for a NumPy function without a derivative rule, called on a Tensor."""
    if name.startswith("scipy.special.") and "chainrule.scipy" not in sys.modules:
        return TypeError(
            f"{name} has no derivative rule until chainrule.scipy is imported: add "
            f"`import chainrule.scipy`, which gives scipy.special's functions their "
            f"rules (or call it on t.detach() if no gradient is needed).")
    return TypeError(
        f"{name} has no derivative rule in chainrule, so calling it on a Tensor "
        f"would lose the gradient. Define it as a primitive with @chainrule.primitive "
        f"and .defvjp(...), or call it on t.detach() (or t.numpy()) if no gradient "
        f"is needed.")
