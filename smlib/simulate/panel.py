"""Unit x month revenue panel with confounded, staggered adoption of integration.

Causal process (one draw per unit u and month t = 0..T-1):

- hidden quality ``q_u ~ N(0, 1)``; observed ``market_size_u = exp(0.3 q_u + 0.25 z_u)``;
- untreated revenue ``Y0_ut = a_u + b_t + e_ut`` with unit level
  ``a_u = base * market_size_u * exp(k q_u)``, common period effect
  ``b_t = base * (growth * t / 12 + seasonality * sin(2 pi month / 12))`` and noise
  ``e_ut ~ N(0, (sd * base)^2)`` -- additive unit and period effects, so parallel trends hold in
  levels; selection works on levels (through ``q_u``), never on trends;
- adoption score ``q_u + adoption_noise_sd * N(0, 1)``: the lowest ``never_adopt_share`` never
  adopt, the rest fall into ``n_cohorts`` equal groups, higher score = earlier cohort. Good units
  therefore adopt earlier *and* earn more, so adopters-vs-rest and before/after comparisons
  over-state the effect, while DiD / Callaway-Sant'Anna comparisons stay unbiased;
- treated revenue ``Y1_ut = Y0_ut + tau_ut * (a_u + b_t)`` with
  ``tau_ut = true_uplift * h_g * min(1, (t - g + 1) / ramp_periods)`` for ``t >= g``: a proportional
  effect on counterfactual expected revenue that ramps up, with cohort heterogeneity ``h_g`` falling
  linearly from ``1 + effect_heterogeneity`` (first cohort) to ``1 - effect_heterogeneity``.

Both potential outcomes come from the same draws (common random numbers) and are floored at 0, so
the realised ATT(g, t) = mean over units of cohort g of ``Y1_ut - Y0_ut`` is exact for the sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from smlib import config
from smlib.simulate.params import Params
from smlib.simulate.truth import Truth


def unit_ids(n_units: int) -> np.ndarray:
    """Unit ids ``U001``, ``U002``, ... (zero-padded to at least three digits)."""
    width = max(3, len(str(n_units)))
    return np.array([f"U{i + 1:0{width}d}" for i in range(n_units)], dtype=object)


def month_starts(start: str, n_periods: int) -> pd.DatetimeIndex:
    """``n_periods`` month starts from ``start`` (which must itself be a month start)."""
    ts = pd.Timestamp(start)
    if ts.tzinfo is not None or ts != ts.normalize() or ts.day != 1:
        raise ValueError(f"start={start!r}: expected a naive month-start date such as '2022-01-01'")
    return pd.date_range(ts, periods=n_periods, freq="MS").as_unit("us")


def cohort_periods(n_periods: int, n_cohorts: int) -> np.ndarray:
    """Adoption period index of each cohort: evenly spaced, leaving >= n/4 pre and >= n/6 post months."""
    lo = max(2, n_periods // 4)
    hi = n_periods - max(2, n_periods // 6)
    if hi - lo + 1 < n_cohorts:
        raise ValueError(f"n_cohorts={n_cohorts}: at most {hi - lo + 1} cohorts fit in n_periods={n_periods}")
    return np.unique(np.round(np.linspace(lo, hi, n_cohorts)).astype(np.int64))


def draw_units(rng: np.random.Generator, p: Params) -> dict[str, np.ndarray]:
    """Hidden quality, covariates, unit revenue level and adoption period index (-1 = never)."""
    n = p.n_units
    q = rng.standard_normal(n)
    market_size = np.round(np.exp(0.3 * q + 0.25 * rng.standard_normal(n)), 3)
    level = p.base_revenue * market_size * np.exp(p.quality_revenue_effect * q)
    score = q + p.adoption_noise_sd * rng.standard_normal(n)
    order = np.argsort(-score, kind="stable")  # best score first -> earliest cohort
    n_adopt = int(round(n * (1.0 - p.never_adopt_share)))
    cohorts = cohort_periods(p.n_periods, p.n_cohorts)
    g = np.full(n, -1, dtype=np.int64)
    if n_adopt > 0:
        groups = np.array_split(order[:n_adopt], len(cohorts))
        for k, members in enumerate(groups):
            g[members] = cohorts[k]
    return {"quality": q, "market_size": market_size, "level": level, "adoption": g,
            "cohorts": cohorts}


def build_panel(rng: np.random.Generator, p: Params, units: dict[str, np.ndarray]
                ) -> tuple[pd.DataFrame, Truth]:
    """Revenue panel and its exact treatment truth for already drawn ``units`` (see module doc)."""
    n, T = p.n_units, p.n_periods
    periods = month_starts(p.start, T)
    t = np.arange(T)
    b = p.base_revenue * (p.growth_per_year * t / 12.0
                          + p.seasonality * np.sin(2 * np.pi * (periods.month.to_numpy() - 1) / 12.0))
    mean0 = units["level"][:, None] + b[None, :]
    y0 = mean0 + p.revenue_noise_sd * p.base_revenue * rng.standard_normal((n, T))
    g = units["adoption"]
    cohorts = units["cohorts"]
    het = (np.linspace(1 + p.effect_heterogeneity, 1 - p.effect_heterogeneity, len(cohorts))
           if len(cohorts) > 1 else np.ones(1))
    h_unit = np.zeros(n)
    adopted = g >= 0
    h_unit[adopted] = het[np.searchsorted(cohorts, g[adopted])]
    event = t[None, :] - g[:, None]
    treated = adopted[:, None] & (event >= 0)
    ramp = np.clip((event + 1) / p.ramp_periods, 0.0, 1.0)
    tau = np.where(treated, p.true_uplift * h_unit[:, None] * ramp, 0.0)
    y0 = np.maximum(y0, 0.0)
    y1 = np.maximum(y0 + tau * mean0, 0.0)
    revenue = np.where(treated, y1, y0)
    headcount = np.maximum(1, np.round(25.0 * mean0 / p.base_revenue
                                        + 1.5 * rng.standard_normal((n, T)))).astype(np.int64)

    ids = unit_ids(n)
    adoption_ts = np.where(adopted, periods.to_numpy()[np.maximum(g, 0)], np.datetime64("NaT"))
    units_df = pd.DataFrame({
        "unit_id": pd.array(np.repeat(ids, T), dtype="str"),
        "period": np.tile(periods.to_numpy(), n),
        "revenue": revenue.ravel(),
        "adoption_period": np.repeat(adoption_ts, T).astype("datetime64[us]"),
        "market_size": np.repeat(units["market_size"], T),
        "headcount": headcount.ravel(),
    })
    potential = pd.DataFrame({
        "unit_id": units_df["unit_id"], "period": units_df["period"],
        "y0": y0.ravel(), "y1": y1.ravel(), "treated": treated.ravel(),
    })
    truth = Truth(
        att_gt=_att_gt(y0, y1, g, cohorts, periods),
        att=float((y1 - y0)[treated].mean()) if treated.any() else 0.0,
        att_pct=float((y1 - y0)[treated].sum() / y0[treated].sum()) if treated.any() else 0.0,
        params={},
        potential_outcomes=potential,
        unit_quality=pd.DataFrame({"unit_id": pd.array(ids, dtype="str"),
                                   "quality": units["quality"],
                                   "cohort": adoption_ts.astype("datetime64[us]")}),
    )
    return units_df, truth


def _att_gt(y0: np.ndarray, y1: np.ndarray, g: np.ndarray, cohorts: np.ndarray,
            periods: pd.DatetimeIndex) -> pd.DataFrame:
    """Realised ATT(g, t) for every cohort g and post-adoption period t >= g."""
    rows = []
    for c in cohorts:
        members = g == c
        if not members.any():
            continue
        for t in range(int(c), len(periods)):
            d = y1[members, t] - y0[members, t]
            rows.append((periods[c], periods[t], t - int(c), int(members.sum()),
                         float(d.mean()), float(d.sum() / y0[members, t].sum())))
    out = pd.DataFrame(rows, columns=["cohort", "period", "event_time", "n_units", "att", "att_pct"])
    out["cohort"] = out["cohort"].astype("datetime64[us]")
    out["period"] = out["period"].astype("datetime64[us]")
    return out


def simulate_panel(seed: int = config.DEFAULT_SEED, n_units: int = 60, n_periods: int = 48,
                   true_uplift: float = 0.08, **params: object) -> tuple[pd.DataFrame, Truth]:
    """Fast panel-only simulation: ``(units_df, truth)`` with the same process as :func:`simulate`.

    ``units_df`` follows the ``units`` contract (unit_id, period, revenue, adoption_period,
    market_size, headcount). ``truth.att_gt`` is the realised ATT(g, t) (cohort, period,
    event_time, n_units, att, att_pct), ``truth.att`` the mean of ``Y1 - Y0`` over treated
    post-adoption unit-periods (revenue units), ``truth.att_pct`` = sum(Y1 - Y0) / sum(Y0) over the
    same cells, ``truth.potential_outcomes`` both potential outcomes per cell and
    ``truth.unit_quality`` the hidden confounder. Extra keyword arguments are panel fields of
    :class:`~smlib.simulate.params.Params` (e.g. ``n_cohorts``, ``ramp_periods``,
    ``effect_heterogeneity``, ``adoption_noise_sd``, ``start``). Deterministic per seed; the random
    draws do not depend on ``true_uplift``, so ``Y0`` is identical across uplift values.
    """
    p = Params.from_kwargs(n_units=n_units, n_periods=n_periods, true_uplift=true_uplift, **params)
    rng = np.random.default_rng([int(seed), 1])
    units = draw_units(rng, p)
    units_df, truth = build_panel(rng, p, units)
    truth.params = {"seed": int(seed), "n_units": n_units, "n_periods": n_periods,
                    "true_uplift": true_uplift, **{k: v for k, v in params.items()}}
    return units_df, truth
