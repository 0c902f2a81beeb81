"""Timing shared by the benchmark scripts (run as ``python benchmarks/bench_*.py``, so this folder
is on the import path)."""

from __future__ import annotations

import statistics
import time
from typing import Any, Callable


def measure(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall and CPU time (s) over ``repeat`` runs after a warm-up, and the last result.

    CPU time is reported beside wall time because these machines are shared: the ratio of two
    libraries' CPU times is the steadier figure when the load changes during a run."""
    out = fn()
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu), out
