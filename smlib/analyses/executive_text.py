"""Report 03's prose: plain-language headlines for leadership, in the report's language.

Each ``headline_*`` function turns a result of :mod:`smlib.metrics` or :mod:`smlib.causal` into one
or two short sentences: numbers rounded sensibly (``$1.2M``, ``23 %``, ``4.1 months``), units
named, and the interval shown wherever there is one. :func:`executive_items` gathers the seven
headlines of the executive summary (short, for the headline block, or as full sentences).

Every word comes from the text catalogue (``[executive.*]`` tables of
``smlib/presentation/locales/<language>.toml``); numbers and names are formatted by
:mod:`smlib.presentation`. The verdict on the claimed uplift is the causal team's
(:func:`smlib.analyses.uplift.verdict`); its wording is not repeated here.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from smlib.analyses.uplift import verdict
from smlib.presentation.catalogue import has, text
from smlib.presentation.labels import (action_label, channel_label, confidence_phrase,
                                       model_label, team_label)
from smlib.presentation.numbers import (format_days, format_interval, format_money,
                                        format_month, format_months, format_number, format_pct,
                                        is_known, pct_formatter)
from smlib.presentation.settings import currency_symbol, validate_language
from smlib.presentation.tables import table_for_print

__all__ = ["HEADLINE_KEYS", "REPORT_LINKS", "basis_phrase", "executive_items", "headline_cac",
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
#: The seven headline items of the executive summary, in order, with the report each links to.
HEADLINE_KEYS: dict[str, str] = {
    "revenue": "overview", "cac": "attribution", "payback": "overview", "roi": "attribution",
    "uplift": "uplift", "channels": "attribution", "funnel": "overview",
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
                    level: float = 0.95, language: str = "en") -> str:
    """The estimated revenue uplift from integrating the teams with its interval, judged against
    the claim (default "up to 20 %"): a sentence stating the claim, then the verdict of
    :func:`smlib.analyses.uplift.verdict` (which gives the estimate and interval; its wording is not
    duplicated here). ``estimate_pct``, ``ci_low``, ``ci_high`` and ``claim`` are fractions of
    counterfactual revenue.

    >>> headline_uplift(0.079, 0.051, 0.106)  # doctest: +NORMALIZE_WHITESPACE
    'Claim tested: integrating marketing and sales raises revenue by up to 20 %. Contradicts the
    claim: the effect is clearly smaller than 20.0 %. The uplift is 7.9 % (interval 5.1 % to
    10.6 %); integration added revenue, but less than claimed.'
    """
    lang = validate_language(language)
    v = verdict(estimate_pct, ci_low, ci_high, claim=claim, language=lang, level=level)
    lead = _t("headline.uplift_claim", lang, claim=format_pct(claim, lang))
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
    'Judged by ROI on the gross profit of the deals booked (before renewals) under 9 attribution models: grow webinars and demos (high confidence) and email (medium confidence); review events (low confidence: the attribution models disagree); cut paid social (medium confidence).'
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
        parts.append(f"{action_label(action, lang)} {_join(groups, lang)}")
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

def _uplift_short(uplift: Any, claim: float, lang: str) -> str:
    """The uplift with its interval and how it compares with the claim, in a few words."""
    v = verdict(uplift.estimate, uplift.ci_low, uplift.ci_high, claim=claim, language=lang)
    judged = _t(f"short.{v.code}", lang, claim=format_pct(claim, lang))
    # one decimal, as the causal verdict writes it (an uplift is a few percent)
    f = lambda x: format_pct(x, lang, decimals=1)  # noqa: E731
    sign = "+" if uplift.estimate > 0 else ""
    return _t("short.uplift", lang, estimate=sign + f(uplift.estimate),
              range=_range(f(uplift.ci_low), f(uplift.ci_high), lang), judged=judged)


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
                  unavailable: Mapping[str, str] | None = None) -> list[str]:
    """The seven headline numbers, short, in the order of :data:`HEADLINE_KEYS`; an item named
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
        out = _t("short.payback", lang, months=format_months(u["payback_months"], lang))
        if is_known(u.get("lifetime_months")):
            out += _t("short.lifetime", lang, lifetime=format_number(u["lifetime_months"], 0, lang))
        if is_known(u["ltv_to_cac"]):
            out += _t("short.ltv", lang, ratio=format_number(u["ltv_to_cac"], 1, lang))
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
        return _uplift_short(uplift, claim, lang)

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
              "uplift": uplift_text,
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
        out |= {"roi": reason, "channels": reason}
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
                    unavailable: Mapping[str, str] | None = None) -> list[tuple[str, str, str]]:
    """The seven headlines of the executive summary as ``(label, text, link)``.

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
    report with the details (:data:`REPORT_LINKS`)."""
    lang = validate_language(language)
    links = [REPORT_LINKS[HEADLINE_KEYS[k]] for k in HEADLINE_KEYS]
    missing = {**unavailable_items(spend=spend_available, language=lang), **(unavailable or {})}
    if short:
        texts = _short_values(blended=blended, unit_econ=unit_econ, teams=teams, model=model,
                              uplift=uplift, recommendations=recommendations, win=win,
                              cycle=cycle, claim=claim, lang=lang, unavailable=missing)
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
        "uplift": lambda: headline_uplift(uplift.estimate, uplift.ci_low, uplift.ci_high,
                                          claim=claim, language=lang) if uplift is not None
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


