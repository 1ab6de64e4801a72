"""Per-thread engine state: which trace levels exist and which are recorded.

Level 0 is the imperative world of ``Tensor(requires_grad=True)``. Each active
transform (``grad``, ``vjp`` ...) opens the next level. A level is recorded while
it is at or above ``record_from``; ``no_grad`` raises ``record_from`` past every
level open at the time, so transforms started inside it still work.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")


class _State(threading.local):
    def __init__(self) -> None:
        self.top_level = 0
        self.record_from = 0
        self.detect_anomaly = False
        self.transform_calls = 0  # transform calls under way (grad, jacobian ...)


state = _State()

# Called (in this thread) when the outermost transform call returns: caches that
# may live only as long as one call (ops/linalg/lu.py) register their clearing here.
at_transform_end: list = []


@contextmanager
def transform_call() -> Iterator[None]:
    """The extent of one transform call, its forward and backward passes both."""
    state.transform_calls += 1
    try:
        yield
    finally:
        state.transform_calls -= 1
        if not state.transform_calls:
            for clear in at_transform_end:
                clear()

# Bumped by every in-place change of an array; a node remembers the value at the
# time it was recorded, so backward() checks its saved arrays only when it moved.
inplace_epoch = [0]

# The epoch of the last in-place change of each memory owner, by id. Views and
# detached tensors share their owner, so a change through any of them counts.
# An id can be reused only once its array is gone, and then it is recorded
# again with a later epoch, so a stale entry never flags a live saved array.
_changed_at: dict[int, int] = {}


def owner(array):
    """The array that owns ``array``'s memory (itself, unless it is a view)."""
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


_epoch_lock = threading.Lock()  # threads changing arrays at once each get an epoch


def _next_epoch() -> int:
    with _epoch_lock:
        inplace_epoch[0] += 1
        return inplace_epoch[0]


def mark_modified(array) -> int:
    """Record that ``array`` (and every view of its memory) was changed in place."""
    epoch = _next_epoch()
    _changed_at[id(owner(array))] = epoch
    return epoch


def modified_since(array, epoch: int) -> bool:
    """Whether ``array``'s memory was changed in place after ``epoch``."""
    return _changed_at.get(id(owner(array)), -1) > epoch


# Arrays of traced values handed out raw (``.data``, ``detach()``): a NumPy write
# through them bypasses every chainrule operation, so the array's content at hand-out
# is kept, by owner id, and backward() compares it with the content it finds.
_handed_out: dict[int, tuple] = {}


def note_handout(array) -> None:
    """Remember ``array``'s memory as it is now: it leaves the graph's control."""
    memory = owner(array)
    key = id(memory)
    epoch = _next_epoch()  # nodes recorded before now get checked at backward()
    try:
        ref = weakref.ref(memory, lambda _, key=key: _handed_out.pop(key, None))
    except TypeError:  # an array type without weak references: nothing to track
        return
    _handed_out[key] = (epoch, ref, memory.copy())


def changed_behind_back(array, epoch: int) -> bool:
    """Whether ``array``'s memory was written through a raw hand-out after ``epoch``."""
    memory = owner(array)
    record = _handed_out.get(id(memory))
    if record is None or record[0] <= epoch or record[1]() is not memory:
        return False
    return memory.tobytes() != record[2].tobytes()  # bitwise: a NaN equals itself


def version_of(array) -> int:
    """A number that grows each time ``array``'s memory is changed in place."""
    return _changed_at.get(id(owner(array)), 0)


@contextmanager
def new_level() -> Iterator[int]:
    """Open a fresh trace level for one transform; yields its number."""
    previous = state.top_level
    state.top_level = level = previous + 1
    try:
        yield level
    finally:
        state.top_level = previous


class _GradMode:
    """Base of ``no_grad``/``enable_grad``: a context manager and a decorator."""

    def _new_floor(self) -> int:
        raise NotImplementedError

    def __enter__(self) -> None:
        self._saved = state.record_from
        state.record_from = self._new_floor()

    def __exit__(self, *exc: object) -> None:
        state.record_from = self._saved

    def __call__(self, fn: Callable[_P, _R]) -> Callable[_P, _R]:
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            with type(self)():
                return fn(*args, **kwargs)

        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        wrapper.__doc__ = getattr(fn, "__doc__", None)
        return wrapper


class no_grad(_GradMode):
    """Stop recording operations on every level open now (thread-local).

    >>> x = cr.tensor([1.0], requires_grad=True)
    >>> with cr.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def _new_floor(self) -> int:
        return state.top_level + 1


class enable_grad(_GradMode):
    """Record operations again inside a ``no_grad`` block (thread-local)."""

    def _new_floor(self) -> int:
        return 0


def is_grad_enabled() -> bool:
    """True when operations on level-0 tensors are being recorded."""
    return state.record_from == 0


class detect_anomaly:
    """Make backward() stop at the first operation whose gradient has a NaN (thread-local).

    >>> x = cr.tensor([0.0, 4.0], requires_grad=True)
    >>> loss = 0 * np.sqrt(x).sum()       # sqrt's slope at 0 is inf, and 0 * inf is NaN
    >>> with cr.detect_anomaly():
    ...     loss.backward()
    Traceback (most recent call last):
        ...
    FloatingPointError: 'sqrt' produced NaN in the gradient of its argument 0 ...

    Checking every gradient costs a pass over it, so this is for debugging.
    """

    def __enter__(self) -> None:
        self._saved = state.detect_anomaly
        state.detect_anomaly = True

    def __exit__(self, *exc: object) -> None:
        state.detect_anomaly = self._saved
