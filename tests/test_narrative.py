"""Plain-language headlines: exact sentences on fixed cases, in English and Spanish."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from smlib import narrative as nv
from smlib.causal.claims import verdict


@pytest.mark.parametrize("x, en, es", [
    (0, "$0", "0 US$"), (850, "$850", "850 US$"), (999.6, "$1.0k", "1,0 mil US$"),
    (4300, "$4.3k", "4,3 mil US$"), (9960, "$10k", "10 mil US$"),
    (125_000, "$125k", "125 mil US$"), (999_600, "$1.0M", "1,0 M US$"),
    (1_234_567, "$1.2M", "1,2 M US$"), (12_345_678, "$12M", "12 M US$"),
    (1.5e9, "$1.5B", "1,5 mil M US$"), (-2500, "-$2.5k", "-2,5 mil US$"), (-0.4, "$0", "0 US$"),
])
def test_format_money(x, en, es) -> None:
    """English USD outputs are the ones stored in the notebooks' checked cells: unchanged."""
    assert nv.format_money(x) == en
    assert nv.format_money(x, currency="USD") == en
    assert nv.format_money(x, "es") == es


@pytest.mark.parametrize("x, currency, en, es", [
    (1_234_567, "BRL", "R$1.2M", "1,2 M BRL"), (850_000, "BRL", "R$850k", "850 mil BRL"),
    (850_000, "EUR", "€850k", "850 mil €"), (1_234_567, "EUR", "€1.2M", "1,2 M €"),
    (-4321, "EUR", "-€4.3k", "-4,3 mil €"), (850.4, "JPY", "¥850", "850 JPY"),
    (1.5e9, "brl", "R$1.5B", "1,5 mil M BRL"), (4300, "CHF", "CHF 4.3k", "4,3 mil CHF"),
    (4300, "$", "$4.3k", "4,3 mil $"),  # a bare symbol, as the old signature took it
])
def test_format_money_in_other_currencies(x, currency, en, es) -> None:
    assert nv.format_money(x, currency=currency) == en
    assert nv.format_money(x, "es", currency) == es


def test_format_money_follows_the_report_currency() -> None:
    from smlib.presentation.settings import report_locale

    with report_locale(currency="BRL"):
        assert nv.format_money(1_234_567) == "R$1.2M"
        assert nv.format_money(1_234_567, "es") == "1,2 M BRL"
        assert nv.format_money(1_234_567, currency="EUR") == "€1.2M"  # an explicit one wins
        assert nv.headline_revenue(850_000, 12, 12) == (
            "Won revenue was R$850k from 12 new customers.")
        assert nv.label("event_y") == "Extra revenue (R$ per unit-month)"
        assert nv.label("event_y", "es") == "Ingresos extra (BRL por unidad y mes)"
    assert nv.format_money(1_234_567) == "$1.2M"
    assert nv.label("event_y") == "Extra revenue ($ per unit-month)"
    assert "(US$ por unidad y mes;" in nv.label("event_title", "es")
    with pytest.raises(ValueError, match="unknown currency 'XYZ'"):
        nv.format_money(1.0, currency="XYZ")


def test_format_numbers() -> None:
    assert nv.format_pct(0.0789) == "7.9 %" and nv.format_pct(0.0789, "es") == "7,9 %"
    assert nv.format_pct(0.234) == "23 %" and nv.format_pct(1.2, "es") == "120 %"
    assert nv.format_pct(-0.0004) == "0.0 %"  # no "-0.0 %"
    assert nv.format_months(4.06) == "4.1 months" and nv.format_months(4.06, "es") == "4,1 meses"
    assert nv.format_number(1234.5, 1, "es") == "1234,5"
    assert nv.format_number(12345.5, 1, "es") == "12.345,5"
    assert nv.format_number(12345.5, 1) == "12,345.5"
    assert nv.format_month("2022-01-15") == "Jan 2022" and nv.format_month("2025-12-01", "es") == "dic 2025"
    with pytest.raises(ValueError, match="language must be one of"):
        nv.format_pct(0.1, "fr")
    with pytest.raises(ValueError, match="finite"):
        nv.format_money(float("inf"))


