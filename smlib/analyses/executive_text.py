"""Report 03's prose: plain-language headlines for leadership, in the report's language.

Each ``headline_*`` function turns a result of :mod:`smlib.metrics` or :mod:`smlib.causal` into one
or two short sentences: numbers rounded sensibly (``$1.2M``, ``23 %``, ``4.1 months``), units
named, and the interval shown wherever there is one. :func:`executive_items` gathers the eight
headlines of the executive summary (short, for the headline block, or as full sentences).

Every word comes from the text catalogue (``[executive.*]`` tables of
``smlib/presentation/locales/<language>.toml``); numbers and names are formatted by
:mod:`smlib.presentation`. The verdict on the claimed uplift is report 02's
(:func:`smlib.analyses.uplift.verdict`, the one rule of :func:`smlib.causal.claims.check_claim`);
its wording is not repeated here. The status of each headline measure against its target
(:func:`health_status`: met / missed / uncertain on the interval, targets and sources in
:data:`HEALTH_TARGETS`) and the sentence that reconciles them (:func:`reconciliation`), who earns
the revenue (:func:`credit_split`) and the reason beside each channel action
(:func:`interval_reason`) are here too.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from smlib.analyses.uplift import uplift_value, verdict
from smlib.metrics import (blended_cac, customer_economics, has_costs, revenue_months,
                           sales_cycle, win_rate)
from smlib.presentation.catalogue import has, text
from smlib.presentation.labels import (action_label, channel_label, confidence_phrase,
                                       model_label, section_anchor, team_label)
from smlib.presentation.numbers import (format_days, format_interval, format_money,
                                        format_month, format_months, format_number, format_pct,
                                        is_known, pct_formatter)
from smlib.presentation.settings import currency_symbol, validate_language
from smlib.presentation.tables import table_for_print

__all__ = ["HEADLINE_KEYS", "cac_sentence", "funnel_sentence", "payback_sentence", "HEADLINE_SECTIONS", "HEALTH_STATUSES", "HEALTH_TARGETS", "REPORT_LINKS", "basis_phrase",
           "credit_split", "executive_items", "headline_cac", "health_for_print", "health_rows",
           "health_status", "reconciliation",
           "headline_channels", "headline_funnel", "headline_note", "headline_payback",
           "headline_revenue", "headline_roi_by_team", "headline_uplift", "interval_reason",
           "label", "recommendation_reason", "recommendations_for_print", "report_text",
           "sentences_html", "short_basis", "unavailable_items"]

#: Detailed reports of the same run folder that each headline points to (relative links).
REPORT_LINKS: dict[str, str] = {
    "overview": "00_data_overview.html",
    "attribution": "01_attribution_comparison.html",
    "uplift": "02_integration_uplift.html",
}
#: The eight headline items of the executive summary, in order, with the report each links to.
HEADLINE_KEYS: dict[str, str] = {
    "revenue": "overview", "cac": "overview", "payback": "attribution", "roi": "attribution",
    "credit": "attribution", "uplift": "uplift", "channels": "attribution", "funnel": "overview",
}
#: The section of the linked report that shows each headline's number: its HTML id, derived from
#: the catalogue key of the section's heading (:func:`smlib.presentation.labels.section_anchor`)
#: or ``"headline"`` (the report's headline block). Links read ``<report>.html#<id>``;
#: tests/test_report_browser.py follows each and checks the number is there.
HEADLINE_SECTIONS: dict[str, str] = {
    "revenue": "headline",
    "cac": section_anchor("overview.trends.nb_trends"),
    "payback": section_anchor("attribution.money.nb.reconciliation"),
    "roi": section_anchor("attribution.money.nb.reconciliation"),
    "credit": section_anchor("attribution.nb.teams.intro"),
    "uplift": "headline",
    "channels": section_anchor("attribution.money.nb.models"),
    "funnel": section_anchor("overview.nb.funnel"),
}
_TEAM_ORDER = {"marketing": 0, "sales": 1}


def _t(key: str, language: str, **values: Any) -> str:
    return text(f"executive.{key}", language, **values)


def _join(items: Sequence[str], language: str) -> str:
    """``a, b and c`` / ``a, b y c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {_t('word.and', language)} " + items[-1]


def _range(low: str, high: str, language: str) -> str:
    """`` (low to high)`` / `` (low a high)``."""
    return _t("short.range", language, low=low, high=high)


def label(key: str, language: str = "en") -> str:
    """Short label of a headline item, a section or the report title, in the language (money in
    the report's currency). ValueError for an unknown key."""
    lang = validate_language(language)
    if not has(f"executive.label.{key}", lang):
        raise ValueError(f"unknown label {key!r}")
    return _t(f"label.{key}", lang, currency=currency_symbol(language=lang))


def report_text(key: str, language: str = "en", **values: Any) -> str:
    """A section text of the executive summary (Markdown), with ``{placeholders}`` filled
    (``basis`` defaults to the first contract's, :func:`basis_phrase`)."""
    lang = validate_language(language)
    if not has(f"executive.nb.{key}", lang):
        raise ValueError(f"unknown report text {key!r}")
    values.setdefault("basis", basis_phrase("first_contract", lang))
    return _t(f"nb.{key}", lang, **values)


def basis_phrase(horizon: Any, language: str = "en", months: float | None = None) -> str:
    """What a return figure counts, in words: ``"first_contract"`` → the gross profit of the
    deals booked (before renewals); ``"lifetime"`` → lifetime gross profit (with ``months``, the
    expected lifetime: "a customer stays 67 months on average"); a number H → gross profit over
    H months.

    >>> basis_phrase("lifetime", months=66.7)
    'lifetime gross profit (a customer stays 67 months on average, as in LTV)'
    """
    lang = validate_language(language)
    if horizon == "lifetime":
        if months is not None and is_known(months):
            return _t("basis.lifetime_months", lang, months=format_number(months, 0, lang))
        return _t("basis.lifetime", lang)
    if horizon == "first_contract" or horizon is None:
        return _t("basis.first_contract", lang)
    return _t("basis.months", lang, months=format_number(float(horizon), 0, lang))


