"""Report 00's analysis: the data overview, computed once from a dataset.

:func:`data_overview` takes a :class:`smlib.io.Dataset`, builds the journeys and returns a
:class:`DataOverview` holding every table the report shows (data quality, columns, cross-table
checks, funnel counts, journey mix, spend), its headline and what the data lack (``gaps``); the
notebook only shows them (``overview.quality_table().show(language)``, ``overview.plot_spend()``).
The table helpers (:func:`data_quality_summary`, :func:`funnel_counts`, ...) take validated tables
(:mod:`smlib.io`) and return tidy DataFrames. Every word comes from the text catalogue
(``[overview.*]``); table and column names of the data contract stay as they are (they are names
in the data, not words of the report).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from statsmodels.stats.proportion import proportion_confint

from smlib import config
from smlib.analyses import figures
from smlib.data_warnings import CONTRACT_LANGUAGE, collect_warnings
from smlib.gaps import DataGap, catalogue_gap
from smlib.io import Dataset
from smlib.journeys import Journeys, build_journeys, journey_mix
from smlib.presentation.catalogue import entry, text
from smlib.presentation.labels import journey_type_label, stage_label
from smlib.presentation.numbers import (format_interval, format_money, format_month,
                                        format_number, format_pct)
from smlib.presentation.settings import money_unit, validate_language
from smlib.presentation.tables import ReportTable
from smlib.schemas import spec

__all__ = [
    "FUNNEL_STAGES",
    "DataOverview",
    "column_summary",
    "contract_note",
    "data_overview",
    "data_quality_summary",
    "funnel_counts",
    "headline_items",
    "monthly_spend",
    "referential_checks",
    "spend_by_channel",
]

#: Stage -> how a lead is known to have reached it (contract columns of ``opportunities``).
FUNNEL_STAGES: dict[str, str] = {
    "lead": "lead_at", "mql": "mql_at", "sql": "sql_at", "opportunity": "opportunity_at",
    "won": "outcome",
}
#: The event-time column that dates each table (periods for spend and units).
TIME_COLUMN: dict[str, str | None] = {
    "touchpoints": "timestamp", "opportunities": "lead_at", "spend": "period", "units": "period",
    "accounts": None,
}
KEYS: dict[str, tuple[str, ...]] = {
    "touchpoints": ("account_id", "timestamp", "channel", "touch_type"),
    "opportunities": ("opportunity_id",),
    "spend": ("period", "channel", "team", "unit_id"),
    "units": ("unit_id", "period"),
    "accounts": ("account_id",),
}
def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; found {list(df.columns)}")


def data_quality_summary(dataset: Dataset, language: str = "en") -> pd.DataFrame:
    """One row per table: rows, columns, extra columns, duplicate keys, date range, file, hash.

    ``duplicate_keys`` counts rows whose contract key (e.g. touchpoints' account_id, timestamp,
    channel, touch_type) repeats an earlier row — 0 for data that passed ``smlib.io`` validation,
    shown so the reader sees it was checked. ``missing_cells`` = missing values over all columns;
    ``first``/``last`` = range of the table's time column (timestamp, lead_at or period); an
    optional table the data do not have shows ``(not provided)`` (``(no aportada)`` with
    ``language="es"``) as its file.
    """
    not_provided = text("overview.quality.not_provided", validate_language(language))
    rows = []
    for table in config.TABLES:
        df = dataset.table(table)
        contract = {c.name for c in spec(table).columns}
        key = [k for k in KEYS[table] if k in df.columns]
        tcol = TIME_COLUMN[table]
        times = df[tcol] if tcol else pd.Series([], dtype="datetime64[us]")
        file = dataset.files.get(table)
        rows.append({
            "table": table,
            "rows": len(df),
            "columns": df.shape[1],
            "extra_columns": ", ".join(c for c in df.columns if c not in contract),
            "missing_cells": int(df.isna().sum().sum()),
            "duplicate_keys": int(df.duplicated(key).sum()) if key else 0,
            "first": times.min() if len(times) else pd.NaT,
            "last": times.max() if len(times) else pd.NaT,
            "file": file.name if file is not None else (
                not_provided if table in getattr(dataset, "missing", ()) else ""),
            "sha256": dataset.hashes.get(table, "")[:12],
        })
    out = pd.DataFrame(rows)
    # one display type for mixed UTC timestamps and naive periods
    for col in ("first", "last"):
        out[col] = [("" if pd.isna(v) else v.strftime("%Y-%m-%d")) for v in out[col]]
    return out


def column_summary(dataset: Dataset) -> pd.DataFrame:
    """One row per (table, column): dtype, rows, missing, missing_share, distinct values, in_contract.

    ``missing_share`` = missing / rows (NaN for an empty table).
    """
    rows = []
    for table in config.TABLES:
        df = dataset.table(table)
        contract = {c.name for c in spec(table).columns}
        for col in df.columns:
            s = df[col]
            n_missing = int(s.isna().sum())
            rows.append({"table": table, "column": col, "dtype": str(s.dtype), "rows": len(s),
                         "missing": n_missing,
                         "missing_share": n_missing / len(s) if len(s) else np.nan,
                         "distinct": int(s.nunique(dropna=True)), "in_contract": col in contract})
    return pd.DataFrame(rows)


def _present(dataset: Dataset, table: str) -> bool:
    """True when the dataset holds ``table`` with at least one row."""
    has = getattr(dataset, "has", None)
    return bool(has(table)) if callable(has) else len(dataset.table(table)) > 0


def referential_checks(dataset: Dataset, show_ids: bool = False,
                       language: str = "en") -> pd.DataFrame:
    """Do the tables point at each other? One row per check: rows checked, rows failing, share.

    Checks: touchpoints and opportunities name accounts that exist in ``accounts``; accounts and
    spend (where unit_id is set) name units that exist in ``units``; every touch channel appears in
    ``spend`` (otherwise its cost is not in the budget). A check whose reference table is missing
    or empty is left out (there is nothing to check against). Failing rows are not errors of the
    contract, but they leave revenue or cost unattributable. ``examples`` lists up to three unknown
    names; account ids are shown only with ``show_ids=True`` (they identify customers, so
    leadership reports leave them out). ``language="es"`` words the check names and the hidden-ids
    note in Spanish (``touchpoints.account_id en accounts``; catalogue ``overview.quality``).
    """
    lang = validate_language(language)
    spend_units = dataset.spend["unit_id"].dropna() if "unit_id" in dataset.spend else pd.Series(
        [], dtype="str")
    checks = []
    if _present(dataset, "accounts"):
        accounts = set(dataset.accounts["account_id"])
        checks += [("touchpoints.account_id in accounts", dataset.touchpoints["account_id"],
                    accounts, True),
                   ("opportunities.account_id in accounts", dataset.opportunities["account_id"],
                    accounts, True)]
    if _present(dataset, "units"):
        units = set(dataset.units["unit_id"])
        if _present(dataset, "accounts") and "unit_id" in dataset.accounts:
            checks.append(("accounts.unit_id in units", dataset.accounts["unit_id"], units, False))
        if _present(dataset, "spend"):
            checks.append(("spend.unit_id in units", spend_units, units, False))
    if _present(dataset, "spend"):
        checks.append(("touchpoints.channel in spend", dataset.touchpoints["channel"],
                       set(dataset.spend["channel"]), False))
    rows = []
    for name, values, allowed, is_account in checks:
        bad = ~values.isin(list(allowed))
        examples = ", ".join(map(str, pd.unique(values[bad])[:3]))
        if is_account and not show_ids and examples:
            examples = text("overview.quality.ids_hidden", lang)
        rows.append({"check": name.replace(" in ", text("overview.quality.check_in", lang)),
                     "rows": len(values),
                     "failing": int(bad.sum()),
                     "failing_share": float(bad.mean()) if len(values) else np.nan,
                     "examples": examples})
    return pd.DataFrame(rows, columns=["check", "rows", "failing", "failing_share", "examples"])


def funnel_counts(opportunities: pd.DataFrame, by: str | None = None,
                  level: float = 0.95) -> pd.DataFrame:
    """How many leads reached each funnel stage, and what share of all leads that is.

    A lead reached a stage when the stage's timestamp is set (``won``: ``outcome == "won"``);
    stages follow the SiriusDecisions demand waterfall (inquiry -> MQL -> SQL -> opportunity ->
    won; docs/sources.md §2, https://www.mv3marketing.com/glossary/demand-waterfall/).
    ``share_of_leads`` = reached / leads with a Wilson score interval (statsmodels
    ``proportion_confint``) at ``level``. Sales-sourced leads skip MQL by the contract, so the MQL
    share is below the SQL share when sales source many leads. ``by`` (e.g. ``"source_team"``)
    splits every count by that column. Stage-to-stage rates: ``smlib.metrics.stage_conversion``.
    """
    _require(opportunities, [c for c in FUNNEL_STAGES.values()], "opportunities")
    groups = [("all", opportunities)] if by is None else [
        (str(k), g) for k, g in opportunities.groupby(by, dropna=False, sort=True)]
    if by is not None:
        _require(opportunities, [by], "opportunities")
    rows = []
    for key, g in groups:
        n = len(g)
        for stage, col in FUNNEL_STAGES.items():
            k = int((g[col] == "won").sum()) if stage == "won" else int(g[col].notna().sum())
            lo, hi = proportion_confint(k, n, alpha=1 - level, method="wilson") if n else (np.nan,
                                                                                            np.nan)
            rows.append({"group": key, "stage": stage, "reached": k,
                         "share_of_leads": k / n if n else np.nan, "ci_low": lo, "ci_high": hi})
    out = pd.DataFrame(rows)
    return out.rename(columns={"group": by}) if by else out.drop(columns="group")


def spend_by_channel(spend: pd.DataFrame) -> pd.DataFrame:
    """Total cost per (team, channel) with its share of all cost, largest first within team.

    Includes the non-touch channels ``sales_people`` and ``marketing_overhead`` (people and
    overhead that no single touch carries).
    """
    _require(spend, ["team", "channel", "cost"], "spend")
    out = spend.groupby(["team", "channel"], as_index=False, observed=True)["cost"].sum()
    total = out["cost"].sum()
    out["share"] = out["cost"] / total if total > 0 else np.nan
    return out.sort_values(["team", "cost"], ascending=[True, False], ignore_index=True)


def monthly_spend(spend: pd.DataFrame) -> pd.DataFrame:
    """Cost per month (period) and team, every month of the range present (0 when nothing spent)."""
    _require(spend, ["period", "team", "cost"], "spend")
    out = spend.groupby(["period", "team"], observed=True)["cost"].sum()
    if out.empty:
        return out.reset_index()
    months = pd.date_range(spend["period"].min(), spend["period"].max(), freq="MS")
    full = pd.MultiIndex.from_product([months, sorted(spend["team"].unique())],
                                      names=["period", "team"])
    return out.reindex(full, fill_value=0.0).reset_index()


def _dropped_rows(dataset: Dataset) -> int:
    return sum(int(d.get("count", 0)) for d in getattr(dataset, "dropped", None) or [])


def contract_note(dataset: Dataset, language: str = "en") -> str:
    """The note under the overview's headline: which contract checks the tables passed, and how
    many rows were left out for breaking them (``load_dataset(..., on_invalid="drop")``), in
    ``language``."""
    lang = validate_language(language)
    dropped = _dropped_rows(dataset)
    extra = "" if not dropped else text(
        f"overview.contract.dropped_{'one' if dropped == 1 else 'many'}", lang,
        n=format_number(dropped, 0, lang))
    return text("overview.contract.passed", lang, dropped=extra)


def _join(items: Sequence[str], language: str) -> str:
    """``a, b and c`` / ``a, b y c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {text('overview.headline.and', language)} " + items[-1]


def headline_items(dataset: Dataset, journeys: Journeys, level: float = 0.95,
                   language: str = "en") -> list[tuple[str, str]]:
    """The overview's headline as (label, text) pairs for ``smlib.report.show_headline``.

    Items: period covered by the touches, accounts with activity (a touch or a lead), touches and
    the marketing share of them, deals won and their revenue, the share of journeys that mix
    marketing and sales touches with a Wilson interval at ``level``, and the cross-table checks of
    :func:`referential_checks`. A dataset without touches (or without deals, e.g. a date range
    outside the data) says so in the items instead of failing. Words from the catalogue
    (``overview.headline``) in ``language``.
    """
    lang = validate_language(language)

    def t(key: str, **values: Any) -> str:
        return text(f"overview.headline.{key}", lang, **values)

    def num(x: float) -> str:
        return format_number(x, 0, lang)

    def one_or_many(n: int) -> str:
        return "one" if n == 1 else "many"

    tp, opp = dataset.touchpoints, dataset.opportunities
    jr = journeys.journeys
    n_j = len(jr)
    n_mixed = int((jr["journey_type"] == "mixed").sum()) if n_j else 0
    won = opp[opp["outcome"] == "won"]
    active = pd.concat([tp["account_id"], opp["account_id"]]).nunique()
    checks = referential_checks(dataset)
    failing = int(checks["failing"].sum())
    dropped = _dropped_rows(dataset)
    contract = (t("contract_ok") if not dropped else
                t(f"contract_dropped_{one_or_many(dropped)}", n=num(dropped)))
    if checks.empty:
        cross = t("cross_none")
    elif failing == 0:
        known = [k for k, table in (("account", "accounts"), ("unit", "units"),
                                    ("channel", "spend")) if _present(dataset, table)]
        # Spanish agrees the adjective with the nouns: cuentas/unidades are feminine
        gender = "feminine" if known in (["account"], ["unit"], ["account", "unit"]) else \
            "masculine"
        cross = t(f"cross_ok_{gender}", known=_join([t(f"known_{k}") for k in known], lang))
    else:
        cross = t(f"cross_failing_{one_or_many(failing)}", n=num(failing))
    dated = tp["timestamp"] if len(tp) else opp["lead_at"]
    period = (t("period_range", start=format_month(dated.min(), lang),
                end=format_month(dated.max(), lang)) if len(dated) else t("period_none"))
    touches = (t("touches_text", n=num(len(tp)),
                 share=format_pct((tp["team"] == "marketing").mean(), lang))
               if len(tp) else t("touches_none"))
    mixing = t("mixing_none")
    if n_j:
        lo, hi = proportion_confint(n_mixed, n_j, alpha=1 - level, method="wilson")
        mixing = t("mixing_text", share=format_pct(n_mixed / n_j, lang), n=num(n_j),
                   interval=format_interval(lo, hi, format_pct, lang, level=level))
    deals = (t(f"deals_{one_or_many(len(won))}", n=num(len(won)),
               revenue=format_money(won["revenue"].sum(), lang)) if len(opp)
             else t("deals_none"))
    return [
        (t("period"), period),
        (t("accounts"), num(active)),
        (t("touches"), touches),
        (t("deals"), deals),
        (t("mixing"), mixing),
        (t("checks"), t("checks_text", contract=contract, cross=cross)),
    ]


# --------------------------------------------------------------------------------------------
# the report's analysis, run once
# --------------------------------------------------------------------------------------------

def _table(name: str, frame: pd.DataFrame, language: str, *, caption: str | None = None,
           **kwargs: Any) -> ReportTable:
    """A :class:`ReportTable` with the caption and column labels of ``overview.table.<name>``."""
    return ReportTable(frame, caption=caption or text(f"overview.table.{name}.caption", language),
                       labels=dict(entry(f"overview.table.{name}.labels", language)), **kwargs)


@dataclass
class DataOverview:
    """Everything report 00 shows, computed once by :func:`data_overview`.

    ``funnel`` is None without opportunities, ``mix`` None without journeys, ``spend`` and
    ``monthly`` None without a spend table; ``gaps`` then says why (keys ``funnel``,
    ``journeys``, ``spend``). The ``*_table`` methods return a
    :class:`smlib.presentation.tables.ReportTable` (or None when the section has no data) and the
    ``plot_*`` methods draw the figures of :mod:`smlib.analyses.figures`, all in ``language``.
    """

    dataset: Dataset
    journeys: Journeys
    language: str
    lookback_days: int
    quality: pd.DataFrame
    columns: pd.DataFrame
    checks: pd.DataFrame
    funnel: pd.DataFrame | None
    mix: pd.DataFrame | None
    spend: pd.DataFrame | None
    monthly: pd.DataFrame | None
    warnings: list[Any] = field(default_factory=list)
    gaps: dict[str, DataGap] = field(default_factory=dict)

    def title(self) -> str:
        """The headline block's title."""
        return text("overview.headline.title", self.language)

    def items(self, level: float = 0.95) -> list[tuple[str, str]]:
        """The headline items (:func:`headline_items`)."""
        return headline_items(self.dataset, self.journeys, level=level, language=self.language)

    def note(self) -> str:
        """The note under the headline (:func:`contract_note`)."""
        return contract_note(self.dataset, self.language)

    def heading(self, section: str) -> str:
        """A section's short title (``funnel``, ``journeys``, ``spend``) for a "not available"
        box."""
        return text(f"overview.nb.{section}_heading", self.language)

    def dropped_table(self) -> ReportTable | None:
        """The rows left out for breaking the contract (None when none was). The contract's rules
        are written in one language (:data:`smlib.data_warnings.CONTRACT_LANGUAGE`), so other
        languages show the table, column, count and rows only."""
        if not getattr(self.dataset, "dropped", None):
            return None
        dropped = pd.DataFrame(self.dataset.dropped)
        if self.language != CONTRACT_LANGUAGE and "rule" in dropped:
            dropped = dropped.drop(columns="rule")
        return _table("dropped", dropped, self.language)

    def quality_table(self) -> ReportTable:
        """One row per input table (:func:`data_quality_summary`)."""
        return _table("quality", self.quality, self.language)

    def checks_table(self) -> ReportTable | None:
        """The cross-table checks (:func:`referential_checks`); None when no check is possible."""
        return _table("checks", self.checks, self.language) if len(self.checks) else None

    def columns_table(self) -> ReportTable:
        """One row per (table, column) (:func:`column_summary`)."""
        return _table("columns", self.columns, self.language)

    def funnel_table(self) -> ReportTable | None:
        """Leads reaching each stage by source team (:func:`funnel_counts`), or None."""
        if self.funnel is None:
            return None
        lang = self.language
        formats: dict[str, Any] = {"stage": lambda stage: stage_label(stage, lang)}
        if "source_team" in self.funnel:
            formats["source_team"] = "team"
        return _table("funnel", self.funnel, lang, formats=formats,
                      intervals={"share_of_leads": ("ci_low", "ci_high")})

    def mix_table(self) -> ReportTable | None:
        """Journeys by which teams touched the customer (:func:`smlib.journeys.journey_mix`)."""
        if self.mix is None:
            return None
        lang = self.language
        return _table("mix", self.mix, lang,
                      formats={"journey_type": lambda kind: journey_type_label(kind, lang)},
                      intervals={"conversion_rate": ("ci_low", "ci_high")})

    def journeys_table(self) -> ReportTable:
        """How the journeys were built (touches read and kept, won deals, lookback window)."""
        caption = text("overview.table.journeys.caption", self.language, days=self.lookback_days)
        return _table("journeys", pd.DataFrame([self.journeys.stats]), self.language,
                      caption=caption)

    def spend_table(self) -> ReportTable | None:
        """Total cost by team and channel (:func:`spend_by_channel`), or None without spend."""
        if self.spend is None:
            return None
        caption = text("overview.table.spend.caption", self.language, unit=money_unit("unit"))
        return _table("spend", self.spend, self.language, caption=caption,
                      formats={"team": "team", "channel": "channel"})

    def plot_funnel(self) -> Axes | None:
        """Leads reaching each stage (:func:`smlib.analyses.figures.plot_funnel_counts`)."""
        return None if self.funnel is None else figures.plot_funnel_counts(
            self.funnel, language=self.language)

    def plot_journey_mix(self) -> Axes | None:
        """Share of journeys per team mix (:func:`smlib.analyses.figures.plot_journey_mix`)."""
        return None if self.mix is None else figures.plot_journey_mix(
            self.mix, language=self.language)

    def plot_journey_lengths(self) -> Axes | None:
        """Touches per journey (:func:`smlib.analyses.figures.plot_journey_lengths`)."""
        return None if not len(self.journeys.journeys) else figures.plot_journey_lengths(
            self.journeys.journeys, language=self.language)

    def plot_spend(self) -> Axes | None:
        """Total cost per channel (:func:`smlib.analyses.figures.plot_spend`)."""
        return None if self.spend is None else figures.plot_spend(
            self.spend, language=self.language)

    def plot_monthly_spend(self) -> Axes | None:
        """Monthly cost per team (:func:`smlib.analyses.figures.plot_monthly_spend`)."""
        return None if self.monthly is None else figures.plot_monthly_spend(
            self.monthly, language=self.language)


def data_overview(dataset: Dataset, *, lookback_days: int | None = None, show_ids: bool = False,
                  language: str = "en") -> DataOverview:
    """Run report 00's analysis on ``dataset`` (a :class:`smlib.io.Dataset`).

    Journeys (:func:`smlib.journeys.build_journeys` with ``lookback_days``, default
    :data:`smlib.config.DEFAULT_LOOKBACK_DAYS`), data warnings
    (:func:`smlib.data_warnings.collect_warnings`), the quality, column and cross-table tables
    (account ids in the checks only with ``show_ids=True``), funnel counts by source team, the
    journey mix and the spend by channel and month.
    """
    lang = validate_language(language)
    lookback = config.DEFAULT_LOOKBACK_DAYS if lookback_days is None else lookback_days
    journeys = build_journeys(dataset.touchpoints, dataset.opportunities, lookback,
                              validate_input=False)
    opp = dataset.opportunities
    gaps: dict[str, DataGap] = {}
    funnel = mix = spend = monthly = None
    if len(opp):
        funnel = funnel_counts(opp, by="source_team" if "source_team" in opp else None)
    else:
        gaps["funnel"] = catalogue_gap("no_opportunities", "overview.gap.no_opportunities",
                                       "overview.gap.funnel_unlocks", "opportunities")
    if len(journeys.journeys):
        mix = journey_mix(journeys)
    else:
        gaps["journeys"] = catalogue_gap("no_journeys", "overview.gap.no_journeys",
                                         "overview.gap.journeys_unlocks", "touchpoints")
    if dataset.has("spend"):
        spend = spend_by_channel(dataset.spend)
        monthly = monthly_spend(dataset.spend)
    else:
        gaps["spend"] = catalogue_gap("no_spend", "overview.gap.no_spend",
                                      "overview.gap.spend_unlocks", "spend")
    return DataOverview(
        dataset=dataset, journeys=journeys, language=lang, lookback_days=lookback,
        quality=data_quality_summary(dataset, lang), columns=column_summary(dataset),
        checks=referential_checks(dataset, show_ids=show_ids, language=lang), funnel=funnel,
        mix=mix, spend=spend, monthly=monthly, warnings=collect_warnings(dataset, journeys),
        gaps=gaps)
