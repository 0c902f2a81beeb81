"""Bootstrap intervals: the vectorised draws equal refitting, analytic SEs, coverage, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smlib.attribution import attribute, bootstrap
from smlib.attribution.paths import parse_paths
from smlib.attribution.uncertainty import bootstrap_draws


def _paths(n: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    paths = [" > ".join(rng.choice(list("abcde"), rng.integers(1, 5))) for _ in range(n)]
    conv = rng.poisson([2.0 if "a" in p else 0.5 for p in paths]).astype(float)
    return pd.DataFrame({"path": paths, "total_conversions": conv,
                         "total_conversion_value": conv * rng.uniform(10, 100, n),
                         "total_null": rng.poisson(3.0, n).astype(float)})


def _replay(paths: pd.DataFrame, n_boot: int, seed: int, lump_nulls: bool) -> list[pd.DataFrame]:
    """Re-draw the bootstrap's multinomial counts and return each resample as a path table."""
    parsed = parse_paths(paths)
    conv, nulls = parsed.conversions, parsed.nulls
    cells = np.r_[conv, nulls.sum()] if lump_nulls else np.r_[conv, nulls]
    n = int(round(conv.sum() + nulls.sum()))
    counts = np.random.default_rng(seed).multinomial(n, cells / cells.sum(), size=n_boot).astype(float)
    vpc = np.divide(parsed.value, conv, out=np.zeros_like(conv), where=conv > 0)
    out = []
    for b in range(n_boot):
        c = counts[b, :parsed.n_rows]
        nl = np.zeros_like(c) if lump_nulls else counts[b, parsed.n_rows:]
        keep = c + nl > 0
        out.append(pd.DataFrame({"path": parsed.paths, "total_conversions": c,
                                 "total_conversion_value": c * vpc, "total_null": nl}).loc[keep])
    return out


@pytest.mark.parametrize("model,params,lump", [
    ("linear", {}, True), ("position_based", {}, True), ("shapley", {}, True),
    ("markov", {}, False), ("markov", {"order": 2}, False), ("shapley", {"variant": "rate"}, False),
])
def test_vectorised_draws_equal_refitting_each_resample(model: str, params: dict, lump: bool) -> None:
    p = _paths()
    d = bootstrap_draws(p, model, n_boot=5, seed=3, **params)
    for b, table in enumerate(_replay(p, 5, 3, lump)):
        ref = attribute(table, model, **params).set_index("channel").reindex(list(d.channels), fill_value=0.0)
        assert d.conversions[b] == pytest.approx(ref["conversions"].to_numpy(), rel=1e-9, abs=1e-9)
        assert d.value[b] == pytest.approx(ref["value"].to_numpy(), rel=1e-9, abs=1e-7)


def test_refit_fallback_for_other_models() -> None:
    p = _paths()

    def last_only(paths: pd.DataFrame) -> pd.DataFrame:
        return attribute(paths, "last_touch")
    d = bootstrap_draws(p, last_only, n_boot=4, seed=1)
    assert d.method == "refit"
    fast = bootstrap_draws(p, "last_touch", n_boot=400, seed=1)
    slow = bootstrap_draws(p, last_only, n_boot=100, seed=2)
    # different random streams, same sampling distribution (SDs from 100 draws: ±7 % noise)
    assert slow.conversions.std(axis=0) == pytest.approx(fast.conversions.std(axis=0), rel=0.3)


def test_first_touch_se_matches_binomial_formula() -> None:
    # first-touch credit of channel c = number of resampled converting journeys starting with c:
    # Binomial(N, n_c / N), so its standard deviation is sqrt(N p (1 - p))
    p = pd.DataFrame({"path": ["a > b", "b", "c > a"], "total_conversions": [300.0, 150.0, 50.0],
                      "total_null": [500.0, 700.0, 300.0]})
    res = bootstrap(p, "first_touch", n_boot=2000, seed=0)
    n = 2000.0
    expected = np.sqrt(n * (np.array([300, 150, 50]) / n) * (1 - np.array([300, 150, 50]) / n))
    assert res["se"].to_numpy() == pytest.approx(expected, rel=0.08)
    assert (res["ci_low"] < res["conversions"]).all() and (res["conversions"] < res["ci_high"]).all()


