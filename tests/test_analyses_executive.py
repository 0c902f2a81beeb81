"""Report 03's analysis (smlib.analyses.executive) on the shapes real exports have."""

from __future__ import annotations

import pandas as pd
import pytest

from smlib import io
from smlib.analyses.executive import FALLBACK_MODEL, executive_summary
from smlib.simulate import export_case, write_export


def _summary(tmp_path, case: str, **kw):
    folder = write_export(export_case(case, seed=5, n_accounts=1200), tmp_path / case)
    kw.setdefault("n_boot", 0)
    return executive_summary(io.load_dataset(folder), **kw)


def test_minimum_export_shows_revenue_funnel_and_credit_but_no_costs(tmp_path):
    s = _summary(tmp_path, "minimum")
    items = {label: text for label, text, _ in s.items()}
    assert items["Revenue"].endswith("new customers")
    assert items["Cost of a new customer"].startswith("not available: needs a spend table")
    # sales touches are logged on won deals only: the credit split is a range, not one figure
    assert s.unidentified and "depending on the model" in items["Return by team"]
    assert items["Effect of integrating the teams"].startswith("cannot be estimated")
    assert items["Closing deals"].endswith("to close")
    assert s.missing_for("cost").code == "no_spend" and s.missing_for("uplift") is not None
    assert s.missing_for("funnel") is None
    assert set(s.team_shares["team"]) == {"marketing", "sales"}
    assert s.team_shares.groupby("model")["share"].sum().round(9).eq(1).all()
    with pytest.raises(ValueError, match="unknown section"):
        s.missing_for("nope")


def test_only_converting_journeys_fall_back_to_a_stated_model(tmp_path):
    s = _summary(tmp_path, "only_converting", attribution_model="incremental")
    assert s.requested_model == "incremental" and s.model == FALLBACK_MODEL
    assert "needs journeys that did not end in a purchase" in s.note()
    assert "incremental" not in set(s.credit["model"])
    # the default, report 01's recommended model, says the same: it would be the incremental one
    rec = _summary(tmp_path / "rec", "only_converting")
    assert rec.requested_model == "recommended" and rec.model == FALLBACK_MODEL
    assert "credit is shared with the Markov model instead" in rec.note()


def test_no_wins_credits_nothing_and_names_no_model(tmp_path):
    s = _summary(tmp_path, "no_wins", language="es")
    assert s.credit is None and "attribution" in s.gaps and s.customers is None
    assert "Ninguna venta se pudo atribuir" in s.note()
    texts = [t for _, t, _ in s.items()]
    assert texts[3].startswith("no disponible")  # return by team
    assert s.missing_for("teams") is not None


def test_the_summary_gives_the_notebook_its_tables_and_figures(tmp_path):
    """Report 03's cells only call the summary and show: printable tables in the language, figures
    with their titles, None where the data cannot support a section."""
    import matplotlib

    matplotlib.use("Agg")  # tests only
    import matplotlib.pyplot as plt

    s = _summary(tmp_path, "minimum", language="es")
    shares = s.team_share_table()
    assert list(shares.columns) == ["Modelo de atribución", "Parte del mérito de marketing",
                                    "Parte del mérito de ventas"]
    assert shares.iloc[:, 1].str.endswith("%").all()
    assert s.regime_table() is None and s.uplift_sentence() is None and s.plot_uplift() is None
    assert s.missing_for("channels") is not None  # the notebook shows the gap, not the table
    assert s.title().startswith("Resumen ejecutivo") and s.label("cost_section") == "Coste de un cliente"
    assert "1,5 %" in s.text("caveats") and "12 meses" in s.text("caveats")
    assert s.sentences_html().startswith('<ul class="smarketing-sentences">')
    assert s.glossary_table().columns.tolist() == ["Término", "Significado"]
    assert s.plot_funnel().get_title().startswith("Embudo")
    assert s.missing_for("cost").text("es").startswith("Estos datos no tienen una tabla de costes")
    plt.close("all")


def test_full_data_give_regime_recommendation_tables_and_the_uplift(tmp_path):
    import matplotlib

    matplotlib.use("Agg")  # tests only
    import matplotlib.pyplot as plt

    s = _summary(tmp_path, "channel_everywhere")
    regimes = s.regime_table()
    assert list(regimes.columns) == ["Teams", "Cost", "New customers", "CAC (95 % interval)",
                                     "ROI (lifetime basis, 95 % interval)"]
    assert set(regimes["Teams"]) <= {"integrated teams", "separate teams"}
    rec = s.recommendations_table()
    assert rec.columns[3] == ("ROI (lifetime basis), incremental (counterfactual) model "
                              "(95 % interval)")
    assert "Confidence" not in rec.columns  # the reason beside each action says how sure
    assert set(rec["Action"]) <= {"grow", "not enough evidence", "cut", "not judged"}
    # the first pages: the judged channels with the reason beside each action
    actions = s.actions_table()
    assert list(actions.columns) == ["Channel", "Action", "Why (ROI on this page's basis, "
                                     "incremental (counterfactual) model)"]
    assert "not judged" not in set(actions["Action"]) and len(actions)
    for action, why in zip(actions["Action"], actions.iloc[:, 2]):
        assert ("above break-even" in why) == (action == "grow"), why
        assert ("below break-even" in why) == (action == "cut"), why
        assert ("not enough evidence" in why) == (action == "not enough evidence"), why
    assert s.uplift_sentence().startswith("Claim tested: integrating marketing and sales")
    for ax in (s.plot_cac(), s.plot_team_roi(), s.plot_channels(), s.plot_uplift()):
        assert ax.get_title()
    plt.close("all")


