"""Every attribution figure, and how models and channels are named in them and in report tables.

Figures: :func:`plot_share_heatmap` (credit shares by model × channel), :func:`plot_scores`
(distance from the simulator's truth), :func:`plot_team_credit` (credit by team) and
:func:`plot_credit_intervals` (shares with bootstrap intervals). Titles, axes and legends come from
the catalogue (``[attribution.plot]``); model, channel and team names from
:mod:`smlib.presentation.labels`, in the style the language's catalogue sets
(``attribution.names.style``: ``"id"`` = as in the data, ``"label"`` = display names).
matplotlib / seaborn are imported when a figure is drawn.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pandas as pd

from smlib.attribution.scoring import share_matrix
from smlib.attribution.teams import truth_team_credit
from smlib.presentation.catalogue import entry, text
from smlib.presentation.labels import TEAM_COLORS, channel_label, model_label, team_label
from smlib.presentation.numbers import format_pct, pct_axis
from smlib.presentation.settings import validate_language

__all__ = ["allocation_label", "channel_name", "model_name", "model_phrase", "names_are_labels",
           "plot_credit_intervals",
           "plot_scores", "plot_share_heatmap", "plot_team_credit"]



def names_are_labels(language: str) -> bool:
    """True when ``language`` names models and channels by their display names."""
    return entry("attribution.names.style", validate_language(language)) == "label"


def model_phrase(model: Any, language: str = "en") -> str:
    """A model as a sentence names it: English the id (``incremental``), Spanish its display name
    after "el modelo" (``de Markov``); the simulator's ``truth`` row as the catalogue says."""
    if str(model) == "truth":
        return text("attribution.names.truth", language)
    return model_label(str(model), language) if names_are_labels(language) else str(model)


def model_name(model: Any, language: str = "en") -> str:
    """A model as a report table or legend names it: its display name from the labels registry
    when the language's ``attribution.names.style`` is ``"label"`` (every report language now:
    ``first-touch``, ``primer contacto``, ``Markov``; ``truth`` → ``realidad``), else the id with
    spaces."""
    if names_are_labels(language):
        return model_phrase(model, language).removeprefix("de ")
    return str(model).replace("_", " ")


def channel_name(channel: Any, language: str = "en") -> str:
    """A channel as a report table names it: English as it is in the data, Spanish its display
    name (``sdr_call`` → ``llamadas SDR``; unknown channels with ``_`` as spaces)."""
    return channel_label(str(channel), language) if names_are_labels(language) else str(channel)


def allocation_label(allocation: str, language: str = "en") -> str:
    """How :func:`smlib.attribution.teams.team_rollup` split a model's credit by journey type
    (its ``allocation`` column) in ``language``: ``per-type runs + presence`` →
    ``ejecuciones por tipo de recorrido + presencia``."""
    names = entry("attribution.allocation", validate_language(language))
    return " + ".join(names.get(part, part) for part in str(allocation).split(" + "))


def plot_share_heatmap(credit_long: pd.DataFrame, truth_channel_effects: pd.DataFrame | None = None,
                       ax: Any = None, language: str = "en") -> Any:
    """Heatmap of credit shares (%) by model × channel; where models disagree stands out per column.

    Each cell is the model's share of credited conversions for the channel, in percent; a ``truth``
    row is added when the simulator's truth is given. Title, axes, models and channels in
    ``language``. Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    lang = validate_language(language)
    mat = share_matrix(credit_long, truth_channel_effects) * 100
    truth_row = list(mat.index).index("truth") if "truth" in mat.index else None
    if names_are_labels(lang):
        mat = mat.rename(index=lambda m: model_name(m, lang),
                         columns=lambda c: channel_name(c, lang))
    if ax is None:
        _, ax = plt.subplots(figsize=(1.0 + 0.75 * mat.shape[1], 0.9 + 0.45 * mat.shape[0]))
    # each cell with its unit ("23 %"), written as the text writes percentages
    cells = mat.astype(float).map(lambda v: format_pct(v / 100, lang, decimals=0)
                                  if np.isfinite(v) else "")
    sns.heatmap(mat, annot=cells.to_numpy(), fmt="", cmap="Blues",
                cbar_kws={"label": text("attribution.plot.heatmap_bar", lang)},
                linewidths=0.5, ax=ax)
    pct_axis(ax.collections[0].colorbar.ax, "y", lang, scale=100)
    ax.set_title(text("attribution.plot.heatmap_title", lang))
    ax.set_xlabel(text("attribution.plot.channel_axis", lang))
    ax.set_ylabel(text("attribution.plot.model_axis", lang))
    if truth_row is not None:  # frame the truth row
        ax.axhline(truth_row, color="black", lw=2)
        ax.axhline(truth_row + 1, color="black", lw=2)
    return ax


def plot_scores(scores: pd.DataFrame, ax: Any = None, language: str = "en") -> Any:
    """Horizontal bars: each model's distance from the true channel shares (TVD, %), best on top.

    Bars show ``tvd_channel`` × 100 — the percentage of credit placed on the wrong channels;
    a marker shows the team-level TVD when available. Title, axes and models in ``language``.
    Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt

    lang = validate_language(language)
    if "tvd_channel" not in scores.columns or "model" not in scores.columns:
        raise ValueError("scores: expected the output of score_against_truth (model, tvd_channel)")
    s = scores.sort_values("tvd_channel", ascending=False)
    names = (s["model"].map(lambda m: model_name(m, lang)) if names_are_labels(lang)
             else s["model"].astype(str))
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.8 + 0.4 * len(s)))
    ax.barh(names, s["tvd_channel"] * 100, color="#1f5c99",
            label=text("attribution.plot.scores_channels", lang))
    if "tvd_team" in s.columns and s["tvd_team"].notna().any():
        ax.scatter(s["tvd_team"] * 100, names, color="#d95f02", zorder=3,
                   label=text("attribution.plot.scores_teams", lang))
    ax.set_xlabel(text("attribution.plot.scores_axis", lang))
    pct_axis(ax, "x", lang, scale=100)
    ax.set_title(text("attribution.plot.scores_title", lang))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize="small",
              frameon=False)
    return ax


