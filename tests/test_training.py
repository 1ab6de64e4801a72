"""The fit() training helper (issue 7): it trains, records the losses, and reports progress
with tqdm when installed and with plain lines otherwise."""

from __future__ import annotations

import io

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim, training
from chainrule.data import Batches

rng = np.random.default_rng(0)
X = rng.standard_normal((64, 3))
TRUE_W = np.array([1.5, -2.0, 0.5])
Y = X @ TRUE_W + 0.3


class LinearModel:
    """The smallest model fit() accepts: callable, with a train() switch."""

    def __init__(self):
        self.w = cr.tensor(np.zeros(3), requires_grad=True)
        self.b = cr.tensor(0.0, requires_grad=True)
        self.train_calls = 0

    def __call__(self, x):
        return x @ self.w + self.b

    def train(self):
        self.train_calls += 1

    def parameters(self):
        return [self.w, self.b]


def mse(prediction, target):
    return ((prediction - target) ** 2).mean()


def quiet_fit(model, optimizer, epochs, **kwargs):
    kwargs.setdefault("progress", False)
    return training.fit(model, mse, optimizer, Batches(X, Y, batch_size=16, shuffle=True,
                                                       seed=0), epochs, **kwargs)


def test_fit_trains_a_model_and_records_every_loss():
    model = LinearModel()
    history = quiet_fit(model, optim.SGD(model.parameters(), lr=0.1), epochs=30)
    np.testing.assert_allclose(model.w.numpy(), TRUE_W, atol=1e-3)
    assert model.b.item() == pytest.approx(0.3, abs=1e-3)
    assert len(history.step_losses) == 30 * 4 and len(history.epoch_losses) == 30
    assert history.epoch_losses[-1] < 1e-5 < history.epoch_losses[0]
    assert history.epoch_losses[0] == pytest.approx(np.mean(history.step_losses[:4]))
    assert model.train_calls == 30


