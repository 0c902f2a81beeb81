"""How strong an unobserved confounder would have to be to change a channel's sign or rank.

Every observational attribution model compares journeys with and without a channel. A hidden
driver of both exposure and conversion (an account's intent, say, that brings more demos *and* more
wins) makes that comparison biased, and no model of the observed journeys can detect it. The
E-value (VanderWeele & Ding 2017, "Sensitivity analysis in observational research: introducing the
E-value", Annals of Internal Medicine 167(4):268-274) says how strong such a confounder would have
to be, on the risk-ratio scale, to explain an observed effect away:

    E(RR) = RR + sqrt(RR (RR - 1))        for RR >= 1 (use 1 / RR for RR < 1),

the minimum strength of association, with both the exposure and the outcome, that an unmeasured
confounder would need to move the observed risk ratio to 1; weaker confounding cannot (it rests
on the bounding factor ``B = RR_EU RR_UD / (RR_EU + RR_UD - 1)`` of Ding & VanderWeele 2016,
Epidemiology 27(3):368-377, with both associations equal). Moving the risk ratio to another value
``RR_t`` (not 1) needs ``E(RR / RR_t)``.

Here the exposure is "the journey has the channel" and the effect is the model's removal effect on
those journeys: with ``E_c`` the conversions of the journeys that have channel ``c`` and ``L_c``
the conversions the model says they would lose without it, the removal risk ratio is

    RR_c = E_c / (E_c - L_c)

(> 1 for a channel that helps, < 1 for one whose removal raises conversions). For each channel:

- ``e_value_sign``: strength needed to move ``RR_c`` to 1 (credit 0; a stronger confounder can flip
  its sign), and ``e_value_sign_ci`` the same for the confidence limit closest to 1 (1 when the
  interval already contains 0);
- ``e_value_rank``: strength needed to bring the channel's lost conversions down (or up) to those of
  the next channel in the ranking (``next_channel``), i.e. to move ``RR_c`` to
  ``E_c / (E_c - L_next)``, with the other channel's estimate held fixed.

Read an E-value of 1.3 as "a hidden driver that makes journeys with the channel 1.3 times as
likely to be high-intent and high-intent journeys 1.3 times as likely to convert would be enough";
values above ~3 need confounding stronger than most measured B2B drivers. The E-value is a bound
on a worst-case confounder, not an estimate of the bias. Sources: docs/sources.md §3.4.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from smlib.attribution.paths import parse_paths

__all__ = ["confounding_sensitivity", "e_value", "e_value_interval", "exposed_conversions",
           "removal_risk_ratio"]


def e_value(rr: Any) -> np.ndarray:
    """E-value of a risk ratio (VanderWeele & Ding 2017): ``RR + sqrt(RR (RR - 1))``, RR<1 → 1/RR.

    Accepts a number or an array; 1 at RR = 1, infinity at RR = 0 or infinity, NaN for NaN.
    Raises ValueError for a negative risk ratio.
    """
    r = np.asarray(rr, dtype=float)
    if np.any(r[~np.isnan(r)] < 0):
        raise ValueError(f"e_value: risk ratios must be >= 0, got {rr!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(r < 1, 1.0 / r, r)
        return r + np.sqrt(r * (r - 1.0))


def e_value_interval(low: Any, high: Any) -> np.ndarray:
    """E-value of the confidence limit closest to 1: ``e_value(low)`` when the interval lies above
    1, ``e_value(high)`` when it lies below 1, else 1 (the interval already includes no effect)."""
    lo, hi = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    if np.any(lo > hi):
        raise ValueError("e_value_interval: every low limit must be <= its high limit")
    out = np.ones(np.broadcast(lo, hi).shape)
    above, below = lo > 1, hi < 1
    out = np.where(above, e_value(np.where(above, lo, 1.0)), out)
    return np.where(below, e_value(np.where(below, hi, 1.0)), out)


def removal_risk_ratio(lost: Any, exposed: Any) -> np.ndarray:
    """``E / (E - L)``: conversions of the exposed journeys over what they would have without the
    channel. Infinite when ``L >= E`` (removal would lose every conversion of those journeys);
    NaN where ``E <= 0``."""
    L, E = np.asarray(lost, dtype=float), np.asarray(exposed, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rr = np.where(E - L > 0, E / (E - L), np.inf)
    return np.where(E > 0, rr, np.nan)


def exposed_conversions(paths: Any) -> pd.Series:
    """Observed conversions of the journeys that contain each channel (a channel counts once per
    journey), indexed by channel; ``paths`` is anything :func:`smlib.attribution.paths.parse_paths`
    takes."""
    parsed = parse_paths(paths)
    row = parsed.row_of_touch
    key = np.unique(row.astype(np.int64) * parsed.n_channels + parsed.indices)
    rows, ch = np.divmod(key, parsed.n_channels)
    conv = np.bincount(ch, weights=parsed.conversions[rows], minlength=parsed.n_channels)
    return pd.Series(conv, index=pd.Index(parsed.channels, name="channel"), name="exposed_conversions")


def confounding_sensitivity(credit: pd.DataFrame, exposed: pd.Series,
                            intervals: pd.DataFrame | None = None,
                            column: str | None = None) -> pd.DataFrame:
    """E-values for each channel's sign and rank (see the module docstring).

    Args:
        credit: one model's credit: ``channel`` and the conversions each channel's removal loses,
            raw (``incremental_conversions`` when present) or else ``conversions``; ``column``
            names another column.
        exposed: conversions of the journeys with each channel (:func:`exposed_conversions`).
        intervals: optional ``channel, ci_low, ci_high`` of the same quantity (e.g. a bootstrap
            interval); gives ``e_value_sign_ci``.

    Returns:
        One row per channel, largest lost conversions first: ``channel``, ``lost`` (the credit
        used), ``exposed_conversions``, ``risk_ratio``, ``e_value_sign``, ``e_value_sign_ci`` (NaN
        without intervals), ``next_channel`` and ``e_value_rank`` (NaN for the last channel).

    Raises:
        ValueError: missing columns, or a channel of ``credit`` without exposed conversions.
    """
    if not isinstance(credit, pd.DataFrame) or "channel" not in credit.columns:
        raise ValueError("confounding_sensitivity: credit must be a DataFrame with a 'channel' column")
    col = column or ("incremental_conversions" if "incremental_conversions" in credit.columns
                     else "conversions")
    if col not in credit.columns:
        raise ValueError(f"confounding_sensitivity: credit has no column {col!r}")
    c = credit[["channel", col]].rename(columns={col: "lost"}).copy()
    c["lost"] = c["lost"].astype(float)
    missing = sorted(set(c["channel"]) - set(exposed.index))
    if missing:
        raise ValueError(f"confounding_sensitivity: no exposed conversions for {missing}; "
                         "compute them on the same journeys (exposed_conversions(paths))")
    c["exposed_conversions"] = exposed.reindex(c["channel"]).to_numpy(float)
    c = c.sort_values("lost", ascending=False, kind="stable", ignore_index=True)
    E, L = c["exposed_conversions"].to_numpy(), c["lost"].to_numpy()
    rr = removal_risk_ratio(L, E)
    c["risk_ratio"] = rr
    c["e_value_sign"] = e_value(rr)
    if intervals is not None:
        ci = intervals.set_index("channel").reindex(c["channel"])
        lo = removal_risk_ratio(ci["ci_low"].to_numpy(float), E)
        hi = removal_risk_ratio(ci["ci_high"].to_numpy(float), E)
        c["e_value_sign_ci"] = e_value_interval(np.fmin(lo, hi), np.fmax(lo, hi))
    else:
        c["e_value_sign_ci"] = np.nan
    nxt = np.r_[L[1:], np.nan]
    target = removal_risk_ratio(nxt, E)
    with np.errstate(divide="ignore", invalid="ignore"):
        c["e_value_rank"] = np.where(np.isnan(nxt), np.nan, e_value(rr / target))
    c["next_channel"] = pd.Series(np.r_[c["channel"].to_numpy()[1:], None], dtype=object)
    return c[["channel", "lost", "exposed_conversions", "risk_ratio", "e_value_sign",
              "e_value_sign_ci", "next_channel", "e_value_rank"]]