def short_basis(horizon: Any, language: str = "en") -> str:
    """The basis in two or three words, for headline items and figure titles: ``lifetime
    basis``, ``first-contract basis``, ``24-month basis``."""
    lang = validate_language(language)
    if horizon in ("lifetime", "first_contract"):
        return _t(f"basis.short_{horizon}", lang)
    if horizon is None:
        return _t("basis.short_first_contract", lang)
    return _t("basis.short_months", lang, months=format_number(float(horizon), 0, lang))


def _basis_of(table: pd.DataFrame, language: str) -> str | None:
    """The basis of a metrics table with a ``horizon`` column (None without one)."""
    if "horizon" not in table.columns or table.empty:
        return None
    life = (table["lifetime_months"].iloc[0] if "lifetime_months" in table.columns else None)
    h = table["horizon"].iloc[0]
    return basis_phrase(h, language, months=life if h == "lifetime" else None)


# --------------------------------------------------------------------------------------------
# full sentences
# --------------------------------------------------------------------------------------------

def headline_revenue(revenue: float, new_customers: int, won_deals: int | None = None,
                     start: Any = None, end: Any = None, language: str = "en") -> str:
    """Won revenue, new customers and the period it covers (won deals are named only when some
    came from existing customers).

    >>> headline_revenue(12_345_678, 430, 512, "2022-01-01", "2025-12-01")
    'Won revenue was $12M from 430 new customers (512 won deals) between Jan 2022 and Dec 2025.'
    """
    lang = validate_language(language)
    deals = "" if won_deals is None or won_deals == new_customers else _t(
        "headline.revenue_deals", lang, deals=format_number(won_deals, 0, lang))
    when = "" if start is None or end is None else _t(
        "headline.revenue_when", lang, start=format_month(start, lang), end=format_month(end, lang))
    return _t("headline.revenue", lang, revenue=format_money(revenue, lang),
              customers=format_number(new_customers, 0, lang), deals=deals, when=when)


def headline_cac(cac: float, ci_low: float | None = None, ci_high: float | None = None,
                 paid_cac: float | None = None, language: str = "en") -> str:
    """Blended CAC with its interval, and paid CAC when given (NaN paid CAC is said so).

    >>> headline_cac(8400, 7900, 9000, paid_cac=3100)
    'Winning a new customer costs $8.4k (95 % interval: $7.9k to $9.0k), counting every marketing and sales cost, salaries included; paid advertising alone spends $3.1k per customer it is credited with.'
    """
    lang = validate_language(language)
    if not is_known(cac):
        return _t("headline.cac_none", lang)
    ci = (f" ({format_interval(ci_low, ci_high, format_money, lang)})"
          if is_known(ci_low) and is_known(ci_high) else "")
    s = _t("headline.cac", lang, cac=format_money(cac, lang), ci=ci)
    if paid_cac is not None:
        s += (_t("headline.cac_paid", lang, paid=format_money(paid_cac, lang))
              if is_known(paid_cac) else _t("headline.cac_paid_none", lang))
    return s + "."


def headline_payback(payback_months: float, ltv_to_cac: float | None = None,
                     language: str = "en", lifetime_months: float | None = None) -> str:
    """CAC payback against the < 12-month target and LTV:CAC against the ≥ 3 target (Skok);
    with ``lifetime_months`` (the expected lifetime the LTV counts), the payback is also set
    against it, so payback and LTV:CAC read as one story (LTV:CAC > 1 ⟺ payback < lifetime).

    >>> headline_payback(14.2, 3.1)
    'The cost of a customer is paid back after 14.2 months of its gross profit (target: under 12), and over its lifetime a customer brings 3.1 times what it cost (target: 3 or more).'
    """
    lang = validate_language(language)
    if not is_known(payback_months):
        return _t("headline.payback_none", lang)
    s = _t("headline.payback", lang, months=format_months(payback_months, lang))
    if lifetime_months is not None and is_known(lifetime_months):
        s += _t("headline.payback_lifetime", lang,
                lifetime=format_number(lifetime_months, 0, lang))
    if is_known(ltv_to_cac):
        s += _t("headline.payback_ltv", lang, ratio=format_number(ltv_to_cac, 1, lang))
    return s + "."


def _roi_phrase(row: pd.Series, language: str) -> str:
    team = team_label(row["team"], language)
    if not is_known(row.get("roi")):
        return _t("headline.team_not_judged", language, team=team)
    lo, hi = row.get("roi_ci_low"), row.get("roi_ci_high")
    has_ci = is_known(lo) and is_known(hi)
    fmt = pct_formatter(row["roi"], *((lo, hi) if has_ci else ()))
    ci = f" ({format_interval(lo, hi, fmt, language)})" if has_ci else ""
    return _t("headline.team_roi", language, team=team, roi=fmt(row["roi"], language), ci=ci,
              cost=format_money(row["cost"], language))


def headline_roi_by_team(team_table: pd.DataFrame, model: str, language: str = "en") -> str:
    """ROI of marketing and of sales under one attribution model, from
    :func:`smlib.metrics.team_economics` (its ``roi_ci_*`` shown when present).

    >>> t = pd.DataFrame({"model": "markov", "team": ["marketing", "sales"],
    ...                   "cost": [2.1e6, 3.4e6], "roi": [0.45, 1.2]})
    >>> headline_roi_by_team(t, "markov")
    'With credit shared by the Markov model, marketing earns an ROI of 45 % on $2.1M of cost and sales earns an ROI of 120 % on $3.4M of cost.'
    """
    lang = validate_language(language)
    need = {"model", "team", "cost", "roi"} - set(team_table.columns)
    if need:
        raise ValueError(f"team_table: missing column(s) {sorted(need)}")
    rows = team_table.loc[team_table["model"].eq(model)]
    if rows.empty:
        raise ValueError(f"team_table has no rows for model {model!r}; models: "
                         f"{list(team_table['model'].unique())}")
    rows = rows.sort_values("team", key=lambda s: s.map(_TEAM_ORDER).fillna(9))
    parts = [_roi_phrase(r, lang) for _, r in rows.iterrows()]
    basis = _basis_of(rows, lang)
    if basis is not None:  # the table says on what the returns are counted
        return _t("headline.roi_by_team_basis", lang, model=model_label(model, lang),
                  basis=basis, parts=_join(parts, lang))
    return _t("headline.roi_by_team", lang, model=model_label(model, lang),
              parts=_join(parts, lang))


