"""Uplift as a share of counterfactual revenue, and a plain-language verdict on a claimed uplift.

The marketing literature repeats that integrating marketing and sales raises revenue "by up to 20 %"
(Aberdeen Group 2010 survey, see docs/sources.md §1: a cross-sectional
best-in-class vs laggard contrast, not a causal estimate). This module turns a causal estimate of
the ATT into a percentage of the counterfactual and phrases it against such a claim, in English or
Spanish (the source article is Spanish).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from smlib.causal.results import EstimateResult
from smlib.gaps import CONTRACT_REF, DataGap


@dataclass
class UpliftResult(EstimateResult):
    """An uplift in fraction of counterfactual outcome (0.08 = 8 %), with its interval.

    Extra attributes:
        att: the ATT in outcome units the uplift was derived from.
        treated_mean: observed mean outcome of the treated in the post period.
        counterfactual_mean: ``treated_mean - att``, the estimated mean without treatment.
    """

    att: float = float("nan")
    treated_mean: float = float("nan")
    counterfactual_mean: float = float("nan")

    def to_frame(self) -> pd.DataFrame:
        """The base row plus att, treated_mean and counterfactual_mean."""
        frame = super().to_frame()
        frame["att"] = self.att
        frame["treated_mean"] = self.treated_mean
        frame["counterfactual_mean"] = self.counterfactual_mean
        return frame

    def summary(self) -> str:
        """One line: the uplift in percent with its interval."""
        pct = int(round(self.level * 100))
        def num(x: float) -> str:  # whole numbers with separators for money-sized values
            return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"

        return (f"{self.method}: uplift = {self.estimate:.1%} of counterfactual "
                f"(SE {self.std_error:.1%}; {pct}% CI {self.ci_low:.1%} to {self.ci_high:.1%}); "
                f"ATT {num(self.att)} on a counterfactual mean of {num(self.counterfactual_mean)}")


def _finite(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return value


def uplift_percent(
    att: float | EstimateResult,
    treated_mean: float,
    std_error: float | None = None,
    ci_low: float | None = None,
    ci_high: float | None = None,
    level: float = 0.95,
    method: str | None = None,
) -> UpliftResult:
    """Uplift = ATT / mean counterfactual outcome of the treated in the post period.

    Definition: with ``m`` the observed mean outcome of the treated unit-periods after adoption and
    ``a`` the ATT (same units), the counterfactual mean is ``m - a`` and the uplift is
    ``u = a / (m - a)``. ``m`` is an observed sample mean of the very units the (sample) ATT refers
    to, so it is treated as fixed; then ``u`` is an increasing function of ``a`` (for ``a < m``) and
    the interval is the exact image of the ATT interval, ``[f(ci_low), f(ci_high)]``. The standard
    error is the delta-method one, ``se(a) * m / (m - a)**2``.

    Args:
        att: the ATT in outcome units, or an :class:`EstimateResult` (its estimate, std_error and
            interval are used and its method name is kept).
        treated_mean: observed mean outcome of the treated in the post period (``m``), > 0.
        std_error, ci_low, ci_high: the ATT's standard error and interval; if the interval is not
            given it is the normal one ``a ± z * se``.
        level: interval coverage.
        method: label of the row (default: the result's method, else ``"uplift"``).

    Raises:
        ValueError: non-finite inputs, ``treated_mean <= 0``, a negative standard error, or an ATT
            (or interval end) at or above ``treated_mean`` (a counterfactual mean ≤ 0 makes a
            percentage meaningless).
    """
    if isinstance(att, EstimateResult):
        result = att
        att, std_error = result.estimate, result.std_error
        ci_low, ci_high, level = result.ci_low, result.ci_high, result.level
        method = method or result.method
    a = _finite("att", att)
    m = _finite("treated_mean", treated_mean)
    if m <= 0:
        raise ValueError(f"treated_mean must be > 0 to express an uplift in percent, got {m}")
    if std_error is None:
        raise ValueError("std_error of the ATT is required (never a bare point estimate)")
    se = _finite("std_error", std_error)
    if se < 0:
        raise ValueError(f"std_error must be >= 0, got {se}")
    z = float(stats.norm.ppf(0.5 + level / 2))
    lo = a - z * se if ci_low is None else _finite("ci_low", ci_low)
    hi = a + z * se if ci_high is None else _finite("ci_high", ci_high)
    if not lo <= a <= hi:
        raise ValueError(f"the interval [{lo}, {hi}] does not contain the ATT {a}")
    if hi >= m:
        raise ValueError(
            f"the ATT interval reaches {hi:,.4g}, at or above the treated mean {m:,.4g}: the "
            "counterfactual mean would be <= 0 and a percentage uplift is undefined")

    def f(x: float) -> float:
        return x / (m - x)

    return UpliftResult(
        method=method or "uplift", estimand="uplift_pct", estimate=f(a),
        std_error=se * m / (m - a) ** 2, ci_low=f(lo), ci_high=f(hi), level=level,
        att=a, treated_mean=m, counterfactual_mean=m - a,
    )


# --- verdict ----------------------------------------------------------------------------------

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "supports": "Supports the claim: the uplift is {est} ({lvl} % interval {lo} to {hi}), clearly "
                    "above zero and consistent with {claim}.",
        "larger": "Contradicts the claim from above: the uplift is {est} (interval {lo} to {hi}), "
                  "clearly larger than {claim}.",
        "smaller": "Contradicts the claim: the effect is clearly smaller than {claim}. The uplift is "
                   "{est} (interval {lo} to {hi}); integration added revenue, but less than claimed.",
        "smaller_maybe_zero": "Contradicts the claim: the effect is clearly smaller than {claim}. The "
                              "uplift is {est} (interval {lo} to {hi}); the data cannot even rule "
                              "out no effect at all.",
        "negative": "Contradicts the claim: integration lowered revenue. The uplift is {est} "
                    "(interval {lo} to {hi}).",
        "cannot_tell_span": "The data cannot tell: the uplift is {est}, but the interval ({lo} to "
                            "{hi}) includes both no effect and {claim}.",
        "cannot_tell_wide": "The data cannot tell: the uplift is {est}, but the interval ({lo} to "
                            "{hi}) is wider than {width}, too wide to judge a claim of {claim}.",
    },
    "es": {
        "supports": "Respalda la afirmación: el aumento es del {est} (intervalo del {lvl} % de {lo} "
                    "a {hi}), claramente mayor que cero y compatible con un {claim}.",
        "larger": "Contradice la afirmación por arriba: el aumento es del {est} (intervalo de {lo} a "
                  "{hi}), claramente mayor que un {claim}.",
        "smaller": "Contradice la afirmación: el efecto es claramente menor que un {claim}. El "
                   "aumento es del {est} (intervalo de {lo} a {hi}); la integración sumó ingresos, "
                   "pero menos de lo afirmado.",
        "smaller_maybe_zero": "Contradice la afirmación: el efecto es claramente menor que un "
                              "{claim}. El aumento es del {est} (intervalo de {lo} a {hi}); los "
                              "datos ni siquiera descartan que no haya efecto.",
        "negative": "Contradice la afirmación: la integración redujo los ingresos. El cambio es del "
                    "{est} (intervalo de {lo} a {hi}).",
        "cannot_tell_span": "Los datos no permiten saberlo: el aumento es del {est}, pero el "
                            "intervalo ({lo} a {hi}) incluye tanto la ausencia de efecto como un "
                            "{claim}.",
        "cannot_tell_wide": "Los datos no permiten saberlo: el aumento es del {est}, pero el "
                            "intervalo ({lo} a {hi}) es más ancho que {width}, demasiado para "
                            "juzgar una afirmación de un {claim}.",
    },
}

_CODES = {  # message key -> verdict code
    "supports": "supports", "larger": "contradicts_larger", "smaller": "contradicts_smaller",
    "smaller_maybe_zero": "contradicts_smaller", "negative": "contradicts_smaller",
    "cannot_tell_span": "cannot_tell", "cannot_tell_wide": "cannot_tell",
}


@dataclass(frozen=True)
class Verdict:
    """A verdict on a claimed uplift.

    Attributes:
        code: ``"supports"``, ``"contradicts_smaller"``, ``"contradicts_larger"`` or
            ``"cannot_tell"``.
        text: one or two plain sentences in the requested language.
        estimate_pct, ci_low, ci_high, claim: the numbers judged (fractions, 0.2 = 20 %).
        language: ``"en"`` or ``"es"``.
    """

    code: str
    text: str
    estimate_pct: float
    ci_low: float
    ci_high: float
    claim: float
    language: str

    def to_dict(self) -> dict[str, Any]:
        """The verdict as a plain dict (for a JSON headline)."""
        return dict(code=self.code, text=self.text, estimate_pct=self.estimate_pct,
                    ci_low=self.ci_low, ci_high=self.ci_high, claim=self.claim,
                    language=self.language)

    def __str__(self) -> str:
        return self.text


def _pct(x: float, language: str) -> str:
    s = f"{x * 100:.1f} %"
    return s.replace(".", ",") if language == "es" else s


def verdict(
    estimate_pct: float,
    ci_low: float,
    ci_high: float,
    claim: float = 0.20,
    language: str = "en",
    max_width: float | None = None,
    level: float = 0.95,
) -> Verdict:
    """Phrase an uplift estimate against a claimed uplift in plain language.

    Rules (all numbers are fractions, 0.2 = 20 %; the claim is "an uplift of up to ``claim``"):

    1. *cannot tell* if the interval contains both 0 and the claim, or if it is wider than
       ``max_width`` (default: the claim itself — an interval wider than the effect being
       checked cannot judge it);
    2. otherwise *contradicts (smaller)* if the whole interval lies below the claim (worded
       separately when it also lies below 0, or still contains 0);
    3. *contradicts (larger)* if the whole interval lies above the claim;
    4. *supports* if the interval contains the claim and excludes 0.

    Args:
        estimate_pct: the point estimate of the uplift (fraction of counterfactual).
        ci_low, ci_high: its interval.
        claim: the claimed uplift, > 0 (default 0.20).
        language: ``"en"`` or ``"es"``.
        max_width: widest interval still judged; default ``claim``.
        level: coverage of the interval, only used in the wording.

    Raises:
        ValueError: non-finite numbers, ``ci_low > estimate_pct`` or ``estimate_pct > ci_high``,
            ``claim <= 0``, or an unknown language.
    """
    est, lo, hi = (_finite(n, v) for n, v in
                   (("estimate_pct", estimate_pct), ("ci_low", ci_low), ("ci_high", ci_high)))
    claim = _finite("claim", claim)
    if claim <= 0:
        raise ValueError(f"claim must be > 0 (a fraction, 0.2 = 20 %), got {claim}")
    if not lo <= est <= hi:
        raise ValueError(f"the interval [{lo}, {hi}] must contain the estimate {est}")
    if language not in _TEXT:
        raise ValueError(f"language must be one of {sorted(_TEXT)}, got {language!r}")
    width_max = claim if max_width is None else _finite("max_width", max_width)

    if (lo <= 0 <= hi and lo <= claim <= hi) or (hi - lo) > width_max:
        key = "cannot_tell_span" if lo <= 0 <= hi and lo <= claim <= hi else "cannot_tell_wide"
    elif hi < 0:
        key = "negative"
    elif hi < claim:
        key = "smaller" if lo > 0 else "smaller_maybe_zero"
    elif lo > claim:
        key = "larger"
    else:
        key = "supports"
    text = _TEXT[language][key].format(
        est=_pct(est, language), lo=_pct(lo, language), hi=_pct(hi, language),
        claim=_pct(claim, language), lvl=int(round(level * 100)),
        width=_pct(width_max, language).replace(
            " %", " percentage points" if language == "en" else " puntos porcentuales"))
    return Verdict(code=_CODES[key], text=text, estimate_pct=est, ci_low=lo, ci_high=hi,
                   claim=claim, language=language)


def verdict_from_result(result: UpliftResult, claim: float = 0.20, language: str = "en",
                        max_width: float | None = None) -> Verdict:
    """:func:`verdict` on an :class:`UpliftResult` (estimate and interval taken from it)."""
    if not np.isfinite([result.estimate, result.ci_low, result.ci_high]).all():
        raise ValueError("the uplift result has a non-finite estimate or interval")
    return verdict(result.estimate, result.ci_low, result.ci_high, claim=claim,
                   language=language, max_width=max_width, level=result.level)


# --- side-by-side table and forest plot --------------------------------------------------------

def treated_mean(
    df: pd.DataFrame, outcome: str = "revenue", unit: str = "unit_id", time: str = "period",
    adoption: str = "adoption_period", units: Sequence[Any] | None = None,
) -> float:
    """Observed mean ``outcome`` over treated unit-periods (``time >= adoption``), optionally only
    for ``units`` — the ``treated_mean`` of :func:`uplift_percent` for a panel ATT.

    Raises:
        ValueError: missing columns, non-numeric outcome, or no treated unit-period.
    """
    from smlib.causal._panel import integer_periods, numeric_column, require_columns

    require_columns(df, outcome=outcome, unit=unit, time=time, adoption=adoption)
    y = numeric_column(df, outcome, "outcome")
    ip = integer_periods(df, time=time, adoption=adoption, period_col="_t", cohort_col="_g")
    mask = (ip["_g"].to_numpy() > 0) & (ip["_t"].to_numpy() >= ip["_g"].to_numpy())
    if units is not None:
        mask &= df[unit].isin(list(units)).to_numpy()
    if not mask.any():
        raise ValueError("no treated unit-period: the treated mean is undefined")
    return float(y[mask].mean())


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
            :func:`uplift_percent` for the percentage columns. A naive row uses its own groups:
            its % is difference / comparison-group mean, interval bounds divided by the same mean
            (as :meth:`smlib.causal.naive.NaiveResult.to_frame`).
        truths, truths_pct: label -> true effect in outcome units / as a fraction (simulated data).

    Returns:
        One row per estimate: label, method, estimand, estimate, std_error, ci_low, ci_high,
        p_value, pct, pct_ci_low, pct_ci_high, truth, truth_pct, covers_truth, biased.
    """
    from smlib.causal.naive import NaiveResult

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
        language: ``"en"`` or ``"es"`` for the legend, the default title and axis label and the
            method names (:func:`estimate_label`).
    """
    import matplotlib.pyplot as plt

    es = _lang(language) == "es"
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
    y = np.arange(len(t))[::-1]
    for yi, (_, r) in zip(y, t.iterrows()):
        color = "tab:red" if r["biased"] else "tab:blue"
        if np.isfinite(r[column]):
            a, b, c = r[lo] * scale, r[hi] * scale, r[column] * scale
            if left is not None and (c > right or c < left):
                edge = right if c > right else left
                ax.annotate(f"{_num(c, language)}{' %' if column == 'pct' else ''} "
                            f"({'fuera de escala' if es else 'off scale'})",
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
    words = _FOREST["es" if es else "en"]
    if truth_col in t and t[truth_col].notna().any():  # simulated data only: no truth, no key
        ax.plot([], [], "D", color="black", mfc="none", label=words["truth"])
    ax.plot([], [], "o-", color="tab:blue", label=words["causal"])
    if t["biased"].astype(bool).any():
        ax.plot([], [], "o-", color="tab:red", label=words["naive"])
    ax.axvline(0, color="grey", lw=0.8)
    if claim is not None and column == "pct":
        shown = _pct_int(claim, language) if es else f"{claim:.0%}"
        ax.axvline(claim * 100, color="tab:orange", ls="--", lw=1.2,
                   label=f"{words['claim']} ({shown})")
    ax.set_yticks(y, [estimate_label(v, language) for v in t["label"]] if es else t["label"])
    ax.set_xlabel(xlabel or (words["x_pct"] if column == "pct" else words["x_effect"]))
    ax.set_title(title or words["title"])
    ax.legend(frameon=False, fontsize=8, loc="best")
    return ax



_FOREST = {
    "en": {"truth": "true value (simulation)", "causal": "causal estimate, 95 % interval",
           "naive": "naive comparison (biased)", "claim": "claim",
           "x_pct": "uplift, % of counterfactual revenue", "x_effect": "effect, outcome units",
           "title": "Estimates of the uplift from integration, side by side"},
    "es": {"truth": "valor real (simulación)", "causal": "estimación causal, intervalo del 95 %",
           "naive": "comparación ingenua (sesgada)", "claim": "afirmación",
           "x_pct": "aumento, % de los ingresos contrafactuales",
           "x_effect": "efecto, unidades del resultado",
           "title": "Estimaciones del aumento por la integración, lado a lado"},
}


def _lang(language: str) -> str:
    from smlib.presentation.settings import validate_language

    return validate_language(language)


def _num(x: float, language: str = "en") -> str:
    """Whole number with thousands separators in the language (``1,234`` / ``1234``, ``12.345``)."""
    from smlib.narrative import format_number

    return f"{x:,.0f}" if language == "en" else format_number(x, 0, language)


def _pct_int(x: float, language: str) -> str:
    from smlib.narrative import format_pct

    return format_pct(x, language, decimals=0)


_CONTROL_ES = {"never treated": "nunca integradas", "not yet treated": "aún no integradas"}
_LABELS_ES = {
    "two-way fixed effects": "efectos fijos de dos vías",
    "doubly robust (accounts)": "doblemente robusto (cuentas)",
    "double ML, partially linear (accounts)": "ML doble, parcialmente lineal (cuentas)",
    "naive: adopters vs never": "comparación ingenua: integradas frente a nunca integradas",
    "naive: before vs after": "comparación ingenua: después frente a antes",
}


def estimate_label(label: str, language: str = "en") -> str:
    """The name of an estimate (a label of :func:`compare_estimates`, as :func:`uplift_analysis`
    names them) in ``language``: ``"two-way fixed effects"`` → ``"efectos fijos de dos vías"``,
    ``"Callaway & Sant'Anna (dr, never treated)"`` → ``"Callaway y Sant'Anna (dr, nunca
    integradas)"``, ``"synthetic control: U008"`` → ``"control sintético: U008"``. English and
    unknown labels are returned as they are."""
    import re

    text = str(label)
    if _lang(language) == "en":
        return text
    if text in _LABELS_ES:
        return _LABELS_ES[text]
    m = re.fullmatch(r"Callaway & Sant'Anna \((.+), (never treated|not yet treated)\)", text)
    if m:
        return f"Callaway y Sant'Anna ({m.group(1)}, {_CONTROL_ES[m.group(2)]})"
    if text.startswith("synthetic control: "):
        return "control sintético: " + text.removeprefix("synthetic control: ")
    if text.startswith("naive: "):
        return "comparación ingenua: " + text.removeprefix("naive: ")
    return text


# --- what this data can support -------------------------------------------------------------------

#: Fewest accounts in each group (integrated, not) for the account-level estimators.
MIN_ACCOUNTS_PER_GROUP: int = 20

_PANEL_UNLOCKS = ("how much revenue integrating marketing and sales added, with a 95 % interval "
                  "and a verdict on the claimed uplift")
_ROLLOUT = ("; a company that has not integrated yet can plan a staggered rollout (some units "
            "first, others later) to make it estimable")
_PANEL_UNLOCKS_ES = ("cuántos ingresos añadió integrar marketing y ventas, con un intervalo del "
                     "95 % y un veredicto sobre el aumento afirmado")
_ROLLOUT_ES = ("; una empresa que aún no ha integrado sus equipos puede planificar un despliegue "
               "escalonado (unas unidades primero, otras después) para poder estimarlo")


def panel_gap(units: pd.DataFrame | None, outcome: str = "revenue") -> DataGap | None:
    """Why the unit-panel uplift (difference-in-differences) cannot be estimated, or None if it can.

    Needs: a ``units`` table with ``outcome``, at least two units, at least one unit that adopted
    integration inside the data with at least one month of data before it, and at least one unit
    to compare with (one that had not adopted by then).
    """
    from smlib.narrative import format_month

    ref = CONTRACT_REF["units"]
    rollout_es = {"unlocks_es": _PANEL_UNLOCKS_ES + _ROLLOUT_ES}
    if units is None or len(units) == 0:
        return DataGap("no_units", "a panel of business units by month with the month each unit "
                       "integrated its teams (table `units`)", _PANEL_UNLOCKS + _ROLLOUT, ref,
                       missing_es="un panel de unidades de negocio por mes con el mes en que cada "
                                  "unidad integró sus equipos (tabla `units`)", **rollout_es)
    if outcome not in units.columns or "adoption_period" not in units.columns:
        col = outcome if outcome not in units.columns else "adoption_period"
        return DataGap("no_units", f"the column `{col}` in the business-unit table",
                       _PANEL_UNLOCKS, ref,
                       missing_es=f"la columna `{col}` en la tabla de unidades de negocio",
                       unlocks_es=_PANEL_UNLOCKS_ES)
    n_units = units["unit_id"].nunique()
    if n_units < 2:
        return DataGap("no_units", "more than one business unit (it has one, so there is nothing "
                       "to compare its revenue with)", _PANEL_UNLOCKS + _ROLLOUT, ref,
                       missing_es="más de una unidad de negocio (tiene una, así que no hay con "
                                  "qué comparar sus ingresos)", **rollout_es)
    first, last = units["period"].min(), units["period"].max()
    adoption = units.groupby("unit_id")["adoption_period"].first()
    dated = adoption.dropna()
    inside = dated[(dated > first) & (dated <= last)]
    if inside.empty:
        if dated.empty:
            why = "any business unit that integrated its teams (no unit has an adoption date)"
            why_es = ("alguna unidad de negocio que integrara sus equipos (ninguna unidad tiene "
                      "fecha de integración)")
        elif (dated > last).all():
            why = (f"any integration inside the data period: every adoption date is after the "
                   f"last month of data ({last:%b %Y})")
            why_es = ("alguna integración dentro del periodo de los datos: todas las fechas de "
                      f"integración son posteriores al último mes de datos "
                      f"({format_month(last, 'es')})")
        else:
            why = (f"months before integration: every unit that integrated did so in or before "
                   f"the first month of data ({first:%b %Y})")
            why_es = ("meses antes de la integración: todas las unidades que se integraron lo "
                      f"hicieron en el primer mes de datos o antes ({format_month(first, 'es')})")
        return DataGap("no_adoption", why + ", so integrated and non-integrated revenue cannot "
                       "be compared", _PANEL_UNLOCKS + _ROLLOUT, ref,
                       missing_es=why_es + ", así que no se pueden comparar los ingresos con y "
                                           "sin integración", **rollout_es)
    not_yet = adoption.isna() | (adoption > inside.min())
    if not not_yet.any():
        return DataGap("no_adoption", "units to compare with: every unit integrated in the same "
                       "month", _PANEL_UNLOCKS + _ROLLOUT, ref,
                       missing_es="unidades con las que comparar: todas las unidades se "
                                  "integraron en el mismo mes", **rollout_es)
    return None


def account_gap(accounts: pd.DataFrame | None) -> DataGap | None:
    """Why the account-level check (doubly robust, double ML) cannot run, or None if it can.

    Needs an ``accounts`` table with ``integrated``, ``segment`` and ``size``, and at least 20
    accounts in each group (integrated and not).
    """
    unlocks = ("an account-level check of the uplift (integrated against comparable "
               "non-integrated accounts)")
    es = {"unlocks_es": "una comprobación del aumento a nivel de cuenta (cuentas integradas frente "
                        "a cuentas comparables no integradas)"}
    ref = CONTRACT_REF["accounts"]
    if accounts is None or len(accounts) == 0:
        return DataGap("no_accounts", "an accounts table", unlocks, ref,
                       missing_es="una tabla de cuentas", **es)
    if "integrated" not in accounts.columns:
        return DataGap("no_accounts", "the `integrated` flag of each account", unlocks, ref,
                       missing_es="el indicador `integrated` de cada cuenta", **es)
    flag = accounts["integrated"].dropna().astype(bool)
    n_int, n_not = int(flag.sum()), int((~flag).sum())
    if min(n_int, n_not) < MIN_ACCOUNTS_PER_GROUP:
        return DataGap("no_adoption", f"enough integrated and non-integrated accounts (it has "
                       f"{n_int:,} and {n_not:,}; at least {MIN_ACCOUNTS_PER_GROUP} of each are "
                       "needed)", unlocks, ref,
                       missing_es=f"suficientes cuentas integradas y no integradas (tiene "
                                  f"{_num(n_int, 'es')} y {_num(n_not, 'es')}; se necesitan al "
                                  f"menos {MIN_ACCOUNTS_PER_GROUP} de cada grupo)", **es)
    return None


def estimate_uplift(units: pd.DataFrame | None, outcome: str = "revenue",
                    control_group: str = "never_treated", method: str = "dr", n_boot: int = 0,
                    level: float = 0.95) -> tuple[Any, UpliftResult | None, DataGap | None]:
    """The headline uplift of report 02 alone: ``(did, uplift, gap)``.

    When :func:`panel_gap` finds the panel cannot support it, returns ``(None, None, gap)``.
    Otherwise Callaway & Sant'Anna (:func:`smlib.causal.staggered_did`) on ``units`` with
    ``method`` and ``control_group`` (the not-yet-integrated units when no unit stays
    unintegrated, as :func:`uplift_analysis` does), and the uplift as % of counterfactual
    revenue (:func:`uplift_percent`); ``gap`` is ``None``.
    """
    from smlib.causal import staggered_did

    gap = panel_gap(units, outcome)
    if gap is not None:
        return None, None, gap
    adoption = units.groupby("unit_id")["adoption_period"].first()
    if control_group == "never_treated" and not (adoption.isna()
                                                 | (adoption > units["period"].max())).any():
        control_group = "not_yet_treated"
    did = staggered_did(units, outcome=outcome, unit="unit_id", time="period",
                        cohort="adoption_period", control_group=control_group, method=method,
                        n_boot=n_boot, level=level)
    return did, uplift_percent(did, treated_mean=treated_mean(units, outcome)), None


# --- the whole analysis of report 02 -------------------------------------------------------------

@dataclass
class UpliftAnalysis:
    """Everything notebook 02 shows: naive comparisons, the estimators, robustness and the verdict.

    ``table`` is :func:`compare_estimates` over all estimators (with the simulator's truth where
    known); ``uplift`` the headline estimate (Callaway & Sant'Anna with the chosen method and
    comparison group) as % of counterfactual; ``verdicts`` maps language -> :class:`Verdict`.
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

    @property
    def estimable(self) -> bool:
        """True when the headline uplift could be estimated from this data."""
        return self.uplift is not None

    def effect_sentence(self, language: str = "en") -> str:
        """The headline ATT in outcome units, in one plain sentence (money for revenue)."""
        from smlib import narrative

        u = self.uplift
        if u is None:
            return self.not_estimable_text(language)
        outcome = (self.details or {}).get("outcome", "revenue")
        f = narrative.format_money if outcome == "revenue" else (
            lambda x, lang="en": narrative.format_number(x, 0 if abs(x) >= 100 else 2, lang))
        lo, hi = self.staggered.ci_low, self.staggered.ci_high  # the ATT behind the uplift
        lvl = int(round(u.level * 100))
        if language == "es":
            name = {"revenue": "ingresos"}.get(outcome, outcome)
            return (f"En {name}: la integración añadió unos {f(u.att, 'es')} por unidad y mes "
                    f"(intervalo del {lvl} %: {f(lo, 'es')} a {f(hi, 'es')}), sobre unos "
                    f"{f(u.counterfactual_mean, 'es')} que esas unidades habrían obtenido sin ella.")
        return (f"In {outcome}: integration added about {f(u.att)} per unit and month ({lvl} % "
                f"interval {f(lo)} to {f(hi)}), on top of about {f(u.counterfactual_mean)} the "
                f"same units would have made without it.")

    def not_estimable_text(self, language: str = "en") -> str:
        """Why the uplift cannot be estimated here and what data would make it estimable."""
        gap = self.gaps.get("panel")
        if language == "es":
            why = ("faltan datos de unidades de negocio con fechas de integración" if gap is None
                   or gap.code == "no_units" else
                   "ninguna unidad de negocio se integró dentro del periodo de los datos")
            return (f"El aumento de ingresos por la integración no se puede estimar con estos datos: "
                    f"{why}. Lo haría estimable un panel mensual de unidades de negocio (regiones) "
                    "con el mes en que cada una integró marketing y ventas, o un despliegue "
                    "planificado (unas unidades primero, otras después).")
        why = gap.missing if gap is not None else "a unit panel with adoption dates"
        return (f"The revenue uplift from integration cannot be estimated from this data: it does "
                f"not have {why}. What would make it estimable: a monthly panel of business units "
                "(regions) with the month each one integrated marketing and sales, or a planned "
                "rollout (some units first, others later).")

    def headline_items(self, language: str = "en") -> list[tuple[str, str]]:
        """Key figures for :func:`smlib.report.show_headline`, already formatted."""
        if self.uplift is None:
            if language == "es":
                return [("Aumento de ingresos estimado por la integración",
                         "no se puede estimar con estos datos"),
                        (f"Veredicto sobre la afirmación del {_pct(self.claim, 'es')}",
                         "sin datos para juzgarla"),
                        ("Qué lo haría estimable", "un panel de unidades con fechas de "
                         "integración, o un despliegue planificado")]
            return [("Estimated revenue uplift from integration", "cannot be estimated from this data"),
                    (f"Verdict on the {_pct(self.claim, 'en')} claim", "no data to judge it"),
                    ("What would make it estimable", "a panel of business units with adoption "
                     "dates, or a planned rollout")]
        u, v = self.uplift, self.verdicts[language]
        lvl = int(round(u.level * 100))
        if language == "es":
            rng = f"{_pct(u.estimate, 'es')} (IC del {lvl} %: {_pct(u.ci_low, 'es')} a {_pct(u.ci_high, 'es')})"
            items = [("Aumento de ingresos estimado por la integración", rng),
                     (f"Veredicto sobre la afirmación del {_pct(self.claim, 'es')}", v.text)]
            if self.truth_pct is not None:
                items.append(("Aumento real en la simulación", _pct(self.truth_pct, "es")))
            return items
        rng = f"{_pct(u.estimate, 'en')} ({lvl} % CI {_pct(u.ci_low, 'en')} to {_pct(u.ci_high, 'en')})"
        items = [("Estimated revenue uplift from integration", rng),
                 (f"Verdict on the {_pct(self.claim, 'en')} claim", v.text)]
        if self.truth_pct is not None:
            items.append(("True uplift in the simulation", _pct(self.truth_pct, "en")))
        return items


