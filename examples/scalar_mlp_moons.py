"""Train a small MLP of scalar Values to separate two interleaving half moons.

The recipe of micrograd's demo: a 2-16-16-1 ReLU network, an SVM max-margin loss
with L2 regularisation, and plain gradient descent with a decaying learning rate.
The data is generated here with NumPy, so scikit-learn is not needed.

Run: python examples/scalar_mlp_moons.py
"""

import math

import numpy as np

from chainrule.teach import MLP

STEPS = 30
TARGET_ACCURACY = 0.95


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int = 0):
    """Two half circles, one shifted into the other's opening; labels -1 and +1."""
    rng = np.random.default_rng(seed)
    half = n_samples // 2
    angles = np.linspace(0.0, math.pi, half)
    upper = np.column_stack([np.cos(angles), np.sin(angles)])
    lower = np.column_stack([1.0 - np.cos(angles), 0.5 - np.sin(angles)])
    points = np.vstack([upper, lower]) + rng.normal(scale=noise, size=(2 * half, 2))
    labels = np.concatenate([-np.ones(half), np.ones(half)])
    return points.tolist(), labels.tolist()


def loss_and_accuracy(model: MLP, points, labels, alpha: float = 1e-4):
    scores = [model(point) for point in points]
    margins = [(1 - label * score).relu() for label, score in zip(labels, scores, strict=True)]
    data_loss = sum(margins) / len(margins)
    l2 = alpha * sum(p * p for p in model.parameters())
    predictions = [score.data > 0 for score in scores]
    correct = sum(p == (label > 0) for p, label in zip(predictions, labels, strict=True))
    return data_loss + l2, correct / len(labels)


def train(model: MLP, points, labels) -> float:
    accuracy = 0.0
    for step in range(STEPS):
        loss, accuracy = loss_and_accuracy(model, points, labels)
        model.zero_grad()
        loss.backward()
        learning_rate = 1.0 - 0.9 * step / STEPS
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        if step % 5 == 0 or step == STEPS - 1:
            print(f"step {step:3d}  loss {loss.data:.4f}  accuracy {accuracy:.0%}")
    return accuracy


def main() -> None:
    points, labels = make_moons()
    model = MLP(2, [16, 16, 1], rng=1)
    print(model)
    train(model, points, labels)
    _, accuracy = loss_and_accuracy(model, points, labels)
    print(f"final training accuracy {accuracy:.0%}")
    if accuracy < TARGET_ACCURACY:
        raise SystemExit(f"training accuracy {accuracy:.0%} is below {TARGET_ACCURACY:.0%}")


if __name__ == "__main__":
    main()
