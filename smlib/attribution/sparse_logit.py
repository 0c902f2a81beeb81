"""L2-penalised logistic regression on a sparse design by Newton's method (compiled with numba).

The path-table models of :mod:`smlib.attribution.regression` fit one row per distinct path with its
converting and non-converting journey counts; their designs are sparse (a path touches few
channels) and narrow (a few hundred columns), so Newton's method on the p x p Hessian, warm-started
along a regularisation path, reaches scikit-learn's optimum (``Σ w·loss + ||β||²/(2C)``, intercept
not penalised) in a few passes over the nonzeros. :func:`as_fitted` wraps the coefficients in a
scikit-learn ``LogisticRegression`` so that the rest of the code predicts as before.
"""

from __future__ import annotations

import threading
from typing import Any

import numba
import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

__all__ = ["as_fitted", "effective_df", "logit_terms", "newton_compatible", "newton_logit"]


#: Row chunks of one :func:`logit_terms` pass, summed in a fixed order: the result does not depend
#: on how many threads numba runs them on (bit-for-bit the same on every machine).
CHUNKS: int = 8

_LOCK = threading.Lock()


@numba.njit(cache=True, nogil=True, fastmath=True)
def _chunk_terms(lo: int, hi: int, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
                 conv: np.ndarray, nulls: np.ndarray, beta: np.ndarray, mode: int,
                 grad: np.ndarray, flat: np.ndarray, cols: np.ndarray, vals: np.ndarray
                 ) -> float:  # pragma: no cover - compiled
    """:func:`logit_terms` over rows ``lo:hi``: adds into ``grad`` / ``flat`` (the Hessian's
    upper triangle, flattened) and returns the negative log likelihood; ``cols`` / ``vals`` are
    scratch of length d."""
    d = beta.shape[0]
    nll = 0.0
    for i in range(lo, hi):
        ci, mi = conv[i], nulls[i]
        ni = ci + mi
        if ni <= 0.0:
            continue
        s, m = indptr[i], indptr[i + 1] - indptr[i]
        eta = beta[0]
        for a in range(m):
            cols[a] = indices[s + a] + 1
            vals[a] = data[s + a]
            eta += vals[a] * beta[cols[a]]
        z = np.exp(-abs(eta))
        sp = max(eta, 0.0) + np.log1p(z)  # softplus(η) = −log(1 − p)
        p = 1.0 / (1.0 + z) if eta >= 0 else z / (1.0 + z)
        nll += ci * (sp - eta) + mi * sp
        if mode == 0:
            continue
        r = ni * p - ci
        grad[0] += r
        for a in range(m):
            grad[cols[a]] += r * vals[a]
        if mode == 1:
            continue
        w = ni * p * (1.0 - p)
        flat[0] += w
        for a in range(m):
            wa = w * vals[a]
            flat[cols[a]] += wa
            base = cols[a] * d
            for b in range(a, m):
                flat[base + cols[b]] += wa * vals[b]
    return nll


