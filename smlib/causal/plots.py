"""Every figure of the causal estimators, in every report language (texts: catalogue
``uplift.plot``): the naive comparisons, the propensity overlap of the doubly robust estimate, the
synthetic control's paths and gap, the event study / aggregations of Callaway & Sant'Anna, the
event studies of Sun & Abraham and imputation DiD, the Goodman-Bacon decomposition and synthetic
DiD.

Each result's ``.plot()`` calls the function here; the functions take the result object and read
only its attributes, so this module imports no estimator (and no estimator module imports
another's plotting).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from smlib.presentation.catalogue import entry, text
from smlib.presentation.numbers import (format_number, format_quantity, number_axis, pct_axis,
                                        value_axis)
from smlib.presentation.settings import validate_language

__all__ = ["bacon_plot", "components_plot", "event_study_plot", "event_time_plot", "honest_plot",
           "naive_plot", "outcome_name", "overlap_plot", "sdid_cohorts_plot", "sdid_plot",
           "synth_plot"]

#: The overlap band drawn on the propensity plot (the doubly robust estimator's default).
_BAND_STYLE = dict(color="grey", ls=":", lw=1)


def _axes(ax: Any, figsize: tuple[float, float]) -> Any:
    import matplotlib.pyplot as plt  # lazy: matplotlib is heavy and only needed to draw

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _four_digits(x: float, language: str) -> str:
    """``x`` to four significant figures as ``f"{x:,.4g}"`` writes it, with the separators of
    ``language`` (scientific notation, NaN and infinity as Python writes them)."""
    s = f"{x:.4g}"
    if "e" in s or "n" in s:
        return f"{x:,.4g}"
    return format_number(float(s), len(s.partition(".")[2]), language)


def outcome_name(outcome: str, language: str) -> str:
    """The outcome column in ``language`` (``revenue`` → ``ingresos``; other columns as they
    are)."""
    return entry("uplift.outcome", validate_language(language)).get(str(outcome), str(outcome))


def naive_plot(result: Any, ax: Any = None, language: str = "en") -> Any:
    """Horizontal bars of the naive estimates and diagnostics of a
    :class:`~smlib.causal.naive.NaiveResult` with their intervals; title, axis and row names in
    ``language``. Returns the axes."""
    language = validate_language(language)
    words = entry("uplift.plot.naive", language)
    t = result.to_frame()
    ax = _axes(ax, (8, 3))
    y = np.arange(len(t))[::-1]
    colors = ["tab:red" if b else "tab:grey" for b in t["biased"]]
    ax.barh(y, t["estimate"], color=colors, alpha=0.7)
    ax.errorbar(t["estimate"], y, xerr=[t["estimate"] - t["ci_low"], t["ci_high"] - t["estimate"]],
                fmt="none", color="black", capsize=3)
    ax.set_yticks(y, [words["rows"].get(m, m.replace("_", " ")) for m in t["method"]])
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel(text("uplift.plot.naive.xlabel", language,
                       outcome=outcome_name(result.outcome_label, language)))
    value_axis(ax, result.outcome_label, "x", language)
    ax.set_title(words["title"])
    return ax


def overlap_plot(result: Any, band: tuple[float, float], ax: Any = None,
                 language: str = "en") -> Any:
    """Histogram of the propensity score by arm of a
    :class:`~smlib.causal.dr.DoublyRobustResult` (overlap plot) with the ``band`` limits dotted;
    title, axes and legend in ``language``. Returns the axes."""
    language = validate_language(language)
    words = entry("uplift.plot.overlap", language)
    ax = _axes(ax, (7, 3.5))
    bins = np.linspace(0, 1, 41)
    for arm, val, color in ((words["treated"], 1, "tab:orange"), (words["control"], 0, "tab:blue")):
        n = int(np.sum(result.treatment == val))
        ax.hist(result.propensity[result.treatment == val], bins=bins, alpha=0.55, color=color,
                label=text("uplift.plot.overlap.arm", language, arm=arm,
                           n=format_number(n, 0, language)))
    for x in band:
        ax.axvline(x, **_BAND_STYLE)
    ax.set_xlabel(words["xlabel"])
    ax.set_ylabel(words["ylabel"])
    ax.set_title(text("uplift.plot.overlap.title", language, method=result.method,
                      estimand=result.estimand))
    ax.legend(frameon=False)
    return ax


def synth_plot(result: Any, kind: str = "gap", ax: Any = None, max_pre_ratio: float = 5.0,
               language: str = "en") -> Any:
    """A :class:`~smlib.causal.synth.SyntheticControlResult`: ``kind="gap"``, treated minus
    synthetic over time with the placebo gaps (units whose pre-period MSPE is ≤ ``max_pre_ratio`` ×
    the treated one, as ADH figs. 5–7) in grey; ``kind="paths"``, treated and synthetic outcome.
    Title, axes and legend in ``language``. Returns the axes."""
    language = validate_language(language)
    words = entry("uplift.plot.synth", language)
    outcome = outcome_name(result.outcome_label, language)
    unit = result.treated_unit
    ax = _axes(ax, (8, 4))
    p = result.path
    if kind == "paths":
        ax.plot(p["time"], p["treated"], color="black", lw=2, label=str(unit))
        ax.plot(p["time"], p["synthetic"], color="tab:red", ls="--", lw=2,
                label=words["synthetic"])
        ax.set_ylabel(outcome)
        ax.set_title(text("uplift.plot.synth.paths_title", language, unit=unit, outcome=outcome))
    elif kind == "gap":
        if result.placebo_gaps is not None and result.placebos is not None:
            pre = result.placebos.set_index("unit")["pre_mspe"]
            for u in result.placebo_gaps.columns:
                if u != unit and pre.get(u, np.inf) <= max_pre_ratio * result.pre_rmspe ** 2:
                    ax.plot(p["time"], result.placebo_gaps[u].to_numpy(), color="0.75", lw=0.8)
            ax.plot([], [], color="0.75", lw=0.8, label=words["placebo"])
        ax.plot(p["time"], p["gap"], color="black", lw=2, label=str(unit))
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_ylabel(text("uplift.plot.synth.gap_ylabel", language, outcome=outcome))
        ax.set_title(text("uplift.plot.synth.gap_title", language, unit=unit, outcome=outcome))
    else:
        raise ValueError(f"kind must be 'gap' or 'paths', got {kind!r}")
    ax.axvline(result.treatment_time, color="tab:blue", ls=":", lw=1.2, label=words["start"])
    ax.set_xlabel(text("uplift.plot.period", language))
    value_axis(ax, result.outcome_label, "y", language)
    if pd.api.types.is_datetime64_any_dtype(p["time"]):
        ax.tick_params(axis="x", labelrotation=30)
    ax.legend(frameon=False, fontsize=8)
    return ax


def components_plot(agg: Any, ax: Any = None, title: str | None = None,
                    xlabel: str | None = None, ylabel: str | None = None,
                    language: str = "en") -> Any:
    """The components of an :class:`~smlib.causal.staggered.AggregateResult` (event times,
    cohorts or periods) with pointwise intervals and, where computed, the simultaneous band;
    before-adoption event times in grey. Default texts in ``language``. Returns the axes."""
    language = validate_language(language)
    words = entry("uplift.plot.event", language)
    ax = _axes(ax, (8, 4.5))
    tab = agg.table
    if tab.empty:
        raise ValueError("the simple aggregation has no components to plot")
    x = tab.iloc[:, 0].to_numpy()
    est = tab["estimate"].to_numpy()
    is_event = agg.aggregation == "dynamic"
    pre = (x < 0) if is_event else np.zeros(len(x), dtype=bool)
    lvl = int(round(agg.level * 100))
    if np.isfinite(tab["band_low"]).any():
        ax.fill_between(x, tab["band_low"], tab["band_high"], color="tab:blue", alpha=0.15,
                        step=None, label=text("uplift.plot.event.band", language, lvl=lvl))
    low, high = tab["ci_low"].to_numpy(), tab["ci_high"].to_numpy()
    for mask, color, lab in ((pre, "tab:gray", words["before"]),
                             (~pre, "tab:blue", words["after"])):
        if mask.any():
            ax.errorbar(x[mask], est[mask], yerr=[est[mask] - low[mask], high[mask] - est[mask]],
                        fmt="o", color=color, capsize=3,
                        label=text("uplift.plot.event.pointwise", language, label=lab, lvl=lvl))
    ax.axhline(0, color="black", lw=0.8)
    if is_event:
        ax.axvline(-0.5, color="gray", ls="--", lw=0.8)
    _ = ax.set_title(title or text("uplift.plot.event.title_default", language,
                                   aggregation=agg.aggregation.capitalize()))
    _ = ax.set_xlabel(xlabel or agg.table.columns[0])
    _ = ax.set_ylabel(ylabel or words["ylabel_default"])
    number_axis(ax, "y", language)
    ax.legend(loc="best", fontsize="small")
    return ax


def event_study_plot(result: Any, ax: Any = None, title: str | None = None,
                     min_e: float = -np.inf, max_e: float = np.inf,
                     language: str = "en") -> Any:
    """Event-study plot of a :class:`~smlib.causal.staggered.StaggeredResult`: dynamic effects by
    periods since adoption.

    Points are ``theta(e)``, the average effect ``e`` periods after adoption (``e < 0``: before,
    grey — these should be near 0 if trends were parallel); bars are pointwise confidence
    intervals and the shaded area the simultaneous band. Title, axes and legend in ``language``.
    Returns the matplotlib Axes.

    Raises:
        ValueError: ``result`` is not a staggered DiD result, or an unknown language.
    """
    if not callable(getattr(result, "aggregate", None)) or not hasattr(result, "att_gt"):
        raise ValueError(f"event_study_plot needs a StaggeredResult, got {type(result).__name__}")
    language = validate_language(language)
    agg = result.aggregate("dynamic", min_e=min_e, max_e=max_e, na_rm=True)
    unit = result.details.get("period_unit", "periods")
    units = entry("uplift.plot.period_units", language).get(unit, unit)
    one = entry("uplift.plot.period_one", language).get(
        unit, unit[:-1] if unit.endswith("s") else unit)
    outcome = outcome_name(result.details.get("outcome", "outcome"), language)
    ax = components_plot(
        agg, ax=ax,
        title=title or text("uplift.plot.event.title", language, outcome=outcome, unit=units),
        xlabel=text("uplift.plot.event.xlabel", language, units=units.capitalize(), one=one),
        ylabel=text("uplift.plot.event.ylabel", language, outcome=outcome), language=language)
    value_axis(ax, result.details.get("outcome", "outcome"), "y", language)
    return ax


def event_time_plot(result: Any, ax: Any = None, title: str | None = None,
                    language: str = "en") -> Any:
    """Estimates and confidence intervals by period relative to adoption of an
    :class:`~smlib.causal.results.EventStudyResult` (Sun & Abraham, imputation, two-stage DiD);
    the result's ``reference_period`` (if any) is drawn hollow at zero. Default title: the
    result's method; axes in ``language``. Returns the matplotlib Axes."""
    words = entry("uplift.plot.event_time", validate_language(language))
    ax = _axes(ax, (7, 4))
    es = result.event_study
    ax.errorbar(es.event_time, es.estimate,
                yerr=[es.estimate - es.ci_low, es.ci_high - es.estimate], fmt="o", capsize=2)
    if result.reference_period is not None:
        ax.plot([result.reference_period], [0], "o", mfc="white", color="C0")
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(-0.5, color="grey", lw=0.8, ls="--")
    ax.set_xlabel(words["xlabel"])
    ax.set_ylabel(words["ylabel"])
    value_axis(ax, getattr(result, "details", {}).get("outcome", "outcome"), "y", language)
    ax.set_title(title or result.method)
    return ax


