"""Report 01's money views: what each channel and team earns and costs under every attribution
model, on one cost basis that reconciles with the teams, and what moving budget would add.

:func:`money_views` takes report 01's :class:`~smlib.analyses.attribution_comparison.AttributionReport`
and the dataset and returns a :class:`MoneyViews` holding every table and figure of the money
sections; the notebook only shows them. The science is in :mod:`smlib.metrics`
(:func:`~smlib.metrics.channel_economics`, :func:`~smlib.metrics.team_economics`,
:func:`~smlib.metrics.roi_reconciliation`, :func:`~smlib.metrics.spend_vs_credit`),
:mod:`smlib.pipeline` (:func:`~smlib.pipeline.cost_per_stage`) and :mod:`smlib.budget`.
Texts are in the catalogue under ``[attribution.money]``. Report 03 calls the same functions with
the same settings (see :func:`reconciliation_for`), so both pages show one set of figures.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from smlib import config
from smlib.budget import Reallocation, reallocate, response_curves
from smlib.gaps import DataGap, catalogue_gap
from smlib.metrics import (channel_economics, has_costs, resolve_horizon, revenue_months,
                           roi_reconciliation, spend_vs_credit, team_economics)
from smlib.pipeline import cost_per_stage
from smlib.presentation.catalogue import entry, text
from smlib.presentation.labels import TEAM_COLORS, channel_label, model_label, team_label
from smlib.presentation.numbers import format_money, format_number, format_pct
from smlib.presentation.settings import validate_language
from smlib.presentation.tables import ReportTable

__all__ = ["MoneyViews", "credit_with_bounds", "money_views", "reconciliation_for",
           "spend_on_credit_channels"]

_BOUNDS = ("ci_low", "ci_high", "value_ci_low", "value_ci_high")


def _t(key: str, language: str, **values: Any) -> str:
    return text(f"attribution.money.{key}", language, **values)


def _markdown(body: str) -> None:
    """Display Markdown in a notebook (IPython imported here: smlib must not need it to import)."""
    from IPython.display import Markdown, display

    display(Markdown(textwrap.dedent(body).strip("\n")))


def credit_with_bounds(credit: pd.DataFrame, intervals: pd.DataFrame) -> pd.DataFrame:
    """Report 01's credit (``model, channel, conversions, value, share``) with each model's
    bootstrap bounds (``ci_low, ci_high, value_ci_low, value_ci_high`` of
    :meth:`Comparison.intervals <smlib.analyses.attribution_comparison.Comparison>`; NaN for a
    model without draws), the input of :func:`smlib.metrics.channel_economics`.

    Data-driven credit is signed (a channel whose removal would raise conversions gets negative
    credit); for costs and returns such a channel is credited with no sale (0), as the economics
    take credit as sales won (the same rule as report 03's ``_credit_with_bounds``)."""
    cols = ["model", "channel", "conversions", "value", "share"]
    out = credit[cols].copy()
    for c in ("conversions", "value"):
        out[c] = out[c].clip(lower=0.0)
    if intervals is None or intervals.empty:
        return out
    return out.merge(intervals[["model", "channel", *_BOUNDS]], on=["model", "channel"],
                     how="left")


def spend_on_credit_channels(spend: pd.DataFrame, channel_teams: dict[str, str]) -> pd.DataFrame:
    """``spend`` with its channels renamed to the credited channels they were merged into
    (channels that always occur together are credited as one, ``"a + b"``:
    :func:`smlib.journeys.merge_channels`), so each merged channel carries its members' cost."""
    rename = {member: merged for merged in channel_teams if " + " in str(merged)
              for member in str(merged).split(" + ")}
    if not rename:
        return spend
    return spend.assign(channel=spend["channel"].replace(rename))


def reconciliation_for(credit: pd.DataFrame, spend: pd.DataFrame, opportunities: pd.DataFrame,
                       model: str, *, channel_teams: dict[str, str] | None = None,
                       draws: Any = None, **returns: Any) -> pd.DataFrame:
    """The ROI reconciliation table of one model (:func:`smlib.metrics.roi_reconciliation`) from
    a credit table with bounds: :func:`~smlib.metrics.channel_economics` and
    :func:`~smlib.metrics.team_economics` on the same credit, spend and ``returns``
    (``horizon``, ``monthly_churn``, ``contract_months``), team intervals from ``draws`` (a
    :class:`~smlib.attribution.resample.BootstrapDraws` of ``model``). Report 03 calls this
    with report 01's credit so that both show the same figures."""
    sp = spend_on_credit_channels(spend, channel_teams or {})
    ch = channel_economics(credit, sp, opportunities, channel_teams=channel_teams, **returns)
    tm = team_economics(credit, sp, opportunities, channel_teams=channel_teams,
                        draws={model: draws} if draws is not None else None, **returns)
    return roi_reconciliation(ch, tm, model)


@dataclass
class MoneyViews:
    """Report 01's money sections on one dataset (:func:`money_views`).

    Attributes:
        model: the model whose credit the costs are judged by (report 01's recommended model,
            else the one named, else ``incremental``); ``model_basis`` says which.
        channels, teams: :func:`~smlib.metrics.channel_economics` /
            :func:`~smlib.metrics.team_economics` of every model (None without spend or credit).
        reconciliation: :func:`~smlib.metrics.roi_reconciliation` of ``model``.
        spend_credit: :func:`~smlib.metrics.spend_vs_credit` of ``model``.
        stage_costs: cost per lead, opportunity and customer by channel (first touch) with the
            credited CAC of ``model``.
        curves: :func:`smlib.budget.response_curves`; ``realloc``: :func:`smlib.budget.reallocate`.
        months: months of spend (the figures are totals over them; the budget text per year).
        gaps: what the data lack, by section (``attribution``, ``spend``).
        shown_models: models of the side-by-side chart.
    """

    model: str | None
    model_basis: str
    horizon: Any
    channels: pd.DataFrame | None = None
    teams: pd.DataFrame | None = None
    reconciliation: pd.DataFrame | None = None
    spend_credit: pd.DataFrame | None = None
    stage_costs: pd.DataFrame | None = None
    curves: pd.DataFrame | None = None
    realloc: Reallocation | None = None
    months: int = 0
    gaps: dict[str, DataGap] = field(default_factory=dict)
    shown_models: tuple[str, ...] = ()
    level: float = 0.95

    @property
    def available(self) -> bool:
        """True when the money sections can be shown (credit and spend exist)."""
        return self.reconciliation is not None

    @property
    def gap(self) -> DataGap | None:
        """The first reason the money sections cannot be shown, or None."""
        return next(iter(self.gaps.values()), None)

    def _basis(self, language: str) -> str:
        h = self.horizon
        if h in ("lifetime", "first_contract"):
            return _t(f"basis.{h}", language)
        return _t("basis.months", language, months=int(h))

    # --- tables -----------------------------------------------------------------------------
    def reconciliation_table(self, language: str = "en") -> ReportTable:
        """Channels of each team, the team's costs not tied to a channel, the team total, all
        teams: cost, credited revenue, gross profit, net return, marginal ROI (touch costs only),
        the cost with the team's overhead shared out and the ROI on all costs."""
        lang = validate_language(language)
        r = self.reconciliation.copy()

        def row_name(x: pd.Series) -> str:
            if x["kind"] == "channel":
                return channel_label(x["channel"], lang)
            if x["kind"] == "unallocated":
                return _t("row.unallocated", lang)
            if x["kind"] == "team_total":
                return _t("row.team_total", lang, team=team_label(x["team"], lang))
            return _t("row.all_teams", lang)

        r["row"] = r.apply(row_name, axis=1)
        r["team"] = r["team"].map(lambda t: team_label(t, lang) if isinstance(t, str) else "")
        # the ROI on all costs: the loaded ROI of a channel, the team's ROI on its totals
        frame = r[["team", "row", "cost", "revenue", "gross_profit", "net_return", "marginal_roi",
                   "marginal_roi_ci_low", "marginal_roi_ci_high", "loaded_cost", "loaded_roi",
                   "roi_ci_low", "roi_ci_high", "roas"]]
        return ReportTable(
            frame, caption=_t("reconciliation.caption", lang,
                              model=model_label(self.model, lang), basis=self._basis(lang)),
            formats={"cost": "money", "revenue": "money", "gross_profit": "money",
                     "net_return": "money", "marginal_roi": "pct", "loaded_cost": "money",
                     "loaded_roi": "pct", "roas": "float1"},
            labels=dict(entry("attribution.money.reconciliation.labels", lang)),
            intervals={"marginal_roi": ("marginal_roi_ci_low", "marginal_roi_ci_high"),
                       "loaded_roi": ("roi_ci_low", "roi_ci_high")})

    def team_money_table(self, language: str = "en") -> ReportTable:
        """Per model and team: credited revenue, cost (all of the team's spend), ROI on all
        costs with its bootstrap interval, ROAS."""
        lang = validate_language(language)
        t = self.teams
        frame = t[["model", "team", "revenue", "cost", "roi", "roi_ci_low", "roi_ci_high",
                   "roas"]].copy()
        frame["model"] = frame["model"].map(lambda m: model_label(m, lang))
        frame["team"] = frame["team"].map(lambda x: team_label(x, lang))
        return ReportTable(frame, caption=_t("teams.caption", lang, basis=self._basis(lang)),
                           formats={"revenue": "money", "cost": "money", "roi": "pct",
                                    "roas": "float1"},
                           labels=dict(entry("attribution.money.teams.labels", lang)),
                           intervals={"roi": ("roi_ci_low", "roi_ci_high")})

    def _pivot(self, column: str) -> pd.DataFrame:
        c = self.channels.loc[~self.channels["channel"].isin(self._unallocated())]
        wide = c.pivot_table(index="channel", columns="model", values=column, aggfunc="first",
                             dropna=False, sort=False)
        models = [m for m in dict.fromkeys(c["model"]) if m in wide.columns]
        order = c.loc[c["model"].eq(self.model)].sort_values("revenue", ascending=False)["channel"]
        return wide.reindex(index=list(order), columns=models)

    def _unallocated(self) -> list[str]:
        r = self.reconciliation
        named = set(r.loc[r["kind"].eq("channel"), "channel"])
        return [c for c in self.channels["channel"].unique() if c not in named]

    def _model_table(self, key: str, column: str, kind: str, language: str) -> ReportTable:
        lang = validate_language(language)
        wide = self._pivot(column)
        frame = wide.reset_index()
        frame["channel"] = frame["channel"].map(lambda c: channel_label(c, lang))
        labels = {m: model_label(m, lang) for m in wide.columns}
        labels["channel"] = _t("label.channel", lang)
        return ReportTable(frame, caption=_t(f"{key}.caption", lang, basis=self._basis(lang)),
                           formats={m: kind for m in wide.columns}, labels=labels)

    def revenue_by_model_table(self, language: str = "en") -> ReportTable:
        """Credited revenue per channel (rows) under each model (columns)."""
        return self._model_table("revenue_by_model", "revenue", "money", language)

    def roi_by_model_table(self, language: str = "en") -> ReportTable:
        """Marginal ROI (touch costs only) per channel under each model."""
        return self._model_table("roi_by_model", "roi", "pct", language)

    def spend_credit_table(self, language: str = "en") -> ReportTable:
        """Share of spend and share of credited revenue per channel (with the credit's interval)."""
        lang = validate_language(language)
        frame = self.spend_credit.copy()
        frame["channel"] = frame["channel"].map(lambda c: channel_label(c, lang))
        frame["team"] = frame["team"].map(lambda x: team_label(x, lang))
        return ReportTable(frame, caption=_t("spend_credit.caption", lang,
                                             model=model_label(self.model, lang)),
                           formats={"cost": "money", "revenue": "money", "spend_share": "pct",
                                    "credit_share": "pct", "ratio": "float1"},
                           labels=dict(entry("attribution.money.spend_credit.labels", lang)),
                           intervals={"credit_share": ("credit_share_ci_low",
                                                       "credit_share_ci_high")})

    def stage_cost_table(self, language: str = "en") -> ReportTable:
        """Cost per lead, opportunity and customer by channel (first touch), and the credited
        cost per won deal under the model."""
        lang = validate_language(language)
        frame = self.stage_costs.copy()
        frame["channel"] = frame["channel"].map(lambda c: channel_label(c, lang))
        frame["team"] = frame["team"].map(lambda x: team_label(x, lang) if isinstance(x, str)
                                          else "")
        return ReportTable(frame, caption=_t("stage_costs.caption", lang,
                                             model=model_label(self.model, lang)),
                           formats={"cost": "money", "leads": "int", "opportunities": "int",
                                    "customers": "int", "cost_per_lead": "money",
                                    "cost_per_opportunity": "money",
                                    "cost_per_customer": "money", "credited_cac": "money"},
                           labels=dict(entry("attribution.money.stage_costs.labels", lang)),
                           intervals={"cost_per_customer": ("cost_per_customer_ci_low",
                                                            "cost_per_customer_ci_high"),
                                      "credited_cac": ("credited_cac_ci_low",
                                                       "credited_cac_ci_high")})

    def curves_table(self, language: str = "en") -> ReportTable:
        """The response curve of each channel: elasticity, interval, fit, identified or why not."""
        lang = validate_language(language)
        frame = self.curves.copy()
        frame["channel"] = frame["channel"].map(lambda c: channel_label(c, lang))
        frame["identified"] = frame["identified"].map(
            lambda b: _t("yes" if b else "no", lang))
        frame["reason"] = [self._reason(r, lang) for r in self.curves.itertuples()]
        return ReportTable(frame, caption=_t("curves.caption", lang),
                           formats={"n_months": "int", "log_spend_sd": "float2",
                                    "elasticity": "float2", "r2": "float2"},
                           labels=dict(entry("attribution.money.curves.labels", lang)),
                           intervals={"elasticity": ("ci_low", "ci_high")})

    @staticmethod
    def _reason(row: Any, language: str) -> str:
        reason = str(row.reason)
        if not reason:
            return ""
        if reason.startswith("spend in"):
            return _t("curves.few_months", language, n=int(row.n_months))
        if reason.startswith("spend hardly"):
            return _t("curves.flat_spend", language)
        if reason.startswith("no response"):
            return _t("curves.no_response", language)
        if reason.startswith("poor fit"):
            return _t("curves.poor_fit", language)
        return _t("curves.imprecise", language)

    def budget_table(self, language: str = "en") -> ReportTable:
        """The channels the money moves between: yearly cost before and after, today's ROI, the
        elasticity used and its basis, the credited gross profit before and after (per year)."""
        lang = validate_language(language)
        per_year = 12.0 / max(self.months, 1)
        p = self.realloc.plan.copy()
        for c in ("cost", "new_cost", "change", "gross_profit", "new_gross_profit"):
            p[c] = p[c] * per_year
        p["channel"] = p["channel"].map(lambda c: channel_label(c, lang))
        p["role"] = p["role"].map(lambda r: _t(f"budget.role_{r}", lang))
        p["elasticity_basis"] = p["elasticity_basis"].map(lambda b: _t(f"budget.{b}", lang))
        return ReportTable(p, caption=_t("budget.caption", lang, basis=self._basis(lang),
                                         model=model_label(self.model, lang)),
                           formats={"cost": "money", "new_cost": "money", "change": "money",
                                    "roi": "pct", "elasticity": "float2",
                                    "gross_profit": "money", "new_gross_profit": "money"},
                           labels=dict(entry("attribution.money.budget.labels", lang)))

    def budget_text(self, language: str = "en") -> str:
        """The reallocation in words: what moves where, what it is expected to add per year with
        its interval, the proportional-returns figure and the assumption."""
        lang = validate_language(language)
        r = self.realloc
        if r is None or r.plan.empty or r.moved <= 0:
            return _t("budget.none", lang)
        per_year = 12.0 / max(self.months, 1)
        plan = r.plan
        names = lambda role: ", ".join(channel_label(c, lang) for c in  # noqa: E731
                                       plan.loc[plan["role"].eq(role), "channel"])
        money = lambda x: format_money(x * per_year, lang)  # noqa: E731
        interval = lambda lo, hi: (  # noqa: E731
            "" if not (np.isfinite(lo) and np.isfinite(hi)) else
            _t("budget.interval", lang, level=format_pct(r.level, lang, decimals=0),
               low=money(lo), high=money(hi)))
        out = _t("budget.text", lang, share=format_pct(r.share, lang, decimals=0),
                 donors=names("from"), recipients=names("to"), moved=money(r.moved),
                 gain=money(r.gain), interval=interval(r.gain_ci_low, r.gain_ci_high),
                 proportional=money(r.gain_proportional),
                 proportional_interval=interval(r.gain_proportional_ci_low,
                                                r.gain_proportional_ci_high),
                 basis=self._basis(lang), model=model_label(self.model, lang))
        if r.note == "capped":
            out += " " + _t("budget.capped", lang, requested=money(r.requested),
                            cap=format_pct(r.max_increase, lang, decimals=0))
        fitted = int(plan["elasticity_basis"].eq("fitted").sum())
        bounded = int(plan["elasticity_basis"].eq("bounded").sum())
        assumed = len(plan) - fitted - bounded
        key = "budget.assumption" if assumed else "budget.assumption_data"
        out += " " + _t(key, lang, n_fitted=fitted, n_bounded=bounded, n=len(plan),
                        elasticity=format_number(float(r.settings.get("elasticity", 0.5)), 2, lang)
                        if not isinstance(r.settings.get("elasticity"), dict) else "")
        return out

    # --- figures ----------------------------------------------------------------------------
    def plot_revenue_by_model(self, language: str = "en", ax: Any = None) -> Any:
        """GA4-style model comparison in money: credited revenue per channel, one bar per model
        side by side, bootstrap intervals as error bars (every model with draws)."""
        lang = validate_language(language)
        c = self.channels.loc[self.channels["model"].isin(self.shown_models)
                              & ~self.channels["channel"].isin(self._unallocated())]
        order = list(self._pivot("revenue").index)
        models = [m for m in self.shown_models if m in set(c["model"])]
        if ax is None:
            _, ax = plt.subplots(figsize=(8.5, max(4.0, 0.42 * len(order) * max(1, len(models))
                                                  / 2 + 1.5)))
        height = 0.8 / max(len(models), 1)
        y = np.arange(len(order))
        palette = plt.get_cmap("tab10")
        for i, m in enumerate(models):
            g = c.loc[c["model"].eq(m)].set_index("channel").reindex(order)
            x = g["revenue"].to_numpy(float)
            err = None
            if {"value_ci_low", "value_ci_high"} <= set(g.columns) and g["value_ci_low"].notna().any():
                err = np.vstack([np.clip(x - g["value_ci_low"].to_numpy(float), 0, None),
                                 np.clip(g["value_ci_high"].to_numpy(float) - x, 0, None)])
                err = np.nan_to_num(err)
            label = model_label(m, lang) + (" ★" if m == self.model else "")
            ax.barh(y + (i - (len(models) - 1) / 2) * height, np.nan_to_num(x), height,
                    xerr=err, capsize=2, color=palette(i % 10), label=label)
        ax.set_yticks(y, [channel_label(ch, lang) for ch in order])
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_money(v, lang)))
        ax.set_xlabel(_t("figure.revenue_axis", lang))
        ax.set_title(_t("figure.revenue_title", lang), fontsize=12)
        ax.legend(title=_t("figure.model", lang), fontsize=9)
        return ax

    def plot_spend_vs_credit(self, language: str = "en", ax: Any = None) -> Any:
        """Share of spend next to share of credited revenue per channel (credit interval as
        error bars), in one chart."""
        lang = validate_language(language)
        s = self.spend_credit
        if ax is None:
            _, ax = plt.subplots(figsize=(8.5, max(3.5, 0.5 * len(s) + 1.5)))
        y = np.arange(len(s))
        h = 0.38
        ax.barh(y - h / 2, s["spend_share"].to_numpy(float) * 100, h, color="#999999")
        cs = s["credit_share"].to_numpy(float) * 100
        err = None
        if s["credit_share_ci_low"].notna().any():
            err = np.nan_to_num(np.vstack([
                np.clip(cs - s["credit_share_ci_low"].to_numpy(float) * 100, 0, None),
                np.clip(s["credit_share_ci_high"].to_numpy(float) * 100 - cs, 0, None)]))
        colours = [TEAM_COLORS.get(t, "#7570b3") for t in s["team"]]
        ax.barh(y + h / 2, cs, h, xerr=err, capsize=2, color=colours)
        handles = [Patch(color="#999999", label=_t("figure.spend_share", lang))] + [
            Patch(color=TEAM_COLORS.get(t, "#7570b3"),
                  label=_t("figure.credit_share", lang, model=model_label(self.model, lang))
                  + f" · {team_label(t, lang)}")
            for t in dict.fromkeys(s["team"])]
        ax.set_yticks(y, [channel_label(c, lang) for c in s["channel"]])
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_pct(v / 100, lang,
                                                                           decimals=0)))
        ax.set_xlabel(_t("figure.share_axis", lang))
        ax.set_title(_t("figure.spend_credit_title", lang), fontsize=12)
        ax.legend(handles=handles, fontsize=9)
        return ax

    # --- what a notebook cell shows ---------------------------------------------------------
    def _show(self, section: str, language: str, on_gap: Any, body: Any) -> None:
        lang = validate_language(language)
        if not self.available:
            if on_gap is not None and self.gap is not None:
                on_gap(self.gap, _t(f"{section}.section", lang), lang)
            return
        body(lang)

    def show_reconciliation(self, language: str = "en", on_gap: Any = None) -> None:
        """The reconciled ROI table and the sentence on the two ROIs."""
        def body(lang: str) -> None:
            self.reconciliation_table(lang).show(lang)
            _markdown(self.reconciliation_text(lang))
        self._show("reconciliation", language, on_gap, body)

    def reconciliation_text(self, language: str = "en") -> str:
        """How to read the table: the team ROI on all costs, the channels' marginal ROI, and what
        the costs not tied to a channel are."""
        lang = validate_language(language)
        r = self.reconciliation
        parts = []
        for _, t in r.loc[r["kind"].eq("team_total")].iterrows():
            un = r.loc[r["kind"].eq("unallocated") & r["team"].eq(t["team"]), "cost"].sum()
            parts.append(_t("reconciliation.team", lang, team=team_label(t["team"], lang),
                            roi=format_pct(t["loaded_roi"], lang),
                            unallocated=format_money(un, lang),
                            share=format_pct(un / t["cost"] if t["cost"] else np.nan, lang,
                                             decimals=0)))
        return _t("reconciliation.text", lang, teams="; ".join(parts))

    def show_models(self, language: str = "en", on_gap: Any = None) -> None:
        """Money under every model: teams, then channels (revenue, marginal ROI), and the chart."""
        def body(lang: str) -> None:
            self.team_money_table(lang).show(lang)
            self.revenue_by_model_table(lang).show(lang)
            self.plot_revenue_by_model(lang)
            self.roi_by_model_table(lang).show(lang)
        self._show("models", language, on_gap, body)

    def show_spend_credit(self, language: str = "en", on_gap: Any = None) -> None:
        """Share of spend vs share of credit (chart and table) and cost per stage by channel."""
        def body(lang: str) -> None:
            self.plot_spend_vs_credit(lang)
            self.spend_credit_table(lang).show(lang)
            self.stage_cost_table(lang).show(lang)
        self._show("spend_credit", language, on_gap, body)

    def show_budget(self, language: str = "en", on_gap: Any = None) -> None:
        """The reallocation in words, its table and the response curves behind it."""
        def body(lang: str) -> None:
            _markdown(self.budget_text(lang))
            if self.realloc is not None and not self.realloc.plan.empty:
                self.budget_table(lang).show(lang)
            self.curves_table(lang).show(lang)
        self._show("budget", language, on_gap, body)


