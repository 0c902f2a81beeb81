"""Rule-based attribution: fixed weights over the touches of each converting journey.

Every rule model gives each touch ``t`` of a row ``r`` a weight ``w_t ≥ 0`` with ``Σ_t w_t = 1``;
the row's conversions **and** its conversion value are split with the same weights, and a channel
receives the sum over its touches (a channel touched twice gets both touches' weights)::

    conversions_c = Σ_r conversions_r · Σ_{t in r, channel(t) = c} w_t      (value likewise)

so the credited totals always equal the input totals. The row→channel weight matrix is linear in
the counts, which is what makes the bootstrap a single matrix product
(:func:`smlib.attribution.uncertainty.bootstrap`).

Conventions and sources (see docs/sources.md §3):

* ``first_touch`` / ``last_touch``: 100 % to the first / last touch.
* ``last_non_direct``: 100 % to the last touch whose channel is not "direct"; a journey made only
  of direct touches credits its last (direct) touch — Universal Google Analytics' default
  (matomo FAQ 25500; bluemoondigital.co "beyond the last click").
* ``linear``: ``1/n`` to each of the ``n`` touches.
* ``position_based`` (U-shaped, Google Ads ``POSITION_BASED``): 40 % first, 40 % last, 20 % split
  equally over the middle touches. A 1-touch journey gives 100 % to its touch; a 2-touch journey
  has no middle, so the middle weight is dropped and first/last renormalised (50/50 by default),
  as Google does.
* ``time_decay``: ``w_t ∝ 2^(−age_t / half_life)``, ``age_t`` = days from the touch to the
  conversion (Google Ads ``TIME_DECAY``: half-life 7 days). Needs the touches table.
* ``w_shaped``: 30 % first touch, 30 % lead creation, 30 % opportunity creation, 10 % over the
  other touches (Marketo Measure / HubSpot, docs/sources.md §3). Needs the touches table.
* ``full_path`` (Z-shaped): 22.5 % each on first touch, lead creation, opportunity creation and
  closed-won, 10 % over the other touches (Marketo Measure; HubSpot). Needs the touches table.

Milestone convention (w_shaped, full_path), chosen because journeys are often short:
milestone weights that fall on the same touch add up on that touch; a milestone with no flagged
touch in the journey contributes nothing; the "rest" weight is split equally over the touches that
carry no milestone of the model and is dropped when there is none; finally the weights present are
renormalised to sum to 1. So a 1-touch journey gives 100 % to its touch, and a 2-touch journey
(first touch; lead + opportunity creation on the second) gives 30/90 and 60/90 under W-shaped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from smlib.attribution.paths import ParsedPaths, parse_paths

__all__ = [
    "first_touch", "last_touch", "last_non_direct", "linear", "position_based", "time_decay",
    "w_shaped", "full_path", "row_weights", "credit_frame",
]

#: Milestone flags of the touches table used by W-shaped and full-path.
W_SHAPED_DEFAULT: dict[str, float] = {
    "is_first_touch": 0.3, "is_lead_creation": 0.3, "is_opp_creation": 0.3}
FULL_PATH_DEFAULT: dict[str, float] = {
    "is_first_touch": 0.225, "is_lead_creation": 0.225, "is_opp_creation": 0.225,
    "is_closed_won": 0.225}


def credit_frame(channels: tuple[str, ...] | list[str], conversions: np.ndarray,
                 value: np.ndarray) -> pd.DataFrame:
    """The standard output: one row per channel with ``channel, conversions, value, share``.

    ``share`` is the channel's fraction of the credited conversions (``conversions / Σ``).
    """
    conversions = np.asarray(conversions, float)
    total = conversions.sum()
    share = conversions / total if total != 0 else np.full(len(conversions), np.nan)
    return pd.DataFrame({"channel": pd.Series(list(channels), dtype=object),
                         "conversions": conversions, "value": np.asarray(value, float),
                         "share": share})


def _weights_to_matrix(parsed: ParsedPaths, w: np.ndarray) -> sp.csr_matrix:
    """Row × channel matrix from per-touch weights (duplicate channels in a row are summed)."""
    # copy=True: sum_duplicates() sorts indices in place and must not touch the shared encoding
    m = sp.csr_matrix((w, parsed.indices, parsed.indptr), shape=(parsed.n_rows, parsed.n_channels),
                      copy=True)
    m.sum_duplicates()
    return m


def _touch_weights(parsed: ParsedPaths, model: str, **params: Any) -> np.ndarray:
    """Per-touch weights (sum 1 within each row) of rule ``model``."""
    lengths = parsed.lengths
    pos = parsed.position
    n = np.repeat(lengths, lengths).astype(float)
    if model == "first_touch":
        return (pos == 0).astype(float)
    if model == "last_touch":
        return (pos == n - 1).astype(float)
    if model == "linear":
        return 1.0 / n
    if model == "last_non_direct":
        direct = params.get("direct", ("direct",))
        direct = (direct,) if isinstance(direct, str) else tuple(direct)
        is_direct = np.isin(np.asarray(parsed.channels, dtype=object)[parsed.indices],
                            np.asarray(direct, dtype=object))
        # last non-direct position per row, or the last touch when every touch is direct
        cand = np.where(is_direct, -1, pos)
        last_nd = np.maximum.reduceat(cand, parsed.indptr[:-1])
        target = np.where(last_nd >= 0, last_nd, lengths - 1)
        return (pos == np.repeat(target, lengths)).astype(float)
    if model == "position_based":
        first, middle, last = (float(params.get(k, d)) for k, d in
                               (("first", 0.4), ("middle", 0.2), ("last", 0.4)))
        _check_weights("position_based", {"first": first, "middle": middle, "last": last})
        if first + last <= 0:
            raise ValueError("position_based: first + last must be > 0, otherwise 1- and 2-touch "
                             "journeys have no defined credit")
        w = np.where(pos == 0, first, 0.0) + np.where(pos == n - 1, last, 0.0)
        w = np.where(n == 1, 1.0, w)
        w = np.where(n == 2, w / (first + last), w)  # no middle: renormalise first/last
        return np.where((n >= 3) & (pos > 0) & (pos < n - 1), middle / np.maximum(n - 2, 1), w)
    if model == "time_decay":
        parsed.require_touch_data("time_decay", ("timestamp", "conversion_at"))
        half_life = float(params.get("half_life_days", 7.0))
        if not np.isfinite(half_life) or half_life <= 0:
            raise ValueError(f"time_decay: half_life_days must be a positive number, got {half_life}")
        ts = parsed.touch_data["timestamp"]
        conv_at = parsed.touch_data["conversion_at"]
        row = parsed.row_of_touch
        converted = parsed.conversions > 0
        bad = converted & ~np.isfinite(conv_at)
        if bad.any():
            raise ValueError(f"time_decay: converted journeys without conversion_at: "
                             f"{_ids(parsed, bad)}")
        # reference time: the conversion, or the last touch for non-converting journeys
        last_ts = np.maximum.reduceat(ts, parsed.indptr[:-1])
        ref = np.where(converted, conv_at, last_ts)
        age = ref[row] - ts
        if (age < -1e-9).any():
            bad_rows = np.unique(row[age < -1e-9])
            raise ValueError(f"time_decay: touches after the conversion in journeys "
                             f"{_ids(parsed, bad_rows)}")
        # subtract each row's smallest age before exponentiating, for numerical range
        min_age = np.minimum.reduceat(age, parsed.indptr[:-1])
        w = np.exp2(-(age - min_age[row]) / half_life)
        return w / np.add.reduceat(w, parsed.indptr[:-1])[row]
    if model in ("w_shaped", "full_path"):
        default = W_SHAPED_DEFAULT if model == "w_shaped" else FULL_PATH_DEFAULT
        weights = {k: float(params.get(k.removeprefix("is_"), v)) for k, v in default.items()}
        rest = float(params.get("rest", 0.1))
        _check_weights(model, {**weights, "rest": rest})
        parsed.require_touch_data(model, tuple(weights))
        return _milestone_weights(parsed, weights, rest, model)
    raise ValueError(f"unknown rule model {model!r}")


def _ids(parsed: ParsedPaths, rows: np.ndarray) -> list:
    """First few journey ids (touches layout) or row numbers named in an error message."""
    ids = parsed.row_ids if parsed.row_ids is not None else np.arange(parsed.n_rows)
    return list(ids[rows][:5])


def _check_weights(model: str, weights: dict[str, float]) -> None:
    bad = {k: v for k, v in weights.items() if not np.isfinite(v) or v < 0}
    if bad:
        raise ValueError(f"{model}: weights must be finite and ≥ 0, got {bad}")
    total = sum(weights.values())
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"{model}: weights {weights} sum to {total:g}; they must sum to 1")


def _milestone_weights(parsed: ParsedPaths, weights: dict[str, float], rest: float,
                       model: str) -> np.ndarray:
    """Milestone weights merged per touch, rest split over non-milestone touches, renormalised."""
    starts = parsed.indptr[:-1]
    row = parsed.row_of_touch
    w = np.zeros(len(parsed.indices))
    is_milestone = np.zeros(len(parsed.indices), dtype=bool)
    for flag, weight in weights.items():
        f = parsed.touch_data[flag]
        w += weight * f
        is_milestone |= f
    n_rest = np.add.reduceat((~is_milestone).astype(np.int64), starts)
    w += np.where(is_milestone, 0.0, rest / np.maximum(n_rest, 1)[row])
    total = np.add.reduceat(w, starts)
    bad = (total <= 0) & (parsed.conversions > 0)
    if bad.any():
        raise ValueError(f"{model}: converted journeys {_ids(parsed, bad)} get no "
                         "weight (no milestone flagged and rest = 0)")
    total = np.where(total > 0, total, 1.0)
    w = w / total[row]
    # a journey without any weight (non-converting, rest = 0) is spread evenly: it carries no credit
    empty = np.add.reduceat(w, starts) == 0
    return np.where(empty[row], 1.0 / parsed.lengths[row], w)


def row_weights(paths: Any, model: str, sep: str | None = None, **params: Any) -> sp.csr_matrix:
    """Row × channel weight matrix ``W`` of a rule model: credit = ``counts @ W``.

    ``W[r, c]`` is the fraction of row ``r``'s conversions (and value) credited to channel ``c``;
    every row sums to 1.
    """
    parsed = parse_paths(paths, sep=sep)
    return _weights_to_matrix(parsed, _touch_weights(parsed, model, **params))


def _rule(model: str, paths: Any, sep: str | None, params: dict[str, Any]) -> pd.DataFrame:
    parsed = parse_paths(paths, sep=sep)
    parsed.require_conversions(model)
    W = _weights_to_matrix(parsed, _touch_weights(parsed, model, **params))
    return credit_frame(parsed.channels, W.T @ parsed.conversions, W.T @ parsed.value)


def first_touch(paths: Any, sep: str | None = None) -> pd.DataFrame:
    """First-touch attribution: each conversion (and its value) goes to the journey's first touch.

    Args:
        paths: path table, touches table or :class:`ParsedPaths` (see ``paths.parse_paths``).
        sep: path separator (default ``" > "`` with detection).

    Returns:
        DataFrame ``channel, conversions, value, share`` (one row per channel, sorted by name).
    """
    return _rule("first_touch", paths, sep, {})


def last_touch(paths: Any, sep: str | None = None) -> pd.DataFrame:
    """Last-touch attribution: 100 % of each conversion and its value to the last touch."""
    return _rule("last_touch", paths, sep, {})


def last_non_direct(paths: Any, sep: str | None = None,
                    direct: str | tuple[str, ...] = ("direct",)) -> pd.DataFrame:
    """Last non-direct touch: 100 % to the last touch whose channel is not in ``direct``.

    A journey whose touches are all direct credits its last touch (Universal Google Analytics'
    convention; matomo FAQ 25500).
    """
    return _rule("last_non_direct", paths, sep, {"direct": direct})


def linear(paths: Any, sep: str | None = None) -> pd.DataFrame:
    """Linear attribution: each of a journey's ``n`` touches receives ``1/n``."""
    return _rule("linear", paths, sep, {})


