"""Report 03's analysis: the executive summary's numbers, computed once from a dataset.

:func:`executive_summary` loads nothing: it takes a :class:`smlib.io.Dataset`, builds the
journeys, shares the credit (every model, with intervals for the chosen one), computes costs,
returns, the funnel and the integration uplift, and records what the data cannot support
(``gaps``) so that the notebook shows a "not available" box instead of a number it cannot defend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from smlib import config
from smlib.analyses import executive_text as et
from smlib.analyses import figures
from smlib.analyses.attribution_comparison import attribution_report
from smlib.analyses.uplift import uplift_analysis
from smlib.attribution.registry import MODELS
from smlib.causal.claims import CLAIM_FORMS
from smlib.causal.plots import event_study_plot
from smlib.gaps import DataGap, catalogue_gap, data_driven_gap
from smlib.metrics import (blended_cac, channel_economics, customer_economics, has_costs,
                           paid_cac, recommend_channels, resolve_horizon, revenue_months,
                           sales_cycle, stage_conversion, team_economics, win_rate)
from smlib.presentation.catalogue import text
from smlib.presentation.labels import glossary, model_label
from smlib.presentation.numbers import format_pct
from smlib.presentation.settings import validate_language
from smlib.presentation.tables import table_for_print

__all__ = ["DATA_DRIVEN_MODELS", "FALLBACK_MODEL", "RECOMMENDED", "ExecutiveSummary",
           "executive_summary"]

#: Models that learn from converting and non-converting journeys (they need both): the registry's
#: ``data_driven`` models.
DATA_DRIVEN_MODELS: tuple[str, ...] = tuple(name for name, spec in MODELS.items()
                                            if spec.data_driven)
#: Model used for costs when the requested data-driven model cannot be fitted (stated in the note).
FALLBACK_MODEL: str = "markov"
#: ``attribution_model`` value meaning "the model report 01 recommends".
RECOMMENDED: str = "recommended"
#: The bootstrap bounds the economics read from a credit table.
_BOUNDS: list[str] = ["ci_low", "ci_high", "value_ci_low", "value_ci_high"]


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

    monthly_churn: float | None = 0.015
    contract_months: float | None = 12
    horizon: str | int = "first_contract"
    claim_form: str = "up_to"
    #: report 01's analysis (:class:`smlib.analyses.attribution_comparison.AttributionReport`)
    #: and report 02's (:class:`smlib.analyses.uplift.UpliftAnalysis`) this page reads
    attribution: Any = None
    uplift_analysis: Any = None

    def basis(self) -> str:
        """The horizon of every return figure on this page, in words (e.g. ``lifetime gross
        profit (expected 67 months)``), for captions, titles and sentences."""
        return et.basis_phrase(self.horizon, self.language,
                               months=self.lifetime_months() if self.horizon == "lifetime"
                               else None)

    def lifetime_months(self) -> float | None:
        """A customer's expected lifetime in months under this run's churn and contract
        assumptions (:func:`smlib.metrics.revenue_months`), or None without a churn."""
        if self.monthly_churn is None or self.monthly_churn <= 0:
            return None
        return revenue_months("lifetime", self.monthly_churn, self.contract_months)

    def credit_phrase(self) -> str | None:
        """The sales team's share of the credit in a few words (a range over the models when
        some channels' credit is not identified), or None without credit."""
        if self.team_shares is None or self.team_shares.empty:
            return None
        sales = self.team_shares[self.team_shares["team"] == "sales"]
        if sales.empty:
            return None
        lang = self.language
        if self.unidentified:
            return text("executive.summary.sales_share_range", lang,
                        low=format_pct(sales["share"].min(), lang),
                        high=format_pct(sales["share"].max(), lang))
        row = sales[sales["model"] == self.model]
        if row.empty:
            return None
        return text("executive.summary.sales_share", lang,
                    share=format_pct(float(row["share"].iloc[0]), lang),
                    model=model_label(self.model, lang))

    def unavailable(self) -> dict[str, str]:
        """Headline items the data cannot support, with the text shown instead."""
        gap = self.gaps.get("attribution")
        reason = None if gap is None else et.no_attribution_reason(gap.code, self.language)
        out = et.unavailable_items(spend=self.has_spend, attribution=reason,
                                   language=self.language)
        phrase = self.credit_phrase()
        if not self.has_spend and phrase and "roi" in out:  # no costs, but credit to report
            out["roi"] = f"{out['roi']}; {phrase}"
        if self.customers is None and "wins" not in self.gaps:  # one-off sales: no lifetime
            out.setdefault("payback", text("executive.not_available.no_churn", self.language))
        if self.customers is None:  # no won deal: no customer to value
            out.setdefault("payback", et.unavailable_items(
                attribution=et.no_attribution_reason("no_wins", self.language),
                language=self.language)["roi"])
        return out

    def items(self, short: bool = True) -> list[tuple[str, str, str]]:
        """The eight headlines (:func:`smlib.analyses.executive_text.executive_items`); who earns
        the revenue is report 01's team split with its interval
        (:func:`smlib.analyses.executive_text.credit_split`)."""
        empty = pd.DataFrame({"model": [], "team": [], "roi": [], "channel": [], "action": [],
                              "cac": []})

        def given(frame: pd.DataFrame | None) -> pd.DataFrame:
            return frame if frame is not None else empty

        return et.executive_items(
            blended=self.blended, paid=given(self.paid), unit_econ=given(self.customers),
            teams=given(self.teams), model=self.model, uplift=self.uplift,
            recommendations=given(self.recommendations),
            n_models=int(self.credit["model"].nunique()) if self.credit is not None else 0,
            win=self.win, cycle=self.cycle, start=self.start, end=self.end, claim=self.claim,
            language=self.language, short=short, unavailable=self.unavailable(),
            claim_form=self.claim_form, pretrend_p=self.pretrend_p,
            credit=et.credit_split(self.team_shares, self.model, self.unidentified,
                                   self.language),
            statuses={r["measure"]: r["status"] for r in self.health().to_dict("records")
                      if r["measure"] in ("payback", "ltv_to_cac")})

    def health(self) -> pd.DataFrame:
        """The headline measures against their targets: status met / missed / uncertain
        (:func:`smlib.analyses.executive_text.health_rows`)."""
        return et.health_rows(self.customers, self.teams, self.model)

    def health_table(self) -> pd.DataFrame | None:
        """:meth:`health` printable in the report's language (None when nothing can be judged:
        no costs)."""
        rows = self.health()
        if rows.empty or "spend" in self.gaps:  # no costs: nothing to judge (a gap says why)
            return None
        return et.health_for_print(rows, self.language,
                                   basis=et.short_basis(self.horizon, self.language))

    def reconciliation(self) -> str | None:
        """One sentence reconciling payback, LTV:CAC and the team returns (None without them)."""
        return et.reconciliation(self.customers, self.horizon, self.language)

    def interval_method(self) -> str:
        """How the credit's ranges on this page were made, in one sentence (report 01's
        :meth:`~smlib.analyses.attribution_comparison.AttributionReport.interval_sentence` for
        the model used); "" without intervals."""
        if self.attribution is None or self.credit is None:
            return ""
        return self.attribution.interval_sentence(self.language, self.model)

    def credit_table(self) -> pd.DataFrame | None:
        """Who earns the revenue under the model used: each team's share of the credit with its
        interval (report 01's team split), its cost and ROI with interval on this page's basis;
        printable, or None without credit."""
        if self.team_shares is None or self.team_shares.empty:
            return None
        lang = self.language
        shares = self.team_shares.loc[self.team_shares["model"].eq(self.model)]
        if self.teams is not None:
            shares = shares.merge(
                self.teams.loc[self.teams["model"].eq(self.model),
                               ["team", "cost", "roi", "roi_ci_low", "roi_ci_high"]],
                on="team", how="left")
        cols = [("team", "team", et.column("team", lang))]
        cols.append(("share", "pct", et.column("team_share", lang)))
        if "roi" in shares.columns:
            cols += [("cost", "money", et.column("cost", lang)),
                     ("roi", "pct", et.column("roi_interval_basis", lang,
                                              basis=et.short_basis(self.horizon, lang)))]
        intervals = {"share": ("ci_low", "ci_high")}
        if "roi" in shares.columns:
            intervals["roi"] = ("roi_ci_low", "roi_ci_high")
        return table_for_print(shares, [(c, k, h, h) for c, k, h in cols], lang,
                               intervals=intervals)

    def actions_table(self) -> pd.DataFrame | None:
        """The channels that can be judged, compact for the first pages: channel, action and the
        reason beside it (the ROI with its interval against break-even under the model used;
        the full table, with the churn sensitivity and cost, is :meth:`recommendations_table`);
        None without recommendations."""
        if self.recommendations is None or "spend" in self.gaps:  # no costs: nothing to judge
            return None
        lang = self.language
        rec = self.recommendations.loc[self.recommendations["action"].ne("not_assessed")]
        rec = rec.assign(why=[et.interval_reason(r, self.model, lang, name_model=False)
                              for r in rec.to_dict("records")])
        why = et.column("why_model", lang, model=model_label(self.model, lang))
        cols = [("channel", "channel", et.column("channel", lang)),
                ("action", "action", et.column("action", lang)), ("why", "text", why)]
        return table_for_print(rec, [(c, k, h, h) for c, k, h in cols], lang)

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
        note = et.headline_note(self.start, self.end, self.model, self.language)
        if "attribution" in self.gaps:  # no sale could be credited: say so, name no model
            note = note.split(". ")[0] + ". " + text("executive.headline.note_no_credit",
                                                     self.language)
        return f"{note} {self.model_note}".strip()

    # --- what the notebook shows -------------------------------------------------------------

    def title(self) -> str:
        """The headline block's title."""
        return et.label("title", self.language)

    def label(self, key: str) -> str:
        """A label of report 03 (:func:`smlib.analyses.executive_text.label`), e.g. a section's
        short title for its "not available" box (``cost_section``)."""
        return et.label(key, self.language)

    def text(self, section: str) -> str:
        """A section text of the report (Markdown; the caveats name the churn and contract
        assumptions of this run)."""
        churn = ("–" if self.monthly_churn is None
                 else format_pct(self.monthly_churn, self.language))
        return et.report_text(section, self.language, churn=churn,
                              months=self.contract_months, basis=self.basis())

    def sentences_html(self) -> str:
        """The eight headlines as full sentences, an HTML list with links to the reports."""
        return et.sentences_html(self.items(short=False), self.language)

    def glossary_table(self) -> pd.DataFrame:
        """The words this page uses, explained in one line each (the model used included)."""
        return glossary(["revenue", "gross_profit", "cac", "blended_cac", "paid_cac", "roi",
                         "roi_lifetime", "roi_first_contract", "ltv",
                         "ltv_to_cac", "payback", "churn", "attribution_model", self.model,
                         "win_rate", "sales_cycle", "mql", "interval", "uplift", "counterfactual",
                         "difference_in_differences", "smarketing"], language=self.language)

    def regime_table(self) -> pd.DataFrame | None:
        """Cost and CAC/ROI of units before and after they integrated, printable (text cells),
        or None when the data have no costs by business unit."""
        if self.by_regime is None:
            return None
        lang = self.language
        cols = [("regime", "regime", "regime"), ("cost", "money", "cost"),
                ("new_customers", "int", "new_customers"), ("cac", "money", "cac_interval"),
                ("roi", "pct", "roi_interval_basis")]
        basis = et.short_basis(self.horizon, lang)
        heads = {h: et.column(h, lang, basis=basis) for *_, h in cols}
        return table_for_print(self.by_regime, [(c, kind, heads[h], heads[h])
                                                for c, kind, h in cols], lang,
                               intervals={"cac": ("cac_ci_low", "cac_ci_high"),
                                          "roi": ("roi_ci_low", "roi_ci_high")})

    def team_share_table(self) -> pd.DataFrame | None:
        """Marketing's and sales' share of the credit under each model, printable (text cells),
        or None without credit."""
        if self.team_shares is None:
            return None
        lang = self.language
        wide = (self.team_shares.pivot(index="model", columns="team", values="share")
                .reindex(columns=["marketing", "sales"]).reset_index())
        cols = [("model", "model", "model"), ("marketing", "pct", "marketing_share"),
                ("sales", "pct", "sales_share")]
        return table_for_print(wide, [(c, kind, et.column(h, lang), et.column(h, lang))
                                      for c, kind, h in cols], lang)

    def recommendations_table(self) -> pd.DataFrame | None:
        """Channels to grow, review or cut, printable
        (:func:`smlib.analyses.executive_text.recommendations_for_print`), or None."""
        if self.recommendations is None:
            return None
        return et.recommendations_for_print(self.recommendations, self.model, self.language)

    def uplift_sentence(self) -> str | None:
        """The uplift judged against the claim, one sentence (None without an uplift)."""
        u = self.uplift
        return None if u is None else et.headline_uplift(
            u.estimate, u.ci_low, u.ci_high, claim=self.claim, level=u.level,
            language=self.language, claim_form=self.claim_form, pretrend_p=self.pretrend_p)

    @property
    def pretrend_p(self) -> float | None:
        """The p-value of the pre-trend test behind the verdict (report 02's), or None."""
        return None if self.uplift_analysis is None else self.uplift_analysis.pretrend_p

    def plot_cac(self) -> Axes:
        """Blended CAC by quarter (:func:`smlib.analyses.figures.plot_cac_by_period`)."""
        return figures.plot_cac_by_period(self.by_quarter, period="quarter",
                                          language=self.language)

    def plot_team_roi(self) -> Axes | None:
        """ROI of each team under each model (:func:`smlib.analyses.figures.plot_team_roi`)."""
        return None if self.teams is None else figures.plot_team_roi(self.teams,
                                                                      language=self.language)

    def plot_channels(self) -> Axes | None:
        """ROI by channel and model (:func:`smlib.analyses.figures.plot_model_comparison`)."""
        return None if self.channels is None else figures.plot_model_comparison(
            self.channels, language=self.language)

    def plot_funnel(self) -> Axes:
        """Stage conversion rates (:func:`smlib.analyses.figures.plot_funnel`)."""
        return figures.plot_funnel(self.funnel, by=self.funnel_by, language=self.language)

    def plot_uplift(self) -> Axes | None:
        """The event study of the integration (:func:`smlib.causal.plots.event_study_plot`)
        with report 03's title and axes (None without an uplift)."""
        if self.did is None or self.uplift is None:
            return None
        ax = event_study_plot(self.did, title=et.label("event_title", self.language),
                              language=self.language)
        _ = ax.set_xlabel(et.label("event_x", self.language))
        _ = ax.set_ylabel(et.label("event_y", self.language))
        return ax


