"""The naive answers to "how much did integration add?", computed honestly and labelled as biased.

Two comparisons a dashboard would show (the kind behind the "up to 20 %" survey figures, see
docs/sources.md §1):

- **adopters vs never-adopters** after adoption: mean outcome of adopters' post-adoption
  unit-periods minus the never-adopters' mean over the same calendar window;
- **before vs after** for adopters: their post-adoption mean minus their pre-adoption mean.

Both carry unit-clustered standard errors (the periods of one unit are not independent), so the
interval is honest about noise — but not about bias: the first mixes the effect with pre-existing
differences between units (better units integrate first), the second with whatever changed over
time for everyone (growth, seasonality). Two diagnostics quantify those biases: the adopters'
head start *before anyone adopted* and the never-adopters' own before/after change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

from smlib.causal._panel import (PanelSpec, integer_periods, numeric_column, panel_spec,
                                 require_columns, require_frame)
from smlib.causal.plots import naive_plot
from smlib.causal.results import EstimateResult
from smlib.presentation.catalogue import text
from smlib.presentation.numbers import format_pct, format_quantity
from smlib.presentation.settings import validate_language


def _clustered_diff(y: np.ndarray, d: np.ndarray, groups: np.ndarray, level: float,
                    label: str) -> EstimateResult:
    """OLS of y on [1, d] with CR1 cluster-robust SE (statsmodels): the difference in means."""
    if d.min() == d.max():
        raise ValueError(f"{label}: one of the two groups is empty")
    if len(np.unique(groups)) < 2:
        raise ValueError(f"{label}: needs at least two units for a clustered standard error")
    X = sm.add_constant(d.astype(float))
    fit = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(groups)[0]})
    base = float(y[d == 0].mean())
    res = EstimateResult.from_normal(label, "difference in means (biased)", float(fit.params[1]),
                                     float(fit.bse[1]), level=level, n_obs=int(len(y)))
    res.details.update(comparison_mean=base, n_units=int(len(np.unique(groups))))
    return res


@dataclass
class NaiveResult:
    """The naive comparisons with their diagnostics and a plain explanation of why they mislead.

    Attributes:
        comparisons: the two naive estimates (EstimateResult each; ``details["comparison_mean"]``
            is the mean of the comparison group, used for the percentage).
        diagnostics: the pre-adoption head start of adopters and the never-adopters' own change.
        explanation: plain-language paragraph (``language``).
    """

    comparisons: list[EstimateResult]
    diagnostics: list[EstimateResult]
    explanation: str
    outcome_label: str = "outcome"
    language: str = "en"
    details: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per comparison and diagnostic with estimate, std_error, ci_low,
        ci_high, p_value, pct (estimate / comparison mean), kind and biased flag."""
        rows = []
        for kind, items in (("naive estimate", self.comparisons), ("bias diagnostic", self.diagnostics)):
            for r in items:
                f = r.to_frame()
                base = r.details.get("comparison_mean", np.nan)
                f["pct"] = r.estimate / base if base else np.nan
                f["pct_ci_low"] = r.ci_low / base if base else np.nan
                f["pct_ci_high"] = r.ci_high / base if base else np.nan
                f["kind"] = kind
                f["biased"] = kind == "naive estimate"
                rows.append(f)
        return pd.concat(rows, ignore_index=True)

    def summary(self) -> str:
        """The table in text plus the explanation."""
        t = self.to_frame()[["method", "estimate", "std_error", "ci_low", "ci_high", "pct", "kind"]]
        return t.to_string(index=False, float_format=lambda v: f"{v:,.4g}") + "\n\n" + self.explanation

    def explain(self, language: str = "en") -> str:
        """The plain explanation of why these comparisons mislead, in ``language`` (``"en"`` or
        ``"es"``), with this result's numbers (``explanation`` is the one asked for at fit)."""
        return _explanation(self.diagnostics[0], self.diagnostics[1], validate_language(language),
                            self.outcome_label)

    def plot(self, ax: Any = None, language: str = "en") -> Any:
        """Horizontal bars of the naive estimates and diagnostics with 95 % intervals; title, axis
        and row names in ``language`` (``"en"`` or ``"es"``); see
        :func:`smlib.causal.plots.naive_plot`."""
        return naive_plot(self, ax=ax, language=language)


