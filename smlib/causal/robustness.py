"""Robustness checks for the staggered-adoption estimates: placebo dates, placebo outcome,
leave-one-cohort-out. Each returns a tidy frame with estimate, std_error, ci_low, ci_high.

They re-run :func:`smlib.causal.staggered_did` (Callaway & Sant'Anna 2021; default) or
:func:`smlib.causal.twfe_did` on modified data, using the shared panel validation of
:mod:`smlib.causal._panel`. What each should show if the design is sound:

- placebo dates: pretending adoption happened ``k`` periods earlier and looking only at the ``k``
  periods before the real adoption, the "effect" must be ≈ 0 (a test of parallel pre-trends and of
  no anticipation; cf. the in-time placebo of Abadie, Diamond & Hainmueller 2015, *AJPS* 59(2));
- placebo outcome: an outcome integration cannot move (e.g. a unit covariate fixed before
  adoption) must show no effect;
- leave one cohort out: the estimate must not hinge on a single adoption cohort.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from smlib.causal._panel import (PanelSpec, integer_periods, numeric_column, panel_spec,
                                 require_columns, require_frame)
from smlib.causal.staggered import staggered_did
from smlib.causal.twfe import twfe_did

_COLUMNS = ["check", "label", "estimate", "std_error", "ci_low", "ci_high", "p_value", "n_units",
            "note"]


def _prepare(df: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str) -> pd.DataFrame:
    require_frame(df)
    require_columns(df, outcome=outcome, unit=unit, time=time, cohort=cohort)
    numeric_column(df, outcome, "outcome", allow_missing=False)
    out = integer_periods(df, time=time, adoption=cohort, period_col="_t", cohort_col="_g")
    if (out["_g"] > 0).sum() == 0:
        raise ValueError(f"no unit has a {cohort!r}: there is no treatment to check")
    return out


def _run(data: pd.DataFrame, outcome: str, unit: str, estimator: str, cohort_col: str,
         max_e: int | None, drop_after: np.ndarray | None, level: float,
         kwargs: dict[str, Any]) -> dict[str, Any]:
    """Estimate the ATT on integer-coded data; returns a dict of the tidy columns."""
    n_units = int(data[unit].nunique())
    if estimator == "staggered":
        res = staggered_did(data, outcome, unit, "_t", cohort_col, level=level, n_boot=0, **kwargs)
        agg = res.aggregate("simple", max_e=max_e) if max_e is not None else res
        est, se, lo, hi, p = agg.estimate, agg.std_error, agg.ci_low, agg.ci_high, agg.p_value
    elif estimator == "twfe":
        g, t = data[cohort_col].to_numpy(), data["_t"].to_numpy()
        sub = data.assign(_d=((g > 0) & (t >= g)).astype(float))
        if drop_after is not None:  # drop cells contaminated by the real treatment
            sub = sub.loc[~drop_after]
        res = twfe_did(sub, outcome, unit, "_t", "_d", level=level, **kwargs)
        est, se, lo, hi, p = res.estimate, res.std_error, res.ci_low, res.ci_high, res.p_value
    else:
        raise ValueError(f"estimator must be 'staggered' or 'twfe', got {estimator!r}")
    return dict(estimate=float(est), std_error=float(se), ci_low=float(lo), ci_high=float(hi),
                p_value=float(p), n_units=n_units)


def placebo_dates(
    df: pd.DataFrame,
    outcome: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    shifts: Iterable[int] = (1, 2, 3),
    estimator: str = "staggered",
    level: float = 0.95,
    panel: PanelSpec | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Fake adoption ``k`` periods early, estimated only on pre-adoption data; should be ≈ 0.

    For each ``k`` in ``shifts`` every adopter's cohort moves ``k`` observed periods earlier and
    the effect is averaged over event times ``0 .. k−1`` of the fake dates only — the ``k`` periods
    *before* the real adoption — so no cell touched by the real treatment enters: with
    ``staggered`` the ``simple`` aggregation capped at ``max_e = k−1`` (comparison units are never
    or not-yet treated under the fake dates, hence untreated in reality too); with ``twfe`` the
    cells at or after the real adoption are dropped. Adopters left with no period before their fake
    date are dropped (counted in ``note``).

    Args:
        df: long balanced panel; ``cohort`` holds each unit's adoption period in ``time`` labels
            (dates or integers), 0 / missing for never.
        shifts: positive integers ``k``.
        estimator: ``"staggered"`` (default) or ``"twfe"``.
        level: interval coverage.
        panel: the columns as one :class:`~smlib.causal._panel.PanelSpec` (default: the data
            contract's ``units`` table); ``outcome``, ``unit``, ``time`` and ``cohort`` given
            explicitly win (the same in :func:`placebo_outcome` and :func:`leave_one_cohort_out`).
        **kwargs: passed to the estimator (e.g. ``control_group``, ``method``, ``covariates``).

    Returns:
        Tidy frame: check, label, shift, estimate, std_error, ci_low, ci_high, p_value, n_units,
        note.
    """
    spec = panel_spec(panel, outcome=outcome, unit=unit, time=time, cohort=cohort)
    outcome, unit, time, cohort = spec.outcome, spec.unit, spec.time, spec.cohort
    data = _prepare(df, outcome, unit, time, cohort)
    rows = []
    for k in shifts:
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise ValueError(f"shifts must be positive integers, got {k!r}")
        g = data["_g"].to_numpy()
        fake = np.where(g > 0, g - k, 0)
        too_early = (g > 0) & (fake <= 1)
        sub = data.assign(_gf=fake).loc[~too_early].reset_index(drop=True)
        if (sub["_gf"] > 0).sum() == 0:
            raise ValueError(f"shift {k}: every adopter would be treated from the first period; "
                             "use a smaller shift")
        gs, ts = sub["_g"].to_numpy(), sub["_t"].to_numpy()
        contaminated = (gs > 0) & (ts >= gs)
        r = _run(sub, outcome, unit, estimator, "_gf", k - 1, contaminated, level, kwargs)
        n_drop = int(data.loc[too_early, unit].nunique())
        rows.append(dict(check="placebo_dates", label=f"adoption moved {k} period(s) earlier",
                         shift=int(k), **r,
                         note=f"{n_drop} adopter(s) without an earlier period dropped" if n_drop else ""))
    out = pd.DataFrame(rows)
    return out[["check", "label", "shift"] + _COLUMNS[2:]]


