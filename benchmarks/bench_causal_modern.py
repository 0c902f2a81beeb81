"""Wall and CPU time of the modern staggered-adoption estimators, beside diff-diff if installed.

Panel: ``smlib.simulate.simulate_panel(seed=1, n_units=2000, n_periods=40, n_cohorts=8)`` (monthly
dates, adoption dates, never-treated units). For each estimator the median wall and CPU time of
``--repeat`` runs after one warm-up is printed, for smlib and for the corresponding diff-diff 3.x
class on the same data (diff-diff gets integer periods, as it requires). Synthetic DiD runs on one
adoption cohort against the never-treated units (a block design), with the 200-draw placebo
standard error and without it (diff-diff needs at least 2 placebo draws, so its "no SE" row runs
2).

Usage: ``python benchmarks/bench_causal_modern.py [--repeat 3] [--n-units 2000] [--n-periods 40]``.
Single-threaded BLAS (set below) so the figures do not depend on the other processes of the machine.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import warnings  # noqa: E402
from typing import Callable  # noqa: E402

import pandas as pd  # noqa: E402

from smlib.causal._panel import integer_periods  # noqa: E402
from smlib.causal.bacon import bacon_decomposition  # noqa: E402
from smlib.causal.imputation import imputation_did, two_stage_did  # noqa: E402
from smlib.causal.sdid import synthetic_did  # noqa: E402
from smlib.causal.sunab import sun_abraham  # noqa: E402
from smlib.simulate import simulate_panel  # noqa: E402
from timing import measure  # noqa: E402  (benchmarks/timing.py)



def main() -> None:
    """Simulate the panel, time every estimator (and diff-diff's) and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--n-units", type=int, default=2000)
    ap.add_argument("--n-periods", type=int, default=40)
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    df, truth = simulate_panel(seed=1, n_units=args.n_units, n_periods=args.n_periods, n_cohorts=8)
    # t = 1..T, cohort 0 = never
    ip = integer_periods(df, time="period", adoption="adoption_period")
    ip["D"] = ((ip.cohort > 0) & (ip.t >= ip.cohort)).astype(int)
    first = ip.groupby("unit_id").cohort.first()
    g = int(first[first > 0].value_counts().index[0])
    block = ip[ip.unit_id.isin(first.index[(first == 0) | (first == g)])].copy()
    block["treated_unit"] = (block.cohort == g).astype(int)
    treated_units = first.index[first == g].tolist()
    print(f"panel: {df.unit_id.nunique():,} units x {df.period.nunique()} periods, "
          f"{(first > 0).sum()} adopters in {first[first > 0].nunique()} cohorts; "
          f"true ATT {truth.att:,.0f}")
    print(f"SDID block: cohort t={g} ({len(treated_units)} units) vs {(first == 0).sum()} "
          "never-treated")

    try:
        import diff_diff as dd
    except ImportError:
        dd = None

    rows = []

    def run(name: str, ours: Callable[[], object], theirs: Callable[[], object] | None,
            est: Callable[[object], float]) -> None:
        """Time ``ours`` and ``theirs``; ``est`` reads diff-diff's estimate."""
        t_ours, c_ours, r = measure(ours, args.repeat)
        t_dd, c_dd, e_dd = (float("nan"), float("nan"), float("nan"))
        if dd is not None and theirs is not None:
            t_dd, c_dd, rd = measure(theirs, args.repeat)
            e_dd = est(rd)
        rows.append({"estimator": name, "smlib_s": t_ours, "diff_diff_s": t_dd,
                     "smlib_cpu_s": c_ours, "diff_diff_cpu_s": c_dd,
                     "smlib_estimate": r.estimate, "diff_diff_estimate": e_dd})

    kw = dict(outcome="revenue", unit="unit_id", time="t", first_treat="cohort")
    run("bacon_decomposition", lambda: bacon_decomposition(ip, "revenue", "unit_id", "t", "D"),
        (lambda: dd.BaconDecomposition().fit(ip, **kw)) if dd else None, lambda r: r.twfe_estimate)
    run("sun_abraham", lambda: sun_abraham(ip, "revenue", "unit_id", "t", "cohort"),
        (lambda: dd.SunAbraham(cluster="unit_id").fit(ip, **kw)) if dd else None,
        lambda r: r.overall_att)
    run("imputation_did", lambda: imputation_did(ip, "revenue", "unit_id", "t", "cohort"),
        (lambda: dd.ImputationDiD(cluster="unit_id").fit(ip, aggregate="event_study", **kw))
        if dd else None,
        lambda r: r.overall_att)
    run("two_stage_did", lambda: two_stage_did(ip, "revenue", "unit_id", "t", "cohort"),
        (lambda: dd.TwoStageDiD(cluster="unit_id").fit(ip, aggregate="event_study", **kw))
        if dd else None,
        lambda r: r.overall_att)
    post = sorted(block.t[block.t >= g].unique())
    run("synthetic_did (no SE)",
        lambda: synthetic_did(block, "revenue", "unit_id", "t", treated_units, g, se_method="none"),
        (lambda: dd.SyntheticDiD(variance_method="placebo", n_bootstrap=2, seed=0).fit(
            block, "revenue", "treated_unit", "unit_id", "t", post_periods=post)) if dd else None,
        lambda r: r.att)
    run("synthetic_did (placebo SE, 200)",
        lambda: synthetic_did(block, "revenue", "unit_id", "t", treated_units, g),
        (lambda: dd.SyntheticDiD(variance_method="placebo", n_bootstrap=200, seed=0).fit(
            block, "revenue", "treated_unit", "unit_id", "t", post_periods=post)) if dd else None,
        lambda r: r.att)
    out = pd.DataFrame(rows)
    out["ratio"] = out.smlib_s / out.diff_diff_s
    with pd.option_context("display.width", 160, "display.float_format", "{:,.4g}".format):
        print(out.to_string(index=False))
    if dd is None:
        print("diff-diff not installed: pip install diff-diff to compare")


if __name__ == "__main__":
    main()