def interval_reason(row: Mapping[str, Any], model: str, language: str = "en") -> str:
    """Why a channel is grow / not enough evidence / cut under the interval rule of
    :func:`smlib.metrics.recommend_channels`: the chosen model's ROI interval against
    break-even, how many models agree, and whether the action flips when churn is halved or
    50 % higher (``row`` is one row of its output)."""
    lang = validate_language(language)
    n = int(row["n_models"])
    if n == 0:
        return _t("reason.none", lang)
    agree = _t("reason.agree", lang, positive=int(row["n_positive"]), models=n,
               negative=int(row["n_negative"]))
    if row.get("rule") == "interval":
        lo, hi = float(row["roi_ci_low"]), float(row["roi_ci_high"])
        fmt = pct_formatter(lo, hi)
        side = "above" if lo > 0 else "below" if hi < 0 else "spans"
        head = _t(f"reason.interval_{side}", lang, model=model_label(model, lang),
                  low=fmt(lo, lang), high=fmt(hi, lang))
    else:
        head = _t("reason.no_interval", lang, model=model_label(model, lang))
    out = f"{head}; {agree}"
    if bool(row.get("flips", False)):
        out += "; " + _t("reason.flips", lang, low=action_label(row["action_low_churn"], lang),
                         high=action_label(row["action_high_churn"], lang))
    return out


def recommendations_for_print(recommendations: pd.DataFrame, model: str,
                              language: str = "en") -> pd.DataFrame:
    """The output of :func:`smlib.metrics.recommend_channels` as a printable table in the
    language: channel, team, action, confidence, ROI under ``model`` with its interval, cost and
    the reason. With the interval rule's columns (``rule``, ``horizon``, the churn sensitivity),
    the ROI header names the basis (e.g. lifetime gross profit), a column gives the action with
    churn halved and 50 % higher, and the reason gives the interval, the models' agreement and
    any flip (:func:`interval_reason`)."""
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
            ("confidence", "confidence"), ("roi", "pct"), ("churn", "text"), ("cost", "money"),
            ("why", "text")]
    heads = {c: column(c, lang) for c, _ in cols if c not in ("roi", "churn")}
    horizon = recommendations["horizon"].iloc[0] if len(recommendations) else None
    heads["roi"] = column("roi_model_basis", lang, model=model_label(model, lang),
                          basis=short_basis(horizon, lang))
    heads["churn"] = column("churn_actions", lang)
    return table_for_print(rec, [(c, kind, heads[c], heads[c]) for c, kind in cols], lang,
                           intervals={"roi": ("roi_ci_low", "roi_ci_high")})