def _credit_with_bounds(comparison: Any, model: str) -> pd.DataFrame:
    """Report 01's long credit table with ``model``'s bootstrap bounds (``ci_low, ci_high,
    value_ci_low, value_ci_high``; NaN for the other models), as the economics read it.

    A counterfactual model (``incremental``) can give a channel a negative credit (journeys
    convert slightly more without it); for costs and returns such a channel is credited with
    no sale (0), as the economics take credit as sales won; report 01 shows the signed credit."""
    credit = comparison.credit.copy()
    for c in ("conversions", "value"):
        credit[c] = credit[c].clip(lower=0.0)
    for c in _BOUNDS:
        credit[c] = np.nan
    iv = comparison.intervals
    if len(iv) and model in set(iv["model"]):
        rows = credit["model"].eq(model)
        bounds = iv.loc[iv["model"].eq(model), ["channel", *_BOUNDS]]
        merged = credit.loc[rows, ["channel"]].merge(bounds, on="channel", how="left")
        credit.loc[rows, _BOUNDS] = np.clip(merged[_BOUNDS].to_numpy(dtype=float), 0.0, None)
    return credit


def _model_for_costs(requested: str, attribution: Any, lang: str) -> tuple[str, str]:
    """The model whose credit report 03 uses, and a note when it is not the one requested:
    ``"recommended"`` is report 01's recommended model (or, when report 01 names none because
    some channels cannot be identified, the incremental model, else :data:`FALLBACK_MODEL`);
    a named model that the data cannot fit falls back to :data:`FALLBACK_MODEL`."""
    comp = attribution.comparison
    ran = list(dict.fromkeys(comp.credit["model"]))
    if requested == RECOMMENDED:
        preferred = "incremental"  # what report 01 recommends without a truth, when it can run
        if attribution.recommended is not None and (attribution.recommended != FALLBACK_MODEL
                                                    or preferred not in comp.skipped):
            return attribution.recommended, ""
        requested = preferred if preferred in ran or preferred in comp.skipped else (
            FALLBACK_MODEL if FALLBACK_MODEL in ran else ran[0])
    if requested in ran:
        return requested, ""
    model = FALLBACK_MODEL if FALLBACK_MODEL in ran else ran[0]
    gap = data_driven_gap(attribution.paths)
    missing = (gap.missing_in(lang) if gap is not None and requested in DATA_DRIVEN_MODELS
               else text("executive.summary.not_compared", lang))
    return model, text("executive.summary.fallback", lang,
                       requested=model_label(requested, lang), missing=missing,
                       model=model_label(model, lang))


