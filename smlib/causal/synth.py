"""Synthetic control (Abadie, Diamond & Hainmueller 2010) with placebo and conformal inference.

References:
- Abadie, A., Diamond, A. & Hainmueller, J. (2010), "Synthetic control methods for comparative case
  studies: estimating the effect of California's tobacco control program", *JASA* 105(490):493–505
  (ADH). Nested optimisation of unit weights W and diagonal predictor weights V, placebo-in-space
  inference by the post/pre RMSPE ratio (section 3.3: p = 1/39 for California).
- Abadie, A. & Gardeazabal, J. (2003), *AER* 93(1):113–132 (the nested V optimisation).
- Chernozhukov, V., Wüthrich, K. & Zhu, Y. (2021), "An exact and robust conformal inference method
  for counterfactual and synthetic controls", *JASA* 116(536):1849–1864 (CWZ): the interval.

Honest permutation inference (ADH 2010 section 3.3; Abadie, Diamond & Hainmueller 2015, *AJPS*
59(2):495–510): :func:`permutation_test` (post/pre RMSPE ratio, p = rank / units, smallest
attainable p-value 1 / units, optional exclusion of poorly fitted placebos) and :func:`fit_check`
(no p-value or interval when the pre-period fit is too poor; no ratio p-value when it is exact).

Validated on the Proposition 99 data against ADH Table 2 (tests/test_causal_synth.py) and
tidysynth's ``grab_significance()`` (tests/test_causal_synth_inference.py).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from smlib.causal._panel import PanelSpec, integer_periods, panel_spec, require_columns
from smlib.causal.plots import synth_plot
from smlib.causal.results import EstimateResult
from smlib.presentation.catalogue import entry, text
from smlib.presentation.numbers import format_number

PredictorSpec = str | tuple  # "col" | (col, periods) | (col, periods, "mean")


# --- the two optimisation problems -------------------------------------------------------------

def simplex_least_squares(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``argmin_w ||A w − b||²`` subject to ``w ≥ 0`` and ``Σw = 1``.

    Solved as non-negative least squares (Lawson–Hanson, ``scipy.optimize.nnls``) with the
    equality added as a heavily weighted row ``M·1'w = M``; the result is renormalised to sum to 1.
    With ``M = 1e4 × max|A, b|`` the constraint error is ~1e-8 and the objective matches SLSQP
    to ~1e-6 relative while being ~100× faster (placebo refits need thousands of solves).
    """
    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float)
    scale = max(1.0, float(np.abs(A).max(initial=0.0)), float(np.abs(b).max(initial=0.0)))
    M = 1e4 * scale
    w, _ = optimize.nnls(np.vstack([A, np.full(A.shape[1], M)]), np.append(b, M),
                         maxiter=50 * A.shape[1] + 100)
    total = w.sum()
    if not np.isfinite(total) or total <= 0:
        return np.full(A.shape[1], 1.0 / A.shape[1])
    return w / total


def _inner_weights(X1: np.ndarray, X0: np.ndarray, v: np.ndarray) -> np.ndarray:
    """W(V) = argmin (X1 − X0 W)' diag(v) (X1 − X0 W) on the simplex (ADH eq. 2)."""
    sv = np.sqrt(v)
    return simplex_least_squares(sv[:, None] * X0, sv * X1)


