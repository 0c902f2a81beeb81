"""Sufficient statistics of the attribution models, computed on the engine (small results only).

From the positioned touches of :func:`smlib.engine.pipeline.ibis_journeys`:

* :func:`transition_counts` — order-``k`` Markov transitions (ChannelAttribution's states:
  windows of ``k`` consecutive channels, a path shorter than ``k`` is one state; consecutive
  identical states merged when ``collapse_repeats``), with ``(start)``, ``(conversion)`` and
  ``(null)``; built with ``lag`` windows, never an ordered collect.
* :func:`channel_set_counts` — journeys, conversions and value per set of channels touched (a
  bitmask; the Shapley games need nothing else), at most 62 channels.
* :func:`rule_credit` — the credit of a rule model (first/last touch, last non-direct, linear,
  position-based, time decay, W-shaped, full path) from per-touch position weights computed with
  window functions and summed per channel: the same weights as :mod:`smlib.attribution.rules`.
* :func:`exposure_summary` — journeys, conversions and value per vector of touch counts by
  channel (the design matrix of the regression models, aggregated).

Time decay needs the touch ages to the microsecond, which no portable Ibis operation gives on
every backend; :data:`EPOCH_MICROS` names each tested backend's own function (DuckDB ``epoch_us``,
Spark ``unix_micros``, BigQuery ``UNIX_MICROS``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from smlib.engine.pipeline import EngineJourneys

__all__ = ["EPOCH_MICROS", "RULE_MODELS", "channel_set_counts", "exposure_summary", "rule_credit",
           "transition_counts"]

#: Rule models :func:`rule_credit` computes on the engine.
RULE_MODELS: tuple[str, ...] = ("first_touch", "last_touch", "last_non_direct", "linear",
                                "position_based", "time_decay", "w_shaped", "full_path")
#: Backend → SQL function giving a timestamp's microseconds since the epoch.
EPOCH_MICROS: dict[str, str] = {"duckdb": "epoch_us", "pyspark": "unix_micros",
                                "bigquery": "unix_micros"}
_START, _CONV, _NULL = "(start)", "(conversion)", "(null)"
_STATE_SEP = " > "


def _journeys(ej: Any) -> EngineJourneys:
    if not isinstance(ej, EngineJourneys):
        raise ValueError(f"expected EngineJourneys from smlib.engine.pipeline.ibis_journeys, got "
                         f"{type(ej).__name__}")
    return ej


def transition_counts(ej: EngineJourneys, order: int = 1, collapse_repeats: bool = True
                      ) -> pd.DataFrame:
    """Markov transitions ``from_state, to_state, count, value`` (sorted), one count per journey
    walk; ``value`` is the conversion value carried by transitions into ``(conversion)``."""
    import ibis  # lazy: ibis is a heavy dependency only the engine paths need

    j = _journeys(ej)
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise ValueError(f"order must be a positive integer, got {order!r}")
    t = j.expr("touches")
    part = ["account_id", "k"]
    w = ibis.window(group_by=part, order_by="position")
    # state at position p: channels p .. p+order-1 (lead), complete windows only; a journey
    # shorter than order is one state of all its channels
    cols = {f"c{i}": t.channel.lead(i).over(w) for i in range(order)}
    s = t.mutate(**cols)
    full = s[f"c{order - 1}"].notnull()
    state = s.c0
    for i in range(1, order):
        state = state.concat(_STATE_SEP, s[f"c{i}"])
    short = s.n_touches < order
    whole = s.c0
    for i in range(1, order):
        whole = whole.concat(s[f"c{i}"].isnull().ifelse("", ibis.literal(_STATE_SEP).concat(
            s[f"c{i}"].fill_null(""))))
    s = s.mutate(state=short.ifelse(whole, state))
    s = s.filter((short & (s.position == 0)) | (~short & full))
    if collapse_repeats:
        s = s.mutate(before=s.state.lag().over(w))
        s = s.filter(s.before.isnull() | (s.state != s.before))
    s = s.mutate(step=ibis.row_number().over(w),
                 nxt=s.state.lead().over(w))
    first = s.filter(s.step == 0).select(from_state=ibis.literal(_START), to_state=s.state,
                                         value=ibis.literal(0.0))
    inner = s.filter(s.nxt.notnull()).select(from_state=s.state, to_state=s.nxt,
                                             value=ibis.literal(0.0))
    last = s.filter(s.nxt.isnull()).select(
        from_state=s.state, to_state=s.converted.ifelse(_CONV, _NULL),
        value=s.converted.ifelse(s.conversion_value, 0.0))
    allt = first.union(inner).union(last)
    out = allt.group_by(["from_state", "to_state"]).aggregate(count=allt.count(),
                                                              value=allt.value.sum())
    df = out.to_pyarrow().to_pandas()
    df["count"] = df["count"].astype("int64")
    return df.sort_values(["from_state", "to_state"]).reset_index(drop=True)


def channel_set_counts(ej: EngineJourneys) -> pd.DataFrame:
    """Per set of channels touched: ``channels`` (tuple, sorted), ``mask`` (bit ``i`` = channel
    ``ej.channels[i]``), ``journeys``, ``conversions``, ``value``; sorted by mask."""
    j = _journeys(ej)
    if len(j.channels) > 62:
        raise ValueError(f"channel_set_counts: {len(j.channels)} channels; the bitmask holds 62")
    t = j.expr("touches")
    bit = t.channel.cases(*[(c, 2 ** i) for i, c in enumerate(j.channels)], else_=0)
    per = t.mutate(bit=bit.cast("int64")).select("account_id", "k", "bit", "converted",
                                                  "conversion_value").distinct()
    jm = per.group_by(["account_id", "k"]).aggregate(
        mask=per.bit.sum(), converted=per.converted.any(), value=per.conversion_value.max())
    g = jm.group_by("mask").aggregate(journeys=jm.count(),
                                      conversions=jm.converted.cast("int64").sum(),
                                      value=jm.value.sum())
    df = g.to_pyarrow().to_pandas().sort_values("mask").reset_index(drop=True)
    df["channels"] = [tuple(c for i, c in enumerate(j.channels) if m >> i & 1)
                      for m in df["mask"].astype("int64")]
    return df[["channels", "mask", "journeys", "conversions", "value"]].astype(
        {"mask": "int64", "journeys": "int64", "conversions": "int64", "value": "float64"})


def exposure_summary(ej: EngineJourneys) -> pd.DataFrame:
    """Per vector of touch counts by channel: one column per channel (counts), ``journeys``,
    ``conversions``, ``value`` — the regression models' design matrix, aggregated."""
    j = _journeys(ej)
    t = j.expr("touches")
    counts = {c: (t.channel == c).ifelse(1, 0).sum() for c in j.channels}
    per = t.group_by(["account_id", "k"]).aggregate(
        converted=t.converted.any(), value=t.conversion_value.max(), **counts)
    g = per.group_by(list(j.channels)).aggregate(
        journeys=per.count(), conversions=per.converted.cast("int64").sum(),
        value=per.value.sum())
    df = g.to_pyarrow().to_pandas()
    df = df.sort_values(list(j.channels)).reset_index(drop=True)
    return df.astype({c: "int64" for c in (*j.channels, "journeys", "conversions")})


