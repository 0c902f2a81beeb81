"""The bootstrap engines behind every model's ``bootstrap_draws`` (see :mod:`smlib.attribution.uncertainty`).

Resampling scheme (nonparametric bootstrap of journeys, Efron & Tibshirani 1993, ch. 6 and 13):
the ``N = Σ (conversions + nulls)`` journeys are drawn with replacement. Journeys with the same
path and outcome are interchangeable, so a resample is fully described by how many copies of each
*cell* — (path, converted) and (path, not converted) — it holds; those counts follow a
multinomial ``Mult(N, n_cell / N)``. All ``B`` resamples are drawn at once as a ``B × n_cells``
count matrix (in chunks to bound memory). Each resampled conversion keeps the average conversion
value of its path.

Engines (each returns a :class:`BootstrapDraws`):

* :func:`linear_draws`: credit linear in the counts, ``counts @ W`` (rule models, Shapley
  ``count``/``ordered``); non-converting journeys are lumped into one cell.
* :func:`markov_draws`: transition counts linear in the path counts, then the absorbing-chain solves.
* :func:`shapley_rate_draws`: coalition sums linear in the counts, then the lattice transform.
* :func:`refit_draws`: any model, re-run on each resampled path table (``n_boot`` times slower).

This module knows no model names: :mod:`smlib.attribution.registry` says which engine each model
uses (fitted models bring their own draws).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from smlib.attribution import markov_chain as _markov
from smlib.attribution import shapley_values as _shapley
from smlib.attribution.paths import ParsedPaths

__all__ = ["BootstrapDraws", "interval_frame", "linear_draws", "markov_draws", "refit_draws",
           "shapley_rate_draws"]

#: Upper bound on the number of float64 cells materialised per chunk of resamples.
CHUNK_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class BootstrapDraws:
    """Bootstrap replicates of one model's credit.

    Attributes:
        channels: channel names (columns of the draw matrices).
        conversions, value: (n_boot, n_channels) credited conversions / value per resample.
        estimate: the model's credit on the original data (standard frame).
        method: ``"linear"``, ``"markov"``, ``"shapley_rate"``, ``"refit"`` or a fitted model's
            own method (``"one_step"``).
        n_journeys: journeys per resample.
    """

    channels: tuple[str, ...]
    conversions: np.ndarray
    value: np.ndarray
    estimate: pd.DataFrame
    method: str
    n_journeys: int


def interval_frame(estimate: pd.DataFrame, channels: list[str], conv: np.ndarray,
                   value: np.ndarray, level: float, **attrs: Any) -> pd.DataFrame:
    """Estimates with bootstrap standard deviations and percentile intervals, one row per channel.

    Columns ``channel, conversions, se, ci_low, ci_high, value, value_se, value_ci_low,
    value_ci_high, share, share_se, share_ci_low, share_ci_high``: the estimates of ``estimate``
    (standard frame), the standard deviations of the draws ``conv`` / ``value`` (n_boot ×
    channels; shares computed per draw) and their ``(1 ± level)/2`` quantiles. ``attrs``:
    ``level`` and ``attrs``.
    """
    lo, hi = (1 - level) / 2, (1 + level) / 2
    total = conv.sum(axis=1, keepdims=True)
    share = np.divide(conv, total, out=np.full_like(conv, np.nan), where=total != 0)
    est = estimate.set_index("channel").reindex(channels)
    out = pd.DataFrame({"channel": pd.Series(channels, dtype=object)})
    for prefix, col, mat in (("", "conversions", conv), ("value_", "value", value),
                             ("share_", "share", share)):
        out[col] = est[col].to_numpy(dtype=float)
        out[f"{prefix}se" if prefix else "se"] = np.nanstd(mat, axis=0, ddof=1)
        q = np.nanquantile(mat, [lo, hi], axis=0)
        out[f"{prefix}ci_low"], out[f"{prefix}ci_high"] = q[0], q[1]
    out.attrs.update(level=float(level), **attrs)
    return out


def _draw_counts(rng: np.random.Generator, n: int, counts: np.ndarray, size: int) -> np.ndarray:
    """``size`` multinomial resamples of ``n`` journeys over cells with the given counts."""
    p = counts / counts.sum()
    return rng.multinomial(n, p, size=size).astype(float)


def _setup(parsed: ParsedPaths) -> tuple[int, np.ndarray]:
    """(journeys per resample, mean conversion value of each path)."""
    conv, nulls = parsed.conversions, parsed.nulls
    n_journeys = int(round(conv.sum() + nulls.sum()))
    vpc = np.divide(parsed.value, conv, out=np.zeros_like(conv), where=conv > 0)
    return n_journeys, vpc


def linear_draws(parsed: ParsedPaths, weights: sp.spmatrix | np.ndarray, estimate: pd.DataFrame,
                 n_boot: int, seed: int) -> BootstrapDraws:
    """Draws of a model whose credit is ``counts @ weights`` (row → channel weights)."""
    rng = np.random.default_rng(seed)
    n_journeys, vpc = _setup(parsed)
    n_rows = parsed.n_rows
    cells = np.r_[parsed.conversions, parsed.nulls.sum()]  # non-converting journeys: one cell
    chunk = max(1, CHUNK_ELEMENTS // len(cells))
    out_c, out_v = [], []
    for start in range(0, n_boot, chunk):
        counts = _draw_counts(rng, n_journeys, cells, min(chunk, n_boot - start))[:, :n_rows]
        out_c.append(np.asarray((weights.T @ counts.T).T))
        out_v.append(np.asarray((weights.T @ (counts * vpc).T).T))
    return BootstrapDraws(parsed.channels, np.vstack(out_c), np.vstack(out_v), estimate,
                          "linear", n_journeys)


_Credit = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _cell_draws(parsed: ParsedPaths, credit: _Credit, per_cell: int, estimate: pd.DataFrame,
                method: str, n_boot: int, seed: int) -> BootstrapDraws:
    """Resample (path, outcome) cells in chunks; ``credit(conversions, nulls, value)`` per chunk."""
    rng = np.random.default_rng(seed)
    n_journeys, vpc = _setup(parsed)
    n_rows = parsed.n_rows
    cells = np.r_[parsed.conversions, parsed.nulls]
    chunk = max(1, CHUNK_ELEMENTS // per_cell)
    out_c, out_v = [], []
    for start in range(0, n_boot, chunk):
        counts = _draw_counts(rng, n_journeys, cells, min(chunk, n_boot - start))
        c, nl = counts[:, :n_rows], counts[:, n_rows:]
        cc, vv = credit(c, nl, c * vpc)
        out_c.append(cc)
        out_v.append(vv)
    return BootstrapDraws(parsed.channels, np.vstack(out_c), np.vstack(out_v), estimate, method,
                          n_journeys)


def _removal_batch(base: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """Removal effects for a batch: ``1 − removed / base`` (0 where base is 0), clipped to [0, 1]."""
    safe = np.where(base > 0, base, 1.0)[:, None]
    return np.where(base[:, None] > 0, np.clip(1.0 - removed / safe, 0.0, 1.0), 0.0)


def markov_draws(parsed: ParsedPaths, estimate: pd.DataFrame, n_boot: int, seed: int,
                 order: int = 1, collapse_repeats: bool = True) -> BootstrapDraws:
    """Draws of the Markov removal-effect credit (one chain built, solved per resample)."""
    chain = _markov.MarkovChain.build(parsed, int(order), bool(collapse_repeats))

    def credit(c: np.ndarray, nl: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p, p_rm, ev, ev_rm = chain.solve(c, nl, v)
        re = _removal_batch(p, p_rm)
        re_v = _removal_batch(ev, ev_rm)
        return (_shapley.scale_to_total(re, c.sum(axis=1)),
                _shapley.scale_to_total(re_v, v.sum(axis=1)))

    per_cell = 2 * parsed.n_rows + chain.incidence.shape[1]
    return _cell_draws(parsed, credit, per_cell, estimate, "markov", n_boot, seed)


def shapley_rate_draws(parsed: ParsedPaths, estimate: pd.DataFrame, n_boot: int,
                       seed: int) -> BootstrapDraws:
    """Draws of the Shapley ``rate`` credit (exact lattice transform per resample)."""
    def credit(c: np.ndarray, nl: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rate, vrate = _shapley.rate_games(parsed, c, nl, v)
        phi = _shapley.shapley_from_game(rate)
        phi_v = _shapley.shapley_from_game(vrate)
        return (_shapley.scale_to_total(phi, c.sum(axis=1)),
                _shapley.scale_to_total(phi_v, v.sum(axis=1)))

    per_cell = 2 * parsed.n_rows + 4 * 2 ** parsed.n_channels
    return _cell_draws(parsed, credit, per_cell, estimate, "shapley_rate", n_boot, seed)


def refit_draws(parsed: ParsedPaths, model: Callable[..., pd.DataFrame], estimate: pd.DataFrame,
                n_boot: int, seed: int, **params: Any) -> BootstrapDraws:
    """Draws of any model ``model(path_table, **params)``, re-run on each resampled path table."""
    def credit(c: np.ndarray, nl: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        res_c, res_v = np.zeros((len(c), parsed.n_channels)), np.zeros((len(c), parsed.n_channels))
        for b in range(len(c)):
            keep = (c[b] + nl[b]) > 0
            sub = parsed.with_counts(c[b], v[b], nl[b]).to_frame().loc[keep]
            out = model(sub, **params).set_index("channel")
            res_c[b] = out["conversions"].reindex(parsed.channels, fill_value=0.0).to_numpy()
            res_v[b] = out["value"].reindex(parsed.channels, fill_value=0.0).to_numpy()
        return res_c, res_v

    return _cell_draws(parsed, credit, 2 * parsed.n_rows, estimate, "refit", n_boot, seed)
