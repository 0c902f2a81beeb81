"""Conversion model: P(won | journey) as a product of three logistic funnel stages.

For account j with touch counts ``n_kjc`` of channel c before the milestone of stage k
(k = 1 qualification, before ``sql_at``; k = 2 opportunity, before ``opportunity_at``; k = 3 win,
before ``closed_at``)::

    z_1 = A_1[seg] + sum_c B_1c log(1 + n_1jc) + m_j * contact_j * (acceptance - s * g(delay_j))
    z_2 = A_2[seg] + sum_c B_2c log(1 + n_2jc)
    z_3 = A_3[seg] + sum_c B_3c log(1 + n_3jc) + W * [first webinar before first demo]
          + G * content_use * [webinar or content_seo touch] * [demo or proposal touch]
    P(won | journey) = sigmoid(z_1) * sigmoid(z_2) * sigmoid(z_3)

``m_j`` marks marketing-sourced leads and ``contact_j`` a sales touch before ``sql_at``: sales
acceptance of marketing leads (the MQL -> SQL mechanism) and the cost of slow follow-up act only
when sales actually works the lead. ``g`` interpolates, in log hours, the HBR 2011 / MIT 2007
qualification-odds ratios (5 min: 1, 1 h: 1/7, 24 h and later: 1/60) and ``s`` shrinks them
(``delay_effect_scale``). Sales touches dominate the late stages (AE meetings drive SQL -> opp;
demo, proposal and AE meetings drive opp -> won) and the two interactions are marketing x sales, so
fixed-share rules mis-credit mixed journeys. Every term is a channel exposure, a pairwise or an order
feature, so a logistic model with such features can recover the truth.

Removing a set of channels from a journey drops their exposures and every interaction they take part
in; the outcome draws stay the same (common random numbers).

Switchable mechanisms (order dependence, diminishing returns, recency, a harmful channel, latent
intent) change the exposures, the coefficients, add an order term and an intent shift; they are
described in :mod:`smlib.simulate.mechanisms` and carried by ``FunnelInputs.mechanisms`` (None: the
model above, exactly).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from smlib.simulate.mechanisms import Mechanisms
from smlib.simulate.params import CH, CHANNELS, N_MKT, Params

#: Stage intercepts A_k by segment (smb, mid_market, enterprise), assumption, chosen so that
#: stage rates land in the vendor ranges of docs/sources.md §2 (MQL->SQL 13-40 %, SQL->opp
#: 30-80 %, opp->won 10-35 %, lower for enterprise).
INTERCEPT: np.ndarray = np.array([
    [-1.5, -1.8, -2.1],   # qualification
    [-0.7, -0.9, -1.1],   # opportunity
    [-2.7, -3.2, -3.7],   # win
])
#: Log-odds per log(1 + touches) B_kc, columns in CHANNELS order (assumption).
COEF: np.ndarray = np.array([
    # paid_search paid_social email webinar events content_seo direct | sdr_call sdr_email ae_meeting demo proposal
    [0.45, 0.30, 0.20, 0.45, 0.45, 0.35, 0.35, 1.00, 0.35, 0.00, 0.00, 0.00],
    [0.05, 0.05, 0.05, 0.20, 0.25, 0.10, 0.05, 0.20, 0.05, 1.00, 0.00, 0.00],
    [0.00, 0.00, 0.05, 0.15, 0.20, 0.15, 0.00, 0.05, 0.00, 0.45, 0.95, 1.25],
])
#: Demo after a webinar is worth more (brief), assumption.
WEBINAR_BEFORE_DEMO: float = 0.5
#: Win-stage log-odds gain per unit of content use: moving use from 0.35 to 1.0 multiplies win odds
#: by 1.38 ("38 % higher win rates", MarketingProfs via internalresults; an upper bound).
CONTENT_GAIN: float = math.log(1.38) / 0.65
#: Log-odds ratios of qualification vs contact delay: HBR 2011 (1 h: 1/7, 24 h: 1/60 vs < 1 h);
#: MIT/InsideSales 2007 puts the best response at 5 minutes.
DELAY_POINTS_H: tuple[float, ...] = (5 / 60, 1.0, 24.0)
DELAY_LOG_ODDS: tuple[float, ...] = (0.0, math.log(7.0), math.log(60.0))
#: Spread (log s.d.) of the slow-response tail and its cap (7 days keeps journeys < 90 days).
DELAY_SIGMA: float = 0.8
DELAY_CAP_H: float = 168.0

SALES = np.arange(N_MKT, len(CHANNELS))
HOURS_TO_DAYS = 1.0 / 24.0
LOG1P = np.log1p(np.arange(256.0))


@dataclass(frozen=True)
class Regime:
    """Mechanism values of one regime (see :class:`~smlib.simulate.params.Params`)."""

    never_worked: float
    within_1h: float
    delay_mean_h: float
    acceptance_shift: float
    content_use: float


def regime_at(p: Params, strength: float) -> Regime:
    """Mechanisms moved ``strength`` (0 = misaligned, 1 = best practice) of the way; linear."""
    def mix(pair: tuple[float, float]) -> float:
        return pair[0] + strength * (pair[1] - pair[0])
    return Regime(mix(p.never_worked), mix(p.within_1h), mix(p.delay_mean_h),
                  mix(p.acceptance_shift), mix(p.content_use))


def delay_hours(u: np.ndarray, r: Regime) -> np.ndarray:
    """Hours from MQL to first sales contact as the quantile at ``u`` (common random number).

    A share ``within_1h`` is contacted uniformly within the hour; the rest follow a log-normal with
    mean ``delay_mean_h`` and log s.d. 0.8, capped at 7 days (HBR 2011: 37 % within 1 h, 42 h mean).
    """
    s = r.within_1h
    fast = u < s
    tail_u = np.clip((u - s) / max(1.0 - s, 1e-12), 1e-12, 1 - 1e-12)
    mu = math.log(r.delay_mean_h) - DELAY_SIGMA ** 2 / 2
    slow = np.minimum(np.exp(mu + DELAY_SIGMA * special.ndtri(tail_u)), DELAY_CAP_H)
    slow = np.maximum(slow, 1.0)
    return np.where(fast, u / max(s, 1e-12), slow)


def delay_penalty(hours: np.ndarray, scale: float) -> np.ndarray:
    """``scale * g(hours)``: qualification log-odds lost to slow follow-up (HBR/MIT ratios, shrunk)."""
    return scale * np.interp(np.log(np.maximum(hours, 1e-3)), np.log(DELAY_POINTS_H), DELAY_LOG_ODDS)


@dataclass
class FunnelInputs:
    """Planned journey features per account (all touches, before the sales-work mask).

    ``counts`` has shape (3, n, 12): touches of each channel before each stage's milestone.
    ``webinar_before_demo``: the first planned webinar precedes the first planned demo.
    ``mechanisms``: the switched-on journey mechanisms (None = the default model).
    """

    segment: np.ndarray
    marketing_sourced: np.ndarray
    counts: np.ndarray
    webinar_before_demo: np.ndarray
    mechanisms: Mechanisms | None = None

    def take(self, idx: np.ndarray) -> "FunnelInputs":
        """The accounts at positions ``idx`` (distinct)."""
        return FunnelInputs(self.segment[idx], self.marketing_sourced[idx], self.counts[:, idx],
                            self.webinar_before_demo[idx],
                            None if self.mechanisms is None else self.mechanisms.take(idx))


class Funnel:
    """Stage logits for given sales work, delays and regime; evaluate any set of kept channels."""

    def __init__(self, x: FunnelInputs, worked: np.ndarray, delay_h: np.ndarray,
                 acceptance: np.ndarray | float, content_use: np.ndarray | float,
                 delay_scale: float) -> None:
        self.x = x
        self.worked = worked.astype(bool)
        m = x.mechanisms
        self.base = INTERCEPT[:, x.segment]
        if m is not None and m.intent_shift is not None:
            self.base = self.base + m.intent_shift[None, :]
        coef = COEF if m is None else m.coef
        expo = (m.exposure(len(x.segment), np.asarray(delay_h, float) * HOURS_TO_DAYS)
                if m is not None and m.reshapes_exposure else None)
        # per-stage, per-channel log-odds contributions, sales columns zero when sales did not work it
        self.contrib = []
        for k in range(3):
            c = (LOG1P[x.counts[k]] if expo is None else expo[k]) * coef[k]
            c[:, SALES] *= self.worked[:, None]
            self.contrib.append(c)
        # sales channels touched before sql_at (a first contact happened), 0 if sales never worked it
        self.sales_before_sql = ((x.counts[0][:, SALES] > 0) & self.worked[:, None]).astype(float)
        self.has3 = x.counts[2] > 0
        self.full = [c.sum(axis=1) for c in self.contrib]
        self.sales_term = (x.marketing_sourced
                           * (acceptance - delay_penalty(delay_h, delay_scale)))
        self.content_use = content_use

    def logits(self, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stage logits (z1, z2, z3) with only the channels where ``keep`` is True."""
        removed = np.flatnonzero(~keep)
        # sum of kept contributions = full sum minus the removed columns (cheap for few removals)
        s1, s2, s3 = (self.full[k] - self.contrib[k][:, removed].sum(axis=1) if len(removed)
                      else self.full[k] for k in range(3))
        contact = (self.sales_before_sql @ keep[SALES].astype(float)) > 0
        z1 = self.base[0] + s1 + contact * self.sales_term
        z2 = self.base[1] + s2
        h = self.has3
        w = self.worked
        wd = self.x.webinar_before_demo & w & keep[CH["webinar"]] & keep[CH["demo"]]
        content = (h[:, CH["webinar"]] & keep[CH["webinar"]]) | (h[:, CH["content_seo"]] & keep[CH["content_seo"]])
        late = w & ((h[:, CH["demo"]] & keep[CH["demo"]]) | (h[:, CH["proposal"]] & keep[CH["proposal"]]))
        z3 = (self.base[2] + s3 + WEBINAR_BEFORE_DEMO * wd
              + CONTENT_GAIN * self.content_use * (content & late))
        m = self.x.mechanisms
        if m is not None and m.order_gain and m.marketing_before_demo is not None and keep[CH["demo"]]:
            after_mkt = m.marketing_before_demo[:, keep[:N_MKT]].any(axis=1)
            z3 = z3 + m.order_gain * (w & after_mkt)
        return z1, z2, z3

    def stage_probs(self, keep: np.ndarray | None = None) -> np.ndarray:
        """Array (3, n) of stage probabilities."""
        keep = np.ones(len(CHANNELS), bool) if keep is None else keep
        return special.expit(np.stack(self.logits(keep)))

    def p_won(self, keep: np.ndarray | None = None) -> np.ndarray:
        """P(won | journey restricted to kept channels) = product of the three stage probabilities."""
        return self.stage_probs(keep).prod(axis=0)


