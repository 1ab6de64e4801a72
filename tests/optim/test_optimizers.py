"""Optimizers (issue 7): ten steps of each against its update written out in NumPy,
and against torch.optim from the same starting values when torch is installed.

The problem is a small least-squares fit with a quartic penalty, so gradients
change from step to step and every piece of optimizer state matters. The
reference runs use the gradient in closed form; chainrule gets it from backward().
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

STEPS = 10
rng = np.random.default_rng(7)
X = rng.standard_normal((6, 3))
Y = rng.standard_normal((6, 2))
W0 = rng.standard_normal((3, 2))
B0 = rng.standard_normal(2)


def loss_of(w, b):
    """Works on Tensors (chainrule), torch tensors and arrays alike."""
    residual = X_of(w) @ w + b - Y_of(w)
    return (residual ** 2).sum() / len(X) + 0.1 * (w ** 4).sum()


def X_of(like):
    return _constant(X, like)


def Y_of(like):
    return _constant(Y, like)


def _constant(array, like):
    if type(like).__module__.startswith("torch"):
        import torch
        return torch.tensor(array, dtype=like.dtype)
    return array.astype(like.dtype)


def closed_form_grads(params):
    w, b = params
    residual = X @ w + b - Y
    return [2 * X.T @ residual / len(X) + 0.4 * w ** 3, 2 * residual.sum(axis=0) / len(X)]


# --- the updates, written out from torch.optim's documentation ---------------------------

def reference_sgd(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                  maximize=False):
    params, buffers = [W0.copy(), B0.copy()], [None, None]
    for _ in range(STEPS):
        for i, (p, g) in enumerate(zip(params, closed_form_grads(params), strict=True)):
            g = (-g if maximize else g) + weight_decay * p
            if momentum:
                buffers[i] = g if buffers[i] is None else (
                    momentum * buffers[i] + (1 - dampening) * g)
                g = g + momentum * buffers[i] if nesterov else buffers[i]
            params[i] = p - lr * g
    return params


def reference_adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                   maximize=False, decoupled_weight_decay=False):
    beta1, beta2 = betas
    params = [W0.copy(), B0.copy()]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    v_max = [np.zeros_like(p) for p in params]
    for t in range(1, STEPS + 1):
        for i, (p, g) in enumerate(zip(params, closed_form_grads(params), strict=True)):
            g = -g if maximize else g
            if decoupled_weight_decay:
                p = p * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * p
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g ** 2
            v_max[i] = np.maximum(v_max[i], v[i])
            m_hat = m[i] / (1 - beta1 ** t)
            v_hat = (v_max[i] if amsgrad else v[i]) / (1 - beta2 ** t)
            params[i] = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return params


def reference_adamw(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
    return reference_adam(lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)


def reference_rmsprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                      centered=False):
    params = [W0.copy(), B0.copy()]
    square_avg = [np.zeros_like(p) for p in params]
    grad_avg = [np.zeros_like(p) for p in params]
    buffers = [np.zeros_like(p) for p in params]
    for _ in range(STEPS):
        for i, (p, g) in enumerate(zip(params, closed_form_grads(params), strict=True)):
            g = g + weight_decay * p
            square_avg[i] = alpha * square_avg[i] + (1 - alpha) * g ** 2
            grad_avg[i] = alpha * grad_avg[i] + (1 - alpha) * g
            variance = square_avg[i] - grad_avg[i] ** 2 if centered else square_avg[i]
            direction = g / (np.sqrt(variance) + eps)
            if momentum > 0:
                buffers[i] = momentum * buffers[i] + direction
                direction = buffers[i]
            params[i] = p - lr * direction
    return params


def reference_adagrad(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                      eps=1e-10):
    params = [W0.copy(), B0.copy()]
    sums = [np.full_like(p, initial_accumulator_value) for p in params]
    for t in range(1, STEPS + 1):
        for i, (p, g) in enumerate(zip(params, closed_form_grads(params), strict=True)):
            g = g + weight_decay * p
            sums[i] = sums[i] + g ** 2
            params[i] = p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(sums[i]) + eps)
    return params


CASES = [
    ("SGD", reference_sgd, dict(lr=0.1)),
    ("SGD", reference_sgd, dict(lr=0.1, momentum=0.9)),
    ("SGD", reference_sgd, dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", reference_sgd, dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", reference_sgd, dict(lr=0.1, momentum=0.5, weight_decay=0.05)),
    ("SGD", reference_sgd, dict(lr=0.01, maximize=True)),
    ("Adam", reference_adam, dict(lr=0.1)),
    ("Adam", reference_adam, dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1)),
    # a short second-moment memory makes v fall, so the AMSGrad maximum matters
    ("Adam", reference_adam, dict(lr=0.1, betas=(0.9, 0.5), amsgrad=True)),
    ("Adam", reference_adam, dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", reference_adam, dict(lr=0.01, maximize=True)),
    ("AdamW", reference_adamw, dict(lr=0.1)),
    ("AdamW", reference_adamw, dict(lr=0.1, betas=(0.9, 0.5), weight_decay=0.2, amsgrad=True)),
    ("RMSprop", reference_rmsprop, dict(lr=0.01)),
    ("RMSprop", reference_rmsprop, dict(lr=0.01, alpha=0.9, centered=True)),
    ("RMSprop", reference_rmsprop, dict(lr=0.01, momentum=0.9)),
    ("RMSprop", reference_rmsprop, dict(lr=0.01, centered=True, momentum=0.5,
                                        weight_decay=0.1)),
    ("Adagrad", reference_adagrad, dict(lr=0.1)),
    ("Adagrad", reference_adagrad, dict(lr=0.1, lr_decay=0.1, weight_decay=0.05,
                                        initial_accumulator_value=0.5, eps=1e-6)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, _, kw in CASES]


def run_chainrule(name, kwargs, dtype=np.float64, steps=STEPS):
    params = [cr.tensor(W0, dtype=dtype, requires_grad=True),
              cr.tensor(B0, dtype=dtype, requires_grad=True)]
    optimizer = getattr(optim, name)(params, **kwargs)
    for _ in range(steps):
        optimizer.zero_grad()
        loss_of(*params).backward()
        optimizer.step()
    return [p.numpy() for p in params], optimizer


def run_torch(torch, name, kwargs, dtype):
    params = [torch.tensor(W0, dtype=dtype, requires_grad=True),
              torch.tensor(B0, dtype=dtype, requires_grad=True)]
    optimizer = getattr(torch.optim, name)(params, **kwargs)
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss_of(*params).backward()
        optimizer.step()
    return [p.detach().numpy() for p in params]


def assert_all_close(actual, expected, tol):
    for a, e in zip(actual, expected, strict=True):
        np.testing.assert_allclose(a, e, rtol=tol, atol=tol)


@pytest.mark.parametrize("name, reference, kwargs", CASES, ids=IDS)
def test_ten_steps_match_the_update_written_out_in_numpy(name, reference, kwargs):
    got, _ = run_chainrule(name, kwargs)
    assert_all_close(got, reference(**kwargs), 1e-10)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, reference, kwargs", CASES, ids=IDS)
def test_ten_steps_match_torch_optim(name, reference, kwargs, dtype):
    torch = pytest.importorskip("torch")
    got, _ = run_chainrule(name, kwargs, dtype=np.dtype(dtype))
    expected = run_torch(torch, name, kwargs, getattr(torch, dtype))
    assert_all_close(got, expected, 1e-6)


@pytest.mark.parametrize("name, _, kwargs", CASES, ids=IDS)
def test_float32_parameters_and_state_stay_float32(name, _, kwargs):
    kwargs = {**kwargs, "lr": np.float64(kwargs["lr"])}  # a NumPy scalar must not widen them
    params, optimizer = run_chainrule(name, kwargs, dtype=np.float32, steps=2)
    assert all(p.dtype == np.float32 for p in params)
    for entry in optimizer.state.values():
        assert all(v.dtype == np.float32 for v in entry.values() if isinstance(v, np.ndarray))


# --- parameter groups ----------------------------------------------------------------------

def test_each_parameter_group_uses_its_own_hyperparameters():
    w = cr.tensor(W0, requires_grad=True)
    b = cr.tensor(B0, requires_grad=True)
    optimizer = optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
    loss_of(w, b).backward()
    optimizer.step()
    g_w, g_b = closed_form_grads([W0, B0])
    assert_all_close([w.numpy(), b.numpy()], [W0 - 0.1 * g_w, B0 - 0.5 * g_b], 1e-12)
    assert [g["lr"] for g in optimizer.param_groups] == [0.1, 0.5]


def test_parameter_groups_match_torch_over_ten_steps():
    torch = pytest.importorskip("torch")

    def run(lib, make, opt_class):
        w, b = make(W0), make(B0)
        optimizer = opt_class([{"params": [w], "betas": (0.5, 0.9)}, {"params": [b]}],
                              lr=0.05, weight_decay=0.1)
        for _ in range(STEPS):
            optimizer.zero_grad()
            loss_of(w, b).backward()
            optimizer.step()
        return [np.asarray(w.detach().numpy()), np.asarray(b.detach().numpy())]

    ours = run(cr, lambda a: cr.tensor(a, requires_grad=True), optim.Adam)
    theirs = run(torch, lambda a: torch.tensor(a, requires_grad=True), torch.optim.Adam)
    assert_all_close(ours, theirs, 1e-6)


def test_add_param_group_fills_in_the_defaults():
    w = cr.tensor(W0, requires_grad=True)
    b = cr.tensor(B0, requires_grad=True)
    optimizer = optim.SGD([w], lr=0.1, momentum=0.9)
    optimizer.add_param_group({"params": b, "lr": 0.01})
    assert optimizer.param_groups[1]["momentum"] == 0.9
    assert optimizer.param_groups[1]["lr"] == 0.01
    assert optimizer.param_groups[1]["params"][0] is b


def test_a_parameter_in_two_groups_is_an_error():
    w = cr.tensor(W0, requires_grad=True)
    optimizer = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optimizer.add_param_group({"params": [w]})


def test_named_parameters_are_accepted():
    w = cr.tensor(W0, requires_grad=True)
    optimizer = optim.SGD([("weight", w)], lr=0.1)
    assert optimizer.param_groups[0]["params"][0] is w


@pytest.mark.parametrize("params, error, message", [
    ([], ValueError, "empty parameter list"),
    (cr.tensor([1.0], requires_grad=True), TypeError, "wrap it in a list"),
    ([np.ones(2)], TypeError, "take Tensors"),
    ([cr.tensor([1, 2])], TypeError, "floating point"),
])
def test_bad_parameters_are_rejected(params, error, message):
    with pytest.raises(error, match=message):
        optim.SGD(params, lr=0.1)


def test_a_non_leaf_tensor_cannot_be_optimized():
    w = cr.tensor(W0, requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)


@pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=-1.0),
    lambda p: optim.SGD(p, lr=0.1, nesterov=True),
    lambda p: optim.Adam(p, betas=(0.9, 1.0)),
    lambda p: optim.RMSprop(p, alpha=-0.1),
    lambda p: optim.Adagrad(p, lr_decay=-1.0),
])
def test_invalid_hyperparameters_are_rejected(make):
    with pytest.raises(ValueError):
        make([cr.tensor(W0, requires_grad=True)])


# --- the training-loop API -------------------------------------------------------------------

def test_zero_grad_forgets_gradients():
    w = cr.tensor(W0, requires_grad=True)
    optimizer = optim.SGD([w], lr=0.1)
    (w ** 2).sum().backward()
    optimizer.zero_grad()
    assert w.grad is None


def test_zero_grad_without_set_to_none_keeps_zeros():
    w = cr.tensor(W0, requires_grad=True)
    optimizer = optim.SGD([w], lr=0.1)
    (w ** 2).sum().backward()
    optimizer.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros_like(W0))


def test_parameters_without_a_gradient_are_left_alone():
    w = cr.tensor(W0, requires_grad=True)
    b = cr.tensor(B0, requires_grad=True)
    optimizer = optim.Adam([w, b], lr=0.1)
    (w ** 2).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(b.numpy(), B0)
    assert b not in optimizer.state and w in optimizer.state


def test_step_with_a_closure_returns_its_loss_and_records_even_under_no_grad():
    w = cr.tensor(W0, requires_grad=True)
    b = cr.tensor(B0, requires_grad=True)
    optimizer = optim.SGD([w, b], lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = loss_of(w, b)
        loss.backward()
        return loss

    with cr.no_grad():
        loss = optimizer.step(closure)
    assert math.isclose(loss.item(), float(loss_of(W0, B0)), rel_tol=1e-12)
    g_w, _ = closed_form_grads([W0, B0])
    np.testing.assert_allclose(w.numpy(), W0 - 0.1 * g_w, rtol=1e-12)


def test_a_graph_recorded_before_step_still_uses_the_old_values():
    w = cr.tensor([3.0], requires_grad=True)
    optimizer = optim.SGD([w], lr=0.5)
    (w ** 2).sum().backward()
    square = (w ** 2).sum()  # recorded at w = 3
    optimizer.step()
    optimizer.zero_grad()
    square.backward()
    np.testing.assert_allclose(w.grad.numpy(), [6.0])
    np.testing.assert_allclose(w.numpy(), [0.0])


def test_repr_lists_each_group():
    optimizer = optim.SGD([cr.tensor(W0, requires_grad=True)], lr=0.1, momentum=0.9)
    text = repr(optimizer)
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "momentum: 0.9" in text


# --- state_dict ------------------------------------------------------------------------------

@pytest.mark.parametrize("name, _, kwargs", CASES, ids=IDS)
def test_state_dict_round_trip_continues_identically(name, _, kwargs):
    straight, _ = run_chainrule(name, kwargs)
    first_half, optimizer = run_chainrule(name, kwargs, steps=STEPS // 2)
    saved = optimizer.state_dict()
    params = [cr.tensor(p, requires_grad=True) for p in first_half]
    resumed = getattr(optim, name)(params, lr=123.0)  # every hyperparameter comes from `saved`
    resumed.load_state_dict(saved)
    for _ in range(STEPS - STEPS // 2):
        resumed.zero_grad()
        loss_of(*params).backward()
        resumed.step()
    for a, b in zip([p.numpy() for p in params], straight, strict=True):
        np.testing.assert_array_equal(a, b)


def test_state_dict_names_parameters_by_position_and_copies_arrays():
    _, optimizer = run_chainrule("Adam", dict(lr=0.1), steps=2)
    saved = optimizer.state_dict()
    assert sorted(saved["state"]) == [0, 1]
    assert saved["param_groups"][0]["params"] == [0, 1]
    assert saved["state"][0]["step"] == 2
    before = saved["state"][0]["exp_avg"].copy()
    for p in optimizer.param_groups[0]["params"]:
        p.grad = cr.tensor(np.ones(p.shape))
    optimizer.step()
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], before)


def fresh_adam():
    params = [cr.tensor(W0, requires_grad=True), cr.tensor(B0, requires_grad=True)]
    return optim.Adam(params, lr=0.1)


@pytest.mark.parametrize("corrupt, error, message", [
    (lambda s: s.pop("state"), KeyError, "'state'"),
    (lambda s: s["param_groups"].append(dict(s["param_groups"][0])), ValueError, "2 parameter"),
    (lambda s: s["param_groups"][0]["params"].pop(), ValueError, "1 parameters"),
    (lambda s: s["state"][1].pop("exp_avg_sq"), KeyError, "'exp_avg_sq'"),
    (lambda s: s["state"][0].update(velocity=np.zeros(3)), KeyError, "'velocity'"),
    (lambda s: s["state"][0].update(exp_avg=np.zeros(3)), ValueError, r"'exp_avg'.*\(3,\)"),
    (lambda s: s["state"].update({5: {}}), KeyError, "5"),
])
def test_loading_a_state_dict_that_does_not_fit_names_the_entry(corrupt, error, message):
    _, trained = run_chainrule("Adam", dict(lr=0.1), steps=1)
    saved = trained.state_dict()
    corrupt(saved)
    with pytest.raises(error, match=message):
        fresh_adam().load_state_dict(saved)


def test_loaded_state_takes_the_parameter_dtype():
    _, trained = run_chainrule("Adam", dict(lr=0.1), steps=1)
    params = [cr.tensor(W0, dtype=np.float32, requires_grad=True),
              cr.tensor(B0, dtype=np.float32, requires_grad=True)]
    optimizer = optim.Adam(params)
    optimizer.load_state_dict(trained.state_dict())
    assert optimizer.state[params[0]]["exp_avg"].dtype == np.float32


# --- gradients the engine did not make ------------------------------------------------------

def test_a_gradient_of_another_dtype_does_not_change_the_parameter_dtype():
    w = cr.tensor(W0, dtype=np.float32, requires_grad=True)
    optimizer = optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = cr.tensor(np.ones_like(W0))  # float64
    optimizer.step()
    assert w.dtype == np.float32 and optimizer.state[w]["momentum_buffer"].dtype == np.float32


def test_a_gradient_of_the_wrong_shape_is_an_error():
    w = cr.tensor(W0, requires_grad=True)
    optimizer = optim.SGD([w], lr=0.1)
    w.grad = cr.tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"shape \(3, 2\) has a .grad of shape \(3,\)"):
        optimizer.step()


COMPLEX_START = [W0 + 1j * W0[::-1], B0 - 0.5j]


def complex_gradients(params):
    """A made-up gradient field that changes with the parameters."""
    return [p * (0.7 - 0.4j) + np.sin(p.real) for p in params]


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
    ("Adam", dict(lr=0.1, amsgrad=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.1)),
])
def test_complex_parameters_update_real_and_imaginary_parts_as_torch_does(name, kwargs):
    torch = pytest.importorskip("torch")
    ours = [cr.tensor(p, requires_grad=True) for p in COMPLEX_START]
    theirs = [torch.tensor(p, requires_grad=True) for p in COMPLEX_START]
    our_optimizer = getattr(optim, name)(ours, **kwargs)
    their_optimizer = getattr(torch.optim, name)(theirs, **kwargs)
    for _ in range(STEPS):
        for p, g in zip(ours, complex_gradients([p.numpy() for p in ours]), strict=True):
            p.grad = cr.tensor(g)
        for p, g in zip(theirs, complex_gradients([p.detach().numpy() for p in theirs]),
                        strict=True):
            p.grad = torch.from_numpy(g)
        our_optimizer.step()
        their_optimizer.step()
    assert_all_close([p.numpy() for p in ours], [p.detach().numpy() for p in theirs], 1e-6)
    assert ours[0].dtype == np.complex128 and ours[0].shape == (3, 2)


def test_complex_optimizer_state_round_trips():
    params = [cr.tensor(p, requires_grad=True) for p in COMPLEX_START]
    optimizer = optim.Adam(params, lr=0.1)
    for p, g in zip(params, complex_gradients(COMPLEX_START), strict=True):
        p.grad = cr.tensor(g)
    optimizer.step()
    fresh = optim.Adam([cr.tensor(p, requires_grad=True) for p in COMPLEX_START])
    fresh.load_state_dict(optimizer.state_dict())
    assert fresh.state_dict()["state"][0]["exp_avg"].shape == (12,)
