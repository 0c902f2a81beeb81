"""Doubly robust (AIPW) and partially linear double machine learning estimators, cross-fitted.

Both follow Chernozhukov, Chetverikov, Demirer, Duflo, Hansen, Newey & Robins (2018), "Double/debiased
machine learning for treatment and structural parameters", *Econometrics Journal* 21(1): C1–C68:
nuisance functions are fitted by any scikit-learn learner on K−1 folds and predicted on the held-out
fold (cross-fitting), the target solves a Neyman-orthogonal moment ``E[psi_a]·theta + E[psi_b] = 0``
and the standard error comes from the score: ``se² = mean((psi_a·theta + psi_b)²) / mean(psi_a)² / n``.
The scores are the ones of the DoubleML package (IRM "ATE"/"ATTE", PLR "partialling out"); with
the same folds and learners the numbers agree with ``doubleml`` (tests/test_causal_dr.py).

Used in the workbook on accounts: ``treatment = integrated`` (the account's journey ran under the
integrated regime), ``outcome`` = the account's won revenue, covariates = segment, size and the unit
covariates that drive both integration and revenue.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from smlib.causal.plots import overlap_plot
from smlib.causal.results import EstimateResult

#: Truncation of estimated propensities (DoubleML's default ``trimming_threshold``): keeps
#: ``1/e`` finite; it does not drop units (that is what ``trim`` does).
DEFAULT_CLIP = 0.01
#: Overlap diagnostics flag propensities outside this band (Crump et al. 2009's rule of thumb).
OVERLAP_BAND = (0.05, 0.95)


def learner_presets(name: str, random_state: int | None = 0) -> tuple[BaseEstimator, BaseEstimator]:
    """(propensity classifier, outcome regressor) for a preset name.

    - ``"linear"``: standardised logistic regression (L2, C=1) / ordinary least squares.
    - ``"boosting"``: histogram gradient boosting, 100 trees of ≤ 15 leaves, ≥ 20 rows per leaf.
    - ``"forest"``: random forests of 200 trees with ≥ 5 rows per leaf (``n_jobs=1``).
    - ``"mean"``: no covariate adjustment (prior / mean), i.e. the difference in means.
    """
    if name == "linear":
        return (make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
                make_pipeline(StandardScaler(), LinearRegression()))
    if name == "boosting":
        kw = dict(max_iter=100, max_leaf_nodes=15, min_samples_leaf=20, early_stopping=False,
                  random_state=random_state)
        return HistGradientBoostingClassifier(**kw), HistGradientBoostingRegressor(**kw)
    if name == "forest":
        kw = dict(n_estimators=200, min_samples_leaf=5, n_jobs=1, random_state=random_state)
        return RandomForestClassifier(**kw), RandomForestRegressor(**kw)
    if name == "mean":
        return DummyClassifier(strategy="prior"), DummyRegressor()
    raise ValueError(f"unknown learner preset {name!r}; use 'linear', 'boosting', 'forest', 'mean' "
                     "or pass scikit-learn estimators")


# --- input checks -----------------------------------------------------------------------------

def _first_rows(mask: pd.Series, k: int = 5) -> list:
    return list(mask[mask].index[:k])


def _numeric_column(df: pd.DataFrame, col: str, role: str) -> np.ndarray:
    if col not in df.columns:
        raise ValueError(f"{role} column {col!r} not found; columns are {list(df.columns)}")
    s = df[col]
    if s.dtype == bool:
        s = s.astype(float)
    if not pd.api.types.is_numeric_dtype(s):
        raise ValueError(f"{role} column {col!r} must be numeric, got dtype {s.dtype} "
                         f"(e.g. {s.iloc[0]!r})")
    if s.isna().any():
        raise ValueError(f"{role} column {col!r} has missing values in rows {_first_rows(s.isna())}")
    values = s.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise ValueError(f"{role} column {col!r} has infinite values in rows "
                         f"{_first_rows(pd.Series(~np.isfinite(values), index=s.index))}")
    return values


def _binary_treatment(df: pd.DataFrame, col: str) -> np.ndarray:
    d = _numeric_column(df, col, "treatment")
    bad = ~np.isin(d, (0.0, 1.0))
    if bad.any():
        raise ValueError(f"treatment column {col!r} must be binary (0/1 or bool); rows "
                         f"{list(df.index[bad][:5])} have values {sorted(set(d[bad]))[:5]}")
    n1 = int(d.sum())
    if n1 == 0 or n1 == len(d):
        raise ValueError(f"treatment column {col!r} has {'no' if n1 == 0 else 'only'} treated rows; "
                         "a comparison needs both treated and untreated units")
    return d


def design_matrix(df: pd.DataFrame, covariates: Sequence[str]) -> tuple[np.ndarray, list[str], list[str]]:
    """Covariate matrix for the nuisance learners.

    Numeric and bool columns are used as they are; string / categorical columns are one-hot encoded
    (first level dropped). Columns that are constant after encoding carry no information and are
    dropped with a warning (documented handling of a constant covariate). Missing values raise.

    Returns:
        (X, used column names, dropped constant columns).
    """
    covariates = list(covariates)
    missing = [c for c in covariates if c not in df.columns]
    if missing:
        raise ValueError(f"covariate columns {missing} not found; columns are {list(df.columns)}")
    if len(set(covariates)) != len(covariates):
        raise ValueError(f"covariates listed twice: {covariates}")
    parts: list[pd.DataFrame] = []
    for c in covariates:
        s = df[c]
        if s.isna().any():
            raise ValueError(f"covariate column {c!r} has missing values in rows {_first_rows(s.isna())}")
        if s.dtype == bool or pd.api.types.is_numeric_dtype(s):
            parts.append(s.astype(float).to_frame(c))
        else:
            parts.append(pd.get_dummies(s.astype(str), prefix=c, drop_first=True, dtype=float))
    X = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=df.index)
    if X.shape[1] and not np.isfinite(X.to_numpy()).all():
        raise ValueError("covariates contain infinite values")
    constant = [c for c in X.columns if X[c].nunique() <= 1]
    if constant:
        warnings.warn(f"constant covariates carry no information and are dropped: {constant}",
                      UserWarning, stacklevel=3)
        X = X.drop(columns=constant)
    return X.to_numpy(dtype=float), list(X.columns), constant


def _with_seed(est: BaseEstimator, random_state: int | None) -> BaseEstimator:
    est = clone(est)
    params = est.get_params()
    seeds = {k: random_state for k in params if k == "random_state" or k.endswith("__random_state")}
    return est.set_params(**seeds) if seeds and random_state is not None else est


def _predict_proba(model: BaseEstimator, X: np.ndarray) -> np.ndarray:
    if is_classifier(model) or hasattr(model, "predict_proba"):
        return model.predict_proba(X)[:, 1]
    return model.predict(X)  # a regressor used as linear probability model


def _folds(d: np.ndarray, n_folds: int, seed: int | None, stratify: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    splitter = (StratifiedKFold if stratify else KFold)(n_splits=n_folds, shuffle=True,
                                                        random_state=seed)
    return list(splitter.split(np.zeros(len(d)), d if stratify else None))


def _dml_aggregate(thetas: np.ndarray, ses: np.ndarray) -> tuple[float, float]:
    """Median aggregation over repeated cross-fitting (Chernozhukov et al. 2018, section 3.4)."""
    theta = float(np.median(thetas))
    se = float(np.sqrt(np.median(ses ** 2 + (thetas - theta) ** 2)))
    return theta, se


def _score_se(psi_a: np.ndarray, psi_b: np.ndarray) -> tuple[float, float]:
    theta = -psi_b.mean() / psi_a.mean()
    psi = psi_a * theta + psi_b
    se = np.sqrt(np.mean(psi ** 2) / psi_a.mean() ** 2 / len(psi))
    return float(theta), float(se)


# --- overlap ----------------------------------------------------------------------------------

def crump_alpha(propensity: np.ndarray) -> float:
    """Optimal trimming threshold of Crump, Hotz, Imbens & Mitnik (2009), *Biometrika* 96(1).

    Keep units with ``alpha <= e(x) <= 1 - alpha`` where, with ``g = 1 / (e (1 - e))``, alpha = 0
    if ``max g <= 2 E[g]``, otherwise ``1 / (alpha (1 - alpha)) = 2 E[g | g <= 1/(alpha(1-alpha))]``
    (their Theorem 1, solved by scanning the sorted ``g``).
    """
    e = np.clip(np.asarray(propensity, dtype=float), 1e-12, 1 - 1e-12)
    g = np.sort(1.0 / (e * (1.0 - e)))
    if g[-1] <= 2.0 * g.mean():
        return 0.0
    # On [g[k], g[k+1]) the conditional mean is the running mean of g[:k+1], so the equation
    # gamma = 2 E[g | g <= gamma] has the root 2*cum_mean[k] there if it falls inside; take the first.
    cum_mean = np.cumsum(g) / np.arange(1, len(g) + 1)
    gamma_k = 2.0 * cum_mean
    upper = np.append(g[1:], np.inf)
    valid = np.nonzero((gamma_k >= g) & (gamma_k < upper))[0]
    gamma = float(gamma_k[valid[0]]) if len(valid) else float(g[-1])
    # alpha(1-alpha) = 1/gamma  ->  alpha = 1/2 - sqrt(1/4 - 1/gamma)
    return float(0.5 - np.sqrt(max(0.25 - 1.0 / gamma, 0.0)))


def overlap_table(propensity: np.ndarray, d: np.ndarray, estimand: str = "ATT",
                  band: tuple[float, float] = OVERLAP_BAND) -> pd.DataFrame:
    """Propensity summary by arm, share outside ``band`` and Kish's effective sample size.

    The effective sample size of an arm with weights ``w`` is ``(Σw)² / Σw²`` (Kish 1965) with the
    weights the estimator gives it: ATT — treated 1, controls ``e/(1−e)``; ATE — treated ``1/e``,
    controls ``1/(1−e)``.
    """
    rows = []
    for arm, mask in (("treated", d == 1), ("control", d == 0)):
        e = propensity[mask]
        if estimand == "ATT":
            w = np.ones_like(e) if arm == "treated" else e / (1 - e)
        else:
            w = 1 / e if arm == "treated" else 1 / (1 - e)
        rows.append(dict(arm=arm, n=int(mask.sum()), min=e.min(), p05=np.quantile(e, 0.05),
                         median=np.median(e), p95=np.quantile(e, 0.95), max=e.max(),
                         share_below=float(np.mean(e < band[0])),
                         share_above=float(np.mean(e > band[1])),
                         ess=float(w.sum() ** 2 / np.sum(w ** 2))))
    return pd.DataFrame(rows)


# --- results ----------------------------------------------------------------------------------

@dataclass
class DoublyRobustResult(EstimateResult):
    """AIPW estimate with its overlap diagnostics.

    Extra attributes:
        propensity: cross-fitted propensity scores of the rows used (after truncation).
        treatment: the 0/1 treatment of those rows.
        overlap: :func:`overlap_table` of the rows used.
        trim_bounds: ``(low, high)`` propensity bounds of the kept rows, or None.
        n_trimmed: rows dropped by trimming.
        outcome_label: name of the outcome (for plots).
    """

    propensity: np.ndarray | None = None
    treatment: np.ndarray | None = None
    overlap: pd.DataFrame | None = None
    trim_bounds: tuple[float, float] | None = None
    n_trimmed: int = 0
    outcome_label: str = "outcome"

    def to_frame(self) -> pd.DataFrame:
        """The base row plus n_trimmed and the share of rows outside the overlap band."""
        frame = super().to_frame()
        frame["n_trimmed"] = self.n_trimmed
        if self.propensity is not None:
            e = self.propensity
            frame["share_outside_overlap"] = float(np.mean((e < OVERLAP_BAND[0]) | (e > OVERLAP_BAND[1])))
        return frame

    def summary(self) -> str:
        """Estimate line plus the overlap table."""
        text = super().summary()
        if self.n_trimmed:
            text += f"\n{self.n_trimmed} rows trimmed (propensity outside {self.trim_bounds})"
        if self.overlap is not None:
            text += "\nOverlap (cross-fitted propensity by arm):\n" + self.overlap.to_string(
                index=False, float_format=lambda x: f"{x:.3g}")
        return text

    def plot(self, ax: Any = None, language: str = "en") -> Any:
        """Histogram of the propensity score by arm (overlap plot), title, axes and legend in
        ``language`` (``"en"`` or ``"es"``); returns the axes. See
        :func:`smlib.causal.plots.overlap_plot`."""
        return overlap_plot(self, OVERLAP_BAND, ax=ax, language=language)


@dataclass
class DMLResult(EstimateResult):
    """Partially linear DML estimate; ``r2_outcome``/``r2_treatment`` are the cross-fitted R² of
    the two nuisance regressions (how much of Y and D the covariates explain)."""

    r2_outcome: float = float("nan")
    r2_treatment: float = float("nan")


# --- estimators -------------------------------------------------------------------------------

def doubly_robust(
    df: pd.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Sequence[str],
    estimand: str = "ATT",
    learners: str = "linear",
    propensity_model: BaseEstimator | None = None,
    outcome_model: BaseEstimator | None = None,
    n_folds: int = 5,
    n_rep: int = 1,
    trim: str | float | None = None,
    clip: float = DEFAULT_CLIP,
    level: float = 0.95,
    random_state: int | None = 0,
) -> DoublyRobustResult:
    """Augmented inverse-probability-weighted (doubly robust) estimate of the ATT or ATE.

    With cross-fitted propensity ``e(X) = P(D=1|X)`` and outcome regressions ``g_d(X) = E[Y|D=d,X]``
    (fitted on the arm ``d`` of the training folds), and ``p = mean(D)``:

    - ATE (Robins, Rotnitzky & Zhao 1994): ``psi = g1 − g0 + D(Y−g1)/e − (1−D)(Y−g0)/(1−e) − theta``;
    - ATT (Chernozhukov et al. 2018, section 5.1; DoubleML's "ATTE"):
      ``psi = [D(Y−g0) − e(1−D)(Y−g0)/(1−e)]/p − D·theta/p``.

    Consistent if either the propensity or the outcome model is right; the standard error is
    ``sqrt(mean(psi²)/n)`` from the score. Folds are stratified by treatment; ``n_rep > 1`` repeats
    the fold split and takes the median estimate (Chernozhukov et al. 2018, 3.4).

    Args:
        df: one row per unit (e.g. account).
        outcome: numeric outcome column.
        treatment: binary 0/1 (or bool) treatment column.
        covariates: confounders; numeric/bool used as is, strings one-hot encoded; constant ones
            dropped with a warning. May be empty (then the estimate is the difference in means).
        estimand: ``"ATT"`` or ``"ATE"``.
        learners: preset for both nuisance models (:func:`learner_presets`).
        propensity_model, outcome_model: scikit-learn estimators overriding the preset (a
            classifier with ``predict_proba`` for the propensity).
        n_folds: cross-fitting folds K (≥ 2).
        n_rep: repetitions of the fold split.
        trim: ``None`` (keep all), ``"crump"`` (Crump et al. 2009 optimal alpha, :func:`crump_alpha`)
            or a float ``a`` in (0, 0.5): keep rows with ``a <= e <= 1−a``. Trimming changes the
            estimand to the overlap population; the number of dropped rows is reported.
        clip: propensities are truncated to ``[clip, 1−clip]`` inside the score (DoubleML default).
        level: interval coverage.
        random_state: seed of the fold split and of the learners.

    Raises:
        ValueError: missing columns or values, non-numeric outcome, non-binary treatment, no
            treated or no control rows, an arm smaller than ``n_folds``, bad ``estimand``/``trim``.
    """
    if estimand not in ("ATT", "ATE"):
        raise ValueError(f"estimand must be 'ATT' or 'ATE', got {estimand!r}")
    if not isinstance(n_folds, int) or n_folds < 2:
        raise ValueError(f"n_folds must be an integer >= 2, got {n_folds!r}")
    if not 0 <= clip < 0.5:
        raise ValueError(f"clip must be in [0, 0.5), got {clip}")
    y = _numeric_column(df, outcome, "outcome")
    d = _binary_treatment(df, treatment)
    if min(d.sum(), len(d) - d.sum()) < n_folds:
        raise ValueError(f"each arm needs at least n_folds={n_folds} rows; treated "
                         f"{int(d.sum())}, control {int(len(d) - d.sum())}")
    X, used, dropped = design_matrix(df, covariates)
    ps_default, out_default = learner_presets(learners, random_state)
    if X.shape[1] == 0:
        ps_default, out_default = learner_presets("mean")
    ps_model = propensity_model if propensity_model is not None else ps_default
    out_model = outcome_model if outcome_model is not None else out_default

    thetas, ses, props = [], [], []
    keep_final = np.ones(len(y), dtype=bool)
    bounds: tuple[float, float] | None = None
    with threadpool_limits(1):
        for rep in range(n_rep):
            seed = None if random_state is None else random_state + rep
            e, g0, g1 = _cross_fit_irm(X, y, d, ps_model, out_model, n_folds, seed, estimand)
            e = np.clip(e, clip, 1 - clip) if clip > 0 else e
            keep = np.ones(len(y), dtype=bool)
            if trim is not None:
                alpha = crump_alpha(e) if trim == "crump" else _trim_threshold(trim)
                keep = (e >= alpha) & (e <= 1 - alpha)
                bounds = (alpha, 1 - alpha)
                if d[keep].sum() < 1 or (1 - d[keep]).sum() < 1:
                    raise ValueError(f"trimming at {bounds} leaves no treated or no control rows")
            psi_a, psi_b = _irm_score(y[keep], d[keep], e[keep], g0[keep], g1[keep], estimand)
            theta, se = _score_se(psi_a, psi_b)
            thetas.append(theta)
            ses.append(se)
            props.append(e)
            if rep == 0:
                keep_final = keep
    theta, se = _dml_aggregate(np.array(thetas), np.array(ses))
    e0 = props[0]
    res = DoublyRobustResult.from_normal(
        "doubly_robust", estimand, theta, se, level=level, n_obs=int(keep_final.sum()),
        details=dict(covariates_used=used, covariates_dropped=dropped, n_folds=n_folds,
                     n_rep=n_rep, learners=(repr(ps_model), repr(out_model)), clip=clip,
                     estimates_by_rep=thetas),
    )
    res.propensity = e0[keep_final]
    res.treatment = d[keep_final]
    res.overlap = overlap_table(res.propensity, res.treatment, estimand)
    res.trim_bounds = bounds
    res.n_trimmed = int((~keep_final).sum())
    res.outcome_label = outcome
    return res


def _trim_threshold(trim: Any) -> float:
    try:
        a = float(trim)
    except (TypeError, ValueError):
        raise ValueError(f"trim must be None, 'crump' or a float in (0, 0.5), got {trim!r}") from None
    if not 0 < a < 0.5:
        raise ValueError(f"trim threshold must be in (0, 0.5), got {a}")
    return a


def _cross_fit_irm(X, y, d, ps_model, out_model, n_folds, seed, estimand):
    n = len(y)
    e, g0, g1 = np.empty(n), np.empty(n), np.zeros(n)
    for train, test in _folds(d, n_folds, seed, stratify=True):
        m = _with_seed(ps_model, seed).fit(X[train], d[train])
        e[test] = _predict_proba(m, X[test])
        c = train[d[train] == 0]
        g0[test] = _with_seed(out_model, seed).fit(X[c], y[c]).predict(X[test])
        if estimand == "ATE":
            t = train[d[train] == 1]
            g1[test] = _with_seed(out_model, seed).fit(X[t], y[t]).predict(X[test])
    return e, g0, g1


def _irm_score(y, d, e, g0, g1, estimand):
    """DoubleML IRM score elements (psi_a, psi_b)."""
    if estimand == "ATE":
        psi_b = g1 - g0 + d * (y - g1) / e - (1 - d) * (y - g0) / (1 - e)
        return -np.ones_like(y), psi_b
    p = d.mean()
    psi_b = d * (y - g0) / p - e * (1 - d) * (y - g0) / (p * (1 - e))
    return -d / p, psi_b


def dml_plr(
    df: pd.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Sequence[str],
    learners: str = "linear",
    outcome_model: BaseEstimator | None = None,
    treatment_model: BaseEstimator | None = None,
    n_folds: int = 5,
    n_rep: int = 1,
    level: float = 0.95,
    random_state: int | None = 0,
) -> DMLResult:
    """Partially linear model ``Y = theta·D + g(X) + e`` by double machine learning.

    Partialling-out score of Chernozhukov et al. (2018, section 4.1; Robinson 1988):
    ``psi = (Y − l(X) − theta·(D − m(X)))·(D − m(X))`` with ``l(X) = E[Y|X]``, ``m(X) = E[D|X]``
    cross-fitted, so ``theta = Σ(D−m)(Y−l) / Σ(D−m)²`` and the SE comes from the score.
    ``D`` may be binary (then ``m`` is a classifier's probability) or continuous. Under effect
    heterogeneity ``theta`` is a variance-weighted average of effects, not the ATT.

    Args: as :func:`doubly_robust`; ``outcome_model`` fits ``l``, ``treatment_model`` fits ``m``.

    Raises:
        ValueError: missing columns/values, non-numeric outcome or treatment, constant treatment.
    """
    if not isinstance(n_folds, int) or n_folds < 2:
        raise ValueError(f"n_folds must be an integer >= 2, got {n_folds!r}")
    y = _numeric_column(df, outcome, "outcome")
    d = _numeric_column(df, treatment, "treatment")
    if np.ptp(d) == 0:
        raise ValueError(f"treatment column {treatment!r} is constant; its effect is not identified")
    binary = bool(np.isin(d, (0.0, 1.0)).all())
    X, used, dropped = design_matrix(df, covariates)
    ps_default, out_default = learner_presets(learners if X.shape[1] else "mean", random_state)
    l_model = outcome_model if outcome_model is not None else out_default
    if treatment_model is not None:
        m_model = treatment_model
    else:
        m_model = ps_default if binary else clone(out_default)
    thetas, ses, r2s = [], [], []
    with threadpool_limits(1):
        for rep in range(n_rep):
            seed = None if random_state is None else random_state + rep
            l_hat, m_hat = np.empty(len(y)), np.empty(len(y))
            for train, test in _folds(d, n_folds, seed, stratify=binary):
                l_hat[test] = _with_seed(l_model, seed).fit(X[train], y[train]).predict(X[test])
                mm = _with_seed(m_model, seed).fit(X[train], d[train])
                m_hat[test] = _predict_proba(mm, X[test]) if binary and hasattr(mm, "predict_proba") \
                    else mm.predict(X[test])
            u, v = y - l_hat, d - m_hat
            theta, se = _score_se(-(v ** 2), u * v)
            thetas.append(theta)
            ses.append(se)
            r2s.append((1 - np.var(u) / np.var(y), 1 - np.var(v) / np.var(d)))
    theta, se = _dml_aggregate(np.array(thetas), np.array(ses))
    res = DMLResult.from_normal(
        "dml_plr", "theta (partially linear)", theta, se, level=level, n_obs=len(y),
        details=dict(covariates_used=used, covariates_dropped=dropped, n_folds=n_folds,
                     n_rep=n_rep, learners=(repr(l_model), repr(m_model)),
                     estimates_by_rep=thetas))
    res.r2_outcome, res.r2_treatment = (float(x) for x in r2s[0])
    return res


def normal_interval(estimate: float, std_error: float, level: float = 0.95) -> tuple[float, float]:
    """``estimate ± z·std_error`` (helper for callers that combine estimates)."""
    z = float(stats.norm.ppf(0.5 + level / 2))
    return estimate - z * std_error, estimate + z * std_error


def account_outcomes(accounts: pd.DataFrame, opportunities: pd.DataFrame,
                     start: str = "start_period") -> pd.DataFrame:
    """Account-level frame for :func:`doubly_robust`: the accounts table plus ``revenue`` (sum of
    the account's *won* opportunities' revenue, 0 if none) and, when the accounts table has a
    ``start`` date column, ``start_month`` (months since the earliest start, a numeric confounder:
    later journeys are likelier to run integrated and have less time to close).

    Raises:
        ValueError: missing ``account_id`` / ``outcome`` / ``revenue`` columns, or won opportunities
            whose account is not in ``accounts``.
    """
    for name, frame, cols in (("accounts", accounts, ["account_id"]),
                              ("opportunities", opportunities, ["account_id", "outcome", "revenue"])):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} lacks columns {missing}")
    won = opportunities[opportunities["outcome"] == "won"]
    unknown = ~won["account_id"].isin(accounts["account_id"])
    if unknown.any():
        n = int(won.loc[unknown, "account_id"].nunique())  # ids identify customers: count only
        raise ValueError(f"{int(unknown.sum())} won opportunities belong to {n} accounts that "
                         "are not in the accounts table; add them to it (the account-level "
                         "comparison needs every won deal's account)")
    rev = won.groupby("account_id")["revenue"].sum()
    out = accounts.copy()
    out["revenue"] = out["account_id"].map(rev).fillna(0.0).astype(float)
    if start in out.columns:
        s = pd.to_datetime(out[start])
        months = s.dt.year * 12 + s.dt.month
        out["start_month"] = (months - months.min()).astype(float)
    return out