def _monthly_response(journeys: pd.DataFrame, channels: list[str]) -> pd.DataFrame:
    """Converted journeys that touched each channel, by month of conversion (the response the
    budget curves are fitted to: ``period, channel, y``)."""
    conv = journeys.loc[journeys["converted"].astype(bool) & journeys["conversion_at"].notna()]
    if conv.empty:
        return pd.DataFrame(columns=["period", "channel", "y"])
    period = (pd.to_datetime(conv["conversion_at"], utc=True).dt.tz_localize(None)
              .dt.to_period("M").dt.to_timestamp())
    steps = conv["path"].astype(str).str.split(" > ")
    long = pd.DataFrame({"period": period.to_numpy(), "channel": steps.to_numpy()}).explode(
        "channel")
    long = long.drop_duplicates().assign(y=1)
    long = long.loc[long["channel"].isin(channels)]
    return long.groupby(["period", "channel"], as_index=False)["y"].sum()


def money_views(report: Any, dataset: Any, *, attribution_model: str = "recommended",
                horizon: str | int = "auto", monthly_churn: float | None = 0.015,
                contract_months: float | None = 12.0, budget_share: float = 0.10,
                budget_channels: int = 2, elasticity: float = 0.5, max_increase: float = 0.5,
                shown_models: Any = None, lookback_days: int | None = None) -> MoneyViews:
    """Compute report 01's money sections from ``report`` (its credit, intervals and draws) and
    ``dataset`` (spend, opportunities, touchpoints).

    ``attribution_model``: ``"recommended"`` (report 01's recommended model; ``incremental`` when
    there is none) or a model name: the model whose credit the reconciliation, the spend vs
    credit view, the credited CAC and the budget move use. ``horizon`` / ``monthly_churn`` /
    ``contract_months``: the basis of every return (:func:`smlib.metrics.resolve_horizon`), as
    report 03. ``budget_share`` of the ``budget_channels`` lowest-return channels' budget moves to
    the highest-return ones (:func:`smlib.budget.reallocate`, ``elasticity`` where the data do not
    identify a curve, ``max_increase``). ``lookback_days``: the journey window of the first-touch
    counts (default: the journeys' own). ``shown_models``: the models of the side-by-side chart
    (default report 01's interval models, plus the model costs are judged by). Without spend, or without attribution, ``gaps`` says why
    and the sections show a "not available" box.
    """
    horizon = resolve_horizon(horizon, monthly_churn, contract_months)
    returns = dict(horizon=horizon, monthly_churn=monthly_churn, contract_months=contract_months)
    comp = report.comparison
    gaps: dict[str, DataGap] = {}
    if report.gap is not None:
        gaps["attribution"] = report.gap
    if not has_costs(dataset.spend):
        gaps["spend"] = catalogue_gap("no_spend", "overview.gap.no_spend",
                                      "overview.gap.spend_unlocks", "spend")
    models = [] if comp is None else list(dict.fromkeys(comp.credit["model"]))
    if attribution_model not in ("recommended", *models):
        raise ValueError(f"attribution_model must be 'recommended' or one of {models}, got "
                         f"{attribution_model!r}")
    if attribution_model != "recommended":
        model, basis = attribution_model, "named"
    elif report.recommended is not None:
        model, basis = report.recommended, "recommended"
    else:
        model = "incremental" if "incremental" in models else (models[0] if models else None)
        basis = "fallback"
    shown = tuple(dict.fromkeys([*(shown_models or report.shown_with_intervals or models[:4]),
                                 *([model] if model else [])]))
    views = MoneyViews(model=model, model_basis=basis, horizon=horizon, gaps=gaps,
                       shown_models=tuple(m for m in shown if m in models),
                       level=comp.level if comp is not None else 0.95)
    if gaps:
        return views
    spend = spend_on_credit_channels(dataset.spend, report.channel_teams)
    credit = credit_with_bounds(comp.credit, comp.intervals)
    opp = dataset.opportunities
    views.channels = channel_economics(credit, spend, opp, channel_teams=report.channel_teams,
                                       **returns)
    views.teams = team_economics(credit, spend, opp, channel_teams=report.channel_teams,
                                 draws=comp.draws or None, **returns)
    views.reconciliation = roi_reconciliation(views.channels, views.teams, model)
    views.spend_credit = spend_vs_credit(views.channels, model)
    lookback = int(lookback_days if lookback_days is not None else getattr(
        report.journeys, "lookback_days", config.DEFAULT_LOOKBACK_DAYS))
    stage = cost_per_stage(opp, dataset.touchpoints, spend, lookback)
    mine = views.channels.loc[views.channels["model"].eq(model)].set_index("channel")
    for src, dst in (("cac", "credited_cac"), ("cac_ci_low", "credited_cac_ci_low"),
                     ("cac_ci_high", "credited_cac_ci_high")):
        stage[dst] = stage["channel"].map(mine[src]) if src in mine.columns else np.nan
    views.stage_costs = stage.loc[~stage["channel"].isin(views._unallocated())].reset_index(
        drop=True)
    periods = pd.to_datetime(spend["period"]).dt.to_period("M")
    views.months = int(periods.nunique())
    direct = list(views.spend_credit["channel"])
    views.curves = response_curves(spend.loc[spend["channel"].isin(direct)],
                                   _monthly_response(report.journeys.journeys, direct))
    gp_per_revenue = float(revenue_months(horizon, monthly_churn, contract_months)
                           / (1.0 if contract_months is None else float(contract_months))
                           * mine["gross_margin"].iloc[0]) if len(mine) else np.nan
    draws = comp.draws.get(model)
    table = pd.DataFrame({"channel": mine.index, "cost": mine["cost"].to_numpy(float),
                          "gross_profit": mine["horizon_gross_profit"].to_numpy(float)})
    table = table.loc[table["channel"].isin(direct)]
    draw_frame = (pd.DataFrame(np.asarray(draws.value, float) * gp_per_revenue,
                               columns=list(draws.channels)) if draws is not None else None)
    views.realloc = reallocate(table, budget_share, n_channels=budget_channels,
                               elasticity=elasticity, curves=views.curves, draws=draw_frame,
                               max_increase=max_increase, level=views.level)
    return views