def _largest_early_adopter(units: pd.DataFrame, outcome: str) -> Any:
    per = units.groupby("unit_id").agg(g=("adoption_period", "first"), y=(outcome, "mean"))
    early = per[per["g"].notna() & (per["g"] == per["g"].min())]
    return early["y"].idxmax()


def uplift_analysis(
    dataset: Any,
    outcome: str = "revenue",
    control_group: str = "never_treated",
    method: str = "dr",
    claim: float = 0.20,
    truth: Any = None,
    level: float = 0.95,
    robustness: bool = True,
) -> UpliftAnalysis:
    """Run report 02's analysis on a dataset (:class:`smlib.io.Dataset` or anything with
    ``units``, ``accounts`` and ``opportunities`` tables as in data/README.md).

    - naive comparisons (:func:`smlib.causal.naive_comparisons`);
    - headline: Callaway & Sant'Anna (:func:`smlib.causal.staggered_did`) with ``method`` and
      ``control_group``, as uplift % of counterfactual (:func:`uplift_percent`) and
      :func:`verdict` against ``claim`` in English and Spanish;
    - also: the same with the other comparison group, TWFE (:func:`smlib.causal.twfe_did`),
      synthetic control for the largest first adopter (:func:`smlib.causal.synthetic_control_panel`),
      and on accounts (:func:`smlib.causal.account_outcomes`, won revenue) AIPW ATT
      (:func:`smlib.causal.doubly_robust`, linear learners) and DML-PLR with covariates segment,
      log size and, when present, log market size and start month;
    - robustness (placebo dates 1–3, placebo outcome ``headcount`` when present, leave one cohort out).

    Parts the data cannot support are left out (``None``) and explained in ``gaps`` (section ->
    :class:`DataGap`): no unit panel or no adoption inside the data (:func:`panel_gap`) leaves out
    every panel estimator and the headline (``uplift is None``); no usable accounts table
    (:func:`account_gap`) leaves out the account-level estimators; a panel without never-integrated
    units uses the not-yet-integrated units as the comparison (``details["control_group"]`` says
    which was used). ``truth`` (a :class:`smlib.simulate.Truth`) adds the true values beside the
    estimates, only for ``outcome="revenue"`` (the simulated effect is on revenue).
    """
    from smlib.causal import (account_outcomes, dml_plr, doubly_robust, leave_one_cohort_out,
                              naive_comparisons, placebo_dates, placebo_outcome, staggered_did,
                              synthetic_control_panel, twfe_did)
    from smlib.causal._panel import integer_periods

    units = dataset.units
    gaps: dict[str, DataGap] = {}
    cols = dict(unit="unit_id", time="period", cohort="adoption_period")
    labels: dict[str, Any] = {}
    means: dict[str, float] = {}
    naive = cs = cs_other = tw = sc = sc_unit = dr = dml = uplift = None
    m_panel = None
    covs: list[str] = []
    panel = panel_gap(units, outcome)
    if panel is not None:
        gaps["panel"] = panel
    else:
        adoption = units.groupby("unit_id")["adoption_period"].first()
        has_never = bool((adoption.isna() | (adoption > units["period"].max())).any())
        if control_group == "never_treated" and not has_never:
            control_group = "not_yet_treated"  # every unit integrates at some point
        try:
            naive = naive_comparisons(units, outcome) if has_never else None
        except ValueError:
            naive = None
        cs = staggered_did(units, outcome, control_group=control_group, method=method, level=level,
                           **cols)
        other = "not_yet_treated" if control_group == "never_treated" else "never_treated"
        m_panel = treated_mean(units, outcome)
        if naive is not None:
            labels["naive"] = naive
        labels[f"Callaway & Sant'Anna ({method}, {control_group.replace('_', ' ')})"] = cs
        means[next(reversed(labels))] = m_panel
        if other == "not_yet_treated" or has_never:
            try:
                cs_other = staggered_did(units, outcome, control_group=other, method=method,
                                         level=level, n_boot=0, **cols)
                labels[f"Callaway & Sant'Anna ({method}, {other.replace('_', ' ')})"] = cs_other
                means[next(reversed(labels))] = m_panel
            except ValueError:
                cs_other = None
        ip = integer_periods(units, adoption="adoption_period", period_col="_t", cohort_col="_g")
        ip["_d"] = ((ip["_g"] > 0) & (ip["_t"] >= ip["_g"])).astype(float)
        tw = twfe_did(ip, outcome, "unit_id", "_t", "_d", level=level)
        labels["two-way fixed effects"] = tw
        means["two-way fixed effects"] = m_panel
        sc_unit = _largest_early_adopter(units, outcome)
        try:
            sc = synthetic_control_panel(units, outcome, treated=sc_unit, level=level)
        except ValueError as err:
            sc = None
            gaps["synth"] = DataGap("synth", "enough comparison units or months before the first "
                                    f"integration for a synthetic control ({err})",
                                    "a look-alike of the largest early adopter",
                                    CONTRACT_REF["units"],
                                    missing_es="suficientes unidades de comparación o meses antes "
                                               "de la primera integración para construir un "
                                               "control sintético",
                                    unlocks_es="una réplica sintética de la mayor de las primeras "
                                               "unidades en integrarse")
        if sc is not None:
            key = f"synthetic control: {sc_unit}"
            labels[key] = sc
            post = sc.path[sc.path["time"] >= sc.treatment_time]
            means[key] = float(post["treated"].mean())
        uplift = uplift_percent(cs, treated_mean=m_panel)

    accounts = getattr(dataset, "accounts", None)
    acc_gap = account_gap(accounts)
    if acc_gap is not None:
        gaps["accounts"] = acc_gap
    else:
        acc = account_outcomes(accounts, dataset.opportunities)
        covs = [c for c in ("segment",) if c in acc and acc[c].nunique() > 1]
        if "size" in acc and (acc["size"] > 0).all():
            acc["log_size"] = np.log(acc["size"].astype(float))
            covs.append("log_size")
        if "market_size" in acc and (acc["market_size"] > 0).all():
            acc["log_market_size"] = np.log(acc["market_size"].astype(float))
            covs.append("log_market_size")
        if "start_month" in acc:
            covs.append("start_month")
        acc["integrated"] = acc["integrated"].astype(float)
        try:
            dr = doubly_robust(acc, "revenue", "integrated", covs, level=level)
            dml = dml_plr(acc, "revenue", "integrated", covs, level=level)
        except ValueError as err:
            dr = dml = None
            gaps["accounts"] = DataGap("accounts", f"accounts that can be compared ({err})",
                                       "an account-level check of the uplift",
                                       CONTRACT_REF["accounts"],
                                       missing_es="cuentas integradas y no integradas que se "
                                                  "puedan comparar",
                                       unlocks_es="una comprobación del aumento a nivel de cuenta")
        if dr is not None:
            treated_rev = float(acc.loc[acc["integrated"] == 1, "revenue"].mean())
            labels["doubly robust (accounts)"] = dr
            labels["double ML, partially linear (accounts)"] = dml
            means["doubly robust (accounts)"] = treated_rev
            means["double ML, partially linear (accounts)"] = treated_rev

    truths, truths_pct, truth_pct = {}, {}, None
    if truth is not None and outcome == "revenue":
        truth_pct = float(truth.att_pct)
        for k, r in labels.items():
            if r is cs or r is cs_other or r is tw:
                truths[k], truths_pct[k] = truth.att, truth.att_pct
            elif r is dr or r is dml:
                truths[k], truths_pct[k] = truth.account_att, truth.account_att_pct
        po = truth.potential_outcomes
        if po is not None and sc is not None:
            w0, w1 = sc.details["post_window"]
            cells = po[(po["unit_id"] == sc_unit) & po["period"].between(w0, w1)]
            key = f"synthetic control: {sc_unit}"
            truths[key] = float((cells["y1"] - cells["y0"]).mean())
            truths_pct[key] = float((cells["y1"] - cells["y0"]).sum() / cells["y0"].sum())
    table = compare_estimates(labels, means, truths, truths_pct) if labels else pd.DataFrame(
        columns=["label", "method", "estimand", "estimate", "std_error", "ci_low", "ci_high",
                 "p_value", "pct", "pct_ci_low", "pct_ci_high", "truth", "truth_pct",
                 "covers_truth", "biased"])
    if naive is not None:
        for r in naive.comparisons:
            lab = f"naive: {r.method.replace('_', ' ')}"
            if truth is not None and outcome == "revenue":
                table.loc[table["label"] == lab, ["truth", "truth_pct"]] = [truth.att, truth.att_pct]
                table.loc[table["label"] == lab, "covers_truth"] = bool(r.ci_low <= truth.att <= r.ci_high)

    verdicts = ({lang: verdict_from_result(uplift, claim=claim, language=lang)
                 for lang in ("en", "es")} if uplift is not None else {})
    checks: dict[str, pd.DataFrame] = {}
    skipped_checks: dict[str, str] = {}
    if robustness and panel is None:
        kw = dict(control_group=control_group, method=method)
        runs = {"placebo_dates": lambda: placebo_dates(units, outcome, shifts=(1, 2, 3), **kw),
                "leave_one_cohort_out": lambda: leave_one_cohort_out(units, outcome, **kw)}
        if ("headcount" in units and outcome != "headcount"
                and units.groupby("unit_id")["headcount"].nunique().max() > 1):
            runs = {"placebo_dates": runs["placebo_dates"],
                    "placebo_outcome": lambda: placebo_outcome(units, "headcount", **kw),
                    "leave_one_cohort_out": runs["leave_one_cohort_out"]}
        for name, run in runs.items():
            try:
                checks[name] = run()
            except ValueError as err:  # e.g. one cohort only, or too few months before integration
                skipped_checks[name] = str(err)
    return UpliftAnalysis(naive=naive, staggered=cs, twfe=tw, synth=sc, doubly_robust=dr, dml=dml,
                          table=table, uplift=uplift, verdicts=verdicts, robustness=checks,
                          claim=claim, truth_pct=truth_pct, results=labels, gaps=gaps,
                          details=dict(outcome=outcome, control_group=control_group, method=method,
                                       account_covariates=covs, synth_unit=sc_unit,
                                       skipped_checks=skipped_checks))