def executive_summary(data: Any, *, attribution_model: str = RECOMMENDED, claim: float = 0.20,
                      claim_form: str = "up_to", monthly_churn: float | None = 0.015,
                      contract_months: float | None = 12, n_boot: int = 200, seed: int = 0,
                      language: str = "en", lookback_days: int | None = None,
                      models: Iterable[str] | None = None,
                      control_group: str = "never_treated", method: str = "dr",
                      horizon: str | int = "auto") -> ExecutiveSummary:
    """Run report 03's analysis on ``data`` (a :class:`smlib.io.Dataset`).

    Reports agree by construction: the credit is report 01's
    (:func:`smlib.analyses.attribution_comparison.attribution_report` with the same
    ``lookback_days``, ``models``, ``n_boot`` and ``seed``: journeys, merged channels, every
    model, bootstrap intervals, the team split with its interval and the recommended model) and
    the uplift is report 02's (:func:`smlib.analyses.uplift.uplift_analysis` with the same
    ``control_group``, ``method``, ``claim`` and ``claim_form``: the recommended estimator and its
    verdict). The notebooks take these settings from ``reports.toml`` ``[defaults]``, so one
    batch shows one set of numbers. On that credit: blended / paid CAC, customer economics,
    channel and team economics (each channel's team from its touches), channel actions
    (:func:`smlib.metrics.recommend_channels`), win rate, sales cycle and stage conversion.

    ``attribution_model``: ``"recommended"`` (default: report 01's recommended model) or a model
    name. ``horizon`` is the basis of every return figure (team and channel ROI, the grow/cut
    rule, the ROI before/after integration): ``"auto"`` (default) is the customer's lifetime
    when ``monthly_churn`` and ``contract_months`` are given (recurring revenue, LTV's
    assumptions) and the first contract otherwise (:func:`smlib.metrics.resolve_horizon`); a
    number of months or ``"first_contract"`` / ``"lifetime"`` may be forced.
    ``monthly_churn=None``: a one-off-sale business (no renewals), so no lifetime value or
    payback is shown.
    """
    lang = validate_language(language)
    if claim_form not in CLAIM_FORMS:
        raise ValueError(f"claim_form must be one of {CLAIM_FORMS}, got {claim_form!r}")
    if attribution_model != RECOMMENDED and attribution_model not in MODELS:
        raise ValueError(f"attribution_model must be {RECOMMENDED!r} or one of {sorted(MODELS)}, "
                         f"got {attribution_model!r}")
    horizon = resolve_horizon(horizon, monthly_churn, contract_months)
    returns = dict(horizon=horizon, monthly_churn=monthly_churn, contract_months=contract_months)
    lookback = config.DEFAULT_LOOKBACK_DAYS if lookback_days is None else lookback_days
    attribution = attribution_report(data, lookback, models=models, n_boot=n_boot, seed=seed)
    journeys = attribution.journeys
    warnings = attribution.warnings
    gaps: dict[str, DataGap] = {}
    has_spend = has_costs(data.spend)
    if not has_spend:
        gaps["spend"] = catalogue_gap("no_spend", "executive.label.needs_spend",
                                      "executive.label.spend_unlocks", "spend")
    model = attribution_model if attribution_model != RECOMMENDED else (
        attribution.recommended or "incremental")
    model_note = ""
    credit = draws = paid = channels = teams = recommendations = team_shares = None
    unidentified = attribution.unidentified
    if attribution.gap is not None:
        gaps["attribution"] = attribution.gap
    else:
        comp = attribution.comparison
        model, model_note = _model_for_costs(attribution_model, attribution, lang)
        credit = _credit_with_bounds(comp, model)
        draws = comp.draws.get(model)
        channel_teams = attribution.channel_teams
        paid = paid_cac(credit, data.spend)
        channels = channel_economics(credit, data.spend, data.opportunities,
                                     channel_teams=channel_teams, **returns)
        teams = team_economics(credit, data.spend, data.opportunities,
                               channel_teams=channel_teams,
                               draws={model: draws} if draws is not None else None, **returns)
        recommendations = recommend_channels(channels, model=model)
        team_shares = comp.team_intervals(channel_teams)
    by_regime = (blended_cac(data.opportunities, data.spend, by="regime",
                             accounts=data.accounts, units=data.units, **returns)
                 if has_spend and data.has("units") and data.has("accounts")
                 and "unit_id" in data.spend.columns and data.spend["unit_id"].notna().any()
                 else None)  # costs before/after integration need spend by business unit
    uplift_analysis_ = uplift_analysis(data, outcome="revenue", control_group=control_group,
                                       method=method, claim=claim, claim_form=claim_form,
                                       robustness=False, honest=False)
    did, uplift = uplift_analysis_.staggered, uplift_analysis_.uplift
    if uplift is None:
        uplift_gap = uplift_analysis_.gaps["panel"]
        gaps["uplift"] = catalogue_gap(uplift_gap.code, "executive.label.needs_units",
                                       "executive.label.units_unlocks", "units")
    opp = data.opportunities
    funnel_by = "source_team" if "source_team" in opp.columns else None  # an optional column
    customers = None
    if opp.empty:
        gaps["opportunities"] = catalogue_gap(
            "no_opportunities", "executive.label.needs_opportunities",
            "executive.label.opportunities_unlocks", "opportunities")
    if opp["outcome"].eq("won").any() and monthly_churn is not None and contract_months:
        customers = customer_economics(opp, data.spend, churn_rate=monthly_churn,
                                       contract_months=contract_months)
    elif not opp["outcome"].eq("won").any():
        gaps["wins"] = catalogue_gap("no_wins", "executive.summary.needs_wins",
                                     "executive.summary.wins_unlocks", "opportunities")
    start, end = ((data.spend["period"].min(), data.spend["period"].max()) if has_spend else
                  (opp["lead_at"].min(), opp["lead_at"].max()) if len(opp) else
                  (data.touchpoints["timestamp"].min(), data.touchpoints["timestamp"].max()))
    return ExecutiveSummary(
        journeys=journeys, requested_model=attribution_model, model=model, model_note=model_note,
        credit=credit, draws=draws, blended=blended_cac(opp, data.spend),
        by_quarter=blended_cac(opp, data.spend, by="quarter"), by_regime=by_regime,
        customers=customers, paid=paid, channels=channels, teams=teams,
        recommendations=recommendations, win=win_rate(opp), cycle=sales_cycle(opp),
        funnel=stage_conversion(opp, by=funnel_by), funnel_by=funnel_by, did=did, uplift=uplift,
        has_spend=has_spend, start=start, end=end, claim=claim, language=lang,
        warnings=warnings, gaps=gaps, team_shares=team_shares, unidentified=tuple(unidentified),
        monthly_churn=monthly_churn, contract_months=contract_months, horizon=horizon,
        claim_form=claim_form, attribution=attribution, uplift_analysis=uplift_analysis_)
