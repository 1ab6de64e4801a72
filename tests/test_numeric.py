"""NaN-ignoring reductions skip NaN entries in their gradients too."""

import numpy as np
import pytest

import chainrule as cr


@pytest.mark.parametrize("reduce, expected", [
    (np.nansum, [1.0, 0.0, 1.0]),
    (np.nanmean, [0.5, 0.0, 0.5]),
    (np.nanmax, [0.0, 0.0, 1.0]),
])
def test_nan_entries_get_zero_gradient(reduce, expected):
    x = cr.tensor([1.0, np.nan, 3.0], requires_grad=True)
    reduce(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), expected)
