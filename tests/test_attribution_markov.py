"""Markov attribution: hand cases, an independent exact computation, ChannelAttribution, invariances.

ChannelAttribution reference (``tests/data/markov_channelattribution.json``): removal effects from
ChannelAttribution 2.2.5 ``markov_model`` (orders 1 and 2, 1,000,000 simulated journeys, seed 0)
on ``_random_paths(2000, seed=5)`` with integer counts, computed once in a separate venv by the
script stored in the file under ``script``. ChannelAttribution estimates by simulation, so ours
(exact) must agree within its noise: CA reports one fold of nsim/10 simulated journeys, so a
removal effect is a proportion estimated from about ``n = P(conversion)·nsim/10`` converting
walks; tolerance = 5·sqrt(0.25/n) absolute (5 binomial SEs at the worst case p = 1/2), 0.014
here; measured differences are 0.0026 (order 1) and 0.0039 (order 2). The live comparison runs
too when ChannelAttribution is installed.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

import smlib.attribution
from smlib import config
from smlib.attribution import markov as markov_fn
from smlib.attribution.markov_chain import MarkovModel, markov

CA_GOLDEN = config.PROJECT_ROOT / "tests" / "data" / "markov_channelattribution.json"
CA_NSIM = 1_000_000  # simulated journeys in the ChannelAttribution runs (live and stored)


def _table(rows: list[tuple[str, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["path", "total_conversions", "total_conversion_value", "total_null"])


def _random_paths(n: int, channels: str = "abcdef", seed: int = 0, max_len: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    weights = np.linspace(2, 1, len(channels))
    paths = [" > ".join(rng.choice(list(channels), rng.integers(1, max_len),
                                   p=weights / weights.sum())) for _ in range(n)]
    conv = rng.poisson([1.5 if "c" in p else 0.4 for p in paths]).astype(float)
    return pd.DataFrame({"path": paths, "total_conversions": conv,
                         "total_conversion_value": conv * rng.uniform(50, 150, n),
                         "total_null": rng.poisson(2.0, n).astype(float)})


def reference_markov(paths: pd.DataFrame, order: int = 1, collapse: bool = True) -> dict:
    """Independent exact computation: Python dict counting, dense fundamental matrix by inversion,
    removal by redirecting transitions into states containing the channel to null."""
    counts: dict[tuple, float] = defaultdict(float)
    all_channels = sorted({c.strip() for path in paths["path"] for c in path.split(">")})
    for path, conv, value, null in paths.itertuples(index=False):
        if conv + null == 0:
            continue  # no journey walks this path: it adds no transition
        ch = [c.strip() for c in path.split(">")]
        states = [tuple(ch)] if len(ch) <= order else [tuple(ch[i:i + order]) for i in range(len(ch) - order + 1)]
        if collapse:
            states = [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]]
        seq = ["START", *states]
        for a, b in zip(seq[:-1], seq[1:]):
            counts[(a, b)] += conv + null
        counts[(seq[-1], "CONV")] += conv
        counts[(seq[-1], "NULL")] += null
        counts[(seq[-1], "VALUE")] += value
    states = sorted({k[0] for k in counts} | {k[1] for k in counts} - {"CONV", "NULL", "VALUE"},
                    key=str)
    states = [s for s in states if s != "START"]
    idx = {s: i for i, s in enumerate(states)}
    n = len(states)
    out = defaultdict(float)
    for (a, b), c in counts.items():
        if b != "VALUE":
            out[a] += c
    Q, s0 = np.zeros((n, n)), np.zeros(n)
    r, rv = np.zeros(n), np.zeros(n)
    for (a, b), c in counts.items():
        if a == "START":
            s0[idx[b]] += c / out[a]
        elif b == "CONV":
            r[idx[a]] += c / out[a]
        elif b == "VALUE":
            rv[idx[a]] += c / out[a]
        elif b != "NULL":
            Q[idx[a], idx[b]] += c / out[a]

    def absorb(removed: str | None) -> tuple[float, float]:
        keep = np.array([removed is None or removed not in s for s in states], dtype=float)
        Qr, s0r = Q * keep[None, :], s0 * keep  # transitions into removed states go to null
        N = np.linalg.inv(np.eye(n) - Qr)
        return float(s0r @ N @ r), float(s0r @ N @ rv)

    p, v = absorb(None)
    channels = all_channels  # a channel on no walked path has removal effect 0
    re = {c: 1 - absorb(c)[0] / p for c in channels}
    re_v = {c: 1 - absorb(c)[1] / v if v > 0 else 0.0 for c in channels}
    tot, tot_v = paths["total_conversions"].sum(), paths["total_conversion_value"].sum()
    return {"p": p, "re": re, "re_v": re_v,
            "conversions": {c: re[c] / sum(re.values()) * tot for c in channels},
            "value": {c: re_v[c] / sum(re_v.values()) * tot_v for c in channels}}


def _as_dict(frame: pd.DataFrame, col: str) -> dict[str, float]:
    return dict(zip(frame["channel"], frame[col]))


def test_order1_hand_computed() -> None:
    # start→a 2, start→b 1; a→conv 1, a→b 1; b→conv 1, b→null 1 (see derivation in the comments)
    p = _table([("a", 1, 100, 0), ("b", 1, 10, 0), ("a > b", 0, 0, 1)])
    m = MarkovModel().fit(p)
    assert m.conversion_probability_ == pytest.approx(2 / 3)
    re = _as_dict(m.removal_effects_, "removal_effect")
    assert re == pytest.approx({"a": 3 / 4, "b": 1 / 2})  # P: 1/6 without a, 1/3 without b
    re_v = _as_dict(m.removal_effects_, "removal_effect_value")
    # E[V] = 2/3·50 + 2/3·5 = 110/3; without a: 1/3·5; without b: 2/3·50
    assert re_v == pytest.approx({"a": 21 / 22, "b": 1 / 11})
    assert _as_dict(m.credit_, "conversions") == pytest.approx({"a": 1.2, "b": 0.8})
    assert _as_dict(m.credit_, "value") == pytest.approx({"a": 110 * 21 / 23, "b": 110 * 2 / 23})
    assert m.expected_value_ == pytest.approx(110 / 3)


def test_order2_hand_computed() -> None:
    p = _table([("a > b > c", 1, 0, 0), ("a > c", 0, 0, 1), ("b > c", 1, 0, 0)])
    m = MarkovModel(order=2).fit(p)
    assert m.states_ == ["(start)", "a > b", "a > c", "b > c", "(conversion)", "(null)"]
    assert m.conversion_probability_ == pytest.approx(2 / 3)
    assert _as_dict(m.removal_effects_, "removal_effect") == pytest.approx({"a": 0.5, "b": 1.0, "c": 1.0})
    assert _as_dict(m.credit_, "conversions") == pytest.approx({"a": 0.4, "b": 0.8, "c": 0.8})
    # the same data at order 1 differs: RE a = b = 2/3, c = 1
    m1 = MarkovModel(order=1).fit(p)
    assert _as_dict(m1.removal_effects_, "removal_effect") == pytest.approx({"a": 2 / 3, "b": 2 / 3, "c": 1.0})


def test_order3_short_paths_are_one_state() -> None:
    p = _table([("a > b", 1, 0, 0), ("a > b > c > d", 1, 0, 1)])
    m = MarkovModel(order=3).fit(p)
    assert set(m.states_[1:-2]) == {"a > b", "a > b > c", "b > c > d"}


@pytest.mark.parametrize("order,collapse", [(1, True), (1, False), (2, True), (3, True), (2, False)])
def test_matches_independent_exact_computation(order: int, collapse: bool) -> None:
    p = _random_paths(400, seed=order)
    m = MarkovModel(order=order, collapse_repeats=collapse).fit(p)
    ref = reference_markov(p, order, collapse)
    assert m.conversion_probability_ == pytest.approx(ref["p"], rel=1e-9)
    assert _as_dict(m.removal_effects_, "removal_effect") == pytest.approx(ref["re"], rel=1e-9)
    assert _as_dict(m.removal_effects_, "removal_effect_value") == pytest.approx(ref["re_v"], rel=1e-9)
    assert _as_dict(m.credit_, "conversions") == pytest.approx(ref["conversions"], rel=1e-9)
    assert _as_dict(m.credit_, "value") == pytest.approx(ref["value"], rel=1e-9)


def test_sparse_solver_matches_dense(monkeypatch: pytest.MonkeyPatch) -> None:
    import smlib.attribution.markov_chain as mk

    p = _random_paths(300, seed=7)
    dense = MarkovModel(order=2).fit(p)
    monkeypatch.setattr(mk, "DENSE_MAX_STATES", 0)
    monkeypatch.setattr(mk, "NATURAL_ORDER_MAX_STATES", 0)  # COLAMD ordering too
    sparse = MarkovModel(order=2).fit(p)
    pd.testing.assert_frame_equal(sparse.removal_effects_, dense.removal_effects_, rtol=1e-10)


def test_collapse_repeats_and_self_loops() -> None:
    p = _table([("a > a > b", 1, 0, 0), ("a", 0, 0, 1)])
    kept = MarkovModel(collapse_repeats=False).fit(p).transition_table()
    loop = kept[(kept["from"] == "a") & (kept["to"] == "a")]["probability"]
    assert loop.tolist() == pytest.approx([1 / 3])  # a→a 1, a→b 1, a→null 1
    collapsed = MarkovModel().fit(p).transition_table()
    assert not ((collapsed["from"] == "a") & (collapsed["to"] == "a")).any()
    # collapsed: identical to the path table with the repeat removed
    pd.testing.assert_frame_equal(markov(p), markov(_table([("a > b", 1, 0, 0), ("a", 0, 0, 1)])))


def test_transition_matrix_is_stochastic() -> None:
    m = MarkovModel(order=2).fit(_random_paths(200, seed=3))
    rows = np.asarray(m.transition_matrix_.sum(axis=1)).ravel()
    assert rows == pytest.approx(np.ones(len(m.states_)))
    assert m.transition_matrix_.shape == (len(m.states_), len(m.states_))
    assert m.states_[0] == "(start)" and m.states_[-2:] == ["(conversion)", "(null)"]
    t = m.transition_table()
    assert set(t.columns) == {"from", "to", "probability"}
    assert t.groupby("from")["probability"].sum().to_numpy() == pytest.approx(1.0)


def test_invariances_and_totals() -> None:
    p = _random_paths(300, seed=11)
    base = markov(p)
    assert base["conversions"].sum() == pytest.approx(p["total_conversions"].sum(), rel=1e-12)
    assert base["value"].sum() == pytest.approx(p["total_conversion_value"].sum(), rel=1e-12)
    shuffled = p.sample(frac=1.0, random_state=2).reset_index(drop=True)
    halves = pd.concat([p.assign(**{c: p[c] / 2 for c in p.columns[1:]})] * 2, ignore_index=True)
    for other in (shuffled, halves):
        pd.testing.assert_frame_equal(markov(other), base, rtol=1e-12)


def test_fractional_counts_kept() -> None:
    p = _table([("a", 0.5, 5, 0.25), ("a > b", 0.25, 2.5, 0.0)])
    out = markov(p)
    assert out["conversions"].sum() == pytest.approx(0.75)
    ref = reference_markov(p)
    assert _as_dict(out, "conversions") == pytest.approx(ref["conversions"], rel=1e-9)


def test_edge_cases_single_channel_no_nulls_no_value() -> None:
    single = markov(_table([("a", 3, 30, 2), ("a > a", 1, 10, 0)]))
    assert single["conversions"].tolist() == pytest.approx([4.0])
    assert single["share"].tolist() == [1.0]
    no_null = MarkovModel().fit(_table([("a > b", 2, 20, 0), ("b", 1, 10, 0)]))
    assert no_null.conversion_probability_ == pytest.approx(1.0)
    # a removed: only "b" journeys convert (1/3) -> RE_a = 2/3; b removed: nothing converts
    assert _as_dict(no_null.removal_effects_, "removal_effect") == pytest.approx({"a": 2 / 3, "b": 1.0})
    no_value = markov(_table([("a > b", 2, 0, 1), ("b", 1, 0, 0)]))
    assert no_value["value"].tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="no conversion"):
        markov(_table([("a", 0, 0, 3)]))
    with pytest.raises(ValueError, match="order"):
        markov(_table([("a", 1, 0, 0)]), order=0)


def test_package_name_is_the_function_after_the_module_is_imported() -> None:
    import smlib.attribution.markov_chain  # noqa: F401  (binding the submodule must not shadow it)

    p = _table([("a > b", 1, 1, 1)])
    assert callable(markov_fn) and not isinstance(markov_fn, type(smlib.attribution))
    pd.testing.assert_frame_equal(markov_fn(p), markov(p))


def _ca_input() -> pd.DataFrame:
    """The ChannelAttribution comparison's input: CA truncates counts to integers, so use integers."""
    p = _random_paths(2000, seed=5)
    p["total_conversions"] = p["total_conversions"].astype(int)
    p["total_null"] = p["total_null"].astype(int)
    return p


