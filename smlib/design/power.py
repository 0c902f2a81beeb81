"""Power and minimum detectable effect of a staggered integration rollout, by simulation.

The design (:class:`RolloutDesign`): ``n_units`` units observed for ``months_before`` months before
the first wave and ``months_after`` months after it; the units are split into ``n_waves`` equal
waves, the first integrating at month ``months_before``, the last at the read-out
(``months_before + months_after``), the others evenly in between. Until the read-out the last wave
is the comparison group (a "stepped-wedge" rollout in which every unit integrates in the end).

:func:`rollout_power` resamples the company's own untreated history (a block bootstrap of whole
unit histories: units drawn with replacement, one common window of consecutive months, so serial
correlation, common shocks and unit heterogeneity are kept), injects a known proportional uplift
``u`` into the integrated unit-months (``Y * (1 + u)``), estimates the ATT with the chosen
estimator and counts how often "no effect" is rejected at ``alpha``. The estimators used here are
linear in the outcome and their variance is a sum of squares of linear functions of it, so per
draw the estimate is linear in ``u`` and the variance quadratic: three fits per draw (``u = 0,
u1, u2``) give the exact estimate and standard error at every uplift, hence the whole power curve
(checked against fitting at each uplift in ``tests/test_design_power.py``).

:func:`panel_formula_power` is the textbook cross-check: the serial-correlation-robust panel
formula of Burlig, Preonas & Woerman (2020, eq. 8), which generalises Frison & Pocock (1992), for
the two-group design with the same units, months before and months after (equal to the simulated
design when ``n_waves = 2``), with its variance and covariance terms estimated from the same
history.

References: Burlig, F., Preonas, L. & Woerman, M. (2020). Panel data and experimental design.
Journal of Development Economics 144, 102458. Frison, L. & Pocock, S. J. (1992). Repeated measures
in clinical trials. Statistics in Medicine 11(13), 1685-1704.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd
from scipy import stats

from smlib.causal._panel import PanelSpec
from smlib.causal.imputation import imputation_did
from smlib.causal.staggered import staggered_did

__all__ = ["ESTIMATORS", "FormulaPower", "PowerResult", "RolloutDesign", "fit_effect",
           "panel_formula_power", "rollout_power", "simulated_panel"]

#: Estimators the power simulation can use (name -> description).
ESTIMATORS: dict[str, str] = {
    "imputation": "Borusyak, Jaravel & Spiess (2024) imputation DiD, BJS conservative variance",
    "two_stage": "Gardner (2021) two-stage DiD, GMM sandwich variance",
    "callaway_santanna": "Callaway & Sant'Anna (2021), not-yet-integrated units as comparison",
}

_SPEC = PanelSpec(unit="unit", time="period", cohort="cohort", outcome="y")


@dataclass(frozen=True)
class RolloutDesign:
    """A staggered rollout: units, months before and after the first wave, number of waves.

    Attributes:
        n_units: units in the study (at least one per wave).
        months_before: months of history before the first wave (>= 2).
        months_after: months from the first wave to the read-out (>= ``n_waves - 1``).
        n_waves: waves (>= 2); the last integrates at the read-out and is the comparison before.
    """

    n_units: int
    months_before: int
    months_after: int
    n_waves: int = 3

    def __post_init__(self) -> None:
        for name in ("n_units", "months_before", "months_after", "n_waves"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise ValueError(f"{name} must be a whole number, got {v!r}")
        if self.n_waves < 2:
            raise ValueError(f"n_waves must be at least 2 (the last wave is the comparison), "
                             f"got {self.n_waves}")
        if self.n_units < self.n_waves:
            raise ValueError(f"n_units={self.n_units}: at least one unit per wave "
                             f"(n_waves={self.n_waves}) is needed")
        if self.months_before < 2:
            raise ValueError(f"months_before must be at least 2, got {self.months_before}")
        if self.months_after < self.n_waves - 1:
            raise ValueError(f"months_after={self.months_after}: at least n_waves - 1 = "
                             f"{self.n_waves - 1} months are needed to stagger the waves")

    @property
    def n_months(self) -> int:
        """Months of the study window (before + after)."""
        return int(self.months_before + self.months_after)

    def wave_starts(self) -> np.ndarray:
        """Month index (0 = first month of the window) at which each wave integrates; the last
        equals :attr:`n_months` (the read-out, outside the window)."""
        k = np.arange(self.n_waves)
        return (self.months_before
                + np.round(k * self.months_after / (self.n_waves - 1)).astype(np.int64))

    def wave_sizes(self) -> np.ndarray:
        """Units per wave (as equal as possible, the first waves one larger)."""
        return np.array([len(a) for a in np.array_split(np.arange(self.n_units), self.n_waves)])

    def unit_waves(self) -> np.ndarray:
        """Wave index (0-based) of each of the ``n_units`` units, in order."""
        return np.repeat(np.arange(self.n_waves), self.wave_sizes())

    def treated_mask(self) -> np.ndarray:
        """``(n_units, n_months)`` boolean: integrated unit-months inside the window."""
        start = self.wave_starts()[self.unit_waves()]
        return np.arange(self.n_months)[None, :] >= start[:, None]


def fit_effect(y: np.ndarray, design: RolloutDesign, estimator: str = "imputation"
               ) -> tuple[float, float]:
    """The ATT estimate and its standard error on one ``(n_units, n_months)`` outcome matrix
    whose rows follow :meth:`RolloutDesign.unit_waves` (the last wave untreated).

    Raises:
        ValueError: an unknown ``estimator`` or a matrix of the wrong shape.
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {sorted(ESTIMATORS)}, got {estimator!r}")
    y = np.asarray(y, dtype=float)
    if y.shape != (design.n_units, design.n_months):
        raise ValueError(f"y must have shape {(design.n_units, design.n_months)}, got {y.shape}")
    return _fitter(design, estimator)(y)


