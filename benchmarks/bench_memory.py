"""Peak memory of forward + backward of a deep MLP, and what checkpointing saves.

Peaks are measured with tracemalloc (it sees NumPy's allocations), against the
same network with its backward written by hand. Target: chainrule <= 1.2x.
"""

from __future__ import annotations

import numpy as np
from common import optional, peak_traced_memory

import chainrule as cr

DEPTH, WIDTH, BATCH = 12, 256, 4096
rng = np.random.default_rng(0)
X = rng.standard_normal((BATCH, WIDTH))
WEIGHTS = [rng.standard_normal((WIDTH, WIDTH)) / np.sqrt(WIDTH) for _ in range(DEPTH)]
BIASES = [np.zeros(WIDTH) for _ in range(DEPTH)]


def hand_written():
    activations = [X]
    h = X
    for w, b in zip(WEIGHTS, BIASES):
        h = np.tanh(h @ w + b)
        activations.append(h)
    g = np.ones_like(h) / h.size
    grads = []
    for w, h_in, h_out in zip(reversed(WEIGHTS), reversed(activations[:-1]),
                              reversed(activations[1:])):
        g = g * (1 - h_out ** 2)
        grads.append((h_in.T @ g, g.sum(axis=0)))
        g = g @ w.T
    return grads


def _network(ws, bs):
    h = X
    for w, b in zip(ws, bs):
        h = np.tanh(h @ w + b)
    return h


def chainrule_version():
    ws = [cr.tensor(w, requires_grad=True) for w in WEIGHTS]
    bs = [cr.tensor(b, requires_grad=True) for b in BIASES]
    np.mean(_network(ws, bs)).backward()
    return ws[0].grad


def chainrule_checkpointed():
    ws = [cr.tensor(w, requires_grad=True) for w in WEIGHTS]
    bs = [cr.tensor(b, requires_grad=True) for b in BIASES]
    h = cr.tensor(X)
    for block in range(0, DEPTH, 4):
        h = cr.checkpoint(lambda h, *p: _block(h, p), h, *ws[block:block + 4],
                          *bs[block:block + 4])
    np.mean(h).backward()
    return ws[0].grad


def _block(h, params):
    ws, bs = params[:len(params) // 2], params[len(params) // 2:]
    for w, b in zip(ws, bs):
        h = np.tanh(h @ w + b)
    return h


def autograd_version(autograd):
    anp = autograd.numpy

    def loss(ws, bs):
        h = X
        for w, b in zip(ws, bs):
            h = anp.tanh(anp.dot(h, w) + b)
        return anp.mean(h)

    g = autograd.grad(loss)
    return lambda: g(WEIGHTS, BIASES)


def main() -> None:
    base = peak_traced_memory(hand_written)
    rows = [("hand-written NumPy", base), ("chainrule", peak_traced_memory(chainrule_version))]
    autograd = optional("autograd")
    if autograd is not None:
        rows.append(("HIPS autograd", peak_traced_memory(autograd_version(autograd))))
    print(f"\nmemory: forward + backward of a {DEPTH}-layer tanh MLP, width {WIDTH}, "
          f"batch {BATCH}, float64")
    for name, peak in rows:
        print(f"  {name:<28}{peak / 2**20:>10.1f} MiB{peak / base:>9.2f}x")
    plain = rows[1][1]
    checkpointed = peak_traced_memory(chainrule_checkpointed)
    print(f"  {'chainrule + checkpoint':<28}{checkpointed / 2**20:>10.1f} MiB"
          f"{checkpointed / base:>9.2f}x  (blocks of 4 layers recomputed in backward)")
    assert np.allclose(chainrule_checkpointed().numpy(), chainrule_version().numpy())
    print(f"  checkpointing saves {(plain - checkpointed) / 2**20:.1f} MiB "
          f"({1 - checkpointed / plain:.0%})")


if __name__ == "__main__":
    main()
