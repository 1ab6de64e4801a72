"""Each scalar-engine example runs to completion and passes its own check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ["scalar_basics", "scalar_fit_line", "scalar_mlp_moons", "scalar_zero_grad"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_exits_with_status_zero(name):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    finished = subprocess.run(
        [sys.executable, str(ROOT / "examples" / f"{name}.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_has_a_main_function(name):
    source = (ROOT / "examples" / f"{name}.py").read_text()
    assert "\ndef main() -> None:" in source and 'if __name__ == "__main__":' in source