def test_headline_revenue() -> None:
    args = (12_345_678, 1430, 1512, "2022-01-01", "2025-12-01")
    assert nv.headline_revenue(*args) == (
        "Won revenue was $12M from 1,430 new customers (1,512 won deals) between Jan 2022 and "
        "Dec 2025.")
    assert nv.headline_revenue(*args, language="es") == (
        "Los ingresos ganados fueron 12 M US$ de 1430 clientes nuevos (1512 operaciones ganadas) "
        "entre ene 2022 y dic 2025.")
    assert nv.headline_revenue(850_000, 12, 12) == "Won revenue was $850k from 12 new customers."


def test_headline_cac() -> None:
    assert nv.headline_cac(8400, 7900, 9000, paid_cac=3100) == (
        "Winning a new customer costs $8.4k (95 % interval: $7.9k to $9.0k), counting every "
        "marketing and sales cost, salaries included; paid advertising alone spends $3.1k per "
        "customer it is credited with.")
    assert nv.headline_cac(8400, 7900, 9000, paid_cac=3100, language="es") == (
        "Ganar un cliente nuevo cuesta 8,4 mil US$ (intervalo del 95 %: de 7,9 mil US$ a "
        "9,0 mil US$), contando todos los costes de marketing y ventas, salarios incluidos; la publicidad de "
        "pago gasta 3,1 mil US$ por cada cliente que se le atribuye.")
    assert nv.headline_cac(np.nan) == (
        "No new customer was won, so the cost per customer cannot be computed.")
    assert nv.headline_cac(8400, paid_cac=np.nan).endswith(
        "no customer is credited to paid advertising, so its cost per customer is undefined.")


def test_headline_payback() -> None:
    assert nv.headline_payback(14.24, 3.06) == (
        "The cost of a customer is paid back after 14.2 months of its gross profit (target: "
        "under 12), and over its lifetime a customer brings 3.1 times what it cost (target: 3 or "
        "more).")
    assert nv.headline_payback(14.24, 3.06, "es") == (
        "El coste de un cliente se recupera tras 14,2 meses de su margen bruto (objetivo: menos "
        "de 12), y a lo largo de su vida un cliente aporta 3,1 veces lo que costó (objetivo: 3 o "
        "más).")
    assert "cannot be computed" in nv.headline_payback(np.nan)


@pytest.fixture()
def teams() -> pd.DataFrame:
    return pd.DataFrame({"model": ["markov", "markov", "first_touch", "first_touch"],
                         "team": ["sales", "marketing", "marketing", "sales"],
                         "cost": [3.4e6, 2.1e6, 2.1e6, 3.4e6], "roi": [1.2, 0.45, 2.5, np.nan],
                         "roi_ci_low": [0.9, 0.3, np.nan, np.nan],
                         "roi_ci_high": [1.5, 0.6, np.nan, np.nan]})


def test_headline_roi_by_team(teams) -> None:
    assert nv.headline_roi_by_team(teams, "markov") == (
        "With credit shared by the Markov model, marketing earns an ROI of 45 % (95 % interval: "
        "30 % to 60 %) on $2.1M of cost and sales earns an ROI of 120 % (95 % interval: 90 % to "
        "150 %) on $3.4M of cost.")
    assert nv.headline_roi_by_team(teams, "markov", "es") == (
        "Con el mérito repartido por el modelo de Markov, marketing obtiene un ROI del 45 % "
        "(intervalo del 95 %: de 30 % a 60 %) sobre 2,1 M US$ de coste y ventas obtiene un ROI del "
        "120 % (intervalo del 95 %: de 90 % a 150 %) sobre 3,4 M US$ de coste.")
    mixed = teams.assign(roi=[1.2, 0.055, 2.5, np.nan], roi_ci_low=[0.9, -0.028, np.nan, np.nan],
                         roi_ci_high=[1.5, 0.13, np.nan, np.nan])
    # one precision for the three numbers, set by the largest: no "5.5 % (-2.8 % to 13 %)"
    assert "ROI of 6 % (95 % interval: -3 % to 13 %)" in nv.headline_roi_by_team(mixed, "markov")
    assert nv.headline_roi_by_team(teams, "first_touch") == (
        "With credit shared by the first-touch model, marketing earns an ROI of 250 % on $2.1M of "
        "cost and sales cannot be judged (the model credits it no sales or it has no cost).")
    with pytest.raises(ValueError, match="no rows for model 'shapley'"):
        nv.headline_roi_by_team(teams, "shapley")


