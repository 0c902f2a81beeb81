"""Data-driven attribution: a main-effect logistic model and a counterfactual-removal model.

Both models are fitted on the path table (ChannelAttribution layout: ``path``,
``total_conversions``, ``total_conversion_value``, ``total_null``), converting *and*
non-converting journeys, with sample weights: each distinct path gives a ``y = 1`` row weighted by
``total_conversions`` and a ``y = 0`` row weighted by ``total_null``. For a weighted likelihood this
is exactly the same as one row per journey, and ~190k distinct paths stand for 1M journeys.

Credit is then read off the fitted conversion probability ``p(path)`` by counterfactual removal
(Dalessandro et al. 2012, "Causally motivated attribution for online advertising", ADKDD '12;
Kelly, Vaver & Koehler 2018, "A causal framework for digital attribution", Google):

    lost_c = Σ_paths n_path · [p(path) − p(path with every touch of c removed)]

with ``n_path = total_conversions + total_null`` journeys, then scaled so that the credited
conversions add up to the observed total. A path left with no touch at all has probability
``empty_path_rate`` (default 0: a journey without any touch does not exist in the data, so it
cannot convert; the same convention as Markov removal, where removing a path's only channel sends
it to null). The removal effect of a channel therefore includes its interactions with the others.

* :func:`logistic` / :class:`LogisticAttribution` — logistic regression on channel exposure
  (0/1 per channel) only; credit by per-journey removal (default) or by the per-journey Shapley
  value of the fitted probability over the exposed channels (Dalessandro et al. 2012, §4;
  Shao & Li 2011, "Data-driven multi-touch attribution models", KDD '11 use the same regression).
* :func:`incremental` / :class:`IncrementalAttribution` — a model that can express interactions and
  order (exposure, log counts, ordered pairs "a before b", first and last channel), chosen among
  L2-logistic fits at several ``C`` and feature sets (a histogram gradient-boosting classifier
  opt-in) by cross-validated weighted log loss, journeys being the unit of cross-validation; the
  candidates tied with the best (within one standard error) also get cross-fitted credit and its
  stability across folds, and ``selection="credit"`` / ``"parsimony"`` choose among them by it.
  Logistic fits use a sparse design, an exact Newton solver warm-started along the C grid, and
  removal effects from the linear predictor.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial
from time import perf_counter
from typing import Any, Iterable, Mapping

import numba
import numpy as np
import pandas as pd
from scipy import sparse, special
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from smlib.attribution.paths import parse_paths
from smlib.attribution.resample import BootstrapDraws, interval_frame
from smlib.attribution.sparse_logit import (CHUNKS, as_fitted, effective_df, logit_terms,
                                            newton_compatible, newton_logit)
from smlib.journeys import JOURNEY_TYPES, channel_team_map

__all__ = [
    "C_GRID",
    "FEATURE_BLOCKS",
    "SELECTIONS",
    "SUBSET_FAMILIES",
    "IncrementalAttribution",
    "LogisticAttribution",
    "credit_spread",
    "default_candidates",
    "incremental",
    "logistic",
]

#: Feature blocks the design matrix can be built from (see :func:`_design`).
FEATURE_BLOCKS: tuple[str, ...] = ("exposure", "counts", "order", "first_last")
_OUTPUT_COLUMNS = ["channel", "conversions", "value", "share"]


# --------------------------------------------------------------------------------------------
# Path table → per-path channel summaries
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Encoded:
    """Distinct paths summarised per channel; every model here needs only these summaries.

    ``first``/``last``: position of the first/last touch of each channel (``inf``/``-inf`` if
    absent); ``counts``: touches per channel. Removing a channel never changes the relative order
    of the remaining touches, so the features of a path with channels removed follow from these
    matrices by masking columns.
    """

    channels: list[str]
    first: np.ndarray  # (P, C) float
    last: np.ndarray  # (P, C) float
    counts: np.ndarray  # (P, C) int
    conversions: np.ndarray  # (P,)
    nulls: np.ndarray  # (P,)
    value: np.ndarray  # (P,) total conversion value

    @property
    def journeys(self) -> np.ndarray:
        return self.conversions + self.nulls


# compiled (from the on-disk cache) when the module is imported: numba's own start-up happens at
# import time, not inside the first fit
@numba.njit("(int64[:], int64[:], int64)", cache=True, nogil=True)
def _summarise(indptr: np.ndarray, indices: np.ndarray, n_ch: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """first / last position (inf / -inf when absent) and touch count of every channel on every
    path, in one pass over the touches (CSR: ``indices[indptr[r]:indptr[r + 1]]`` in path order)."""
    n = indptr.shape[0] - 1
    first = np.full((n, n_ch), np.inf)
    last = np.full((n, n_ch), -np.inf)
    counts = np.zeros((n, n_ch), np.int64)
    for r in range(n):
        for t in range(indptr[r], indptr[r + 1]):
            c = indices[t]
            pos = float(t - indptr[r])
            if counts[r, c] == 0:
                first[r, c] = pos
            last[r, c] = pos
            counts[r, c] += 1
    return first, last, counts


def _encode(paths: Any, sep: str | None = None) -> _Encoded:
    """Validate and aggregate the input with :func:`smlib.attribution.paths.parse_paths`, then
    summarise each distinct path per channel.

    Accepts a path table, a touches table / Journeys object (aggregated to distinct paths: the
    weighted fit is the same) or an already parsed :class:`~smlib.attribution.paths.ParsedPaths`.
    Duplicate paths are merged, so results depend neither on row order nor on split rows.
    """
    parsed = parse_paths(paths, sep=sep)
    if parsed.layout != "paths":  # one row per journey → one row per distinct path
        parsed = parse_paths(parsed.to_frame())
    first, last, counts = _summarise(parsed.indptr.astype(np.int64),
                                     parsed.indices.astype(np.int64), parsed.n_channels)
    return _Encoded(channels=list(parsed.channels), first=first, last=last, counts=counts,
                    conversions=parsed.conversions, nulls=parsed.nulls, value=parsed.value)


# --------------------------------------------------------------------------------------------
# Design matrix
# --------------------------------------------------------------------------------------------
def _masked(enc: _Encoded, removed: np.ndarray | None, rows: np.ndarray | None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """first, last, counts of the paths (a row subset), with the ``removed`` channels deleted."""
    sl = slice(None) if rows is None else rows
    first, last, counts = enc.first[sl], enc.last[sl], enc.counts[sl]
    if removed is not None and removed.any():
        first, last, counts = first.copy(), last.copy(), counts.copy()
        first[:, removed], last[:, removed], counts[:, removed] = np.inf, -np.inf, 0
    return first, last, counts


def _design(enc: _Encoded, blocks: tuple[str, ...], removed: np.ndarray | None = None,
            rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Features of the paths (optionally a row subset, with the ``removed`` channels deleted).

    Blocks: ``exposure`` 1 if the channel is on the path; ``counts`` log1p(touches of the
    channel); ``order`` for every ordered pair (a, b), a ≠ b, 1 if some touch of a comes before
    some touch of b (first touch of a earlier than last touch of b); ``first_last`` one-hot of the
    first and of the last channel. Returns (X as float64, boolean "path is empty"); float64
    because scikit-learn's logistic solver keeps float32 input in float32, which costs ~1e-5
    relative precision in the fitted probabilities.
    """
    first, last, counts = _masked(enc, removed, rows)
    n, n_ch = counts.shape
    exposed = counts > 0
    empty = ~exposed.any(axis=1)
    parts: list[np.ndarray] = []
    if "exposure" in blocks:
        parts.append(exposed)
    if "counts" in blocks:
        parts.append(np.log1p(counts))
    if "order" in blocks:
        before = first[:, :, None] < last[:, None, :]
        parts.append(before[:, ~np.eye(n_ch, dtype=bool)])
    if "first_last" in blocks:
        for pos, pick in ((first, np.argmin), (last, np.argmax)):
            onehot = np.zeros((n, n_ch), dtype=bool)
            onehot[np.arange(n), pick(pos, axis=1)] = True
            onehot[empty] = False
            parts.append(onehot)
    return np.hstack([p.astype(np.float64) for p in parts]), empty


def _feature_names(channels: list[str], blocks: tuple[str, ...]) -> list[str]:
    names: list[str] = []
    if "exposure" in blocks:
        names += [f"exposed[{c}]" for c in channels]
    if "counts" in blocks:
        names += [f"log1p_count[{c}]" for c in channels]
    if "order" in blocks:
        names += [f"before[{a},{b}]" for a in channels for b in channels if a != b]
    if "first_last" in blocks:
        names += [f"first[{c}]" for c in channels] + [f"last[{c}]" for c in channels]
    return names


@numba.njit(cache=True, nogil=True)
def _csr_rows(lo: int, hi: int, first: np.ndarray, last: np.ndarray, counts: np.ndarray,
              exposure: bool, log_counts: bool, order: bool, first_last: bool,
              indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, fill: bool,
              on: np.ndarray) -> None:  # pragma: no cover - compiled
    """One pass of :func:`_csr_design` over rows ``lo:hi``: the row sizes into
    ``indptr[i + 1]`` (``fill`` False), or the row entries (``fill`` True; ``indptr`` final).
    ``on``: scratch of length n_ch."""
    n_ch = counts.shape[1]
    for i in range(lo, hi):
        k = 0
        for a in range(n_ch):
            if counts[i, a] > 0:
                on[k] = a
                k += 1
        if not fill:
            pairs = 0
            if order:
                for x in range(k):
                    for y in range(k):
                        if x != y and first[i, on[x]] < last[i, on[y]]:
                            pairs += 1
            size = k * exposure + k * log_counts + pairs
            if first_last and k > 0:
                size += 2
            indptr[i + 1] = size
            continue
        q = indptr[i]
        off = 0
        if exposure:
            for x in range(k):
                indices[q], data[q] = off + on[x], 1.0
                q += 1
            off += n_ch
        if log_counts:
            for x in range(k):
                indices[q], data[q] = off + on[x], counts[i, on[x]]  # log1p taken by the caller
                q += 1
            off += n_ch
        if order:
            for x in range(k):
                a = on[x]
                for y in range(k):
                    b = on[y]
                    if x != y and first[i, a] < last[i, b]:
                        indices[q], data[q] = off + a * (n_ch - 1) + b - (b > a), 1.0
                        q += 1
            off += n_ch * (n_ch - 1)
        if first_last and q < indptr[i + 1]:
            fa, la = -1, -1
            for a in range(n_ch):
                if counts[i, a] > 0:
                    if fa < 0 or first[i, a] < first[i, fa]:
                        fa = a
                    if la < 0 or last[i, a] > last[i, la]:
                        la = a
            indices[q], data[q] = off + fa, 1.0
            indices[q + 1], data[q + 1] = off + n_ch + la, 1.0


