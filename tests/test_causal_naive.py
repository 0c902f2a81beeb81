"""Naive comparisons: hand-computed values, clustered SEs vs statsmodels, bias on the simulator."""

from __future__ import annotations

import matplotlib

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from smlib.causal import naive_comparisons
from smlib.simulate import simulate_panel

matplotlib.use("Agg")


def _hand_panel() -> pd.DataFrame:
    """4 units x 4 periods; a, b adopt at period 3; c, d never. Revenue = level + 2*t (+ 5 if treated)."""
    level = {"a": 100.0, "b": 110.0, "c": 50.0, "d": 60.0}
    rows = []
    for u, g in (("a", 3), ("b", 3), ("c", None), ("d", None)):
        for t in range(1, 5):
            y = level[u] + 2 * t + (5.0 if g is not None and t >= g else 0.0)
            rows.append(dict(unit_id=u, period=t, revenue=y, adoption_period=g))
    return pd.DataFrame(rows)


def test_hand_computed_differences():
    r = naive_comparisons(_hand_panel())
    f = r.to_frame().set_index("method")
    # adopters post (t=3,4): a: 111,113; b: 121,123 -> 117; never over t>=3: c 56,58 d 66,68 -> 62
    assert f.loc["adopters_vs_never", "estimate"] == pytest.approx(117 - 62)
    # adopters before (t=1,2): 102,104,112,114 -> 108; after 117 -> +9 (= 5 effect + 4 trend)
    assert f.loc["before_vs_after", "estimate"] == pytest.approx(9.0)
    # head start before anyone adopted (t<3): adopters 108 vs never (52,54,62,64 -> 58)
    assert f.loc["head_start_before_anyone_adopted", "estimate"] == pytest.approx(50.0)
    # never-adopters' own change: 62 - 58
    assert f.loc["never_adopters_change", "estimate"] == pytest.approx(4.0)
    assert f.loc["adopters_vs_never", "pct"] == pytest.approx(55 / 62)
    assert f.loc["adopters_vs_never", "biased"] and not f.loc["never_adopters_change", "biased"]
    assert "biased" in r.explanation and "head start" in r.explanation


def test_clustered_se_matches_statsmodels_formula():
    df = _hand_panel()
    df["noise"] = np.sin(np.arange(len(df)) * 1.7) * 3
    df["revenue"] = df["revenue"] + df["noise"]
    r = naive_comparisons(df)
    adopters = df[df["adoption_period"].notna()].copy()
    adopters["post"] = (adopters["period"] >= adopters["adoption_period"]).astype(float)
    fit = smf.ols("revenue ~ post", adopters).fit(cov_type="cluster",
                                                  cov_kwds={"groups": pd.factorize(adopters["unit_id"])[0]})
    got = r.comparisons[1]
    assert got.estimate == pytest.approx(fit.params["post"], rel=1e-10)
    assert got.std_error == pytest.approx(fit.bse["post"], rel=1e-10)


def test_naive_is_biased_on_the_simulator():
    units, truth = simulate_panel(seed=7)
    f = naive_comparisons(units).to_frame().set_index("method")
    for m in ("adopters_vs_never", "before_vs_after"):
        # far above the truth: the interval excludes the true ATT from above
        assert f.loc[m, "ci_low"] > truth.att
    assert f.loc["head_start_before_anyone_adopted", "ci_low"] > 0  # selection on levels


def test_spanish_explanation_and_plot():
    r = naive_comparisons(_hand_panel(), language="es")
    assert r.explanation.startswith("Estas comparaciones están sesgadas")
    assert "50 US$ más por periodo" in r.explanation  # revenue in money, as the text writes it
    ax = r.plot()
    assert ax.get_title()
    assert "Naive" in r.summary() or "adopters_vs_never" in r.summary()


@pytest.mark.parametrize("mutate, match", [
    (lambda d: d.assign(adoption_period=None), "no unit has an 'adoption_period'"),
    (lambda d: d.assign(adoption_period=3), "every unit adopted"),
    (lambda d: d.assign(revenue="x"), "must be numeric"),
    (lambda d: pd.concat([d, d.iloc[[0]]]), "duplicate"),
    (lambda d: d.drop(columns="revenue"), "outcome column 'revenue' not found"),
    (lambda d: d.assign(adoption_period=np.where(d["unit_id"] == "a", 1, d["adoption_period"])),
     "at or before the first period"),
])
def test_bad_input(mutate, match):
    with pytest.raises(ValueError, match=match):
        naive_comparisons(mutate(_hand_panel()))


def test_unknown_language():
    with pytest.raises(ValueError, match="language"):
        naive_comparisons(_hand_panel(), language="fr")


def test_explanation_and_plot_in_either_language():
    r = naive_comparisons(_hand_panel())
    assert r.explain("es").startswith("Estas comparaciones están sesgadas")
    assert "50 US$ más por periodo" in r.explain("es") and r.explain() == r.explanation
    assert "$50 more per period" in r.explain("en")
    ax = r.plot(language="es")
    assert ax.get_title() == "Comparaciones ingenuas (rojo) y lo que las sesga (gris)"
    assert "adopters" not in " ".join(t.get_text() for t in ax.get_yticklabels())
    with pytest.raises(ValueError, match="language"):
        r.explain("fr")
