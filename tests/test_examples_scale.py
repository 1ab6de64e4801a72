"""The Dask example runs end to end on a real two-process LocalCluster and passes its checks.

It runs with 400,000 rows rather than 20 million (half a minute), with one BLAS
thread, like the other examples: on a two-core machine, BLAS threads would only
compete with the two worker processes.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("scipy")
pytest.importorskip("dask.distributed")
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "scale" / "logistic_dask.py"
ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                     "MKL_NUM_THREADS")}


@pytest.fixture(scope="module")
def plot_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("scale_plots")


@pytest.fixture(scope="module")
def finished(plot_dir) -> subprocess.CompletedProcess:
    env = {**os.environ, **ONE_THREAD}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, str(EXAMPLE), "--rows", "400000",
                           "--plot-dir", str(plot_dir)],
                          capture_output=True, text=True, env=env, timeout=300, check=False)


def lines_with(text: str, fragment: str) -> list[str]:
    return [line for line in text.splitlines() if fragment in line]


def test_the_example_passes_all_its_checks(finished):
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "all 15 checks passed" in finished.stdout


def test_numpy_and_dask_fits_of_the_subsample_agree_for_both_formulations(finished):
    rows = lines_with(finished.stdout, "Dask vs NumPy")
    assert len(rows) == 4 and all(row.endswith(" ok") for row in rows)
    assert {row.split()[0] for row in rows} == {"log1p(exp(z))", "logaddexp(0,"}


def test_every_coefficient_is_checked_against_its_generating_value(finished):
    rows = lines_with(finished.stdout, " SE  ")
    assert len(rows) == 10 and all(row.endswith(" ok") for row in rows)


def test_it_ran_on_two_worker_processes_and_reports_their_memory(finished):
    assert "2 worker processes" in finished.stdout
    assert len(lines_with(finished.stdout, "worker tcp://")) == 2
    assert lines_with(finished.stdout, "client (this process)")


def test_plot_dir_receives_the_loss_per_iteration(finished, plot_dir):
    if importlib.util.find_spec("matplotlib") is None:
        assert "pip install" in finished.stdout
        return
    assert (plot_dir / "logistic_dask_loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
