"""Report 02's analysis: does integrating marketing and sales raise revenue, and by how much?

:func:`uplift_analysis` runs every estimator of :mod:`smlib.causal` that the data can support once
(naive comparisons, Callaway & Sant'Anna, TWFE, synthetic control, doubly robust and double ML on
accounts, robustness checks) and returns an :class:`UpliftAnalysis` that notebook 02 shows: its
headline, the verdict on the claimed uplift (:func:`verdict`, worded from the catalogue
``uplift.verdict``) and the report's readable tables
(:class:`smlib.presentation.tables.ReportTable`: :func:`naive_table`,
:func:`estimates_table`, :func:`robustness_table`, :func:`synth_table`, :func:`dr_tables`) and
forest plot (:func:`forest_plot`). The recommended estimator is chosen by stated rules
(:data:`ESTIMATOR_RULES`, :func:`choose_estimator`) and shown in a robustness panel beside Sun &
Abraham, imputation, synthetic DiD and TWFE with its Goodman-Bacon decomposition
(:func:`robustness_panel_table`, :meth:`UpliftAnalysis.robustness_plot`,
:meth:`UpliftAnalysis.bacon_sentence`, :meth:`UpliftAnalysis.honest_sentence`). Every text comes
from the catalogue area ``uplift`` (``smlib/presentation/locales/<language>.toml``).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from smlib.causal._panel import PanelSpec, integer_periods
from smlib.causal.bacon import ALREADY_TREATED, bacon_decomposition
from smlib.causal.claims import (CLAIM_FORMS, UpliftResult, check_claim, treated_mean,
                                 uplift_percent)
from smlib.causal.dr import OVERLAP_BAND, account_outcomes, dml_plr, doubly_robust
from smlib.causal.honest import EventStudyInputs, event_study_inputs, honest_did
from smlib.causal.imputation import imputation_did
from smlib.causal.naive import NaiveResult, naive_comparisons
from smlib.causal.results import EstimateResult
from smlib.causal.robustness import leave_one_cohort_out, placebo_dates, placebo_outcome
from smlib.causal.sdid import synthetic_did, synthetic_did_staggered
from smlib.causal.staggered import staggered_did
from smlib.causal.sunab import sun_abraham
from smlib.causal.synth import synthetic_control_panel
from smlib.causal.twfe import twfe_did
from smlib.data_warnings import FALLBACK_LANGUAGE, DataWarning, collect_warnings
from smlib.gaps import ROLLOUT_REPORT, DataGap, GapText, account_gap, contract_ref, panel_gap
from smlib.presentation import settings
from smlib.presentation.catalogue import entry, has, text
from smlib.presentation.numbers import format_money, format_month, format_number, format_pct
from smlib.presentation.settings import validate_language
from smlib.presentation.tables import ReportTable
from smlib.simulate.truth import has_truth, load_truth

__all__ = ["ESTIMATOR_RULES", "EstimatorChoice", "FEW_TREATED", "GOOD_FIT", "HONEST_MBAR",
           "HONEST_WINDOW", "PANEL_ESTIMATORS", "ROBUSTNESS_CHECKS", "UpliftAnalysis", "Verdict",
           "adoption_facts", "choose_estimator",
           "compare_estimates", "dr_tables", "estimate_label", "estimate_uplift",
           "estimates_table", "forest_plot", "naive_table", "p_value_text", "PRETREND_WINDOW",
           "pretrend_p_value", "uplift_value",
           "robustness_panel_table", "robustness_table", "synth_table", "uplift_analysis",
           "verdict", "verdict_from_result"]


# --- numbers in the report's words ----------------------------------------------------------------

def _fixed(x: float, decimals: int, language: str) -> str:
    """``x`` with ``decimals`` decimals and the language's decimal mark, no thousands separator."""
    mark = format_number(1.5, 1, language)[1]
    return f"{x:.{decimals}f}".replace(".", mark)


def _pct1(x: float, language: str) -> str:
    """A fraction as a percentage with one decimal, as the verdicts write it: ``8.0 %``/``8,0 %``."""
    return _fixed(x * 100, 1, language) + " %"


def _general(x: float, language: str) -> str:
    """``f"{x:g}"`` with the language's decimal mark (``0.05`` / ``0,05``)."""
    mark = format_number(1.5, 1, language)[1]
    return f"{x:g}".replace(".", mark)


def _interval(level: float, language: str = "en") -> str:
    """``95 % interval`` / ``intervalo del 95 %``."""
    return text("uplift.interval", language, level=_general(level * 100, language))


def _outcome_name(outcome: str, language: str) -> str:
    """The outcome in ``language`` (``revenue`` → ``ingresos``; other columns as they are)."""
    return entry("uplift.outcome", language).get(str(outcome), str(outcome))


def p_value_text(p: float, language: str = "en") -> str:
    """A p-value for readers: three decimals, ``<0.001`` below that, ``–`` when missing (decimal
    comma with ``language="es"``: ``0,041``, ``<0,001``)."""
    language = validate_language(language)
    if p is None or not np.isfinite(p):
        return "–"
    return "<" + _fixed(0.001, 3, language) if p < 0.0005 else _fixed(p, 3, language)


