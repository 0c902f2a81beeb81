"""Sun & Abraham (2021) interaction-weighted (IW) event-study estimator.

The regression of R ``fixest::sunab``::

    y_it = a_i + l_t + sum_{g not control} sum_{e != -1} delta_{g,e} 1{G_i = g} 1{t - g = e} + e_it

has one coefficient per treated cohort ``g`` and relative period ``e`` (``e = -1`` is the
reference), with unit and period fixed effects; the control cohort is the never-treated units or,
without them, the last cohort to adopt (then the periods from its adoption on are dropped, as in
Sun & Abraham 2021, section 4.1). Units treated in the first period are excluded (as fixest does).

On a balanced panel the saturated regression has a closed form, used here: the period effects come
from the control cohort alone and ``delta_{g,e} = (ybar_{g,g+e} - ybar_{g,g-1}) - (ybar_{C,g+e} -
ybar_{C,g-1})``; its unit-clustered sandwich equals ``sum_i psi_i psi_i'`` with unit-level
influence functions (the centred changes ``y_{i,g+e} - y_{i,g-1}`` over the cohort size, negative
for control units). So nothing is ever demeaned or inverted and the cost is ``O(units x cells)``.
The test suite checks the closed form against the dummy-variable regression.

Aggregation as ``summary(fit, agg = "att")`` / the default ``agg`` of fixest: the IW event-study
coefficient at horizon ``e`` averages ``delta_{g,e}`` over cohorts weighted by their number of
observations (= units, balanced) at that horizon; the ATT averages every post-period cell
(``e >= 0``) with the same weights. Standard errors are clustered by unit with fixest's
small-sample factor ``G/(G-1) * (N-1)/(N-K)``, ``K`` = number of cells + number of periods (unit
effects nested in the clusters), and Student-t intervals with ``G - 1`` degrees of freedom. As in
fixest, the cohort shares are treated as fixed (Sun & Abraham's variance adds a term for their
estimation, which is small when cohorts are large).

Reference: Sun, L. & Abraham, S. (2021). Estimating dynamic treatment effects in event studies with
heterogeneous treatment effects. Journal of Econometrics 225(2), 175-199.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import stats

from smlib.causal._panel import (
    ALWAYS, NEVER, Panel, PanelSpec, cohort_codes, first_items, panel_spec, wide_panel,
)
from smlib.causal.results import EventStudyResult
from smlib.presentation.catalogue import text

ControlCohort = Literal["never_treated", "last_treated"]


@dataclass
class SunAbrahamResult(EventStudyResult):
    """Result of :func:`sun_abraham`; ``estimate`` is the IW ATT over post-treatment cells.

    Attributes:
        event_study: IW estimate per relative period (``event_time``) with std_error, ci_low,
            ci_high, p_value, ``n_cohorts`` contributing.
        cohort_effects: every cohort x relative-period coefficient ``delta_{g,e}`` with its SE and
            ``weight`` (the number of units of the cohort).
        vcov: covariance matrix of ``cohort_effects`` (cluster-robust, with fixest's correction).
        df_t, n_clusters: t degrees of freedom (``G - 1``) and number of clusters.
    """

    cohort_effects: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    vcov: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)

    count_column: ClassVar[str] = "n_cohorts"
    count_header: ClassVar[str] = "cohorts"
    event_header: ClassVar[str] = "e"
    widths: ClassVar[tuple[int, int]] = (5, 9)
    reference_period: ClassVar[int | None] = -1

    def notes(self) -> list[str]:
        """The control cohort, the reference period and the standard errors."""
        control = self.details["control_group"].replace("_", " ")
        return [f"Control cohort: {control}; reference period e = -1; SE clustered by unit "
                f"({self.n_clusters} clusters, fixest correction), t({self.df_t}) intervals"]

    def plot(self, ax: Any = None, title: str | None = None, language: str = "en") -> Any:
        """Event-study plot with the reference period ``e = -1`` at zero, texts in ``language``."""
        title = title or text("uplift.plot.event_time.sunab_title", language)
        return super().plot(ax=ax, title=title, language=language)


def _design(
    df: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str,
    control_group: ControlCohort, unbalanced: Literal["error", "drop"],
    covariates: list[str] | None = None,
) -> tuple[Panel, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, np.ndarray]:
    """The estimation sample: wide panel, outcome window ``Y``, cohort codes, control mask, the
    treated cohorts, the number of periods kept ``Tw`` and the covariates' window
    ``(n, Tw, p)``."""
    if control_group not in ("never_treated", "last_treated"):
        raise ValueError("control_group must be 'never_treated' or 'last_treated', "
                         f"got {control_group!r}")
    panel = wide_panel(df, outcome, unit, time, covariates=covariates, unbalanced=unbalanced)
    gc = cohort_codes(df, unit, cohort, panel.units, panel.periods)
    if (gc == ALWAYS).any():
        warnings.warn(f"{int((gc == ALWAYS).sum())} units treated in the first period have no "
                      f"pre-period and are excluded: {first_items(panel.units[gc == ALWAYS])}",
                      UserWarning, stacklevel=3)
        keep = gc != ALWAYS
        panel = panel.keep(keep, "treated in the first period")
        gc = gc[keep]
    Y = panel.y
    T = Y.shape[1]
    X = (np.stack([panel.covariates[c] for c in covariates], axis=2) if covariates
         else np.zeros(Y.shape + (0,)))
    cohorts = np.unique(gc[gc != NEVER])
    if control_group == "never_treated":
        ctrl = gc == NEVER
        if not ctrl.any():
            raise ValueError("no never-treated units: use control_group='last_treated'")
        Tw = T
    else:
        if len(cohorts) < 2:
            raise ValueError("control_group='last_treated' needs at least two adoption cohorts")
        last = cohorts[-1]
        ctrl = gc == last
        cohorts = cohorts[:-1]
        Tw = int(last)  # periods [0, last) are kept
        keep = gc != NEVER
        if (~keep).any():  # never-treated units would be extra controls; keep the design exact
            Y, gc, ctrl, X = Y[keep], gc[keep], ctrl[keep], X[keep]
    if len(cohorts) == 0:
        raise ValueError(f"no treated cohort with a pre-period in {cohort!r}")
    return panel, Y[:, :Tw], gc, ctrl, cohorts, Tw, X[:, :Tw]


def _cell_effects(
    Y: np.ndarray, gc: np.ndarray, ctrl: np.ndarray, cohorts: np.ndarray, Tw: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[int, int]]:
    """Cohort x period effects ``delta`` against the controls, with their influence functions
    ``psi``; returns the cells' cohorts and periods, ``delta``, ``psi`` and the cohort sizes."""
    n = Y.shape[0]
    # cells (g, t): every period of the window except g - 1
    cg, ct = [], []
    for g in cohorts:
        ts = np.array([t for t in range(Tw) if t != g - 1])
        cg.append(np.full(len(ts), g))
        ct.append(ts)
    cg = np.concatenate(cg)
    ct = np.concatenate(ct)
    cr = cg - 1
    K = len(cg)
    ic = np.flatnonzero(ctrl)
    dC = Y[ic][:, ct] - Y[ic][:, cr]  # (n_C, K)
    nC = len(ic)
    mC = dC.mean(axis=0)
    psi = np.zeros((n, K))
    psi[ic] = -(dC - mC) / nC
    delta = -mC.copy()
    ng = {}
    for g in cohorts:
        iu = np.flatnonzero(gc == g)
        cols = np.flatnonzero(cg == g)
        dg = Y[iu][:, ct[cols]] - Y[iu][:, [g - 1]]
        mg = dg.mean(axis=0)
        delta[cols] += mg
        psi[np.ix_(iu, cols)] = (dg - mg) / len(iu)
        ng[int(g)] = len(iu)
    return cg, ct, delta, psi, ng


def _cells(cohorts: np.ndarray, Tw: int) -> tuple[np.ndarray, np.ndarray]:
    """The cells (g, t) of the saturated regression: every period of the window but g - 1."""
    cg = np.concatenate([np.full(Tw - 1, g) for g in cohorts])
    ct = np.concatenate([np.array([t for t in range(Tw) if t != g - 1]) for g in cohorts])
    return cg, ct


def _cell_regression(
    Y: np.ndarray, X: np.ndarray, gc: np.ndarray, cohorts: np.ndarray, Tw: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[int, int]]:
    """The saturated regression with covariates (no closed form then): every column demeaned
    within unit (the unit effects, Frisch-Waugh), OLS of ``y`` on period dummies, cell dummies
    and the covariates. Returns the cells' cohorts and periods, all coefficients (cells first,
    then covariates, then periods), the bread ``(X'X)^-1``, the per-unit scores ``X_i'u_i`` and
    the cohort sizes."""
    n, T, p = X.shape
    cg, ct = _cells(cohorts, Tw)
    K = len(cg)
    unit_of_cell = (gc[:, None] == cg[None, :])  # (n, K): the unit belongs to the cell's cohort
    # long design, rows unit-major: cell dummies, covariates, period dummies (first dropped)
    D = np.zeros((n, T, K + p + T - 1))
    for k in range(K):
        D[unit_of_cell[:, k], ct[k], k] = 1.0
    D[:, :, K:K + p] = X
    for t in range(1, T):
        D[:, t, K + p + t - 1] = 1.0
    Dw = D - D.mean(axis=1, keepdims=True)
    yw = Y - Y.mean(axis=1, keepdims=True)
    A = Dw.reshape(n * T, -1)
    bread = np.linalg.pinv(A.T @ A)
    beta = bread @ (A.T @ yw.reshape(-1))
    u = yw - Dw @ beta
    scores = np.einsum("itk,it->ik", Dw, u)
    ng = {int(g): int((gc == g).sum()) for g in cohorts}
    return cg, ct, beta, bread, scores, ng


def _interaction_weighted(
    delta: np.ndarray, V: np.ndarray, e: np.ndarray, w: np.ndarray, df_t: int, tq: float,
) -> tuple[float, float, pd.DataFrame]:
    """Average the cells by relative period (weights: cohort sizes) and over post-treatment
    cells: the ATT, its standard error and the event-study table."""
    # aggregation matrix A (cells -> event times, then ATT)
    es_e = np.unique(e)
    A = (e[None, :] == es_e[:, None]) * w[None, :]
    A /= A.sum(axis=1, keepdims=True)
    post = (e >= 0) * w
    A = np.vstack([post / post.sum(), A])
    est = A @ delta
    se = np.sqrt(np.einsum("ak,kl,al->a", A, V, A))
    pv = 2 * stats.t.sf(np.abs(est / np.where(se > 0, se, np.nan)), df_t)
    es = pd.DataFrame({"event_time": es_e, "estimate": est[1:], "std_error": se[1:],
                       "ci_low": est[1:] - tq * se[1:], "ci_high": est[1:] + tq * se[1:],
                       "p_value": pv[1:], "n_cohorts": (e[None, :] == es_e[:, None]).sum(axis=1)})
    return float(est[0]), float(se[0]), es


def sun_abraham(
    df: pd.DataFrame,
    outcome: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    control_group: ControlCohort = "never_treated",
    *,
    covariates: list[str] | None = None,
    level: float = 0.95,
    unbalanced: Literal["error", "drop"] = "error",
    panel: PanelSpec | None = None,
) -> SunAbrahamResult:
    """Sun & Abraham (2021) interaction-weighted event study and ATT (fixest ``sunab``).

    Args:
        df: long balanced panel, one row per unit and period.
        outcome: numeric outcome column.
        unit: unit identifier column (fixed effect and cluster).
        time: period column (integers or dates).
        cohort: first treated period in ``time`` labels; 0 or missing = never treated (as in
            :func:`smlib.causal.staggered_did`).
        control_group: ``"never_treated"`` (default) or ``"last_treated"`` (the last cohort to
            adopt is the control; periods from its adoption on are dropped).
        covariates: time-varying numeric controls entered linearly, as ``y ~ x1 +
            sunab(cohort, time) | unit + time`` in fixest (their coefficients in
            ``details["covariates"]``); without them the regression has a closed form.
        level: confidence level of the t intervals.
        unbalanced: ``"error"`` (default) or ``"drop"`` units that miss a period.
        panel: ``outcome``, ``unit``, ``time`` and ``cohort`` as one
            :class:`~smlib.causal._panel.PanelSpec` (default: the data contract's ``units``
            table); columns given explicitly win.

    Returns a :class:`SunAbrahamResult`.
    """
    spec = panel_spec(panel, outcome=outcome, unit=unit, time=time, cohort=cohort)
    outcome, unit, time, cohort = spec.outcome, spec.unit, spec.time, spec.cohort
    covariates = list(covariates or [])
    wide, Y, gc, ctrl, cohorts, Tw, X = _design(df, outcome, unit, time, cohort, control_group,
                                                unbalanced, covariates)
    n = Y.shape[0]
    N = n * Tw
    G = n
    df_t = G - 1
    tq = float(stats.t.ppf(0.5 + level / 2, df_t))
    cov_table = pd.DataFrame(columns=["term", "estimate", "std_error"])
    if covariates:
        cg, ct, beta, bread, scores, ng = _cell_regression(Y, X, gc, cohorts, Tw)
        K = len(cg)
        # fixest's small-sample factor; unit effects are nested in the unit clusters
        adj = G / (G - 1) * (N - 1) / (N - K - Tw - len(covariates))
        V_all = adj * bread @ (scores.T @ scores) @ bread
        delta, V = beta[:K], V_all[:K, :K]
        p = len(covariates)
        cov_table = pd.DataFrame({"term": covariates, "estimate": beta[K:K + p],
                                  "std_error": np.sqrt(np.diag(V_all)[K:K + p])})
    else:
        cg, ct, delta, psi, ng = _cell_effects(Y, gc, ctrl, cohorts, Tw)
        K = len(cg)
        adj = G / (G - 1) * (N - 1) / (N - K - Tw)
        V = adj * (psi.T @ psi)
    e = ct - cg
    w = np.array([ng[int(g)] for g in cg], dtype=float)
    att, att_se, es = _interaction_weighted(delta, V, e, w, df_t, tq)
    cse = np.sqrt(np.diag(V))
    cells = pd.DataFrame({"cohort": wide.periods[cg], "event_time": e,
                          "period": wide.periods[ct], "estimate": delta, "std_error": cse,
                          "ci_low": delta - tq * cse, "ci_high": delta + tq * cse, "weight": w})
    return SunAbrahamResult(
        method="Sun & Abraham (2021) interaction-weighted event study", estimand="ATT",
        estimate=att, std_error=att_se, ci_low=float(att - tq * att_se),
        ci_high=float(att + tq * att_se), level=level, n_obs=N,
        details={"control_group": control_group, "n_units": n, "n_periods": Tw, "ssc": adj,
                 "n_cells": K, "outcome": outcome, "dropped": wide.dropped,
                 "covariates": cov_table},
        event_study=es, cohort_effects=cells, vcov=V, df_t=df_t, n_clusters=G,
    )
