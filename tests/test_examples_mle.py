"""The maximum-likelihood examples run and pass their own checks (issue 8).

Each fits its models in a second or two; they run with one BLAS thread, as the
nn examples do, so that they behave the same on a busy two-core machine.
"""

import functools
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("scipy")

ROOT = Path(__file__).resolve().parent.parent
ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                     "MKL_NUM_THREADS")}


@functools.cache
def run_example(name: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **ONE_THREAD}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    script = ROOT / "examples" / "science" / f"{name}.py"
    return subprocess.run([sys.executable, str(script), *args], capture_output=True,
                          text=True, env=env, timeout=180, check=False)


def test_linear_regression_matches_the_ols_closed_forms():
    finished = run_example("linear_regression_mle")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    for line in ("coefficients vs OLS", "standard errors vs sigma^2 (X'X)^-1",
                 "delta-method SE of sigma vs sigma/sqrt(2N)"):
        assert any(line in row and row.endswith(" ok") for row in finished.stdout.splitlines())
    assert "all 6 checks passed" in finished.stdout
    assert "P>|z|" in finished.stdout and "Natural scale (delta method)" in finished.stdout


def test_logistic_and_poisson_match_irls():
    finished = run_example("logistic_poisson_mle")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    rows = [row for row in finished.stdout.splitlines() if "vs IRLS" in row or "(X'WX)" in row]
    assert len(rows) == 6 and all(row.endswith(" ok") for row in rows)
    assert "all 8 checks passed" in finished.stdout
    assert "MISMATCH" not in finished.stdout


@pytest.mark.parametrize("name", ["linear_regression_mle", "logistic_poisson_mle"])
def test_no_plot_is_written_without_the_flag(name):
    finished = run_example(name)
    assert "plot saved" not in finished.stdout and "matplotlib" not in finished.stdout


@pytest.mark.parametrize("name", ["linear_regression_mle", "logistic_poisson_mle"])
def test_plot_dir_receives_a_png(tmp_path, name):
    finished = run_example(name, "--plot-dir", str(tmp_path))
    assert finished.returncode == 0, finished.stdout + finished.stderr
    if importlib.util.find_spec("matplotlib") is None:
        assert "pip install" in finished.stdout and not list(tmp_path.iterdir())
        return
    assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
