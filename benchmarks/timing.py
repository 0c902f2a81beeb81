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


def fresh_process(child: str, names: list[str], args: list[str], repeat: int
                  ) -> dict[str, list[tuple[float, ...]]]:
    """Run ``python -c child <name> *args`` for every name, ``repeat`` times, interleaved (so load
    changes hit all names alike); each child prints its figures as numbers on its last line.

    For timings in a fresh process: the child imports and loads its data first and times only the
    call, so import and data loading are excluded. Returns, per name, one tuple per run."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    out: dict[str, list[tuple[float, ...]]] = {n: [] for n in names}
    for _ in range(repeat):
        for name in names:
            res = subprocess.run([sys.executable, "-c", child, name, *args], check=True,
                                 capture_output=True, text=True)
            out[name].append(tuple(float(v) for v in res.stdout.strip().splitlines()[-1].split()))
    return out
