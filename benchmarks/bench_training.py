"""Training with chainrule.nn + chainrule.optim, against hand-written NumPy and torch.

1. One SGD step of Linear(784,512)-ReLU-Linear(512,512)-ReLU-Linear(512,10) with
   cross-entropy, batch 128, float32, written with nn modules and optim.SGD, against
   the same step with forward and backward written by hand in NumPy.
   Target: <= 1.10x hand-written NumPy.
2. One epoch of the digits CNN of examples/digits_cnn.py (AdamW, batch 32) against
   the same network in torch on the CPU with one thread, as a ratio (needs
   scikit-learn for the data; torch is optional).
"""

from __future__ import annotations

import os

import numpy as np
from common import best_time, optional, report

from chainrule import nn, optim
from chainrule.nn import functional as F

SIZES = (784, 512, 512, 10)
BATCH = 128
LR = 0.01
rng = np.random.default_rng(0)
X = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
Y = rng.integers(0, SIZES[-1], BATCH)


def chainrule_mlp() -> nn.Sequential:
    layers: list[nn.Module] = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:], strict=True):
        layers += [nn.Linear(n_in, n_out, dtype=np.float32, rng=rng), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def nn_step(model: nn.Module, optimizer: optim.Optimizer):
    def step():
        loss = F.cross_entropy(model(X), Y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return step


def hand_written_step(params: list[np.ndarray]) -> float:
    """Forward, backward and the SGD update in NumPy; weights are (out, in) as in nn.Linear."""
    w1, b1, w2, b2, w3, b3 = params
    z1 = X @ w1.T + b1
    h1 = np.maximum(z1, 0)
    z2 = h1 @ w2.T + b2
    h2 = np.maximum(z2, 0)
    z3 = h2 @ w3.T + b3
    shifted = z3 - z3.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(total[:, 0]) - shifted[np.arange(BATCH), Y])
    dz3 = exp / total
    dz3[np.arange(BATCH), Y] -= 1
    dz3 /= BATCH
    dw3, db3 = dz3.T @ h2, dz3.sum(axis=0)
    dz2 = (dz3 @ w3) * (z2 > 0)
    dw2, db2 = dz2.T @ h1, dz2.sum(axis=0)
    dz1 = (dz2 @ w2) * (z1 > 0)
    dw1, db1 = dz1.T @ X, dz1.sum(axis=0)
    for p, g in zip(params, (dw1, db1, dw2, db2, dw3, db3), strict=True):
        p -= LR * g
    return float(loss)


def torch_mlp_step(torch, model: nn.Module):
    layers = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:], strict=True):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers[:-1])
    net.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    x, y = torch.from_numpy(X), torch.from_numpy(Y)

    def step():
        loss = torch.nn.functional.cross_entropy(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return step


def check_same_step() -> None:
    """The nn + optim step and the hand-written one agree (loss and updated weights)."""
    model = chainrule_mlp()
    params = [p.numpy().copy() for p in model.parameters()]
    loss = nn_step(model, optim.SGD(model.parameters(), lr=LR))()
    assert np.isclose(loss.item(), hand_written_step(params), rtol=1e-5)
    for p, expected in zip(model.parameters(), params, strict=True):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p.numpy(), expected, rtol=1e-4, atol=1e-6)


def mlp_step_benchmark() -> dict[str, float]:
    check_same_step()
    model = chainrule_mlp()
    hand = [p.numpy().copy() for p in model.parameters()]
    rows = [("hand-written NumPy", best_time(lambda: hand_written_step(hand), repeat=25)),
            ("chainrule nn + optim", best_time(nn_step(model, optim.SGD(model.parameters(),
                                                                          lr=LR)), repeat=25))]
    torch = optional("torch")
    if torch is not None:
        torch.set_num_threads(1)
        rows.append(("torch CPU (1 thread)", best_time(torch_mlp_step(torch, model),
                                                       repeat=25)))
    return report("Training step: 784-512-512-10 MLP, cross-entropy, SGD, batch 128, float32",
                  rows, "hand-written NumPy")


# --- one epoch of the digits CNN ---------------------------------------------------------------

def chainrule_cnn(seed: int = 0) -> nn.Sequential:
    g = np.random.default_rng(seed)
    f32 = np.float32
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, dtype=f32, rng=g), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1, dtype=f32, rng=g), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 4 * 4, 10, dtype=f32, rng=g))


def torch_cnn(torch):
    tnn = torch.nn
    return tnn.Sequential(tnn.Conv2d(1, 16, 3, padding=1), tnn.ReLU(),
                          tnn.Conv2d(16, 32, 3, padding=1), tnn.ReLU(),
                          tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(32 * 4 * 4, 10))


def cnn_epoch_benchmark() -> dict[str, float] | None:
    if optional("sklearn") is None:
        print("\nDigits CNN epoch: skipped (scikit-learn is not installed)")
        return None
    from chainrule.data import Batches, load_digits

    digits = load_digits(images=True)
    batches = Batches(digits.x_train, digits.y_train, batch_size=32, shuffle=True, seed=0)
    model = chainrule_cnn()
    optimizer = optim.AdamW(model.parameters(), lr=3e-3)

    def chainrule_epoch():
        model.train()
        for xb, yb in batches:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    rows = [("chainrule", best_time(chainrule_epoch, repeat=5))]
    threadpoolctl = optional("threadpoolctl")  # comes with scikit-learn
    if threadpoolctl is not None:
        with threadpoolctl.threadpool_limits(1, user_api="blas"):
            rows.append(("chainrule (1 BLAS thread)", best_time(chainrule_epoch, repeat=5)))
    torch = optional("torch")
    if torch is not None:
        torch.set_num_threads(1)
        net = torch_cnn(torch)
        torch_optimizer = torch.optim.AdamW(net.parameters(), lr=3e-3)
        torch_batches = [(torch.from_numpy(xb), torch.from_numpy(yb)) for xb, yb in batches]

        def torch_epoch():
            for xb, yb in torch_batches:
                loss = torch.nn.functional.cross_entropy(net(xb), yb)
                torch_optimizer.zero_grad()
                loss.backward()
                torch_optimizer.step()

        rows.append(("torch CPU (1 thread)", best_time(torch_epoch, repeat=5)))
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    return report(f"Digits CNN, one epoch ({len(batches)} steps of 32, AdamW, float32; "
                  f"NumPy BLAS threads for 'chainrule': {threads})", rows,
                  "torch CPU (1 thread)" if torch is not None else "chainrule")


def main() -> dict[str, float]:
    ratios = mlp_step_benchmark()
    ratios.update({f"cnn {k}": v for k, v in (cnn_epoch_benchmark() or {}).items()})
    return ratios


if __name__ == "__main__":
    main()
