"""Report 03's prose (smlib.analyses.executive_text): exact sentences on fixed cases, in English
and Spanish (moved from tests/test_narrative.py)."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from smlib.analyses import executive_text as et
from smlib.analyses.uplift import verdict
from smlib.presentation.catalogue import entry
from smlib.presentation.numbers import format_pct
from smlib.presentation.settings import report_locale


def test_prose_follows_the_report_currency() -> None:
    with report_locale(currency="BRL"):
        assert et.headline_revenue(850_000, 12, 12) == (
            "Won revenue was R$850k from 12 new customers.")
        assert et.label("event_y") == "Extra revenue (R$ per unit-month)"
        assert et.label("event_y", "es") == "Ingresos extra (BRL por unidad y mes)"
    assert et.label("event_y") == "Extra revenue ($ per unit-month)"
    assert "(US$ por unidad y mes;" in et.label("event_title", "es")


def test_headline_revenue() -> None:
    args = (12_345_678, 1430, 1512, "2022-01-01", "2025-12-01")
    assert et.headline_revenue(*args) == (
        "Won revenue was $12M from 1,430 new customers (1,512 won deals) between Jan 2022 and "
        "Dec 2025.")
    assert et.headline_revenue(*args, language="es") == (
        "Los ingresos ganados fueron 12 M US$ de 1430 clientes nuevos (1512 operaciones ganadas) "
        "entre ene 2022 y dic 2025.")
    assert et.headline_revenue(850_000, 12, 12) == "Won revenue was $850k from 12 new customers."


def test_headline_cac() -> None:
    assert et.headline_cac(8400, 7900, 9000, paid_cac=3100) == (
        "Winning a new customer costs $8.4k (95 % interval: $7.9k to $9.0k), counting every "
        "marketing and sales cost, salaries included; paid advertising alone spends $3.1k per "
        "customer it is credited with.")
    assert et.headline_cac(8400, 7900, 9000, paid_cac=3100, language="es") == (
        "Ganar un cliente nuevo cuesta 8,4 mil US$ (intervalo del 95 %: de 7,9 mil US$ a "
        "9,0 mil US$), contando todos los costes de marketing y ventas, salarios incluidos; la publicidad de "
        "pago gasta 3,1 mil US$ por cada cliente que se le atribuye.")
    assert et.headline_cac(np.nan) == (
        "No new customer was won, so the cost per customer cannot be computed.")
    assert et.headline_cac(8400, paid_cac=np.nan).endswith(
        "no customer is credited to paid advertising, so its cost per customer is undefined.")


def test_headline_payback() -> None:
    assert et.headline_payback(14.24, 3.06) == (
        "The cost of a customer is paid back after 14.2 months of its gross profit (target: "
        "under 12), and over its lifetime a customer brings 3.1 times what it cost (target: 3 or "
        "more).")
    assert et.headline_payback(14.24, 3.06, "es") == (
        "El coste de un cliente se recupera tras 14,2 meses de su margen bruto (objetivo: menos "
        "de 12), y a lo largo de su vida un cliente aporta 3,1 veces lo que costó (objetivo: 3 o "
        "más).")
    assert "cannot be computed" in et.headline_payback(np.nan)


@pytest.fixture()
def teams() -> pd.DataFrame:
    return pd.DataFrame({"model": ["markov", "markov", "first_touch", "first_touch"],
                         "team": ["sales", "marketing", "marketing", "sales"],
                         "cost": [3.4e6, 2.1e6, 2.1e6, 3.4e6], "roi": [1.2, 0.45, 2.5, np.nan],
                         "roi_ci_low": [0.9, 0.3, np.nan, np.nan],
                         "roi_ci_high": [1.5, 0.6, np.nan, np.nan]})


def test_headline_roi_by_team(teams) -> None:
    assert et.headline_roi_by_team(teams, "markov") == (
        "With credit shared by the Markov model, marketing earns an ROI of 45 % (95 % interval: "
        "30 % to 60 %) on $2.1M of cost and sales earns an ROI of 120 % (95 % interval: 90 % to "
        "150 %) on $3.4M of cost.")
    assert et.headline_roi_by_team(teams, "markov", "es") == (
        "Con el mérito repartido por el modelo de Markov, marketing obtiene un ROI del 45 % "
        "(intervalo del 95 %: de 30 % a 60 %) sobre 2,1 M US$ de coste y ventas obtiene un ROI del "
        "120 % (intervalo del 95 %: de 90 % a 150 %) sobre 3,4 M US$ de coste.")
    mixed = teams.assign(roi=[1.2, 0.055, 2.5, np.nan], roi_ci_low=[0.9, -0.028, np.nan, np.nan],
                         roi_ci_high=[1.5, 0.13, np.nan, np.nan])
    # one precision for the three numbers, set by the largest: no "5.5 % (-2.8 % to 13 %)"
    assert "ROI of 6 % (95 % interval: -3 % to 13 %)" in et.headline_roi_by_team(mixed, "markov")
    assert et.headline_roi_by_team(teams, "first_touch") == (
        "With credit shared by the first-touch model, marketing earns an ROI of 250 % on $2.1M of "
        "cost and sales cannot be judged (the model credits it no sales or it has no cost).")
    with pytest.raises(ValueError, match="no rows for model 'shapley'"):
        et.headline_roi_by_team(teams, "shapley")


def test_headline_uplift_uses_the_causal_verdict() -> None:
    en = et.headline_uplift(0.079, 0.051, 0.106)
    lead = "Claim tested: integrating marketing and sales raises revenue by up to 20 %. "
    assert en == lead + verdict(0.079, 0.051, 0.106).text
    assert "overstates what this company can expect" in en and "ontradicts" not in en
    typical = et.headline_uplift(0.079, 0.051, 0.106, claim_form="typical")
    assert typical.startswith("Claim tested: integrating marketing and sales typically raises "
                              "revenue by 20 %. Contradicts the claim")
    assert et.headline_uplift(0.079, 0.051, 0.106, pretrend_p=0.01).split(". ", 1)[1].startswith(
        "No verdict")
    es = et.headline_uplift(0.079, 0.051, 0.106, language="es")
    assert es == ("Afirmación puesta a prueba: integrar marketing y ventas aumenta los ingresos "
                  "hasta un 20 %. " + verdict(0.079, 0.051, 0.106, language="es").text)
    wide = et.headline_uplift(0.08, -0.05, 0.25, claim=0.2)
    assert "cannot tell" in wide
    with pytest.raises(ValueError, match="must contain the estimate"):
        et.headline_uplift(0.3, 0.0, 0.1)


def test_headline_channels() -> None:
    rec = pd.DataFrame({
        "channel": ["webinar", "sdr_call", "demo", "events", "paid_social", "sales_people"],
        "action": ["grow", "grow", "grow", "review", "cut", "not_assessed"],
        "confidence": ["high", "high", "medium", "low", "medium", "none"]})
    assert et.headline_channels(rec, n_models=9) == (
        "Judged by ROI on the gross profit of the deals booked (before renewals) under 9 attribution models: grow webinars and SDR calls (high confidence) "
        "and demos (medium confidence); not enough evidence for events (low confidence: the attribution models "
        "disagree); cut paid social (medium confidence).")
    assert et.headline_channels(rec, n_models=9, language="es") == (
        "Según el ROI sobre el margen bruto de las operaciones firmadas (sin renovaciones) con 9 modelos de atribución: aumentar webinars y llamadas SDR (confianza "
        "alta) y demos (confianza media); no hay pruebas suficientes para eventos (confianza baja: los modelos de "
        "atribución no coinciden); recortar redes sociales de pago (confianza media).")
    assert "grow webinars and SDR calls (high confidence); not enough evidence for" in et.headline_channels(
        rec, max_items=2)
    assert et.headline_channels(rec.iloc[5:]) == (
        "No channel can be judged: none has both a cost and credited sales.")
    # an unknown channel name is shown as is (escaping is the report's job)
    odd = pd.DataFrame({"channel": ["<b>x_y</b>"], "action": ["grow"], "confidence": ["high"]})
    assert "grow <b>x y</b> (high confidence)" in et.headline_channels(odd)


def test_headline_funnel() -> None:
    assert et.headline_funnel(0.372, 0.351, 0.394, 63.6) == (
        "37 % of closed deals are won (95 % interval: 35 % to 39 %); a won deal takes 64 days on "
        "average from opportunity to signature.")
    assert et.headline_funnel(0.372, 0.351, 0.394, 63.6, "es") == (
        "Se gana el 37 % de las operaciones cerradas (intervalo del 95 %: de 35 % a 39 %); una "
        "operación ganada tarda de media 64 días desde la oportunidad hasta la firma.")
    assert "unknown" in et.headline_funnel(np.nan, None, None)


def test_docstring_examples() -> None:
    result = doctest.testmod(et, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 6 and result.failed == 0


def test_executive_items_and_texts() -> None:
    blended = pd.DataFrame({"revenue": [36000.0], "new_customers": [2], "won_deals": [3],
                            "cac": [11000.0], "cac_ci_low": [9000.0], "cac_ci_high": [14000.0]})
    paid = pd.DataFrame({"model": ["linear", "markov"], "cac": [6000.0, 3000.0]})
    unit = pd.DataFrame({"payback_months": [12.67], "ltv_to_cac": [3.95]})
    teams = pd.DataFrame({"model": "markov", "team": ["sales", "marketing"],
                          "cost": [14500.0, 7500.0], "roi": [np.nan, 2.3],
                          "roi_ci_low": [np.nan, 1.9], "roi_ci_high": [np.nan, 2.71]})
    up = type("U", (), {"estimate": 0.079, "ci_low": 0.051, "ci_high": 0.106, "level": 0.95})()
    rec = pd.DataFrame({"channel": ["email", "events", "demo"], "action": ["grow", "review", "cut"],
                        "confidence": ["medium", "low", "high"]})
    win = pd.DataFrame({"win_rate": [0.75], "ci_low": [0.3], "ci_high": [0.95]})
    cycle = pd.DataFrame({"mean_days": [36.7]})
    kw = dict(blended=blended, paid=paid, unit_econ=unit, teams=teams, model="markov", uplift=up,
              recommendations=rec, n_models=2, win=win, cycle=cycle, start="2024-01-01",
              end="2024-03-01")
    # each link lands on the section of the detailed report that shows the number (issue 12)
    links = ["00_data_overview.html#headline",
             "00_data_overview.html#overview-trends-nb-trends",
             "01_attribution_comparison.html#attribution-money-reconciliation",
             "01_attribution_comparison.html#attribution-money-reconciliation",
             "01_attribution_comparison.html#attribution-teams-intro",
             "02_integration_uplift.html#headline",
             "01_attribution_comparison.html#attribution-money-models",
             "00_data_overview.html#overview-funnel"]
    en = et.executive_items(**kw)
    assert en == list(zip(
        ["Revenue", "Cost of a new customer", "Payback and lifetime value", "Return by team",
         "Who earns the revenue", "Effect of integrating the teams", "Channels to grow or cut",
         "Closing deals"],
        ["$36k from 2 new customers", "$11k ($9.0k to $14k)",
         "12.7 months to pay back (target < 12); LTV:CAC 4.0 (target ≥ 3)",
         "marketing 230 % (190 % to 271 %), sales –", "–",
         "7.9 % (95 % CI 5.1 % to 10.6 %): a real gain; “up to 20.0 %” overstates it for this "
         "company",
         "grow: email · cut: demos · 1 unclear (models disagree)",
         "75 % of deals won (30 % to 95 %); 37 days to close"], links))
    es = et.executive_items(**kw, language="es")
    assert [t for _, t, _ in es] == [
        "36 mil US$ de 2 clientes nuevos", "11 mil US$ (9,0 mil US$ a 14 mil US$)",
        "12,7 meses para recuperarlo (objetivo < 12); LTV:CAC 4,0 (objetivo ≥ 3)",
        "marketing 230 % (190 % a 271 %), ventas –", "–",
        "7,9 % (IC del 95 %: 5,1 % a 10,6 %): una ganancia real; «hasta un 20,0 %» la exagera "
        "para esta empresa",
        "aumentar: email · recortar: demos · 1 dudosos (los modelos no coinciden)",
        "75 % de operaciones ganadas (30 % a 95 %); 37 días hasta el cierre"]
    for lang in ("en", "es"):
        long = et.executive_items(**kw, language=lang, short=False)
        assert [h for *_, h in long] == links
        assert long[1][1] == et.headline_cac(11000.0, 9000.0, 14000.0, paid_cac=3000.0,
                                             language=lang)
        assert long[5][1] == et.headline_uplift(0.079, 0.051, 0.106, language=lang)
        shares = pd.DataFrame({"model": "markov", "team": ["marketing", "sales"],
                               "share": [0.18, 0.82], "ci_low": [0.15, 0.79],
                               "ci_high": [0.21, 0.85]})
        split = et.credit_split(shares, "markov", language=lang)
        with_credit = et.executive_items(**kw, language=lang, credit=split)
        assert with_credit[4][1] == split[0]
        assert et.executive_items(**kw, language=lang, credit=split, short=False)[4][1] == split[1]
    assert split[0] == "ventas 82 % (79 % a 85 %), marketing 18 % (15 % a 21 %) · modelo de Markov"
    assert et.credit_split(shares, "markov")[1] == (
        "Under the Markov model, the credit for the revenue won goes 82 % (79 % to 85 %) to sales "
        "and 18 % (15 % to 21 %) to marketing (95 % intervals; report 01 compares every model).")
    assert et.credit_split(shares, "markov", unidentified=["sdr_call"])[0] == (
        "sales touches 82 % to 82 %, depending on the model")
    assert et.credit_split(None, "markov") is None
    assert long[0][1] == ("Los ingresos ganados fueron 36 mil US$ de 2 clientes nuevos (3 "
                          "operaciones ganadas) entre ene 2024 y mar 2024.")
    html = et.sentences_html([("A <b>", "x < y", "01_attribution_comparison.html")])
    assert html == ('<ul class="smarketing-sentences"><li><strong>A &lt;b&gt;.</strong> x &lt; y '
                    '<a href="01_attribution_comparison.html">(details →)</a></li></ul>')
    assert et.headline_note("2022-01-01", "2025-12-01", "markov") == (
        "Data from Jan 2022 to Dec 2025. Credit for each sale shared with the Markov model. "
        "Intervals are 95 %.")
    assert "1,5 %" in et.report_text("caveats", "es", churn=format_pct(0.015, "es"), months=12)
    for key in entry("executive.nb", "en"):
        assert et.report_text(key, "en", churn="1 %", months=12)
        assert et.report_text(key, "es", churn="1 %", months=12)
    with pytest.raises(ValueError, match="unknown report text"):
        et.report_text("nope")


def test_recommendations_for_print() -> None:
    rec = pd.DataFrame({"channel": ["email", "events"], "team": ["marketing", "marketing"],
                        "action": ["grow", "review"], "confidence": ["high", "low"],
                        "n_models": [12, 12], "n_positive": [12, 3], "n_negative": [0, 9],
                        "roi": [1.0558, 0.03], "roi_ci_low": [0.9666, -0.06],
                        "roi_ci_high": [1.1394, 0.10], "cost": [32026.9, 1.3e6]})
    es = et.recommendations_for_print(rec, "markov", "es")
    assert es.iloc[1].tolist() == [
        "eventos", "marketing", "sin pruebas suficientes", "baja", "3 % (-6 % a 10 %)", "1,3 M US$",
        "ROI mayor que 0 con 3 de 12 modelos, menor que 0 con 9"]
    en = et.recommendations_for_print(rec, "markov")
    assert list(en.columns)[4] == "ROI, Markov model (95 % interval)"
    assert en.iloc[0, 6] == "ROI above 0 under 12 of 12 models, below 0 under 0"


def test_executive_items_without_spend_or_uplift_say_what_is_missing() -> None:
    blended = pd.DataFrame({"revenue": [36000.0], "new_customers": [2], "won_deals": [3],
                            "cac": [0.0], "cac_ci_low": [0.0], "cac_ci_high": [0.0]})
    paid = pd.DataFrame({"model": ["markov"], "cac": [0.0]})
    unit = pd.DataFrame({"payback_months": [0.0], "ltv_to_cac": [np.inf]})
    teams = pd.DataFrame({"model": "markov", "team": ["sales", "marketing"], "cost": [0.0, 0.0],
                          "roi": [np.nan, np.nan]})
    rec = pd.DataFrame({"channel": ["email"], "action": ["review"], "confidence": ["low"]})
    win = pd.DataFrame({"win_rate": [0.75], "ci_low": [0.3], "ci_high": [0.95]})
    cycle = pd.DataFrame({"mean_days": [36.7]})
    kw = dict(blended=blended, paid=paid, unit_econ=unit, teams=teams, model="markov",
              uplift=None, recommendations=rec, n_models=1, win=win, cycle=cycle,
              start="2024-01-01", end="2024-03-01", spend_available=False)
    for short in (True, False):
        texts = [t for _, t, _ in et.executive_items(**kw, short=short)]
        assert texts[0].startswith("$36k" if short else "Won revenue was $36k")
        assert [texts[i] for i in (1, 2, 3, 6)] == [
            "not available: needs a spend table (costs by month and channel)"] * 4
        assert texts[5].startswith("cannot be estimated from this data")
        assert texts[4] == "–"  # no credit split given
        es = [t for _, t, _ in et.executive_items(**kw, short=short, language="es")]
        assert es[1].startswith("no disponible: requiere una tabla de costes")
        assert es[5].startswith("no se puede estimar con estos datos")



def test_no_attribution_reason_and_column_headers() -> None:
    assert et.no_attribution_reason("no_journeys") == "there are no touches to build journeys from"
    assert et.no_attribution_reason("anything_else", "es") == (
        "no hay ningún acuerdo ganado después de un contacto")
    assert et.column("roi_model", "es", model="de Markov") == (
        "ROI, modelo de Markov (intervalo del 95 %)")
    assert list(et.HEADLINE_KEYS) == ["revenue", "cac", "payback", "roi", "credit", "uplift",
                                      "channels", "funnel"]
    with pytest.raises(ValueError, match="unknown label"):
        et.label("nope")


def _interval_rec() -> pd.DataFrame:
    """Output of smlib.metrics.recommend_channels (interval rule, lifetime basis)."""
    return pd.DataFrame({
        "channel": ["webinar", "events", "demo", "sales_people"],
        "team": ["marketing", "marketing", "sales", "sales"],
        "action": ["grow", "review", "cut", "not_assessed"],
        "confidence": ["high", "low", "medium", "none"], "rule": ["interval"] * 3 + ["none"],
        "horizon": "lifetime", "lifetime_months": 66.7, "n_models": [12, 12, 11, 0],
        "n_positive": [12, 12, 1, 0], "n_negative": [0, 0, 10, 0],
        "roi": [24.1, 1.43, -0.4, np.nan], "roi_ci_low": [19.0, -0.03, -0.6, np.nan],
        "roi_ci_high": [29.7, 3.04, -0.1, np.nan], "cost": [5.6e5, 1.3e6, 1.1e7, 1.8e7],
        "action_low_churn": ["grow", "grow", "review", "not_assessed"],
        "action_high_churn": ["grow", "review", "cut", "not_assessed"],
        "flips": [False, True, True, False]})


def test_the_basis_of_returns_in_words() -> None:
    assert et.basis_phrase("first_contract") == (
        "the gross profit of the deals booked (first contract, before renewals)")
    assert et.basis_phrase("lifetime") == "lifetime gross profit (as in LTV)"
    assert et.basis_phrase(24, "es") == "el margen bruto de los primeros 24 meses de un cliente"
    assert et.short_basis("lifetime") == "lifetime basis"
    assert et.short_basis(36) == "36-month basis"
    assert et.short_basis("first_contract", "es") == "base: primer contrato"


def test_channels_under_the_interval_rule_say_basis_reason_and_flips() -> None:
    rec = _interval_rec()
    assert et.headline_channels(rec, n_models=12) == (
        "Judged by the recommended model's 95 % ROI interval on lifetime gross profit (as in "
        "LTV), with 12 attribution models compared: grow webinars (whole interval above "
        "break-even); not enough evidence for events (the interval spans break-even); cut demos "
        "(whole interval below break-even). With monthly churn halved or 50 % higher, the action "
        "changes for events and demos.")
    es = et.headline_channels(rec, n_models=12, language="es")
    assert es.startswith("Según el intervalo del 95 % del ROI del modelo recomendado sobre el "
                         "margen bruto de toda la vida del cliente")
    assert "recortar demos (todo el intervalo por debajo" in es
    steady = rec.assign(flips=False)
    assert et.headline_channels(steady).endswith(
        "No action changes with monthly churn halved or 50 % higher.")
    assert et.headline_channels(rec.iloc[[0] * 6].assign(channel=list("abcdef")), max_items=4) \
        .count("and 2 more") == 1
    kw = dict(blended=pd.DataFrame({"revenue": [1.0], "new_customers": [1], "won_deals": [1],
                                    "cac": [1.0], "cac_ci_low": [1.0], "cac_ci_high": [1.0]}),
              paid=pd.DataFrame({"model": ["m"], "cac": [1.0]}),
              unit_econ=pd.DataFrame({"payback_months": [21.8], "ltv_to_cac": [3.06],
                                      "lifetime_months": [66.7]}),
              teams=pd.DataFrame({"model": "m", "team": ["marketing", "sales"],
                                  "cost": [1.5e7, 5.9e7], "roi": [1.28, 2.25],
                                  "horizon": "lifetime", "lifetime_months": 66.7}),
              model="m", uplift=None, recommendations=rec, n_models=12,
              win=pd.DataFrame({"win_rate": [0.3], "ci_low": [0.2], "ci_high": [0.4]}),
              cycle=pd.DataFrame({"mean_days": [21.0]}), start="2024-01-01", end="2024-03-01")
    short = [t for _, t, _ in et.executive_items(**kw)]
    assert short[2] == ("21.8 months to pay back (target < 12) of a 67-month lifetime; "
                        "LTV:CAC 3.1 (target ≥ 3)")
    assert short[3] == "marketing 128 %, sales 225 % · lifetime basis"
    assert short[6] == ("grow: webinars · cut: demos · 1 not enough evidence · lifetime basis")
    long = [t for _, t, _ in et.executive_items(**kw, short=False)]
    assert "a customer is expected to stay 67 months" in long[2]
    assert "returns counted on lifetime gross profit (a customer stays 67 months on average" \
        in long[3]


def test_recommendations_for_print_under_the_interval_rule() -> None:
    """Issue 12 item 3: the action follows the recommended model's interval, the reason is
    written beside it, and no confidence word can contradict the interval (no such column)."""
    en = et.recommendations_for_print(_interval_rec(), "markov")
    assert list(en.columns) == ["Channel", "Team", "Action",
                                "ROI (lifetime basis), Markov model (95 % interval)",
                                "Action if churn is halved / 50 % higher", "Cost", "Why"]
    assert en.iloc[1].tolist()[2:] == ["not enough evidence", "143 % (-3 % to 304 %)",
                                       "grow / not enough evidence", "$1.3M", (
        "ROI interval -3 % to 304 % under the Markov model spans break-even: not enough "
        "evidence, although ROI is above 0 under 12 of 12 models; changes with churn: grow if "
        "halved, not enough evidence if 50 % higher")]
    assert en.iloc[0, 6] == ("ROI +2,410 % (1,900 % to 2,970 %) above break-even under the "
                             "Markov model; positive under 12 of 12 models")
    assert en.iloc[3, 6] == "no model can judge it (no cost, overhead or no credit)"
    es = et.recommendations_for_print(_interval_rec(), "markov", "es")
    assert es.columns[4] == "Acción con la mitad de abandono / un 50 % más"
    assert es.iloc[2, 6].startswith("ROI -40 % (-60 % a -10 %) por debajo del punto de "
                                    "equilibrio con el modelo de Markov")
    # without an interval under the recommended model: not enough evidence, whatever the models say
    no_ci = _interval_rec().iloc[[0]].assign(rule="no_interval", roi_ci_low=np.nan,
                                             roi_ci_high=np.nan, action="review")
    assert et.recommendations_for_print(no_ci, "markov").iloc[0, 6] == (
        "no ROI interval under the Markov model: not enough evidence, although ROI is above 0 "
        "under 12 of 12 models")

@pytest.mark.parametrize("value, lo, hi, target, direction, status", [
    (21.8, 20.8, 22.9, 12, "below", "missed"),     # payback: whole interval above 12 months
    (8.0, 6.5, 9.9, 12, "below", "met"),
    (11.0, 9.0, 13.0, 12, "below", "uncertain"),   # the interval spans the target
    (3.05, 2.91, 3.20, 3, "above", "uncertain"),   # LTV:CAC about 3
    (3.6, 3.2, 4.1, 3, "above", "met"),
    (2.1, 1.8, 2.5, 3, "above", "missed"),
    (1.65, 1.19, 2.03, 0, "above", "met"),         # ROI above break-even
    (-0.4, -0.6, -0.1, 0, "above", "missed"),
    (0.1, np.nan, np.nan, 0, "above", "uncertain"),  # no interval: a point cannot decide
    (np.nan, np.nan, np.nan, 0, "above", "not_available"),
])
def test_health_status_is_read_on_the_interval(value, lo, hi, target, direction, status):
    assert et.health_status(value, lo, hi, target, direction) == status
    assert status in et.HEALTH_STATUSES


def test_health_status_rejects_bad_input():
    with pytest.raises(ValueError, match="direction"):
        et.health_status(1.0, 0.5, 1.5, 1.0, "equal")
    with pytest.raises(ValueError, match="low end is above"):
        et.health_status(1.0, 2.0, 0.5, 1.0, "above")


def test_health_rows_and_the_reconciling_sentence():
    unit = pd.DataFrame({"ltv": [120_000.0], "cac": [40_000.0], "cac_ci_low": [37_500.0],
                         "cac_ci_high": [42_000.0], "ltv_to_cac": [3.0], "payback_months": [20.0],
                         "payback_ci_low": [18.75], "payback_ci_high": [21.0],
                         "lifetime_months": [66.7]})
    teams = pd.DataFrame({"model": ["m", "m", "x"], "team": ["sales", "marketing", "sales"],
                          "roi": [2.0, -0.2, 5.0], "roi_ci_low": [1.5, -0.5, 4.0],
                          "roi_ci_high": [2.5, 0.3, 6.0]})
    rows = et.health_rows(unit, teams, "m")
    assert list(zip(rows["measure"], rows["team"].fillna(""), rows["status"])) == [
        ("payback", "", "missed"), ("ltv_to_cac", "", "uncertain"),
        ("roi", "marketing", "uncertain"), ("roi", "sales", "met")]
    ratio = rows.iloc[1]
    assert (ratio["ci_low"], ratio["ci_high"]) == pytest.approx((120_000 / 42_000, 120_000 / 37_500))
    table = et.health_for_print(rows, basis="lifetime basis")
    assert table.iloc[0].tolist() == ["CAC payback", "20.0 months (18.8 to 21.0)",
                                      "under 12 months", "missed", "Skok, SaaS Metrics 2.0"]
    assert table.iloc[2, 0] == "marketing ROI (lifetime basis)"
    assert table.iloc[2, 3] == "uncertain"
    es = et.health_for_print(rows, "es")
    assert es.iloc[3].tolist()[2:4] == ["mayor que 0 (punto de equilibrio)", "cumplido"]
    # 12 / 20 = 60 % of CAC in the first year; payback misses, so the sentence says why returns
    # can still be above break-even
    s = et.reconciliation(unit, "lifetime")
    assert "first 12 months of gross profit cover 60 % of what it cost to win" in s
    assert s.endswith("which is why they can be above break-even while payback misses its "
                      "target.")
    assert et.reconciliation(unit.assign(payback_months=8.0), "lifetime").endswith(
        "the team returns count that whole lifetime.")
    assert "count only the first contract" in et.reconciliation(unit, "first_contract")
    assert et.reconciliation(unit.assign(payback_months=np.nan)) is None
    assert et.health_rows(None, None, "m").empty


def test_the_headline_gives_each_target_its_status():
    kw = dict(blended=pd.DataFrame({"revenue": [1.0], "new_customers": [1], "won_deals": [1],
                                    "cac": [1.0], "cac_ci_low": [1.0], "cac_ci_high": [1.0]}),
              paid=pd.DataFrame({"model": ["m"], "cac": [1.0]}),
              unit_econ=pd.DataFrame({"payback_months": [21.8], "ltv_to_cac": [3.06],
                                      "lifetime_months": [66.7]}),
              teams=pd.DataFrame({"model": "m", "team": ["marketing"], "cost": [1.0],
                                  "roi": [1.0]}),
              model="m", uplift=None, recommendations=pd.DataFrame(
                  {"channel": [], "action": [], "confidence": []}), n_models=1,
              win=pd.DataFrame({"win_rate": [0.3], "ci_low": [0.2], "ci_high": [0.4]}),
              cycle=pd.DataFrame({"mean_days": [21.0]}), start="2024-01-01", end="2024-03-01")
    judged = {"payback": "missed", "ltv_to_cac": "uncertain"}
    assert et.executive_items(**kw, statuses=judged)[2][1] == (
        "21.8 months to pay back (target < 12: missed) of a 67-month lifetime; LTV:CAC 3.1 "
        "(target ≥ 3: uncertain)")
    assert et.executive_items(**kw, statuses=judged, language="es")[2][1] == (
        "21,8 meses para recuperarlo (objetivo < 12: no cumplido) de una vida de 67 meses; "
        "LTV:CAC 3,1 (objetivo ≥ 3: incierto)")


def test_detail_sentences_are_report_03s_numbers():
    """The sentences reports 00 and 01 show where report 03's links land carry the same numbers
    as report 03's headline (same metric calls), and are None when the data cannot support them."""
    import pandas as pd

    from smlib import io
    from smlib.analyses.executive_text import (cac_sentence, funnel_sentence, headline_cac,
                                               headline_funnel, payback_sentence)
    from smlib.metrics import blended_cac, customer_economics, sales_cycle, win_rate

    d = io.load_dataset(None)
    opp, spend = d.opportunities, d.spend
    b = blended_cac(opp, spend).iloc[0]
    assert cac_sentence(opp, spend) == headline_cac(b["cac"], b["cac_ci_low"], b["cac_ci_high"])
    w, c = win_rate(opp).iloc[0], sales_cycle(opp).iloc[0]
    assert funnel_sentence(opp, "es") == headline_funnel(w["win_rate"], w["ci_low"], w["ci_high"],
                                                         c["mean_days"], language="es")
    u = customer_economics(opp, spend, churn_rate=0.015, contract_months=12).iloc[0]
    s = payback_sentence(opp, spend, 0.015, 12)
    assert f"{u['payback_months']:.1f} months" in s and f"{u['ltv_to_cac']:.1f} times" in s
    assert payback_sentence(opp, spend, None, 12) is None  # one-off sales: no lifetime
    assert cac_sentence(opp, spend.iloc[0:0]) is None  # no costs
    assert funnel_sentence(opp.iloc[0:0]) is None
    no_wins = opp[opp["outcome"] != "won"]
    assert payback_sentence(no_wins, spend, 0.015, 12) is None
