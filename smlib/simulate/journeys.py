"""Accounts and their planned journeys (touches and funnel milestones), fully vectorised.

Timeline of one account, in days (t0 = its first touch, uniform over the data window minus
``tail_days``):

- pre-lead: marketing-sourced leads get 1 + Poisson(2) marketing touches over ``L ~ U(1, 14)``
  days, the last one a ``form_fill`` that creates the lead; sales-sourced accounts that meet
  marketing get Poisson(1) anonymous touches before the SDR's first touch, which creates the lead;
- ``mql_at`` = lead + U(0.1, 4) h for marketing leads (all inbound leads are passed to sales:
  "61 % of marketers send all leads straight to sales", MarketingSherpa 2012); sales-sourced leads
  have no MQL;
- first sales contact = MQL + delay (regime dependent, see :func:`funnel.delay_hours`); every
  later touch (both teams) is placed on this "contact clock", so the regime shifts the whole
  post-contact journey without changing the order of touches;
- qualification U(2, 10) days: first contact (SDR call 70 % / email 30 %) + Poisson(1.5) SDR
  touches, then ``sql_at``; discovery U(2, 8) days with 1 + Poisson(0.5/0.8/1.2) AE meetings, then
  ``opportunity_at``; opportunity phase of U(7, 25) / U(15, 40) / U(25, 45) days by segment (smb /
  mid-market / enterprise) with demos (80 % one, plus a second for 15/30/50 %), Poisson(0.3/0.7/1.2)
  more AE meetings and a proposal (70 %) late in the phase, then ``closed_at``;
- marketing nurture touches (Poisson(1.5), at least one touch for sales-sourced accounts that meet
  marketing) anywhere on the contact clock before the close.

A journey spans at most ~85 days, inside the default 90-day lookback (config.DEFAULT_LOOKBACK_DAYS),
so the journey the workbook rebuilds from the tables is the journey the truth was computed on.
Sales cycles are therefore shorter than Bridge Group's 60-72 day medians (lead to close here is
~20-60 days); touches per journey ~10 (Demand Metric "just over 5", agency data up to 28.87).
Touches are planned for every account and emitted whether or not the lead passes each stage
(engagement continues until the close); sales touches of a lead sales never works are not emitted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smlib.simulate.params import CH, CHANNELS, N_MKT, Params

HOUR = 1.0 / 24.0
#: Channel mix of marketing touches before the lead / during nurture (assumption).
PRE_LEAD_MIX = {"paid_search": .24, "paid_social": .16, "email": .08, "webinar": .10, "events": .07,
                "content_seo": .22, "direct": .13}
NURTURE_MIX = {"paid_search": .05, "paid_social": .08, "email": .40, "webinar": .17, "events": .08,
               "content_seo": .17, "direct": .05}
SIZE_MEDIAN = np.array([40.0, 500.0, 5000.0])
SIZE_BOUNDS = np.array([[1, 199], [200, 1999], [2000, 300_000]])
CYCLE_DAYS = np.array([[7.0, 25.0], [15.0, 40.0], [25.0, 45.0]])
AE_DISCOVERY = np.array([0.5, 0.8, 1.2])
AE_OPP = np.array([0.3, 0.7, 1.2])
SECOND_DEMO = np.array([0.15, 0.30, 0.50])


@dataclass
class Accounts:
    """Per-account draws. Times in days since the data start."""

    unit: np.ndarray
    segment: np.ndarray
    size: np.ndarray
    t0: np.ndarray
    start_month: np.ndarray
    integrated: np.ndarray
    deal: np.ndarray
    gross_margin: np.ndarray
    marketing_sourced: np.ndarray
    has_marketing: np.ndarray
    u_never: np.ndarray
    u_delay: np.ndarray
    u_stage: np.ndarray
    pre_days: np.ndarray       # L: first touch -> lead
    mql_lag: np.ndarray        # lead -> MQL (0 for sales-sourced)
    qual_days: np.ndarray      # contact -> sql
    disc_days: np.ndarray      # sql -> opportunity
    cycle_days: np.ndarray     # opportunity -> close


@dataclass
class Touches:
    """Planned touches; ``x`` is days after t0 on the pre-lead clock or after first contact."""

    acc: np.ndarray
    x: np.ndarray
    contact_clock: np.ndarray
    channel: np.ndarray
    window: np.ndarray        # 0 before sql, 1 sql..opportunity, 2 opportunity..close
    form_fill: np.ndarray


def draw_accounts(rng: np.random.Generator, p: Params, unit_draws: dict[str, np.ndarray],
                  month_offsets: np.ndarray, window_days: float) -> Accounts:
    """Draw account attributes, timing and common random numbers (see module doc)."""
    n = p.n_accounts
    ms = unit_draws["market_size"]
    unit = rng.choice(len(ms), size=n, p=ms / ms.sum())
    q = unit_draws["quality"][unit]
    logits = np.log(np.asarray(p.segment_mix))[None, :] + p.segment_quality_tilt * q[:, None] * [0, .5, 1]
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    segment = (rng.random(n)[:, None] > np.cumsum(probs, axis=1)[:, :2]).sum(axis=1).astype(np.int8)
    size = np.exp(np.log(SIZE_MEDIAN[segment]) + 0.6 * rng.standard_normal(n))
    size = np.clip(np.round(size), SIZE_BOUNDS[segment, 0], SIZE_BOUNDS[segment, 1]).astype(np.int64)
    t0 = rng.uniform(0.0, window_days - p.tail_days, n)
    start_month = np.searchsorted(month_offsets, t0, side="right") - 1
    g = unit_draws["adoption"][unit]
    covered = rng.random(n) < np.asarray(p.integration_coverage)[segment]
    integrated = (g >= 0) & (g <= start_month) & covered
    median = np.asarray(p.deal_size_median)[segment]
    deal = np.round(median * (size / SIZE_MEDIAN[segment]) ** 0.25 * ms[unit] ** 0.3
                    * np.exp(0.45 * rng.standard_normal(n)), 2)
    gm = np.round(rng.uniform(*p.gross_margin_range, n), 4)
    mkt = rng.random(n) < p.marketing_sourced_share
    has_mkt = mkt | (rng.random(n) < p.sales_sourced_marketing_prob)
    u_never, u_delay = rng.random(n), rng.random(n)
    u_stage = rng.random((3, n))
    pre = np.where(has_mkt, rng.uniform(1.0, 14.0, n), 0.0)
    lag = np.where(mkt, rng.uniform(0.1, 4.0, n) * HOUR, 0.0)
    qual = rng.uniform(2.0, 10.0, n)
    disc = rng.uniform(2.0, 8.0, n)
    cyc = rng.uniform(CYCLE_DAYS[segment, 0], CYCLE_DAYS[segment, 1])
    return Accounts(unit, segment, size, t0, start_month, integrated, deal, gm, mkt, has_mkt,
                    u_never, u_delay, u_stage, pre, lag, qual, disc, cyc)


def _spread(rng: np.random.Generator, counts: np.ndarray, lo: np.ndarray, hi: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Account index repeated ``counts`` times and a uniform time in [lo, hi] of that account."""
    acc = np.repeat(np.arange(len(counts)), counts)
    return acc, rng.uniform(lo[acc], np.maximum(hi[acc], lo[acc]))