# --- verdict ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    """A verdict on a claimed uplift (:func:`smlib.causal.claims.check_claim`) in words.

    Attributes:
        code: the rule's code (:data:`smlib.causal.claims.CLAIM_CODES`: ``"overstated"``,
            ``"consistent"``, ``"exceeded"`` for a claim stated as a ceiling; ``"supports"``,
            ``"contradicts_smaller"``, ``"contradicts_larger"`` for a typical value; and for both
            ``"negative"``, ``"cannot_tell"``, ``"no_verdict"``).
        text: one or two plain sentences in the requested language.
        estimate_pct, ci_low, ci_high, claim: the numbers judged (fractions, 0.2 = 20 %).
        language: ``"en"`` or ``"es"``.
        reason: the case of the rule behind the code (``"below"``, ``"pretrend"``, ...).
        short: the verdict in a few words, for a headline block.
        claim_form: ``"up_to"`` or ``"typical"``.
    """

    code: str
    text: str
    estimate_pct: float
    ci_low: float
    ci_high: float
    claim: float
    language: str
    reason: str = ""
    short: str = ""
    claim_form: str = "up_to"

    def to_dict(self) -> dict[str, Any]:
        """The verdict as a plain dict (for a JSON headline)."""
        return dict(code=self.code, reason=self.reason, text=self.text, short=self.short,
                    estimate_pct=self.estimate_pct, ci_low=self.ci_low, ci_high=self.ci_high,
                    claim=self.claim, claim_form=self.claim_form, language=self.language)

    def __str__(self) -> str:
        return self.text


def verdict(
    estimate_pct: float,
    ci_low: float,
    ci_high: float,
    claim: float = 0.20,
    language: str = "en",
    max_width: float | None = None,
    level: float = 0.95,
    claim_form: str = "up_to",
    pretrend_p: float | None = None,
) -> Verdict:
    """Phrase an uplift estimate against a claimed uplift in plain language: the verdict of
    reports 02 and 03 (report 03 shows ``short`` in its headline block and ``text`` in full).

    The rule is :func:`smlib.causal.claims.check_claim` (one rule for every outcome: failed
    pre-trend check, effect below zero, interval spanning zero and the claim, too wide, below /
    within / above the claim, read for a claim stated as a ceiling or as a typical value); the
    words are the catalogue's ``uplift.verdict.<reason>`` (shared cases) or
    ``uplift.verdict.<claim_form>.<reason>``, and ``uplift.verdict_short`` likewise.

    Args:
        estimate_pct: the point estimate of the uplift (fraction of counterfactual).
        ci_low, ci_high: its interval.
        claim: the claimed uplift, > 0 (default 0.20).
        language: a report language (``"en"`` or ``"es"``).
        max_width: widest interval still judged; default ``claim``.
        level: coverage of the interval, only used in the wording.
        claim_form: ``"up_to"`` (default: "up to 20 %", a ceiling) or ``"typical"``.
        pretrend_p: p-value of the pre-trend test of the estimate's event study (None: none);
            below :data:`smlib.causal.claims.PRETREND_ALPHA` there is no verdict.

    Raises:
        ValueError: non-finite numbers, ``ci_low > estimate_pct`` or ``estimate_pct > ci_high``,
            ``claim <= 0``, an unknown ``claim_form`` or an unknown language.
    """
    check = check_claim(estimate_pct, ci_low, ci_high, claim=claim, max_width=max_width,
                        claim_form=claim_form, pretrend_p=pretrend_p)
    language = validate_language(language)
    shared = check.reason in ("pretrend", "negative", "span", "wide")
    key = check.reason if shared else f"{check.claim_form}.{check.reason}"
    values = dict(est=_pct1(check.estimate_pct, language), lo=_pct1(check.ci_low, language),
                  hi=_pct1(check.ci_high, language), claim=_pct1(check.claim, language),
                  lvl=int(round(level * 100)),
                  p=p_value_text(check.pretrend_p if check.pretrend_p is not None
                                 else float("nan"), language),
                  width=text("uplift.verdict.width", language,
                             value=_fixed(check.max_width * 100, 1, language)))
    words = text(f"uplift.verdict.{key}", language, **values)
    short = text(f"uplift.verdict_short.{key}", language, **values)
    return Verdict(code=check.code, text=words, estimate_pct=check.estimate_pct,
                   ci_low=check.ci_low, ci_high=check.ci_high, claim=check.claim,
                   language=language, reason=check.reason, short=short,
                   claim_form=check.claim_form)


def uplift_value(uplift: UpliftResult, language: str = "en") -> str:
    """The uplift with its interval as report 02's headline writes it (``8.8 % (95 % CI 6.7 %
    to 11.0 %)``); report 03 shows the same text."""
    language = validate_language(language)
    return text("uplift.headline.uplift_value", language, est=_pct1(uplift.estimate, language),
                lvl=int(round(uplift.level * 100)), lo=_pct1(uplift.ci_low, language),
                hi=_pct1(uplift.ci_high, language))


#: Months before integration whose event-study effects the pre-trend test behind the verdict
#: reads (:meth:`smlib.causal.staggered.StaggeredDiDResult.pretrend_test`; report 02 shows it).
PRETREND_WINDOW: int = 12


def pretrend_p_value(result: Any, window: int = PRETREND_WINDOW) -> float | None:
    """The p-value of the pre-trend test of a Callaway & Sant'Anna result (None when the result
    has no such test or the test is not available on this data)."""
    test = getattr(result, "pretrend_test", None)
    if test is None:
        return None
    try:
        p = float(test(window=window).p_value)
    except (ValueError, np.linalg.LinAlgError):
        return None
    return p if np.isfinite(p) else None


def verdict_from_result(result: UpliftResult, claim: float = 0.20, language: str = "en",
                        max_width: float | None = None, claim_form: str = "up_to",
                        pretrend_p: float | None = None) -> Verdict:
    """:func:`verdict` on an :class:`~smlib.causal.claims.UpliftResult` (estimate and interval
    taken from it)."""
    if not np.isfinite([result.estimate, result.ci_low, result.ci_high]).all():
        raise ValueError("the uplift result has a non-finite estimate or interval")
    return verdict(result.estimate, result.ci_low, result.ci_high, claim=claim,
                   language=language, max_width=max_width, level=result.level,
                   claim_form=claim_form, pretrend_p=pretrend_p)


# --- all estimates side by side -------------------------------------------------------------------

def compare_estimates(
    results: Mapping[str, Any],
    treated_means: Mapping[str, float] | None = None,
    truths: Mapping[str, float] | None = None,
    truths_pct: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """All estimates side by side, in outcome units and as uplift % of counterfactual.

    Args:
        results: label -> :class:`EstimateResult` (or a :class:`~smlib.causal.naive.NaiveResult`,
            expanded into its two naive rows, flagged ``biased``).
        treated_means: label -> observed mean outcome of that estimate's treated cells, used by
            :func:`~smlib.causal.claims.uplift_percent` for the percentage columns. A naive row
            uses its own groups: its % is difference / comparison-group mean, interval bounds
            divided by the same mean (as :meth:`smlib.causal.naive.NaiveResult.to_frame`).
        truths, truths_pct: label -> true effect in outcome units / as a fraction (simulated data).

    Returns:
        One row per estimate: label, method, estimand, estimate, std_error, ci_low, ci_high,
        p_value, pct, pct_ci_low, pct_ci_high, truth, truth_pct, covers_truth, biased.
    """
    treated_means, truths, truths_pct = dict(treated_means or {}), dict(truths or {}), dict(truths_pct or {})
    rows = []
    for label, res in results.items():
        items: list[tuple[str, EstimateResult, float | None, bool]] = []
        if isinstance(res, NaiveResult):
            for r in res.comparisons:
                items.append((f"{label}: {r.method.replace('_', ' ')}", r, None, True))
        elif isinstance(res, EstimateResult):
            items.append((label, res, treated_means.get(label), False))
        else:
            raise ValueError(f"results[{label!r}] must be an EstimateResult or NaiveResult, "
                             f"got {type(res).__name__}")
        for lab, r, m, biased in items:
            pct = (np.nan, np.nan, np.nan)
            base = r.details.get("comparison_mean") if biased else None
            if base:  # naive: a difference of two group means, as % of the comparison mean
                pct = (r.estimate / base, r.ci_low / base, r.ci_high / base)
            elif m is not None and np.isfinite([r.estimate, r.ci_low, r.ci_high]).all():
                try:
                    u = uplift_percent(r, treated_mean=m)
                    pct = (u.estimate, u.ci_low, u.ci_high)
                except ValueError:
                    pass  # e.g. an interval reaching the treated mean: no percentage
            truth = truths.get(label, np.nan)
            rows.append(dict(
                label=lab, method=r.method, estimand=r.estimand, estimate=r.estimate,
                std_error=r.std_error, ci_low=r.ci_low, ci_high=r.ci_high, p_value=r.p_value,
                pct=pct[0], pct_ci_low=pct[1], pct_ci_high=pct[2], truth=truth,
                truth_pct=truths_pct.get(label, np.nan),
                covers_truth=bool(r.ci_low <= truth <= r.ci_high) if np.isfinite(truth) else None,
                biased=biased))
    return pd.DataFrame(rows)


def estimate_label(label: str, language: str = "en") -> str:
    """The name of an estimate (a label of :func:`compare_estimates`, as :func:`uplift_analysis`
    names them) in ``language``: ``"two-way fixed effects"`` → ``"efectos fijos de dos vías"``,
    ``"Callaway & Sant'Anna (dr, never treated)"`` → ``"Callaway y Sant'Anna (dr, nunca
    integradas)"``, ``"synthetic control: U008"`` → ``"control sintético: U008"``. English and
    unknown labels are returned as they are."""
    language = validate_language(language)
    label = str(label)
    fixed = entry("uplift.label.fixed", language)
    if label in fixed:
        return fixed[label]
    m = re.fullmatch(r"Callaway & Sant'Anna \((.+), (never treated|not yet treated)\)", label)
    if m:
        return text("uplift.label.callaway", language, method=m.group(1),
                    control=entry("uplift.label.control", language)[m.group(2)])
    if label.startswith("synthetic control: "):
        return text("uplift.label.synth", language, unit=label.removeprefix("synthetic control: "))
    if label.startswith("synthetic DiD: "):
        return text("uplift.label.sdid", language, cohort=label.removeprefix("synthetic DiD: "))
    if label.startswith("naive: "):
        return text("uplift.label.naive", language, what=label.removeprefix("naive: "))
    return label


def forest_plot(
    table: pd.DataFrame, column: str = "pct", claim: float | None = 0.20, ax: Any = None,
    title: str | None = None, xlabel: str | None = None, language: str = "en",
) -> Any:
    """Forest plot of :func:`compare_estimates` rows: point and interval per estimate, the true
    value as a diamond where known, naive rows in red, and a dashed line at the claim.

    Args:
        table: output of :func:`compare_estimates`.
        column: ``"pct"`` (uplift, x axis in %) or ``"estimate"`` (outcome units).
        claim: claimed uplift drawn as a vertical line (only for ``column="pct"``); None hides it.
        language: a report language for the legend, the default title and axis label and the
            method names (:func:`estimate_label`).
    """
    import matplotlib.pyplot as plt  # lazy: matplotlib is heavy and only needed to draw

    language = validate_language(language)
    if column not in ("pct", "estimate"):
        raise ValueError(f"column must be 'pct' or 'estimate', got {column!r}")
    lo, hi = ("pct_ci_low", "pct_ci_high") if column == "pct" else ("ci_low", "ci_high")
    truth_col = "truth_pct" if column == "pct" else "truth"
    scale = 100.0 if column == "pct" else 1.0
    t = table.reset_index(drop=True)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.5 * len(t) + 1.5))
    # zoom on the unbiased rows (and the claim); naive rows beyond the edge become labelled arrows
    keep = t.loc[~t["biased"].astype(bool)]
    span = np.r_[keep[lo], keep[hi], keep.get(truth_col, pd.Series(dtype=float)), 0.0,
                 [claim] if claim is not None and column == "pct" else []] * scale
    span = span[np.isfinite(span)]
    left, right = (span.min(), span.max()) if len(span) else (None, None)
    if left is not None:
        pad = 0.08 * (right - left if right > left else 1.0)
        left, right = left - pad, right + pad
    words = entry("uplift.forest", language)
    unit = words["pct_unit"] if column == "pct" else ""
    y = np.arange(len(t))[::-1]
    for yi, (_, r) in zip(y, t.iterrows()):
        color = "tab:red" if r["biased"] else "tab:blue"
        if np.isfinite(r[column]):
            a, b, c = r[lo] * scale, r[hi] * scale, r[column] * scale
            if left is not None and (c > right or c < left):
                edge = right if c > right else left
                ax.annotate(text("uplift.forest.off_scale", language,
                                 value=format_number(c, 0, language), unit=unit),
                            xy=(edge, yi), xytext=(edge - 0.3 * (right - left) * np.sign(c - edge), yi),
                            color=color, va="center", fontsize=8,
                            arrowprops=dict(arrowstyle="->", color=color))
            else:
                ax.plot([max(a, left) if left is not None else a,
                         min(b, right) if right is not None else b], [yi, yi], color=color, lw=2)
                ax.plot(c, yi, "o", color=color)
        if np.isfinite(r.get(truth_col, np.nan)):
            ax.plot(r[truth_col] * scale, yi, "D", color="black", ms=6, mfc="none")
    if left is not None:
        ax.set_xlim(left, right)
    if truth_col in t and t[truth_col].notna().any():  # simulated data only: no truth, no key
        ax.plot([], [], "D", color="black", mfc="none", label=words["truth"])
    ax.plot([], [], "o-", color="tab:blue", label=words["causal"])
    if t["biased"].astype(bool).any():
        ax.plot([], [], "o-", color="tab:red", label=words["naive"])
    ax.axvline(0, color="grey", lw=0.8)
    if claim is not None and column == "pct":
        ax.axvline(claim * 100, color="tab:orange", ls="--", lw=1.2,
                   label=text("uplift.forest.claim", language,
                              claim=format_number(claim * 100, 0, language)))
    ax.set_yticks(y, [estimate_label(v, language) for v in t["label"]])
    ax.set_xlabel(xlabel or (words["x_pct"] if column == "pct" else words["x_effect"]))
    ax.set_title(title or words["title"])
    ax.legend(frameon=False, fontsize=8, loc="best")
    return ax


# --- readable tables for report 02 -----------------------------------------------------------------

def naive_table(naive: Any, level: float = 0.95, language: str = "en") -> ReportTable:
    """The naive comparisons and the two biases behind them, one row each (from
    :meth:`smlib.causal.naive.NaiveResult.to_frame`): what is compared, whether it is a naive
    estimate or a bias, the difference in revenue per unit and month with its interval, and the
    difference as % of the comparison group's mean with its interval. ``level`` names the
    intervals' coverage in the headers (the one the comparisons were computed with); texts in
    ``language`` (show it with ``.show(language)``)."""
    language = validate_language(language)
    words = entry("uplift.naive_table", language)
    t = naive.to_frame()
    kinds = words["kind_name"]
    frame = pd.DataFrame({
        "comparison": [words[m]["name"] if isinstance(words.get(m), dict) else
                       str(m).replace("_", " ") for m in t["method"]],
        "kind": [words[m]["kind"] if isinstance(words.get(m), dict) else kinds.get(kind, kind)
                 for m, kind in zip(t["method"], t["kind"])],
        "difference": t["estimate"], "ci_low": t["ci_low"], "ci_high": t["ci_high"],
        "pct": t["pct"], "pct_ci_low": t["pct_ci_low"], "pct_ci_high": t["pct_ci_high"],
    })
    interval = _interval(level, language)
    labels = {"comparison": words["comparison"], "kind": words["kind"],
              "difference": text("uplift.naive_table.difference", language, interval=interval,
                                 outcome=_outcome_name(naive.outcome_label, language)),
              "pct": text("uplift.naive_table.pct", language, interval=interval)}
    return ReportTable(
        frame, caption=words["caption"], formats={"difference": "money", "pct": "pct"},
        labels=labels,
        intervals={"difference": ("ci_low", "ci_high"), "pct": ("pct_ci_low", "pct_ci_high")})


#: What one effect of each method is per (a key of ``uplift.estimates_table.per_name``).
_PER = {"staggered_did": "unit_month", "twfe_did": "unit_month", "synthetic_control": "one_unit",
        "doubly_robust": "account", "dml_plr": "account"}


def estimates_table(table: pd.DataFrame, results: Mapping[str, Any] | None = None,
                    level: float = 0.95, language: str = "en") -> ReportTable:
    """All estimates side by side (rows of :func:`compare_estimates`): the effect in money with
    its 95 % interval and what it is per (unit and month, or account), the uplift in % of the
    revenue without integration with its interval, and on simulated data the true values and
    whether the interval contains the truth. ``results`` (label -> result) adds a note when an
    estimate leaves cells out (:func:`smlib.causal.staggered_did` with non-estimable cells).
    Texts and method names (:func:`estimate_label`) in ``language``."""
    language = validate_language(language)
    words = entry("uplift.estimates_table", language)
    t = table.reset_index(drop=True)
    per = [("unit_month" if b else _PER.get(m)) for m, b in zip(t["method"], t["biased"])]
    frame = pd.DataFrame({
        "method": [estimate_label(v, language) for v in t["label"]],
        "per": [words["per_name"][p] if p else "" for p in per],
        "effect": t["estimate"], "ci_low": t["ci_low"], "ci_high": t["ci_high"],
        "uplift": t["pct"], "uplift_ci_low": t["pct_ci_low"], "uplift_ci_high": t["pct_ci_high"],
    })
    formats: dict[str, Any] = {"effect": "money", "uplift": "pct"}
    interval = _interval(level, language)
    labels = {"method": words["method"], "per": words["per"],
              "effect": text("uplift.estimates_table.effect", language, interval=interval),
              "uplift": text("uplift.estimates_table.uplift", language, interval=interval)}
    if t["truth"].notna().any():
        frame["truth"] = t["truth"]
        frame["truth_pct"] = t["truth_pct"]
        frame["covers_truth"] = t["covers_truth"].map(
            lambda v: "–" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
            else (words["yes"] if v else words["no"]))
        formats.update(truth="money", truth_pct="pct")
        labels.update(truth=words["truth"], truth_pct=words["truth_pct"],
                      covers_truth=words["covers_truth"])
    notes = []
    for label in t["label"]:
        res = (results or {}).get(label)
        cells = getattr(res, "details", {}).get("excluded_cells") if res is not None else None
        notes.append("" if cells is None or len(cells) == 0 else
                     text("uplift.estimates_table.leaves_out", language, n=len(cells)))
    if any(notes):
        frame["note"] = notes
        labels["note"] = words["note"]
    return ReportTable(frame, caption=words["caption_truth" if "truth" in frame else "caption"],
                       formats=formats, labels=labels,
                       intervals={"effect": ("ci_low", "ci_high"),
                                  "uplift": ("uplift_ci_low", "uplift_ci_high")})


#: The checks :func:`robustness_table` knows (keys of ``UpliftAnalysis.robustness``).
ROBUSTNESS_CHECKS: tuple[str, ...] = ("placebo_dates", "placebo_outcome", "leave_one_cohort_out")


def _robustness_note(note: str, language: str) -> str:
    """A note of :mod:`smlib.causal.robustness` in ``language`` (unknown notes as they are)."""
    if note == "only one cohort: nothing to leave out":
        return text("uplift.robustness.one_cohort", language)
    m = re.fullmatch(r"(\d+) adopter\(s\) without an earlier period dropped", note)
    if m:
        return text("uplift.robustness.dropped", language, n=m.group(1))
    return note


def _cohort_label(label: str, language: str) -> str:
    """A row label of :func:`smlib.causal.leave_one_cohort_out` in ``language``."""
    if label == "all cohorts":
        return text("uplift.robustness.all_cohorts", language)
    if label.startswith("without cohort "):
        return text("uplift.robustness.without_cohort", language,
                    cohort=label.removeprefix("without cohort "))
    return label


def robustness_table(name: str, frame: pd.DataFrame, outcome: str = "revenue",
                     level: float = 0.95, language: str = "en") -> ReportTable:
    """One robustness check of :mod:`smlib.causal.robustness` as a readable table: what was done,
    the estimate with its 95 % interval (money for the revenue outcome), the p-value of "no
    effect" and the number of units. ``name`` is the key in ``UpliftAnalysis.robustness``; texts
    in ``language``."""
    if name not in ROBUSTNESS_CHECKS:
        raise ValueError(f"name must be one of {sorted(ROBUSTNESS_CHECKS)}, got {name!r}")
    language = validate_language(language)
    words = entry("uplift.robustness", language)
    f = frame.reset_index(drop=True)
    label = f["label"].astype(str)
    if name == "placebo_dates":
        label = f["shift"].map(lambda k: text(
            "uplift.robustness." + ("shift_one" if int(k) == 1 else "shift_many"), language,
            k=int(k)))
    elif name == "leave_one_cohort_out":
        label = label.map(lambda s: _cohort_label(s, language))
    out = pd.DataFrame({"what": label, "estimate": f["estimate"], "ci_low": f["ci_low"],
                        "ci_high": f["ci_high"],
                        "p_value": f["p_value"].map(lambda p: p_value_text(p, language)),
                        "n_units": f["n_units"].astype("int64")})
    if "note" in f and f["note"].astype(str).str.len().gt(0).any():
        out["note"] = f["note"].astype(str).map(lambda s: _robustness_note(s, language))
    money = name != "placebo_outcome" and outcome == "revenue"
    labels = {"what": words[name]["first"],
              "estimate": text("uplift.robustness.estimate", language,
                               interval=_interval(level, language)),
              "p_value": words["p_value"], "n_units": words["n_units"], "note": words["note"]}
    return ReportTable(
        out, caption=words[name]["caption"],
        formats={"estimate": "money" if money else "float", "p_value": "text"},
        labels=labels,
        intervals={"estimate": ("ci_low", "ci_high")})


def synth_table(sc: Any, min_weight: float = 0.001, language: str = "en") -> ReportTable:
    """Key figures of a synthetic control (:class:`smlib.causal.synth.SyntheticControlResult`) as
    a two-column table: unit, start, average monthly gap with its interval, fit before the start
    (root mean squared prediction error), placebo p-value and the donors' weights; texts and
    numbers in ``language``."""
    lang = validate_language(language)
    words = entry("uplift.synth_table", lang)
    start = sc.treatment_time
    start = start.date().isoformat() if isinstance(start, pd.Timestamp) else str(start)
    w = sc.weights[sc.weights > min_weight].sort_values(ascending=False)
    lvl = int(round(sc.level * 100))
    donors = ", ".join(f"{k} {format_pct(v, lang, decimals=0)}" for k, v in w.items())
    if np.isfinite([sc.ci_low, sc.ci_high]).all():
        interval = text("uplift.synth_table.interval", lang, lvl=lvl,
                        lo=format_money(sc.ci_low, lang), hi=format_money(sc.ci_high, lang))
    else:
        interval = text("uplift.synth_table.no_interval", lang, lvl=lvl)
    rows = [
        (words["unit"], str(sc.treated_unit)),
        (words["start"], start),
        (words["effect"], text("uplift.synth_table.effect_value", lang,
                               effect=format_money(sc.estimate, lang), interval=interval)),
        (words["rmspe"], format_money(sc.pre_rmspe, lang)),
        (words["p_value"], p_value_text(sc.placebo_p_value, lang)),
        (words["donors"], donors),
    ]
    return ReportTable(pd.DataFrame(rows, columns=["figure", "value"]), caption=words["caption"],
                       formats={"figure": "text", "value": "text"},
                       labels={"figure": words["figure"], "value": words["value"]})


def dr_tables(dr: Any, language: str = "en") -> tuple[ReportTable, ReportTable]:
    """The account-level doubly robust estimate (:class:`smlib.causal.dr.DoublyRobustResult`):
    key figures (effect per account with interval, p-value, accounts used and trimmed) and its
    overlap table (propensity-score quantiles, shares outside the overlap band and effective
    sample size per arm); texts and numbers in ``language``."""
    lang = validate_language(language)
    words = entry("uplift.dr_table", lang)
    lo, hi = OVERLAP_BAND
    key = pd.DataFrame([
        (words["effect"], text("uplift.dr_table.effect_value", lang,
                               est=format_money(dr.estimate, lang),
                               lvl=int(round(dr.level * 100)),
                               lo=format_money(dr.ci_low, lang), hi=format_money(dr.ci_high, lang))),
        (words["p_value"], p_value_text(dr.p_value, lang)),
        (words["used"], format_number(dr.n_obs or 0, 0, lang)),
        (words["dropped"], format_number(dr.n_trimmed, 0, lang)),
    ], columns=["figure", "value"])
    ov = dr.overlap.copy()
    ov["arm"] = ov["arm"].map(words["arm"]).fillna(ov["arm"])
    keep = [c for c in ("arm", "n", "min", "p05", "median", "p95", "max", "share_below",
                        "share_above", "ess") if c in ov]
    ov = ov[keep]
    formats = {"n": "int", "min": "float2", "p05": "float2", "median": "float2", "p95": "float2",
               "max": "float2", "share_below": "pct", "share_above": "pct", "ess": "int"}
    head = dict(words["overlap"])
    head["share_below"] = text("uplift.dr_table.overlap.share_below", lang,
                               value=_general(lo, lang))
    head["share_above"] = text("uplift.dr_table.overlap.share_above", lang,
                               value=_general(hi, lang))
    return (
        ReportTable(key, caption=text("uplift.dr_table.caption", lang, estimand=dr.estimand),
                    formats={"figure": "text", "value": "text"},
                    labels={"figure": words["figure"], "value": words["value"]}),
        ReportTable(ov, caption=words["overlap_caption"], formats=formats, labels=head),
    )


# --- the headline alone (report 03) ---------------------------------------------------------------

def _comparison_group(units: pd.DataFrame, control_group: str) -> tuple[str, bool]:
    """The comparison group to use and whether some unit never integrates inside the data (the
    not-yet-integrated units when ``never_treated`` is asked but every unit integrates)."""
    adoption = units.groupby("unit_id")["adoption_period"].first()
    has_never = bool((adoption.isna() | (adoption > units["period"].max())).any())
    if control_group == "never_treated" and not has_never:
        control_group = "not_yet_treated"  # every unit integrates at some point
    return control_group, has_never


def estimate_uplift(units: pd.DataFrame | None, outcome: str = "revenue",
                    control_group: str = "never_treated", method: str = "dr", n_boot: int = 0,
                    level: float = 0.95) -> tuple[Any, UpliftResult | None, DataGap | None]:
    """The headline uplift of report 02 alone: ``(did, uplift, gap)``.

    When :func:`smlib.gaps.panel_gap` finds the panel cannot support it, returns
    ``(None, None, gap)``. Otherwise Callaway & Sant'Anna (:func:`smlib.causal.staggered_did`) on
    ``units`` with ``method`` and ``control_group`` (the not-yet-integrated units when no unit
    stays unintegrated, as :func:`uplift_analysis` does), and the uplift as % of counterfactual
    revenue (:func:`~smlib.causal.claims.uplift_percent`); ``gap`` is ``None``. When the rules
    of :func:`choose_estimator` recommend a synthetic method (at most :data:`FEW_TREATED`
    integrated units), ``uplift`` comes from it, as in :func:`uplift_analysis` (``did`` stays the
    Callaway & Sant'Anna event study).
    """
    gap = panel_gap(units, outcome)
    if gap is not None:
        return None, None, gap
    control_group, _ = _comparison_group(units, control_group)
    spec = PanelSpec(outcome=outcome)
    did = staggered_did(units, panel=spec, control_group=control_group, method=method,
                        n_boot=n_boot, level=level)
    uplift = uplift_percent(did, treated_mean=treated_mean(units, panel=spec))
    facts = adoption_facts(units, spec)
    if choose_estimator(*facts).estimator == "callaway":
        return did, uplift, None
    est, rob = _Estimates(cs=did, uplift=uplift), _Panel()
    if facts[0] == 1:  # the look-alike's fit decides between synthetic control and SDID
        est.sc_unit = _largest_early_adopter(units, outcome)
        try:
            est.sc = synthetic_control_panel(units, panel=spec, treated=est.sc_unit, level=level)
            post = est.sc.path[est.sc.path["time"] >= est.sc.treatment_time]
            est.means[f"synthetic control: {est.sc_unit}"] = float(post["treated"].mean())
        except ValueError:
            est.sc = None
    try:
        rob.sdid, rob.sdid_info = _sdid(units, spec, level, 50)
        rob.kinds["sdid"], rob.means["sdid"] = "sdid", rob.sdid_info["treated_mean"]
    except ValueError:
        pass
    choice = choose_estimator(*facts, pre_fit=_pre_fit(est.sc))
    return did, _recommended(est, rob, choice, "")[2], None


# --- which estimator to recommend: stated rules ---------------------------------------------------

#: Most integrated units for which a synthetic method is recommended over Callaway & Sant'Anna.
FEW_TREATED: int = 5
#: Largest typical monthly error of the synthetic look-alike before integration (root mean squared
#: error as a share of the unit's mean outcome then) that counts as a good pre-period fit.
GOOD_FIT: float = 0.05
#: The rules in the order they are tried (the first that holds fires): rule -> the estimator it
#: recommends. Each rule's sentence is the catalogue's ``uplift.rules.<rule>``.
ESTIMATOR_RULES: dict[str, str] = {"single_unit_fit": "synth", "few_units": "sdid",
                                   "staggered": "callaway", "single_date": "callaway"}


@dataclass(frozen=True)
class EstimatorChoice:
    """The estimator :func:`choose_estimator` recommends and the facts of the data behind it.

    Attributes:
        rule: the rule of :data:`ESTIMATOR_RULES` that fired.
        estimator: ``"callaway"``, ``"synth"`` or ``"sdid"``.
        n_treated: units that integrated inside the data; n_dates: their distinct adoption months;
        n_never: units never integrated inside the data;
        pre_fit: typical error of the synthetic look-alike before integration, as a share of the
            unit's mean outcome (None when no look-alike was fitted).
    """

    rule: str
    estimator: str
    n_treated: int
    n_dates: int
    n_never: int
    pre_fit: float | None = None

    def facts_text(self, language: str = "en") -> str:
        """What the rules looked at in this data, in one sentence."""
        lang = validate_language(language)
        fit = ("" if self.pre_fit is None or not np.isfinite(self.pre_fit) else
               text("uplift.rules.facts_fit", lang, fit=_pct1(self.pre_fit, lang)))
        return text("uplift.rules.facts", lang, n_treated=self.n_treated, n_dates=self.n_dates,
                    n_never=self.n_never, fit=fit)

    def sentence(self, language: str = "en") -> str:
        """The recommendation and the rule that fired, in one sentence."""
        lang = validate_language(language)
        return text("uplift.rules.chosen", lang,
                    estimator=text(f"uplift.rules.estimator.{self.estimator}", lang),
                    rule=text(f"uplift.rules.{self.rule}", lang, few=FEW_TREATED,
                              fit=_pct1(GOOD_FIT, lang)))

    def rules_table(self, language: str = "en") -> ReportTable:
        """Every rule in one sentence, the estimator it recommends and a mark on the one that
        fired for this data."""
        lang = validate_language(language)
        words = entry("uplift.rules.table", lang)
        frame = pd.DataFrame({
            "rule": [text(f"uplift.rules.{r}", lang, few=FEW_TREATED, fit=_pct1(GOOD_FIT, lang))
                     for r in ESTIMATOR_RULES],
            "estimator": [text(f"uplift.rules.estimator.{e}", lang)
                          for e in ESTIMATOR_RULES.values()],
            "fires": [words["fires"] if r == self.rule else "" for r in ESTIMATOR_RULES]})
        return ReportTable(frame, caption=words["caption"],
                           formats={c: "text" for c in frame.columns},
                           labels={"rule": words["rule"], "estimator": words["estimator"],
                                   "fires": words["here"]})


def adoption_facts(units: pd.DataFrame, panel: PanelSpec | None = None) -> tuple[int, int, int]:
    """``(n_treated, n_dates, n_never)`` of a unit panel: units whose adoption falls inside the
    data (after its first period), their distinct adoption periods, and units never integrated
    inside the data (no adoption date, or one after the last period)."""
    spec = panel or PanelSpec()
    adoption = units.groupby(spec.unit)[spec.cohort].first()
    first, last = units[spec.time].min(), units[spec.time].max()
    inside = adoption[adoption.notna() & (adoption > first) & (adoption <= last)]
    never = adoption.isna() | (adoption > last)
    return int(len(inside)), int(inside.nunique()), int(never.sum())


def choose_estimator(n_treated: int, n_dates: int, n_never: int = 0,
                     pre_fit: float | None = None) -> EstimatorChoice:
    """The estimator report 02 recommends, by :data:`ESTIMATOR_RULES` (first rule that holds):

    1. ``single_unit_fit``: one integrated unit whose synthetic look-alike fits well before
       integration (``pre_fit <= GOOD_FIT``) → synthetic control;
    2. ``few_units``: at most :data:`FEW_TREATED` integrated units (or one without a good fit) →
       synthetic difference-in-differences;
    3. ``staggered``: units integrating at several dates, with never- or not-yet-integrated units
       → Callaway & Sant'Anna;
    4. ``single_date``: otherwise (many units, one date) → Callaway & Sant'Anna (the classic
       two-group, two-period comparison).
    """
    if n_treated < 1:
        raise ValueError(f"n_treated must be at least 1, got {n_treated}")
    if n_treated == 1 and pre_fit is not None and np.isfinite(pre_fit) and pre_fit <= GOOD_FIT:
        rule = "single_unit_fit"
    elif n_treated <= FEW_TREATED:
        rule = "few_units"
    elif n_dates > 1:
        rule = "staggered"
    else:
        rule = "single_date"
    return EstimatorChoice(rule, ESTIMATOR_RULES[rule], int(n_treated), int(n_dates),
                           int(n_never), pre_fit)


# --- robustness panel: the recommended estimate beside the other modern estimators ---------------

#: The estimators of the robustness panel (keys of ``uplift.panel.note``), in order.
PANEL_ESTIMATORS: tuple[str, ...] = ("callaway", "sunab", "imputation", "sdid", "twfe")


def _sdid_cohort(units: pd.DataFrame, spec: PanelSpec, level: float, n_placebo: int
                 ) -> tuple[Any, dict[str, Any]]:
    """Synthetic DiD of the largest group of units integrating in the same month (the earliest on
    a tie) against the never-integrated units, or, without those, against the units integrating
    later, up to the month before the first of them integrates."""
    adoption = units.groupby(spec.unit)[spec.cohort].first()
    first, last = units[spec.time].min(), units[spec.time].max()
    inside = adoption[adoption.notna() & (adoption > first) & (adoption <= last)]
    never = adoption.index[adoption.isna() | (adoption > last)]
    cohorts = inside.value_counts().sort_index()
    if len(never) == 0:
        cohorts = cohorts[cohorts.index < inside.max()]
    if cohorts.empty:
        raise ValueError("no group of integrating units has units to compare with")
    g = cohorts.idxmax()
    treated = list(inside.index[inside == g])
    if len(never):
        controls, end = list(never), None
    else:
        later = inside[inside > g]
        controls, end = list(later.index), later.min()
    keep = units[spec.unit].isin(treated + controls)
    if end is not None:
        keep &= units[spec.time] < end
    sub = units.loc[keep]
    res = synthetic_did(sub, panel=spec, treated_unit=treated, treatment_time=g,
                        n_placebo=n_placebo, level=level)
    post = sub[sub[spec.unit].isin(treated) & (sub[spec.time] >= g)]
    return res, dict(staggered=False, cohort=g, cohort_of={u: g for u in treated},
                     n_units=len(treated), controls="never" if end is None else "later", end=end,
                     treated_mean=float(post[spec.outcome].mean()), n_placebo=n_placebo)


def _sdid(units: pd.DataFrame, spec: PanelSpec, level: float, n_placebo: int
          ) -> tuple[Any, dict[str, Any]]:
    """Synthetic DiD by adoption cohort against the never-integrated units, pooled
    (:func:`smlib.causal.sdid.synthetic_did_staggered`); when the data refuse it (e.g. too few
    never-integrated units), the largest cohort alone (:func:`_sdid_cohort`)."""
    try:
        res = synthetic_did_staggered(units, panel=spec, n_placebo=n_placebo, level=level)
    except ValueError:
        return _sdid_cohort(units, spec, level, n_placebo)
    adoption = units.groupby(spec.unit)[spec.cohort].first()
    used = set(res.cohorts["cohort"])
    cohort_of = {u: g for u, g in adoption.items() if g in used}
    cells = units[units[spec.unit].isin(list(cohort_of))]
    post = cells[cells[spec.time] >= cells[spec.unit].map(cohort_of)]
    return res, dict(staggered=True, cohort=None, cohort_of=cohort_of, n_units=len(cohort_of),
                     n_cohorts=len(used), controls="never", end=None,
                     treated_mean=float(post[spec.outcome].mean()), n_placebo=n_placebo)


@dataclass
class _Panel:
    """The robustness panel's estimates, labelled as in :func:`compare_estimates`."""

    labels: dict[str, Any] = field(default_factory=dict)
    means: dict[str, float] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    sunab: Any = None
    imputation: Any = None
    sdid: Any = None
    sdid_info: dict[str, Any] = field(default_factory=dict)
    bacon: Any = None
    skipped: dict[str, str] = field(default_factory=dict)


