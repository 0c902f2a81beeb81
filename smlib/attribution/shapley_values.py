"""Exact Shapley-value attribution over channel coalitions.

Players are channels; a journey "belongs" to coalition ``S`` when its set of channels is a subset of
``S``. Three characteristic functions (Zhao, Mahboobi & Bagheri 2018, "Shapley Value Methods for
Attribution Modeling in Online Advertising", arXiv:1804.05327; Dalessandro, Perlich, Stitelman &
Provost 2012, "Causally motivated attribution for online advertising", ADKDD '12):

* ``variant="count"`` (default): ``v(S) = Σ conversions of journeys whose channel set ⊆ S``
  (value: conversion value instead of conversions). ``v`` is the sum over observed channel sets
  ``T`` of ``R(T)`` times the unanimity game of ``T``, so its Shapley value is exactly Zhao et al.'s
  simplified formula ``φ_i = Σ_{T ∋ i} R(T) / |T|``: each journey's conversions are split equally
  over its *distinct* channels. This is exact for any number of channels and linear in the counts.
* ``variant="rate"``: ``v(S) = conversions / journeys`` over the journeys whose channel set ⊆ S,
  using non-converting journeys too (``v(S) = 0`` when no journey has its set inside ``S``;
  ``v(∅) = 0``). The Shapley values ``φ`` (in conversion-rate units, summing to the overall rate
  ``v(N)``) are scaled to credited conversions ``φ_i / v(N) × total conversions``; value uses
  ``v_value(S)`` = value per journey likewise. Computed exactly over the whole ``2^n`` lattice: subset
  sums by the zeta transform, Harsanyi dividends ``d = μ(v)`` by the Möbius transform and
  ``φ_i = Σ_{T ∋ i} d(T) / |T|`` — ``O(n 2^n)`` with numpy, limited to ``n ≤ 20`` channels.
  Credits can be negative (a channel whose presence lowers the conversion rate).
* ``variant="ordered"``: Zhao et al.'s ordered Shapley value. Same game as ``count``, with the
  credit ``R(T)/|T|`` of each channel recorded at the position (1-based rank of first appearance
  among the journey's distinct channels) where it entered the journey. Channel totals equal the
  ``count`` variant; :class:`ShapleyModel` exposes the split by position as ``by_position_``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from smlib.attribution.paths import ParsedPaths, parse_paths
from smlib.attribution.rules import credit_frame

__all__ = ["shapley", "ShapleyModel", "shapley_from_game", "zeta_transform", "mobius_transform",
           "channel_masks", "count_weights", "rate_games", "scale_to_total", "MAX_LATTICE_CHANNELS",
           "VARIANTS"]

#: Largest number of channels for the exact lattice computation (2^20 coalitions ≈ 8 MB per array).
MAX_LATTICE_CHANNELS = 20
VARIANTS: tuple[str, ...] = ("count", "rate", "ordered")


def zeta_transform(f: np.ndarray) -> np.ndarray:
    """Subset sums ``g(S) = Σ_{T ⊆ S} f(T)`` over the last axis (length ``2^n``, bit i = player i)."""
    g = np.array(f, dtype=float, copy=True)
    n = int(np.log2(g.shape[-1]))
    for i in range(n):
        v = g.reshape(*g.shape[:-1], -1, 2, 2 ** i)
        v[..., 1, :] += v[..., 0, :]
    return g


def mobius_transform(g: np.ndarray) -> np.ndarray:
    """Inverse of :func:`zeta_transform`: Harsanyi dividends ``d(S) = Σ_{T ⊆ S} (−1)^{|S−T|} g(T)``."""
    d = np.array(g, dtype=float, copy=True)
    n = int(np.log2(d.shape[-1]))
    for i in range(n):
        v = d.reshape(*d.shape[:-1], -1, 2, 2 ** i)
        v[..., 1, :] -= v[..., 0, :]
    return d


def shapley_from_game(v: np.ndarray) -> np.ndarray:
    """Exact Shapley values of the game ``v`` (last axis of length ``2^n``; ``v[mask]``).

    ``φ_i = Σ_{S ∌ i} |S|!(n−|S|−1)!/n! [v(S ∪ i) − v(S)] = Σ_{T ∋ i} d(T)/|T|`` with ``d`` the
    Harsanyi dividends (Möbius transform) of ``v``. Works on a batch (leading axes). ``v(∅)`` is
    subtracted implicitly, so ``Σ φ = v(N) − v(∅)``.
    """
    v = np.asarray(v, dtype=float)
    n = int(np.log2(v.shape[-1]))
    if 2 ** n != v.shape[-1]:
        raise ValueError(f"the game must have 2^n entries, got {v.shape[-1]}")
    d = mobius_transform(v)
    masks = np.arange(2 ** n, dtype=np.int64)
    size = np.zeros(2 ** n)  # |T| by popcount (np.bitwise_count needs numpy 2)
    for i in range(n):
        size += (masks >> i) & 1
    d[..., 0] = 0.0
    size[0] = 1.0
    w = d / size
    out = np.empty((*v.shape[:-1], n))
    for i in range(n):
        out[..., i] = w.reshape(*w.shape[:-1], -1, 2, 2 ** i)[..., 1, :].sum(axis=(-2, -1))
    return out


def channel_masks(parsed: ParsedPaths) -> np.ndarray:
    """Bit mask of each row's channel set (bit ``c`` = channel code ``c``); needs ≤ 62 channels."""
    if parsed.n_channels > 62:
        raise ValueError(f"shapley: {parsed.n_channels} channels do not fit a 64-bit coalition mask")
    bits = np.left_shift(np.int64(1), parsed.indices.astype(np.int64))
    return np.bitwise_or.reduceat(bits, parsed.indptr[:-1])


