"""Goodman-Bacon (2021) decomposition of the static two-way fixed-effects DiD estimate.

With staggered adoption of an absorbing binary treatment on a balanced panel, the TWFE coefficient
of ``y_it = a_i + l_t + beta * D_it + e_it`` is exactly a weighted average of all two-group,
two-period ("2x2") DiD comparisons (Goodman-Bacon 2021, Theorem 1):

* **Treated vs Untreated** — a timing cohort ``k`` against the never-treated units, whole window;
* **Earlier vs Later Treated** — cohort ``k`` against a later cohort ``l`` that is not yet
  treated, window before ``l`` adopts;
* **Later vs Earlier Treated** — cohort ``l`` against an earlier cohort ``k`` that is *already
  treated*, window after ``k`` adopted. These comparisons use treated units as controls; when
  effects change over time they subtract part of ``k``'s effect and can pull TWFE away from any
  average effect (even flip its sign);
* **Later vs Always Treated** — a cohort against units treated in every observed period.

Each comparison's weight is proportional to ``(n_pair * T_window / (N * T))^2 * V_pair``, where
``n_pair`` is the number of units in the two groups, ``T_window`` the length of the window and
``V_pair`` the variance of the two-way-demeaned treatment dummy inside the 2x2 (eq. 10a-c of the
paper, written in one form); the weights sum to one and ``sum(weight * estimate)`` equals the TWFE
coefficient to rounding error. ``share_already_treated`` is the weight of the comparisons that use
already-treated units as controls.

Checked against R ``bacondecomp`` on its Castle Doctrine example (``tests/test_causal_bacon.py``).

Reference: Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment
timing. Journal of Econometrics 225(2), 254-277.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from smlib.causal._panel import (
    ALWAYS, NEVER, Panel, PanelSpec, first_items, numeric_column, panel_spec, wide_panel,
)
from smlib.causal.plots import bacon_plot
from smlib.causal.results import EstimateResult

TYPES = ("Treated vs Untreated", "Earlier vs Later Treated", "Later vs Earlier Treated",
         "Later vs Always Treated")
#: Comparison types whose controls are units already treated.
ALREADY_TREATED = ("Later vs Earlier Treated", "Later vs Always Treated")


@dataclass
class BaconResult(EstimateResult):
    """Result of :func:`bacon_decomposition`; ``estimate`` is the TWFE coefficient.

    Attributes:
        comparisons: one row per 2x2 comparison: ``treated`` and ``control`` group (cohort label,
            ``"never"`` or ``"always"``), ``type``, ``estimate``, ``weight``, ``window_start`` and
            ``window_end`` (period labels, inclusive), ``n_treated``, ``n_control`` (units).
        by_type: weight and weighted-average estimate of each comparison type.
        share_already_treated: total weight of comparisons with already-treated controls.
        twfe: the TWFE coefficient computed directly by regression (equal to ``estimate``).
    """

    comparisons: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    by_type: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    share_already_treated: float = float("nan")
    twfe: float = float("nan")

    def to_frame(self) -> pd.DataFrame:
        """The 2x2 comparisons (one row each) with their estimate and weight."""
        return self.comparisons.copy()

    def summary(self) -> str:
        """Plain-text summary: TWFE coefficient, the weight and average estimate of each type."""
        lines = [
            f"Goodman-Bacon decomposition of the TWFE estimate {self.estimate:,.6g} "
            f"({len(self.comparisons)} two-by-two comparisons, n = {self.n_obs:,} observations)",
            "",
            f"{'type':<28}{'weight':>10}{'avg. estimate':>16}{'comparisons':>13}",
        ]
        for _, r in self.by_type.iterrows():
            lines.append(f"{r['type']:<28}{r['weight']:>10.4f}{r['avg_estimate']:>16,.5g}"
                         f"{int(r['n']):>13}")
        total = float(np.sum(self.comparisons.estimate * self.comparisons.weight))
        lines += ["", f"Weighted sum of the comparisons: {total:,.6g}",
                  f"Share of weight from comparisons with already-treated controls: "
                  f"{self.share_already_treated:.1%}"]
        if self.share_already_treated > 0.1:
            lines.append("A sizeable part of the TWFE estimate compares later adopters with "
                         "units already treated; if effects grow or fade over time it is biased. "
                         "Prefer a heterogeneity-robust estimator (staggered_did, sun_abraham, "
                         "imputation_did).")
        return "\n".join(lines)

    def plot(self, ax: Any = None, language: str = "en") -> Any:
        """Scatter of each comparison's estimate against its weight, by type, with the TWFE line
        (:func:`smlib.causal.plots.bacon_plot`), texts in ``language``; returns the matplotlib
        Axes."""
        return bacon_plot(self, types=TYPES, ax=ax, language=language)


def _window_did(cs: np.ndarray, a: int, b: int, lo: int, switch: int, hi: int) -> float:
    """DiD of group means: (a - b) averaged over ``[switch, hi)`` minus over ``[lo, switch)``.

    ``cs`` holds cumulative sums over periods of the group mean outcomes, shape ``(G, T + 1)``.
    """
    d = cs[a] - cs[b]
    post = (d[hi] - d[switch]) / (hi - switch)
    pre = (d[switch] - d[lo]) / (switch - lo)
    return float(post - pre)


def _timing(
    df: pd.DataFrame, outcome: str, unit: str, time: str, treated: str,
    unbalanced: Literal["error", "drop"],
) -> tuple[Panel, np.ndarray, np.ndarray]:
    """Check the absorbing 0/1 treatment; return the wide panel, its treatment matrix and each
    unit's first treated period index (``NEVER``/``ALWAYS`` codes)."""
    panel = wide_panel(df, outcome, unit, time, covariates=[treated], unbalanced=unbalanced)
    d_long = numeric_column(df, treated, "treated")
    if not np.isin(d_long, (0.0, 1.0)).all():
        raise ValueError(f"treated column {treated!r} must hold 0/1 values; got "
                         f"{first_items(np.unique(d_long[~np.isin(d_long, (0.0, 1.0))]))}")
    Dm = panel.covariates[treated]
    if np.any(np.diff(Dm, axis=1) < 0):
        bad = panel.units[np.any(np.diff(Dm, axis=1) < 0, axis=1)]
        raise ValueError(f"treatment {treated!r} switches off for units {first_items(bad)}: the "
                         "Bacon decomposition needs an absorbing treatment (once treated, always "
                         "treated)")
    ever = Dm.any(axis=1)
    first = np.where(ever, np.argmax(Dm > 0, axis=1), NEVER)
    first = np.where(first == 0, ALWAYS, first)
    if len(np.unique(first)) < 2:
        raise ValueError(f"treatment {treated!r} has a single timing group; there is nothing to "
                         "compare")
    return panel, Dm, first


