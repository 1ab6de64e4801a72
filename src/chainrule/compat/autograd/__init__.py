"""HIPS autograd's public API on chainrule's engine.

Change the imports and nothing else::

    import chainrule.compat.autograd.numpy as np        # was: import autograd.numpy as np
    from chainrule.compat.autograd import grad           # was: from autograd import grad

The differential operators (``grad(fun, argnum=0)``, ``make_vjp`` returning
``(vjp, ans)``, ``jacobian``, ``hessian`` ...), the submodules ``numpy``
(``linalg``, ``fft``, ``random``), ``scipy`` (``special``, ``stats``, ``linalg``,
``signal``, ``integrate``), ``extend`` (``primitive``, curried ``defvjp`` ...),
``builtins``, ``misc`` (``flatten``, ``optimizers``) and ``test_util``
(``check_grads``) follow autograd's calling conventions, and translate onto
chainrule's transforms and primitives. ``docs/migrating.md`` lists the differences.
"""

from .builtins import dict, isinstance, list, tuple, type
from .differential_operators import (
    checkpoint,
    deriv,
    elementwise_grad,
    grad,
    grad_and_aux,
    grad_named,
    hessian,
    hessian_tensor_product,
    hessian_vector_product,
    holomorphic_grad,
    jacobian,
    make_ggnvp,
    make_hvp,
    make_jvp,
    make_vjp,
    multigrad_dict,
    tensor_jacobian_product,
    value_and_grad,
    vector_jacobian_product,
)
from .extend import primitive

__all__ = [
    "checkpoint", "deriv", "dict", "elementwise_grad", "grad", "grad_and_aux", "grad_named",
    "hessian", "hessian_tensor_product", "hessian_vector_product", "holomorphic_grad",
    "isinstance", "jacobian", "list", "make_ggnvp", "make_hvp", "make_jvp", "make_vjp",
    "multigrad_dict", "primitive", "tensor_jacobian_product", "tuple", "type",
    "value_and_grad", "vector_jacobian_product",
]
