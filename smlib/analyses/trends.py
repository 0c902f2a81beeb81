"""Report 00's trend and pipeline sections: revenue, pipeline created, deals won and CAC by quarter
and team; the open pipeline sourced and influenced by each team and channel with its expected
value; and how fast each channel's leads move through the funnel.

:func:`pipeline_trends` computes them once from a :class:`smlib.io.Dataset` and returns a
:class:`PipelineTrends` whose tables and figures the notebook shows. The science is in
:func:`smlib.metrics.quarterly_trends` and :mod:`smlib.pipeline` (definitions and assumptions in
docs/money-views.md); every word is in the catalogue under ``[overview.trends]``.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from smlib import config
from smlib.gaps import DataGap, catalogue_gap
from smlib.metrics import has_costs, quarterly_trends
from smlib.pipeline import funnel_speed, open_pipeline, pipeline_by_source
from smlib.presentation.catalogue import entry, text
from smlib.presentation.labels import TEAM_COLORS, channel_label, stage_label, team_label
from smlib.presentation.numbers import format_money, format_number, format_pct
from smlib.presentation.settings import validate_language
from smlib.presentation.tables import ReportTable

__all__ = ["PipelineTrends", "pipeline_trends"]

#: Line colour of the company total in the trend charts.
_ALL_COLOUR = "#444444"


def _t(key: str, language: str, **values: Any) -> str:
    return text(f"overview.trends.{key}", language, **values)


def _markdown(body: str) -> None:
    """Display Markdown in a notebook (IPython imported here: smlib must not need it to import)."""
    from IPython.display import Markdown, display

    display(Markdown(textwrap.dedent(body).strip("\n")))


def _team_name(team: Any, language: str) -> str:
    if team == "all":
        return _t("all_teams", language)
    if team == "none":
        return _t("no_source", language)
    return team_label(team, language)


def _channel_name(channel: Any, language: str) -> str:
    return _t("no_source", language) if channel == "none" else channel_label(channel, language)


@dataclass
class PipelineTrends:
    """Report 00's trend and pipeline sections (:func:`pipeline_trends`).

    Attributes:
        trends: :func:`smlib.metrics.quarterly_trends` (None without opportunities).
        pipeline: :func:`smlib.pipeline.open_pipeline` (one row per open deal; may be empty).
        by_team, by_channel: :func:`smlib.pipeline.pipeline_by_source`.
        speed: :func:`smlib.pipeline.funnel_speed`.
        gaps: what the data lack, by section (``trends``, ``pipeline``, ``speed``).
        has_spend: whether CAC can be shown.
        pipeline_note: "" or why open deals could not be valued.
    """

    trends: pd.DataFrame | None = None
    pipeline: pd.DataFrame | None = None
    by_team: pd.DataFrame | None = None
    by_channel: pd.DataFrame | None = None
    speed: pd.DataFrame | None = None
    gaps: dict[str, DataGap] = field(default_factory=dict)
    has_spend: bool = False
    pipeline_note: str = ""

    @property
    def quarters(self) -> list[str]:
        """The quarters of the trend table, oldest first."""
        return [] if self.trends is None else sorted(self.trends["quarter"].unique())

    # --- trends -----------------------------------------------------------------------------
    def trends_text(self, language: str = "en") -> str:
        """One sentence: the quarters covered, or why there is no trend to draw."""
        lang = validate_language(language)
        q = self.quarters
        if len(q) == 1:
            return _t("single_quarter", lang, quarter=q[0])
        text_ = _t("quarters", lang, n=len(q), first=q[0], last=q[-1])
        if not self.has_spend:
            text_ += " " + _t("no_spend_cac", lang)
        return text_

    def trends_table(self, language: str = "en") -> ReportTable:
        """The company's figures per quarter (the ``all`` rows, or the only team there is)."""
        lang = validate_language(language)
        t = self.trends
        rows = t.loc[t["team"].eq("all")] if t["team"].eq("all").any() else t
        cols = ["quarter", "revenue", "revenue_ci_low", "revenue_ci_high", "deals_won",
                "new_customers", "opportunities_created"]
        if self.has_spend:
            cols += ["cost", "cac", "cac_ci_low", "cac_ci_high"]
        formats = {"quarter": "text", "revenue": "money", "deals_won": "int",
                   "new_customers": "int", "opportunities_created": "int", "cost": "money",
                   "cac": "money"}
        intervals = {"revenue": ("revenue_ci_low", "revenue_ci_high"),
                     "cac": ("cac_ci_low", "cac_ci_high")}
        return ReportTable(rows[cols].reset_index(drop=True), caption=_t("table_caption", lang),
                           formats={k: v for k, v in formats.items() if k in cols},
                           labels=dict(entry("overview.trends.labels", lang)),
                           intervals={k: v for k, v in intervals.items() if k in cols})

    def plot_trends(self, language: str = "en") -> Any:
        """Revenue, opportunities created, deals won and CAC by quarter, one line per team and
        the company; None with fewer than two quarters (:meth:`trends_text` says so)."""
        lang = validate_language(language)
        if self.trends is None or len(self.quarters) < 2:
            return None
        panels = [("revenue", "money"), ("opportunities_created", "int"), ("deals_won", "int")]
        if self.has_spend:
            panels.append(("cac", "money"))
        fig, axes = plt.subplots(1, len(panels), figsize=(3.4 * len(panels) + 1, 3.8),
                                 squeeze=False)
        q = self.quarters
        x = np.arange(len(q))
        for ax, (col, kind) in zip(axes[0], panels):
            for team, g in self.trends.groupby("team", sort=False):
                g = g.set_index("quarter").reindex(q)
                colour = _ALL_COLOUR if team == "all" else TEAM_COLORS.get(team, "#7570b3")
                ax.plot(x, g[col].to_numpy(float), marker="o", markersize=3, color=colour,
                        linestyle="--" if team == "all" else "-", label=_team_name(team, lang))
            ax.set_title(_t(f"panel.{col}", lang), fontsize=11)
            step = max(1, len(q) // 6)
            ax.set_xticks(x[::step], [q[i] for i in range(0, len(q), step)], rotation=45,
                          ha="right", fontsize=8)
            if kind == "money":
                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_money(v, lang)))
            else:
                ax.yaxis.set_major_formatter(FuncFormatter(
                    lambda v, _: format_number(v, 0, lang)))
            ax.set_ylim(bottom=0)
        axes[0][0].legend(fontsize=8)
        fig.suptitle(_t("figure_title", lang), fontsize=12)
        fig.tight_layout()
        return axes[0]

    # --- pipeline ---------------------------------------------------------------------------
    def pipeline_text(self, language: str = "en") -> str:
        """The open pipeline in one paragraph: deals, value, expected value with its interval,
        how many values are imputed; or that no deal is open."""
        lang = validate_language(language)
        if self.pipeline_note:
            return _t("pipeline_unvalued", lang)
        p = self.pipeline
        if p is None or p.empty:
            return _t("no_open", lang)
        imputed = int(p["amount_basis"].eq("median_won").sum())
        out = _t("pipeline_total", lang, n=format_number(len(p), 0, lang),
                 value=format_money(p["amount"].sum(), lang),
                 expected=format_money(p["expected_value"].sum(), lang),
                 low=format_money(p["expected_ci_low"].sum(), lang),
                 high=format_money(p["expected_ci_high"].sum(), lang))
        if imputed:
            out += " " + _t("pipeline_imputed", lang, n=imputed,
                            share=format_pct(imputed / len(p), lang, decimals=0))
        return out

    def _source_table(self, frame: pd.DataFrame, by: str, language: str) -> ReportTable:
        lang = validate_language(language)
        f = frame.copy()
        f[by] = f[by].map(lambda v: _team_name(v, lang) if by == "team"
                          else _channel_name(v, lang))
        return ReportTable(f, caption=_t(f"source_caption_{by}", lang),
                           formats={by: "text", "sourced_deals": "int", "sourced_value": "money",
                                    "sourced_expected": "money", "influenced_deals": "int",
                                    "influenced_value": "money",
                                    "influenced_expected": "money"},
                           labels=dict(entry("overview.trends.source_labels", lang))
                           | {by: _t(f"label_{by}", lang)})

    def team_pipeline_table(self, language: str = "en") -> ReportTable:
        """Sourced vs influenced open pipeline by team."""
        return self._source_table(self.by_team, "team", language)

    def channel_pipeline_table(self, language: str = "en") -> ReportTable:
        """Sourced vs influenced open pipeline by channel."""
        return self._source_table(self.by_channel, "channel", language)

    def plot_pipeline(self, language: str = "en") -> Any:
        """Expected value of the open pipeline each channel sourced and influenced (bars)."""
        lang = validate_language(language)
        c = self.by_channel
        if c is None or c.empty:
            return None
        c = c.sort_values("influenced_expected", ascending=True)
        fig, ax = plt.subplots(figsize=(8.0, max(3.0, 0.45 * len(c) + 1.2)))
        # sourced / influenced are not teams: greys, so no team colour means two things
        y = np.arange(len(c))
        ax.barh(y + 0.2, c["sourced_expected"], 0.4, color="#4d4d4d",
                label=_t("sourced", lang))
        ax.barh(y - 0.2, c["influenced_expected"], 0.4, color="#bdbdbd",
                label=_t("influenced", lang))
        ax.set_yticks(y, [_channel_name(ch, lang) for ch in c["channel"]])
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_money(v, lang)))
        ax.set_xlabel(_t("expected_axis", lang))
        ax.set_title(_t("pipeline_title", lang), fontsize=12)
        ax.legend(fontsize=9)
        fig.tight_layout()
        return ax

    # --- speed ------------------------------------------------------------------------------
    def speed_table(self, language: str = "en") -> ReportTable:
        """Median days of each funnel step (columns) by sourcing channel (rows), with counts."""
        lang = validate_language(language)
        s = self.speed.assign(step=lambda d: d["from_stage"] + "→" + d["to_stage"])
        steps = list(dict.fromkeys(s["step"]))
        wide = s.pivot_table(index="channel", columns="step", values="median_days",
                             aggfunc="first").reindex(columns=steps)
        n = s.pivot_table(index="channel", columns="step", values="n", aggfunc="first")
        wide["n_leads"] = n.max(axis=1).astype(int)
        frame = wide.reset_index()
        frame["channel"] = frame["channel"].map(lambda c: _channel_name(c, lang))
        labels = {st: " → ".join(stage_label(x, lang) for x in st.split("→"))
                  for st in steps} | {"channel": _t("label_channel", lang),
                                      "n_leads": _t("speed_n", lang)}
        return ReportTable(frame, caption=_t("speed_caption", lang),
                           formats={st: "float1" for st in steps} | {"n_leads": "int"},
                           labels=labels)

    # --- what a notebook cell shows ---------------------------------------------------------
    def _gap_or(self, section: str, language: str, on_gap: Any) -> bool:
        gap = self.gaps.get(section)
        if gap is not None and on_gap is not None:
            on_gap(gap, _t(f"{section}_section", language), language)
        return gap is None

    def show_trends(self, language: str = "en", on_gap: Any = None) -> None:
        """The trend sentence, the chart (two quarters or more) and the company table."""
        lang = validate_language(language)
        if not self._gap_or("trends", lang, on_gap):
            return
        _markdown(self.trends_text(lang))
        self.plot_trends(lang)
        self.trends_table(lang).show(lang)

    def show_pipeline(self, language: str = "en", on_gap: Any = None) -> None:
        """The open pipeline: its total, sourced vs influenced by team and channel, the chart."""
        lang = validate_language(language)
        if not self._gap_or("pipeline", lang, on_gap):
            return
        _markdown(self.pipeline_text(lang))
        if self.pipeline is not None and not self.pipeline.empty and not self.pipeline_note:
            self.team_pipeline_table(lang).show(lang)
            self.channel_pipeline_table(lang).show(lang)
            self.plot_pipeline(lang)

    def show_speed(self, language: str = "en", on_gap: Any = None) -> None:
        """Days between funnel stages by channel (or why not)."""
        lang = validate_language(language)
        if not self._gap_or("speed", lang, on_gap):
            return
        if self.speed is None or self.speed.empty:
            _markdown(_t("no_speed", lang))
            return
        self.speed_table(lang).show(lang)


