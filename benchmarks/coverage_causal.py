"""Coverage study of the causal estimators on the simulator (known truth).

For each seed: ``smlib.simulate.simulate_panel`` (60 units x 48 months, 4 adoption cohorts, 30 %
never adopt, selection on levels through hidden unit quality) and, unless ``--no-accounts``,
``smlib.simulate.simulate`` with a reduced number of accounts for the account-level DR. Each
estimator's 95 % interval is checked against the realised truth of its own estimand:

- twfe, cs_* (Callaway & Sant'Anna, never-treated comparison; no covariates and with
  ``market_size`` for dr/ipw/reg): ``truth.att`` = mean of Y1 − Y0 over treated post unit-periods
  (equal to the cohort-size weighted "simple" aggregation);
- sc_first_cohort / sc_largest_early_adopter: ``synthetic_control_panel`` (demeaned, donors =
  units untreated until the next adoption date, placebo-inversion interval) for the first cohort
  averaged into one series and for its largest unit; truth = mean over the post window of the
  realised Y1 − Y0 of those units;
- dr_accounts (AIPW, linear learners) and dml_plr_accounts on accounts: ``truth.account_att``;
- naive adopters-vs-never and before-vs-after: ``truth.att`` (expected to fail).

Usage: ``python benchmarks/coverage_causal.py [--seeds 50] [--no-accounts] [--accounts 6000]``.
Prints one line per estimator: coverage, mean bias, mean SE, RMSE, and the wall time.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from smlib.causal import (account_outcomes, doubly_robust, dml_plr, naive_comparisons,
                          staggered_did, synthetic_control_panel, twfe_did)
from smlib.causal._panel import integer_periods
from smlib.simulate import simulate, simulate_panel

PANEL = dict(n_units=60, n_periods=48, true_uplift=0.08)
ACCOUNT_COVARIATES = ["segment", "log_size", "log_market_size", "start_month"]


def _row(name: str, seed: int, res, truth: float) -> dict:
    return dict(estimator=name, seed=seed, estimate=res.estimate, std_error=res.std_error,
                ci_low=res.ci_low, ci_high=res.ci_high, truth=truth,
                covered=bool(res.ci_low <= truth <= res.ci_high))


def panel_rows(seed: int) -> list[dict]:
    """All panel estimators on one simulated panel."""
    units, truth = simulate_panel(seed=seed, **PANEL)
    rows = []
    ip = integer_periods(units, adoption="adoption_period", period_col="t", cohort_col="g")
    ip["treated"] = ((ip["g"] > 0) & (ip["t"] >= ip["g"])).astype(float)
    rows.append(_row("twfe", seed, twfe_did(ip, "revenue", "unit_id", "t", "treated"), truth.att))
    cs = staggered_did(units, "revenue", "unit_id", "period", "adoption_period", n_boot=0)
    rows.append(_row("cs_nocov", seed, cs, truth.att))
    for m in ("dr", "ipw", "reg"):
        r = staggered_did(units, "revenue", "unit_id", "period", "adoption_period",
                          covariates=["market_size"], method=m, n_boot=0)
        rows.append(_row(f"cs_{m}_cov", seed, r, truth.att))

    # synthetic control: the first cohort averaged into one series, and its largest unit; post
    # window up to the next adoption, donors = units untreated through it (synthetic_control_panel)
    po = truth.potential_outcomes
    per_unit = units.groupby("unit_id").agg(g=("adoption_period", "first"), rev=("revenue", "mean"))
    largest = per_unit[per_unit["g"] == per_unit["g"].min()]["rev"].idxmax()
    for name, treated in (("sc_first_cohort", "first_cohort"), ("sc_largest_early_adopter", largest)):
        r = synthetic_control_panel(units, treated=treated, ci_method="placebo")
        w0, w1 = r.details["post_window"]
        cells = po[po["unit_id"].isin(r.details["members"]) & po["period"].between(w0, w1)]
        sc_truth = float((cells["y1"] - cells["y0"]).groupby(cells["period"]).mean().mean())
        rows.append(_row(name, seed, r, sc_truth))

    naive = naive_comparisons(units)
    for r in naive.comparisons:
        rows.append(_row(f"naive_{r.method}", seed, r, truth.att))
    return rows


def account_rows(seed: int, n_accounts: int) -> list[dict]:
    """AIPW and DML-PLR on the simulated accounts."""
    sim = simulate(seed=seed, n_accounts=n_accounts)
    acc = account_outcomes(sim.accounts, sim.opportunities)
    acc["log_size"] = np.log(acc["size"])
    acc["log_market_size"] = np.log(acc["market_size"])
    acc["integrated"] = acc["integrated"].astype(float)
    t = sim.truth.account_att
    dr = doubly_robust(acc, "revenue", "integrated", ACCOUNT_COVARIATES, learners="linear",
                       random_state=seed)
    plr = dml_plr(acc, "revenue", "integrated", ACCOUNT_COVARIATES, random_state=seed)
    return [_row("dr_accounts", seed, dr, t), _row("dml_plr_accounts", seed, plr, t)]


def run(seeds: int = 50, accounts: bool = True, n_accounts: int = 6000) -> pd.DataFrame:
    """One row per (estimator, seed)."""
    rows: list[dict] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in range(seeds):
            rows += panel_rows(seed)
            if accounts:
                rows += account_rows(seed, n_accounts)
    return pd.DataFrame(rows)


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """Coverage, bias, mean SE and RMSE per estimator."""
    err = df["estimate"] - df["truth"]
    out = df.assign(err=err, sq=err ** 2).groupby("estimator", sort=False).agg(
        n=("seed", "size"), coverage=("covered", "mean"), mean_bias=("err", "mean"),
        mean_truth=("truth", "mean"), mean_se=("std_error", "mean"), rmse=("sq", "mean"),
        sd_estimate=("estimate", "std"))
    out["rmse"] = np.sqrt(out["rmse"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--no-accounts", action="store_true")
    ap.add_argument("--accounts", type=int, default=6000, help="accounts per simulated dataset")
    args = ap.parse_args()
    t0 = time.perf_counter()
    df = run(args.seeds, accounts=not args.no_accounts, n_accounts=args.accounts)
    wall = time.perf_counter() - t0
    pd.set_option("display.width", 160)
    print(summarise(df).to_string(float_format=lambda v: f"{v:,.3f}"))
    print(f"\n{args.seeds} seeds, wall time {wall:.1f} s")


if __name__ == "__main__":
    main()
