"""The nn examples run to completion and pass their own checks (issue 7).

Each trains a model on scikit-learn's digits, so they take seconds; they carry
the ``slow`` mark, and ``pytest -m "not slow"`` leaves them out. They run with
one BLAS thread: their matrices are small, and BLAS threads spinning against
other processes on a two-core machine would make them several times slower.
"""

import functools
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ["digits_mlp", "digits_cnn", "training_curve"]
ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                     "MKL_NUM_THREADS")}

pytestmark = pytest.mark.slow


@functools.cache
def run_example(name: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **ONE_THREAD}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, str(ROOT / "examples" / f"{name}.py"), *args],
                          capture_output=True, text=True, env=env, timeout=180, check=False)


def has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.mark.parametrize("name, target", [("digits_mlp", "97%"), ("digits_cnn", "98%")])
def test_digits_example_reaches_its_accuracy(name, target):
    pytest.importorskip("sklearn")
    finished = run_example(name)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert f"(target {target})" in finished.stdout


def test_mlp_example_reloads_its_checkpoint():
    pytest.importorskip("sklearn")
    finished = run_example("digits_mlp")
    assert "checkpoint saved and reloaded: same outputs" in finished.stdout


def test_training_curve_is_saved_as_png(tmp_path):
    pytest.importorskip("sklearn")
    path = tmp_path / "curve.png"
    finished = run_example("training_curve", str(path))
    assert finished.returncode == 0, finished.stdout + finished.stderr
    if has("matplotlib"):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert "pip install" in finished.stdout and not path.exists()


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_has_a_main_function(name):
    source = (ROOT / "examples" / f"{name}.py").read_text()
    assert "\ndef main() -> None:" in source and 'if __name__ == "__main__":' in source
