"""A deep chain: 100,000 operations (x*c, x+0.0) on a 1-element array, then backward.

Time and extra memory against the hand-written NumPy loop. Targets: <= 4x the
time and <= 100 MiB of extra memory.
"""

from __future__ import annotations

import sys

import numpy as np
from common import best_time, optional, peak_traced_memory, report

import chainrule as cr

PAIRS = 50_000
C = 1.00001
X0 = np.array([0.5])


def hand_written():
    x = X0
    for _ in range(PAIRS):
        x = x * C
        x = x + 0.0
    g = np.ones_like(x)
    for _ in range(PAIRS):
        g = g * C
    return g


def chainrule_chain():
    x = cr.tensor(X0, requires_grad=True)
    t = x
    for _ in range(PAIRS):
        t = t * C
        t = t + 0.0
    t.backward(np.ones(1))
    return x.grad


def torch_chain(torch):
    def run():
        x = torch.tensor(X0, requires_grad=True)
        t = x
        for _ in range(PAIRS):
            t = t * C
            t = t + 0.0
        t.backward(torch.ones(1, dtype=torch.float64))
        return x.grad

    return run


def autograd_chain(autograd):
    def f(x):
        for _ in range(PAIRS):
            x = x * C
            x = x + 0.0
        return x[0]

    g = autograd.grad(f)
    return lambda: g(X0)


def main() -> dict[str, float]:
    assert np.allclose(chainrule_chain().numpy(), hand_written())
    rows = [("hand-written NumPy", best_time(hand_written, repeat=3)),
            ("chainrule", best_time(chainrule_chain, repeat=3))]
    memory = [("hand-written NumPy", peak_traced_memory(hand_written)),
              ("chainrule", peak_traced_memory(chainrule_chain))]
    autograd = optional("autograd")
    if autograd is not None:
        run = autograd_chain(autograd)
        if sys.getrecursionlimit() < 10**6:
            sys.setrecursionlimit(10**6)  # autograd's backward walk is recursive in places
        rows.append(("HIPS autograd", best_time(run, repeat=3)))
        memory.append(("HIPS autograd", peak_traced_memory(run)))
    torch = optional("torch")
    if torch is not None:
        torch.set_num_threads(1)
        rows.append(("torch CPU", best_time(torch_chain(torch), repeat=3)))
    ratios = report("deep chain: 100,000 ops on a 1-element array + backward", rows,
                    "hand-written NumPy")
    print("\n  peak memory (tracemalloc; torch's own allocator is not seen by it)")
    for name, peak in memory:
        print(f"  {name:<28}{peak / 2**20:>10.1f} MiB")
    return ratios


if __name__ == "__main__":
    main()