def plot_team_credit(team_credit: pd.DataFrame, truth_channel_effects: pd.DataFrame | None = None,
                     ax: Any = None, language: str = "en") -> Any:
    """Stacked bars: each model's share of credit by team (%), e.g. marketing vs sales.

    ``team_credit``: :func:`smlib.attribution.teams.team_rollup` output; with
    ``truth_channel_effects`` a ``truth`` bar (:func:`truth_team_credit`) is added. Teams are
    stacked in the order they appear. Title, axis, models and teams in ``language``. Returns the
    matplotlib Axes.
    """
    import matplotlib.pyplot as plt

    lang = validate_language(language)
    if truth_channel_effects is not None:
        team_credit = pd.concat([team_credit, truth_team_credit(truth_channel_effects)],
                                ignore_index=True)
    need = {"model", "team", "share"}
    if not need <= set(team_credit.columns):
        raise ValueError(f"team_credit: missing column(s) {sorted(need - set(team_credit.columns))}")
    mat = team_credit.pivot_table(index="model", columns="team", values="share", sort=False,
                                  aggfunc="sum") * 100
    mat = mat[list(dict.fromkeys(team_credit["team"]))]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.8 + 0.4 * len(mat)))
    left = np.zeros(len(mat))
    rows = ([model_name(m, lang) for m in mat.index] if names_are_labels(lang)
            else mat.index.astype(str))
    for team in mat.columns:
        ax.barh(rows, mat[team], left=left, label=team_label(str(team), lang),
                color=TEAM_COLORS.get(str(team)))
        left += mat[team].fillna(0).to_numpy()
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(text("attribution.plot.share_axis", lang))
    pct_axis(ax, "x", lang, scale=100)
    ax.set_title(text("attribution.plot.team_title", lang))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize="small",
              frameon=False)
    return ax


def plot_credit_intervals(intervals: pd.DataFrame, models: Iterable[str] | None = None,
                          ax: Any = None, language: str = "en") -> Any:
    """Dot-and-whisker plot: each model's share of credit per channel with its bootstrap interval.

    ``intervals``: the long interval table of
    :class:`smlib.analyses.attribution_comparison.AttributionComparison` (model, channel, share,
    share_ci_low, share_ci_high). ``models`` limits and orders the models shown. Shares in
    percent. Title, axes, models and channels in ``language``.
    """
    import matplotlib.pyplot as plt

    lang = validate_language(language)
    need = {"model", "channel", "share", "share_ci_low", "share_ci_high"}
    if not need <= set(intervals.columns):
        raise ValueError(f"intervals: missing column(s) {sorted(need - set(intervals.columns))}")
    shown = list(models) if models is not None else list(dict.fromkeys(intervals["model"]))
    data = intervals[intervals["model"].isin(shown)]
    channels = sorted(data["channel"].unique())
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.6 + 0.45 * len(channels) * max(1, len(shown)) ** 0.5))
    step = 0.8 / max(1, len(shown))
    labels = names_are_labels(lang)
    for k, model in enumerate(shown):
        d = data[data["model"] == model].set_index("channel").reindex(channels)
        y = np.arange(len(channels)) + (k - (len(shown) - 1) / 2) * step
        err = np.vstack([d["share"] - d["share_ci_low"], d["share_ci_high"] - d["share"]]) * 100
        ax.errorbar(d["share"] * 100, y, xerr=np.clip(err, 0, None), fmt="o", ms=4, capsize=2,
                    label=model_name(model, lang) if labels else str(model))
    ax.set_yticks(np.arange(len(channels)), [channel_name(c, lang) for c in channels])
    ax.invert_yaxis()
    ax.set_xlabel(text("attribution.plot.intervals_axis", lang))
    pct_axis(ax, "x", lang, scale=100)
    ax.set_title(text("attribution.plot.intervals_title", lang))
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return ax