def headline_uplift(estimate_pct: float, ci_low: float, ci_high: float, claim: float = 0.20,
                    level: float = 0.95, language: str = "en", claim_form: str = "up_to",
                    pretrend_p: float | None = None) -> str:
    """The estimated revenue uplift from integrating the teams with its interval, judged against
    the claim (default "up to 20 %", a ceiling; ``claim_form="typical"``: an expected value): a
    sentence stating the claim, then the verdict of :func:`smlib.analyses.uplift.verdict` with
    the same inputs as report 02 (``pretrend_p``: its pre-trend test; the rule and its wording are
    not duplicated here). ``estimate_pct``, ``ci_low``, ``ci_high`` and ``claim`` are fractions of
    counterfactual revenue.

    >>> headline_uplift(0.079, 0.051, 0.106)  # doctest: +NORMALIZE_WHITESPACE
    'Claim tested: integrating marketing and sales raises revenue by up to 20 %. For this company
    the likely uplift is 5.1 % to 10.6 % (7.9 %, 95 % interval): a real gain and within “up to
    20.0 %”, but the 20.0 % headline overstates what this company can expect.'
    """
    lang = validate_language(language)
    v = verdict(estimate_pct, ci_low, ci_high, claim=claim, language=lang, level=level,
                claim_form=claim_form, pretrend_p=pretrend_p)
    lead = _t("headline.uplift_claim" if claim_form == "up_to" else "headline.uplift_claim_typical",
              lang, claim=format_pct(claim, lang))
    return f"{lead} {v.text}"


def headline_channels(recommendations: pd.DataFrame, n_models: int | None = None,
                      max_items: int = 4, language: str = "en") -> str:
    """Which channels to grow, review or cut and how sure we are, from
    :func:`smlib.metrics.recommend_channels` (``channel, action, confidence``). At most
    ``max_items`` channels per group, best ROI first; ``n_models`` is the number of attribution
    models compared (said in the sentence). For the output of
    :func:`smlib.metrics.recommend_channels` (with its ``rule``, ``horizon`` and churn-sensitivity
    columns), the sentence states the interval rule and the basis of the returns and names the
    channels whose action changes with churn halved or 50 % higher.

    >>> r = pd.DataFrame({"channel": ["webinar", "email", "demo", "events", "paid_social"],
    ...                   "action": ["grow", "grow", "grow", "review", "cut"],
    ...                   "confidence": ["high", "medium", "high", "low", "medium"]})
    >>> headline_channels(r, n_models=9)
    'Judged by ROI on the gross profit of the deals booked (before renewals) under 9 attribution models: grow webinars and demos (high confidence) and email (medium confidence); not enough evidence for events (low confidence: the attribution models disagree); cut paid social (medium confidence).'
    """
    lang = validate_language(language)
    need = {"channel", "action", "confidence"} - set(recommendations.columns)
    if need:
        raise ValueError(f"recommendations: missing column(s) {sorted(need)}")
    if "rule" in recommendations.columns:  # the interval rule on a stated basis
        return _channels_by_interval(recommendations, n_models, max_items, lang)
    parts = []
    for action in ("grow", "review", "cut"):
        g = recommendations.loc[recommendations["action"].eq(action)].head(max_items)
        if g.empty:
            continue
        groups = []  # channels of one action grouped by confidence, most confident first
        for conf in ("high", "medium", "low", None):
            sub = g.loc[g["confidence"].eq(conf)] if conf else g.loc[~g["confidence"].isin(
                ["high", "medium", "low"])]
            if sub.empty:
                continue
            names = _join([channel_label(c, lang) for c in sub["channel"]], lang)
            groups.append(f"{names} ({confidence_phrase(conf, lang)})" if conf else names)
        lead = (action_label(action, lang) if action != "review"
                else _t("headline.channels_no_evidence_for", lang))
        parts.append(f"{lead} {_join(groups, lang)}")
    if not parts:
        return _t("headline.channels_none", lang)
    return _t("headline.channels", lang, n_models="" if n_models is None else f" {n_models}",
              parts="; ".join(parts))


def _channels_by_interval(recommendations: pd.DataFrame, n_models: int | None, max_items: int,
                          lang: str) -> str:
    """:func:`headline_channels` for the output of :func:`smlib.metrics.recommend_channels`:
    grow / cut where the chosen model's ROI interval is on one side of break-even, "not enough
    evidence" otherwise, on the stated basis, and the channels whose action flips with churn."""
    rec = recommendations
    parts = []
    for action in ("grow", "review", "cut"):
        g = rec.loc[rec["action"].eq(action)].head(max_items)
        if g.empty:
            continue
        labels = [channel_label(c, lang) for c in g["channel"]]
        more = int(rec["action"].eq(action).sum()) - len(g)
        names = (", ".join(labels) + _t("headline.channels_more", lang, n=more) if more > 0
                 else _join(labels, lang))
        parts.append(_t(f"headline.channels_{action}", lang, channels=names))
    if not parts:
        return _t("headline.channels_none", lang)
    horizon = rec["horizon"].iloc[0] if "horizon" in rec.columns and len(rec) else None
    s = _t("headline.channels_interval", lang, basis=basis_phrase(horizon, lang),
           n_models="" if n_models is None else _t("headline.channels_models", lang, n=n_models),
           parts="; ".join(parts))
    flips = rec.loc[rec["flips"].astype(bool)] if "flips" in rec.columns else rec.iloc[:0]
    if len(flips):
        s += " " + _t("headline.channels_flip", lang, channels=_join(
            [channel_label(c, lang) for c in flips["channel"]], lang))
    else:
        if "action_low_churn" in rec.columns and rec["horizon"].ne("first_contract").any():
            s += " " + _t("headline.channels_no_flip", lang)
    return s