def bacon_plot(result: Any, types: tuple[str, ...] = (), ax: Any = None,
               language: str = "en") -> Any:
    """Each 2x2 comparison's estimate against its weight of a
    :class:`~smlib.causal.bacon.BaconResult`, one marker per comparison type (in the order of
    ``types``), with the TWFE coefficient as a dashed line; texts in ``language``. Returns the
    matplotlib Axes."""
    language = validate_language(language)
    words = entry("uplift.plot.bacon", language)
    ax = _axes(ax, (7, 4.5))
    markers = dict(zip(types, ("o", "s", "^", "D")))
    for kind, group in result.comparisons.groupby("type", sort=False):
        ax.scatter(group["weight"], group["estimate"], marker=markers.get(kind, "o"),
                   label=words["types"].get(kind, kind), alpha=0.8)
    ax.axhline(result.estimate, color="black", lw=1, ls="--",
               label=text("uplift.plot.bacon.twfe", language,
                          estimate=_four_digits(result.estimate, language)))
    ax.set_xlabel(words["xlabel"])
    ax.set_ylabel(words["ylabel"])
    pct_axis(ax, "x", language)  # weights are shares of the TWFE coefficient
    number_axis(ax, "y", language)
    ax.set_title(words["title"])
    ax.legend(fontsize=8)
    return ax