def _twfe_coefficient(Dm: np.ndarray, Y: np.ndarray, treated: str) -> float:
    """The TWFE coefficient by regression (balanced panel: one-pass two-way demeaning is exact)."""
    def _dm(M: np.ndarray) -> np.ndarray:
        return M - M.mean(axis=1, keepdims=True) - M.mean(axis=0, keepdims=True) + M.mean()

    Dd = _dm(Dm)
    vd = float((Dd * Dd).sum())
    if vd <= 0:
        raise ValueError(f"treatment {treated!r} does not vary within units and periods")
    return float((Dd * _dm(Y)).sum() / vd)


def _timing_groups(Y: np.ndarray, first: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Timing groups: codes, sizes, cumulative sums of mean outcomes, first treated index."""
    T = Y.shape[1]
    # timing groups: code -> (start index s where treated from, units)
    codes, inv = np.unique(first, return_inverse=True)
    G = len(codes)
    ng = np.bincount(inv, minlength=G).astype(float)
    means = np.zeros((G, T))
    np.add.at(means, inv, Y)
    means /= ng[:, None]
    cs = np.concatenate([np.zeros((G, 1)), np.cumsum(means, axis=1)], axis=1)
    start = np.where(codes == NEVER, T, np.where(codes == ALWAYS, 0, codes))  # first treated index
    return codes, ng, cs, start


def _comparisons(Y: np.ndarray, first: np.ndarray, periods: pd.Index) -> pd.DataFrame:
    """Every 2x2 comparison of the timing groups with its DiD estimate and unnormalised weight
    (columns ``treated``, ``control``, ``type``, ``estimate``, ``raw_weight``, window ``lo``/``hi``
    indices, ``n_treated``, ``n_control``)."""
    n, T = Y.shape
    codes, ng, cs, start = _timing_groups(Y, first)
    G = len(codes)
    share = start / T  # share of periods untreated, = 1 - Dbar
    N = float(n)
    labels = {NEVER: "never", ALWAYS: "always"}

    def lab(c: int) -> Any:
        return labels.get(int(c), periods[int(c)])

    rows = []
    timing = [j for j in range(G) if codes[j] not in (NEVER, ALWAYS)]
    never = [j for j in range(G) if codes[j] == NEVER]
    always = [j for j in range(G) if codes[j] == ALWAYS]
    for k in timing:
        sk = start[k]
        # treated vs untreated, then later vs always treated: whole window, fixed controls
        for controls, name, kind in ((never, "never", TYPES[0]), (always, "always", TYPES[3])):
            for u in controls:
                npair = ng[k] + ng[u]
                nk = ng[k] / npair
                dk = 1 - share[k]
                w = (npair / N) ** 2 * nk * (1 - nk) * dk * (1 - dk)
                rows.append((lab(codes[k]), name, kind, _window_did(cs, k, u, 0, sk, T), w, 0, T,
                             ng[k], ng[u]))
        for l in timing:
            sl = start[l]
            if sl <= sk:
                continue
            npair = ng[k] + ng[l]
            nk = ng[k] / npair
            # earlier k vs later l, window [0, sl): k switches at sk
            win = sl / T
            dk = (sl - sk) / sl  # share of window k is treated
            w = (npair / N * win) ** 2 * nk * (1 - nk) * dk * (1 - dk)
            rows.append((lab(codes[k]), lab(codes[l]), TYPES[1], _window_did(cs, k, l, 0, sk, sl),
                         w, 0, sl, ng[k], ng[l]))
            # later l vs earlier k, window [sk, T): l switches at sl
            win = (T - sk) / T
            dl = (T - sl) / (T - sk)
            w = (npair / N * win) ** 2 * nk * (1 - nk) * dl * (1 - dl)
            rows.append((lab(codes[l]), lab(codes[k]), TYPES[2], _window_did(cs, l, k, sk, sl, T),
                         w, sk, T, ng[l], ng[k]))
    return pd.DataFrame(rows, columns=["treated", "control", "type", "estimate", "raw_weight", "lo",
                                       "hi", "n_treated", "n_control"])


def _weighted(comp: pd.DataFrame, periods: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Normalise the weights and label the windows; return the comparisons, the weight and average
    estimate of each type, and the share of weight with already-treated controls."""
    comp = comp[comp.raw_weight > 0].reset_index(drop=True)
    total = comp.raw_weight.sum()
    comp["weight"] = comp.raw_weight / total
    comp["window_start"] = [periods[i] for i in comp.lo]
    comp["window_end"] = [periods[i - 1] for i in comp.hi]
    comp = comp[["treated", "control", "type", "estimate", "weight", "window_start", "window_end",
                 "n_treated", "n_control"]].astype({"n_treated": int, "n_control": int})
    by = (comp.assign(we=comp.estimate * comp.weight).groupby("type", sort=False)
          .agg(weight=("weight", "sum"), we=("we", "sum"), n=("weight", "size")).reset_index())
    by["avg_estimate"] = by.we / by.weight
    by = by[["type", "weight", "avg_estimate", "n"]]
    share_at = float(comp.loc[comp.type.isin(ALREADY_TREATED), "weight"].sum())
    return comp, by, share_at


def bacon_decomposition(
    df: pd.DataFrame,
    outcome: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    treated: str | None = None,
    *,
    unbalanced: Literal["error", "drop"] = "error",
    panel: PanelSpec | None = None,
) -> BaconResult:
    """Goodman-Bacon (2021) decomposition of the TWFE DiD coefficient into 2x2 comparisons.

    Args:
        df: long balanced panel, one row per unit and period.
        outcome: numeric outcome column.
        unit: unit identifier column.
        time: period column (integers or dates).
        treated: 0/1 treatment indicator, absorbing (once 1, a unit stays 1), as in
            :func:`smlib.causal.twfe_did`. A cohort column can be turned into it with
            ``(df[time] >= df[cohort]) & (df[cohort] > 0)``.
        unbalanced: ``"error"`` (default) or ``"drop"`` units that miss a period.
        panel: ``outcome``, ``unit`` and ``time`` as one :class:`~smlib.causal._panel.PanelSpec`
            (default: the data contract's ``units`` table); columns given explicitly win.

    Returns a :class:`BaconResult` whose ``estimate`` is the TWFE coefficient (no standard error:
    the decomposition is descriptive), with every comparison, its estimate and weight.

    Raises ``ValueError`` if the treatment is not binary, not absorbing, or never varies;
    ``TypeError`` if ``treated`` is not given.
    """
    if treated is None:
        raise TypeError("bacon_decomposition needs the treated column (0/1 per unit and period): "
                        "treated=...")
    spec = panel_spec(panel, outcome=outcome, unit=unit, time=time)
    outcome, unit, time = spec.outcome, spec.unit, spec.time
    wide, Dm, first = _timing(df, outcome, unit, time, treated, unbalanced)
    n, T = wide.y.shape
    twfe = _twfe_coefficient(Dm, wide.y, treated)
    comp, by, share_at = _weighted(_comparisons(wide.y, first, wide.periods), wide.periods)
    return BaconResult(
        method="Goodman-Bacon decomposition of TWFE", estimand="TWFE coefficient", estimate=twfe,
        std_error=float("nan"), ci_low=float("nan"), ci_high=float("nan"), n_obs=n * T,
        details={"n_units": n, "n_periods": T, "outcome": outcome, "treated": treated,
                 "weighted_sum": float((comp.estimate * comp.weight).sum())},
        comparisons=comp, by_type=by, share_already_treated=share_at, twfe=twfe,
    )