def headline_funnel(win_rate: float, ci_low: float | None, ci_high: float | None,
                    cycle_days: float | None = None, language: str = "en") -> str:
    """Win rate with its interval and the average sales cycle.

    >>> headline_funnel(0.372, 0.351, 0.394, 63.6)
    '37 % of closed deals are won (95 % interval: 35 % to 39 %); a won deal takes 64 days on average from opportunity to signature.'
    """
    lang = validate_language(language)
    if not is_known(win_rate):
        return _t("headline.funnel_none", lang)
    has_ci = is_known(ci_low) and is_known(ci_high)
    fmt = pct_formatter(win_rate, *((ci_low, ci_high) if has_ci else ()))
    ci = f" ({format_interval(ci_low, ci_high, fmt, lang)})" if has_ci else ""
    s = _t("headline.funnel", lang, rate=fmt(win_rate, lang), ci=ci)
    if is_known(cycle_days):
        s += _t("headline.funnel_cycle", lang, days=format_days(cycle_days, lang))
    return s + "."


def headline_note(start: Any, end: Any, model: str, language: str = "en") -> str:
    """Caption of the headline block: data period and the attribution model used for credit."""
    lang = validate_language(language)
    return _t("headline.note", lang, start=format_month(start, lang), end=format_month(end, lang),
              model=model_label(model, lang))


# --------------------------------------------------------------------------------------------
# the executive summary's headline items
# --------------------------------------------------------------------------------------------

def _uplift_short(uplift: Any, claim: float, lang: str, claim_form: str = "up_to",
                  pretrend_p: float | None = None) -> str:
    """The uplift with its interval as report 02's headline writes it
    (:func:`smlib.analyses.uplift.uplift_value`) and the verdict in a few words (``short`` of
    :func:`smlib.analyses.uplift.verdict`, the same rule and inputs as report 02)."""
    v = verdict(uplift.estimate, uplift.ci_low, uplift.ci_high, claim=claim, language=lang,
                level=getattr(uplift, "level", 0.95), claim_form=claim_form,
                pretrend_p=pretrend_p)
    return _t("short.uplift", lang, value=uplift_value(uplift, lang), judged=v.short)


def _channel_actions_short(recommendations: pd.DataFrame, lang: str) -> str:
    """Channels to grow / cut / review, in a few words."""
    groups = []
    for action in ("grow", "cut"):
        names = [channel_label(x, lang) for x in
                 recommendations.loc[recommendations["action"].eq(action), "channel"]]
        if names:
            groups.append(_t("short.channel_group", lang, action=action_label(action, lang),
                             channels=", ".join(names)))
    n_review = int(recommendations["action"].eq("review").sum())
    interval_rule = "rule" in recommendations.columns
    if n_review:
        groups.append(_t("short.channels_no_evidence" if interval_rule else
                         "short.channels_unclear", lang, n=n_review))
    if interval_rule and groups and "horizon" in recommendations and len(recommendations):
        groups.append(short_basis(recommendations["horizon"].iloc[0], lang))
    return " · ".join(groups) if groups else _t("short.channels_none", lang)


def _short_values(*, blended: pd.DataFrame, unit_econ: pd.DataFrame, teams: pd.DataFrame,
                  model: str, uplift: Any, recommendations: pd.DataFrame, win: pd.DataFrame,
                  cycle: pd.DataFrame, claim: float, lang: str,
                  unavailable: Mapping[str, str] | None = None, claim_form: str = "up_to",
                  pretrend_p: float | None = None,
                  credit: tuple[str, str] | None = None,
                  statuses: Mapping[str, str] | None = None) -> list[str]:
    """The headline numbers, short, in the order of :data:`HEADLINE_KEYS`; an item named
    in ``unavailable`` shows that text instead (and is not computed)."""

    def revenue() -> str:
        b = blended.iloc[0]
        return _t("short.revenue", lang, revenue=format_money(b["revenue"], lang),
                  customers=format_number(b["new_customers"], 0, lang))

    def cac() -> str:
        b = blended.iloc[0]
        return "–" if not is_known(b["cac"]) else format_money(b["cac"], lang) + (
            _range(format_money(b["cac_ci_low"], lang), format_money(b["cac_ci_high"], lang), lang)
            if is_known(b["cac_ci_low"]) and is_known(b["cac_ci_high"]) else "")

    def payback() -> str:
        u = unit_econ.iloc[0]
        if not is_known(u["payback_months"]):
            return "–"
        judged = dict(statuses or {})

        def status(key: str) -> dict[str, str]:  # the status word, when one is given
            return ({"status": _t(f"health.status_{judged[key]}", lang)} if key in judged
                    else {})

        out = _t("short.payback_status" if "payback" in judged else "short.payback", lang,
                 months=format_months(u["payback_months"], lang), **status("payback"))
        if is_known(u.get("lifetime_months")):
            out += _t("short.lifetime", lang, lifetime=format_number(u["lifetime_months"], 0, lang))
        if is_known(u["ltv_to_cac"]):
            out += _t("short.ltv_status" if "ltv_to_cac" in judged else "short.ltv", lang,
                      ratio=format_number(u["ltv_to_cac"], 1, lang), **status("ltv_to_cac"))
        return out

    def roi() -> str:
        parts = []
        t = teams.loc[teams["model"].eq(model)].sort_values(
            "team", key=lambda x: x.map(_TEAM_ORDER).fillna(9))
        for _, r in t.iterrows():
            name = team_label(r["team"], lang)
            lo, hi = r.get("roi_ci_low"), r.get("roi_ci_high")
            if not is_known(r["roi"]):
                parts.append(f"{name} –")
                continue
            has_ci = is_known(lo) and is_known(hi)
            f = pct_formatter(r["roi"], *((lo, hi) if has_ci else ()))
            parts.append(f"{name} {f(r['roi'], lang)}"
                         + (_range(f(lo, lang), f(hi, lang), lang) if has_ci else ""))
        basis = short_basis(t["horizon"].iloc[0], lang) if "horizon" in t and len(t) else None
        return ", ".join(parts) + ("" if basis is None else _t("short.basis", lang, basis=basis))

    def uplift_text() -> str:
        if uplift is None:
            return _t("not_available.uplift", lang)
        return _uplift_short(uplift, claim, lang, claim_form, pretrend_p)

    def funnel() -> str:
        w, c = win.iloc[0], cycle.iloc[0]
        if not is_known(w["win_rate"]):
            return "–"
        has_ci = is_known(w["ci_low"]) and is_known(w["ci_high"])
        f = pct_formatter(w["win_rate"], *((w["ci_low"], w["ci_high"]) if has_ci else ()))
        out = _t("short.win_rate", lang, rate=f(w["win_rate"], lang),
                 ci=_range(f(w["ci_low"], lang), f(w["ci_high"], lang), lang) if has_ci else "")
        if is_known(c["mean_days"]):
            out += _t("short.cycle", lang, days=format_days(c["mean_days"], lang))
        return out

    makers = {"revenue": revenue, "cac": cac, "payback": payback, "roi": roi,
              "credit": lambda: "–" if credit is None else credit[0], "uplift": uplift_text,
              "channels": lambda: _channel_actions_short(recommendations, lang),
              "funnel": funnel}
    missing = dict(unavailable or {})
    return [missing[k] if k in missing else makers[k]() for k in HEADLINE_KEYS]


