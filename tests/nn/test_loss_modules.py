"""Loss modules with torch.nn's names and arguments: values against closed forms written
in NumPy for every reduction (with weights, ignored targets and label smoothing),
gradients against finite differences, and torch itself when it is installed."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim, training
from chainrule.data import Batches
from chainrule.testing import check_grads

RNG = np.random.default_rng(17)
N, C = 7, 4
LOGITS = RNG.standard_normal((N, C)) * 2
LABELS = np.array([0, 3, -100, 2, 1, 3, -100])
COUNTED = LABELS != -100
SAFE_LABELS = np.where(COUNTED, LABELS, 0)
CLASS_WEIGHTS = RNG.uniform(0.5, 2.0, C)
TARGETS = RNG.standard_normal((N, C))
PROBABILITIES = RNG.uniform(0.05, 0.95, (N, C))
BINARY_TARGETS = RNG.uniform(0.0, 1.0, (N, C))
ENTRY_WEIGHTS = RNG.uniform(0.5, 2.0, (N, C))
REDUCTIONS = ["mean", "sum", "none"]


def _log_softmax(x, axis=1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def _reduced(per_entry, reduction, denominator=None):
    """NumPy's reduction of a per-entry loss; ``denominator`` replaces the count."""
    if reduction == "none":
        return per_entry
    if reduction == "sum":
        return per_entry.sum()
    return per_entry.sum() / (per_entry.size if denominator is None else denominator)


def _value(loss):
    return loss.numpy() if isinstance(loss, cr.Tensor) else np.asarray(loss)