def test_fit_takes_exactly_the_steps_of_a_hand_written_loop():
    by_fit, by_hand = LinearModel(), LinearModel()
    quiet_fit(by_fit, optim.Adam(by_fit.parameters(), lr=0.05), epochs=3)
    optimizer = optim.Adam(by_hand.parameters(), lr=0.05)
    batches = Batches(X, Y, batch_size=16, shuffle=True, seed=0)
    for _ in range(3):
        for xb, yb in batches:
            loss = mse(by_hand(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    np.testing.assert_array_equal(by_fit.w.numpy(), by_hand.w.numpy())


def test_fit_steps_the_scheduler_once_per_epoch():
    model = LinearModel()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    scheduler = optim.StepLR(optimizer, step_size=1, gamma=0.5)
    quiet_fit(model, optimizer, epochs=3, scheduler=scheduler)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 3)


def test_fit_feeds_the_epoch_loss_to_reduce_lr_on_plateau():
    model = LinearModel()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    scheduler = optim.ReduceLROnPlateau(optimizer)
    history = quiet_fit(model, optimizer, epochs=3, scheduler=scheduler)
    assert scheduler.last_epoch == 3
    assert scheduler.best == history.epoch_losses[-1]


def test_fit_clips_the_gradient_norm_when_asked():
    model = LinearModel()
    history = quiet_fit(model, optim.SGD(model.parameters(), lr=1.0), epochs=1,
                        max_grad_norm=1e-3)
    assert np.linalg.norm(np.append(model.w.numpy(), model.b.item())) <= 4 * 1e-3 + 1e-9
    assert len(history.step_losses) == 4


def test_on_epoch_end_metrics_are_recorded_and_shown():
    model = LinearModel()
    out = io.StringIO()
    history = quiet_fit(model, optim.SGD(model.parameters(), lr=0.1), epochs=2,
                        on_epoch_end=lambda epoch, loss: {"half": loss / 2},
                        progress=True, file=out)
    assert history.metrics[1]["half"] == pytest.approx(history.epoch_losses[1] / 2)
    assert "half" in out.getvalue()


def test_without_tqdm_fit_prints_plain_periodic_lines(monkeypatch):
    monkeypatch.setattr(training, "_optional_tqdm", lambda: None)
    model = LinearModel()
    out = io.StringIO()
    history = quiet_fit(model, optim.SGD(model.parameters(), lr=0.1), epochs=2, progress=True,
                        print_every=2, file=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == f"epoch 1/2  step 2  loss {np.mean(history.step_losses[:2]):.4f}"
    assert lines[2].startswith(f"epoch 1/2  loss {history.epoch_losses[0]:.4f}  (")
    assert len(lines) == 6


class Terminal(io.StringIO):
    """Captured output that says it is a terminal, as an interactive console does."""

    def isatty(self):
        return True


def test_with_tqdm_fit_shows_a_bar_with_the_running_loss():
    pytest.importorskip("tqdm")
    model = LinearModel()
    out = Terminal()
    quiet_fit(model, optim.SGD(model.parameters(), lr=0.1), epochs=2, progress=True, file=out)
    text = out.getvalue()
    assert "epoch 2/2" in text and "4/4" in text and "loss=" in text


def test_progress_false_prints_nothing(capsys):
    model = LinearModel()
    quiet_fit(model, optim.SGD(model.parameters(), lr=0.1), epochs=2, progress=False)
    captured = capsys.readouterr()
    assert captured.out == captured.err == ""


def test_a_generator_of_batches_runs_out_with_a_clear_error():
    model = LinearModel()
    once = ((X[i:i + 16], Y[i:i + 16]) for i in range(0, 64, 16))
    with pytest.raises(ValueError, match="epoch 2.*generator"):
        training.fit(model, mse, optim.SGD(model.parameters(), lr=0.1), once, 2,
                     progress=False)


def test_fit_trains_an_nn_module():
    layer = nn.Linear(3, 1, rng=0)
    history = training.fit(lambda x: layer(x)[:, 0], mse,
                           optim.SGD(layer.parameters(), lr=0.1),
                           Batches(X, Y, batch_size=16, shuffle=True, seed=0), 30,
                           progress=False)
    assert history.epoch_losses[-1] < 1e-5


def test_output_that_is_not_a_terminal_gets_one_plain_line_per_epoch():
    model = LinearModel()
    out = io.StringIO()
    history = quiet_fit(model, optim.SGD(model.parameters(), lr=0.1), epochs=3, progress=True,
                        file=out)
    text = out.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert len(lines) == 3
    for epoch, (line, loss) in enumerate(zip(lines, history.epoch_losses), start=1):
        assert line.startswith(f"epoch {epoch}/3  loss {loss:.4f}  (")


def test_redirected_stdout_gets_no_carriage_returns(capsys):
    model = LinearModel()
    quiet_fit(model, optim.SGD(model.parameters(), lr=0.1), epochs=2, progress=True)
    captured = capsys.readouterr()
    assert "\r" not in captured.out + captured.err
    assert [line.split("  ")[0] for line in captured.out.splitlines()] == ["epoch 1/2",
                                                                          "epoch 2/2"]


def test_history_repr_is_a_short_summary():
    history = training.History(step_losses=[float(i) for i in range(1000)],
                               epoch_losses=[3.0, 1.5, 2.0],
                               metrics=[{"accuracy": 0.5}, {"accuracy": 0.7}, {"accuracy": 0.6}])
    assert repr(history) == ("History(epochs=3, steps=1000, last_loss=2, best_loss=1.5 "
                             "(epoch 2), metrics=['accuracy'])")


def test_history_repr_of_a_fit_stays_short():
    model = LinearModel()
    history = quiet_fit(model, optim.SGD(model.parameters(), lr=0.1), epochs=30)
    text = repr(history)
    assert text.startswith("History(epochs=30, steps=120, last_loss=") and len(text) < 120
    assert f"{history.epoch_losses[-1]:.4g}" in text


def test_empty_history_repr():
    assert repr(training.History()) == "History(epochs=0)"


def test_a_notebook_widget_bar_is_kept_when_output_is_not_a_terminal(monkeypatch):
    import sys
    import types

    class NotebookBar:
        pass

    monkeypatch.setitem(sys.modules, "tqdm.notebook",
                        types.SimpleNamespace(tqdm_notebook=NotebookBar))
    assert training._shows_a_bar(NotebookBar, io.StringIO())
    assert not training._shows_a_bar(type("TextBar", (), {}), io.StringIO())


def test_fit_with_jit_trains_exactly_as_eagerly():
    import warnings

    from chainrule.jit import JitWarning

    rng = np.random.default_rng(0)
    X = rng.standard_normal((96, 4))
    y = (X @ np.array([1.0, -2.0, 0.5, 3.0]) > 0).astype(int)

    def run(jit):
        model = cr.nn.Sequential(cr.nn.Linear(4, 8, rng=1), cr.nn.Tanh(), cr.nn.Linear(8, 2, rng=2))
        optimizer = cr.optim.Adam(model.parameters(), lr=0.05)
        batches = [(X[i:i + 32], y[i:i + 32]) for i in range(0, 96, 32)]
        history = cr.training.fit(model, cr.nn.CrossEntropyLoss(), optimizer, batches, epochs=3,
                                  progress=False, jit=jit, max_grad_norm=1.0)
        return history.step_losses, [p.numpy().copy() for p in model.parameters()]

    eager_losses, eager_params = run(False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", JitWarning)
        losses, params = run(True)
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-12)
    for p, e in zip(params, eager_params):
        np.testing.assert_allclose(p, e, rtol=1e-10, atol=1e-12)


def test_fit_with_jit_trains_a_model_with_dropout_eagerly_and_says_so():
    from chainrule.jit import JitWarning

    model = cr.nn.Sequential(cr.nn.Linear(2, 4, rng=0), cr.nn.Dropout(0.5, rng=0),
                             cr.nn.Linear(4, 1, rng=1))
    batches = [(np.ones((4, 2)), np.zeros((4, 1)))]
    with pytest.warns(JitWarning, match="Dropout"):
        cr.training.fit(model, cr.nn.MSELoss(), cr.optim.SGD(model.parameters(), lr=0.1),
                        batches, progress=False, jit=True)


class _Counted(cr.nn.Module):
    """A linear model whose forward pass counts how often its Python body runs."""

    def __init__(self):
        super().__init__()
        self.linear = cr.nn.Linear(3, 1, rng=0)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return self.linear(x)


def _regression_batches(count=6):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((count * 8, 3))
    y = X @ np.array([[1.0], [-2.0], [0.5]])
    return [(X[i:i + 8], y[i:i + 8]) for i in range(0, count * 8, 8)]


def _train(model, jit, epochs=2):
    optimizer = cr.optim.SGD(model.parameters(), lr=0.05)
    history = cr.training.fit(model, cr.nn.MSELoss(), optimizer, _regression_batches(),
                              epochs=epochs, progress=False, jit=jit)
    return history.step_losses


def test_fit_compiles_by_default_and_runs_the_python_forward_only_to_trace_and_check():
    import warnings

    from chainrule.jit import JitWarning

    eager = _Counted()
    expected = _train(eager, jit=False)
    assert eager.calls == 12
    compiled = _Counted()
    with warnings.catch_warnings():
        warnings.simplefilter("error", JitWarning)
        losses = _train(compiled, jit=None)
    # once to trace, once for the eager check of the first reuse, never again
    assert compiled.calls == 2
    np.testing.assert_allclose(losses, expected, rtol=1e-12)


class _Noisy(cr.nn.Module):
    """Adds noise from a generator it holds: a different function at every step."""

    def __init__(self):
        super().__init__()
        self.linear = cr.nn.Linear(3, 1, rng=0)
        self.noise = np.random.default_rng(5)

    def forward(self, x):
        return self.linear(x) + 0.1 * self.noise.standard_normal((x.shape[0], 1))


class _HiddenNoise(cr.nn.Module):
    """The same, with the generator out of the checks' sight (inside a list)."""

    def __init__(self):
        super().__init__()
        self.linear = cr.nn.Linear(3, 1, rng=0)
        self.parts = [np.random.default_rng(5)]

    def forward(self, x):
        return self.linear(x) + 0.1 * self.parts[0].standard_normal((x.shape[0], 1))


def test_fit_trains_a_model_holding_a_generator_eagerly_by_default_without_a_warning():
    import warnings

    from chainrule.jit import JitWarning

    expected = _train(_Noisy(), jit=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", JitWarning)
        losses = _train(_Noisy(), jit=None)
    np.testing.assert_allclose(losses, expected, rtol=1e-12)
    with pytest.warns(JitWarning, match=r"_Noisy\.noise"):
        _train(_Noisy(), jit=True)


def test_fit_finds_a_generator_read_from_a_global_or_a_closure():
    model = cr.nn.Linear(3, 1, rng=0)
    noise = np.random.default_rng(1)

    def loss_with_noise(prediction, target):
        return np.mean((prediction - target + 0.1 * noise.standard_normal(target.shape)) ** 2)

    assert training._varying_parts(model, loss_with_noise) == [
        "the forward pass may draw random numbers from noise"]
    assert training._varying_parts(model, _uses_module_generator)[0].endswith("_MODULE_RNG")
    assert training._varying_parts(model, cr.nn.MSELoss()) == []


_MODULE_RNG = np.random.default_rng(2)


def _uses_module_generator(prediction, target):
    return np.mean((prediction - target) ** 2) + _MODULE_RNG.random()


def test_fit_catches_randomness_it_cannot_see_on_the_first_reused_step_and_trains_eagerly():
    from chainrule.jit import JitWarning

    expected = _train(_HiddenNoise(), jit=False)
    with pytest.warns(JitWarning, match="different loss or gradient"):
        losses = _train(_HiddenNoise(), jit=None)
    # the trial step's eager result is the one used: the same draws, step for step
    np.testing.assert_allclose(losses, expected, rtol=1e-12)
