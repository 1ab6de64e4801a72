"""autograd's calling convention for differential operators: ``op(fun, argnum=0)``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def unary_to_nary(unary_operator: Callable[..., Any]) -> Callable[..., Any]:
    """Turn ``unary_operator(unary_fun, x, *extra)``, which differentiates a function of
    one value, into autograd's ``operator(fun, argnum=0, *extra)``.

    The operator's result takes ``fun``'s arguments (keywords included, passed through
    undifferentiated) and differentiates with respect to ``args[argnum]``, or the tuple
    of arguments ``argnum`` names when it is a tuple or list.
    """

    @functools.wraps(unary_operator)
    def nary_operator(fun: Callable, argnum: int | tuple | list = 0, *extra: Any,
                      **extra_kwargs: Any) -> Callable:
        if not isinstance(argnum, (int, tuple, list)) or isinstance(argnum, bool):
            raise TypeError(f"argnum must be an int or a tuple of ints, got {argnum!r}")

        @functools.wraps(fun)
        def nary_fun(*args: Any, **kwargs: Any) -> Any:
            _check_argnum(argnum, len(args), fun)

            @functools.wraps(fun)  # keeps fun's name for messages
            def unary_fun(x):
                return fun(*substitute(args, argnum, x), **kwargs)

            x = args[argnum] if isinstance(argnum, int) else tuple(args[i] for i in argnum)
            return unary_operator(unary_fun, x, *extra, **extra_kwargs)

        return nary_fun

    del nary_operator.__wrapped__  # show (fun, argnum=0, ...), not the unary signature
    return nary_operator


def substitute(args: tuple, argnum: int | tuple | list, x: Any) -> tuple:
    """``args`` with ``x`` in place of argument ``argnum`` (or of each argument
    ``argnum`` names, ``x`` then being a tuple of values)."""
    args = list(args)
    if isinstance(argnum, int):
        args[argnum] = x
    else:
        for i, value in zip(argnum, x):
            args[i] = value
    return tuple(args)


def _check_argnum(argnum, count: int, fun: Callable) -> None:
    nums = (argnum,) if isinstance(argnum, int) else argnum
    for n in nums:
        if not -count <= n < count:
            name = getattr(fun, "__name__", "the function")
            raise IndexError(f"argnum={argnum!r} is out of range: {name} was called with "
                             f"{count} positional argument(s)")
