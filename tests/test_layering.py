"""The layers import only downwards: engine <- ops <- tensor/dispatch <- transforms <-
nn/optim/scientific. Checked on the source (imports anywhere in a module, functions
included) and by importing each upper package first in a fresh interpreter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "chainrule"


def _imported_modules(path: Path) -> set[str]:
    """Absolute names of the chainrule modules ``path`` imports, anywhere in it."""
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
    if path.name == "__init__.py":
        package += ".__init__"
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:-node.level]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return {name for name in names if name == "chainrule" or name.startswith("chainrule.")}


def _modules_under(folder: str) -> list[Path]:
    return sorted((SRC / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _modules_under("optim") + _modules_under("nn"),
                         ids=lambda p: str(p.relative_to(SRC)))
def test_nn_and_optim_use_public_names_only(path):
    private = {name for name in _imported_modules(path)
               if any(part.startswith("_") and part != "__init__" for part in name.split("."))}
    assert not private, f"{path.name} imports private modules: {sorted(private)}"


@pytest.mark.parametrize("package", ["chainrule.nn", "chainrule.optim", "chainrule.training",
                                     "chainrule.data"])
def test_an_upper_package_imports_first_in_a_fresh_interpreter(package):
    result = subprocess.run([sys.executable, "-c", f"import {package}"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


UPPER = ("chainrule.transforms", "chainrule.checkpoint", "chainrule.nn", "chainrule.optim",
         "chainrule.training", "chainrule.optimize", "chainrule.mle", "chainrule.tensor",
         "chainrule.jit")


@pytest.mark.parametrize("path", _modules_under("_core") + _modules_under("ops"),
                         ids=lambda p: str(p.relative_to(SRC)))
def test_engine_and_ops_never_import_upwards(path):
    imported = _imported_modules(path)
    upward = {name for name in imported
              if name == "chainrule" or name.startswith(UPPER)}
    assert not upward, f"{path.relative_to(SRC)} imports {sorted(upward)}"


@pytest.mark.parametrize("path", _modules_under("_core"), ids=lambda p: str(p.relative_to(SRC)))
def test_the_engine_knows_no_primitives(path):
    imported = _imported_modules(path)
    assert not {name for name in imported if name.startswith("chainrule.ops")}
