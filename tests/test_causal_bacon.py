"""Goodman-Bacon decomposition: golden values of R bacondecomp, the TWFE identity, the simulator."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smlib.causal.bacon import BaconResult, bacon_decomposition
from smlib.causal.twfe import twfe_did

DATA = Path(__file__).parent / "data"


def _castle() -> pd.DataFrame:
    return pd.read_csv(DATA / "castle.csv")


def _ehec() -> pd.DataFrame:
    d = pd.read_csv(DATA / "ehec_data.csv")
    d["postTreated"] = (d.yexp2.notna() & (d.year >= d.yexp2)).astype(int)
    return d


def test_castle_matches_bacondecomp_vignette():
    gold = json.loads((DATA / "bacon_castle_bacondecomp.json").read_text())["printed"]
    r = bacon_decomposition(_castle(), "l_homicide", "state", "year", "post")
    assert r.estimate == pytest.approx(gold["twfe"], abs=1e-12)
    by = r.by_type.set_index("type")
    assert set(by.index) == set(gold["by_type"])
    for t, v in gold["by_type"].items():
        assert by.loc[t, "weight"] == pytest.approx(v["weight"], abs=5e-6)
        assert by.loc[t, "avg_estimate"] == pytest.approx(v["avg_est"], abs=5e-6)


def test_ehec_matches_bacondecomp_every_comparison():
    gold = json.loads((DATA / "bacon_ehec_bacondecomp.json").read_text())
    d = _ehec()
    r = bacon_decomposition(d, "dins", "stfips", "year", "postTreated")
    g = gold["all_states"]
    assert r.estimate == pytest.approx(g["twfe"], abs=5e-7)
    comp = r.comparisons.assign(control=lambda x: x.control.replace({"never": 99999}).astype(int),
                                treated=lambda x: x.treated.astype(int))
    comp = comp.set_index(["treated", "control"])
    assert len(comp) == len(g["comparisons"])
    for row in g["comparisons"]:
        c = comp.loc[(row["treated"], row["untreated"])]
        assert c["type"] == row["type"]
        assert c["estimate"] == pytest.approx(row["estimate"], abs=1e-9)
        assert c["weight"] == pytest.approx(row["weight"], abs=1e-10)
    by = r.by_type.set_index("type")
    for t, v in g["by_type"].items():
        assert by.loc[t, "weight"] == pytest.approx(v["weight"], abs=5e-6)
        assert by.loc[t, "avg_estimate"] == pytest.approx(v["avg_est"], abs=5e-6)
    # part 2 of the exercise: ever-treated states only (no clean controls)
    r2 = bacon_decomposition(d[d.yexp2.notna()], "dins", "stfips", "year", "postTreated")
    g2 = gold["ever_treated_only"]
    assert r2.estimate == pytest.approx(g2["twfe"], abs=5e-7)
    for t, v in g2["by_type"].items():
        assert r2.by_type.set_index("type").loc[t, "weight"] == pytest.approx(v["weight"], abs=5e-6)
    assert r2.share_already_treated == pytest.approx(0.28098, abs=5e-6)


def _random_panel(seed: int, n: int = 60, T: int = 12, always: bool = True,
                  never: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    choices = [3, 5, 6, 9] + ([0] if always else []) + ([-1] if never else [])
    first = rng.choice(choices, size=n)
    u = np.repeat(np.arange(n), T)
    t = np.tile(np.arange(T), n)
    f = first[u]
    D = ((f >= 0) & (t >= f)).astype(int)
    y = (rng.normal(size=n)[u] + 0.3 * t + D * (1 + 0.4 * np.maximum(t - f, 0))
         + rng.normal(size=n * T))
    return pd.DataFrame({"u": u, "t": t + 2000, "y": y, "D": D})


@pytest.mark.parametrize("seed,always,never", [(0, True, True), (1, False, True),
                                               (2, True, False), (3, False, False)])
def test_weighted_sum_equals_twfe(seed, always, never):
    df = _random_panel(seed, always=always, never=never)
    r = bacon_decomposition(df, "y", "u", "t", "D")
    assert r.comparisons.weight.sum() == pytest.approx(1.0, abs=1e-12)
    assert (r.comparisons.weight > 0).all()
    assert r.details["weighted_sum"] == pytest.approx(r.estimate, abs=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tw = twfe_did(df, "y", "u", "t", "D")
    assert r.estimate == pytest.approx(tw.estimate, abs=1e-10)
    if always:
        assert "Later vs Always Treated" in set(r.comparisons.type)
    if not never:
        assert "Treated vs Untreated" not in set(r.comparisons.type)


def test_simulator_shows_already_treated_share_and_twfe_bias():
    simulate_panel = pytest.importorskip("smlib.simulate").simulate_panel
    df, truth = simulate_panel(seed=3)
    df["D"] = (df.adoption_period.notna() & (df.period >= df.adoption_period)).astype(int)
    r = bacon_decomposition(df, "revenue", "unit_id", "period", "D")
    assert isinstance(r, BaconResult)
    assert 0 < r.share_already_treated < 1
    assert r.details["weighted_sum"] == pytest.approx(r.estimate, rel=1e-10)
    # effects ramp up: the already-treated comparisons pull TWFE below the true ATT
    assert r.estimate < truth.att
    text = r.summary()
    assert "already-treated" in text and "Treated vs Untreated" in text
    fr = r.to_frame()
    assert {"treated", "control", "type", "estimate", "weight"} <= set(fr.columns)
    import matplotlib
    matplotlib.use("Agg")
    ax = r.plot()
    assert ax.get_xlabel() == "Weight"


def test_input_errors():
    df = _random_panel(5)
    bad = df.assign(D=df.D * 2)
    with pytest.raises(ValueError, match="0/1"):
        bacon_decomposition(bad, "y", "u", "t", "D")
    off = df.copy()
    off.loc[(off.u == off.u[off.D == 1].iloc[0]) & (off.t == off.t.max()), "D"] = 0
    with pytest.raises(ValueError, match="absorbing"):
        bacon_decomposition(off, "y", "u", "t", "D")
    with pytest.raises(ValueError, match="single timing group"):
        bacon_decomposition(df.assign(D=0), "y", "u", "t", "D")


def test_cross_check_diff_diff():
    dd = pytest.importorskip("diff_diff")
    d = _castle()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.BaconDecomposition().fit(d, "l_homicide", "state", "year", "effyear")
    r = bacon_decomposition(d, "l_homicide", "state", "year", "post")
    assert r.estimate == pytest.approx(ref.twfe_estimate, abs=1e-10)
    assert r.share_already_treated == pytest.approx(ref.total_weight_later_vs_earlier, abs=1e-10)


def test_plot_texts_in_english_and_spanish():
    import matplotlib
    matplotlib.use("Agg")
    r = bacon_decomposition(_random_panel(0), "y", "u", "t", "D")
    ax = r.plot()
    assert ax.get_ylabel() == "2x2 DiD estimate"
    assert ax.get_title() == "Goodman-Bacon decomposition"
    labels = ax.get_legend_handles_labels()[1]
    assert f"TWFE = {r.estimate:,.4g}" in labels and "Treated vs Untreated" in labels
    es = r.plot(language="es")
    assert es.get_xlabel() == "Peso" and es.get_title() == "Descomposición de Goodman-Bacon"
    assert "Tratadas frente a no tratadas" in es.get_legend_handles_labels()[1]
