"""Scoring attribution models against a known truth; the simulator check of the incremental model."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks never switch backends

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from smlib.attribution.scoring import (  # noqa: E402
    conclusion,
    plot_scores,
    plot_share_heatmap,
    score_against_truth,
    share_matrix,
    tvd,
)

TRUTH = pd.DataFrame({
    "channel": ["email", "webinar", "demo", "proposal"],
    "team": ["marketing", "marketing", "sales", "sales"],
    "incremental_conversions": [10.0, 30.0, 40.0, 20.0],
    "incremental_revenue": [1000.0, 3000.0, 4000.0, 2000.0],
    "share": [0.1, 0.3, 0.4, 0.2],
})
TRUTH_TEAMS = pd.DataFrame({"team": ["marketing", "sales", "shared"],
                            "incremental_conversions": [20.0, 60.0, 20.0]})


def credit(model: str, conv: list[float], channels: list[str] | None = None) -> pd.DataFrame:
    channels = channels or ["email", "webinar", "demo", "proposal"]
    c = np.array(conv, float)
    return pd.DataFrame({"model": model, "channel": channels, "conversions": c,
                         "value": c * 100, "share": c / c.sum() if c.sum() else c})


CREDIT = pd.concat([
    credit("perfect", [5, 15, 20, 10]),             # the true shares at half the scale
    credit("last_touch", [0, 0, 10, 40]),          # all on sales, mostly proposal
    credit("first_touch", [50, 0, 0, 0]),
], ignore_index=True)


def test_tvd_hand_computed() -> None:
    assert tvd(pd.Series({"a": 0.5, "b": 0.5}), pd.Series({"a": 1.0})) == pytest.approx(0.5)
    assert tvd(pd.Series({"a": 1.0}), pd.Series({"b": 1.0})) == pytest.approx(1.0)
    assert tvd(pd.Series({"a": 0.2, "b": 0.8}), pd.Series({"b": 0.8, "a": 0.2})) == 0


def test_scores_hand_computed() -> None:
    s = score_against_truth(CREDIT, TRUTH).set_index("model")
    assert s.loc["perfect", "tvd_channel"] == pytest.approx(0)
    assert s.loc["perfect", "rank"] == 1
    # last touch shares (0, 0, .2, .8) vs (.1, .3, .4, .2): ½(.1 + .3 + .2 + .6) = .6
    assert s.loc["last_touch", "tvd_channel"] == pytest.approx(0.6)
    assert s.loc["last_touch", "mae_channel"] == pytest.approx(1.2 / 4)
    assert s.loc["last_touch", "worst_channel"] == "proposal"
    assert s.loc["last_touch", "sales_share"] == pytest.approx(1.0)
    assert s.loc["last_touch", "sales_share_truth"] == pytest.approx(0.6)
    # teams: (0, 1) vs (.4, .6) → .4
    assert s.loc["last_touch", "tvd_team"] == pytest.approx(0.4)
    assert s.loc["first_touch", "tvd_channel"] == pytest.approx(0.9)
    assert s.loc["first_touch", "tvd_value"] == pytest.approx(0.9)
    assert s["rank"].tolist() == [1, 2, 3]
    assert s.index.tolist() == ["perfect", "last_touch", "first_touch"]


def test_missing_channels_count_as_zero_and_single_model_frames() -> None:
    one = credit("x", [1, 1], ["email", "newsletter"]).drop(columns="model")
    s = score_against_truth(one, TRUTH)
    # (.5 email, .5 newsletter) vs truth: ½(|.5-.1| + .3 + .4 + .2 + .5) = .9
    assert s["tvd_channel"].iloc[0] == pytest.approx(0.9)
    assert s["model"].iloc[0] == "model"


def test_counterfactual_team_split_scored_against_truth_team_effects() -> None:
    team_credit = pd.DataFrame({"model": "perfect", "team": ["marketing", "sales", "shared"],
                                "conversions": [10.0, 30.0, 10.0]})
    s = score_against_truth(CREDIT, TRUTH, TRUTH_TEAMS, team_credit).set_index("model")
    assert s.loc["perfect", "tvd_team_split"] == pytest.approx(0)
    assert np.isnan(s.loc["last_touch", "tvd_team_split"])


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="missing column"):
        score_against_truth(CREDIT.drop(columns="conversions"), TRUTH)
    with pytest.raises(ValueError, match="duplicate"):
        score_against_truth(pd.concat([CREDIT, CREDIT.iloc[:1]]), TRUTH)
    with pytest.raises(ValueError, match="incremental_conversions"):
        score_against_truth(CREDIT, TRUTH.drop(columns="incremental_conversions"))
    with pytest.raises(ValueError, match="non-zero total"):
        score_against_truth(credit("zero", [0, 0, 0, 0]), TRUTH)
    with pytest.raises(ValueError, match="finite"):
        score_against_truth(credit("nan", [np.nan, 1, 1, 1]), TRUTH)


def test_share_matrix_and_plots() -> None:
    mat = share_matrix(CREDIT, TRUTH)
    assert mat.index.tolist() == ["perfect", "last_touch", "first_touch", "truth"]
    assert mat.columns.tolist() == ["email", "webinar", "demo", "proposal"]  # marketing first
    np.testing.assert_allclose(mat.sum(axis=1), 1.0)
    ax = plot_share_heatmap(CREDIT, TRUTH)
    assert "model and channel" in ax.get_title()
    ax = plot_scores(score_against_truth(CREDIT, TRUTH))
    assert "truth" in ax.get_title() and "%" in ax.get_xlabel()
    assert len(ax.patches) == 3


def test_conclusion_is_computed_from_results() -> None:
    scores = score_against_truth(CREDIT, TRUTH)
    text = conclusion(CREDIT, scores)
    assert "The perfect model came closest" in text and "0 % of the credit" in text
    assert "against 60 % to 90 % for the rule-based and Markov models" in text
    assert "sales touches earn 60 %" in text
    other = conclusion(CREDIT.replace({"perfect": "incremental"}))
    assert other.startswith("There is no known right answer") and "Prefer the incremental model" in other
    assert "disagree most about email" in other  # email ranges 0 % to 100 %


@pytest.mark.slow
def test_incremental_beats_every_rule_and_markov_model_on_the_default_simulation() -> None:
    from smlib.attribution import compare
    from smlib.attribution.regression import IncrementalAttribution
    from smlib.journeys import build_journeys
    from smlib.simulate import simulate

    sim = simulate()
    journeys = build_journeys(sim.touchpoints, sim.opportunities)
    rules_markov = ["first_touch", "last_touch", "last_non_direct", "linear", "position_based",
                    "time_decay", "w_shaped", "full_path", "markov",
                    ("markov_2", "markov", {"order": 2})]
    others = compare(journeys.paths, models=rules_markov, journeys=journeys.touches)
    incremental = IncrementalAttribution().fit(journeys.paths)
    scores = score_against_truth(
        pd.concat([others, incremental.credit_.assign(model="incremental")]),
        sim.truth.channel_effects).set_index("model")
    best_other = scores.drop("incremental")["tvd_channel"].min()
    assert scores.loc["incremental", "tvd_channel"] < best_other
    assert scores.loc["incremental", "rank"] == 1
    # and it does not understate sales: within 5 points of the true sales share
    assert abs(scores.loc["incremental", "sales_share"]
               - scores.loc["incremental", "sales_share_truth"]) < 0.05


SMALL = pd.DataFrame([
    ("email > demo", 20, 2000.0, 30), ("email", 5, 500.0, 60), ("demo", 10, 1000.0, 20),
    ("webinar > email > demo", 30, 6000.0, 10), ("webinar", 2, 200.0, 40),
], columns=["path", "total_conversions", "total_conversion_value", "total_null"])


def test_run_comparison_credit_intervals_and_fitted_models() -> None:
    from smlib.attribution import attribute
    from smlib.attribution.scoring import plot_credit_intervals, run_comparison

    res = run_comparison(SMALL, models=["linear", "time_decay", "markov", "logistic", "incremental"],
                         n_boot=30, incremental_params={"candidates": ["logit_C=1"], "cv": 2})
    assert res.skipped == {"time_decay": "needs the journey-level touches table (journeys=...)"}
    assert res.credit["model"].unique().tolist() == ["linear", "markov", "logistic", "incremental"]
    pd.testing.assert_frame_equal(
        res.credit[res.credit["model"] == "linear"].drop(columns="model").reset_index(drop=True),
        attribute(SMALL, "linear")[["channel", "conversions", "value", "share"]])
    assert set(res.fitted) == {"logistic", "incremental"}
    methods = res.intervals.groupby("model")["method"].first()
    assert methods["linear"] == "linear" and methods["incremental"] == "one_step"
    ok = (res.intervals["share_ci_low"] <= res.intervals["share"] + 1e-12) & \
         (res.intervals["share"] <= res.intervals["share_ci_high"] + 1e-12)
    assert ok.all()
    assert res.rerun_params() == {"incremental": {"candidates": ["logit_C=1"], "cv": None}}
    ax = plot_credit_intervals(res.intervals, ["linear", "incremental"])
    assert len(ax.get_legend().get_texts()) == 2
    assert run_comparison(SMALL, models=["linear"], n_boot=0).intervals.empty
    with pytest.raises(ValueError, match="unknown model"):
        run_comparison(SMALL, models=["linear", "magic"])
    with pytest.raises(ValueError, match="n_boot"):
        run_comparison(SMALL, models=["linear"], n_boot=1)


def test_team_intervals_and_recommendation() -> None:
    from smlib.attribution.scoring import recommend, run_comparison

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
    from smlib.attribution.scoring import conclusion, headline_items, recommend, run_comparison

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

    from smlib.attribution.scoring import (allocation_label, channel_name, headline_items,
                                           model_name, plot_credit_intervals, run_comparison,
                                           unavailable_headline_items)
    from smlib.attribution.teams import plot_team_credit, team_rollup
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
    assert res.skipped_notes("en") == ["*time_decay* was not run: it needs the journey-level "
                                       "touches table (journeys=...)."]
    assert res.skipped_notes("es")[0].startswith("*decaimiento temporal* no se ha ejecutado: "
                                                 "necesita la tabla de contactos")
    gap = attribution_gap(SMALL.assign(total_conversions=0))
    assert dict(unavailable_headline_items(gap, SMALL, "es"))["Qué contactos generan los "
                                                                "ingresos"] == (
        "no se puede saber con estos datos: no tienen ningún acuerdo ganado después de un contacto")
    assert model_name("first_touch") == "first touch" and model_name("markov", "es") == "Markov"
    assert model_name("truth", "es") == "realidad"
    assert channel_name("sdr_call") == "sdr_call" and channel_name("sdr_call", "es") == "llamadas SDR"
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
