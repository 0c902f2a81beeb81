"""Lift tests and holdouts: score every model against them, calibrate the data-driven credit.

An experiment row says "channel c caused X incremental conversions between ``start`` and ``end``"
with a standard error (or a confidence interval; ``level`` default 0.95). This is the ``experiments``
table of data/README.md (``smlib.io.load_experiments``), or the ``experiments=`` argument.

**The model's figure for an experiment.** Credit is computed over all journeys; the part of channel
c's credit that falls in the experiment's window is taken pro rata to the channel's conversions:
``f = (conversions of journeys with c that converted inside [start, end]) / (conversions of
journeys with c)`` (:func:`window_fraction`; ``f = 1`` without journeys or for a window covering
the data). The model's figure is ``f`` x its credit for c, raw incremental conversions
(``incremental_conversions``) when the model gives them, else ``conversions``. The comparison is
the one Robyn makes in its calibration (``robyn_calibrate``: the model's decomposition inside the
lift study's dates against the lift; Meta, Robyn R package, ``R/calibration.R``), reported here as
``z = (model - experiment) / SE`` and whether the model's figure is inside the experiment's interval.

**Calibration** (:func:`calibrate`) turns each experiment into a full-data figure, ``X / f`` with
standard error ``SE / f`` (the same pro-rata assumption: the channel's effect per exposed conversion
is the same inside and outside the window), merges the experiments of a channel by inverse-variance
weighting, and then either

- ``method="combine"`` (default): a Gaussian (normal-normal) update of the model's estimate, with its
  bootstrap standard error as the prior, by the experiments: ``(m / s_m^2 + E / s_E^2) /
  (1 / s_m^2 + 1 / s_E^2)`` with variance ``1 / (1 / s_m^2 + 1 / s_E^2)``. This is how Meridian
  calibrates a channel with experiment results: adjusted experiment results merged by Bayesian
  updating, regularised by a baseline prior (Google Meridian, ``CalibrationBuilder`` /
  ``get_calibrated_roi_prior``; docs "Set custom ROI priors using past experiments"). It assumes the
  model is unbiased; ``z_consistency`` (model vs experiments) says when it is not (``|z| > 2``), and
  then the experiment should win;
- ``method="rescale"``: the experiment replaces the model's figure for the channel (the model only
  spreads it over time); the interval is the experiment's. Use it when the model may be confounded.

Channels without an experiment keep the model's figure. Sources: docs/sources.md §3.5.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["EXPERIMENT_COLUMNS", "calibrate", "check_experiments", "score_experiments",
           "window_fraction"]

#: Columns of an experiments table: required first, then the optional ones.
EXPERIMENT_COLUMNS: tuple[str, ...] = ("channel", "start", "end", "incremental_conversions",
                                       "standard_error", "ci_low", "ci_high", "level")


def check_experiments(experiments: pd.DataFrame) -> pd.DataFrame:
    """The experiments as a clean frame: ``channel, start, end, incremental_conversions,
    standard_error, level, ci_low, ci_high`` (timestamps UTC; the standard error from the interval
    when only the interval is given: ``(ci_high - ci_low) / (2 z_{(1+level)/2})``, and the interval
    from the standard error otherwise). Raises ValueError naming the row and column of every
    problem it finds first (missing column, end before start, no uncertainty, non-positive standard
    error, level outside (0, 1))."""
    if not isinstance(experiments, pd.DataFrame):
        raise ValueError(f"experiments: expected a DataFrame with columns {EXPERIMENT_COLUMNS[:4]} "
                         f"and standard_error or ci_low/ci_high; got {type(experiments).__name__}")
    missing = [c for c in EXPERIMENT_COLUMNS[:4] if c not in experiments.columns]
    if missing:
        raise ValueError(f"experiments: missing column(s) {missing}; expected channel, start, end, "
                         "incremental_conversions and standard_error (or ci_low and ci_high)")
    df = experiments.reset_index(drop=True)
    out = pd.DataFrame({"channel": df["channel"].astype("str").str.strip(),
                        "start": pd.to_datetime(df["start"], utc=True),
                        "end": pd.to_datetime(df["end"], utc=True),
                        "incremental_conversions": pd.to_numeric(df["incremental_conversions"])})
    nan = pd.Series(np.nan, index=df.index)
    se = pd.to_numeric(df["standard_error"]) if "standard_error" in df else nan
    lo = pd.to_numeric(df["ci_low"]) if "ci_low" in df else nan
    hi = pd.to_numeric(df["ci_high"]) if "ci_high" in df else nan
    level = (pd.to_numeric(df["level"]) if "level" in df else nan).fillna(0.95)
    problems = []
    for i in range(len(df)):
        row = f"row {i + 1} ({out['channel'].iat[i]!r})"
        if out["channel"].iat[i] == "":
            problems.append(f"{row}: channel is empty")
        start, end = out["start"].iat[i], out["end"].iat[i]
        if pd.isna(start) or pd.isna(end) or end < start:
            problems.append(f"{row}: start and end must be dates with end >= start")
        if not np.isfinite(out["incremental_conversions"].iat[i]):
            problems.append(f"{row}: incremental_conversions must be a finite number")
        if not 0 < level.iat[i] < 1:
            problems.append(f"{row}: level must be in (0, 1), got {level.iat[i]}")
        has_ci = np.isfinite(lo.iat[i]) and np.isfinite(hi.iat[i])
        if np.isfinite(se.iat[i]):
            if se.iat[i] <= 0:
                problems.append(f"{row}: standard_error must be > 0, got {se.iat[i]}")
        elif not has_ci:
            problems.append(f"{row}: give standard_error, or ci_low and ci_high")
        elif hi.iat[i] <= lo.iat[i]:
            problems.append(f"{row}: ci_low must be below ci_high")
    if problems:
        raise ValueError("experiments: " + "; ".join(problems))
    z = stats.norm.ppf((1 + level) / 2)
    out["standard_error"] = se.where(np.isfinite(se), (hi - lo) / (2 * z))
    out["level"] = level
    out["ci_low"] = lo.where(np.isfinite(lo), out["incremental_conversions"] - z * out["standard_error"])
    out["ci_high"] = hi.where(np.isfinite(hi), out["incremental_conversions"] + z * out["standard_error"])
    return out


def window_fraction(journeys: Any, channel: str, start: Any, end: Any) -> float:
    """Share of the conversions of journeys with ``channel`` that converted in [start, end].

    ``journeys``: a :class:`smlib.journeys.Journeys` (or its ``.journeys`` frame: ``path``,
    ``converted``, ``conversion_at``). A channel group ``"a + b"`` matches journeys with a or b.
    ``end`` is inclusive: a date means the whole day.
    Raises ValueError when no journey with the channel converted at all.
    """
    frame = journeys.journeys if hasattr(journeys, "journeys") else journeys
    names = [c.strip() for c in str(channel).split(" + ")]
    pattern = "(?:^| > )(?:" + "|".join(re.escape(n) for n in names) + ")(?: > |$)"
    has = frame["path"].astype("str").str.contains(pattern, regex=True).to_numpy(bool)
    conv = frame["converted"].to_numpy(bool) & has
    if not conv.any():
        raise ValueError(f"experiments: no converting journey has channel {channel!r}; the "
                         "experiment cannot be placed in these journeys")
    at = pd.to_datetime(frame["conversion_at"], utc=True)
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    lo = lo.tz_localize("UTC") if lo.tzinfo is None else lo
    hi = hi.tz_localize("UTC") if hi.tzinfo is None else hi
    inside = conv & (at >= lo).to_numpy(bool) & (at <= hi + pd.Timedelta(days=1)).to_numpy(bool)
    return float(inside.sum() / conv.sum())


def _figure(credit: pd.DataFrame) -> str:
    return "incremental_conversions" if "incremental_conversions" in credit.columns else "conversions"


def _fractions(exp: pd.DataFrame, journeys: Any) -> np.ndarray:
    if journeys is None:
        return np.ones(len(exp))
    return np.array([window_fraction(journeys, c, s, e)
                     for c, s, e in zip(exp["channel"], exp["start"], exp["end"])])


def score_experiments(credit: pd.DataFrame, experiments: pd.DataFrame, journeys: Any = None
                      ) -> pd.DataFrame:
    """Every model's figure for every experiment (see the module docstring).

    ``credit``: one model's credit or ``compare()``'s long frame (``model`` column). Returns one row
    per model and experiment: ``model, channel, start, end, experiment, ci_low, ci_high,
    standard_error, window_fraction, model_figure, z, inside``; models with no credit for the
    channel get NaN. Raises ValueError when an experiment's channel is in no model's credit.
    """
    exp = check_experiments(experiments)
    long = credit if "model" in credit.columns else credit.assign(model="model")
    unknown = sorted(set(exp["channel"]) - set(long["channel"]))
    if unknown:
        raise ValueError(f"experiments: channel(s) {unknown} are not in the credit; the credited "
                         f"channels are {sorted(set(long['channel']))}")
    frac = _fractions(exp, journeys)
    rows = []
    for model, g in long.groupby("model", sort=False):
        col = _figure(g)
        fig = g.set_index("channel")[col if g[col].notna().all() else "conversions"]
        for i, e in exp.iterrows():
            m = float(fig.get(e["channel"], np.nan)) * frac[i]
            rows.append({"model": model, "channel": e["channel"], "start": e["start"], "end": e["end"],
                         "experiment": e["incremental_conversions"], "ci_low": e["ci_low"],
                         "ci_high": e["ci_high"], "standard_error": e["standard_error"],
                         "window_fraction": frac[i], "model_figure": m,
                         "z": (m - e["incremental_conversions"]) / e["standard_error"],
                         "inside": bool(e["ci_low"] <= m <= e["ci_high"]) if np.isfinite(m) else False})
    return pd.DataFrame(rows)


def calibrate(credit: pd.DataFrame, experiments: pd.DataFrame, journeys: Any = None,
              model_se: Mapping[str, float] | pd.Series | None = None, method: str = "combine",
              level: float = 0.95) -> pd.DataFrame:
    """One model's credit calibrated to the experiments (module docstring: method and assumptions).

    Args:
        credit: one model's credit (``channel`` and ``incremental_conversions`` or ``conversions``).
        experiments: the experiments table (:func:`check_experiments`).
        journeys: the journeys, to place each experiment's window (None: windows cover the data).
        model_se: standard error of the model's figure per channel (e.g. the bootstrap standard
            deviation); required for ``method="combine"``.
        method: ``"combine"`` (Gaussian update) or ``"rescale"`` (experiment replaces the model).
        level: level of the returned interval.

    Returns:
        One row per channel: ``channel, model, model_se, experiment, experiment_se, calibrated,
        calibrated_se, ci_low, ci_high, weight_experiment, z_consistency, n_experiments``
        (experiment columns NaN and ``calibrated = model`` for channels without an experiment).
    """
    if method not in ("combine", "rescale"):
        raise ValueError(f"calibrate: method must be 'combine' or 'rescale', got {method!r}")
    if not 0 < level < 1:
        raise ValueError(f"calibrate: level must be in (0, 1), got {level!r}")
    exp = check_experiments(experiments)
    if "model" in credit.columns and credit["model"].nunique() > 1:
        raise ValueError("calibrate: give one model's credit (filter compare()'s frame by model)")
    m = credit.set_index("channel")[_figure(credit)].astype(float)
    unknown = sorted(set(exp["channel"]) - set(m.index))
    if unknown:
        raise ValueError(f"calibrate: experiment channel(s) {unknown} are not in the credit")
    se_m = pd.Series(np.nan, index=m.index) if model_se is None else \
        pd.Series(model_se, dtype=float).reindex(m.index)
    if method == "combine":
        bad = [c for c in exp["channel"].unique() if not (np.isfinite(se_m[c]) and se_m[c] > 0)]
        if bad:
            raise ValueError(f"calibrate: method='combine' needs the model's standard error (> 0) "
                             f"for {bad}; pass model_se= (e.g. bootstrap draws) or use "
                             "method='rescale'")
    frac = _fractions(exp, journeys)
    if np.any(frac <= 0):
        bad = exp.loc[frac <= 0, "channel"].tolist()
        raise ValueError(f"calibrate: no conversion with {bad} falls inside its experiment's window")
    full = exp["incremental_conversions"].to_numpy() / frac
    full_se = exp["standard_error"].to_numpy() / frac
    z = stats.norm.ppf((1 + level) / 2)
    rows = []
    for ch in m.index:
        sel = (exp["channel"] == ch).to_numpy()
        row = {"channel": ch, "model": m[ch], "model_se": se_m[ch], "experiment": np.nan,
               "experiment_se": np.nan, "calibrated": m[ch], "calibrated_se": se_m[ch],
               "weight_experiment": 0.0, "z_consistency": np.nan, "n_experiments": int(sel.sum())}
        if sel.any():
            w = 1 / full_se[sel] ** 2
            e, e_se = float((w * full[sel]).sum() / w.sum()), float(np.sqrt(1 / w.sum()))
            row.update(experiment=e, experiment_se=e_se)
            s = se_m[ch]
            row["z_consistency"] = (m[ch] - e) / np.sqrt((s if np.isfinite(s) else 0.0) ** 2 + e_se ** 2)
            if method == "combine":
                wm, we = 1 / s ** 2, 1 / e_se ** 2
                row.update(calibrated=(wm * m[ch] + we * e) / (wm + we),
                           calibrated_se=float(np.sqrt(1 / (wm + we))), weight_experiment=we / (wm + we))
            else:
                row.update(calibrated=e, calibrated_se=e_se, weight_experiment=1.0)
        rows.append(row)
    out = pd.DataFrame(rows)
    out["ci_low"] = out["calibrated"] - z * out["calibrated_se"]
    out["ci_high"] = out["calibrated"] + z * out["calibrated_se"]
    return out[["channel", "model", "model_se", "experiment", "experiment_se", "calibrated",
                "calibrated_se", "ci_low", "ci_high", "weight_experiment", "z_consistency",
                "n_experiments"]]