def position_based(paths: Any, sep: str | None = None, first: float = 0.4, middle: float = 0.2,
                   last: float = 0.4) -> pd.DataFrame:
    """Position-based (U-shaped) attribution, 40/20/40 by default (Google Ads POSITION_BASED).

    ``first`` to the first touch, ``last`` to the last, ``middle`` split equally over the touches
    in between; the three weights must be ≥ 0 and sum to 1. One touch: 100 %. Two touches: the
    middle weight is dropped and first/last renormalised (``first/(first+last)``, ...).
    """
    return _rule("position_based", paths, sep, {"first": first, "middle": middle, "last": last})


def time_decay(paths: Any, half_life_days: float = 7.0) -> pd.DataFrame:
    """Time-decay attribution on clock time: ``w_t ∝ 2^(−(conversion_at − timestamp_t)/half_life)``.

    Half-life 7 days by default (Google Ads TIME_DECAY, "half-life 1 week"). Needs the touches
    table of smlib.journeys (columns ``timestamp``, ``conversion_at``); a path table raises
    ValueError. Touches after the conversion are an error.
    """
    return _rule("time_decay", paths, None, {"half_life_days": half_life_days})


def w_shaped(paths: Any, first_touch: float = 0.3, lead_creation: float = 0.3,
             opp_creation: float = 0.3, rest: float = 0.1) -> pd.DataFrame:
    """W-shaped attribution: 30 % first touch, 30 % lead creation, 30 % opportunity creation.

    The remaining 10 % is split equally over the touches that are none of the three milestones
    (Marketo Measure's W-shaped model; HubSpot's). Milestones come from the touches table flags
    ``is_first_touch``, ``is_lead_creation``, ``is_opp_creation``. Coinciding milestones add up on
    one touch; missing milestones / an empty rest are dropped and the weights renormalised (module
    docstring). Needs the touches table.
    """
    return _rule("w_shaped", paths, None, {"first_touch": first_touch, "lead_creation": lead_creation,
                                            "opp_creation": opp_creation, "rest": rest})


def full_path(paths: Any, first_touch: float = 0.225, lead_creation: float = 0.225,
              opp_creation: float = 0.225, closed_won: float = 0.225, rest: float = 0.1) -> pd.DataFrame:
    """Full-path (Z-shaped) attribution: 22.5 % on each of FT, lead, opportunity, closed-won.

    The remaining 10 % is split equally over the other touches (Marketo Measure; HubSpot). Same
    milestone convention as :func:`w_shaped`, with the extra flag ``is_closed_won``. Needs the
    touches table.
    """
    return _rule("full_path", paths, None, {"first_touch": first_touch, "lead_creation": lead_creation,
                                             "opp_creation": opp_creation, "closed_won": closed_won,
                                             "rest": rest})

