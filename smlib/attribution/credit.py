"""Credit tables for the economics: one model's bootstrap bounds added, or credit per group.

* :func:`credit_with_intervals`: a long credit table (``compare()``) with the percentile bounds of
  one model's bootstrap (``ci_low, ci_high, value_ci_low, value_ci_high``) and the draws, for
  :func:`smlib.metrics.channel_economics` / :func:`smlib.metrics.team_economics`.
* :func:`credit_by`: ``compare()`` run separately on each group of journeys (a month, a unit...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from smlib.attribution.api import compare
from smlib.attribution.registry import get_model
from smlib.attribution.resample import BootstrapDraws
from smlib.attribution.uncertainty import bootstrap_draws
from smlib.schemas import credit_table

__all__ = ["credit_by", "credit_with_intervals"]

_BOUNDS = ["ci_low", "ci_high", "value_ci_low", "value_ci_high"]


def credit_with_intervals(credit: pd.DataFrame, paths: Any, model: str, *, touches: Any = None,
                          n_boot: int = 200, seed: int = 0,
                          level: float = 0.95) -> tuple[pd.DataFrame, BootstrapDraws | None]:
    """Add attribution-bootstrap intervals for ``model`` to a long credit table.

    Runs the model's ``bootstrap_draws`` (:mod:`smlib.attribution.registry`; journeys resampled,
    ``n_boot`` replicates, ``seed``) on ``paths`` — or on ``touches`` for the models that need
    them (time decay, W-shaped, full path) — and merges the percentile bounds as ``ci_low,
    ci_high, value_ci_low, value_ci_high`` on the rows of ``model`` (other models keep NaN).
    Returns ``(credit_with_bounds, draws)``; pass ``draws`` to
    :func:`smlib.metrics.team_economics` for team intervals. A fitted model (``logistic``,
    ``incremental``) is refitted once here and uses its own fast one-step (linearised) bootstrap;
    when cross-validation selected a non-logistic learner, which would be refitted on every
    resample (``n_boot`` × its fit time), no interval is computed: the table is returned without
    bounds, ``draws`` is None and ``result.attrs["note"]`` says why.
    """
    cr = credit_table(credit, "credit", require_value=True, nonnegative=False,
                      keys=("period", "quarter", "year", "unit_id", "regime"))
    cr = cr.rename(columns={"conversions_ci_low": "ci_low", "conversions_ci_high": "ci_high"})
    if model not in set(cr["model"]):
        raise ValueError(f"credit has no rows for model {model!r}; models: {list(cr['model'].unique())}")
    for c in _BOUNDS:
        cr[c] = np.nan
    if n_boot < 2:
        cr.attrs["note"] = "n_boot < 2: no bootstrap interval"
        return cr, None
    spec = get_model(model, "credit_with_intervals")
    if spec.fitted:
        est = spec.fit(paths)
        if not est.fast_bootstrap:
            cr.attrs["note"] = (f"no bootstrap interval for {model!r}: its selected learner "
                                f"({type(est.model_).__name__}) would be refitted on each of "
                                f"{n_boot} resamples")
            return cr, None
        d = est.bootstrap_draws(n_boot, seed)
    else:
        data = touches if spec.needs_journeys else paths
        if data is None:
            raise ValueError(f"model {model!r} needs the journeys' touches table: pass touches=")
        d = bootstrap_draws(data, model, n_boot=n_boot, seed=seed)
    q = [(1 - level) / 2, (1 + level) / 2]
    bounds = pd.DataFrame({"channel": list(d.channels)})
    bounds[["ci_low", "ci_high"]] = np.nanquantile(d.conversions, q, axis=0).T
    bounds[["value_ci_low", "value_ci_high"]] = np.nanquantile(d.value, q, axis=0).T
    rows = cr["model"].eq(model)
    merged = cr.loc[rows, ["channel"]].merge(bounds, on="channel", how="left")
    cr.loc[rows, _BOUNDS] = merged[_BOUNDS].to_numpy()
    cr.attrs["note"] = f"{n_boot} bootstrap resamples of journeys ({d.method}), seed {seed}"
    return cr, d


def credit_by(journeys: Any, by: str | Sequence[str], models: Sequence[str] | None = None, *,
              touches: pd.DataFrame | None = None, **params: Any) -> pd.DataFrame:
    """Run :func:`smlib.attribution.api.compare` separately per group of journeys.

    ``journeys``: the journeys table of :func:`smlib.journeys.build_journeys` (or the
    ``Journeys`` object) holding the ``by`` columns, e.g. ``period`` / ``quarter`` / ``unit_id`` /
    ``regime`` added by :func:`smlib.metrics.add_dimensions` (a journey dated by its conversion,
    ``conversion_at``, or for a non-converting journey by ``last_at``). Each group's path table is
    rebuilt in the ChannelAttribution layout (``path, total_conversions, total_conversion_value,
    total_null``); models that need touch timestamps get the group's touches (``touches``, default
    ``journeys.touches``). Groups without a conversion are left out. Output: the long credit table
    with the ``by`` columns added, ready for :func:`smlib.metrics.channel_economics` with the same
    ``by``.

    Raises:
        ValueError: missing columns, or no group with a conversion.
    """
    by_ = [by] if isinstance(by, str) else list(by)
    if touches is None:
        touches = getattr(journeys, "touches", None)
    table = getattr(journeys, "journeys", journeys)
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"journeys: expected a DataFrame or a Journeys object, got "
                         f"{type(table).__name__}")
    missing = [c for c in ("journey_id", "path", "converted", "conversion_value", *by_)
               if c not in table.columns]
    if missing:
        raise ValueError(f"journeys: missing column(s) {missing}; add the grouping columns with "
                         "smlib.metrics.add_dimensions")
    groups = (table.groupby(by_, dropna=False, sort=True, observed=True) if by_
              else [((), table)])
    out = []
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        conv = g["converted"].astype(bool)
        paths = (g.assign(total_conversions=conv.astype(float),
                          total_conversion_value=g["conversion_value"].fillna(0.0).where(conv, 0.0),
                          total_null=(~conv).astype(float))
                 .groupby("path", sort=True)[["total_conversions", "total_conversion_value",
                                              "total_null"]].sum().reset_index())
        if paths["total_conversions"].sum() <= 0:
            continue  # nothing to credit in this group; channel_economics shows cost with a note
        kw = dict(params)
        if touches is not None:
            kw["journeys"] = touches.loc[touches["journey_id"].isin(g["journey_id"])]
        res = compare(paths, models=models, **kw)
        for col, val in zip(by_, key):
            res[col] = val
        out.append(res)
    if not out:
        raise ValueError("journeys: no group has a conversion, so there is nothing to credit")
    return pd.concat(out, ignore_index=True)
