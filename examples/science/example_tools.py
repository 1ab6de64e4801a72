"""What the worked examples share: the command line, plot files and the final verdict."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


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


def finish(results: list[bool]) -> None:
    """Print the verdict; exit with status 1 if any check failed."""
    if not all(results):
        print(f"FAILED: {results.count(False)} of {len(results)} checks")
        sys.exit(1)
    print(f"all {len(results)} checks passed")
