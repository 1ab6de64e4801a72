"""Gradient clipping (issue 7): by joint norm and by value, against NumPy and torch."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

rng = np.random.default_rng(11)
GRADS = [rng.standard_normal((3, 4)), rng.standard_normal(5)]


def with_gradients(grads=GRADS, dtype=np.float64):
    params = []
    for g in grads:
        p = cr.tensor(np.zeros_like(g), dtype=dtype, requires_grad=True)
        p.grad = cr.tensor(g, dtype=dtype)
        params.append(p)
    return params


def joint_norm(grads, order):
    flat = np.concatenate([g.ravel() for g in grads])
    return np.abs(flat).max() if order == np.inf else np.sum(np.abs(flat) ** order) ** (1 / order)


@pytest.mark.parametrize("order", [2.0, 1.0, 3.0, np.inf])
def test_clip_grad_norm_scales_to_the_maximum_and_returns_the_norm(order):
    params = with_gradients()
    total = optim.clip_grad_norm_(params, max_norm=0.5, norm_type=order)
    expected_norm = joint_norm(GRADS, order)
    assert total == pytest.approx(expected_norm, rel=1e-12)
    scale = 0.5 / (expected_norm + 1e-6)
    for p, g in zip(params, GRADS, strict=True):
        np.testing.assert_allclose(p.grad.numpy(), g * scale, rtol=1e-12)
    assert joint_norm([p.grad.numpy() for p in params], order) == pytest.approx(0.5, rel=1e-5)


def test_gradients_within_the_norm_are_unchanged():
    params = with_gradients()
    optim.clip_grad_norm_(params, max_norm=1e6)
    for p, g in zip(params, GRADS, strict=True):
        np.testing.assert_array_equal(p.grad.numpy(), g)


def test_parameters_without_gradients_are_skipped():
    params = with_gradients() + [cr.tensor([1.0], requires_grad=True)]
    total = optim.clip_grad_norm_(params, max_norm=0.5)
    assert total == pytest.approx(joint_norm(GRADS, 2), rel=1e-12)
    assert params[-1].grad is None
    assert optim.clip_grad_norm_([cr.tensor([1.0], requires_grad=True)], 1.0) == 0.0


def test_a_single_tensor_is_accepted():
    (p,) = with_gradients(GRADS[:1])
    optim.clip_grad_norm_(p, max_norm=0.1)
    assert np.linalg.norm(p.grad.numpy()) == pytest.approx(0.1, rel=1e-5)


def test_non_finite_norm_is_an_error_when_asked():
    params = with_gradients([np.array([np.inf, 1.0])])
    with pytest.raises(RuntimeError, match="error_if_nonfinite"):
        optim.clip_grad_norm_(params, max_norm=1.0, error_if_nonfinite=True)


def test_clipping_keeps_float32():
    params = with_gradients(dtype=np.float32)
    optim.clip_grad_norm_(params, max_norm=0.5)
    optim.clip_grad_value_(params, 0.01)
    assert all(p.grad.dtype == np.float32 for p in params)


def test_clip_grad_value_clamps_each_entry():
    params = with_gradients()
    optim.clip_grad_value_(params, clip_value=0.3)
    for p, g in zip(params, GRADS, strict=True):
        np.testing.assert_array_equal(p.grad.numpy(), np.clip(g, -0.3, 0.3))


def test_clip_value_must_be_non_negative():
    with pytest.raises(ValueError, match="non-negative"):
        optim.clip_grad_value_(with_gradients(), -1.0)


@pytest.mark.parametrize("order", [2.0, 1.0, np.inf])
def test_clip_grad_norm_matches_torch(order):
    torch = pytest.importorskip("torch")
    ours = with_gradients()
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in GRADS]
    for p, g in zip(theirs, GRADS, strict=True):
        p.grad = torch.tensor(g)
    total = optim.clip_grad_norm_(ours, 0.7, norm_type=order)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 0.7, norm_type=order)
    assert total == pytest.approx(expected.item(), rel=1e-12)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)
