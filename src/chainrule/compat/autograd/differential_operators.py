"""autograd's differential operators, each a translation onto a chainrule transform.

Every operator takes autograd's ``argnum=0`` (an int, or a tuple for several
arguments at once) and passes keyword arguments through to ``fun`` undifferentiated.
"""

from __future__ import annotations

import inspect
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as _onp

import chainrule as _cr
import chainrule.numpy as _np
from chainrule._core.primitive import strip as _strip
from chainrule._pytree import flatten as _flatten

from . import core
from .wrap_util import unary_to_nary

__all__ = [
    "checkpoint", "deriv", "elementwise_grad", "grad", "grad_and_aux", "grad_named",
    "hessian", "hessian_tensor_product", "hessian_vector_product", "holomorphic_grad",
    "jacobian", "make_ggnvp", "make_hvp", "make_jvp", "make_vjp", "multigrad_dict",
    "tensor_jacobian_product", "value_and_grad", "vector_jacobian_product",
]


def _is_complex(x: Any) -> bool:
    return any(_onp.iscomplexobj(_strip(leaf)) for leaf in _flatten(x)[0])


make_vjp = unary_to_nary(core.make_vjp)
make_jvp = unary_to_nary(core.make_jvp)


@unary_to_nary
def grad(fun: Callable, x: Any) -> Any:
    """The gradient of a scalar-valued ``fun``, shaped and typed like the argument."""
    return _cr.grad(fun)(x)


@unary_to_nary
def value_and_grad(fun: Callable, x: Any) -> tuple[Any, Any]:
    """``(fun(x), gradient)`` in one pass (the form ``scipy.optimize`` wants with jac=True)."""
    return _cr.value_and_grad(fun)(x)


@unary_to_nary
def grad_and_aux(fun: Callable, x: Any) -> tuple[Any, Any]:
    """For ``fun`` returning ``(value, aux)``: ``(gradient of value, aux)``."""
    return _cr.grad(fun, has_aux=True)(x)


@unary_to_nary
def elementwise_grad(fun: Callable, x: Any) -> Any:
    """The vector-Jacobian product with ones: the derivative of each entry, for
    elementwise functions."""
    return _cr.elementwise_grad(fun)(x)


@unary_to_nary
def deriv(fun: Callable, x: Any) -> Any:
    """The derivative along a tangent of ones, by forward mode."""
    return _cr.jvp(fun, (x,), (_ones_like(x),))[1]


def _ones_like(x: Any) -> Any:
    return 1.0 if isinstance(x, (int, float)) else _onp.ones_like(_strip(x))


@unary_to_nary
def holomorphic_grad(fun: Callable, x: Any) -> Any:
    """The complex derivative ``f'(z)`` of a holomorphic scalar function."""
    if not _is_complex(x):
        warnings.warn("Input to holomorphic_grad is not complex", stacklevel=3)
    return _cr.grad(lambda z: _np.real(fun(z)))(x)


@unary_to_nary
def jacobian(fun: Callable, x: Any) -> Any:
    """The Jacobian, shaped ``fun(x).shape + x.shape`` (complex derivatives for
    complex ``x``)."""
    return _cr.jacobian(fun, holomorphic=_is_complex(x))(x)


@unary_to_nary
def hessian(fun: Callable, x: Any) -> Any:
    """The Jacobian of the Jacobian: shaped ``fun(x).shape + x.shape + x.shape``.

    Reverse over reverse, as in autograd, so primitives with VJP rules alone do.
    """
    holomorphic = _is_complex(x)
    return _cr.jacobian(_cr.jacobian(fun, holomorphic=holomorphic), holomorphic=holomorphic)(x)


@unary_to_nary
def make_hvp(fun: Callable, x: Any) -> tuple[Callable, Any]:
    """``(hvp, grad_at_x)``: ``hvp(v)`` is the Hessian-vector product at ``x``,
    reusing one forward pass for every ``v``."""
    gradient, pullback = _cr.vjp(_cr.grad(fun), x)
    return (lambda v: pullback(v)[0]), gradient


