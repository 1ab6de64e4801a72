"""Losses: values against closed forms and torch, gradients against finite differences
(and second derivatives for cross-entropy), reductions, weights, ignored targets."""

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.nn import functional as F
from chainrule.testing import check_grads

RNG = np.random.default_rng(3)
LOGITS = RNG.standard_normal((6, 5)) * 2
LABELS = np.array([0, 4, 2, 2, 1, 3])
WEIGHTS = RNG.uniform(0.5, 2.0, 5)
TARGETS = RNG.standard_normal((6, 5))
PROBABILITIES = RNG.uniform(0.05, 0.95, (6, 5))
BINARY_TARGETS = RNG.uniform(0.0, 1.0, (6, 5))
REDUCTIONS = ["mean", "sum", "none"]


def _log_softmax(x):
    return x - np.log(np.sum(np.exp(x), axis=1, keepdims=True))


# --- closed forms --------------------------------------------------------------------------
def test_cross_entropy_is_the_mean_negative_log_probability_of_the_labels():
    expected = -np.mean(_log_softmax(LOGITS)[np.arange(6), LABELS])
    assert F.cross_entropy(cr.tensor(LOGITS), LABELS).item() == pytest.approx(expected, rel=1e-14)


def test_cross_entropy_gradient_is_softmax_minus_one_hot_over_batch():
    logits = cr.tensor(LOGITS, requires_grad=True)
    F.cross_entropy(logits, LABELS).backward()
    expected = np.exp(_log_softmax(LOGITS))
    expected[np.arange(6), LABELS] -= 1
    np.testing.assert_allclose(logits.grad.numpy(), expected / 6, rtol=1e-13, atol=1e-16)


def test_cross_entropy_with_class_weights_divides_by_the_summed_weights():
    picked = -_log_softmax(LOGITS)[np.arange(6), LABELS] * WEIGHTS[LABELS]
    loss = F.cross_entropy(LOGITS, LABELS, weight=WEIGHTS)
    assert float(loss) == pytest.approx(picked.sum() / WEIGHTS[LABELS].sum(), rel=1e-14)


def test_cross_entropy_ignores_targets_equal_to_ignore_index():
    labels = LABELS.copy()
    labels[[1, 3]] = -1
    kept = [0, 2, 4, 5]
    logits = cr.tensor(LOGITS, requires_grad=True)
    loss = F.cross_entropy(logits, labels, ignore_index=-1)
    assert loss.item() == pytest.approx(F.cross_entropy(LOGITS[kept], LABELS[kept]).item(),
                                        rel=1e-14)
    loss.backward()
    np.testing.assert_array_equal(logits.grad.numpy()[[1, 3]], 0.0)


def test_cross_entropy_label_smoothing_mixes_in_the_uniform_distribution():
    smoothing = 0.3
    target = np.full((6, 5), smoothing / 5)
    target[np.arange(6), LABELS] += 1 - smoothing
    expected = -np.mean(np.sum(target * _log_softmax(LOGITS), axis=1))
    loss = F.cross_entropy(LOGITS, LABELS, label_smoothing=smoothing)
    assert float(loss) == pytest.approx(expected, rel=1e-14)
    assert float(F.cross_entropy(LOGITS, target)) == pytest.approx(expected, rel=1e-14)


def test_cross_entropy_over_spatial_axes_equals_flattened_samples():
    logits = RNG.standard_normal((2, 5, 3, 4))
    labels = RNG.integers(0, 5, (2, 3, 4))
    flat = np.moveaxis(logits, 1, -1).reshape(-1, 5)
    assert float(F.cross_entropy(logits, labels)) == pytest.approx(
        float(F.cross_entropy(flat, labels.ravel())), rel=1e-14)
    assert F.cross_entropy(logits, labels, reduction="none").shape == (2, 3, 4)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = cr.tensor([[1e4, 0.0, -1e4]], requires_grad=True)
    loss = F.cross_entropy(logits, np.array([1]))
    assert loss.item() == pytest.approx(1e4)
    loss.backward()
    np.testing.assert_allclose(logits.grad.numpy(), [[1.0, -1.0, 0.0]])


def test_mse_l1_and_huber_match_their_definitions():
    d = LOGITS - TARGETS
    assert float(F.mse_loss(LOGITS, TARGETS)) == pytest.approx(np.mean(d**2), rel=1e-14)
    assert float(F.l1_loss(LOGITS, TARGETS, "sum")) == pytest.approx(np.abs(d).sum(), rel=1e-14)
    huber = np.where(np.abs(d) < 0.5, 0.5 * d**2, 0.5 * (np.abs(d) - 0.25))
    np.testing.assert_allclose(F.huber_loss(LOGITS, TARGETS, "none", delta=0.5), huber,
                               rtol=1e-14)


def test_binary_cross_entropy_matches_its_definition_and_logit_form():
    p, t = PROBABILITIES, BINARY_TARGETS
    expected = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert float(F.binary_cross_entropy(p, t)) == pytest.approx(expected, rel=1e-14)
    logits = np.log(p / (1 - p))
    assert float(F.binary_cross_entropy_with_logits(logits, t)) == pytest.approx(expected,
                                                                                 rel=1e-12)


