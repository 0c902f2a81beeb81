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
* ``logistic``/``incremental``: fitted once, then their own linearised (one-step) bootstrap,
  through the same ``bootstrap_draws`` interface of their registry entry;
* any other model (a callable) falls back to re-running the model on each resampled path table —
  correct but ``n_boot`` times slower.

Which engine a model uses is said by its entry in :mod:`smlib.attribution.registry`; the engines
are in :mod:`smlib.attribution.resample`.

Intervals are percentile intervals of the draws; ``se`` is the standard deviation of the draws.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

from smlib.attribution.api import attribute
from smlib.attribution.paths import parse_paths
from smlib.attribution.registry import MODELS
from smlib.attribution.resample import BootstrapDraws, interval_frame, refit_draws

__all__ = ["bootstrap", "bootstrap_draws", "BootstrapDraws"]


def _model_name(model: str | Callable) -> str:
    return model if isinstance(model, str) else getattr(model, "__name__", "callable")


def bootstrap_draws(paths: Any, model: str | Callable[..., pd.DataFrame], n_boot: int = 200,
                    seed: int = 0, **params: Any) -> BootstrapDraws:
    """Draw ``n_boot`` bootstrap replicates of a model's credit (see module docstring).

    Args:
        paths: path table, touches table or ParsedPaths.
        model: a name in :data:`smlib.attribution.registry.MODELS` or a callable model.
        n_boot: number of resamples (≥ 2).
        seed: seed of ``numpy.random.default_rng``.
        **params: model parameters (``sep`` is used for parsing).
    """
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
        raise ValueError(f"bootstrap: n_boot must be an integer ≥ 2, got {n_boot!r}")
    if isinstance(model, str) and model not in MODELS:
        raise ValueError(f"bootstrap: unknown model {model!r}; choose from {sorted(MODELS)}")
    sep = params.pop("sep", None)
    parsed = parse_paths(paths, sep=sep)
    parsed.require_conversions(f"bootstrap({_model_name(model)})")
    if isinstance(model, str):
        return MODELS[model].bootstrap_draws(parsed, n_boot=n_boot, seed=seed, **params)
    estimate = attribute(paths, model, **params)

    def run(sub: pd.DataFrame, **kw: Any) -> pd.DataFrame:
        return attribute(sub, model, **kw)

    return refit_draws(parsed, run, estimate, n_boot, seed, **params)


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
    out = interval_frame(draws.estimate, list(draws.channels), draws.conversions, draws.value, level)
    out.attrs.update(n_boot=int(n_boot), level=float(level), method=draws.method,
                     n_journeys=draws.n_journeys)
    return out
