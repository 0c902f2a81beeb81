"""ROI, CAC and funnel metrics per channel, team, period and unit, under any attribution model.

The article behind the workbook asks that marketing and sales be judged by profitability, customer
acquisition cost (CAC) and conversion ratios, with the credit for a sale shared between them. This
module computes those figures from the five tables of the data contract (data/README.md) and from the
credit tables of :mod:`smlib.attribution` (columns ``model, channel, conversions, value, share``).

Every formula follows the sourced table in docs/sources.md §2; the source is
cited in each function. Project-wide conventions:

* **Cost** comes from the ``spend`` table only (media, tools and the loaded cost of people's time,
  including the ``sales_people`` / ``marketing_overhead`` rows that no touch carries).
  ``touchpoints.cost`` is a per-touch breakdown of the same money and is never added again.
* **Customer**: a *new customer* is an account's first won opportunity (by ``closed_at``); later wins
  of the same account are revenue but not new customers. **Revenue** is the booked revenue of all won
  opportunities; **gross profit** is revenue × ``gross_margin`` per deal.
* **Time**: a deal belongs to the month of its ``closed_at`` (funnel cohorts use ``lead_at``); cost to
  its ``spend.period``. Spend in a month and customers won that month are compared as they are (no
  lag model), which is the usual reporting convention; long sales cycles make monthly CAC noisy, so
  quarters are offered too.
* **Regime** (before vs after integration): a (unit, month) is ``integrated`` from the unit's
  ``units.adoption_period`` on, ``separate`` before. This is descriptive, not causal: the causal
  uplift is estimated in :mod:`smlib.causal` (report 02).
* **Undefined figures** are NaN with a ``note`` saying why (no customers, no cost, no credit), never
  an infinite value or an exception.
* **Horizon** of a return (ROI, ROAS, the grow/cut rule): ``first_contract`` (the gross profit of
  the deals booked, before renewals; the default of every function), ``lifetime`` (the expected
  gross profit over the customer's lifetime under the churn and contract assumptions of LTV) or a
  number of months (:func:`resolve_horizon`, :func:`revenue_months`). On the lifetime, per
  channel and team, ROI > 0 ⟺ LTV:CAC > 1 ⟺ CAC payback < the expected lifetime.

Intervals: Wilson intervals for proportions (Wilson 1927, via statsmodels ``proportion_confint``);
exact Poisson (Garwood) intervals for counts of customers; compound-Poisson normal intervals for sums
of revenue and gross profit; percentile bootstrap for pipeline velocity; attribution-bootstrap bounds
(:func:`smlib.attribution.bootstrap`) propagated to channel CAC/ROI where the credit table has them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from smlib import config
from smlib.journeys import channel_team_map
from smlib.schemas import credit_table, require_columns

#: Funnel stages in order (SiriusDecisions Demand Waterfall, docs/sources.md §2).
STAGES: tuple[str, ...] = ("lead", "mql", "sql", "opportunity", "won")
#: Channels whose cost is paid media (numerator of paid CAC; thematchbox glossary, docs/sources.md §2).
PAID_CHANNELS: tuple[str, ...] = ("paid_search", "paid_social")
#: Spend channels that no touch carries: counted in team and blended figures, never credited.
OVERHEAD_CHANNELS: tuple[str, ...] = ("sales_people", "marketing_overhead")
#: Grouping keys computed by :func:`add_dimensions` / understood by every ``by=`` argument.
DIMENSIONS: tuple[str, ...] = ("period", "quarter", "year", "unit_id", "regime")
#: Named horizons of a return figure (an int number of months is a horizon too): ``first_contract``
#: = the gross profit of the deal booked, ``lifetime`` = the expected gross profit over the
#: customer's lifetime under the churn and contract assumptions LTV uses (:func:`revenue_months`).
HORIZONS: tuple[str, ...] = ("first_contract", "lifetime")

_OPP_REQUIRED = ("opportunity_id", "account_id", "lead_at", "outcome", "revenue", "gross_margin")
_STAGE_COLUMNS = {"lead": "lead_at", "mql": "mql_at", "sql": "sql_at",
                  "opportunity": "opportunity_at"}
_TIME_COLUMNS = ("lead_at", "mql_at", "sql_at", "opportunity_at", "closed_at")
_BOOT_CHUNK = 50


# --------------------------------------------------------------------------------------------
# validation and small helpers
# --------------------------------------------------------------------------------------------


def _bad_rows(mask: pd.Series, df: pd.DataFrame, column: str) -> str:
    """First offending rows (0-based index labels) and values, for error messages."""
    idx = list(df.index[mask.to_numpy()][:5])
    vals = list(df.loc[mask, column].head(5)) if column in df.columns else []
    if column in config.ID_COLUMNS:  # ids identify customers: rows only
        vals = ["(ids hidden)"]
    more = int(mask.sum()) - len(idx)
    tail = f" (and {more} more)" if more > 0 else ""
    return f"rows {idx}{tail} (0-based), got {vals}"


def _to_utc(s: pd.Series, table: str, column: str) -> pd.Series:
    """Parse timestamps to UTC; naive values are read as UTC (data contract)."""
    try:
        return pd.to_datetime(s, utc=True)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{table}: column {column!r} must hold timestamps: {exc}") from exc


def _month(s: pd.Series) -> pd.Series:
    """Month start (tz-naive Timestamp) of each timestamp or date."""
    ts = pd.to_datetime(s, utc=True).dt.tz_localize(None)
    return ts.dt.to_period("M").dt.to_timestamp()


def _check_opportunities(opportunities: pd.DataFrame) -> pd.DataFrame:
    """Validate the columns the metrics use; return a copy with timestamps parsed to UTC."""
    require_columns(opportunities, _OPP_REQUIRED, "opportunities")
    opp = opportunities.copy()
    for col in _TIME_COLUMNS:
        if col in opp.columns:
            opp[col] = _to_utc(opp[col], "opportunities", col)
        else:
            opp[col] = pd.Series(pd.NaT, index=opp.index, dtype="datetime64[ns, UTC]")
    bad = ~opp["outcome"].isin(["won", "lost", "open"])
    if bad.any():
        raise ValueError("opportunities: column 'outcome': expected 'won', 'lost' or 'open', "
                         + _bad_rows(bad, opp, "outcome"))
    for col, lo, hi in (("revenue", 0.0, np.inf), ("gross_margin", 0.0, 1.0)):
        num = pd.to_numeric(opp[col], errors="coerce")
        bad = num.isna() | (num < lo) | (num > hi)
        if bad.any():
            raise ValueError(f"opportunities: column {col!r}: expected a number in [{lo}, {hi}], "
                             + _bad_rows(bad, opp, col))
        opp[col] = num.astype(float)
    bad = opp["outcome"].isin(["won", "lost"]) & opp["closed_at"].isna()
    if bad.any():
        raise ValueError("opportunities: column 'closed_at': required when outcome is won or lost, "
                         + _bad_rows(bad, opp, "closed_at"))
    return opp


def _check_spend(spend: pd.DataFrame) -> pd.DataFrame:
    """Validate spend (period, channel, team, cost ≥ 0); return a copy with month-start periods."""
    require_columns(spend, ("period", "channel", "team", "cost"), "spend")
    sp = spend.copy()
    cost = pd.to_numeric(sp["cost"], errors="coerce")
    bad = cost.isna() | (cost < 0)
    if bad.any():
        raise ValueError("spend: column 'cost': expected a number >= 0, " + _bad_rows(bad, sp, "cost"))
    sp["cost"] = cost.astype(float)
    try:
        sp["period"] = _month(sp["period"])
    except (ValueError, TypeError) as exc:
        raise ValueError(f"spend: column 'period' must hold dates (month starts): {exc}") from exc
    return sp


def _as_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def wilson_interval(successes: Any, trials: Any, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion (Wilson 1927; statsmodels
    ``proportion_confint(method="wilson")``). Entries with ``trials == 0`` give NaN."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    lo = np.full(np.broadcast(k, n).shape, np.nan)
    hi = lo.copy()
    ok = n > 0
    if np.any(ok):
        kb, nb = np.broadcast_to(k, lo.shape)[ok], np.broadcast_to(n, lo.shape)[ok]
        lo[ok], hi[ok] = proportion_confint(kb, nb, alpha=1 - level, method="wilson")
    return lo, hi


def poisson_interval(count: Any, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood 1936) interval for a Poisson mean given an observed ``count``:
    ``[χ²(α/2; 2k)/2, χ²(1−α/2; 2k+2)/2]``, lower bound 0 when k = 0."""
    k = np.asarray(count, dtype=float)
    a = 1 - level
    lo = np.where(k > 0, stats.chi2.ppf(a / 2, 2 * np.maximum(k, 1e-300)) / 2, 0.0)
    hi = stats.chi2.ppf(1 - a / 2, 2 * k + 2) / 2
    return lo, hi


def _safe_div(num: Any, den: Any) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=(den != 0) & np.isfinite(den))
    return out


def _join_notes(*notes: pd.Series) -> pd.Series:
    """Join per-row note strings with '; ', skipping empty ones."""
    frame = pd.concat(notes, axis=1)
    return frame.apply(lambda r: "; ".join(x for x in r if isinstance(x, str) and x), axis=1)


def _note(mask: Any, text: str, index: pd.Index) -> pd.Series:
    return pd.Series(np.where(np.asarray(mask, dtype=bool), text, ""), index=index, dtype=object)


# --------------------------------------------------------------------------------------------
# dimensions: period, quarter, unit, regime, source
# --------------------------------------------------------------------------------------------

def _regime(unit_id: pd.Series, period: pd.Series, units: pd.DataFrame) -> pd.Series:
    """'integrated' from the unit's adoption period on, 'separate' before; NA without a unit."""
    require_columns(units, ("unit_id", "adoption_period"), "units")
    adopt = units.drop_duplicates("unit_id").set_index("unit_id")["adoption_period"]
    adopt = pd.Series(_month(adopt).to_numpy(), index=adopt.index)
    a = unit_id.map(adopt)
    known = unit_id.isin(adopt.index)
    out = np.where(a.notna() & (period >= a), "integrated", "separate")
    return pd.Series(np.where(known, out, None), index=unit_id.index, dtype=object)


