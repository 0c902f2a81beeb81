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
  L2-logistic fits at several ``C`` and a histogram gradient-boosting classifier by
  cross-validated weighted log loss, journeys being the unit of cross-validation.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial
from time import perf_counter
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from threadpoolctl import threadpool_limits

from smlib.attribution.paths import parse_paths

__all__ = [
    "FEATURE_BLOCKS",
    "IncrementalAttribution",
    "LogisticAttribution",
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
    n_paths, n_ch = parsed.n_rows, parsed.n_channels
    row, code, pos = parsed.row_of_touch, parsed.indices.astype(np.int64), parsed.position
    first = np.full((n_paths, n_ch), np.inf)
    last = np.full((n_paths, n_ch), -np.inf)
    np.minimum.at(first, (row, code), pos)
    np.maximum.at(last, (row, code), pos)
    counts = np.bincount(row * n_ch + code, minlength=n_paths * n_ch).reshape(n_paths, n_ch)
    return _Encoded(channels=list(parsed.channels), first=first, last=last, counts=counts,
                    conversions=parsed.conversions, nulls=parsed.nulls, value=parsed.value)


# --------------------------------------------------------------------------------------------
# Design matrix
# --------------------------------------------------------------------------------------------
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
    sl = slice(None) if rows is None else rows
    first, last, counts = enc.first[sl], enc.last[sl], enc.counts[sl]
    if removed is not None and removed.any():
        first, last, counts = first.copy(), last.copy(), counts.copy()
        first[:, removed], last[:, removed], counts[:, removed] = np.inf, -np.inf, 0
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


def _predict(model: Any, X: np.ndarray, empty: np.ndarray, empty_rate: float) -> np.ndarray:
    p = np.zeros(len(X)) if len(X) == 0 else model.predict_proba(X)[:, 1]
    return np.where(empty, empty_rate, p)


def _mean_values(enc: _Encoded) -> np.ndarray:
    """Mean conversion value per path; paths that never converted get the overall mean value."""
    overall = enc.value.sum() / enc.conversions.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(enc.conversions > 0, enc.value / enc.conversions, overall)
    return v


def _scaled_credit(channels: list[str], lost: np.ndarray, lost_value: np.ndarray,
                   enc: _Encoded, negative: str, who: str) -> pd.DataFrame:
    """Scale expected losses to the observed totals → the standard one-row-per-channel frame."""
    if negative not in ("clip", "keep"):
        raise ValueError(f"{who}: negative must be 'clip' or 'keep', got {negative!r}")
    if negative == "clip":
        lost, lost_value = np.clip(lost, 0, None), np.clip(lost_value, 0, None)
    total_c, total_v = enc.conversions.sum(), enc.value.sum()
    if not lost.sum() > 0:
        raise ValueError(f"{who}: the fitted model gives no channel a positive removal effect, so "
                         "there is no credit to scale to the total; check the path table")
    conv = lost / lost.sum() * total_c
    value = (lost_value / lost_value.sum() * total_v if lost_value.sum() > 0 and total_v > 0
             else np.zeros(len(channels)))
    return pd.DataFrame({"channel": channels, "conversions": conv, "value": value,
                         "share": conv / total_c})


def _check_blocks(blocks: Iterable[str], who: str) -> tuple[str, ...]:
    blocks = tuple(blocks)
    unknown = [b for b in blocks if b not in FEATURE_BLOCKS]
    if unknown or not blocks:
        raise ValueError(f"{who}: features must be a non-empty subset of {FEATURE_BLOCKS}, "
                         f"got {blocks!r}")
    return blocks


class _RemovalMixin:
    """Counterfactual predictions shared by both estimators (needs ``_enc``, ``model_``)."""

    _enc: _Encoded
    model_: Any
    features: tuple[str, ...]
    empty_path_rate: float

    def _p(self, removed: np.ndarray | None = None, rows: np.ndarray | None = None) -> np.ndarray:
        X, empty = _design(self._enc, self.features, removed, rows)
        return _predict(self.model_, X, empty, self.empty_path_rate)

    def _removal_table(self) -> pd.DataFrame:
        enc = self._enc
        n, vbar = enc.journeys, _mean_values(enc)
        p_full = self._p()
        rows = []
        for j, ch in enumerate(enc.channels):
            on = np.flatnonzero(enc.counts[:, j] > 0)  # other paths are unchanged by removing ch
            mask = np.zeros(len(enc.channels), bool)
            mask[j] = True
            diff = p_full[on] - self._p(mask, on)
            rows.append({"channel": ch, "journeys_exposed": n[on].sum(),
                         "conversions_lost": (n[on] * diff).sum(),
                         "value_lost": (n[on] * vbar[on] * diff).sum()})
        out = pd.DataFrame(rows)
        expected = (n * p_full).sum()
        out["removal_effect"] = out["conversions_lost"] / expected
        self.expected_conversions_ = float(expected)
        self.expected_value_ = float((n * vbar * p_full).sum())
        return out

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

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise ValueError(f"{type(self).__name__} is not fitted yet; call fit(paths) first")


# --------------------------------------------------------------------------------------------
# Main-effect logistic model
# --------------------------------------------------------------------------------------------
class LogisticAttribution(_RemovalMixin):
    """Logistic regression of conversion on channel exposure, credit read off the fitted model.

    Model: ``logit P(convert | path) = β0 + Σ_c β_c · 1[c on path]``, fitted by L2-penalised
    maximum likelihood (scikit-learn ``LogisticRegression``, penalty ``||β||² / (2C)``, intercept
    not penalised) on the weighted path table (a y=1 row per path weighted by its conversions and a
    y=0 row weighted by its non-converting journeys; Shao & Li 2011).

    Credit methods (``credit=``):

    * ``"removal"`` — ``lost_c = Σ_paths n_path · [p(path) − p(path without c)]``, with
      ``p(empty path) = empty_path_rate`` (0), scaled so the credits sum to the total conversions.
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

    features: tuple[str, ...] = ("exposure",)

    def __init__(self, C: float = 1.0, credit: str = "removal", empty_path_rate: float = 0.0,
                 negative: str = "clip", max_iter: int = 1000, tol: float = 1e-8,
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
        X, _ = _design(enc, self.features)
        Xw, y, w = _training_rows(X, enc.conversions, enc.nulls)
        with threadpool_limits(limits=1):
            self.model_ = LogisticRegression(C=self.C, max_iter=self.max_iter, tol=self.tol).fit(
                Xw, y, sample_weight=w)
        self.coef_table_ = self._coef_table(Xw, w)
        self.removal_effects_ = self._removal_table()
        if self.credit == "removal":
            lost = self.removal_effects_["conversions_lost"].to_numpy()
            lost_v = self.removal_effects_["value_lost"].to_numpy()
        else:
            lost, lost_v = self._shapley_credit()
        self.credit_ = _scaled_credit(self.channels_, lost, lost_v, enc, self.negative, "logistic")
        return self

    def _coef_table(self, Xw: np.ndarray, w: np.ndarray) -> pd.DataFrame:
        """Coefficients with standard errors from the inverse Hessian of the penalised likelihood."""
        Z = np.column_stack([np.ones(len(Xw)), Xw.astype(float)])
        beta = np.r_[self.model_.intercept_, self.model_.coef_.ravel()]
        p = 1 / (1 + np.exp(-(Z @ beta)))
        H = (Z * (w * p * (1 - p))[:, None]).T @ Z
        H[1:, 1:] += np.eye(Z.shape[1] - 1) / self.C
        cov = np.linalg.pinv(H)
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
        return pd.DataFrame({"term": ["intercept"] + _feature_names(self.channels_, self.features),
                             "coef": beta, "std_error": se, "ci_low": beta - 1.959964 * se,
                             "ci_high": beta + 1.959964 * se})

    def _shapley_credit(self) -> tuple[np.ndarray, np.ndarray]:
        enc = self._enc
        n_ch = len(enc.channels)
        if n_ch > 16:
            raise ValueError(f"logistic: credit='shapley' enumerates channel subsets and supports at "
                             f"most 16 channels, got {n_ch}; use credit='removal'")
        # p(T) for every channel subset T (bit j = channel j), from the linear predictor
        masks = np.arange(2 ** n_ch)
        bits = (masks[:, None] >> np.arange(n_ch)) & 1
        eta = self.model_.intercept_[0] + bits @ self.model_.coef_.ravel()
        p_sub = 1 / (1 + np.exp(-eta))
        p_sub[0] = self.empty_path_rate
        size = bits.sum(axis=1)
        path_set = ((enc.counts > 0) * (1 << np.arange(n_ch))).sum(axis=1)
        n, nv = enc.journeys, enc.journeys * _mean_values(enc)
        weights = pd.DataFrame({"set": path_set, "n": n, "nv": nv}).groupby("set").sum()
        # Shapley weight |T|! (k − |T| − 1)! / k! for a coalition T of a k-channel set
        fact = np.array([factorial(m) for m in range(n_ch + 1)], dtype=float)
        lost, lost_v = np.zeros(n_ch), np.zeros(n_ch)
        for s, (wn, wv) in zip(weights.index.to_numpy(), weights[["n", "nv"]].to_numpy()):
            k = int(size[s])
            subs = masks[(masks & ~s) == 0]  # all T ⊆ S
            for j in np.flatnonzero((s >> np.arange(n_ch)) & 1):
                t = subs[(subs >> j) & 1 == 0]  # T ⊆ S \ {j}
                wt = fact[size[t]] * fact[k - size[t] - 1] / fact[k]
                phi = (wt * (p_sub[t | (1 << j)] - p_sub[t])).sum()
                lost[j] += wn * phi
                lost_v[j] += wv * phi
        return lost, lost_v


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
def default_candidates(random_state: int = 0) -> dict[str, Any]:
    """The candidate conversion models of :class:`IncrementalAttribution`.

    L2-penalised logistic regressions at C = 0.01, 0.1, 1, 10 (strong to weak shrinkage) and a
    histogram gradient-boosting classifier (trees fit interactions of any order). Its
    ``min_samples_leaf`` counts rows of the path table, not journeys, so it is small (2) and leaves
    backed by few journeys are shrunk by ``l2_regularization`` instead (the penalty is added to
    the leaf's journey-weighted hessian sum). No early stopping: its internal validation split
    would split rows, not journeys.
    """
    cands: dict[str, Any] = {f"logit_C={c:g}": LogisticRegression(C=c, max_iter=2000)
                             for c in (0.01, 0.1, 1.0, 10.0)}
    cands["hist_gradient_boosting"] = HistGradientBoostingClassifier(
        max_iter=150, learning_rate=0.1, max_leaf_nodes=15, min_samples_leaf=2,
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


class IncrementalAttribution(_RemovalMixin):
    """Credit = expected conversions lost when a channel is removed from every journey.

    1. Features per path (``features``, default all of :data:`FEATURE_BLOCKS`): channel exposure,
       log1p touch counts, ordered pairs "a before b" (first touch of a before last touch of b)
       and one-hot first and last channel — enough for a logistic model to express pairwise
       interactions and order.
    2. Model selection: every candidate (default :func:`default_candidates`) is scored by
       ``cv``-fold cross-validated weighted log loss; folds split journeys (each path's converting
       and non-converting counts are divided at random over the folds), never a path's y=1 row
       from its y=0 row. The candidate with the lowest mean log loss is refitted on everything.
    3. Credit: ``lost_c = Σ_paths n_path · [p(path) − p(path without c)]``, ``n_path`` = journeys
       on the path and ``p(empty) = empty_path_rate`` (0); value ``Σ n_path · v̄_path · Δp`` with
       v̄ the path's mean conversion value (overall mean for paths that never converted). Negative
       losses (a channel whose removal *raises* conversion) are set to 0 by default
       (``negative="clip"``; ``"keep"`` keeps them). Credits are scaled so that they add up to the
       observed totals.

    Reference: Dalessandro et al. (2012) causal attribution by counterfactual removal on a fitted
    conversion model; Kelly, Vaver & Koehler (2018) for its causal reading (no unobserved
    confounding of exposure and conversion).

    Fitted attributes: ``model_``, ``best_candidate_``, ``cv_results_`` (DataFrame: candidate,
    mean_log_loss, std_log_loss, per-fold losses, fit_seconds, rank), ``removal_effects_``
    (channel, journeys_exposed, conversions_lost, value_lost, removal_effect), ``credit_``,
    ``channels_``, ``feature_names_``, ``expected_conversions_``.
    """

    def __init__(self, candidates: Mapping[str, Any] | Iterable[str] | None = None, cv: int = 3,
                 features: Iterable[str] = FEATURE_BLOCKS, empty_path_rate: float = 0.0,
                 negative: str = "clip", random_state: int = 0, n_threads: int = 1,
                 sep: str | None = None) -> None:
        self.candidates = candidates
        self.cv = cv
        self.features = features  # type: ignore[assignment]
        self.empty_path_rate = empty_path_rate
        self.negative = negative
        self.random_state = random_state
        self.n_threads = n_threads
        self.sep = sep

    def _candidate_models(self) -> dict[str, Any]:
        defaults = default_candidates(self.random_state)
        if self.candidates is None:
            return defaults
        if isinstance(self.candidates, Mapping):
            cands = dict(self.candidates)
        else:  # names of default candidates, e.g. the one chosen by an earlier fit
            names = [self.candidates] if isinstance(self.candidates, str) else list(self.candidates)
            unknown = [n for n in names if n not in defaults]
            if unknown:
                raise ValueError(f"incremental: unknown candidate(s) {unknown}; choose from "
                                 f"{list(defaults)} or pass a dict of sklearn classifiers")
            cands = {n: defaults[n] for n in names}
        if not cands:
            raise ValueError("incremental: candidates is empty; give at least one model")
        return cands

    def fit(self, paths: pd.DataFrame) -> "IncrementalAttribution":
        """Select the conversion model by cross-validation, refit it and compute the credit."""
        self.features = _check_blocks(self.features, "incremental")
        if not (isinstance(self.cv, (int, np.integer)) and self.cv >= 2):
            raise ValueError(f"incremental: cv must be an integer >= 2, got {self.cv!r}")
        cands = self._candidate_models()
        enc = _encode(paths, self.sep)
        _check_fittable(enc, "incremental")
        self._enc, self.channels_ = enc, list(enc.channels)
        self.feature_names_ = _feature_names(enc.channels, self.features)
        X, _ = _design(enc, self.features)
        with threadpool_limits(limits=self.n_threads):
            self.cv_results_ = self._cross_validate(X, enc, cands)
            self.best_candidate_ = str(self.cv_results_.iloc[0]["candidate"])
            Xw, y, w = _training_rows(X, enc.conversions, enc.nulls)
            self.model_ = clone(cands[self.best_candidate_]).fit(Xw, y, sample_weight=w)
            self.removal_effects_ = self._removal_table()
        self.credit_ = _scaled_credit(self.channels_,
                                      self.removal_effects_["conversions_lost"].to_numpy(),
                                      self.removal_effects_["value_lost"].to_numpy(),
                                      enc, self.negative, "incremental")
        return self

    def _cross_validate(self, X: np.ndarray, enc: _Encoded,
                        cands: Mapping[str, Any]) -> pd.DataFrame:
        rng = np.random.default_rng(self.random_state)
        test_c = _journey_folds(enc.conversions, self.cv, rng)
        test_n = _journey_folds(enc.nulls, self.cv, rng)
        rows = []
        for name, est in cands.items():
            losses, t0 = [], perf_counter()
            for k in range(self.cv):
                Xtr, ytr, wtr = _training_rows(X, enc.conversions - test_c[k], enc.nulls - test_n[k])
                Xte, yte, wte = _training_rows(X, test_c[k], test_n[k])
                if len(np.unique(ytr)) < 2 or len(yte) == 0:
                    raise ValueError("incremental: a cross-validation fold has only one outcome; "
                                     "there are too few journeys for cv="
                                     f"{self.cv} (use fewer folds or more data)")
                fitted = clone(est).fit(Xtr, ytr, sample_weight=wtr)
                p = np.clip(fitted.predict_proba(Xte)[:, 1], 1e-12, 1 - 1e-12)
                losses.append(log_loss(yte, p, sample_weight=wte, labels=[0, 1]))
            rows.append({"candidate": name, "mean_log_loss": float(np.mean(losses)),
                         "std_log_loss": float(np.std(losses, ddof=1)),
                         **{f"fold_{k}": v for k, v in enumerate(losses)},
                         "fit_seconds": perf_counter() - t0})
        out = pd.DataFrame(rows).sort_values(["mean_log_loss", "candidate"], ignore_index=True)
        out["rank"] = np.arange(1, len(out) + 1)
        return out


def incremental(paths: pd.DataFrame, **params: Any) -> pd.DataFrame:
    """Credit each channel with the conversions expected to be lost without it.

    Fits a conversion model chosen by cross-validated log loss on converting and non-converting
    journeys, then removes each channel from every journey; see :class:`IncrementalAttribution`
    for the exact definition and parameters (``candidates``, ``cv``, ``features``,
    ``empty_path_rate``, ``negative``, ``random_state``, ``n_threads``). Returns one row per channel:
    ``channel``, ``conversions``, ``value``, ``share``; credited totals sum to the input totals.
    """
    return IncrementalAttribution(**params).fit(paths).credit_