# --- readable tables for report 02 -----------------------------------------------------------------

@dataclass
class ReportTable:
    """A table for leadership: the data and how to show it with :func:`smlib.display.show_table`.

    ``frame`` holds the raw values (numbers stay numbers, so the table can be tested and reused);
    ``formats``, ``labels`` and ``intervals`` are passed to ``show_table``, which writes money
    rounded (``$62k``), percentages with ``%``, thousands separators, plain headers and no index.
    """

    frame: pd.DataFrame
    caption: str = ""
    formats: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    intervals: dict[str, tuple[str, str]] = field(default_factory=dict)

    def _labels(self) -> dict[str, str]:
        return {k: v for k, v in self.labels.items() if k in self.frame.columns}

    def show(self, language: str = "en") -> None:
        """Display the table (HTML in notebooks, aligned text elsewhere); returns None."""
        from smlib.display import show_table

        show_table(self.frame, self.formats, caption=self.caption or None, labels=self._labels(),
                   intervals=self.intervals, language=language)

    def to_text(self, language: str = "en") -> pd.DataFrame:
        """The formatted cells as shown, with the display headers (strings only)."""
        from smlib.display import table_text

        return table_text(self.frame, self.formats, labels=self._labels(),
                          intervals=self.intervals, language=language)[0]


