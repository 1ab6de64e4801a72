"""The compatibility layer sits on top: chainrule never imports it, and it imports
SciPy only for its scipy submodules."""

import re
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "chainrule"
IMPORTS_COMPAT = re.compile(r"^\s*(from|import)\s+(chainrule\.compat|\.+compat)\b", re.M)


def test_no_module_outside_the_layer_imports_it():
    offenders = [str(path.relative_to(SRC)) for path in SRC.rglob("*.py")
                 if "compat" not in path.relative_to(SRC).parts
                 and IMPORTS_COMPAT.search(path.read_text(encoding="utf-8"))]
    assert not offenders


def test_the_layer_without_scipy_submodules_does_not_import_scipy():
    modules = ["chainrule.compat.autograd", "chainrule.compat.autograd.numpy",
               "chainrule.compat.autograd.misc.optimizers", "chainrule.compat.autograd.test_util",
               "chainrule.compat.autograd.extend", "chainrule.compat.autograd.core"]
    code = f"import sys\nimport {', '.join(modules)}\nassert 'scipy' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_importing_chainrule_does_not_import_the_layer():
    code = "import sys, chainrule; assert 'chainrule.compat' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