def _panel_estimates_robust(est: _Estimates, units: pd.DataFrame, outcome: str, has_never: bool,
                            level: float, n_placebo: int) -> _Panel:
    """Sun & Abraham, imputation, synthetic DiD and the Goodman-Bacon decomposition of TWFE on the
    unit panel (each left out, with the reason, when the data refuse it)."""
    spec = PanelSpec(outcome=outcome)
    m_panel = treated_mean(units, panel=spec)
    out = _Panel()
    runs: dict[str, Callable[[], Any]] = {
        "sunab": lambda: sun_abraham(units, panel=spec, level=level, unbalanced="drop",
                                     control_group="never_treated" if has_never
                                     else "last_treated"),
        "imputation": lambda: imputation_did(units, panel=spec, horizons=False, level=level),
        "sdid": lambda: _sdid(units, spec, level, n_placebo),
    }
    for kind, run in runs.items():
        try:
            res = run()
        except ValueError as err:
            out.skipped[kind] = str(err)
            continue
        if kind == "sdid":
            res, out.sdid_info = res
            g = out.sdid_info["cohort"]
            label = ("synthetic DiD (by cohort)" if out.sdid_info["staggered"] else
                     f"synthetic DiD: {g:%Y-%m}" if isinstance(g, pd.Timestamp) else
                     f"synthetic DiD: {g}")
            out.means[label] = out.sdid_info["treated_mean"]
        else:
            label = {"sunab": "Sun & Abraham",
                     "imputation": "imputation (Borusyak, Jaravel & Spiess)"}[kind]
            out.means[label] = m_panel
        setattr(out, kind, res)
        out.labels[label], out.kinds[label] = res, kind
    ip = integer_periods(units, time=spec.time, adoption=spec.cohort, period_col="_t",
                         cohort_col="_g")
    ip["_d"] = ((ip["_g"] > 0) & (ip["_t"] >= ip["_g"])).astype(float)
    try:
        out.bacon = bacon_decomposition(ip, treated="_d", panel=spec.with_columns(time="_t"))
    except ValueError as err:
        out.skipped["bacon"] = str(err)
    return out


