"""One SGD step of a 784-512-512-10 ReLU MLP with softmax cross-entropy, batch 128, float32.

Ratios against the same step written by hand in NumPy. Target: chainrule <= 1.05x.
"""

from __future__ import annotations

import numpy as np
from common import best_time, optional, report

import chainrule as cr

SIZES = (784, 512, 512, 10)
BATCH = 128
LR = 0.01
rng = np.random.default_rng(0)
X = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
Y = rng.integers(0, SIZES[-1], BATCH)


def initial_params():
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        w = (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(np.float32)
        params += [w, np.zeros(n_out, np.float32)]
    return params


PARAMS = initial_params()


def hand_written_step(params):
    w1, b1, w2, b2, w3, b3 = params
    z1 = X @ w1 + b1
    h1 = np.maximum(z1, 0)
    z2 = h1 @ w2 + b2
    h2 = np.maximum(z2, 0)
    z3 = h2 @ w3 + b3
    shifted = z3 - z3.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(total[:, 0]) - shifted[np.arange(BATCH), Y])
    dz3 = exp / total
    dz3[np.arange(BATCH), Y] -= 1
    dz3 /= BATCH
    dw3, db3 = h2.T @ dz3, dz3.sum(axis=0)
    dz2 = (dz3 @ w3.T) * (z2 > 0)
    dw2, db2 = h1.T @ dz2, dz2.sum(axis=0)
    dz1 = (dz2 @ w2.T) * (z1 > 0)
    dw1, db1 = X.T @ dz1, dz1.sum(axis=0)
    for p, g in zip(params, (dw1, db1, dw2, db2, dw3, db3)):
        p -= LR * g
    return loss


def chainrule_step(params):
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.maximum(X @ w1 + b1, 0)
    h2 = np.maximum(h1 @ w2 + b2, 0)
    z3 = h2 @ w3 + b3
    shifted = z3 - z3.max(axis=1, keepdims=True).detach()
    log_total = np.log(np.sum(np.exp(shifted), axis=1))
    loss = np.mean(log_total - shifted[np.arange(BATCH), Y])
    for p in params:
        p.grad = None
    loss.backward()
    with cr.no_grad():
        for p in params:
            p -= LR * p.grad
    return loss


def torch_step(torch, params):
    x, y = torch.from_numpy(X), torch.from_numpy(Y)
    f = torch.nn.functional

    def step():
        w1, b1, w2, b2, w3, b3 = params
        h1 = torch.relu(x @ w1 + b1)
        h2 = torch.relu(h1 @ w2 + b2)
        loss = f.cross_entropy(h2 @ w3 + b3, y)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        return loss

    return step


def autograd_step(autograd, params):
    anp = autograd.numpy

    def loss_fn(params):
        w1, b1, w2, b2, w3, b3 = params
        h1 = anp.maximum(anp.dot(X, w1) + b1, 0)
        h2 = anp.maximum(anp.dot(h1, w2) + b2, 0)
        z3 = anp.dot(h2, w3) + b3
        m = anp.max(z3, axis=1, keepdims=True)
        log_total = anp.log(anp.sum(anp.exp(z3 - m), axis=1)) + m[:, 0]
        return anp.mean(log_total - z3[np.arange(BATCH), Y])

    grad = autograd.grad(loss_fn)

    def step():
        for p, g in zip(params, grad(params)):
            p -= LR * g

    return step


def main() -> dict[str, float]:
    hand = [p.copy() for p in PARAMS]
    ours = [cr.tensor(p, requires_grad=True) for p in PARAMS]
    expected = hand_written_step([p.copy() for p in PARAMS])
    got = chainrule_step([cr.tensor(p, requires_grad=True) for p in PARAMS])
    assert np.isclose(got.item(), expected, rtol=1e-4), (got.item(), expected)
    assert ours[0].dtype == np.float32
    rows = [("hand-written NumPy", best_time(lambda: hand_written_step(hand), repeat=15)),
            ("chainrule", best_time(lambda: chainrule_step(ours), repeat=15))]
    autograd = optional("autograd")
    if autograd is not None:
        rows.append(("HIPS autograd", best_time(autograd_step(autograd, [p.copy() for p in
                                                                         PARAMS]), repeat=15)))
    torch = optional("torch")
    if torch is not None:
        torch.set_num_threads(1)
        tparams = [torch.tensor(p, requires_grad=True) for p in PARAMS]
        rows.append(("torch CPU (1 thread)", best_time(torch_step(torch, tparams), repeat=15)))
    return report("MLP step: 784-512-512-10, batch 128, float32", rows, "hand-written NumPy")


if __name__ == "__main__":
    main()