def test_headline_uplift_uses_the_causal_verdict() -> None:
    en = nv.headline_uplift(0.079, 0.051, 0.106)
    lead = "Claim tested: integrating marketing and sales raises revenue by up to 20 %. "
    assert en == lead + verdict(0.079, 0.051, 0.106).text
    assert "clearly smaller than 20.0 %" in en
    es = nv.headline_uplift(0.079, 0.051, 0.106, language="es")
    assert es == ("Afirmación puesta a prueba: integrar marketing y ventas aumenta los ingresos "
                  "hasta un 20 %. " + verdict(0.079, 0.051, 0.106, language="es").text)
    wide = nv.headline_uplift(0.08, -0.05, 0.25, claim=0.2)
    assert "cannot tell" in wide
    with pytest.raises(ValueError, match="must contain the estimate"):
        nv.headline_uplift(0.3, 0.0, 0.1)


def test_headline_channels() -> None:
    rec = pd.DataFrame({
        "channel": ["webinar", "sdr_call", "demo", "events", "paid_social", "sales_people"],
        "action": ["grow", "grow", "grow", "review", "cut", "not_assessed"],
        "confidence": ["high", "high", "medium", "low", "medium", "none"]})
    assert nv.headline_channels(rec, n_models=9) == (
        "Judged by ROI on the gross profit of the deals booked (before renewals) under 9 attribution models: grow webinars and SDR calls (high confidence) "
        "and demos (medium confidence); review events (low confidence: the attribution models "
        "disagree); cut paid social (medium confidence).")
    assert nv.headline_channels(rec, n_models=9, language="es") == (
        "Según el ROI sobre el margen bruto de las operaciones firmadas (sin renovaciones) con 9 modelos de atribución: aumentar webinars y llamadas SDR (confianza "
        "alta) y demos (confianza media); revisar eventos (confianza baja: los modelos de "
        "atribución no coinciden); recortar redes sociales de pago (confianza media).")
    assert "grow webinars and SDR calls (high confidence); review" in nv.headline_channels(
        rec, max_items=2)
    assert nv.headline_channels(rec.iloc[5:]) == (
        "No channel can be judged: none has both a cost and credited sales.")
    # an unknown channel name is shown as is (escaping is the report's job)
    odd = pd.DataFrame({"channel": ["<b>x_y</b>"], "action": ["grow"], "confidence": ["high"]})
    assert "grow <b>x y</b> (high confidence)" in nv.headline_channels(odd)


def test_headline_funnel() -> None:
    assert nv.headline_funnel(0.372, 0.351, 0.394, 63.6) == (
        "37 % of closed deals are won (95 % interval: 35 % to 39 %); a won deal takes 64 days on "
        "average from opportunity to signature.")
    assert nv.headline_funnel(0.372, 0.351, 0.394, 63.6, "es") == (
        "Se gana el 37 % de las operaciones cerradas (intervalo del 95 %: de 35 % a 39 %); una "
        "operación ganada tarda de media 64 días desde la oportunidad hasta la firma.")
    assert "unknown" in nv.headline_funnel(np.nan, None, None)


def test_glossary_both_languages_one_line() -> None:
    for term, langs in nv.GLOSSARY.items():
        assert set(langs) == {"en", "es"}, term
        for lang in ("en", "es"):
            name, text = langs[lang]
            assert name and text and "\n" not in text and text.endswith("."), (term, lang)
    assert nv.explain("roi") == ("ROI (return on investment): gross profit earned minus the "
                                 "cost, as a percentage of the cost; 0 % means the money only "
                                 "came back.")
    assert nv.explain("cac", "es") == ("CAC (coste de adquisición de cliente): lo que cuesta "
                                       "ganar un cliente nuevo.")
    g = nv.glossary(["roi", "ltv"], language="es")
    assert list(g["Término"]) == ["ROI (retorno de la inversión)", "LTV (valor de vida del cliente)"]
    assert list(nv.glossary(["cac"]).columns) == ["Term", "Meaning"]
    with pytest.raises(ValueError, match="unknown glossary term"):
        nv.explain("ebitda")