def _panel_table(est: _Estimates, rob: _Panel, recommended: str, truth: Any
                 ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The panel's rows (recommended first), as :func:`compare_estimates`, with a ``kind``
    column (a key of :data:`PANEL_ESTIMATORS` or ``synth``) and ``recommended``."""
    kinds: dict[str, str] = {}
    results: dict[str, Any] = {}
    means: dict[str, float] = {}
    for label, res in est.labels.items():
        if res is est.cs:
            kinds[label] = "callaway"
        elif res is est.tw:
            kinds[label] = "twfe"
        elif res is est.sc and label == recommended:
            kinds[label] = "synth"
        else:
            continue
        results[label], means[label] = res, est.means[label]
    kinds.update(rob.kinds)
    results.update(rob.labels)
    means.update(rob.means)
    order = sorted(results, key=lambda k: (k != recommended, PANEL_ESTIMATORS.index(kinds[k])
                                           if kinds[k] in PANEL_ESTIMATORS else -1))
    truths: dict[str, float] = {}
    truths_pct: dict[str, float] = {}
    if truth is not None:
        for k in order:
            if kinds[k] in ("callaway", "sunab", "imputation", "twfe"):
                truths[k], truths_pct[k] = truth.att, truth.att_pct
        po = truth.potential_outcomes
        info = rob.sdid_info
        if po is not None and rob.sdid is not None:
            cells = po[po["unit_id"].isin(list(info["cohort_of"]))]
            cells = cells[cells["period"] >= cells["unit_id"].map(info["cohort_of"])]
            if info["end"] is not None:
                cells = cells[cells["period"] < info["end"]]
            k = next(k for k in order if kinds[k] == "sdid")
            truths[k] = float((cells["y1"] - cells["y0"]).mean())
            truths_pct[k] = float((cells["y1"] - cells["y0"]).sum() / cells["y0"].sum())
        if po is not None and est.sc is not None and recommended in kinds \
                and kinds[recommended] == "synth":
            w0, w1 = est.sc.details["post_window"]
            cells = po[(po["unit_id"] == est.sc_unit) & po["period"].between(w0, w1)]
            truths[recommended] = float((cells["y1"] - cells["y0"]).mean())
            truths_pct[recommended] = float((cells["y1"] - cells["y0"]).sum() / cells["y0"].sum())
    table = compare_estimates({k: results[k] for k in order}, means, truths, truths_pct)
    table["kind"] = [kinds[k] for k in order]
    table["recommended"] = table["label"] == recommended
    return table, {k: results[k] for k in order}


def _panel_note(kind: str, analysis: UpliftAnalysis, language: str) -> str:
    """The note beside one row of the robustness panel, in ``language``."""
    d = analysis.details or {}
    if kind == "sunab":
        return text("uplift.panel.note.sunab_" + ("never" if d.get("has_never") else "last"),
                    language)
    if kind == "sdid":
        info = d.get("sdid", {})
        if info.get("staggered"):
            return text("uplift.panel.note.sdid_staggered", language, n=info["n_units"],
                        groups=info["n_cohorts"], draws=info["n_placebo"])
        controls = (text("uplift.panel.note.sdid_never", language) if info.get("controls") ==
                    "never" else text("uplift.panel.note.sdid_later", language,
                                      month=format_month(info["end"], language)))
        return text("uplift.panel.note.sdid", language, n=info.get("n_units", 0),
                    month=format_month(info["cohort"], language), controls=controls,
                    draws=info.get("n_placebo", 0))
    if kind == "twfe" and analysis.bacon is not None:
        return text("uplift.panel.note.twfe", language,
                    share=format_pct(analysis.bacon.share_already_treated, language, decimals=0))
    return text(f"uplift.panel.note.{kind}", language)


def robustness_panel_table(analysis: UpliftAnalysis, level: float = 0.95,
                           language: str = "en") -> ReportTable:
    """The robustness panel of an analysis as a readable table: each estimator's uplift as % of
    the revenue without integration and its effect, both with their ``level`` intervals, a note
    saying what it compares (the recommended estimate marked), and on simulated data the true
    uplift and whether the interval contains it; texts in ``language``."""
    language = validate_language(language)
    words = entry("uplift.panel.table", language)
    t = analysis.panel.reset_index(drop=True)
    notes = [(words["recommended"] + "; " if rec else "") + _panel_note(kind, analysis, language)
             for kind, rec in zip(t["kind"], t["recommended"])]
    frame = pd.DataFrame({
        "method": [estimate_label(v, language) for v in t["label"]],
        "uplift": t["pct"], "uplift_ci_low": t["pct_ci_low"], "uplift_ci_high": t["pct_ci_high"],
        "effect": t["estimate"], "ci_low": t["ci_low"], "ci_high": t["ci_high"], "note": notes})
    interval = _interval(level, language)
    money = analysis.outcome == "revenue"
    formats: dict[str, Any] = {"uplift": "pct", "effect": "money" if money else "float",
                               "note": "text"}
    labels = {"method": words["method"], "note": words["note"],
              "uplift": text("uplift.panel.table.uplift", language, interval=interval),
              "effect": text("uplift.panel.table.effect", language, interval=interval)}
    if t["truth_pct"].notna().any():
        frame["truth_pct"] = t["truth_pct"]
        frame["covers_truth"] = [
            "–" if not np.isfinite(tp) else (words["yes"] if lo <= tp <= hi else words["no"])
            for tp, lo, hi in zip(t["truth_pct"], t["pct_ci_low"], t["pct_ci_high"])]
        formats["truth_pct"] = "pct"
        labels.update(truth_pct=words["truth_pct"], covers_truth=words["covers_truth"])
    return ReportTable(frame, caption=words["caption"], formats=formats, labels=labels,
                       intervals={"uplift": ("uplift_ci_low", "uplift_ci_high"),
                                  "effect": ("ci_low", "ci_high")})


# --- the whole analysis of report 02 -------------------------------------------------------------

@dataclass
class UpliftAnalysis:
    """Everything notebook 02 shows: naive comparisons, the estimators, robustness and the verdict.

    ``table`` is :func:`compare_estimates` over all estimators (with the simulator's truth where
    known); ``uplift`` the headline estimate (Callaway & Sant'Anna with the chosen method and
    comparison group) as % of counterfactual; ``verdicts`` maps language -> :class:`Verdict`.
    The table methods (:meth:`naive_table`, :meth:`estimates_table`, ...) give the report's
    readable tables of this analysis.
    """

    naive: Any
    staggered: Any
    twfe: Any
    synth: Any
    doubly_robust: Any
    dml: Any
    table: pd.DataFrame
    uplift: UpliftResult | None
    verdicts: dict[str, Verdict]
    robustness: dict[str, pd.DataFrame]
    claim: float
    truth_pct: float | None = None
    details: dict[str, Any] | None = None
    results: dict[str, Any] = field(default_factory=dict)
    gaps: dict[str, DataGap] = field(default_factory=dict)
    warnings: list[DataWarning] = field(default_factory=list)
    has_truth: bool = False
    panel: pd.DataFrame = field(default_factory=pd.DataFrame)
    sunab: Any = None
    imputation: Any = None
    sdid: Any = None
    bacon: Any = None
    choice: EstimatorChoice | None = None
    recommended: str | None = None
    recommended_result: Any = None
    honest: Any = None
    claim_form: str = "up_to"
    #: p-value of the pre-trend test behind the verdict (None: not tested, e.g. a synthetic
    #: method gives the headline).
    pretrend_p: float | None = None
    #: Which event study ``honest`` read: ``"callaway_santanna"`` (the recommended estimator's)
    #: or ``"sun_abraham"`` (when a synthetic method is recommended); None when not run.
    honest_on: str | None = None

    def gap_for(self, section: str) -> DataGap | None:
        """Why ``section`` (``naive``, ``synth``, ``accounts``, ...) is not shown: its own gap, else
        the panel's (every panel section needs the unit panel), else None."""
        return self.gaps.get(section, self.gaps.get("panel"))

    @property
    def estimable(self) -> bool:
        """True when the headline uplift could be estimated from this data."""
        return self.uplift is not None

    @property
    def outcome(self) -> str:
        """The unit-panel outcome analysed (``revenue`` unless asked otherwise)."""
        return (self.details or {}).get("outcome", "revenue")

    def effect_sentence(self, language: str = "en") -> str:
        """The headline ATT in outcome units, in one plain sentence (money for revenue)."""
        u = self.uplift
        if u is None:
            return self.not_estimable_text(language)
        language = validate_language(language)
        outcome = self.outcome
        f: Callable[[float, str], str] = format_money if outcome == "revenue" else (
            lambda x, lang: format_number(x, 0 if abs(x) >= 100 else 2, lang))
        behind = self.recommended_result if self.recommended_result is not None else self.staggered
        lo, hi = behind.ci_low, behind.ci_high  # the ATT behind the uplift
        return text("uplift.effect.sentence", language, outcome=_outcome_name(outcome, language),
                    att=f(u.att, language), lvl=int(round(u.level * 100)), lo=f(lo, language),
                    hi=f(hi, language), cf=f(u.counterfactual_mean, language))

    def not_estimable_text(self, language: str = "en") -> str:
        """Why the uplift cannot be estimated here and what data would make it estimable."""
        gap = self.gaps.get("panel")
        why = (gap.missing_in(language) if gap is not None
               else text("uplift.effect.no_panel", language))
        return text("uplift.effect.not_estimable", language, why=why, link=ROLLOUT_REPORT)

    def headline_items(self, language: str = "en") -> list[tuple[str, str]]:
        """Key figures for :func:`smlib.report.show_headline`, already formatted."""
        language = validate_language(language)
        words = entry("uplift.headline", language)
        claim = text("uplift.headline.verdict", language, claim=_pct1(self.claim, language))
        if self.uplift is None:
            return [(words["uplift"], words["not_estimable"]), (claim, words["no_verdict"]),
                    (words["what_would"], words["what_would_value"])]
        items = [(words["uplift"], uplift_value(self.uplift, language)),
                 (claim, self.verdict(language).text)]
        if self.truth_pct is not None:
            items.append((words["truth"], _pct1(self.truth_pct, language)))
        return items

    def verdict(self, language: str = "en") -> Verdict:
        """The verdict on the claimed uplift in ``language`` (KeyError when not estimable)."""
        if validate_language(language) not in self.verdicts:
            raise KeyError(f"no verdict in {language!r}: the uplift could not be estimated")
        return self.verdicts[language]

    def naive_table(self, language: str = "en") -> ReportTable | None:
        """:func:`naive_table` of this analysis (None without naive comparisons)."""
        return None if self.naive is None else naive_table(self.naive, language=language)

    def estimates_table(self, language: str = "en") -> ReportTable:
        """:func:`estimates_table` of this analysis."""
        return estimates_table(self.table, self.results, language=language)

    def robustness_tables(self, language: str = "en") -> list[ReportTable]:
        """:func:`robustness_table` of every check that ran, in order."""
        return [robustness_table(name, frame, outcome=self.outcome, language=language)
                for name, frame in self.robustness.items()]

    def synth_table(self, language: str = "en") -> ReportTable | None:
        """:func:`synth_table` of this analysis (None without a synthetic control)."""
        return None if self.synth is None else synth_table(self.synth, language=language)

    def dr_tables(self, language: str = "en") -> tuple[ReportTable, ReportTable] | None:
        """:func:`dr_tables` of this analysis (None without the account-level estimate)."""
        return None if self.doubly_robust is None else dr_tables(self.doubly_robust, language)

    def adjustment_text(self, language: str = "en") -> str:
        """The account attributes the account-level estimates adjust for, in one sentence
        (``Adjusted for: segment, size (log), market size (log), start month.``); a covariate
        the catalogue does not name (``uplift.covariate``) is shown as code, ```name```."""
        names = [text(f"uplift.covariate.{c}", language) if has(f"uplift.covariate.{c}", language)
                 else f"`{c}`" for c in (self.details or {}).get("account_covariates", [])]
        return text("uplift.nb.adjusted_for", language, covariates=", ".join(names))

    def forest_plot(self, language: str = "en", title: str | None = None) -> Any:
        """:func:`forest_plot` of :attr:`table` against the claim; returns the axes."""
        return forest_plot(self.table, claim=self.claim, language=language, title=title)

    def headline_note(self, language: str = "en") -> str:
        """The note under the headline: what the uplift is and which estimator gives it."""
        kind = self.choice.estimator if self.choice is not None else "callaway"
        if self.recommended_result is None or self.recommended_result is self.staggered:
            return text("uplift.nb.headline_note", language)
        return text("uplift.nb.headline_note_other", language,
                    estimator=text(f"uplift.rules.estimator.{kind}", language))

    # --- robustness panel ------------------------------------------------------------------------

    def rules_table(self, language: str = "en") -> ReportTable | None:
        """:meth:`EstimatorChoice.rules_table` (None when the uplift cannot be estimated)."""
        return None if self.choice is None else self.choice.rules_table(language)

    def choice_text(self, language: str = "en") -> str | None:
        """The facts the rules looked at and the recommendation, in two sentences (None when the
        uplift cannot be estimated); says so when the recommended estimator could not give an
        interval on this data and the next one is used."""
        if self.choice is None:
            return None
        words = self.choice.facts_text(language) + " " + self.choice.sentence(language)
        used = self.panel.loc[self.panel["recommended"], "kind"] if len(self.panel) else []
        if len(used) and used.iloc[0] != self.choice.estimator:
            words += " " + text("uplift.rules.fallback", language,
                                estimator=text(f"uplift.rules.estimator.{used.iloc[0]}",
                                               language))
        return words

    def robustness_panel_table(self, language: str = "en") -> ReportTable | None:
        """:func:`robustness_panel_table` of this analysis (None without the panel)."""
        return None if self.panel.empty else robustness_panel_table(self, language=language)

    def robustness_plot(self, language: str = "en", title: str | None = None) -> Any:
        """The robustness panel on one chart (:func:`forest_plot` of :attr:`panel`: each
        estimator's uplift with its interval, the claim dashed, the recommended estimate's name in
        bold); returns the axes."""
        ax = forest_plot(self.panel, claim=self.claim, language=language,
                         title=title or text("uplift.panel.title", language))
        for tick, rec in zip(ax.get_yticklabels(), self.panel["recommended"]):
            if rec:
                tick.set_fontweight("bold")
        return ax

    def bacon_sentence(self, language: str = "en") -> str | None:
        """Why two-way fixed effects differs from the recommended estimate, from its Goodman-Bacon
        decomposition (share of weight from comparisons with already-integrated units and what
        those comparisons average), in one or two sentences; None without the decomposition."""
        b = self.bacon
        if b is None or self.panel.empty or not (self.panel["kind"] == "twfe").any():
            return None
        lang = validate_language(language)
        tw = self.panel.loc[self.panel["kind"] == "twfe"].iloc[0]
        rec = self.panel.loc[self.panel["recommended"]].iloc[0]
        if not np.isfinite([tw["pct"], rec["pct"]]).all():
            return None
        comp = b.comparisons
        late = comp["type"].isin(ALREADY_TREATED)
        head = text("uplift.bacon.head", lang, twfe=_pct1(tw["pct"], lang),
                    rec=_pct1(rec["pct"], lang), estimator=estimate_label(rec["label"], lang))
        if not late.any() or b.share_already_treated <= 0:
            return head + " " + text("uplift.bacon.none", lang)
        money: Callable[[float, str], str] = format_money if self.outcome == "revenue" else (
            lambda x, la: format_number(x, 0 if abs(x) >= 100 else 2, la))

        def avg(mask: pd.Series) -> float:
            return float(np.average(comp.loc[mask, "estimate"], weights=comp.loc[mask, "weight"]))

        at, clean = avg(late), avg(~late)
        return head + " " + text(
            "uplift.bacon.sentence", lang,
            share=format_pct(b.share_already_treated, lang, decimals=0), at=money(at, lang),
            clean=money(clean, lang),
            direction=text("uplift.bacon." + ("down" if at < clean else "up"), lang))

    def honest_sentence(self, language: str = "en") -> str | None:
        """HonestDiD (Rambachan & Roth 2023, relative magnitudes) in one sentence: how many times
        the largest pre-integration violation of parallel trends the post-integration ones would
        have to be to overturn the conclusion that integration raised revenue. None (and not
        shown) when the sensitivity was not run (``uplift_analysis(..., honest=True)``), failed,
        or the estimate is not positive."""
        lang = validate_language(language)
        h = self.honest
        if h is None or not np.isfinite(h.estimate) or h.estimate <= 0 or h.robust.empty:
            return None
        values = h.robust[h.parameter].to_numpy(dtype=float)
        bd = h.breakdown()
        if np.isnan(bd):
            key, x = "holds_all", values.max()
        elif bd <= values.min():
            key, x = "fails_all", values.min()
        else:
            key, x = "breaks", values[values < bd].max()
        sentence = text(f"uplift.honest.{key}", lang, x=_general(round(float(x), 2), lang),
                        months=h.details.get("num_post", HONEST_WINDOW))
        if self.honest_on is None:
            return sentence
        return sentence + " " + text(f"uplift.honest.on_{self.honest_on}", lang)


def _largest_early_adopter(units: pd.DataFrame, outcome: str) -> Any:
    per = units.groupby("unit_id").agg(g=("adoption_period", "first"), y=(outcome, "mean"))
    early = per[per["g"].notna() & (per["g"] == per["g"].min())]
    return early["y"].idxmax()


def _gap_with_error(code: str, key: str, unlocks: str, table: str, err: Exception) -> DataGap:
    """A gap found when an estimator refused the data: the text in the estimators' language (the
    fallback, English) names the error, the other languages leave it out."""
    return DataGap.from_texts(code, {
        lang: GapText(text(f"uplift.gap.{key}", lang,
                           detail=text("uplift.gap.detail", lang, error=err)
                           if lang == FALLBACK_LANGUAGE else ""),
                      text(f"uplift.gap.{unlocks}", lang), contract_ref(table, lang))
        for lang in settings.LANGUAGES})


@dataclass
class _Estimates:
    """What the estimators gave, labelled as in :func:`compare_estimates`."""

    labels: dict[str, Any] = field(default_factory=dict)
    means: dict[str, float] = field(default_factory=dict)
    gaps: dict[str, DataGap] = field(default_factory=dict)
    naive: Any = None
    cs: Any = None
    cs_other: Any = None
    tw: Any = None
    sc: Any = None
    sc_unit: Any = None
    dr: Any = None
    dml: Any = None
    uplift: UpliftResult | None = None
    covariates: list[str] = field(default_factory=list)


def _panel_estimates(est: _Estimates, units: pd.DataFrame, outcome: str, control_group: str,
                     has_never: bool, method: str, level: float) -> None:
    """Naive comparisons, Callaway & Sant'Anna (both comparison groups), TWFE and the synthetic
    control of the largest early adopter on the unit panel, and the headline uplift."""
    spec = PanelSpec(outcome=outcome)  # the data contract's units table
    try:
        est.naive = naive_comparisons(units, panel=spec) if has_never else None
    except ValueError:
        est.naive = None
    est.cs = staggered_did(units, panel=spec, control_group=control_group, method=method,
                           level=level)
    other = "not_yet_treated" if control_group == "never_treated" else "never_treated"
    m_panel = treated_mean(units, panel=spec)
    if est.naive is not None:
        est.labels["naive"] = est.naive
    key = f"Callaway & Sant'Anna ({method}, {control_group.replace('_', ' ')})"
    est.labels[key], est.means[key] = est.cs, m_panel
    if other == "not_yet_treated" or has_never:
        try:
            est.cs_other = staggered_did(units, panel=spec, control_group=other, method=method,
                                         level=level, n_boot=0)
            key = f"Callaway & Sant'Anna ({method}, {other.replace('_', ' ')})"
            est.labels[key], est.means[key] = est.cs_other, m_panel
        except ValueError:
            est.cs_other = None
    ip = integer_periods(units, time=spec.time, adoption=spec.cohort, period_col="_t",
                         cohort_col="_g")
    ip["_d"] = ((ip["_g"] > 0) & (ip["_t"] >= ip["_g"])).astype(float)
    est.tw = twfe_did(ip, treated="_d", panel=spec.with_columns(time="_t"), level=level)
    est.labels["two-way fixed effects"] = est.tw
    est.means["two-way fixed effects"] = m_panel
    est.sc_unit = _largest_early_adopter(units, outcome)
    try:
        est.sc = synthetic_control_panel(units, panel=spec, treated=est.sc_unit, level=level)
    except ValueError as err:
        est.sc = None
        est.gaps["synth"] = _gap_with_error("synth", "synth", "synth_unlocks", "units", err)
    if est.sc is not None:
        key = f"synthetic control: {est.sc_unit}"
        est.labels[key] = est.sc
        post = est.sc.path[est.sc.path["time"] >= est.sc.treatment_time]
        est.means[key] = float(post["treated"].mean())
    est.uplift = uplift_percent(est.cs, treated_mean=m_panel)


def _account_estimates(est: _Estimates, accounts: pd.DataFrame, opportunities: pd.DataFrame,
                       level: float) -> None:
    """AIPW ATT and DML-PLR on accounts (won revenue) with covariates segment, log size and, when
    present, log market size and start month."""
    acc = account_outcomes(accounts, opportunities)
    covs = [c for c in ("segment",) if c in acc and acc[c].nunique() > 1]
    if "size" in acc and (acc["size"] > 0).all():
        acc["log_size"] = np.log(acc["size"].astype(float))
        covs.append("log_size")
    if "market_size" in acc and (acc["market_size"] > 0).all():
        acc["log_market_size"] = np.log(acc["market_size"].astype(float))
        covs.append("log_market_size")
    if "start_month" in acc:
        covs.append("start_month")
    est.covariates = covs
    acc["integrated"] = acc["integrated"].astype(float)
    try:
        est.dr = doubly_robust(acc, "revenue", "integrated", covs, level=level)
        est.dml = dml_plr(acc, "revenue", "integrated", covs, level=level)
    except ValueError as err:
        est.dr = est.dml = None
        est.gaps["accounts"] = _gap_with_error("accounts", "accounts_compare",
                                               "accounts_compare_unlocks", "accounts", err)
    if est.dr is not None:
        treated_rev = float(acc.loc[acc["integrated"] == 1, "revenue"].mean())
        for key, res in (("doubly robust (accounts)", est.dr),
                         ("double ML, partially linear (accounts)", est.dml)):
            est.labels[key], est.means[key] = res, treated_rev


def _truths(est: _Estimates, truth: Any) -> tuple[dict[str, float], dict[str, float]]:
    """The simulator's true effect beside each estimate (outcome units, fraction)."""
    truths: dict[str, float] = {}
    truths_pct: dict[str, float] = {}
    for k, r in est.labels.items():
        if r is est.cs or r is est.cs_other or r is est.tw:
            truths[k], truths_pct[k] = truth.att, truth.att_pct
        elif r is est.dr or r is est.dml:
            truths[k], truths_pct[k] = truth.account_att, truth.account_att_pct
    po = truth.potential_outcomes
    if po is not None and est.sc is not None:
        w0, w1 = est.sc.details["post_window"]
        cells = po[(po["unit_id"] == est.sc_unit) & po["period"].between(w0, w1)]
        key = f"synthetic control: {est.sc_unit}"
        truths[key] = float((cells["y1"] - cells["y0"]).mean())
        truths_pct[key] = float((cells["y1"] - cells["y0"]).sum() / cells["y0"].sum())
    return truths, truths_pct


#: Months either side of integration of the event study HonestDiD reads (the average effect over
#: the first ``HONEST_WINDOW`` months, against violations measured on the ``HONEST_WINDOW`` months
#: before), and the relative magnitudes ``Mbar`` it tries.
HONEST_WINDOW: int = 6
HONEST_MBAR: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)