def unavailable_items(spend: bool = True, attribution: str | None = None,
                      language: str = "en") -> dict[str, str]:
    """Which executive headline items cannot be computed, with the text shown instead.

    ``spend=False`` (no spend table with costs): cost, payback, return and channel actions.
    ``attribution`` (why no attribution model can run, a clause in ``language``, e.g. "there is no
    won deal after a touch"): return by team and channel actions. For :func:`executive_items`'
    ``unavailable``.
    """
    lang = validate_language(language)
    out: dict[str, str] = {}
    if attribution:
        reason = _t("not_available.because", lang, reason=attribution)
        out |= {"roi": reason, "credit": reason, "channels": reason}
    if not spend:
        reason = _t("not_available.spend", lang)
        out |= {"cac": reason, "payback": reason, "roi": reason, "channels": reason}
    return out


def no_attribution_reason(code: str, language: str = "en") -> str:
    """Why nothing can be credited, as a clause for the headline, by gap code (``no_journeys``;
    any other code reads as ``no_wins``: no won deal after a touch)."""
    key = code if code in ("no_journeys", "no_wins") else "no_wins"
    return _t(f"not_available.{key}", validate_language(language))


def executive_items(*, blended: pd.DataFrame, paid: pd.DataFrame, unit_econ: pd.DataFrame,
                    teams: pd.DataFrame, model: str, uplift: Any, recommendations: pd.DataFrame,
                    n_models: int, win: pd.DataFrame, cycle: pd.DataFrame, start: Any, end: Any,
                    claim: float = 0.20, language: str = "en",
                    short: bool = True, spend_available: bool = True,
                    unavailable: Mapping[str, str] | None = None, claim_form: str = "up_to",
                    pretrend_p: float | None = None,
                    credit: tuple[str, str] | None = None,
                    statuses: Mapping[str, str] | None = None) -> list[tuple[str, str, str]]:
    """The eight headlines of the executive summary as ``(label, text, link)``.

    ``short=True`` (for :func:`smlib.report.show_headline`): the number with its interval in a few
    words (``"$41k ($39k to $43k)"``); ``short=False``: the full plain-language sentence of each
    ``headline_*`` function (for :func:`sentences_html`). Inputs are the overall (one-row)
    outputs of :func:`smlib.metrics.blended_cac`, :func:`~smlib.metrics.paid_cac` (the row of
    ``model`` is used), :func:`~smlib.metrics.customer_economics`,
    :func:`~smlib.metrics.team_economics`, :func:`~smlib.metrics.recommend_channels`,
    :func:`~smlib.metrics.win_rate` and :func:`~smlib.metrics.sales_cycle`, plus an uplift
    result with ``estimate, ci_low, ci_high`` (fractions; e.g.
    :func:`smlib.causal.claims.uplift_percent`), or ``None`` when the data cannot estimate it.
    ``spend_available=False`` (no spend table): cost, payback, return and channel actions say what
    they need instead of a number; ``unavailable`` (item key -> text, see
    :func:`unavailable_items`) replaces any item the data cannot support. Each item links to the
    report with the details (:data:`REPORT_LINKS`). ``claim_form`` and ``pretrend_p`` go to the
    verdict (:func:`smlib.analyses.uplift.verdict`), as in report 02; ``credit`` is who earns the
    revenue, (short, sentence) of :func:`credit_split` ("–" without credit); ``statuses``
    (``payback`` / ``ltv_to_cac`` -> met, missed or uncertain, :func:`health_status`) adds the
    status beside each target in the short items."""
    lang = validate_language(language)
    links = [f"{REPORT_LINKS[HEADLINE_KEYS[k]]}#{HEADLINE_SECTIONS[k]}" for k in HEADLINE_KEYS]
    missing = {**unavailable_items(spend=spend_available, language=lang), **(unavailable or {})}
    if short:
        texts = _short_values(blended=blended, unit_econ=unit_econ, teams=teams, model=model,
                              uplift=uplift, recommendations=recommendations, win=win,
                              cycle=cycle, claim=claim, lang=lang, unavailable=missing,
                              claim_form=claim_form, pretrend_p=pretrend_p, credit=credit,
                              statuses=statuses)
        return [(label(k, lang), t, h) for k, t, h in zip(HEADLINE_KEYS, texts, links)]
    b, w, c = blended.iloc[0], win.iloc[0], cycle.iloc[0]
    u = unit_econ.iloc[0] if len(unit_econ) else None
    p = paid.loc[paid["model"].eq(model)] if paid is not None else paid
    paid_value = float(p["cac"].iloc[0]) if p is not None and len(p) else None
    makers = {
        "revenue": lambda: headline_revenue(b["revenue"], int(b["new_customers"]),
                                            int(b["won_deals"]), start, end, lang),
        "cac": lambda: headline_cac(b["cac"], b["cac_ci_low"], b["cac_ci_high"],
                                    paid_cac=paid_value, language=lang),
        "payback": lambda: headline_payback(u["payback_months"], u["ltv_to_cac"], lang,
                                            lifetime_months=u.get("lifetime_months")),
        "roi": lambda: headline_roi_by_team(teams, model, lang),
        "credit": lambda: "–" if credit is None else credit[1],
        "uplift": lambda: headline_uplift(uplift.estimate, uplift.ci_low, uplift.ci_high,
                                          claim=claim, level=getattr(uplift, "level", 0.95),
                                          language=lang, claim_form=claim_form,
                                          pretrend_p=pretrend_p) if uplift is not None
        else _t("not_available.uplift", lang),
        "channels": lambda: headline_channels(recommendations, n_models=n_models, language=lang),
        "funnel": lambda: headline_funnel(w["win_rate"], w["ci_low"], w["ci_high"],
                                          c["mean_days"], lang),
    }
    texts = [missing[k] if k in missing else makers[k]() for k in HEADLINE_KEYS]
    return [(label(k, lang), t, h) for k, t, h in zip(HEADLINE_KEYS, texts, links)]


