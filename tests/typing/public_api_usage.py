"""Typical user code over chainrule's public API, type-checked by mypy in
tests/test_typing.py (and run there too, so it stays real code).

The ``assert_type`` lines are the point: each fails the type check if the public
annotation it relies on goes missing or turns into ``Any``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

import chainrule as cr
import chainrule.numpy as cnp
from chainrule import nn, optim

if sys.version_info >= (3, 11):
    from typing import assert_type
else:
    from typing_extensions import assert_type


def tensors() -> None:
    x = cr.tensor([2.0, -1.0], requires_grad=True)
    assert_type(x, cr.Tensor)
    assert_type(cr.tensor([1.0]) + 1, cr.Tensor)
    assert_type(x + x, cr.Tensor)
    assert_type(1.0 - x, cr.Tensor)
    assert_type(x * np.ones(2), cr.Tensor)
    assert_type(x / 2, cr.Tensor)
    assert_type(x**2, cr.Tensor)
    assert_type(2**x, cr.Tensor)
    assert_type(-x, cr.Tensor)
    assert_type(abs(x), cr.Tensor)
    assert_type(x @ x, cr.Tensor)
    assert_type(x < 0, cr.Tensor)
    assert_type(x >= x, cr.Tensor)
    assert_type(x == 1.0, cr.Tensor)
    assert_type(x[0], cr.Tensor)
    assert_type(x.T, cr.Tensor)
    assert_type(x.shape, tuple[int, ...])
    assert_type(x.ndim, int)
    assert_type(x.requires_grad, bool)

    y = (x**2 + 3 * x).sum()
    assert_type(y, cr.Tensor)
    assert_type(x.mean(), cr.Tensor)
    assert_type(x.reshape(2, 1), cr.Tensor)
    assert_type(x.reshape((1, 2)).exp(), cr.Tensor)
    y.backward()
    assert_type(x.grad, cr.Tensor | None)
    assert_type(x.numpy(), npt.NDArray[Any])
    assert_type(x.detach(), cr.Tensor)
    assert_type(float(y), float)

    with cr.no_grad():
        z = x * 2
    assert not z.requires_grad
    assert not doubled(x).requires_grad


@cr.no_grad()
def doubled(x: cr.Tensor) -> cr.Tensor:
    return 2 * x


def square_plus(x: cr.Tensor) -> cr.Tensor:
    return x**2 + 3 * x


def total(x: cr.Tensor) -> cr.Tensor:
    return (x**3).sum()


def log_likelihood(mu: Any, data: Any) -> Any:
    """HIPS-autograd style: NumPy code written against chainrule.numpy."""
    pieces = cnp.array([cnp.sum((data - mu) ** 2), cnp.log(cnp.float64(2.0) * cnp.pi)])
    return -0.5 * cnp.sum(pieces)


def transforms() -> None:
    df = cr.grad(square_plus)
    assert_type(df, Callable[..., Any])
    slope: float = cr.grad(square_plus)(2.0)
    assert slope == 7.0
    value, gradient = cr.value_and_grad(square_plus)(2.0)
    assert (value, gradient) == (10.0, 7.0)
    jac = cr.jacobian(square_plus)(np.array([1.0, 2.0]))
    hess = cr.hessian(total)(np.array([1.0, 2.0]))
    assert np.shape(jac) == np.shape(hess) == (2, 2)
    out, tangent = cr.jvp(square_plus, (2.0,), (1.0,))
    assert (out, tangent) == (10.0, 7.0)
    data = np.array([0.5, 1.5])
    assert cr.grad(log_likelihood)(1.0, data) == 0.0
    out, pull_back = cr.vjp(square_plus, 2.0)
    assert_type(pull_back, Callable[[Any], tuple[Any, ...]])
    assert pull_back(1.0) == (7.0,)


class TwoLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(3, 8, rng=0)
        self.out = cr.nn.Linear(8, 1, rng=1)

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        # Module.__call__ returns what forward does, which mypy cannot follow (as in
        # torch): an annotated name takes the result.
        hidden: cr.Tensor = self.hidden(x)
        out: cr.Tensor = self.out(hidden.tanh())
        return out


def training() -> None:
    model = TwoLayer()
    assert_type(model.hidden, nn.Linear)
    assert_type(model.out, cr.nn.Linear)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    inputs = cr.tensor(np.linspace(-1.0, 1.0, 12).reshape(4, 3))
    targets = cr.tensor(np.array([[0.0], [1.0], [1.0], [0.0]]))
    for _ in range(3):
        opt.zero_grad()
        loss = ((model.forward(inputs) - targets) ** 2).mean()
        assert_type(loss, cr.Tensor)
        loss.backward()
        opt.step()
    for name, param in model.named_parameters():
        assert_type(name, str)
        assert_type(param, nn.Parameter)


def scalar_engine() -> None:
    a, b = cr.Value(2.0), cr.Value(3.0)
    e = (a + b) + a * b - 1 / a + a**2
    assert_type(e, cr.Value)
    e.backward()
    assert_type(a.grad, float)
    assert_type(b.data, float)
    assert_type(e.tanh().relu(), cr.Value)


if __name__ == "__main__":
    tensors()
    transforms()
    training()
    scalar_engine()
