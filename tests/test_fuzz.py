"""The random-program fuzzer: a fixed, derandomized budget of programs in the suite
(``python -m chainrule.testing.fuzz`` runs as many as you like)."""

import sys

import numpy as np
import pytest

import chainrule as cr

pytest.importorskip("hypothesis")
pytest.importorskip("scipy")

from chainrule.testing import fuzz  # noqa: E402

PROGRAMS = 300


def test_random_programs_have_right_derivatives_in_every_mode():
    fuzz.fuzz_test(PROGRAMS, derandomize=True)()


def _wrong_sine():
    sine = cr.primitive(np.sin)
    sine.defvjp(lambda g, ans, x: g * np.sin(x))  # should be cos
    sine.defjvp(lambda t, ans, x: t * np.sin(x))
    return sine


def test_a_wrong_rule_is_caught_against_finite_differences():
    sine = _wrong_sine()

    def program(np, special, x0):
        return np.sum(sine(x0) * fuzz.weights(np.shape(x0)))

    with pytest.raises(fuzz.FuzzFailure, match="reverse-mode gradient disagrees"):
        fuzz.check_program(program, [np.array([0.3, -1.2])])


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_an_infinite_derivative_fails_the_check_rather_than_widening_the_tolerance():
    def program(np, special, x0):
        return np.sum(np.cbrt(x0 - 0.5) * fuzz.weights(np.shape(x0)))

    with pytest.raises(fuzz.FuzzFailure, match="reverse-mode gradient disagrees"):
        fuzz.check_program(program, [np.array([0.5, 1.5])])


def test_a_failing_program_is_shrunk_to_a_reproducer_that_fails_the_same_way(monkeypatch):
    import chainrule.scipy.special as cspecial

    wrong = [lambda g, ans, x: g * 0.0]
    monkeypatch.setattr(cspecial.rgamma, "vjps", wrong)
    monkeypatch.setattr(cspecial.rgamma, "jvps", wrong)
    program = fuzz.Program([(2,)], ["v0 = np.exp(x0)", "v1 = special.rgamma(v0)",
                                    "v2 = np.cos(v0)"], ["v1", "v2"])
    inputs = [np.array([0.3, -1.2])]
    error = fuzz.failure(program, inputs)
    assert isinstance(error, fuzz.FuzzFailure)
    smallest = fuzz.minimize(program, inputs, error)
    assert smallest.lines == ["v0 = np.exp(x0)", "v1 = special.rgamma(v0)"]
    namespace = {}
    exec(fuzz.reproducer(smallest, inputs, error), namespace)
    with pytest.raises(fuzz.FuzzFailure, match="reverse-mode gradient disagrees"):
        namespace["check_program"](namespace["program"], namespace["inputs"])


def test_the_command_line_counts_programs_and_exits_zero_when_all_pass(tmp_path, capsys):
    assert fuzz.main(["--programs", "4", "--seed", "3", "--out", str(tmp_path)]) == 0
    assert "done: 4 programs checked with seed 3, 0 failures" in capsys.readouterr().out
    assert not list(tmp_path.iterdir())


def test_the_command_line_saves_each_failure_and_exits_one(tmp_path, monkeypatch, capsys):
    def always_fails(program, inputs):
        raise fuzz.FuzzFailure("the check disagrees")

    monkeypatch.setattr(fuzz, "check_program", always_fails)
    assert fuzz.main(["--programs", "2", "--seed", "3", "--out", str(tmp_path)]) == 1
    saved = sorted(tmp_path.iterdir())
    assert len(saved) == 2 and "def program(np, special, x0" in saved[0].read_text()
    assert "2 failures" in capsys.readouterr().out


def test_without_hypothesis_the_fuzzer_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    with pytest.raises(ImportError, match=r"pip install chainrule\[test\]"):
        fuzz.programs()
