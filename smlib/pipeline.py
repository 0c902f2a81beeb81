"""Pipeline views: which team and channel source and influence the open opportunities, what they
are expected to be worth, the cost of a lead, an opportunity and a customer by channel, and how
fast each channel's leads move through the funnel.

Definitions (sourced in docs/sources.md §2; assumptions in docs/money-views.md):

* **Sourced** (metadata.io; petavue lists three competing definitions): the team of
  ``opportunities.source_team`` when the export has it (the CRM's lead-source field), else the team
  of the account's first touch in the journey window; the sourcing **channel** is always the
  first touch's (the lead-source field names a team, not a channel). Every opportunity has at most
  one source, so sourced figures add up to the total.
* **Influenced** (metadata.io; Pedowitz Group): a team or channel touched the account at least once
  between ``lead_at − lookback_days`` and the opportunity's creation (``opportunity_at``; for an
  open record not yet an opportunity, the end of the data). One opportunity is influenced by
  several channels, so influenced figures do **not** add up to the total (stated in the tables).
* **Journey window**: the touches of the opportunity's account from ``lead_at − lookback_days`` to
  ``lead_at`` (the first one is the first touch), the same lookback as the journeys.
* **Open pipeline value**: an open deal's ``amount`` column when the export has one, else its
  ``revenue`` when positive (the data contract's "expected amount" of an open deal), else the
  median revenue of won deals (an imputation, flagged per deal in ``amount_basis``).
* **Expected value** = pipeline value × the historical win rate *from the open deal's stage*:
  among closed (won or lost) records that reached the same stage, the share won (a Wilson
  interval is kept). The stage of an open deal is its latest stamped stage (lead, MQL, SQL,
  opportunity). This assumes that today's open deals close like past deals at that stage did.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from smlib import config
from smlib.metrics import wilson_interval, won_deals
from smlib.schemas import require_columns

__all__ = ["STAGE_TIMES", "cost_per_stage", "first_touch", "funnel_speed", "open_pipeline",
           "pipeline_by_source", "touch_windows"]

#: Stage → its timestamp column in ``opportunities`` (the stages an open record can be at).
STAGE_TIMES: dict[str, str] = {"lead": "lead_at", "mql": "mql_at", "sql": "sql_at",
                               "opportunity": "opportunity_at"}
#: The steps of :func:`funnel_speed`: (from stage, to stage, from column, to column).
_STEPS: tuple[tuple[str, str, str, str], ...] = (
    ("lead", "mql", "lead_at", "mql_at"), ("mql", "sql", "mql_at", "sql_at"),
    ("sql", "opportunity", "sql_at", "opportunity_at"),
    ("opportunity", "won", "opportunity_at", "closed_at"),
    ("lead", "won", "lead_at", "closed_at"))



def _utc(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, utc=True)


def _opps(opportunities: pd.DataFrame) -> pd.DataFrame:
    """Opportunities with every stage column present and parsed (missing columns → NaT)."""
    require_columns(opportunities, ("opportunity_id", "account_id", "lead_at", "outcome", "revenue"),
             "opportunities")
    opp = opportunities.copy()
    for col in (*STAGE_TIMES.values(), "closed_at"):
        opp[col] = (_utc(opp[col]) if col in opp.columns
                    else pd.Series(pd.NaT, index=opp.index, dtype="datetime64[ns, UTC]"))
    bad = ~opp["outcome"].isin(["won", "lost", "open"])
    if bad.any():
        raise ValueError("opportunities: column 'outcome': expected 'won', 'lost' or 'open', "
                         f"got {sorted(opp.loc[bad, 'outcome'].astype(str).unique())[:5]}")
    opp["revenue"] = pd.to_numeric(opp["revenue"], errors="coerce")
    if opp["revenue"].isna().any() or (opp["revenue"] < 0).any():
        raise ValueError("opportunities: column 'revenue': expected numbers >= 0")
    return opp


def _touches(touchpoints: pd.DataFrame) -> pd.DataFrame:
    require_columns(touchpoints, ("account_id", "timestamp", "channel", "team"), "touchpoints")
    tp = touchpoints[["account_id", "timestamp", "channel", "team"]].copy()
    tp["timestamp"] = _utc(tp["timestamp"])
    return tp


def _check_lookback(lookback_days: int) -> None:
    if not isinstance(lookback_days, (int, np.integer)) or lookback_days < 0:
        raise ValueError(f"lookback_days must be a whole number of days >= 0, got {lookback_days!r}")


def touch_windows(opportunities: pd.DataFrame, touchpoints: pd.DataFrame,
                  lookback_days: int = config.DEFAULT_LOOKBACK_DAYS,
                  until: str = "lead_at") -> pd.DataFrame:
    """Every touch of each opportunity's account from ``lead_at − lookback_days`` to ``until``.

    ``until`` is ``"lead_at"`` (the journey window of a lead: its sourcing touches) or
    ``"opportunity_at"`` (touches that influenced the opportunity; a record without
    ``opportunity_at`` uses the end of the touch data). Columns: ``opportunity_id, channel,
    team, timestamp`` (one row per touch in the window, earliest first per opportunity).
    """
    _check_lookback(lookback_days)
    if until not in ("lead_at", "opportunity_at"):
        raise ValueError(f"until must be 'lead_at' or 'opportunity_at', got {until!r}")
    opp, tp = _opps(opportunities), _touches(touchpoints)
    data_end = tp["timestamp"].max() if len(tp) else pd.Timestamp.now(tz="UTC")
    end = opp[until] if until == "lead_at" else opp[until].fillna(data_end)
    keys = pd.DataFrame({"opportunity_id": opp["opportunity_id"].to_numpy(),
                         "account_id": opp["account_id"].to_numpy(),
                         "_start": (opp["lead_at"] - pd.Timedelta(days=int(lookback_days))).to_numpy(),
                         "_end": end.to_numpy()})
    m = keys.merge(tp, on="account_id", how="inner")
    m = m.loc[(m["timestamp"] >= m["_start"]) & (m["timestamp"] <= m["_end"])]
    m = m.sort_values(["opportunity_id", "timestamp", "channel"], kind="stable")
    return m[["opportunity_id", "channel", "team", "timestamp"]].reset_index(drop=True)


def first_touch(opportunities: pd.DataFrame, touchpoints: pd.DataFrame,
                lookback_days: int = config.DEFAULT_LOOKBACK_DAYS) -> pd.DataFrame:
    """The sourcing channel and team of each opportunity (indexed like ``opportunities``).

    ``channel`` / ``first_touch_team``: the account's first touch in the journey window
    (``lead_at − lookback_days`` to ``lead_at``; NA when there is none). ``source_team``: the
    export's ``source_team`` when present and set, else ``first_touch_team``. ``source_basis`` says
    which (``source_team`` / ``first_touch`` / ``none``).
    """
    opp = _opps(opportunities)
    win = touch_windows(opp, touchpoints, lookback_days, until="lead_at")
    first = win.drop_duplicates("opportunity_id").set_index("opportunity_id")
    out = pd.DataFrame(index=opportunities.index)
    ids = opp["opportunity_id"]
    out["channel"] = ids.map(first["channel"]).to_numpy()
    out["first_touch_team"] = ids.map(first["team"]).to_numpy()
    lead_src = (opp["source_team"] if "source_team" in opp.columns
                else pd.Series(np.nan, index=opp.index, dtype=object))
    has_src = lead_src.isin(config.TEAMS).to_numpy()
    out["source_team"] = np.where(has_src, lead_src.to_numpy(), out["first_touch_team"].to_numpy())
    out["source_basis"] = np.where(has_src, "source_team",
                                   np.where(out["first_touch_team"].notna(), "first_touch", "none"))
    return out


def _stage(opp: pd.DataFrame) -> pd.Series:
    """Latest stamped stage of each record (lead, mql, sql, opportunity)."""
    stage = pd.Series("lead", index=opp.index, dtype=object)
    for name, col in list(STAGE_TIMES.items())[1:]:
        stage = stage.where(opp[col].isna(), name)
    return stage


def open_pipeline(opportunities: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Each open deal with its stage, pipeline value and expected value (module docstring).

    Columns: ``opportunity_id, account_id, stage, amount, amount_basis`` (``amount`` /
    ``revenue`` / ``median_won``), ``win_rate, win_rate_ci_low, win_rate_ci_high`` (the stage's
    historical win rate among closed records that reached it; ``rate_stage`` names the stage
    whose rate was used: the latest earlier stage when no closed record reached the deal's own,
    NA when no record was ever closed) and ``expected_value`` (amount ×
    win rate) with ``expected_ci_low/high`` (amount × the win rate's Wilson bounds). Empty (same
    columns) when there is no open deal. Raises ValueError when open deals need the median won
    revenue and nothing was ever won (no basis for a value).
    """
    opp = _opps(opportunities)
    cols = ["opportunity_id", "account_id", "stage", "amount", "amount_basis", "win_rate",
            "win_rate_ci_low", "win_rate_ci_high", "rate_stage", "expected_value",
            "expected_ci_low", "expected_ci_high"]
    is_open = opp["outcome"].eq("open")
    if not is_open.any():
        return pd.DataFrame(columns=cols)
    stage = _stage(opp)
    closed = opp["outcome"].isin(["won", "lost"])
    won = opp["outcome"].eq("won")
    rate: dict[str, tuple[float, float, float, str]] = {}
    previous: tuple[float, float, float, str] = (np.nan, np.nan, np.nan, "")
    for name, col in STAGE_TIMES.items():
        reached = closed & opp[col].notna()
        n, k = int(reached.sum()), int((reached & won).sum())
        if n == 0:  # no closed record ever reached this stage: the earlier stage's rate
            rate[name] = previous
            continue
        lo, hi = wilson_interval(k, n, level)
        rate[name] = previous = (k / n, float(lo), float(hi), name)
    op = opp.loc[is_open].copy()
    op["stage"] = stage[is_open]
    amount_col = (pd.to_numeric(op["amount"], errors="coerce") if "amount" in op.columns
                  else pd.Series(np.nan, index=op.index))
    has_amount = amount_col.notna() & (amount_col >= 0)
    has_rev = ~has_amount & (op["revenue"] > 0)
    need_median = ~has_amount & ~has_rev
    wins = won_deals(opportunities) if won.any() else None
    if need_median.any() and (wins is None or wins["revenue"].gt(0).sum() == 0):
        raise ValueError("opportunities: open deals without an amount and no won deal with "
                         "revenue, so their value cannot be estimated")
    median_won = float(wins.loc[wins["revenue"] > 0, "revenue"].median()) if wins is not None \
        and wins["revenue"].gt(0).any() else np.nan
    op["amount"] = np.where(has_amount, amount_col, np.where(has_rev, op["revenue"], median_won))
    op["amount_basis"] = np.where(has_amount, "amount", np.where(has_rev, "revenue", "median_won"))
    r = op["stage"].map(rate)
    op["win_rate"] = r.map(lambda t: t[0])
    op["win_rate_ci_low"] = r.map(lambda t: t[1])
    op["win_rate_ci_high"] = r.map(lambda t: t[2])
    op["expected_value"] = op["amount"] * op["win_rate"]
    op["expected_ci_low"] = op["amount"] * op["win_rate_ci_low"]
    op["expected_ci_high"] = op["amount"] * op["win_rate_ci_high"]
    op["rate_stage"] = r.map(lambda t: t[3] or None)
    return op[cols].reset_index(drop=True)


