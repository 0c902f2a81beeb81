"""Report 03's analysis: the executive summary's numbers, computed once from a dataset.

:func:`executive_summary` loads nothing: it takes a :class:`smlib.io.Dataset`, builds the
journeys, shares the credit (every model, with intervals for the chosen one), computes costs,
returns, the funnel and the integration uplift, and records what the data cannot support
(``gaps``) so that the notebook shows a "not available" box instead of a number it cannot defend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from smlib import metrics
from smlib import narrative as nv
from smlib.gaps import CONTRACT_REF, DataGap, attribution_gap, data_driven_gap

__all__ = ["DATA_DRIVEN_MODELS", "FALLBACK_MODEL", "ExecutiveSummary", "executive_summary"]

#: Models that learn from converting and non-converting journeys (they need both).
DATA_DRIVEN_MODELS: tuple[str, ...] = ("logistic", "incremental")
#: Model used for costs when the requested data-driven model cannot be fitted (stated in the note).
FALLBACK_MODEL: str = "markov"


#: Why nothing can be credited, as a clause for the headline: (English, Spanish) by gap code.
_NO_ATTRIBUTION: dict[str, tuple[str, str]] = {
    "no_journeys": ("there are no touches to build journeys from",
                    "no hay contactos con los que construir recorridos"),
    "no_wins": ("there is no won deal after a touch",
                "no hay ningún acuerdo ganado después de un contacto"),
}


@dataclass
class ExecutiveSummary:
    """Everything report 03 shows, and what the data could not support.

    ``model`` is the attribution model used for costs (``requested_model`` unless it could not be
    fitted, then :data:`FALLBACK_MODEL`, with the reason in ``model_note``); ``credit`` and the
    tables built on it are ``None`` when no model can run (``gaps["attribution"]`` says why);
    ``uplift``/``did`` are ``None`` when the data have no usable unit panel (``gaps["uplift"]``).
    """

    journeys: Any
    requested_model: str
    model: str
    model_note: str
    credit: pd.DataFrame | None
    draws: Any
    blended: pd.DataFrame
    by_quarter: pd.DataFrame
    by_regime: pd.DataFrame | None
    customers: pd.DataFrame | None
    paid: pd.DataFrame | None
    channels: pd.DataFrame | None
    teams: pd.DataFrame | None
    recommendations: pd.DataFrame | None
    win: pd.DataFrame
    cycle: pd.DataFrame
    funnel: pd.DataFrame
    funnel_by: str | None
    did: Any
    uplift: Any
    has_spend: bool
    start: Any
    end: Any
    claim: float
    language: str
    warnings: list[Any] = field(default_factory=list)
    gaps: dict[str, DataGap] = field(default_factory=dict)
    team_shares: pd.DataFrame | None = None
    unidentified: tuple[str, ...] = ()

    def credit_phrase(self) -> str | None:
        """The sales team's share of the credit in a few words (a range over the models when
        some channels' credit is not identified), or None without credit."""
        if self.team_shares is None or self.team_shares.empty:
            return None
        sales = self.team_shares[self.team_shares["team"] == "sales"]
        if sales.empty:
            return None
        en = self.language == "en"
        pct = lambda x: nv.format_pct(x, self.language)  # noqa: E731
        if self.unidentified:
            lo, hi = sales["share"].min(), sales["share"].max()
            return (f"sales touches get {pct(lo)} to {pct(hi)} of the credit, depending on the "
                    "model" if en else f"los contactos de ventas reciben del {pct(lo)} al "
                    f"{pct(hi)} del mérito, según el modelo")
        row = sales[sales["model"] == self.model]
        if row.empty:
            return None
        share = float(row["share"].iloc[0])
        return (f"sales touches get {pct(share)} of the credit "
                f"({nv.model_label(self.model, self.language)} model)" if en else
                f"los contactos de ventas reciben el {pct(share)} del mérito (modelo "
                f"{nv.model_label(self.model, self.language)})")

    def unavailable(self) -> dict[str, str]:
        """Headline items the data cannot support, with the text shown instead."""
        gap = self.gaps.get("attribution")
        en = self.language == "en"
        reason = None if gap is None else _NO_ATTRIBUTION.get(gap.code, _NO_ATTRIBUTION["no_wins"])[
            0 if en else 1]
        out = nv.unavailable_items(spend=self.has_spend, attribution=reason,
                                   language=self.language)
        phrase = self.credit_phrase()
        if not self.has_spend and phrase and "roi" in out:  # no costs, but credit to report
            out["roi"] = f"{out['roi']}; {phrase}"
        if self.customers is None:  # no won deal: no customer to value
            out.setdefault("payback", nv.unavailable_items(
                attribution=_NO_ATTRIBUTION["no_wins"][0 if en else 1],
                language=self.language)["roi"])
        return out

    def items(self, short: bool = True) -> list[tuple[str, str, str]]:
        """The seven headlines (:func:`smlib.narrative.executive_items`) of this summary."""
        empty = pd.DataFrame({"model": [], "team": [], "roi": [], "channel": [], "action": [],
                              "cac": []})
        return nv.executive_items(
            blended=self.blended, paid=self.paid if self.paid is not None else empty,
            unit_econ=self.customers if self.customers is not None else empty, teams=self.teams if self.teams is not None else empty,
            model=self.model, uplift=self.uplift,
            recommendations=self.recommendations if self.recommendations is not None else empty,
            n_models=int(self.credit["model"].nunique()) if self.credit is not None else 0,
            win=self.win, cycle=self.cycle, start=self.start, end=self.end, claim=self.claim,
            language=self.language, short=short, unavailable=self.unavailable())

    def missing_for(self, section: str) -> DataGap | None:
        """The first reason ``section`` (``cost``, ``teams``, ``channels``, ``uplift``, ``funnel``)
        cannot be shown, or None when it can."""
        needs = {"cost": ("spend",), "teams": ("spend", "attribution"),
                 "channels": ("spend", "attribution"), "uplift": ("uplift",),
                 "funnel": ("opportunities",)}
        if section not in needs:
            raise ValueError(f"unknown section {section!r}; expected one of {sorted(needs)}")
        return next((self.gaps[k] for k in needs[section] if k in self.gaps), None)

    def note(self) -> str:
        """Caption of the headline: data period, the model used for credit and why."""
        text = nv.headline_note(self.start, self.end, self.model, self.language)
        if "attribution" in self.gaps:  # no sale could be credited: say so, name no model
            text = text.split(". ")[0] + "." + (
                " No sale could be credited to a touch (see the boxes below)."
                if self.language == "en" else
                " Ninguna venta se pudo atribuir a un contacto (véanse los recuadros más abajo).")
        return f"{text} {self.model_note}".strip()