def _fingerprint(p: pd.DataFrame) -> str:
    """sha256 over path|conversions|value repr|nulls, as in the script that made the golden file."""
    rows = "\n".join(f"{a}|{int(b)}|{float(c)!r}|{int(d)}" for a, b, c, d in p[
        ["path", "total_conversions", "total_conversion_value", "total_null"]].itertuples(index=False))
    return hashlib.sha256(rows.encode()).hexdigest()


def _ca_tolerance(model: MarkovModel) -> float:
    """5 binomial SEs of a proportion (worst case p = 1/2) over CA's one fold of nsim/10 walks."""
    n_conv = model.conversion_probability_ * CA_NSIM / 10
    return 5 * np.sqrt(0.25 / n_conv)


def _assert_within_ca_noise(model: MarkovModel, theirs: dict[str, float], order: int) -> None:
    mine = model.removal_effects_.set_index("channel")["removal_effect"]
    assert set(theirs) == set(mine.index), (order, sorted(theirs), sorted(mine.index))
    diff = (pd.Series(theirs).reindex(mine.index) - mine).abs()
    tol = _ca_tolerance(model)
    assert diff.max() < tol, (order, diff.to_dict(), tol)


@pytest.mark.parametrize("order", [1, 2])
def test_agrees_with_stored_channelattribution_values(order: int) -> None:
    golden = json.loads(CA_GOLDEN.read_text())
    p = _ca_input()
    # the stored values belong to this exact input: fail loudly if the builder drifted
    assert _fingerprint(p) == golden["inputs"]["sha256"], "test input differs from the stored CA run's"
    assert golden["params"]["nsim_start"] == CA_NSIM
    ours = MarkovModel(order=order).fit(p)
    _assert_within_ca_noise(ours, golden["results"][str(order)]["removal_effects_conversion"], order)


