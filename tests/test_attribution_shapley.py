"""Shapley attribution: brute-force enumeration over permutations, lattice transforms, variants."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from smlib.attribution import shapley as shapley_fn
from smlib.attribution.paths import parse_paths
from smlib.attribution.shapley_values import (ShapleyModel, mobius_transform, shapley, shapley_from_game,
                                       zeta_transform)


def _random_paths(n: int, channels: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    paths = [" > ".join(rng.choice(list(channels), rng.integers(1, 5))) for _ in range(n)]
    conv = rng.poisson([1.2 if channels[0] in p else 0.3 for p in paths]).astype(float)
    return pd.DataFrame({"path": paths, "total_conversions": conv,
                         "total_conversion_value": conv * rng.uniform(10, 100, n),
                         "total_null": rng.poisson(2.0, n).astype(float)})


def brute_force(paths: pd.DataFrame, variant: str) -> tuple[dict[str, float], dict[str, float]]:
    """Shapley values by enumerating every permutation of the channels (n! orders)."""
    sets = [frozenset(c.strip() for c in p.split(">")) for p in paths["path"]]
    channels = sorted(set().union(*sets))
    conv, val = paths["total_conversions"].to_numpy(), paths["total_conversion_value"].to_numpy()
    jour = conv + paths["total_null"].to_numpy()

    def v(coalition: frozenset, which: np.ndarray) -> float:
        inside = np.array([s <= coalition for s in sets])
        if variant == "count":
            return float(which[inside].sum())
        j = jour[inside].sum()
        return float(which[inside].sum() / j) if j > 0 else 0.0

    out = []
    for which in (conv, val):
        phi = dict.fromkeys(channels, 0.0)
        for order in itertools.permutations(channels):
            coalition: frozenset = frozenset()
            for ch in order:
                phi[ch] += v(coalition | {ch}, which) - v(coalition, which)
                coalition = coalition | {ch}
        out.append({c: x / math.factorial(len(channels)) for c, x in phi.items()})
    return out[0], out[1]


def _as_dict(frame: pd.DataFrame, col: str) -> dict[str, float]:
    return dict(zip(frame["channel"], frame[col]))


def test_hand_computed_count_game() -> None:
    # v(S) = conversions of journeys with channel set ⊆ S; "a > b" splits its 2 conversions 1/1
    p = pd.DataFrame({"path": ["a > b", "a", "b > b > c"], "total_conversions": [2.0, 1.0, 3.0],
                      "total_conversion_value": [20.0, 5.0, 30.0], "total_null": [1.0, 0.0, 4.0]})
    out = shapley(p)
    assert _as_dict(out, "conversions") == pytest.approx({"a": 2.0, "b": 2.5, "c": 1.5})
    assert _as_dict(out, "value") == pytest.approx({"a": 15.0, "b": 25.0, "c": 15.0})


@pytest.mark.parametrize("channels,seed", [("abc", 0), ("abcd", 1), ("abcd", 2)])
@pytest.mark.parametrize("variant", ["count", "rate"])
def test_matches_brute_force_enumeration(channels: str, seed: int, variant: str) -> None:
    p = _random_paths(60, channels, seed)
    m = ShapleyModel(variant=variant).fit(p)
    phi, phi_v = brute_force(p, variant)
    assert _as_dict(m.values_, "shapley_conversions") == pytest.approx(phi, rel=1e-10, abs=1e-12)
    assert _as_dict(m.values_, "shapley_value") == pytest.approx(phi_v, rel=1e-10, abs=1e-12)
    # efficiency: credited conversions / value add up to the totals
    assert m.credit_["conversions"].sum() == pytest.approx(p["total_conversions"].sum(), rel=1e-12)
    assert m.credit_["value"].sum() == pytest.approx(p["total_conversion_value"].sum(), rel=1e-12)


def test_rate_variant_hand_computed() -> None:
    # a: 1 conv / 2 journeys; b: 0 / 1; a > b: 1 / 1. v(a) = .5, v(b) = 0, v(ab) = 2/4
    p = pd.DataFrame({"path": ["a", "b", "a > b"], "total_conversions": [1.0, 0.0, 1.0],
                      "total_null": [1.0, 1.0, 0.0]})
    m = ShapleyModel(variant="rate").fit(p)
    # φ_a = ½(v(a) − 0) + ½(v(ab) − v(b)) = ½·½ + ½·½ = .5 ; φ_b = ½·0 + ½(½ − ½) = 0
    assert _as_dict(m.values_, "shapley_conversions") == pytest.approx({"a": 0.5, "b": 0.0})
    assert _as_dict(m.credit_, "conversions") == pytest.approx({"a": 2.0, "b": 0.0})


def test_closed_form_equals_lattice_computation() -> None:
    p = _random_paths(200, "abcdef", 4)
    parsed = parse_paths(p)
    from smlib.attribution.shapley_values import channel_masks

    c = np.bincount(channel_masks(parsed), weights=parsed.conversions, minlength=2 ** 6)
    phi = shapley_from_game(zeta_transform(c))
    assert phi == pytest.approx(ShapleyModel().fit(p).values_["shapley_conversions"].to_numpy(), rel=1e-12)


def test_zeta_and_mobius_are_inverse_and_batched() -> None:
    rng = np.random.default_rng(0)
    f = rng.normal(size=(3, 2 ** 5))
    assert mobius_transform(zeta_transform(f)) == pytest.approx(f)
    g = zeta_transform(f[0])
    # g(S) = Σ_{T ⊆ S} f(T), checked directly for one set
    s = 0b10110
    assert g[s] == pytest.approx(sum(f[0][t] for t in range(32) if t & s == t))
    batch = shapley_from_game(zeta_transform(f))
    assert batch[1] == pytest.approx(shapley_from_game(zeta_transform(f[1])))


def test_ordered_variant_splits_by_position() -> None:
    p = pd.DataFrame({"path": ["a > b", "b > a > a", "b"], "total_conversions": [2.0, 4.0, 1.0],
                      "total_conversion_value": [20.0, 40.0, 10.0]})
    m = ShapleyModel(variant="ordered").fit(p)
    pos = {(c, k): x for c, k, x in m.by_position_[["channel", "position", "conversions"]].itertuples(index=False)}
    assert pos == pytest.approx({("a", 1): 1.0, ("b", 2): 1.0, ("b", 1): 2.0 + 1.0, ("a", 2): 2.0})
    pd.testing.assert_frame_equal(m.credit_, shapley(p))  # channel totals = count variant
    assert m.by_position_["conversions"].sum() == pytest.approx(7.0)
    assert m.by_position_["share"].sum() == pytest.approx(1.0)


def test_twenty_channels_exact_and_more_rejected_for_rate() -> None:
    names = [f"c{i:02d}" for i in range(21)]
    rng = np.random.default_rng(1)
    paths = [" > ".join(rng.choice(names[:20], rng.integers(1, 6))) for _ in range(500)]
    p = pd.DataFrame({"path": paths, "total_conversions": rng.poisson(1, 500).astype(float) + 0.5,
                      "total_null": rng.poisson(2, 500).astype(float)})
    rate = ShapleyModel(variant="rate").fit(p)
    assert rate.credit_["conversions"].sum() == pytest.approx(p["total_conversions"].sum())
    too_many = pd.concat([p, pd.DataFrame({"path": ["c20"], "total_conversions": [1.0], "total_null": [0.0]})])
    with pytest.raises(ValueError, match="limited to 20 channels"):
        shapley(too_many, variant="rate")
    assert len(shapley(too_many)) == 21  # the count game has a closed form at any size


def test_invariances_edge_cases_and_bad_input() -> None:
    p = _random_paths(80, "abcd", 9)
    for variant in ("count", "rate"):
        base = shapley(p, variant=variant)
        shuffled = p.sample(frac=1.0, random_state=0)
        halves = pd.concat([p.assign(**{c: p[c] / 2 for c in p.columns[1:]})] * 2)
        for other in (shuffled, halves):
            pd.testing.assert_frame_equal(shapley(other, variant=variant), base, rtol=1e-12)
    single = shapley(pd.DataFrame({"path": ["a", "a > a"], "total_conversions": [1.0, 2.0]}), variant="rate")
    assert single["conversions"].tolist() == pytest.approx([3.0])
    with pytest.raises(ValueError, match="variant"):
        shapley(p, variant="banzhaf")
    with pytest.raises(ValueError, match="no conversion"):
        shapley(p.assign(total_conversions=0.0))
    pd.testing.assert_frame_equal(shapley_fn(p), shapley(p))  # the package name is the function
