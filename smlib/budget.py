"""Budget reallocation with its money impact: what moving a stated share of budget from the
lowest- to the highest-return channels would be expected to add, with an interval.

Science layer: it takes tables (a channel's cost and credited gross profit from
:func:`smlib.metrics.channel_economics`, bootstrap draws of the credit as a table, monthly spend
and a monthly response), never runs attribution.

Model of a channel's return (stated, as every budget allocator must): the gross profit credited to
channel c responds to its cost x as ``gp_c(x) = gp_c · (x / x_c)^β_c`` — a constant-elasticity
(log-log) response curve through today's point. β = 1 is proportional (constant) returns: each
extra unit earns today's average return, an upper bound on what the move adds when returns
diminish; β < 1 is diminishing returns (β = 0.5 doubles the return of a channel when its budget
is quadrupled). β_c is estimated per channel from the months (:func:`response_curves`: log monthly
response on log monthly spend) when spend varied enough and the fit is precise; otherwise a stated
``elasticity`` is used. Observational spend is not an experiment: spend rises with the activity that
also brings the leads (and with demand), so even a precise fit is an association; the reports say so.
A recipient's budget is never raised by more than ``max_increase`` (default +50 %): beyond the
range the data have seen, no curve is credible.

Interval: the change in gross profit is recomputed on every bootstrap draw of the credit (journeys
resampled; :func:`smlib.attribution.uncertainty.bootstrap_draws`), costs and β held fixed; the
percentile interval of those changes is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

__all__ = ["MAX_ELASTICITY_CI_WIDTH", "MIN_LOG_SPEND_SD", "MIN_MONTHS", "MIN_R2", "Reallocation",
           "reallocate", "response_curves"]

#: Fewest months with spend for a response curve to be fitted at all.
MIN_MONTHS: int = 12
#: Least spread of log monthly spend (standard deviation) for the curve to be identified.
MIN_LOG_SPEND_SD: float = 0.10
#: Widest 95 % interval of the elasticity for the curve to count as identified.
MAX_ELASTICITY_CI_WIDTH: float = 0.5
#: Least share of the monthly variation the curve must explain (R²) to count as identified.
MIN_R2: float = 0.3


def response_curves(spend: pd.DataFrame, response: pd.DataFrame,
                    level: float = 0.95) -> pd.DataFrame:
    """Fit ``log(response + 1) = a + β · log(spend)`` per channel over the months.

    ``spend``: ``period, channel, cost`` (summed per month and channel); ``response``:
    ``period, channel, y`` (e.g. leads first touched by the channel that month). Months with
    spend > 0 enter the fit. Per channel: ``n_months``, ``log_spend_sd`` (how much spend varied),
    ``elasticity`` (β, OLS) with its HC1 interval ``ci_low, ci_high``, ``r2`` (fit quality) and
    ``identified`` — True when n ≥ :data:`MIN_MONTHS`, the spread ≥ :data:`MIN_LOG_SPEND_SD` and
    the interval is narrower than :data:`MAX_ELASTICITY_CI_WIDTH` and R² ≥ :data:`MIN_R2` (a
    precise slope through a cloud the curve does not explain is no response curve) — with
    ``reason`` saying which condition failed. An association over time, not a causal response (module docstring).
    """
    for name, df, cols in (("spend", spend, ("period", "channel", "cost")),
                           ("response", response, ("period", "channel", "y"))):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValueError(f"{name}: missing column(s) {missing}; found {list(df.columns)}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    sp = spend.assign(period=pd.to_datetime(spend["period"]).dt.to_period("M"))
    sp = sp.groupby(["period", "channel"])["cost"].sum()
    rs = response.assign(period=pd.to_datetime(response["period"]).dt.to_period("M"))
    rs = rs.groupby(["period", "channel"])["y"].sum()
    m = sp.to_frame().join(rs, how="left").fillna({"y": 0.0}).reset_index()
    rows = []
    for ch, g in m.groupby("channel", sort=True):
        g = g.loc[g["cost"] > 0]
        n = len(g)
        row = {"channel": ch, "n_months": n, "log_spend_sd": np.nan, "elasticity": np.nan,
               "ci_low": np.nan, "ci_high": np.nan, "r2": np.nan, "identified": False}
        if n < MIN_MONTHS:
            row["reason"] = f"spend in {n} months (< {MIN_MONTHS})"
            rows.append(row)
            continue
        x = np.log(g["cost"].to_numpy(float))
        y = np.log1p(g["y"].to_numpy(float))
        row["log_spend_sd"] = float(np.std(x, ddof=1))
        if row["log_spend_sd"] < MIN_LOG_SPEND_SD:
            row["reason"] = (f"spend hardly varied (sd of log spend {row['log_spend_sd']:.2f} "
                             f"< {MIN_LOG_SPEND_SD})")
            rows.append(row)
            continue
        if np.ptp(y) == 0:
            row["reason"] = "no response variation (the same response every month)"
            rows.append(row)
            continue
        fit = sm.OLS(y, sm.add_constant(x)).fit(cov_type="HC1")
        lo, hi = fit.conf_int(alpha=1 - level)[1]
        row.update(elasticity=float(fit.params[1]), ci_low=float(lo), ci_high=float(hi),
                   r2=float(fit.rsquared))
        if hi - lo > MAX_ELASTICITY_CI_WIDTH:
            row["reason"] = f"imprecise (interval width {hi - lo:.2f} > {MAX_ELASTICITY_CI_WIDTH})"
        elif fit.rsquared < MIN_R2:
            row["reason"] = f"poor fit (R² {fit.rsquared:.2f} < {MIN_R2})"
        else:
            row["identified"], row["reason"] = True, ""
        rows.append(row)
    return pd.DataFrame(rows, columns=["channel", "n_months", "log_spend_sd", "elasticity",
                                       "ci_low", "ci_high", "r2", "identified", "reason"])


@dataclass
class Reallocation:
    """The result of :func:`reallocate`.

    Attributes:
        plan: one row per channel moved: ``channel, role`` (``from`` / ``to``), ``cost``,
            ``new_cost``, ``change``, ``roi`` (today's), ``elasticity`` used, ``elasticity_basis``
            (``fitted`` / ``bounded`` / ``assumed``), ``gross_profit``, ``new_gross_profit``.
        moved: money moved; ``requested``: share × the donors' cost (more than ``moved`` when the
            recipients' cap binds).
        gain: expected change in gross profit per the curves, with ``gain_ci_low, gain_ci_high``.
        gain_proportional: the change under proportional returns (β = 1 for every channel), with
            its interval: the upper bound when returns diminish.
        share, max_increase, level, n_draws: the settings; ``note``: "" or why nothing moves.
    """

    plan: pd.DataFrame
    moved: float
    requested: float
    gain: float
    gain_ci_low: float
    gain_ci_high: float
    gain_proportional: float
    gain_proportional_ci_low: float
    gain_proportional_ci_high: float
    share: float
    max_increase: float
    level: float
    n_draws: int
    note: str = ""
    settings: dict[str, Any] = field(default_factory=dict)


def _gain(gp: np.ndarray, ratio: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Σ_c gp_c · (ratio_c^β_c − 1) for gp of shape (..., channels)."""
    return (gp * (ratio ** beta - 1.0)).sum(axis=-1)


def reallocate(channels: pd.DataFrame, share: float = 0.10, *, n_channels: int = 2,
               elasticity: float | Mapping[str, float] = 0.5,
               curves: pd.DataFrame | None = None,
               draws: pd.DataFrame | None = None, max_increase: float = 0.5,
               level: float = 0.95) -> Reallocation:
    """Move ``share`` of the budget of the ``n_channels`` lowest-return channels to the
    ``n_channels`` highest-return ones, and what that is expected to add (module docstring).

    ``channels``: ``channel, cost, gross_profit`` (the credited gross profit on the chosen horizon
    under one attribution model; channels with cost 0 or no finite return are left out: no return
    to compare). Return = gross profit / cost. Each donor loses ``share`` of its cost; the money
    goes to the recipients in proportion to their cost, none raised by more than
    ``max_increase`` (the amount moved shrinks to what they can take, ``requested`` vs ``moved``).
    β per channel: a fitted elasticity from ``curves`` (:func:`response_curves`) where
    ``identified`` (clipped to [0, 1]: increasing returns are not extrapolated), else
    ``elasticity`` (a number, or a mapping channel → β) — unless a fit that is not identified
    still rules the assumption out (its interval's upper bound is below it): then that upper
    bound (at least 0), the most the data allow (``elasticity_basis`` ``bounded``). ``draws``:
    one row per bootstrap draw, one column per channel, the draw's credited gross profit (same basis as
    ``gross_profit``); without draws, no interval (NaN).
    """
    need = [c for c in ("channel", "cost", "gross_profit") if c not in channels.columns]
    if need:
        raise ValueError(f"channels: missing column(s) {need}; found {list(channels.columns)}")
    if not (np.isfinite(share) and 0 < share <= 1):
        raise ValueError(f"share must be a fraction in (0, 1], got {share!r}")
    if not (np.isfinite(max_increase) and max_increase > 0):
        raise ValueError(f"max_increase must be > 0, got {max_increase!r}")
    if not isinstance(n_channels, (int, np.integer)) or n_channels < 1:
        raise ValueError(f"n_channels must be a whole number >= 1, got {n_channels!r}")
    if isinstance(elasticity, Mapping):
        bad = {k: v for k, v in elasticity.items() if not (np.isfinite(v) and 0 <= v <= 1)}
    else:
        bad = {} if np.isfinite(elasticity) and 0 <= elasticity <= 1 else {"*": elasticity}
    if bad:
        raise ValueError(f"elasticity must be in [0, 1] (diminishing to proportional returns), "
                         f"got {bad}")
    ch = channels[["channel", "cost", "gross_profit"]].copy()
    ch = ch.loc[(ch["cost"] > 0) & np.isfinite(ch["gross_profit"])]
    ch["roi"] = ch["gross_profit"] / ch["cost"] - 1.0
    ch = ch.sort_values("roi", kind="stable").reset_index(drop=True)
    settings = {"share": share, "n_channels": int(n_channels), "max_increase": max_increase,
                "elasticity": elasticity}
    empty = pd.DataFrame(columns=["channel", "role", "cost", "new_cost", "change", "roi",
                                  "elasticity", "elasticity_basis", "gross_profit",
                                  "new_gross_profit"])
    if len(ch) < 2:
        return Reallocation(empty, 0.0, 0.0, *([np.nan] * 6), share, max_increase, level, 0,
                            note="fewer than two channels with cost and a return to compare",
                            settings=settings)
    k = min(int(n_channels), len(ch) // 2)
    donors, recips = ch.iloc[:k].copy(), ch.iloc[-k:].copy()
    requested = float(share * donors["cost"].sum())
    room = float(max_increase * recips["cost"].sum())
    moved = min(requested, room)
    donors["role"], recips["role"] = "from", "to"
    donors["change"] = -moved * donors["cost"] / donors["cost"].sum()
    recips["change"] = moved * recips["cost"] / recips["cost"].sum()
    plan = pd.concat([recips.iloc[::-1], donors], ignore_index=True)
    plan["new_cost"] = plan["cost"] + plan["change"]
    fitted: dict[str, float] = {}
    upper: dict[str, float] = {}
    if curves is not None and len(curves):
        ok = curves.loc[curves["identified"].astype(bool)]
        fitted = dict(zip(ok["channel"], np.clip(ok["elasticity"].astype(float), 0.0, 1.0)))
        if "ci_high" in curves.columns:
            rest = curves.loc[~curves["identified"].astype(bool) & curves["ci_high"].notna()]
            upper = dict(zip(rest["channel"], rest["ci_high"].astype(float)))
    assumed = (lambda c: float(elasticity.get(c, 0.5))) if isinstance(elasticity, Mapping) \
        else (lambda c: float(elasticity))

    def beta(c: str) -> tuple[float, str]:
        """Fitted; else the assumption, unless the fit's upper bound rules it out."""
        if c in fitted:
            return float(fitted[c]), "fitted"
        if c in upper and upper[c] < assumed(c):
            return float(max(upper[c], 0.0)), "bounded"
        return assumed(c), "assumed"

    chosen = [beta(c) for c in plan["channel"]]
    plan["elasticity"] = [b for b, _ in chosen]
    plan["elasticity_basis"] = [k for _, k in chosen]
    ratio = (plan["new_cost"] / plan["cost"]).to_numpy(float)
    beta = plan["elasticity"].to_numpy(float)
    gp = plan["gross_profit"].to_numpy(float)
    plan["new_gross_profit"] = gp * ratio ** beta
    gain = float(_gain(gp, ratio, beta))
    gain_prop = float(_gain(gp, ratio, np.ones_like(beta)))
    q = [(1 - level) / 2, (1 + level) / 2]
    lo = hi = plo = phi = np.nan
    n_draws = 0
    if draws is not None and len(draws):
        missing = [c for c in plan["channel"] if c not in draws.columns]
        if missing:
            raise ValueError(f"draws: no column for channel(s) {missing}")
        d = draws[list(plan["channel"])].to_numpy(float)
        d = d[np.isfinite(d).all(axis=1)]
        n_draws = len(d)
        if n_draws >= 2:
            lo, hi = np.quantile(_gain(d, ratio, beta), q)
            plo, phi = np.quantile(_gain(d, ratio, np.ones_like(beta)), q)
    note = "" if moved > 0 else "nothing to move"
    if moved < requested:
        note = "capped"
    cols = ["channel", "role", "cost", "new_cost", "change", "roi", "elasticity",
            "elasticity_basis", "gross_profit", "new_gross_profit"]
    return Reallocation(plan[cols], moved, requested, gain, float(lo), float(hi), gain_prop,
                        float(plo), float(phi), share, max_increase, level, n_draws, note,
                        settings)