def _epoch_us(col: Any, backend: str) -> Any:
    import ibis  # lazy: ibis is a heavy dependency only the engine paths need

    name = EPOCH_MICROS.get(backend)
    if name is None:
        raise ValueError(f"time_decay on the {backend} engine: no epoch-microseconds function is "
                         f"known for it (known: {sorted(EPOCH_MICROS)}); run time_decay on the "
                         "touches table instead")

    def epoch_us(ts: Any) -> int:
        """The backend's epoch-microseconds function (body unused: a builtin)."""

    fn = ibis.udf.scalar.builtin(epoch_us, name=name, signature=(("timestamp",), "int64"))
    return fn(col)


def _weights(ej: EngineJourneys, model: str, params: dict[str, Any]) -> Any:
    """Touches of converting journeys with their rule weight ``w`` (sum 1 per journey)."""
    import ibis  # lazy: ibis is a heavy dependency only the engine paths need

    t = ej.expr("converted_touches")
    part = ["account_id", "k"]
    n = t.n_touches.cast("float64")
    pos = t.position
    if model == "first_touch":
        return t.mutate(w=(pos == 0).ifelse(1.0, 0.0))
    if model == "last_touch":
        return t.mutate(w=(pos == t.n_touches - 1).ifelse(1.0, 0.0))
    if model == "linear":
        return t.mutate(w=1.0 / n)
    if model == "last_non_direct":
        direct = params.get("direct", ("direct",))
        direct = [direct] if isinstance(direct, str) else list(direct)
        last_nd = t.channel.isin(direct).ifelse(-1, pos).max().over(group_by=part)
        target = (last_nd >= 0).ifelse(last_nd, t.n_touches - 1)
        return t.mutate(w=(pos == target).ifelse(1.0, 0.0))
    if model == "position_based":
        first, middle, last = (float(params.get(k, d)) for k, d in
                               (("first", 0.4), ("middle", 0.2), ("last", 0.4)))
        _check_sum(model, {"first": first, "middle": middle, "last": last})
        if first + last <= 0:
            raise ValueError("position_based: first + last must be > 0")
        ends = (pos == 0).ifelse(first, 0.0) + (pos == t.n_touches - 1).ifelse(last, 0.0)
        w = ibis.cases((t.n_touches == 1, 1.0), (t.n_touches == 2, ends / (first + last)),
                       ((pos > 0) & (pos < t.n_touches - 1), middle / (n - 2)), else_=ends)
        return t.mutate(w=w)
    if model == "time_decay":
        half_life = float(params.get("half_life_days", 7.0))
        if not np.isfinite(half_life) or half_life <= 0:
            raise ValueError(f"time_decay: half_life_days must be a positive number, got {half_life}")
        age_us = _epoch_us(t.conversion_at, ej.engine) - _epoch_us(t.ts, ej.engine)
        t = t.mutate(age=age_us.cast("float64") / 86_400_000_000.0)
        t = t.mutate(min_age=t.age.min().over(group_by=part))
        t = t.mutate(raw=(ibis.literal(2.0).pow(-(t.age - t.min_age) / half_life)))
        return t.mutate(w=t.raw / t.raw.sum().over(group_by=part))
    if model in ("w_shaped", "full_path"):
        default = ({"first_touch": 0.3, "lead_creation": 0.3, "opp_creation": 0.3}
                   if model == "w_shaped" else
                   {"first_touch": 0.225, "lead_creation": 0.225, "opp_creation": 0.225,
                    "closed_won": 0.225})
        weights = {k: float(params.get(k, v)) for k, v in default.items()}
        rest = float(params.get("rest", 0.1))
        _check_sum(model, {**weights, "rest": rest})
        raw = ibis.literal(0.0)
        milestone = ibis.literal(False)
        for k, v in weights.items():
            flag = t[f"is_{k}"]
            raw = raw + flag.ifelse(v, 0.0)
            milestone = milestone | flag
        t = t.mutate(raw=raw, ms=milestone)
        t = t.mutate(n_rest=(~t.ms).ifelse(1, 0).sum().over(group_by=part))
        t = t.mutate(raw=t.raw + t.ms.ifelse(0.0, rest / ibis.greatest(t.n_rest, 1)))
        t = t.mutate(total=t.raw.sum().over(group_by=part))
        return t.mutate(w=t.raw / t.total)
    raise ValueError(f"unknown rule model {model!r}; expected one of {RULE_MODELS}")


