"""The coverage page is generated from the registry (``python -m chainrule coverage``), so
it cannot go stale; these tests check what it says and the hand-kept lists beside it."""

import subprocess
import sys

import numpy as np
import pytest


def test_coverage_page_names_every_primitive_and_routed_function():
    pytest.importorskip("scipy")
    page = subprocess.run([sys.executable, "-m", "chainrule.coverage", "--print"],
                          capture_output=True, text=True, check=True).stdout
    coverage = _parity()
    from chainrule.ops import registry

    unnamed = [name for name in registry.PRIMITIVES if f"`{name}`" not in page]
    unnamed += [coverage._name(f) for f in registry.FUNCTIONS
                if coverage._name(f) not in coverage.VERSIONED
                and f"`{coverage._name(f)}`" not in page]
    assert not unnamed, f"the coverage page does not name {unnamed}"
    assert f"- {len(registry.PRIMITIVES)} primitives" in page


def _parity():
    pytest.importorskip("scipy")
    import chainrule.scipy  # noqa: F401  (registers SciPy's functions)
    from chainrule import coverage

    return coverage


def test_every_function_autograd_differentiates_is_covered_or_explained():
    coverage = _parity()
    missing = {module: groups["missing"] for module, groups in coverage.parity().items()
               if groups["missing"]}
    assert not missing, (
        f"HIPS autograd differentiates these, chainrule neither does nor says why: {missing}; "
        f"add them, or give the reason in chainrule.coverage.NOT_COVERED")


def test_no_function_listed_as_not_covered_is_covered():
    coverage = _parity()
    stale = [f"{module}.{name}" for module, names in coverage.AUTOGRAD_PARITY.items()
             for name in names if f"{module}.{name}" in coverage.NOT_COVERED
             and coverage.resolve(module, name) is not None]
    assert not stale, f"covered now, so drop them from NOT_COVERED: {stale}"


def test_numpy_fft_parity_is_complete():
    coverage = _parity()
    assert coverage.parity()["numpy.fft"]["covered"] == coverage.AUTOGRAD_PARITY["numpy.fft"]


def test_functions_listed_by_numpy_version_are_routed_exactly_on_those_versions():
    coverage = _parity()
    from chainrule.ops import registry

    routed = {coverage._name(f) for f in registry.FUNCTIONS}
    wrong = {name: coverage.VERSIONED[name] for name in coverage.VERSIONED
             if (name in routed) != coverage.routed_on_this_numpy(name)}
    assert not wrong, (f"on NumPy {np.__version__} these are routed or not, contrary to their "
                       f"version range in chainrule.coverage.VERSIONED: {wrong}")


def test_coverage_page_lists_the_primitives_that_refuse_dask_arrays_with_their_reason():
    coverage = _parity()
    from chainrule.ops import registry

    page = coverage.coverage_markdown()
    section = page.split("## Not on Dask arrays", 1)[1].split("\n## ", 1)[0]
    declared = {name for name, prim in registry.PRIMITIVES.items() if prim.numpy_only}
    listed = {line.split("`")[1] for line in section.splitlines() if line.startswith("- `")}
    assert listed == declared
    assert "- `cholesky`: " + registry.PRIMITIVES["cholesky"].numpy_only in section
    assert "`sin`" not in section
