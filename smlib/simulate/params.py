"""Parameters of the ground-truth simulator, each with its source.

Numbers come from docs/sources.md §4 unless stated. Where it says a value
is a policy choice or UNSOURCED, the default here is labelled ``assumption``. Vendor benchmarks are
cross-sectional; they set plausible ranges, not causal effects.

Integration acts only through four mechanisms. Each has a *misaligned* value (the benchmark for
separate teams) and a *best-practice* value (what a full marketing-sales SLA would reach). The
integrated regime moves every mechanism the same fraction ``lambda`` of the way from misaligned to
best practice; ``lambda`` is solved so that the account-level expected revenue uplift equals
``true_uplift`` (see :func:`smlib.simulate.funnel.calibrate_strength`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from smlib import config

SEGMENTS: tuple[str, ...] = ("smb", "mid_market", "enterprise")
CHANNELS: tuple[str, ...] = config.MARKETING_CHANNELS + config.SALES_CHANNELS
N_MKT: int = len(config.MARKETING_CHANNELS)
CH: dict[str, int] = {c: i for i, c in enumerate(CHANNELS)}
TEAM_OF: tuple[str, ...] = ("marketing",) * N_MKT + ("sales",) * len(config.SALES_CHANNELS)
TOUCH_TYPE: dict[str, str] = {
    "paid_search": "ad_click", "paid_social": "ad_click", "email": "email_click",
    "webinar": "webinar_attended", "events": "event_visit", "content_seo": "content_download",
    "direct": "site_visit", "sdr_call": "call", "sdr_email": "email", "ae_meeting": "meeting",
    "demo": "demo", "proposal": "proposal_sent",
}


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


@dataclass(frozen=True)
class Params:
    """All knobs of :func:`smlib.simulate.simulate`; defaults are the shipped default dataset.

    Panel (unit x month revenue; see :func:`smlib.simulate.panel.simulate_panel`):

    - ``n_units=60``, ``n_periods=48``, ``start="2022-01-01"``: design size (brief).
    - ``true_uplift=0.08``: long-run effect of integration as a fraction of a unit's counterfactual
      expected revenue. Deliberately well below the "up to 20 %" of Aberdeen 2010 (a cross-sectional
      best-in-class vs laggard contrast, docs/sources.md §1), which the workbook must not simply
      reproduce.
    - ``n_cohorts=4``, ``never_adopt_share=0.3``: staggered adoption, assumption.
    - ``ramp_periods=3``: the effect ramps up linearly over three months, assumption.
    - ``effect_heterogeneity=0.25``: the first cohort's effect is x1.25, the last x0.75 (mean 1),
      assumption; makes two-way fixed effects biased under staggered adoption, as in practice.
    - ``base_revenue=400_000``: monthly revenue of a typical unit (data/README.md example 412,000).
    - ``quality_revenue_effect=0.25``: log-revenue per s.d. of the hidden unit quality, assumption.
    - ``adoption_noise_sd=0.75``: noise in the adoption score ``quality + noise``; smaller means
      stronger selection of good units into early adoption (docs/sources.md §1, "selection").
    - ``revenue_noise_sd=0.05``, ``growth_per_year=0.06``, ``seasonality=0.05``: in units of
      ``base_revenue``; assumption.

    Accounts and journeys:

    - ``n_accounts=25_000``: default dataset size (brief: 20-30k).
    - ``segment_mix=(0.5, 0.35, 0.15)`` smb / mid-market / enterprise, assumption;
      ``segment_quality_tilt=0.5``: better units hold more enterprise accounts (observed
      confounding of account-level integration through segment), assumption.
    - ``deal_size_median`` smb 12k, mid-market 30k, enterprise 90k USD: Bridge Group 2017 SaaS AE
      report, median ACV $25K; Inside Sales AE report, median ASP $35K (forentrepreneurs.com).
    - ``gross_margin_range=(0.70, 0.85)``: brief (typical SaaS gross margin), assumption.
    - ``marketing_sourced_share=0.30``: CSO Insights 2005-2013, marketing generated ~24-30 % of
      leads, reps self-generated almost half (customerthink.com); marketone example MGL/TGL/SGL
      19.5/10.5/70 %. SDR prospecting (TGL) counts as sales here.
    - ``sales_sourced_marketing_prob=0.7``: share of sales-sourced accounts that also meet
      marketing (nurture, events, content), assumption; together with the never-worked share it
      gives roughly 10 % marketing-only, 20 % sales-only and 70 % mixed journeys.
    - ``integration_coverage=(0.6, 0.75, 0.9)``: share of smb / mid-market / enterprise accounts of
      an adopted unit whose journeys the integrated team runs (roll-outs start with the larger
      accounts' pods), assumption. ``accounts.integrated`` = unit adopted by the month of the
      account's first touch AND covered, so integration depends on observed segment (and, through
      the unit, on market size and time) and every treated account has untreated look-alikes in
      its own unit and month (overlap for ATT estimators).
    - ``tail_days=45``: accounts start at least this long before the data end, so only a few
      journeys are still ``open``.

    Mechanisms (misaligned -> best practice; the integrated regime is in between, see module doc):

    - ``never_worked``: 0.30 -> 0.10. HBR 2011 (Oldroyd, McElheran & Elkington, "The short life of
      online sales leads"): 23 % of firms never responded; baybusinesshelp 2012: ~36 % of leads never
      called; HubSpot / MarketingProfs 73-80 % of MQLs never worked. Best practice 90 % worked is
      UNSOURCED (assumption).
    - ``within_1h``: share of worked marketing leads contacted within one hour, 0.37 -> 0.90;
      ``delay_mean_h``: mean delay (hours) of the slower rest, 66.4 -> 4. HBR 2011: 37 % respond
      within an hour, 42 h average first response among responders (0.37 x 0.5 h + 0.63 x 66.4 h =
      42 h); SLA "first contact <= 1 h" is a policy choice. Delays are capped at 7 days.
    - ``delay_effect_scale=0.25``: the HBR / MIT (InsideSales 2007) decay of qualification odds
      (contact after 1 h: 1/7 the odds of < 1 h; after 24 h: 1/60) is observational, so only this
      fraction of its log-odds is used (assumption, as docs/sources.md §4 advises).
    - ``acceptance_shift``: MQL -> SQL log-odds added for marketing leads: 0 -> logit(0.375) -
      logit(0.13) = 1.39 (median 13 % vs top performers 35-40 %, prooflytics; vendor, cross-sectional).
    - ``content_use``: share of sales' late-stage work that uses marketing content, 0.35 -> 1.0
      (60-70 % of B2B content unused, SiriusDecisions via calliduscloud). The win-stage log-odds gain
      of full use is ln(1.38) ("38 % higher win rates", MarketingProfs; an extreme-group upper bound).
    - ``integration_strength=None``: the fraction ``lambda``; ``None`` = solve it from
      ``true_uplift``. Give a number in [0, 1] to set it directly.

    Journey mechanisms (issue 13; :mod:`smlib.simulate.mechanisms`; all off by default, so the
    shipped dataset does not change; named settings in ``mechanisms.MECHANISMS``; assumptions):

    - ``order_gain=0.0``: win-stage log-odds added to a demo preceded by a marketing touch.
    - ``repeat_decay=None``: diminishing returns, exposure ``(1 - d**n) / (1 - d)`` of ``n`` touches.
    - ``recency_half_life_days=None``: a touch counts ``0.5 ** (age / half-life)`` at a milestone.
    - ``harmful_channel=None``, ``harm=0.6``: that channel lowers qualification log-odds by ``harm``
      per unit of exposure and has no other effect (its removal raises conversions).
    - ``intent_path=0.0``, ``intent_conversion=0.0``: an unobserved intent ``u ~ N(0, 1)`` scales
      the touch counts by ``exp(intent_path * u)``, shifts demo odds by the same log factor and adds
      ``intent_conversion * u`` to each stage's logit (confounding).

    Costs (per touch; ``spend`` adds non-touch overheads):

    - ``media_cost``: median cost of one identified marketing touch (USD): paid_search 30, paid_social
      45, email 2, webinar 60, events 250, content_seo 8, direct 0. Google Search CPC $2.69
      (WordStream) and CPL LinkedIn $40-200+, Google $20-100+ (b2blead.io) bound the paid values;
      a touch here is an identified engagement (several clicks), assumption.
    - ``media_cost_sd_log=0.35``: log-normal spread of media cost per touch, assumption.
    - ``sdr_loaded_cost=110_000`` USD/year: SDR OTE $65-95k (prowi.io) x ~1.3 benefits and tools
      (assumption); ``sdr_touches_per_year``: calls 9,000, emails 22,000 (40 dials / 100 emails a day
      x 220 days, assumption). Cost per sales touch = loaded rep cost / productive touches (docs/sources.md §4).
    - ``ae_loaded_cost``: smb 155k, mid-market 230k, enterprise 340k USD/year (AE OTE $100-140k /
      $150-200k / $220-300k, prowi.io, x ~1.15 loaded); ``ae_meetings_per_year=600``; demos cost
      1.2 and proposals 1.5 meetings. Gives $260-570 per meeting, cf. $180-400 per sales call
      (thesaleswizard.ca, salesforcetraining.com).
    - ``sales_people_per_unit=6_000`` USD per unit and month x market size: sales salary time no
      touch carries (78 % of a rep's week is not selling, Pace Productivity via red2blackgroup),
      management and tools, assumption.
    - ``marketing_overhead_per_unit=4_000`` USD per unit and month x market size (marketing
      salaries, tools), assumption. With these, blended CAC is roughly 1.2-1.5x first-year ACV,
      i.e. a CAC payback of ~15-20 months at 75-80 % gross margin (Skok's target 5-12 months).
    """

    # panel
    n_units: int = 60
    n_periods: int = 48
    start: str = "2022-01-01"
    true_uplift: float = 0.08
    n_cohorts: int = 4
    never_adopt_share: float = 0.3
    ramp_periods: int = 3
    effect_heterogeneity: float = 0.25
    base_revenue: float = 400_000.0
    quality_revenue_effect: float = 0.25
    adoption_noise_sd: float = 0.75
    revenue_noise_sd: float = 0.05
    growth_per_year: float = 0.06
    seasonality: float = 0.05
    # accounts and journeys
    n_accounts: int = 25_000
    segment_mix: tuple[float, float, float] = (0.5, 0.35, 0.15)
    segment_quality_tilt: float = 0.5
    deal_size_median: tuple[float, float, float] = (12_000.0, 30_000.0, 90_000.0)
    gross_margin_range: tuple[float, float] = (0.70, 0.85)
    marketing_sourced_share: float = 0.30
    sales_sourced_marketing_prob: float = 0.7
    integration_coverage: tuple[float, float, float] = (0.6, 0.75, 0.9)
    tail_days: float = 45.0
    # mechanisms: (misaligned, best practice)
    never_worked: tuple[float, float] = (0.30, 0.10)
    within_1h: tuple[float, float] = (0.37, 0.90)
    delay_mean_h: tuple[float, float] = (66.4, 4.0)
    delay_effect_scale: float = 0.25
    acceptance_shift: tuple[float, float] = (0.0, _logit(0.375) - _logit(0.13))
    content_use: tuple[float, float] = (0.35, 1.0)
    integration_strength: float | None = None
    # journey mechanisms (smlib.simulate.mechanisms), all off by default
    order_gain: float = 0.0
    repeat_decay: float | None = None
    recency_half_life_days: float | None = None
    harmful_channel: str | None = None
    harm: float = 0.6
    intent_path: float = 0.0
    intent_conversion: float = 0.0
    # costs
    media_cost: dict[str, float] = field(default_factory=lambda: {
        "paid_search": 30.0, "paid_social": 45.0, "email": 2.0, "webinar": 60.0,
        "events": 250.0, "content_seo": 8.0, "direct": 0.0})
    media_cost_sd_log: float = 0.35
    sdr_loaded_cost: float = 110_000.0
    sdr_touches_per_year: dict[str, float] = field(
        default_factory=lambda: {"sdr_call": 9_000.0, "sdr_email": 22_000.0})
    ae_loaded_cost: tuple[float, float, float] = (155_000.0, 230_000.0, 340_000.0)
    ae_meetings_per_year: float = 600.0
    sales_people_per_unit: float = 6_000.0
    marketing_overhead_per_unit: float = 4_000.0

    def __post_init__(self) -> None:
        _check(self)

    @classmethod
    def from_kwargs(cls, **kwargs: object) -> "Params":
        """Build from keyword arguments; an unknown name is a ValueError listing the valid ones."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - names)
        if unknown:
            raise ValueError(f"unknown simulator parameter(s) {unknown}; expected some of {sorted(names)}")
        return cls(**kwargs)  # type: ignore[arg-type]


def _check(p: Params) -> None:
    """Reject parameter values the generator cannot honour, naming the parameter."""
    def need(ok: bool, name: str, what: str) -> None:
        if not ok:
            raise ValueError(f"simulator parameter {name}={getattr(p, name)!r}: expected {what}")

    need(isinstance(p.n_units, int) and p.n_units >= 2, "n_units", "an integer >= 2")
    need(isinstance(p.n_periods, int) and p.n_periods >= 8, "n_periods", "an integer >= 8")
    need(isinstance(p.n_accounts, int) and p.n_accounts >= 1, "n_accounts", "an integer >= 1")
    need(isinstance(p.n_cohorts, int) and p.n_cohorts >= 1, "n_cohorts", "an integer >= 1")
    need(0.0 <= p.never_adopt_share < 1.0, "never_adopt_share", "a fraction in [0, 1)")
    need(p.true_uplift >= 0.0, "true_uplift", "a fraction >= 0")
    need(isinstance(p.ramp_periods, int) and p.ramp_periods >= 1, "ramp_periods", "an integer >= 1")
    need(0.0 <= p.effect_heterogeneity < 1.0, "effect_heterogeneity", "a fraction in [0, 1)")
    need(p.base_revenue > 0, "base_revenue", "> 0")
    need(len(p.segment_mix) == 3 and min(p.segment_mix) > 0 and abs(sum(p.segment_mix) - 1) < 1e-9,
         "segment_mix", "three positive shares summing to 1")
    need(0.0 < p.marketing_sourced_share < 1.0, "marketing_sourced_share", "a fraction in (0, 1)")
    need(0.0 <= p.sales_sourced_marketing_prob <= 1.0, "sales_sourced_marketing_prob", "in [0, 1]")
    for name in ("never_worked", "within_1h", "content_use"):
        pair = getattr(p, name)
        need(len(pair) == 2 and all(0.0 <= v <= 1.0 for v in pair), name, "two fractions in [0, 1]")
    need(min(p.delay_mean_h) > 0.5, "delay_mean_h", "two means > 0.5 hours")
    need(p.integration_strength is None or 0.0 <= p.integration_strength <= 1.0,
         "integration_strength", "None or a number in [0, 1]")
    need(len(p.integration_coverage) == 3 and all(0 <= v <= 1 for v in p.integration_coverage),
         "integration_coverage", "three fractions in [0, 1] (smb, mid_market, enterprise)")
    need(0 < p.tail_days < 28 * p.n_periods / 2, "tail_days", "a positive number of days")
    need(set(p.media_cost) == set(config.MARKETING_CHANNELS) and min(p.media_cost.values()) >= 0,
         "media_cost", f"a non-negative cost for each of {config.MARKETING_CHANNELS}")
    need(math.isfinite(p.order_gain), "order_gain", "a finite number (win-stage log-odds)")
    need(p.repeat_decay is None or 0.0 <= p.repeat_decay < 1.0, "repeat_decay", "None or a number in [0, 1)")
    need(p.recency_half_life_days is None or p.recency_half_life_days > 0, "recency_half_life_days",
         "None or a positive number of days")
    need(p.harmful_channel is None or p.harmful_channel in CH, "harmful_channel",
         f"None or one of {list(CHANNELS)}")
    need(math.isfinite(p.harm) and p.harm >= 0, "harm", "a log-odds loss >= 0")
    for name in ("intent_path", "intent_conversion"):
        need(math.isfinite(getattr(p, name)), name, "a finite number (log-odds per s.d. of intent)")
    need(0 <= p.gross_margin_range[0] <= p.gross_margin_range[1] <= 1, "gross_margin_range",
         "(low, high) within [0, 1]")
