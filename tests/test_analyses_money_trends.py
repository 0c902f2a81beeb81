"""Report 01's money sections (smlib.analyses.money) and report 00's trend and pipeline sections
(smlib.analyses.trends) on the default data and on every messy export shape
(smlib.simulate.export.EXPORT_CASES): each either shows its figures or says what is missing."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from smlib import io  # noqa: E402
from smlib.analyses.attribution_comparison import attribution_report  # noqa: E402
from smlib.analyses.money import money_views  # noqa: E402
from smlib.analyses.trends import pipeline_trends  # noqa: E402
from smlib.presentation.catalogue import text  # noqa: E402
from smlib.simulate import EXPORT_CASES, export_case, write_export  # noqa: E402

MODELS = ["linear", "last_touch", "markov"]


@pytest.fixture(scope="module")
def default_dataset():
    return io.load_dataset(None)


@pytest.fixture(scope="module")
def default_money(default_dataset):
    rep = attribution_report(default_dataset, 90, models=MODELS, n_boot=20, seed=0,
                             shown_with_intervals=["linear", "markov"])
    return rep, money_views(rep, default_dataset, horizon="first_contract", monthly_churn=None)


def test_money_views_on_default_data(default_money, default_dataset) -> None:
    rep, mv = default_money
    assert mv.available and mv.model == rep.recommended and mv.model_basis == "recommended"
    r = mv.reconciliation
    # the one table adds up to the whole spend, and to the model's credited revenue
    allt = r.loc[r["kind"].eq("all_teams")].iloc[0]
    assert allt["cost"] == pytest.approx(default_dataset.spend["cost"].sum(), rel=1e-12)
    credited = rep.comparison.credit.query("model == @mv.model")["value"].sum()
    assert allt["revenue"] == pytest.approx(credited, rel=1e-12)
    # report 03's function gives the same table (one set of figures)
    from smlib.analyses.money import credit_with_bounds, reconciliation_for
    again = reconciliation_for(credit_with_bounds(rep.comparison.credit, rep.comparison.intervals),
                               default_dataset.spend, default_dataset.opportunities, mv.model,
                               channel_teams=rep.channel_teams,
                               draws=rep.comparison.draws[mv.model],
                               horizon="first_contract", monthly_churn=None)
    pd.testing.assert_frame_equal(again.reset_index(drop=True), r.reset_index(drop=True))
    # every table renders in both languages, intervals included
    for lang in ("en", "es"):
        for table in (mv.reconciliation_table(lang), mv.team_money_table(lang),
                      mv.revenue_by_model_table(lang), mv.roi_by_model_table(lang),
                      mv.spend_credit_table(lang), mv.stage_cost_table(lang),
                      mv.curves_table(lang), mv.budget_table(lang)):
            shown = table.to_text(lang)
            assert len(shown) and not shown.isna().any().any()
        assert mv.budget_text(lang) and mv.reconciliation_text(lang)
    assert "(" in mv.spend_credit_table("en").to_text("en").iloc[0, 5]  # credit interval
    # the side-by-side chart has one bar group per shown model, with error bars
    ax = mv.plot_revenue_by_model("en")
    assert len(ax.get_legend().get_texts()) == len(mv.shown_models)
    assert ax.containers and any(getattr(c, "errorbar", None) is not None for c in ax.containers)
    assert mv.plot_spend_vs_credit("en") is not None
    plt.close("all")


def test_budget_move_on_default_data(default_money) -> None:
    _, mv = default_money
    r = mv.realloc
    assert r.moved > 0 and r.n_draws == 20
    assert r.gain_ci_low <= r.gain <= r.gain_ci_high or np.isclose(r.gain, r.gain_ci_low)
    # diminishing returns never add more than proportional returns
    assert r.gain <= r.gain_proportional + 1e-9
    to = r.plan.loc[r.plan["role"].eq("to"), "roi"].min()
    frm = r.plan.loc[r.plan["role"].eq("from"), "roi"].max()
    assert to > frm  # money moves from lower to higher return
    assert (r.plan["new_cost"] <= r.plan["cost"] * (1 + r.max_increase) + 1e-9).all()


def test_named_model_and_bad_model(default_money, default_dataset) -> None:
    rep, _ = default_money
    mv = money_views(rep, default_dataset, attribution_model="last_touch")
    assert mv.model == "last_touch" and mv.model_basis == "named"
    with pytest.raises(ValueError, match="attribution_model"):
        money_views(rep, default_dataset, attribution_model="nope")


def test_pipeline_trends_on_default_data(default_dataset) -> None:
    pt = pipeline_trends(default_dataset)
    assert not pt.gaps and len(pt.quarters) >= 2
    assert pt.plot_trends("en") is not None
    # sourced pipeline adds up to the open pipeline
    assert pt.by_team["sourced_value"].sum() == pytest.approx(pt.pipeline["amount"].sum())
    assert pt.by_channel["sourced_expected"].sum() == pytest.approx(
        pt.pipeline["expected_value"].sum())
    for lang in ("en", "es"):
        for table in (pt.trends_table(lang), pt.team_pipeline_table(lang),
                      pt.channel_pipeline_table(lang), pt.speed_table(lang)):
            assert len(table.to_text(lang))
    plt.close("all")


def test_single_quarter_and_no_open_deals(default_dataset) -> None:
    from types import SimpleNamespace

    opp = default_dataset.opportunities
    closed = pd.to_datetime(opp["closed_at"], utc=True)
    created = pd.to_datetime(opp["opportunity_at"], utc=True)
    q1 = ((closed >= "2024-01-01") & (closed < "2024-04-01")
          & (created.isna() | (created >= "2024-01-01")))
    sp = default_dataset.spend
    period = pd.to_datetime(sp["period"])
    one = SimpleNamespace(opportunities=opp.loc[q1 & opp["outcome"].ne("open")],
                          touchpoints=default_dataset.touchpoints,
                          spend=sp.loc[(period >= "2024-01-01") & (period < "2024-04-01")])
    pt = pipeline_trends(one)
    assert pt.quarters == ["2024Q1"]
    assert pt.plot_trends("en") is None  # no trend chart, a sentence instead
    assert pt.trends_text("en") == text("overview.trends.single_quarter", "en", quarter="2024Q1")
    assert pt.pipeline.empty and pt.by_team is None
    assert pt.pipeline_text("en") == text("overview.trends.no_open", "en")
    assert pt.pipeline_text("es") == text("overview.trends.no_open", "es")


@pytest.fixture(scope="module")
def export_datasets(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = {}
    for name in EXPORT_CASES:
        folder = write_export(export_case(name, seed=3, n_accounts=800),
                              tmp_path_factory.mktemp(f"money_{name}"))
        out[name] = io.load_dataset(folder)
    return out


@pytest.mark.parametrize("name", list(EXPORT_CASES))
def test_money_and_trends_on_every_export(export_datasets, name) -> None:
    ds = export_datasets[name]
    rep = attribution_report(ds, 90, models=MODELS, n_boot=10, seed=0)
    mv = money_views(rep, ds)
    gaps: list[str] = []
    for show in (mv.show_reconciliation, mv.show_models, mv.show_spend_credit, mv.show_budget):
        show("en", on_gap=lambda gap, section, lang: gaps.append(section))
    if mv.available:
        assert not gaps
        _ = [t.to_text("en") for t in (mv.reconciliation_table(), mv.spend_credit_table(),
                                       mv.stage_cost_table(), mv.curves_table())]
    else:  # says why, once per section
        assert len(gaps) == 4 and mv.gap is not None
    if name == "twin_channels":  # the merged channel carries its members' cost
        r = mv.reconciliation
        merged = r.loc[r["channel"].astype(str).str.contains(" + ", regex=False)]
        assert len(merged) and (merged["cost"] > 0).all()
    if name in ("zero_spend", "header_only_optional", "minimum"):
        assert not mv.available and "spend" in mv.gaps
    pt = pipeline_trends(ds)
    tgaps: list[str] = []
    for show in (pt.show_trends, pt.show_pipeline, pt.show_speed):
        show("en", on_gap=lambda gap, section, lang: tgaps.append(section))
    if name == "no_opportunities":
        assert len(tgaps) == 3
    plt.close("all")
