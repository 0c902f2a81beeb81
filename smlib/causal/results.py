"""Result objects shared by every causal estimator (CausalPy-style API).

Each estimator returns a subclass of :class:`EstimateResult` that offers ``summary()`` (plain text),
``to_frame()`` (a tidy table with estimate, std_error, ci_low, ci_high and labels) and, where a
figure fits, ``plot()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from smlib.causal.plots import event_time_plot


@dataclass
class EstimateResult:
    """A point estimate with its standard error and a confidence interval.

    Attributes:
        method: short name of the estimator (e.g. ``"twfe_did"``).
        estimand: what is estimated (e.g. ``"ATT"``).
        estimate: the point estimate, in outcome units.
        std_error: its standard error.
        ci_low, ci_high: the confidence interval (``level`` coverage).
        level: coverage of the interval, default 0.95.
        n_obs: number of observations used.
        details: estimator-specific extras (tables, diagnostics).
    """

    method: str
    estimand: str
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    level: float = 0.95
    n_obs: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_normal(
        cls, method: str, estimand: str, estimate: float, std_error: float,
        level: float = 0.95, **kwargs: Any,
    ) -> "EstimateResult":
        """Build a result with a normal-approximation interval ``estimate ± z * std_error``."""
        z = float(stats.norm.ppf(0.5 + level / 2))
        return cls(method=method, estimand=estimand, estimate=float(estimate),
                   std_error=float(std_error), ci_low=float(estimate - z * std_error),
                   ci_high=float(estimate + z * std_error), level=level, **kwargs)

    @property
    def p_value(self) -> float:
        """Two-sided p-value of estimate = 0 under the normal approximation."""
        if not np.isfinite(self.std_error) or self.std_error <= 0:
            return float("nan")
        return float(2 * stats.norm.sf(abs(self.estimate / self.std_error)))

    def to_frame(self) -> pd.DataFrame:
        """One tidy row: method, estimand, estimate, std_error, ci_low, ci_high, p_value, n_obs."""
        return pd.DataFrame([{
            "method": self.method, "estimand": self.estimand, "estimate": self.estimate,
            "std_error": self.std_error, "ci_low": self.ci_low, "ci_high": self.ci_high,
            "p_value": self.p_value, "level": self.level, "n_obs": self.n_obs,
        }])

    def summary(self) -> str:
        """Plain-text summary with the estimate, its standard error and interval."""
        pct = int(round(self.level * 100))
        return (f"{self.method}: {self.estimand} = {self.estimate:,.4g} "
                f"(SE {self.std_error:,.3g}; {pct}% CI {self.ci_low:,.4g} to {self.ci_high:,.4g}; "
                f"p = {self.p_value:.3g}; n = {self.n_obs})")

    def __str__(self) -> str:
        return self.summary()


def two_sided_p_value(estimate: float, std_error: float, df: int | None = None) -> float:
    """Two-sided p-value of ``estimate = 0``: Student's t with ``df`` degrees of freedom, or the
    normal approximation when ``df`` is None; NaN when the standard error is not positive."""
    if not np.isfinite(std_error) or std_error <= 0:
        return float("nan")
    ratio = abs(estimate / std_error)
    return float(2 * (stats.norm.sf(ratio) if df is None else stats.t.sf(ratio, df)))


@dataclass
class EventStudyResult(EstimateResult):
    """An overall ATT with its event study: one estimate per period relative to adoption.

    Shared by the heterogeneity-robust staggered estimators (Sun & Abraham, imputation and
    two-stage DiD). ``to_frame()`` gives the ATT row (``term="ATT"``) followed by one row per
    relative period; ``summary()`` the ATT, a note on the standard errors and the event-study
    table; ``plot()`` the estimates by relative period (:func:`smlib.causal.plots.event_time_plot`).

    Attributes:
        event_study: one row per relative period ``event_time`` with estimate, std_error, ci_low,
            ci_high, p_value and a count column (:attr:`count_column`).
        n_clusters: number of clusters of the standard errors.
        df_t: degrees of freedom of Student-t intervals and p-values; None for normal ones.
    """

    event_study: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    n_clusters: int = 0
    df_t: int | None = None

    #: The event-study column counted in ``summary()``, its header and the width of the table's
    #: first column (relative period) and last (count).
    count_column: ClassVar[str] = "n_obs"
    count_header: ClassVar[str] = "n"
    event_header: ClassVar[str] = "horizon"
    widths: ClassVar[tuple[int, int]] = (8, 8)
    #: Relative period drawn at zero as the reference (None: no reference period).
    reference_period: ClassVar[int | None] = None

    @property
    def p_value(self) -> float:
        """Two-sided p-value of the ATT (Student's t with ``df_t`` degrees of freedom or normal)."""
        return two_sided_p_value(self.estimate, self.std_error, self.df_t)

    def to_frame(self) -> pd.DataFrame:
        """ATT row (``term="ATT"``) followed by the event-study rows (``term`` = relative period),
        with the columns of the ATT row."""
        top = super().to_frame()
        top.insert(2, "term", "ATT")
        if self.event_study.empty:
            return top
        es = self.event_study.copy()
        es.insert(0, "term", es["event_time"].astype(str))
        es.insert(0, "estimand", "ATT(e)")
        es.insert(0, "method", self.method)
        es["level"] = self.level
        return pd.concat([top, es[[c for c in es.columns if c in top.columns]]],
                         ignore_index=True)

    def notes(self) -> list[str]:
        """Lines printed under the ATT in ``summary()`` (how the standard errors are computed)."""
        return []

    def summary(self) -> str:
        """Plain-text summary: the ATT, :meth:`notes` and the event-study table."""
        lines = [super().summary(), *self.notes()]
        if self.event_study.empty:
            return "\n".join(lines)
        first, last = self.widths
        ci = f"{int(round(self.level * 100))}% CI"
        lines += ["", f"{self.event_header:>{first}}{'estimate':>12}{'std.error':>12}{ci:>28}"
                      f"{self.count_header:>{last}}"]
        for _, r in self.event_study.iterrows():
            ci = f"[{r.ci_low:,.4g}, {r.ci_high:,.4g}]"
            lines.append(f"{int(r.event_time):>{first}}{r.estimate:>12,.4g}{r.std_error:>12,.3g}"
                         f"{ci:>28}{int(r[self.count_column]):>{last}}")
        return "\n".join(lines)

    def plot(self, ax: Any = None, title: str | None = None, language: str = "en") -> Any:
        """Estimates and confidence intervals by relative period, axes in ``language``; returns
        the matplotlib Axes."""
        return event_time_plot(self, ax=ax, title=title, language=language)
