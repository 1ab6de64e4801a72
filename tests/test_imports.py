"""Optional extras are imported only when used."""

import subprocess
import sys


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_importing_chainrule_does_not_import_optional_extras():
    loaded = _run("import sys, chainrule; "
                  "print(sorted(m for m in ('scipy', 'matplotlib', 'sklearn', 'tqdm', 'torch') "
                  "if m in sys.modules))")
    assert loaded == "[]"


def test_cr_scipy_is_loaded_on_first_use():
    out = _run("import numpy as np, chainrule as cr; "
               "print(round(float(cr.scipy.special.gammaln(np.array(4.0))), 6))")
    assert out == str(round(float(__import__("math").lgamma(4.0)), 6))