def _honest_window(inp: EventStudyInputs) -> EventStudyInputs:
    """The :data:`HONEST_WINDOW` months either side of integration of an event study."""
    e = np.asarray(inp.event_times)
    sel = (e >= -HONEST_WINDOW - 1) & (e <= HONEST_WINDOW - 1)
    return EventStudyInputs(inp.betahat[sel], inp.sigma[np.ix_(sel, sel)],
                            int((e[sel] < -1).sum()), int((e[sel] >= 0).sum()),
                            tuple(int(x) for x in e[sel]))


def _honest_source(units: pd.DataFrame, outcome: str, control_group: str, method: str,
                   rec_result: Any, est: "_Estimates", sunab: Any) -> tuple[Any, str | None]:
    """The event study HonestDiD reads and its estimator's name: the recommended Callaway &
    Sant'Anna estimate's own event study (with R did's ``base_period="universal"``, as the
    HonestDiD README does for staggered adoption: every coefficient against the period before
    integration), or, when a synthetic method is recommended (no event-study covariance),
    Sun & Abraham's. ``(None, None)`` when neither can be computed."""
    if rec_result is not None and rec_result is est.cs:
        try:
            cs = staggered_did(units, panel=PanelSpec(outcome=outcome), control_group=control_group,
                               method=method, base_period="universal", n_boot=0)
            es = cs.aggregate("dynamic", min_e=-HONEST_WINDOW - 1, max_e=HONEST_WINDOW - 1)
            return es, "callaway_santanna"
        except (ValueError, RuntimeError, np.linalg.LinAlgError):
            pass  # fall back to Sun & Abraham below
    return (sunab, "sun_abraham") if sunab is not None else (None, None)