def _check_sum(model: str, weights: dict[str, float]) -> None:
    bad = {k: v for k, v in weights.items() if not np.isfinite(v) or v < 0}
    if bad:
        raise ValueError(f"{model}: weights must be finite and ≥ 0, got {bad}")
    if abs(sum(weights.values()) - 1.0) > 1e-9:
        raise ValueError(f"{model}: weights {weights} sum to {sum(weights.values()):g}; they must "
                         "sum to 1")


def rule_credit(ej: EngineJourneys, model: str, **params: Any) -> pd.DataFrame:
    """Credit of rule ``model`` computed on the engine: ``channel, conversions, value, share``
    (every channel of the journeys, sorted; the layout of :mod:`smlib.attribution.rules`)."""
    j = _journeys(ej)
    t = _weights(j, model, params)
    g = t.group_by("channel").aggregate(conversions=t.w.sum(),
                                        value=(t.w * t.conversion_value).sum())
    got = g.to_pyarrow().to_pandas().set_index("channel")
    conv = got["conversions"].reindex(list(j.channels), fill_value=0.0).to_numpy(float)
    value = got["value"].reindex(list(j.channels), fill_value=0.0).to_numpy(float)
    total = conv.sum()
    share = conv / total if total != 0 else np.full(len(conv), np.nan)
    return pd.DataFrame({"channel": pd.Series(list(j.channels), dtype=object),
                         "conversions": conv, "value": value, "share": share})