def test_binary_cross_entropy_clamps_the_log_and_has_finite_gradients_at_zero_and_one():
    p = cr.tensor([0.0, 1.0, 0.5], requires_grad=True)
    loss = F.binary_cross_entropy(p, np.array([1.0, 0.0, 1.0]), reduction="sum")
    assert loss.item() == pytest.approx(200 + math.log(2))
    loss.backward()
    assert np.all(np.isfinite(p.grad.numpy()))


def test_binary_cross_entropy_with_logits_is_stable_for_huge_logits():
    logits = cr.tensor([1000.0, -1000.0], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(logits, np.array([0.0, 1.0]), reduction="sum")
    assert loss.item() == pytest.approx(2000.0)
    loss.backward()
    np.testing.assert_allclose(logits.grad.numpy(), [1.0, -1.0])


def test_nll_loss_of_log_softmax_equals_cross_entropy():
    log_p = F.log_softmax(LOGITS, axis=1)
    for reduction in REDUCTIONS:
        np.testing.assert_allclose(
            F.nll_loss(log_p, LABELS, weight=WEIGHTS, reduction=reduction),
            F.cross_entropy(LOGITS, LABELS, weight=WEIGHTS, reduction=reduction), rtol=1e-14)


# --- derivatives ---------------------------------------------------------------------------------
def _like(array, x):
    """``array`` in ``x``'s dtype, so that float32 inputs meet float32 targets."""
    return array.astype(x.dtype)


LOSSES = {
    "cross_entropy": lambda x: F.cross_entropy(x, LABELS),
    "cross_entropy_weighted_smoothed": lambda x: F.cross_entropy(
        x, np.array([0, -100, 2, 2, 1, 3]), weight=WEIGHTS, label_smoothing=0.2),
    "cross_entropy_sum": lambda x: F.cross_entropy(x, LABELS, reduction="sum"),
    "cross_entropy_none": lambda x: F.cross_entropy(x, LABELS, reduction="none",
                                                    label_smoothing=0.1),
    "cross_entropy_probabilities": lambda x: F.cross_entropy(
        x, _like(np.exp(_log_softmax(TARGETS)), x)),
    "nll_loss": lambda x: F.nll_loss(x, LABELS, weight=_like(WEIGHTS, x)),
    "mse_loss": lambda x: F.mse_loss(x, _like(TARGETS, x)),
    "l1_loss": lambda x: F.l1_loss(x, _like(TARGETS, x), reduction="none"),
    "huber_loss": lambda x: F.huber_loss(x, _like(TARGETS, x), reduction="sum", delta=0.8),
    "binary_cross_entropy_with_logits": lambda x: F.binary_cross_entropy_with_logits(
        x, _like(BINARY_TARGETS, x), pos_weight=_like(WEIGHTS, x)),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_derivatives_match_finite_differences_to_second_order(name):
    check_grads(LOSSES[name], LOGITS, order=2)


def test_binary_cross_entropy_derivatives_match_finite_differences():
    check_grads(lambda p, t: F.binary_cross_entropy(p, t, weight=WEIGHTS), PROBABILITIES,
                BINARY_TARGETS, order=2)


def test_cross_entropy_on_probabilities_is_differentiable_in_the_target():
    check_grads(lambda x, q: F.cross_entropy(x, q, label_smoothing=0.1), LOGITS,
                np.exp(_log_softmax(TARGETS)), order=2)


def test_cross_entropy_hessian_is_the_softmax_covariance():
    x = RNG.standard_normal(4)
    hessian = cr.jacobian(cr.grad(lambda v: F.cross_entropy(v[None], np.array([2]))))(x)
    p = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(hessian, np.diag(p) - np.outer(p, p), atol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_forward_mode_matches_reverse_mode(reduction):
    fn = lambda x: F.cross_entropy(x, LABELS, weight=WEIGHTS, label_smoothing=0.1,
                                   reduction=reduction)
    direction = RNG.standard_normal(LOGITS.shape)
    out, tangent = cr.jvp(fn, [LOGITS], [direction])
    cotangent = RNG.standard_normal(np.shape(out))
    _, pullback = cr.vjp(fn, LOGITS)
    (reverse,) = pullback(cotangent)
    assert np.sum(tangent * cotangent) == pytest.approx(np.sum(reverse * direction), rel=1e-12)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_keeps_float32(name):
    x = cr.tensor(LOGITS.astype(np.float32), requires_grad=True)
    loss = LOSSES[name](x)
    loss.sum().backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32


# --- against torch -------------------------------------------------------------------------------
def _torch_cases(torch):
    tf = torch.nn.functional
    labels = np.array([0, -100, 2, 2, 1, 3])

    def t(a):
        return torch.tensor(a)

    cases = []
    for reduction in REDUCTIONS:
        for smoothing in (0.0, 0.25):
            cases.append((f"cross_entropy-{reduction}-{smoothing}",
                          lambda x, r=reduction, s=smoothing, w=None: F.cross_entropy(
                              x, labels, weight=w, reduction=r, label_smoothing=s),
                          lambda x, r=reduction, s=smoothing, w=None: tf.cross_entropy(
                              x, t(labels), weight=w, reduction=r, label_smoothing=s),
                          LOGITS, True))
        cases += [
            (f"nll_loss-{reduction}", lambda x, r=reduction, w=None: F.nll_loss(
                x, labels, weight=w, reduction=r),
             lambda x, r=reduction, w=None: tf.nll_loss(x, t(labels), weight=w, reduction=r),
             LOGITS, True),
            (f"cross_entropy_probabilities-{reduction}",
             lambda x, r=reduction, w=None: F.cross_entropy(
                 x, _like(PROBABILITIES / 3, x), weight=w, reduction=r, label_smoothing=0.1),
             lambda x, r=reduction, w=None: tf.cross_entropy(
                 x, t(PROBABILITIES / 3).to(x.dtype), weight=w, reduction=r,
                 label_smoothing=0.1), LOGITS, True),
            (f"mse_loss-{reduction}", lambda x, r=reduction: F.mse_loss(x, _like(TARGETS, x), r),
             lambda x, r=reduction: tf.mse_loss(x, t(TARGETS).to(x.dtype), reduction=r),
             LOGITS, False),
            (f"l1_loss-{reduction}", lambda x, r=reduction: F.l1_loss(x, _like(TARGETS, x), r),
             lambda x, r=reduction: tf.l1_loss(x, t(TARGETS).to(x.dtype), reduction=r),
             LOGITS, False),
            (f"huber_loss-{reduction}",
             lambda x, r=reduction: F.huber_loss(x, _like(TARGETS, x), r, 0.7),
             lambda x, r=reduction: tf.huber_loss(x, t(TARGETS).to(x.dtype), reduction=r,
                                                  delta=0.7), LOGITS, False),
            (f"binary_cross_entropy-{reduction}",
             lambda x, r=reduction, w=None: F.binary_cross_entropy(
                 x, _like(BINARY_TARGETS, x), w, r),
             lambda x, r=reduction, w=None: tf.binary_cross_entropy(
                 x, t(BINARY_TARGETS).to(x.dtype), weight=w, reduction=r),
             PROBABILITIES, True),
            (f"binary_cross_entropy_with_logits-{reduction}",
             lambda x, r=reduction, w=None: F.binary_cross_entropy_with_logits(
                 x, _like(BINARY_TARGETS, x), w, r, pos_weight=WEIGHTS.astype(x.dtype)),
             lambda x, r=reduction, w=None: tf.binary_cross_entropy_with_logits(
                 x, t(BINARY_TARGETS).to(x.dtype), weight=w, reduction=r,
                 pos_weight=t(WEIGHTS).to(x.dtype)), LOGITS, True),
        ]
    return cases


def test_losses_match_torch_in_value_and_gradient():
    torch = pytest.importorskip("torch")
    for name, ours_fn, torch_fn, data, weighted in _torch_cases(torch):
        for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
            for weight in ((None, WEIGHTS.astype(dtype)) if weighted else (None,)):
                x = data.astype(dtype)
                ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x,
                                                                              requires_grad=True)
                kwargs = {} if weight is None else {"w": weight}
                torch_kwargs = {} if weight is None else {"w": torch.tensor(weight)}
                out = ours_fn(ours, **kwargs)
                expected = torch_fn(theirs, **torch_kwargs)
                cotangent = RNG.standard_normal(expected.shape).astype(dtype)
                (out * cotangent).sum().backward()
                (expected * torch.tensor(cotangent)).sum().backward()
                what = f"{name} {np.dtype(dtype).name} weight={weight is not None}"
                assert out.dtype == dtype, what
                np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=tol,
                                           atol=tol, err_msg=what)
                np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=tol,
                                           atol=tol, err_msg=what)


# --- errors --------------------------------------------------------------------------------
def test_unknown_reduction_is_an_error():
    for loss in (lambda r: F.mse_loss(LOGITS, TARGETS, r),
                 lambda r: F.cross_entropy(LOGITS, LABELS, reduction=r),
                 lambda r: F.nll_loss(LOGITS, LABELS, reduction=r)):
        with pytest.raises(ValueError, match="reduction must be one of"):
            loss("average")


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="same shape"):
        F.mse_loss(LOGITS, TARGETS[:3])
    with pytest.raises(ValueError, match="target of class indices of shape"):
        F.cross_entropy(LOGITS, LABELS[:3])


def test_out_of_range_class_is_an_error():
    with pytest.raises(IndexError, match="out of range"):
        F.cross_entropy(LOGITS, np.array([0, 1, 2, 3, 4, 5]))


def test_binary_cross_entropy_rejects_values_outside_zero_one():
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits"):
        F.binary_cross_entropy(LOGITS, BINARY_TARGETS)
