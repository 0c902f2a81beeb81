"""Team roll-up: channel → team map, journey types, per-team credit and the counterfactual split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from smlib.attribution import attribute, compare
from smlib.attribution.regression import IncrementalAttribution, LogisticAttribution
from smlib.attribution.teams import counterfactual_team_credit, journey_types, team_rollup
from smlib.journeys import channel_team_map

COLS = ["path", "total_conversions", "total_conversion_value", "total_null"]
TEAMS = {"email": "marketing", "webinar": "marketing", "demo": "sales", "sdr_call": "sales"}
PATHS = pd.DataFrame([
    ("email > demo", 2, 200.0, 3),
    ("email", 1, 50.0, 6),
    ("demo", 1, 100.0, 2),
    ("webinar > email > sdr_call > demo", 3, 600.0, 1),
    ("sdr_call", 0, 0.0, 4),
], columns=COLS)


def test_channel_team_map_sources() -> None:
    default = channel_team_map()
    assert default["paid_search"] == "marketing" and default["proposal"] == "sales"
    touches = pd.DataFrame({"channel": ["email", "demo", "email"], "team": ["marketing", "sales", "marketing"]})
    assert channel_team_map(touches) == {"email": "marketing", "demo": "sales"}
    assert channel_team_map(pd.Series({"email": "marketing"})) == {"email": "marketing"}
    with pytest.raises(ValueError, match="channel 'email' belongs to teams"):
        channel_team_map(pd.DataFrame({"channel": ["email", "email"], "team": ["marketing", "sales"]}))
    with pytest.raises(ValueError, match="team must be one of"):
        channel_team_map({"email": "finance"})
    with pytest.raises(ValueError, match="missing column"):
        channel_team_map(pd.DataFrame({"channel": ["email"]}))


def test_channel_team_map_layers_tables_over_the_config_lists() -> None:
    """The economics' use (was smlib.metrics.channel_team_map): config lists, then the
    touchpoints' and spend's pairs, then ``extra``; later sources win."""
    tp = pd.DataFrame({"channel": ["webinar", "fax"], "team": ["sales", "marketing"]})
    spend = pd.DataFrame({"channel": ["fax", "sales_people"], "team": ["sales", "sales"]})
    teams = channel_team_map(touchpoints=tp, spend=spend, extra={"demo": "marketing"})
    assert teams["paid_search"] == "marketing"  # config list
    assert teams["webinar"] == "sales"  # touchpoints over config
    assert teams["fax"] == "sales"  # spend over touchpoints
    assert teams["demo"] == "marketing"  # extra last
    assert teams["sales_people"] == "sales"
    with pytest.raises(ValueError, match="spend: channel 'fax' belongs to teams"):
        channel_team_map(spend=pd.DataFrame({"channel": ["fax", "fax"],
                                             "team": ["sales", "marketing"]}))


def test_journey_types() -> None:
    types = journey_types(PATHS["path"], TEAMS)
    assert types.tolist() == ["mixed", "marketing_only", "sales_only", "mixed", "sales_only"]
    with pytest.raises(ValueError, match="no team for channel"):
        journey_types(["email > fax"], TEAMS)


def test_team_credit_is_the_sum_of_channel_credit() -> None:
    credit = compare(PATHS, models=["linear", "last_touch"])
    out = team_rollup(credit, TEAMS).set_index(["model", "team"])
    # linear: email 1 + 1 + 0.75 = 2.75, webinar 0.75 → marketing 3.5; demo 1 + 1 + 0.75, sdr 0.75
    assert out.loc[("linear", "marketing"), "conversions"] == pytest.approx(3.5)
    assert out.loc[("linear", "sales"), "conversions"] == pytest.approx(3.5)
    assert out.loc[("last_touch", "sales"), "conversions"] == pytest.approx(6)
    assert out.loc[("last_touch", "marketing"), "value"] == pytest.approx(50)
    assert out.groupby(level="model")["share"].sum().to_numpy() == pytest.approx([1, 1])
    with pytest.raises(ValueError, match="no team for channel"):
        team_rollup(credit, {"email": "marketing"})


def test_journey_type_rollup_hand_computed() -> None:
    # linear credit: marketing-only journeys: email 1; sales-only: demo 1;
    # mixed: (email > demo) ×2 → 1 + 1; (webinar > email > sdr_call > demo) ×3 → 0.75 each
    credit = compare(PATHS, models=["linear", "first_touch"])
    out = team_rollup(credit, TEAMS, data=PATHS).set_index(["model", "team"])
    lin = out.loc["linear"]
    assert lin.loc["marketing", "conversions"] == pytest.approx(1)
    assert lin.loc["sales", "conversions"] == pytest.approx(1)
    assert lin.loc["shared", "conversions"] == pytest.approx(5)
    assert lin.loc["shared", "marketing_channels"] == pytest.approx(1 + 1.5)
    assert lin.loc["shared", "sales_channels"] == pytest.approx(1 + 1.5)
    assert lin.loc["shared", "value"] == pytest.approx(800)
    first = out.loc["first_touch"]  # first touches of mixed journeys are all marketing
    assert first.loc["shared", "marketing_channels"] == pytest.approx(5)
    assert first.loc["shared", "sales_channels"] == 0
    assert (out["allocation"] == "per-type runs").all()


@pytest.mark.parametrize("model", ["linear", "position_based", "shapley", "markov"])
def test_journey_type_rollup_adds_up_to_model_total(model: str) -> None:
    credit = compare(PATHS, models=[model])
    out = team_rollup(credit, TEAMS, data=PATHS)
    assert out["conversions"].sum() == pytest.approx(PATHS["total_conversions"].sum())
    assert out["value"].sum() == pytest.approx(PATHS["total_conversion_value"].sum())
    assert out["share"].sum() == pytest.approx(1)
    np.testing.assert_allclose(out["marketing_channels"] + out["sales_channels"], out["conversions"])


def test_additive_models_are_split_exactly() -> None:
    # for a rule model, the shared row must equal the model run on mixed journeys alone
    mixed = PATHS[journey_types(PATHS["path"], TEAMS) == "mixed"]
    for model in ("linear", "position_based"):
        direct = attribute(mixed, model).set_index("channel")["conversions"]
        out = team_rollup(compare(PATHS, models=[model]), TEAMS, data=PATHS)
        shared = out[(out["team"] == "shared")].iloc[0]
        assert shared["marketing_channels"] == pytest.approx(direct[["email", "webinar"]].sum())
        assert shared["sales_channels"] == pytest.approx(direct[["demo", "sdr_call"]].sum())


def test_rollup_row_order_invariant_and_touches_input() -> None:
    credit = compare(PATHS, models=["linear", "markov"])
    base = team_rollup(credit, TEAMS, data=PATHS)
    shuffled = team_rollup(credit, TEAMS, data=PATHS.sample(frac=1, random_state=1))
    pd.testing.assert_frame_equal(base, shuffled)
    # the same journeys as a touches table: one journey per conversion / null
    rows, jid = [], 0
    for path, conv, value, null in PATHS.itertuples(index=False):
        for k in range(conv + null):
            converted = k < conv
            for pos, ch in enumerate(path.split(" > ")):
                rows.append({"journey_id": f"J{jid}", "position": pos, "channel": ch,
                             "converted": converted,
                             "conversion_value": value / conv if converted else 0.0})
            jid += 1
    touches = pd.DataFrame(rows)
    from_touches = team_rollup(credit, TEAMS, data=touches)
    np.testing.assert_allclose(from_touches["conversions"], base["conversions"], rtol=1e-9)


def test_failed_per_type_run_falls_back_to_presence() -> None:
    def fails_on_subsets(model: str, data: pd.DataFrame) -> pd.DataFrame:
        raise ValueError("no non-converting journeys")
    credit = compare(PATHS, models=["linear"])
    out = team_rollup(credit, TEAMS, data=PATHS, runner=fails_on_subsets)
    assert (out["allocation"] == "presence").all()
    assert out["conversions"].sum() == pytest.approx(7)
    # presence: email is in converting journeys 1 (marketing-only) + 5 (mixed) → 1/6 on marketing-only
    email = credit.set_index("channel").loc["email", "conversions"]
    assert out.set_index("team").loc["marketing", "conversions"] == pytest.approx(email / 6)


SATURATED = pd.DataFrame([("a", 10, 1000.0, 30), ("b", 20, 4000.0, 20), ("a > b", 36, 3600.0, 4)],
                         columns=COLS)


def test_counterfactual_team_split_hand_computed() -> None:
    # p(a) = .25, p(b) = .5, p(a > b) = .9, p(empty) = 0, 40 journeys each, a marketing, b sales:
    # P_MS = 66; P_M (sales removed) = 40·.25 + 0 + 40·.25 = 20; P_S = 0 + 40·.5 + 40·.5 = 40
    # marketing = 20, sales = 40, shared = 66 − 20 − 40 = 6
    teams = {"a": "marketing", "b": "sales"}
    incr = IncrementalAttribution(candidates={"mle": LogisticRegression(C=1e9, tol=1e-10, max_iter=5000)},
                                  features=("exposure",), cv=None).fit(SATURATED)
    te = incr.team_effects(teams).set_index("team")
    np.testing.assert_allclose(te["incremental_conversions"], [20, 40, 6], rtol=1e-5)
    np.testing.assert_allclose(te["share"], np.array([20, 40, 6]) / 66, rtol=1e-5)
    # revenue weights each path by its mean value (100, 200, 100)
    value = te["incremental_revenue"]
    # P_MS value = 40·100·.25 + 40·200·.5 + 40·100·.9 = 8600; P_M = 1000 + 1000 = 2000;
    # P_S = 4000 + 40·100·.5 = 6000 → shared = 600
    np.testing.assert_allclose(value, [2000, 6000, 600], rtol=1e-5)
    long = counterfactual_team_credit({"incremental": incr}, teams)
    assert long["model"].unique().tolist() == ["incremental"]
    assert long["conversions"].sum() == pytest.approx(66, rel=1e-5)
    logit = LogisticAttribution(C=1e9).fit(SATURATED)
    assert logit.team_effects(teams)["incremental_conversions"].sum() == pytest.approx(66, rel=1e-4)
    with pytest.raises(ValueError, match="no team for channel"):
        incr.team_effects({"a": "marketing"})
    with pytest.raises(ValueError, match="no team_effects"):
        counterfactual_team_credit({"linear": object()})


def test_truth_team_credit_and_plot() -> None:
    import matplotlib
    matplotlib.use("Agg")
    from smlib.attribution.plots import plot_team_credit
    from smlib.attribution.teams import truth_team_credit

    truth = pd.DataFrame({"channel": ["email", "demo", "webinar"], "team": ["marketing", "sales", "marketing"],
                          "incremental_conversions": [1.0, 6.0, 3.0],
                          "incremental_revenue": [10.0, 60.0, 30.0]})
    t = truth_team_credit(truth).set_index("team")
    assert t.loc["marketing", "conversions"] == 4 and t.loc["sales", "share"] == pytest.approx(0.6)
    table = pd.concat([team_rollup(compare(PATHS, models=["linear"]), TEAMS), truth_team_credit(truth)])
    ax = plot_team_credit(table)
    assert ax.get_title() == "Credit by team, per model" and len(ax.patches) == 4
    with pytest.raises(ValueError, match="missing column"):
        truth_team_credit(truth.drop(columns="team"))


def test_fitted_models_are_split_by_their_per_journey_credit() -> None:
    # saturated logistic: D[a] = .25 on "a", .90 − .50 on "a > b"; D[b] = .5 on "b", .65 on "a > b"
    teams = {"a": "marketing", "b": "sales"}
    logit = LogisticAttribution(C=1e9).fit(SATURATED)
    credit = logit.credit_.assign(model="logistic")
    out = team_rollup(credit, teams, data=SATURATED, fitted={"logistic": logit}).set_index("team")
    assert (out["allocation"] == "per-journey credit").all()
    a, b = credit.set_index("channel")["conversions"]
    np.testing.assert_allclose(out.loc["marketing", "conversions"], a * 10 / 26, rtol=1e-5)
    np.testing.assert_allclose(out.loc["sales", "conversions"], b * 20 / 46, rtol=1e-5)
    np.testing.assert_allclose(out.loc["shared", "marketing_channels"], a * 16 / 26, rtol=1e-5)
    np.testing.assert_allclose(out.loc["shared", "sales_channels"], b * 26 / 46, rtol=1e-5)
    assert out["conversions"].sum() == pytest.approx(66)
