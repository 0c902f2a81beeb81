"""Every registered model's credit from journeys built on an engine (``smlib.engine``).

The rule models (first/last touch, last non-direct, linear, position-based, time decay, W-shaped,
full path) are computed on the engine from per-touch position weights
(:func:`smlib.engine.stats.rule_credit`): no touch row comes back to Python. The other models
(Markov, Shapley, logistic, incremental) run as today on the aggregated path table (one row per
distinct path), which is what their interfaces take; the same path table on every engine gives the
same credit.
"""

from __future__ import annotations

from typing import Any, Iterable

import pandas as pd

from smlib.attribution.registry import MODELS
from smlib.engine.pipeline import EngineJourneys
from smlib.engine.stats import RULE_MODELS, rule_credit

__all__ = ["engine_credit"]


def engine_credit(journeys: EngineJourneys, models: Iterable[str] | None = None,
                  params: dict[str, dict[str, Any]] | None = None) -> dict[str, pd.DataFrame]:
    """``{model: credit frame}`` for ``models`` (default: every model of the registry).

    ``params``: per-model keyword arguments (e.g. ``{"markov": {"order": 2}}``). Rule models run
    on the engine; the others on ``journeys.paths``. The credit frames have the standard columns
    ``channel, conversions, value, share``.

    Raises:
        ValueError: ``journeys`` is not an :class:`~smlib.engine.pipeline.EngineJourneys`, or an
            unknown model name.
    """
    if not isinstance(journeys, EngineJourneys):
        raise ValueError(f"engine_credit: expected EngineJourneys (smlib.engine.pipeline."
                         f"ibis_journeys), got {type(journeys).__name__}")
    names = list(MODELS) if models is None else list(models)
    unknown = [m for m in names if m not in MODELS]
    if unknown:
        raise ValueError(f"engine_credit: unknown model(s) {unknown}; expected some of {list(MODELS)}")
    params = params or {}
    out: dict[str, pd.DataFrame] = {}
    for name in names:
        kw = dict(params.get(name, {}))
        if name in RULE_MODELS:
            out[name] = rule_credit(journeys, name, **kw)
        else:
            out[name] = MODELS[name].credit(journeys.paths, **kw)
    return out