def _first_occurrence(parsed: ParsedPaths) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each (row, distinct channel): row, channel code and 1-based rank of first appearance."""
    row = parsed.row_of_touch
    key = row.astype(np.int64) * parsed.n_channels + parsed.indices
    _, first_idx = np.unique(key, return_index=True)  # sorted by (row, channel)
    first_idx = np.sort(first_idx)  # back to path order within each row
    r, c = row[first_idx], parsed.indices[first_idx]
    starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
    rank = np.arange(len(r)) - np.repeat(starts, np.diff(np.r_[starts, len(r)])) + 1
    return r, c, rank


def count_weights(parsed: ParsedPaths) -> sp.csr_matrix:
    """Row × channel matrix of the count game: ``1/|T_r|`` on each distinct channel of row ``r``.

    The count-variant Shapley credit is ``Wᵀ conversions`` (linear in the counts).
    """
    r, c, _ = _first_occurrence(parsed)
    size = np.bincount(r, minlength=parsed.n_rows)
    return sp.csr_matrix((1.0 / size[r], (r, c)), shape=(parsed.n_rows, parsed.n_channels))


def rate_games(parsed: ParsedPaths, conversions: np.ndarray, nulls: np.ndarray,
               value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Conversion-rate and value-per-journey games over all ``2^n`` coalitions.

    ``conversions``, ``nulls``, ``value`` may be (n_rows,) or a batch (B, n_rows).
    """
    n = parsed.n_channels
    if n > MAX_LATTICE_CHANNELS:
        raise ValueError(f"shapley(variant='rate') is exact over the 2^n lattice and limited to "
                         f"{MAX_LATTICE_CHANNELS} channels; got {n}. Use variant='count', or "
                         "group rare channels")
    masks = channel_masks(parsed)
    # per-mask sums as a sparse row→mask incidence: one product serves a whole batch
    onehot = sp.csr_matrix((np.ones(parsed.n_rows), (np.arange(parsed.n_rows), masks)),
                           shape=(parsed.n_rows, 2 ** n))
    conv = np.atleast_2d(conversions)
    c_sum = zeta_transform(np.asarray((onehot.T @ conv.T).T))
    j_sum = zeta_transform(np.asarray((onehot.T @ (conv + np.atleast_2d(nulls)).T).T))
    v_sum = zeta_transform(np.asarray((onehot.T @ np.atleast_2d(value).T).T))
    safe = np.where(j_sum > 0, j_sum, 1.0)
    rate = np.where(j_sum > 0, c_sum / safe, 0.0)
    vrate = np.where(j_sum > 0, v_sum / safe, 0.0)
    if np.ndim(conversions) == 1:
        return rate[0], vrate[0]
    return rate, vrate