def sentences_html(items: Sequence[tuple[str, str, str]], language: str = "en") -> str:
    """The full headline sentences as an HTML list, each with a link to its detailed report;
    every text escaped (channel names are user data)."""
    more = _t("word.details", validate_language(language))
    rows = [f'<li><strong>{html.escape(lab)}.</strong> {html.escape(sentence)} '
            f'<a href="{html.escape(href)}">({more} →)</a></li>' for lab, sentence, href in items]
    return '<ul class="smarketing-sentences">' + "".join(rows) + "</ul>"


# --------------------------------------------------------------------------------------------
# printable tables
# --------------------------------------------------------------------------------------------

def recommendation_reason(n_positive: int, n_negative: int, n_models: int,
                          language: str = "en") -> str:
    """Why a channel is marked grow / review / cut: ``"ROI above 0 under 10 of 12 models"``."""
    lang = validate_language(language)
    if n_models == 0:
        return _t("reason.none", lang)
    return _t("reason.models", lang, positive=n_positive, models=n_models, negative=n_negative)


def column(key: str, language: str = "en", **values: Any) -> str:
    """A column header of report 03's tables (``executive.column.<key>`` in the catalogue)."""
    return _t(f"column.{key}", validate_language(language), **values)


def interval_reason(row: Mapping[str, Any], model: str, language: str = "en",
                    name_model: bool = True) -> str:
    """Why a channel is grow / not enough evidence / cut under the interval rule of
    :func:`smlib.metrics.recommend_channels`, written beside the action: the recommended model's
    ROI and interval against break-even (``ROI +35 % (12 % to 60 %) above break-even under the
    incremental model``), or that the interval spans break-even or is missing, then "not enough
    evidence" (naming how many models put the ROI above 0 when some do), how many models agree
    for grow / cut, and whether the action flips when churn is halved or 50 % higher (``row`` is
    one row of its output). ``name_model=False`` leaves the model's name out (a table whose
    header names it)."""
    lang = validate_language(language)
    short = "" if name_model else "_short"
    n = int(row["n_models"])
    if n == 0:
        return _t("reason.none", lang)
    n_pos = int(row["n_positive"])
    lo, hi, roi = (row.get(k, float("nan")) for k in ("roi_ci_low", "roi_ci_high", "roi"))
    if row.get("rule") == "interval" and is_known(lo) and is_known(hi):
        lo, hi = float(lo), float(hi)
        fmt = pct_formatter(lo, hi)
        side = "above" if lo > 0 else "below" if hi < 0 else "spans"
        sign = "+" if is_known(roi) and roi > 0 else ""
        head = _t(f"reason.interval_{side}{short}", lang, model=model_label(model, lang),
                  roi=sign + fmt(roi, lang) if is_known(roi) else "–",
                  low=fmt(lo, lang), high=fmt(hi, lang))
    else:
        side = "none"
        head = _t(f"reason.no_interval{short}", lang, model=model_label(model, lang))
    if side in ("above", "below"):
        out = f"{head}; " + _t("reason.agree", lang, positive=n_pos, models=n)
    elif n_pos:
        out = f"{head}: " + _t("reason.no_evidence_agree", lang, positive=n_pos, models=n)
    else:
        out = f"{head}: " + _t("reason.no_evidence", lang)
    if bool(row.get("flips", False)):
        out += "; " + _t("reason.flips", lang, low=action_label(row["action_low_churn"], lang),
                         high=action_label(row["action_high_churn"], lang))
    return out


def recommendations_for_print(recommendations: pd.DataFrame, model: str,
                              language: str = "en") -> pd.DataFrame:
    """The output of :func:`smlib.metrics.recommend_channels` as a printable table in the
    language: channel, team, action, confidence, ROI under ``model`` with its interval, cost and
    the reason. With the interval rule's columns (``rule``, ``horizon``, the churn sensitivity),
    the action rests on the interval alone (no confidence column: the reason says it), the ROI
    header names the basis (e.g. lifetime gross profit), a column gives the action with churn
    halved and 50 % higher, and the reason gives the interval, the models' agreement and any
    flip (:func:`interval_reason`)."""
    lang = validate_language(language)
    need = {"n_positive", "n_negative", "n_models"} - set(recommendations.columns)
    if need:
        raise ValueError(f"recommendations: missing column(s) {sorted(need)}")
    if "rule" not in recommendations.columns:
        rec = recommendations.assign(why=[
            recommendation_reason(p, n, m, lang) for p, n, m in zip(
                recommendations["n_positive"], recommendations["n_negative"],
                recommendations["n_models"])])
        cols = [("channel", "channel"), ("team", "team"), ("action", "action"),
                ("confidence", "confidence"), ("roi", "pct"), ("cost", "money"), ("why", "text")]
        heads = {c: column(c, lang) for c, _ in cols if c != "roi"}
        heads["roi"] = column("roi_model", lang, model=model_label(model, lang))
        return table_for_print(rec, [(c, kind, heads[c], heads[c]) for c, kind in cols], lang,
                               intervals={"roi": ("roi_ci_low", "roi_ci_high")})
    rec = recommendations.assign(
        why=[interval_reason(r, model, lang) for r in recommendations.to_dict("records")],
        churn=[_t("short.churn_actions", lang, low=action_label(a, lang),
                  high=action_label(b, lang)) if a != "not_assessed" else "–"
               for a, b in zip(recommendations["action_low_churn"],
                               recommendations["action_high_churn"])])
    cols = [("channel", "channel"), ("team", "team"), ("action", "action"),
            ("roi", "pct"), ("churn", "text"), ("cost", "money"), ("why", "text")]
    heads = {c: column(c, lang) for c, _ in cols if c not in ("roi", "churn")}
    horizon = recommendations["horizon"].iloc[0] if len(recommendations) else None
    heads["roi"] = column("roi_model_basis", lang, model=model_label(model, lang),
                          basis=short_basis(horizon, lang))
    heads["churn"] = column("churn_actions", lang)
    return table_for_print(rec, [(c, kind, heads[c], heads[c]) for c, kind in cols], lang,
                           intervals={"roi": ("roi_ci_low", "roi_ci_high")})