def _pick(rng: np.random.Generator, size: int, mix: dict[str, float]) -> np.ndarray:
    return np.array([CH[c] for c in mix], dtype=np.int8)[
        rng.choice(len(mix), size=size, p=np.array(list(mix.values())) / sum(mix.values()))]


def _lam(base: float | np.ndarray, mult: np.ndarray | None) -> float | np.ndarray:
    """Poisson mean ``base``, times the intent multiplier when there is one."""
    return base if mult is None else base * mult


def _prob(base: float | np.ndarray, shift: np.ndarray | None) -> float | np.ndarray:
    """Probability ``base``, its logit shifted by ``shift`` when there is one."""
    if shift is None:
        return base
    return 1.0 / (1.0 + np.exp(-(np.log(base / (1.0 - base)) + shift)))


def plan_touches(rng: np.random.Generator, a: Accounts, intent_log_mult: np.ndarray | None = None
                 ) -> Touches:
    """All planned touches of every account, sorted by account then planned order.

    ``intent_log_mult`` (one value per account, e.g. ``intent_path * intent``; None = off) multiplies
    the Poisson means of the pre-lead, SDR, AE and nurture touch counts by its exponential and shifts
    the demo probabilities by it on the logit scale (:mod:`smlib.simulate.mechanisms`). The random
    draws are the same calls either way, so None reproduces the default journeys exactly.
    """
    n = len(a.t0)
    mult = None if intent_log_mult is None else np.exp(intent_log_mult)
    shift = intent_log_mult
    seg = a.segment
    q_end = a.qual_days
    o_start = q_end + a.disc_days
    close = o_start + a.cycle_days
    parts: list[tuple] = []  # (acc, x, contact_clock, channel, window, form_fill)

    def add(acc, x, clock, ch, window, form=False):
        parts.append((acc, x, np.full(len(acc), clock), ch, window, np.full(len(acc), form)))

    # pre-lead marketing: extras before the lead, then the form fill that creates a marketing lead
    n_pre = np.where(a.marketing_sourced, rng.poisson(_lam(2.0, mult), n),
                     np.where(a.has_marketing, rng.poisson(_lam(1.0, mult), n), 0))
    acc, x = _spread(rng, n_pre, np.zeros(n), a.pre_days - HOUR)
    add(acc, x, False, _pick(rng, len(acc), PRE_LEAD_MIX), np.zeros(len(acc), np.int8))
    acc = np.flatnonzero(a.marketing_sourced)
    add(acc, a.pre_days[acc], False, _pick(rng, len(acc), PRE_LEAD_MIX),
        np.zeros(len(acc), np.int8), True)
    # first sales contact (creates sales-sourced leads), then qualification touches
    acc = np.arange(n)
    add(acc, np.zeros(n), True,
        np.where(rng.random(n) < 0.7, CH["sdr_call"], CH["sdr_email"]).astype(np.int8),
        np.zeros(n, np.int8))
    acc, x = _spread(rng, rng.poisson(_lam(1.5, mult), n), np.full(n, HOUR), q_end - HOUR)
    add(acc, x, True, np.where(rng.random(len(acc)) < 0.6, CH["sdr_call"], CH["sdr_email"]).astype(np.int8),
        np.zeros(len(acc), np.int8))
    # discovery AE meetings (sql -> opportunity)
    acc, x = _spread(rng, 1 + rng.poisson(_lam(AE_DISCOVERY[seg], mult)), q_end + HOUR, o_start - HOUR)
    add(acc, x, True, np.full(len(acc), CH["ae_meeting"], np.int8), np.ones(len(acc), np.int8))
    # opportunity phase: demos, more AE meetings, proposal
    n_demo = ((rng.random(n) < _prob(0.8, shift)).astype(int)
              + (rng.random(n) < _prob(SECOND_DEMO[seg], shift)))
    acc, x = _spread(rng, n_demo, o_start + HOUR, o_start + 0.6 * a.cycle_days)
    add(acc, x, True, np.full(len(acc), CH["demo"], np.int8), np.full(len(acc), 2, np.int8))
    acc, x = _spread(rng, rng.poisson(_lam(AE_OPP[seg], mult)), o_start + HOUR, o_start + 0.9 * a.cycle_days)
    add(acc, x, True, np.full(len(acc), CH["ae_meeting"], np.int8), np.full(len(acc), 2, np.int8))
    acc, x = _spread(rng, (rng.random(n) < 0.7).astype(int), o_start + 0.6 * a.cycle_days,
                     o_start + 0.95 * a.cycle_days)
    add(acc, x, True, np.full(len(acc), CH["proposal"], np.int8), np.full(len(acc), 2, np.int8))
    # marketing nurture on the contact clock; sales-sourced accounts that meet marketing get >= 1 touch
    n_nur = np.where(a.has_marketing, rng.poisson(_lam(1.5, mult), n), 0)
    n_nur = np.where(a.has_marketing & ~a.marketing_sourced & (n_pre == 0), np.maximum(n_nur, 1), n_nur)
    acc, x = _spread(rng, n_nur, np.full(n, HOUR), close - 0.05 * a.cycle_days)
    window = np.where(x < q_end[acc], 0, np.where(x < o_start[acc], 1, 2)).astype(np.int8)
    add(acc, x, True, _pick(rng, len(acc), NURTURE_MIX), window)

    cols = [np.concatenate(c) for c in zip(*parts)]
    t = Touches(cols[0].astype(np.int64), cols[1], cols[2].astype(bool), cols[3].astype(np.int8),
                cols[4].astype(np.int8), cols[5].astype(bool))
    # planned order: every pre-lead touch precedes the contact clock
    order_key = np.where(t.contact_clock, t.x, t.x - a.pre_days[t.acc] - 1.0)
    idx = np.lexsort((order_key, t.acc))
    return Touches(t.acc[idx], t.x[idx], t.contact_clock[idx], t.channel[idx], t.window[idx],
                   t.form_fill[idx])


