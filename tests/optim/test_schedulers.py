"""Learning-rate schedulers (issue 7): the rate of every epoch against its closed form,
and against torch.optim.lr_scheduler when torch is installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

EPOCHS = 25


def make_optimizer(lib=None, lrs=(0.1,)):
    """An SGD optimizer with one parameter group per learning rate, in chainrule or torch."""
    if lib is None:
        groups = [{"params": [cr.tensor([1.0], requires_grad=True)], "lr": lr} for lr in lrs]
        return optim.SGD(groups, lr=lrs[0])
    groups = [{"params": [lib.tensor([1.0], requires_grad=True)], "lr": lr} for lr in lrs]
    return lib.optim.SGD(groups, lr=lrs[0])


def rates_over_epochs(scheduler, optimizer, epochs=EPOCHS):
    """The first group's rate in use during each epoch (read before each step)."""
    rates = []
    for _ in range(epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


CLOSED_FORMS = [
    ("StepLR", dict(step_size=4, gamma=0.5), lambda e: 0.1 * 0.5 ** (e // 4)),
    ("ExponentialLR", dict(gamma=0.9), lambda e: 0.1 * 0.9 ** e),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.01),
     lambda e: 0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * e / 10)) / 2),
    ("LambdaLR", dict(lr_lambda=lambda e: 1 / (1 + e)), lambda e: 0.1 / (1 + e)),
]
IDS = [name for name, _, _ in CLOSED_FORMS]


@pytest.mark.parametrize("name, kwargs, closed_form", CLOSED_FORMS, ids=IDS)
def test_each_epoch_rate_matches_the_closed_form(name, kwargs, closed_form):
    optimizer = make_optimizer()
    scheduler = getattr(optim, name)(optimizer, **kwargs)
    got = rates_over_epochs(scheduler, optimizer)
    np.testing.assert_allclose(got, [closed_form(e) for e in range(EPOCHS)], rtol=1e-12)


@pytest.mark.parametrize("name, kwargs, closed_form", CLOSED_FORMS, ids=IDS)
def test_each_epoch_rate_matches_torch(name, kwargs, closed_form):
    torch = pytest.importorskip("torch")
    ours = make_optimizer()
    theirs = make_optimizer(torch)
    got = rates_over_epochs(getattr(optim, name)(ours, **kwargs), ours)
    expected = rates_over_epochs(getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs),
                                 theirs)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_every_parameter_group_is_scheduled_from_its_own_initial_rate():
    optimizer = make_optimizer(lrs=(0.1, 1.0))
    scheduler = optim.ExponentialLR(optimizer, gamma=0.5)
    scheduler.step()
    scheduler.step()
    assert scheduler.get_last_lr() == pytest.approx([0.025, 0.25])
    assert [g["initial_lr"] for g in optimizer.param_groups] == [0.1, 1.0]


def test_lambda_lr_takes_one_function_per_group():
    optimizer = make_optimizer(lrs=(0.1, 1.0))
    scheduler = optim.LambdaLR(optimizer, [lambda e: 1.0, lambda e: 0.5 ** e])
    for _ in range(3):
        scheduler.step()
    assert scheduler.get_last_lr() == pytest.approx([0.1, 0.125])


def test_lambda_lr_needs_as_many_functions_as_groups():
    with pytest.raises(ValueError, match="2 functions for 1"):
        optim.LambdaLR(make_optimizer(), [lambda e: 1.0, lambda e: 1.0])


@pytest.mark.parametrize("make", [
    lambda o: optim.StepLR(o, step_size=0),
    lambda o: optim.CosineAnnealingLR(o, T_max=0),
    lambda o: optim.ReduceLROnPlateau(o, factor=1.5),
    lambda o: optim.ReduceLROnPlateau(o, mode="lowest"),
    lambda o: optim.ReduceLROnPlateau(o, threshold_mode="ratio"),
])
def test_invalid_settings_are_rejected(make):
    with pytest.raises(ValueError):
        make(make_optimizer())


def test_a_scheduler_needs_a_chainrule_optimizer():
    with pytest.raises(TypeError, match="Optimizer"):
        optim.StepLR(object(), step_size=1)


def test_resuming_needs_the_initial_rate_in_the_optimizer():
    with pytest.raises(KeyError, match="initial_lr"):
        optim.StepLR(make_optimizer(), step_size=2, last_epoch=3)