def executive_summary(data: Any, *, attribution_model: str = "incremental", claim: float = 0.20,
                      monthly_churn: float = 0.015, contract_months: float = 12,
                      n_boot: int = 200, seed: int = 0, language: str = "en",
                      lookback_days: int | None = None) -> ExecutiveSummary:
    """Run report 03's analysis on ``data`` (a :class:`smlib.io.Dataset`).

    Journeys (:func:`smlib.journeys.build_journeys`; channels that always occur together are
    credited as one, :func:`smlib.journeys.merge_channels`), credit under every model
    (:func:`smlib.attribution.compare`) with bootstrap intervals for ``attribution_model``
    (:func:`smlib.metrics.credit_with_intervals`), blended / paid CAC, customer economics,
    channel and team economics (each channel's team from its touches), channel actions, win
    rate, sales cycle, stage conversion, and the integration uplift
    (:func:`smlib.causal.claims.estimate_uplift`). Data warnings come from
    :func:`smlib.data_warnings.collect_warnings`.
    """
    from smlib import config
    from smlib.attribution import compare
    from smlib.attribution.api import MODELS
    from smlib.causal.claims import estimate_uplift
    from smlib.data_warnings import collect_warnings, separated_channels
    from smlib.journeys import build_journeys, merge_channels

    lang = nv._lang(language)
    lookback = config.DEFAULT_LOOKBACK_DAYS if lookback_days is None else lookback_days
    journeys = build_journeys(data.touchpoints, data.opportunities, lookback, validate_input=False)
    warnings = collect_warnings(data, journeys)
    together = separated_channels(journeys.paths).always_together if len(journeys.paths) else ()
    touchpoints = merge_channels(data.touchpoints, together)
    if together:
        journeys = build_journeys(touchpoints, data.opportunities, lookback, validate_input=False)
    gaps: dict[str, DataGap] = {}
    has_spend = metrics.has_costs(data.spend)
    if not has_spend:
        gaps["spend"] = DataGap("no_spend", nv.label("needs_spend", lang),
                                nv.label("spend_unlocks", lang), CONTRACT_REF["spend"])
    model, model_note = attribution_model, ""
    credit = draws = paid = channels = teams = recommendations = team_shares = None
    unidentified = separated_channels(journeys.paths).affected if len(journeys.paths) else ()
    no_attribution = attribution_gap(journeys.paths)
    if no_attribution is not None:
        gaps["attribution"] = no_attribution
    else:
        learn_gap = data_driven_gap(journeys.paths)
        models = [m for m in MODELS if learn_gap is None or m not in DATA_DRIVEN_MODELS]
        if learn_gap is not None and model in DATA_DRIVEN_MODELS:
            model = FALLBACK_MODEL
            model_note = (f"The {nv.model_label(attribution_model, lang)} model needs "
                          f"{learn_gap.missing}; credit is shared with the "
                          f"{nv.model_label(model, lang)} model instead." if lang == "en" else
                          f"El modelo {nv.model_label(attribution_model, lang)} necesita recorridos "
                          "que no acabaron en compra, y estos datos no los tienen; el mérito se "
                          f"reparte con el modelo {nv.model_label(model, lang)}.")
        credit = compare(journeys.paths, models=models, journeys=journeys.touches)
        credit, draws = metrics.credit_with_intervals(credit, journeys.paths, model,
                                                      touches=journeys.touches, n_boot=n_boot,
                                                      seed=seed)
        channel_teams = metrics.channel_team_map(touchpoints=touchpoints)
        paid = metrics.paid_cac(credit, data.spend)
        channels = metrics.channel_economics(credit, data.spend, data.opportunities,
                                             channel_teams=channel_teams)
        teams = metrics.team_economics(credit, data.spend, data.opportunities,
                                       channel_teams=channel_teams,
                                       draws={model: draws} if draws is not None else None)
        recommendations = metrics.recommend_channels(channels, model=model)
        by_team = credit.assign(team=credit["channel"].map(channel_teams)).groupby(
            ["model", "team"], sort=False)["conversions"].sum()
        team_shares = (by_team / by_team.groupby(level="model").transform("sum")).rename(
            "share").reset_index()
    by_regime = (metrics.blended_cac(data.opportunities, data.spend, by="regime",
                                     accounts=data.accounts, units=data.units)
                 if has_spend and data.has("units") and data.has("accounts")
                 and "unit_id" in data.spend.columns and data.spend["unit_id"].notna().any()
                 else None)  # costs before/after integration need spend by business unit
    did, uplift, uplift_gap = estimate_uplift(data.units, outcome="revenue")
    if uplift_gap is not None:
        gaps["uplift"] = DataGap(uplift_gap.code, nv.label("needs_units", lang),
                                 nv.label("units_unlocks", lang), CONTRACT_REF["units"])
    opp = data.opportunities
    funnel_by = "source_team" if "source_team" in opp.columns else None  # an optional column
    customers = None
    if opp.empty:
        gaps["opportunities"] = DataGap(
            "no_opportunities", nv.label("needs_opportunities", lang),
            nv.label("opportunities_unlocks", lang), CONTRACT_REF["opportunities"])
    if opp["outcome"].eq("won").any():
        customers = metrics.customer_economics(opp, data.spend, churn_rate=monthly_churn,
                                               contract_months=contract_months)
    else:
        gaps["wins"] = DataGap("no_wins", "any won deal", "customer lifetime value and payback",
                               CONTRACT_REF["opportunities"], missing_es="algún acuerdo ganado",
                               unlocks_es="el valor de vida del cliente y el plazo de recuperación")
    start, end = ((data.spend["period"].min(), data.spend["period"].max()) if has_spend else
                  (opp["lead_at"].min(), opp["lead_at"].max()) if len(opp) else
                  (data.touchpoints["timestamp"].min(), data.touchpoints["timestamp"].max()))
    return ExecutiveSummary(
        journeys=journeys, requested_model=attribution_model, model=model, model_note=model_note,
        credit=credit, draws=draws, blended=metrics.blended_cac(opp, data.spend),
        by_quarter=metrics.blended_cac(opp, data.spend, by="quarter"), by_regime=by_regime,
        customers=customers,
        paid=paid, channels=channels, teams=teams, recommendations=recommendations,
        win=metrics.win_rate(opp), cycle=metrics.sales_cycle(opp),
        funnel=metrics.stage_conversion(opp, by=funnel_by), funnel_by=funnel_by, did=did,
        uplift=uplift,
        has_spend=has_spend, start=start, end=end, claim=claim, language=lang,
        warnings=warnings, gaps=gaps, team_shares=team_shares, unidentified=tuple(unidentified))