def _honest(source: Any) -> Any:
    """HonestDiD (relative magnitudes) of the average effect over the first :data:`HONEST_WINDOW`
    months of an event study (:func:`_honest_source`), or None when the event study or the
    solver refuse."""
    if source is None:
        return None
    try:
        win = _honest_window(event_study_inputs(source))
        with warnings.catch_warnings():
            # the upper end of the robust set may reach the end of R's grid at large Mbar: only
            # the lower end decides whether the positive effect survives (the breakdown value)
            warnings.filterwarnings("ignore", message="the robust set at Mbar")
            return honest_did(win, "relative_magnitude", m_values=np.asarray(HONEST_MBAR),
                              l_vec=np.full(win.num_post, 1.0 / win.num_post))
    except (ValueError, RuntimeError, TypeError, np.linalg.LinAlgError):
        return None


def _pre_fit(sc: Any) -> float | None:
    """Typical error of a synthetic control before integration as a share of the treated unit's
    mean outcome then (None without a synthetic control)."""
    if sc is None:
        return None
    pre = sc.path[sc.path["time"] < sc.treatment_time]
    level = float(pre["treated"].abs().mean()) if len(pre) else float("nan")
    return float(sc.pre_rmspe / level) if level > 0 else None


def _recommended(est: _Estimates, rob: _Panel, choice: EstimatorChoice, cs_label: str
                 ) -> tuple[str, Any, UpliftResult | None]:
    """The label, result and uplift of the estimator ``choice`` recommends; when it is a
    synthetic method without a finite interval here, the next one (synthetic control → synthetic
    DiD → Callaway & Sant'Anna)."""
    sdid_label = next((k for k, v in rob.kinds.items() if v == "sdid"), None)
    options = {"synth": (f"synthetic control: {est.sc_unit}", est.sc, est.means),
               "sdid": (sdid_label, rob.sdid, rob.means)}
    chain = {"synth": ["synth", "sdid"], "sdid": ["sdid"]}.get(choice.estimator, [])
    for kind in chain:
        label, res, means = options[kind]
        if res is None or label not in means:
            continue
        if not np.isfinite([res.estimate, res.ci_low, res.ci_high]).all():
            continue
        try:
            return label, res, uplift_percent(res, treated_mean=means[label])
        except ValueError:
            continue
    return cs_label, est.cs, est.uplift