def keep_all_but(channels: list[str] | tuple[str, ...]) -> np.ndarray:
    """Keep mask with ``channels`` removed."""
    keep = np.ones(len(CHANNELS), bool)
    keep[[CH[c] for c in channels]] = False
    return keep


def regime_funnel(x: FunnelInputs, p: Params, r: Regime, u_never: np.ndarray, u_delay: np.ndarray
                  ) -> tuple[Funnel, np.ndarray, np.ndarray]:
    """Funnel of every account under regime ``r`` (common random numbers ``u_never``, ``u_delay``).

    Returns (funnel, worked, delay_hours). Sales-sourced leads are always worked, with no delay.
    """
    worked = ~x.marketing_sourced | (u_never >= r.never_worked)
    delay = np.where(x.marketing_sourced, delay_hours(u_delay, r), 0.0)
    f = Funnel(x, worked, delay, r.acceptance_shift, r.content_use, p.delay_effect_scale)
    return f, worked, delay


def expected_uplift(x: FunnelInputs, deal: np.ndarray, p: Params, strength: float,
                    u_delay: np.ndarray) -> float:
    """Relative uplift of expected revenue when every account moves from misaligned to ``strength``.

    ``sum_j deal_j E[P_j(strength)] / sum_j deal_j E[P_j(0)] - 1``, where E averages over whether
    sales works a marketing lead (probability 1 - never_worked), so the curve is smooth in strength.
    """
    def expected(r: Regime) -> np.ndarray:
        delay = np.where(x.marketing_sourced, delay_hours(u_delay, r), 0.0)
        on = Funnel(x, np.ones(len(deal), bool), delay, r.acceptance_shift, r.content_use,
                    p.delay_effect_scale).p_won()
        off = Funnel(x, ~x.marketing_sourced, delay, r.acceptance_shift, r.content_use,
                     p.delay_effect_scale).p_won()
        return np.where(x.marketing_sourced, (1 - r.never_worked) * on + r.never_worked * off, on)
    base = float(deal @ expected(regime_at(p, 0.0)))
    return float(deal @ expected(regime_at(p, strength))) / base - 1.0


def calibrate_strength(x: FunnelInputs, deal: np.ndarray, p: Params, u_delay: np.ndarray) -> float:
    """Integration strength ``lambda`` in [0, 1] whose expected account-level uplift is ``true_uplift``.

    Solved with Brent's method (scipy.optimize.brentq) on :func:`expected_uplift`. Raises ValueError
    when even best practice on every mechanism (lambda = 1) cannot reach ``true_uplift``.
    """
    if p.true_uplift == 0:
        return 0.0
    top = expected_uplift(x, deal, p, 1.0, u_delay)
    if top < p.true_uplift:
        raise ValueError(f"true_uplift={p.true_uplift}: the mechanisms reach at most {top:.3f} "
                         "at best practice; lower true_uplift or widen the mechanism ranges")
    return float(optimize.brentq(lambda s: expected_uplift(x, deal, p, s, u_delay) - p.true_uplift,
                                 0.0, 1.0, xtol=1e-6))


__all__ = ["Funnel", "FunnelInputs", "Regime", "regime_at", "delay_hours", "delay_penalty",
           "calibrate_strength", "expected_uplift", "keep_all_but", "regime_funnel"]