def sdid_plot(result: Any, ax: Any = None, language: str = "en") -> Any:
    """The treated mean against the (shifted) synthetic control path of a
    :class:`~smlib.causal.sdid.SyntheticDiDResult`, with the time weights as grey bars on a
    second axis; texts in ``language``. Returns the matplotlib Axes."""
    language = validate_language(language)
    words = entry("uplift.plot.sdid", language)
    ax = _axes(ax, (8, 4.5))
    tr = result.trajectories
    ax.plot(tr.index, tr["treated"], color="C1", lw=2, label=words["treated"])
    ax.plot(tr.index, tr["synthetic"], color="C0", lw=2, ls="--", label=words["synthetic"])
    ax.axvline(result.details["treatment_time"], color="grey", ls=":")
    lam = result.time_weights
    if lam.sum() > 0:
        ax2 = ax.twinx()
        ax2.bar(lam.index, lam.to_numpy(), color="grey", alpha=0.3,
                width=0.8 if not isinstance(lam.index, pd.DatetimeIndex) else 20)
        ax2.set_ylim(0, 4)
        ax2.set_yticks([])
    outcome = result.details.get("outcome", "outcome")
    value_axis(ax, outcome, "y", language)
    ax.set_title(text("uplift.plot.sdid.title", language,
                      estimate=format_quantity(result.estimate, outcome, language)))
    ax.legend(fontsize=8)
    return ax