def pipeline_trends(dataset: Any, lookback_days: int | None = None) -> PipelineTrends:
    """Compute report 00's trend and pipeline sections on ``dataset`` (a
    :class:`smlib.io.Dataset`): quarterly trends by team (CAC only with spend), the open pipeline
    and its sourced / influenced split by team and channel, funnel speed by channel (journey
    window ``lookback_days``, default :data:`smlib.config.DEFAULT_LOOKBACK_DAYS`). Without
    opportunities every section is a gap; open deals that cannot be valued (no amount and no won
    deal) are said so, not guessed."""
    lookback = config.DEFAULT_LOOKBACK_DAYS if lookback_days is None else int(lookback_days)
    opp, tp = dataset.opportunities, dataset.touchpoints
    out = PipelineTrends(has_spend=has_costs(dataset.spend))
    if opp is None or opp.empty:
        gap = catalogue_gap("no_opportunities", "overview.gap.no_opportunities",
                            "overview.gap.funnel_unlocks", "opportunities")
        out.gaps = {"trends": gap, "pipeline": gap, "speed": gap}
        return out
    out.trends = quarterly_trends(opp, dataset.spend if out.has_spend else None)
    if out.trends.empty:
        out.trends = None
        out.gaps["trends"] = catalogue_gap("no_wins", "data_warnings.gap.no_wins",
                                           "overview.trends.trends_unlocks", "opportunities")
    try:
        out.pipeline = open_pipeline(opp)
    except ValueError as exc:  # open deals, no amount and nothing ever won: no basis
        out.pipeline, out.pipeline_note = None, str(exc)
    if out.pipeline is not None and not out.pipeline.empty:
        out.by_team = pipeline_by_source(opp, tp, lookback, by="team")
        out.by_channel = pipeline_by_source(opp, tp, lookback, by="channel")
    out.speed = funnel_speed(opp, tp, lookback)
    return out
