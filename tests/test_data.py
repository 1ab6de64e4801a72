"""Mini-batch iteration, the seeded split and the digits loader (issue 7)."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import Batches, load_digits, split

X = np.arange(20.0).reshape(10, 2)
Y = np.arange(10)


def test_batches_cover_the_rows_in_order_without_shuffle():
    batches = list(Batches(X, Y, batch_size=4))
    assert [len(xb) for xb, _ in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in batches]), X)
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in batches]), Y)


def test_rows_of_several_arrays_stay_together_when_shuffled():
    for xb, yb in Batches(X, Y, batch_size=3, shuffle=True, seed=0):
        np.testing.assert_array_equal(xb[:, 0], 2 * yb)


def test_one_array_gives_arrays_not_tuples():
    first = next(iter(Batches(X, batch_size=4)))
    np.testing.assert_array_equal(first, X[:4])


def test_shuffle_visits_every_row_once_per_epoch_in_a_new_order():
    batches = Batches(Y, batch_size=4, shuffle=True, seed=1)
    first, second = np.concatenate(list(batches)), np.concatenate(list(batches))
    assert sorted(first) == sorted(second) == list(range(10))
    assert not np.array_equal(first, second)


def test_the_same_seed_gives_the_same_orders():
    def orders(seed):
        batches = Batches(Y, batch_size=4, shuffle=True, seed=seed)
        return [np.concatenate(list(batches)) for _ in range(3)]

    np.testing.assert_array_equal(orders(5), orders(5))
    assert not np.array_equal(orders(5), orders(6))


def test_drop_last_leaves_out_the_short_batch():
    batches = Batches(X, Y, batch_size=4, drop_last=True)
    assert len(batches) == 2
    assert [len(yb) for _, yb in batches] == [4, 4]
    assert len(Batches(X, Y, batch_size=4)) == 3


def test_lists_are_batched_as_arrays():
    xb, yb = next(iter(Batches(X.tolist(), Y.tolist(), batch_size=4)))
    np.testing.assert_array_equal(xb, X[:4])
    np.testing.assert_array_equal(yb, Y[:4])


def test_tensors_can_be_batched():
    t = cr.tensor(X)
    xb = next(iter(Batches(t, batch_size=4)))
    assert isinstance(xb, cr.Tensor)
    np.testing.assert_array_equal(xb.numpy(), X[:4])


@pytest.mark.parametrize("arrays, kwargs, message", [
    ((), {}, "at least one array"),
    ((X, Y[:5]), {}, "same first dimension"),
    ((X,), {"batch_size": 0}, "positive integer"),
])
def test_bad_batches_are_rejected(arrays, kwargs, message):
    with pytest.raises(ValueError, match=message):
        Batches(*arrays, **kwargs)


def test_split_partitions_the_rows_reproducibly():
    (x_train, y_train), (x_test, y_test) = split(X, Y, test_fraction=0.3, seed=0)
    assert len(y_test) == 3 and len(y_train) == 7
    assert sorted(np.concatenate([y_train, y_test])) == list(range(10))
    np.testing.assert_array_equal(x_test[:, 0], 2 * y_test)
    (_, again), _ = split(X, Y, test_fraction=0.3, seed=0)
    np.testing.assert_array_equal(again, y_train)


def test_a_stratified_split_keeps_each_class_proportion():
    labels = np.repeat([0, 1, 2], [20, 40, 40])
    _, (test_labels,) = split(labels, test_fraction=0.25, seed=0, stratify=labels)
    assert np.bincount(test_labels).tolist() == [5, 10, 10]


def test_split_fraction_must_be_between_zero_and_one():
    with pytest.raises(ValueError, match="between 0 and 1"):
        split(X, test_fraction=1.0)


def test_load_digits_gives_scaled_float32_and_a_stratified_split():
    pytest.importorskip("sklearn")
    digits = load_digits()
    assert digits.x_train.shape[1:] == digits.x_test.shape[1:] == (64,)
    assert len(digits.x_train) + len(digits.x_test) == 1797
    assert abs(len(digits.x_test) - 0.2 * 1797) < 5
    assert digits.x_train.dtype == np.float32 and digits.y_train.dtype == np.int64
    assert 0.0 <= digits.x_train.min() and digits.x_train.max() <= 1.0
    assert set(np.bincount(digits.y_test)) <= {35, 36, 37}


def test_load_digits_as_images():
    pytest.importorskip("sklearn")
    digits = load_digits(images=True)
    assert digits.x_test.shape[1:] == (1, 8, 8)
    np.testing.assert_array_equal(digits.x_test.reshape(-1, 64), load_digits().x_test)


def test_load_digits_without_scikit_learn_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(ImportError, match=r'pip install "chainrule\[data\]"'):
        load_digits()