def p_value_text(p: float, language: str = "en") -> str:
    """A p-value for readers: three decimals, ``<0.001`` below that, ``–`` when missing (decimal
    comma with ``language="es"``: ``0,041``, ``<0,001``)."""
    es = _lang(language) == "es"
    if p is None or not np.isfinite(p):
        return "–"
    text = "<0.001" if p < 0.0005 else f"{p:.3f}"
    return text.replace(".", ",") if es else text


_NAIVE_LABELS = {
    "adopters_vs_never": ("Integrated units vs units that never integrated (after integration)",
                          "naive estimate"),
    "before_vs_after": ("Integrated units, after vs before integrating", "naive estimate"),
    "head_start_before_anyone_adopted": ("Head start of the future integrators before anyone "
                                         "integrated", "bias it contains"),
    "never_adopters_change": ("Change of never-integrated units over the same months",
                              "bias it contains"),
}
_NAIVE_LABELS_ES = {
    "adopters_vs_never": ("Unidades integradas frente a unidades que nunca se integraron (tras la "
                          "integración)", "estimación ingenua"),
    "before_vs_after": ("Unidades integradas, después frente a antes de integrarse",
                        "estimación ingenua"),
    "head_start_before_anyone_adopted": ("Ventaja previa de las futuras integradas antes de que "
                                         "nadie se integrara", "sesgo que contiene"),
    "never_adopters_change": ("Cambio de las unidades nunca integradas en los mismos meses",
                              "sesgo que contiene"),
}
_KIND_ES = {"naive estimate": "estimación ingenua", "bias diagnostic": "diagnóstico de sesgo"}


