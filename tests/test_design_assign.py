"""Which units go first (smlib.design.assign): stratified randomisation reproducible by seed and
balanced, the balance table, and pilot units whose synthetic controls fit best."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smlib.design.assign import balance_table, pilot_units, stratified_waves, unit_features
from smlib.design.power import simulated_panel


def _features(n: int = 30, seed: int = 0) -> pd.DataFrame:
    wide = pd.DataFrame(simulated_panel(n_units=n, n_months=36, seed=seed),
                        index=[f"U{i:02d}" for i in range(n)],
                        columns=pd.date_range("2022-01-01", periods=36, freq="MS"))
    region = pd.DataFrame({"region": ["north", "south", "east"] * (n // 3)}, index=wide.index)
    return unit_features(wide, region)


def test_same_seed_same_waves_other_seed_other_waves():
    f = _features()
    a, b = stratified_waves(f, 3, seed=7), stratified_waves(f, 3, seed=7)
    pd.testing.assert_series_equal(a.waves, b.waves)
    assert not stratified_waves(f, 3, seed=8).waves.equals(a.waves)


def test_waves_are_equal_in_size_and_in_every_stratum_and_balanced():
    f = _features()
    a = stratified_waves(f, 3, seed=1)
    assert a.waves.value_counts().tolist() == [10, 10, 10]
    assert a.strata_by[0] == "region"
    per = pd.crosstab(a.strata, a.waves)
    assert (per.max(axis=1) - per.min(axis=1)).max() <= 1
    assert a.balanced and (a.balance["max_abs_smd"] <= 0.25).all()
    assert set(a.balance["feature"]) >= {"size", "growth", "volatility"}


def test_balance_table_is_the_standardised_difference():
    f = pd.DataFrame({"x": [1.0, 2.0, 3.0, 10.0, 11.0, 12.0]}, index=list("abcdef"))
    w = pd.Series([1, 1, 1, 2, 2, 2], index=f.index)
    t = balance_table(f, w)
    assert t.loc[0, "wave_1"] == 2 and t.loc[0, "wave_2"] == 11
    assert t.loc[0, "max_abs_smd"] == pytest.approx(9 / 1.0)
    assert not t.loc[0, "balanced"]


def test_unbalanceable_draw_keeps_the_best_and_says_so():
    f = pd.DataFrame({"size": [1.0, 1.0, 100.0, 100.0, 1000.0]}, index=list("abcde"))
    a = stratified_waves(f, 2, seed=0, strata_by=[], max_tries=20)
    assert not a.balanced and a.tries <= 20 and a.waves.value_counts().sort_index().tolist() in (
        [3, 2], [2, 3])


def test_pilot_units_pick_a_unit_its_donors_reproduce():
    rng = np.random.default_rng(0)
    y = 100 + np.cumsum(rng.standard_normal((8, 30)), axis=1) * 5
    y[3] = 0.5 * y[0] + 0.5 * y[1]  # an exact mix: its synthetic control fits perfectly
    wide = pd.DataFrame(y, index=[f"U{i}" for i in range(8)])
    p = pilot_units(wide, n_pilot=2, holdout=6)
    assert len(p) == 2 and p.loc[0, "unit"] in {"U0", "U1", "U3"}
    assert p.loc[0, "holdout_error"] < 1e-3
    assert p.loc[1, "unit"] != p.loc[0, "unit"]
    assert abs(sum(p.loc[0, "donors"].values()) - 1) < 0.05


def test_errors():
    f = _features(6)
    with pytest.raises(ValueError, match="n_waves"):
        stratified_waves(f, 1)
    with pytest.raises(ValueError, match="cannot fill"):
        stratified_waves(f, 7)