@numba.njit(cache=True, nogil=True, parallel=True)
def logit_terms(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, conv: np.ndarray,
                 nulls: np.ndarray, beta: np.ndarray, mode: int
                 ) -> tuple[float, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Weighted binomial negative log likelihood (mode 0), with its gradient (1) and Hessian in
    (β0, β) (2).

    One row per distinct path with ``conv`` successes and ``nulls`` failures: the same likelihood
    as a y=1 row weighted by conversions and a y=0 row weighted by non-conversions. Needs sorted
    column indices in each CSR row (the upper triangle of the Hessian is accumulated, row by row
    from a local copy of the row's entries into a flat array). The rows are cut into
    :data:`CHUNKS` contiguous chunks run in parallel (numba threads), each with its own
    accumulators (:func:`_chunk_terms`), added up in chunk order afterwards."""
    d = beta.shape[0]
    n = conv.shape[0]
    n_chunks = CHUNKS
    grads = np.zeros((n_chunks, d))
    flats = np.zeros((n_chunks, d * d if mode == 2 else 1))
    cols = np.empty((n_chunks, d), np.int64)
    vals = np.empty((n_chunks, d))
    nlls = np.zeros(n_chunks)
    for chunk in numba.prange(n_chunks):
        nlls[chunk] = _chunk_terms(chunk * n // n_chunks, (chunk + 1) * n // n_chunks, indptr,
                                   indices, data, conv, nulls, beta, mode, grads[chunk],
                                   flats[chunk], cols[chunk], vals[chunk])
    nll = 0.0
    grad = np.zeros(d)
    for c in range(n_chunks):  # fixed order: the same sums on any number of threads
        nll += nlls[c]
        grad += grads[c]
    hess = np.zeros((1, 1))
    if mode == 2:
        flat = flats[0].copy()
        for c in range(1, n_chunks):
            flat += flats[c]
        hess = flat.reshape((d, d))
        for a in range(d):
            for b in range(a + 1, d):
                hess[b, a] = hess[a, b]
    return nll, grad, hess


def newton_logit(X: sparse.csr_matrix, conv: np.ndarray, nulls: np.ndarray, C: float,
                  beta: np.ndarray | None = None, hess: np.ndarray | None = None,
                  tol: float = 1e-8, max_iter: int = 200, refresh: float = 1 / 3
                  ) -> tuple[np.ndarray, int, np.ndarray]:
    """L2-penalised weighted logistic regression by Newton's method on the p × p Hessian.

    Minimises scikit-learn's objective ``Σ w·loss + ||β||² / (2C)`` (intercept not penalised) on one
    row per distinct path (``conv`` and ``nulls`` journeys each). ``beta`` warm-starts (e.g. from
    the previous, stronger penalty of a regularisation path or from another fold) and ``hess`` (the
    unpenalised Hessian at a nearby point) is reused while each step shrinks the gradient by the
    factor ``refresh`` (a simplified Newton or chord method, Kelley 1995, *Iterative Methods for
    Linear and Nonlinear Equations*, §5.4), recomputed otherwise. A Hessian costs a pass over the
    pairs of nonzeros of each row, a gradient one pass over the nonzeros. Backtracking line search
    (Armijo); stops when the step is below ``tol`` relative to the coefficients, the gradient below
    ``tol`` × 10⁻² per journey, the Newton decrement (≈ objective minus its minimum) below ``tol²``
    relative to the objective, or the objective no longer decreases. Returns (β0 ⧺ β, iterations,
    the last computed unpenalised Hessian).
    """
    d = X.shape[1] + 1
    if beta is None:
        rate = np.clip(conv.sum() / (conv.sum() + nulls.sum()), 1e-9, 1 - 1e-9)
        beta = np.r_[np.log(rate / (1 - rate)), np.zeros(d - 1)]
    beta = np.asarray(beta, dtype=np.float64).copy()
    pen = np.r_[0.0, np.full(d - 1, 1.0 / C)]
    args = (X.indptr, X.indices, X.data, np.asarray(conv, np.float64), np.asarray(nulls, np.float64))

    def objective(b: np.ndarray, mode: int) -> tuple[float, np.ndarray, np.ndarray]:
        with _LOCK:  # numba's default thread pool must not be entered from two threads at once
            nll, g, h = logit_terms(*args, b, mode)
        return nll + 0.5 * float(pen @ (b * b)), g + pen * b, h

    gtol = tol * 1e-2 * float(np.sum(conv) + np.sum(nulls))
    dtol = tol * tol
    fresh = hess is None
    f, g, h = objective(beta, 2 if fresh else 1)
    H = h if fresh else hess
    it = 0
    for it in range(1, max_iter + 1):
        if np.max(np.abs(g)) <= gtol:
            break
        A = H + np.diag(pen)
        try:
            step = np.linalg.solve(A, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(A, g, rcond=None)[0]
        slope, t = float(g @ step), 1.0
        if slope <= 2 * dtol * (1.0 + abs(f)):  # Newton decrement: f − min f ≈ slope / 2
            break
        while True:
            new = beta - t * step
            f_new, g_new, _ = objective(new, 1)
            accepted = f_new <= f - 1e-4 * t * slope  # Armijo
            if not accepted and f_new <= f + 1e-10 * abs(f):
                # Near the optimum of a sum over many rows the decrease falls below the rounding
                # of f itself and Armijo fails at every t; the directional derivative still
                # tells a good step (approximate Wolfe conditions, Hager & Zhang 2005, SIAM J.
                # Optim. 16:170-192): the slope along the step has shrunk and not turned back.
                d_new = float(g_new @ step)  # -d/dt f(beta - t step) = g(new) . step
                accepted = -0.8 * slope <= d_new <= 0.9 * slope
            if accepted:
                break
            t *= 0.5
            if t < (1e-6 if fresh else 0.2):
                break
        if not accepted:  # no sufficient decrease
            if fresh:
                break  # at the optimum up to rounding
            f, g, H = objective(beta, 2)  # the reused Hessian is too far off: recompute it
            fresh = True
            continue
        converged = (np.max(np.abs(t * step)) <= tol * (1.0 + np.max(np.abs(new)))
                     or f - f_new <= 1e-15 * abs(f))
        slow = np.max(np.abs(g_new)) > np.max(np.abs(g)) * refresh
        beta, f, g = new, f_new, g_new
        if converged:
            break
        fresh = False
        if slow:
            f, g, H = objective(beta, 2)
            fresh = True
    return beta, it, H


def newton_compatible(est: Any) -> bool:
    """True for a scikit-learn L2 logistic regression with an intercept (fitted by the sparse
    Newton solver: same objective, same optimum)."""
    if type(est) is not LogisticRegression:
        return False
    p = est.get_params()
    return (p["fit_intercept"] and p["class_weight"] is None and not p.get("l1_ratio")
            and p.get("penalty", "l2") in ("l2", "deprecated") and np.isfinite(p["C"]) and p["C"] > 0)


def as_fitted(est: LogisticRegression, beta: np.ndarray, n_iter: int) -> LogisticRegression:
    """A scikit-learn LogisticRegression carrying coefficients found by :func:`newton_logit`."""
    model = clone(est)
    model.coef_, model.intercept_ = beta[None, 1:].copy(), beta[:1].copy()
    model.classes_ = np.array([0.0, 1.0])
    model.n_features_in_ = len(beta) - 1
    model.n_iter_ = np.array([n_iter], dtype=np.int32)
    return model


def effective_df(hess: np.ndarray, C: float) -> float:
    """Effective degrees of freedom of an L2 logistic fit, ``tr[(H + I/C)⁻¹ H]`` (intercept not
    penalised; ``H`` the unpenalised Hessian at the solution): the number of free parameters the
    penalty leaves (Hastie, Tibshirani & Friedman 2009, §5.4.1 and §7.6)."""
    pen = np.r_[0.0, np.full(len(hess) - 1, 1.0 / C)]
    return float(np.trace(np.linalg.solve(hess + np.diag(pen), hess)))