def _interval(level: float, language: str = "en") -> str:
    if language == "es":
        return f"intervalo del {level * 100:g} %".replace(".", ",")
    return f"{level * 100:g} % interval"


def _outcome_es(outcome: str) -> str:
    return {"revenue": "ingresos"}.get(str(outcome), str(outcome))


def naive_table(naive: Any, level: float = 0.95, language: str = "en") -> ReportTable:
    """The naive comparisons and the two biases behind them, one row each (from
    :meth:`smlib.causal.naive.NaiveResult.to_frame`): what is compared, whether it is a naive
    estimate or a bias, the difference in revenue per unit and month with its interval, and the
    difference as % of the comparison group's mean with its interval. ``level`` names the
    intervals' coverage in the headers (the one the comparisons were computed with); texts in
    ``language`` (show it with ``.show(language)``)."""
    es = _lang(language) == "es"
    t = naive.to_frame()
    names = _NAIVE_LABELS_ES if es else _NAIVE_LABELS
    known = t["method"].map(lambda m: names.get(m, (str(m).replace("_", " "), "")))
    frame = pd.DataFrame({
        "comparison": [k[0] for k in known],
        "kind": [k[1] or (_KIND_ES.get(kind, kind) if es else kind)
                 for k, kind in zip(known, t["kind"])],
        "difference": t["estimate"], "ci_low": t["ci_low"], "ci_high": t["ci_high"],
        "pct": t["pct"], "pct_ci_low": t["pct_ci_low"], "pct_ci_high": t["pct_ci_high"],
    })
    caption, labels = (
        ("Comparaciones ingenuas (sesgadas) y los sesgos que contienen",
         {"comparison": "Comparación", "kind": "Qué es",
          "difference": f"Diferencia en {_outcome_es(naive.outcome_label)} por unidad y mes "
                        f"({_interval(level, 'es')})",
          "pct": f"En % del grupo de comparación ({_interval(level, 'es')})"}) if es else
        ("Naive comparisons (biased) and the biases they contain",
         {"comparison": "Comparison", "kind": "What it is",
          "difference": f"Difference in {naive.outcome_label} per unit and month "
                        f"({_interval(level)})",
          "pct": f"As % of the comparison group ({_interval(level)})"}))
    return ReportTable(
        frame, caption=caption, formats={"difference": "money", "pct": "pct"}, labels=labels,
        intervals={"difference": ("ci_low", "ci_high"), "pct": ("pct_ci_low", "pct_ci_high")})


