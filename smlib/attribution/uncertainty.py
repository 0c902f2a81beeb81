"""Bootstrap confidence intervals for any attribution model's credit, by resampling journeys.

Resampling scheme (nonparametric bootstrap of journeys, Efron & Tibshirani 1993, ch. 6 and 13):
the ``N = Σ (conversions + nulls)`` journeys are drawn with replacement. Journeys with the same
path and outcome are interchangeable, so a resample is fully described by how many copies of each
*cell* — (path, converted) and (path, not converted) — it holds; those counts follow a
multinomial ``Mult(N, n_cell / N)``. All ``B`` resamples are drawn at once as a ``B × n_cells``
count matrix (in chunks to bound memory). Fractional counts are resampled with
``N = round(Σ counts)`` and the same probabilities. Each resampled conversion keeps the average
conversion value of its path (the value of the path's conversions / its conversions).

Credit of each resample, by model:

* rule models and Shapley ``count``/``ordered``: credit is linear in the counts, ``counts @ W``
  with the model's row → channel weights ``W`` — one matrix product for all resamples. Cells
  without conversions do not matter, so all non-converting journeys are lumped into one cell.
* ``markov``: transition counts are linear in the path counts; one sparse product per chunk gives
  every resample's transition counts, then the absorbing-chain solves (batched dense solves for
  small chains, sparse LU per resample otherwise).
* Shapley ``rate``: the coalition sums are linear in the counts (one sparse product per chunk),
  then the exact lattice transform per resample.
* any other model (e.g. ``logistic``/``incremental`` of part B, or a callable) falls back to
  re-running the model on each resampled path table — correct but ``n_boot`` times slower.

Intervals are percentile intervals of the draws; ``se`` is the standard deviation of the draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from smlib.attribution import markov_chain as _markov
from smlib.attribution import rules as _rules
from smlib.attribution import shapley_values as _shapley
from smlib.attribution.paths import parse_paths

__all__ = ["bootstrap", "bootstrap_draws", "BootstrapDraws"]

#: Upper bound on the number of float64 cells materialised per chunk of resamples.
_CHUNK_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class BootstrapDraws:
    """Bootstrap replicates of one model's credit.

    Attributes:
        channels: channel names (columns of the draw matrices).
        conversions, value: (n_boot, n_channels) credited conversions / value per resample.
        estimate: the model's credit on the original data (standard frame).
        method: ``"linear"``, ``"markov"``, ``"shapley_rate"`` or ``"refit"``.
        n_journeys: journeys per resample.
    """

    channels: tuple[str, ...]
    conversions: np.ndarray
    value: np.ndarray
    estimate: pd.DataFrame
    method: str
    n_journeys: int


def _draw_counts(rng: np.random.Generator, n: int, counts: np.ndarray, size: int) -> np.ndarray:
    """``size`` multinomial resamples of ``n`` journeys over cells with the given counts."""
    p = counts / counts.sum()
    return rng.multinomial(n, p, size=size).astype(float)


def _model_name(model: str | Callable) -> str:
    return model if isinstance(model, str) else getattr(model, "__name__", "callable")


def bootstrap_draws(paths: Any, model: str | Callable[..., pd.DataFrame], n_boot: int = 200,
                    seed: int = 0, **params: Any) -> BootstrapDraws:
    """Draw ``n_boot`` bootstrap replicates of a model's credit (see module docstring).

    Args:
        paths: path table, touches table or ParsedPaths.
        model: a name in :data:`smlib.attribution.api.MODELS` or a callable model.
        n_boot: number of resamples (≥ 2).
        seed: seed of ``numpy.random.default_rng``.
        **params: model parameters (``sep`` is used for parsing).
    """
    from smlib.attribution.api import MODELS, attribute  # api imports this module's siblings

    if not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
        raise ValueError(f"bootstrap: n_boot must be an integer ≥ 2, got {n_boot!r}")
    if isinstance(model, str) and model not in MODELS:
        raise ValueError(f"bootstrap: unknown model {model!r}; choose from {sorted(MODELS)}")
    sep = params.pop("sep", None)
    parsed = parse_paths(paths, sep=sep)
    parsed.require_conversions(f"bootstrap({_model_name(model)})")
    estimate = attribute(parsed if isinstance(model, str) else paths, model, **params)
    rng = np.random.default_rng(seed)
    conv, nulls = parsed.conversions, parsed.nulls
    n_journeys = int(round(conv.sum() + nulls.sum()))
    vpc = np.divide(parsed.value, conv, out=np.zeros_like(conv), where=conv > 0)
    n_rows = parsed.n_rows
    name = model if isinstance(model, str) else None

    if name in _rules.RULE_MODELS or (name == "shapley" and params.get("variant", "count") != "rate"):
        method = "linear"
        if name == "shapley":
            W = _shapley.count_weights(parsed)
        else:
            W = _rules.row_weights(parsed, name, **params)
        cells = np.r_[conv, nulls.sum()]  # non-converting journeys carry no credit: one cell
        chunk = max(1, _CHUNK_ELEMENTS // len(cells))
        out_c, out_v = [], []
        for start in range(0, n_boot, chunk):
            counts = _draw_counts(rng, n_journeys, cells, min(chunk, n_boot - start))[:, :n_rows]
            out_c.append(np.asarray((W.T @ counts.T).T))
            out_v.append(np.asarray((W.T @ (counts * vpc).T).T))
        return BootstrapDraws(parsed.channels, np.vstack(out_c), np.vstack(out_v), estimate,
                              method, n_journeys)

    if name in ("logistic", "incremental"):
        # fitted regression models resample with their own linearised (one-step) bootstrap,
        # which is first-order equivalent to refitting and needs no refit per resample
        from smlib.attribution import regression as _regression

        cls = {"logistic": _regression.LogisticAttribution,
               "incremental": _regression.IncrementalAttribution}[name]
        return cls(**params).fit(parsed).bootstrap_draws(n_boot=n_boot, seed=seed)

    cells = np.r_[conv, nulls]
    if name == "markov":
        method = "markov"
        chain = _markov.MarkovChain.build(parsed, int(params.get("order", 1)),
                                          bool(params.get("collapse_repeats", True)))

        def credit(c: np.ndarray, nl: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            p, p_rm, ev, ev_rm = chain.solve(c, nl, v)
            re = _removal_batch(p, p_rm)
            re_v = _removal_batch(ev, ev_rm)
            return _shapley.scale_to_total(re, c.sum(axis=1)), _shapley.scale_to_total(re_v, v.sum(axis=1))
        per_cell = 2 * n_rows + chain.incidence.shape[1]
    elif name == "shapley":
        method = "shapley_rate"

        def credit(c: np.ndarray, nl: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            rate, vrate = _shapley.rate_games(parsed, c, nl, v)
            phi = _shapley.shapley_from_game(rate)
            phi_v = _shapley.shapley_from_game(vrate)
            return _shapley.scale_to_total(phi, c.sum(axis=1)), _shapley.scale_to_total(phi_v, v.sum(axis=1))
        per_cell = 2 * n_rows + 4 * 2 ** parsed.n_channels
    else:
        method = "refit"

        def credit(c: np.ndarray, nl: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            res_c, res_v = np.zeros((len(c), parsed.n_channels)), np.zeros((len(c), parsed.n_channels))
            for b in range(len(c)):
                keep = (c[b] + nl[b]) > 0
                sub = parsed.with_counts(c[b], v[b], nl[b]).to_frame().loc[keep]
                out = attribute(sub, model, **params).set_index("channel")
                res_c[b] = out["conversions"].reindex(parsed.channels, fill_value=0.0).to_numpy()
                res_v[b] = out["value"].reindex(parsed.channels, fill_value=0.0).to_numpy()
            return res_c, res_v
        per_cell = 2 * n_rows
    chunk = max(1, _CHUNK_ELEMENTS // per_cell)
    out_c, out_v = [], []
    for start in range(0, n_boot, chunk):
        counts = _draw_counts(rng, n_journeys, cells, min(chunk, n_boot - start))
        c, nl = counts[:, :n_rows], counts[:, n_rows:]
        cc, vv = credit(c, nl, c * vpc)
        out_c.append(cc)
        out_v.append(vv)
    return BootstrapDraws(parsed.channels, np.vstack(out_c), np.vstack(out_v), estimate, method,
                          n_journeys)


def _removal_batch(base: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """Removal effects for a batch: ``1 − removed / base`` (0 where base is 0), clipped to [0, 1]."""
    safe = np.where(base > 0, base, 1.0)[:, None]
    return np.where(base[:, None] > 0, np.clip(1.0 - removed / safe, 0.0, 1.0), 0.0)


def bootstrap(paths: Any, model: str | Callable[..., pd.DataFrame], n_boot: int = 200, seed: int = 0,
              level: float = 0.95, **params: Any) -> pd.DataFrame:
    """Percentile bootstrap intervals for a model's credited conversions, value and share.

    Returns one row per channel: ``channel, conversions, se, ci_low, ci_high, value, value_se,
    value_ci_low, value_ci_high, share, share_se, share_ci_low, share_ci_high``. ``conversions``,
    ``value`` and ``share`` are the estimates on the original data; ``*_se`` are bootstrap standard
    deviations; intervals are the ``(1 ± level)/2`` quantiles of the ``n_boot`` replicates.
    ``result.attrs`` holds ``n_boot``, ``level``, ``method`` and ``n_journeys``.
    See the module docstring for the resampling scheme and the fast paths per model.
    """
    if not (isinstance(level, float | int) and 0 < level < 1):
        raise ValueError(f"bootstrap: level must be in (0, 1), got {level!r}")
    draws = bootstrap_draws(paths, model, n_boot=n_boot, seed=seed, **params)
    lo, hi = (1 - level) / 2, (1 + level) / 2
    total = draws.conversions.sum(axis=1, keepdims=True)
    share = np.divide(draws.conversions, total, out=np.full_like(draws.conversions, np.nan),
                      where=total != 0)
    est = draws.estimate.set_index("channel").reindex(list(draws.channels))
    out = pd.DataFrame({"channel": pd.Series(draws.channels, dtype=object)})
    for prefix, col, mat in (("", "conversions", draws.conversions), ("value_", "value", draws.value),
                             ("share_", "share", share)):
        out[col] = est[col].to_numpy(dtype=float)
        out[f"{prefix}se" if prefix else "se"] = np.nanstd(mat, axis=0, ddof=1)
        q = np.nanquantile(mat, [lo, hi], axis=0)
        out[f"{prefix}ci_low"] = q[0]
        out[f"{prefix}ci_high"] = q[1]
    out.attrs.update(n_boot=int(n_boot), level=float(level), method=draws.method,
                     n_journeys=draws.n_journeys)
    return out