def _regression_v(X: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """Synth's regression-based starting V: diag(B B') of the OLS of pre-period outcomes on the
    scaled predictors (all units), normalised to sum to one."""
    design = np.column_stack([np.ones(X.shape[1]), X.T])
    beta = np.linalg.lstsq(design, Z.T, rcond=None)[0][1:]
    v = np.einsum("ij,ij->i", beta, beta)
    return v / v.sum() if v.sum() > 0 else np.full(len(v), 1.0 / len(v))


def fit_weights(
    X1: np.ndarray, X0: np.ndarray, Z1: np.ndarray, Z0: np.ndarray,
    n_starts: int = 3, n_random: int | None = None, random_state: int | None = 0,
    maxiter: int | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """ADH nested optimisation on already-scaled predictors.

    Inner: W(V) on the simplex. Outer: diagonal V ≥ 0, ΣV = 1, minimising the pre-period outcome
    MSPE ``mean((Z1 − Z0 W(V))²)``. The outer loss is non-convex and flat in places, so the search
    is global-then-local: equal weights, Synth's regression-based V and ``n_random`` Dirichlet
    draws (default ``100 × k``) are scored, and the ``n_starts`` best are refined by Nelder–Mead
    over ``V = |p| / Σ|p|`` (the parametrisation of R's Synth); the best end point wins. With a
    single predictor V is irrelevant.

    Returns:
        (W, V, pre-period MSPE).
    """
    k = X0.shape[0]

    def loss_of(v: np.ndarray) -> tuple[float, np.ndarray]:
        w = _inner_weights(X1, X0, v)
        return float(np.mean((Z1 - Z0 @ w) ** 2)), w

    if k == 1:
        loss, w = loss_of(np.ones(1))
        return w, np.ones(1), loss

    def objective(p: np.ndarray) -> float:
        a = np.abs(p)
        s = a.sum()
        return loss_of(a / s)[0] if s > 0 else np.inf

    rng = np.random.default_rng(random_state)
    n_random = 100 * k if n_random is None else n_random
    cands = [np.full(k, 1.0 / k),
             _regression_v(np.column_stack([X1, X0]), np.column_stack([Z1, Z0]))]
    # dense and sparse Dirichlet draws: optimal V's often put almost all weight on 1-3 predictors
    cands += list(rng.dirichlet(np.ones(k), size=n_random // 2))
    cands += list(rng.dirichlet(np.full(k, 0.2), size=n_random - n_random // 2))
    scores = np.array([objective(c) for c in cands])
    best: tuple[float, np.ndarray] | None = None
    for i in np.argsort(scores)[:max(1, n_starts)]:
        res = optimize.minimize(objective, cands[i], method="Nelder-Mead",
                                options=dict(maxiter=maxiter or 200 * k, xatol=1e-7, fatol=1e-10))
        if best is None or res.fun < best[0]:
            best = (float(res.fun), res.x)
    v = np.abs(best[1]) / np.abs(best[1]).sum()
    loss, w = loss_of(v)
    return w, v, loss


# --- data preparation --------------------------------------------------------------------------

@dataclass
class _Panel:
    Y: pd.DataFrame          # time x unit outcome matrix
    times: list
    pre: list
    post: list


def _wide_panel(df: pd.DataFrame, outcome: str, unit: str, time: str, units: list,
                treatment_time: Any) -> _Panel:
    for c in (outcome, unit, time):
        if c not in df.columns:
            raise ValueError(f"column {c!r} not found; columns are {list(df.columns)}")
    if not pd.api.types.is_numeric_dtype(df[outcome]) or df[outcome].dtype == bool:
        raise ValueError(f"outcome column {outcome!r} must be numeric, got dtype {df[outcome].dtype}")
    sub = df[df[unit].isin(units)]
    dup = sub.duplicated([unit, time])
    if dup.any():
        raise ValueError(f"duplicate ({unit}, {time}) rows, e.g. rows {list(sub.index[dup][:5])}")
    Y = sub.pivot(index=time, columns=unit, values=outcome).sort_index()
    Y = Y.reindex(columns=units)
    missing = Y.isna()
    if missing.any().any():
        bad = missing.any()
        first = {u: list(Y.index[missing[u]][:3]) for u in bad[bad].index[:5]}
        raise ValueError(f"synthetic control needs a balanced panel: outcome {outcome!r} missing "
                         f"for unit(s) and period(s) {first} (fill or drop those units)")
    times = list(Y.index)
    try:
        pre = [t for t in times if t < treatment_time]
        post = [t for t in times if t >= treatment_time]
    except TypeError as err:
        raise ValueError(f"treatment_time {treatment_time!r} is not comparable with the {time!r} "
                         f"values (e.g. {times[0]!r})") from err
    if len(pre) < 2:
        raise ValueError(f"treatment_time {treatment_time!r} leaves {len(pre)} pre-treatment periods "
                         f"(first period {times[0]!r}); at least 2 are needed")
    if not post:
        raise ValueError(f"treatment_time {treatment_time!r} is after the last period {times[-1]!r}")
    return _Panel(Y=Y, times=times, pre=pre, post=post)


def _predictor_matrix(df: pd.DataFrame, unit: str, time: str, units: list, pre: list,
                      predictors: Sequence[PredictorSpec]) -> pd.DataFrame:
    """Predictor x unit matrix: each spec is the mean of a column over its periods."""
    rows, names = [], []
    for spec in predictors:
        if isinstance(spec, str):
            col, periods = spec, pre
        elif isinstance(spec, tuple) and len(spec) in (2, 3):
            col, periods = spec[0], spec[1]
            if len(spec) == 3 and spec[2] != "mean":
                raise ValueError(f"predictor {spec!r}: only the 'mean' operation is supported")
        else:
            raise ValueError(f"predictor {spec!r} must be a column name or (column, periods[, 'mean'])")
        if col not in df.columns:
            raise ValueError(f"predictor column {col!r} not found")
        if not pd.api.types.is_numeric_dtype(df[col]):
            raise ValueError(f"predictor column {col!r} must be numeric, got {df[col].dtype}")
        periods = list(periods) if isinstance(periods, Iterable) and not isinstance(periods, str) \
            else [periods]
        late = [p for p in periods if p not in pre]
        if late:
            raise ValueError(f"predictor {col!r} uses periods {late[:3]} that are not pre-treatment")
        sel = df[df[unit].isin(units) & df[time].isin(periods)]
        values = sel.groupby(unit)[col].mean().reindex(units)  # NaN-skipping mean, as Synth
        if values.isna().any():
            raise ValueError(f"predictor {col!r} over periods {periods[:3]}… has no data for units "
                             f"{list(values.index[values.isna()][:5])}")
        rows.append(values.to_numpy(dtype=float))
        label = col if periods == pre else (
            f"{col} {periods[0]}" if len(periods) == 1 else f"{col} {periods[0]}–{periods[-1]}")
        names.append(label)
    return pd.DataFrame(rows, index=names, columns=units)


# --- inference ---------------------------------------------------------------------------------

def _sc_residuals(y: np.ndarray, Y0: np.ndarray, intercept: bool) -> np.ndarray:
    """Residuals of the simplex fit of ``y`` on ``Y0`` over all rows (with a free intercept)."""
    if intercept:  # profiling out the intercept = centring both sides
        yc, Yc = y - y.mean(), Y0 - Y0.mean(axis=0)
        return yc - Yc @ simplex_least_squares(Yc, yc)
    return y - Y0 @ simplex_least_squares(Y0, y)


def conformal_interval(
    y1: np.ndarray, Y0: np.ndarray, n_pre: int, level: float = 0.95, q: float = 1.0,
    intercept: bool = False, centre: float | None = None, scale: float | None = None,
) -> tuple[float, float, pd.DataFrame]:
    """CWZ (2021) conformal confidence set for a constant effect ``theta`` over the post periods.

    For each ``theta``: subtract it from the treated post outcomes, fit the outcome-only synthetic
    control on *all* periods (optionally with an intercept), take the residuals ``u_t`` and
    ``S = (T*^-1/2 Σ_post |u_t|^q)^(1/q)``, and compare ``S`` with its values under the ``T``
    moving-block (cyclic) permutations of time; the p-value is the share of permutations with
    ``S_π ≥ S`` and the set is ``{theta : p > 1 − level}``, reported as its hull with both ends
    refined by bisection. Valid when the residual process is stationary and weakly dependent
    under the null; it loses power when the synthetic control fits the adjusted series badly
    (e.g. a trend break, as in the Proposition 99 data without intercept).

    Returns:
        (low, high, table of theta and p-value on the grid); ±inf if the set reaches the search
        limits, NaN if it is empty.
    """
    T = len(y1)
    n_post = T - n_pre
    alpha = 1 - level
    idx = (np.arange(T)[None, :] + np.arange(T)[:, None]) % T  # row j: time shifted by j

    def pvalue(theta: float) -> float:
        y = y1.copy()
        y[n_pre:] -= theta
        u = np.abs(_sc_residuals(y, Y0, intercept)) ** q
        s = u[idx][:, n_pre:].sum(axis=1) ** (1 / q) / n_post ** (0.5 / q)
        return float(np.mean(s >= s[0] * (1 - 1e-12)))

    if centre is None or scale is None:
        gap = _sc_residuals(np.where(np.arange(T) < n_pre, y1, np.nan)[:n_pre], Y0[:n_pre], intercept)
        centre = float(np.mean(y1[n_pre:]) - np.mean(y1[:n_pre] - gap)) if centre is None else centre
        scale = float(np.std(gap)) if scale is None else scale
    scale = max(scale, 1e-9 * max(1.0, abs(centre)))
    grid = centre + scale * np.linspace(-40, 40, 321)
    p = np.array([pvalue(t) for t in grid])
    table = pd.DataFrame({"theta": grid, "p_value": p})
    inside = np.nonzero(p > alpha)[0]
    if T * alpha < 1 or len(inside) == 0:
        if T * alpha < 1:
            warnings.warn(f"with {T} periods the smallest conformal p-value is 1/{T} > {alpha:.3g}: "
                          "the interval is unbounded", UserWarning, stacklevel=3)
            return float("-inf"), float("inf"), table
        return float("nan"), float("nan"), table

    def edge(a: float, b: float) -> float:  # a accepted, b rejected (or unbounded)
        if not np.isfinite(b):
            return -np.inf if b < a else np.inf
        for _ in range(40):
            m = 0.5 * (a + b)
            if pvalue(m) > alpha:
                a = m
            else:
                b = m
        return a

    lo_i, hi_i = inside[0], inside[-1]
    lo = edge(grid[lo_i], grid[lo_i - 1] if lo_i > 0 else -np.inf)
    hi = edge(grid[hi_i], grid[hi_i + 1] if hi_i < len(grid) - 1 else np.inf)
    return lo, hi, table


def placebo_interval(estimate: float, placebo_stats: np.ndarray, level: float = 0.95,
                     scale: float = 1.0) -> tuple[float, float]:
    """Confidence set for the average post-period effect by inverting a placebo-in-space test.

    Following Firpo & Possebom (2018), "Synthetic control method: inference, sensitivity analysis
    and confidence sets", *J. Causal Inference* 6(2), a null on the treated unit's effect is tested
    by comparing its statistic with the placebo units' and inverted into a set. The statistic is
    the mean post-period gap, ``s(theta) = |mean post gap − theta| / scale``. Under ``H0: mean
    effect over the post periods = theta`` (any path over time — unlike the constant-effect null
    of the RMSPE ratio, which a ramping effect rejects for every theta) the treated ``s`` is
    distributed like the placebos' ``s_j = |mean post gap_j| / scale_j`` if treatment is as good
    as randomly assigned across units. With ``p(theta) = (1 + #{j: s_j ≥ s(theta)}) / (J + 1)`` the
    set ``{p > 1 − level}`` is ``estimate ± s_(m) · scale`` with ``s_(m)`` the ``m``-th largest
    placebo statistic and ``m`` the smallest count with ``(1 + m) / (J + 1) > 1 − level``.

    ``placebo_stats`` are the placebos' already scaled ``s_j``; ``scale`` is the treated unit's
    (1 = unscaled gaps, the default of :func:`synthetic_control`: dividing by the pre-period RMSPE
    breaks down when a unit is fitted almost exactly, as happens with more donors than pre periods).

    Returns ±inf when ``1/(J+1) > 1 − level``: too few placebo units to reach the level.
    """
    stats_sorted = np.sort(np.abs(np.asarray(placebo_stats, dtype=float)))[::-1]
    J = len(stats_sorted)
    alpha = 1 - level
    m = max(int(np.floor(alpha * (J + 1) - 1)) + 1, 0)  # smallest m with 1 + m > alpha (J + 1)
    if m == 0 or m > J:
        return float("-inf"), float("inf")
    half = float(stats_sorted[m - 1] * scale)
    return estimate - half, estimate + half


#: The pre-period fit is too poor for inference when the pre-period RMSPE exceeds this share of
#: the treated outcome's pre-period standard deviation (over time): the synthetic control then
#: explains less than ``1 − 0.5² = 75 %`` of the treated unit's pre-period variation.
FIT_MAX_RMSPE_SHARE = 0.5
#: ... or when the treated unit lies outside the donors' range (above every donor or below every
#: donor) on more than this share of the balance rows (predictors, or the pre-period outcomes of an
#: outcome-only fit, demeaned when the fit is): it is then outside the donors' convex hull, which no
#: weighted average of donors can reach (ADH 2015, *AJPS* 59(2), section "requirements").
FIT_MAX_OUTSIDE_SHARE = 0.5
#: A pre-period RMSPE below this share of the pre-period standard deviation is an exact fit
#: (typically more donors than pre periods, so the weights interpolate the pre-period path): the
#: post/pre RMSPE ratio is then unbounded and ranks first whatever the effect, so no permutation
#: p-value is given (the fit itself is not poor: ``fit_ok`` stays True).
FIT_EXACT_RMSPE_SHARE = 1e-6


def permutation_test(placebos: pd.DataFrame, cutoff: float | None = None
                     ) -> tuple[pd.DataFrame, float, float, float]:
    """ADH (2010, section 3.3; 2015) permutation inference on the post/pre RMSPE ratio.

    Every unit (the treated one in the first row, then each donor "treated" in turn with the other
    donors as its pool) gets ``ratio = post-period RMSPE / pre-period RMSPE``. The p-value is the
    treated unit's rank (1 = largest ratio; ties counted against it) divided by the number of
    units compared; the smallest attainable p-value is ``1 / units``, so with 9 donors (10 units)
    no p-value below 0.1 exists and "significant at 5 %" is impossible. With ``cutoff = k``,
    placebos whose pre-period MSPE is more than ``k`` times the treated unit's are excluded (their
    large post-period gaps reflect a poor fit, not an effect; ADH 2010 figs. 5–7 use 20, 5 and 2,
    on the MSPE); the treated unit is never excluded.

    Args:
        placebos: one row per unit, treated first, with ``unit``, ``pre_mspe`` and ``post_mspe``
            (the placebo table of :func:`synthetic_control`).
        cutoff: ``k`` above, or None to keep every placebo.

    Returns:
        (table with unit, pre_rmspe, post_rmspe, ratio, excluded and rank among the units kept,
        treated unit's ratio, p-value, smallest attainable p-value).
    """
    if cutoff is not None and not cutoff > 0:
        raise ValueError(f"placebo cutoff must be a positive multiple or None, got {cutoff!r}")
    pre = np.sqrt(placebos["pre_mspe"].to_numpy(dtype=float))
    post = np.sqrt(placebos["post_mspe"].to_numpy(dtype=float))
    table = pd.DataFrame({"unit": placebos["unit"].to_numpy(), "pre_rmspe": pre,
                          "post_rmspe": post, "ratio": post / np.clip(pre, 1e-150, None)})
    excluded = np.zeros(len(table), dtype=bool)
    if cutoff is not None:
        excluded[1:] = pre[1:] ** 2 > cutoff * pre[0] ** 2
    table["excluded"] = excluded
    kept = table.loc[~excluded, "ratio"]
    table["rank"] = kept.rank(ascending=False, method="max").reindex(table.index).astype("Int64")
    n = int((~excluded).sum())
    return table, float(table["ratio"].iloc[0]), float(table["rank"].iloc[0] / n), 1.0 / n


def fit_check(rows: pd.DataFrame, treated_unit: Any, y_pre: np.ndarray, pre_rmspe: float
              ) -> tuple[bool, str, dict[str, float]]:
    """Is the treated unit's pre-period fit good enough for inference? Two stated rules.

    1. ``pre_rmspe / sd(y_pre) ≤`` :data:`FIT_MAX_RMSPE_SHARE` (``sd`` over the pre periods);
    2. the treated unit lies outside the donors' range on at most :data:`FIT_MAX_OUTSIDE_SHARE`
       of the ``rows`` (a unit outside the range on most rows is outside the donors' convex hull).

    Args:
        rows: balance rows × units (treated and donors): the predictors, or the pre-period
            outcomes (demeaned by unit for a fit with an intercept).
        treated_unit: the column of the treated unit; the other columns are the donors.
        y_pre: the treated unit's pre-period outcome.
        pre_rmspe: the fit's pre-period RMSPE.

    A third outcome is an exact fit (``pre_rmspe / sd <`` :data:`FIT_EXACT_RMSPE_SHARE`): the fit
    is fine, but the RMSPE ratio is not usable (reason ``"exact"``, ``fit_ok`` True).

    Returns:
        (fit_ok, reason: ``"ok"``, ``"exact"``, ``"rmspe"``, ``"hull"`` or ``"rmspe_hull"``,
        metrics: rmspe_share, outside (rows outside the donors' range) and rows).
    """
    sd = float(np.std(np.asarray(y_pre, dtype=float)))
    share = pre_rmspe / sd if sd > 0 else (0.0 if pre_rmspe == 0 else float("inf"))
    t = rows[treated_unit].to_numpy(dtype=float)
    d = rows.drop(columns=[treated_unit]).to_numpy(dtype=float)
    tol = 1e-9 * np.maximum(1.0, np.abs(d).max(axis=1))
    outside = int(np.sum((t > d.max(axis=1) + tol) | (t < d.min(axis=1) - tol)))
    bad_fit = share > FIT_MAX_RMSPE_SHARE
    bad_hull = outside > FIT_MAX_OUTSIDE_SHARE * len(t)
    reason = ("rmspe_hull" if bad_fit and bad_hull else "rmspe" if bad_fit
              else "hull" if bad_hull else "exact" if share < FIT_EXACT_RMSPE_SHARE else "ok")
    return reason in ("ok", "exact"), reason, dict(rmspe_share=share, outside=outside, rows=len(t))


def fit_note_text(details: dict[str, Any], language: str = "en") -> str:
    """The fit check of a synthetic control result in words (rule, figures and thresholds), from
    the ``fit_reason``, ``fit_rmspe_share``, ``fit_outside`` and ``fit_rows`` entries of its
    ``details`` (:func:`fit_check`)."""
    share = details["fit_rmspe_share"]
    if not np.isfinite(share):
        shown = "∞"
    elif 0 < share < 0.005:  # an exact fit: scientific notation rather than "0.00"
        shown = f"{share:.1e}".replace(".", entry("presentation.number.decimal", language))
    else:
        shown = format_number(share, 2, language)
    return text(f"uplift.synth_inference.fit_{details['fit_reason']}", language, share=shown,
                limit=format_number(FIT_MAX_RMSPE_SHARE, 2, language),
                outside=details["fit_outside"], rows=details["fit_rows"],
                n_donors=details.get("n_donors", ""), n_pre=details.get("n_pre", ""))


# --- result ------------------------------------------------------------------------------------

@dataclass
class SyntheticControlResult(EstimateResult):
    """Synthetic control estimate (average gap over the post periods).

    The interval is the one named in ``details["ci_method"]``: placebo-test inversion (Firpo &
    Possebom 2018) for the average post-period effect, or CWZ 2021 conformal for an effect
    constant over the post periods;
    ``std_error`` is the width it implies, ``(ci_high − ci_low) / (2 z)``, for tables only.
    ``p_value`` is the ADH placebo-in-space p-value (rank of the treated unit's post/pre RMSPE
    ratio among all units divided by the number of units), not a normal-approximation one.

    Extra attributes: treated_unit, treatment_time, weights (Series over donors), predictor_weights
    (Series, V; None for outcome-only fits), balance (predictor table: treated, synthetic, donor
    mean), path (time, treated, synthetic, gap), pre_rmspe, post_rmspe, placebos (per-unit RMSPE
    table), placebo_gaps (time × unit), placebo_p_value, outcome_label, conformal (p-value grid).

    Honest permutation inference (ADH 2010/2015, :func:`permutation_test`, :func:`fit_check`):
    rmspe_ratio (treated post/pre RMSPE), p_value_permutation (its rank / units compared, after
    excluding placebos above ``details["placebo_cutoff"]`` × the treated pre-period MSPE; NaN
    without placebos or when the fit is too poor), min_p_value (``1 / units``: no smaller p-value
    exists), placebo_table (unit, pre_rmspe, post_rmspe, ratio, excluded, rank), fit_ok and
    fit_note (the rule applied and its figures; when ``fit_ok`` is False neither the p-value nor
    the interval should be shown: :meth:`summary` says "not available" instead).
    """

    treated_unit: Any = None
    treatment_time: Any = None
    weights: pd.Series | None = None
    predictor_weights: pd.Series | None = None
    balance: pd.DataFrame | None = None
    path: pd.DataFrame | None = None
    pre_rmspe: float = float("nan")
    post_rmspe: float = float("nan")
    placebos: pd.DataFrame | None = None
    placebo_gaps: pd.DataFrame | None = None
    placebo_p_value: float = float("nan")
    outcome_label: str = "outcome"
    conformal: pd.DataFrame | None = field(default=None, repr=False)
    rmspe_ratio: float = float("nan")
    p_value_permutation: float = float("nan")
    min_p_value: float = float("nan")
    placebo_table: pd.DataFrame | None = field(default=None, repr=False)
    fit_ok: bool = True
    fit_note: str = ""

    @property
    def p_value(self) -> float:  # type: ignore[override]
        """ADH placebo-in-space p-value (NaN without placebos)."""
        return self.placebo_p_value

    def to_frame(self) -> pd.DataFrame:
        """Base row plus unit, pre/post RMSPE and the interval method."""
        frame = super().to_frame()
        frame["unit"] = str(self.treated_unit)
        frame["pre_rmspe"] = self.pre_rmspe
        frame["post_rmspe"] = self.post_rmspe
        frame["ci_method"] = self.details.get("ci_method", "")
        frame["rmspe_ratio"] = self.rmspe_ratio
        frame["p_value_permutation"] = self.p_value_permutation
        frame["min_p_value"] = self.min_p_value
        frame["placebo_cutoff"] = self.details.get("placebo_cutoff")
        frame["fit_ok"] = self.fit_ok
        frame["fit_note"] = self.fit_note
        return frame

    def inference_sentence(self, language: str = "en") -> str:
        """One plain sentence on the permutation inference: the post/pre RMSPE ratio, its rank and
        p-value, the smallest attainable p-value (and that the level cannot be reached when it
        exceeds ``1 − level``), the placebo cutoff; or why no p-value is available."""
        def num(x: float, decimals: int) -> str:
            s = format_number(x, decimals, language)
            sep = entry("presentation.number.decimal", language)
            return s.rstrip("0").rstrip(sep) if sep in s else s

        key = "uplift.synth_inference."
        ratio = num(self.rmspe_ratio, 2) if np.isfinite(self.rmspe_ratio) else "–"
        if not self.fit_ok:
            return text(key + "not_available", language, ratio=ratio,
                        note=fit_note_text(self.details, language))
        if self.details.get("fit_reason") == "exact":
            return text(key + "exact_ratio", language, note=fit_note_text(self.details, language))
        if self.placebo_table is None:
            return text(key + "no_placebo", language, ratio=ratio)
        tab = self.placebo_table
        units = int((~tab["excluded"]).sum())
        n_excl = int(tab["excluded"].sum())
        cutoff = self.details.get("placebo_cutoff")
        excluded = ("" if cutoff is None else
                    text(key + "excluded", language, k=num(cutoff, 2), n=n_excl))
        alpha = 1 - self.level
        impossible = ("" if self.min_p_value <= alpha + 1e-12 else
                      text(key + "impossible", language, level=num(100 * alpha, 1)))
        return text(key + "ratio_p", language, ratio=ratio, rank=int(tab["rank"].iloc[0]),
                    units=units, excluded=excluded, p=num(self.p_value_permutation, 3),
                    min_p=num(self.min_p_value, 3), impossible=impossible)

    def summary(self) -> str:
        """Estimate, fit quality, placebo p-value and the non-zero donor weights."""
        pct = int(round(self.level * 100))
        w = self.weights[self.weights > 0.001].sort_values(ascending=False)
        start = self.treatment_time
        start = start.date().isoformat() if isinstance(start, pd.Timestamp) else start
        if self.fit_ok:
            interval = (f"{pct}% interval {self.ci_low:,.4g} to {self.ci_high:,.4g}, "
                        f"{self.details.get('ci_method', '')}")
            p = (f"placebo p = {self.placebo_p_value:.3g}"
                 if self.details.get("fit_reason") != "exact" else "placebo p not available")
        else:
            interval, p = "interval not available: poor pre-period fit", "placebo p not available"
        return "\n".join([
            f"synthetic_control for {self.treated_unit} from {start}: average gap "
            f"= {self.estimate:,.4g} ({interval}); pre-period RMSPE {self.pre_rmspe:,.4g}, "
            f"post {self.post_rmspe:,.4g}; {p}",
            self.inference_sentence(),
            "donor weights: " + ", ".join(f"{k} {v:.3f}" for k, v in w.items()),
        ])

    def plot(self, kind: str = "gap", ax: Any = None, max_pre_ratio: float = 5.0,
             language: str = "en") -> Any:
        """``kind="gap"``: treated minus synthetic over time with the placebo gaps (units whose
        pre-period MSPE is ≤ ``max_pre_ratio`` × the treated one, as ADH figs. 5–7) in grey;
        ``kind="paths"``: treated and synthetic outcome. Title, axes and legend in ``language``
        (``"en"`` or ``"es"``). Returns the axes. See :func:`smlib.causal.plots.synth_plot`."""
        return synth_plot(self, kind=kind, ax=ax, max_pre_ratio=max_pre_ratio, language=language)


# --- estimator ---------------------------------------------------------------------------------

def _fit_one(Y: pd.DataFrame, Xraw: pd.DataFrame | None, treated: Any, donors: list, n_pre: int,
             opt_rows: np.ndarray, demean: bool, search: dict) -> tuple[np.ndarray, Any, np.ndarray, np.ndarray]:
    """Fit W (and V) for one treated unit; returns (w, v, treated path, synthetic path)."""
    y1 = Y[treated].to_numpy(dtype=float)
    Y0 = Y[donors].to_numpy(dtype=float)
    if Xraw is None:  # outcome-only: all pre-period outcomes as predictors, V irrelevant
        if demean:  # Ferman & Pinto (2021) demeaned SC = SC with an intercept
            m1, m0 = y1[:n_pre].mean(), Y0[:n_pre].mean(axis=0)
            w = simplex_least_squares(Y0[:n_pre] - m0, y1[:n_pre] - m1)
            return w, None, y1, Y0 @ w + (m1 - m0 @ w)
        w = simplex_least_squares(Y0[:n_pre], y1[:n_pre])
        return w, None, y1, Y0 @ w
    X = Xraw[[treated] + donors].to_numpy(dtype=float)
    X = X / X.std(axis=1, ddof=1)[:, None]  # Synth scales each predictor by its sd across units
    w, v, _ = fit_weights(X[:, 0], X[:, 1:], y1[opt_rows], Y0[opt_rows], **search)
    return w, v, y1, Y0 @ w


def synthetic_control(
    df: pd.DataFrame,
    outcome: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    treated_unit: Any = None,
    treatment_time: Any = None,
    predictors: Sequence[PredictorSpec] | None = None,
    donors: Sequence[Any] | None = None,
    optimize_periods: Sequence[Any] | None = None,
    demean: bool = False,
    placebo: bool = True,
    ci_method: str = "auto",
    level: float = 0.95,
    n_starts: int = 6,
    random_state: int | None = 0,
    *,
    panel: PanelSpec | None = None,
    placebo_cutoff: float | None = None,
) -> SyntheticControlResult:
    """Synthetic control estimate of the effect on one treated unit (ADH 2010).

    Args:
        df: long panel, one row per (unit, time); the outcome must be observed for every period
            for the treated unit and the donors (balanced; a missing period raises).
        outcome, unit, time: column names; ``time`` may be integers or dates.
        treated_unit: the unit that was treated.
        treatment_time: first affected period; pre-period = ``time < treatment_time``.
        predictors: ``None`` — every pre-period outcome (then V is irrelevant and W minimises the
            pre-period MSPE); otherwise a list of ``"col"`` (mean over all pre periods) or
            ``(col, periods)`` (mean over those pre periods, NaNs skipped as in Synth), scaled by
            their standard deviation across units; V is chosen by the nested optimisation. A
            constant predictor is dropped with a warning.
        donors: the donor pool (default: every other unit). Donors must be untreated throughout.
        optimize_periods: pre periods whose outcome MSPE chooses V (default: all pre periods).
        demean: subtract each unit's pre-period mean first (SC with an intercept; Ferman & Pinto
            2021, *Quantitative Economics* 12(4)). Use it when the treated unit's level lies outside
            the donors' range — e.g. when better units adopt first — where plain SC cannot match
            the level. Only with ``predictors=None``.
        placebo: run the placebo-in-space refits (each donor as treated, the other donors as pool)
            for the p-value, the gap plot and the placebo interval.
        ci_method: ``"placebo"`` (Firpo–Possebom inversion of a placebo test on the average
            post-period gap, :func:`placebo_interval`), ``"conformal"`` (CWZ 2021,
            :func:`conformal_interval`, with an intercept when ``demean``; assumes an effect
            constant over the post periods and has little power when the post window is long
            relative to the pre window) or ``"auto"``: placebo when placebos are run and
            ``1/(J+1) < 1 − level`` (enough donors to reach the level), conformal otherwise.
        level: interval coverage.
        n_starts: local refinements of the V search (placebo refits use one).
        random_state: seed of the random V candidates.
        panel: ``outcome``, ``unit`` and ``time`` as one :class:`~smlib.causal._panel.PanelSpec`
            (default: the data contract's ``units`` table); columns given explicitly win.
        placebo_cutoff: ``k``: the permutation p-value (``p_value_permutation``) leaves out
            placebos whose pre-period MSPE exceeds ``k`` × the treated unit's (ADH 2010 use 20, 5
            and 2); None (default) keeps them all. The other figures do not depend on it.

    Steps: :func:`_donor_pool` (validation), :func:`_predictors`, the fit (:func:`_fit_one`),
    :func:`_placebo_study` (placebo-in-space refits), :func:`_interval` (placebo inversion or
    conformal), :func:`_balance` (predictor balance and V) and :func:`_inference` (the RMSPE-ratio
    permutation test and the fit check: :func:`permutation_test`, :func:`fit_check`).

    Returns:
        :class:`SyntheticControlResult` with estimate = mean post-period gap.

    Raises:
        ValueError: missing columns, non-numeric outcome, unknown treated unit, treated unit in the
            donors, fewer than 2 donors, unbalanced panel, treatment time before the second or
            after the last period, predictors without data, bad ``ci_method``.
    """
    if treated_unit is None or treatment_time is None:
        raise TypeError("synthetic_control needs treated_unit and treatment_time")
    spec = panel_spec(panel, outcome=outcome, unit=unit, time=time)
    outcome, unit, time = spec.outcome, spec.unit, spec.time
    if ci_method not in ("auto", "placebo", "conformal"):
        raise ValueError(f"ci_method must be 'auto', 'placebo' or 'conformal', got {ci_method!r}")
    if ci_method == "placebo" and not placebo:
        raise ValueError("ci_method='placebo' needs placebo=True")
    if demean and predictors is not None:
        raise ValueError("demean=True is only supported with predictors=None (outcome-only fit)")
    donors = _donor_pool(df, unit, treated_unit, donors)
    units = [treated_unit] + donors
    panel_ = _wide_panel(df, outcome, unit, time, units, treatment_time)
    n_pre = len(panel_.pre)
    opt = panel_.pre if optimize_periods is None else list(optimize_periods)
    if any(t not in panel_.pre for t in opt):
        raise ValueError("optimize_periods must be pre-treatment periods")
    opt_rows = np.array([panel_.times.index(t) for t in opt])
    Xraw = _predictors(df, unit, time, units, panel_.pre, predictors)

    main_search = dict(n_starts=n_starts, random_state=random_state)
    w, v, y1, synth = _fit_one(panel_.Y, Xraw, treated_unit, donors, n_pre, opt_rows, demean,
                               main_search)
    gap = y1 - synth
    pre_mspe = float(np.mean(gap[:n_pre] ** 2))
    post_rmspe = float(np.sqrt(np.mean(gap[n_pre:] ** 2)))
    estimate = float(gap[n_pre:].mean())

    placebos = placebo_gaps = None
    p_placebo = float("nan")
    if placebo:
        placebos, placebo_gaps, p_placebo = _placebo_study(
            panel_, Xraw, treated_unit, donors, gap, opt_rows, demean, random_state)
    lo, hi, se, ci_label, conf_table = _interval(
        ci_method, placebo, estimate, placebos, y1, panel_.Y[donors].to_numpy(dtype=float), n_pre,
        level, demean, pre_mspe)
    balance, vser = _balance(Xraw, panel_, outcome, treated_unit, donors, w, v, synth)
    details = dict(ci_method=ci_label, n_donors=len(donors), n_pre=n_pre,
                   n_post=len(panel_.post), demean=demean)
    inference = _inference(Xraw, panel_, treated_unit, donors, demean, placebos, gap,
                           placebo_cutoff, details)
    return SyntheticControlResult(
        method="synthetic_control", estimand="ATT (treated unit, mean over post periods)",
        estimate=estimate, std_error=float(se), ci_low=float(lo), ci_high=float(hi), level=level,
        n_obs=int(panel_.Y.size), details=details,
        treated_unit=treated_unit, treatment_time=treatment_time,
        weights=pd.Series(w, index=donors, name="weight"), predictor_weights=vser,
        balance=balance,
        path=pd.DataFrame({"time": panel_.times, "treated": y1, "synthetic": synth, "gap": gap}),
        pre_rmspe=float(np.sqrt(pre_mspe)), post_rmspe=post_rmspe, placebos=placebos,
        placebo_gaps=placebo_gaps, placebo_p_value=p_placebo, outcome_label=outcome,
        conformal=conf_table, **inference,
    )


def _donor_pool(df: pd.DataFrame, unit: str, treated_unit: Any,
                donors: Sequence[Any] | None) -> list:
    """The donors (default: every other unit), checked: known, without the treated unit, >= 2."""
    if unit not in df.columns:
        raise ValueError(f"unit column {unit!r} not found; columns are {list(df.columns)}")
    all_units = list(pd.unique(df[unit]))
    if treated_unit not in all_units:
        raise ValueError(f"treated_unit {treated_unit!r} not found in column {unit!r}")
    donors = [u for u in all_units if u != treated_unit] if donors is None else list(donors)
    if treated_unit in donors:
        raise ValueError(f"treated_unit {treated_unit!r} cannot also be a donor")
    unknown = [u for u in donors if u not in all_units]
    if unknown:
        raise ValueError(f"donors {unknown[:5]} not found in column {unit!r}")
    if len(donors) < 2:
        raise ValueError(f"synthetic control needs at least 2 donors, got {len(donors)}")
    return donors


def _predictors(df: pd.DataFrame, unit: str, time: str, units: list, pre: list,
                predictors: Sequence[PredictorSpec] | None) -> pd.DataFrame | None:
    """The predictor matrix (predictors x units), constant predictors dropped with a warning;
    None for an outcome-only fit."""
    if predictors is None:
        return None
    if len(predictors) == 0:
        raise ValueError("predictors must be None or a non-empty list")
    Xraw = _predictor_matrix(df, unit, time, units, pre, predictors)
    const = Xraw.index[Xraw.std(axis=1, ddof=1).to_numpy() == 0].tolist()
    if const:
        warnings.warn(f"constant predictors carry no information and are dropped: {const}",
                      UserWarning, stacklevel=3)
        Xraw = Xraw.drop(index=const)
        if Xraw.empty:
            raise ValueError("every predictor is constant across units")
    return Xraw


def _placebo_study(panel: _Panel, Xraw: pd.DataFrame | None, treated_unit: Any, donors: list,
                   gap: np.ndarray, opt_rows: np.ndarray, demean: bool, random_state: int | None
                   ) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Placebo-in-space: each donor refitted as if treated (the other donors as its pool).

    Returns the placebo table (pre/post MSPE, mean gap, post/pre RMSPE ratio and its rank), the
    gap of every unit over time and the placebo p-value (rank of the treated unit / units).
    """
    n_pre = len(panel.pre)
    k = 1 if Xraw is None else len(Xraw)
    quick = dict(n_starts=1, n_random=30 * k, random_state=random_state)
    rows = [dict(unit=treated_unit, pre_mspe=float(np.mean(gap[:n_pre] ** 2)),
                 post_mspe=float(np.sqrt(np.mean(gap[n_pre:] ** 2))) ** 2)]
    gaps = {treated_unit: gap}
    for j in donors:
        pool = [u for u in donors if u != j]
        _, _, yj, sj = _fit_one(panel.Y, Xraw, j, pool, n_pre, opt_rows, demean, quick)
        g = yj - sj
        gaps[j] = g
        rows.append(dict(unit=j, pre_mspe=float(np.mean(g[:n_pre] ** 2)),
                         post_mspe=float(np.mean(g[n_pre:] ** 2))))
    placebos = pd.DataFrame(rows)
    placebos["mean_gap"] = [float(np.mean(gaps[u][n_pre:])) for u in placebos["unit"]]
    placebos["ratio"] = np.sqrt(placebos["post_mspe"] / placebos["pre_mspe"].clip(lower=1e-300))
    placebos["rank"] = placebos["ratio"].rank(ascending=False, method="max").astype(int)
    p_placebo = float(placebos["rank"].iloc[0] / len(placebos))
    return placebos, pd.DataFrame(gaps, index=panel.times), p_placebo


def _interval(ci_method: str, placebo: bool, estimate: float, placebos: pd.DataFrame | None,
              y1: np.ndarray, Y0: np.ndarray, n_pre: int, level: float, demean: bool,
              pre_mspe: float) -> tuple[float, float, float, str, pd.DataFrame | None]:
    """The interval of the average post-period gap: placebo-test inversion or conformal (with
    ``ci_method="auto"``: placebo when placebos ran and there are enough donors for the level).

    Returns ``(low, high, std_error, label, conformal_table)``; the standard error is the
    interval's half-width over the normal quantile (NaN for an unbounded interval).
    """
    method = ci_method
    n_donors = Y0.shape[1]
    if method == "auto":
        method = "placebo" if placebo and 1 / (n_donors + 1) < 1 - level else "conformal"
    conf_table = None
    if method == "placebo":
        lo, hi = placebo_interval(estimate, placebos["mean_gap"].to_numpy()[1:], level)
        ci_label = "placebo-test inversion (Firpo & Possebom 2018)"
    else:
        lo, hi, conf_table = conformal_interval(
            y1, Y0, n_pre, level, intercept=demean, centre=estimate, scale=float(np.sqrt(pre_mspe)))
        ci_label = "conformal (Chernozhukov, Wüthrich & Zhu 2021)"
    z = float(stats.norm.ppf(0.5 + level / 2))
    se = (hi - lo) / (2 * z) if np.isfinite(hi - lo) else float("nan")
    return lo, hi, se, ci_label, conf_table


def _inference(Xraw: pd.DataFrame | None, panel: _Panel, treated_unit: Any, donors: list,
               demean: bool, placebos: pd.DataFrame | None, gap: np.ndarray,
               cutoff: float | None, details: dict[str, Any]) -> dict[str, Any]:
    """The RMSPE-ratio permutation test (:func:`permutation_test`, without placebos only the
    ratio) and the fit check (:func:`fit_check`) as result fields; the fit check's figures and
    the cutoff are added to ``details``. The p-value is NaN when the fit is too poor."""
    n_pre = len(panel.pre)
    units = [treated_unit] + donors
    if Xraw is not None:
        rows = Xraw[units]
    else:
        rows = panel.Y.loc[panel.pre, units]
        rows = rows - rows.mean() if demean else rows
    pre_rmspe = float(np.sqrt(np.mean(gap[:n_pre] ** 2)))
    ok, reason, metrics = fit_check(rows, treated_unit,
                                    panel.Y.loc[panel.pre, treated_unit].to_numpy(dtype=float),
                                    pre_rmspe)
    details.update(placebo_cutoff=cutoff, fit_reason=reason, fit_rmspe_share=metrics["rmspe_share"],
                   fit_outside=metrics["outside"], fit_rows=metrics["rows"])
    out: dict[str, Any] = dict(fit_ok=ok, fit_note=fit_note_text(details, "en"),
                               rmspe_ratio=float(np.sqrt(np.mean(gap[n_pre:] ** 2))
                                                 / max(pre_rmspe, 1e-150)))
    if placebos is not None:
        table, ratio, p, min_p = permutation_test(placebos, cutoff)
        out.update(placebo_table=table, rmspe_ratio=ratio, min_p_value=min_p,
                   p_value_permutation=p if reason in ("ok",) else float("nan"))
    return out


def _balance(Xraw: pd.DataFrame | None, panel: _Panel, outcome: str, treated_unit: Any,
             donors: list, w: np.ndarray, v: np.ndarray, synth: np.ndarray
             ) -> tuple[pd.DataFrame, pd.Series | None]:
    """Predictor balance (treated, synthetic, donor mean) and the predictor weights V (None for
    an outcome-only fit, whose balance rows are the pre-period outcomes)."""
    if Xraw is not None:
        balance = pd.DataFrame({"treated": Xraw[treated_unit],
                                "synthetic": Xraw[donors].to_numpy() @ w,
                                "donor_mean": Xraw[donors].mean(axis=1)})
        return balance, pd.Series(v, index=Xraw.index, name="V")
    n_pre = len(panel.pre)
    Yp = panel.Y.loc[panel.pre]
    balance = pd.DataFrame({"treated": Yp[treated_unit].to_numpy(),
                            "synthetic": synth[:n_pre],
                            "donor_mean": Yp[donors].mean(axis=1).to_numpy()},
                           index=[f"{outcome} {t}" for t in panel.pre])
    return balance, None


def synthetic_control_panel(
    units: pd.DataFrame,
    outcome: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    adoption: str | None = None,
    treated: Any = "first_cohort",
    demean: bool = True,
    ci_method: str = "auto",
    level: float = 0.95,
    placebo: bool = True,
    panel: PanelSpec | None = None,
    placebo_cutoff: float | None = None,
) -> SyntheticControlResult:
    """Synthetic control for one early adopter of a staggered-adoption panel.

    Design choices (all reported in ``details``):

    - treated: a unit id, or ``"first_cohort"`` = the mean outcome of the units that adopted first,
      analysed as one series;
    - post window: from the treated adoption period up to (not including) the next adoption date of
      any other unit, so that every unit not yet adopted by then can serve as a donor;
    - donors: units that never adopted or adopted at/after the end of the window (untreated
      throughout the window);
    - ``demean=True`` (SC with an intercept): early adopters are the better units, whose level lies
      outside the donors' range, so plain convex weights cannot match it (see
      :func:`synthetic_control`).

    The columns default to the data contract's ``units`` table; ``panel`` (a
    :class:`~smlib.causal._panel.PanelSpec`) names them at once, explicit arguments win.
    ``placebo_cutoff`` and the honest permutation inference (``rmspe_ratio``,
    ``p_value_permutation``, ``min_p_value``, ``placebo_table``, ``fit_ok``, ``fit_note``) are as
    in :func:`synthetic_control`.

    Raises:
        ValueError: missing columns, an unknown or never-adopting treated unit, or no donors.
    """
    spec = panel_spec(panel, outcome=outcome, unit=unit, time=time, cohort=adoption)
    outcome, unit, time, adoption = spec.outcome, spec.unit, spec.time, spec.cohort
    require_columns(units, outcome=outcome, unit=unit, time=time, adoption=adoption)
    ip = integer_periods(units, time=time, adoption=adoption, period_col="_t", cohort_col="_g")
    g_of = ip.groupby(unit)["_g"].first()
    if treated == "first_cohort":
        adopters = g_of[g_of > 1]
        if adopters.empty:
            raise ValueError(f"no unit adopted after the first period ({adoption!r})")
        g = int(adopters.min())
        members = adopters.index[adopters == g].tolist()
        label = "first cohort (mean)"
    else:
        if treated not in g_of.index:
            raise ValueError(f"treated unit {treated!r} not found in {unit!r}")
        g = int(g_of.loc[treated])
        if g <= 1:
            raise ValueError(f"treated unit {treated!r} never adopted or adopted in the first "
                             "period: nothing to compare before/after")
        members, label = [treated], treated
    later = sorted(int(x) for x in g_of[(g_of > g)].unique())
    end = later[0] if later else int(ip["_t"].max()) + 1
    donors = g_of.index[(g_of == 0) | (g_of >= end)].tolist()
    donors = [d for d in donors if d not in members]
    if len(donors) < 2:
        raise ValueError(f"only {len(donors)} unit(s) stay untreated through the post window")
    window = ip[ip["_t"] < end]
    treat_series = (window[window[unit].isin(members)].groupby("_t", as_index=False)[outcome]
                    .mean().assign(**{unit: label}))
    data = pd.concat([window.loc[window[unit].isin(donors), [unit, "_t", outcome]], treat_series],
                     ignore_index=True)
    res = synthetic_control(data, outcome, unit, "_t", label, g, donors=donors, demean=demean,
                            ci_method=ci_method, level=level, placebo=placebo,
                            placebo_cutoff=placebo_cutoff)
    periods = pd.Index(sorted(pd.unique(ip[time])))
    res.path["time"] = periods[res.path["time"].to_numpy() - 1]
    if res.placebo_gaps is not None:
        res.placebo_gaps.index = periods[res.placebo_gaps.index.to_numpy() - 1]
    res.treatment_time = periods[g - 1]
    res.details.update(members=members, post_window=(periods[g - 1], periods[end - 2]),
                       n_donors=len(donors))
    return res