def test_agrees_with_channelattribution_within_simulation_noise() -> None:
    """Live re-check of the stored values (runs only where ChannelAttribution is installed)."""
    with contextlib.redirect_stdout(io.StringIO()):
        ca = pytest.importorskip("ChannelAttribution")
    p = _ca_input()
    for order in (1, 2):
        ours = MarkovModel(order=order).fit(p)
        with contextlib.redirect_stdout(io.StringIO()):
            res = ca.markov_model(p, "path", "total_conversions", var_value="total_conversion_value",
                                  var_null="total_null", order=order, out_more=True, sep=">",
                                  nsim_start=CA_NSIM, max_step=500, verbose=False, flg_pro=False)
        theirs = res["removal_effects"].set_index("channel_name")["removal_effects_conversion"]
        _assert_within_ca_noise(ours, theirs.to_dict(), order)


# ---------------------------------------------------------------- the one-pass order-1 route

def _random_table(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = ["a", "b", " c", "d ", "e"]          # padded names: trimmed like every other route
    rows = []
    for _ in range(300):
        path = " > ".join(rng.choice(names, size=rng.integers(1, 7)))
        rows.append((path, float(rng.integers(0, 3)) * rng.choice([1.0, 0.5]),
                     float(rng.gamma(2.0, 50.0)), float(rng.integers(0, 5))))
    rows += rows[:20]                              # duplicate rows are summed by the general route
    rows.append(("b > e", 0.0, 0.0, 0.0))          # a journey-less row
    return pd.DataFrame(rows, columns=["path", "total_conversions", "total_conversion_value",
                                       "total_null"])


@pytest.mark.parametrize("collapse", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_order1_one_pass_route_equals_the_general_chain(seed, collapse):
    from smlib.attribution.paths import parse_paths
    p = _random_table(seed)
    fast = MarkovModel(order=1, collapse_repeats=collapse).fit(p)          # path table: one pass
    general = MarkovModel(order=1, collapse_repeats=collapse).fit(parse_paths(p))
    pd.testing.assert_frame_equal(fast.removal_effects_, general.removal_effects_, rtol=1e-12)
    pd.testing.assert_frame_equal(fast.credit_, general.credit_, rtol=1e-12)
    assert fast.states_ == general.states_
    assert abs(fast.transition_matrix_ - general.transition_matrix_).max() < 1e-14
    assert fast.conversion_probability_ == pytest.approx(general.conversion_probability_, rel=1e-12)
    assert fast.chain_.n_states == general.chain_.n_states          # built on demand


@pytest.mark.parametrize("table", [
    pd.DataFrame({"path": ["a > b", "   "], "total_conversions": [1.0, 0.0]}),
    pd.DataFrame({"path": ["a > b", ""], "total_conversions": [1.0, 0.0]}),
    pd.DataFrame({"path": ["a >  > b", "a"], "total_conversions": [1.0, 0.0]}),
    pd.DataFrame({"path": ["a > b >", "a"], "total_conversions": [1.0, 1.0]}),
    pd.DataFrame({"path": ["a>b", "b>c"], "total_conversions": [1.0, 0.0]}),
    pd.DataFrame({"path": ["a > b>c", "a"], "total_conversions": [1.0, 0.0]}),
    pd.DataFrame({"path": ["a > b", "a"], "total_conversions": [1.0, -1.0]}),
    pd.DataFrame({"path": ["a > b", None], "total_conversions": [1.0, 0.0]}),
    pd.DataFrame({"path": ["a > b", 3], "total_conversions": [1.0, 0.0]}),
    pd.DataFrame({"path": ["a > b", "a"], "total_conversions": [0.0, 0.0], "total_null": [1.0, 1.0]}),
])
def test_order1_route_raises_what_the_general_route_raises(table):
    from smlib.attribution.paths import parse_paths
    with pytest.raises(ValueError) as general:
        MarkovModel(order=1).fit(parse_paths(table))
    with pytest.raises(ValueError) as fast:
        MarkovModel(order=1).fit(table)
    assert str(fast.value) == str(general.value)