def placebo_outcome(
    df: pd.DataFrame,
    placebo: str | Sequence[str],
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    estimator: str = "staggered",
    level: float = 0.95,
    panel: PanelSpec | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """The same estimator on outcome(s) integration cannot affect; the effect should be ≈ 0.

    A placebo outcome must vary over time within units: one that is constant within every unit
    (e.g. a fixed covariate) gives an estimate of exactly 0 whatever the design and is rejected.

    Returns:
        Tidy frame: check, label (the placebo column), estimate, std_error, ci_low, ci_high,
        p_value, n_units, note.
    """
    spec = panel_spec(panel, unit=unit, time=time, cohort=cohort)
    unit, time, cohort = spec.unit, spec.time, spec.cohort
    cols = [placebo] if isinstance(placebo, str) else list(placebo)
    if not cols:
        raise ValueError("placebo must name at least one column")
    rows = []
    for col in cols:
        data = _prepare(df, col, unit, time, cohort)
        within = data.groupby(unit)[col].nunique()
        if (within <= 1).all():
            raise ValueError(f"placebo outcome {col!r} is constant within every unit: a "
                             "difference-in-differences of it is 0 by construction, not a test")
        r = _run(data, col, unit, estimator, "_g", None, None, level, kwargs)
        rows.append(dict(check="placebo_outcome", label=col, **r, note=""))
    return pd.DataFrame(rows)[_COLUMNS]


def leave_one_cohort_out(
    df: pd.DataFrame,
    outcome: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    estimator: str = "staggered",
    level: float = 0.95,
    panel: PanelSpec | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Re-estimate the overall ATT dropping one adoption cohort at a time.

    The first row uses all cohorts; then one row per dropped cohort (label = its adoption period in
    the original labels). Each estimate refers to the remaining cohorts, so they differ from the
    full estimate by design when effects differ across cohorts; a sign change or a large jump
    flags a cohort that drives the result.

    Returns:
        Tidy frame: check, label, dropped_cohort, estimate, std_error, ci_low, ci_high, p_value,
        n_units, note.
    """
    spec = panel_spec(panel, outcome=outcome, unit=unit, time=time, cohort=cohort)
    outcome, unit, time, cohort = spec.outcome, spec.unit, spec.time, spec.cohort
    data = _prepare(df, outcome, unit, time, cohort)
    cohorts = sorted(c for c in data["_g"].unique() if c > 0)
    labels = data.drop_duplicates("_g").set_index("_g")[cohort]
    rows = [dict(check="leave_one_cohort_out", label="all cohorts", dropped_cohort=None,
                 **_run(data, outcome, unit, estimator, "_g", None, None, level, kwargs), note="")]
    if len(cohorts) < 2:
        rows[0]["note"] = "only one cohort: nothing to leave out"
    else:
        for c in cohorts:
            sub = data.loc[data["_g"] != c].reset_index(drop=True)
            lab = labels.loc[c]
            if isinstance(lab, pd.Timestamp):
                lab = lab.date().isoformat()
            elif isinstance(lab, (float, np.floating)) and float(lab).is_integer():
                lab = str(int(lab))  # an integer period stored as float (NaN = never)
            else:
                lab = str(lab)
            rows.append(dict(check="leave_one_cohort_out", label=f"without cohort {lab}",
                             dropped_cohort=lab,
                             **_run(sub, outcome, unit, estimator, "_g", None, None, level, kwargs),
                             note=""))
    out = pd.DataFrame(rows)
    return out[["check", "label", "dropped_cohort"] + _COLUMNS[2:]]
