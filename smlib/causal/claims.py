"""The estimand of report 02: uplift as a share of counterfactual revenue, and the rule that
judges an uplift against a claimed one.

The marketing literature repeats that integrating marketing and sales raises revenue "by up to 20 %"
(Aberdeen Group 2010 survey, see docs/sources.md §1: a cross-sectional
best-in-class vs laggard contrast, not a causal estimate). This module turns a causal estimate of
the ATT into a percentage of the counterfactual (:func:`uplift_percent`) and compares it with such a
claim (:func:`check_claim`: the one verdict rule, for a claim stated as a ceiling, "up to 20 %",
or as a typical value, with a failed pre-trend check meaning no verdict; a code and the numbers
judged). The wording of the verdict, in every report language, is
:func:`smlib.analyses.uplift.verdict`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from smlib.causal._panel import (PanelSpec, integer_periods, numeric_column, panel_spec,
                                 require_columns)
from smlib.causal.results import EstimateResult


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


# --- the claim check ---------------------------------------------------------------------------

#: How a claimed uplift can be stated: ``"up_to"`` a ceiling ("raises revenue by up to 20 %": any
#: gain up to the figure is within the claim; an interval wholly below it means the figure
#: overstates what this company can expect, not that the claim is false) or ``"typical"`` an
#: expected value ("raises revenue by 20 %": an interval that excludes it contradicts it).
CLAIM_FORMS: tuple[str, ...] = ("up_to", "typical")
#: Significance level of the pre-trend test below which the data cannot support a verdict (the
#: integrated units were already drifting apart before they integrated).
PRETREND_ALPHA: float = 0.05

#: The rule as a table: (claim form, reason) -> code. The reasons shared by both forms come
#: first in :func:`check_claim`'s order; the code is what reports key on, the reason picks the
#: words (catalogue ``uplift.verdict``).
CLAIM_CODES: dict[tuple[str, str], str] = {
    **{(form, reason): code for form in CLAIM_FORMS for reason, code in (
        ("pretrend", "no_verdict"), ("negative", "negative"), ("span", "cannot_tell"),
        ("wide", "cannot_tell"))},
    ("up_to", "below"): "overstated", ("up_to", "below_maybe_zero"): "overstated",
    ("up_to", "within"): "consistent", ("up_to", "above"): "exceeded",
    ("typical", "below"): "contradicts_smaller", ("typical", "below_maybe_zero"): "contradicts_smaller",
    ("typical", "within"): "supports", ("typical", "above"): "contradicts_larger",
}


@dataclass(frozen=True)
class ClaimCheck:
    """An uplift interval compared with a claimed uplift (numbers only, no wording).

    Attributes:
        code: what the verdict says (:data:`CLAIM_CODES`): ``"no_verdict"`` (failed pre-trend
            check), ``"negative"``, ``"cannot_tell"``; for a ceiling ("up to") ``"overstated"``,
            ``"consistent"``, ``"exceeded"``; for a typical value ``"contradicts_smaller"``,
            ``"supports"``, ``"contradicts_larger"``.
        reason: the case behind the code: ``"pretrend"``, ``"negative"``, ``"span"``, ``"wide"``,
            ``"below"``, ``"below_maybe_zero"``, ``"within"`` or ``"above"``.
        estimate_pct, ci_low, ci_high, claim: the numbers judged (fractions, 0.2 = 20 %).
        max_width: the widest interval still judged.
        claim_form: ``"up_to"`` or ``"typical"`` (:data:`CLAIM_FORMS`).
        pretrend_p: the pre-trend test's p-value (None or NaN: no test).
    """

    code: str
    reason: str
    estimate_pct: float
    ci_low: float
    ci_high: float
    claim: float
    max_width: float
    claim_form: str = "up_to"
    pretrend_p: float | None = None


def check_claim(
    estimate_pct: float,
    ci_low: float,
    ci_high: float,
    claim: float = 0.20,
    max_width: float | None = None,
    claim_form: str = "up_to",
    pretrend_p: float | None = None,
) -> ClaimCheck:
    """Judge an uplift estimate and its interval against a claimed uplift: the one rule every
    report uses (report 02's verdict and report 03's headline word its result).

    All numbers are fractions (0.2 = 20 %). The first case that holds decides:

    1. ``pretrend``: the pre-trend test rejects parallel trends (``pretrend_p`` below
       :data:`PRETREND_ALPHA`): no verdict, the comparison the estimate rests on is in doubt;
    2. ``negative``: the whole interval is below 0 (integration lowered revenue; contradicts a
       claimed gain in either form, however wide the interval);
    3. ``span``: the interval contains both 0 and the claim: cannot tell;
    4. ``wide``: the interval is wider than ``max_width`` (default: the claim itself; an interval
       wider than the effect checked cannot judge it): cannot tell;
    5. ``below`` (0 excluded) / ``below_maybe_zero`` (0 inside): the whole interval is below the
       claim; ``above``: wholly above it; ``within``: it contains the claim (and excludes 0).

    Case 5 depends on ``claim_form`` (:data:`CLAIM_FORMS`): for a ceiling (``"up_to"``, "raises
    revenue by up to 20 %") an interval below the claim is within it: the figure *overstates*
    what this company can expect (code ``overstated``), ``within`` is ``consistent`` and ``above``
    ``exceeded``; for a typical value (``"typical"``) below and above *contradict* the claim
    (``contradicts_smaller`` / ``contradicts_larger``) and ``within`` ``supports`` it.

    Raises:
        ValueError: non-finite numbers, ``ci_low > estimate_pct`` or ``estimate_pct > ci_high``,
            ``claim <= 0``, ``max_width <= 0`` or an unknown ``claim_form``.
    """
    est, lo, hi = (_finite(n, v) for n, v in
                   (("estimate_pct", estimate_pct), ("ci_low", ci_low), ("ci_high", ci_high)))
    claim = _finite("claim", claim)
    if claim <= 0:
        raise ValueError(f"claim must be > 0 (a fraction, 0.2 = 20 %), got {claim}")
    if claim_form not in CLAIM_FORMS:
        raise ValueError(f"claim_form must be one of {CLAIM_FORMS} ('up_to': a ceiling, 'up to "
                         f"20 %'; 'typical': an expected value), got {claim_form!r}")
    if not lo <= est <= hi:
        raise ValueError(f"the interval [{lo}, {hi}] must contain the estimate {est}")
    width_max = claim if max_width is None else _finite("max_width", max_width)
    if width_max <= 0:
        raise ValueError(f"max_width must be > 0, got {width_max}")
    p = None if pretrend_p is None else float(pretrend_p)
    if p is not None and math.isfinite(p) and not 0 <= p <= 1:
        raise ValueError(f"pretrend_p must be a p-value in [0, 1] (or None), got {p}")

    if p is not None and math.isfinite(p) and p < PRETREND_ALPHA:
        key = "pretrend"
    elif hi < 0:
        key = "negative"
    elif lo <= 0 and hi >= claim:
        key = "span"
    elif hi - lo > width_max:
        key = "wide"
    elif hi < claim:
        key = "below" if lo > 0 else "below_maybe_zero"
    elif lo > claim:
        key = "above"
    else:
        key = "within"
    return ClaimCheck(code=CLAIM_CODES[(claim_form, key)], reason=key, estimate_pct=est,
                      ci_low=lo, ci_high=hi, claim=claim, max_width=width_max,
                      claim_form=claim_form, pretrend_p=p)


# --- the treated mean of a panel ATT ------------------------------------------------------------

def treated_mean(
    df: pd.DataFrame, outcome: str | None = None, unit: str | None = None,
    time: str | None = None, adoption: str | None = None, units: Sequence[Any] | None = None,
    panel: PanelSpec | None = None,
) -> float:
    """Observed mean ``outcome`` over treated unit-periods (``time >= adoption``), optionally only
    for ``units`` — the ``treated_mean`` of :func:`uplift_percent` for a panel ATT.

    The columns default to the data contract's ``units`` table; ``panel`` (a
    :class:`~smlib.causal._panel.PanelSpec`) names them at once, explicit arguments win.

    Raises:
        ValueError: missing columns, non-numeric outcome, or no treated unit-period.
    """
    spec = panel_spec(panel, outcome=outcome, unit=unit, time=time, cohort=adoption)
    outcome, unit, time, adoption = spec.outcome, spec.unit, spec.time, spec.cohort
    require_columns(df, outcome=outcome, unit=unit, time=time, adoption=adoption)
    y = numeric_column(df, outcome, "outcome")
    ip = integer_periods(df, time=time, adoption=adoption, period_col="_t", cohort_col="_g")
    mask = (ip["_g"].to_numpy() > 0) & (ip["_t"].to_numpy() >= ip["_g"].to_numpy())
    if units is not None:
        mask &= df[unit].isin(list(units)).to_numpy()
    if not mask.any():
        raise ValueError("no treated unit-period: the treated mean is undefined")
    return float(y[mask].mean())