def hessian_tensor_product(fun: Callable, argnum: int = 0) -> Callable:
    """A function of ``(*args, tensor)`` giving the Hessian of ``fun`` (with respect
    to argument ``argnum``) contracted with ``tensor``, without forming the Hessian.

    Reverse over reverse, as in autograd, so primitives with VJP rules alone do.
    """
    fun_grad = grad(fun, argnum)

    def gradient_dot_tensor(*args_and_tensor: Any, **kwargs: Any) -> Any:
        args, tensor = args_and_tensor[:-1], args_and_tensor[-1]
        return _np.tensordot(fun_grad(*args, **kwargs), tensor, _onp.ndim(tensor))

    return grad(gradient_dot_tensor, argnum)


hessian_vector_product = hessian_tensor_product


def tensor_jacobian_product(fun: Callable, argnum: int = 0) -> Callable:
    """A function of ``(*args, tensor)`` giving ``tensor`` contracted with the leading
    axes of the Jacobian of ``fun`` (a vector-Jacobian product when ``tensor`` has the
    output's shape)."""

    def product(*args_and_tensor: Any, **kwargs: Any) -> Any:
        args, tensor = args_and_tensor[:-1], args_and_tensor[-1]

        def contracted(*xs):
            return _np.tensordot(tensor, fun(*xs, **kwargs), axes=_onp.ndim(tensor))

        return jacobian(contracted, argnum)(*args)

    return product


vector_jacobian_product = tensor_jacobian_product


def make_ggnvp(f: Callable, g: Callable | None = None, f_argnum: int = 0) -> Callable:
    """Generalised Gauss-Newton products: ``make_ggnvp(f, g)(*args)(v)`` is
    ``J^T H_g J v`` with ``J`` the Jacobian of ``f`` and ``H_g`` the Hessian of the
    scalar ``g`` at ``f(*args)`` (by default half the squared norm over the last axis).

    Reverse mode throughout, as in autograd (``J v`` is the transpose of the VJP).
    """
    g = _half_squared_norm if g is None else g

    @unary_to_nary
    def _make_ggnvp(f_of_x: Callable, x: Any) -> Callable:
        f_x, f_vjp = _cr.vjp(f_of_x, x)
        g_hvp, _ = make_hvp(g)(f_x)
        # The VJP is linear in its cotangent, so its own VJP is the JVP of f.
        zeros = _onp.zeros(_onp.shape(_strip(f_x)), _onp.result_type(_strip(f_x), float))
        _, f_jvp = _cr.vjp(lambda u: f_vjp(u)[0], zeros)

        def ggnvp(v):
            return f_vjp(g_hvp(f_jvp(v)[0]))[0]

        return ggnvp

    return _make_ggnvp(f, f_argnum)


def _half_squared_norm(x):
    return 0.5 * _np.sum(x ** 2, axis=-1)


def grad_named(fun: Callable, argname: str) -> Callable:
    """The gradient with respect to the argument called ``argname`` (not ``*args`` or
    ``**kwargs``)."""
    names = [p.name for p in inspect.signature(fun).parameters.values()
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if argname not in names:
        raise ValueError(f"{getattr(fun, '__name__', 'fun')} has no positional argument "
                         f"named {argname!r}; its arguments are {names}")
    return grad(fun, names.index(argname))


def multigrad_dict(fun: Callable) -> Callable:
    """A function taking ``fun``'s arguments and returning an ordered dict from each
    parameter name (defaults included) to the gradient with respect to it."""
    signature = inspect.signature(fun)

    def gradients(*args: Any, **kwargs: Any) -> OrderedDict:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()

        def fun_of_arguments(arguments: dict) -> Any:
            rebound = inspect.BoundArguments(signature, OrderedDict(arguments))
            return fun(*rebound.args, **rebound.kwargs)

        grads = _cr.grad(fun_of_arguments)(dict(bound.arguments))
        return OrderedDict((name, grads[name]) for name in bound.arguments)

    return gradients


def checkpoint(fun: Callable) -> Callable:
    """``fun`` recomputed during the backward pass instead of keeping its intermediate
    values: memory traded for time."""

    def checkpointed(*args: Any, **kwargs: Any) -> Any:
        return _cr.checkpoint(lambda *xs: fun(*xs, **kwargs), *args)

    return checkpointed
