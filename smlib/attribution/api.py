"""Public entry points: ``attribute`` (one model) and ``compare`` (several, side by side).

Every model takes the path table (``path`` with ``" > "``, ``total_conversions``,
``total_conversion_value``, ``total_null``) or, for the models that need timestamps or milestones
(``time_decay``, ``w_shaped``, ``full_path``), the journey-level touches table of
:func:`smlib.journeys.build_journeys`, and returns one row per channel:
``channel, conversions, value, share`` — credited conversions and value summing to the input
totals, ``share`` = fraction of the credited conversions. Fractional counts are kept as they are.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Iterable

import pandas as pd

from smlib.attribution.paths import ParsedPaths, is_touches_table, parse_paths
from smlib.attribution.registry import DEFAULT_MODELS, JOURNEY_MODELS, MODELS

__all__ = ["MODELS", "JOURNEY_MODELS", "attribute", "compare"]

OUTPUT_COLUMNS: list[str] = ["channel", "conversions", "value", "share"]


def _as_input(data: Any, name: str, parsed_ok: bool) -> Any:
    """What to hand to a model: the parsed encoding for our models, a DataFrame for others."""
    if parsed_ok:
        return data
    if isinstance(data, ParsedPaths):
        return data.to_frame()
    if is_touches_table(data):  # external models take a path table: one row per journey
        return parse_paths(data).to_frame()
    return data


def _check_output(out: Any, name: str) -> pd.DataFrame:
    if not isinstance(out, pd.DataFrame) or not set(OUTPUT_COLUMNS) <= set(out.columns):
        raise ValueError(f"model {name!r} must return a DataFrame with columns {OUTPUT_COLUMNS}")
    return out


def attribute(paths: Any, model: str | Callable[..., pd.DataFrame], **params: Any) -> pd.DataFrame:
    """Run one attribution model.

    Args:
        paths: a path table, a touches table (or ``Journeys`` object) or a parsed
            :class:`~smlib.attribution.paths.ParsedPaths`.
        model: a name in :data:`smlib.attribution.registry.MODELS` or a callable ``fn(paths, **params) -> DataFrame``.
        **params: passed to the model (e.g. ``order=2`` for ``"markov"``, ``sep=","``).

    Returns:
        DataFrame ``channel, conversions, value, share`` (model-specific extra columns allowed).

    Raises:
        ValueError: unknown model, a journey-level model given a path table, or bad input.
    """
    if callable(model):
        return _check_output(model(paths, **params), getattr(model, "__name__", "callable"))
    if model not in MODELS:
        raise ValueError(f"unknown attribution model {model!r}; choose from {sorted(MODELS)} or "
                         "pass a callable")
    spec = MODELS[model]
    data = _as_input(paths, model, spec.accepts_parsed)
    return _check_output(spec.credit(data, **params), model)


def _normalise_models(models: Iterable[Any] | None) -> list[tuple[str, str | Callable, dict]]:
    """``[(label, model, params)]`` from names, ``(label, model)`` or ``(label, model, params)``."""
    out: list[tuple[str, str | Callable, dict]] = []
    for item in (DEFAULT_MODELS if models is None else models):
        if isinstance(item, str):
            out.append((item, item, {}))
        elif isinstance(item, tuple) and len(item) in (2, 3):
            out.append((str(item[0]), item[1], dict(item[2]) if len(item) == 3 else {}))
        else:
            raise ValueError(f"compare: each model must be a name, (label, model) or (label, model, "
                             f"params); got {item!r}")
    labels = [label for label, _, _ in out]
    if len(set(labels)) != len(labels):
        raise ValueError(f"compare: model labels must be unique, got {labels}")
    return out


def compare(paths: Any, models: Iterable[Any] | None = None, journeys: Any = None,
            opportunities: pd.DataFrame | None = None, accounts: pd.DataFrame | None = None,
            **params: dict[str, Any]) -> pd.DataFrame:
    """Run several models and stack their credit in one tidy long table.

    Args:
        paths: the path table (parsed once and shared by the models that accept the encoding).
            May be ``None`` when ``journeys`` is given: every model then runs on the journeys.
        models: names, ``(label, model)`` or ``(label, model, params)`` tuples, e.g.
            ``["linear", ("markov_3", "markov", {"order": 3})]``. Default: every model in
            :data:`MODELS`.
        journeys: the touches table (or ``Journeys`` object) for ``time_decay``, ``w_shaped`` and
            ``full_path``. Without it those models are skipped with a warning and listed in
            ``result.attrs["skipped"]``.
        opportunities, accounts: with ``journeys``, handed to the models that model journeys
            with their funnel milestones and accounts (registry flag ``uses_journeys``:
            ``incremental``, see :mod:`smlib.attribution.journey_model`); without them those
            models run on the path table.
        **params: per-model parameters keyed by model name or label, e.g. ``markov={"order": 2}``.

    Returns:
        DataFrame ``model, channel, conversions, value, share`` (one row per model × channel).
    """
    runs = _normalise_models(models)
    known = {label for label, _, _ in runs} | {m for _, m, _ in runs if isinstance(m, str)}
    for key, value in params.items():
        if key not in known:
            raise ValueError(f"compare: parameter {key!r} is not the name of a model being run "
                             f"({sorted(known)}); pass per-model parameters as name={{...}}")
        if not isinstance(value, dict):
            raise ValueError(f"compare: parameters for {key!r} must be a dict, got {type(value).__name__}")
    if paths is None and journeys is None:
        raise ValueError("compare: give a path table, a touches table (journeys=...), or both")
    parsed_paths = parse_paths(paths) if paths is not None else None
    parsed_journeys = parse_paths(journeys) if journeys is not None else None
    frames, skipped = [], {}
    for label, model, own in runs:
        by_name = params.get(model, {}) if isinstance(model, str) else {}
        kwargs = {**by_name, **params.get(label, {}), **own}
        needs_journeys = isinstance(model, str) and model in JOURNEY_MODELS
        if needs_journeys and parsed_journeys is None:
            skipped[label] = "needs the journey-level touches table: pass journeys=..."
            continue
        if needs_journeys or parsed_paths is None:
            raw, parsed = journeys, parsed_journeys
        else:
            raw, parsed = paths, parsed_paths
        own_model = isinstance(model, str) and model in MODELS and MODELS[model].accepts_parsed
        if (isinstance(model, str) and model in MODELS and MODELS[model].uses_journeys
                and journeys is not None and opportunities is not None):
            kwargs = {"journeys": journeys, "opportunities": opportunities, "accounts": accounts,
                      **kwargs}
        out = attribute(parsed if own_model else raw, model, **kwargs)
        frames.append(out.loc[:, OUTPUT_COLUMNS].assign(model=label))
    if skipped:
        warnings.warn("compare skipped: " + "; ".join(f"{k} ({v})" for k, v in skipped.items()),
                      stacklevel=2)
    result = (pd.concat(frames, ignore_index=True) if frames
              else pd.DataFrame(columns=["model", *OUTPUT_COLUMNS]))
    result = result.loc[:, ["model", *OUTPUT_COLUMNS]]
    result.attrs["skipped"] = skipped
    return result
