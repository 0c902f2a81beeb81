"""The figures of reports 00 and 03: one seaborn/matplotlib figure per function, each returning
its Axes with a title and units, every word from the text catalogue (``[overview.figure]`` and
``[executive.figure]``) in the report's ``language``, money in the report's currency.

Every axis is labelled by the numbers module's tick formatters (``$100k``, ``$1.2M``, ``25 %``,
``12,000``: :func:`smlib.presentation.numbers.money_axis` / ``pct_axis`` / ``number_axis``), never
with an offset or raw digits; teams take :data:`smlib.presentation.labels.TEAM_COLORS`.

Report 00 (data overview): :func:`plot_funnel_counts`, :func:`plot_journey_mix`,
:func:`plot_journey_lengths`, :func:`plot_spend`, :func:`plot_monthly_spend`. Report 03 (KPIs of
:mod:`smlib.metrics`): :func:`plot_model_comparison`, :func:`plot_team_roi`, :func:`plot_funnel`,
:func:`plot_cac_by_period`. Readable in print: large fonts, colour-blind-safe palettes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm

from smlib.journeys import JOURNEY_TYPES
from smlib.metrics import STAGES, compare_models
from smlib.presentation.catalogue import entry, text
from smlib.presentation.labels import (TEAM_COLORS, TYPE_COLORS, channel_label,
                                       journey_type_label, model_label, stage_label, team_label)
from smlib.presentation.numbers import (format_number, format_pct, money_axis, number_axis,
                                        pct_axis)
from smlib.presentation.settings import currency_symbol, money_unit, validate_language

__all__ = ["funnel_marks", "plot_cac_by_period", "plot_funnel", "plot_funnel_counts",
           "plot_journey_lengths", "plot_journey_mix", "plot_model_comparison",
           "plot_monthly_spend", "plot_spend", "plot_team_roi"]

def _ov(key: str, language: str, **values: Any) -> str:
    return text(f"overview.figure.{key}", language, **values)


def _short_basis(horizon: Any, language: str) -> str:
    """The basis of the returns in a figure title (the words of report 03's headline items)."""
    if horizon in ("lifetime", "first_contract"):
        return text(f"executive.basis.short_{horizon}", language)
    return text("executive.basis.short_months", language, months=f"{int(horizon)}")


def _fig_text(language: str, table: pd.DataFrame | None = None) -> dict[str, str]:
    """Report 03's figure texts, money in the report's currency, returns on the basis (horizon)
    of ``table`` (a metrics table with a ``horizon`` column; the first contract without one)."""
    lang = validate_language(language)
    symbol = currency_symbol(language=lang)
    horizon = (table["horizon"].iloc[0] if table is not None and "horizon" in table
               and len(table) else "first_contract")
    basis = _short_basis(horizon, lang)
    return {k: text(f"executive.figure.{k}", lang, currency=symbol, basis=basis)
            for k in entry("executive.figure", lang)}


def _require(df: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; found {list(df.columns)}")


# --------------------------------------------------------------------------------------------
# report 00: the data overview
# --------------------------------------------------------------------------------------------
def _axes(ax: Axes | None, size: tuple[float, float] = (8, 4)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _relabel_legend(ax: Axes, name: Callable[[str], str], title: str | None = None) -> None:
    """Rename the entries (and title) of a seaborn legend for the report's language."""
    legend = ax.get_legend()
    if legend is None:
        return
    for text in legend.get_texts():
        text.set_text(name(text.get_text()))
    if title is not None:
        legend.set_title(title)


def plot_funnel_counts(funnel: pd.DataFrame, ax: Axes | None = None, language: str = "en") -> Axes:
    """Bar chart of leads reaching each stage (from
    :func:`smlib.analyses.overview.funnel_counts`, optionally by group); title, axes, stages and
    teams in ``language``."""
    lang = validate_language(language)
    ax = _axes(ax)
    group = next((c for c in funnel.columns if c not in {
        "stage", "reached", "share_of_leads", "ci_low", "ci_high"}), None)
    data = funnel.assign(stage=funnel["stage"].map(lambda v: stage_label(v, lang)))
    order = [stage_label(v, lang) for v in STAGES]
    hue_order = sorted(data[group].astype(str).unique()) if group else None
    if group:
        data = data.assign(**{group: data[group].astype(str)})
    sns.barplot(data=data, x="stage", y="reached", hue=group, hue_order=hue_order, ax=ax,
                order=order, palette=TEAM_COLORS if group == "source_team" else None,
                saturation=1)  # the registry's colours as they are (seaborn dims them by default)
    # a stage a group skips (nobody reached it, yet some reached a later stage: sales-sourced
    # leads never become MQLs) is marked "n/a", not read as an empty bar
    skipped = 0
    for k, name in enumerate(hue_order or []):
        reached = (data.loc[data[group].eq(name)].set_index("stage")["reached"]
                   .reindex(order).fillna(0).to_numpy(dtype=float))
        later = np.maximum.accumulate(reached[::-1])[::-1]  # most reached at this stage or after
        for j in np.flatnonzero((reached == 0) & (np.r_[later[1:], 0] > 0)):
            bar = ax.containers[k][j]
            ax.text(bar.get_x() + bar.get_width() / 2, 0, text("presentation.figure.not_applicable",
                    lang), ha="center", va="bottom", fontsize=9, color="#333333")
            skipped += 1
    if skipped:
        ax.figure.text(0.01, -0.02, text("presentation.figure.not_applicable_note", lang),
                       ha="left", va="top", fontsize=8, color="#444444")
    _relabel_legend(ax, lambda t: team_label(t, lang),
                    _ov("source_team", lang) if group == "source_team" else None)
    _ = ax.set_title(_ov("funnel_title", lang))
    _ = ax.set(xlabel=_ov("funnel_x", lang), ylabel=_ov("funnel_y", lang))
    number_axis(ax, "y", lang)
    return ax


def plot_journey_mix(mix: pd.DataFrame, ax: Axes | None = None, language: str = "en") -> Axes:
    """Share of journeys per composition with conversion rate labels (from ``journey_mix``);
    title, axes and compositions in ``language``."""
    lang = validate_language(language)
    ax = _axes(ax, (7, 3.5))
    sns.barplot(data=mix, x="journey_type", y="share", hue="journey_type", order=list(JOURNEY_TYPES),
                palette=TYPE_COLORS, legend=False, saturation=1, ax=ax)
    for i, row in mix.set_index("journey_type").reindex(list(JOURNEY_TYPES)).reset_index().iterrows():
        if row["journeys"] > 0:
            note = _ov("converts", lang, rate=format_pct(row["conversion_rate"], lang, decimals=0))
            _ = ax.annotate(note, (i, row["share"]), ha="center", va="bottom", fontsize=9)
    ax.set_xticks(range(len(JOURNEY_TYPES)), [journey_type_label(t, lang) for t in JOURNEY_TYPES])
    _ = ax.set_title(_ov("mix_title", lang))
    _ = ax.set(xlabel=_ov("mix_x", lang), ylabel=_ov("mix_y", lang))
    pct_axis(ax, "y", lang)
    return ax


def plot_journey_lengths(journeys: pd.DataFrame, ax: Axes | None = None,
                         max_touches: int = 30, language: str = "en") -> Axes:
    """Histogram of touches per journey by composition, converted or not (from ``.journeys``);
    title, axes and compositions in ``language``."""
    _require(journeys, ["n_touches", "journey_type"], "journeys")
    lang = validate_language(language)
    ax = _axes(ax)
    data = journeys.assign(n_touches=journeys["n_touches"].clip(upper=max_touches))
    sns.histplot(data=data, x="n_touches", hue="journey_type", hue_order=list(JOURNEY_TYPES),
                 palette=TYPE_COLORS, multiple="stack", discrete=True, ax=ax)
    _relabel_legend(ax, lambda t: journey_type_label(t, lang), _ov("journey", lang))
    _ = ax.set_title(_ov("lengths_title", lang, max=max_touches))
    _ = ax.set(xlabel=_ov("lengths_x", lang), ylabel=_ov("lengths_y", lang))
    number_axis(ax, "both", lang)
    return ax


def plot_spend(by_channel: pd.DataFrame, ax: Axes | None = None, language: str = "en") -> Axes:
    """Horizontal bars of total cost per channel, coloured by team (from
    :func:`smlib.analyses.overview.spend_by_channel`); title, axes, channels and teams in
    ``language``, money in the report's currency."""
    lang = validate_language(language)
    ax = _axes(ax, (8, 5))
    data = by_channel.assign(channel=by_channel["channel"].map(lambda c: channel_label(c, lang)))
    sns.barplot(data=data, y="channel", x="cost", hue="team", palette=TEAM_COLORS, dodge=False,
                saturation=1, ax=ax)
    _relabel_legend(ax, lambda t: team_label(t, lang), _ov("team", lang))
    _ = ax.set_title(_ov("spend_title", lang))
    _ = ax.set(xlabel=_ov("spend_x", lang, unit=money_unit("unit", language=lang)),
               ylabel=_ov("channel", lang))
    money_axis(ax, "x", lang)
    return ax


def plot_monthly_spend(monthly: pd.DataFrame, ax: Axes | None = None,
                       language: str = "en") -> Axes:
    """Line chart of monthly cost per team (from :func:`smlib.analyses.overview.monthly_spend`);
    title, axes and teams in ``language``, money in the report's currency."""
    lang = validate_language(language)
    ax = _axes(ax)
    sns.lineplot(data=monthly, x="period", y="cost", hue="team", palette=TEAM_COLORS, ax=ax)
    _relabel_legend(ax, lambda t: team_label(t, lang), _ov("team", lang))
    _ = ax.set_title(_ov("monthly_title", lang))
    _ = ax.set(xlabel=_ov("month", lang),
               ylabel=_ov("monthly_y", lang, unit=money_unit("unit", language=lang)))
    ax.set_ylim(bottom=0)  # costs are never negative
    money_axis(ax, "y", lang)
    return ax


# --------------------------------------------------------------------------------------------
# report 03: KPIs (ROI by channel and team, funnel conversion, CAC by period)
# --------------------------------------------------------------------------------------------

def plot_model_comparison(channel_table: pd.DataFrame, metric: str = "roi",
                          language: str = "en", ax: Any = None) -> Any:
    """Heatmap of a channel metric (default ROI, shown in %) across attribution models, so the
    reader sees how the budget story changes with the model. NaN cells (cannot be judged) are grey.
    The title names the basis of the returns (the table's ``horizon``). Returns the matplotlib
    Axes."""
    txt = _fig_text(language, channel_table)
    wide = compare_models(channel_table, metric)
    wide = wide.loc[~wide.isna().all(axis=1)]  # overhead rows: never judged by any model
    scale = 100.0 if metric == "roi" else 1.0
    data = wide * scale
    data.index = [channel_label(c, language) for c in data.index]
    data.columns = [model_label(m, language) for m in data.columns]
    if ax is None:
        _, ax = plt.subplots(figsize=(1.1 * len(data.columns) + 3, 0.45 * len(data) + 2))
    vals = data.to_numpy(dtype=float)
    vals = vals[np.isfinite(vals)]
    # ROI cannot fall below -100 %; two slopes keep losses red even when a cheap channel earns
    # thousands of percent (colours saturate at the 90th percentile of gains).
    lo = min(-1.0, float(vals.min())) if vals.size else -1.0
    hi = max(1.0, float(np.percentile(vals[vals > 0], 90))) if (vals > 0).any() else 1.0
    # every cell with its unit, written as the text writes it ("128 %", not "128")
    cells = data.astype(float).map(
        lambda v: "" if not np.isfinite(v) else (format_pct(v / 100, language)
                                                 if metric == "roi" else format_number(v, 0, language)))
    sns.heatmap(data.astype(float), ax=ax, cmap="RdBu", norm=TwoSlopeNorm(0.0, lo, hi),
                annot=cells.to_numpy(), fmt="", annot_kws={"fontsize": 8}, linewidths=0.5,
                linecolor="white", cbar_kws={"label": txt["roi_axis"] if metric == "roi" else metric})
    if metric == "roi":
        pct_axis(ax.collections[0].colorbar.ax, "y", language, scale=100)
    ax.set_facecolor("#d9d9d9")
    _ = ax.set_title(txt["roi_title"] if metric == "roi" else metric, fontsize=12)
    _ = ax.set_xlabel(txt["model"])
    _ = ax.set_ylabel(txt["channel"])
    _ = ax.set_xticklabels(ax.get_xticklabels(), rotation=35, ha="right")
    return ax


def plot_team_roi(team_table: pd.DataFrame, language: str = "en", ax: Any = None) -> Any:
    """Grouped bars: ROI (%) of marketing and sales under each attribution model, with the
    interval as error bars when the table has ``roi_ci_low``/``roi_ci_high``; the title names the
    basis of the returns (the table's ``horizon``)."""
    txt = _fig_text(language, team_table)
    t = team_table.loc[team_table["team"].isin(["marketing", "sales"])]
    models = list(dict.fromkeys(t["model"]))
    if ax is None:
        _, ax = plt.subplots(figsize=(max(7.0, 0.9 * len(models) + 3), 4.5))
    width = 0.38
    x = np.arange(len(models))
    for i, team in enumerate(("marketing", "sales")):
        colour = TEAM_COLORS[team]
        g = t.loc[t["team"].eq(team)].set_index("model").reindex(models)
        y = g["roi"].to_numpy(dtype=float) * 100
        err = None
        if {"roi_ci_low", "roi_ci_high"} <= set(g.columns):
            lo = np.clip(y - g["roi_ci_low"].to_numpy(dtype=float) * 100, 0, None)
            hi = np.clip(g["roi_ci_high"].to_numpy(dtype=float) * 100 - y, 0, None)
            err = np.vstack([np.nan_to_num(lo), np.nan_to_num(hi)])
        ax.bar(x + (i - 0.5) * width, np.nan_to_num(y), width, yerr=err, capsize=3, color=colour,
               label=team_label(team, language))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, [model_label(m, language) for m in models], rotation=35, ha="right")
    _ = ax.set_ylabel(txt["roi_axis"])
    pct_axis(ax, "y", language, scale=100)
    _ = ax.set_title(txt["team_title"], fontsize=12)
    ax.legend(title=txt["team"])
    return ax


def funnel_marks(stage_table: pd.DataFrame) -> pd.DataFrame:
    """How each step of a stage-conversion table is drawn: ``status`` ``"not_applicable"`` when
    nobody could enter the step (``n_from == 0``: sales-sourced leads never become MQLs, so both
    lead → MQL and MQL → SQL do not apply to them), ``"complete"`` when every record passed it
    (a 100 % step, which usually reflects how the data were recorded), else ``"rate"``. Adds the
    ``status`` column to a copy of :func:`smlib.metrics.stage_conversion`'s table."""
    _require(stage_table, ["from_stage", "to_stage", "n_from", "n_to", "rate"], "stage table")
    n_from = stage_table["n_from"].fillna(0).to_numpy(dtype=float)
    n_to = stage_table["n_to"].fillna(0).to_numpy(dtype=float)
    status = np.where(n_from <= 0, "not_applicable",
                      np.where(n_to >= n_from, "complete", "rate"))
    return stage_table.assign(status=status)


def plot_funnel(stage_table: pd.DataFrame, by: str | None = None, language: str = "en",
                ax: Any = None) -> Any:
    """Bars of stage conversion rates (%) with their Wilson intervals, from
    :func:`smlib.metrics.stage_conversion`; one colour per value of ``by`` (teams in
    :data:`~smlib.presentation.labels.TEAM_COLORS`, e.g. ``by="source_team"``) when given.

    A step that does not apply to a group (nobody entered it: sales-sourced leads skip the MQL
    stage) is drawn as an empty outlined bar marked "n/a", never as 0 %; a step every record
    passed (100 %) is marked "100 %*" and the figure notes why that is suspicious
    (:func:`funnel_marks`)."""
    lang = validate_language(language)
    txt = _fig_text(lang)
    words = entry("presentation.figure", lang)
    names = entry("executive.stage", lang)
    marked = funnel_marks(stage_table)
    t = marked.assign(stage=marked["from_stage"].map(names) + " → "
                      + marked["to_stage"].map(names))
    stages = list(dict.fromkeys(t["stage"]))
    groups = list(t.groupby(by, sort=True)) if by else [(None, t)]
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.8), layout="constrained")
    width = 0.8 / len(groups)
    x = np.arange(len(stages))
    others = [plt.get_cmap("tab10")(i) for i in range(10)]
    flagged = False
    for i, (name, g) in enumerate(groups):
        key = name[0] if isinstance(name, tuple) else name
        g = g.set_index("stage").reindex(stages)
        colour = TEAM_COLORS.get(str(key), others[i % len(others)])
        y = g["rate"].to_numpy(dtype=float) * 100
        status = g["status"].fillna("not_applicable").to_numpy()
        ok = status != "not_applicable"
        err = np.vstack([np.nan_to_num(y - g["ci_low"].to_numpy(dtype=float) * 100),
                         np.nan_to_num(g["ci_high"].to_numpy(dtype=float) * 100 - y)])
        xs = x + (i - (len(groups) - 1) / 2) * width
        ax.bar(xs[ok], y[ok], width, yerr=np.clip(err[:, ok], 0, None), capsize=3, color=colour,
               label=None if key is None else team_label(str(key), lang))
        for xi, st, yi in zip(xs, status, y):
            if st == "not_applicable":  # outlined, hatched, labelled: not a 0 % bar
                ax.bar(xi, 100, width, fill=False, hatch="//", edgecolor=colour, linewidth=0.8,
                       alpha=0.35)
                ax.text(xi, 50, words["not_applicable"], ha="center", va="center", fontsize=9,
                        color="#333333", bbox={"facecolor": "white", "edgecolor": "none"})
            elif st == "complete":
                flagged = True
                ax.text(xi, min(yi, 100) + 2, words["complete_mark"], ha="center", va="bottom",
                        fontsize=8, fontweight="bold")
    ax.set_xticks(x, stages, rotation=20, ha="right")
    ax.set_ylim(0, 112)
    _ = ax.set_ylabel(txt["rate_axis"])
    pct_axis(ax, "y", lang, scale=100)
    _ = ax.set_title(txt["funnel_title"], fontsize=12)
    notes = [words["not_applicable_note"]] if (marked["status"] == "not_applicable").any() else []
    if flagged:
        notes.append(words["complete_note"])
    if notes:
        ax.figure.text(0.01, -0.02, "\n".join(notes), ha="left", va="top", fontsize=8,
                       color="#444444", wrap=True)
    if by is not None:
        ax.legend(title=txt["source"])
    return ax


