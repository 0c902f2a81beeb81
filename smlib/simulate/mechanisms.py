"""Journey mechanisms beyond the default funnel, each switchable (all off by default).

The default simulator (``smlib.simulate.funnel``) gives every channel a log-odds effect
``B_kc log(1 + n)`` of its touch count ``n`` before each stage's milestone, two pairwise/order
terms and the sales-follow-up mechanisms. Attribution models that assume exactly that shape do well
on it; this module adds the mechanisms under which they are known to slip (issue 13), each set by a
field of :class:`~smlib.simulate.params.Params` whose default leaves the shipped dataset unchanged:

- **order dependence** (``order_gain``): a demo helps more after a marketing touch. The win-stage
  logit gains ``order_gain`` when sales worked the lead, the journey keeps its demo and keeps at least
  one marketing channel with a touch before the first demo (planned order).
- **diminishing returns on repeats** (``repeat_decay = d`` in [0, 1)): the exposure of ``n`` touches
  is ``(1 - d**n) / (1 - d)`` instead of ``log(1 + n)``: the first touch counts 1, the i-th repeat
  ``d**(i-1)`` (``d = 0``: only whether the channel was there).
- **recency** (``recency_half_life_days = h``): a touch counts ``0.5 ** (age / h)`` toward a stage,
  ``age`` = days from the touch to that stage's milestone (the same clock as the emitted timestamps,
  follow-up delay included); the exposure is then the transform above of the weighted count.
- **a harmful channel** (``harmful_channel``, ``harm``): that channel's coefficients become
  ``(-harm, 0, 0)``: each exposure unit lowers the qualification log-odds (spammy outreach puts
  leads off); removing the channel raises conversions, so its true removal effect is negative.
- **latent intent** (``intent_path``, ``intent_conversion``): an unobserved account intent
  ``u ~ N(0, 1)`` (its own random stream, so the other draws stay the same) multiplies the Poisson
  means of the touch counts (pre-lead, SDR, AE meetings, nurture) by ``exp(intent_path * u)`` and
  shifts the demo probabilities by ``intent_path * u`` on the logit scale (longer journeys, more
  demos), and adds ``intent_conversion * u`` to every stage's logit. Path and conversion share a
  cause no model sees: observational credit is confounded.

The truth stays counterfactual removal under the simulator's own model: removing a channel drops its
touches from every exposure, from the order term, and leaves the intent of the account unchanged
(:func:`smlib.simulate.core.simulate`). ``MECHANISMS`` names one setting of each (plus the
unconfounded ones together) for benchmarks and tests: ``simulate(seed, **MECHANISMS["order"])``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smlib.simulate.journeys import Accounts, Touches
from smlib.simulate.params import CH, CHANNELS, N_MKT, Params

#: Named mechanism settings (keyword arguments of ``simulate``). ``confounded`` is the only one an
#: observational model cannot recover; the others are identified from the journeys.
MECHANISMS: dict[str, dict[str, object]] = {
    "default": {},
    "order": {"order_gain": 1.0},
    "diminishing": {"repeat_decay": 0.3},
    "recency": {"recency_half_life_days": 30.0},
    "harmful": {"harmful_channel": "paid_social", "harm": 0.6},
    "combined": {"order_gain": 1.0, "repeat_decay": 0.3, "recency_half_life_days": 30.0,
                 "harmful_channel": "paid_social", "harm": 0.6},
    "confounded": {"intent_path": 0.5, "intent_conversion": 0.5},
}
#: The mechanisms under which the channels' removal effects are identified from observed journeys.
UNCONFOUNDED: tuple[str, ...] = ("default", "order", "diminishing", "recency", "harmful", "combined")


def coefficients(coef: np.ndarray, p: Params) -> np.ndarray:
    """The (3, 12) coefficient matrix ``B`` with the harmful channel's column set to (-harm, 0, 0).

    Returns ``coef`` itself (not a copy) when no channel is harmful.
    """
    if p.harmful_channel is None:
        return coef
    out = coef.copy()
    out[:, CH[p.harmful_channel]] = (-p.harm, 0.0, 0.0)
    return out


def exposure_transform(n: np.ndarray, repeat_decay: float | None) -> np.ndarray:
    """Exposure of (weighted) touch count ``n``: ``log(1 + n)``, or ``(1 - d**n) / (1 - d)``."""
    n = np.asarray(n, dtype=float)
    if repeat_decay is None:
        return np.log1p(n)
    d = float(repeat_decay)
    return (1.0 - np.power(d, n)) / (1.0 - d)


def marketing_before_demo(t: Touches, n: int) -> np.ndarray:
    """(n, 7) bool: marketing channel c has a planned touch before the account's first demo.

    All False for accounts without a demo. ``t`` is sorted by account then planned order.
    """
    pos = np.arange(len(t.acc))
    first_demo = np.full(n, np.iinfo(np.int64).max)
    sel = t.channel == CH["demo"]
    uniq, idx = np.unique(t.acc[sel], return_index=True)
    first_demo[uniq] = pos[sel][idx]
    out = np.zeros((n, N_MKT), bool)
    has_demo = first_demo < np.iinfo(np.int64).max
    m = (t.channel < N_MKT) & (pos < first_demo[t.acc]) & has_demo[t.acc]
    out[t.acc[m], t.channel[m]] = True
    return out


@dataclass
class TouchAges:
    """Every planned touch with its age (days) at each stage's milestone, before the follow-up delay.

    ``age[k]`` = days from the touch to milestone k (sql, opportunity, close) on the planned clock;
    pre-lead touches (``pre_lead``) are further from the milestones by the account's follow-up delay,
    which depends on the regime and is added by :meth:`Mechanisms.exposure`.
    """

    acc: np.ndarray
    channel: np.ndarray
    window: np.ndarray
    age: np.ndarray          # (3, m)
    pre_lead: np.ndarray

    def take(self, idx: np.ndarray) -> "TouchAges":
        """The touches of accounts ``idx`` (distinct), re-numbered 0..len(idx)-1."""
        new = np.full(int(self.acc.max(initial=-1)) + 1, -1, np.int64)
        new[idx] = np.arange(len(idx))
        sel = new[self.acc] >= 0 if len(self.acc) else np.zeros(0, bool)
        return TouchAges(new[self.acc[sel]], self.channel[sel], self.window[sel], self.age[:, sel],
                         self.pre_lead[sel])


def touch_ages(t: Touches, a: Accounts) -> TouchAges:
    """Ages of the planned touches ``t`` at the three milestones of their accounts ``a``."""
    sql = a.qual_days
    opp = sql + a.disc_days
    close = opp + a.cycle_days
    milestones = np.stack([sql, opp, close])[:, t.acc]                   # contact clock
    # a pre-lead touch at x (days after t0) is pre_days - x + mql_lag before the first contact
    before_contact = np.where(t.contact_clock, -t.x, a.pre_days[t.acc] - t.x + a.mql_lag[t.acc])
    age = np.maximum(milestones + before_contact[None, :], 0.0)
    return TouchAges(t.acc.astype(np.int64), t.channel.astype(np.int64), t.window.astype(np.int64),
                     age, ~t.contact_clock)


@dataclass
class Mechanisms:
    """The switched-on mechanisms of one simulation, as the funnel reads them (see module doc)."""

    coef: np.ndarray
    repeat_decay: float | None = None
    half_life: float | None = None
    ages: TouchAges | None = None
    order_gain: float = 0.0
    marketing_before_demo: np.ndarray | None = None
    intent_shift: np.ndarray | None = None

    @property
    def reshapes_exposure(self) -> bool:
        """True when exposures are not ``log(1 + count)`` (repeat decay or recency on)."""
        return self.repeat_decay is not None or self.half_life is not None

    def exposure(self, n: int, delay_days: np.ndarray) -> np.ndarray:
        """(3, n, 12) exposures of each channel before each milestone, given follow-up delays (days)."""
        if self.ages is None:
            raise ValueError("exposure needs the touch ages (Mechanisms.ages)")
        g = self.ages
        nc = len(CHANNELS)
        out = np.empty((3, n, nc))
        for k in range(3):
            on = g.window <= k
            if self.half_life is None:
                w = on.astype(float)
            else:
                age = g.age[k] + np.where(g.pre_lead, delay_days[g.acc], 0.0)
                w = np.where(on, np.power(0.5, age / self.half_life), 0.0)
            out[k] = np.bincount(g.acc * nc + g.channel, weights=w, minlength=n * nc).reshape(n, nc)
        return exposure_transform(out, self.repeat_decay)

    def take(self, idx: np.ndarray) -> "Mechanisms":
        """The mechanisms of accounts ``idx`` (distinct positions)."""
        return Mechanisms(self.coef, self.repeat_decay, self.half_life,
                          None if self.ages is None else self.ages.take(idx), self.order_gain,
                          None if self.marketing_before_demo is None else self.marketing_before_demo[idx],
                          None if self.intent_shift is None else self.intent_shift[idx])


def any_mechanism(p: Params) -> bool:
    """True when ``p`` switches on at least one mechanism of this module."""
    return bool(p.order_gain or p.repeat_decay is not None or p.recency_half_life_days is not None
                or p.harmful_channel is not None or p.intent_path or p.intent_conversion)


def uses_intent(p: Params) -> bool:
    """True when the latent intent is drawn (it drives the path or the conversion)."""
    return bool(p.intent_path or p.intent_conversion)


def build_mechanisms(p: Params, coef: np.ndarray, t: Touches, a: Accounts,
                     intent: np.ndarray | None) -> Mechanisms | None:
    """The funnel's view of the mechanisms of ``p``; None when all are off (the default funnel)."""
    if not any_mechanism(p):
        return None
    n = len(a.t0)
    reshape = p.repeat_decay is not None or p.recency_half_life_days is not None
    return Mechanisms(
        coef=coefficients(coef, p),
        repeat_decay=p.repeat_decay,
        half_life=p.recency_half_life_days,
        ages=touch_ages(t, a) if reshape else None,
        order_gain=float(p.order_gain),
        marketing_before_demo=marketing_before_demo(t, n) if p.order_gain else None,
        intent_shift=(p.intent_conversion * intent
                      if intent is not None and p.intent_conversion else None),
    )


__all__ = ["MECHANISMS", "UNCONFOUNDED", "Mechanisms", "TouchAges", "any_mechanism", "build_mechanisms",
           "coefficients", "exposure_transform", "marketing_before_demo", "touch_ages", "uses_intent"]
