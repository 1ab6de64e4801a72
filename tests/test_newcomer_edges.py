"""The rough edges a newcomer hit in the first hour, each pinned by a test."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

import chainrule as cr
from chainrule.teach import MLP

TUTORIAL_X = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
TUTORIAL_Y = [1.0, -1.0, -1.0, 1.0]


def _train_tutorial_mlp(seed, steps=100, lr=0.05):
    model = MLP(3, [4, 4, 1], rng=seed)
    for _ in range(steps):
        loss = sum((model(x) - y) ** 2 for x, y in zip(TUTORIAL_X, TUTORIAL_Y))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
    return loss.data


def test_the_teaching_mlp_with_its_defaults_trains_on_the_tutorial_data():
    # unseeded runs stuck at a constant output 4 times in 5 with ReLU hidden units
    losses = [_train_tutorial_mlp(seed) for seed in range(20)]
    assert max(losses) < 0.1, sorted(losses)[-3:]


def test_viz_and_teach_are_reachable_from_the_package():
    assert cr.viz.to_dot is not None and cr.teach.MLP is MLP


def test_value_and_grad_of_a_float_gives_floats():
    value, gradient = cr.value_and_grad(lambda x: x ** 2 + 3 * x)(2.0)
    assert type(value) is float and value == 10.0
    assert type(gradient) is float and gradient == 7.0


def test_importing_chainrule_leaves_numpy_testing_and_f2py_unloaded():
    code = ("import sys, chainrule; print(sorted(m for m in ('numpy.testing', 'numpy.f2py', "
            "'unittest') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_chainrule_numpy_still_reaches_numpy_submodules_loaded_on_use():
    import chainrule.numpy as cnp

    cnp.testing.assert_allclose(np.ones(2), np.ones(2))
    assert cnp.polynomial is np.polynomial
