"""Per-example gradients of a small MLP: ``cr.vmap(cr.grad(loss))`` on a batch of 256.

A 32-64-10 tanh network, squared error per example, float64. Compared with a Python
loop of ``cr.grad`` over the examples (what vmap replaces), with ``cr.jit`` around
vmap, with the hand-written batched NumPy gradient (the floor), and with
``torch.func.vmap(torch.func.grad(...))`` when PyTorch is installed.
"""

from __future__ import annotations

import numpy as np
from common import best_time, optional, report, torch_single_thread

import chainrule as cr

BATCH, SIZES = 256, (32, 64, 10)
rng = np.random.default_rng(0)
PARAMS = [(rng.standard_normal((n_out, n_in)) / np.sqrt(n_in), np.zeros(n_out))
          for n_in, n_out in zip(SIZES, SIZES[1:])]
XS = rng.standard_normal((BATCH, SIZES[0]))
YS = rng.standard_normal((BATCH, SIZES[-1]))


def loss(params, x, y):
    (w1, b1), (w2, b2) = params
    hidden = np.tanh(w1 @ x + b1)
    return np.sum((w2 @ hidden + b2 - y) ** 2)


def by_hand(params, xs, ys):
    """The per-example gradients written out with batched NumPy."""
    (w1, b1), (w2, b2) = params
    hidden = np.tanh(xs @ w1.T + b1)
    g_out = 2 * (hidden @ w2.T + b2 - ys)
    g_hidden = (g_out @ w2) * (1 - hidden ** 2)
    return [(g_hidden[:, :, None] @ xs[:, None, :], g_hidden),
            (g_out[:, :, None] @ hidden[:, None, :], g_out)]


per_example = cr.vmap(cr.grad(loss), in_axes=(None, 0, 0))
compiled = cr.jit(per_example)


def loop():
    gradient = cr.grad(loss)
    return [gradient(PARAMS, x, y) for x, y in zip(XS, YS)]


def check() -> None:
    expected = by_hand(PARAMS, XS, YS)
    for got in (per_example(PARAMS, XS, YS), compiled(PARAMS, XS, YS)):
        for layer in range(2):
            for part in range(2):
                assert np.allclose(got[layer][part], expected[layer][part])


def main() -> None:
    check()
    rows = [("numpy, written by hand", best_time(lambda: by_hand(PARAMS, XS, YS))),
            ("cr.vmap(cr.grad(loss))", best_time(lambda: per_example(PARAMS, XS, YS))),
            ("cr.jit(cr.vmap(cr.grad(loss)))", best_time(lambda: compiled(PARAMS, XS, YS))),
            ("loop of cr.grad(loss)", best_time(loop, repeat=3))]
    torch = optional("torch")
    if torch is not None:
        torch_single_thread(torch)
        from torch.func import grad, vmap

        params = [(torch.tensor(w), torch.tensor(b)) for w, b in PARAMS]
        xs, ys = torch.tensor(XS), torch.tensor(YS)

        def torch_loss(params, x, y):
            (w1, b1), (w2, b2) = params
            return torch.sum((w2 @ torch.tanh(w1 @ x + b1) + b2 - y) ** 2)

        torch_per_example = vmap(grad(torch_loss), in_dims=(None, 0, 0))
        rows.append(("torch.func.vmap(grad(loss))",
                     best_time(lambda: torch_per_example(params, xs, ys))))
    report(f"Per-example gradients, MLP {SIZES}, batch {BATCH}", rows,
           "numpy, written by hand")


if __name__ == "__main__":
    main()
