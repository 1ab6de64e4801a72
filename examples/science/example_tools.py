"""What the worked examples share: the command line, plot files and the final verdict."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def plot_dir_argument(doc: str) -> Path | None:
    """Parse ``--plot-dir DIR`` (no plots without it); ``doc`` is the script's docstring."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--plot-dir", type=Path, help="save PNG plots in this directory")
    return parser.parse_args().plot_dir


def pyplot_for(plot_dir: Path | None):
    """matplotlib's pyplot, drawing to files only, or None (no plot directory, or no
    matplotlib: then says how to install it)."""
    if plot_dir is None:
        return None
    try:
        import matplotlib
    except ImportError:
        print('matplotlib is not installed, so no plot: pip install "chainrule[plot]"')
        return None
    matplotlib.use("Agg")  # files only: no window, works without a display
    import matplotlib.pyplot as plt

    plot_dir.mkdir(parents=True, exist_ok=True)
    return plt


def save_figure(plt, figure, path: Path) -> None:
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"plot saved to {path}")


def check(label: str, value: float, reference: float, error: float, tolerance: float) -> bool:
    """Print one check (a value, its independent reference, the error) and whether it holds."""
    passed = error <= tolerance
    print(f"{label:<46} value {value:+.12e}  reference {reference:+.12e}  "
          f"error {error:.1e} (tolerance {tolerance:.0e})  {'ok' if passed else 'FAILED'}")
    return passed


def check_relative(label: str, got, expected, tolerance: float) -> bool:
    """Print whether arrays agree to ``tolerance`` in their largest relative difference."""
    got, expected = np.atleast_1d(got), np.atleast_1d(expected)
    error = float(np.max(np.abs(got - expected) / np.abs(expected)))
    ok = error <= tolerance
    print(f"  {label:<44} max relative difference {error:.1e} (tolerance {tolerance:.0e}) "
          f"{'ok' if ok else 'MISMATCH'}")
    return ok


def finish(results: list[bool]) -> None:
    """Print the verdict; exit with status 1 if any check failed."""
    if not all(results):
        print(f"FAILED: {results.count(False)} of {len(results)} checks")
        sys.exit(1)
    print(f"all {len(results)} checks passed")