_PER = {"staggered_did": "unit and month", "twfe_did": "unit and month",
        "synthetic_control": "month (one unit)", "doubly_robust": "account",
        "dml_plr": "account"}
_PER_ES = {"unit and month": "unidad y mes", "month (one unit)": "mes (una unidad)",
           "account": "cuenta"}


def estimates_table(table: pd.DataFrame, results: Mapping[str, Any] | None = None,
                    level: float = 0.95, language: str = "en") -> ReportTable:
    """All estimates side by side (rows of :func:`compare_estimates`): the effect in money with
    its 95 % interval and what it is per (unit and month, or account), the uplift in % of the
    revenue without integration with its interval, and on simulated data the true values and
    whether the interval contains the truth. ``results`` (label -> result) adds a note when an
    estimate leaves cells out (:func:`smlib.causal.staggered_did` with non-estimable cells).
    Texts and method names (:func:`estimate_label`) in ``language``."""
    es = _lang(language) == "es"
    t = table.reset_index(drop=True)
    per = [("unit and month" if b else _PER.get(m, "")) for m, b in zip(t["method"], t["biased"])]
    frame = pd.DataFrame({
        "method": [estimate_label(v, language) for v in t["label"]] if es else t["label"],
        "per": [_PER_ES.get(p, p) for p in per] if es else per,
        "effect": t["estimate"], "ci_low": t["ci_low"], "ci_high": t["ci_high"],
        "uplift": t["pct"], "uplift_ci_low": t["pct_ci_low"], "uplift_ci_high": t["pct_ci_high"],
    })
    formats: dict[str, Any] = {"effect": "money", "uplift": "pct"}
    if es:
        labels = {"method": "Método", "per": "Efecto por",
                  "effect": f"Efecto ({_interval(level, 'es')})",
                  "uplift": f"Aumento ({_interval(level, 'es')})"}
    else:
        labels = {"method": "Method", "per": "Effect per", "effect": f"Effect ({_interval(level)})",
                  "uplift": f"Uplift ({_interval(level)})"}
    yes_no = ("sí", "no") if es else ("yes", "no")
    if t["truth"].notna().any():
        frame["truth"] = t["truth"]
        frame["truth_pct"] = t["truth_pct"]
        frame["covers_truth"] = t["covers_truth"].map(
            lambda v: "–" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
            else (yes_no[0] if v else yes_no[1]))
        formats.update(truth="money", truth_pct="pct")
        if es:
            labels.update(truth="Efecto real", truth_pct="Aumento real",
                          covers_truth="Valor real dentro del intervalo")
        else:
            labels.update(truth="True effect", truth_pct="True uplift",
                          covers_truth="Truth inside interval")
    notes = []
    for label in t["label"]:
        res = (results or {}).get(label)
        cells = getattr(res, "details", {}).get("excluded_cells") if res is not None else None
        notes.append("" if cells is None or len(cells) == 0 else
                     f"deja fuera {len(cells)} celdas que no pudo estimar" if es else
                     f"leaves out {len(cells)} cells it could not estimate")
    if any(notes):
        frame["note"] = notes
        labels["note"] = "Nota" if es else "Note"
    if es:
        caption = ("Estimaciones del efecto de la integración, lado a lado (aumento: % de los "
                   "ingresos sin integración" + ("; valores reales: simulación)" if "truth" in frame
                                                 else ")"))
    else:
        caption = ("Estimates of the effect of integration, side by side (uplift: % of the revenue "
                   "without integration" + ("; true values: simulation)" if "truth" in frame else ")"))
    return ReportTable(frame, caption=caption,
                       formats=formats, labels=labels,
                       intervals={"effect": ("ci_low", "ci_high"),
                                  "uplift": ("uplift_ci_low", "uplift_ci_high")})


