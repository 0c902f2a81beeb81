"""Data-driven attribution (logistic, incremental): hand-computed cases, known truth, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression

from smlib.attribution.regression import (
    FEATURE_BLOCKS,
    IncrementalAttribution,
    LogisticAttribution,
    _design,
    _encode,
    _journey_folds,
    _sparse_design,
    _training_rows,
    credit_spread,
    default_candidates,
    incremental,
    logistic,
)
from smlib.attribution.sparse_logit import effective_df, newton_logit

COLS = ["path", "total_conversions", "total_conversion_value", "total_null"]


def table(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLS)


# Three distinct channel sets and three parameters: the main-effect logistic model is saturated,
# so (without penalty) p(path) equals the observed conversion rate of each path.
SATURATED = table([
    ("a", 10, 1000.0, 30),        # p = 0.25, mean value 100
    ("b", 20, 4000.0, 20),        # p = 0.50, mean value 200
    ("a > b", 36, 3600.0, 4),     # p = 0.90, mean value 100
])
UNPENALISED = 1e9


def logistic_truth_paths(n: int = 20_000, seed: int = 0, order_effect: float = 2.0
                         ) -> tuple[pd.DataFrame, pd.Series]:
    """Journeys over channels a-d with a known logistic conversion model and its exact truth.

    logit p = -3 + 0.5·a + 1.0·b + 0.2·c + 0·d + order_effect·1[a before b]; p(empty) = 0.
    Truth: lost_c = Σ_journeys p(journey) − p(journey without c), normalised to shares.
    """
    rng = np.random.default_rng(seed)
    channels = np.array(["a", "b", "c", "d"])
    beta = np.array([0.5, 1.0, 0.2, 0.0])
    length = rng.integers(1, 5, size=n)
    codes = rng.choice(4, size=(n, 4), p=[0.3, 0.3, 0.2, 0.2])
    pos = np.arange(4)[None, :]
    valid = pos < length[:, None]
    first = np.where(valid[:, :, None] & (codes[:, :, None] == np.arange(4)), pos[:, :, None], 99).min(1)
    last = np.where(valid[:, :, None] & (codes[:, :, None] == np.arange(4)), pos[:, :, None], -1).max(1)

    def prob(removed: int | None) -> np.ndarray:
        f, l_ = first.copy(), last.copy()
        if removed is not None:
            f[:, removed], l_[:, removed] = 99, -1
        exposed = l_ >= 0
        eta = -3 + exposed @ beta + order_effect * (f[:, 0] < l_[:, 1])
        return np.where(exposed.any(1), 1 / (1 + np.exp(-eta)), 0.0)

    p = prob(None)
    y = rng.random(n) < p
    truth = pd.Series({ch: (p - prob(j)).sum() for j, ch in enumerate(channels)})
    paths = [" > ".join(channels[codes[i, :length[i]]]) for i in range(n)]
    df = pd.DataFrame({"path": paths, "total_conversions": y.astype(int),
                       "total_conversion_value": 100.0 * y, "total_null": (~y).astype(int)})
    return df.groupby("path", as_index=False).sum(), truth / truth.sum()


@pytest.fixture(scope="module")
def known() -> tuple[pd.DataFrame, pd.Series]:
    return logistic_truth_paths()


def tvd(credit: pd.DataFrame, truth: pd.Series) -> float:
    share = credit.set_index("channel")["share"].reindex(truth.index, fill_value=0)
    return 0.5 * float(np.abs(share - truth).sum())


# ---------------------------------------------------------------------------- hand-computed
def test_logistic_removal_matches_hand_computation() -> None:
    # lost_a = 40·0.25 + 40·(0.90 − 0.50) = 26; lost_b = 40·0.50 + 40·(0.90 − 0.25) = 46;
    # scaled to 66 conversions: a = 26/72·66, b = 46/72·66.
    # value: lost_a = 40·100·0.25 + 40·100·0.40 = 2600; lost_b = 40·200·0.5 + 40·100·0.65 = 6600;
    # scaled to 8600.
    out = logistic(SATURATED, C=UNPENALISED).set_index("channel")
    np.testing.assert_allclose(out["conversions"], [26 / 72 * 66, 46 / 72 * 66], rtol=1e-5)
    np.testing.assert_allclose(out["value"], [2600 / 9200 * 8600, 6600 / 9200 * 8600], rtol=1e-5)
    np.testing.assert_allclose(out["share"], [26 / 72, 46 / 72], rtol=1e-5)


def test_logistic_shapley_matches_hand_computation() -> None:
    # {a,b}: φ_a = ½[(0.25 − 0) + (0.90 − 0.50)] = 0.325, φ_b = ½[0.50 + (0.90 − 0.25)] = 0.575
    # a = 40·0.25 + 40·0.325 = 23, b = 40·0.5 + 40·0.575 = 43 (sums to 66 by efficiency).
    out = logistic(SATURATED, C=UNPENALISED, credit="shapley").set_index("channel")
    np.testing.assert_allclose(out["conversions"], [23, 43], rtol=1e-5)
    # value: a = 40·100·0.25 + 40·100·0.325 = 2300, b = 40·200·0.5 + 40·100·0.575 = 6300
    np.testing.assert_allclose(out["value"], [2300 / 8600 * 8600, 6300 / 8600 * 8600], rtol=1e-5)


def test_incremental_with_one_saturated_candidate_equals_hand_computation() -> None:
    model = IncrementalAttribution(
        candidates={"unpenalised": LogisticRegression(C=UNPENALISED, max_iter=5000, tol=1e-10)},
        features=("exposure",), cv=2).fit(SATURATED)
    credit = model.credit_.set_index("channel")
    np.testing.assert_allclose(credit["conversions"], [26 / 72 * 66, 46 / 72 * 66], rtol=1e-5)
    re = model.removal_effects_.set_index("channel")
    np.testing.assert_allclose(re["conversions_lost"], [26, 46], rtol=1e-5)
    np.testing.assert_allclose(re["removal_effect"], [26 / 66, 46 / 66], rtol=1e-5)
    assert model.best_candidate_ == "unpenalised"


def test_coefficient_standard_errors_match_statsmodels() -> None:
    paths, _ = logistic_truth_paths(n=5_000, seed=3)
    fit = LogisticAttribution(C=UNPENALISED).fit(paths)
    X = np.column_stack([paths["path"].str.contains(c).astype(float) for c in "abcd"])
    Xw = sm.add_constant(np.vstack([X, X]))
    y = np.r_[np.ones(len(X)), np.zeros(len(X))]
    w = np.r_[paths["total_conversions"], paths["total_null"]].astype(float)
    keep = w > 0
    ref = sm.GLM(y[keep], Xw[keep], family=sm.families.Binomial(), freq_weights=w[keep]).fit()
    np.testing.assert_allclose(fit.coef_table_["coef"], ref.params, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(fit.coef_table_["std_error"], ref.bse, rtol=1e-3)


# ---------------------------------------------------------------------------- known truth
def test_incremental_recovers_known_logistic_truth(known) -> None:
    paths, truth = known
    model = IncrementalAttribution().fit(paths)
    assert tvd(model.credit_, truth) < 0.02
    # the main-effect model cannot express the order interaction and does worse
    assert tvd(model.credit_, truth) < tvd(logistic(paths), truth)
    cv = model.cv_results_
    assert set(cv["candidate"]) == set(default_candidates())
    # default selection: the lowest mean log loss among the candidates run on every fold
    raced = cv[~cv["screened"]]
    assert raced["mean_log_loss"].is_monotonic_increasing and cv["screened"].is_monotonic_increasing
    assert model.best_candidate_ == cv["candidate"].iloc[0] == raced.loc[
        raced["mean_log_loss"].idxmin(), "candidate"]
    assert cv.loc[cv["screened"], "fold_1"].isna().all()


def test_incremental_prefers_boosting_when_effects_are_not_logistic_additive() -> None:
    # "Either a or b but not both" (XOR) cannot be written as an additive logit in exposure;
    # trees can. With exposure features only, cross-validation must pick the boosting model.
    rng = np.random.default_rng(1)
    rows = []
    for path, p in (("a", 0.6), ("b", 0.6), ("a > b", 0.02), ("b > a", 0.02), ("c", 0.1),
                    ("a > c", 0.6), ("b > c", 0.6), ("a > b > c", 0.02)):
        conv = rng.binomial(400, p)
        rows.append((path, conv, conv * 10.0, 400 - conv))
    # boosting is opt-in (its cost at 1M journeys); selected when asked for
    assert "hist_gradient_boosting" not in default_candidates()
    model = IncrementalAttribution(candidates=default_candidates(boosting=True),
                                   features=("exposure",), cv=3).fit(table(rows))
    assert model.best_candidate_ == "hist_gradient_boosting"
    losses = model.cv_results_.set_index("candidate")["mean_log_loss"]
    assert losses["hist_gradient_boosting"] < 0.9 * losses.drop("hist_gradient_boosting").min()


# ---------------------------------------------------------------------------- invariances
def test_credits_sum_to_totals(known) -> None:
    paths, _ = known
    for out in (logistic(paths), logistic(paths, credit="shapley"),
                incremental(paths, candidates=["logit_C=1"])):
        assert list(out.columns[:4]) == ["channel", "conversions", "value", "share"]
        # raw (unscaled) expected conversions lost, next to the scaled credit
        assert {"incremental_conversions", "incremental_value"} <= set(out.columns)
        assert out.attrs["share_basis"] == "net"
        assert out["conversions"].sum() == pytest.approx(paths["total_conversions"].sum(), rel=1e-12)
        assert out["value"].sum() == pytest.approx(paths["total_conversion_value"].sum(), rel=1e-12)
        assert out["share"].sum() == pytest.approx(1.0, rel=1e-12)


def test_row_order_and_split_rows_do_not_change_results(known) -> None:
    paths, _ = known
    shuffled = paths.sample(frac=1.0, random_state=7).reset_index(drop=True)
    # split every row into two rows with the same path (conversions and nulls divided)
    half = shuffled.copy()
    half[["total_conversions", "total_null"]] = shuffled[["total_conversions", "total_null"]] // 2
    half["total_conversion_value"] = half["total_conversions"] * 100.0
    rest = shuffled.copy()
    rest[["total_conversions", "total_null"]] -= half[["total_conversions", "total_null"]]
    rest["total_conversion_value"] -= half["total_conversion_value"]
    split = pd.concat([rest, half], ignore_index=True).sample(frac=1.0, random_state=3)
    for fn, kw in ((logistic, {}), (incremental, {"candidates": ["logit_C=1", "hist_gradient_boosting"]})):
        base = fn(paths, **kw)
        pd.testing.assert_frame_equal(fn(shuffled, **kw), base)
        pd.testing.assert_frame_equal(fn(split, **kw), base)


def test_expected_conversions_and_team_removal(known) -> None:
    paths, _ = known
    model = IncrementalAttribution(candidates=["logit_C=1"]).fit(paths)
    conv, value = model.expected_conversions()
    # a logistic model with an unpenalised intercept reproduces the observed total
    assert conv == pytest.approx(paths["total_conversions"].sum(), rel=1e-3)
    assert value == pytest.approx(paths["total_conversion_value"].sum(), rel=1e-3)
    assert model.expected_conversions(["a", "b", "c", "d"]) == (0.0, 0.0)
    without_a, _ = model.expected_conversions(["a"])
    lost_a = model.removal_effects_.set_index("channel").loc["a", "conversions_lost"]
    assert conv - without_a == pytest.approx(lost_a, rel=1e-9)
    with pytest.raises(ValueError, match="unknown channel"):
        model.expected_conversions(["zzz"])


def test_journey_folds_partition_the_counts() -> None:
    counts = np.array([0.0, 1.0, 7.0, 1000.0, 2.5])
    folds = _journey_folds(counts, 3, np.random.default_rng(0))
    np.testing.assert_allclose(folds.sum(axis=0), counts)
    assert (folds >= 0).all()
    assert folds[:, 3].min() > 250  # roughly a third of 1000 journeys in each fold


# ---------------------------------------------------------------------------- edge cases
def test_single_channel_gets_all_credit() -> None:
    paths = table([("email", 3, 30.0, 10), ("email > email", 5, 80.0, 2)])
    for out in (logistic(paths), incremental(paths, cv=2)):
        assert out["channel"].tolist() == ["email"]
        assert out["conversions"].iloc[0] == pytest.approx(8)
        assert out["value"].iloc[0] == pytest.approx(110)


def test_harmful_channel_is_signed_by_default_or_clipped() -> None:
    paths = table([("a", 50, 500.0, 50), ("a > d", 25, 250.0, 75), ("d", 5, 50.0, 95)])
    clipped = logistic(paths, C=UNPENALISED, negative="clip").set_index("channel")
    assert clipped.loc["d", "conversions"] < clipped.loc["a", "conversions"]
    # saturated: p(a) = 0.5, p(a > d) = 0.25, p(d) = 0.05
    # lost_d = 100·(0.25 − 0.5) + 100·0.05 = −20; lost_a = 100·0.5 + 100·(0.25 − 0.05) = 70
    assert clipped.loc["d", "conversions"] == 0
    assert clipped.loc["a", "conversions"] == pytest.approx(80)
    kept = logistic(paths, C=UNPENALISED, negative="keep").set_index("channel")
    np.testing.assert_allclose(kept["conversions"], [70 / 50 * 80, -20 / 50 * 80], rtol=1e-6)
    # signed is the default: shares of the net total 70 − 20 = 50, the harmful channel negative
    signed = logistic(paths, C=UNPENALISED).set_index("channel")
    pd.testing.assert_frame_equal(signed, kept)
    np.testing.assert_allclose(signed["share"], [70 / 50, -20 / 50], rtol=1e-6)
    np.testing.assert_allclose(signed["incremental_conversions"], [70, -20], rtol=1e-6)
    # the incremental model with the saturated exposure logit gives the same signed credit
    inc = incremental(paths, candidates={"mle": LogisticRegression(C=UNPENALISED, max_iter=5000,
                                                                   tol=1e-10)},
                      cv=None, features=("exposure",)).set_index("channel")
    np.testing.assert_allclose(inc["conversions"], [70 / 50 * 80, -20 / 50 * 80], rtol=1e-4)
    # and its bootstrap intervals reach below zero for the harmful channel
    boot = IncrementalAttribution(candidates={"mle": LogisticRegression(C=UNPENALISED,
                                                                        max_iter=5000)},
                                  cv=None, features=("exposure",)).fit(paths).bootstrap(
        n_boot=200, seed=3).set_index("channel")
    assert boot.loc["d", "ci_high"] < 0 < boot.loc["a", "ci_low"]


@pytest.mark.parametrize("fn", [logistic, incremental])
@pytest.mark.parametrize(("bad", "message"), [
    (table([("", 1, 1.0, 1), ("a", 1, 1.0, 1)]), "column 'path' has empty paths at rows 0"),
    (table([("a", 1, 1.0, 1), ("a >  > b", 1, 1.0, 1)]), "empty channel name"),
    (table([("a", -1, 1.0, 1), ("b", 1, 1.0, 1)]), "column 'total_conversions' has negative values at rows 0"),
    (table([("a", 1, 1.0, -2), ("b", 1, 1.0, 1)]), "column 'total_null' has negative"),
    (table([("a", 1, float("nan"), 2), ("b", 1, 1.0, 1)]), "column 'total_conversion_value' has missing"),
    (table([("a", 0, 0.0, 5), ("b", 0, 0.0, 3)]), "total_conversions is 0"),
    (table([("a", 4, 4.0, 0), ("b", 3, 3.0, 0)]), "total_null is 0"),
    (pd.DataFrame({"path": ["a"], "total_null": [1]}), "lacks required column"),
    (pd.DataFrame({"path": ["a", "b"], "total_conversions": [1, 2]}), "total_null is 0"),
    (table([]), "path table is empty"),
])
def test_bad_input_raises_clear_error(fn, bad: pd.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fn(bad)


def test_bad_parameters_raise() -> None:
    with pytest.raises(ValueError, match="credit must be"):
        logistic(SATURATED, credit="banzhaf")
    with pytest.raises(ValueError, match="unknown candidate"):
        incremental(SATURATED, candidates=["random_forest"])
    with pytest.raises(ValueError, match="features must be"):
        incremental(SATURATED, features=("colour",))
    with pytest.raises(ValueError, match="cv must be"):
        incremental(SATURATED, cv=1)
    with pytest.raises(ValueError, match="negative must be"):
        logistic(SATURATED, negative="drop")
    many = table([(" > ".join(f"c{i}" for i in range(17)), 5, 5.0, 5), ("c0", 1, 1.0, 9)])
    with pytest.raises(ValueError, match="at most 16 channels"):
        logistic(many, credit="shapley")
    with pytest.raises(ValueError, match="not fitted"):
        IncrementalAttribution().expected_conversions()


# ---------------------------------------------------------------------------- bootstrap
BOOT_COLUMNS = ["channel", "conversions", "se", "ci_low", "ci_high", "value", "value_se",
                "value_ci_low", "value_ci_high", "share", "share_se", "share_ci_low",
                "share_ci_high"]


def test_one_step_bootstrap_agrees_with_refitting(known) -> None:
    paths, _ = known
    model = IncrementalAttribution(candidates=["logit_C=1"], cv=None).fit(paths)
    fast = model.bootstrap(n_boot=60, seed=1)
    slow = model.bootstrap(n_boot=60, seed=1, method="refit")
    assert list(fast.columns) == BOOT_COLUMNS and fast.attrs["method"] == "one_step"
    # same resamples: the linearised coefficients track the refitted ones closely
    np.testing.assert_allclose(fast["share_se"], slow["share_se"], rtol=0.1, atol=1e-4)
    total = paths["total_conversions"].sum()
    for col in ("ci_low", "ci_high"):  # within 0.2 % of all conversions
        np.testing.assert_allclose(fast[col], slow[col], rtol=0, atol=0.002 * total)
    assert (fast["ci_low"] <= fast["conversions"]).all() and (fast["conversions"] <= fast["ci_high"]).all()
    pd.testing.assert_frame_equal(fast[["channel", "conversions", "value", "share"]],
                                  model.credit_[["channel", "conversions", "value", "share"]]
                                  .reset_index(drop=True))


def test_bootstrap_standard_error_matches_sampling_variation() -> None:
    # The spread of the credit share over independent datasets from the known model is the
    # target; the bootstrap of one dataset must estimate it (within Monte-Carlo error).
    shares = [LogisticAttribution().fit(logistic_truth_paths(n=4_000, seed=100 + s)[0])
              .credit_.set_index("channel")["share"] for s in range(40)]
    true_sd = pd.concat(shares, axis=1).std(axis=1, ddof=1)
    boot = LogisticAttribution().fit(logistic_truth_paths(n=4_000, seed=7)[0]).bootstrap(
        n_boot=300, seed=2).set_index("channel")
    # channel d has no effect: its credit sits at the clipping boundary 0, where the bootstrap
    # is known to be inconsistent (Andrews 2000, Econometrica 68:399), so it is not checked
    ratio = (boot["share_se"] / true_sd).drop("d")
    assert ratio.between(0.6, 1.6).all(), ratio


def test_shapley_credit_bootstrap_runs_and_brackets_estimate() -> None:
    model = LogisticAttribution(C=UNPENALISED, credit="shapley").fit(SATURATED)
    boot = model.bootstrap(n_boot=50, seed=0)
    assert boot.attrs["method"] == "one_step"
    assert (boot["ci_low"] <= boot["conversions"]).all() and (boot["conversions"] <= boot["ci_high"]).all()
    assert (boot["se"] > 0).all()


def test_bootstrap_bad_parameters() -> None:
    model = IncrementalAttribution(candidates=["hist_gradient_boosting"], cv=None).fit(SATURATED)
    with pytest.raises(ValueError, match="one_step"):
        model.bootstrap(n_boot=10, method="one_step")
    with pytest.raises(ValueError, match="n_boot"):
        model.bootstrap(n_boot=1)
    with pytest.raises(ValueError, match="level"):
        model.bootstrap(n_boot=10, level=1.5)
    assert model.bootstrap(n_boot=3).attrs["method"] == "refit"
    with pytest.raises(ValueError, match="exactly one"):
        IncrementalAttribution(cv=None).fit(SATURATED)


def test_sklearn_conventions() -> None:
    from sklearn.base import clone

    model = IncrementalAttribution(cv=2, features=["exposure", "counts"], candidates=["logit_C=1"])
    assert clone(model).get_params() == model.get_params()
    model.fit(SATURATED)
    assert model.features == ["exposure", "counts"]  # fit does not rewrite parameters
    assert model.blocks_ == ("exposure", "counts")
    assert model.feature_names_ == ["exposed[a]", "exposed[b]", "log1p_count[a]", "log1p_count[b]"]
    assert LogisticAttribution().fit(SATURATED).coef_table_["term"].tolist() == [
        "intercept", "exposed[a]", "exposed[b]"]


# ---------------------------------------------------------------------------- sparse design, solver
def test_sparse_design_equals_dense_design(known) -> None:
    paths, _ = known
    enc = _encode(paths)
    removed = np.array([False, True, False, True])
    for blocks in [(b,) for b in FEATURE_BLOCKS] + [FEATURE_BLOCKS]:
        for rm in (None, removed):
            dense, empty = _design(enc, blocks, rm)
            sparse_x, sparse_empty = _sparse_design(enc, blocks, rm)
            np.testing.assert_array_equal(sparse_x.toarray(), dense)
            np.testing.assert_array_equal(sparse_empty, empty)


def test_removal_through_linear_predictor_equals_rebuilt_design(known) -> None:
    # all blocks: removing a channel also hands "first"/"last" to the next channel
    paths, _ = known
    model = IncrementalAttribution(candidates=["logit_C=1"], cv=None).fit(paths)
    fast, p_fast = model._path_effects(model.model_)
    slow, p_slow = model._path_effects(model.model_, rebuild=True)
    np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(p_fast, p_slow, rtol=1e-12)
    lost = model.removal_effects_["conversions_lost"].to_numpy()
    np.testing.assert_allclose(lost, model._enc.journeys @ slow, rtol=1e-10)


def test_sparse_and_dense_fits_give_identical_credit() -> None:
    # hand case: the same saturated model fitted by the sparse Newton solver (fast path) and by
    # scikit-learn on the dense design (a subclass is not fast-pathed) gives the same credit
    class DenseLogit(LogisticRegression):
        pass

    est = {"C": UNPENALISED, "max_iter": 10_000, "tol": 1e-12}
    fast = incremental(SATURATED, candidates={"m": LogisticRegression(**est)}, cv=None,
                       features=("exposure",))
    dense = incremental(SATURATED, candidates={"m": DenseLogit(**est)}, cv=None,
                        features=("exposure",))
    np.testing.assert_allclose(fast["conversions"], dense["conversions"], rtol=1e-8)
    np.testing.assert_allclose(fast["conversions"], [26 / 72 * 66, 46 / 72 * 66], rtol=1e-8)


def test_newton_solver_reaches_the_sklearn_optimum(known) -> None:
    paths, _ = known
    enc = _encode(paths)
    X = _design(enc, FEATURE_BLOCKS)[0]
    Xw, y, w = _training_rows(X, enc.conversions, enc.nulls)
    for C in (0.01, 1.0):
        ref = LogisticRegression(C=C, max_iter=20_000, tol=1e-12).fit(Xw, y, sample_weight=w)
        cold, _, hess = newton_logit(_sparse_design(enc, FEATURE_BLOCKS)[0], enc.conversions,
                                      enc.nulls, C)
        np.testing.assert_allclose(cold, np.r_[ref.intercept_, ref.coef_.ravel()], atol=2e-5)
        # warm start with a reused Hessian (regularisation path) reaches the same optimum
        warm, _, _ = newton_logit(_sparse_design(enc, FEATURE_BLOCKS)[0], enc.conversions,
                                   enc.nulls, C, cold * 0.5, hess, refresh=0.9)
        np.testing.assert_allclose(warm, cold, atol=1e-6)


def test_logit_terms_give_the_same_sums_on_any_number_of_threads(known) -> None:
    """The rows are cut into a fixed number of chunks summed in a fixed order: one thread and
    two give bit-for-bit the same likelihood, gradient and Hessian."""
    import numba

    from smlib.attribution.sparse_logit import logit_terms

    paths, _ = known
    enc = _encode(paths)
    X = _sparse_design(enc, FEATURE_BLOCKS)[0]
    beta = np.random.default_rng(0).normal(scale=0.3, size=X.shape[1] + 1)
    args = (X.indptr, X.indices, X.data, enc.conversions, enc.nulls, beta, 2)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = logit_terms(*args)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = logit_terms(*args)
    finally:
        numba.set_num_threads(before)
    assert one[0] == two[0]
    np.testing.assert_array_equal(one[1], two[1])
    np.testing.assert_array_equal(one[2], two[2])


def test_effective_df_runs_from_one_to_all_parameters() -> None:
    rng = np.random.default_rng(0)
    Z = np.column_stack([np.ones(200), rng.normal(size=(200, 4))])
    H = Z.T @ Z
    assert effective_df(H, 1e12) == pytest.approx(5.0, rel=1e-6)  # no penalty: all 5
    assert effective_df(H, 1e-12) == pytest.approx(1.0, rel=1e-6)  # only the intercept left


# ---------------------------------------------------------------------------- selection rules
def test_credit_spread_hand_computed() -> None:
    # fold means (0.6, 0.4); each fold is 0.1 + 0.1 away
    assert credit_spread(np.array([[0.5, 0.5], [0.7, 0.3]])) == pytest.approx(0.2)
    assert credit_spread(np.array([[0.5, 0.5], [0.5, 0.5]])) == 0
    assert credit_spread(np.array([[0.5, 0.5], [np.nan, np.nan]])) == np.inf
    with pytest.raises(ValueError, match="folds x channels"):
        credit_spread(np.array([0.5, 0.5]))


@pytest.mark.parametrize("selection", ["credit", "parsimony"])
def test_credit_targeted_selection_rules(known, selection: str) -> None:
    paths, truth = known
    model = IncrementalAttribution(selection=selection).fit(paths)
    cv = model.cv_results_.set_index("candidate")
    tied = cv[cv["within_one_se"]]
    assert len(tied) >= 1 and not tied["screened"].any()
    assert (tied["loss_gap"] <= tied["loss_gap_se"]).all()
    column = {"credit": "credit_spread", "parsimony": "effective_df"}[selection]
    # the chosen candidate: tied with the best log loss, lowest spread / effective df among them
    assert model.best_candidate_ == tied[column].idxmin()
    assert cv.loc[cv["mean_log_loss"].idxmin(), "within_one_se"]
    # the spread is recomputed from the cross-fitted shares; each fold's shares sum to 1
    cf = model.crossfit_credit_
    assert set(cf["candidate"]) == set(tied.index)
    np.testing.assert_allclose(cf.groupby(["candidate", "fold"])["share"].sum(), 1.0)
    for name, g in cf.groupby("candidate"):
        shares = g.pivot(index="fold", columns="channel", values="share").to_numpy()
        assert cv.loc[name, "credit_spread"] == pytest.approx(credit_spread(shares))
    assert cv.loc[~cv["within_one_se"], "credit_spread"].isna().all()
    # every rule still recovers the known truth
    assert tvd(model.credit_, truth) < 0.03


def test_racing_screens_a_hopeless_candidate(known) -> None:
    paths, _ = known
    cands = {"good": LogisticRegression(C=1.0), "flat": LogisticRegression(C=1e-7)}
    model = IncrementalAttribution(candidates=cands, selection="credit").fit(paths)
    cv = model.cv_results_.set_index("candidate")
    assert cv.loc["flat", "screened"] and np.isnan(cv.loc["flat", "fold_1"])
    assert not cv.loc["good", "screened"] and model.best_candidate_ == "good"
    with pytest.raises(ValueError, match="selection must be"):
        incremental(SATURATED, selection="stability")


def test_newton_compatible_and_as_fitted_wrap_the_solver_for_scikit_learn() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    from smlib.attribution.sparse_logit import as_fitted, newton_compatible
    assert newton_compatible(LogisticRegression(C=0.1))
    assert not newton_compatible(LogisticRegression(fit_intercept=False))
    assert not newton_compatible(LogisticRegression(class_weight="balanced"))
    assert not newton_compatible(HistGradientBoostingClassifier())
    model = as_fitted(LogisticRegression(C=0.1), np.array([-1.0, 2.0, 0.5]), 7)
    X = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    expected = 1 / (1 + np.exp(-(-1.0 + X @ np.array([2.0, 0.5]))))
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], expected, rtol=1e-12)
    assert model.n_iter_[0] == 7 and model.C == 0.1
