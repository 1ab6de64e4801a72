"""Anomaly mode: backward() names the operation whose gradient first has a NaN."""

import numpy as np
import pytest

import chainrule as cr


def _loss_with_nan_gradient():
    x = cr.tensor([0.0, 4.0], requires_grad=True)
    # sqrt(x) * 0 is finite forwards, but sqrt's derivative at 0 is inf, and inf * 0 = NaN.
    return x, np.sum(np.sqrt(x) * 0.0)


def test_without_anomaly_mode_the_nan_reaches_grad():
    x, loss = _loss_with_nan_gradient()
    with np.errstate(all="ignore"):
        loss.backward()
    assert np.isnan(x.grad.numpy()[0])


def test_anomaly_mode_names_the_operation_that_produced_nan():
    x, loss = _loss_with_nan_gradient()
    with cr.detect_anomaly(), np.errstate(all="ignore"):
        with pytest.raises(FloatingPointError, match="'sqrt' produced NaN"):
            loss.backward()
    assert x.grad is None  # the failed backward left .grad untouched


def test_anomaly_mode_is_silent_for_finite_gradients():
    x = cr.tensor([1.0, 4.0], requires_grad=True)
    with cr.detect_anomaly():
        np.sum(np.sqrt(x)).backward()
    np.testing.assert_allclose(x.grad.numpy(), 0.5 / np.sqrt([1.0, 4.0]))