_CHECKS = {
    "placebo_dates": ("Placebo dates: integration moved earlier, effect before the real date "
                      "(should be near 0)", "Pretended start"),
    "placebo_outcome": ("Placebo outcome: an outcome integration cannot change (should be near 0)",
                        "Outcome"),
    "leave_one_cohort_out": ("Leave one group out: the estimate without each group of units that "
                             "integrated in the same month (should stay similar)", "Units used"),
}
_CHECKS_ES = {
    "placebo_dates": ("Fechas placebo: se adelanta la integración y se mide el efecto antes de la "
                      "fecha real (debería estar cerca de 0)", "Inicio supuesto"),
    "placebo_outcome": ("Resultado placebo: un resultado que la integración no puede cambiar "
                        "(debería estar cerca de 0)", "Resultado"),
    "leave_one_cohort_out": ("Dejar fuera un grupo: la estimación sin cada grupo de unidades que se "
                             "integraron en el mismo mes (debería mantenerse parecida)",
                             "Unidades usadas"),
}


def _note_es(note: str) -> str:
    """A note of :mod:`smlib.causal.robustness` in Spanish (unknown notes as they are)."""
    import re

    if note == "only one cohort: nothing to leave out":
        return "solo hay un grupo: no hay nada que dejar fuera"
    m = re.fullmatch(r"(\d+) adopter\(s\) without an earlier period dropped", note)
    if m:
        return f"se descartan {m.group(1)} unidades integradas sin un periodo anterior"
    return note


def robustness_table(name: str, frame: pd.DataFrame, outcome: str = "revenue",
                     level: float = 0.95, language: str = "en") -> ReportTable:
    """One robustness check of :mod:`smlib.causal.robustness` as a readable table: what was done,
    the estimate with its 95 % interval (money for the revenue outcome), the p-value of "no
    effect" and the number of units. ``name`` is the key in ``UpliftAnalysis.robustness``; texts
    in ``language``."""
    if name not in _CHECKS:
        raise ValueError(f"name must be one of {sorted(_CHECKS)}, got {name!r}")
    es = _lang(language) == "es"
    caption, first = (_CHECKS_ES if es else _CHECKS)[name]
    f = frame.reset_index(drop=True)
    label = f["label"].astype(str)
    if name == "placebo_dates":
        if es:
            label = f["shift"].map(lambda k: f"{int(k)} {'mes' if int(k) == 1 else 'meses'} antes")
        else:
            label = f["shift"].map(lambda k: f"{int(k)} month{'s' if int(k) != 1 else ''} early")
    elif name == "leave_one_cohort_out":
        if es:
            label = label.str.replace("all cohorts", "todas las unidades", regex=False).str.replace(
                "without cohort ", "sin las unidades que se integraron en ", regex=False)
        else:
            label = label.str.replace("all cohorts", "all units", regex=False).str.replace(
                "without cohort ", "without the units integrating in ", regex=False)
    out = pd.DataFrame({"what": label, "estimate": f["estimate"], "ci_low": f["ci_low"],
                        "ci_high": f["ci_high"],
                        "p_value": f["p_value"].map(lambda p: p_value_text(p, language)),
                        "n_units": f["n_units"].astype("int64")})
    if "note" in f and f["note"].astype(str).str.len().gt(0).any():
        out["note"] = f["note"].astype(str).map(_note_es) if es else f["note"].astype(str)
    money = name != "placebo_outcome" and outcome == "revenue"
    if es:
        labels = {"what": first, "estimate": f"Efecto estimado ({_interval(level, 'es')})",
                  "p_value": "Valor p (sin efecto)", "n_units": "Unidades", "note": "Nota"}
    else:
        labels = {"what": first, "estimate": f"Estimated effect ({_interval(level)})",
                  "p_value": "p-value (no effect)", "n_units": "Units", "note": "Note"}
    return ReportTable(
        out, caption=caption,
        formats={"estimate": "money" if money else "float", "p_value": "text"},
        labels=labels,
        intervals={"estimate": ("ci_low", "ci_high")})