def pipeline_by_source(opportunities: pd.DataFrame, touchpoints: pd.DataFrame,
                       lookback_days: int = config.DEFAULT_LOOKBACK_DAYS,
                       by: str = "team", level: float = 0.95) -> pd.DataFrame:
    """Sourced vs influenced open pipeline per team (``by="team"``) or channel (``"channel"``).

    Per group: ``sourced_deals``, ``sourced_value``, ``sourced_expected`` (open deals the group
    sourced, their pipeline value and expected value; they add up to the total open pipeline,
    with a ``none`` group for deals without a source) and ``influenced_deals``,
    ``influenced_value``, ``influenced_expected`` (open deals the group touched before the
    opportunity; one deal counts for every group that touched it, so these do not add up).
    Definitions in the module docstring. Empty (same columns) when no deal is open.
    """
    if by not in ("team", "channel"):
        raise ValueError(f"by must be 'team' or 'channel', got {by!r}")
    cols = [by, "sourced_deals", "sourced_value", "sourced_expected", "influenced_deals",
            "influenced_value", "influenced_expected"]
    pipe = open_pipeline(opportunities, level)
    if pipe.empty:
        return pd.DataFrame(columns=cols)
    opp = _opps(opportunities)
    src = first_touch(opp, touchpoints, lookback_days)
    src_col = "source_team" if by == "team" else "channel"
    src = pd.Series(src[src_col].to_numpy(), index=opp["opportunity_id"].to_numpy())
    pipe["_src"] = pipe["opportunity_id"].map(src).astype(object).fillna("none")
    sourced = pipe.groupby("_src").agg(sourced_deals=("opportunity_id", "size"),
                                       sourced_value=("amount", "sum"),
                                       sourced_expected=("expected_value", "sum"))
    open_opp = opp.loc[opp["opportunity_id"].isin(pipe["opportunity_id"])]
    win = touch_windows(open_opp, touchpoints, lookback_days, until="opportunity_at")
    inf = win[["opportunity_id", by]].drop_duplicates().merge(
        pipe[["opportunity_id", "amount", "expected_value"]], on="opportunity_id")
    influenced = inf.groupby(by).agg(influenced_deals=("opportunity_id", "size"),
                                     influenced_value=("amount", "sum"),
                                     influenced_expected=("expected_value", "sum"))
    out = sourced.join(influenced, how="outer").fillna(0.0)
    out.index.name = by
    out = out.reset_index()
    for c in ("sourced_deals", "influenced_deals"):
        out[c] = out[c].astype(int)
    out["_none"] = out[by].eq("none")
    out = out.sort_values(["_none", "sourced_value"], ascending=[True, False])
    return out.drop(columns="_none")[cols].reset_index(drop=True)


