"""``python -m chainrule``: help, version, bad arguments, ``coverage`` and ``check``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import chainrule
from chainrule import cli
from chainrule.coverage import NOT_COVERED

SRC = Path(chainrule.__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess:
    """``python -m chainrule *args`` in a fresh interpreter, on this checkout's source."""
    path = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "chainrule", *args], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": path}, timeout=120)


def test_help_prints_usage_and_the_subcommands():
    result = run("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m chainrule")
    assert all(command in result.stdout for command in ("demo", "coverage", "check"))


def test_version_is_the_package_version():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"chainrule {chainrule.__version__}"


def test_an_unknown_option_is_a_usage_error_not_the_demo():
    result = run("--no-such-option")
    assert result.returncode == 2
    assert "unrecognized arguments: --no-such-option" in result.stderr
    assert "All checks passed" not in result.stdout


def test_coverage_of_a_covered_name_names_its_primitive():
    result = run("coverage", "numpy.sin")
    assert result.returncode == 0
    assert "numpy.sin is differentiable" in result.stdout and "'sin'" in result.stdout


def test_coverage_of_a_deliberately_uncovered_name_gives_the_reason():
    result = run("coverage", "numpy.linalg.cond")
    assert result.returncode == 1
    assert "not covered" in result.stdout
    assert NOT_COVERED["numpy.linalg.cond"] in result.stdout


BAD_RULE = textwrap.dedent("""
    import numpy as np
    import chainrule as cr

    @cr.primitive
    def scaled_product(x, y):
        return x * y

    scaled_product.defvjp(lambda g, ans, x, y: g * y,
                          lambda g, ans, x, y: 2 * g * x)  # wrong: should be g * x
    scaled_product.defjvp(lambda t, ans, x, y: t * y, lambda t, ans, x, y: x * t)

    def correct(x, y):
        return np.sum(np.sin(x) * y ** 2)

    def uses_the_wrong_rule(x, y):
        return np.sum(scaled_product(x, y))
""")


@pytest.fixture
def module_file(tmp_path: Path) -> Path:
    path = tmp_path / "functions.py"
    path.write_text(BAD_RULE, encoding="utf-8")
    return path


def test_check_passes_a_correct_function(module_file):
    result = run("check", f"{module_file}:correct", "--shape", "3", "--shape", "3",
                 "--order", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok: every derivative agrees" in result.stdout


def test_check_names_the_input_whose_derivative_is_wrong(module_file):
    result = run("check", f"{module_file}:uses_the_wrong_rule", "--shape", "2",
                 "--shape", "2", "--seed", "1")
    assert result.returncode == 1
    assert "FAILED: reverse-mode derivative of order 1 with respect to argument 1" \
        in result.stdout


# The rest run in this process, which is faster than a fresh interpreter each.

def test_no_arguments_and_demo_both_run_the_demo():
    ran = []
    assert cli.main([], demo=lambda: ran.append("tour") or 0) == 0
    assert cli.main(["demo"], demo=lambda: ran.append("tour") or 0) == 0
    assert ran == ["tour", "tour"]


def test_coverage_without_a_name_prints_the_coverage_page(capsys):
    from chainrule.coverage import coverage_markdown

    assert cli.main(["coverage"]) == 0
    assert capsys.readouterr().out == coverage_markdown()


def test_a_bare_name_is_read_as_a_numpy_name(capsys):
    assert cli.main(["coverage", "sin"]) == 0
    assert "numpy.sin is differentiable" in capsys.readouterr().out


def test_coverage_of_a_scipy_ufunc():
    pytest.importorskip("scipy")
    assert cli.main(["coverage", "scipy.special.gammaln"]) == 0


def test_coverage_without_scipy_says_it_is_an_optional_extra(monkeypatch, capsys):
    monkeypatch.setattr(cli, "_import_scipy_rules", lambda: False)
    assert cli.main(["coverage", "scipy.special.gammaln"]) == 1
    assert "optional extra" in capsys.readouterr().out


def test_a_function_passed_through_without_a_derivative_is_not_differentiable(capsys):
    assert cli.main(["coverage", "numpy.argmax"]) == 1
    assert "passed through without a derivative" in capsys.readouterr().out


def test_a_function_without_a_rule_says_how_to_proceed(capsys):
    assert cli.main(["coverage", "numpy.unique"]) == 1
    assert "@chainrule.primitive" in capsys.readouterr().out


def test_a_misspelt_name_is_not_found(capsys):
    assert cli.main(["coverage", "numpy.sine"]) == 1
    assert "no such function" in capsys.readouterr().out


def test_a_partly_covered_function_lists_what_is_not(capsys):
    assert cli.main(["coverage", "numpy.pad"]) == 0
    assert "linear_ramp" in capsys.readouterr().out


def test_chainrules_own_version_of_a_function_is_named(capsys):
    assert cli.main(["coverage", "numpy.array"]) == 0
    assert "chainrule.numpy.array" in capsys.readouterr().out


def test_check_refuses_an_input_outside_the_functions_domain(tmp_path, capsys):
    path = tmp_path / "logs.py"
    path.write_text("import numpy as np\ndef log_sum(x):\n    return np.sum(np.log(x))\n")
    with pytest.warns(RuntimeWarning):
        assert cli.main(["check", f"{path}:log_sum", "--shape", "4"]) == 1
    assert "--uniform" in capsys.readouterr().out
    assert cli.main(["check", f"{path}:log_sum", "--shape", "4",
                     "--uniform", "0.5", "2"]) == 0


def test_check_reports_a_missing_rule_without_a_traceback(tmp_path, capsys):
    path = tmp_path / "reverse_only.py"
    path.write_text(textwrap.dedent("""
        import chainrule as cr

        @cr.primitive
        def square(x):
            return x * x

        square.defvjp(lambda g, ans, x: 2 * g * x)
    """))
    with pytest.warns(UserWarning, match="skipped forward mode: primitive 'square'"):
        assert cli.main(["check", f"{path}:square", "--order", "1"]) == 0
    assert cli.main(["check", f"{path}:square", "--modes", "fwd"]) == 1
    captured = capsys.readouterr()
    assert "no forward-mode (JVP) rule" in captured.out and "Traceback" not in captured.err
    assert cli.main(["check", f"{path}:square", "--modes", "rev"]) == 0


@pytest.mark.parametrize("arguments, message", [
    (["check", "no_colon.py"], "is not FILE:FUNC"),
    (["check", "missing.py:f"], "no such file"),
    (["check", "{file}:absent"], "defines no function 'absent'"),
    (["check", "{file}:f", "--shape", "2y"], "is not a shape"),
    (["check", "{file}:f", "--order", "0"], "is not an order"),
])
def test_check_usage_errors_exit_2(tmp_path, capsys, arguments, message):
    path = tmp_path / "one.py"
    path.write_text("def f(x):\n    return x\n")
    with pytest.raises(SystemExit) as exit_:
        cli.main([a.format(file=path) for a in arguments])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
