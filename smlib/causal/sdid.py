"""Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021).

One block of treated units (one or several, all first treated at ``treatment_time``) is compared
with the control units. SDID reweights both dimensions:

* unit weights ``omega`` (on the simplex, with an intercept and a ridge penalty ``zeta_omega^2``)
  make the weighted controls' pre-period path parallel to the treated units' mean path;
* time weights ``lambda`` (simplex, intercept, tiny ridge) make the weighted pre-periods of the
  controls predictive of their post-period mean;

and the estimate is the weighted double difference
``tau = (ybar_tr,post - sum_t lambda_t ybar_tr,t)
- sum_i omega_i (ybar_i,post - sum_t lambda_t y_i,t)``.

Everything follows R ``synthdid`` (version of January 2024) exactly: the noise level is the
standard deviation of the controls' first differences over the pre-period,
``zeta_omega = (N1 * T1)^(1/4) * noise``, ``zeta_lambda = 1e-6 * noise``, weights by Frank-Wolfe
with exact line search (``sc.weight.fw``), stopped when the objective falls by less than
``(1e-5 * noise)^2``, 100 iterations, then sparsified (weights at or below a quarter of the largest
set to zero) and refined for up to 10,000 iterations. ``estimator="sc"`` and ``"did"`` give
synthdid's ``sc_estimate`` (no time weights, no intercept, ``eta_omega = 1e-6``) and
``did_estimate`` (uniform weights) for comparison.

The standard error is synthdid's placebo method (Algorithm 4 of the paper): the treated units are
dropped, ``N1`` controls are drawn at random as placebo treated units and the estimator (weights
re-fitted) is applied ``n_placebo`` times; ``se = sqrt((r - 1) / r) * sd(placebo estimates)``. It
needs more control than treated units and, with one treated unit, assumes the treated unit is
exchangeable with the controls (homoskedastic across units).

Checked against the synthdid package article on California's Proposition 99
(``tests/test_causal_sdid.py``): -15.60383 (and -19.61966 for ``"sc"``, -27.34911 for ``"did"``),
the printed unit and time weights; the placebo standard error equals diff-diff 3.13's
``SyntheticDiD`` with the same seed to 1e-8 (both draw ``numpy.random.default_rng(seed)``
permutations).

Speed: the weights are found by Frank-Wolfe in Gram form (``O(k)`` per step), in a loop compiled
by numba (``_fw_batch``, cached on disk after the first call, which compiles for about 1 s). The
placebo draws share one Gram matrix: each draw's unit-weight problem is written over all controls
with its own placebo-treated units masked out, so that a step reads one row of the shared Gram
matrix; a step is one pass that updates ``G x``, ``x`` and the gradient, then an argmin (the
gradient's inner product with ``x`` and the objective are running scalars). ``n_jobs=2`` splits the
draws over two threads (the compiled loop releases the GIL). The iterates are R's, step for step
(equal to rounding), so the number of steps is R's too: with many pre-periods every unit-weight
problem runs the full 10,000 steps of synthdid's stopping rule, which is what the 200 placebo draws
cost on 775 units x 40 periods: about 1.2 s (diff-diff's ``SyntheticDiD`` about 7.5 s, the
previous vectorised numpy version about 4 s, CPU time; ``benchmarks/bench_causal_modern.py``). No
algebra shortens a step further: the argmin needs the whole gradient, and keeping the residual
``A x`` instead of ``G x`` would make the gradient ``O(T0 k)`` per step. The unit weights are dense
there (the steps visit nearly every control), so an active-set shortcut does not apply either.

:func:`synthetic_did_staggered` is the staggered-adoption version: one SDID per adoption cohort
against the never-treated units, pooled with weights proportional to the cohorts' treated
unit-periods.

Reference: Arkhangelsky, D., Athey, S., Hirshberg, D. A., Imbens, G. W. & Wager, S. (2021).
Synthetic difference-in-differences. American Economic Review 111(12), 4088-4118.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

import numba
import numpy as np
import pandas as pd
from scipy import stats

from smlib.causal._panel import (
    ALWAYS, NEVER, PanelSpec, cohort_codes, first_items, numeric_column, panel_spec, period_labels,
    require_columns, require_frame, wide_panel,
)
from smlib.causal.plots import sdid_cohorts_plot, sdid_plot
from smlib.causal.results import EstimateResult

Estimator = Literal["sdid", "sc", "did"]
#: Smallest ``controls x placebo draws`` for which the placebo draws are solved in several threads.
_THREAD_MIN = 40_000


@dataclass
class SyntheticDiDResult(EstimateResult):
    """Result of :func:`synthetic_did`; ``estimate`` is the average effect on the treated block.

    Attributes:
        unit_weights: ``omega`` by control unit (sums to one).
        time_weights: ``lambda`` by pre-period (sums to one; zero for ``"sc"``).
        effect_curve: per post-period effect (treated mean minus weighted controls, less the
            lambda-weighted pre-period difference), whose mean is the estimate.
        trajectories: treated mean and synthetic-control path (omega-weighted controls plus the
            pre-period level difference) by period.
        placebo_estimates: the placebo estimates behind the standard error.
        n0_effective, t0_effective: ``1 / sum(omega^2)`` and ``1 / sum(lambda^2)``.
    """

    unit_weights: pd.Series = field(default_factory=pd.Series, repr=False)
    time_weights: pd.Series = field(default_factory=pd.Series, repr=False)
    effect_curve: pd.Series = field(default_factory=pd.Series, repr=False)
    trajectories: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    placebo_estimates: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    n0_effective: float = float("nan")
    t0_effective: float = float("nan")

    def to_frame(self) -> pd.DataFrame:
        """One tidy row (base columns plus the effective numbers of controls and pre-periods)."""
        return super().to_frame().assign(n0_effective=self.n0_effective,
                                         t0_effective=self.t0_effective)

    def summary(self) -> str:
        """Plain-text summary: estimate, placebo SE, the largest unit and time weights."""
        d = self.details
        lines = [super().summary(),
                 f"{d['n_treated']} treated unit(s), {d['n_controls']} controls, "
                 f"{d['n_pre']} pre-periods, {d['n_post']} post-periods; effective controls "
                 f"{self.n0_effective:.1f}, effective pre-periods {self.t0_effective:.1f}; "
                 f"SE: {d['se_method']}"]
        top = self.unit_weights[self.unit_weights > 0].sort_values(ascending=False).head(10)
        if len(top):
            lines.append("Largest unit weights: "
                         + ", ".join(f"{k} {v:.3f}" for k, v in top.items()))
        tw = self.time_weights[self.time_weights > 0].sort_values(ascending=False).head(5)
        if len(tw):
            lines.append("Largest time weights: "
                         + ", ".join(f"{k} {v:.3f}" for k, v in tw.items()))
        return "\n".join(lines)

    def plot(self, ax: Any = None, language: str = "en") -> Any:
        """Treated mean against the synthetic control path, with the time weights as bars
        (:func:`smlib.causal.plots.sdid_plot`), texts in ``language``; returns the matplotlib
        Axes."""
        return sdid_plot(self, ax=ax, language=language)


@numba.njit(cache=True, nogil=True)
def _argmin_lanes(h: np.ndarray) -> int:
    """First index of the smallest entry of ``h`` (-1 if none is below infinity), with four
    interleaved running minima so that the comparisons do not wait on each other."""
    k = h.size
    b0 = b1 = b2 = b3 = np.inf
    i0 = i1 = i2 = i3 = -1
    k4 = k - k % 4
    for j in range(0, k4, 4):
        if h[j] < b0:
            b0 = h[j]
            i0 = j
        if h[j + 1] < b1:
            b1 = h[j + 1]
            i1 = j + 1
        if h[j + 2] < b2:
            b2 = h[j + 2]
            i2 = j + 2
        if h[j + 3] < b3:
            b3 = h[j + 3]
            i3 = j + 3
    for j in range(k4, k):
        if h[j] < b0:
            b0 = h[j]
            i0 = j
    best, i = b0, i0
    if i1 >= 0 and (b1 < best or (b1 == best and i1 < i)):
        best, i = b1, i1
    if i2 >= 0 and (b2 < best or (b2 == best and i2 < i)):
        best, i = b2, i2
    if i3 >= 0 and (b3 < best or (b3 == best and i3 < i)):
        best, i = b3, i3
    return i


@numba.njit(cache=True, nogil=True)
def _fw_batch(G: np.ndarray, c: np.ndarray, bb: np.ndarray, x0: np.ndarray, mask: np.ndarray,
              N: int, zeta: float, min_decrease: float, max_iter: int) -> np.ndarray:
    """synthdid's ``sc.weight.fw`` in Gram form for a batch of problems, compiled by numba.

    Frank-Wolfe with exact line search for ``min ||A x - b||^2 / N + zeta^2 ||x||^2`` on the
    simplex, written with ``G = A'A``, ``c = A'b``, ``bb = b'b`` and running scalars (``O(k)`` per
    step), stopped as in R when the objective falls by less than ``min_decrease^2`` (after two
    steps) or after ``max_iter`` steps. Problem ``r`` is ``G[r]`` (or the shared ``G[0]`` when
    ``G`` holds one matrix), ``c[r]``, ``bb[r]``, start ``x0[r]``, restricted to the coordinates
    where ``mask[r]`` is True (the others stay 0 and are never chosen). A step is one pass over
    the ``k`` coordinates that updates ``G x``, ``x`` and the half gradient ``h = G x - c + eta x``,
    then its argmin (``h . x`` is the running ``x'Gx - c'x + eta x'x``). Returns ``(R, k)``.
    """
    R, k = x0.shape
    out = np.zeros((R, k))
    x = np.empty(k)
    Gx = np.empty(k)
    h = np.empty(k)
    pen = np.empty(k)
    z2 = zeta * zeta
    eta = N * z2
    md2 = min_decrease * min_decrease
    for r in range(R):
        Gr = G[0] if G.shape[0] == 1 else G[r]
        cr = c[r]
        for j in range(k):
            x[j] = x0[r, j]
            pen[j] = 0.0 if mask[r, j] else np.inf  # masked coordinates never win the argmin
        for j in range(k):
            acc = 0.0
            for m in range(k):
                if x[m] != 0.0:
                    acc += Gr[j, m] * x[m]
            Gx[j] = acc
        q = 0.0
        cx = 0.0
        xx = 0.0
        for j in range(k):
            q += x[j] * Gx[j]
            cx += cr[j] * x[j]
            xx += x[j] * x[j]
            h[j] = ((Gx[j] - cr[j]) + eta * x[j]) + pen[j]
        i = _argmin_lanes(h)
        prev2 = np.inf
        prev1 = np.inf
        t = 0
        while t < max_iter and (t < 2 or prev2 - prev1 > md2):
            t += 1
            xi = x[i]
            gxi = Gx[i]
            gii = Gr[i, i]
            den = (gii - 2.0 * gxi + q) + eta * (1.0 - 2.0 * xi + xx)
            if xi != 1.0 and den > 0:
                s = min(1.0, max(0.0, -(h[i] - (q - cx + eta * xx)) / den))
                s1 = 1.0 - s
                q = s1 * s1 * q + 2.0 * s * s1 * gxi + s * s * gii
                cx = s1 * cx + s * cr[i]
                xx = s1 * s1 * xx + 2.0 * s * s1 * xi + s * s
                Gi = Gr[i]  # symmetric: row i is column i
                for j in range(k):
                    g = Gx[j] * s1 + s * Gi[j]
                    Gx[j] = g
                    v = x[j] * s1
                    x[j] = v
                    h[j] = ((g - cr[j]) + eta * v) + pen[j]
                x[i] += s
                h[i] = ((Gx[i] - cr[i]) + eta * x[i]) + pen[i]
                i = _argmin_lanes(h)
            prev2 = prev1
            prev1 = z2 * xx + (q - 2.0 * cx + bb[r]) / N
        for j in range(k):
            out[r, j] = x[j]
    return out


def _fw_solve(G: np.ndarray, c: np.ndarray, bb: np.ndarray, x0: np.ndarray, mask: np.ndarray,
              N: int, zeta: float, min_decrease: float, max_iter: int) -> np.ndarray:
    """:func:`_fw_batch` on C-contiguous float64 copies (as needed) of its arrays, so that it is
    compiled (and cached) for one signature only."""
    def f(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.float64)

    return _fw_batch(f(G), f(c), f(bb), f(x0), np.ascontiguousarray(mask, dtype=np.bool_),
                     int(N), float(zeta), float(min_decrease), int(max_iter))


def _placebo_weights(Yc: np.ndarray, perms: np.ndarray, N1: int, T0: int, zeta_omega: float,
                     zeta_lambda: float, min_decrease: float, estimator: Estimator, o0: np.ndarray,
                     l0: np.ndarray, max_iter: int = 10_000, pre_sparsify: int = 100,
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Weights of every placebo draw (controls ``perms[:, :-N1]``, placebo treated
    ``perms[:, -N1:]``).

    The same optimisation problems as :func:`_weights` on the permuted controls, set up in Gram
    form from the control matrix ``Yc`` (``N0 x T``) once for all draws.
    """
    R, N0 = perms.shape
    n0p = N0 - N1
    sub, trt = perms[:, :n0p], perms[:, n0p:]
    # time weights: rows = placebo controls, columns = pre-periods and the post mean, centred by
    # column
    if estimator == "sc":
        lam = np.zeros((R, T0))
    else:
        M = np.concatenate([Yc[:, :T0], Yc[:, T0:].mean(axis=1, keepdims=True)], axis=1)
        M = M - M.mean(axis=0)  # shift-invariant problem; centring first limits cancellation
        P = M.T @ M
        Mt = M[trt]  # (R, N1, T0 + 1)
        S = M.sum(axis=0)[None] - Mt.sum(axis=1)
        C = P[None] - np.einsum("rnk,rnl->rkl", Mt, Mt) - np.einsum("rk,rl->rkl", S, S) / n0p
        G, c, bb = C[:, :T0, :T0], C[:, :T0, T0], C[:, T0, T0]
        every = np.ones((R, T0), dtype=bool)
        lam = _fw_solve(G, c, bb, l0, every, n0p, zeta_lambda, min_decrease, pre_sparsify)
        lam = _fw_solve(G, c, bb, _sparsify(lam), every, n0p, zeta_lambda, min_decrease, max_iter)
    # unit weights: rows = pre-periods, columns = placebo controls and the placebo-treated mean
    A = Yc[:, :T0].T
    if estimator == "sdid":
        A = A - A.mean(axis=0)
    Gf = A.T @ A
    # every draw's problem on its own controls, written in the space of all N0 controls with the
    # others masked out: a column of a draw's Gram matrix is then a row of the shared Gf (which
    # stays in cache), and no per-draw Gram matrix is formed
    rr = np.arange(R)[:, None]
    mask = np.zeros((R, N0), dtype=bool)
    mask[rr, sub] = True
    Bt = A[:, trt].mean(axis=2)  # (T0, R): each draw's placebo-treated mean path
    c = Bt.T @ A  # (R, N0)
    bb = np.einsum("tr,tr->r", Bt, Bt)
    x = np.zeros((R, N0))
    x[rr, sub] = o0
    x = _fw_solve(Gf[None], c, bb, x, mask, T0, zeta_omega, min_decrease, pre_sparsify)
    x = _fw_solve(Gf[None], c, bb, _sparsify(x), mask, T0, zeta_omega, min_decrease, max_iter)
    om = x[rr, sub]
    return om, lam


def _sparsify(v: np.ndarray) -> np.ndarray:
    """synthdid's default ``sparsify``: zero the weights at or below a quarter of the largest (per
    row)."""
    v = np.where(v <= v.max(axis=1, keepdims=True) / 4, 0.0, v)
    return v / v.sum(axis=1, keepdims=True)


def _fw_one(G: np.ndarray, c: np.ndarray, bb: float, N: int, zeta: float, min_decrease: float,
            max_iter: int, pre_sparsify: int) -> np.ndarray:
    """synthdid's two Frank-Wolfe runs for one problem (Gram form): ``pre_sparsify`` steps from
    the uniform weights, sparsified, then up to ``max_iter`` steps (:func:`_fw_batch`)."""
    k = len(c)
    args = (G[None], c[None], np.array([bb]))
    every = np.ones((1, k), dtype=bool)
    x = _fw_solve(*args, np.full((1, k), 1.0 / k), every, N, zeta, min_decrease, pre_sparsify)
    return _fw_solve(*args, _sparsify(x), every, N, zeta, min_decrease, max_iter)[0]


def _weights(Y: np.ndarray, N0: int, T0: int, zeta_omega: float, zeta_lambda: float,
             min_decrease: float, estimator: Estimator, max_iter: int = 10_000,
             pre_sparsify: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Unit and time weights of ``synthdid_estimate`` (or sc/did) on ``Y`` (``N x T``, controls
    first)."""
    if estimator == "did":
        return np.full(N0, 1.0 / N0), np.full(T0, 1.0 / T0)
    if estimator == "sc":
        lam = np.zeros(T0)
    else:  # rows: controls; columns: pre-periods and the post mean; centred by column
        Z = np.concatenate([Y[:N0, :T0], Y[:N0, T0:].mean(axis=1, keepdims=True)], axis=1)
        Z = Z - Z.mean(axis=0)
        A, b = Z[:, :T0], Z[:, T0]
        G, c, bb = A.T @ A, A.T @ b, float(b @ b)
        lam = _fw_one(G, c, bb, N0, zeta_lambda, min_decrease, max_iter, pre_sparsify)
    # rows: pre-periods; columns: controls and the treated mean (centred by column for sdid)
    Z = np.concatenate([Y[:N0, :T0].T, Y[N0:, :T0].mean(axis=0)[:, None]], axis=1)
    if estimator == "sdid":
        Z = Z - Z.mean(axis=0)
    A, b = Z[:, :N0], Z[:, N0]
    G, c, bb = A.T @ A, A.T @ b, float(b @ b)
    om = _fw_one(G, c, bb, T0, zeta_omega, min_decrease, max_iter, pre_sparsify)
    return om, lam


def _tau(Y: np.ndarray, N0: int, T0: int, om: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Weighted double difference for each problem of the batch (``Y`` (R, N, T))."""
    R, N, T = Y.shape
    N1, T1 = N - N0, T - T0
    u = np.concatenate([-om, np.full((R, N1), 1.0 / N1)], axis=1)
    v = np.concatenate([-lam, np.full((R, T1), 1.0 / T1)], axis=1)
    return np.einsum("rn,rnt,rt->r", u, Y, v)


def _outcome_matrix(
    df: pd.DataFrame, outcome: str, unit: str, time: str, treated: list[Any], treatment_time: Any,
) -> tuple[np.ndarray, list[Any], pd.Index, Any, int]:
    """The balanced outcome matrix, controls first then the treated units (rows) by period;
    returns it with the control units, the periods, the treatment time and the pre-periods."""
    y = numeric_column(df, outcome, "outcome")
    tl = period_labels(df[time], "time")
    wide = pd.DataFrame({"u": df[unit].to_numpy(), "t": tl.to_numpy(), "y": y})
    if wide.duplicated(["u", "t"]).any():
        raise ValueError(f"duplicate ({unit!r}, {time!r}) pairs: expected one row per unit and "
                         "period")
    W = wide.pivot(index="u", columns="t", values="y")
    missing = [u for u in treated if u not in W.index]
    if missing:
        raise ValueError(f"treated_unit {first_items(missing)} not found in column {unit!r}")
    if W.isna().any().any():
        bad = W.index[W.isna().any(axis=1)]
        raise ValueError(f"unbalanced panel: units {first_items(bad)} lack {outcome!r} in some "
                         "periods")
    periods = W.columns
    tt = pd.Timestamp(treatment_time) if isinstance(periods, pd.DatetimeIndex) else treatment_time
    pre = np.asarray(periods < tt)
    T0 = int(pre.sum())
    if T0 < 2 or T0 == len(periods):
        raise ValueError(f"treatment_time {treatment_time!r} leaves {T0} pre-periods and "
                         f"{len(periods) - T0} post-periods; need at least 2 and 1")
    controls = [u for u in W.index if u not in set(treated)]
    if len(controls) < 2:
        raise ValueError(f"need at least two control units, got {len(controls)}")
    return W.loc[controls + treated].to_numpy(dtype=float), controls, periods, tt, T0


def _placebo_se(
    Y: np.ndarray, N0: int, T0: int, om: np.ndarray, lam: np.ndarray, zeta_omega: float,
    zeta_lambda: float, min_dec: float, estimator: Estimator, n_placebo: int,
    random_state: int | None, n_jobs: int = 1,
) -> tuple[np.ndarray, float]:
    """synthdid's placebo standard error: re-estimate on controls with ``N1`` of them posing as
    treated; returns the placebo estimates and the standard error."""
    N1 = Y.shape[0] - N0
    if N0 <= N1:
        raise ValueError("the placebo standard error needs more control than treated units")
    rng = np.random.default_rng(random_state)
    Yc = Y[:N0]
    n0p = N0 - N1
    perms = np.array([rng.permutation(N0) for _ in range(n_placebo)])
    Yb = Yc[perms]  # (R, N0, T): the last N1 rows of each draw are the placebo treated
    o0 = om[perms[:, :n0p]]
    tot = o0.sum(axis=1, keepdims=True)
    o0 = np.where(tot != 0, o0 / np.where(tot != 0, tot, 1.0), 1.0 / n0p)
    l0 = np.repeat(lam[None], n_placebo, axis=0)
    if estimator == "did":
        ob, lb = np.full((n_placebo, n0p), 1.0 / n0p), l0
    else:
        # threads pay off only when the draws are large enough to outweigh starting them
        jobs = n_jobs if N0 * n_placebo >= _THREAD_MIN else 1
        parts = np.array_split(np.arange(n_placebo), max(1, min(jobs, n_placebo)))

        def solve(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return _placebo_weights(Yc, perms[p], N1, T0, zeta_omega, zeta_lambda, min_dec,
                                    estimator, o0[p], l0[p])

        if len(parts) == 1:
            ob, lb = solve(parts[0])
        else:  # the compiled solver (_fw_batch) releases the GIL
            with ThreadPoolExecutor(len(parts)) as pool:
                done = list(pool.map(solve, parts))
            ob = np.concatenate([d[0] for d in done])
            lb = np.concatenate([d[1] for d in done])
    placebo = _tau(Yb, n0p, T0, ob, lb)
    return placebo, float(np.sqrt((n_placebo - 1) / n_placebo) * np.std(placebo, ddof=1))


def _paths(Y: np.ndarray, N0: int, T0: int, om: np.ndarray, lam: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The effect by post-period, the treated mean and the synthetic path shifted to it."""
    N1 = Y.shape[0] - N0
    u = np.concatenate([-om, np.full(N1, 1.0 / N1)])
    tau_sc = u @ Y
    curve = tau_sc[T0:] - tau_sc[:T0] @ lam
    tr_mean = Y[N0:].mean(axis=0)
    synth = om @ Y[:N0]
    shift = (tr_mean[:T0] - synth[:T0]) @ lam if lam.sum() > 0 else 0.0
    return curve, tr_mean, synth + shift


def _jobs(n_jobs: int | None) -> int:
    """The number of solver threads: ``n_jobs``, or the CPUs available (at most 2)."""
    if n_jobs is None:
        return max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                          else (os.cpu_count() or 1)))
    if not isinstance(n_jobs, (int, np.integer)) or isinstance(n_jobs, bool) or n_jobs < 1:
        raise ValueError(f"n_jobs must be a positive integer, got {n_jobs!r}")
    return int(n_jobs)


def synthetic_did(
    df: pd.DataFrame,
    outcome: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    treated_unit: Any | Sequence[Any] = None,
    treatment_time: Any = None,
    *,
    estimator: Estimator = "sdid",
    se_method: Literal["placebo", "none"] = "placebo",
    n_placebo: int = 200,
    random_state: int | None = 0,
    level: float = 0.95,
    panel: PanelSpec | None = None,
    n_jobs: int | None = 1,
) -> SyntheticDiDResult:
    """Synthetic difference-in-differences estimate of the effect on the treated unit(s).

    Args:
        df: long balanced panel, one row per (unit, time); every unit must be observed in every
            period (a missing value raises).
        outcome, unit, time: column names; ``time`` may be integers or dates.
        treated_unit: the treated unit, or a list of units treated at the same time (required).
        treatment_time: first treated period; pre-period = ``time < treatment_time`` (required).
            All other units are controls (drop units treated later before calling).
        estimator: ``"sdid"`` (default), ``"sc"`` (synthdid's synthetic control) or ``"did"``.
        se_method: ``"placebo"`` (synthdid's placebo standard error) or ``"none"``.
        n_placebo: placebo replications.
        random_state: seed of the placebo draws.
        level: confidence level of the normal interval.
        panel: ``outcome``, ``unit`` and ``time`` as one :class:`~smlib.causal._panel.PanelSpec`
            (default: the data contract's ``units`` table); columns given explicitly win.
        n_jobs: threads that solve the placebo draws (default 1; None: the CPUs available, at
            most 2). The draws are independent, so the result does not depend on it beyond
            rounding; threads help only on idle cores (on a busy shared machine they were slower).

    Returns a :class:`SyntheticDiDResult`.

    Raises:
        TypeError: ``treated_unit`` or ``treatment_time`` not given.
        ValueError: bad input (unknown columns or units, unbalanced panel, too few periods or
            controls).
    """
    if treated_unit is None or treatment_time is None:
        raise TypeError("synthetic_did needs treated_unit=... and treatment_time=...")
    spec = panel_spec(panel, outcome=outcome, unit=unit, time=time)
    outcome, unit, time = spec.outcome, spec.unit, spec.time
    require_frame(df)
    require_columns(df, outcome=outcome, unit=unit, time=time)
    if estimator not in ("sdid", "sc", "did"):
        raise ValueError(f"estimator must be 'sdid', 'sc' or 'did', got {estimator!r}")
    if se_method not in ("placebo", "none"):
        raise ValueError(f"se_method must be 'placebo' or 'none', got {se_method!r}")
    many = (list, tuple, set, np.ndarray, pd.Index)
    treated = list(treated_unit) if isinstance(treated_unit, many) else [treated_unit]
    Y, controls, periods, tt, T0 = _outcome_matrix(df, outcome, unit, time, treated,
                                                   treatment_time)
    result = _fit_block(Y, controls, treated, periods, tt, T0, unit, estimator, se_method,
                        n_placebo, random_state, level, _jobs(n_jobs))
    result.details["outcome"] = outcome  # how plots write its values (money for revenue)
    return result


def _fit_block(Y: np.ndarray, controls: list[Any], treated: list[Any], periods: pd.Index, tt: Any,
               T0: int, unit: str, estimator: Estimator, se_method: str, n_placebo: int,
               random_state: int | None, level: float, n_jobs: int) -> SyntheticDiDResult:
    """:func:`synthetic_did` on its outcome matrix ``Y`` (controls first, then the treated units;
    ``T0`` pre-periods)."""
    N0, N1 = len(controls), len(treated)
    noise = float(np.std(np.diff(Y[:N0, :T0], axis=1), ddof=1))
    T1 = Y.shape[1] - T0
    eta_omega = 1e-6 if estimator == "sc" else (N1 * T1) ** 0.25
    zeta_omega, zeta_lambda = eta_omega * noise, 1e-6 * noise
    min_dec = 1e-5 * noise
    om, lam = _weights(Y, N0, T0, zeta_omega, zeta_lambda, min_dec, estimator)
    tau = float(_tau(Y[None], N0, T0, om[None], lam[None])[0])

    placebo = np.zeros(0)
    se = float("nan")
    if se_method == "placebo":
        placebo, se = _placebo_se(Y, N0, T0, om, lam, zeta_omega, zeta_lambda, min_dec,
                                  estimator, n_placebo, random_state, n_jobs)
    curve, tr_mean, synth = _paths(Y, N0, T0, om, lam)
    names = {"sdid": "Synthetic DiD (Arkhangelsky et al. 2021)",
             "sc": "Synthetic control (synthdid sc_estimate)",
             "did": "Difference-in-differences (synthdid did_estimate)"}
    z = float(stats.norm.ppf(0.5 + level / 2))
    return SyntheticDiDResult(
        method=names[estimator], estimand="ATT", estimate=tau, std_error=se,
        ci_low=tau - z * se, ci_high=tau + z * se, level=level, n_obs=Y.size,
        details={"n_treated": N1, "n_controls": N0, "n_pre": T0, "n_post": T1, "treatment_time": tt,
                 "treated_units": treated, "noise_level": noise, "zeta_omega": zeta_omega,
                 "zeta_lambda": zeta_lambda,
                 "se_method": f"placebo ({n_placebo} draws)" if se_method == "placebo" else "none"},
        unit_weights=pd.Series(om, index=pd.Index(controls, name=unit), name="omega"),
        time_weights=pd.Series(lam, index=periods[:T0], name="lambda"),
        effect_curve=pd.Series(curve, index=periods[T0:], name="effect"),
        trajectories=pd.DataFrame({"treated": tr_mean, "synthetic": synth}, index=periods),
        placebo_estimates=placebo,
        n0_effective=float(1 / (om @ om)),
        t0_effective=float(1 / (lam @ lam)) if lam.sum() > 0 else float("nan"),
    )


# ---------------------------------------------------------------------------------------------
# staggered adoption: one SDID per adoption cohort against the never-treated units
# ---------------------------------------------------------------------------------------------

@dataclass
class StaggeredSyntheticDiDResult(EstimateResult):
    """Result of :func:`synthetic_did_staggered`; ``estimate`` is the pooled ATT.

    Attributes:
        cohorts: one row per adoption cohort: ``cohort, n_treated, n_pre, n_post,
            treated_periods`` (``n_treated * n_post``), ``weight`` (its share of all treated
            unit-periods), ``estimate, std_error, ci_low, ci_high`` of the cohort's SDID.
        cohort_results: the :class:`SyntheticDiDResult` of each cohort, by cohort label.
        placebo_estimates: the pooled placebo estimates behind the standard error.
    """

    cohorts: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    cohort_results: dict[Any, SyntheticDiDResult] = field(default_factory=dict, repr=False)
    placebo_estimates: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: the pooled row (``cohort="overall"``) followed by one row per cohort."""
        overall = super().to_frame().assign(cohort="overall", weight=1.0)
        rows = self.cohorts.assign(cohort=self.cohorts["cohort"].astype(str),
                                   method=self.method, estimand="ATT(cohort)", level=self.level)
        return pd.concat([overall, rows], ignore_index=True)

    def summary(self) -> str:
        """Plain-text summary: the pooled estimate and the table of cohort estimates."""
        d = self.details
        body = self.cohorts.to_string(index=False, float_format=lambda v: f"{v:,.4g}")
        return "\n".join([
            super().summary(),
            f"{len(self.cohorts)} adoption cohorts, {d['n_treated']} treated units, "
            f"{d['n_controls']} never-treated controls; cohorts weighted by treated unit-periods; "
            f"SE: {d['se_method']}",
            body])

    def plot(self, ax: Any = None, language: str = "en") -> Any:
        """Cohort estimates with their intervals and the pooled estimate
        (:func:`smlib.causal.plots.sdid_cohorts_plot`), texts in ``language``; returns the
        matplotlib Axes."""
        return sdid_cohorts_plot(self, ax=ax, language=language)


def synthetic_did_staggered(
    df: pd.DataFrame,
    outcome: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    *,
    estimator: Estimator = "sdid",
    se_method: Literal["placebo", "none"] = "placebo",
    n_placebo: int = 200,
    random_state: int | None = 0,
    level: float = 0.95,
    panel: PanelSpec | None = None,
    unbalanced: Literal["error", "drop"] = "error",
    n_jobs: int | None = 1,
) -> StaggeredSyntheticDiDResult:
    """Synthetic DiD with staggered adoption: one SDID per adoption cohort, pooled.

    Each adoption cohort ``g`` (the units first treated at ``g``) is compared with the
    never-treated units by :func:`synthetic_did` (pre-periods ``t < g``, post-periods
    ``t >= g``; the units of other cohorts are left out, so no already-treated unit serves as a
    control). The pooled ATT averages the cohort estimates with weights proportional to their
    treated unit-periods ``n_g * (T - g)``, i.e. it estimates the average effect over all treated
    post-adoption unit-periods: the procedure the appendix of Arkhangelsky et al. (2021) proposes
    for staggered adoption (the estimator applied once per adoption date, then averaged), with the
    weights of Stata ``sdid`` (Clarke, Pailañir, Athey & Imbens 2023, "Synthetic
    difference-in-differences estimation", IZA DP 15907).

    Standard error (``se_method="placebo"``): each cohort's placebo draws (synthdid's Algorithm
    4, ``n_placebo`` draws with seed ``random_state + j`` for the ``j``-th cohort, so cohort ``j``
    matches ``synthetic_did(..., random_state=random_state + j)`` on its own block) are pooled
    draw by draw with the same weights; ``se = sqrt((r - 1) / r) * sd`` of the pooled draws. The
    draws of different cohorts are independent, so this treats the cohort estimates as
    independent (it leaves out their covariance through the shared controls) and needs more
    never-treated units than units in the largest cohort.

    Args:
        df: long balanced panel, one row per unit and period.
        outcome, unit, time: column names (``time`` integers or dates).
        cohort: first treated period of each unit, in ``time`` labels; 0 or missing = never
            treated (as in :func:`~smlib.causal.staggered.staggered_did`; cohorts after the last
            period count as never treated). Cohorts with fewer than two pre-periods are dropped
            with a warning.
        estimator, se_method, n_placebo, level, n_jobs: as in :func:`synthetic_did`.
        random_state: seed of the first cohort's placebo draws (``+ j`` for the ``j``-th).
        panel: the columns as one :class:`~smlib.causal._panel.PanelSpec`; columns given
            explicitly win.
        unbalanced: ``"error"`` (default) or ``"drop"`` units that miss a period.

    Returns a :class:`StaggeredSyntheticDiDResult`.

    Raises:
        ValueError: no cohort with two pre-periods, fewer than two never-treated units, or (for
            the placebo SE) a cohort at least as large as the never-treated group.
    """
    spec = panel_spec(panel, outcome=outcome, unit=unit, time=time, cohort=cohort)
    outcome, unit, time, cohort = spec.outcome, spec.unit, spec.time, spec.cohort
    if estimator not in ("sdid", "sc", "did"):
        raise ValueError(f"estimator must be 'sdid', 'sc' or 'did', got {estimator!r}")
    if se_method not in ("placebo", "none"):
        raise ValueError(f"se_method must be 'placebo' or 'none', got {se_method!r}")
    wide = wide_panel(df, outcome, unit, time, unbalanced=unbalanced)
    pairs = df[[unit, cohort]].drop_duplicates() if cohort in df.columns and cohort != unit else df
    codes = cohort_codes(pairs, unit, cohort, wide.units, wide.periods)
    early = (codes == ALWAYS) | ((codes >= 0) & (codes < 2))
    if early.any():
        warnings.warn(f"{int(early.sum())} units adopted with fewer than two pre-periods and are "
                      f"left out (e.g. {first_items(wide.units[early], 3)})", UserWarning,
                      stacklevel=2)
    never = np.flatnonzero(codes == NEVER)
    groups = np.unique(codes[codes >= 2])
    if groups.size == 0:
        raise ValueError("no adoption cohort with at least two pre-periods")
    if never.size < 2:
        raise ValueError(f"need at least two never-treated units as controls, got {never.size}")
    controls = list(wide.units[never])
    jobs = _jobs(n_jobs)
    T = wide.n_periods
    fits: dict[Any, SyntheticDiDResult] = {}
    rows = []
    for j, g in enumerate(groups):
        tr = np.flatnonzero(codes == g)
        if se_method == "placebo" and tr.size >= never.size:
            raise ValueError(f"cohort {wide.periods[g]!r} has {tr.size} units but there are only "
                             f"{never.size} never-treated units; the placebo standard error needs "
                             f"more (use se_method='none')")
        Y = np.vstack([wide.y[never], wide.y[tr]])
        seed = None if random_state is None else random_state + j
        r = _fit_block(Y, controls, list(wide.units[tr]), wide.periods, wide.periods[g], int(g),
                       unit, estimator, se_method, n_placebo, seed, level, jobs)
        fits[wide.periods[g]] = r
        rows.append({"cohort": wide.periods[g], "n_treated": tr.size, "n_pre": int(g),
                     "n_post": T - int(g), "treated_periods": tr.size * (T - int(g)),
                     "estimate": r.estimate, "std_error": r.std_error, "ci_low": r.ci_low,
                     "ci_high": r.ci_high})
    table = pd.DataFrame(rows)
    w = table["treated_periods"].to_numpy(dtype=float)
    w = w / w.sum()
    table.insert(5, "weight", w)
    tau = float(table["estimate"].to_numpy() @ w)
    placebo = np.zeros(0)
    se = float("nan")
    if se_method == "placebo":
        placebo = np.column_stack([r.placebo_estimates for r in fits.values()]) @ w
        se = float(np.sqrt((n_placebo - 1) / n_placebo) * np.std(placebo, ddof=1))
    out = StaggeredSyntheticDiDResult.from_normal(
        f"{next(iter(fits.values())).method}, by adoption cohort", "ATT (treated unit-periods)",
        tau, se, level=level, n_obs=(never.size + int(table["n_treated"].sum())) * T,
        details={"n_treated": int(table["n_treated"].sum()), "n_controls": int(never.size),
                 "n_cohorts": len(table), "n_periods": T, "estimator": estimator,
                 "se_method": (f"placebo ({n_placebo} draws per cohort, pooled)"
                               if se_method == "placebo" else "none"),
                 "dropped_units": list(wide.units[early]), "outcome": outcome},
        cohorts=table, cohort_results=fits, placebo_estimates=placebo)
    assert isinstance(out, StaggeredSyntheticDiDResult)
    return out
