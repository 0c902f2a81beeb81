"""Benchmark of the DiD estimators: wall time and peak memory on synthetic staggered panels.

Targets (from the task): on 2,000 units x 40 periods with three adoption cohorts,
``staggered_did`` with analytic standard errors < 0.5 s (10,000 units < 2 s) and ``twfe_did``
< 0.2 s. Each configuration is run ``--repeat`` times after one warm-up run and the median wall time
is printed, with the peak Python heap (``tracemalloc``) of one extra run and the process's peak
resident size (``resource.getrusage``).

Usage: ``python benchmarks/bench_did.py [--repeat 3] [--quick]``. Single-threaded: set
``OMP_NUM_THREADS=1`` etc. before numpy loads (done below) so the figures do not depend on the load
of a shared machine's other cores.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from typing import Callable  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from smlib.causal import staggered_did, twfe_did  # noqa: E402


def make_panel(n_units: int, n_periods: int = 40, cohorts: tuple[int, ...] = (10, 20, 30),
               seed: int = 0) -> pd.DataFrame:
    """Long balanced panel: three equal adoption cohorts plus never-treated units (a quarter each)."""
    rng = np.random.default_rng(seed)
    g = rng.choice(np.array((0,) + cohorts), n_units)
    unit = np.repeat(np.arange(n_units), n_periods)
    t = np.tile(np.arange(1, n_periods + 1), n_units)
    gg = g[unit]
    d = (gg > 0) & (t >= gg)
    x = rng.normal(size=n_units)
    y = (rng.normal(size=n_units)[unit] + 0.1 * t + 0.2 * x[unit] * t / n_periods
         + d * (1.0 + 0.05 * (t - gg)) + rng.normal(size=len(t)))
    return pd.DataFrame({"unit": unit, "t": t, "y": y, "cohort": gg, "D": d.astype(int), "x": x[unit]})


def measure(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall time (s) over ``repeat`` runs after a warm-up, and tracemalloc peak (MB)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="skip the 10,000-unit and covariate runs")
    args = ap.parse_args()
    sizes = [2_000] if args.quick else [2_000, 10_000]
    print(f"{'estimator':<52}{'units':>7}{'periods':>8}{'median s':>10}{'target s':>10}{'heap MB':>9}")
    for n in sizes:
        df = make_panel(n)
        runs = [
            ("staggered_did (analytic SEs, no bands)",
             lambda: staggered_did(df, "y", "unit", "t", "cohort", n_boot=0), 0.5 if n == 2_000 else 2.0),
            ("staggered_did + 1000 multiplier draws (bands)",
             lambda: staggered_did(df, "y", "unit", "t", "cohort"), None),
            ("staggered_did not_yet_treated (analytic)",
             lambda: staggered_did(df, "y", "unit", "t", "cohort", control_group="not_yet_treated", n_boot=0), None),
            ("staggered_did + dynamic aggregation (bands)",
             lambda: staggered_did(df, "y", "unit", "t", "cohort").aggregate("dynamic"), None),
            ("staggered_did + event-study pre-trend test (12)",
             lambda: staggered_did(df, "y", "unit", "t", "cohort", n_boot=0).pretrend_test(12), None),
            ("twfe_did (clustered by unit)",
             lambda: twfe_did(df, "y", "unit", "t", "D"), 0.2 if n == 2_000 else None),
        ]
        if not args.quick:
            runs.append(("staggered_did dr + covariate x (analytic)",
                         lambda: staggered_did(df, "y", "unit", "t", "cohort", covariates=["x"], n_boot=0), None))
        for name, fn, target in runs:
            wall, heap = measure(fn, args.repeat)
            tgt = f"{target:.1f}" if target else "-"
            flag = "" if target is None else ("  ok" if wall < target else "  SLOW")
            print(f"{name:<52}{n:>7}{40:>8}{wall:>10.3f}{tgt:>10}{heap:>9.1f}{flag}", flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident set size of this process: {rss:.0f} MB")


if __name__ == "__main__":
    main()