_TABLE_COLUMNS = ["label", "method", "estimand", "estimate", "std_error", "ci_low", "ci_high",
                  "p_value", "pct", "pct_ci_low", "pct_ci_high", "truth", "truth_pct",
                  "covers_truth", "biased"]


def _robustness_checks(units: pd.DataFrame, outcome: str, control_group: str, method: str
                       ) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Placebo dates 1–3, placebo outcome ``headcount`` when present and leave one cohort out;
    checks the data refuse are left out with the reason."""
    spec = PanelSpec(outcome=outcome)
    kw = dict(control_group=control_group, method=method, panel=spec)
    runs: dict[str, Callable[[], pd.DataFrame]] = {
        "placebo_dates": lambda: placebo_dates(units, shifts=(1, 2, 3), **kw)}
    if ("headcount" in units and outcome != "headcount"
            and units.groupby("unit_id")["headcount"].nunique().max() > 1):
        runs["placebo_outcome"] = lambda: placebo_outcome(units, "headcount", **kw)
    runs["leave_one_cohort_out"] = lambda: leave_one_cohort_out(units, **kw)
    checks: dict[str, pd.DataFrame] = {}
    skipped: dict[str, str] = {}
    for name, run in runs.items():
        try:
            checks[name] = run()
        except ValueError as err:  # e.g. one cohort only, or too few months before integration
            skipped[name] = str(err)
    return checks, skipped


def uplift_report(dataset: Any, outcome: str = "revenue", control_group: str = "never_treated",
                  method: str = "dr", claim: float = 0.20, level: float = 0.95,
                  honest: bool = True, claim_form: str = "up_to") -> UpliftAnalysis:
    """Report 02 on a loaded :class:`smlib.io.Dataset`: :func:`uplift_analysis` with the data
    warnings of the dataset (``warnings``), when the data folder holds a simulator truth the true
    values beside the estimates (``has_truth``), and the HonestDiD sensitivity (``honest``, on by
    default here: about 1.5 s on the default data)."""
    path = getattr(dataset, "path", None)
    truth = load_truth(path) if path is not None and has_truth(path) else None
    analysis = uplift_analysis(dataset, outcome=outcome, control_group=control_group,
                               method=method, claim=claim, truth=truth, level=level,
                               honest=honest, claim_form=claim_form)
    analysis.warnings = collect_warnings(dataset)
    analysis.has_truth = truth is not None
    return analysis


def uplift_analysis(
    dataset: Any,
    outcome: str = "revenue",
    control_group: str = "never_treated",
    method: str = "dr",
    claim: float = 0.20,
    truth: Any = None,
    level: float = 0.95,
    robustness: bool = True,
    n_placebo: int = 50,
    honest: bool = False,
    claim_form: str = "up_to",
) -> UpliftAnalysis:
    """Run report 02's analysis on a dataset (:class:`smlib.io.Dataset` or anything with
    ``units``, ``accounts`` and ``opportunities`` tables as in data/README.md).

    - naive comparisons (:func:`smlib.causal.naive_comparisons`);
    - headline: Callaway & Sant'Anna (:func:`smlib.causal.staggered_did`) with ``method`` and
      ``control_group``, as uplift % of counterfactual (:func:`~smlib.causal.claims.uplift_percent`)
      and :func:`verdict` against ``claim`` (stated as ``claim_form``: ``"up_to"`` a ceiling,
      ``"typical"`` an expected value; no verdict when the pre-trend test of the headline's event
      study fails, ``pretrend_p``) in every report language;
    - also: the same with the other comparison group, TWFE (:func:`smlib.causal.twfe_did`),
      synthetic control for the largest first adopter (:func:`smlib.causal.synthetic_control_panel`),
      and on accounts (:func:`smlib.causal.account_outcomes`, won revenue) AIPW ATT
      (:func:`smlib.causal.doubly_robust`, linear learners) and DML-PLR with covariates segment,
      log size and, when present, log market size and start month;
    - robustness (placebo dates 1–3, placebo outcome ``headcount`` when present, leave one cohort
      out);
    - the robustness panel (``panel``): the recommended estimate beside Sun & Abraham
      (:func:`smlib.causal.sunab.sun_abraham`), imputation
      (:func:`smlib.causal.imputation.imputation_did`), synthetic DiD by adoption cohort against
      the never-integrated units (:func:`smlib.causal.sdid.synthetic_did_staggered`,
      ``n_placebo`` placebo draws per cohort; the largest cohort alone with
      :func:`smlib.causal.sdid.synthetic_did` when the data refuse it) and TWFE with its
      Goodman-Bacon decomposition
      (:func:`smlib.causal.bacon.bacon_decomposition`), each as uplift % of counterfactual;
    - the recommended estimator by :data:`ESTIMATOR_RULES` (:func:`choose_estimator`, ``choice``):
      the headline and verdict use it (Callaway & Sant'Anna unless one or few units integrated),
      falling back to Callaway & Sant'Anna when it gives no finite interval.
    - with ``honest=True`` (off by default; :func:`uplift_report` turns it on: about 1.5 s on the
      default data), the HonestDiD sensitivity
      (:func:`smlib.causal.honest.honest_did`, relative magnitudes) of the average effect over the
      first :data:`HONEST_WINDOW` months of the Sun & Abraham event study (``honest``; in words:
      :meth:`UpliftAnalysis.honest_sentence`).

    Parts the data cannot support are left out (``None``) and explained in ``gaps`` (section ->
    :class:`~smlib.gaps.DataGap`): no unit panel or no adoption inside the data
    (:func:`smlib.gaps.panel_gap`) leaves out every panel estimator and the headline
    (``uplift is None``); no usable accounts table (:func:`smlib.gaps.account_gap`) leaves out the
    account-level estimators; a panel without never-integrated units uses the not-yet-integrated
    units as the comparison (``details["control_group"]`` says which was used). ``truth`` (a
    :class:`smlib.simulate.Truth`) adds the true values beside the estimates, only for
    ``outcome="revenue"`` (the simulated effect is on revenue).
    """
    if claim_form not in CLAIM_FORMS:
        raise ValueError(f"claim_form must be one of {CLAIM_FORMS} ('up_to': the claim is a "
                         f"ceiling, 'up to 20 %'; 'typical': an expected value), got {claim_form!r}")
    units = dataset.units
    est = _Estimates()
    rob, choice, rec_label, rec_result, has_never = _Panel(), None, None, None, False
    panel = panel_gap(units, outcome)
    if panel is not None:
        est.gaps["panel"] = panel
    else:
        control_group, has_never = _comparison_group(units, control_group)
        _panel_estimates(est, units, outcome, control_group, has_never, method, level)
        rob = _panel_estimates_robust(est, units, outcome, has_never, level, n_placebo)
        choice = choose_estimator(*adoption_facts(units), pre_fit=_pre_fit(est.sc))
        cs_label = f"Callaway & Sant'Anna ({method}, {control_group.replace('_', ' ')})"
        rec_label, rec_result, est.uplift = _recommended(est, rob, choice, cs_label)

    accounts = getattr(dataset, "accounts", None)
    acc_gap = account_gap(accounts)
    if acc_gap is not None:
        est.gaps["accounts"] = acc_gap
    else:
        _account_estimates(est, accounts, dataset.opportunities, level)

    with_truth = truth is not None and outcome == "revenue"
    truths, truths_pct = _truths(est, truth) if with_truth else ({}, {})
    table = (compare_estimates(est.labels, est.means, truths, truths_pct) if est.labels
             else pd.DataFrame(columns=_TABLE_COLUMNS))
    if est.naive is not None and with_truth:
        for r in est.naive.comparisons:
            lab = f"naive: {r.method.replace('_', ' ')}"
            table.loc[table["label"] == lab, ["truth", "truth_pct"]] = [truth.att, truth.att_pct]
            table.loc[table["label"] == lab, "covers_truth"] = bool(r.ci_low <= truth.att <= r.ci_high)

    panel_rows = (_panel_table(est, rob, rec_label, truth if with_truth else None)[0]
                  if rec_label is not None else pd.DataFrame())
    truth_pct = float(truth.att_pct) if with_truth else None
    if with_truth and rec_result is not None and rec_result is not est.cs and len(panel_rows):
        truth_pct = float(panel_rows.loc[panel_rows["recommended"], "truth_pct"].iloc[0])
    # the pre-trend test of the event study behind the headline (Callaway & Sant'Anna); a
    # synthetic method's headline rests on its own pre-period fit instead
    pretrend_p = pretrend_p_value(est.cs) if rec_result is not None and rec_result is est.cs else None
    verdicts = ({lang: verdict_from_result(est.uplift, claim=claim, language=lang,
                                           claim_form=claim_form, pretrend_p=pretrend_p)
                 for lang in settings.LANGUAGES} if est.uplift is not None else {})
    honest_source, honest_on = ((None, None) if not honest or rec_label is None else
                                _honest_source(units, outcome, control_group, method, rec_result,
                                               est, rob.sunab))
    checks, skipped = ({}, {})
    if robustness and panel is None:
        checks, skipped = _robustness_checks(units, outcome, control_group, method)
    return UpliftAnalysis(naive=est.naive, staggered=est.cs, twfe=est.tw, synth=est.sc,
                          doubly_robust=est.dr, dml=est.dml, table=table, uplift=est.uplift,
                          verdicts=verdicts, robustness=checks, claim=claim,
                          truth_pct=truth_pct,
                          results=est.labels, gaps=est.gaps,
                          details=dict(outcome=outcome, control_group=control_group, method=method,
                                       account_covariates=est.covariates, synth_unit=est.sc_unit,
                                       skipped_checks=skipped, has_never=has_never,
                                       sdid=rob.sdid_info, skipped_panel=rob.skipped),
                          panel=panel_rows, sunab=rob.sunab, imputation=rob.imputation,
                          sdid=rob.sdid, bacon=rob.bacon, choice=choice, recommended=rec_label,
                          recommended_result=rec_result, claim_form=claim_form,
                          pretrend_p=pretrend_p,
                          honest=_honest(honest_source) if honest else None,
                          honest_on=honest_on if honest else None)
