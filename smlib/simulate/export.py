"""Simulated data shaped like a real CRM export: no truth, missing tables, thin logs, odd revenue.

The clean simulated dataset (:func:`smlib.simulate.simulate`) logs every touch of every account,
books a sensible amount on every won deal and comes with its truth. Real exports do not:
activities are logged only on won deals, marketing keeps only the touch that created the lead,
amounts are zero, blank or dominated by a few huge deals, the export starts in the middle of
journeys, a business never integrated its teams (or did so after the export), money is in another
currency, and the optional tables are absent or empty. :func:`realistic_export` runs the simulator
(small by default, well under a second) and reshapes its tables that way; :data:`EXPORT_CASES`
names the shapes the workbook's reports must survive, :func:`export_case` builds one and
:func:`write_export` writes it as CSV or Parquet files that :func:`smlib.io.load_table` reads.

No truth is returned or written: an export is data an analyst has, not what the simulator knows.
Every returned table passes :func:`smlib.schemas.validate` (data/README.md).

Conventions (the order of the steps below is the order they are applied in):

1. ``adoption`` ("staggered" = the simulator's own staggered adoption; "all" = every unit adopts,
   simulated with ``never_adopt_share=0``; "none" and "after_end" are simulated with no
   integration effect at all (``true_uplift=0``, ``integration_strength=0``) and then shown as
   never adopted (``adoption_period`` empty) or adopting after the last period (cohort k of the
   simulation adopts k months after the data end); ``accounts.integrated`` is False for both).
   ``n_units=1`` simulates two units with one common adoption date and merges them into one unit
   ``U001`` (revenue, headcount and market size summed; spend summed per period, channel and team).
2. ``truncate_days``: the export starts ``truncate_days`` after the simulated start. Touches before
   the cut and opportunities whose ``lead_at`` is before the cut are dropped; later deals keep
   their (now shorter) journeys, and touches after the cut of an account whose lead was dropped
   stay in the log (they look like a non-converting journey). Spend, units and accounts are not
   cut (they come from other systems).
3. ``sales_touches="won_only"``: sales touches are kept only for accounts with a won opportunity in
   the export.
4. ``marketing_touches="first_per_lead"``: for each opportunity the account's last marketing touch
   at or before its ``lead_at`` (the lead's landing origin) is kept; every other marketing touch is
   dropped (also those of accounts without an opportunity).
5. Revenue, on opportunities only: ``revenue_tail`` multiplies every positive amount (won and open
   deals) by a classic Pareto draw with tail index ``revenue_tail`` and rescales so the total is
   unchanged (mean preserved exactly, top 1 % of deals holding a large share);
   ``zero_revenue_share`` sets exactly ``round(share x wins)`` randomly chosen won deals to 0;
   ``missing_revenue_share``: that share of the opportunities carrying an amount (won, or open with
   an expected amount) have a blank amount in the CRM. The contract requires ``revenue``, so a
   missing amount is written as 0, indistinguishable from a real 0 (as in most exports); these are
   chosen among the deals not already set to 0.
6. ``postprocess`` (used by :data:`EXPORT_CASES` for shapes no option expresses) gets all five
   tables and returns them changed.
7. ``currency_rate`` multiplies every money column: ``touchpoints.cost``, ``opportunities.revenue``,
   ``spend.cost``, ``units.revenue``.

Random choices use their own streams (``default_rng([seed, 7, k])``), so the export is
deterministic per seed and switching one option on does not change the draws of another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from smlib import config
from smlib.simulate.core import simulate

#: Changes the five tables (by name) after the options, before ``currency_rate``.
Postprocess = Callable[[dict[str, pd.DataFrame]], dict[str, pd.DataFrame]]

SalesTouches = Literal["all", "won_only"]
MarketingTouches = Literal["all", "first_per_lead"]
Adoption = Literal["staggered", "none", "all", "after_end"]

_SALES_TOUCHES = ("all", "won_only")
_MARKETING_TOUCHES = ("all", "first_per_lead")
_ADOPTION = ("staggered", "none", "all", "after_end")
_SINGLE_UNIT = "U001"
_HOUR = pd.Timedelta(hours=1)
#: Streams of the export's random choices: default_rng([seed, _STREAM, k]).
_STREAM = 7
_TAIL, _ZERO, _MISSING = 1, 2, 3


# --------------------------------------------------------------------------------------------
# realistic_export
# --------------------------------------------------------------------------------------------
def realistic_export(seed: int = 0, *, n_accounts: int = 3000, n_units: int = 12, n_periods: int = 24,
                     tables: Sequence[str] = ("touchpoints", "opportunities"),
                     sales_touches: SalesTouches = "all",
                     marketing_touches: MarketingTouches = "all",
                     zero_revenue_share: float = 0.0, missing_revenue_share: float = 0.0,
                     revenue_tail: float | None = None, truncate_days: int = 0,
                     adoption: Adoption = "staggered", currency_rate: float = 1.0,
                     postprocess: Postprocess | None = None,
                     **simulate_kwargs: Any) -> dict[str, pd.DataFrame]:
    """Simulate a small dataset and reshape it like a real CRM export (no truth).

    Parameters
    ----------
    seed, n_accounts, n_units, n_periods, **simulate_kwargs : passed to
        :func:`smlib.simulate.simulate` (``n_units=1`` is allowed here: two simulated units merged
        into one). The defaults simulate in well under a second.
    tables : the tables returned (a subset of ``config.TABLES``), in ``config.TABLES`` order.
    sales_touches : ``"won_only"`` keeps sales touches only on accounts with a won deal.
    marketing_touches : ``"first_per_lead"`` keeps one marketing touch per lead, the last one at or
        before its ``lead_at``.
    zero_revenue_share : share of won deals booked with revenue 0.
    missing_revenue_share : share of opportunities with an amount whose amount is missing, written
        as 0 (revenue is required by the contract).
    revenue_tail : Pareto tail index of the deal amounts; ``None`` keeps the simulator's amounts.
        The total is preserved. With 1.2 and ~1,300 wins the top 1 % of won deals hold 20-50 % of
        won revenue (7-10 % without); with fewer wins the share varies more.
    truncate_days : the export starts this many days after the simulated start (touches and
        leads before it are dropped; later deals keep their shortened journeys).
    adoption : ``"staggered"`` (simulator), ``"none"`` (no unit ever adopts), ``"all"`` (every unit
        adopts, staggered), ``"after_end"`` (units adopt only after the last period).
    currency_rate : multiplies every money column (touch and spend cost, revenue).
    postprocess : optional function changing the five tables (a dict) after the options above and
        before ``currency_rate``; see :data:`EXPORT_CASES`.

    Returns ``{table: DataFrame}`` for ``tables``, each validated against the contract
    (:func:`smlib.schemas.validate`). The full conventions are in this module's docstring.
    Raises ValueError for an unknown option value, a share outside [0, 1], a non-positive tail
    index or rate, or a ``simulate_kwargs`` entry that contradicts ``adoption`` / ``n_units=1``.
    """
    wanted = _check_tables(tables)
    _check_choice("sales_touches", sales_touches, _SALES_TOUCHES)
    _check_choice("marketing_touches", marketing_touches, _MARKETING_TOUCHES)
    _check_choice("adoption", adoption, _ADOPTION)
    for name, share in (("zero_revenue_share", zero_revenue_share),
                        ("missing_revenue_share", missing_revenue_share)):
        if not 0.0 <= float(share) <= 1.0:
            raise ValueError(f"{name}={share!r}: expected a fraction in [0, 1]")
    if revenue_tail is not None and not (np.isfinite(revenue_tail) and revenue_tail > 0):
        raise ValueError(f"revenue_tail={revenue_tail!r}: expected a tail index > 0 (or None)")
    if not (np.isfinite(currency_rate) and currency_rate > 0):
        raise ValueError(f"currency_rate={currency_rate!r}: expected a number > 0")
    if not (isinstance(truncate_days, (int, np.integer)) and truncate_days >= 0):
        raise ValueError(f"truncate_days={truncate_days!r}: expected a whole number of days >= 0")
    if not (isinstance(n_units, (int, np.integer)) and n_units >= 1):
        raise ValueError(f"n_units={n_units!r}: expected an integer >= 1")

    single = n_units == 1
    forced = _forced_params(adoption, single)
    clash = sorted(k for k in forced if k in simulate_kwargs and simulate_kwargs[k] != forced[k])
    if clash:
        raise ValueError(f"simulate parameter(s) {clash} contradict adoption={adoption!r}"
                         + (" with n_units=1" if single else "")
                         + f"; these are set to {({k: forced[k] for k in clash})}")
    kwargs = {**simulate_kwargs, **forced}
    sim = simulate(seed, n_accounts=n_accounts, n_units=2 if single else n_units, n_periods=n_periods,
                   **kwargs)
    t = {name: df.copy() for name, df in sim.tables().items()}  # the truth is left behind here

    # 1. adoption, single unit
    t["units"], t["accounts"] = _relabel_adoption(t["units"], t["accounts"], adoption)
    if single:
        t = _merge_units(t)

    # 2. data start
    start = pd.Timestamp(t["units"]["period"].min()).tz_localize("UTC")
    window = (pd.Timestamp(t["units"]["period"].max()).tz_localize("UTC") + pd.offsets.MonthBegin(1)
              - start)
    if truncate_days > 0:
        if pd.Timedelta(days=int(truncate_days)) >= window:
            raise ValueError(f"truncate_days={truncate_days}: the simulated data span only "
                             f"{window.days} days")
        cut = start + pd.Timedelta(days=int(truncate_days))
        t["touchpoints"] = t["touchpoints"][t["touchpoints"]["timestamp"] >= cut]
        t["opportunities"] = t["opportunities"][t["opportunities"]["lead_at"] >= cut]

    # 3.-4. thin touch logs
    tp, op = t["touchpoints"], t["opportunities"]
    if sales_touches == "won_only":
        won_accounts = op.loc[op["outcome"] == "won", "account_id"].unique()
        tp = tp[(tp["team"] != "sales") | tp["account_id"].isin(won_accounts)]
    if marketing_touches == "first_per_lead":
        tp = _first_marketing_touch_per_lead(tp, op)
    t["touchpoints"] = tp.reset_index(drop=True)

    # 5. revenue
    t["opportunities"] = _reshape_revenue(op.reset_index(drop=True), seed, revenue_tail,
                                          zero_revenue_share, missing_revenue_share)

    # 6. shapes no option expresses
    if postprocess is not None:
        t = dict(postprocess(dict(t)))
        missing = [name for name in config.TABLES if name not in t]
        if missing:
            raise ValueError(f"postprocess dropped table(s) {missing}; return all five")

    # 7. currency
    if currency_rate != 1.0:
        for name, col in (("touchpoints", "cost"), ("opportunities", "revenue"), ("spend", "cost"),
                          ("units", "revenue")):
            if col in t[name].columns:
                t[name] = t[name].assign(**{col: t[name][col] * float(currency_rate)})

    from smlib.schemas import validate  # lazy: pandera is heavy, the simulator is not

    return {name: validate(t[name].reset_index(drop=True), name, f"{name} (realistic_export)")
            for name in wanted}


def _check_tables(tables: Sequence[str]) -> list[str]:
    if isinstance(tables, str):
        raise ValueError(f"tables={tables!r}: expected a sequence of table names, not one string")
    unknown = [x for x in tables if x not in config.TABLES]
    if unknown or not tables:
        raise ValueError(f"tables={list(tables)!r}: expected some of {', '.join(config.TABLES)}")
    return [name for name in config.TABLES if name in set(tables)]


def _check_choice(name: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{name}={value!r}: expected one of {', '.join(map(repr, allowed))}")


def _forced_params(adoption: str, single: bool) -> dict[str, Any]:
    """Simulator parameters an option fixes (a caller's different value is an error)."""
    forced: dict[str, Any] = {}
    if adoption == "all":
        forced["never_adopt_share"] = 0.0
    if adoption in ("none", "after_end"):
        forced.update(true_uplift=0.0, integration_strength=0.0)
    if single:  # two simulated units, one adoption date, merged into one
        forced.update(never_adopt_share=0.0, n_cohorts=1)
    return forced


def _relabel_adoption(units: pd.DataFrame, accounts: pd.DataFrame, adoption: str
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``adoption_period`` and ``accounts.integrated`` as the ``adoption`` option shows them."""
    if adoption in ("staggered", "all"):
        return units, accounts
    units, accounts = units.copy(), accounts.assign(integrated=False)
    adopt = units["adoption_period"]
    if adoption == "none":
        units["adoption_period"] = pd.Series(pd.NaT, index=units.index, dtype=adopt.dtype)
        return units, accounts
    # after_end: cohort k (k-th adoption date of the simulation) adopts k months after the data end
    end = pd.Timestamp(units["period"].max()) + pd.offsets.MonthBegin(1)
    cohorts = np.sort(adopt.dropna().unique())
    shifted = {pd.Timestamp(c): end + pd.DateOffset(months=k) for k, c in enumerate(cohorts)}
    units["adoption_period"] = adopt.map(shifted).astype(adopt.dtype)
    return units, accounts


def _merge_units(t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Merge all units into one (``U001``): the panel summed, spend summed, accounts relabelled."""
    units = t["units"]
    numeric = [c for c in units.columns if c not in ("unit_id", "period", "adoption_period")
               and pd.api.types.is_numeric_dtype(units[c])]
    merged = units.groupby("period", sort=True)[numeric].sum().reset_index()
    merged.insert(0, "unit_id", pd.array([_SINGLE_UNIT] * len(merged), dtype="str"))
    adopt = units["adoption_period"].dropna().unique()
    if len(adopt) > 1:  # cannot happen with the forced parameters (one common cohort)
        raise AssertionError(f"units to merge adopt at different periods: {adopt}")
    merged.insert(3, "adoption_period", pd.Series(adopt[0] if len(adopt) else pd.NaT,
                                                  index=merged.index,
                                                  dtype=units["adoption_period"].dtype))
    merged = merged[list(units.columns)]
    accounts = t["accounts"].assign(unit_id=pd.array([_SINGLE_UNIT] * len(t["accounts"]), dtype="str"))
    if "market_size" in accounts.columns and "market_size" in merged.columns:
        accounts["market_size"] = float(merged["market_size"].iloc[0])
    spend = t["spend"].groupby(["period", "channel", "team"], sort=False, as_index=False)["cost"].sum()
    spend["cost"] = spend["cost"].round(2)
    spend["unit_id"] = pd.array([_SINGLE_UNIT] * len(spend), dtype="str")
    spend = spend[list(t["spend"].columns)]
    return {**t, "units": merged, "accounts": accounts, "spend": spend}


def _first_marketing_touch_per_lead(tp: pd.DataFrame, op: pd.DataFrame) -> pd.DataFrame:
    """Keep sales touches and, per opportunity, the last marketing touch at or before lead_at."""
    mkt = tp[tp["team"] == "marketing"]
    right = pd.DataFrame({"account_id": mkt["account_id"].to_numpy(),
                          "timestamp": mkt["timestamp"].to_numpy(), "_row": mkt.index.to_numpy()})
    right = right.sort_values(["timestamp", "_row"], kind="stable")
    left = op[["account_id", "lead_at"]].sort_values("lead_at", kind="stable")
    # ties at one instant: keep the last row in log order (merge_asof takes the last match)
    hit = pd.merge_asof(left, right, left_on="lead_at", right_on="timestamp", by="account_id",
                        direction="backward", allow_exact_matches=True)
    keep = set(hit["_row"].dropna().astype(np.int64))
    return tp[(tp["team"] != "marketing") | tp.index.isin(list(keep))]


def _reshape_revenue(op: pd.DataFrame, seed: int, tail: float | None, zero_share: float,
                     missing_share: float) -> pd.DataFrame:
    """Heavy tail, zero amounts on wins and missing amounts (as 0); see the module docstring."""
    revenue = op["revenue"].to_numpy(dtype=float).copy()
    if tail is not None:
        pos = np.flatnonzero(revenue > 0)
        if len(pos):
            rng = np.random.default_rng([int(seed), _STREAM, _TAIL])
            draw = revenue[pos] * (rng.pareto(float(tail), len(pos)) + 1.0)
            revenue[pos] = np.round(draw * revenue[pos].sum() / draw.sum(), 2)
    won = np.flatnonzero(op["outcome"].to_numpy() == "won")
    zeroed = np.zeros(len(op), dtype=bool)
    if zero_share > 0 and len(won):
        rng = np.random.default_rng([int(seed), _STREAM, _ZERO])
        pick = rng.choice(won, size=int(round(zero_share * len(won))), replace=False)
        zeroed[pick] = True
    if missing_share > 0:
        amount = np.flatnonzero(op["outcome"].isin(["won", "open"]).to_numpy() & (revenue > 0))
        free = amount[~zeroed[amount]]
        n = min(int(round(missing_share * len(amount))), len(free))
        rng = np.random.default_rng([int(seed), _STREAM, _MISSING])
        zeroed[rng.choice(free, size=n, replace=False)] = True
    revenue[zeroed] = 0.0
    return op.assign(revenue=revenue)


# --------------------------------------------------------------------------------------------
# write_export
# --------------------------------------------------------------------------------------------
def write_export(tables: Mapping[str, pd.DataFrame], folder: Path | str,
                 fmt: Literal["csv", "parquet"] = "csv") -> Path:
    """Write ``<table>.csv`` (or ``.parquet``) per table into ``folder``; return the folder.

    Nothing else is written (no truth). CSV: timestamps as ISO 8601 UTC text
    (``2024-03-04T10:15:00Z``), periods and other date-only columns as ``YYYY-MM-DD``, booleans
    ``true``/``false``, missing values empty; no index. The folder is created if needed. Raises
    ValueError for a table name outside ``config.TABLES`` or another ``fmt``, and FileExistsError
    when the folder already holds the table in the other format (loading would be ambiguous).
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt={fmt!r}: expected 'csv' or 'parquet'")
    unknown = [name for name in tables if name not in config.TABLES]
    if unknown:
        raise ValueError(f"unknown table(s) {unknown}; expected some of {', '.join(config.TABLES)}")
    out = Path(folder)
    other = ".parquet" if fmt == "csv" else ".csv"
    clash = [out / f"{name}{other}" for name in tables if (out / f"{name}{other}").exists()]
    if clash:
        raise FileExistsError(f"{out}: already holds {', '.join(p.name for p in clash)}; writing "
                              f"{fmt} beside it would make the table ambiguous")
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        if fmt == "parquet":
            df.to_parquet(out / f"{name}.parquet", index=False)
        else:
            _csv_frame(df, name).to_csv(out / f"{name}.csv", index=False)
    return out


def _csv_frame(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Timestamps, dates and booleans as the contract's CSV text."""
    from smlib.schemas import spec  # lazy: pandera is heavy, the simulator is not

    kinds = {c.name: c.kind for c in spec(table).columns}
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(s.dtype):
            out[col] = _date_text(s, kinds.get(col))
        elif pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.map({True: "true", False: "false"})
    return out


def _date_text(s: pd.Series, kind: str | None) -> pd.Series:
    utc = isinstance(s.dtype, pd.DatetimeTZDtype)
    if utc:
        s = s.dt.tz_convert("UTC")
    valid = s.dropna()
    date_only = kind == "period" or (kind is None and not utc and (valid == valid.dt.normalize()).all())
    if date_only:
        fmt = "%Y-%m-%d"
    elif (valid.dt.microsecond != 0).any():
        fmt = "%Y-%m-%dT%H:%M:%S.%f" + ("Z" if utc else "")
    else:
        fmt = "%Y-%m-%dT%H:%M:%S" + ("Z" if utc else "")
    return s.dt.strftime(fmt).astype(object).where(s.notna(), None)


# --------------------------------------------------------------------------------------------
# Named cases
# --------------------------------------------------------------------------------------------
def _header_only_optional(t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """spend, units and accounts keep their columns but no rows."""
    return {**t, **{name: t[name].iloc[:0] for name in ("spend", "units", "accounts")}}


def _zero_spend(t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every spend cost 0 (and every touch cost 0: the touches itemise the same spend)."""
    return {**t, "spend": t["spend"].assign(cost=0.0), "touchpoints": t["touchpoints"].assign(cost=0.0)}


def _drop_lost(t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Only won and open opportunities (lost ones deleted; their accounts' touches stay)."""
    op = t["opportunities"]
    return {**t, "opportunities": op[op["outcome"] != "lost"]}


def _optional_columns_absent(t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every table there, but without the columns the contract calls optional: spend without
    ``unit_id`` (summed over units), accounts without ``integrated``, opportunities without
    ``source_team``, touches without ``cost``."""
    sp = t["spend"].groupby(["period", "channel", "team"], as_index=False, sort=True)["cost"].sum()
    return {**t, "spend": sp, "accounts": t["accounts"].drop(columns="integrated"),
            "opportunities": t["opportunities"].drop(columns="source_team"),
            "touchpoints": t["touchpoints"].drop(columns="cost")}


def _no_opportunities(t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The opportunities table has a header but no rows (touches only)."""
    return {**t, "opportunities": t["opportunities"].iloc[0:0]}


def _no_wins(t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """No won deal: won opportunities deleted (lost and open ones stay)."""
    op = t["opportunities"]
    return {**t, "opportunities": op[op["outcome"] != "won"]}


def _only_converting(t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Only accounts with a won deal (an export of closed-won deals and their activities)."""
    op = t["opportunities"]
    won = set(op.loc[op["outcome"] == "won", "account_id"])
    tp = t["touchpoints"]
    return {**t, "touchpoints": tp[tp["account_id"].isin(won)],
            "opportunities": op[op["account_id"].isin(won) & (op["outcome"] == "won")]}


def _no_touches(t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The touchpoints table has a header but no rows (deals only)."""
    return {**t, "touchpoints": t["touchpoints"].iloc[0:0]}


def _lost_before_opportunity(t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Lost deals never reached the opportunity stage: every opportunity that closed was won."""
    op = t["opportunities"].copy()
    op.loc[op["outcome"] == "lost", "opportunity_at"] = pd.NaT
    return {**t, "opportunities": op}


def _add_touches(tp: pd.DataFrame, account_id: pd.Series, timestamp: pd.Series, channel: str,
                 team: str, touch_type: str) -> pd.DataFrame:
    new = pd.DataFrame({"account_id": account_id.to_numpy(), "timestamp": timestamp.to_numpy(),
                        "channel": channel, "team": team, "touch_type": touch_type, "cost": 0.0})
    new = new.astype({c: tp[c].dtype for c in new.columns if c in tp.columns})
    out = pd.concat([tp, new[[c for c in tp.columns if c in new.columns]]], ignore_index=True)
    return out.sort_values(["account_id", "timestamp", "channel"], kind="stable", ignore_index=True)


def _website_visit_everywhere(t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """A ``website_visit`` (marketing) touch one hour before each account's first touch or lead."""
    tp, op = t["touchpoints"], t["opportunities"]
    first = pd.concat([tp[["account_id", "timestamp"]],
                       op[["account_id", "lead_at"]].rename(columns={"lead_at": "timestamp"})])
    first = first.groupby("account_id", sort=True)["timestamp"].min()
    tp = _add_touches(tp, first.index.to_series(), first - _HOUR, "website_visit", "marketing",
                      "page_view")
    return {**t, "touchpoints": tp}


def _contract_signature_before_wins(t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """A ``contract_signature`` (sales) touch one hour before every won deal's close, nowhere else."""
    tp, op = t["touchpoints"], t["opportunities"]
    won = op[op["outcome"] == "won"]
    tp = _add_touches(tp, won["account_id"], won["closed_at"] - _HOUR, "contract_signature", "sales",
                      "contract_signed")
    return {**t, "touchpoints": tp}


def _demo_followup_twins(t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every ``demo`` touch followed by a ``demo_followup`` (sales) touch one hour later.

    When a won deal of the account closes within that hour, the follow-up is placed at the close
    (a touch at the closing instant belongs to the deal), so both always share a journey.
    """
    tp, op = t["touchpoints"], t["opportunities"]
    demos = tp.loc[tp["channel"] == "demo", ["account_id", "timestamp"]]
    at = demos["timestamp"] + _HOUR
    won = op.loc[op["outcome"] == "won", ["account_id", "closed_at"]].dropna()
    if len(demos) and len(won):
        nxt = pd.merge_asof(demos.reset_index().sort_values("timestamp"),
                            won.sort_values("closed_at"), left_on="timestamp", right_on="closed_at",
                            by="account_id", direction="forward").set_index("index")["closed_at"]
        nxt = nxt.reindex(demos.index)
        at = at.where(~(nxt < at), nxt)
    tp = _add_touches(tp, demos["account_id"], at, "demo_followup", "sales", "email")
    return {**t, "touchpoints": tp}


_ALL: tuple[str, ...] = config.TABLES

#: Named export shapes: keyword arguments of :func:`realistic_export` (a ``postprocess`` function
#: where no option expresses the shape). Build one with :func:`export_case`.
EXPORT_CASES: dict[str, dict[str, Any]] = {
    # the typical real funnel export: two tables, thin logs, skewed and missing amounts, cut start
    "minimum": dict(tables=("touchpoints", "opportunities"), sales_touches="won_only",
                    marketing_touches="first_per_lead", revenue_tail=1.2, zero_revenue_share=0.6,
                    truncate_days=90),
    "header_only_optional": dict(tables=_ALL, postprocess=_header_only_optional),
    "zero_spend": dict(tables=_ALL, postprocess=_zero_spend),
    "never_adopt": dict(tables=_ALL, adoption="none"),
    "all_adopt": dict(tables=_ALL, adoption="all"),
    "adoption_after_end": dict(tables=_ALL, adoption="after_end"),
    "single_unit": dict(tables=_ALL, n_units=1),
    "zero_revenue_most_wins": dict(tables=_ALL, zero_revenue_share=0.8),
    "no_lost": dict(tables=_ALL, postprocess=_drop_lost),
    "optional_columns_absent": dict(tables=_ALL, postprocess=_optional_columns_absent),
    # data the loader accepts but that leave an analysis nothing to work on
    "no_opportunities": dict(postprocess=_no_opportunities),
    "no_wins": dict(postprocess=_no_wins),
    "only_converting": dict(postprocess=_only_converting),
    "no_touches": dict(postprocess=_no_touches),
    "all_lost_closed": dict(tables=_ALL, postprocess=_lost_before_opportunity),
    "channel_everywhere": dict(tables=_ALL, postprocess=_website_visit_everywhere),
    "channel_only_converting": dict(tables=_ALL, postprocess=_contract_signature_before_wins),
    "twin_channels": dict(tables=_ALL, postprocess=_demo_followup_twins),
}


def export_case(name: str, seed: int = 0, **overrides: Any) -> dict[str, pd.DataFrame]:
    """The export shape ``name`` of :data:`EXPORT_CASES` for ``seed``.

    ``overrides`` replace or add :func:`realistic_export` keyword arguments (e.g. a smaller
    ``n_accounts`` in fast tests). Raises KeyError naming the known cases for an unknown ``name``.
    """
    if name not in EXPORT_CASES:
        raise KeyError(f"unknown export case {name!r}; expected one of {', '.join(EXPORT_CASES)}")
    return realistic_export(seed, **{**EXPORT_CASES[name], **overrides})