def plot_cac_by_period(cac_table: pd.DataFrame, period: str = "quarter", hue: str | None = None,
                       language: str = "en", ax: Any = None) -> Any:
    """Blended CAC (report currency per new customer) by period with its interval as a band, from
    :func:`smlib.metrics.blended_cac` grouped by ``period`` (and optionally ``hue``, e.g. ``regime``)."""
    txt = _fig_text(language)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    groups = cac_table.groupby(hue, sort=True) if hue else [(None, cac_table)]
    for name, g in groups:
        g = g.sort_values(period)
        x = g[period].astype(str)
        key = name[0] if isinstance(name, tuple) else name
        colour = TEAM_COLORS.get(str(key))  # teams in their colours; other groups: the cycle
        label = team_label(str(key), validate_language(language)) if colour else key
        line, = ax.plot(x, g["cac"], marker="o", label=label, color=colour)
        ax.fill_between(x, g["cac_ci_low"].astype(float), g["cac_ci_high"].astype(float),
                        alpha=0.2, color=line.get_color())
    _ = ax.set_ylabel(txt["cac_axis"])
    _ = ax.set_xlabel(txt["quarter"] if period == "quarter" else period)
    _ = ax.set_title(txt["cac_title"], fontsize=12)
    money_axis(ax, "y", language)
    ax.tick_params(axis="x", labelrotation=45)
    if hue:
        ax.legend()
    return ax