def scale_to_total(phi: np.ndarray, total: np.ndarray | float) -> np.ndarray:
    """Scale values (last axis) to sum to ``total`` per row: ``x / Σx · total`` (0 when Σx = 0).

    Used to turn Shapley values or removal effects into credited conversions / value.
    """
    s = phi.sum(axis=-1, keepdims=True)
    tot = np.asarray(total, dtype=float).reshape(*np.shape(s))
    return np.where(s != 0, phi / np.where(s != 0, s, 1.0) * tot, 0.0)


class ShapleyModel:
    """Exact Shapley attribution (scikit-learn style).

    Args:
        variant: ``"count"``, ``"rate"`` or ``"ordered"`` (module docstring).
        sep: path separator (default ``" > "`` with detection).

    Fitted attributes:
        values_: raw Shapley values per channel (conversions for count/ordered, conversion rate
            per journey for rate), DataFrame ``channel, shapley_conversions, shapley_value``.
        by_position_: (ordered only) DataFrame ``channel, position, conversions, value, share``.
        credit_: the standard frame ``channel, conversions, value, share``.
    """

    def __init__(self, variant: str = "count", sep: str | None = None) -> None:
        self.variant = variant
        self.sep = sep

    def fit(self, paths: Any) -> "ShapleyModel":
        """Compute the Shapley values of the chosen game on a path or touches table."""
        if self.variant not in VARIANTS:
            raise ValueError(f"shapley: variant must be one of {VARIANTS}, got {self.variant!r}")
        parsed = parse_paths(paths, sep=self.sep)
        parsed.require_conversions("shapley")
        if self.variant == "rate":
            rate, vrate = rate_games(parsed, parsed.conversions, parsed.nulls, parsed.value)
            phi, phi_v = shapley_from_game(rate), shapley_from_game(vrate)
            conv = scale_to_total(phi, parsed.total_conversions)
            val = scale_to_total(phi_v, parsed.total_value)
        else:
            W = count_weights(parsed)
            phi, phi_v = W.T @ parsed.conversions, W.T @ parsed.value
            conv, val = phi, phi_v
        self.values_ = pd.DataFrame({"channel": pd.Series(parsed.channels, dtype=object),
                                     "shapley_conversions": phi, "shapley_value": phi_v})
        self.credit_ = credit_frame(parsed.channels, conv, val)
        if self.variant == "ordered":
            self.by_position_ = _by_position(parsed)
        return self


def _by_position(parsed: ParsedPaths) -> pd.DataFrame:
    """Ordered Shapley: credit R(T)/|T| per (channel, position of first appearance)."""
    r, c, rank = _first_occurrence(parsed)
    size = np.bincount(r, minlength=parsed.n_rows)[r]
    width = int(rank.max()) + 1
    key = c.astype(np.int64) * width + rank
    cells, inverse = np.unique(key, return_inverse=True)
    conv = np.bincount(inverse, weights=parsed.conversions[r] / size, minlength=len(cells))
    value = np.bincount(inverse, weights=parsed.value[r] / size, minlength=len(cells))
    return pd.DataFrame({
        "channel": np.asarray(parsed.channels, dtype=object)[cells // width],
        "position": (cells % width).astype(np.int64), "conversions": conv, "value": value,
        "share": conv / parsed.total_conversions})


def shapley(paths: Any, variant: str = "count", sep: str | None = None) -> pd.DataFrame:
    """Exact Shapley-value attribution, standard frame ``channel, conversions, value, share``.

    ``variant``: ``"count"`` (v(S) = conversions of journeys with channel set ⊆ S; Zhao et al.
    2018's simplified formula), ``"rate"`` (conversion rate of those journeys, uses non-converting
    journeys, ≤ 20 channels) or ``"ordered"`` (Zhao et al.'s ordered Shapley; same channel totals
    as ``count``, split by position in :class:`ShapleyModel`). See the module docstring.
    """
    return ShapleyModel(variant=variant, sep=sep).fit(paths).credit_

