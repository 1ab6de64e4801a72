"""Shared helpers for the benchmark scripts: timing, peers, and the result table."""

from __future__ import annotations

import gc
import importlib
import time
import tracemalloc
from collections.abc import Callable


def best_time(fn: Callable[[], object], repeat: int = 7, number: int = 1) -> float:
    """Best wall time of ``number`` calls, over ``repeat`` rounds (seconds per call)."""
    fn()  # warm up
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def peak_traced_memory(fn: Callable[[], object]) -> int:
    """Peak bytes allocated (Python and NumPy) while ``fn`` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def optional(module: str):
    """The peer library if installed, else None (the benchmark skips it)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def report(title: str, rows: list[tuple[str, float]], baseline: str, unit: str = "ms",
           scale: float = 1e3) -> dict[str, float]:
    """Print a table of measurements with ratios against ``baseline``; return ratios."""
    base = dict(rows)[baseline]
    print(f"\n{title}")
    print(f"  {'':<40}{unit:>12}{'ratio':>10}")
    ratios = {}
    for name, value in rows:
        ratios[name] = value / base
        print(f"  {name:<40}{value * scale:>12.3f}{value / base:>9.2f}x")
    return ratios


def torch_single_thread(torch) -> None:
    torch.set_num_threads(1)
