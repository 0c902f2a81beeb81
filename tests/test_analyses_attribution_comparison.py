"""Report 01's analysis: every model with intervals, the headline and the conclusion, in both
languages (moved from tests/test_attribution_scoring.py with the code)."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never switch backends

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from smlib.analyses.attribution_comparison import conclusion  # noqa: E402
from smlib.attribution.plots import plot_scores, plot_share_heatmap  # noqa: E402
from smlib.attribution.scoring import score_against_truth  # noqa: E402
from attribution_cases import CREDIT, TRUTH, credit  # noqa: E402,F401




def test_conclusion_is_computed_from_results() -> None:
    scores = score_against_truth(CREDIT, TRUTH)
    text = conclusion(CREDIT, scores)
    assert "The perfect model came closest" in text and "0 % of the credit" in text
    assert "against 60 % to 90 % for the rule-based and Markov models" in text
    assert "sales touches earn 60 %" in text
    other = conclusion(CREDIT.replace({"perfect": "incremental"}))
    assert other.startswith("There is no known right answer") and "Prefer the incremental model" in other
    assert "disagree most about email" in other  # email ranges 0 % to 100 %


SMALL = pd.DataFrame([
    ("email > demo", 20, 2000.0, 30), ("email", 5, 500.0, 60), ("demo", 10, 1000.0, 20),
    ("webinar > email > demo", 30, 6000.0, 10), ("webinar", 2, 200.0, 40),
], columns=["path", "total_conversions", "total_conversion_value", "total_null"])


def test_run_comparison_credit_intervals_and_fitted_models() -> None:
    from smlib.attribution import attribute
    from smlib.analyses.attribution_comparison import run_comparison
    from smlib.attribution.plots import plot_credit_intervals

    res = run_comparison(SMALL, models=["linear", "time_decay", "markov", "logistic", "incremental"],
                         n_boot=30, incremental_params={"candidates": ["logit_C=1"], "cv": 2})
    assert res.skipped == {"time_decay": "needs the journey-level touches table (journeys=...)"}
    assert res.credit["model"].unique().tolist() == ["linear", "markov", "logistic", "incremental"]
    pd.testing.assert_frame_equal(
        res.credit[res.credit["model"] == "linear"].drop(columns="model").reset_index(drop=True),
        attribute(SMALL, "linear")[["channel", "conversions", "value", "share"]])
    assert set(res.fitted) == {"logistic", "incremental"}
    methods = res.intervals.groupby("model")["method"].first()
    assert methods["linear"] == "linear" and methods["logistic"] == "one_step"
    # on paths alone the incremental model's intervals were measured not to cover the truth:
    # withheld (no draws), with the reason
    assert "incremental" not in methods and "incremental" not in res.draws
    assert "measured not to cover" in res.withheld["incremental"]
    ok = (res.intervals["share_ci_low"] <= res.intervals["share"] + 1e-12) & \
         (res.intervals["share"] <= res.intervals["share_ci_high"] + 1e-12)
    assert ok.all()
    assert res.rerun_params() == {"incremental": {"candidates": ["logit_C=1"], "cv": None}}
    ax = plot_credit_intervals(res.intervals, ["linear", "logistic"])
    assert len(ax.get_legend().get_texts()) == 2
    assert run_comparison(SMALL, models=["linear"], n_boot=0).intervals.empty
    with pytest.raises(ValueError, match="unknown model"):
        run_comparison(SMALL, models=["linear", "magic"])
    with pytest.raises(ValueError, match="n_boot"):
        run_comparison(SMALL, models=["linear"], n_boot=1)


def test_team_intervals_and_recommendation() -> None:
    from smlib.analyses.attribution_comparison import run_comparison
    from smlib.attribution.scoring import recommend

    teams = {"email": "marketing", "webinar": "marketing", "demo": "sales"}
    res = run_comparison(SMALL, models=["linear", "logistic"], n_boot=50)
    ti = res.team_intervals(teams).set_index(["model", "team"])
    lin = res.credit[res.credit["model"] == "linear"].set_index("channel")["share"]
    assert ti.loc[("linear", "sales"), "share"] == pytest.approx(lin["demo"])
    assert (ti["ci_low"] <= ti["share"] + 1e-12).all() and (ti["share"] <= ti["ci_high"] + 1e-12).all()
    assert ti.groupby(level="model")["share"].sum().to_numpy() == pytest.approx([1, 1])
    assert recommend(res.credit) == "logistic"
    assert recommend(CREDIT, score_against_truth(CREDIT, TRUTH)) == "perfect"
    assert recommend(CREDIT) == "perfect"  # no data-driven model run: the first one


def test_no_model_to_trust_when_channels_are_not_identified():
    """Sales touches logged only on won deals: no model is named, the sales share is a range."""
    from smlib.analyses.attribution_comparison import conclusion, headline_items, run_comparison
    from smlib.attribution.scoring import recommend

    paths = pd.DataFrame({
        "path": ["email > demo", "email", "paid_search > email", "paid_search", "demo",
                 "email > paid_search"],
        "total_conversions": [3, 0, 0, 0, 2, 1], "total_conversion_value": [30.0, 0, 0, 0, 20, 10],
        "total_null": [0, 5, 4, 6, 0, 3]})
    comp = run_comparison(paths, models=["first_touch", "last_touch", "linear"], n_boot=0)
    teams = {"email": "marketing", "paid_search": "marketing", "demo": "sales"}
    assert recommend(comp.credit) == "first_touch"  # no data-driven model run: the first one
    assert recommend(comp.credit, None, ["demo"]) is None
    items = dict(headline_items(comp, paths, None, teams, unidentified=["demo"]))
    assert items["Model to trust here"].startswith("none can be named")
    assert "demo" in items["Model to trust here"]
    share = items["Share of the credit earned by sales touches"]
    assert " to " in share and "depending on the model (3 models)" in share
    text = conclusion(comp.credit, None, None, unidentified=["demo"])
    assert "No model can be recommended" in text and "demo" in text
    assert "Prefer" not in text


#: Words that would mean an English sentence slipped into a Spanish text.
ENGLISH = re.compile(r"\b(the|and|which|of|model|credit|interval|journeys?|touches)\b")


def _spanish(text: str) -> None:
    assert not ENGLISH.search(text), text


def test_texts_in_spanish() -> None:
    """Conclusion, headline, skipped models, names and figures speak the report's language; the
    English texts are unchanged."""
    import matplotlib.pyplot as plt

    from smlib.analyses.attribution_comparison import (headline_items, run_comparison,
                                                       unavailable_headline_items)
    from smlib.attribution.plots import (allocation_label, channel_name, model_name,
                                         plot_credit_intervals, plot_team_credit)
    from smlib.attribution.teams import team_rollup
    from smlib.gaps import attribution_gap

    scores = score_against_truth(CREDIT, TRUTH)
    assert conclusion(CREDIT, scores, language="en") == conclusion(CREDIT, scores)
    es = conclusion(CREDIT, scores, language="es")
    assert es.startswith("En estos datos simulados se conoce el efecto real de cada canal.")
    assert "pone el 0 % del mérito en canales equivocados" in es
    assert "entre el 60 % y el 90 % de los modelos por reglas y de Markov" in es
    _spanish(es)
    other = conclusion(CREDIT.replace({"perfect": "incremental"}), language="es")
    assert other.startswith("No hay una respuesta correcta conocida") and "email" in other
    _spanish(other)
    res = run_comparison(SMALL, models=["linear", "time_decay", "logistic"], n_boot=20)
    teams = {"email": "marketing", "webinar": "marketing", "demo": "sales"}
    items = headline_items(res, SMALL, None, teams, language="es")
    assert [k for k, _ in items] == ["Modelo en el que confiar aquí",
                                     "Parte del mérito que obtienen los contactos de ventas",
                                     "Recorridos analizados"]
    assert dict(items)["Modelo en el que confiar aquí"] == "logístico (basado en datos)"
    assert "(intervalo del 95 %: " in dict(items)["Parte del mérito que obtienen los contactos de ventas"]
    # one display name per model in every language (labels registry): "time-decay", never "time_decay"
    assert res.skipped_notes("en") == ["*time-decay* was not run: it needs the journey-level "
                                       "touches table (journeys=...)."]
    assert res.skipped_notes("es")[0].startswith("*decaimiento temporal* no se ha ejecutado: "
                                                 "necesita la tabla de contactos")
    gap = attribution_gap(SMALL.assign(total_conversions=0))
    assert dict(unavailable_headline_items(gap, SMALL, "es"))["Qué contactos generan los "
                                                                "ingresos"] == (
        "no se puede saber con estos datos: no tienen ningún acuerdo ganado después de un contacto")
    assert model_name("first_touch") == "first-touch" and model_name("markov", "es") == "Markov"
    assert model_name("truth", "es") == "realidad"
    assert channel_name("sdr_call") == "SDR calls" and channel_name("sdr_call", "es") == "llamadas SDR"
    assert allocation_label("per-type runs + presence", "es") == (
        "ejecuciones por tipo de recorrido + presencia")
    assert allocation_label("per-type runs + presence") == "per-type runs + presence"
    figures = [plot_share_heatmap(CREDIT, TRUTH, language="es"),
               plot_scores(scores, language="es"),
               plot_credit_intervals(res.intervals, ["linear", "logistic"], language="es"),
               plot_team_credit(team_rollup(CREDIT, dict(zip(TRUTH["channel"], TRUTH["team"]))),
                                TRUTH, language="es")]
    for ax in figures:
        words = " ".join([ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
                         + [t.get_text() for t in ax.get_yticklabels()]
                         + ([t.get_text() for t in ax.get_legend().get_texts()]
                            if ax.get_legend() else []))
        _spanish(words)
        assert "truth" not in words and "sales" not in words, words
    assert figures[0].get_title() == "Parte de las compras atribuidas por modelo y canal (%)"
    plt.close("all")


# --- report 01 on a dataset -------------------------------------------------------------------

def _report(tmp_path, case: str, **kw):
    from smlib import io
    from smlib.analyses.attribution_comparison import attribution_report
    from smlib.simulate import export_case, write_export

    folder = write_export(export_case(case, seed=5, n_accounts=1200), tmp_path / case)
    return attribution_report(io.load_dataset(folder), 90, n_boot=kw.pop("n_boot", 0), **kw)


def test_attribution_report_tables_and_texts(tmp_path) -> None:
    """Every table the notebook shows is built, in both languages, from one run."""
    import matplotlib.pyplot as plt

    r = _report(tmp_path, "channel_everywhere", n_boot=20,
                models=["first_touch", "linear", "markov", "logistic"],
                shown_with_intervals=["linear", "logistic"])
    assert r.gap is None and r.comparison is not None and r.truth is None
    assert r.recommended == "logistic" and r.scores is None
    frame = r.to_frame()
    assert {"model", "channel", "conversions", "share", "share_ci_low", "method"} <= set(frame.columns)
    assert len(frame) == len(r.comparison.credit)
    for lang in ("en", "es"):
        items = dict(r.headline_items(lang))
        assert len(items) >= 2
        shares = r.share_table(lang)
        assert shares.frame["model"].tolist() == ["first_touch", "linear", "markov", "logistic"]
        assert shares.to_text(lang).shape[0] == 4
        ci = r.interval_table(lang)
        assert ci is not None and ci.frame["conversions"].is_monotonic_decreasing
        assert ci.caption.endswith(("(logistic (data-driven))", "logístico (basado en datos)"))
        for table in (r.team_table(lang), r.split_table(lang), r.counterfactual_table(lang)):
            assert len(table.to_text(lang))
        assert r.truth_team_table(lang) is None and r.scores_table(lang) is None
        assert r.cv_table(lang) is None  # incremental not run
        assert r.conclusion(lang)
    assert r.share_table("es").labels["model"] == "Modelo"
    assert r.plot_intervals("en") is not None and r.plot_scores("en") is None
    plt.close("all")


def test_attribution_report_without_wins_is_a_gap(tmp_path) -> None:
    r = _report(tmp_path, "no_wins")
    assert r.gap is not None and r.comparison is None and r.recommended is None
    items = dict(r.headline_items("en"))
    assert items["Which touches earn the revenue"].startswith("cannot be told from this data")
    shown = []
    r.show_shares("en", on_gap=lambda gap, section, lang: shown.append(section))
    r.show_conclusion("es", on_gap=lambda gap, section, lang: shown.append(section))
    assert shown == ["Credit per channel", "Conclusión"]
    assert r.skipped_notes("en") == []
    with pytest.raises(ValueError, match="no attribution on this data"):
        r.share_table("en")


def test_candidate_names_in_the_report_language():
    from smlib.analyses.attribution_comparison import candidate_name

    assert candidate_name("funnel", "en") == "per-stage funnel model"
    assert candidate_name("funnel", "es") == "modelo por etapas del embudo"
    assert candidate_name("logit_C=0.01", "es") == "logit_C=0.01"


def test_cv_table_for_the_path_model_and_the_journey_model(tmp_path) -> None:
    """Report 01's table of candidates renders for either form of the incremental model: the path
    model (no lost deals: no funnel model) has no ``compared_with`` column; the journey model's
    specifications and feature blocks are named in the report's language."""
    path = _report(tmp_path, "no_lost", models=["linear", "incremental"])
    assert path.comparison.fitted["incremental"].best_candidate_.startswith("logit")
    journeys = _report(tmp_path, "channel_everywhere", models=["linear", "incremental"])
    assert journeys.comparison.fitted["incremental"].best_candidate_.startswith("funnel")
    for lang in ("en", "es"):
        assert len(path.cv_table(lang).to_text(lang)) >= 2
        text = journeys.cv_table(lang).to_text(lang)
        cells = " ".join(map(str, text.to_numpy().ravel()))
        assert "funnel+" not in cells and "handoff" not in cells, cells