def sdid_cohorts_plot(result: Any, ax: Any = None, language: str = "en") -> Any:
    """The cohort estimates of a
    :class:`~smlib.causal.sdid.StaggeredSyntheticDiDResult` with their intervals (marker size
    by weight) and the pooled estimate as a line; texts in ``language`` (catalogue
    ``uplift.plot.sdid_cohorts``). Returns the matplotlib Axes."""
    language = validate_language(language)
    words = entry("uplift.plot.sdid_cohorts", language)
    ax = _axes(ax, (8, 4.5))
    tab = result.cohorts
    x = np.arange(len(tab))
    est = tab["estimate"].to_numpy(dtype=float)
    lo, hi = tab["ci_low"].to_numpy(dtype=float), tab["ci_high"].to_numpy(dtype=float)
    lvl = int(round(result.level * 100))
    ax.errorbar(x, est, yerr=[est - lo, hi - est], fmt="none", color="C0", capsize=3)
    ax.scatter(x, est, s=30 + 300 * tab["weight"].to_numpy(dtype=float), color="C0", zorder=3,
               label=words["cohort"].format(lvl=lvl))
    ax.axhline(result.estimate, color="C1", lw=2, label=words["pooled"])
    ax.axhline(0, color="grey", lw=0.8)
    labels = [str(c.date()) if isinstance(c, pd.Timestamp) else str(c) for c in tab["cohort"]]
    ax.set_xticks(x, labels, rotation=45 if len(x) > 6 else 0)
    ax.set_xlabel(words["xlabel"])
    ax.set_ylabel(words["ylabel"])
    outcome = result.details.get("outcome", "outcome")
    value_axis(ax, outcome, "y", language)
    ax.set_title(text("uplift.plot.sdid_cohorts.title", language,
                      estimate=format_quantity(result.estimate, outcome, language)))
    ax.legend(fontsize=8)
    return ax


def honest_plot(result: Any, ax: Any = None, title: str | None = None,
                language: str = "en") -> Any:
    """Robust confidence sets of a :class:`~smlib.causal.honest.HonestResult` against ``M`` /
    ``Mbar``, with the original (parallel-trends) interval drawn left of the smallest value;
    texts in ``language`` (catalogue ``uplift.plot.honest``). Returns the matplotlib Axes."""
    words = entry("uplift.plot.honest", validate_language(language))
    ax = _axes(ax, (7, 4))
    r = result.robust
    m = r[result.parameter].to_numpy(dtype=float)
    step = float(np.diff(m).min()) if m.size > 1 else max(abs(float(m[0])), 1.0)
    x0 = float(m.min()) - step * 0.6
    ax.errorbar([x0], [result.estimate], yerr=[[result.estimate - result.ci_low],
                                               [result.ci_high - result.estimate]],
                fmt="o", capsize=3, color="C1", label=words["original"])
    mid = (r["lb"] + r["ub"]) / 2
    ax.errorbar(m, mid, yerr=[mid - r["lb"], r["ub"] - mid], fmt="none", capsize=3, color="C0",
                label=words["robust"].format(method=str(r["method"].iloc[0])))
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel(words[f"xlabel_{result.restriction}"])
    ax.set_ylabel(words["ylabel"].format(pct=int(round(result.level * 100))))
    number_axis(ax, "y", language)
    ax.set_title(title or words["title"])
    ax.legend()
    return ax