def add_dimensions(frame: pd.DataFrame, *, date_col: str = "closed_at",
                   accounts: pd.DataFrame | None = None,
                   units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add the grouping columns ``period`` (month start of ``date_col``), ``quarter`` (e.g.
    ``"2024Q1"``), ``year``, ``unit_id`` (through ``accounts`` when the frame has ``account_id``
    but no ``unit_id``) and ``regime`` (``integrated`` / ``separate`` from ``units.adoption_period``;
    needs a unit). Works for opportunities (``date_col`` = ``closed_at`` or ``lead_at``), spend
    (``date_col="period"``) and journeys (``conversion_at``). Rows without a date get NaT/NA.
    """
    require_columns(frame, (date_col,), "frame")
    out = frame.copy()
    out["period"] = _month(out[date_col])
    out["quarter"] = out["period"].dt.to_period("Q").astype(str).where(out["period"].notna())
    out["year"] = out["period"].dt.year.astype("Int64")
    if "unit_id" not in out.columns and accounts is not None:
        require_columns(accounts, ("account_id", "unit_id"), "accounts")
        require_columns(out, ("account_id",), "frame")
        unit_of = accounts.drop_duplicates("account_id").set_index("account_id")["unit_id"]
        out["unit_id"] = out["account_id"].map(unit_of)
    if units is not None and "unit_id" in out.columns:
        out["regime"] = _regime(out["unit_id"], out["period"], units)
    return out


def classify_source(opportunities: pd.DataFrame, touchpoints: pd.DataFrame,
                    lookback_days: int = config.DEFAULT_LOOKBACK_DAYS) -> pd.Series:
    """Journey type of each opportunity from the teams that touched its account.

    Touches of the opportunity's account in the window ``[end − lookback_days, end]`` count, where
    ``end`` is ``closed_at`` (or, for open opportunities, the latest touch in the data). This mirrors
    :func:`smlib.journeys.build_journeys` for won deals (touches before the conversion within the
    lookback). Result (indexed like ``opportunities``): ``marketing_only``, ``sales_only``, ``mixed``
    or ``no_touches``. Marketing-sourced / influenced conventions: metadata.io and petavue
    (docs/sources.md §2); ``opportunities.source_team`` is the lead-source alternative.
    """
    opp = _check_opportunities(opportunities)
    require_columns(touchpoints, ("account_id", "timestamp", "team"), "touchpoints")
    tp = touchpoints[["account_id", "timestamp", "team"]].copy()
    tp["timestamp"] = _to_utc(tp["timestamp"], "touchpoints", "timestamp")
    bad = ~tp["team"].isin(config.TEAMS)
    if bad.any():
        raise ValueError("touchpoints: column 'team': expected 'marketing' or 'sales', "
                         + _bad_rows(bad, tp, "team"))
    data_end = tp["timestamp"].max() if len(tp) else pd.Timestamp.now(tz="UTC")
    keys = pd.DataFrame({"_row": np.arange(len(opp)), "account_id": opp["account_id"].to_numpy(),
                         "_end": opp["closed_at"].fillna(data_end).to_numpy()})
    m = keys.merge(tp, on="account_id", how="inner")
    inside = (m["timestamp"] <= m["_end"]) & (
        m["timestamp"] >= m["_end"] - pd.Timedelta(days=lookback_days))
    m = m.loc[inside]
    has_m = np.zeros(len(opp), bool)
    has_s = np.zeros(len(opp), bool)
    has_m[m.loc[m["team"] == "marketing", "_row"].to_numpy()] = True
    has_s[m.loc[m["team"] == "sales", "_row"].to_numpy()] = True
    kind = np.select([has_m & has_s, has_m, has_s], ["mixed", "marketing_only", "sales_only"],
                     default="no_touches")
    return pd.Series(kind, index=opportunities.index, name="source", dtype=object)


# --------------------------------------------------------------------------------------------
# funnel
# --------------------------------------------------------------------------------------------

def _groups(df: pd.DataFrame, by: list[str]) -> Iterable[tuple[tuple, pd.DataFrame]]:
    if not by:
        yield (), df
        return
    require_columns(df, by, "frame (by=)")
    for key, g in df.groupby(by, dropna=False, sort=True, observed=True):
        yield (key if isinstance(key, tuple) else (key,)), g


def stage_conversion(opportunities: pd.DataFrame, by: str | Sequence[str] | None = None,
                     level: float = 0.95) -> pd.DataFrame:
    """Conversion rate of each funnel stage with a Wilson interval.

    Rate = # records of the cohort that reached stage k+1 / # that entered stage k (altiorco RevOps
    dictionary; b2blead.io; SiriusDecisions Demand Waterfall — docs/sources.md §2). A record reached a
    stage when its timestamp is set (``won``: ``outcome == "won"``). Rows:

    * ``lead → mql``: leads that can become MQL, i.e. not sales-sourced (``source_team != "sales"``
      when that column exists; sales-sourced leads skip MQL by the data contract);
    * ``mql → sql``: MQLs; ``lead → sql``: every lead (overall qualification, both sources);
    * ``sql → opportunity``; ``opportunity → won`` (all opportunities, open ones count as not won
      yet — :func:`win_rate` uses closed ones only); ``lead → won`` (lead-to-customer rate).

    Group with ``by`` (e.g. ``"source_team"``, ``"source"`` from :func:`classify_source`, or the
    columns of :func:`add_dimensions` with ``date_col="lead_at"`` for cohorts). Columns:
    ``*by, from_stage, to_stage, n_from, n_to, rate, ci_low, ci_high, note``.
    """
    opp = _check_opportunities(opportunities)
    by_ = _as_list(by)
    reached = {s: opp[c].notna() for s, c in _STAGE_COLUMNS.items()}
    reached["won"] = opp["outcome"].eq("won")
    mql_eligible = (~opp["source_team"].eq("sales")) if "source_team" in opp else reached["lead"]
    transitions = [
        ("lead", "mql", mql_eligible), ("mql", "sql", reached["mql"]),
        ("lead", "sql", reached["lead"]), ("sql", "opportunity", reached["sql"]),
        ("opportunity", "won", reached["opportunity"]), ("lead", "won", reached["lead"]),
    ]
    flags = pd.DataFrame({f"_from_{i}": pop.to_numpy() for i, (_, _, pop) in enumerate(transitions)}
                         | {f"_to_{i}": (pop & reached[t]).to_numpy()
                            for i, (_, t, pop) in enumerate(transitions)}, index=opp.index)
    work = pd.concat([opp[by_], flags], axis=1) if by_ else flags
    rows = []
    for key, g in _groups(work, by_):
        for i, (f, t, _) in enumerate(transitions):
            rows.append(dict(zip(by_, key)) | {"from_stage": f, "to_stage": t,
                                                "n_from": int(g[f"_from_{i}"].sum()),
                                                "n_to": int(g[f"_to_{i}"].sum())})
    out = pd.DataFrame(rows, columns=[*by_, "from_stage", "to_stage", "n_from", "n_to"])
    out["rate"] = _safe_div(out["n_to"], out["n_from"])
    out["ci_low"], out["ci_high"] = wilson_interval(out["n_to"], out["n_from"], level)
    empty = out["n_from"].eq(0)
    out["note"] = np.where(empty, "no records entered the '" + out["from_stage"] + "' stage "
                           "in this group, so the rate is undefined", "")
    return out


def win_rate(opportunities: pd.DataFrame, by: str | Sequence[str] | None = None,
             level: float = 0.95) -> pd.DataFrame:
    """Win rate = closed-won / (closed-won + closed-lost) opportunities, count-based, open deals
    excluded (orm-tech and sightfull glossaries, docs/sources.md §2), with a Wilson interval.

    Only records that became opportunities count (``opportunity_at`` set, or won): a lead lost
    before the opportunity stage is a funnel loss (see :func:`stage_conversion`), not a lost deal.
    Columns: ``*by, won, lost, open, win_rate, ci_low, ci_high, note``. A group with no closed deal
    gives NaN with a note. (The value-based variant is not computed: the data contract books 0
    revenue on lost deals, so lost value is unknown.)
    """
    opp = _check_opportunities(opportunities)
    opp = opp.loc[opp["opportunity_at"].notna() | opp["outcome"].eq("won")]
    by_ = _as_list(by)
    work = opp[by_].copy() if by_ else pd.DataFrame(index=opp.index)
    for o in ("won", "lost", "open"):
        work[o] = opp["outcome"].eq(o).astype(int)
    out = (work.groupby(by_, dropna=False, observed=True)[["won", "lost", "open"]].sum().reset_index()
           if by_ else work[["won", "lost", "open"]].sum().to_frame().T.reset_index(drop=True))
    closed = out["won"] + out["lost"]
    out["win_rate"] = _safe_div(out["won"], closed)
    out["ci_low"], out["ci_high"] = wilson_interval(out["won"], closed, level)
    out["note"] = np.where(closed.eq(0), "no closed (won or lost) deal in this group", "")
    return out


def sales_cycle(opportunities: pd.DataFrame, by: str | Sequence[str] | None = None,
                start: str = "opportunity_at", level: float = 0.95) -> pd.DataFrame:
    """Sales-cycle length in days, from ``start`` (default opportunity creation; ``sql_at`` or
    ``lead_at`` also allowed) to ``closed_at``, on won deals only — the usual convention, which is
    biased low because long deals are still open (rework.com, chartmogul; docs/sources.md §2).

    Columns: ``*by, n, mean_days, median_days, std_error, ci_low, ci_high, note`` (t interval of the
    mean). Won deals without a ``start`` timestamp are left out and counted in the note.
    """
    if start not in ("opportunity_at", "sql_at", "lead_at", "mql_at"):
        raise ValueError(f"sales_cycle: start must be one of opportunity_at, sql_at, mql_at, "
                         f"lead_at; got {start!r}")
    opp = _check_opportunities(opportunities)
    by_ = _as_list(by)
    won = opp.loc[opp["outcome"].eq("won")]
    days = (won["closed_at"] - won[start]).dt.total_seconds() / 86400.0
    rows = []
    keyframe = pd.concat([won[by_], days.rename("_days")], axis=1)
    for key, g in _groups(keyframe, by_):
        d = g["_days"].dropna().to_numpy()
        missing = int(g["_days"].isna().sum())
        n = len(d)
        se = float(np.std(d, ddof=1) / np.sqrt(n)) if n > 1 else np.nan
        half = float(stats.t.ppf(0.5 + level / 2, n - 1) * se) if n > 1 else np.nan
        mean = float(d.mean()) if n else np.nan
        note = [] if n else ["no won deal in this group"]
        if n == 1:
            note.append("one won deal: no interval")
        if missing:
            note.append(f"{missing} won deal(s) without {start} left out")
        rows.append(dict(zip(by_, key)) | {
            "n": n, "mean_days": mean, "median_days": float(np.median(d)) if n else np.nan,
            "std_error": se, "ci_low": mean - half, "ci_high": mean + half, "note": "; ".join(note)})
    if not rows:  # no won deal at all and no groups
        rows.append({"n": 0, "mean_days": np.nan, "median_days": np.nan, "std_error": np.nan,
                     "ci_low": np.nan, "ci_high": np.nan, "note": "no won deal"})
    return pd.DataFrame(rows)


def pipeline_velocity(opportunities: pd.DataFrame, by: str | Sequence[str] | None = None,
                      start: str = "opportunity_at", n_boot: int = 200, seed: int = 0,
                      level: float = 0.95) -> pd.DataFrame:
    """Pipeline velocity = # qualified opportunities × average won deal × win rate / cycle days,
    in revenue per day (theprimecalculator, ooligo; docs/sources.md §2).

    Per group: ``n_opportunities`` = records with ``opportunity_at``; ``avg_deal`` = mean revenue of
    their won deals; ``win_rate`` = won / (won + lost) among them; ``cycle_days`` = mean days from
    ``start`` to ``closed_at`` of their won deals. Interval: percentile bootstrap resampling the
    group's opportunities (``n_boot`` multinomial resamples, ``seed``). Columns: ``*by,
    n_opportunities, avg_deal, win_rate, cycle_days, velocity, ci_low, ci_high, note``.
    """
    opp = _check_opportunities(opportunities)
    if start not in _TIME_COLUMNS[:-1]:
        raise ValueError(f"pipeline_velocity: start must be one of {_TIME_COLUMNS[:-1]}, got {start!r}")
    by_ = _as_list(by)
    opp = opp.loc[opp["opportunity_at"].notna()]
    rng = np.random.default_rng(seed)
    rows = []
    for key, g in _groups(opp, by_):
        won = g["outcome"].eq("won").to_numpy(float)
        lost = g["outcome"].eq("lost").to_numpy(float)
        rev = g["revenue"].to_numpy(float) * won
        days = ((g["closed_at"] - g[start]).dt.total_seconds() / 86400.0).to_numpy(float)
        days = np.where(won > 0, np.nan_to_num(days, nan=0.0), 0.0)
        stats_ = np.column_stack([np.ones_like(won), won, lost, rev, days])
        point = _velocity(stats_.sum(axis=0)[None, :])[0]
        n = len(g)
        lo = hi = np.nan
        if n > 0 and n_boot > 0 and np.isfinite(point[-1]):
            boots = []
            for b0 in range(0, n_boot, _BOOT_CHUNK):  # chunks keep the B × n count matrix small
                w = rng.multinomial(n, np.full(n, 1.0 / n), size=min(_BOOT_CHUNK, n_boot - b0))
                boots.append(_velocity(w @ stats_)[:, -1])
            vb = np.concatenate(boots)
            vb = vb[np.isfinite(vb)]
            if len(vb):
                lo, hi = np.quantile(vb, [(1 - level) / 2, (1 + level) / 2])
        note = "" if np.isfinite(point[-1]) else (
            "no opportunities in this group" if n == 0 else
            "no won deal (or zero cycle length) in this group, so velocity is undefined")
        rows.append(dict(zip(by_, key)) | {
            "n_opportunities": n, "avg_deal": point[1], "win_rate": point[2],
            "cycle_days": point[3], "velocity": point[4], "ci_low": lo, "ci_high": hi, "note": note})
    if not rows:
        rows.append({"n_opportunities": 0, "avg_deal": np.nan, "win_rate": np.nan,
                     "cycle_days": np.nan, "velocity": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                     "note": "no opportunities"})
    return pd.DataFrame(rows)


def _velocity(sums: np.ndarray) -> np.ndarray:
    """From column sums [n, won, lost, revenue_won, days_won] to [n, deal, wr, cycle, velocity]."""
    n, won, lost, rev, days = sums.T
    deal = _safe_div(rev, won)
    wr = _safe_div(won, won + lost)
    cycle = _safe_div(days, won)
    vel = _safe_div(n * deal * wr, cycle)
    return np.column_stack([n, deal, wr, cycle, vel])


# --------------------------------------------------------------------------------------------
# customers, revenue, blended and paid CAC
# --------------------------------------------------------------------------------------------

def won_deals(opportunities: pd.DataFrame) -> pd.DataFrame:
    """Won opportunities with ``is_new_customer`` (the account's first won deal by ``closed_at``;
    ties broken by ``opportunity_id``) and ``gross_profit`` = revenue × gross_margin."""
    opp = _check_opportunities(opportunities)
    won = opp.loc[opp["outcome"].eq("won")].sort_values(["closed_at", "opportunity_id"])
    won = won.assign(is_new_customer=~won["account_id"].duplicated(),
                     gross_profit=won["revenue"] * won["gross_margin"])
    return won.sort_index()


def _dims_check(by: list[str], allowed: Sequence[str], what: str) -> None:
    bad = [b for b in by if b not in allowed]
    if bad:
        raise ValueError(f"{what}: cannot group by {bad}; allowed: {list(allowed)}")


def _with_dims(frame: pd.DataFrame, by: list[str], date_col: str, table: str,
               accounts: pd.DataFrame | None, units: pd.DataFrame | None) -> pd.DataFrame:
    if ("unit_id" in by or "regime" in by) and "unit_id" not in frame.columns:
        if table == "spend":
            raise ValueError("spend: no 'unit_id' column, so cost per unit (or regime) cannot be "
                             "computed; add unit_id to spend (data/README.md)")
        if accounts is None:
            raise ValueError(f"{table}: grouping by unit or regime needs a unit_id column "
                             "(pass `accounts` to map account_id → unit_id)")
    if "regime" in by and units is None:
        raise ValueError(f"{table}: grouping by regime needs `units` (unit_id, adoption_period)")
    return add_dimensions(frame, date_col=date_col, accounts=accounts, units=units)


def blended_cac(opportunities: pd.DataFrame, spend: pd.DataFrame,
                by: str | Sequence[str] | None = None, *, accounts: pd.DataFrame | None = None,
                units: pd.DataFrame | None = None, level: float = 0.95,
                horizon: str | int = "first_contract", monthly_churn: float | None = None,
                contract_months: float | None = 12.0) -> pd.DataFrame:
    """Blended CAC and ROI of all marketing and sales cost, per group.

    * ``cac`` = total S&M cost (media + people + tools + overhead, all of ``spend``) / new customers
      (mv3marketing and thematchbox blended-CAC glossaries, docs/sources.md §2). Interval: cost over the
      exact Poisson interval of the customer count (cost taken as known).
    * ``roi`` = (gross profit of won deals − cost) / cost, on gross profit as recommended by
      metrickittools' ROI guide (docs/sources.md §2); ``roas`` = revenue / cost (growthcalc). ROI
      interval: compound-Poisson normal approximation, SE = √Σ gross_profit² / cost.

    ``by`` ⊆ {period, quarter, year, unit_id, regime} (see :func:`add_dimensions`; deals by their
    ``closed_at`` month, cost by ``spend.period``). Unit and regime need ``spend.unit_id`` and
    ``accounts``; cost rows without a unit form their own group (unit NA) with a note. Columns:
    ``*by, cost, new_customers, won_deals, revenue, gross_profit, cac, cac_ci_low, cac_ci_high, roi,
    roi_ci_low, roi_ci_high, roas, horizon, note``.

    ``horizon`` (:func:`resolve_horizon`; default the deals booked): on a longer horizon (with a
    ``monthly_churn``), ROI and ROAS count each new customer's first deal × its expected revenue
    months on the horizon / ``contract_months`` (:func:`revenue_months`, LTV's assumptions), and
    no later deal of the same account (its renewals and expansions are what the lifetime
    estimates); ``revenue`` and ``gross_profit`` stay the booked figures.
    """
    by_ = _as_list(by)
    _dims_check(by_, DIMENSIONS, "blended_cac")
    horizon = resolve_horizon(horizon, monthly_churn, contract_months)
    cm = 1.0 if contract_months is None else float(contract_months)
    mult = revenue_months(horizon, monthly_churn, contract_months) / cm
    won = _with_dims(won_deals(opportunities), by_, "closed_at", "opportunities", accounts, units)
    sp = _with_dims(_check_spend(spend), by_, "period", "spend", None, units)
    # the horizon's gross profit and revenue: booked deals, or new customers' first deals × mult
    longer = horizon != "first_contract" and monthly_churn is not None
    keep = won["is_new_customer"].to_numpy() if longer else np.ones(len(won), bool)
    won = won.assign(gp2=(won["gross_profit"] * keep * mult) ** 2,
                     hgp=won["gross_profit"] * keep * mult, hrev=won["revenue"] * keep * mult,
                     new=won["is_new_customer"].astype(int), deals=1)
    cols = ["new", "deals", "revenue", "gross_profit", "gp2", "hgp", "hrev"]
    if by_:
        w = won.groupby(by_, dropna=False, observed=True)[cols].sum()
        c = sp.groupby(by_, dropna=False, observed=True)[["cost"]].sum()
        out = c.join(w, how="outer").reset_index()
    else:
        out = pd.DataFrame([won[cols].sum().to_dict() | {"cost": sp["cost"].sum()}])
    out[cols + ["cost"]] = out[cols + ["cost"]].fillna(0.0)
    out["horizon"] = horizon
    return _economics(out.rename(columns={"new": "new_customers", "deals": "won_deals"}),
                      by_, "new_customers", level)


def _economics(out: pd.DataFrame, by: list[str], customers: str, level: float) -> pd.DataFrame:
    """CAC, ROI, ROAS and their notes from cost / customers / revenue / gross profit (+gp2)."""
    z = stats.norm.ppf(0.5 + level / 2)
    out["cac"] = _safe_div(out["cost"], out[customers])
    c_lo, c_hi = poisson_interval(out[customers].round(), level)
    out["cac_ci_low"] = _safe_div(out["cost"], c_hi)
    out["cac_ci_high"] = _safe_div(out["cost"], c_lo)
    hgp = out.pop("hgp") if "hgp" in out else out["gross_profit"]
    hrev = out.pop("hrev") if "hrev" in out else out["revenue"]
    out["roi"] = _safe_div(hgp - out["cost"], out["cost"])
    se = _safe_div(np.sqrt(out.pop("gp2")), out["cost"])
    out["roi_ci_low"], out["roi_ci_high"] = out["roi"] - z * se, out["roi"] + z * se
    out["roas"] = _safe_div(hrev, out["cost"])
    notes = [
        _note(out[customers].eq(0), "no new customers in this group, so CAC is undefined", out.index),
        _note(out["cost"].eq(0), "no cost recorded in this group, so CAC is 0 and ROI/ROAS are "
              "undefined", out.index),
    ]
    for col in [b for b in by if b in ("unit_id", "regime")]:
        notes.append(_note(out[col].isna(), f"rows without a {col} (cost or deals not assigned "
                           "to a unit)", out.index))
    out["note"] = _join_notes(*notes)
    front = [*by, "cost", customers] + [c for c in ("won_deals",) if c in out.columns]
    rest = ["revenue", "gross_profit", "cac", "cac_ci_low", "cac_ci_high", "roi", "roi_ci_low",
            "roi_ci_high", "roas"] + [c for c in ("horizon",) if c in out.columns] + ["note"]
    return out[front + rest]


# --------------------------------------------------------------------------------------------
# horizons: first contract, lifetime, a number of months
# --------------------------------------------------------------------------------------------

def resolve_horizon(horizon: str | int = "auto", monthly_churn: float | None = None,
                    contract_months: float | None = 12.0) -> str | int:
    """Check a horizon and resolve ``"auto"``: ``"lifetime"`` when the data describe recurring
    revenue (``monthly_churn`` and ``contract_months`` given), else ``"first_contract"``.

    A horizon is ``"first_contract"``, ``"lifetime"`` or a whole number of months ≥ 1; anything
    else raises a ValueError naming the allowed values. ``monthly_churn`` must be in [0, 1]
    (``None`` = no renewals: a one-off-sale business) and ``contract_months`` > 0 when given.
    """
    if monthly_churn is not None and not (np.isfinite(monthly_churn) and 0 <= monthly_churn <= 1):
        raise ValueError(f"monthly_churn must be a number in [0, 1] or None, got {monthly_churn}")
    if contract_months is not None and not (np.isfinite(contract_months) and contract_months > 0):
        raise ValueError(f"contract_months must be a number > 0 or None, got {contract_months}")
    if isinstance(horizon, str):
        if horizon == "auto":
            recurring = monthly_churn is not None and contract_months is not None
            return "lifetime" if recurring else "first_contract"
        if horizon in HORIZONS:
            return horizon
    elif isinstance(horizon, (int, np.integer)) and not isinstance(horizon, bool) and horizon >= 1:
        return int(horizon)
    raise ValueError(f"horizon must be 'auto', 'first_contract', 'lifetime' or a whole number of "
                     f"months >= 1, got {horizon!r}")


def revenue_months(horizon: str | int, monthly_churn: float | None = None,
                   contract_months: float | None = 12.0) -> float:
    """Expected months of revenue of one new customer on ``horizon``, under the assumptions LTV
    uses (:func:`unit_economics`: LTV = ARPA × margin / churn, ARPA = first-deal revenue /
    ``contract_months``, so a customer pays ARPA for an expected 1 / churn months).

    * ``"first_contract"``: ``contract_months`` (the deal booked);
    * ``"lifetime"``: 1 / ``monthly_churn`` months (LTV's lifetime);
    * ``H`` months: the expected revenue months within H under the same churn,
      (1 − (1 − churn)^H) / churn (H when churn is 0).

    The first contract is booked (prepaid): every horizon counts at least ``contract_months``, so
    a short horizon or a churn above 1 / ``contract_months`` never values a customer below the deal
    it signed (with realistic churn, e.g. 1.5 % a month on annual contracts, lifetime is exactly
    LTV's 1 / churn). ``monthly_churn=None`` describes a one-off-sale business (no renewals):
    every horizon is the first contract. ``contract_months=None`` (contract length unknown) is
    read as one month. Zero churn on the lifetime horizon is unbounded: ValueError (use months).
    """
    h = resolve_horizon(horizon, monthly_churn, contract_months)
    cm = 1.0 if contract_months is None else float(contract_months)
    if h == "first_contract" or monthly_churn is None:
        return cm
    c = float(monthly_churn)
    if h == "lifetime":
        if c == 0:
            raise ValueError("monthly_churn is 0: the lifetime is unbounded; pass a horizon in "
                             "months (e.g. horizon=60)")
        return max(cm, 1.0 / c)
    months = float(h) if c == 0 else (1.0 - (1.0 - c) ** h) / c
    return max(cm, months)


def _horizon_frame(out: pd.DataFrame, gm: float, horizon: str | int,
                   monthly_churn: float | None, contract_months: float | None,
                   assessable: Any) -> pd.DataFrame:
    """Returns on ``horizon`` from ``cost``, ``revenue`` and ``gross_profit`` (first contract)
    and, when present, the credit's value bounds ``value_ci_low/high``: ``roi``, ``roas``,
    ``ltv_to_cac``, ``payback_months`` and their intervals; NaN where ``assessable`` is False."""
    h = resolve_horizon(horizon, monthly_churn, contract_months)
    cm = 1.0 if contract_months is None else float(contract_months)
    mult = revenue_months(h, monthly_churn, contract_months) / cm
    life = revenue_months("lifetime", monthly_churn, contract_months) if (
        monthly_churn is None or monthly_churn > 0) else np.nan
    ok = np.asarray(assessable, dtype=bool)
    out["horizon"] = h
    out["monthly_churn"] = np.nan if monthly_churn is None else float(monthly_churn)
    out["contract_months"] = np.nan if contract_months is None else float(contract_months)
    out["horizon_months"] = mult * cm
    out["lifetime_months"] = life
    out["horizon_revenue"] = out["revenue"] * mult
    out["horizon_gross_profit"] = out["gross_profit"] * mult
    cost = out["cost"]
    out["roi"] = np.where(ok, _safe_div(out["horizon_gross_profit"] - cost, cost), np.nan)
    out["roas"] = np.where(ok, _safe_div(out["horizon_revenue"], cost), np.nan)
    out["ltv_to_cac"] = np.where(ok, _safe_div(out["gross_profit"] * life / cm, cost), np.nan)
    out["payback_months"] = np.where(ok, _safe_div(cost * cm, out["gross_profit"]), np.nan)
    if {"value_ci_low", "value_ci_high"} <= set(out.columns):
        for end, other in (("low", "high"), ("high", "low")):
            gp = out[f"value_ci_{end}"] * gm
            out[f"roi_ci_{end}"] = np.where(ok, _safe_div(gp * mult - cost, cost), np.nan)
            out[f"ltv_to_cac_ci_{end}"] = np.where(ok, _safe_div(gp * life / cm, cost), np.nan)
            # more credited gross profit pays back sooner: the high value gives the low payback
            out[f"payback_ci_{other}"] = np.where(ok, _safe_div(cost * cm, gp), np.nan)
    return out


# --------------------------------------------------------------------------------------------
# channel and team economics under attribution models
# --------------------------------------------------------------------------------------------

def has_costs(spend: pd.DataFrame | None) -> bool:
    """True when ``spend`` records some positive cost: the condition for CAC, ROI, ROAS, payback
    and LTV:CAC to mean anything (a missing, header-only or all-zero spend table gives False)."""
    return spend is not None and "cost" in spend and bool((spend["cost"] > 0).any())


def _credit_frame(credit: pd.DataFrame) -> pd.DataFrame:
    """Check an attribution credit table (:func:`smlib.schemas.credit_table`: values ``>= 0``,
    one row per model, channel and grouping column) and name its CI columns ``ci_low, ci_high``."""
    cr = credit_table(credit, "credit", require_value=True, nonnegative=True, keys=DIMENSIONS)
    return cr.rename(columns={"conversions_ci_low": "ci_low", "conversions_ci_high": "ci_high"})


def _margin(opportunities: pd.DataFrame | None, gross_margin: float | None) -> float:
    """Revenue-weighted gross margin of won deals, unless ``gross_margin`` is given."""
    if gross_margin is not None:
        if not 0.0 <= float(gross_margin) <= 1.0:
            raise ValueError(f"gross_margin must be a fraction in [0, 1], got {gross_margin}")
        return float(gross_margin)
    if opportunities is None:
        raise ValueError("pass `opportunities` (to weight gross margins by revenue) or a "
                         "`gross_margin` fraction")
    won = won_deals(opportunities)
    rev = won["revenue"].sum()
    if rev <= 0:
        raise ValueError("opportunities: no won revenue, so the gross margin of credited revenue "
                         "is unknown; pass `gross_margin`")
    return float(won["gross_profit"].sum() / rev)


def channel_economics(credit: pd.DataFrame, spend: pd.DataFrame,
                      opportunities: pd.DataFrame | None = None, *,
                      gross_margin: float | None = None,
                      channel_teams: Mapping[str, str] | None = None,
                      by: str | Sequence[str] | None = None,
                      units: pd.DataFrame | None = None,
                      horizon: str | int = "first_contract",
                      monthly_churn: float | None = None,
                      contract_months: float | None = 12.0) -> pd.DataFrame:
    """CAC, ROI, ROAS, LTV:CAC and payback per channel under each attribution model in ``credit``.

    ``credit`` is the output of :func:`smlib.attribution.attribute` / ``compare`` (``model, channel,
    conversions, value``; bootstrap columns ``ci_low, ci_high, value_ci_low, value_ci_high`` are
    used when present). Per model and channel (every channel in ``spend`` or in ``credit``):

    * ``cost`` = the channel's ``spend`` (overhead rows such as ``sales_people`` included as their own
      channels, so channel costs add up to total cost for every model);
    * ``conversions``/``revenue`` = credited conversions/value (they add up to the credited totals);
    * ``gross_profit`` = revenue × the revenue-weighted gross margin of won deals;
    * ``cac`` = cost / credited conversions (knowmba: cost per customer by channel, credit depends on
      the attribution model; docs/sources.md §2) — credited conversions are won deals, not only new
      customers, because attribution credits every won journey;
    * ``roi`` = (gross profit − cost) / cost (metrickittools); ``roas`` = revenue / cost (growthcalc),
      both on ``horizon`` (see below);
    * ``ltv_to_cac`` = lifetime gross profit / cost and ``payback_months`` = cost / monthly gross
      profit credited (first-contract gross profit / ``contract_months``): the LTV:CAC and CAC
      payback of :func:`unit_economics` for the customers credited to the channel.

    **Horizon** (``"first_contract"`` — the default, the deals booked, before renewals —,
    ``"lifetime"``, a number of months, or ``"auto"``: :func:`resolve_horizon`): ``horizon_revenue``
    and ``horizon_gross_profit`` are the first contract's revenue and gross profit × the expected
    revenue months on the horizon / ``contract_months`` (:func:`revenue_months`, the churn and
    contract assumptions of LTV; ``monthly_churn=None`` = no renewals, where every horizon is the
    first contract). ``revenue`` and ``gross_profit`` stay the booked (credited) figures. On the
    lifetime horizon, per row: ROI > 0 ⟺ LTV:CAC > 1 ⟺ payback < ``lifetime_months``.
    Columns added: ``horizon, monthly_churn, contract_months, horizon_months, lifetime_months,
    horizon_revenue, horizon_gross_profit, ltv_to_cac, payback_months`` (and their ``_ci_*``
    bounds with bootstrap value bounds).

    Undefined values are NaN with a note: no cost (ROI/ROAS undefined, CAC 0), no credit from this
    model (CAC/ROI/ROAS not assessable under the model — e.g. first touch never credits late sales
    touches), overhead channels (no touch carries them). Bootstrap bounds give ``cac_ci_*`` =
    cost / conversion bounds and ``roi_ci_*`` from the value bounds (cost and margin taken as known).
    ``by`` ⊆ {period, quarter, year, unit_id, regime}: then ``credit`` must carry the same columns
    (e.g. from :func:`smlib.attribution.credit.credit_by`) and spend is grouped alike (``regime`` needs ``units``).
    """
    by_ = _as_list(by)
    _dims_check(by_, DIMENSIONS, "channel_economics")
    horizon = resolve_horizon(horizon, monthly_churn, contract_months)
    cr = _credit_frame(credit)
    require_columns(cr, by_, "credit")
    sp = _check_spend(spend)
    if by_:
        sp = _with_dims(sp, by_, "period", "spend", None, units)
        require_columns(sp, by_, "spend")
    gm = _margin(opportunities, gross_margin)
    teams = channel_team_map(spend=sp, extra=channel_teams)
    cost = sp.groupby([*by_, "channel"], dropna=False, observed=True)["cost"].sum()
    rows = []
    for model, g in cr.groupby("model", sort=False):
        c = g.set_index([*by_, "channel"]).drop(columns=["model", "team"], errors="ignore")
        keys = cost.index.union(c.index)
        m = pd.DataFrame(index=keys).join(cost).join(c).reset_index()
        m.insert(0, "model", model)
        rows.append(m)
    out = pd.concat(rows, ignore_index=True)
    out[["cost", "conversions", "value"]] = out[["cost", "conversions", "value"]].fillna(0.0)
    unknown = ~out["channel"].isin(list(teams))
    if unknown.any():
        raise ValueError(f"credit: channel(s) {sorted(out.loc[unknown, 'channel'].unique())} have "
                         "no team; pass channel_teams={channel: 'marketing'|'sales'}")
    out.insert(len(by_) + 2, "team", out["channel"].map(teams))
    out = out.rename(columns={"value": "revenue"})
    out["gross_profit"] = out["revenue"] * gm
    has_cost, has_credit = out["cost"] > 0, out["conversions"] > 0
    overhead = out["channel"].isin(OVERHEAD_CHANNELS) & ~has_credit
    assessable = has_cost & has_credit
    out["cac"] = np.where(has_credit, _safe_div(out["cost"], out["conversions"]), np.nan)
    out = _horizon_frame(out, gm, horizon, monthly_churn, contract_months, assessable)
    if {"ci_low", "ci_high"} <= set(out.columns):
        out["cac_ci_low"] = np.where(has_credit, _safe_div(out["cost"], out["ci_high"]), np.nan)
        out["cac_ci_high"] = np.where(has_credit, _safe_div(out["cost"], out["ci_low"]), np.nan)
    out["note"] = _join_notes(
        _note(overhead, "overhead: no touch carries this cost, so no model credits it; it counts "
              "in team and blended figures", out.index),
        _note(~has_cost & has_credit, "no cost recorded for this channel: CAC is 0 and ROI/ROAS "
              "are undefined", out.index),
        _note(has_cost & ~has_credit & ~overhead, "this attribution model credits no conversions "
              "to the channel, so CAC/ROI/ROAS cannot be assessed under it", out.index),
        _note(~has_cost & ~has_credit, "no cost and no credit", out.index),
    )
    out["gross_margin"] = gm
    return out


def team_economics(credit: pd.DataFrame, spend: pd.DataFrame,
                   opportunities: pd.DataFrame | None = None, *,
                   gross_margin: float | None = None,
                   channel_teams: Mapping[str, str] | None = None,
                   by: str | Sequence[str] | None = None,
                   units: pd.DataFrame | None = None,
                   draws: Mapping[str, Any] | None = None,
                   level: float = 0.95,
                   horizon: str | int = "first_contract",
                   monthly_churn: float | None = None,
                   contract_months: float | None = 12.0) -> pd.DataFrame:
    """CAC, ROI, ROAS, LTV:CAC and payback per team (marketing, sales) under each attribution model.

    Team credit = sum of its channels' credit (channel → team from :func:`channel_team_map`); team
    cost = all of the team's ``spend``, people and overhead included (blended-CAC convention, mv3
    marketing; docs/sources.md §2). Formulas and the ``horizon`` / ``monthly_churn`` /
    ``contract_months`` of the returns as in :func:`channel_economics` (same added columns);
    credited revenue over the teams adds up to the model's credited total.

    Intervals: with ``draws`` = ``{model: smlib.attribution.resample.BootstrapDraws}`` (from
    ``bootstrap_draws``), each resample's team credit is the sum of its channels' credit, and the
    interval is the percentile interval of those sums (exact for the bootstrap). Otherwise, when
    the credit has bootstrap bounds per channel, the channels' bounds are added (conservative:
    channel credits within a model are negatively correlated, so the true interval is narrower).
    Columns: ``model, *by, team, cost, conversions, revenue, gross_profit, cac, roi, roas,
    [roi_ci_low, roi_ci_high, cac_ci_low, cac_ci_high], note``.
    """
    horizon = resolve_horizon(horizon, monthly_churn, contract_months)
    ch = channel_economics(credit, spend, opportunities, gross_margin=gross_margin,
                           channel_teams=channel_teams, by=by, units=units)
    by_ = _as_list(by)
    keys = ["model", *by_, "team"]
    sums = ["cost", "conversions", "revenue", "gross_profit"]
    extra = [c for c in ("ci_low", "ci_high", "value_ci_low", "value_ci_high") if c in ch.columns]
    if draws:  # the percentile interval of summed draws replaces the added bounds below
        extra = []
        for c in ("ci_low", "ci_high", "value_ci_low", "value_ci_high"):
            ch[c] = np.nan
    # a channel without credit has bounds 0 — but only in a model that has bounds at all
    has_bounds = ch.groupby("model")[extra].transform(lambda c: c.notna().any()) if extra else None
    for c in extra:
        ch[c] = ch[c].where(ch[c].notna() | ~has_bounds[c].astype(bool), 0.0)
    grouped = ch.groupby(keys, dropna=False, sort=False, observed=True)
    out = grouped[sums].sum()
    if extra:
        out = out.join(grouped[extra].sum(min_count=1))
    out = out.reset_index()
    gm = float(ch["gross_margin"].iloc[0]) if len(ch) else np.nan
    has_cost, has_credit = out["cost"] > 0, out["conversions"] > 0
    out["cac"] = np.where(has_credit, _safe_div(out["cost"], out["conversions"]), np.nan)
    ok = has_cost & has_credit
    if draws:
        if by_:
            raise ValueError("team_economics: draws= works for an overall table only (no by=)")
        teams = channel_team_map(spend=spend, extra=channel_teams)
        q = [(1 - level) / 2, (1 + level) / 2]
        for c in ("ci_low", "ci_high", "value_ci_low", "value_ci_high"):
            out[c] = np.nan
        for model, d in draws.items():
            team_of = np.array([teams.get(c, "") for c in d.channels])
            for team in np.unique(team_of):
                row = out["model"].eq(model) & out["team"].eq(team)
                if not row.any():
                    continue
                conv = np.nanquantile(d.conversions[:, team_of == team].sum(axis=1), q)
                val = np.nanquantile(d.value[:, team_of == team].sum(axis=1), q)
                out.loc[row, ["ci_low", "ci_high"]] = conv
                out.loc[row, ["value_ci_low", "value_ci_high"]] = val
    out = _horizon_frame(out, gm, horizon, monthly_churn, contract_months, ok)
    if {"ci_low", "ci_high"} <= set(out.columns):
        out["cac_ci_low"] = np.where(has_credit, _safe_div(out["cost"], out["ci_high"]), np.nan)
        out["cac_ci_high"] = np.where(has_credit, _safe_div(out["cost"], out["ci_low"]), np.nan)
    out["note"] = _join_notes(
        _note(~has_cost & has_credit, "no cost recorded for this team: ROI/ROAS undefined",
              out.index),
        _note(has_cost & ~has_credit, "this attribution model credits no conversions to the "
              "team, so CAC/ROI/ROAS cannot be assessed under it", out.index),
    )
    return out


def paid_cac(credit: pd.DataFrame, spend: pd.DataFrame,
             paid_channels: Sequence[str] = PAID_CHANNELS, level: float = 0.95) -> pd.DataFrame:
    """Paid CAC = paid media spend / new customers from paid channels (thematchbox, malartu;
    docs/sources.md §2), where customers from paid channels = conversions the attribution model credits
    to ``paid_channels``. Per model; interval from the exact Poisson interval of the credited count
    (rounded). Columns: ``model, cost, conversions, cac, ci_low, ci_high, note``.
    """
    cr = _credit_frame(credit)
    sp = _check_spend(spend)
    cost = float(sp.loc[sp["channel"].isin(paid_channels), "cost"].sum())
    conv = cr.loc[cr["channel"].isin(paid_channels)].groupby("model", sort=False)["conversions"].sum()
    conv = conv.reindex(cr["model"].unique(), fill_value=0.0)
    out = pd.DataFrame({"model": conv.index, "cost": cost, "conversions": conv.to_numpy()})
    out["cac"] = _safe_div(out["cost"], out["conversions"])
    lo, hi = poisson_interval(out["conversions"].round(), level)
    out["ci_low"], out["ci_high"] = _safe_div(cost, hi), _safe_div(cost, lo)
    out["note"] = _join_notes(
        _note(out["conversions"].eq(0), "the model credits no conversions to paid channels",
              out.index),
        _note(np.full(len(out), cost == 0), "no paid media cost recorded", out.index))
    return out


# --------------------------------------------------------------------------------------------
# unit economics: LTV, LTV:CAC, payback
# --------------------------------------------------------------------------------------------

def monthly_arpa(opportunities: pd.DataFrame, contract_months: float = 12.0) -> float:
    """Average revenue per account per month, assuming a won deal books ``contract_months`` months
    of revenue (default: an annual contract): mean revenue of new customers' first deals /
    contract_months. An assumption stated in the report, not a measured figure."""
    if contract_months <= 0:
        raise ValueError(f"contract_months must be > 0, got {contract_months}")
    won = won_deals(opportunities)
    first = won.loc[won["is_new_customer"], "revenue"]
    if first.empty:
        raise ValueError("opportunities: no won deal, so ARPA cannot be estimated")
    return float(first.mean() / contract_months)


def unit_economics(cac: Any, arpa: float, gross_margin: float, churn_rate: float) -> pd.DataFrame:
    """LTV, LTV:CAC and CAC payback, per CAC value (all rates per month).

    * LTV = ARPA × gross margin / churn rate (7busyboss; lean-case customer-lifetime metrics;
      docs/sources.md §2);
    * LTV:CAC, target ≥ 3 (David Skok, *SaaS Metrics 2.0*);
    * payback months = CAC / (ARPA × gross margin), target < 12 (Skok: 5–12; metrickittools).

    ``cac`` may be a scalar or array-like. Zero churn (infinite lifetime) or zero ARPA × margin
    give NaN with a note. Columns: ``cac, ltv, ltv_to_cac, payback_months, note``.
    """
    for name, v, lo, hi in (("arpa", arpa, 0, np.inf), ("gross_margin", gross_margin, 0, 1),
                            ("churn_rate", churn_rate, 0, 1)):
        if not (np.isfinite(v) and lo <= v <= hi):
            raise ValueError(f"{name} must be a number in [{lo}, {hi}], got {v}")
    c = np.atleast_1d(np.asarray(cac, dtype=float))
    ltv = arpa * gross_margin / churn_rate if churn_rate > 0 else np.nan
    margin = arpa * gross_margin
    out = pd.DataFrame({"cac": c, "ltv": ltv})
    out["ltv_to_cac"] = _safe_div(np.full_like(c, ltv), c)
    out["payback_months"] = _safe_div(c, np.full_like(c, margin))
    out["note"] = _join_notes(
        _note(np.full(len(c), churn_rate == 0), "zero churn: lifetime value is unbounded",
              out.index),
        _note(np.full(len(c), margin == 0), "zero monthly gross profit per account: payback "
              "never happens", out.index),
        _note(~np.isfinite(c), "CAC undefined", out.index))
    return out


def customer_economics(opportunities: pd.DataFrame, spend: pd.DataFrame, churn_rate: float,
                       contract_months: float = 12.0, level: float = 0.95) -> pd.DataFrame:
    """Blended CAC with LTV, LTV:CAC and payback in one row, from the deals themselves: ARPA from
    :func:`monthly_arpa`, gross margin = revenue-weighted margin of won deals, CAC and its interval
    from :func:`blended_cac`, then :func:`unit_economics` (LTV = ARPA × margin / churn; payback =
    CAC / (ARPA × margin); Skok's targets LTV:CAC ≥ 3, payback < 12 months). ``churn_rate`` is a
    monthly assumption (e.g. 1–2 % for mid-market B2B SaaS, b2blead.io churn-rate page — a vendor
    benchmark), not a measured figure. The payback interval maps the CAC interval.
    ``lifetime_months`` is the expected lifetime the LTV counts (:func:`revenue_months`), so that
    payback can be read against it (LTV:CAC > 1 ⟺ payback < lifetime).
    Columns: ``cac, cac_ci_low, cac_ci_high, arpa, gross_margin, churn_rate, ltv, ltv_to_cac,
    payback_months, payback_ci_low, payback_ci_high, lifetime_months, note``."""
    b = blended_cac(opportunities, spend, level=level).iloc[0]
    arpa = monthly_arpa(opportunities, contract_months)
    gm = _margin(opportunities, None)
    ue = unit_economics([b["cac"], b["cac_ci_low"], b["cac_ci_high"]], arpa, gm, churn_rate)
    return pd.DataFrame([{
        "cac": b["cac"], "cac_ci_low": b["cac_ci_low"], "cac_ci_high": b["cac_ci_high"],
        "arpa": arpa, "gross_margin": gm, "churn_rate": churn_rate, "ltv": ue.at[0, "ltv"],
        "ltv_to_cac": ue.at[0, "ltv_to_cac"], "payback_months": ue.at[0, "payback_months"],
        "payback_ci_low": ue.at[1, "payback_months"], "payback_ci_high": ue.at[2, "payback_months"],
        "lifetime_months": 1.0 / churn_rate if churn_rate > 0 else np.nan,
        "note": "; ".join(x for x in (b["note"], ue.at[0, "note"]) if x)}])


# --------------------------------------------------------------------------------------------
# across models: pivot and grow/cut recommendations
# --------------------------------------------------------------------------------------------

def compare_models(table: pd.DataFrame, metric: str = "roi", index: str = "channel") -> pd.DataFrame:
    """Wide view of one metric from :func:`channel_economics`/:func:`team_economics`: rows =
    ``index`` (channel or team), columns = attribution models, so leadership sees how the budget
    story changes with the model."""
    require_columns(table, ("model", index, metric), "table")
    return table.pivot_table(index=index, columns="model", values=metric, aggfunc="first",
                             dropna=False, sort=False)


#: Factors applied to the monthly churn in the grow/cut sensitivity of :func:`recommend_channels`.
CHURN_FACTORS: tuple[float, float] = (0.5, 1.5)
_ACTION_ORDER = {"grow": 0, "review": 1, "cut": 2, "not_assessed": 3}


def _interval_action(lo: float, hi: float) -> str:
    """grow when the whole ROI interval is above break-even, cut when below, else review."""
    return "grow" if lo > 0 else "cut" if hi < 0 else "review"


def _churn_scale(g: pd.DataFrame, factor: float) -> float | None:
    """How the horizon's gross profit scales when churn is × ``factor`` (None when it cannot:
    no churn assumption, first-contract horizon, or a table without the horizon columns)."""
    if not {"horizon", "monthly_churn", "contract_months"} <= set(g.columns):
        return None
    h, c, cm = g["horizon"].iloc[0], g["monthly_churn"].iloc[0], g["contract_months"].iloc[0]
    if h == "first_contract" or not np.isfinite(c) or c <= 0:
        return None
    cm_ = None if not np.isfinite(cm) else float(cm)
    base = revenue_months(h, float(c), cm_)
    return revenue_months(h, min(1.0, float(c) * factor), cm_) / base


def recommend_channels(channel_table: pd.DataFrame, model: str | None = None, *,
                       churn_factors: tuple[float, float] = CHURN_FACTORS) -> pd.DataFrame:
    """Grow / cut / not enough evidence for each channel, from its ROI interval under the
    recommended model.

    Rule (stated so leadership can check it), on the horizon of ``channel_table``
    (:func:`channel_economics`' ``horizon``: lifetime or first-contract gross profit):

    * **grow** only when the whole ROI interval under ``model`` (attribution bootstrap) is above
      break-even (ROI > 0), **cut** only when it is entirely below;
    * otherwise **review** (shown as "not enough evidence"): the interval spans break-even, or
      there is no interval under ``model`` (``rule`` says which: ``interval`` / ``no_interval``).
      The other models' point estimates never decide an action (they have no interval); how many
      agree in sign is kept (``n_positive``, ``n_negative``) and stated in ``reason``;
    * **not_assessed** when no model gives an ROI (no cost, overhead, no credit).

    ``confidence`` follows the interval alone: **high** for grow / cut (the interval is on one
    side of break-even), **low** for review, **none** when not assessed. Churn sensitivity: the
    action is computed
    again with the monthly churn × each of ``churn_factors`` (default × 0.5 and × 1.5: a longer
    and a shorter customer lifetime), scaling the horizon's gross profit
    (:func:`revenue_months`); ``flips`` says whether either differs (never on the first-contract
    horizon, which does not depend on churn). Attribution ROI is correlational: it is only as good
    as the model (see report 01 for accuracy against the simulator's truth).
    Columns: ``channel, team, action, confidence, rule, horizon, n_models, n_positive, n_negative,
    roi, roi_ci_low, roi_ci_high, cost, action_low_churn, action_high_churn, roi_low_churn,
    roi_high_churn, flips, reason``, ordered grow → review → cut → not_assessed, then by ROI.
    """
    require_columns(channel_table, ("model", "channel", "team", "roi", "cost"), "channel_table")
    if channel_table.duplicated(["model", "channel"]).any():
        raise ValueError("channel_table: several rows per (model, channel); pass an overall table "
                         "(channel_economics without by=)")
    if len(churn_factors) != 2 or not all(np.isfinite(f) and f > 0 for f in churn_factors):
        raise ValueError(f"churn_factors must be two numbers > 0, got {churn_factors!r}")
    models = list(channel_table["model"].unique())
    if model is None:
        model = models[0]
    if model not in models:
        raise ValueError(f"model {model!r} is not in the table; models: {models}")
    horizon = (channel_table["horizon"].iloc[0] if "horizon" in channel_table
               and len(channel_table) else "first_contract")
    rows = []
    for ch, g in channel_table.groupby("channel", sort=False):
        roi = g["roi"].dropna()
        n_pos, n_neg = int((roi > 0).sum()), int((roi < 0).sum())
        chosen = g.loc[g["model"].eq(model)]
        r = float(chosen["roi"].iloc[0]) if len(chosen) else np.nan
        lo = float(chosen["roi_ci_low"].iloc[0]) if "roi_ci_low" in g and len(chosen) else np.nan
        hi = float(chosen["roi_ci_high"].iloc[0]) if "roi_ci_high" in g and len(chosen) else np.nan
        has_ci = bool(np.isfinite(lo) and np.isfinite(hi))

        def decide(k: float) -> str:
            """The action with the horizon's gross profit × k (ROI + 1 scales with it)."""
            if roi.empty:
                return "not_assessed"
            if has_ci:
                return _interval_action((lo + 1) * k - 1, (hi + 1) * k - 1)
            return "review"  # no interval under the recommended model: not enough evidence

        action = decide(1.0)
        scales = [_churn_scale(g, f) for f in churn_factors]
        sens = [decide(k) if k is not None else action for k in scales]
        sens_roi = [(r + 1) * k - 1 if k is not None else r for k in scales]
        if roi.empty:
            conf, rule = "none", "none"
            reason = (g["note"].dropna().iloc[0] if "note" in g and g["note"].notna().any()
                      else "no ROI under any model")
        else:
            rule = "interval" if has_ci else "no_interval"
            conf = "low" if action == "review" else "high"
            basis = str(horizon).replace("_", " ")
            side = ("above" if has_ci and lo > 0 else "below" if has_ci and hi < 0 else "spans")
            head = (f"ROI {r:+.0%} ({lo:+.0%} to {hi:+.0%}, {basis}) under {model}: interval "
                    + {"above": "above break-even", "below": "below break-even",
                       "spans": "spans break-even, not enough evidence"}[side]
                    if has_ci else f"no ROI interval under {model}: not enough evidence")
            reason = (f"{head}; ROI > 0 under {n_pos} of {len(roi)} models, < 0 under {n_neg}")
            if any(x != action for x in sens):
                reason += (f"; flips with churn × {churn_factors[0]:g} ({sens[0]}) or "
                           f"× {churn_factors[1]:g} ({sens[1]})")
        rows.append({"channel": ch, "team": g["team"].iloc[0], "action": action,
                     "confidence": conf, "rule": rule, "horizon": horizon,
                     "n_models": len(roi), "n_positive": n_pos,
                     "n_negative": n_neg, "roi": r, "roi_ci_low": lo, "roi_ci_high": hi,
                     "cost": float(g["cost"].iloc[0]), "action_low_churn": sens[0],
                     "action_high_churn": sens[1], "roi_low_churn": sens_roi[0],
                     "roi_high_churn": sens_roi[1], "flips": any(x != action for x in sens),
                     "reason": reason})
    out = pd.DataFrame(rows)
    out["_o"] = out["action"].map(_ACTION_ORDER)
    out = out.sort_values(["_o", "roi"], ascending=[True, False], na_position="last")
    return out.drop(columns="_o").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# unit revenue before vs after integration (descriptive)
# --------------------------------------------------------------------------------------------

def revenue_by_regime(units: pd.DataFrame, outcome: str = "revenue",
                      level: float = 0.95) -> pd.DataFrame:
    """Mean unit-month ``outcome`` before (``separate``) and after (``integrated``) each unit's
    ``adoption_period`` — descriptive, NOT the effect of integration: better units integrate first,
    so this comparison is biased (docs/sources.md §1; the causal estimate is in report 02).

    The ``integrated`` mean is the observed mean over post-adoption unit-periods (the same number
    as :func:`smlib.causal.claims.treated_mean`, here with its interval). Standard errors are
    clustered by unit (the
    unit-periods of one unit are not independent): ``se² = G/(G−1) · Σ_u (Σ_t (y_ut − ȳ))² / N²``.
    Columns: ``regime, n_units, n_unit_periods, mean, std_error, ci_low, ci_high, note``.
    """
    require_columns(units, ("unit_id", "period", "adoption_period", outcome), "units")
    y = pd.to_numeric(units[outcome], errors="coerce")
    bad = y.isna()
    if bad.any():
        raise ValueError(f"units: column {outcome!r}: expected numbers, " + _bad_rows(bad, units, outcome))
    period = _month(units["period"])
    regime = _regime(units["unit_id"], period, units)
    z = stats.norm.ppf(0.5 + level / 2)
    rows = []
    for name in ("separate", "integrated"):
        m = regime.eq(name).to_numpy()
        yy, uu = y.to_numpy(dtype=float)[m], units["unit_id"].to_numpy()[m]
        n, g = len(yy), len(pd.unique(uu))
        mean = float(yy.mean()) if n else np.nan
        if g > 1:
            dev = pd.Series(yy - mean).groupby(uu).sum().to_numpy()
            se = float(np.sqrt(g / (g - 1) * np.sum(dev ** 2)) / n)
        else:
            se = np.nan
        note = ("no unit-periods in this regime" if n == 0 else
                "one unit only: no interval" if g == 1 else "")
        rows.append({"regime": name, "n_units": g, "n_unit_periods": n, "mean": mean,
                     "std_error": se, "ci_low": mean - z * se, "ci_high": mean + z * se,
                     "note": note})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# money views: ROI that reconciles, spend vs credit, quarterly trends, uplift in money
# --------------------------------------------------------------------------------------------

#: Row kinds of :func:`roi_reconciliation`, in the order they are shown within a team.
RECONCILIATION_KINDS: tuple[str, ...] = ("channel", "unallocated", "team_total", "all_teams")


def unallocated_channels(channel_table: pd.DataFrame) -> list[str]:
    """Spend channels that no touch carries: :data:`OVERHEAD_CHANNELS` and every channel that
    no model in ``channel_table`` (:func:`channel_economics`) credits with a conversion (people,
    tools, overhead). Their cost counts in team figures but belongs to no channel."""
    require_columns(channel_table, ("model", "channel", "conversions"), "channel_table")
    credited = channel_table.groupby("channel", sort=False)["conversions"].sum() > 0
    return [c for c in credited.index
            if c in OVERHEAD_CHANNELS or not bool(credited[c])]


def roi_reconciliation(channel_table: pd.DataFrame, team_table: pd.DataFrame,
                       model: str) -> pd.DataFrame:
    """One table where channel returns and team returns add up, on one cost basis.

    ``channel_table`` / ``team_table``: :func:`channel_economics` / :func:`team_economics` on the
    same credit, spend and horizon (overall, no ``by``). For ``model``, per team: one row per
    channel, one row ``unallocated`` (the team's costs not tied to a channel: salaries, tools,
    overhead — :func:`unallocated_channels`; credited return 0), then the ``team_total`` row (the
    team's figures from ``team_table``), and a final ``all_teams`` row. By construction and
    checked here (ValueError when the inputs do not reconcile, e.g. computed from different
    spend): Σ channel cost + unallocated cost = team cost, Σ channel credited revenue and gross
    profit = the team's, and Σ channel net return − unallocated cost = the team's net return.

    Columns: ``team, channel`` (NA on total rows), ``kind`` (:data:`RECONCILIATION_KINDS`),
    ``cost, revenue`` (credited, booked), ``gross_profit`` (the horizon's), ``net_return`` (gross
    profit − cost), ``marginal_roi`` with ``marginal_roi_ci_low/high`` (channel rows: return on
    the channel's own cost only — the touch costs; label it "marginal ROI (touch costs only)"),
    ``loaded_cost`` and ``loaded_roi`` (channel rows: the team's unallocated cost shared out in
    proportion to the channel's own cost, so channel loaded costs add up to the team cost and
    the team ROI is their cost-weighted mean when every channel has a cost — a channel without
    cost, e.g. direct, earns its gross profit at no cost and has no ROI; total rows: the cost and
    the ROI with all costs),
    ``roi_ci_low/high`` of the totals (team: from ``team_table``), ``roas`` (the horizon's revenue
    / cost, as the tables it reads), ``horizon``.
    """
    require_columns(channel_table, ("model", "channel", "team", "cost", "revenue", "conversions"),
             "channel_table")
    require_columns(team_table, ("model", "team", "cost", "revenue", "roi"), "team_table")
    if model not in set(channel_table["model"]) or model not in set(team_table["model"]):
        raise ValueError(f"model {model!r} is not in both tables; channel models: "
                         f"{list(channel_table['model'].unique())}")
    if any(c in channel_table.columns for c in DIMENSIONS if c != "team"):
        raise ValueError("roi_reconciliation: pass overall tables (channel_economics and "
                         "team_economics without by=)")
    unalloc = set(unallocated_channels(channel_table))
    ch = channel_table.loc[channel_table["model"].eq(model)].copy()
    tm = team_table.loc[team_table["model"].eq(model)].set_index("team")
    gp_col = "horizon_gross_profit" if "horizon_gross_profit" in ch.columns else "gross_profit"
    rev_col = "horizon_revenue" if "horizon_revenue" in ch.columns else "revenue"
    horizon = ch["horizon"].iloc[0] if "horizon" in ch.columns and len(ch) else "first_contract"
    rows = []
    for team in [t for t in config.TEAMS if t in set(ch["team"])] + sorted(
            set(ch["team"]) - set(config.TEAMS)):
        g = ch.loc[ch["team"].eq(team)]
        direct = g.loc[~g["channel"].isin(unalloc)].sort_values("revenue", ascending=False)
        over = g.loc[g["channel"].isin(unalloc)]
        over_cost = float(over["cost"].sum())
        direct_cost = float(direct["cost"].sum())
        share = (direct["cost"] / direct_cost) if direct_cost > 0 else direct["cost"] * np.nan
        for (_, r), s in zip(direct.iterrows(), share):
            gp = float(r[gp_col])
            loaded = float(r["cost"]) + s * over_cost
            lo = r.get("roi_ci_low", np.nan)
            hi = r.get("roi_ci_high", np.nan)
            rows.append({"team": team, "channel": r["channel"], "kind": "channel",
                         "cost": float(r["cost"]), "revenue": float(r["revenue"]),
                         "gross_profit": gp, "net_return": gp - float(r["cost"]),
                         "marginal_roi": float(_safe_div(gp - r["cost"], r["cost"])),
                         "marginal_roi_ci_low": lo, "marginal_roi_ci_high": hi,
                         "loaded_cost": loaded, "loaded_roi": float(_safe_div(gp - loaded, loaded)),
                         "roas": float(_safe_div(r[rev_col], r["cost"])),
                         "_hrev": float(r[rev_col])})
        rows.append({"team": team, "channel": None, "kind": "unallocated", "cost": over_cost,
                     "revenue": float(over["revenue"].sum()),
                     "gross_profit": float(over[gp_col].sum()),
                     "net_return": float(over[gp_col].sum()) - over_cost,
                     "loaded_cost": 0.0 if direct_cost > 0 else over_cost,
                     "_hrev": float(over[rev_col].sum())})
        if team not in tm.index:
            raise ValueError(f"team_table has no row for team {team!r} under {model!r}")
        t = tm.loc[team]
        tgp = float(t["horizon_gross_profit"] if "horizon_gross_profit" in tm.columns
                    else t["gross_profit"])
        parts = pd.DataFrame(rows[-(len(direct) + 1):])
        for col, total in (("cost", float(t["cost"])), ("revenue", float(t["revenue"])),
                           ("gross_profit", tgp)):
            if not np.isclose(parts[col].sum(), total, rtol=1e-9, atol=1e-6):
                raise ValueError(f"roi_reconciliation: the {team} channels' {col} "
                                 f"({parts[col].sum():,.2f}) do not add up to the team's "
                                 f"({total:,.2f}); were both tables computed from the same "
                                 "credit and spend?")
        rows.append({"team": team, "channel": None, "kind": "team_total",
                     "cost": float(t["cost"]), "revenue": float(t["revenue"]),
                     "gross_profit": tgp, "net_return": tgp - float(t["cost"]),
                     "loaded_cost": float(t["cost"]), "loaded_roi": float(t["roi"]),
                     "roi_ci_low": t.get("roi_ci_low", np.nan),
                     "roi_ci_high": t.get("roi_ci_high", np.nan),
                     "roas": float(_safe_div(t[rev_col] if rev_col in tm.columns
                                             else t["revenue"], t["cost"])),
                     "_hrev": float(t[rev_col] if rev_col in tm.columns else t["revenue"])})
    out = pd.DataFrame(rows)
    totals = out.loc[out["kind"].eq("team_total")]
    cost, gp = float(totals["cost"].sum()), float(totals["gross_profit"].sum())
    rev = float(totals["revenue"].sum())
    hrev = float(totals["_hrev"].sum())
    out = pd.concat([out, pd.DataFrame([{
        "team": None, "channel": None, "kind": "all_teams", "cost": cost, "revenue": rev,
        "gross_profit": gp, "net_return": gp - cost, "loaded_cost": cost,
        "loaded_roi": float(_safe_div(gp - cost, cost)),
        "roas": float(_safe_div(hrev, cost))}])], ignore_index=True)
    cols = ["team", "channel", "kind", "cost", "revenue", "gross_profit", "net_return",
            "marginal_roi", "marginal_roi_ci_low", "marginal_roi_ci_high", "loaded_cost",
            "loaded_roi", "roi_ci_low", "roi_ci_high", "roas"]
    out = out.reindex(columns=cols)
    out["horizon"] = horizon
    out.insert(0, "model", model)
    return out


def spend_vs_credit(channel_table: pd.DataFrame, model: str) -> pd.DataFrame:
    """Each channel's share of spend next to its share of credited revenue under ``model``.

    Shares are of the channels' own cost (the costs not tied to a channel — salaries, overhead,
    :func:`unallocated_channels` — are left out, as no channel can earn credit for them) and of
    the credited revenue. With bootstrap bounds on the credit (``value_ci_low/high`` of
    :func:`channel_economics`), ``credit_share_ci_low/high`` are those bounds over the credited
    total (the total itself is fixed: every resample credits the same sales). ``ratio`` = share
    of credit / share of spend (above 1: the channel earns more credit than its share of budget).
    Columns: ``channel, team, cost, revenue, spend_share, credit_share, credit_share_ci_low,
    credit_share_ci_high, ratio``.
    """
    require_columns(channel_table, ("model", "channel", "team", "cost", "revenue"), "channel_table")
    if model not in set(channel_table["model"]):
        raise ValueError(f"model {model!r} is not in the table; models: "
                         f"{list(channel_table['model'].unique())}")
    unalloc = set(unallocated_channels(channel_table))
    g = channel_table.loc[channel_table["model"].eq(model)
                          & ~channel_table["channel"].isin(unalloc)].copy()
    total_cost, total_rev = float(g["cost"].sum()), float(g["revenue"].sum())
    g["spend_share"] = _safe_div(g["cost"], total_cost)
    g["credit_share"] = _safe_div(g["revenue"], total_rev)
    for end in ("low", "high"):
        col = f"value_ci_{end}"
        g[f"credit_share_ci_{end}"] = (_safe_div(g[col], total_rev) if col in g.columns
                                       else np.nan)
    g["ratio"] = _safe_div(g["credit_share"], g["spend_share"])
    cols = ["channel", "team", "cost", "revenue", "spend_share", "credit_share",
            "credit_share_ci_low", "credit_share_ci_high", "ratio"]
    return g[cols].sort_values("credit_share", ascending=False).reset_index(drop=True)


def quarterly_trends(opportunities: pd.DataFrame, spend: pd.DataFrame | None = None,
                     level: float = 0.95) -> pd.DataFrame:
    """Revenue, pipeline created, deals won, new customers and CAC by quarter and team.

    A deal counts in the quarter of its ``closed_at`` (revenue, deals won, new customers) and the
    team that sourced it (``source_team``, ``none`` where it is blank; ``all`` rows for the
    company; without a ``source_team`` column only ``all`` rows). ``opportunities_created``: records whose
    ``opportunity_at`` falls in the quarter (the pipeline created; lost deals carry no amount in
    the data contract, so the pipeline is counted, not valued). ``cost``: the team's ``spend`` in
    the quarter (NaN without spend); ``cac`` = cost / new customers sourced (the team's blended
    CAC, :func:`blended_cac` conventions) with the exact Poisson interval of the customer count.
    Columns: ``quarter, team, revenue, revenue_ci_low, revenue_ci_high`` (compound-Poisson normal
    interval), ``deals_won, new_customers, opportunities_created, cost, cac, cac_ci_low,
    cac_ci_high``. Quarters with no deal and no spend are left out.
    """
    opp = _check_opportunities(opportunities)
    won = won_deals(opportunities)
    teams_known = "source_team" in opp.columns
    src = (opp["source_team"].astype(object).fillna("none") if teams_known
           else pd.Series("all", index=opp.index))

    def quarter(ts: pd.Series) -> pd.Series:
        return _month(ts).dt.to_period("Q").astype(str).where(ts.notna())

    w = pd.DataFrame({"quarter": quarter(won["closed_at"]), "team": src.loc[won.index],
                      "revenue": won["revenue"], "rev2": won["revenue"] ** 2, "deals_won": 1,
                      "new_customers": won["is_new_customer"].astype(int)})
    created = opp.loc[opp["opportunity_at"].notna()]
    c = pd.DataFrame({"quarter": quarter(created["opportunity_at"]),
                      "team": src.loc[created.index], "opportunities_created": 1})
    frames = [w, c]
    have_cost = spend is not None and len(spend) > 0
    if have_cost:
        sp = _check_spend(spend)
        frames.append(pd.DataFrame({"quarter": sp["period"].dt.to_period("Q").astype(str),
                                    "team": sp["team"], "cost": sp["cost"]}))
    long = pd.concat(frames, ignore_index=True)
    long = long.loc[long["quarter"].notna()]
    groups = [long]
    if teams_known:
        groups.append(long.assign(team="all"))
    long = pd.concat(groups, ignore_index=True)
    vals = ["revenue", "rev2", "deals_won", "new_customers", "opportunities_created", "cost"]
    out = long.reindex(columns=["quarter", "team", *vals]).groupby(
        ["quarter", "team"], sort=True)[vals].sum(min_count=1).reset_index()
    counts = ["revenue", "rev2", "deals_won", "new_customers", "opportunities_created"]
    out[counts] = out[counts].fillna(0.0)
    for col in ("deals_won", "new_customers", "opportunities_created"):
        out[col] = out[col].astype(int)
    z = stats.norm.ppf(0.5 + level / 2)
    se = np.sqrt(out.pop("rev2"))
    out["revenue_ci_low"] = np.maximum(out["revenue"] - z * se, 0.0)
    out["revenue_ci_high"] = out["revenue"] + z * se
    if not have_cost:
        out["cost"] = np.nan
    else:
        out["cost"] = out["cost"].fillna(0.0)
    out["cac"] = _safe_div(out["cost"], out["new_customers"])
    lo, hi = poisson_interval(out["new_customers"], level)
    out["cac_ci_low"] = _safe_div(out["cost"], hi)
    out["cac_ci_high"] = _safe_div(out["cost"], lo)
    # deals without a source team have no cost of their own: no CAC (not a CAC of 0)
    out.loc[out["team"].eq("none"), ["cost", "cac", "cac_ci_low", "cac_ci_high"]] = np.nan
    return out[["quarter", "team", "revenue", "revenue_ci_low", "revenue_ci_high", "deals_won",
                "new_customers", "opportunities_created", "cost", "cac", "cac_ci_low",
                "cac_ci_high"]]


def uplift_run_rate(uplift: float, ci_low: float, ci_high: float, units: pd.DataFrame,
                    outcome: str = "revenue", window_months: int = 12) -> dict[str, Any]:
    """An integration uplift (a fraction of counterfactual revenue, report 02's estimand
    :func:`smlib.causal.claims.uplift_percent`) as money per year for this company today.

    The units integrated at the panel's last period are the ones the uplift applies to now. Each
    one's observed monthly ``outcome`` over its integrated months within the last
    ``window_months`` is averaged and × 12: the current annual run-rate of observed revenue R.
    With uplift u = ATT / counterfactual, the counterfactual revenue is R / (1 + u), so the money
    the integration adds per year is u × R / (1 + u); it increases with u, so the interval's
    bounds map to its bounds exactly (R taken as known: the interval is the estimate's).
    Returns ``annual_revenue`` (R), ``counterfactual`` (R / (1 + u)), ``annual_uplift`` with
    ``annual_uplift_ci_low/high``, ``n_units``, ``months_used`` (integrated unit-months in the
    window) and ``note`` ("" or why nothing can be said: no integrated unit). ValueError for an
    uplift ≤ −100 % or a non-finite value.
    """
    for name, v in (("uplift", uplift), ("ci_low", ci_low), ("ci_high", ci_high)):
        if not np.isfinite(v) or v <= -1:
            raise ValueError(f"{name} must be a finite fraction > -1 (-100 %), got {v!r}")
    if not ci_low <= uplift <= ci_high:
        raise ValueError(f"expected ci_low <= uplift <= ci_high, got {ci_low}, {uplift}, {ci_high}")
    if not isinstance(window_months, (int, np.integer)) or window_months < 1:
        raise ValueError(f"window_months must be a whole number >= 1, got {window_months!r}")
    require_columns(units, ("unit_id", "period", "adoption_period", outcome), "units")
    period = _month(units["period"])
    regime = _regime(units["unit_id"], period, units)
    last = period.max()
    y = pd.to_numeric(units[outcome], errors="coerce")
    now = units.loc[(period == last) & regime.eq("integrated"), "unit_id"].unique()
    window = (period > last - pd.DateOffset(months=window_months)) & regime.eq("integrated") \
        & units["unit_id"].isin(now) & y.notna()
    monthly = y[window].groupby(units.loc[window, "unit_id"]).mean()
    r = float(monthly.sum() * 12)
    f = lambda u: r * u / (1 + u)  # noqa: E731 - the mapping stated above
    note = "" if len(now) else "no unit is integrated at the last period of the panel"
    return {"annual_revenue": r, "counterfactual": r / (1 + uplift), "uplift": float(uplift),
            "annual_uplift": f(uplift), "annual_uplift_ci_low": f(ci_low),
            "annual_uplift_ci_high": f(ci_high), "n_units": int(len(now)),
            "months_used": int(window.sum()), "window_months": int(window_months),
            "last_period": last, "note": note}
