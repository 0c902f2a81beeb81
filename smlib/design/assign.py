"""Which units go first: stratified randomisation into waves, its balance, and pilot units.

* :func:`unit_features` describes each unit's history: size (mean monthly outcome of the last
  12 months), baseline growth (trend of the last 24 months per year, as a share of the mean),
  volatility (spread around that trend, as a share of the mean) and the mean of any other numeric
  column (covariates such as ``market_size``).
* :func:`stratified_waves` randomises units into waves within strata (a text column such as
  ``region`` when present, then above/below the median size and growth while every stratum keeps
  at least one unit per wave): the units of each stratum are shuffled and dealt to the waves in
  turn, continuing from stratum to stratum, so every wave gets the same number of units (one more
  at most) and of each stratum. The allocation is re-randomised (Morgan & Rubin 2012) until the
  largest standardised difference between a wave and the other units is at most ``max_smd``
  (0.25; Stuart 2010), at most ``max_tries`` times, keeping the best; the seed makes it
  reproducible. :func:`balance_table` is that check.
* :func:`pilot_units` is the alternative when only a few units can integrate (as geo-experiment
  tools choose test markets): each candidate's synthetic control (a convex combination of the
  other units, on each unit's series divided by its own mean) is fitted on the earlier months and
  judged on the last ``holdout`` months; the units whose synthetic controls predict best are
  picked one at a time, each pick leaving the donor pool of the next.

References: Morgan, K. L. & Rubin, D. B. (2012). Rerandomization to improve covariate balance in
experiments. Annals of Statistics 40(2), 1263-1282. Stuart, E. A. (2010). Matching methods for
causal inference: a review and a look forward. Statistical Science 25(1), 1-21. Abadie, A.,
Diamond, A. & Hainmueller, J. (2010), JASA 105(490), 493-505.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from smlib.causal.synth import simplex_least_squares

__all__ = ["WaveAssignment", "balance_table", "pilot_units", "stratified_waves", "unit_features"]

#: Largest standardised difference of a balanced allocation.
MAX_SMD: float = 0.25


def unit_features(wide: pd.DataFrame, covariates: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per unit (the index of ``wide``, a units x months outcome table) with ``size``,
    ``growth``, ``volatility`` and the columns of ``covariates`` (indexed by unit; numeric ones
    are used in the balance check, text ones such as ``region`` as strata)."""
    y = wide.to_numpy(dtype=float)
    T = y.shape[1]
    size = y[:, -min(12, T):].mean(axis=1)
    k = min(24, T)
    t = np.arange(k) - (k - 1) / 2
    last = y[:, -k:]
    mean = last.mean(axis=1)
    slope = (last - mean[:, None]) @ t / (t @ t) if k > 1 else np.zeros(len(y))
    fitted = mean[:, None] + slope[:, None] * t[None, :]
    safe = np.where(mean > 0, mean, np.nan)
    out = pd.DataFrame({"size": size, "growth": 12 * slope / safe,
                        "volatility": (last - fitted).std(axis=1) / safe}, index=wide.index)
    if covariates is not None and len(covariates.columns):
        out = out.join(covariates.reindex(wide.index))
    return out


def balance_table(features: pd.DataFrame, waves: pd.Series, max_smd: float = MAX_SMD
                  ) -> pd.DataFrame:
    """Standardised differences of each numeric feature between each wave and the other units:
    ``(mean_wave - mean_rest) / sqrt((var_wave + var_rest) / 2)``.

    Returns one row per feature: its mean in each wave (``wave_1``, ...), ``max_abs_smd`` and
    ``balanced`` (``max_abs_smd <= max_smd``).
    """
    num = features.select_dtypes("number")
    num = num.loc[:, num.notna().all() & (num.nunique() >= 2)]
    x = num.to_numpy(dtype=float)
    w = waves.reindex(num.index).to_numpy()
    ks = np.unique(w)
    means, smds = _wave_smds(x, w, ks)
    out = pd.DataFrame({"feature": list(num.columns)})
    for j, k in enumerate(ks):
        out[f"wave_{k}"] = means[j]
    out["max_abs_smd"] = smds.max(axis=0) if len(ks) else np.zeros(len(out))
    out["balanced"] = out["max_abs_smd"] <= max_smd
    return out


