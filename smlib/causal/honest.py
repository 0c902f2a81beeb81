"""Sensitivity of an event study to violations of parallel trends (HonestDiD) and pre-test power.

* :func:`honest_did` — Rambachan & Roth (2023, Rev. Econ. Stud. 90(5)) robust confidence sets for
  ``theta = l_vec' tau_post`` (default: the first post-period effect, as R ``HonestDiD``; pass
  ``l_vec`` for the average) when the post-treatment violation ``delta_post`` is restricted to

  - ``"smoothness"``: ``Delta^SD(M)``, the slope of ``delta`` changes by at most ``M`` between
    consecutive periods. Interval: the fixed-length CI (FLCI) of R
    ``createSensitivityResults(method = "FLCI")``: the affine estimator ``v' beta`` minimising the
    half-length ``h * cv_alpha(M * bias(h) / h)`` over its standard deviation ``h``, with
    ``bias(h)`` the worst-case bias and ``cv_alpha(t)`` the ``1 - alpha`` quantile of
    ``|N(t, 1)|`` (computed exactly; R simulates it with 10^6 draws). R nests a bisection over
    ``h`` and cone programs; here one smooth SLSQP program over the estimator's weights gives the
    same optimum (see ``_FLCI.solve``).
  - ``"relative_magnitude"``: ``Delta^RM(Mbar)``, each post-period change of ``delta`` is at most
    ``Mbar`` times the largest pre-period change. Interval: the conditional-least-favourable
    hybrid ("C-LF", R ``createSensitivityResults_relativeMagnitudes`` default) of Andrews, Roth &
    Pakes (2023): for every location and sign of the largest pre-period change, the moment
    inequalities ``A delta <= 0`` (post-period rows only, ``postPeriodMomentsOnly = TRUE``) are
    tested at each ``theta`` of R's grid (1,000 points over ``+-20`` standard errors of
    ``l_vec' beta_post``) with the ARP conditional test, the nuisance post-period effects
    profiled out by linear programming (``scipy.optimize.linprog``, HiGHS), after a
    least-favourable first stage of size ``kappa = alpha / 10`` (1,000 draws, numpy's RNG instead
    of R's, so the critical value differs by simulation noise); the set is the union over
    locations and signs, reported as its smallest and largest accepted grid points. The
    degenerate case (binding moments not in general position) uses the dual bisection of R's
    ``.vlo_vup_dual_fn``.

  ``HonestResult.breakdown()`` is the smallest ``M`` / ``Mbar`` whose robust set includes 0.
* :func:`pretrend_power` and :func:`slope_for_power` — Roth (2022, AER: Insights 4(3)), R
  ``pretrends``: the probability that the pre-test "some pre-period coefficient is individually
  significant at ``|t| > 1.96``" rejects under a hypothesised violation (multivariate normal
  rectangle probability), and the linear slope it detects with a given power.

Inputs are an event study's coefficients ``betahat`` (pre periods first, the reference period
left out) and covariance ``sigma``: raw arrays, or :func:`event_study_inputs` from a
:class:`~smlib.causal.sunab.SunAbrahamResult`, a TWFE event study
(:func:`~smlib.causal.twfe.twfe_did` with relative-time dummies) or an aggregation result that
carries ``details["vcov"]``.

Departures from R, all checked on the README examples (tests/test_causal_honest.py): the C-LF
set is found by testing every 10th grid point, then every grid point between the outermost
accepted ones and their rejected neighbours (R tests all 1,000; ``coarse_step=1`` does the same;
on report 02's event study both give the same set); one least-favourable simulation serves both
signs of the largest pre-period change (their statistics have the same distribution). Exact
shortcuts, no change to the result: the simulated LPs reuse dual vertices and only the draws
that can reach the ``1 - kappa`` quantile are solved (``_eta_many``); grid points whose
dual-vertex lower bound of ``eta`` exceeds the critical value are rejected without an LP; the
truncation bounds of degenerate cases maximise over the enumerated dual vertices when there are
few (``_dual_vertices``) instead of solving one LP per bisection step. An LP HiGHS cannot solve
(scipy's "HiGHS Status 0") is retried with the other HiGHS algorithms and row by row, and if
still unsolved that grid point is not rejected (R solves with Rglpk and reports the test's
outcome instead of stopping). Speed: about 0.15 s per ``Mbar`` on a 6 x 6 event study and
0.4-0.6 s on 12 x 12 (was 3-6 s). ``pretrend_power(test="wald")`` adds the joint Wald
pre-test (non-central chi-squared) to R's individual-significance pre-test.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from itertools import combinations
from math import comb
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, sparse, special, stats
from threadpoolctl import threadpool_limits

from smlib.causal.plots import honest_plot
from smlib.causal.results import EstimateResult
from smlib.presentation.catalogue import text
from smlib.presentation.settings import validate_language

Restriction = Literal["relative_magnitude", "smoothness"]


# ---------------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EventStudyInputs:
    """An event study as HonestDiD reads it: ``betahat`` (pre periods first, then post; the
    reference period left out), its covariance ``sigma`` and the relative periods."""

    betahat: np.ndarray
    sigma: np.ndarray
    num_pre: int
    num_post: int
    event_times: tuple[int, ...] = ()


def _check(betahat: Any, sigma: Any, num_pre: int, num_post: int) -> tuple[np.ndarray, np.ndarray]:
    b = np.asarray(betahat, dtype=float).ravel()
    S = np.asarray(sigma, dtype=float)
    if S.shape != (b.size, b.size):
        raise ValueError(f"sigma must be {b.size} x {b.size}, got {S.shape}")
    if num_pre < 1 or num_post < 1 or num_pre + num_post != b.size:
        raise ValueError(f"num_pre ({num_pre}) + num_post ({num_post}) must equal the "
                         f"{b.size} coefficients, each at least 1")
    if not np.all(np.isfinite(b)) or not np.all(np.isfinite(S)):
        raise ValueError("betahat and sigma must be finite")
    return b, (S + S.T) / 2


def event_study_inputs(
    source: Any, terms: dict[str, int] | None = None, reference: int = -1,
    max_pre: int | None = None, max_post: int | None = None,
) -> EventStudyInputs:
    """``betahat``, ``sigma`` and the period counts of an event study.

    Args:
        source: a :class:`~smlib.causal.sunab.SunAbrahamResult` (the interaction-weighted
            event study; its covariance from the cohort cells, as the HonestDiD README's
            ``sunab_beta_vcv``), a TWFE result with a ``vcov`` frame (then ``terms`` maps each
            event-study coefficient to its relative period), an object with an event-study
            ``table`` / ``event_study`` frame and ``details["vcov"]``, or an
            :class:`EventStudyInputs`.
        terms: coefficient name -> relative period, for TWFE results.
        reference: the omitted relative period (left out if present).
        max_pre, max_post: keep only the last ``max_pre`` pre periods and the first ``max_post``
            post periods (default: all).

    Pre periods are the relative periods below ``reference``, post periods those from
    ``reference + 1`` on; the periods must be consecutive on each side.
    """
    if isinstance(source, EventStudyInputs):
        return source
    if terms is not None:
        V = source.vcov.loc[list(terms), list(terms)].to_numpy(dtype=float)
        b = source.coefficients.set_index("term").loc[list(terms), "estimate"].to_numpy(float)
        e = np.array(list(terms.values()), dtype=int)
    elif hasattr(source, "cohort_effects") and hasattr(source, "vcov"):
        cells = source.cohort_effects
        ce, w = cells["event_time"].to_numpy(int), cells["weight"].to_numpy(float)
        e = np.unique(ce)
        A = (ce[None, :] == e[:, None]) * w[None, :]
        A = A / A.sum(axis=1, keepdims=True)
        b, V = A @ cells["estimate"].to_numpy(float), A @ np.asarray(source.vcov) @ A.T
    else:
        table = getattr(source, "table", None)
        if table is None or getattr(table, "empty", True):
            table = getattr(source, "event_study", None)
        vcov = getattr(source, "details", {}).get("vcov")
        if table is None or vcov is None:
            raise TypeError("event_study_inputs needs a Sun-Abraham result, a TWFE result with "
                            "terms=..., or an event study with details['vcov']; or pass "
                            "betahat, sigma, num_pre and num_post to honest_did")
        if getattr(source, "details", {}).get("base_period", "universal") != "universal":
            raise ValueError("HonestDiD needs an event study with a universal base period "
                             "(staggered_did(..., base_period='universal')), as R's honest_did")
        e = table["event_time"].to_numpy(int)
        b, V = table["estimate"].to_numpy(float), np.asarray(vcov, dtype=float)
    order = np.argsort(e)
    e, b, V = e[order], b[order], V[np.ix_(order, order)]
    keep = (e != reference) & (e >= reference - (max_pre or 10 ** 9)) \
        & (e <= reference + (max_post or 10 ** 9))
    e, b, V = e[keep], b[keep], V[np.ix_(keep, keep)]
    pre, post = e[e < reference], e[e > reference]
    if pre.size == 0 or post.size == 0:
        raise ValueError("the event study needs relative periods before and after the reference")
    if np.any(np.diff(pre) != 1) or np.any(np.diff(post) != 1) or pre[-1] != reference - 1 \
            or post[0] != reference + 1:
        raise ValueError(f"relative periods must be consecutive around {reference}, got {list(e)}")
    return EventStudyInputs(b, V, int(pre.size), int(post.size), tuple(int(x) for x in e))


# ---------------------------------------------------------------------------------------------
# Delta^SD: fixed-length confidence interval (R HonestDiD flci.R)
# ---------------------------------------------------------------------------------------------

def folded_normal_quantile(p: float, mu: float) -> float:
    """The ``p`` quantile of ``|N(mu, 1)|``."""
    mu = abs(float(mu))
    f = lambda c: stats.norm.cdf(c - mu) - stats.norm.cdf(-c - mu) - p  # noqa: E731
    return float(optimize.brentq(f, 0.0, mu + 10.0, xtol=1e-14))


class _FLCI:
    """The FLCI problem of one ``(sigma, num_pre, l_vec)``, in units of ``sd(l' beta_post)``."""

    def __init__(self, sigma: np.ndarray, num_pre: int, l_vec: np.ndarray) -> None:
        K, T = num_pre, l_vec.size
        self.scale = float(np.sqrt(l_vec @ sigma[K:, K:] @ l_vec))
        S = sigma / self.scale ** 2
        D = np.eye(K) - np.eye(K, k=-1)  # l_pre = D w
        self.D, self.K, self.l = D, K, l_vec
        self.Aq = D.T @ S[:K, :K] @ D
        self.bq = 2 * D.T @ S[:K, K:] @ l_vec
        self.cq = float(l_vec @ S[K:, K:] @ l_vec)
        t = np.arange(1, T + 1)
        self.total = float(t @ l_vec)  # sum(w) = sum_s s l_s
        self.const = float(sum(abs(np.arange(1, s + 1) @ l_vec[T - s:]) for s in range(1, T + 1))
                           - self.total)
        self.L = np.tril(np.ones((K, K)))
        self.h0 = self._sd(np.r_[np.zeros(K - 1), self.total])
        A2 = np.block([[2 * self.Aq, np.ones((K, 1))], [np.ones((1, K)), np.zeros((1, 1))]])
        sol = np.linalg.lstsq(A2, np.r_[-self.bq, self.total], rcond=None)[0]
        self.w_min = sol[:K]
        self.h_min = self._sd(self.w_min)

    def _sd(self, w: np.ndarray) -> float:
        return float(np.sqrt(max(w @ self.Aq @ w + self.bq @ w + self.cq, 0.0)))

    def solve(self, M: float, alpha: float) -> tuple[float, np.ndarray]:
        """Half-length (outcome units) and pre-period weights of the optimal FLCI.

        R bisects over ``h`` the half-length ``h cv(M bias(h) / h)``, each ``bias(h)`` a cone
        program. Since ``h cv(b / h)`` increases in ``h`` (its derivative ``cv(t) - t cv'(t)`` is
        positive), the same optimum is found in one smooth program over ``(U, w)``: minimise
        ``sd(w) cv(M (const + sum U) / sd(w))`` with ``U >= |cumsum w|`` and ``sum w`` fixed,
        started from the two ends of R's bracket (least variance, least bias); the gradient of
        ``cv`` is analytic (implicit function of the folded-normal distribution function)."""
        M = M / self.scale  # the problem is in units of sd(l' beta_post)
        z = stats.norm.ppf(1 - alpha / 2)
        if M == 0:
            return z * self.h_min * self.scale, self.D @ self.w_min
        K, L = self.K, self.L
        p = 1 - alpha

        def f(x: np.ndarray) -> tuple[float, np.ndarray]:
            w, U = x[K:], x[:K]
            q = w @ self.Aq @ w + self.bq @ w + self.cq
            sd = np.sqrt(max(q, 1e-300))
            bias = self.const + U.sum()
            t = M * bias / sd
            c = folded_normal_quantile(p, t)
            dc = ((stats.norm.pdf(c - t) - stats.norm.pdf(c + t))
                  / (stats.norm.pdf(c - t) + stats.norm.pdf(c + t)))
            dsd = (2 * self.Aq @ w + self.bq) / (2 * sd)
            gU = np.full(K, sd * dc * M / sd)
            gw = dsd * (c - dc * t)
            return sd * c, np.r_[gU, gw]

        cons = [
            {"type": "ineq", "fun": lambda x: np.r_[x[:K] - L @ x[K:], x[:K] + L @ x[K:]],
             "jac": lambda x: np.block([[np.eye(K), -L], [np.eye(K), L]])},
            {"type": "eq", "fun": lambda x: np.array([x[K:].sum() - self.total]),
             "jac": lambda x: np.r_[np.zeros(K), np.ones(K)][None, :]},
        ]
        best = None
        for w0 in (self.w_min, np.r_[np.zeros(K - 1), self.total]):
            x0 = np.r_[np.abs(L @ w0) + 1e-9, w0]
            with threadpool_limits(limits=1):  # BLAS threads slow SLSQP's small solves ~10x
                res = optimize.minimize(f, x0, jac=True, constraints=cons, method="SLSQP",
                                        options={"ftol": 1e-11, "maxiter": 1000})
            val = f(res.x)[0]
            if best is None or val < best[0]:
                best = (val, res.x[K:])
        assert best is not None
        return best[0] * self.scale, self.D @ best[1]


def flci(
    betahat: Any, sigma: Any, num_pre: int, num_post: int, M: float = 0.0,
    l_vec: Any = None, alpha: float = 0.05,
) -> tuple[float, float]:
    """Fixed-length confidence interval for ``l_vec' tau_post`` under ``Delta^SD(M)`` (R
    ``findOptimalFLCI``); returns ``(lb, ub)``."""
    b, S = _check(betahat, sigma, num_pre, num_post)
    lv = _l_vec(l_vec, num_post)
    half, v_pre = _FLCI(S, num_pre, lv).solve(float(M), alpha)
    centre = float(v_pre @ b[:num_pre] + lv @ b[num_pre:])
    return centre - half, centre + half


def _l_vec(l_vec: Any, num_post: int) -> np.ndarray:
    if l_vec is None:
        return np.eye(num_post)[0]
    lv = np.asarray(l_vec, dtype=float).ravel()
    if lv.size != num_post:
        raise ValueError(f"l_vec must have num_post = {num_post} entries, got {lv.size}")
    return lv


# ---------------------------------------------------------------------------------------------
# Delta^RM: ARP conditional / least-favourable hybrid test (R deltarm.R, arp-nuisance.R)
# ---------------------------------------------------------------------------------------------

def _a_rm(K: int, T: int, Mbar: float, s: int, positive: bool) -> np.ndarray:
    """R ``.create_A_RM`` (zero rows dropped, reference column dropped)."""
    n = K + T
    At = np.zeros((n, n + 1))
    for r in range(n):
        At[r, r:r + 2] = (-1, 1)
    v = np.zeros(n + 1)
    v[K + s - 1:K + s + 1] = (-1, 1)
    if not positive:
        v = -v
    A_ub = np.vstack([np.tile(v, (K, 1)), np.tile(Mbar * v, (T, 1))])
    A = np.vstack([At - A_ub, -At - A_ub])
    A = A[(A ** 2).sum(axis=1) > 1e-10]
    return np.delete(A, K, axis=1)


def _gamma(l_vec: np.ndarray) -> np.ndarray:
    """R ``.construct_Gamma``: an invertible matrix whose first row is ``l_vec``."""
    T = l_vec.size
    rows = [l_vec]
    for j in range(T):
        cand = np.vstack(rows + [np.eye(T)[j]])
        if np.linalg.matrix_rank(cand) == len(rows) + 1:
            rows.append(np.eye(T)[j])
        if len(rows) == T:
            break
    return np.vstack(rows)


def _eta_lp_batch(Y: np.ndarray, X: np.ndarray, sd: np.ndarray, method: str
                  ) -> tuple[np.ndarray, np.ndarray] | None:
    """One separable LP for all rows of ``Y`` (None when the solver fails)."""
    n, m = Y.shape
    k = X.shape[1]
    C = -np.hstack([sd[:, None], X])  # C z <= -y
    Cs = sparse.kron(sparse.eye(n), sparse.csr_matrix(C), format="csr")
    c = np.tile(np.r_[1.0, np.zeros(k)], n)
    res = optimize.linprog(c, A_ub=Cs, b_ub=-Y.ravel(), bounds=(None, None), method=method)
    if res.status != 0 or res.x is None or res.ineqlin is None:
        return None
    z = res.x.reshape(n, k + 1)
    return z[:, 0], -res.ineqlin.marginals.reshape(n, m)


def _eta_lps(Y: np.ndarray, X: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``eta_b = min_delta max_i (Y_bi - X_i delta) / sd_i`` for every row ``b`` of ``Y``, solved
    as one separable LP; returns ``eta`` and the duals ``lambda`` (``n x m``).

    HiGHS occasionally stops without a status (scipy: "HiGHS Status 0") or with numerical
    difficulties on the stacked LP: it is then retried with the other HiGHS algorithms
    (interior point, dual simplex), and row by row. A row no algorithm solves gets ``eta = NaN``
    and zero duals; the test then does not reject there (R's ``.lp_conditional_test_fn``
    returns the LP's outcome rather than stopping, and a failed LP never rejects)."""
    n, m = Y.shape
    for method in ("highs", "highs-ipm", "highs-ds"):
        out = _eta_lp_batch(Y, X, sd, method)
        if out is not None:
            return out
    eta, lam = np.full(n, np.nan), np.zeros((n, m))
    if n > 1:
        for i in range(n):
            eta[i:i + 1], lam[i:i + 1] = _eta_lps(Y[i:i + 1], X, sd)
    return eta, lam


def _eta_many(Y: np.ndarray, X: np.ndarray, sd: np.ndarray, first: int = 16, chunk: int = 32,
              top: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``eta`` of :func:`_eta_lps` for many rows, exactly, by reusing dual vertices: every dual
    solution ``lambda`` (``lambda >= 0``, ``sd' lambda = 1``, ``X' lambda = 0``) gives the lower
    bound ``lambda' y``; the primal point solved from the best vertex's support gives an upper
    bound; rows where the two differ by more than 1e-9 (relative) are solved by LP and their
    duals join the vertex set. Returns ``eta`` and an optimal dual ``lambda`` per row.

    With ``top = k > 0`` only the ``k`` largest values are needed exactly (a quantile): a row
    whose upper bound lies below the ``k``-th largest lower bound cannot be among them and keeps
    its lower bound (so the ``k`` largest values, hence any quantile above ``1 - k / n``, are
    exact; the other values are lower bounds)."""
    n = Y.shape[0]
    eta = np.full(n, np.nan)
    done = np.zeros(n, dtype=bool)
    duals = np.zeros_like(Y)
    todo = np.arange(min(first, n))
    V = np.zeros((0, Y.shape[1]))
    W = np.hstack([sd[:, None], X])
    while True:
        if todo.size:
            e, lam = _eta_lps(Y[todo], X, sd)
            eta[todo] = e
            duals[todo] = lam
            done[todo] = True
            lam = lam[np.isfinite(e)]
            lam = np.where(lam > 1e-12, lam, 0.0)
            V = np.unique(np.vstack([V, lam]).round(12), axis=0)
        rest = np.flatnonzero(~done)
        if rest.size == 0:
            return eta, duals
        if V.shape[0] == 0:  # no LP solved yet (all failed): solve the next batch
            todo = rest[:chunk]
            continue
        vals = Y[rest] @ V.T
        best = np.argmax(vals, axis=1)
        lower = vals[np.arange(rest.size), best]
        upper = np.empty(rest.size)
        for v in np.unique(best):
            rows = np.flatnonzero(best == v)
            B = V[v] > 0
            z = np.linalg.lstsq(W[B], Y[rest[rows]][:, B].T, rcond=None)[0]
            upper[rows] = np.max((Y[rest[rows]] - (X @ z[1:]).T) / sd, axis=1)
        ok = upper - lower <= 1e-9 * np.maximum(1.0, np.abs(upper))
        if 0 < top <= n:
            known = np.where(done, eta, -np.inf)
            known[rest] = lower
            cut = np.partition(np.nan_to_num(known, nan=-np.inf), n - top)[n - top]
            ok |= upper < cut
        eta[rest[ok]] = lower[ok]
        duals[rest[ok]] = V[best[ok]]
        done[rest[ok]] = True
        todo = rest[~ok] if ok.mean() < 0.5 else rest[~ok][:chunk]  # few hits: one batch LP


def _lf_cv(X: np.ndarray, sigma: np.ndarray, kappa: float, sims: int, seed: int) -> float:
    """The least-favourable critical value: the ``1 - kappa`` quantile of ``eta`` over ``sims``
    draws of ``N(0, sigma)`` (R ``.compute_least_favorable_cv``; numpy's RNG). Only the draws
    that can reach the quantile are solved exactly (``_eta_many(top=...)``)."""
    rng = np.random.default_rng(seed)
    xi = rng.multivariate_normal(np.zeros(sigma.shape[0]), sigma, size=sims, method="svd")
    top = int(np.floor(kappa * (sims - 1))) + 2  # np.quantile's (linear) two order statistics
    eta, _ = _eta_many(xi, X, np.sqrt(np.diag(sigma)), top=top)
    if np.isnan(eta).all():  # no LP solved (see _eta_lps): no first-stage rejection
        return float("inf")
    return float(np.nanquantile(eta, 1 - kappa))


def _trunc_norm_quantile(p: float, lo: float, hi: float) -> float:
    """The ``p`` quantile of ``N(0, 1)`` truncated to ``[lo, hi]`` (``scipy.stats.truncnorm.ppf``
    to ~1e-14, 40 times faster): in log space on the lower side of the normal, reflecting an
    interval above 0 (``lo`` when the interval is empty)."""
    if not lo < hi:
        return lo
    if lo > 0:
        return -_trunc_norm_quantile(1 - p, -hi, -lo)
    if p <= 0 or p >= 1:
        return lo if p <= 0 else hi
    la, lb = special.log_ndtr(lo), special.log_ndtr(hi)
    lq = np.logaddexp(la + np.log1p(-p), lb + np.log(p))
    return float(np.clip(special.ndtri_exp(lq), lo, hi))


def _dual_vertices(W: np.ndarray, limit: int = 5000) -> np.ndarray | None:
    """All vertices of ``{x >= 0, W' x = e_1}`` (the dual polytope of the ``eta`` LP; bounded,
    as ``W[:, 0] = sd > 0``) by enumerating the bases, or None when there are more than
    ``limit`` of them (then :func:`_max_program` solves LPs)."""
    m, r = W.shape
    if m < r or comb(m, r) > limit:
        return None
    S = np.array(list(combinations(range(m), r)))
    B = np.transpose(W[S], (0, 2, 1))  # W[S]' per basis
    ok = np.abs(np.linalg.det(B)) > 1e-12
    e1 = np.zeros(r)
    e1[0] = 1
    xs = np.linalg.solve(B[ok], np.broadcast_to(e1, (int(ok.sum()), r))[..., None])[..., 0]
    feas = np.all(xs >= -1e-12, axis=1)
    V = np.zeros((int(feas.sum()), m))
    np.put_along_axis(V, S[ok][feas], np.maximum(xs[feas], 0.0), axis=1)
    return V


def _max_program(s_T: np.ndarray, g: np.ndarray, sigma: np.ndarray, W: np.ndarray, c: float,
                 vertices: np.ndarray | None = None) -> tuple[float, np.ndarray | None]:
    """``max f' x`` over ``{x >= 0, W' x = e_1}``, ``f = s_T + sigma g / (g' sigma g) c``: over
    the polytope's ``vertices`` when given (exact, no LP), else by LP."""
    f = s_T + (sigma @ g) / float(g @ sigma @ g) * c
    if vertices is not None:
        if vertices.shape[0] == 0:
            return float("nan"), None
        vals = vertices @ f
        j = int(np.argmax(vals))
        return float(vals[j]), vertices[j]
    beq = np.zeros(W.shape[1])
    beq[0] = 1
    res = optimize.linprog(-f, A_eq=W.T, b_eq=beq, bounds=(0, None), method="highs")
    if res.status != 0:
        return float("nan"), None
    return float(-res.fun), res.x


def _vlo_vup_dual(eta: float, s_T: np.ndarray, g: np.ndarray, sigma: np.ndarray, W: np.ndarray
                  ) -> tuple[float, float]:
    """R ``.vlo_vup_dual_fn``: the truncation bounds by bisection on the dual LP."""
    tol_c, tol_eq = 1e-6, 1e-6
    sB = float(np.sqrt(g @ sigma @ g))
    b = (sigma @ g) / float(g @ sigma @ g)

    vertices = _dual_vertices(W)

    def is_sol(c: float) -> tuple[bool, np.ndarray | None]:
        val, x = _max_program(s_T, g, sigma, W, c, vertices)
        return bool(np.isfinite(val) and abs(c - val) <= tol_eq), x

    ok, _ = is_sol(eta)
    if not ok:
        return eta, np.inf
    bounds = []
    for start, up in ((max(100, eta + 20 * sB), True), (min(-100, eta - 20 * sB), False)):
        ok, x = is_sol(start)
        if ok:
            bounds.append(np.inf if up else -np.inf)
            continue
        mid, iters, dif = start, 1, 0.0
        while x is not None:
            num = float(x @ s_T)
            num = 0.0 if abs(num) < np.finfo(float).eps ** 0.75 else num
            mid = num / (1 - float(x @ b))
            ok, x = is_sol(mid)
            iters += 1
            if ok:
                break
            if iters >= 10:
                dif = tol_c + 1
                break
        lo, hi = (eta, mid) if up else (mid, eta)
        dif = max(dif, hi - lo) if dif else 0.0
        while dif > tol_c and iters < 10_000:
            iters += 1
            mid = (lo + hi) / 2
            if is_sol(mid)[0] == up:
                lo = mid
            else:
                hi = mid
            dif = hi - lo
        bounds.append(mid)
    return bounds[1], bounds[0]


def _conditional_reject(y: np.ndarray, X: np.ndarray, sigma: np.ndarray, eta: float,
                        lam: np.ndarray, alpha: float, kappa: float, lf_cv: float) -> bool:
    """The second (conditional) stage of the hybrid test, R ``.lp_conditional_test_fn``."""
    if eta > lf_cv:
        return True
    size = (alpha - kappa) / (1 - kappa)
    m, k = X.shape
    sd = np.sqrt(np.diag(sigma))
    B = lam > 1e-6
    degenerate = B.sum() != k + 1
    XB = X[B]
    full_rank = min(XB.shape) > 0 and np.linalg.matrix_rank(XB) == min(XB.shape) if k else True
    if not full_rank or degenerate:
        W = np.hstack([sd[:, None], X])
        g = lam
        s_T = y - (sigma @ g) * float(g @ y) / float(g @ sigma @ g) if g @ sigma @ g > 0 else y
        s2 = float(g @ sigma @ g)
        if abs(s2) < np.finfo(float).eps:
            return eta > 0
        vlo, vup = _vlo_vup_dual(eta, s_T, g, sigma, W)
        sB = np.sqrt(s2)
        stat, zlo, zup = eta / sB, vlo / sB, min(vup, lf_cv) / sB
    else:
        SB, SBc = np.eye(m)[B], np.eye(m)[~B]
        MB = np.linalg.inv(np.hstack([sd[B][:, None], XB]))
        GB = np.hstack([sd[~B][:, None], X[~B]]) @ MB @ SB - SBc
        vB = (MB[0] @ SB)
        s2 = float(vB @ sigma @ vB)
        sB = np.sqrt(s2)
        rho = GB @ sigma @ vB / s2
        mm = -(GB @ y) / np.where(rho != 0, rho, np.nan) + float(vB @ y)
        vlo = np.max(mm[rho > 0]) if np.any(rho > 0) else -np.inf
        vup = np.min(mm[rho < 0]) if np.any(rho < 0) else np.inf
        stat, zlo, zup = eta / sB, vlo / sB, min(vup, lf_cv) / sB
    if not (zlo <= stat <= zup):
        return False
    return bool(stat > max(0.0, _trunc_norm_quantile(1 - size, zlo, zup)))


def rm_conditional_ci(
    betahat: Any, sigma: Any, num_pre: int, num_post: int, Mbar: float = 0.0,
    l_vec: Any = None, alpha: float = 0.05, grid_points: int = 1000,
    grid_lb: float | None = None, grid_ub: float | None = None, seed: int = 0,
    coarse_step: int = 10,
) -> tuple[float, float]:
    """C-LF confidence set for ``l_vec' tau_post`` under ``Delta^RM(Mbar)`` (R
    ``computeConditionalCS_DeltaRM(hybrid_flag = "LF")``), as ``(lb, ub)``: the smallest and
    largest accepted point of the grid (NaN if none), found by a pass over every
    ``coarse_step``-th grid point and bisection at the two edges (``coarse_step=1``: every
    point, as R). See the module docstring."""
    b, S = _check(betahat, sigma, num_pre, num_post)
    K, T = num_pre, num_post
    lv = _l_vec(l_vec, T)
    sd_theta = float(np.sqrt(lv @ S[K:, K:] @ lv))
    with threadpool_limits(limits=1):  # small dense algebra: BLAS threads only add overhead
        return _rm_ci(b, S, K, T, Mbar, lv, alpha, grid_points, grid_lb, grid_ub, seed,
                      coarse_step, sd_theta)


def _rm_ci(b: np.ndarray, S: np.ndarray, K: int, T: int, Mbar: float, lv: np.ndarray,
           alpha: float, grid_points: int, grid_lb: float | None, grid_ub: float | None,
           seed: int, coarse_step: int, sd_theta: float) -> tuple[float, float]:
    """The body of :func:`rm_conditional_ci`."""
    lo = -20 * sd_theta if grid_lb is None else grid_lb
    hi = 20 * sd_theta if grid_ub is None else grid_ub
    # R's LP tolerances are absolute: keep R's units unless sd(l' beta_post) is far from them
    # (revenue-sized outcomes), then work in units of sd(l' beta_post) (the test is otherwise
    # scale-invariant)
    unit = sd_theta if (sd_theta > 1 or sd_theta < 1e-4) else 1.0
    b, S = b / unit, S / unit ** 2
    grid = np.linspace(lo, hi, grid_points) / unit
    kappa = alpha / 10
    Ginv = np.linalg.inv(_gamma(lv))
    combos = []
    for s in range(-(K - 1), 1):
        for positive in (True, False):
            A = _a_rm(K, T, Mbar, s, positive)
            A = A[np.any(A[:, K:] != 0, axis=1)]
            AG = A[:, K:] @ Ginv
            SY = A @ S @ A.T
            # the negative-sign moments are minus the positive ones (rows swapped), so their
            # least-favourable statistic has the same distribution: one simulation serves both
            if positive:
                lf_cv = _lf_cv(AG[:, 1:], SY, kappa, 1000, seed)
            combos.append((AG[:, 0], AG[:, 1:], A @ b, SY, np.sqrt(np.diag(SY)), lf_cv))
    # dual vertices met so far, per combination: ``max_v v' y`` is a lower bound of ``eta``, so a
    # grid point whose bound exceeds the critical value is rejected by the first stage without
    # an LP (exact; the points left are solved by LP as before)
    verts: list[np.ndarray] = [np.zeros((0, c[1].shape[0])) for c in combos]

    def accepted(idx: np.ndarray) -> np.ndarray:
        """The union over locations and signs of the tests' acceptance at grid points ``idx``."""
        acc = np.zeros(idx.size, dtype=bool)
        for c, (a1, X, Y, SY, sd, lf_cv) in enumerate(combos):
            todo = np.flatnonzero(~acc)
            if todo.size == 0:
                break
            Yg = Y[None, :] - grid[idx[todo], None] * a1[None, :]
            if verts[c].shape[0]:
                lower = (Yg @ verts[c].T).max(axis=1)
                keep = lower <= lf_cv + 1e-8 * max(1.0, abs(lf_cv))
                todo, Yg = todo[keep], Yg[keep]
                if todo.size == 0:
                    continue
            eta, lam = _eta_lps(Yg, X, sd)
            good = np.where(lam[np.isfinite(eta)] > 1e-12, lam[np.isfinite(eta)], 0.0)
            verts[c] = np.unique(np.vstack([verts[c], good]).round(12), axis=0)
            for j, i in enumerate(todo):
                # an LP no HiGHS algorithm solves (NaN) does not reject (see _eta_lps)
                if not np.isfinite(eta[j]) or (
                        eta[j] <= lf_cv and not _conditional_reject(Yg[j], X, SY, eta[j], lam[j],
                                                                    alpha, kappa, lf_cv)):
                    acc[i] = True
        return acc

    # a coarse pass over every ``step``-th grid point, then all grid points between the outermost
    # accepted coarse points and their rejected neighbours, in one batch (the acceptance region
    # is taken to be an interval between coarse points; ``step=1`` is R's full grid)
    step = max(1, min(coarse_step, grid_points // 20))
    coarse = np.unique(np.r_[np.arange(0, grid_points, step), grid_points - 1])
    acc = accepted(coarse)
    if not acc.any():
        if step == 1:
            return float("nan"), float("nan")
        full = accepted(np.arange(grid_points))
        if not full.any():
            return float("nan"), float("nan")
        return float(grid[full].min() * unit), float(grid[full].max() * unit)
    first, last = np.flatnonzero(acc)[[0, -1]]
    lo_i, hi_i = int(coarse[first]), int(coarse[last])
    below = np.arange(coarse[first - 1] + 1, lo_i) if first > 0 else np.zeros(0, int)
    above = np.arange(hi_i + 1, coarse[last + 1]) if last < coarse.size - 1 else np.zeros(0, int)
    between = np.r_[below, above].astype(int)
    if between.size:
        inside = between[accepted(between)]
        lo_i = min(lo_i, int(inside.min())) if inside.size else lo_i
        hi_i = max(hi_i, int(inside.max())) if inside.size else hi_i
    grid = grid * unit
    if lo_i == 0 or hi_i == grid_points - 1:
        warnings.warn(f"the robust set at Mbar = {Mbar:g} reaches the end of the grid "
                      f"[{grid[0]:.4g}, {grid[-1]:.4g}]: it may be longer (as R's warning "
                      "'CI is open at one of the endpoints'); widen grid_lb / grid_ub",
                      UserWarning, stacklevel=3)
    return float(grid[lo_i]), float(grid[hi_i])


# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------

@dataclass
class HonestResult(EstimateResult):
    """Robust confidence sets of one event-study target for several sizes of violation.

    ``estimate``/``ci_*`` are the original (parallel-trends) estimate and interval of
    ``l_vec' tau_post``; ``robust`` has one row per ``M`` (``M`` or ``Mbar``): ``lb``, ``ub``,
    ``method`` (``"FLCI"`` or ``"C-LF"``), ``Delta`` (``"DeltaSD"`` / ``"DeltaRM"``).
    """

    restriction: str = "relative_magnitude"
    robust: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    inputs: EventStudyInputs | None = field(default=None, repr=False)
    l_vec: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    @property
    def parameter(self) -> str:
        """``"Mbar"`` for relative magnitudes, ``"M"`` for smoothness."""
        return "Mbar" if self.restriction == "relative_magnitude" else "M"

    def to_frame(self) -> pd.DataFrame:
        """One row per ``M`` / ``Mbar``: lb, ub, method, Delta and the parameter value."""
        return self.robust.copy()

    def breakdown(self, null: float = 0.0) -> float:
        """The smallest ``M`` / ``Mbar`` of :attr:`robust` whose robust set includes ``null``
        (NaN: it excludes ``null`` at every value computed; 0: already at the smallest)."""
        r = self.robust
        inc = (r["lb"] <= null) & (r["ub"] >= null) | r["lb"].isna()
        return float(r.loc[inc, self.parameter].min()) if inc.any() else float("nan")

    def summary(self, language: str = "en") -> str:
        """The original interval, the robust table and the breakdown sentence, in ``language``."""
        language = validate_language(language)
        pct = int(round(self.level * 100))
        lines = [text("uplift.plot.honest.summary_head", language, estimate=f"{self.estimate:.4g}",
                      pct=pct, lo=f"{self.ci_low:.4g}", hi=f"{self.ci_high:.4g}"),
                 self.robust.to_string(index=False, float_format=lambda v: f"{v:.4g}")]
        bd = self.breakdown()
        values = self.robust[self.parameter]
        if np.isnan(bd):
            key = "holds_all"
            x = f"{values.max():g}"
        elif bd <= values.min():
            key = "fails_all"
            x = f"{values.min():g}"
        else:
            key, x = "breaks", f"{values[values < bd].max():g}"
        lines.append(text(f"uplift.plot.honest.{self.restriction}_{key}", language, x=x))
        return "\n".join(lines)

    def plot(self, ax: Any = None, title: str | None = None, language: str = "en") -> Any:
        """Robust intervals against ``M`` / ``Mbar`` next to the original one; returns the Axes."""
        return honest_plot(self, ax=ax, title=title, language=language)


def honest_did(
    source: Any = None,
    restriction: Restriction = "relative_magnitude",
    m_values: Any = None,
    *,
    betahat: Any = None,
    sigma: Any = None,
    num_pre: int | None = None,
    num_post: int | None = None,
    l_vec: Any = None,
    alpha: float = 0.05,
    terms: dict[str, int] | None = None,
    max_pre: int | None = None,
    max_post: int | None = None,
    grid_points: int = 1000,
    seed: int = 0,
) -> HonestResult:
    """HonestDiD sensitivity analysis (Rambachan & Roth 2023) of an event study.

    Args:
        source: an event study (see :func:`event_study_inputs`); or leave it out and pass
            ``betahat``, ``sigma``, ``num_pre`` and ``num_post`` as R's
            ``createSensitivityResults``.
        restriction: ``"relative_magnitude"`` (``Delta^RM(Mbar)``, C-LF) or ``"smoothness"``
            (``Delta^SD(M)``, FLCI).
        m_values: the ``Mbar`` / ``M`` values; default R's: ``Mbar`` 0..2 in 10 steps, and for
            ``M`` ten steps up to the standard error of the first post-period effect.
        l_vec: weights of the post-period effects (default: the first; ``np.full(T, 1 / T)``
            for their average).
        alpha: 1 - confidence level.
        terms: coefficient name -> relative period, for TWFE results.
        max_pre, max_post: use only the last ``max_pre`` pre and first ``max_post`` post periods
            of ``source``.
        grid_points, seed: grid size and simulation seed of the C-LF test.

    Returns a :class:`HonestResult` (``to_frame()``: one row per value; ``breakdown()``).
    """
    if source is None:
        if betahat is None or sigma is None or num_pre is None or num_post is None:
            raise TypeError("pass an event study or betahat, sigma, num_pre and num_post")
        b, S = _check(betahat, sigma, int(num_pre), int(num_post))
        inp = EventStudyInputs(b, S, int(num_pre), int(num_post))
    else:
        inp = event_study_inputs(source, terms=terms, max_pre=max_pre, max_post=max_post)
    if restriction not in ("relative_magnitude", "smoothness"):
        raise ValueError(f"restriction must be 'relative_magnitude' or 'smoothness', got "
                         f"{restriction!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    K, T = inp.num_pre, inp.num_post
    lv = _l_vec(l_vec, T)
    est = float(lv @ inp.betahat[K:])
    se = float(np.sqrt(lv @ inp.sigma[K:, K:] @ lv))
    if m_values is None:
        m_values = (np.linspace(0, 2, 10) if restriction == "relative_magnitude"
                    else np.linspace(0, np.sqrt(inp.sigma[K, K]), 10))
    m_values = np.atleast_1d(np.asarray(m_values, dtype=float))
    if np.any(m_values < 0):
        raise ValueError("M / Mbar values must be non-negative")
    rows = []
    if restriction == "smoothness":
        prob = _FLCI(inp.sigma, K, lv)
        for M in m_values:
            half, v_pre = prob.solve(float(M), alpha)
            c = float(v_pre @ inp.betahat[:K] + est)
            rows.append({"lb": c - half, "ub": c + half, "method": "FLCI", "Delta": "DeltaSD",
                         "M": float(M)})
    else:
        for Mbar in m_values:
            lb, ub = rm_conditional_ci(inp.betahat, inp.sigma, K, T, float(Mbar), lv, alpha,
                                       grid_points, seed=seed)
            rows.append({"lb": lb, "ub": ub, "method": "C-LF", "Delta": "DeltaRM",
                         "Mbar": float(Mbar)})
    out = HonestResult.from_normal(
        "honest_did", "l_vec' tau_post", est, se, level=1 - alpha,
        details={"num_pre": K, "num_post": T, "event_times": inp.event_times},
        restriction=restriction, robust=pd.DataFrame(rows), inputs=inp, l_vec=lv)
    assert isinstance(out, HonestResult)
    return out


# ---------------------------------------------------------------------------------------------
# pre-trend power (Roth 2022, R pretrends)
# ---------------------------------------------------------------------------------------------

def _rect_prob(mean: np.ndarray, cov: np.ndarray, half: np.ndarray) -> float:
    """``P(-half <= X <= half)`` for ``X ~ N(mean, cov)``."""
    if mean.size == 1:
        s = np.sqrt(cov[0, 0])
        return float(stats.norm.cdf((half[0] - mean[0]) / s)
                     - stats.norm.cdf((-half[0] - mean[0]) / s))
    return float(stats.multivariate_normal.cdf(half, mean=mean, cov=cov, lower_limit=-half,
                                               abseps=1e-7, releps=1e-7, maxpts=20_000 * mean.size))


@dataclass(frozen=True)
class PretrendPower:
    """Power of the pre-test against a hypothesised violation ``deltatrue`` (R ``pretrends``).

    Attributes:
        power: probability that some pre-period coefficient has ``|t| > threshold``.
        bayes_factor: P(pass | deltatrue) / P(pass | parallel trends).
        likelihood_ratio: density of the observed pre-period coefficients under ``deltatrue``
            over that under parallel trends (NaN without ``betahat``).
        deltatrue: the hypothesised violation at each relative period of ``t_vec``.
    """

    power: float
    bayes_factor: float
    likelihood_ratio: float
    deltatrue: tuple[float, ...]
    t_vec: tuple[int, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row: power, bayes_factor, likelihood_ratio."""
        return pd.DataFrame([{"power": self.power, "bayes_factor": self.bayes_factor,
                              "likelihood_ratio": self.likelihood_ratio}])


def _pre(sigma: Any, t_vec: Any, reference: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    S = np.atleast_2d(np.asarray(sigma, dtype=float))
    t = np.asarray(t_vec, dtype=float).ravel()
    if S.shape != (t.size, t.size):
        raise ValueError(f"sigma must be {t.size} x {t.size} for {t.size} relative periods")
    pre = t < reference
    if not pre.any():
        raise ValueError("no relative period before the reference period")
    return S, t, pre


def _pass_prob(mean: np.ndarray, Sp: np.ndarray, test: str, threshold: float,
               alpha: float) -> float:
    """Probability that the pre-test does not reject when the pre coefficients are
    ``N(mean, Sp)``."""
    if test == "individual":
        return _rect_prob(mean, Sp, threshold * np.sqrt(np.diag(Sp)))
    if test == "wald":
        k = mean.size
        crit = stats.chi2.ppf(1 - alpha, k)
        nc = float(mean @ np.linalg.solve(Sp, mean))
        return float(stats.chi2.cdf(crit, k) if nc <= 0 else stats.ncx2.cdf(crit, k, nc))
    raise ValueError(f"test must be 'individual' or 'wald', got {test!r}")


def pretrend_power(
    sigma: Any, t_vec: Any, deltatrue: Any = None, slope: float | None = None,
    betahat: Any = None, reference: int = -1, threshold: float = 1.96,
    test: Literal["individual", "wald"] = "individual", alpha: float = 0.05,
) -> PretrendPower:
    """Power of the pre-test against a hypothesised violation (Roth 2022).

    ``test="individual"`` (R ``pretrends``): the pre-test rejects when any pre-period
    coefficient has ``|t| > threshold``; ``test="wald"``: the joint Wald test of all
    pre-period coefficients at level ``alpha`` (power from the non-central chi-squared).

    Args:
        sigma: covariance of the event-study coefficients (all of ``t_vec``).
        t_vec: relative period of each coefficient (the reference period left out).
        deltatrue: hypothesised violation at each period; or ``slope`` for the linear one
            ``slope * (t - reference)``.
        betahat: the estimated coefficients (for the likelihood ratio).
        reference: the omitted period.
        threshold: the individual pre-test's ``|t|`` cut-off.
        test, alpha: which pre-test (see above) and the Wald test's level.
    """
    S, t, pre = _pre(sigma, t_vec, reference)
    if deltatrue is None:
        if slope is None:
            raise TypeError("pass deltatrue or slope")
        deltatrue = slope * (t - reference)
    d = np.asarray(deltatrue, dtype=float).ravel()
    Sp = S[np.ix_(pre, pre)]
    pass_alt = _pass_prob(d[pre], Sp, test, threshold, alpha)
    pass_0 = _pass_prob(np.zeros(int(pre.sum())), Sp, test, threshold, alpha)
    lr = float("nan")
    if betahat is not None:
        bp = np.asarray(betahat, dtype=float).ravel()[pre]
        lr = float(np.exp(stats.multivariate_normal(d[pre], Sp).logpdf(bp)
                          - stats.multivariate_normal(np.zeros_like(bp), Sp).logpdf(bp)))
    return PretrendPower(1 - pass_alt, pass_alt / pass_0, lr, tuple(float(x) for x in d),
                         tuple(int(x) for x in t))


def slope_for_power(
    sigma: Any, t_vec: Any, target_power: float = 0.5, reference: int = -1,
    threshold: float = 1.96, test: Literal["individual", "wald"] = "individual",
    alpha: float = 0.05,
) -> float:
    """The slope of a linear violation the pre-test detects with ``target_power`` (R
    ``slope_for_power``; a magnitude, root of power(slope) - target on
    ``[0, 8 max se_pre]``); ``test`` and ``alpha`` as in :func:`pretrend_power`."""
    if not 0 < target_power < 1:
        raise ValueError(f"target_power must be in (0, 1), got {target_power}")
    S, t, pre = _pre(sigma, t_vec, reference)
    Sp = S[np.ix_(pre, pre)]
    rel = t[pre] - reference
    f = lambda b: 1 - _pass_prob(rel * b, Sp, test, threshold, alpha) - target_power  # noqa: E731
    hi = 8 * float(np.sqrt(np.diag(Sp)).max())
    if f(0.0) > 0 or f(hi) < 0:
        raise ValueError(f"power {target_power} is not reached on [0, {hi:g}]")
    return float(optimize.brentq(f, 0.0, hi, xtol=1e-10))