@pytest.mark.slow
def test_percentile_interval_coverage_on_known_truth() -> None:
    # population: journeys "a > b" convert w.p. .3, "b" w.p. .1 (60/40 mix); the linear credit of
    # "a" per 1000 journeys has expectation 1000 · .6 · .3 · .5 = 90
    rng = np.random.default_rng(42)
    hits, reps = 0, 200
    for _ in range(reps):
        n_ab = rng.binomial(1000, 0.6)
        conv_ab, conv_b = rng.binomial(n_ab, 0.3), rng.binomial(1000 - n_ab, 0.1)
        table = pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [conv_ab, conv_b],
                              "total_null": [n_ab - conv_ab, 1000 - n_ab - conv_b]})
        res = bootstrap(table, "linear", n_boot=200, seed=int(rng.integers(1 << 31))).set_index("channel")
        hits += res.loc["a", "ci_low"] <= 90 <= res.loc["a", "ci_high"]
    assert 0.90 <= hits / reps <= 0.99  # nominal 95 %


def test_output_columns_levels_and_attrs() -> None:
    p = _paths()
    res = bootstrap(p, "markov", n_boot=50, seed=0, level=0.8)
    assert list(res.columns) == ["channel", "conversions", "se", "ci_low", "ci_high", "value",
                                 "value_se", "value_ci_low", "value_ci_high", "share", "share_se",
                                 "share_ci_low", "share_ci_high"]
    est = attribute(p, "markov")
    assert res["conversions"].to_numpy() == pytest.approx(est["conversions"].to_numpy())
    assert res.attrs == {"n_boot": 50, "level": 0.8, "method": "markov",
                         "n_journeys": int(p[["total_conversions", "total_null"]].to_numpy().sum())}
    wide = bootstrap(p, "markov", n_boot=50, seed=0, level=0.99)
    assert ((wide["ci_high"] - wide["ci_low"]) >= (res["ci_high"] - res["ci_low"]) - 1e-12).all()
    assert bootstrap(p, "markov", n_boot=50, seed=0, level=0.8).equals(res)  # seeded


def test_fractional_counts_and_touches_table() -> None:
    p = _paths().assign(total_conversions=lambda d: d["total_conversions"] * 0.5)
    d = bootstrap_draws(p, "linear", n_boot=20, seed=0)
    assert d.n_journeys == int(round(p[["total_conversions", "total_null"]].to_numpy().sum()))
    from test_attribution_rules import touches_table
    t = touches_table([
        {"touches": [("a", 0, set()), ("b", 3, {"lc", "oc"})], "converted": True, "value": 10.0, "conv_day": 4},
        {"touches": [("b", 0, {"lc"})], "converted": True, "value": 20.0, "conv_day": 1},
        {"touches": [("a", 0, set())], "converted": False, "value": 0.0, "conv_day": None},
    ])
    res = bootstrap(t, "w_shaped", n_boot=100, seed=0)
    assert res.attrs["method"] == "linear" and res.attrs["n_journeys"] == 3
    assert (res["ci_low"] <= res["conversions"] + 1e-12).all()


def test_bad_arguments() -> None:
    p = _paths()
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap(p, "linear", n_boot=1)
    with pytest.raises(ValueError, match="level"):
        bootstrap(p, "linear", level=95)
    with pytest.raises(ValueError, match="unknown model"):
        bootstrap(p, "magic")
    with pytest.raises(ValueError, match="no conversion"):
        bootstrap(p.assign(total_conversions=0.0), "markov")


def test_regression_models_use_their_one_step_bootstrap() -> None:
    # the generic entry point delegates to the fitted model's linearised bootstrap (no refits)
    p = _paths()
    d = bootstrap_draws(p, "logistic", n_boot=50, seed=3)
    assert d.method == "one_step"
    assert d.conversions.shape == (50, len(d.channels))
    totals = d.conversions.sum(axis=1)
    # signed credit: a resample whose net removal effect is not positive has no shares of a net
    # total (NaN row); on this small table that is rare
    ok = np.isfinite(totals)
    assert ok.mean() >= 0.95 and np.all(totals[ok] > 0)
    # every resample's credit is scaled to that resample's total conversions (not the original)
    assert np.std(totals[ok]) > 0