# --- ReduceLROnPlateau -------------------------------------------------------------------

def plateau_rates(scheduler, optimizer, metrics):
    rates = []
    for metric in metrics:
        scheduler.step(metric)
        rates.append(optimizer.param_groups[0]["lr"])
    return rates


def test_plateau_waits_patience_epochs_then_reduces():
    optimizer = make_optimizer()
    scheduler = optim.ReduceLROnPlateau(optimizer, factor=0.5, patience=2)
    # best 1.0 at epoch 1, then three epochs without improvement: the third reduces
    rates = plateau_rates(scheduler, optimizer, [1.0, 1.0, 1.0, 1.0, 0.5, 0.5])
    assert rates == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.05])


def test_plateau_relative_threshold_ignores_tiny_improvements():
    optimizer = make_optimizer()
    scheduler = optim.ReduceLROnPlateau(optimizer, factor=0.5, patience=0, threshold=0.1)
    rates = plateau_rates(scheduler, optimizer, [1.0, 0.95, 0.8])
    assert rates == pytest.approx([0.1, 0.05, 0.05])


def test_plateau_cooldown_and_min_lr():
    optimizer = make_optimizer()
    scheduler = optim.ReduceLROnPlateau(optimizer, factor=0.1, patience=0, cooldown=2,
                                        min_lr=0.002)
    rates = plateau_rates(scheduler, optimizer, [1.0] * 6)
    assert rates == pytest.approx([0.1, 0.01, 0.01, 0.01, 0.002, 0.002])


PLATEAU_SETTINGS = [
    dict(),
    dict(mode="max", factor=0.5, patience=1),
    dict(factor=0.3, patience=1, threshold=0.05, threshold_mode="abs", cooldown=1),
    dict(factor=0.5, patience=0, min_lr=0.02, eps=1e-3),
]


@pytest.mark.parametrize("settings", PLATEAU_SETTINGS, ids=str)
def test_plateau_matches_torch(settings):
    torch = pytest.importorskip("torch")
    metrics = list(np.random.default_rng(3).uniform(0.0, 1.0, 40))
    ours, theirs = make_optimizer(), make_optimizer(torch)
    got = plateau_rates(optim.ReduceLROnPlateau(ours, **settings), ours, metrics)
    expected = plateau_rates(torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **settings),
                             theirs, metrics)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


# --- state_dict ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, kwargs, closed_form", CLOSED_FORMS, ids=IDS)
def test_a_resumed_scheduler_continues_identically(name, kwargs, closed_form):
    optimizer = make_optimizer()
    scheduler = getattr(optim, name)(optimizer, **kwargs)
    rates_over_epochs(scheduler, optimizer, epochs=7)
    saved_optimizer, saved_scheduler = optimizer.state_dict(), scheduler.state_dict()
    rest = rates_over_epochs(scheduler, optimizer, epochs=8)

    optimizer = make_optimizer()
    optimizer.load_state_dict(saved_optimizer)
    resumed = getattr(optim, name)(optimizer, **kwargs)
    resumed.load_state_dict(saved_scheduler)
    assert rates_over_epochs(resumed, optimizer, epochs=8) == rest


def test_plateau_state_round_trip_keeps_best_and_counters():
    optimizer = make_optimizer()
    scheduler = optim.ReduceLROnPlateau(optimizer, patience=3)
    for metric in [1.0, 0.5, 0.7, 0.8]:
        scheduler.step(metric)
    saved = scheduler.state_dict()
    assert saved["best"] == 0.5 and saved["num_bad_epochs"] == 2
    fresh = optim.ReduceLROnPlateau(make_optimizer(), patience=3)
    fresh.load_state_dict(saved)
    assert fresh.state_dict() == saved


def test_a_state_dict_for_another_number_of_groups_is_rejected():
    saved = optim.StepLR(make_optimizer(lrs=(0.1, 0.2)), step_size=2).state_dict()
    with pytest.raises(ValueError, match="2 parameter groups"):
        optim.StepLR(make_optimizer(), step_size=2).load_state_dict(saved)


def test_a_state_dict_with_missing_entries_is_rejected():
    scheduler = optim.StepLR(make_optimizer(), step_size=2)
    saved = scheduler.state_dict()
    del saved["gamma"]
    with pytest.raises(KeyError, match="gamma"):
        scheduler.load_state_dict(saved)
