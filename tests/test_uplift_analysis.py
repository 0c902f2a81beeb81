"""Report 02 (smlib.analyses.uplift): the verdict's wording, the side-by-side table, the forest
plot, the readable report tables in English and Spanish, and the whole analysis."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from smlib.analyses.uplift import (compare_estimates, dr_tables, estimates_table, forest_plot,
                                   naive_table, robustness_table, synth_table, verdict,
                                   verdict_from_result)
from smlib.causal import uplift_percent
from smlib.causal.results import EstimateResult

matplotlib.use("Agg")


# The whole rule, both claim forms and every case in en and es, is the table of
# tests/test_analyses_executive_verdict.py; here the claim read as a typical value.
@pytest.mark.parametrize("est, lo, hi, code", [
    (0.08, 0.05, 0.11, "contradicts_smaller"),     # clearly below 20 %, above 0
    (0.08, -0.02, 0.15, "contradicts_smaller"),    # below 20 %, cannot exclude 0
    (-0.10, -0.15, -0.05, "negative"),             # negative
    (0.19, 0.12, 0.26, "supports"),                # contains 20 %, excludes 0
    (0.30, 0.25, 0.35, "contradicts_larger"),
    (0.10, -0.05, 0.30, "cannot_tell"),            # spans 0 and 20 %
    (0.10, 0.01, 0.40, "cannot_tell"),             # wider than the claim
])
def test_verdict_codes(est, lo, hi, code):
    v = verdict(est, lo, hi, claim_form="typical")
    assert v.code == code
    assert v.claim == 0.20


def test_verdict_wording_en_es():
    en = verdict(0.08, 0.05, 0.11, claim_form="typical")
    assert "clearly smaller than 20.0 %" in en.text
    assert "8.0 %" in en.text and "5.0 %" in en.text
    es = verdict(0.08, 0.05, 0.11, language="es", claim_form="typical")
    assert "claramente menor que un 20,0 %" in es.text
    assert "8,0 %" in es.text
    cannot = verdict(0.10, -0.05, 0.30, language="es")
    assert cannot.text.startswith("Los datos no permiten saberlo")
    assert verdict(0.10, -0.05, 0.30).text.startswith("The data cannot tell")
    assert verdict(0.19, 0.12, 0.26, level=0.9).text.count("90 % interval") == 1
    # "up to 20 %" (the default form): an effect below the ceiling overstates, not contradicts
    up_to = verdict(0.08, 0.05, 0.11)
    assert up_to.code == "overstated" and "overstates" in up_to.text
    assert "Contradicts" not in up_to.text


def test_verdict_claim_and_width_are_parameters():
    assert verdict(0.08, 0.05, 0.11, claim=0.10, claim_form="typical").code == "supports"
    assert verdict(0.10, 0.01, 0.40, max_width=0.5, claim_form="typical").code == "supports"
    assert verdict(0.08, 0.05, 0.11, claim=0.10).code == "consistent"


@pytest.mark.parametrize("args, kwargs, match", [
    ((0.1, 0.2, 0.3), {}, "must contain the estimate"),
    ((0.1, 0.0, 0.2), dict(claim=0.0), "claim must be > 0"),
    ((0.1, 0.0, 0.2), dict(language="fr"), "language must be one of"),
    ((float("inf"), 0.0, 0.2), {}, "must be a finite"),
])
def test_verdict_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        verdict(*args, **kwargs)


def test_verdict_from_result():
    u = uplift_percent(800.0, 10_800.0, std_error=200.0)
    assert verdict_from_result(u, claim_form="typical").code == "contradicts_smaller"
    assert verdict_from_result(u).code == "overstated"
    assert verdict_from_result(u, pretrend_p=0.01).code == "no_verdict"


def test_compare_estimates_and_forest_plot():
    a = EstimateResult.from_normal("cs", "ATT", 100.0, 20.0)
    b = EstimateResult.from_normal("dr", "ATT", 50.0, 40.0)
    t = compare_estimates({"panel": a, "accounts": b},
                          treated_means={"panel": 1100.0, "accounts": 550.0},
                          truths={"panel": 90.0, "accounts": 200.0},
                          truths_pct={"panel": 0.09, "accounts": 0.5})
    assert list(t["label"]) == ["panel", "accounts"]
    assert t.loc[0, "pct"] == pytest.approx(0.1)
    assert bool(t.loc[0, "covers_truth"]) and not bool(t.loc[1, "covers_truth"])
    ax = forest_plot(t)
    assert "uplift" in ax.get_xlabel() and ax.get_title()
    keys = [h.get_label() for h in ax.get_legend().legend_handles]
    assert "true value (simulation)" in keys and "naive comparison (biased)" not in keys
    real = forest_plot(t.assign(truth=np.nan, truth_pct=np.nan), language="es")  # real data
    assert not any("simulación" in h.get_label() for h in real.get_legend().legend_handles)
    with pytest.raises(ValueError, match="EstimateResult or NaiveResult"):
        compare_estimates({"x": 3.0})
    with pytest.raises(ValueError, match="column must be"):
        forest_plot(t, column="foo")
    assert np.isnan(compare_estimates({"panel": a})["pct"].iloc[0])  # no treated mean, no %


@pytest.mark.slow  # simulates a small dataset and runs every estimator (~10 s)
def test_uplift_analysis_end_to_end():
    from smlib.analyses.uplift import uplift_analysis
    from smlib.simulate import simulate

    sim = simulate(seed=5, n_accounts=3000)
    a = uplift_analysis(sim, truth=sim.truth)
    t = a.table
    assert t["label"].str.startswith("naive").sum() == 2
    assert t.loc[t["biased"], "covers_truth"].eq(False).all()  # naive rows miss the truth
    cs = t[t["label"].str.startswith("Callaway")].iloc[0]
    assert cs["ci_low"] <= sim.truth.att <= cs["ci_high"]
    assert a.uplift.estimate == pytest.approx(cs["pct"])
    assert a.verdicts["en"].code == verdict(cs["pct"], cs["pct_ci_low"], cs["pct_ci_high"]).code
    items = dict(a.headline_items("en"))
    assert "True uplift in the simulation" in items
    assert set(a.robustness) == {"placebo_dates", "placebo_outcome", "leave_one_cohort_out"}
    assert dict(a.headline_items("es"))["Aumento real en la simulación"].endswith("%")
    # report tables: every table reads without an index, with money, % and plain headers
    est = estimates_table(a.table, a.results).to_text()
    assert list(est.columns[:3]) == ["Method", "Effect per", "Effect (95 % interval)"]
    assert est["Effect (95 % interval)"].str.match(r"^-?\$[\d.,]+k? \(").all()
    assert est["Truth inside interval"].isin(["yes", "no"]).all()
    for name, frame in a.robustness.items():
        assert robustness_table(name, frame).to_text().shape[0] == len(frame)
    dr_key, dr_overlap = dr_tables(a.doubly_robust)
    assert dr_overlap.to_text()["Accounts"].tolist() == ["integrated", "not integrated"]
    assert synth_table(a.synth).to_text().shape == (6, 2)
    assert a.effect_sentence().startswith("In revenue: integration added about $")
    assert a.effect_sentence("es").startswith("En ingresos: la integración añadió unos ")


# --- readable report tables ---------------------------------------------------------------------

def _small_units() -> pd.DataFrame:
    from smlib.simulate import simulate_panel

    return simulate_panel(seed=3, n_units=30, n_periods=24)[0]


def test_naive_percentages_agree_between_tables():
    from smlib.causal import naive_comparisons

    naive = naive_comparisons(_small_units())
    own = naive.to_frame().set_index("method")
    t = compare_estimates({"naive": naive}).set_index("label")
    for method in ("adopters_vs_never", "before_vs_after"):
        row = t.loc[f"naive: {method.replace('_', ' ')}"]
        np.testing.assert_allclose(row[["pct", "pct_ci_low", "pct_ci_high"]].to_numpy(float),
                                   own.loc[method, ["pct", "pct_ci_low", "pct_ci_high"]].to_numpy(float))
    text = naive_table(naive).to_text()
    assert text.shape == (4, 4)  # comparison, kind, difference (interval), % (interval)
    assert text.iloc[0, 0].startswith("Integrated units vs units that never integrated")
    assert text.iloc[:, 2].str.contains(r"^\$[\d.]+k \(\$[\d.]+k to \$[\d.]+k\)$").iloc[:2].all()
    assert text.iloc[:, 3].str.endswith("%)").all()


def test_estimates_table_formats_and_truth_columns():
    a = EstimateResult.from_normal("staggered_did", "ATT", 61_947.7, 7_121.7)
    b = EstimateResult.from_normal("doubly_robust", "ATT", 570.0, 276.0)
    t = compare_estimates({"CS": a, "DR (accounts)": b}, treated_means={"CS": 766_233.0, "DR (accounts)": 2_721.0},
                          truths={"CS": 61_439.8, "DR (accounts)": 1_500.0},
                          truths_pct={"CS": 0.087, "DR (accounts)": 0.103})
    rt = estimates_table(t)
    text = rt.to_text()
    assert list(text["Method"]) == ["CS", "DR (accounts)"]
    assert list(text["Effect per"]) == ["unit and month", "account"]
    assert text.loc[0, "Effect (95 % interval)"] == "$62k ($48k to $76k)"
    assert text.loc[1, "Effect (95 % interval)"] == "$570 ($29 to $1.1k)"
    assert text.loc[0, "Uplift (95 % interval)"] == "8.8 % (6.7 % to 11.0 %)"
    assert list(text["Truth inside interval"]) == ["yes", "no"]
    assert text.loc[0, "True uplift"] == "8.7 %" and "true values: simulation" in rt.caption
    # real data: no truth columns at all; another level is named in the headers
    bare = estimates_table(compare_estimates({"CS": a}, treated_means={"CS": 766_233.0}), level=0.9).to_text()
    assert not any("true" in c.lower() for c in bare.columns)
    assert "Effect (90 % interval)" in bare.columns


def test_robustness_synth_and_dr_tables():
    from smlib.causal.dr import DoublyRobustResult, overlap_table
    from smlib.causal.synth import SyntheticControlResult

    frame = pd.DataFrame({"check": "placebo_dates", "label": ["adoption moved 1 period(s) earlier"] * 2,
                          "shift": [1, 2], "estimate": [10_056.6, -591.8], "std_error": [5_601.4, 4_656.1],
                          "ci_low": [-922.0, -9_717.7], "ci_high": [21_035.2, 8_534.0],
                          "p_value": [0.0733, 0.00001], "n_units": [60, 60], "note": ["", ""]})
    text = robustness_table("placebo_dates", frame).to_text()
    assert list(text.columns) == ["Pretended start", "Estimated effect (95 % interval)",
                                  "p-value (no effect)", "Units"]
    assert list(text["Pretended start"]) == ["1 month early", "2 months early"]
    assert list(text["p-value (no effect)"]) == ["0.073", "<0.001"]
    assert text.iloc[0, 1] == "$10k (-$922 to $21k)"
    with pytest.raises(ValueError, match="name must be one of"):
        robustness_table("placebo_units", frame)

    sc = SyntheticControlResult(
        method="synthetic_control", estimand="ATT", estimate=124_776.0, std_error=9_573.0,
        ci_low=106_009.4, ci_high=143_542.7, treated_unit="U042",
        treatment_time=pd.Timestamp("2023-01-01"), weights=pd.Series({"U046": 0.6, "U017": 0.4, "U003": 0.0}),
        pre_rmspe=4_100.0, placebo_p_value=0.02)
    st = synth_table(sc).to_text().set_index("Figure")["Value"]
    assert st["Integrated from"] == "2023-01-01"
    assert st["Average monthly effect (gap to its synthetic look-alike)"] == "$125k (95 % interval $106k to $144k)"
    assert st["Look-alike built from (weight)"] == "U046 60 %, U017 40 %"  # zero weights left out
    assert st["Placebo p-value (share of units with a gap this large by chance)"] == "0.020"

    e = np.array([0.2, 0.5, 0.8, 0.03, 0.1, 0.6])
    d = np.array([1, 1, 1, 0, 0, 0])
    dr = DoublyRobustResult.from_normal("doubly_robust", "ATT", 570.0, 276.0, n_obs=6,
                                        overlap=overlap_table(e, d))
    key, ov = dr_tables(dr)
    kt = key.to_text().set_index("Figure")["Value"]
    assert kt["Effect on won revenue per integrated account"] == "$570 (95 % interval $29 to $1.1k)"
    assert kt["p-value (no effect)"] == "0.039"
    ot = ov.to_text()
    assert list(ot["Accounts"]) == ["integrated", "not integrated"]
    assert list(ot["Share below 0.05"]) == ["0.0 %", "33.3 %"]
    assert ot.loc[0, "Median"] == "0.50"


def test_report_table_show_displays_html_without_index(capsys):
    from smlib.analyses.uplift import p_value_text
    from smlib.presentation.tables import ReportTable

    rt = ReportTable(pd.DataFrame({"what": ["a"], "revenue": [433_683.135], "share": [1.304]}),
                     caption="Demo", labels={"what": "What", "nope": "ignored: not a column"})
    rt.show()
    out = capsys.readouterr().out
    assert "Demo" in out and "$434k" in out and "130.4 %" in out and "433683" not in out
    assert p_value_text(float("nan")) == "–" and p_value_text(0.0004) == "<0.001"


def test_report_tables_and_figures_in_spanish():
    """The tables of report 02 in Spanish: captions, headers, method names, numbers with a
    decimal comma; the English tables unchanged."""
    import re

    import matplotlib.pyplot as plt

    from smlib.analyses.uplift import estimate_label, p_value_text
    from smlib.causal import naive_comparisons
    from smlib.causal.dr import DoublyRobustResult, overlap_table
    from smlib.causal.synth import SyntheticControlResult

    english = re.compile(r"\b(the|and|of|to|interval|units?|effect|accounts?|month|per|share|"
                         r"yes|integrated|naive|early|without|note)\b", re.I)

    def spanish(rt):
        text = rt.to_text("es")
        words = " ".join([rt.caption, *text.columns, *text.astype(str).to_numpy().ravel()])
        assert not english.search(words), words
        return text

    naive = naive_comparisons(_small_units())
    assert naive.explain("en") == naive.explanation
    assert naive.explain("es").startswith("Estas comparaciones están sesgadas")
    nt = spanish(naive_table(naive, language="es"))
    assert nt.columns[2] == "Diferencia en ingresos por unidad y mes (intervalo del 95 %)"
    assert nt.iloc[2, 1] == "sesgo que contiene"
    ax = naive.plot(language="es")
    assert ax.get_title() == "Comparaciones ingenuas (rojo) y lo que las sesga (gris)"
    a = EstimateResult.from_normal("staggered_did", "ATT", 61_947.7, 7_121.7)
    b = EstimateResult.from_normal("doubly_robust", "ATT", 570.0, 276.0)
    t = compare_estimates({"Callaway & Sant'Anna (dr, never treated)": a,
                           "doubly robust (accounts)": b},
                          treated_means={"Callaway & Sant'Anna (dr, never treated)": 766_233.0,
                                         "doubly robust (accounts)": 2_721.0},
                          truths={"Callaway & Sant'Anna (dr, never treated)": 61_439.8,
                                  "doubly robust (accounts)": 1_500.0})
    et = spanish(estimates_table(t, language="es"))
    assert list(et["Método"]) == ["Callaway y Sant'Anna (dr, nunca integradas)",
                                  "doblemente robusto (cuentas)"]
    assert list(et["Efecto por"]) == ["unidad y mes", "cuenta"]
    assert et.loc[0, "Aumento (intervalo del 95 %)"] == "8,8 % (6,7 % a 11,0 %)"
    assert list(et["Valor real dentro del intervalo"]) == ["sí", "no"]
    assert estimates_table(t).to_text().columns[0] == "Method"  # English as before
    assert estimate_label("synthetic control: U008", "es") == "control sintético: U008"
    assert estimate_label("two-way fixed effects") == "two-way fixed effects"
    frame = pd.DataFrame({"check": "placebo_dates", "label": ["x"] * 2, "shift": [1, 2],
                          "estimate": [10_056.6, -591.8], "std_error": [5_601.4, 4_656.1],
                          "ci_low": [-922.0, -9_717.7], "ci_high": [21_035.2, 8_534.0],
                          "p_value": [0.0733, 0.00001], "n_units": [60, 60], "note": ["", ""]})
    rt = spanish(robustness_table("placebo_dates", frame, language="es"))
    assert list(rt["Inicio supuesto"]) == ["1 mes antes", "2 meses antes"]
    assert list(rt["Valor p (sin efecto)"]) == ["0,073", "<0,001"]
    loo = frame.assign(check="leave_one_cohort_out", label=["all cohorts", "without cohort 2023-01-01"],
                       note=["", "2 adopter(s) without an earlier period dropped"])
    lt = spanish(robustness_table("leave_one_cohort_out", loo, language="es"))
    assert list(lt["Unidades usadas"]) == ["todas las unidades",
                                           "sin las unidades que se integraron en 2023-01-01"]
    assert lt.loc[1, "Nota"] == "se descartan 2 unidades integradas sin un periodo anterior"
    assert p_value_text(0.0733, "es") == "0,073" and p_value_text(0.0733) == "0.073"
    sc = SyntheticControlResult(
        method="synthetic_control", estimand="ATT", estimate=124_776.0, std_error=9_573.0,
        ci_low=106_009.4, ci_high=143_542.7, treated_unit="U042",
        treatment_time=pd.Timestamp("2023-01-01"), weights=pd.Series({"U046": 0.6, "U017": 0.4}),
        pre_rmspe=4_100.0, placebo_p_value=0.02)
    st = spanish(synth_table(sc, language="es")).set_index("Cifra")["Valor"]
    assert st["Efecto mensual medio (diferencia con su réplica sintética)"] == (
        "125 mil US$ (intervalo del 95 %: 106 mil US$ a 144 mil US$)")
    e = np.array([0.2, 0.5, 0.8, 0.03, 0.1, 0.6])
    d = np.array([1, 1, 1, 0, 0, 0])
    dr = DoublyRobustResult.from_normal("doubly_robust", "ATT", 570.0, 276.0, n_obs=6,
                                        overlap=overlap_table(e, d), propensity=e, treatment=d)
    key, ov = dr_tables(dr, language="es")
    assert spanish(key).set_index("Cifra")["Valor"]["Valor p (sin efecto)"] == "0,039"
    ot = spanish(ov)
    assert list(ot["Cuentas"]) == ["integradas", "no integradas"]
    assert list(ot["Parte por debajo de 0,05"]) == ["0,0 %", "33,3 %"]
    ax = dr.plot(language="es")
    assert ax.get_title().startswith("Solapamiento") and "integradas" in ax.get_legend().get_texts()[0].get_text()
    ax = forest_plot(t, language="es")
    labels = [x.get_text() for x in ax.get_yticklabels()]
    assert labels == ["Callaway y Sant'Anna (dr, nunca integradas)", "doblemente robusto (cuentas)"]
    assert not english.search(" ".join([ax.get_title(), ax.get_xlabel()]
                                       + [x.get_text() for x in ax.get_legend().get_texts()]))
    plt.close("all")


@pytest.mark.slow  # simulates a small dataset and runs every estimator (~10 s)
def test_analysis_accessors_give_the_report_tables():
    """The result object gives each table and figure of report 02 in the asked language, the same
    as the module functions on its parts."""
    from smlib.analyses.uplift import uplift_analysis
    from smlib.simulate import simulate

    sim = simulate(seed=5, n_accounts=3000)
    a = uplift_analysis(sim, truth=sim.truth)
    for lang in ("en", "es"):
        pd.testing.assert_frame_equal(a.naive_table(lang).to_text(lang),
                                      naive_table(a.naive, language=lang).to_text(lang))
        pd.testing.assert_frame_equal(a.estimates_table(lang).to_text(lang),
                                      estimates_table(a.table, a.results, language=lang).to_text(lang))
        assert [t.caption for t in a.robustness_tables(lang)] == [
            robustness_table(n, f, language=lang).caption for n, f in a.robustness.items()]
        assert a.synth_table(lang).to_text(lang).shape == (6, 2)
        key, overlap = a.dr_tables(lang)
        assert key.caption == dr_tables(a.doubly_robust, lang)[0].caption
        assert a.verdict(lang) is a.verdicts[lang]
    assert a.adjustment_text("en").startswith("Adjusted for: segment, size")
    assert a.adjustment_text("es").startswith("Ajustado por: segment")
    ax = a.forest_plot("es", title="T")
    assert ax.get_title() == "T" and "afirmación (20 %)" in [
        h.get_label() for h in ax.get_legend().legend_handles]


@pytest.mark.slow  # writes a small simulated dataset and runs report 02's analysis (~10 s)
def test_uplift_report_reads_warnings_and_truth_from_the_dataset(tmp_path):
    """uplift_report is report 02 on a loaded dataset: the truth beside the estimates only when the
    data folder holds one, the data warnings, and one gap per section that cannot be shown."""
    from smlib import io
    from smlib.analyses.uplift import uplift_report
    from smlib.simulate import export_case, simulate, write_export

    sim = simulate(seed=5, n_accounts=3000)
    sim.write(tmp_path / "sim")
    a = uplift_report(io.load_dataset(tmp_path / "sim"))
    assert a.has_truth and a.truth_pct is not None and a.gap_for("synth") is None
    assert isinstance(a.warnings, list)
    write_export(export_case("minimum"), tmp_path / "minimal")  # no units table at all
    b = uplift_report(io.load_dataset(tmp_path / "minimal"))
    assert not b.has_truth and not b.estimable
    assert b.gap_for("synth") is b.gaps["panel"] and b.gap_for("naive").code == "no_units"