def _fitter(design: RolloutDesign, estimator: str) -> Callable[[np.ndarray], tuple[float, float]]:
    """A function ``y -> (estimate, std_error)`` for the design (the long frame built once)."""
    n, T = design.n_units, design.n_months
    start = design.wave_starts()[design.unit_waves()]
    cohort = np.where(start < T, start + 1, 0)  # 1-based periods; 0 = not integrated in window
    frame = pd.DataFrame({"unit": np.repeat(np.arange(n), T),
                          "period": np.tile(np.arange(1, T + 1), n),
                          "cohort": np.repeat(cohort, T), "y": 0.0})

    def fit(y: np.ndarray) -> tuple[float, float]:
        frame["y"] = np.asarray(y, dtype=float).ravel()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if estimator == "callaway_santanna":
                r = staggered_did(frame, panel=_SPEC, control_group="not_yet_treated",
                                  method="reg", n_boot=0)
            else:
                r = imputation_did(frame, panel=_SPEC, horizons=False, method=estimator)
        return float(r.estimate), float(r.std_error)

    return fit


@dataclass
class PowerResult:
    """The simulated power of a rollout design.

    Attributes:
        design: the :class:`RolloutDesign`.
        estimator, alpha, n_sims: what was simulated.
        curve: one row per true uplift (``uplift``, ``power``, ``mc_se``: Monte-Carlo standard
            error of the power).
        mde: smallest uplift with power >= ``power_target`` (NaN when none up to the grid's end).
        power_target: the power the MDE is defined at (0.8).
        draws: per bootstrap draw ``estimate0``, ``slope`` (estimate per unit of uplift),
            ``var_a``, ``var_b``, ``var_c`` (variance = a + b u + c u^2) and ``treated_mean``
            (mean outcome of the treated cells without the uplift).
    """

    design: RolloutDesign
    estimator: str
    alpha: float
    n_sims: int
    curve: pd.DataFrame
    mde: float
    power_target: float
    draws: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    def power_at(self, uplift: float) -> float:
        """Simulated power at a true uplift (exact for the draws, not interpolated)."""
        return float(_rejections(self.draws, np.array([uplift]), self.alpha)[0])

    def mc_se_at(self, uplift: float) -> float:
        """Monte-Carlo standard error of :meth:`power_at`."""
        p = self.power_at(uplift)
        return float(np.sqrt(p * (1 - p) / self.n_sims))


def _rejections(draws: pd.DataFrame, uplifts: np.ndarray, alpha: float) -> np.ndarray:
    """Share of draws rejecting "no effect" at each uplift (two-sided normal test, as the
    estimators' p-values)."""
    u = np.asarray(uplifts, dtype=float)[None, :]
    est = draws["estimate0"].to_numpy()[:, None] + u * draws["slope"].to_numpy()[:, None]
    var = (draws["var_a"].to_numpy()[:, None] + u * draws["var_b"].to_numpy()[:, None]
           + u ** 2 * draws["var_c"].to_numpy()[:, None])
    se = np.sqrt(np.maximum(var, 1e-300))
    z = stats.norm.ppf(1 - alpha / 2)
    return (np.abs(est / se) > z).mean(axis=0)


def _history(history: Any) -> np.ndarray:
    y = np.asarray(history.to_numpy() if isinstance(history, pd.DataFrame) else history,
                   dtype=float)
    if y.ndim != 2 or y.shape[0] < 2:
        raise ValueError("history must be a (units, months) matrix with at least two units")
    if not np.isfinite(y).all():
        raise ValueError("history has missing or non-finite values")
    return y