# --------------------------------------------------------------------------------------------
# health against targets (met / missed / uncertain) and the sentence that reconciles them
# --------------------------------------------------------------------------------------------

#: The targets report 03 reads its headlines against: measure -> (direction, target, source).
#: ``direction`` ``"below"``: the target is met when the value is under it; ``"above"``: over it.
#: Sources: docs/sources.md §2.2 (David Skok, *SaaS Metrics 2.0*: CAC payback under 12 months,
#: LTV:CAC of 3 or more); a return's target is break-even (ROI 0: the cost comes back).
HEALTH_TARGETS: dict[str, tuple[str, float, str]] = {
    "payback": ("below", 12.0, "skok"),
    "ltv_to_cac": ("above", 3.0, "skok"),
    "roi": ("above", 0.0, "break_even"),
}
#: The statuses of :func:`health_status`.
HEALTH_STATUSES: tuple[str, ...] = ("met", "missed", "uncertain", "not_available")


def health_status(value: float | None, ci_low: float | None, ci_high: float | None,
                  target: float, direction: str) -> str:
    """``met`` / ``missed`` when the whole interval is on one side of ``target``, ``uncertain``
    when the interval spans it or when there is no interval (a point estimate alone cannot say
    which side the truth is on), ``not_available`` without a value.

    >>> health_status(21.8, 20.8, 22.9, 12, "below"), health_status(3.05, 2.91, 3.20, 3, "above")
    ('missed', 'uncertain')
    """
    if direction not in ("below", "above"):
        raise ValueError(f"direction must be 'below' or 'above', got {direction!r}")
    if not is_known(value):
        return "not_available"
    if not (is_known(ci_low) and is_known(ci_high)):
        return "uncertain"
    lo, hi = float(ci_low), float(ci_high)  # type: ignore[arg-type]
    if lo > hi:
        raise ValueError(f"interval [{lo}, {hi}]: the low end is above the high end")
    good_side = hi < target if direction == "below" else lo > target
    bad_side = lo > target if direction == "below" else hi < target
    return "met" if good_side else "missed" if bad_side else "uncertain"


def health_rows(unit_econ: pd.DataFrame | None, teams: pd.DataFrame | None,
                model: str) -> pd.DataFrame:
    """The headline measures judged against their targets (:data:`HEALTH_TARGETS`): CAC payback
    and LTV:CAC from :func:`smlib.metrics.customer_economics` (LTV:CAC's interval is LTV over
    the ends of CAC's interval: LTV rests on the churn assumption, stated on the page), and each
    team's ROI under ``model`` from :func:`smlib.metrics.team_economics` (its bootstrap interval).
    Columns: ``measure, team, value, ci_low, ci_high, target, direction, source, status``."""
    rows = []
    if unit_econ is not None and len(unit_econ):
        u = unit_econ.iloc[0]
        ltv, lo_cac, hi_cac = u.get("ltv"), u.get("cac_ci_low"), u.get("cac_ci_high")
        ratio_ci = ((ltv / hi_cac, ltv / lo_cac) if all(is_known(x) for x in (ltv, lo_cac, hi_cac))
                    and hi_cac > 0 and lo_cac > 0 else (float("nan"), float("nan")))
        for measure, value, (lo, hi) in (
                ("payback", u.get("payback_months"), (u.get("payback_ci_low"),
                                                      u.get("payback_ci_high"))),
                ("ltv_to_cac", u.get("ltv_to_cac"), ratio_ci)):
            direction, target, source = HEALTH_TARGETS[measure]
            rows.append(dict(measure=measure, team=None, value=value, ci_low=lo, ci_high=hi,
                             target=target, direction=direction, source=source))
    if teams is not None and len(teams):
        t = teams.loc[teams["model"].eq(model)].sort_values(
            "team", key=lambda s: s.map(_TEAM_ORDER).fillna(9))
        direction, target, source = HEALTH_TARGETS["roi"]
        for _, r in t.iterrows():
            rows.append(dict(measure="roi", team=r["team"], value=r.get("roi"),
                             ci_low=r.get("roi_ci_low"), ci_high=r.get("roi_ci_high"),
                             target=target, direction=direction, source=source))
    out = pd.DataFrame(rows, columns=["measure", "team", "value", "ci_low", "ci_high", "target",
                                      "direction", "source"])
    out["status"] = [health_status(v, lo, hi, tg, d) for v, lo, hi, tg, d in zip(
        out["value"], out["ci_low"], out["ci_high"], out["target"], out["direction"])]
    return out


def health_for_print(rows: pd.DataFrame, language: str = "en",
                     basis: str | None = None) -> pd.DataFrame:
    """:func:`health_rows` as a printable table in ``language``: measure, value with its
    interval, target, status (met / missed / uncertain) and the target's source."""
    lang = validate_language(language)
    out = []
    for r in rows.to_dict("records"):
        m = r["measure"]
        if m == "payback":
            fmt = lambda x, lg: format_months(x, lg)  # noqa: E731
            name = _t("health.payback", lang)
            target = _t("health.target_payback", lang, months=format_number(r["target"], 0, lang))
        elif m == "ltv_to_cac":
            fmt = lambda x, lg: format_number(x, 1, lg)  # noqa: E731
            name = _t("health.ltv_to_cac", lang)
            target = _t("health.target_ltv", lang, ratio=format_number(r["target"], 0, lang))
        else:
            lo_hi = [x for x in (r["ci_low"], r["ci_high"]) if is_known(x)]
            fmt = pct_formatter(r["value"], *lo_hi) if is_known(r["value"]) else format_pct
            name = _t("health.roi", lang, team=team_label(r["team"], lang),
                      basis=basis or short_basis("first_contract", lang))
            target = _t("health.target_roi", lang)
        bound = (lambda x, lg: format_number(x, 1, lg)) if m == "payback" else fmt
        value = "–" if not is_known(r["value"]) else fmt(r["value"], lang) + (
            _range(bound(r["ci_low"], lang), bound(r["ci_high"], lang), lang)
            if is_known(r["ci_low"]) and is_known(r["ci_high"]) else "")
        out.append({column("measure", lang): name, column("value_interval", lang): value,
                    column("target", lang): target,
                    column("status", lang): _t(f"health.status_{r['status']}", lang),
                    column("source", lang): _t(f"health.source_{r['source']}", lang)})
    return pd.DataFrame(out)