def _explanation(head: EstimateResult, trend: EstimateResult, language: str,
                 outcome: str = "outcome") -> str:
    """The catalogue's ``uplift.naive.explain`` filled with the head start and the never-adopters'
    change, written as the reports write the outcome (money for revenue: ``$291k``, never
    ``290,901``; :func:`smlib.presentation.numbers.format_quantity`) and percentages."""
    head_pct = head.estimate / head.details["comparison_mean"]
    trend_pct = trend.estimate / trend.details["comparison_mean"]
    return text("uplift.naive.explain", language,
                head=format_quantity(head.estimate, outcome, language),
                head_pct=format_pct(head_pct, language, decimals=1),
                trend=format_quantity(trend.estimate, outcome, language),
                trend_pct=format_pct(trend_pct, language, decimals=1))


def naive_comparisons(
    units: pd.DataFrame,
    outcome: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    adoption: str | None = None,
    level: float = 0.95,
    language: str = "en",
    panel: PanelSpec | None = None,
) -> NaiveResult:
    """Adopters-vs-never (post period) and before-vs-after (adopters), each with a clustered SE.

    Definitions (``g_u`` = adoption period of unit u, missing = never adopted, ``t0`` = the first
    adoption period of any unit):

    - ``adopters_vs_never``: mean of ``outcome`` over adopters' cells with ``t >= g_u`` minus the
      mean over never-adopters' cells with ``t >= t0``;
    - ``before_vs_after``: adopters' mean over ``t >= g_u`` minus their mean over ``t < g_u``;
    - diagnostic ``head_start_before_anyone_adopted``: adopters' minus never-adopters' mean over
      ``t < t0`` (selection on levels);
    - diagnostic ``never_adopters_change``: never-adopters' mean over ``t >= t0`` minus
      ``t < t0`` (the common time trend a before/after comparison absorbs).

    Standard errors: OLS of the outcome on a group dummy, clustered by unit (CR1, statsmodels).
    Percentages divide by the comparison group's mean.
    The columns default to the data contract's ``units`` table; ``panel`` (a
    :class:`~smlib.causal._panel.PanelSpec`) names them at once, explicit arguments win.

    Raises:
        ValueError: missing columns, non-numeric outcome, duplicate (unit, time), no adopters, no
            never-adopters, an adoption period outside the observed periods, an unknown language.
    """
    spec = panel_spec(panel, outcome=outcome, unit=unit, time=time, cohort=adoption)
    outcome, unit, time, adoption = spec.outcome, spec.unit, spec.time, spec.cohort
    require_frame(units, "units")
    require_columns(units, outcome=outcome, unit=unit, time=time, adoption=adoption)
    language = validate_language(language)
    y = numeric_column(units, outcome, "outcome")
    dup = units.duplicated([unit, time], keep=False)
    if dup.any():
        raise ValueError(f"duplicate ({unit!r}, {time!r}) rows, e.g. rows {list(units.index[dup][:5])}")
    ip = integer_periods(units, time=time, adoption=adoption, period_col="_t", cohort_col="_g")
    t, g = ip["_t"].to_numpy(), ip["_g"].to_numpy()
    u = units[unit].to_numpy()
    adopter, never = g > 0, g == 0
    if not adopter.any():
        raise ValueError(f"no unit has an {adoption!r}: there is nothing to compare")
    if not never.any():
        raise ValueError(f"every unit adopted ({adoption!r} is never empty): the adopters-vs-never "
                         "comparison needs units that never adopted")
    first_adopters = g[adopter] == 1
    if first_adopters.any():
        raise ValueError(f"some units adopted at or before the first period ({adoption!r}); they "
                         "have no before period — drop them first")
    t0 = int(g[adopter].min())
    post = adopter & (t >= g)

    cmp1_mask = post | (never & (t >= t0))
    cmp1 = _clustered_diff(y[cmp1_mask], post[cmp1_mask].astype(float), u[cmp1_mask], level,
                           "adopters_vs_never")
    cmp2 = _clustered_diff(y[adopter], post[adopter].astype(float), u[adopter], level,
                           "before_vs_after")
    pre_mask = t < t0
    diag1 = _clustered_diff(y[pre_mask], adopter[pre_mask].astype(float), u[pre_mask], level,
                            "head_start_before_anyone_adopted")
    diag2 = _clustered_diff(y[never], (t[never] >= t0).astype(float), u[never], level,
                            "never_adopters_change")
    for r in (diag1, diag2):
        r.estimand = "bias diagnostic"
    explanation = _explanation(diag1, diag2, language, outcome)
    return NaiveResult(comparisons=[cmp1, cmp2], diagnostics=[diag1, diag2], explanation=explanation,
                       outcome_label=outcome, language=language,
                       details=dict(first_adoption_index=t0))