def rollout_power(
    history: Any,
    design: RolloutDesign,
    estimator: str = "imputation",
    alpha: float = 0.05,
    n_sims: int = 200,
    seed: int = 0,
    power_target: float = 0.8,
    uplifts: Any = None,
    probe: tuple[float, float] = (0.1, 0.2),
) -> PowerResult:
    """Power of ``design`` against the true uplift, by resampling the company's own history.

    Args:
        history: untreated outcome, ``(units, months)`` (array or wide DataFrame), at least
            ``design.n_months`` months.
        design: the :class:`RolloutDesign`.
        estimator: a key of :data:`ESTIMATORS`.
        alpha: significance level of the two-sided test of "no effect".
        n_sims: bootstrap draws.
        seed: seed of the draws (same seed, same result).
        power_target: power at which the minimum detectable effect is read (0.8).
        uplifts: the curve's uplift grid (fractions); default 0 to the larger of 30 % and twice
            the MDE, in steps of 0.5 %.
        probe: the two non-zero uplifts fitted per draw (the estimate is linear and the variance
            quadratic in the uplift, so three fits per draw give every uplift).

    Each draw takes ``design.n_units`` whole unit histories with replacement and one common
    random window of ``design.n_months`` consecutive months, assigns the units to waves in the
    drawn (random) order, multiplies the integrated unit-months by ``1 + u`` and fits the
    estimator.

    Returns a :class:`PowerResult`.

    Raises:
        ValueError: a bad ``alpha``, ``n_sims``, estimator, or a history shorter than the design.
    """
    y_all = _history(history)
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {sorted(ESTIMATORS)}, got {estimator!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if isinstance(n_sims, bool) or not isinstance(n_sims, (int, np.integer)) or n_sims < 10:
        raise ValueError(f"n_sims must be a whole number >= 10, got {n_sims!r}")
    if not 0 < power_target < 1:
        raise ValueError(f"power_target must be in (0, 1), got {power_target!r}")
    n_pool, T_hist = y_all.shape
    L = design.n_months
    if T_hist < L:
        raise ValueError(f"the history has {T_hist} months; the design needs {L} "
                         f"({design.months_before} before + {design.months_after} after)")
    u1, u2 = (float(p) for p in probe)
    if not (u1 > 0 and u2 > 0 and u1 != u2):
        raise ValueError(f"probe must be two different positive uplifts, got {probe!r}")
    fit = _fitter(design, estimator)
    mask = design.treated_mask().astype(float)
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(int(n_sims)):
        idx = rng.integers(0, n_pool, size=design.n_units)
        s = int(rng.integers(0, T_hist - L + 1))
        y0 = y_all[idx, s:s + L]
        e0, s0 = fit(y0)
        e1, s1 = fit(y0 * (1 + u1 * mask))
        e2, s2 = fit(y0 * (1 + u2 * mask))
        # variance a + b u + c u^2 through the three fits
        A = np.array([[1, 0, 0], [1, u1, u1 ** 2], [1, u2, u2 ** 2]])
        a, b, c = np.linalg.solve(A, np.array([s0 ** 2, s1 ** 2, s2 ** 2]))
        rows.append((e0, (e1 - e0) / u1, a, b, c, float(y0[mask > 0].mean())))
    draws = pd.DataFrame(rows, columns=["estimate0", "slope", "var_a", "var_b", "var_c",
                                        "treated_mean"])
    fine = np.round(np.arange(0, 1.0005, 0.001), 3)
    pw = _rejections(draws, fine, alpha)
    above = np.flatnonzero(pw >= power_target)
    mde = float(fine[above[0]]) if len(above) else float("nan")
    if uplifts is None:
        top = max(0.30, 2 * mde) if np.isfinite(mde) else 0.5
        uplifts = np.round(np.arange(0, min(top, 1.0) + 1e-9, 0.005), 4)
    grid = np.asarray(uplifts, dtype=float)
    p = _rejections(draws, grid, alpha)
    curve = pd.DataFrame({"uplift": grid, "power": p, "mc_se": np.sqrt(p * (1 - p) / n_sims)})
    return PowerResult(design=design, estimator=estimator, alpha=float(alpha), n_sims=int(n_sims),
                       curve=curve, mde=mde, power_target=float(power_target), draws=draws)


@dataclass
class FormulaPower:
    """The textbook panel power formula (Burlig, Preonas & Woerman 2020, eq. 8).

    Attributes:
        n_units, months_before, months_after, treated_share, alpha, power_target: the design.
        sigma2: idiosyncratic variance; psi_before, psi_after, psi_across: average covariance of
            two different months before, after, and one before with one after (outcome net of
            the common monthly mean, averaged over every window of the history).
        std_error: standard error of the DiD estimate (outcome units).
        mean_outcome: mean outcome per unit and month (to turn effects into %).
        mde: minimum detectable effect as a fraction of ``mean_outcome``.
    """

    n_units: int
    months_before: int
    months_after: int
    treated_share: float
    alpha: float
    power_target: float
    sigma2: float
    psi_before: float
    psi_after: float
    psi_across: float
    std_error: float
    mean_outcome: float
    mde: float

    def power_at(self, uplift: float) -> float:
        """Power at a true uplift (fraction of the mean outcome), t test with ``J - 2`` df."""
        df = max(self.n_units - 2, 1)
        crit = stats.t.ppf(1 - self.alpha / 2, df)
        shift = uplift * self.mean_outcome / self.std_error
        return float(stats.t.sf(crit - shift, df) + stats.t.cdf(-crit - shift, df))


def panel_formula_power(history: Any, n_units: int, months_before: int, months_after: int,
                        treated_share: float = 0.5, alpha: float = 0.05,
                        power_target: float = 0.8) -> FormulaPower:
    """Burlig, Preonas & Woerman (2020) minimum detectable effect of a two-group panel design:

    ``MDE = (t_{1-k} + t_{a/2}) sqrt( [ (m+r)/(m r) s2 + (m-1)/m psiB + (r-1)/r psiA - 2 psiX ]
    / (P (1-P) J) )`` with ``J`` units, share ``P`` integrated, ``m`` months before and ``r``
    after; with equal covariances it is Frison & Pocock's (1992) formula. The variance terms come
    from ``history`` (units x months): the outcome net of each month's mean across units, the
    covariance matrix of every window of ``m + r`` consecutive months, averaged.

    Raises:
        ValueError: the history is shorter than ``m + r`` months or a bad share.
    """
    y = _history(history)
    m, r = int(months_before), int(months_after)
    L = m + r
    if y.shape[1] < L or m < 1 or r < 1:
        raise ValueError(f"the history has {y.shape[1]} months; the formula needs {L}")
    if not 0 < treated_share < 1:
        raise ValueError(f"treated_share must be in (0, 1), got {treated_share!r}")
    w = y - y.mean(axis=0, keepdims=True)
    pre, post = np.arange(m), np.arange(m, L)
    s2 = psi_b = psi_a = psi_x = 0.0
    n_win = y.shape[1] - L + 1
    for s in range(n_win):
        S = np.cov(w[:, s:s + L], rowvar=False, ddof=1)
        s2 += float(np.diag(S).mean())
        off = ~np.eye(L, dtype=bool)
        psi_b += float(S[np.ix_(pre, pre)][off[:m, :m]].mean()) if m > 1 else 0.0
        psi_a += float(S[np.ix_(post, post)][off[:r, :r]].mean()) if r > 1 else 0.0
        psi_x += float(S[np.ix_(pre, post)].mean())
    s2, psi_b, psi_a, psi_x = (v / n_win for v in (s2, psi_b, psi_a, psi_x))
    var_unit = (m + r) / (m * r) * s2 + (m - 1) / m * psi_b + (r - 1) / r * psi_a - 2 * psi_x
    se = float(np.sqrt(max(var_unit, 0.0) / (treated_share * (1 - treated_share) * n_units)))
    df = max(int(n_units) - 2, 1)
    mean = float(y.mean())
    mde_level = (stats.t.ppf(power_target, df) + stats.t.ppf(1 - alpha / 2, df)) * se
    return FormulaPower(n_units=int(n_units), months_before=m, months_after=r,
                        treated_share=float(treated_share), alpha=float(alpha),
                        power_target=float(power_target), sigma2=s2, psi_before=psi_b,
                        psi_after=psi_a, psi_across=psi_x, std_error=se, mean_outcome=mean,
                        mde=float(mde_level / mean) if mean > 0 else float("nan"))


def simulated_panel(n_units: int = 40, n_months: int = 36, seed: int = 0, rho: float = 0.5,
                    unit_sd: float = 0.3, noise_sd: float = 0.1, level: float = 100.0
                    ) -> np.ndarray:
    """A synthetic untreated history for tests and examples: ``level * exp(unit effect)`` plus a
    common monthly shock and AR(1) noise (``rho``) in proportion to the unit's level;
    ``(n_units, n_months)``."""
    rng = np.random.default_rng(seed)
    a = level * np.exp(unit_sd * rng.standard_normal(n_units))
    common = level * 0.05 * rng.standard_normal(n_months)
    e = np.empty((n_units, n_months))
    e[:, 0] = rng.standard_normal(n_units)
    for t in range(1, n_months):
        e[:, t] = rho * e[:, t - 1] + np.sqrt(1 - rho ** 2) * rng.standard_normal(n_units)
    return np.maximum(a[:, None] * (1 + noise_sd * e) + common[None, :], 0.0)
