"""Mini-batches over arrays, a seeded train/test split, and the scikit-learn digits.

>>> import numpy as np
>>> import chainrule as cr
>>> x, y = np.arange(10.0).reshape(5, 2), np.arange(5)
>>> batches = cr.data.Batches(x, y, batch_size=2, shuffle=True, seed=0)
>>> [yb for xb, yb in batches]     # a new order every epoch, the same for the same seed
[array([2, 4]), array([3, 0]), array([1])]
>>> [yb for xb, yb in batches]
[array([4, 1]), array([2, 0]), array([3])]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np


class Batches:
    """Mini-batches of one or several arrays sliced along their first axis together.

    Iterating yields one batch per step: an array when built from one array, a
    tuple of arrays otherwise. With ``shuffle=True`` each pass over the data (each
    ``for`` loop) visits the rows in a new order drawn from a generator seeded
    with ``seed``, so a run is reproducible. ``drop_last`` leaves out a final batch
    smaller than ``batch_size``. Arrays and Tensors are sliced as they are; other
    sequences (lists) become NumPy arrays first.
    """

    def __init__(self, *arrays: Any, batch_size: int = 32, shuffle: bool = False,
                 seed: int | None = None, drop_last: bool = False) -> None:
        if not arrays:
            raise ValueError("Batches needs at least one array")
        arrays = tuple(a if hasattr(a, "shape") else np.asarray(a) for a in arrays)
        lengths = {len(a) for a in arrays}
        if len(lengths) != 1:
            raise ValueError(f"the arrays must have the same first dimension, got lengths "
                             f"{[len(a) for a in arrays]}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
        self.arrays = arrays
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.num_samples = lengths.pop()
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        """The number of batches in one pass."""
        full, rest = divmod(self.num_samples, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self) -> Iterator[Any]:
        order = (self._rng.permutation(self.num_samples) if self.shuffle
                 else np.arange(self.num_samples))
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            rows = order[start:start + self.batch_size]
            batch = tuple(a[rows] for a in self.arrays)
            yield batch[0] if len(batch) == 1 else batch


def split(*arrays: Any, test_fraction: float = 0.2, seed: int | None = 0,
          stratify: Any = None) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """Split arrays by rows into a training part and a test part, at random.

    Returns ``(train, test)``, each a tuple with one entry per array. With
    ``stratify`` (class labels, one per row) each class is split in the same
    proportion, so small test sets keep the class balance.

    >>> x, y = np.arange(8.0).reshape(4, 2), np.arange(4)
    >>> (x_train, y_train), (x_test, y_test) = cr.data.split(x, y, test_fraction=0.25, seed=0)
    >>> y_train, y_test
    (array([0, 1, 3]), array([2]))
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError("the arrays must have the same first dimension")
    rng = np.random.default_rng(seed)
    groups = [np.arange(n)] if stratify is None else [
        np.flatnonzero(np.asarray(stratify) == label) for label in np.unique(stratify)]
    test_rows = []
    for rows in groups:
        rows = rng.permutation(rows)
        test_rows.append(rows[:int(round(test_fraction * len(rows)))])
    is_test = np.zeros(n, dtype=bool)
    is_test[np.concatenate(test_rows)] = True
    train_rows, test_rows = np.flatnonzero(~is_test), np.flatnonzero(is_test)
    return (tuple(a[train_rows] for a in arrays), tuple(a[test_rows] for a in arrays))


class Dataset(NamedTuple):
    """A data set already split into training and test parts."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_digits(images: bool = False, test_fraction: float = 0.2, seed: int | None = 0,
                dtype: Any = np.float32) -> Dataset:
    """scikit-learn's 8x8 handwritten digits (1797 images, 10 classes), split and scaled.

    Pixels are scaled to [0, 1]. Inputs have shape (n, 64), or (n, 1, 8, 8) with
    ``images=True`` (for convolutions); labels are int64. The split is stratified
    by class. Needs the optional ``data`` extra: ``pip install "chainrule[data]"``.
    """
    try:
        from sklearn import datasets
    except ImportError as error:
        raise ImportError(
            "load_digits needs scikit-learn, which is an optional extra of chainrule: "
            'pip install "chainrule[data]"') from error
    digits = datasets.load_digits()
    x = (digits.data / 16.0).astype(dtype)
    if images:
        x = x.reshape(-1, 1, 8, 8)
    y = digits.target.astype(np.int64)
    (x_train, y_train), (x_test, y_test) = split(x, y, test_fraction=test_fraction, seed=seed,
                                                 stratify=y)
    return Dataset(x_train, y_train, x_test, y_test)
