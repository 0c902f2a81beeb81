"""Counterfactual-removal credit from a funnel model fitted on journeys, accounts and milestones.

The path table drops what decides a B2B conversion besides the channels: the account (segment,
size), who sourced the lead, how fast sales followed it up, and the funnel stage each touch came
in. :class:`JourneyIncremental` keeps them. One row per journey (touches of
:func:`smlib.journeys.build_journeys`), joined to its opportunity (``sql_at``,
``opportunity_at``, ``closed_at``, ``outcome``, ``source_team``, ``mql_at`` / ``lead_at``) and,
when given, its account (``segment``, ``size``, ``integrated``).

Model (a product of stage models, as a funnel is): with milestones ``m_1 … m_K`` (the ones the
opportunities table has of ``sql_at``, ``opportunity_at``; then the win),

    P(won | journey) = Π_k σ(x_k(journey) · β_k),

each ``β_k`` fitted by L2-penalised logistic regression of "passed stage k" on the journeys that
reached stage k − 1 and whose outcome is known (``closed_at`` set). Features ``x_k`` of a journey
(the same blocks in every stage):

* ``log1p`` touches of each channel **before the stage's boundary** (cumulative: stage k counts
  every touch before the boundary ``b_k``; the last stage counts every touch). The boundary is
  placed by **one rule for every journey**, whether it passed the stage or not: a journey that
  stopped before ``m_k`` has no ``m_k``, and placing the observed milestone for the journeys that
  passed but a guess for the others would measure the features differently by outcome (a touch
  between the true and the guessed milestone counts for one group and not the other), which
  biases every stage's coefficients and does not shrink with more data (the sales share was
  ~0.9 points too high at 25k and at 250k accounts; benchmarks/coverage_attribution.py
  ``--bias``). The rule is the one that best places the observed milestones of the journeys that
  passed: the previous boundary plus the median gap (for stage 1, from the first sales touch, or
  from the lead when sales never touched it), just before the journey's first touch of a
  "later-stage" channel (one no passing journey touched before ``m_k``, e.g. an AE meeting after
  qualification), that touch minus the median lag from the milestone to it, or the earlier of
  the first two. The observed milestones decide who passed each stage and which rule is used;
  they never place one journey's boundary;
* channel exposure (0/1); in the ``funnel+handoff`` specification also, per channel, "the other
  team touched the journey before this channel's first touch" (a marketing touch before the
  first demo, a sales touch before the first webinar: the hand-off order of B2B journeys), and in
  ``funnel+order`` instead "a before b" for every ordered channel pair (first touch of a before
  the last touch of b, as in :mod:`smlib.attribution.regression`); which one is used is chosen
  for the credit (below);
* the account's segment (one-hot) and log size, whether it was integrated (``accounts``);
* who sourced the lead (``source_team == "marketing"``) and, for marketing-sourced leads that
  sales contacted before the stage-1 boundary, the speed of that follow-up: an indicator and the
  log hours from the MQL (or lead) to the first sales touch as a linear spline with knots at
  5 minutes, 1 hour and 24 hours, flat outside them (the follow-up literature's breakpoints:
  Oldroyd, McElheran & Elkington, "The Short Life of Online Sales Leads", HBR 2011; MIT /
  InsideSales 2007 lead response study), times "integrated" when known.

Removing a channel deletes its touches from every journey: its counts, exposure and order terms,
and the "contacted" indicator when it was the only sales channel before the stage-1 boundary (the
follow-up time itself is kept, as a property of the lead). Credit is the signed removal effect

    lost_c = Σ_journeys [P(journey) − P(journey without c)]

over the journeys with a known outcome (closed), the same population and definition as the
simulator's truth. ``conversions`` scales the lost conversions to the observed wins (``scaled``
credit: Σ conversions = observed wins; ``share`` = lost_c / Σ_c lost_c, a share of the **net**
total, negative for a channel whose removal raises conversions); ``incremental_conversions``
keeps the raw expected conversions lost (not scaled). Value is the same weighted by each journey's
deal value (won journeys) or the mean won value of its segment.

Intervals: :meth:`JourneyIncremental.bootstrap_draws` resamples journeys (multinomial) and
re-estimates every stage by one Newton step from the full-data fit (the linearised bootstrap of
Hu & Kalbfleisch 2000), credit and its scaling recomputed on every resample. The bootstrap is
**conditional on the chosen specification** (below): the choice among ``funnel``,
``funnel+handoff`` and ``funnel+order`` is made once, on the full data, and not repeated on
every resample, so the intervals do not carry the uncertainty of that choice (their coverage
with the choice made is measured by benchmarks/coverage_attribution.py).
Every other replicate is then reflected through the estimate (:func:`symmetric_draws`), so the
intervals read from the replicates are the symmetric bootstrap interval ``estimate ± q``, ``q``
the 95 % quantile of the replicates' distance from the estimate (Hall 1988). Where the credit is
biased (a nonlinear function of the coefficients: the removal effects of the large sales
channels at 25k accounts) and the replicates show it, ``q`` grows with the bias: it is the
bias-aware critical value of Armstrong & Kolesár (2020) with the bootstrap's bias, where the
percentile interval of the raw replicates would move with the bias instead of allowing for it.
Coverage of the simulator's truth is measured by benchmarks/coverage_attribution.py.

Specification chosen for the credit (``order="auto"``, the default): three candidates
(:data:`SPECS`), ``funnel`` (no order features), ``funnel+handoff`` (C hand-off features) and
``funnel+order`` (C·(C−1) ordered pairs), are cross-fitted on the same three random folds of
journeys: each is fitted on two folds and scored on the third, by its held-out log loss per
journey and by its **cross-fitted credit** (the removal shares computed on the held-out fold's
journeys, shares of the fold's net total). Simplest first, a richer candidate replaces the one
chosen so far only when both hold:

1. it predicts better by more than one standard error of the paired per-journey held-out loss
   difference (``loss_gap < −loss_gap_se``; the one-standard-error rule: Breiman et al. 1984,
   *Classification and Regression Trees*, §3.4.3; Hastie, Tibshirani & Friedman 2009, §7.10);
2. its cross-fitted credit differs from the chosen one's by more than the folds' own spread:
   ``credit_distance`` (L1 distance of the fold-mean shares) above ``distance_spread``
   (:func:`smlib.attribution.regression.credit_spread` of the per-fold share differences: both
   models are credited on the same held-out journeys, so the difference's fold-to-fold variation
   is its noise; stability of the reported quantity: Yu 2013, "Stability", *Bernoulli*
   19:1484–1500).

Otherwise the simpler specification is kept: a richer model that gives the same answer only adds
variance, and one that does not predict better has no evidence for its different answer. Racing
(Maron & Moore 1994, "Hoeffding races", NIPS 6) keeps the cost down: a candidate whose first-fold
loss is worse than the chosen one's by more than one paired standard error is not fitted on the
other folds (``screened``; it could hardly pass 1.). Measured (benchmarks/accuracy_mechanisms.py,
docs/benchmarks.md): the full ordered pairs (132 per stage with 12 channels) fit the held-out
journeys worse than the hand-off features even under the order mechanism, and their credit was
farther from the truth (L1 0.076 against 0.044 for ``funnel`` and 0.040 for ``funnel+handoff``,
100k journeys, seed 1), which is why the hand-off block sits between them. ``order=False`` /
``"handoff"`` / ``True`` force ``funnel`` / ``funnel+handoff`` / ``funnel+order`` (one candidate,
no choice). With more than :data:`ORDER_MAX_CHANNELS` channels ``funnel+order`` is not tried.

References: Dalessandro et al. (2012) and Kelly, Vaver & Koehler (2018) for counterfactual
removal on a fitted conversion model; Hu & Kalbfleisch (2000) for the one-step bootstrap;
Hall (1988) for the symmetric bootstrap interval and Armstrong & Kolesár (2020) for the
bias-aware critical value.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import special
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from smlib.attribution.regression import credit_spread
from smlib.attribution.resample import BootstrapDraws, interval_frame
from smlib.journeys import JOURNEY_TYPES, channel_team_map
from smlib.presentation.catalogue import text
from smlib.presentation.numbers import format_number
from smlib.presentation.settings import validate_language

__all__ = ["JourneyIncremental", "journey_inputs_available", "symmetric_draws",
           "journey_incremental", "selection_sentence", "specification_label", "SPECS",
           "ORDER_MAX_CHANNELS"]

_STAGE_COLUMNS = ("sql_at", "opportunity_at")
#: The candidate specifications (name -> the feature blocks added to the funnel's), simplest first:
#: ``handoff`` = per channel, "the other team touched the journey before this channel's first
#: touch" (C features); ``order`` = "a before b" for every ordered channel pair (C·(C−1)).
SPECS: dict[str, tuple[str, ...]] = {"funnel": (), "funnel+handoff": ("handoff",),
                                     "funnel+order": ("order",)}
#: ``order=`` values that force one specification.
FORCED: dict[object, str] = {False: "funnel", "handoff": "funnel+handoff", True: "funnel+order"}
#: ``order="auto"`` considers the ordered-pair specification only up to this many channels
#: (C·(C−1) pair features per stage: 380 at 20 channels).
ORDER_MAX_CHANNELS: int = 20
_HOUR = pd.Timedelta(hours=1)
#: Knots (log hours) of the follow-up spline, flat outside: 5 minutes (MIT / InsideSales 2007),
#: 1 hour and 24 hours (HBR 2011).
_KNOTS = (float(np.log(5 / 60)), 0.0, float(np.log(24.0)))


def journey_inputs_available(journeys: Any, opportunities: Any) -> bool:
    """True when the touches and opportunities hold what :class:`JourneyIncremental` needs.

    Touches with ``journey_id``, ``account_id``, ``timestamp``, ``channel``, ``converted``; an
    opportunities table with ``account_id``, ``closed_at`` and ``outcome``; and at least one
    closed journey that converted and one that did not.
    """
    touches = getattr(journeys, "touches", journeys)
    if not isinstance(touches, pd.DataFrame) or not isinstance(opportunities, pd.DataFrame):
        return False
    if not {"journey_id", "account_id", "timestamp", "channel", "converted"} <= set(touches.columns):
        return False
    if not {"account_id", "closed_at", "outcome"} <= set(opportunities.columns):
        return False
    closed = opportunities["closed_at"].notna() & opportunities["outcome"].isin(["won", "lost"])
    return bool(closed.any() and (opportunities.loc[closed, "outcome"] == "won").any()
                and (opportunities.loc[closed, "outcome"] == "lost").any())


@dataclass
class _Journeys:
    """Per-journey arrays of the closed journeys (rows) the model is fitted and credited on."""

    channels: list[str]
    is_sales: np.ndarray          # (C,) channel belongs to the sales team
    counts: np.ndarray            # (K, N, C) touches before each stage's milestone (last: all)
    first: np.ndarray             # (N, C) position of the first touch (inf if absent)
    last: np.ndarray              # (N, C) position of the last touch (-inf if absent)
    early_sales: np.ndarray       # (N, C) channel touched before the stage-1 milestone (sales only)
    covariates: np.ndarray        # (N, P) fixed covariates (segment, size, integrated, source)
    covariate_names: list[str]
    followup: np.ndarray          # (N, F) follow-up basis, multiplied by "contacted" in the design
    followup_names: list[str]
    reached: np.ndarray           # (K, N) journey reached stage k (passed stage k-1)
    passed: np.ndarray            # (K, N) journey passed stage k
    won: np.ndarray               # (N,) converted
    value: np.ndarray             # (N,) deal value (won) or its segment's mean won value
    journey_id: np.ndarray
    stage_names: list[str]
    milestone_rules: list[str]    # the rule placing each stage's boundary (_stage_boundary)


def _utc(s: pd.Series) -> pd.Series:
    """Timestamps as UTC nanoseconds (naive values taken as UTC), one dtype for every table."""
    return pd.to_datetime(s, utc=True).astype("datetime64[ns, UTC]")


def _prepare(journeys: Any, opportunities: pd.DataFrame, accounts: pd.DataFrame | None,
             channel_teams: Mapping[str, str] | None) -> _Journeys:
    """Join touches, opportunities and accounts into per-journey arrays (closed journeys only)."""
    touches = getattr(journeys, "touches", journeys)
    jt = getattr(journeys, "journeys", None)
    t = touches[["journey_id", "account_id", "timestamp", "channel", "converted"]
                + [c for c in ("conversion_value", "team") if c in touches.columns]].copy()
    t["channel"] = t["channel"].astype(str).str.strip()
    t["timestamp"] = _utc(t["timestamp"])
    opp = opportunities.copy()
    for col in ("lead_at", "mql_at", "closed_at", *_STAGE_COLUMNS):
        if col in opp.columns:
            opp[col] = _utc(opp[col])
    # journey -> opportunity: the journeys table's opportunity_id, else the account's latest lead
    if jt is not None and "opportunity_id" in getattr(jt, "columns", []) \
            and "opportunity_id" in opp.columns:
        link = jt[["journey_id", "opportunity_id"]].merge(opp, on="opportunity_id", how="left")
    else:
        # each journey → the account's first opportunity closed at or after its last touch (a
        # journey ends at its conversion); else the account's latest opportunity
        ends = (t.groupby("journey_id", sort=False)
                .agg(account_id=("account_id", "first"), end=("timestamp", "max")).reset_index())
        ends["account_id"] = ends["account_id"].astype(str)
        o = opp.assign(account_id=opp["account_id"].astype(str))
        closed_opps = o[o["closed_at"].notna()].sort_values("closed_at")
        nearest = pd.merge_asof(ends.sort_values("end"), closed_opps, left_on="end",
                                right_on="closed_at", by="account_id", direction="forward")
        key = "lead_at" if "lead_at" in o.columns else "closed_at"
        latest = o.sort_values(key).drop_duplicates("account_id", keep="last")
        fallback = ends.merge(latest, on="account_id", how="left")
        nearest = nearest.set_index("journey_id")
        fallback = fallback.set_index("journey_id").reindex(nearest.index)
        link = nearest.where(nearest["closed_at"].notna(), fallback, axis=0).reset_index()
    link = link.drop_duplicates("journey_id").set_index("journey_id")
    closed = link["closed_at"].notna() & link["outcome"].isin(["won", "lost"])
    link = link[closed]
    t = t[t["journey_id"].isin(link.index)].sort_values(["journey_id", "timestamp"], kind="stable")
    if t.empty:
        raise ValueError("incremental (journeys): no journey is linked to a closed opportunity "
                         "(closed_at and outcome won/lost); give the opportunities of the journeys")
    ids = np.array(sorted(t["journey_id"].unique()))
    link = link.reindex(ids)
    n = len(ids)
    row = np.searchsorted(ids, t["journey_id"].to_numpy())
    teams = channel_team_map(channel_teams if channel_teams is not None else
                             (touches if "team" in touches.columns else None))
    channels = sorted(t["channel"].unique())
    unknown = [c for c in channels if c not in teams]
    if unknown:
        raise ValueError(f"incremental (journeys): no team for channel(s) {unknown}")
    code = np.searchsorted(channels, t["channel"].to_numpy())
    n_ch = len(channels)
    is_sales = np.array([teams[c] == "sales" for c in channels])
    ts = t["timestamp"].to_numpy(dtype="datetime64[ns]").astype(np.int64) / 3.6e12  # hours
    pos = np.arange(len(t)) - np.searchsorted(row, row)  # position within journey
    first = np.full((n, n_ch), np.inf)
    last = np.full((n, n_ch), -np.inf)
    np.minimum.at(first, (row, code), pos)
    np.maximum.at(last, (row, code), pos)

    def hours(col: str) -> np.ndarray:
        if col not in link.columns:
            return np.full(n, np.nan)
        v = link[col]
        return np.where(v.notna(), v.to_numpy(dtype="datetime64[ns]").astype(np.int64) / 3.6e12, np.nan)

    stages = [c for c in _STAGE_COLUMNS if c in link.columns and link[c].notna().any()]
    won = (link["outcome"] == "won").to_numpy()
    milestones = [hours(c) for c in stages]
    reached = [np.ones(n, bool)]
    passed = []
    for m in milestones:
        passed.append(reached[-1] & ~np.isnan(m))
        reached.append(passed[-1])
    passed.append(reached[-1] & won)
    # every milestone before a later one (a journey that won passed every stage)
    for k in range(len(milestones) - 1, -1, -1):
        later = passed[k + 1]
        passed[k] = passed[k] | later
    reached = [np.ones(n, bool)] + passed[:-1]
    # first sales touch (hours) and the lead's start of the clock
    sales_touch = is_sales[code]
    first_sales = np.full(n, np.nan)
    if sales_touch.any():
        fs = pd.Series(ts[sales_touch]).groupby(row[sales_touch]).min()
        first_sales[fs.index.to_numpy()] = fs.to_numpy()
    lead = hours("mql_at")
    lead = np.where(np.isnan(lead), hours("lead_at"), lead)
    first_touch = pd.Series(ts).groupby(row).min().reindex(range(n)).to_numpy()
    lead = np.where(np.isnan(lead), first_touch, lead)
    # stage boundaries: one rule for every journey (passed or not), the rule that best places
    # the observed milestones of the journeys that passed (see _stage_boundary)
    boundaries, rules = [], []
    prev = np.where(np.isnan(first_sales), lead, first_sales)
    for m in milestones:
        b, rule = _stage_boundary(m, prev, ts, row, code, n, n_ch)
        boundaries.append(b)
        rules.append(rule)
        prev = b
    K = len(milestones) + 1
    counts = np.zeros((K, n, n_ch), dtype=np.int64)
    for k in range(K):
        sel = np.ones(len(t), bool) if k == K - 1 else ts < boundaries[k][row]
        counts[k] = np.bincount(row[sel] * n_ch + code[sel], minlength=n * n_ch).reshape(n, n_ch)
    b1 = boundaries[0] if boundaries else np.full(n, np.inf)
    early = sales_touch & (ts < b1[row])
    early_sales = np.zeros((n, n_ch), bool)
    early_sales[row[early], code[early]] = True
    # covariates
    cov, names = [], []
    acc = None
    if accounts is not None and "account_id" in accounts.columns:
        acc = (link[["account_id"]].merge(accounts.drop_duplicates("account_id"), on="account_id",
                                          how="left"))
    if acc is not None and "segment" in acc.columns:
        seg = acc["segment"].astype(str).fillna("unknown")
        for s in sorted(seg.unique())[1:]:
            cov.append((seg == s).to_numpy(float))
            names.append(f"segment[{s}]")
    if acc is not None and "size" in acc.columns:
        size = pd.to_numeric(acc["size"], errors="coerce").to_numpy(float)
        ls = np.log1p(np.where(np.isfinite(size) & (size >= 0), size, np.nan))
        cov.append(np.nan_to_num(ls - np.nanmean(ls)))
        names.append("log_size")
    integrated = None
    if acc is not None and "integrated" in acc.columns:
        integrated = acc["integrated"].fillna(False).astype(bool).to_numpy(float)
        cov.append(integrated)
        names.append("integrated")
    mkt = np.zeros(n)
    if "source_team" in link.columns:
        mkt = (link["source_team"].astype(str) == "marketing").to_numpy(float)
        cov.append(mkt)
        names.append("marketing_sourced")
    # follow-up: marketing-sourced lead contacted by sales; log hours to first contact, spline
    delay = np.log(np.clip(np.nan_to_num(first_sales - lead, nan=1.0), 1 / 60, None))
    fu = [mkt, mkt * (np.clip(delay, _KNOTS[0], _KNOTS[1]) - _KNOTS[1]),
          mkt * np.clip(delay - _KNOTS[1], 0, _KNOTS[2] - _KNOTS[1])]
    fu_names = ["contacted_mql", "contacted_mql*log_hours_5min-1h",
                "contacted_mql*log_hours_1h-24h"]
    if integrated is not None:
        fu.append(mkt * integrated)
        fu_names.append("contacted_mql*integrated")
    conv_value = (pd.to_numeric(link["revenue"], errors="coerce").to_numpy(float)
                  if "revenue" in link.columns else np.full(n, np.nan))
    if "conversion_value" in t.columns:
        cv = t.groupby("journey_id")["conversion_value"].max().reindex(ids).to_numpy(float)
        conv_value = np.where(np.isfinite(cv) & (cv > 0), cv, conv_value)
    conv_value = np.where(won & np.isfinite(conv_value), conv_value, np.nan)
    seg_key = (acc["segment"].astype(str).to_numpy() if acc is not None and "segment" in acc.columns
               else np.zeros(n))
    mean_v = pd.Series(conv_value).groupby(seg_key).transform("mean").to_numpy()
    overall = np.nanmean(conv_value) if np.isfinite(conv_value).any() else 0.0
    value = np.where(np.isfinite(conv_value), conv_value, np.where(np.isfinite(mean_v), mean_v, overall))
    return _Journeys(channels=list(channels), is_sales=is_sales, counts=counts, first=first,
                     last=last, early_sales=early_sales,
                     covariates=np.column_stack(cov) if cov else np.zeros((n, 0)),
                     covariate_names=names, followup=np.column_stack(fu), followup_names=fu_names,
                     reached=np.array(reached), passed=np.array(passed), won=won, value=value,
                     journey_id=ids, stage_names=[*stages, "won"], milestone_rules=rules)


def _stage_boundary(m: np.ndarray, prev: np.ndarray, ts: np.ndarray, row: np.ndarray,
                    code: np.ndarray, n: int, n_ch: int) -> tuple[np.ndarray, str]:
    """Boundary (hours) of a stage for **every** journey, placed by one rule; and the rule.

    ``m`` is the observed milestone (NaN for the journeys that did not pass). Candidate rules:
    ``gap`` = previous boundary + the median gap to the milestone among the journeys that have
    it; ``later`` = just before the journey's first touch of a "later-stage" channel (one that
    no journey with the milestone touched before it), else ``gap``; ``later_minus_lag`` = that
    touch minus the median lag from the milestone to it (not before the previous boundary), else
    ``gap``; ``min`` = the earlier of ``gap`` and ``later``. Each rule is scored on the journeys
    that *have* the milestone, and the rule that puts the fewest of their touches on the wrong
    side of it is used. The chosen rule then places the boundary of every journey, those that
    passed included: features measured one way whatever the outcome (the observed milestone
    only for the journeys that passed would make the measurement depend on the outcome; the
    touch timing of journeys that passed and failed a stage is assumed alike up to the stage's
    end). Returns ``(inf, "none")`` when no journey has the milestone.
    """
    obs = ~np.isnan(m)
    if not obs.any():
        return np.full(n, np.inf), "none"
    gap = max(float(np.nanmedian((m - prev)[obs])), 0.0)
    by_gap = prev + gap
    before, after = np.zeros(n_ch), np.zeros(n_ch)
    pass_touch = obs[row]
    np.add.at(before, code[pass_touch & (ts < m[row])], 1)
    np.add.at(after, code[pass_touch & (ts >= m[row])], 1)
    later = (before == 0) & (after > 0)
    cap = np.full(n, np.inf)
    lt = later[code]
    if lt.any():
        fl = pd.Series(ts[lt]).groupby(row[lt]).min()
        cap[fl.index.to_numpy()] = fl.to_numpy() - 1e-6
    has_cap = np.isfinite(cap)
    lag = (float(np.median((cap - m)[obs & has_cap])) if (obs & has_cap).any() else 0.0)
    shifted = np.maximum(cap - max(lag, 0.0), prev)
    rules = {"gap": by_gap, "later": np.where(has_cap, cap, by_gap),
             "later_minus_lag": np.where(has_cap, shifted, by_gap),
             "min": np.minimum(by_gap, cap)}
    truth_side = ts < np.where(obs, m, np.inf)[row]
    wrong = {name: int(((ts < b[row]) != truth_side)[pass_touch].sum()) for name, b in rules.items()}
    best = min(wrong, key=lambda k: (wrong[k], k))
    return rules[best], best


class JourneyIncremental(BaseEstimator):
    """Signed counterfactual-removal credit from a per-stage funnel model (module docstring).

    Args:
        journeys: the touches table (or :class:`smlib.journeys.Journeys` object, whose
            ``journeys`` table links each journey to its opportunity).
        opportunities: the opportunities table (``account_id``, ``closed_at``, ``outcome``;
            ``sql_at``, ``opportunity_at``, ``mql_at``/``lead_at``, ``source_team``, ``revenue``
            when present).
        accounts: optional accounts table (``account_id``, ``segment``, ``size``, ``integrated``).
        C: inverse L2 penalty of every stage's logistic regression (journey-weighted likelihood);
            weak by default, so the fit is close to maximum likelihood.
        order: ``"auto"`` (default): choose among :data:`SPECS` (no order features, the
            hand-off order, every ordered pair "a before b") by the credit-targeted rule of the
            module docstring; ``False`` / ``"handoff"`` / ``True`` force ``funnel`` /
            ``funnel+handoff`` / ``funnel+order``.
        channel_teams: channel → team map (default: the touches' ``team`` column).
        n_threads: BLAS threads.

    ``fit(paths=None)`` takes the path table only to keep the registry's call contract (the
    journeys carry everything). Fitted attributes: ``models_`` (one LogisticRegression per
    stage), ``stage_names_``, ``milestone_rules_`` (milestone → the rule placing every
    journey's stage boundary), ``channels_``, ``feature_names_``, ``removal_effects_`` (channel,
    journeys_exposed, conversions_lost, value_lost, removal_effect), ``credit_`` (channel,
    conversions, value, share, incremental_conversions, incremental_value), ``cv_results_`` (one
    row per candidate specification, the chosen one first: candidate, features, the 3-fold
    cross-validated log loss of P(won) (mean, std, per fold; fold 0 only when screened),
    compared_with (the candidate chosen so far when it was tested), loss_gap and loss_gap_se
    (mean per-journey held-out loss minus compared_with's, and its paired standard error),
    screened, credit_spread (of its own per-fold shares), credit_distance and distance_spread
    (to compared_with's cross-fitted credit; NaN when not compared), fit_seconds, chosen, rank),
    ``best_candidate_`` ("funnel", "funnel+handoff" or "funnel+order"), ``selection_reason_``
    (why: "changes_credit" (a richer candidate passed both tests), "fits_no_better",
    "same_credit" (one predicted better but did not move the credit beyond noise), "forced"
    (``order`` given), "one_channel", "not_fittable" (a richer candidate could not be fitted on
    a fold, e.g. a tiny export: the simpler one is kept)), ``crossfit_credit_`` (candidate,
    fold, channel, share: the cross-fitted credit the rule compared; empty when one candidate
    ran), ``n_journeys_``.
    """

    #: True: the intervals were measured to cover the simulator's truth
    #: (benchmarks/coverage_attribution.py; docs/sources.md §3.7).
    intervals_calibrated: bool = True

    def __init__(self, journeys: Any = None, opportunities: pd.DataFrame | None = None,
                 accounts: pd.DataFrame | None = None, C: float = 1.0, order: bool | str = "auto",
                 channel_teams: Mapping[str, str] | None = None, random_state: int = 0,
                 n_threads: int = 1) -> None:
        self.journeys = journeys
        self.opportunities = opportunities
        self.accounts = accounts
        self.C = C
        self.order = order
        self.channel_teams = channel_teams
        self.random_state = random_state
        self.n_threads = n_threads

    # -- design ---------------------------------------------------------------------------
    def _design(self, k: int, removed: np.ndarray | None = None,
                rows: np.ndarray | None = None) -> np.ndarray:
        """Stage-k features of the journeys (a row subset; the ``removed`` channels deleted)."""
        d = self._data
        sl = slice(None) if rows is None else rows
        counts, first, last = d.counts[k][sl], d.first[sl], d.last[sl]
        early = d.early_sales[sl]
        if removed is not None and removed.any():
            counts, first, last, early = counts.copy(), first.copy(), last.copy(), early.copy()
            counts[:, removed], first[:, removed], last[:, removed] = 0, np.inf, -np.inf
            early[:, removed] = False
        exposed = np.isfinite(first)
        contacted = early.any(axis=1).astype(float)
        parts = [np.log1p(counts), exposed.astype(float)]
        if "handoff" in self._blocks:  # the other team touched the journey before c's first touch
            inf = np.full(len(first), np.inf)
            first_mkt = first[:, ~d.is_sales].min(axis=1) if (~d.is_sales).any() else inf
            first_sales = first[:, d.is_sales].min(axis=1) if d.is_sales.any() else inf
            other = np.where(d.is_sales[None, :], first_mkt[:, None], first_sales[:, None])
            parts.append((other < first).astype(float))
        if "order" in self._blocks:
            n_ch = counts.shape[1]
            before = first[:, :, None] < last[:, None, :]
            parts.append(before[:, ~np.eye(n_ch, dtype=bool)].astype(float))
        parts.append(d.covariates[sl])
        parts.append(d.followup[sl] * contacted[:, None])
        return np.hstack(parts)

    def _names(self) -> list[str]:
        ch = self._data.channels
        names = [f"log1p_count[{c}]" for c in ch] + [f"exposed[{c}]" for c in ch]
        if "handoff" in self._blocks:
            names += [f"after_other_team[{c}]" for c in ch]
        if "order" in self._blocks:
            names += [f"before[{a},{b}]" for a in ch for b in ch if a != b]
        return names + self._data.covariate_names + self._data.followup_names

    # -- fit ------------------------------------------------------------------------------
    def fit(self, paths: Any = None) -> "JourneyIncremental":
        """Fit every stage, compute the credit; returns self."""
        if not (isinstance(self.C, (int, float)) and np.isfinite(self.C) and self.C > 0):
            raise ValueError(f"incremental (journeys): C must be a positive number, got {self.C!r}")
        if not (self.order is True or self.order is False or self.order in ("auto", "handoff")):
            raise ValueError("incremental (journeys): order must be True, False, 'handoff' or "
                             f"'auto', got {self.order!r}")
        if self.journeys is None or self.opportunities is None:
            raise ValueError("incremental (journeys): give journeys= (touches) and opportunities=")
        if not journey_inputs_available(self.journeys, self.opportunities):
            raise ValueError("incremental (journeys): the touches need journey_id, account_id, "
                             "timestamp, channel, converted; the opportunities account_id, "
                             "closed_at, outcome, with both won and lost closed deals")
        self._data = d = _prepare(self.journeys, self.opportunities, self.accounts,
                                  self.channel_teams)
        self.channels_ = list(d.channels)
        self.stage_names_ = list(d.stage_names)
        self.milestone_rules_ = dict(zip(d.stage_names, d.milestone_rules))
        self.n_journeys_ = int(len(d.won))
        with threadpool_limits(limits=self.n_threads):
            self.cv_results_, self.crossfit_credit_, self.selection_reason_ = \
                self._cross_validate()
            self.best_candidate_ = str(self.cv_results_["candidate"].iloc[0])
            self._blocks = SPECS[self.best_candidate_]
            self.models_ = [self._fit_stage(k, np.ones(len(d.won))) for k in range(len(d.stage_names))]
        self.feature_names_ = self._names()
        self.model_ = self.models_[-1]
        self._cache: dict[str, Any] = {}
        lost, lost_v = self._lost(self._betas()[None])
        self._set_credit(lost[0], lost_v[0])
        return self

    def _fit_stage(self, k: int, w: np.ndarray, warm: LogisticRegression | None = None
                   ) -> LogisticRegression:
        d = self._data
        rows = np.flatnonzero(d.reached[k] & (w > 0))
        y = d.passed[k][rows]
        if len(np.unique(y)) < 2:
            raise ValueError(f"incremental (journeys): stage {d.stage_names[k]!r} has only one "
                             "outcome among the closed journeys that reached it; too little data")
        model = LogisticRegression(C=self.C, max_iter=5000, tol=1e-8)
        return model.fit(self._design(k, rows=rows), y, sample_weight=w[rows])

    def _candidates(self) -> tuple[list[str], str]:
        """The specifications to cross-validate and, when the choice is not the rule's, why."""
        if self.order is True or self.order is False or self.order == "handoff":
            return [FORCED[self.order]], "forced"
        n_ch = len(self._data.channels)
        if n_ch < 2:
            return ["funnel"], "one_channel"
        if n_ch > ORDER_MAX_CHANNELS:  # C·(C−1) pair features per stage: not tried
            return ["funnel", "funnel+handoff"], ""
        return list(SPECS), ""

    def _cross_validate(self, k_folds: int = 3) -> tuple[pd.DataFrame, pd.DataFrame, str]:
        """Cross-fit the candidate specifications on the same journey folds and choose one.

        Returns ``(cv_results_, crossfit_credit_, selection_reason_)``, the chosen candidate in
        the first row (the rule: module docstring).
        """
        d = self._data
        n, n_ch = len(d.won), len(d.channels)
        rng = np.random.default_rng(self.random_state)
        fold = rng.integers(0, k_folds, n)
        names, reason = self._candidates()
        loss = {nm: np.full(n, np.nan) for nm in names}
        shares = {nm: np.full((k_folds, n_ch), np.nan) for nm in names}
        seconds = dict.fromkeys(names, 0.0)

        def run_fold(name: str, f: int) -> None:
            t0 = perf_counter()
            self._blocks = SPECS[name]
            w = (fold != f).astype(float)
            betas = np.stack([np.r_[m.intercept_, m.coef_.ravel()] for m in
                              (self._fit_stage(k, w) for k in range(len(d.stage_names)))])
            test = np.flatnonzero(fold == f)
            p = np.clip(self._p(betas[None], rows=test)[0], 1e-12, 1 - 1e-12)
            y = d.won[test]
            loss[name][test] = -(y * np.log(p) + (1 - y) * np.log(1 - p))
            if len(names) > 1:  # the cross-fitted credit: shares on the held-out journeys
                lost = self._lost(betas[None], rows=test)[0][0]
                shares[name][f] = lost / lost.sum() if lost.sum() > 0 else np.nan
            seconds[name] += perf_counter() - t0

        def paired(name: str, ref: str, on: np.ndarray) -> tuple[float, float]:
            diff = loss[name][on] - loss[ref][on]
            return float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(len(diff)))

        # forward, simplest first: a richer candidate replaces the current choice only when it
        # predicts better by more than one paired standard error AND its cross-fitted credit
        # moves by more than that move's fold-to-fold spread. Racing (Maron & Moore 1994): one
        # whose first-fold loss is worse than the current choice's by more than one paired
        # standard error is not fitted on the other folds (it could hardly be chosen).
        chosen, rows, verdicts = names[0], [], []
        for name in names:
            ref = chosen
            try:
                run_fold(name, 0)
                first_gap, first_se = paired(name, ref, fold == 0) if name != ref else (0.0, 0.0)
                screened = first_gap > first_se
                if not screened:
                    for f in range(1, k_folds):
                        run_fold(name, f)
            except ValueError:
                if name == names[0]:  # the simplest specification: as before, too little data
                    raise
                reason = "not_fittable"  # e.g. a fold of a small export: keep the simpler one
                continue
            on = fold == 0 if screened else np.ones(n, bool)
            gap, se = paired(name, ref, on) if name != ref else (0.0, 0.0)
            fl = [float(loss[name][fold == f].mean()) for f in range(1 if screened else k_folds)]
            spread = (credit_spread(shares[name]) if len(names) > 1 and not screened else np.nan)
            compared = name != ref and not screened
            delta = shares[name] - shares[ref]  # per fold, on the same held-out journeys
            dist = float(np.abs(delta.mean(axis=0)).sum()) if compared else np.nan
            noise = credit_spread(delta) if compared else np.nan
            if name != ref:
                better = not screened and gap < -se
                moves = better and dist > noise
                verdicts.append("changes_credit" if moves else
                                "same_credit" if better else "fits_no_better")
                if moves:
                    chosen = name
            rows.append({
                "candidate": name, "features": "+".join(SPECS[name]) or "-",
                "mean_log_loss": float(np.mean(fl)),
                "std_log_loss": float(np.std(fl, ddof=1)) if len(fl) > 1 else np.nan,
                **{f"fold_{k}": (fl[k] if k < len(fl) else np.nan) for k in range(k_folds)},
                "compared_with": ref, "loss_gap": gap, "loss_gap_se": se, "screened": screened,
                "credit_spread": spread, "credit_distance": dist, "distance_spread": noise,
                "fit_seconds": seconds[name]})
        out = pd.DataFrame(rows)
        if verdicts:
            reason = ("changes_credit" if chosen != names[0] else
                      "same_credit" if "same_credit" in verdicts else "fits_no_better")
        out["chosen"] = out["candidate"] == chosen
        out = out.sort_values("chosen", ascending=False, kind="stable").reset_index(drop=True)
        out["rank"] = np.arange(1, len(out) + 1)
        done = [nm for nm in out["candidate"] if np.isfinite(shares[nm]).all()]
        crossfit = pd.DataFrame([{"candidate": nm, "fold": k, "channel": ch,
                                  "share": float(shares[nm][k, j])}
                                 for nm in done for k in range(k_folds)
                                 for j, ch in enumerate(d.channels)],
                                columns=["candidate", "fold", "channel", "share"])
        return out, crossfit, reason

    def _betas(self) -> np.ndarray:
        """(K, d + 1) stacked [intercept, coef] of the fitted stages."""
        return np.stack([np.r_[m.intercept_, m.coef_.ravel()] for m in self.models_])

    def _p(self, betas: np.ndarray, removed: np.ndarray | None = None,
           rows: np.ndarray | None = None) -> np.ndarray:
        """P(won) for a batch of coefficient sets ``betas`` (B, K, d + 1) → (B, rows)."""
        out = None
        for k in range(betas.shape[1]):
            X = self._design(k, removed, rows)
            pk = special.expit(X @ betas[:, k, 1:].T + betas[:, k, 0]).T
            out = pk if out is None else out * pk
        return out

    def _lost(self, betas: np.ndarray, weights: np.ndarray | None = None,
              rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Expected conversions / value lost per channel, (B, C) each, journeys weighted (only
        the journeys ``rows`` when given, e.g. a held-out fold; ``weights`` then per row)."""
        d = self._data
        rows = np.arange(len(d.won)) if rows is None else np.asarray(rows)
        w = np.ones((len(betas), len(rows))) if weights is None else weights
        full = self._p(betas, rows=rows)
        lost = np.zeros((len(betas), len(d.channels)))
        lost_v = np.zeros_like(lost)
        for j in range(len(d.channels)):
            on = np.flatnonzero(np.isfinite(d.first[rows, j]))
            if not len(on):
                continue
            mask = np.zeros(len(d.channels), bool)
            mask[j] = True
            diff = full[:, on] - self._p(betas, mask, rows[on])
            lost[:, j] = (w[:, on] * diff).sum(axis=1)
            lost_v[:, j] = (w[:, on] * d.value[rows[on]] * diff).sum(axis=1)
        return lost, lost_v

    def _set_credit(self, lost: np.ndarray, lost_v: np.ndarray) -> None:
        d = self._data
        full = self._p(self._betas()[None])[0]
        total, total_v = float(d.won.sum()), float(d.value[d.won].sum())
        conv, value = _scale(lost, total), _scale(lost_v, total_v)
        self.expected_conversions_ = float(full.sum())
        self.removal_effects_ = pd.DataFrame({
            "channel": d.channels, "journeys_exposed": np.isfinite(d.first).sum(axis=0),
            "conversions_lost": lost, "value_lost": lost_v,
            "removal_effect": lost / full.sum()})
        self.credit_ = pd.DataFrame({"channel": pd.Series(d.channels, dtype=object),
                                     "conversions": conv, "value": value,
                                     "share": lost / lost.sum(),
                                     "incremental_conversions": lost,
                                     "incremental_value": lost_v})

    # -- bootstrap ------------------------------------------------------------------------
    @property
    def fast_bootstrap(self) -> bool:
        """Always True: the one-step bootstrap needs no refit per resample."""
        return True

    def bootstrap_draws(self, n_boot: int = 200, seed: int = 0, method: str = "one_step",
                        interval: str = "symmetric") -> BootstrapDraws:
        """Bootstrap replicates of the credit (journeys resampled; one Newton step per stage).

        Each resample draws the closed journeys with replacement (multinomial counts ``w``),
        updates every stage's coefficients by ``β + H⁻¹ ∇ℓ_w(β)`` (``H`` the full-data Hessian of
        the penalised log likelihood) or, with ``method="refit"``, refits every stage, then
        recomputes the removal credit over the resampled journeys and scales it to the
        resample's wins (conversions) and won value (value). Shares per replicate are of the net
        total, as the estimate's.

        ``interval="symmetric"`` (default) returns the replicates reflected through the
        estimate in every other row (:func:`symmetric_draws`), so that every interval read from
        them as percentiles (channels, shares, teams, money) is the symmetric bootstrap interval
        ``estimate ± q``, ``q`` the quantile of the replicates' distance from the estimate: it
        widens with any bias the replicates show (the bias-aware interval) where the percentile
        interval of the raw replicates would move with it; ``"percentile"`` returns the raw
        replicates. Returns a :class:`BootstrapDraws` (``method`` "one_step" or "refit").
        """
        self._check_fitted()
        if not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
            raise ValueError(f"bootstrap: n_boot must be an integer >= 2, got {n_boot!r}")
        if method not in ("one_step", "refit"):
            raise ValueError(f"bootstrap: method must be 'one_step' or 'refit', got {method!r}")
        if interval not in ("symmetric", "percentile"):
            raise ValueError("bootstrap: interval must be 'symmetric' or 'percentile', "
                             f"got {interval!r}")
        d = self._data
        n = len(d.won)
        rng = np.random.default_rng(seed)
        beta = self._betas()
        K = beta.shape[0]
        if "hessians" not in self._cache:
            hs = []
            for k in range(K):
                rows = np.flatnonzero(d.reached[k])
                Z = np.column_stack([np.ones(len(rows)), self._design(k, rows=rows)])
                p = special.expit(Z @ beta[k])
                H = (Z * (p * (1 - p))[:, None]).T @ Z
                H[1:, 1:] += np.eye(Z.shape[1] - 1) / self.C
                hs.append((rows, Z, p, d.passed[k][rows].astype(float), H))
            self._cache["hessians"] = hs
        chunk = max(1, min(n_boot, 4_000_000 // max(n, 1) // 8))
        conv_parts, value_parts = [], []
        with threadpool_limits(limits=self.n_threads):
            for start in range(0, n_boot, chunk):
                b = min(chunk, n_boot - start)
                w = rng.multinomial(n, np.full(n, 1 / n), size=b).astype(float)
                betas = np.empty((b, K, beta.shape[1]))
                for k, (rows, Z, p, y, H) in enumerate(self._cache["hessians"]):
                    if method == "one_step":
                        grad = (w[:, rows] * (y - p)) @ Z
                        grad[:, 1:] -= beta[k, 1:] / self.C
                        betas[:, k] = beta[k] + np.linalg.solve(H, grad.T).T
                    else:
                        for i in range(b):
                            m = self._fit_stage(k, w[i])
                            betas[i, k] = np.r_[m.intercept_, m.coef_.ravel()]
                lost, lost_v = self._lost(betas, w)
                wins = (w * d.won).sum(axis=1)
                won_v = (w * d.value * d.won).sum(axis=1)
                conv_parts.append(_scale(lost, wins))
                value_parts.append(_scale(lost_v, won_v))
        conv, value = np.vstack(conv_parts), np.vstack(value_parts)
        if interval == "symmetric":
            conv = symmetric_draws(conv, self.credit_["conversions"].to_numpy(float))
            value = symmetric_draws(value, self.credit_["value"].to_numpy(float))
        return BootstrapDraws(tuple(d.channels), conv, value, self.credit_, method, n)

    def bootstrap(self, n_boot: int = 200, seed: int = 0, level: float = 0.95,
                  method: str = "one_step", interval: str = "symmetric") -> pd.DataFrame:
        """Intervals at ``level`` from :meth:`bootstrap_draws` (columns of
        ``uncertainty.bootstrap``): symmetric around the estimate by default, percentile with
        ``interval="percentile"``."""
        if not 0 < level < 1:
            raise ValueError(f"bootstrap: level must be in (0, 1), got {level!r}")
        dr = self.bootstrap_draws(n_boot, seed, method, interval)
        return interval_frame(self.credit_, self.channels_, dr.conversions, dr.value, level,
                              n_boot=n_boot, method=dr.method, n_journeys=dr.n_journeys)

    # -- counterfactuals --------------------------------------------------------------------
    def expected_conversions(self, remove: Iterable[str] = ()) -> tuple[float, float]:
        """Expected conversions and value over the closed journeys with ``remove`` deleted."""
        self._check_fitted()
        remove = list(remove)
        unknown = sorted(set(remove) - set(self.channels_))
        if unknown:
            raise ValueError(f"remove: unknown channel(s) {unknown}; the model knows {self.channels_}")
        p = self._p(self._betas()[None], np.isin(self.channels_, remove))[0]
        return float(p.sum()), float((p * self._data.value).sum())

    def team_effects(self, channel_teams: Mapping[str, str] | pd.DataFrame | None = None
                     ) -> pd.DataFrame:
        """Marketing = Σ(P_M − P_0), sales = Σ(P_S − P_0), shared = the interaction (the
        simulator truth's definition; P_0 = every channel removed). Columns team,
        incremental_conversions, incremental_revenue, share."""
        self._check_fitted()
        teams = channel_team_map(channel_teams)
        unknown = sorted(set(self.channels_) - set(teams))
        if unknown:
            raise ValueError(f"channel_teams: no team for channel(s) {unknown}")
        mkt = [c for c in self.channels_ if teams[c] == "marketing"]
        sales = [c for c in self.channels_ if teams[c] == "sales"]
        ms, m_only = self.expected_conversions(), self.expected_conversions(sales)
        s_only, zero = self.expected_conversions(mkt), self.expected_conversions(self.channels_)
        rows = {"marketing": [m_only[i] - zero[i] for i in (0, 1)],
                "sales": [s_only[i] - zero[i] for i in (0, 1)],
                "shared": [ms[i] - m_only[i] - s_only[i] + zero[i] for i in (0, 1)]}
        out = pd.DataFrame([{"team": t, "incremental_conversions": v[0],
                             "incremental_revenue": v[1]} for t, v in rows.items()])
        out["share"] = out["incremental_conversions"] / out["incremental_conversions"].sum()
        return out

    def journey_type_fractions(self, channel_teams: Mapping[str, str] | pd.DataFrame | None = None
                               ) -> dict[str, pd.DataFrame]:
        """Fraction of each channel's removal credit earned on marketing-only, sales-only and
        mixed journeys (NaN where the channel's total is 0)."""
        self._check_fitted()
        teams = channel_team_map(channel_teams)
        d = self._data
        is_mkt = np.array([teams.get(c) == "marketing" for c in d.channels])
        exposed = np.isfinite(d.first)
        has_m, has_s = exposed[:, is_mkt].any(axis=1), exposed[:, ~is_mkt].any(axis=1)
        jtype = np.select([has_m & has_s, has_m], ["mixed", "marketing_only"], "sales_only")
        beta = self._betas()[None]
        full = self._p(beta)[0]
        D = np.zeros(exposed.shape)
        for j in range(len(d.channels)):
            on = np.flatnonzero(exposed[:, j])
            mask = np.zeros(len(d.channels), bool)
            mask[j] = True
            D[on, j] = full[on] - self._p(beta, mask, on)[0]
        out = {}
        for col, w in (("conversions", np.ones(len(full))), ("value", d.value)):
            per = pd.DataFrame({jt: (w * (jtype == jt)) @ D for jt in JOURNEY_TYPES},
                               index=pd.Index(d.channels, name="channel"))
            total = per.sum(axis=1)
            out[col] = per.div(total.where(total != 0), axis=0)
        return out

    def _check_fitted(self) -> None:
        if not hasattr(self, "models_"):
            raise ValueError("JourneyIncremental is not fitted yet; call fit() first")


def symmetric_draws(draws: np.ndarray, estimate: np.ndarray) -> np.ndarray:
    """Bootstrap replicates (rows) reflected through ``estimate`` in every other row.

    Row ``i`` becomes ``estimate + (−1)^i · (draws_i − estimate)``: each replicate's distance
    from the estimate is kept and half of them are turned to the other side, whole rows at a
    time (so sums, shares and team shares of a row move together). The percentile interval of
    the result at any level is then, to first order, the **symmetric bootstrap interval**
    ``estimate ± q``, ``q`` the level quantile of ``|θ* − θ̂|`` (Hall, P. (1988), "On symmetric
    bootstrap confidence intervals", *JRSS B* 50(1):35-45), for every function of a row. Where
    the replicates sit around ``θ̂ + b`` with spread ``se``, ``q = cv(|b| / se) · se`` with
    ``cv(t)`` the quantile of ``|N(t, 1)|``: the bias-aware critical value of Armstrong &
    Kolesár (2020), "Simple and honest confidence intervals in nonparametric regression",
    *Quantitative Economics* 11(1):1-39, with the bootstrap's bias in place of a bias bound. So
    the interval is centred on the estimate, as wide as the normal one when the bootstrap finds
    no bias and wider when it finds some, where the plain percentile interval would move with
    the bias (or the skew) of the replicates instead.
    """
    draws = np.asarray(draws, float)
    estimate = np.asarray(estimate, float)
    if draws.ndim != 2 or estimate.shape != (draws.shape[1],):
        raise ValueError(f"symmetric_draws: draws must be (n_boot, k) and estimate (k,), got "
                         f"{draws.shape} and {estimate.shape}")
    sign = np.where(np.arange(len(draws)) % 2 == 0, 1.0, -1.0)[:, None]
    return estimate + sign * (draws - estimate)


def selection_sentence(fitted: Any, language: str = "en") -> str:
    """One sentence saying which specification :class:`JourneyIncremental` chose and why.

    ``fitted``: a fitted :class:`JourneyIncremental`, or what holds one under "incremental": a
    mapping, an object's ``fitted`` mapping (a comparison) or ``comparison.fitted`` (report 01's
    ``AttributionReport``), so a notebook cell needs no logic. Returns ``""`` when there is no
    fitted journey model (the path model ran instead, or no data-driven model ran): the report
    then says nothing about this choice. Text from the catalogue keys
    ``attribution.nb.cv.selection_<reason>`` (``selection_reason_``).
    """
    lang = validate_language(language)
    model = fitted
    if not isinstance(model, JourneyIncremental):
        holder = getattr(model, "comparison", model)
        found = holder if isinstance(holder, Mapping) else getattr(holder, "fitted", None)
        model = found.get("incremental") if isinstance(found, Mapping) else None
    if not isinstance(model, JourneyIncremental) or not hasattr(model, "selection_reason_"):
        return ""

    def name(candidate: str) -> str:
        return specification_label(candidate, lang)

    cv = model.cv_results_.set_index("candidate")
    row = cv.loc[model.best_candidate_]
    values: dict[str, str] = {"candidate": name(model.best_candidate_)}
    if model.selection_reason_ == "changes_credit":
        values.update(compared=name(str(row["compared_with"])),
                      gap_se=format_number(-row["loss_gap"] / row["loss_gap_se"], 1, lang),
                      distance=format_number(100 * row["credit_distance"], 1, lang),
                      spread=format_number(100 * row["distance_spread"], 1, lang))
    return text(f"attribution.nb.cv.selection_{model.selection_reason_}", lang, **values)


def specification_label(name: str, language: str = "en") -> str:
    """A specification of :data:`SPECS` (``"funnel+handoff"``), or one of the feature blocks it
    adds (``"handoff"``, ``"order"``), in words of the report's language (catalogue
    ``attribution.nb.cv.candidate_*`` / ``feature_*``). ValueError for anything else."""
    lang = validate_language(language)
    if name in SPECS:
        return text("attribution.nb.cv.candidate_" + name.replace("+", "_"), lang)
    if any(name in blocks for blocks in SPECS.values()):
        return text(f"attribution.nb.cv.feature_{name}", lang)
    raise ValueError(f"specification_label: {name!r} is neither a specification of {list(SPECS)} "
                     "nor one of their feature blocks")


def _scale(lost: np.ndarray, total: np.ndarray | float) -> np.ndarray:
    """Signed credit scaled to ``total``: ``lost / Σ lost · total`` (rows of a batch)."""
    lost = np.asarray(lost, float)
    s = lost.sum(axis=-1, keepdims=True)
    tot = np.asarray(total, float)[..., None] if np.ndim(total) else total
    return np.divide(lost, s, out=np.full_like(lost, np.nan), where=s > 0) * tot


def journey_incremental(paths: Any = None, **params: Any) -> pd.DataFrame:
    """Credit of :class:`JourneyIncremental` (``journeys=``, ``opportunities=``, ``accounts=``
    …): ``channel, conversions, value, share, incremental_conversions, incremental_value``."""
    return JourneyIncremental(**params).fit(paths).credit_