def stage_counts(t: Touches, n: int) -> np.ndarray:
    """(3, n, 12) uint8 touch counts of each channel before each stage milestone (cumulative)."""
    nc = len(CHANNELS)
    flat = np.bincount((t.window.astype(np.int64) * n + t.acc) * nc + t.channel,
                       minlength=3 * n * nc).reshape(3, n, nc)
    return np.minimum(np.cumsum(flat, axis=0), 255).astype(np.uint8)


def webinar_before_demo(t: Touches, n: int) -> np.ndarray:
    """True where the account's first planned webinar precedes its first planned demo."""
    # touches are sorted by planned order within account: the first occurrence is the earliest
    first = np.full((n, 2), np.iinfo(np.int64).max)
    pos = np.arange(len(t.acc))
    for j, ch in enumerate((CH["webinar"], CH["demo"])):
        sel = t.channel == ch
        acc_sel, pos_sel = t.acc[sel], pos[sel]
        uniq, first_idx = np.unique(acc_sel, return_index=True)
        first[uniq, j] = pos_sel[first_idx]
    return (first[:, 0] < first[:, 1]) & (first[:, 1] < np.iinfo(np.int64).max)


__all__ = ["Accounts", "Touches", "draw_accounts", "plan_touches", "stage_counts",
           "webinar_before_demo", "N_MKT"]