# --- closed forms -------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_is_the_squared_error(reduction):
    loss = nn.MSELoss(reduction=reduction)(cr.tensor(LOGITS), TARGETS)
    np.testing.assert_allclose(_value(loss), _reduced((LOGITS - TARGETS) ** 2, reduction),
                               rtol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_loss_is_the_absolute_error(reduction):
    loss = nn.L1Loss(reduction=reduction)(cr.tensor(LOGITS), TARGETS)
    np.testing.assert_allclose(_value(loss), _reduced(np.abs(LOGITS - TARGETS), reduction),
                               rtol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [1.0, 0.4])
def test_huber_loss_is_quadratic_below_delta_and_linear_above(reduction, delta):
    d = np.abs(LOGITS - TARGETS)
    per_entry = np.where(d < delta, 0.5 * d**2, delta * (d - 0.5 * delta))
    module = nn.HuberLoss(reduction=reduction, delta=delta)
    np.testing.assert_allclose(_value(module(cr.tensor(LOGITS), TARGETS)),
                               _reduced(per_entry, reduction), rtol=1e-14)


def test_huber_loss_default_delta_is_one():
    d = np.abs(LOGITS - TARGETS)
    expected = np.mean(np.where(d < 1, 0.5 * d**2, d - 0.5))
    assert float(nn.HuberLoss()(LOGITS, TARGETS)) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_picks_weighted_log_probabilities_and_skips_ignored_targets(reduction,
                                                                           weighted):
    log_p = _log_softmax(LOGITS)
    class_weights = CLASS_WEIGHTS if weighted else np.ones(C)
    sample_weights = class_weights[SAFE_LABELS] * COUNTED
    per_sample = -log_p[np.arange(N), SAFE_LABELS] * sample_weights
    module = nn.NLLLoss(CLASS_WEIGHTS if weighted else None, reduction=reduction)
    np.testing.assert_allclose(_value(module(cr.tensor(log_p), LABELS)),
                               _reduced(per_sample, reduction, sample_weights.sum()),
                               rtol=1e-13)


def test_nll_loss_ignore_index_can_be_any_class():
    labels = np.array([0, 1, 2, 1])
    log_p = _log_softmax(LOGITS[:4])
    expected = -np.mean(log_p[[0, 2], [0, 2]])
    loss = nn.NLLLoss(ignore_index=1)(log_p, labels)
    assert float(loss) == pytest.approx(expected, rel=1e-14)


def _smoothed_cross_entropy(logits, labels, weights, smoothing, reduction):
    """Cross-entropy against ``(1 - smoothing) * one_hot + smoothing / C``, each class
    weighted, ignored samples dropped; the mean divides by the counted samples' weights."""
    log_p = _log_softmax(logits)
    counted = labels != -100
    safe = np.where(counted, labels, 0)
    n, n_classes = logits.shape
    picked = -log_p[np.arange(n), safe] * weights[safe]
    uniform = -(log_p * weights).sum(axis=1)
    per_sample = ((1 - smoothing) * picked + smoothing / n_classes * uniform) * counted
    return _reduced(per_sample, reduction, (weights[safe] * counted).sum())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_loss_on_class_indices(reduction, smoothing, weighted):
    weights = CLASS_WEIGHTS if weighted else np.ones(C)
    module = nn.CrossEntropyLoss(CLASS_WEIGHTS if weighted else None, reduction=reduction,
                                 label_smoothing=smoothing)
    np.testing.assert_allclose(
        _value(module(cr.tensor(LOGITS), LABELS)),
        _smoothed_cross_entropy(LOGITS, LABELS, weights, smoothing, reduction), rtol=1e-13)


def test_cross_entropy_loss_with_a_custom_ignore_index():
    labels = np.where(COUNTED, LABELS, 5)
    module = nn.CrossEntropyLoss(ignore_index=5, label_smoothing=0.1)
    expected = _smoothed_cross_entropy(LOGITS, LABELS, np.ones(C), 0.1, "mean")
    assert float(module(LOGITS, labels)) == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_loss_over_spatial_axes(reduction):
    logits = RNG.standard_normal((2, C, 3))
    labels = np.array([[0, -100, 3], [2, 2, 1]])
    flat_logits = np.moveaxis(logits, 1, -1).reshape(-1, C)
    expected = _smoothed_cross_entropy(flat_logits, labels.ravel(), CLASS_WEIGHTS, 0.3,
                                       reduction)
    module = nn.CrossEntropyLoss(CLASS_WEIGHTS, reduction=reduction, label_smoothing=0.3)
    out = _value(module(cr.tensor(logits), labels))
    np.testing.assert_allclose(out, expected.reshape(out.shape), rtol=1e-13)
    assert out.shape == ((2, 3) if reduction == "none" else ())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_loss_on_class_probabilities(reduction, weighted):
    probabilities = np.exp(_log_softmax(TARGETS))
    smoothing = 0.15
    mixed = (1 - smoothing) * probabilities + smoothing / C
    weights = CLASS_WEIGHTS if weighted else np.ones(C)
    per_sample = -(mixed * weights * _log_softmax(LOGITS)).sum(axis=1)
    module = nn.CrossEntropyLoss(CLASS_WEIGHTS if weighted else None, reduction=reduction,
                                 label_smoothing=smoothing)
    np.testing.assert_allclose(_value(module(cr.tensor(LOGITS), probabilities)),
                               _reduced(per_sample, reduction), rtol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_loss_is_the_binary_cross_entropy_of_probabilities(reduction, weighted):
    p, t = PROBABILITIES, BINARY_TARGETS
    per_entry = -(t * np.log(p) + (1 - t) * np.log1p(-p)) * (ENTRY_WEIGHTS if weighted else 1)
    module = nn.BCELoss(ENTRY_WEIGHTS if weighted else None, reduction=reduction)
    np.testing.assert_allclose(_value(module(cr.tensor(p), t)), _reduced(per_entry, reduction),
                               rtol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("positive_weighted", [False, True])
def test_bce_with_logits_loss_weighs_entries_and_positive_targets(reduction, weighted,
                                                                  positive_weighted):
    x, t = LOGITS, BINARY_TARGETS
    pos_weight = CLASS_WEIGHTS if positive_weighted else np.ones(C)
    per_entry = -(pos_weight * t * _log_sigmoid(x) + (1 - t) * _log_sigmoid(-x))
    per_entry = per_entry * (ENTRY_WEIGHTS if weighted else 1)
    module = nn.BCEWithLogitsLoss(ENTRY_WEIGHTS if weighted else None, reduction=reduction,
                                  pos_weight=CLASS_WEIGHTS if positive_weighted else None)
    np.testing.assert_allclose(_value(module(cr.tensor(x), t)), _reduced(per_entry, reduction),
                               rtol=1e-13)


# --- derivatives --------------------------------------------------------------------------------
MODULES = {
    "mse": (nn.MSELoss(), LOGITS, TARGETS),
    "l1_sum": (nn.L1Loss(reduction="sum"), LOGITS, TARGETS),
    "huber_none": (nn.HuberLoss(reduction="none", delta=0.6), LOGITS, TARGETS),
    "nll_weighted": (nn.NLLLoss(CLASS_WEIGHTS), _log_softmax(LOGITS), LABELS),
    "cross_entropy_all_options": (nn.CrossEntropyLoss(CLASS_WEIGHTS, label_smoothing=0.2),
                                  LOGITS, LABELS),
    "cross_entropy_sum_ignored": (nn.CrossEntropyLoss(ignore_index=3, reduction="sum"),
                                  LOGITS, np.where(COUNTED, LABELS, 0)),
    "cross_entropy_probabilities": (nn.CrossEntropyLoss(label_smoothing=0.1, reduction="none"),
                                    LOGITS, np.exp(_log_softmax(TARGETS))),
    "bce_weighted": (nn.BCELoss(ENTRY_WEIGHTS), PROBABILITIES, BINARY_TARGETS),
    "bce_with_logits_all_options": (nn.BCEWithLogitsLoss(ENTRY_WEIGHTS, reduction="sum",
                                                         pos_weight=CLASS_WEIGHTS),
                                    LOGITS, BINARY_TARGETS),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_loss_module_derivatives_match_finite_differences(name):
    module, inputs, targets = MODULES[name]
    check_grads(lambda x: module(x, targets), inputs, order=2)


def test_cross_entropy_loss_gradient_is_zero_for_ignored_samples():
    logits = cr.tensor(LOGITS, requires_grad=True)
    nn.CrossEntropyLoss(label_smoothing=0.3)(logits, LABELS).backward()
    np.testing.assert_array_equal(logits.grad.numpy()[~COUNTED], 0.0)


# --- as modules ---------------------------------------------------------------------------------
def test_class_weights_are_buffers_that_follow_dtype_and_state_dict():
    module = nn.BCEWithLogitsLoss(ENTRY_WEIGHTS, pos_weight=CLASS_WEIGHTS)
    assert sorted(module.state_dict()) == ["pos_weight", "weight"]
    module.to(np.float32)
    x = cr.tensor(LOGITS.astype(np.float32), requires_grad=True)
    loss = module(x, BINARY_TARGETS.astype(np.float32))
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32


def test_reprs_show_the_options_that_differ_from_the_defaults():
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.HuberLoss(reduction="sum", delta=0.5)) == \
        "HuberLoss(reduction='sum', delta=0.5)"
    assert repr(nn.CrossEntropyLoss(label_smoothing=0.1)) == \
        "CrossEntropyLoss(label_smoothing=0.1)"


def test_unknown_reduction_is_an_error_when_the_module_is_built():
    with pytest.raises(ValueError, match="CrossEntropyLoss: reduction must be one of"):
        nn.CrossEntropyLoss(reduction="average")


def test_bad_options_are_errors_when_the_module_is_built():
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match="delta must be positive"):
        nn.HuberLoss(delta=0.0)


def test_float_class_indices_are_an_error_that_says_to_cast():
    with pytest.raises(TypeError, match=r"must be integers.*astype\(int\)"):
        nn.CrossEntropyLoss()(LOGITS, np.array([0.0, 1, 2, 3, 0, 1, 2]))
    with pytest.raises(TypeError, match=r"integer class indices.*astype\(int\)"):
        nn.NLLLoss()(_log_softmax(LOGITS), np.array([0.5, 1, 2, 3, 0, 1, 2]))


def test_a_loss_module_trains_a_classifier_with_fit():
    x = RNG.standard_normal((60, 2))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    model = nn.Linear(2, 2, rng=0)
    history = training.fit(model, nn.CrossEntropyLoss(label_smoothing=0.05),
                           optim.Adam(model.parameters(), lr=0.1),
                           Batches(x, y, batch_size=20, shuffle=True, seed=0), 40,
                           progress=False)
    accuracy = np.mean(np.argmax(model(x).numpy(), axis=1) == y)
    assert history.epoch_losses[-1] < history.epoch_losses[0] and accuracy >= 0.95


# --- against torch ------------------------------------------------------------------------------
def _torch_pairs(torch):
    t = torch.tensor
    return [
        (nn.MSELoss(reduction="sum"), torch.nn.MSELoss(reduction="sum"), LOGITS, TARGETS),
        (nn.L1Loss(), torch.nn.L1Loss(), LOGITS, TARGETS),
        (nn.HuberLoss(delta=0.6), torch.nn.HuberLoss(delta=0.6), LOGITS, TARGETS),
        (nn.NLLLoss(CLASS_WEIGHTS), torch.nn.NLLLoss(t(CLASS_WEIGHTS)),
         _log_softmax(LOGITS), LABELS),
        (nn.CrossEntropyLoss(CLASS_WEIGHTS, label_smoothing=0.2),
         torch.nn.CrossEntropyLoss(t(CLASS_WEIGHTS), label_smoothing=0.2), LOGITS, LABELS),
        (nn.CrossEntropyLoss(label_smoothing=0.2),
         torch.nn.CrossEntropyLoss(label_smoothing=0.2), LOGITS, LABELS),
        (nn.BCELoss(ENTRY_WEIGHTS, reduction="none"),
         torch.nn.BCELoss(t(ENTRY_WEIGHTS), reduction="none"), PROBABILITIES, BINARY_TARGETS),
        (nn.BCEWithLogitsLoss(ENTRY_WEIGHTS, pos_weight=CLASS_WEIGHTS),
         torch.nn.BCEWithLogitsLoss(t(ENTRY_WEIGHTS), pos_weight=t(CLASS_WEIGHTS)),
         LOGITS, BINARY_TARGETS),
    ]


def test_loss_modules_match_torch_in_value_and_gradient():
    torch = pytest.importorskip("torch")
    for ours_module, torch_module, inputs, targets in _torch_pairs(torch):
        ours, theirs = cr.tensor(inputs, requires_grad=True), torch.tensor(inputs,
                                                                           requires_grad=True)
        out, expected = ours_module(ours, targets), torch_module(theirs, torch.tensor(targets))
        out.sum().backward()
        expected.sum().backward()
        what = repr(ours_module)
        np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12,
                                   err_msg=what)
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12,
                                   atol=1e-15, err_msg=what)
