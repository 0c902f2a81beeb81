"""Wall time of ``staggered_did`` and synthetic DiD side by side with diff-diff, in one run.

Panels: ``smlib.simulate.simulate_panel(seed=1, n_units=N, n_periods=40, n_cohorts=8)`` for
N = 2,000 and 10,000 (8 adoption cohorts, 30 % never treated; diff-diff gets integer periods, as
it requires). Rows:

* Callaway & Sant'Anna, doubly robust, never-treated comparison, ``simple`` + ``dynamic``
  aggregation: ``staggered_did(..., n_boot=0).aggregate("dynamic")`` against
  ``CallawaySantAnna(estimation_method="dr", n_bootstrap=0).fit(..., aggregate="all")``
  (analytic standard errors), and the same with 1,000 multiplier-bootstrap draws on both sides
  (smlib's default, which adds the simultaneous bands);
* synthetic DiD with the 200-draw placebo standard error on the largest adoption cohort against
  the never-treated units (N = 2,000 only), against diff-diff's ``SyntheticDiD``;
* ``synthetic_did_staggered`` (every cohort, pooled; no diff-diff counterpart) with ``--sdid-all``.

For each the median wall time of ``--repeat`` runs after one warm-up is printed, with the CPU time
of the process (``time.process_time``, all threads) next to it: on a shared machine the wall time
also counts the other processes. BLAS is single-threaded (set below); ``synthetic_did`` solves
its placebo draws in one thread (the default ``n_jobs=1``).

Usage: ``python benchmarks/bench_causal_staggered.py [--repeat 3] [--sizes 2000 10000]
[--sdid-all] [--skip-sdid]``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import warnings  # noqa: E402
from typing import Any, Callable  # noqa: E402

import pandas as pd  # noqa: E402

from smlib.causal._panel import integer_periods  # noqa: E402
from smlib.causal.sdid import synthetic_did, synthetic_did_staggered  # noqa: E402
from smlib.causal.staggered import staggered_did  # noqa: E402
from smlib.simulate import simulate_panel  # noqa: E402
from timing import measure  # noqa: E402  (benchmarks/timing.py)



def main() -> None:
    """Simulate the panels, time both libraries and print one table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sizes", type=int, nargs="+", default=[2_000, 10_000])
    ap.add_argument("--sdid-repeat", type=int, default=1, help="repeats of the SDID rows")
    ap.add_argument("--sdid-all", action="store_true", help="also time synthetic_did_staggered")
    ap.add_argument("--skip-sdid", action="store_true", help="only the Callaway-Sant'Anna rows")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    try:
        import diff_diff as dd
    except ImportError:
        dd = None
    rows: list[dict[str, Any]] = []

    def run(name: str, n: int, ours: Callable[[], Any], theirs: Callable[[], Any] | None,
            est: Callable[[Any], float], repeat: int) -> None:
        w, c, r = measure(ours, repeat)
        wd = cd = ed = float("nan")
        if dd is not None and theirs is not None:
            wd, cd, rd = measure(theirs, repeat)
            ed = est(rd)
        rows.append({"estimator": name, "units": n, "smlib_s": w, "smlib_cpu_s": c,
                     "diff_diff_s": wd, "diff_diff_cpu_s": cd, "ratio": w / wd,
                     "smlib_estimate": r.estimate, "diff_diff_estimate": ed})

    for n in args.sizes:
        df, _ = simulate_panel(seed=1, n_units=n, n_periods=40, n_cohorts=8)
        ip = integer_periods(df, time="period", adoption="adoption_period")
        for n_boot in (0, 1000):
            def ours(n_boot: int = n_boot) -> Any:
                res = staggered_did(ip, "revenue", "unit_id", "t", "cohort", n_boot=n_boot)
                res.aggregate("dynamic")
                return res

            def theirs(n_boot: int = n_boot) -> Any:
                return dd.CallawaySantAnna(estimation_method="dr", control_group="never_treated",
                                           n_bootstrap=n_boot, seed=0).fit(
                    ip, "revenue", "unit_id", "t", "cohort", aggregate="all")

            label = "analytic SE" if n_boot == 0 else "1000 multiplier draws"
            run(f"staggered_did dr, simple+dynamic ({label})", n, ours,
                theirs if dd else None, lambda r: r.overall_att, args.repeat)
        if n != min(args.sizes) or args.skip_sdid:
            continue
        first = ip.groupby("unit_id").cohort.first()
        g = int(first[first > 0].value_counts().index[0])
        block = ip[ip.unit_id.isin(first.index[(first == 0) | (first == g)])].copy()
        block["treated_unit"] = (block.cohort == g).astype(int)
        treated = first.index[first == g].tolist()
        post = sorted(block.t[block.t >= g].unique())
        run(f"synthetic_did placebo SE (200), {len(treated)} vs {(first == 0).sum()}", n,
            lambda: synthetic_did(block, "revenue", "unit_id", "t", treated, g),
            (lambda: dd.SyntheticDiD(variance_method="placebo", n_bootstrap=200, seed=0).fit(
                block, "revenue", "treated_unit", "unit_id", "t", post_periods=post))
            if dd else None, lambda r: r.att, args.sdid_repeat)
        if args.sdid_all:
            run("synthetic_did_staggered placebo SE (200 per cohort)", n,
                lambda: synthetic_did_staggered(ip, "revenue", "unit_id", "t", "cohort"),
                None, lambda r: float("nan"), args.sdid_repeat)
    out = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.float_format", "{:,.4g}".format):
        print(out.to_string(index=False))
    if dd is None:
        print("diff-diff not installed: pip install diff-diff to compare")


if __name__ == "__main__":
    main()