def synth_table(sc: Any, min_weight: float = 0.001, language: str = "en") -> ReportTable:
    """Key figures of a synthetic control (:class:`smlib.causal.synth.SyntheticControlResult`) as
    a two-column table: unit, start, average monthly gap with its interval, fit before the start
    (root mean squared prediction error), placebo p-value and the donors' weights; texts and
    numbers in ``language``."""
    from smlib import narrative

    lang = _lang(language)
    start = sc.treatment_time
    start = start.date().isoformat() if isinstance(start, pd.Timestamp) else str(start)
    w = sc.weights[sc.weights > min_weight].sort_values(ascending=False)
    lvl = int(round(sc.level * 100))
    bounded = np.isfinite([sc.ci_low, sc.ci_high]).all()
    donors = ", ".join(f"{k} {narrative.format_pct(v, lang, decimals=0)}" for k, v in w.items())

    def money(x: float) -> str:
        return narrative.format_money(x, lang)

    if lang == "es":
        interval = (f"intervalo del {lvl} %: {money(sc.ci_low)} a {money(sc.ci_high)}" if bounded
                    else f"sin intervalo finito del {lvl} %: hay demasiado pocas unidades de "
                         "comparación para la prueba placebo")
        rows = [
            ("Unidad", str(sc.treated_unit)),
            ("Integrada desde", start),
            ("Efecto mensual medio (diferencia con su réplica sintética)",
             f"{money(sc.estimate)} ({interval})"),
            ("Error mensual típico de la réplica antes de la integración", money(sc.pre_rmspe)),
            ("Valor p placebo (parte de las unidades con una diferencia así de grande por azar)",
             p_value_text(sc.placebo_p_value, "es")),
            ("Réplica construida con (peso)", donors),
        ]
        return ReportTable(pd.DataFrame(rows, columns=["figure", "value"]),
                           caption="Control sintético para la mayor de las primeras unidades en "
                                   "integrarse",
                           formats={"figure": "text", "value": "text"},
                           labels={"figure": "Cifra", "value": "Valor"})
    interval = (f"{lvl} % interval {money(sc.ci_low)} to {money(sc.ci_high)}" if bounded else
                f"no finite {lvl} % interval: too few comparison units for the placebo test")
    rows = [
        ("Unit", str(sc.treated_unit)),
        ("Integrated from", start),
        ("Average monthly effect (gap to its synthetic look-alike)",
         f"{money(sc.estimate)} ({interval})"),
        ("Typical monthly error of the look-alike before integration", money(sc.pre_rmspe)),
        ("Placebo p-value (share of units with a gap this large by chance)",
         p_value_text(sc.placebo_p_value)),
        ("Look-alike built from (weight)", donors),
    ]
    return ReportTable(pd.DataFrame(rows, columns=["figure", "value"]),
                       caption="Synthetic control for the largest early adopter",
                       formats={"figure": "text", "value": "text"},
                       labels={"figure": "Figure", "value": "Value"})


def dr_tables(dr: Any, language: str = "en") -> tuple[ReportTable, ReportTable]:
    """The account-level doubly robust estimate (:class:`smlib.causal.dr.DoublyRobustResult`):
    key figures (effect per account with interval, p-value, accounts used and trimmed) and its
    overlap table (propensity-score quantiles, shares outside the overlap band and effective
    sample size per arm); texts and numbers in ``language``."""
    from smlib import narrative
    from smlib.causal.dr import OVERLAP_BAND

    lang = _lang(language)
    es = lang == "es"
    lo, hi = OVERLAP_BAND
    lvl = int(round(dr.level * 100))

    def money(x: float) -> str:
        return narrative.format_money(x, lang)

    def number(x: float) -> str:
        return narrative.format_number(x, 0, lang)

    if es:
        key = pd.DataFrame([
            ("Efecto sobre los ingresos ganados por cuenta integrada",
             f"{money(dr.estimate)} (intervalo del {lvl} %: {money(dr.ci_low)} a "
             f"{money(dr.ci_high)})"),
            ("Valor p (sin efecto)", p_value_text(dr.p_value, "es")),
            ("Cuentas usadas", number(dr.n_obs or 0)),
            ("Cuentas descartadas por falta de cuentas comparables", number(dr.n_trimmed)),
        ], columns=["figure", "value"])
    else:
        key = pd.DataFrame([
            ("Effect on won revenue per integrated account",
             f"{money(dr.estimate)} ({lvl} % interval {money(dr.ci_low)} to {money(dr.ci_high)})"),
            ("p-value (no effect)", p_value_text(dr.p_value)),
            ("Accounts used", number(dr.n_obs or 0)),
            ("Accounts dropped for lack of comparable accounts", number(dr.n_trimmed)),
        ], columns=["figure", "value"])
    ov = dr.overlap.copy()
    arms = ({"treated": "integradas", "control": "no integradas"} if es else
            {"treated": "integrated", "control": "not integrated"})
    ov["arm"] = ov["arm"].map(arms).fillna(ov["arm"])
    keep = [c for c in ("arm", "n", "min", "p05", "median", "p95", "max", "share_below",
                        "share_above", "ess") if c in ov]
    ov = ov[keep]
    formats = {"n": "int", "min": "float2", "p05": "float2", "median": "float2", "p95": "float2",
               "max": "float2", "share_below": "pct", "share_above": "pct", "ess": "int"}
    if es:
        return (
            ReportTable(key, caption=f"Estimación doblemente robusta en cuentas ({dr.estimand})",
                        formats={"figure": "text", "value": "text"},
                        labels={"figure": "Cifra", "value": "Valor"}),
            ReportTable(ov, caption="Solapamiento: probabilidad estimada de estar integrada, por "
                                    "grupo",
                        formats=formats,
                        labels={"arm": "Cuentas", "n": "Número", "min": "Mínimo",
                                "p05": "Percentil 5", "median": "Mediana", "p95": "Percentil 95",
                                "max": "Máximo",
                                "share_below": f"Parte por debajo de {lo:g}".replace(".", ","),
                                "share_above": f"Parte por encima de {hi:g}".replace(".", ","),
                                "ess": "Número efectivo"}),
        )
    return (
        ReportTable(key, caption=f"Doubly robust estimate on accounts ({dr.estimand})",
                    formats={"figure": "text", "value": "text"},
                    labels={"figure": "Figure", "value": "Value"}),
        ReportTable(ov, caption="Overlap: estimated probability of being integrated, by group",
                    formats=formats,
                    labels={"arm": "Accounts", "n": "Number", "min": "Lowest", "p05": "5th pct.",
                            "median": "Median", "p95": "95th pct.", "max": "Highest",
                            "share_below": f"Share below {lo:g}",
                            "share_above": f"Share above {hi:g}",
                            "ess": "Effective number"}),
    )
