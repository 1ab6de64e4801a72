"""Train a small convolutional network on scikit-learn's 8x8 handwritten digits.

Two 3x3 convolutions (16 and 32 channels, zero-padded), ReLU, 2x2 max pooling
and a linear classifier, in float32, trained with AdamW, a cosine learning-rate
schedule and label-smoothed cross-entropy. Exits with status 1 if the test
accuracy is below 98 %.

Needs scikit-learn for the data: pip install "chainrule[data]".
Run: python examples/digits_cnn.py
"""

from __future__ import annotations

import sys

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import Batches, load_digits
from chainrule.nn import functional as F
from chainrule.training import fit

TARGET_ACCURACY = 0.98
EPOCHS = 25


def build_model(seed: int = 0) -> nn.Module:
    """(N, 1, 8, 8) images to (N, 10) logits."""
    rng = np.random.default_rng(seed)
    f32 = np.float32
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, dtype=f32, rng=rng), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1, dtype=f32, rng=rng), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 10, dtype=f32, rng=rng),
    )


def loss_fn(logits, labels):
    return F.cross_entropy(logits, labels, label_smoothing=0.1)


def accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    model.eval()
    with cr.no_grad():
        predictions = model(images).numpy().argmax(axis=1)
    return float(np.mean(predictions == labels))


def main() -> None:
    digits = load_digits(images=True)
    print(f"digits: {len(digits.x_train)} training and {len(digits.x_test)} test images "
          f"of shape {digits.x_train.shape[1:]}")
    model = build_model()
    print(model)
    optimizer = optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
    scheduler = optim.CosineAnnealingLR(optimizer, T_max=EPOCHS)
    batches = Batches(digits.x_train, digits.y_train, batch_size=32, shuffle=True, seed=0)
    # threadpoolctl comes with scikit-learn. The matrices here are small, so one BLAS
    # thread is faster, and BLAS threads competing with other processes for a
    # two-core machine can make training twenty times slower.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        history = fit(model, loss_fn, optimizer, batches, EPOCHS, scheduler=scheduler)
    test_accuracy = accuracy(model, digits.x_test, digits.y_test)
    print(f"final training loss {history.epoch_losses[-1]:.4f}, "
          f"test accuracy {test_accuracy:.2%} (target {TARGET_ACCURACY:.0%})")
    if test_accuracy < TARGET_ACCURACY:
        sys.exit(1)


if __name__ == "__main__":
    main()
