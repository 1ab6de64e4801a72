"""The scientific examples run to completion and pass their own checks (issue 8).

Each script checks chainrule against an independent answer (closed forms, finite
differences, a NumPy formula, energy conservation) and exits with status 1 if a
check fails; each takes a few seconds. They run once each, with ``--plot-dir``,
so that the plotting code is exercised too, and with one BLAS thread: their
matrices are small, and BLAS threads competing with other processes on a
two-core machine would only slow them down.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCIENCE = ROOT / "examples" / "science"
ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                     "MKL_NUM_THREADS")}
# What each example prints when it has checked what it is about, and the PNG it saves.
EXAMPLES = {
    "black_scholes": (["call vanna", "put volga", "MC delta (in SEs)"],
                      "black_scholes_greeks.png"),
    "lennard_jones_md": (["vs finite differences", "all forces vs pair formula",
                          "velocity Verlet: 1000 steps", "max |E(t) - E(0)| / |E(0)|"],
                         "lennard_jones_energy.png"),
    "lotka_volterra_rk4": (["d loss / d gamma vs finite diff.", "vs forward mode",
                            "fitted delta (relative error)", "gradient at the optimum"],
                           "lotka_volterra_fit.png"),
    "gp_regression": (["d NLML / d log noise variance vs formula", "gradient at the optimum",
                       "noise variance", "posterior mean"],
                      "gp_regression.png"),
}
NEEDS_SCIPY = {"black_scholes", "lotka_volterra_rk4", "gp_regression"}


def has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def run_example(name: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **ONE_THREAD}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, str(SCIENCE / f"{name}.py"), *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False,
                          cwd=cwd)


@pytest.fixture(scope="module")
def plot_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("science_plots")


@pytest.fixture(scope="module")
def runs(plot_dir):
    """Each example run once with --plot-dir, shared by the tests below."""
    cache = {}

    def run(name: str) -> subprocess.CompletedProcess:
        if name in NEEDS_SCIPY:
            pytest.importorskip("scipy")
        if name not in cache:
            cache[name] = run_example(name, "--plot-dir", str(plot_dir))
        return cache[name]

    return run


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_passes_its_checks(name, runs):
    finished = runs(name)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "checks passed" in finished.stdout
    assert "FAILED" not in finished.stdout


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_prints_what_it_checked(name, runs):
    finished = runs(name)
    for line in EXAMPLES[name][0]:
        assert line in finished.stdout, f"{line!r} missing from:\n{finished.stdout}"


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_saves_its_plot_in_the_plot_dir(name, runs, plot_dir):
    finished = runs(name)
    path = plot_dir / EXAMPLES[name][1]
    if has("matplotlib"):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", finished.stdout + finished.stderr
    else:
        assert "matplotlib is not installed" in finished.stdout and not path.exists()


def test_without_plot_dir_no_plot_is_written(tmp_path):
    pytest.importorskip("scipy")
    finished = run_example("black_scholes", cwd=tmp_path)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "plot saved" not in finished.stdout
    assert not list(tmp_path.rglob("*.png"))


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_has_a_docstring_and_a_main_function(name):
    source = (SCIENCE / f"{name}.py").read_text()
    assert source.startswith('"""') and "Run: python examples/science/" in source
    assert "\ndef main() -> None:" in source and 'if __name__ == "__main__":' in source
