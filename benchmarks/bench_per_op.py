"""Per-operation overhead: 1000 x (sin, *1.001, +0.1, tanh) on 16 float64, then backward.

Ratios are against the same computation with its backward written by hand in
NumPy. Target: chainrule <= 1.4x.
"""

from __future__ import annotations

import numpy as np
from common import best_time, optional, report

import chainrule as cr
import chainrule.numpy as cnp

REPS = 1000
X0 = np.random.default_rng(0).uniform(-1, 1, 16)


def hand_written():
    t = X0
    saved = []
    for _ in range(REPS):
        before_sin = t
        t = np.sin(t)
        t = t * 1.001
        t = t + 0.1
        t = np.tanh(t)
        saved.append((before_sin, t))
    g = np.ones_like(t)
    for before_sin, after_tanh in reversed(saved):
        g = g * (1.0 - after_tanh * after_tanh)
        g = g * 1.001
        g = g * np.cos(before_sin)
    return g


def chainrule_namespace():
    x = cr.tensor(X0, requires_grad=True)
    t = x
    for _ in range(REPS):
        t = cnp.sin(t)
        t = t * 1.001
        t = t + 0.1
        t = cnp.tanh(t)
    t.sum().backward()
    return x.grad


def chainrule_numpy_dispatch():
    x = cr.tensor(X0, requires_grad=True)
    t = x
    for _ in range(REPS):
        t = np.sin(t)
        t = t * 1.001
        t = t + 0.1
        t = np.tanh(t)
    np.sum(t).backward()
    return x.grad


def chainrule_grad():
    def f(x):
        t = x
        for _ in range(REPS):
            t = cnp.tanh(cnp.sin(t) * 1.001 + 0.1)
        return cnp.sum(t)

    return cr.grad(f)(X0)


def autograd_version(autograd):
    anp = autograd.numpy

    def f(x):
        t = x
        for _ in range(REPS):
            t = anp.tanh(anp.sin(t) * 1.001 + 0.1)
        return anp.sum(t)

    g = autograd.grad(f)
    return lambda: g(X0)


def torch_version(torch):
    x0 = torch.tensor(X0)

    def run():
        x = x0.clone().requires_grad_(True)
        t = x
        for _ in range(REPS):
            t = torch.tanh(torch.sin(t) * 1.001 + 0.1)
        t.sum().backward()
        return x.grad

    return run


def main() -> dict[str, float]:
    expected = hand_written()
    assert np.allclose(chainrule_namespace().numpy(), expected)
    assert np.allclose(chainrule_grad(), expected)
    rows = [("hand-written NumPy", best_time(hand_written)),
            ("chainrule (chainrule.numpy)", best_time(chainrule_namespace)),
            ("chainrule (np.* dispatch)", best_time(chainrule_numpy_dispatch)),
            ("chainrule cr.grad", best_time(chainrule_grad))]
    autograd = optional("autograd")
    if autograd is not None:
        rows.append(("HIPS autograd", best_time(autograd_version(autograd))))
    torch = optional("torch")
    if torch is not None:
        torch.set_num_threads(1)
        rows.append(("torch CPU", best_time(torch_version(torch))))
    return report("per-op: 4000 ops on 16 float64 + backward", rows, "hand-written NumPy")


if __name__ == "__main__":
    main()