def reconciliation(unit_econ: pd.DataFrame | None, horizon: Any = None,
                   language: str = "en") -> str | None:
    """One sentence that reconciles payback, LTV:CAC and the team returns: they count the same
    gross profit over different spans (the first year's gross profit covers 12 / payback of
    CAC; the expected lifetime covers it LTV:CAC times; team returns count ``horizon``). None
    without payback, LTV:CAC or lifetime.

    >>> u = pd.DataFrame({"payback_months": [21.8], "ltv_to_cac": [3.06],
    ...                   "lifetime_months": [66.7]})
    >>> print(reconciliation(u, "lifetime"))  # doctest: +NORMALIZE_WHITESPACE
    These figures count the same gross profit over different spans: a customer's first 12
    months of gross profit cover 55 % of what it cost to win, so payback takes 21.8 months
    (target: under 12), while over its expected 67-month lifetime it brings 3.1 times that cost
    (LTV:CAC; target: 3 or more); the team returns count that whole lifetime, which is why they
    can be above break-even while payback misses its target.
    """
    lang = validate_language(language)
    if unit_econ is None or not len(unit_econ):
        return None
    u = unit_econ.iloc[0]
    payback, ratio, life = (u.get(k) for k in ("payback_months", "ltv_to_cac", "lifetime_months"))
    if not all(is_known(x) for x in (payback, ratio, life)) or payback <= 0:
        return None
    roi = {"lifetime": "roi_lifetime" if payback >= 12 else "roi_lifetime_met",
           "first_contract": "roi_first_contract"}.get(horizon, "roi_months")
    return _t("health.reconcile", lang, first_year=format_pct(min(12.0 / payback, 9.99), lang),
              payback=format_months(payback, lang), ratio=format_number(ratio, 1, lang),
              lifetime=format_number(life, 0, lang),
              returns=_t(f"health.{roi}", lang, months=format_number(
                  float(horizon), 0, lang) if roi == "roi_months" else ""))


def credit_split(shares: pd.DataFrame | None, model: str, unidentified: Sequence[str] = (),
                 language: str = "en") -> tuple[str, str] | None:
    """Who earns the revenue: each team's share of the credit with its bootstrap interval
    under ``model``, as report 01 computes it
    (:meth:`smlib.analyses.attribution_comparison.Comparison.team_intervals`), short (headline)
    and as a sentence; a range over the models when some channels cannot be identified. None
    without credit."""
    lang = validate_language(language)
    if shares is None or shares.empty:
        return None
    f = lambda x: format_pct(x, lang, decimals=0)  # noqa: E731
    if unidentified:
        sales = shares.loc[shares["team"].eq("sales"), "share"]
        short = _t("credit.range", lang, low=f(sales.min()), high=f(sales.max()))
        return short, _t("credit.range_sentence", lang, low=f(sales.min()), high=f(sales.max()),
                         n=int(shares["model"].nunique()))
    rows = shares.loc[shares["model"].eq(model)].sort_values(
        "team", key=lambda s: s.map({"sales": 0, "marketing": 1}).fillna(9))
    if rows.empty:
        return None
    parts, long = [], []
    for _, r in rows.iterrows():
        ci = (_range(f(r["ci_low"]), f(r["ci_high"]), lang)
              if is_known(r.get("ci_low")) and is_known(r.get("ci_high")) else "")
        parts.append(f"{team_label(r['team'], lang)} {f(r['share'])}{ci}")
        long.append(_t("credit.part", lang, share=f"{f(r['share'])}{ci}",
                       team=team_label(r["team"], lang)))
    short = ", ".join(parts) + _t("credit.model", lang, model=model_label(model, lang))
    return short, _t("credit.sentence", lang, parts=_join(long, lang),
                     model=model_label(model, lang))


# --- the same sentences in the detailed reports ------------------------------------------------
# Report 03's drill-down links open the section of report 00 or 01 that shows the number; these
# compute it from the dataset exactly as report 03 does (same metric, same call), so the numbers
# agree by construction (tests/test_report_browser.py follows each link).

def cac_sentence(opportunities: pd.DataFrame, spend: pd.DataFrame,
                 language: str = "en") -> str | None:
    """Blended CAC over the whole period with its interval (:func:`headline_cac` of
    :func:`smlib.metrics.blended_cac`), or None without costs or wins."""
    if not has_costs(spend) or opportunities.empty:
        return None
    b = blended_cac(opportunities, spend).iloc[0]
    return headline_cac(b["cac"], b["cac_ci_low"], b["cac_ci_high"], language=language)


def funnel_sentence(opportunities: pd.DataFrame, language: str = "en") -> str | None:
    """Win rate with its interval and the sales cycle (:func:`headline_funnel`), or None without
    opportunities."""
    if opportunities.empty:
        return None
    w, c = win_rate(opportunities).iloc[0], sales_cycle(opportunities).iloc[0]
    return headline_funnel(w["win_rate"], w["ci_low"], w["ci_high"], c["mean_days"],
                           language=language)


def payback_sentence(opportunities: pd.DataFrame, spend: pd.DataFrame,
                     monthly_churn: float | None, contract_months: float | None,
                     language: str = "en") -> str | None:
    """CAC payback and LTV:CAC (:func:`headline_payback` of
    :func:`smlib.metrics.customer_economics`, with the expected lifetime), or None without costs,
    wins or a churn assumption."""
    if (monthly_churn is None or monthly_churn <= 0 or not contract_months
            or not has_costs(spend) or not opportunities["outcome"].eq("won").any()):
        return None
    u = customer_economics(opportunities, spend, churn_rate=monthly_churn,
                           contract_months=contract_months).iloc[0]
    return headline_payback(u["payback_months"], u["ltv_to_cac"], language,
                            lifetime_months=revenue_months("lifetime", monthly_churn,
                                                           contract_months))
