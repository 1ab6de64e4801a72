"""Plot the training curve of the digits MLP and save it as a PNG.

Trains the model of ``digits_mlp.py`` and draws the loss of every step, the mean
loss of every epoch and the test accuracy after every epoch. Needs matplotlib
(pip install "chainrule[plot]"); without it, says so and stops after training.
Exits with status 1 if the loss did not fall or the image was not written.

Run: python examples/training_curve.py [output.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from digits_mlp import train

from chainrule.data import load_digits
from chainrule.training import History


def plot(history: History, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only: no window, works without a display
    import matplotlib.pyplot as plt

    steps_per_epoch = len(history.step_losses) / len(history.epoch_losses)
    epochs = np.arange(1, len(history.epoch_losses) + 1)
    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4))
    loss_axes.plot(np.arange(1, len(history.step_losses) + 1) / steps_per_epoch,
                   history.step_losses, alpha=0.3, label="each step")
    loss_axes.plot(epochs - 0.5, history.epoch_losses, marker="o", label="epoch mean")
    loss_axes.set(xlabel="epoch", ylabel="cross-entropy (label smoothing 0.1)",
                  title="training loss", yscale="log")
    loss_axes.legend()
    accuracy_axes.plot(epochs, [m["test_acc"] for m in history.metrics], marker="o")
    accuracy_axes.set(xlabel="epoch", ylabel="accuracy", title="test accuracy")
    accuracy_axes.grid(alpha=0.3)
    figure.suptitle("chainrule: 64-256-10 MLP on scikit-learn digits")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "training_curve.png")
    _, history = train(load_digits(), progress=False)
    losses = history.epoch_losses
    print(f"loss {losses[0]:.4f} after the first epoch, {losses[-1]:.4f} after the last; "
          f"test accuracy {history.metrics[-1]['test_acc']:.2%}")
    if not losses[-1] < losses[0]:
        sys.exit(1)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print('matplotlib is not installed, so no plot: pip install "chainrule[plot]"')
        return
    plot(history, path)
    print(f"training curve saved to {path}")
    if not path.is_file() or path.stat().st_size == 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