def test_returns_are_on_the_lifetime_by_default_and_the_horizon_can_be_chosen(tmp_path):
    """Report 03 decides on lifetime gross profit when churn and contract months are given
    (``horizon="auto"``), on the first contract when forced or for one-off sales (no churn)."""
    folder = write_export(export_case("channel_everywhere", seed=5, n_accounts=1200), tmp_path / "d")
    data = io.load_dataset(folder)
    life = executive_summary(data, n_boot=0)
    first = executive_summary(data, n_boot=0, horizon="first_contract")
    one_off = executive_summary(data, n_boot=0, monthly_churn=None)
    assert (life.horizon, first.horizon, one_off.horizon) == ("lifetime", "first_contract",
                                                              "first_contract")
    assert life.basis().startswith("lifetime gross profit (a customer stays 67 months")
    key = ["model", "team"]
    a = life.teams.set_index(key)["roi"].dropna()
    b = first.teams.set_index(key)["roi"].reindex(a.index)
    assert ((a + 1) / (b + 1)).round(9).eq(round(1 / (0.015 * 12), 9)).all()
    pd.testing.assert_series_equal(one_off.teams["roi"], first.teams["roi"])
    assert (life.recommendations["horizon"] == "lifetime").all()
    items = {label: t for label, t, _ in one_off.items()}
    assert items["Payback and lifetime value"].startswith("not available: no churn assumption")
    assert items["Return by team"].endswith("first-contract basis")
    assert "churn of –" in one_off.text("caveats")
    assert "on lifetime gross profit" in life.text("caveats")
    with pytest.raises(ValueError, match="horizon must be"):
        executive_summary(data, n_boot=0, horizon="forever")


def test_health_statuses_follow_the_interval_and_one_sentence_reconciles_them(tmp_path):
    """Issue 12 item 6: each headline measure against its target and source, met / missed /
    uncertain by its interval, and one sentence that reconciles payback, LTV:CAC and ROI."""
    s = _summary(tmp_path, "channel_everywhere", n_boot=20)
    rows = s.health()
    assert list(rows["measure"]) == ["payback", "ltv_to_cac", "roi", "roi"]
    for r in rows.to_dict("records"):
        lo, hi, target = r["ci_low"], r["ci_high"], r["target"]
        assert lo <= r["value"] <= hi
        good = hi < target if r["direction"] == "below" else lo > target
        bad = lo > target if r["direction"] == "below" else hi < target
        assert r["status"] == ("met" if good else "missed" if bad else "uncertain")
    u = s.customers.iloc[0]  # LTV:CAC's interval is LTV over CAC's interval
    ltv = rows[rows["measure"] == "ltv_to_cac"].iloc[0]
    assert ltv["ci_low"] == pytest.approx(u["ltv"] / u["cac_ci_high"])
    table = s.health_table()
    assert list(table.columns) == ["Measure", "Value (95 % interval)", "Target", "Status",
                                   "Source of the target"]
    assert table.iloc[0, 2] == "under 12 months" and table.iloc[1, 2] == "3 or more"
    assert set(table.iloc[:2, 4]) == {"Skok, SaaS Metrics 2.0"}
    sentence = s.reconciliation()
    assert f"{u['lifetime_months']:.0f}-month lifetime" in sentence
    assert "the team returns count that whole lifetime" in sentence
    credit = s.credit_table()
    assert list(credit.columns) == ["Team", "Share of the credit (95 % interval)", "Cost",
                                    "ROI (lifetime basis, 95 % interval)"]
    es = _summary(tmp_path / "es", "channel_everywhere", language="es")
    assert es.health_table().columns[3] == "Estado"
    assert es.reconciliation().startswith("Estas cifras cuentan el mismo margen bruto")


def test_no_costs_no_health_and_a_credit_split_without_returns(tmp_path):
    s = _summary(tmp_path, "minimum")
    assert s.health_table() is None and s.reconciliation() is None
    assert s.actions_table() is None
    assert s.missing_for("channels").code == "no_spend"  # the page shows why instead
    assert "depending on the model" in dict((k, v) for k, v, _ in s.items())[
        "Who earns the revenue"]  # the credit split needs no costs


@pytest.mark.parametrize("kwargs, match", [
    (dict(claim_form="about"), "claim_form must be one of"),
    (dict(attribution_model="magic"), "attribution_model must be 'recommended' or one of"),
])
def test_bad_settings_fail_before_any_work(kwargs, match):
    with pytest.raises(ValueError, match=match):
        executive_summary(object(), **kwargs)  # no dataset is touched