def funnel_speed(opportunities: pd.DataFrame, touchpoints: pd.DataFrame,
                 lookback_days: int = config.DEFAULT_LOOKBACK_DAYS,
                 level: float = 0.95) -> pd.DataFrame:
    """Days between funnel stages by sourcing channel (first touch, :func:`first_touch`).

    Steps lead → MQL, MQL → SQL, SQL → opportunity, opportunity → won and lead → won (the sales
    cycle from lead; won deals only for the last two, so both are biased low: deals still open are
    the long ones — rework.com, chartmogul, docs/sources.md §2). Per channel and step: ``n``
    records with both stamps, ``median_days``, ``mean_days`` with a t interval
    ``ci_low, ci_high``. A sales-sourced lead skips MQL, so it has no lead → MQL step. Channels
    with no step measured are left out; records without a first touch form the ``none`` channel.
    """
    opp = _opps(opportunities)
    channel = first_touch(opp, touchpoints, lookback_days)["channel"].astype(object).fillna("none")
    won = opp["outcome"].eq("won")
    rows = []
    for f, t, cf, ct in _STEPS:
        days = (opp[ct] - opp[cf]).dt.total_seconds() / 86400.0
        if t == "won":
            days = days.where(won)
        frame = pd.DataFrame({"channel": channel.to_numpy(), "days": days.to_numpy()}).dropna()
        frame = frame.loc[frame["days"] >= 0]
        for ch, g in frame.groupby("channel", sort=True):
            d = g["days"].to_numpy(float)
            n = len(d)
            mean = float(d.mean())
            half = (float(stats.t.ppf(0.5 + level / 2, n - 1) * d.std(ddof=1) / np.sqrt(n))
                    if n > 1 else np.nan)
            rows.append({"channel": ch, "from_stage": f, "to_stage": t, "n": n,
                         "median_days": float(np.median(d)), "mean_days": mean,
                         "ci_low": mean - half, "ci_high": mean + half})
    return pd.DataFrame(rows, columns=["channel", "from_stage", "to_stage", "n", "median_days",
                                       "mean_days", "ci_low", "ci_high"])


