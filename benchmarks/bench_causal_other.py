"""Speed of the causal part-B estimators: wall time and peak Python memory (tracemalloc).

Cases: synthetic control on the Proposition 99 data (ADH predictors, with and without the 38
placebo refits; outcome-only), synthetic_control_panel on a simulated 60 x 48 panel and on
2,000 x 40; doubly robust AIPW and DML-PLR on 25,000 and 200,000 simulated accounts (linear and
boosting learners); naive comparisons and the three robustness checks on 2,000 x 40.

Usage: ``python benchmarks/bench_causal_other.py``. Prints one line per case.
"""

from __future__ import annotations

import time
import tracemalloc
import warnings
from typing import Any, Callable

import numpy as np
import pandas as pd

from smlib import config
from smlib.causal import (doubly_robust, dml_plr, leave_one_cohort_out, naive_comparisons,
                          placebo_dates, placebo_outcome, synthetic_control,
                          synthetic_control_panel)
from smlib.simulate import simulate_panel

ADH = [("lnincome", range(1980, 1989)), ("retprice", range(1980, 1989)),
       ("age15to24", range(1980, 1989)), ("beer", range(1984, 1989)),
       ("cigsale", 1975), ("cigsale", 1980), ("cigsale", 1988)]


def measure(label: str, fn: Callable[[], Any]) -> None:
    """Run ``fn`` once and print wall time and peak traced memory."""
    tracemalloc.start()
    t0 = time.perf_counter()
    fn()
    wall = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    tracemalloc.stop()
    print(f"{label:<62} {wall:8.2f} s   peak {peak:8.1f} MiB", flush=True)


def accounts(n: int, seed: int = 0) -> pd.DataFrame:
    """Confounded account-like data: segment, log size, start month drive integration and revenue."""
    rng = np.random.default_rng(seed)
    seg = rng.choice(["smb", "mid_market", "enterprise"], size=n, p=[0.6, 0.3, 0.1])
    size = rng.normal(size=n)
    month = rng.integers(0, 48, size=n).astype(float)
    p = 1 / (1 + np.exp(-(-1 + 0.04 * month + 0.5 * size + (seg == "enterprise"))))
    d = (rng.random(n) < p).astype(float)
    y = 1000 * (1 + (seg == "enterprise") * 2) * np.exp(0.3 * size) * (1 + 0.1 * d) * rng.exponential(size=n)
    return pd.DataFrame({"revenue": y, "integrated": d, "segment": seg, "log_size": size,
                         "start_month": month})


def main() -> None:
    warnings.simplefilter("ignore")
    smoking = pd.read_csv(config.PROJECT_ROOT / "tests" / "data" / "smoking.csv")
    sc = dict(outcome="cigsale", unit="state", time="year", treated_unit="California",
              treatment_time=1989)
    measure("synthetic_control Prop 99, ADH predictors, no placebos",
            lambda: synthetic_control(smoking, predictors=ADH, placebo=False, **sc))
    measure("synthetic_control Prop 99, ADH predictors, 38 placebos",
            lambda: synthetic_control(smoking, predictors=ADH, **sc))
    measure("synthetic_control Prop 99, outcome only, 38 placebos",
            lambda: synthetic_control(smoking, **sc))
    small, _ = simulate_panel(seed=1)
    big, _ = simulate_panel(seed=1, n_units=2000, n_periods=40)
    measure("synthetic_control_panel 60 x 48 (placebos over 49 donors)",
            lambda: synthetic_control_panel(small))
    measure("synthetic_control_panel 2,000 x 40, no placebos",
            lambda: synthetic_control_panel(big, placebo=False, ci_method="conformal"))
    covs = ["segment", "log_size", "start_month"]
    for n in (25_000, 200_000):
        df = accounts(n)
        measure(f"doubly_robust ATT, linear, 5 folds, n = {n:,}",
                lambda df=df: doubly_robust(df, "revenue", "integrated", covs))
        measure(f"doubly_robust ATT, boosting, 5 folds, n = {n:,}",
                lambda df=df: doubly_robust(df, "revenue", "integrated", covs, learners="boosting"))
        measure(f"dml_plr, linear, 5 folds, n = {n:,}",
                lambda df=df: dml_plr(df, "revenue", "integrated", covs))
    measure("naive_comparisons 2,000 x 40", lambda: naive_comparisons(big))
    measure("placebo_dates (3 shifts, CS) 2,000 x 40", lambda: placebo_dates(big))
    measure("placebo_outcome (headcount, CS) 2,000 x 40", lambda: placebo_outcome(big, "headcount"))
    measure("leave_one_cohort_out (CS) 2,000 x 40", lambda: leave_one_cohort_out(big))


if __name__ == "__main__":
    main()
