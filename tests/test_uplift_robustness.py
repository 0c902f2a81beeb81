"""Report 02's robustness panel (smlib.analyses.uplift): the recommended estimate beside Sun &
Abraham, imputation, synthetic DiD and TWFE with its Goodman-Bacon decomposition; the stated rules
that choose the recommended estimator; the link to report 04 when nothing was adopted; the
HonestDiD sentence; texts in English and Spanish."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest

from smlib.analyses.uplift import (ESTIMATOR_RULES, FEW_TREATED, GOOD_FIT, PANEL_ESTIMATORS,
                                   adoption_facts, choose_estimator, robustness_panel_table,
                                   uplift_analysis)
from smlib.gaps import ROLLOUT_REPORT, panel_gap
from smlib.simulate import simulate_panel

matplotlib.use("Agg")


def _data(units: pd.DataFrame) -> SimpleNamespace:
    return SimpleNamespace(units=units, accounts=None, opportunities=None)


@pytest.fixture(scope="module")
def sim() -> tuple[pd.DataFrame, object]:
    return simulate_panel(seed=7, n_units=40, n_periods=36)


@pytest.fixture(scope="module")
def analysis(sim):
    units, truth = sim
    return uplift_analysis(_data(units), truth=truth, robustness=False, n_placebo=50)


def test_panel_has_every_estimator_as_uplift_percent(analysis):
    p = analysis.panel
    assert list(p["kind"]) == list(PANEL_ESTIMATORS)  # recommended (Callaway) first
    assert p["recommended"].tolist() == [True, False, False, False, False]
    for col in ("pct", "pct_ci_low", "pct_ci_high", "truth_pct"):
        assert np.isfinite(p[col]).all(), col
    assert (p["pct_ci_low"] <= p["pct"]).all() and (p["pct"] <= p["pct_ci_high"]).all()
    # the recommended row is the headline
    assert p.loc[0, "pct"] == pytest.approx(analysis.uplift.estimate)
    assert analysis.bacon is not None and 0 <= analysis.bacon.share_already_treated <= 1
    assert analysis.choice.rule == "staggered" and analysis.choice.estimator == "callaway"


@pytest.mark.slow  # five simulated panels, every estimator (~15 s)
def test_truth_inside_most_intervals():
    covered, rows = 0, 0
    for seed in range(5):
        units, truth = simulate_panel(seed=100 + seed, n_units=40, n_periods=36)
        p = uplift_analysis(_data(units), truth=truth, robustness=False, n_placebo=50).panel
        p = p[p["kind"] != "twfe"]  # TWFE is biased under staggered, growing effects by design
        inside = (p["pct_ci_low"] <= p["truth_pct"]) & (p["truth_pct"] <= p["pct_ci_high"])
        covered, rows = covered + int(inside.sum()), rows + len(p)
    assert rows == 20 and covered / rows >= 0.8


def test_truth_inside_the_intervals_on_one_panel(analysis):
    p = analysis.panel[analysis.panel["kind"] != "twfe"]
    inside = (p["pct_ci_low"] <= p["truth_pct"]) & (p["truth_pct"] <= p["pct_ci_high"])
    assert inside.sum() >= 3


@pytest.mark.parametrize("args, rule", [
    ((1, 1, 20, 0.01), "single_unit_fit"),
    ((1, 1, 20, 0.30), "few_units"),
    ((1, 1, 20, None), "few_units"),
    ((FEW_TREATED, 2, 20, None), "few_units"),
    ((FEW_TREATED + 1, 3, 0, None), "staggered"),
    ((30, 1, 10, None), "single_date"),
])
def test_rule_table(args, rule):
    choice = choose_estimator(*args)
    assert choice.rule == rule and choice.estimator == ESTIMATOR_RULES[rule]
    table = choice.rules_table("en").frame
    assert len(table) == len(ESTIMATOR_RULES)
    assert (table["fires"] != "").sum() == 1
    assert table.loc[list(ESTIMATOR_RULES).index(rule), "fires"] != ""
    with pytest.raises(ValueError):
        choose_estimator(0, 0)


def test_rules_pick_sdid_or_synth_on_a_single_treated_unit(sim):
    units, truth = sim
    adoption = units.groupby("unit_id")["adoption_period"].first()
    first = adoption.dropna().index[0]
    one = units[units["unit_id"].eq(first) | units["unit_id"].isin(adoption.index[adoption.isna()])]
    assert adoption_facts(one)[:2] == (1, 1)
    a = uplift_analysis(_data(one), truth=truth, robustness=False, n_placebo=50)
    assert a.choice.estimator in ("synth", "sdid") and a.choice.n_treated == 1
    rec = a.panel.loc[a.panel["recommended"]].iloc[0]
    assert rec["kind"] in ("synth", "sdid")
    assert a.uplift.estimate == pytest.approx(rec["pct"])
    assert "Callaway" not in a.headline_note("en")
    assert a.choice.pre_fit is not None and (a.choice.rule == "single_unit_fit") == (
        a.choice.pre_fit <= GOOD_FIT)


def test_rules_on_staggered_and_single_date_data(sim):
    units, _ = sim
    assert adoption_facts(units)[1] > 1
    assert choose_estimator(*adoption_facts(units)).rule == "staggered"
    adoption = units.groupby("unit_id")["adoption_period"].first()
    date = adoption.dropna().min()
    one_date = units.assign(adoption_period=units["unit_id"].map(
        adoption.where(adoption.isna(), date)))
    n, dates, _ = adoption_facts(one_date)
    assert dates == 1 and choose_estimator(n, dates).rule == "single_date"


def test_link_to_report_04_when_nothing_was_adopted(sim):
    units, _ = sim
    never = units.assign(adoption_period=pd.NaT)
    gap = panel_gap(never)
    for lang in ("en", "es"):
        assert ROLLOUT_REPORT in gap.unlocks_in(lang)
    assert "04" in gap.unlocks_in("es") and "plan de despliegue" in gap.unlocks_in("es")
    a = uplift_analysis(_data(never), robustness=False)
    assert a.choice is None and a.panel.empty and a.robustness_panel_table() is None
    assert f"]({ROLLOUT_REPORT})" in a.not_estimable_text("en")
    assert "report 04" in a.not_estimable_text("en")
    assert f"]({ROLLOUT_REPORT})" in a.not_estimable_text("es")
    assert "informe 04" in a.not_estimable_text("es")
    assert a.bacon_sentence() is None and a.honest_sentence() is None
    assert panel_gap(None).unlocks_in("en").count(ROLLOUT_REPORT) == 1


def test_texts_in_english_and_spanish(analysis):
    en = robustness_panel_table(analysis, language="en").to_text("en")
    es = analysis.robustness_panel_table("es").to_text("es")
    assert "Estimator" in en.columns and "Estimador" in es.columns
    assert "recommended" in en.iloc[0, -3] or "recommended" in " ".join(en.iloc[0].astype(str))
    assert "recomendado" in " ".join(es.iloc[0].astype(str))
    assert any("Sun y Abraham" == v for v in es["Estimador"])
    assert any("imputación" in v for v in es["Estimador"])
    assert any(v.startswith("DiD sintético") for v in es["Estimador"])
    assert "," in es.iloc[0, 1]  # decimal comma
    assert analysis.rules_table("es").frame["fires"].str.contains("se aplica").sum() == 1
    assert "Estimador recomendado: **Callaway y Sant'Anna**" in analysis.choice_text("es")
    assert "Recommended estimator: **Callaway & Sant'Anna**" in analysis.choice_text("en")
    assert analysis.bacon_sentence("en").startswith("Two-way fixed effects gives")
    assert "Goodman-Bacon" in analysis.bacon_sentence("es")
    assert "efectos fijos de dos vías" in analysis.bacon_sentence("es")
    assert analysis.headline_note("es").startswith("Aumento =")


def test_robustness_plot_marks_the_recommended_estimate(analysis):
    ax = analysis.robustness_plot("es")
    ticks = ax.get_yticklabels()
    assert ticks[0].get_fontweight() == "bold" and ticks[1].get_fontweight() != "bold"
    assert "estimador" in ax.get_title()


def test_honest_sentence_is_hidden_unless_run(analysis):
    assert analysis.honest is None and analysis.honest_sentence("en") is None

    def fake(lb: list[float]) -> SimpleNamespace:
        robust = pd.DataFrame({"Mbar": [0.0, 0.5, 1.0, 1.5], "lb": lb, "ub": [9.0] * 4})
        inc = robust["lb"] <= 0
        return SimpleNamespace(estimate=5.0, robust=robust, parameter="Mbar",
                               details={"num_post": 6},
                               breakdown=lambda: float(robust.loc[inc, "Mbar"].min())
                               if inc.any() else float("nan"))

    analysis.honest = fake([3.0, 2.0, -1.0, -2.0])
    try:
        en = analysis.honest_sentence("en")
        assert "more than 0.5 times the largest one before integration" in en
        assert "más de 0,5 veces" in analysis.honest_sentence("es")
        analysis.honest = fake([3.0, 2.0, 1.0, 0.5])
        assert "1.5 times" in analysis.honest_sentence("en")
        analysis.honest = fake([-1.0, -2.0, -3.0, -4.0])
        assert "not established" in analysis.honest_sentence("en")
    finally:
        analysis.honest = None


def test_new_estimators_are_fast_on_a_default_sized_panel():
    from smlib.causal._panel import PanelSpec
    from smlib.causal.bacon import bacon_decomposition
    from smlib.causal.imputation import imputation_did
    from smlib.causal.sunab import sun_abraham

    units, _ = simulate_panel(seed=1, n_units=60, n_periods=48)  # the default data's shape
    spec = PanelSpec(outcome="revenue")
    sun_abraham(units, panel=spec)
    imputation_did(units, panel=spec, horizons=False)
    d = units.assign(_d=(units["adoption_period"].notna()
                         & (units["period"] >= units["adoption_period"])).astype(float))
    bacon_decomposition(d, treated="_d", panel=spec)
    a = uplift_analysis(_data(units), robustness=False)  # includes SDID with 200 placebo draws
    assert a.sdid is not None  # speed: benchmarks/bench_causal_modern.py, not a timed test


def test_headline_alone_follows_the_rules(sim):
    from smlib.analyses.uplift import estimate_uplift

    units, _ = sim
    adoption = units.groupby("unit_id")["adoption_period"].first()
    first = adoption.dropna().index[0]
    one = units[units["unit_id"].eq(first) | units["unit_id"].isin(adoption.index[adoption.isna()])]
    did, uplift, gap = estimate_uplift(one)
    a = uplift_analysis(_data(one), robustness=False)
    assert gap is None and did is not None
    assert uplift.estimate == pytest.approx(a.uplift.estimate)
    did, uplift, _ = estimate_uplift(units)  # staggered: Callaway & Sant'Anna, as before
    assert uplift.att == pytest.approx(did.estimate)


def test_honest_reads_the_recommended_estimators_event_study(sim):
    """HonestDiD runs on the event study of the recommended estimator (Callaway & Sant'Anna with
    R did's universal base period, as the HonestDiD README does), not on another estimator's:
    its point estimate is the average of that event study over the first HONEST_WINDOW months,
    and the sentence names the event study."""
    from smlib.analyses.uplift import HONEST_WINDOW
    from smlib.causal._panel import PanelSpec
    from smlib.causal.staggered import staggered_did

    units, truth = sim
    a = uplift_analysis(_data(units), truth=truth, robustness=False, n_placebo=20, honest=True)
    assert a.choice.estimator == "callaway" and a.honest_on == "callaway_santanna"
    es = staggered_did(units, panel=PanelSpec(outcome="revenue"), base_period="universal",
                       n_boot=0).aggregate("dynamic")
    post = es.table[es.table["event_time"].between(0, HONEST_WINDOW - 1)]["estimate"].mean()
    assert a.honest.estimate == pytest.approx(post, rel=1e-10)
    sentence = a.honest_sentence("en")
    if sentence is not None:  # shown only for a positive estimate
        assert "Callaway & Sant'Anna" in sentence
        assert "Callaway y Sant'Anna" in a.honest_sentence("es")


def test_honest_falls_back_to_sun_abraham_when_a_synthetic_method_is_recommended(analysis):
    from smlib.analyses.uplift import _honest_source  # noqa: PLC2701 (the rule under test)

    sa = object()
    other = object()  # a recommended synthetic control: not the Callaway & Sant'Anna result
    src, name = _honest_source(pd.DataFrame(), "revenue", "never_treated", "dr", other,
                               SimpleNamespace(cs=analysis.staggered), sa)
    assert src is sa and name == "sun_abraham"
    assert _honest_source(pd.DataFrame(), "revenue", "never_treated", "dr", other,
                          SimpleNamespace(cs=None), None) == (None, None)