def test_labels() -> None:
    assert nv.model_label("markov") == "Markov" and nv.model_label("position_based", "es") == "en U"
    assert nv.model_label("my_model") == "my model"
    assert nv.channel_label("sdr_call", "es") == "llamadas SDR"


def test_docstring_examples() -> None:
    result = doctest.testmod(nv, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 6 and result.failed == 0


def test_table_for_print_and_html_escaping() -> None:
    df = pd.DataFrame({"channel": ["paid_search", "<script>alert(1)</script>"],
                       "action": ["grow", "cut"], "roi": [0.4512, np.nan],
                       "roi_ci_low": [0.30, np.nan], "roi_ci_high": [0.61, np.nan],
                       "cost": [12_500.0, 900.0]})
    cols = [("channel", "channel", "Channel", "Canal"), ("action", "action", "Action", "Acción"),
            ("roi", "pct", "ROI", "ROI"), ("cost", "money", "Cost", "Coste")]
    en = nv.table_for_print(df, cols, intervals={"roi": ("roi_ci_low", "roi_ci_high")})
    assert en.to_dict("list") == {"Channel": ["paid search", "<script>alert(1)</script>"],
                                  "Action": ["grow", "cut"], "ROI": ["45 % (30 % to 61 %)", "–"],
                                  "Cost": ["$12k", "$900"]}
    es = nv.table_for_print(df, cols, "es", intervals={"roi": ("roi_ci_low", "roi_ci_high")})
    assert es.to_dict("list") == {"Canal": ["búsqueda de pago", "<script>alert(1)</script>"],
                                  "Acción": ["aumentar", "recortar"],
                                  "ROI": ["45 % (30 % a 61 %)", "–"], "Coste": ["12 mil US$", "900 US$"]}
    html = nv.html_table(en)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    with pytest.raises(ValueError, match="missing column"):
        nv.table_for_print(df, [("nope", "text", "x", "x")])


def test_executive_items_and_texts() -> None:
    blended = pd.DataFrame({"revenue": [36000.0], "new_customers": [2], "won_deals": [3],
                            "cac": [11000.0], "cac_ci_low": [9000.0], "cac_ci_high": [14000.0]})
    paid = pd.DataFrame({"model": ["linear", "markov"], "cac": [6000.0, 3000.0]})
    unit = pd.DataFrame({"payback_months": [12.67], "ltv_to_cac": [3.95]})
    teams = pd.DataFrame({"model": "markov", "team": ["sales", "marketing"],
                          "cost": [14500.0, 7500.0], "roi": [np.nan, 2.3],
                          "roi_ci_low": [np.nan, 1.9], "roi_ci_high": [np.nan, 2.71]})
    up = type("U", (), {"estimate": 0.079, "ci_low": 0.051, "ci_high": 0.106})()
    rec = pd.DataFrame({"channel": ["email", "events", "demo"], "action": ["grow", "review", "cut"],
                        "confidence": ["medium", "low", "high"]})
    win = pd.DataFrame({"win_rate": [0.75], "ci_low": [0.3], "ci_high": [0.95]})
    cycle = pd.DataFrame({"mean_days": [36.7]})
    kw = dict(blended=blended, paid=paid, unit_econ=unit, teams=teams, model="markov", uplift=up,
              recommendations=rec, n_models=2, win=win, cycle=cycle, start="2024-01-01",
              end="2024-03-01")
    links = ["00_data_overview.html", "01_attribution_comparison.html", "00_data_overview.html",
             "01_attribution_comparison.html", "02_integration_uplift.html",
             "01_attribution_comparison.html", "00_data_overview.html"]
    en = nv.executive_items(**kw)
    assert en == list(zip(
        ["Revenue", "Cost of a new customer", "Payback and lifetime value", "Return by team",
         "Effect of integrating the teams", "Channels to grow or cut", "Closing deals"],
        ["$36k from 2 new customers", "$11k ($9.0k to $14k)",
         "12.7 months to pay back (target < 12); LTV:CAC 4.0 (target ≥ 3)",
         "marketing 230 % (190 % to 271 %), sales –",
         "+7.9 % (5.1 % to 10.6 %), clearly below the claimed 20 %",
         "grow: email · cut: demos · 1 unclear (models disagree)",
         "75 % of deals won (30 % to 95 %); 37 days to close"], links))
    es = nv.executive_items(**kw, language="es")
    assert [t for _, t, _ in es] == [
        "36 mil US$ de 2 clientes nuevos", "11 mil US$ (9,0 mil US$ a 14 mil US$)",
        "12,7 meses para recuperarlo (objetivo < 12); LTV:CAC 4,0 (objetivo ≥ 3)",
        "marketing 230 % (190 % a 271 %), ventas –",
        "+7,9 % (5,1 % a 10,6 %), claramente por debajo del 20 % afirmado",
        "aumentar: email · recortar: demos · 1 dudosos (los modelos no coinciden)",
        "75 % de operaciones ganadas (30 % a 95 %); 37 días hasta el cierre"]
    for lang in ("en", "es"):
        long = nv.executive_items(**kw, language=lang, short=False)
        assert [h for *_, h in long] == links
        assert long[1][1] == nv.headline_cac(11000.0, 9000.0, 14000.0, paid_cac=3000.0,
                                             language=lang)
        assert long[4][1] == nv.headline_uplift(0.079, 0.051, 0.106, language=lang)
    assert long[0][1] == ("Los ingresos ganados fueron 36 mil US$ de 2 clientes nuevos (3 "
                          "operaciones ganadas) entre ene 2024 y mar 2024.")
    html = nv.sentences_html([("A <b>", "x < y", "01_attribution_comparison.html")])
    assert html == ('<ul class="smarketing-sentences"><li><strong>A &lt;b&gt;.</strong> x &lt; y '
                    '<a href="01_attribution_comparison.html">(details →)</a></li></ul>')
    assert nv.headline_note("2022-01-01", "2025-12-01", "markov") == (
        "Data from Jan 2022 to Dec 2025. Credit for each sale shared with the Markov model. "
        "Intervals are 95 %.")
    assert "1,5 %" in nv.report_text("caveats", "es", churn=nv.format_pct(0.015, "es"), months=12)
    for key in nv.REPORT_TEXT:
        assert nv.report_text(key, "en", churn="1 %", months=12)
        assert nv.report_text(key, "es", churn="1 %", months=12)
    with pytest.raises(ValueError, match="unknown report text"):
        nv.report_text("nope")


def test_recommendations_for_print() -> None:
    rec = pd.DataFrame({"channel": ["email", "events"], "team": ["marketing", "marketing"],
                        "action": ["grow", "review"], "confidence": ["high", "low"],
                        "n_models": [12, 12], "n_positive": [12, 3], "n_negative": [0, 9],
                        "roi": [1.0558, 0.03], "roi_ci_low": [0.9666, -0.06],
                        "roi_ci_high": [1.1394, 0.10], "cost": [32026.9, 1.3e6]})
    es = nv.recommendations_for_print(rec, "markov", "es")
    assert es.iloc[1].tolist() == [
        "eventos", "marketing", "revisar", "baja", "3 % (-6 % a 10 %)", "1,3 M US$",
        "ROI mayor que 0 con 3 de 12 modelos, menor que 0 con 9"]
    en = nv.recommendations_for_print(rec, "markov")
    assert list(en.columns)[4] == "ROI, Markov model (95 % interval)"
    assert en.iloc[0, 6] == "ROI above 0 under 12 of 12 models, below 0 under 0"


def test_every_attribution_model_has_a_glossary_line_in_both_languages() -> None:
    from smlib.attribution.api import MODELS
    from smlib.narrative import GLOSSARY, explain

    for model in MODELS:
        assert model in GLOSSARY, f"no glossary line for attribution model {model!r}"
        assert explain(model, "en") and explain(model, "es")


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
        texts = [t for _, t, _ in nv.executive_items(**kw, short=short)]
        assert texts[0].startswith("$36k" if short else "Won revenue was $36k")
        assert [texts[i] for i in (1, 2, 3, 5)] == [
            "not available: needs a spend table (costs by month and channel)"] * 4
        assert texts[4].startswith("cannot be estimated from this data")
        es = [t for _, t, _ in nv.executive_items(**kw, short=short, language="es")]
        assert es[1].startswith("no disponible: requiere una tabla de costes")
        assert es[4].startswith("no se puede estimar con estos datos")