@numba.njit(cache=True, nogil=True, parallel=True)
def _csr_design(first: np.ndarray, last: np.ndarray, counts: np.ndarray, exposure: bool,
                log_counts: bool, order: bool, first_last: bool
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """CSR arrays (indptr, indices, data) of the design of :func:`_design`, row by row in two
    passes (count, fill; each over :data:`CHUNKS` row chunks in parallel); column indices come
    out sorted within each row."""
    n, n_ch = counts.shape
    indptr = np.zeros(n + 1, np.int64)
    on = np.empty((CHUNKS, n_ch), np.int64)
    indices = np.empty(0, np.int32)
    data = np.empty(0, np.float64)
    for chunk in numba.prange(CHUNKS):
        _csr_rows(chunk * n // CHUNKS, (chunk + 1) * n // CHUNKS, first, last, counts, exposure,
                  log_counts, order, first_last, indptr, indices, data, False, on[chunk])
    for i in range(n):
        indptr[i + 1] += indptr[i]
    indices = np.empty(indptr[n], np.int32)  # less memory traffic per pass than int64
    data = np.empty(indptr[n], np.float64)
    for chunk in numba.prange(CHUNKS):
        _csr_rows(chunk * n // CHUNKS, (chunk + 1) * n // CHUNKS, first, last, counts, exposure,
                  log_counts, order, first_last, indptr, indices, data, True, on[chunk])
    return indptr, indices, data


def _sparse_design(enc: _Encoded, blocks: tuple[str, ...], removed: np.ndarray | None = None,
                   rows: np.ndarray | None = None) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The design of :func:`_design` as a CSR matrix (same columns and values, tested).

    A path touches few channels, so every block is sparse: exposure and counts have one entry per
    channel on the path, the ordered pairs ``k (k - 1)`` at most for ``k`` channels on it (the
    block is ``C (C - 1)`` columns wide), first/last one each. Built in compiled code straight from
    the per-path summaries, in memory proportional to the entries instead of paths × features.
    """
    first, last, counts = _masked(enc, removed, rows)
    n_ch = counts.shape[1]
    width = (n_ch * ("exposure" in blocks) + n_ch * ("counts" in blocks)
             + n_ch * (n_ch - 1) * ("order" in blocks) + 2 * n_ch * ("first_last" in blocks))
    indptr, indices, data = _csr_design(np.ascontiguousarray(first), np.ascontiguousarray(last),
                                        np.ascontiguousarray(counts, dtype=np.int64),
                                        "exposure" in blocks, "counts" in blocks,
                                        "order" in blocks, "first_last" in blocks)
    if "counts" in blocks:  # numpy's log1p, bit for bit the dense design's
        lo = n_ch * ("exposure" in blocks)
        is_count = (indices >= lo) & (indices < lo + n_ch)
        data[is_count] = np.log1p(data[is_count])
    if indptr[-1] < np.iinfo(np.int32).max:
        indptr = indptr.astype(np.int32)
    X = sparse.csr_matrix((data, indices, indptr), shape=(counts.shape[0], width))
    return X, ~(counts > 0).any(axis=1)


def _column_channels(blocks: tuple[str, ...], n_ch: int) -> tuple[np.ndarray, np.ndarray]:
    """For every design column, the channel(s) it involves: (channel a, channel b or -1).

    Removing channel c zeroes exactly the columns that involve it (its sparse column group: its
    exposure, count, every ordered pair with c on either side, its first/last indicator); first
    and last then pass to the next channel (:class:`_SparseDesign`)."""
    ch = np.arange(n_ch)
    a_parts, b_parts = [], []
    for block in ("exposure", "counts"):
        if block in blocks:
            a_parts.append(ch)
            b_parts.append(np.full(n_ch, -1))
    if "order" in blocks:
        a, b = np.nonzero(~np.eye(n_ch, dtype=bool))  # the column order of the pairs block
        a_parts.append(a)
        b_parts.append(b)
    if "first_last" in blocks:
        a_parts += [ch, ch]
        b_parts += [np.full(n_ch, -1)] * 2
    return np.concatenate(a_parts).astype(np.int64), np.concatenate(b_parts).astype(np.int64)


@numba.njit(cache=True, nogil=True)
def _removal_rows(lo: int, hi: int, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
                  beta: np.ndarray, col_a: np.ndarray, col_b: np.ndarray, ch_indptr: np.ndarray,
                  ch_indices: np.ndarray, next_first: np.ndarray, first_ch: np.ndarray,
                  next_last: np.ndarray, last_ch: np.ndarray, fl_offset: int, n_ch: int,
                  empty_rate: float, p: np.ndarray, out: np.ndarray, drop: np.ndarray
                  ) -> None:  # pragma: no cover - compiled
    """:func:`_removal_kernel` for rows ``lo:hi`` (``drop``: zeroed scratch of length n_ch)."""
    for i in range(lo, hi):
        eta = beta[0]
        for a in range(indptr[i], indptr[i + 1]):
            j = indices[a]
            v = data[a] * beta[j + 1]
            eta += v
            drop[col_a[j]] += v
            if col_b[j] >= 0:
                drop[col_b[j]] += v
        cs, ce = ch_indptr[i], ch_indptr[i + 1]
        if ce == cs:
            p[i] = empty_rate
            continue
        pi = 1.0 / (1.0 + np.exp(-eta))
        p[i] = pi
        for q in range(cs, ce):
            c = ch_indices[q]
            if ce - cs == 1:
                p_rm = empty_rate
            else:
                e_rm = eta - drop[c]
                if fl_offset >= 0:
                    if first_ch[i] == c and next_first[i] >= 0:
                        e_rm += beta[1 + fl_offset + next_first[i]]
                    if last_ch[i] == c and next_last[i] >= 0:
                        e_rm += beta[1 + fl_offset + n_ch + next_last[i]]
                p_rm = 1.0 / (1.0 + np.exp(-e_rm))
            out[q] = pi - p_rm
            drop[c] = 0.0


@numba.njit(cache=True, nogil=True, parallel=True)
def _removal_kernel(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, beta: np.ndarray,
                    col_a: np.ndarray, col_b: np.ndarray, ch_indptr: np.ndarray,
                    ch_indices: np.ndarray, next_first: np.ndarray, first_ch: np.ndarray,
                    next_last: np.ndarray, last_ch: np.ndarray, fl_offset: int, n_ch: int,
                    empty_rate: float) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """p(path) and ``p(path) − p(path without c)`` for every channel c on every path (in the
    layout of ``ch_indices``), from the linear predictor (see :class:`_SparseDesign`). Rows are
    independent: :data:`CHUNKS` chunks of them run in parallel (numba threads)."""
    n = indptr.shape[0] - 1
    p = np.empty(n)
    out = np.zeros(ch_indices.shape[0])
    drops = np.zeros((CHUNKS, n_ch))
    for chunk in numba.prange(CHUNKS):
        _removal_rows(chunk * n // CHUNKS, (chunk + 1) * n // CHUNKS, indptr, indices, data, beta,
                      col_a, col_b, ch_indptr, ch_indices, next_first, first_ch, next_last,
                      last_ch, fl_offset, n_ch, empty_rate, p, out, drops[chunk])
    return p, out


@numba.njit(cache=True, nogil=True, parallel=True)
def _held_out_losses(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, beta: np.ndarray,
                     empty: np.ndarray, empty_rate: float
                     ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Per path, the log loss of a conversion and of a non-conversion, ``-log p`` and
    ``-log(1 - p)`` (float32), with ``p = expit(x·β)`` (``empty_rate`` for an empty path)
    clipped to [1e-12, 1 - 1e-12]; rows in parallel."""
    n = indptr.shape[0] - 1
    l1 = np.empty(n, np.float32)
    l0 = np.empty(n, np.float32)
    for i in numba.prange(n):
        if empty[i]:
            p = empty_rate
        else:
            eta = beta[0]
            for a in range(indptr[i], indptr[i + 1]):
                eta += data[a] * beta[indices[a] + 1]
            p = 1.0 / (1.0 + np.exp(-eta))
        p = min(max(p, 1e-12), 1.0 - 1e-12)
        l1[i] = -np.log(p)
        l0[i] = -np.log1p(-p)
    return l1, l0


@numba.njit(cache=True, nogil=True)
def _paired_sums(tc: np.ndarray, tn: np.ndarray, l1a: np.ndarray, l0a: np.ndarray,
                 l1b: np.ndarray, l0b: np.ndarray) -> tuple[float, float]:  # pragma: no cover - compiled
    """Σ and Σ² of the per-journey held-out loss differences a − b of one fold (``tc`` / ``tn``
    converting / non-converting test journeys per path; losses float32, sums in float64)."""
    s1 = 0.0
    s2 = 0.0
    for i in range(tc.shape[0]):
        d1 = np.float64(l1a[i]) - np.float64(l1b[i])
        d0 = np.float64(l0a[i]) - np.float64(l0b[i])
        s1 += tc[i] * d1 + tn[i] * d0
        s2 += tc[i] * d1 * d1 + tn[i] * d0 * d0
    return s1, s2


@numba.njit(cache=True, nogil=True)
def _two_smallest(pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Per row, the column of the smallest finite value and of the next one (-1: none)."""
    n, m = pos.shape
    one = np.full(n, -1, np.int64)
    two = np.full(n, -1, np.int64)
    for i in range(n):
        for c in range(m):
            v = pos[i, c]
            if not np.isfinite(v):
                continue
            if one[i] < 0 or v < pos[i, one[i]]:
                two[i] = one[i]
                one[i] = c
            elif two[i] < 0 or v < pos[i, two[i]]:
                two[i] = c
    return one, two


@dataclass(frozen=True)
class _SparseDesign:
    """A path table's sparse design and what removal through the linear predictor needs.

    For a logistic model ``η(path) = β0 + x(path)·β``. Removing channel c from a path deletes its
    column group (:func:`_column_channels`) and, if c was the first (last) channel, makes the
    next one first (last), so

        η(path without c) = η(path) − Σ_{j involving c} x_j β_j + [c first] β_first[next first] + …

    computed in one pass over the nonzeros for every channel at once — no design is rebuilt.
    A path whose only channel is c becomes empty (probability ``empty_path_rate``).
    """

    X: sparse.csr_matrix
    empty: np.ndarray  # (P,) bool
    col_a: np.ndarray  # (features,) channel of each column
    col_b: np.ndarray  # (features,) second channel of a pair column, else -1
    on_indptr: np.ndarray  # (P + 1,) CSR pattern of the channels on each path (int64)
    on_indices: np.ndarray  # (entries,) channel of each (path, channel) entry
    on_rows: np.ndarray  # (entries,) path of each entry
    first_ch: np.ndarray  # (P,) first channel (-1 if empty)
    next_first: np.ndarray  # (P,) channel that becomes first when first_ch is removed (-1: none)
    last_ch: np.ndarray
    next_last: np.ndarray
    first_last_offset: int  # column of first[channel 0], -1 without the first_last block
    n_channels: int

    @classmethod
    def build(cls, enc: _Encoded, blocks: tuple[str, ...],
              shared: dict[str, np.ndarray] | None = None) -> "_SparseDesign":
        """The design of ``blocks``; ``shared``: the block-independent arrays of an earlier build
        on the same paths (``_SparseDesign.shared``), reused."""
        X, empty = _sparse_design(enc, blocks)
        n_ch = len(enc.channels)
        if shared is None:
            rows, cols = np.nonzero(enc.counts > 0)
            shared = {"on_indptr": np.r_[0, np.cumsum(np.bincount(rows, minlength=len(empty)))],
                      "on_indices": cols.astype(np.int64), "on_rows": rows}
            for name, pos in (("first", enc.first), ("last", -enc.last)):
                shared[f"{name}_ch"], shared[f"next_{name}"] = _two_smallest(pos)
        col_a, col_b = _column_channels(blocks, n_ch)
        off = X.shape[1] - 2 * n_ch if "first_last" in blocks else -1
        return cls(X, empty, col_a, col_b, first_last_offset=off, n_channels=n_ch,
                   **{k: shared[k] for k in cls.shared_fields()})

    @staticmethod
    def shared_fields() -> tuple[str, ...]:
        return ("on_indptr", "on_indices", "on_rows", "first_ch", "next_first", "last_ch",
                "next_last")

    @property
    def shared(self) -> dict[str, np.ndarray]:
        """The arrays that do not depend on the feature blocks."""
        return {k: getattr(self, k) for k in self.shared_fields()}

    def removal_entries(self, beta: np.ndarray, empty_rate: float) -> tuple[np.ndarray, np.ndarray]:
        """(p(path) (P,), Δp for every (path, channel on it) in ``channels_on``'s layout);
        ``beta`` = (intercept, coefficients)."""
        return _removal_kernel(self.X.indptr, self.X.indices, self.X.data,
                               np.ascontiguousarray(beta, dtype=np.float64), self.col_a,
                               self.col_b, self.on_indptr, self.on_indices, self.next_first,
                               self.first_ch, self.next_last, self.last_ch,
                               self.first_last_offset, self.n_channels, float(empty_rate))

    def removal(self, beta: np.ndarray, empty_rate: float) -> tuple[np.ndarray, np.ndarray]:
        """(p(path) (P,), D (P, C) with ``D[i, c] = p(path_i) − p(path_i without c)``)."""
        p, delta = self.removal_entries(beta, empty_rate)
        D = np.zeros((len(p), self.n_channels))
        D[self.on_rows, self.on_indices] = delta
        return p, D

    def lost(self, weights: np.ndarray, delta: np.ndarray) -> np.ndarray:
        """``weights @ D`` (expected conversions lost per channel) from :meth:`removal_entries`."""
        return np.bincount(self.on_indices, weights=weights[self.on_rows] * delta,
                           minlength=self.n_channels)


def _embed(beta: np.ndarray, blocks: tuple[str, ...], into: tuple[str, ...],
           channels: list[str]) -> np.ndarray:
    """Coefficients (β0 ⧺ β) of a design on ``blocks`` placed in the columns of a design on the
    larger ``into`` (zeros elsewhere): a warm start for the larger model."""
    where = {name: j for j, name in enumerate(_feature_names(channels, into))}
    out = np.zeros(len(where) + 1)
    out[0] = beta[0]
    out[1 + np.array([where[n] for n in _feature_names(channels, blocks)])] = beta[1:]
    return out


def _is_linear(model: Any) -> bool:
    """A fitted logistic regression: its removal effects follow from the linear predictor."""
    return isinstance(model, LogisticRegression) and hasattr(model, "coef_")


def _coefficients(model: LogisticRegression) -> np.ndarray:
    return np.r_[model.intercept_, model.coef_.ravel()]


def _training_rows(X: np.ndarray, conv: np.ndarray, null: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack a y=1 row weighted by conversions and a y=0 row weighted by nulls (zero weights dropped)."""
    pos, neg = conv > 0, null > 0
    Xw = np.vstack([X[pos], X[neg]])
    y = np.r_[np.ones(pos.sum()), np.zeros(neg.sum())]
    w = np.r_[conv[pos], null[neg]]
    return Xw, y, w


def _check_fittable(enc: _Encoded, who: str) -> None:
    if enc.conversions.sum() <= 0:
        raise ValueError(f"{who}: total_conversions is 0 in every row; a conversion model needs "
                         "converting journeys (there is nothing to attribute)")
    if enc.nulls.sum() <= 0:
        raise ValueError(f"{who}: total_null is 0 in every row; a data-driven model needs "
                         "non-converting journeys to learn what converts (use a rule-based, "
                         "Markov or Shapley model on converting journeys only)")


def _predict(model: Any, X: Any, empty: np.ndarray, empty_rate: float) -> np.ndarray:
    p = np.zeros(X.shape[0]) if X.shape[0] == 0 else model.predict_proba(X)[:, 1]
    return np.where(empty, empty_rate, p)


def _mean_values(enc: _Encoded) -> np.ndarray:
    """Mean conversion value per path; paths that never converted get the overall mean value."""
    overall = enc.value.sum() / enc.conversions.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(enc.conversions > 0, enc.value / enc.conversions, overall)
    return v


def _scaled_credit(channels: list[str], lost: np.ndarray, lost_value: np.ndarray,
                   enc: _Encoded, negative: str, who: str) -> pd.DataFrame:
    """Scale expected losses to the observed totals → the standard one-row-per-channel frame.

    Signed (``negative="keep"``): ``conversions = lost / Σ lost · total``, shares of the net total;
    the net total must be positive. ``incremental_conversions`` / ``incremental_value`` keep the
    raw expected losses (not scaled)."""
    if negative not in ("clip", "keep"):
        raise ValueError(f"{who}: negative must be 'clip' or 'keep', got {negative!r}")
    if negative == "clip":
        lost, lost_value = np.clip(lost, 0, None), np.clip(lost_value, 0, None)
    total_c, total_v = enc.conversions.sum(), enc.value.sum()
    if not np.clip(lost, 0, None).sum() > 0:
        raise ValueError(f"{who}: the fitted model gives no channel a positive removal effect, so "
                         "there is no credit to scale to the total; check the path table")
    basis, basis_v = _share_basis(lost), _share_basis(lost_value)
    conv = lost / basis * total_c
    value = (lost_value / basis_v * total_v if basis_v > 0 and total_v > 0
             else np.zeros(len(channels)))
    out = pd.DataFrame({"channel": pd.Series(channels, dtype=object), "conversions": conv,
                        "value": value, "share": conv / total_c,
                        "incremental_conversions": lost, "incremental_value": lost_value})
    out.attrs["share_basis"] = "net" if lost.sum() > 0 else "positive"
    return out


def _share_basis(lost: np.ndarray) -> float:
    """The total shares are taken of: the net Σ lost when positive, else Σ of the positive losses
    (channels then sum to more than the observed total, said by ``attrs["share_basis"]``)."""
    net = float(np.sum(lost))
    return net if net > 0 else float(np.clip(lost, 0, None).sum())


def _check_blocks(blocks: Iterable[str], who: str) -> tuple[str, ...]:
    blocks = tuple(blocks)
    unknown = [b for b in blocks if b not in FEATURE_BLOCKS]
    if unknown or not blocks:
        raise ValueError(f"{who}: features must be a non-empty subset of {FEATURE_BLOCKS}, "
                         f"got {blocks!r}")
    return blocks


def _scale_rows(lost: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Each row of expected losses scaled to its total, signed: ``lost / Σ lost · total``.

    A row whose net loss is not positive has no share of a net total: it is NaN (the interval
    quantiles skip it; ``BootstrapDraws`` users see how many with ``np.isnan``)."""
    s = lost.sum(axis=1, keepdims=True)
    return np.divide(lost, s, out=np.full_like(lost, np.nan), where=s > 0) * totals[:, None]


class _RemovalMixin:
    """Counterfactual predictions shared by both estimators (needs ``_enc``, ``model_``)."""

    _enc: _Encoded
    model_: Any
    blocks_: tuple[str, ...]  # feature blocks of the design (FEATURE_BLOCKS)
    empty_path_rate: float

    def _p(self, removed: np.ndarray | None = None, rows: np.ndarray | None = None,
           model: Any = None) -> np.ndarray:
        model = self.model_ if model is None else model
        build = _sparse_design if _is_linear(model) else _design
        X, empty = build(self._enc, self.blocks_, removed, rows)
        return _predict(model, X, empty, self.empty_path_rate)

    def _sparse(self, blocks: tuple[str, ...] | None = None) -> _SparseDesign:
        """The sparse design of ``blocks`` (default: the fitted ones), built once per fit."""
        blocks = self.blocks_ if blocks is None else blocks
        cache = self.__dict__.setdefault("_sparse_cache", {})
        if cache.get("enc") is not self._enc:
            cache.clear()
            cache["enc"] = self._enc
        if blocks not in cache:
            cache[blocks] = _SparseDesign.build(self._enc, blocks, cache.get("shared"))
            cache["shared"] = cache[blocks].shared
        return cache[blocks]

    def _drop_sparse(self, blocks: tuple[str, ...]) -> None:
        """Release the cached sparse design of ``blocks`` (rebuilt by :meth:`_sparse` if needed
        again): at a million paths each design is hundreds of MB."""
        self.__dict__.get("_sparse_cache", {}).pop(blocks, None)

    def _removal_designs(self, blocks: tuple[str, ...] | None = None
                         ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(rows containing c, design of those rows without c, empty flags) for every channel c."""
        blocks = self.blocks_ if blocks is None else blocks
        out = []
        for j in range(len(self._enc.channels)):
            on = np.flatnonzero(self._enc.counts[:, j] > 0)  # other paths do not change
            mask = np.zeros(len(self._enc.channels), bool)
            mask[j] = True
            out.append((on, *_design(self._enc, blocks, mask, on)))
        return out

    def _path_effects(self, model: Any, full: tuple[np.ndarray, np.ndarray] | None = None,
                      removal: list | None = None, rebuild: bool = False
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Per-path credit matrix D (paths × channels) of a fitted model, and p(path).

        Removal: ``D[i, c] = p(path_i) − p(path_i without c)`` (0 when c is not on the path).
        Credit of the channel = ``Σ_i n_i D[i, c]`` before scaling. A logistic model's
        counterfactuals come from its linear predictor (:class:`_SparseDesign`); any other model
        (or ``rebuild=True``) predicts on designs rebuilt without each channel, which may be
        passed in (cached by the bootstrap).
        """
        if _is_linear(model) and not rebuild:
            p_full, D = self._sparse().removal(_coefficients(model), self.empty_path_rate)
            return D, p_full
        X, empty = full if full is not None else _design(self._enc, self.blocks_)
        p_full = _predict(model, X, empty, self.empty_path_rate)
        D = np.zeros(self._enc.counts.shape)
        for j, (on, Xc, ec) in enumerate(removal if removal is not None else self._removal_designs()):
            D[on, j] = p_full[on] - _predict(model, Xc, ec, self.empty_path_rate)
        return D, p_full

    def _removal_table(self) -> pd.DataFrame:
        enc = self._enc
        n, vbar = enc.journeys, _mean_values(enc)
        if _is_linear(self.model_):  # one entry per (path, channel on it): no dense D
            design = self._sparse()
            p_full, delta = design.removal_entries(_coefficients(self.model_), self.empty_path_rate)
            lost, lost_value = design.lost(n, delta), design.lost(n * vbar, delta)
        else:
            D, p_full = self._path_effects(self.model_)
            lost, lost_value = n @ D, (n * vbar) @ D
        out = pd.DataFrame({"channel": enc.channels,
                            "journeys_exposed": n @ (enc.counts > 0),
                            "conversions_lost": lost, "value_lost": lost_value})
        expected = (n * p_full).sum()
        out["removal_effect"] = out["conversions_lost"] / expected
        self.expected_conversions_ = float(expected)
        self.expected_value_ = float((n * vbar * p_full).sum())
        return out

    def _credit_matrix(self, model: Any, cache: dict[str, Any]) -> np.ndarray:
        """The per-path credit matrix this estimator's credit method uses (see subclasses)."""
        if _is_linear(model):
            return self._path_effects(model)[0]
        if "full" not in cache:
            cache["full"] = _design(self._enc, self.blocks_)
            cache["removal"] = self._removal_designs()
        return self._path_effects(model, cache["full"], cache["removal"])[0]

    def _refit(self, conv: np.ndarray, nulls: np.ndarray, X: np.ndarray) -> Any:
        """The selected model refitted on resampled counts (logistic models warm-started)."""
        est = clone(self.model_)
        if isinstance(est, LogisticRegression):
            est.set_params(warm_start=True)
            est.coef_, est.intercept_ = self.model_.coef_.copy(), self.model_.intercept_.copy()
            est.classes_ = self.model_.classes_
        Xw, y, w = _training_rows(X, conv, nulls)
        return est.fit(Xw, y, sample_weight=w)

    def bootstrap(self, n_boot: int = 200, seed: int = 0, level: float = 0.95,
                  method: str = "auto") -> pd.DataFrame:
        """Percentile bootstrap intervals for the credit of the fitted model.

        Journeys are resampled with replacement as in :func:`smlib.attribution.uncertainty.bootstrap`
        (a multinomial draw of all N journeys over the (path, converted) and (path, not converted)
        cells; a resampled conversion keeps its path's mean value). For each resample the model is
        re-estimated and the credit recomputed and scaled to the resample's totals:

        * ``"one_step"`` (default for logistic models): one Newton step from the full-data
          coefficients, ``β_b = β̂ + H⁻¹ ∇ℓ_b(β̂)`` with ``H`` the full-data Hessian of the
          penalised log likelihood and ``∇ℓ_b`` its gradient under the resampled weights — the
          linearised ("estimating function") bootstrap of Hu & Kalbfleisch (2000, *Canadian
          Journal of Statistics* 28:449–481), first-order equivalent to refitting; all resamples
          are computed with a few matrix products.
        * ``"refit"`` (any model; default for gradient boosting): refit the selected model on each
          resample (logistic fits warm-started) — exact but ``n_boot`` fits.

        The candidate chosen by cross-validation is kept fixed, so model-selection uncertainty is
        not in the intervals. Returns the columns of ``uncertainty.bootstrap``: ``channel,
        conversions, se, ci_low, ci_high, value, value_se, value_ci_low, value_ci_high, share,
        share_se, share_ci_low, share_ci_high``; ``attrs``: n_boot, level, method, n_journeys.
        """
        if not 0 < level < 1:
            raise ValueError(f"bootstrap: level must be in (0, 1), got {level!r}")
        draws = self.bootstrap_draws(n_boot, seed, method)
        return interval_frame(self.credit_, self.channels_, draws.conversions, draws.value, level,
                               n_boot=n_boot, method=draws.method, n_journeys=draws.n_journeys)

    @property
    def fast_bootstrap(self) -> bool:
        """True when :meth:`bootstrap_draws` (``method="auto"``) uses the one-step bootstrap,
        i.e. the selected learner is a logistic regression (no refit per resample)."""
        self._check_fitted()
        return isinstance(self.model_, LogisticRegression)

    def bootstrap_draws(self, n_boot: int = 200, seed: int = 0, method: str = "auto") -> Any:
        """The bootstrap replicates behind :meth:`bootstrap`, as a
        :class:`smlib.attribution.resample.BootstrapDraws` (conversions and value per resample
        and channel), e.g. to build intervals for sums of channels such as a team's share.
        """
        self._check_fitted()
        if not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
            raise ValueError(f"bootstrap: n_boot must be an integer >= 2, got {n_boot!r}")
        is_logit = isinstance(self.model_, LogisticRegression)
        if method == "auto":
            method = "one_step" if is_logit else "refit"
        if method not in ("one_step", "refit") or (method == "one_step" and not is_logit):
            raise ValueError(f"bootstrap: method must be 'auto', 'refit' or (for a logistic "
                             f"model) 'one_step'; got {method!r} for {type(self.model_).__name__}")
        enc = self._enc
        rng = np.random.default_rng(seed)
        cells = np.r_[enc.conversions, enc.nulls]
        n_journeys = int(round(cells.sum()))
        n_rows = len(enc.conversions)
        vbar = _mean_values(enc)
        X = _design(enc, self.blocks_)[0]
        cache: dict[str, Any] = {}
        chunk = max(1, 2_000_000 // len(cells))
        conv_parts, value_parts = [], []
        with threadpool_limits(limits=getattr(self, "n_threads", 1)):
            for start in range(0, n_boot, chunk):
                counts = rng.multinomial(n_journeys, cells / cells.sum(),
                                         size=min(chunk, n_boot - start)).astype(float)
                c, nl = counts[:, :n_rows], counts[:, n_rows:]
                if (c.sum(axis=1) == 0).any() or (nl.sum(axis=1) == 0).any():
                    raise ValueError("bootstrap: a resample has no conversions or no "
                                     "non-converting journeys; too little data to bootstrap")
                if method == "one_step":
                    lost, lost_v = self._one_step_losses(X, c, nl, vbar, cache)
                else:
                    lost, lost_v = np.zeros((len(c), len(enc.channels))), np.zeros((len(c), len(enc.channels)))
                    for b in range(len(c)):
                        D = self._credit_matrix(self._refit(c[b], nl[b], X), cache)
                        lost[b], lost_v[b] = (c[b] + nl[b]) @ D, ((c[b] + nl[b]) * vbar) @ D
                if self.negative == "clip":
                    lost, lost_v = np.clip(lost, 0, None), np.clip(lost_v, 0, None)
                conv_parts.append(_scale_rows(lost, c.sum(axis=1)))
                value_parts.append(_scale_rows(lost_v, (c * vbar).sum(axis=1)))
        return BootstrapDraws(tuple(enc.channels), np.vstack(conv_parts), np.vstack(value_parts),
                              self.credit_, method, n_journeys)

    def _one_step_losses(self, X: np.ndarray, c: np.ndarray, nl: np.ndarray, vbar: np.ndarray,
                         cache: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """Unscaled credit of each resample (rows of c, nl) from one-step Newton coefficients."""
        model = self.model_
        beta = np.r_[model.intercept_, model.coef_.ravel()]
        if "hessian" not in cache:
            n = self._enc.journeys
            p = special.expit(X @ beta[1:] + beta[0])
            Z = np.column_stack([np.ones(len(X)), X])
            H = (Z * (n * p * (1 - p))[:, None]).T @ Z
            H[1:, 1:] += np.eye(len(beta) - 1) / model.C
            cache.update(hessian=H, p_hat=p, Z=Z)
        p, Z = cache["p_hat"], cache["Z"]
        grad = (c * (1 - p) - nl * p) @ Z
        grad[:, 1:] -= beta[1:] / model.C
        betas = beta + np.linalg.solve(cache["hessian"], grad.T).T  # (B, d + 1)
        D = self._credit_tensor(betas, cache)  # (B, paths, channels)
        n_b = c + nl
        return np.einsum("bi,bij->bj", n_b, D), np.einsum("bi,bij->bj", n_b * vbar, D)

    def _credit_tensor(self, betas: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
        """Per-path removal credit for a batch of logistic coefficient vectors (B, paths, channels),
        through the linear predictor (:class:`_SparseDesign`)."""
        design = self._sparse()
        return np.stack([design.removal(beta, self.empty_path_rate)[1] for beta in betas])

    def expected_conversions(self, remove: Iterable[str] = ()) -> tuple[float, float]:
        """Expected conversions and conversion value over the observed journeys, under the model.

        ``Σ n_path · p(path without the channels in remove)`` and the same weighted by each path's
        mean conversion value. ``remove=()`` gives the fitted totals (≈ the observed totals for a
        logistic model with an intercept). Use it for counterfactuals such as removing a whole team.
        """
        self._check_fitted()
        remove = list(remove)
        unknown = sorted(set(remove) - set(self._enc.channels))
        if unknown:
            raise ValueError(f"remove: unknown channel(s) {unknown}; the model knows "
                             f"{self._enc.channels}")
        mask = np.isin(self._enc.channels, remove)
        p = self._p(mask)
        n, vbar = self._enc.journeys, _mean_values(self._enc)
        return float((n * p).sum()), float((n * vbar * p).sum())

    def team_effects(self, channel_teams: Mapping[str, str] | pd.DataFrame | None = None
                     ) -> pd.DataFrame:
        """Counterfactual team decomposition, on the simulator truth's definition.

        With ``P_MS`` the fitted probability of each journey, ``P_M`` of the journey with every
        sales channel removed, ``P_S`` with every marketing channel removed and ``P_0`` of an empty
        journey (``empty_path_rate``), summed over journeys (``n_path`` weights):
        marketing = Σ(P_M − P_0), sales = Σ(P_S − P_0), shared = Σ(P_MS − P_M − P_S + P_0) — the
        conversions that exist only when both teams touch the journey (interaction). The three add
        up to Σ(P_MS − P_0); ``share`` divides by that total. Revenue the same, weighted by each
        path's mean conversion value. Returns [team, incremental_conversions, incremental_revenue,
        share] like ``truth.team_effects``. ``channel_teams``: see
        :func:`smlib.journeys.channel_team_map` (default: config channel lists).
        """
        self._check_fitted()
        teams = channel_team_map(channel_teams)
        unknown = sorted(set(self._enc.channels) - set(teams))
        if unknown:
            raise ValueError(f"channel_teams: no team for channel(s) {unknown}; give a map "
                             "channel -> 'marketing'/'sales' for every channel")
        mkt = [c for c in self._enc.channels if teams[c] == "marketing"]
        sales = [c for c in self._enc.channels if teams[c] == "sales"]
        ms = self.expected_conversions()
        m_only = self.expected_conversions(sales)
        s_only = self.expected_conversions(mkt)
        n = self._enc.journeys
        zero = (self.empty_path_rate * n.sum(), self.empty_path_rate * (n * _mean_values(self._enc)).sum())
        rows = {"marketing": [m_only[i] - zero[i] for i in (0, 1)],
                "sales": [s_only[i] - zero[i] for i in (0, 1)],
                "shared": [ms[i] - m_only[i] - s_only[i] + zero[i] for i in (0, 1)]}
        out = pd.DataFrame([{"team": t, "incremental_conversions": v[0],
                             "incremental_revenue": v[1]} for t, v in rows.items()])
        out["share"] = out["incremental_conversions"] / out["incremental_conversions"].sum()
        return out

    def journey_type_fractions(self, channel_teams: Mapping[str, str] | pd.DataFrame | None = None
                               ) -> dict[str, pd.DataFrame]:
        """Fraction of each channel's credit earned on marketing-only, sales-only, mixed journeys.

        The credit is ``Σ_paths n_path · D[path, c]`` (``D`` the per-path credit of the fitted
        model, see ``_path_effects``), so the fraction on type J is ``Σ_{paths in J} n D[·, c] /
        Σ_paths n D[·, c]`` (``value``: weighted by the path's mean value too). Channels whose
        total is not positive get NaN. Returns {"conversions": frame, "value": frame}, channels ×
        journey types.
        """
        self._check_fitted()
        teams = channel_team_map(channel_teams)
        unknown = sorted(set(self._enc.channels) - set(teams))
        if unknown:
            raise ValueError(f"channel_teams: no team for channel(s) {unknown}")
        enc = self._enc
        is_mkt = np.array([teams[c] == "marketing" for c in enc.channels])
        exposed = enc.counts > 0
        has_m, has_s = exposed[:, is_mkt].any(axis=1), exposed[:, ~is_mkt].any(axis=1)
        jtype = np.select([has_m & has_s, has_m], ["mixed", "marketing_only"], "sales_only")
        D = self._credit_matrix(self.model_, {})
        out = {}
        for col, w in (("conversions", enc.journeys), ("value", enc.journeys * _mean_values(enc))):
            per = pd.DataFrame({jt: (w * (jtype == jt)) @ D for jt in JOURNEY_TYPES},
                               index=pd.Index(enc.channels, name="channel"))
            total = per.sum(axis=1)
            out[col] = per.div(total.where(total > 0), axis=0)
        return out

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise ValueError(f"{type(self).__name__} is not fitted yet; call fit(paths) first")


# --------------------------------------------------------------------------------------------
# Main-effect logistic model
# --------------------------------------------------------------------------------------------
class LogisticAttribution(_RemovalMixin, BaseEstimator):
    """Logistic regression of conversion on channel exposure, credit read off the fitted model.

    Model: ``logit P(convert | path) = β0 + Σ_c β_c · 1[c on path]``, fitted by L2-penalised
    maximum likelihood (scikit-learn ``LogisticRegression``, penalty ``||β||² / (2C)``, intercept
    not penalised) on the weighted path table (a y=1 row per path weighted by its conversions and a
    y=0 row weighted by its non-converting journeys; Shao & Li 2011).

    Credit methods (``credit=``):

    * ``"removal"`` — ``lost_c = Σ_paths n_path · [p(path) − p(path without c)]``, with
      ``p(empty path) = empty_path_rate`` (0), scaled so the credits sum to the total conversions;
      signed (``negative="keep"``, default): a channel whose removal raises conversion gets
      negative credit, shares are of the net total (``"clip"`` sets negative losses to 0).
    * ``"shapley"`` — in each journey the fitted probability ``p(S)`` of its channel set S is split
      over the channels in S by the Shapley value of the game ``v(T) = p(T)``, ``v(∅) =
      empty_path_rate`` (Dalessandro et al. 2012); credit_c = Σ n_path · φ_c(S_path), scaled to
      the total. Exact over subsets; needs at most 16 channels.

    Value: the same with each path's mean conversion value as weight (``Σ n·v̄·Δp``), scaled to the
    total conversion value; paths that never converted use the overall mean value.

    Fitted attributes: ``model_`` (the sklearn estimator), ``channels_``, ``coef_table_``
    (coefficient, approximate standard error and 95 % interval from the inverse Hessian of the
    penalised log likelihood — exact as ``C → ∞``), ``removal_effects_`` (expected conversions
    and value lost per channel before scaling, and as a fraction of the expected total),
    ``credit_`` (the standard output frame).
    """

    #: the main-effect model uses channel exposure only
    blocks_: tuple[str, ...] = ("exposure",)

    def __init__(self, C: float = 1.0, credit: str = "removal", empty_path_rate: float = 0.0,
                 negative: str = "keep", max_iter: int = 1000, tol: float = 1e-8,
                 sep: str | None = None) -> None:
        self.C = C
        self.credit = credit
        self.empty_path_rate = empty_path_rate
        self.negative = negative
        self.max_iter = max_iter
        self.tol = tol
        self.sep = sep

    def fit(self, paths: pd.DataFrame) -> "LogisticAttribution":
        """Fit on a path table and compute the credit; returns self."""
        if self.credit not in ("removal", "shapley"):
            raise ValueError(f"logistic: credit must be 'removal' or 'shapley', got {self.credit!r}")
        if not (np.isfinite(self.C) and self.C > 0):
            raise ValueError(f"logistic: C must be a positive finite number, got {self.C!r}")
        enc = _encode(paths, self.sep)
        _check_fittable(enc, "logistic")
        self._enc, self.channels_ = enc, list(enc.channels)
        # scikit-learn's objective and optimum, by the sparse Newton solver on one row per
        # distinct path (at 1M paths lbfgs on the doubled dense rows took most of the time)
        X = self._sparse(self.blocks_).X
        beta, n_iter, _ = newton_logit(X, enc.conversions, enc.nulls, self.C,
                                        max_iter=self.max_iter)
        self.model_ = as_fitted(LogisticRegression(C=self.C, max_iter=self.max_iter, tol=self.tol),
                                 beta, n_iter)
        self.coef_table_ = self._coef_table(X)
        self.removal_effects_ = self._removal_table()
        if self.credit == "removal":
            lost = self.removal_effects_["conversions_lost"].to_numpy()
            lost_v = self.removal_effects_["value_lost"].to_numpy()
        else:
            phi = self._credit_matrix(self.model_, {})
            lost, lost_v = enc.journeys @ phi, (enc.journeys * _mean_values(enc)) @ phi
        self.credit_ = _scaled_credit(self.channels_, lost, lost_v, enc, self.negative, "logistic")
        return self

    def _coef_table(self, X: sparse.csr_matrix) -> pd.DataFrame:
        """Coefficients with standard errors from the inverse Hessian of the penalised likelihood
        (``X``: one row per distinct path, weighted by its journeys)."""
        beta = np.r_[self.model_.intercept_, self.model_.coef_.ravel()]
        # Σ n p (1 − p) z zᵀ over the paths (z = (1, x)) in one compiled pass over the nonzeros
        H = logit_terms(X.indptr, X.indices, X.data, self._enc.conversions.astype(np.float64),
                        self._enc.nulls.astype(np.float64), beta, 2)[2]
        H[1:, 1:] += np.eye(len(beta) - 1) / self.C
        cov = np.linalg.pinv(H)
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
        return pd.DataFrame({"term": ["intercept"] + _feature_names(self.channels_, self.blocks_),
                             "coef": beta, "std_error": se, "ci_low": beta - 1.959964 * se,
                             "ci_high": beta + 1.959964 * se})

    def _credit_matrix(self, model: Any, cache: dict[str, Any]) -> np.ndarray:
        if self.credit == "shapley":
            beta = np.r_[model.intercept_, model.coef_.ravel()][None, :]
            return self._credit_tensor(beta, cache)[0]
        return super()._credit_matrix(model, cache)

    def _credit_tensor(self, betas: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
        if self.credit != "shapley":
            return super()._credit_tensor(betas, cache)
        if "shapley" not in cache:
            cache["shapley"] = self._shapley_operator()
        inverse, M = cache["shapley"]
        n_ch = len(self._enc.channels)
        bits = (np.arange(2 ** n_ch)[:, None] >> np.arange(n_ch)) & 1
        p_sub = special.expit(bits @ betas[:, 1:].T + betas[:, 0])  # (2^C, B): p(T) per subset T
        p_sub[0] = self.empty_path_rate
        phi = (M @ p_sub).T.reshape(len(betas), -1, n_ch)  # (B, sets, channels)
        return phi[:, inverse]

    def _shapley_operator(self) -> tuple[np.ndarray, Any]:
        """Sparse M with φ_c(S) = (M @ p)[S, c] for the game v(T) = p(T) on each observed set S.

        φ_c(S) = Σ_{T ⊆ S∖c} |T|! (|S| − |T| − 1)! / |S|! · [p(T ∪ c) − p(T)] (Shapley 1953).
        Returns (set index of each path, M of shape (n_sets · C, 2^C)).
        """
        from scipy import sparse

        enc = self._enc
        n_ch = len(enc.channels)
        if n_ch > 16:
            raise ValueError(f"logistic: credit='shapley' enumerates channel subsets and supports at "
                             f"most 16 channels, got {n_ch}; use credit='removal'")
        masks = np.arange(2 ** n_ch)
        size = ((masks[:, None] >> np.arange(n_ch)) & 1).sum(axis=1)
        path_set = ((enc.counts > 0) * (1 << np.arange(n_ch))).sum(axis=1)
        sets, inverse = np.unique(path_set, return_inverse=True)
        fact = np.array([factorial(m) for m in range(n_ch + 1)], dtype=float)
        rows, cols, vals = [], [], []
        for i, s in enumerate(sets):
            k = int(size[s])
            subs = masks[(masks & ~s) == 0]  # all T ⊆ S
            for j in np.flatnonzero((s >> np.arange(n_ch)) & 1):
                t = subs[(subs >> j) & 1 == 0]  # T ⊆ S \ {j}
                wt = fact[size[t]] * fact[k - size[t] - 1] / fact[k]
                r = np.full(2 * len(t), i * n_ch + j)
                rows.append(r)
                cols.append(np.r_[t | (1 << j), t])
                vals.append(np.r_[wt, -wt])
        M = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                              shape=(len(sets) * n_ch, 2 ** n_ch))
        return inverse, M


def logistic(paths: pd.DataFrame, **params: Any) -> pd.DataFrame:
    """Data-driven credit from a logistic regression on channel exposure.

    See :class:`LogisticAttribution` for the exact model and credit definition (``C``, ``credit``
    = ``"removal"`` or ``"shapley"``, ``empty_path_rate``, ``negative``). Returns one row per
    channel: ``channel``, ``conversions``, ``value``, ``share``; credited totals sum to the input
    totals.
    """
    return LogisticAttribution(**params).fit(paths).credit_


# --------------------------------------------------------------------------------------------
# Incremental (counterfactual-removal) model with model selection
# --------------------------------------------------------------------------------------------
#: Regularisation grid of the logistic candidates (strong to weak shrinkage).
C_GRID: tuple[float, ...] = (0.003, 0.01, 0.03, 0.1, 1.0)
#: Smaller feature sets the default candidates also try (each intersected with ``features``).
SUBSET_FAMILIES: tuple[tuple[str, ...], ...] = (("exposure",), ("exposure", "counts"))
#: Racing margin: a candidate whose first-fold held-out loss exceeds the best one's by more than
#: this many paired standard errors is not fitted on the other folds (``screened``).
RACE_Z: float = 4.0
#: How :class:`IncrementalAttribution` chooses its candidate (``selection=``).
SELECTIONS: tuple[str, ...] = ("log_loss", "credit", "parsimony")


def default_candidates(random_state: int = 0, boosting: bool = False) -> dict[str, Any]:
    """The candidate conversion models of :class:`IncrementalAttribution`.

    A value is a classifier (fitted on the estimator's ``features``) or a pair ``(classifier,
    feature blocks)``. L2-penalised logistic regressions at C in :data:`C_GRID` (scikit-learn's
    penalty ``||β||² / (2C)`` against the journey-weighted log likelihood, so small C suits the
    many distinct, mostly single-journey paths) on all the features (``logit_C=...``) and on the
    smaller sets of :data:`SUBSET_FAMILIES` (``logit[exposure]_C=...``: the main-effect model;
    ``logit[exposure+counts]_C=...``): a model that cannot express order may still give the
    steadier credit, and the selection rule judges that (:class:`IncrementalAttribution`). They
    are fitted by an exact Newton solver on the sparse design, warm-started along the C grid.

    ``boosting=True`` adds a histogram gradient-boosting classifier (``hist_gradient_boosting``:
    trees fit interactions of any order; 60 rounds at learning rate 0.15, 16 bins, 15 leaves). It is
    **opt-in** because of its cost: it needs the dense design (paths × features: 188k × 180 on 1M
    journeys) and a scikit-learn fit per fold, and trees cannot be read through the linear
    predictor, so their removal effects need a rebuilt design per channel; the former default with
    it took 97 s and 2.9 GB on 1M journeys, against a budget of 4x ChannelAttribution's Markov time
    (about 1 s) that the default candidates now meet (docs/attribution_path_model.md). Chosen by log
    loss it also gave the worst credit on the combined simulator mechanism. Its ``min_samples_leaf``
    counts rows of the path table, not journeys, so it is small (2) and leaves backed by few
    journeys are shrunk by ``l2_regularization``; no early stopping (its internal split would split
    rows, not journeys). Select it by name (``candidates=[..., "hist_gradient_boosting"]``) or with
    this flag; its selection is then the same rule, on the same folds.
    """
    cands: dict[str, Any] = {f"logit_C={c:g}": LogisticRegression(C=c, max_iter=2000)
                             for c in C_GRID}
    for family in SUBSET_FAMILIES:
        tag = "+".join(family)
        cands.update({f"logit[{tag}]_C={c:g}": (LogisticRegression(C=c, max_iter=2000), family)
                      for c in C_GRID})
    if boosting:
        cands["hist_gradient_boosting"] = HistGradientBoostingClassifier(
            max_iter=60, learning_rate=0.15, max_leaf_nodes=15, max_bins=16, min_samples_leaf=2,
            l2_regularization=1.0, early_stopping=False, random_state=random_state)
    return cands


def _journey_folds(counts: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Split each row's count of journeys over k folds at random, journey by journey.

    Integer parts are split multinomially (each journey lands in a fold with probability 1/k);
    a fractional remainder goes to one random fold. Returns a (k, n_rows) array of test weights.
    """
    whole = np.floor(counts).astype(np.int64)
    out = rng.multinomial(whole, np.full(k, 1 / k)).T.astype(float)
    frac = counts - whole
    out[rng.integers(0, k, size=len(counts)), np.arange(len(counts))] += frac
    return out


def credit_spread(shares: np.ndarray) -> float:
    """Instability of cross-fitted credit: mean over folds of the L1 distance between a fold's
    channel shares and their mean over folds (``shares``: folds × channels). ``inf`` when a fold
    has no positive net credit (NaN shares): such a model's credit is not usable.
    """
    shares = np.asarray(shares, dtype=float)
    if shares.ndim != 2 or len(shares) < 2:
        raise ValueError(f"credit_spread: shares must be folds x channels with >= 2 folds, got "
                         f"shape {shares.shape}")
    if not np.isfinite(shares).all():
        return float("inf")
    return float(np.abs(shares - shares.mean(axis=0)).sum(axis=1).mean())


class IncrementalAttribution(_RemovalMixin, BaseEstimator):
    """Credit = expected conversions lost when a channel is removed from every journey.

    1. Features per path (``features``, default all of :data:`FEATURE_BLOCKS`): channel exposure,
       log1p touch counts, ordered pairs "a before b" (first touch of a before last touch of b)
       and one-hot first and last channel — enough for a logistic model to express pairwise
       interactions and order. The design is sparse (CSR; a path touches few channels).
    2. Model selection over the candidates (default :func:`default_candidates`: logistic models
       along a C grid on all the features and on smaller feature sets) by ``cv``-fold
       cross-fitting; folds split journeys (each path's converting and non-converting counts are
       divided at random over the folds), never a path's converting from its non-converting
       journeys. Each candidate is fitted on k−1 folds and scored on the held-out fold by its
       weighted log loss. Candidates are raced (Maron & Moore 1994, "Hoeffding races", NIPS 6):
       one whose first-fold loss exceeds the best one's by more than :data:`RACE_Z` paired
       standard errors is not fitted on the other folds (``screened``). The candidates whose
       held-out loss is within one standard error of the best one's are **tied**
       (``within_one_se``; the standard error is that of the paired per-journey loss difference
       to the best candidate, ``loss_gap_se``): the data cannot tell their fit apart. For each
       tied candidate the removal credit is also cross-fitted (fitted on k−1 folds, computed on
       the held-out fold's journeys, shares of the fold's net total) and reported with its
       instability across folds (``credit_spread``, :func:`credit_spread`; per fold in
       ``crossfit_credit_``) and its effective degrees of freedom (``effective_df``). The rule
       (``selection``):

       * ``"log_loss"`` (default): the lowest mean held-out log loss;
       * ``"credit"``: among the tied candidates, the steadiest cross-fitted credit (lowest
         ``credit_spread``) — the one-standard-error rule (Breiman et al. 1984, *Classification
         and Regression Trees*, §3.4.3; Hastie, Tibshirani & Friedman 2009, *Elements of
         Statistical Learning*, §7.10) with the stability of the reported quantity (Yu 2013,
         "Stability", *Bernoulli* 19:1484–1500) as the tie-breaker;
       * ``"parsimony"``: among the tied candidates, the fewest effective degrees of freedom (the
         classic one-standard-error rule).

       Why log loss stays the default: the two credit-targeted rules were measured against it on
       every simulator mechanism with the path table alone (benchmarks/accuracy_mechanisms.py
       ``--paths-only``; docs/attribution_path_model.md): neither was consistently more accurate.
       ``"credit"`` was worse (mean L1 0.117 against 0.111 over the unconfounded mechanisms at 100k
       journeys): a credit that is steady across folds is not thereby right (the path table lacks
       the funnel information, so the error is mostly bias, which steadiness cannot see);
       ``"parsimony"`` was slightly better at 100k (0.107) but worse at 30k (0.126 against 0.101)
       and on the confounded mechanism. What did help is the candidate set: no gradient boosting by
       default (combined mechanism 0.182 → 0.159), and smaller feature sets, which log loss chooses
       when journeys are few. The tie set and the credit columns stay in ``cv_results_`` so a reader
       sees when equally good predictors disagree about the credit. The chosen candidate is refitted
       on all journeys (warm-started from its fold fits).
    3. Credit: ``lost_c = Σ_paths n_path · [p(path) − p(path without c)]``, ``n_path`` = journeys
       on the path and ``p(empty) = empty_path_rate`` (0); value ``Σ n_path · v̄_path · Δp`` with
       v̄ the path's mean conversion value (overall mean for paths that never converted). For a
       logistic model ``p(path without c)`` comes from the linear predictor minus the channel's
       column group (:class:`_SparseDesign`), not from a rebuilt design. Credit
       is signed: a channel whose removal *raises* conversion keeps its negative loss
       (``negative="keep"``, default; ``"clip"`` sets it to 0, the former behaviour). Credits are
       scaled so that they add up to the observed totals: ``conversions_c = lost_c / Σ lost ·
       observed``, ``share_c = lost_c / Σ lost``, a share of the **net** total (negative for a
       harmful channel; the others then sum to more than 1).

    ``cv=None`` with a single candidate skips the cross-validation (e.g. to refit a model chosen
    earlier: ``candidates=[model.best_candidate_], cv=None``); ``cv_results_`` then holds NaN.

    Speed: logistic candidates are fitted by an exact Newton solver on the sparse design
    (:func:`newton_logit`), along the C grid with warm starts and reused Hessians, and their
    removal effects come from the linear predictor; on 1M journeys (188k distinct paths, 12
    channels) the default fit took 2.0x ChannelAttribution's order-1 Markov wall time (3.3x its
    CPU time; the compiled passes use both cores) in a fresh process and 728 MB peak RSS
    (benchmarks/bench_attribution.py prints both, measured side by side;
    docs/attribution_path_model.md).

    Reference: Dalessandro et al. (2012) causal attribution by counterfactual removal on a fitted
    conversion model; Kelly, Vaver & Koehler (2018) for its causal reading (no unobserved
    confounding of exposure and conversion).

    Fitted attributes: ``model_``, ``best_candidate_``, ``blocks_`` (its feature blocks),
    ``cv_results_`` (DataFrame, chosen first: candidate, features, mean_log_loss, std_log_loss,
    per-fold losses, loss_gap and loss_gap_se (mean per-journey loss difference to the lowest-loss
    candidate and its standard error), screened, within_one_se, credit_spread and effective_df
    (computed for the tied candidates only, NaN for the others), fit_seconds (fits and held-out
    predictions), rank), ``crossfit_credit_`` (candidate, fold, channel, share: the
    cross-fitted credit shares of the tied candidates),
    ``removal_effects_`` (channel, journeys_exposed, conversions_lost, value_lost,
    removal_effect), ``credit_``, ``channels_``, ``feature_names_``, ``expected_conversions_``.
    """

    def __init__(self, candidates: Mapping[str, Any] | Iterable[str] | None = None, cv: int | None = 3,
                 features: Iterable[str] = FEATURE_BLOCKS, empty_path_rate: float = 0.0,
                 negative: str = "keep", random_state: int = 0, n_threads: int = 1,
                 sep: str | None = None, selection: str = "log_loss") -> None:
        self.candidates = candidates
        self.cv = cv
        self.features = features
        self.empty_path_rate = empty_path_rate
        self.negative = negative
        self.random_state = random_state
        self.n_threads = n_threads
        self.sep = sep
        self.selection = selection

    #: False: on the path table alone this model's bootstrap intervals were measured not to cover
    #: the truth (benchmarks/coverage_attribution.py, 50 simulator seeds, 25k accounts: 82 % of
    #: channel intervals and 72 % of sales-share intervals contained the true share; the frozen
    #: model choice and the path table's missing funnel information bias the estimate). Reports
    #: withhold them (smlib.analyses.attribution_comparison.run_comparison).
    intervals_calibrated: bool = False

    def _candidate_models(self, features: tuple[str, ...]) -> dict[str, tuple[Any, tuple[str, ...]]]:
        """name → (classifier, feature blocks). Default and named candidates use the blocks of
        their family that are in ``features``; default candidates that would repeat an
        all-features candidate are dropped."""
        defaults = default_candidates(self.random_state, boosting=True)
        if self.candidates is None:
            raw, named = default_candidates(self.random_state), True
        elif isinstance(self.candidates, Mapping):
            raw, named = dict(self.candidates), False
        else:  # names of default candidates, e.g. the one chosen by an earlier fit
            names = [self.candidates] if isinstance(self.candidates, str) else list(self.candidates)
            unknown = [n for n in names if n not in defaults]
            if unknown:
                raise ValueError(f"incremental: unknown candidate(s) {unknown}; choose from "
                                 f"{list(defaults)} or pass a dict of sklearn classifiers")
            raw, named = {n: defaults[n] for n in names}, True
        if not raw:
            raise ValueError("incremental: candidates is empty; give at least one model")
        out: dict[str, tuple[Any, tuple[str, ...]]] = {}
        for name, spec in raw.items():
            est, blocks = spec if isinstance(spec, tuple) else (spec, features)
            blocks = _check_blocks(blocks, "incremental")
            if named:
                blocks = tuple(b for b in features if b in blocks)
                if not blocks:
                    raise ValueError(f"incremental: candidate {name!r} uses none of the feature "
                                     f"blocks {features}")
                if self.candidates is None and isinstance(spec, tuple) and blocks == features:
                    continue  # the same model as the all-features candidate at this C
            out[name] = (est, blocks)
        return out

    def fit(self, paths: pd.DataFrame) -> "IncrementalAttribution":
        """Select the conversion model by cross-fitting, refit it and compute the credit."""
        features = _check_blocks(self.features, "incremental")
        if self.cv is not None and not (isinstance(self.cv, (int, np.integer)) and self.cv >= 2):
            raise ValueError(f"incremental: cv must be an integer >= 2 (or None with a single "
                             f"candidate), got {self.cv!r}")
        if self.selection not in SELECTIONS:
            raise ValueError(f"incremental: selection must be one of {SELECTIONS}, got "
                             f"{self.selection!r}")
        cands = self._candidate_models(features)
        if self.cv is None and len(cands) != 1:
            raise ValueError("incremental: cv=None skips model selection and needs exactly one "
                             f"candidate, got {list(cands)}")
        enc = _encode(paths, self.sep)
        _check_fittable(enc, "incremental")
        self._enc, self.channels_ = enc, list(enc.channels)
        warm: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        with threadpool_limits(limits=self.n_threads):
            if self.cv is None:
                name = next(iter(cands))
                self.cv_results_ = pd.DataFrame({"candidate": [name],
                                                 "features": ["+".join(cands[name][1])],
                                                 "mean_log_loss": np.nan, "std_log_loss": np.nan,
                                                 "fit_seconds": np.nan, "rank": 1})
                self.crossfit_credit_ = pd.DataFrame(columns=["candidate", "fold", "channel", "share"])
            else:
                self.cv_results_, warm, self.crossfit_credit_ = self._cross_validate(enc, cands)
            self.best_candidate_ = str(self.cv_results_.iloc[0]["candidate"])
            est, self.blocks_ = cands[self.best_candidate_]
            self.feature_names_ = _feature_names(enc.channels, self.blocks_)
            self.model_ = self._fit_candidate(est, self.blocks_, enc.conversions, enc.nulls,
                                              warm.get(self.best_candidate_))
            self.removal_effects_ = self._removal_table()
        self.credit_ = _scaled_credit(self.channels_,
                                      self.removal_effects_["conversions_lost"].to_numpy(),
                                      self.removal_effects_["value_lost"].to_numpy(),
                                      enc, self.negative, "incremental")
        return self

    def _fit_candidate(self, est: Any, blocks: tuple[str, ...], conv: np.ndarray,
                       nulls: np.ndarray, warm: tuple[np.ndarray, np.ndarray] | None = None) -> Any:
        """One candidate fitted on the given journey counts (L2 logistic: sparse Newton, warm
        start ``warm`` = (β, Hessian); any other classifier: scikit-learn on the dense weighted
        rows)."""
        if newton_compatible(est):
            beta, hess = warm if warm is not None else (None, None)
            beta, n_iter, _ = newton_logit(self._sparse(blocks).X, conv, nulls, est.C, beta, hess,
                                            refresh=0.1)
            return as_fitted(est, beta, n_iter)
        Xw, y, w = _training_rows(_design(self._enc, blocks)[0], conv, nulls)
        return clone(est).fit(Xw, y, sample_weight=w)

    def _cross_validate(self, enc: _Encoded, cands: Mapping[str, tuple[Any, tuple[str, ...]]]
                        ) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, np.ndarray]],
                                   pd.DataFrame]:
        """Cross-fitted log loss and credit of every candidate; the selection rule's table."""
        k_folds, rate = int(self.cv), self.empty_path_rate
        rng = np.random.default_rng(self.random_state)
        test_c = _journey_folds(enc.conversions, k_folds, rng)
        test_n = _journey_folds(enc.nulls, k_folds, rng)
        for k in range(k_folds):
            if not ((enc.conversions - test_c[k]).sum() > 0 and (enc.nulls - test_n[k]).sum() > 0
                    and (test_c[k] + test_n[k]).sum() > 0):
                raise ValueError("incremental: a cross-validation fold has only one outcome; "
                                 f"there are too few journeys for cv={k_folds} (use fewer folds "
                                 "or more data)")
        n_test = test_c + test_n
        stats: dict[str, dict[str, Any]] = {
            n: {"l1": {}, "l0": {},  # fold -> per-path held-out losses (float32; only folds fitted)
                "shares": np.full((k_folds, len(enc.channels)), np.nan), "betas": [],
                "seconds": 0.0} for n in cands}

        def record(name: str, k: int, losses: tuple[np.ndarray, np.ndarray], seconds: float
                   ) -> None:
            st = stats[name]
            st["l1"][k], st["l0"][k] = losses
            st["seconds"] += seconds

        def share(k: int, lost: np.ndarray) -> np.ndarray:
            return lost / lost.sum() if lost.sum() > 0 else np.full(len(lost), np.nan)

        # Racing (Maron & Moore 1994, "Hoeffding races"): every candidate is fitted on the first
        # fold; one whose held-out loss there exceeds the best one's by more than RACE_Z paired
        # standard errors cannot be tied over all folds (the all-folds standard error is about
        # 1/sqrt(k) of the first fold's) and is not fitted on the other folds (``screened``).
        # L2 logistic candidates on the first fold: one regularisation path (strong to weak
        # penalty) per feature set, each fit warm-started from the previous one with its Hessian;
        # on the other folds each starts from its first-fold solution and Hessian.
        fast = {n: newton_compatible(cands[n][0]) for n in cands}
        order = sorted(cands, key=lambda n: (not fast[n], cands[n][1],
                                             cands[n][0].C if fast[n] else 0.0))
        first_fold: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        hessians: dict[str, np.ndarray] = {}
        dense: dict[tuple[str, ...], Any] = {}

        def fit_fold(name: str, k: int, warm: tuple[Any, Any]) -> tuple[np.ndarray, np.ndarray]:
            est, blocks = cands[name]
            t0 = perf_counter()
            conv, nulls = enc.conversions - test_c[k], enc.nulls - test_n[k]
            if fast[name]:
                design = self._sparse(blocks)
                beta, _, hess = newton_logit(design.X, conv, nulls, est.C, *warm, tol=1e-4,
                                              refresh=0.85 if k else 1 / 3)
                X = design.X
                losses = _held_out_losses(X.indptr, X.indices, X.data, beta, design.empty, rate)
                stats[name]["betas"].append(beta)
                hessians[name] = hess * k_folds / (k_folds - 1)  # ≈ all journeys' Hessian
            else:  # any other classifier: dense design, removal by rebuilt designs
                if blocks not in dense:
                    dense[blocks] = (_design(enc, blocks), self._removal_designs(blocks))
                fitted = self._fit_candidate(est, blocks, conv, nulls)
                D, p = self._path_effects(fitted, *dense[blocks], rebuild=True)
                stats[name]["shares"][k] = share(k, n_test[k] @ D)
                beta, hess = None, None
                p = np.clip(p, 1e-12, 1 - 1e-12)
                losses = (-np.log(p)).astype(np.float32), (-np.log1p(-p)).astype(np.float32)
            record(name, k, losses, perf_counter() - t0)
            return beta, hess

        previous: tuple[Any, Any] = (None, None)
        for i, name in enumerate(order):
            if i and (not fast[name] or cands[name][1] != cands[order[i - 1]][1]):
                # a new regularisation path: start from the first fit of a smaller feature set;
                # the previous path's design is released (rebuilt only if it survives the race)
                self._drop_sparse(cands[order[i - 1]][1])
                previous = (None, None)
                starts = [n for n in order[:i] if fast[n] and fast[name]
                          and set(cands[n][1]) < set(cands[name][1])]
                if starts:
                    src = min(starts, key=lambda n: (-len(cands[n][1]), cands[n][0].C))
                    previous = (_embed(first_fold[src][0], cands[src][1], cands[name][1],
                                       list(enc.channels)), None)
            previous = first_fold[name] = fit_fold(name, 0, previous)

        def paired(n: str, ref: str, folds: slice) -> tuple[float, float]:
            """Mean per-journey held-out loss difference n − ref over the folds, and its SE."""
            s1 = s2 = tot = 0.0
            for k in range(k_folds)[folds]:
                a, b = _paired_sums(test_c[k], test_n[k], stats[n]["l1"][k], stats[n]["l0"][k],
                                    stats[ref]["l1"][k], stats[ref]["l0"][k])
                s1, s2, tot = s1 + a, s2 + b, tot + float(n_test[k].sum())
            gap, m2 = s1 / tot, s2 / tot
            return gap, float(np.sqrt(max(m2 - gap ** 2, 0.0) / tot))

        def fold_loss(n: str, k: int) -> float:
            return float((test_c[k] @ stats[n]["l1"][k] + test_n[k] @ stats[n]["l0"][k])
                         / n_test[k].sum())

        lead = min(cands, key=lambda n: (fold_loss(n, 0), n))
        race = {n: paired(n, lead, slice(0, 1)) for n in cands}
        survivors = [n for n in order if race[n][0] <= RACE_Z * race[n][1]]
        for blocks in {cands[n][1] for n in cands} - {cands[n][1] for n in survivors}:
            self._drop_sparse(blocks)
        for k in range(1, k_folds):
            for name in survivors:
                fit_fold(name, k, first_fold[name])

        losses = {n: [fold_loss(n, k) for k in range(k_folds if n in survivors else 1)]
                  for n in cands}
        best = min(survivors, key=lambda n: (np.mean(losses[n]), n))
        rows = []
        for n in cands:
            screened = n not in survivors
            gap, se = race[n] if screened else paired(n, best, slice(None))
            tied = not screened and gap <= se
            if tied and stats[n]["betas"]:  # its cross-fitted credit is needed
                design = self._sparse(cands[n][1])
                for k, beta in enumerate(stats[n]["betas"]):
                    stats[n]["shares"][k] = share(k, design.lost(
                        n_test[k], design.removal_entries(beta, rate)[1]))
            rows.append({"candidate": n, "features": "+".join(cands[n][1]),
                         "mean_log_loss": float(np.mean(losses[n])),
                         "std_log_loss": float(np.std(losses[n], ddof=1)) if not screened else np.nan,
                         **{f"fold_{k}": (losses[n][k] if k < len(losses[n]) else np.nan)
                            for k in range(k_folds)},
                         "loss_gap": gap, "loss_gap_se": se, "screened": screened,
                         "within_one_se": tied,
                         "credit_spread": credit_spread(stats[n]["shares"]) if tied else np.nan,
                         "effective_df": (effective_df(hessians[n], cands[n][0].C)
                                          if tied and n in hessians else np.nan),
                         "fit_seconds": stats[n]["seconds"]})
        out = pd.DataFrame(rows)
        tie_break = {"credit": "credit_spread", "parsimony": "effective_df"}.get(self.selection)
        if tie_break is None:  # "log_loss"
            key = out.apply(lambda r: (r["screened"], r["mean_log_loss"], r["candidate"]), axis=1)
        else:  # tied candidates first, by the tie-break (NaN: a model without one comes last)
            key = out.apply(lambda r: (r["screened"], not r["within_one_se"],
                                       np.nan_to_num(r[tie_break], nan=np.inf)
                                       if r["within_one_se"] else 0.0,
                                       r["mean_log_loss"], r["candidate"]), axis=1)
        out = out.iloc[sorted(range(len(out)), key=lambda i: key.iloc[i])].reset_index(drop=True)
        out["rank"] = np.arange(1, len(out) + 1)
        warm = {n: (np.mean(stats[n]["betas"], axis=0), hessians[n]) for n in cands
                if stats[n]["betas"]}
        crossfit = pd.DataFrame([{"candidate": n, "fold": k, "channel": ch,
                                  "share": float(stats[n]["shares"][k, j])}
                                 for n in out.loc[out["credit_spread"].notna(), "candidate"]
                                 for k in range(k_folds) for j, ch in enumerate(enc.channels)],
                                columns=["candidate", "fold", "channel", "share"])
        return out, warm, crossfit


def incremental(paths: pd.DataFrame, **params: Any) -> pd.DataFrame:
    """Credit each channel with the conversions expected to be lost without it.

    Fits a conversion model on converting and non-converting journeys, chosen by cross-validated
    log loss (or, ``selection="credit"`` / ``"parsimony"``, among the candidates tied with the best
    by the stability of their cross-fitted credit / their effective degrees of freedom), then
    removes each channel from every journey; see
    :class:`IncrementalAttribution` for the exact definition and parameters (``candidates``,
    ``cv``, ``features``, ``selection``, ``empty_path_rate``, ``negative``, ``random_state``,
    ``n_threads``). Returns one row per channel:
    ``channel``, ``conversions``, ``value``, ``share``; credited totals sum to the input totals.
    """
    return IncrementalAttribution(**params).fit(paths).credit_
