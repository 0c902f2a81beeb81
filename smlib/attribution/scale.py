"""Every registered model's credit from journeys built on an engine (``smlib.engine``).

The rule models (first/last touch, last non-direct, linear, position-based, time decay, W-shaped,
full path) are computed on the engine from per-touch position weights
(:func:`smlib.engine.stats.rule_credit`): no touch row comes back to Python. The other models
(Markov, Shapley, logistic, incremental) run as today on the aggregated path table (one row per
distinct path), which is what their interfaces take; the same path table on every engine gives the
same credit. The path table is encoded for them once (:func:`engine_parsed_paths`, straight from
the engine's integer path encoding) instead of once per model from its strings.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from smlib.attribution.paths import ParsedPaths, parse_paths
from smlib.attribution.registry import MODELS
from smlib.engine.pipeline import EngineJourneys
from smlib.engine.stats import RULE_MODELS, rule_credit

__all__ = ["engine_credit", "engine_parsed_paths"]

#: Models that take the path table itself rather than its parsed encoding: Markov's order-1
#: chain counts transitions in one pass over the tokenised rows (measured on 958,879 distinct
#: paths: 0.9 s CPU from the table, 2.1 s from the parsed encoding; the same credit).
_FROM_TABLE = frozenset({"markov"})


def engine_parsed_paths(journeys: EngineJourneys) -> ParsedPaths:
    """The path table of ``journeys`` as :class:`~smlib.attribution.paths.ParsedPaths`, equal to
    ``parse_paths(journeys.paths)`` (same channels, rows in the same canonical order, same
    counts) but built from the engine's channel codes rather than by splitting the strings.

    Falls back to :func:`~smlib.attribution.paths.parse_paths` when the strings would parse to
    something else than the codes (channel names with surrounding whitespace or ``'>'``, or no
    path of two channels, where the parser looks for another separator) or when there is no path.

    Raises:
        ValueError: ``journeys`` is not an :class:`~smlib.engine.pipeline.EngineJourneys`.
    """
    if not isinstance(journeys, EngineJourneys):
        raise ValueError(f"engine_parsed_paths: expected EngineJourneys (smlib.engine.pipeline."
                         f"ibis_journeys), got {type(journeys).__name__}")
    paths = journeys.paths
    channels = journeys.channels
    names = pa.array(list(channels), pa.string())
    clean = (len(channels) > 0 and not any(">" in c for c in channels)
             and pc.all(pc.equal(pc.utf8_trim_whitespace(names), names)).as_py())
    indptr, indices = journeys.path_codes()
    lengths = np.diff(indptr)
    if not clean or len(paths) == 0 or lengths.max() < 2:
        return parse_paths(paths)
    # canonical row order of parse_paths: lexicographic by channel sequence, a path before its
    # extensions. Keys: code + 1 per position (0 after the end), packed big-endian into int64
    # words (as many positions per word as fit), compared word by word
    width = int(lengths.max())
    base = len(channels) + 1
    per_key = max(1, int(62 // np.log2(base + 1)))
    padded = np.zeros((len(lengths), width), dtype=np.uint8 if base <= 255 else np.int64)
    rows = np.repeat(np.arange(len(lengths)), lengths)
    padded[rows, np.arange(len(indices)) - np.repeat(indptr[:-1], lengths)] = indices + 1
    keys = []
    for first in range(0, width, per_key):
        key = np.zeros(len(lengths), dtype=np.int64)
        for col in range(first, first + per_key):  # Horner, zero-padded past the widest path
            key *= base
            if col < width:
                key += padded[:, col]
        keys.append(key)
    order = np.lexsort(keys[::-1])
    new_lengths = lengths[order]
    new_indptr = np.zeros(len(order) + 1, dtype=np.int64)
    np.cumsum(new_lengths, out=new_indptr[1:])
    gather = np.repeat(indptr[:-1][order] - new_indptr[:-1], new_lengths) + \
        np.arange(new_indptr[-1])
    strings = paths["path"].to_numpy(dtype=object)[order]
    return ParsedPaths(
        channels=tuple(channels), indptr=new_indptr, indices=indices[gather].astype(np.int32),
        conversions=paths["total_conversions"].to_numpy(dtype=float)[order],
        value=paths["total_conversion_value"].to_numpy(dtype=float)[order],
        nulls=paths["total_null"].to_numpy(dtype=float)[order], paths=strings)


def engine_credit(journeys: EngineJourneys, models: Iterable[str] | None = None,
                  params: dict[str, dict[str, Any]] | None = None,
                  parsed: ParsedPaths | None = None) -> dict[str, pd.DataFrame]:
    """``{model: credit frame}`` for ``models`` (default: every model of the registry).

    ``params``: per-model keyword arguments (e.g. ``{"markov": {"order": 2}}``). Rule models run
    on the engine; the others on ``journeys``' path table (encoded once,
    :func:`engine_parsed_paths`, or ``parsed`` when given: pass it to reuse one encoding over
    several calls). The credit frames have the standard columns
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
    if parsed is not None and not isinstance(parsed, ParsedPaths):
        raise ValueError(f"engine_credit: parsed must be ParsedPaths (engine_parsed_paths), got "
                         f"{type(parsed).__name__}")
    for name in names:
        kw = dict(params.get(name, {}))
        if name in RULE_MODELS:
            out[name] = rule_credit(journeys, name, **kw)
            continue
        if name in _FROM_TABLE:
            out[name] = MODELS[name].credit(journeys.paths, **kw)
            continue
        if parsed is None:
            parsed = engine_parsed_paths(journeys)
        out[name] = MODELS[name].credit(parsed, **kw)
    return out
