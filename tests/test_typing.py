"""chainrule's annotations, as a type checker sees them from user code.

mypy checks tests/typing/public_api_usage.py (typical user code with ``assert_type``
checks) under ``--strict``, with the settings of pyproject.toml's ``[tool.mypy]``.
chainrule itself is read from the copy that this Python imports.
"""

import importlib.util
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

import chainrule

ROOT = Path(__file__).resolve().parents[1]
USAGE = ROOT / "tests" / "typing" / "public_api_usage.py"
PACKAGE = Path(chainrule.__file__).resolve().parent

needs_mypy = pytest.mark.skipif(
    importlib.util.find_spec("mypy") is None,
    reason="mypy is not installed (the test extra installs it: pip install -e '.[test]')")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for the module: the second run reuses what the first learnt."""
    return tmp_path_factory.mktemp("mypy_cache")


def run_mypy(cache_dir: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    """mypy with the repository's settings, reading chainrule from the imported copy."""
    env = dict(os.environ, MYPYPATH=str(PACKAGE.parent))
    command = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
               "--cache-dir", str(cache_dir), "--no-error-summary", *targets]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)


def test_chainrule_ships_a_py_typed_marker():
    assert (PACKAGE / "py.typed").is_file()


def test_the_package_data_includes_py_typed():
    tomllib = pytest.importorskip("tomllib", reason="tomllib is new in Python 3.11")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["chainrule"]


@needs_mypy
def test_user_code_type_checks_strictly_against_the_public_api(cache_dir: Path):
    result = run_mypy(cache_dir, str(USAGE))
    assert result.returncode == 0, result.stdout + result.stderr


@needs_mypy
def test_mypy_sees_chainrule_types_rather_than_any(cache_dir: Path, tmp_path: Path):
    misuse = tmp_path / "misuse.py"
    misuse.write_text("import chainrule as cr\n"
                      "label: str = cr.tensor([1.0]) + 1\n"
                      "cr.tensor([1.0]).gard\n"
                      "count: int = cr.grad(lambda x: x)\n"
                      "name: str = cr.nn.Linear(2, 1)\n"
                      "cr.gard\n")
    result = run_mypy(cache_dir, str(misuse))
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'expression has type "Tensor", variable has type "str"' in result.stdout
    assert '"Tensor" has no attribute "gard"' in result.stdout
    assert 'expression has type "Callable[..., Any]", variable has type "int"' in result.stdout
    assert 'expression has type "Linear", variable has type "str"' in result.stdout
    assert 'Module has no attribute "gard"' in result.stdout


@pytest.mark.skipif(sys.version_info < (3, 11)
                    and importlib.util.find_spec("typing_extensions") is None,
                    reason="assert_type before Python 3.11 needs typing_extensions")
def test_the_checked_user_code_runs():
    runpy.run_path(str(USAGE), run_name="__main__")