def _wave_smds(x: np.ndarray, w: np.ndarray, ks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per wave (rows) and feature (columns): the wave's mean and the absolute standardised
    difference against the other units (0 where both spreads are 0)."""
    means = np.empty((len(ks), x.shape[1]))
    smds = np.empty_like(means)
    for j, k in enumerate(ks):
        a, b = x[w == k], x[w != k]
        va = a.var(axis=0, ddof=1) if len(a) > 1 else np.zeros(x.shape[1])
        vb = b.var(axis=0, ddof=1) if len(b) > 1 else np.zeros(x.shape[1])
        sd = np.sqrt((va + vb) / 2)
        means[j] = a.mean(axis=0)
        diff = np.abs(means[j] - b.mean(axis=0))
        smds[j] = np.divide(diff, sd, out=np.zeros_like(diff), where=sd > 0)
    return means, smds


@dataclass
class WaveAssignment:
    """Units randomised into waves.

    Attributes:
        waves: unit -> wave number (1 = first to integrate).
        strata: unit -> stratum label.
        strata_by: the features the strata were formed on.
        balance: :func:`balance_table` of the allocation.
        balanced: every standardised difference at most ``max_smd``.
        tries: allocations drawn (re-randomisation) until the kept one.
        seed: the seed.
        max_smd: the balance threshold.
    """

    waves: pd.Series
    strata: pd.Series
    strata_by: list[str]
    balance: pd.DataFrame
    balanced: bool
    tries: int
    seed: int
    max_smd: float = MAX_SMD
    n_waves: int = field(default=0)

    def members(self, wave: int) -> list[Any]:
        """The units of ``wave`` (1-based), sorted."""
        return sorted(self.waves.index[self.waves == wave])


def _strata(features: pd.DataFrame, n_waves: int, by: Sequence[str]) -> tuple[pd.Series, list[str]]:
    """Stratum label per unit: text columns in ``by`` as they are, numeric ones split at the
    median; a feature is added only while every stratum keeps at least ``n_waves`` units."""
    label = pd.Series("", index=features.index, dtype=object)
    used: list[str] = []
    for col in by:
        if col not in features:
            continue
        x = features[col]
        part = (x.astype(str) if not pd.api.types.is_numeric_dtype(x)
                else np.where(x > x.median(), "high", "low"))
        trial = label + "|" + col + "=" + pd.Series(part, index=features.index).astype(str)
        if trial.value_counts().min() >= n_waves and trial.nunique() > label.nunique():
            label, used = trial, used + [col]
    return label.str.lstrip("|").replace("", "all"), used


def stratified_waves(features: pd.DataFrame, n_waves: int, seed: int = 0,
                     strata_by: Sequence[str] | None = None, max_smd: float = MAX_SMD,
                     max_tries: int = 1000) -> WaveAssignment:
    """Randomise the units (index of ``features``, e.g. :func:`unit_features`) into ``n_waves``
    waves within strata, re-randomising until balanced (see the module docstring).

    Args:
        features: one row per unit.
        n_waves: number of waves (>= 2, at most the number of units).
        seed: seed of the randomisation (same seed and data, same waves).
        strata_by: features to stratify on, in order of priority; default ``region`` (when
            present), ``size``, ``growth``.
        max_smd: balance threshold on the absolute standardised difference.
        max_tries: most allocations drawn.

    Raises:
        ValueError: fewer units than waves, or ``n_waves < 2``.
    """
    n = len(features)
    if isinstance(n_waves, bool) or not isinstance(n_waves, (int, np.integer)) or n_waves < 2:
        raise ValueError(f"n_waves must be a whole number >= 2, got {n_waves!r}")
    if n < n_waves:
        raise ValueError(f"{n} units cannot fill {n_waves} waves")
    by = list(strata_by) if strata_by is not None else (
        [c for c in ("region",) if c in features] + ["size", "growth"])
    strata, used = _strata(features, n_waves, by)
    rng = np.random.default_rng(seed)
    num = features.select_dtypes("number")
    x = num.loc[:, num.notna().all() & (num.nunique() >= 2)].to_numpy(dtype=float)
    ks = np.arange(1, n_waves + 1)
    best: tuple[float, pd.Series, int] | None = None
    for i in range(1, max_tries + 1):
        order: list[Any] = []
        for s in rng.permutation(sorted(strata.unique())):
            members = strata.index[strata == s].to_numpy()
            order.extend(rng.permutation(members))
        offset = int(rng.integers(n_waves))
        waves = pd.Series((offset + np.arange(n)) % n_waves + 1, index=pd.Index(order),
                          name="wave").reindex(features.index)
        worst = float(_wave_smds(x, waves.to_numpy(), ks)[1].max()) if x.shape[1] else 0.0
        if best is None or worst < best[0]:
            best = (worst, waves, i)
        if worst <= max_smd:
            break
    worst, waves, tries = best
    bal = balance_table(features, waves, max_smd)
    return WaveAssignment(waves=waves.astype(int), strata=strata, strata_by=used, balance=bal,
                          balanced=bool(worst <= max_smd), tries=tries, seed=int(seed),
                          max_smd=max_smd, n_waves=int(n_waves))


def _fit_error(y: np.ndarray, i: int, donors: np.ndarray, n_fit: int
               ) -> tuple[float, float, np.ndarray]:
    """Synthetic control of unit ``i`` from ``donors`` (rows of ``y``, series already divided by
    their means) fitted on the first ``n_fit`` months: (RMSPE on the fit months, RMSPE on the
    others, weights)."""
    w = simplex_least_squares(y[donors, :n_fit].T, y[i, :n_fit])
    gap = y[i] - w @ y[donors]
    return (float(np.sqrt(np.mean(gap[:n_fit] ** 2))), float(np.sqrt(np.mean(gap[n_fit:] ** 2))),
            w)


def pilot_units(wide: pd.DataFrame, n_pilot: int = 3, holdout: int = 6, n_donors_shown: int = 3
                ) -> pd.DataFrame:
    """Pilot units whose synthetic controls fit best (see the module docstring).

    Args:
        wide: units x months untreated outcome.
        n_pilot: units to pick (fewer when fewer than ``n_pilot + 2`` units).
        holdout: last months used to judge each fit (at most a third of the months).
        n_donors_shown: largest donor weights listed per pilot.

    Returns one row per pilot, in the order picked: ``unit``, ``fit_error`` (root mean squared
    gap on the fit months, as a share of the unit's mean), ``holdout_error`` (the same on the
    holdout months), ``donors`` (``{unit: weight}`` of the largest weights).
    """
    y = wide.to_numpy(dtype=float)
    n, T = y.shape
    mean = y.mean(axis=1)
    keep = mean > 0
    units = wide.index[keep]
    y = y[keep] / mean[keep, None]
    holdout = int(min(max(holdout, 1), max(T // 3, 1)))
    n_fit = T - holdout
    chosen: list[int] = []
    rows = []
    for _ in range(int(min(n_pilot, max(len(units) - 2, 0)))):
        best = None
        for i in range(len(units)):
            if i in chosen:
                continue
            donors = np.array([j for j in range(len(units)) if j != i and j not in chosen])
            fit, hold, w = _fit_error(y, i, donors, n_fit)
            if best is None or hold < best[1]:
                best = (fit, hold, w, i, donors)
        fit, hold, w, i, donors = best
        chosen.append(i)
        top = np.argsort(-w)[:n_donors_shown]
        rows.append({"unit": units[i], "fit_error": fit, "holdout_error": hold,
                     "donors": {units[donors[j]]: float(w[j]) for j in top if w[j] > 0.005}})
    return pd.DataFrame(rows, columns=["unit", "fit_error", "holdout_error", "donors"])
