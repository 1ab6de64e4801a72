"""The names programs import from autograd's ``util``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .test_util import check_grads

__all__ = ["func", "quick_grad_check", "subval", "subvals"]


def func(f: Callable) -> Callable:
    """``f`` itself (autograd's name for getting at a method's function)."""
    return f


def subvals(x: Iterable, index_values: Iterable[tuple[int, Any]]) -> tuple:
    """``x`` as a tuple, with the value at each index replaced."""
    items = list(x)
    for i, value in index_values:
        items[i] = value
    return tuple(items)


def subval(x: Iterable, index: int, value: Any) -> tuple:
    """``x`` as a tuple, with ``x[index]`` replaced by ``value``."""
    return subvals(x, [(index, value)])


def quick_grad_check(fun: Callable, arg0: Any, extra_args: tuple = (),
                     kwargs: dict | None = None, **_: Any) -> None:
    """autograd's deprecated check: reverse mode, first order, in ``arg0`` only."""
    kwargs = kwargs or {}
    check_grads(lambda x: fun(x, *extra_args, **kwargs), modes=["rev"], order=1)(arg0)
