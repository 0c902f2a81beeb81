"""Result objects shared by every causal estimator (CausalPy-style API).

Each estimator returns a subclass of :class:`EstimateResult` that offers ``summary()`` (plain text),
``to_frame()`` (a tidy table with estimate, std_error, ci_low, ci_high and labels) and, where a
figure fits, ``plot()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats


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