def cost_per_stage(opportunities: pd.DataFrame, touchpoints: pd.DataFrame,
                   spend: pd.DataFrame,
                   lookback_days: int = config.DEFAULT_LOOKBACK_DAYS) -> pd.DataFrame:
    """Cost per lead, per opportunity and per customer by channel, on the **first-touch** basis.

    Each record (lead) counts for the channel of its first touch (:func:`first_touch`); it is an
    opportunity when ``opportunity_at`` is set (or it was won) and a customer when it is the
    account's first won deal (:func:`smlib.metrics.won_deals`). Cost = the channel's whole
    ``spend`` (knowmba / b2blead.io cost-per-lead and cost per customer by channel,
    docs/sources.md §2). Channels with cost and no first touch show the cost with counts 0 (cost
    per X undefined, NaN). Columns: ``channel, team, cost, leads, opportunities, customers,
    cost_per_lead, cost_per_opportunity, cost_per_customer`` plus the customers' exact Poisson
    interval ``cost_per_customer_ci_low/high`` (cost taken as known).
    """
    require_columns(spend, ("channel", "team", "cost"), "spend")
    opp = _opps(opportunities)
    channel = first_touch(opp, touchpoints, lookback_days)["channel"]
    is_opp = opp["opportunity_at"].notna() | opp["outcome"].eq("won")
    new = pd.Series(False, index=opp.index)
    if opp["outcome"].eq("won").any():
        w = won_deals(opportunities)
        new.loc[w.index[w["is_new_customer"].to_numpy()]] = True
    counts = pd.DataFrame({"channel": channel.to_numpy(), "leads": 1,
                           "opportunities": is_opp.astype(int).to_numpy(),
                           "customers": new.astype(int).to_numpy()}).dropna(subset=["channel"])
    counts = counts.groupby("channel")[["leads", "opportunities", "customers"]].sum()
    sp = spend.assign(cost=pd.to_numeric(spend["cost"], errors="coerce"))
    if sp["cost"].isna().any() or (sp["cost"] < 0).any():
        raise ValueError("spend: column 'cost': expected numbers >= 0")
    cost = sp.groupby("channel")["cost"].sum()
    team = sp.groupby("channel")["team"].first()
    tp_team = _touches(touchpoints).groupby("channel")["team"].first()
    out = pd.DataFrame(index=cost.index.union(counts.index))
    out.index.name = "channel"
    out["team"] = team.reindex(out.index).fillna(tp_team.reindex(out.index))
    out["cost"] = cost.reindex(out.index).fillna(0.0)
    out = out.join(counts).fillna({"leads": 0, "opportunities": 0, "customers": 0})
    for c in ("leads", "opportunities", "customers"):
        out[c] = out[c].astype(int)
        out[f"cost_per_{c.removesuffix('s').replace('opportunitie', 'opportunity')}"] = np.where(
            out[c] > 0, out["cost"] / out[c].where(out[c] > 0, 1), np.nan)
    k = out["customers"].to_numpy(float)
    lo = np.where(k > 0, stats.chi2.ppf(0.025, 2 * np.maximum(k, 1e-300)) / 2, 0.0)
    hi = stats.chi2.ppf(0.975, 2 * k + 2) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cost_per_customer_ci_low"] = np.where(k > 0, out["cost"] / hi, np.nan)
        out["cost_per_customer_ci_high"] = np.where(k > 0, out["cost"] / np.where(lo > 0, lo, np.nan),
                                                    np.nan)
    out = out.reset_index()
    return out.sort_values("cost", ascending=False, kind="stable").reset_index(drop=True)
