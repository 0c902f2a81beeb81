"""Roll channel credit up to teams: marketing, sales, and the credit they share.

Two questions, two tables, both for every model:

1. **Team credit** (``team_rollup(credit)``): the credit of each team's channels,
   ``marketing = Σ_{c ∈ marketing} credit_c`` and ``sales = Σ_{c ∈ sales} credit_c``. Compared
   with the truth as ``Σ_{c ∈ team} truth.channel_effects.incremental_conversions`` (each
   channel's true removal effect, its interactions included), normalised over the two teams.

2. **Where the credit is earned** (``team_rollup(credit, data=paths)``): the same credit split by
   journey type — ``marketing`` = credit earned on marketing-only journeys, ``sales`` = on
   sales-only journeys, ``shared`` = on mixed journeys (touched by both teams), the latter split
   further into the part credited to marketing channels and to sales channels
   (``marketing_channels`` / ``sales_channels`` columns).

   For a fitted data-driven model (``fitted=``: logistic, incremental) the credit is a sum over
   journeys — ``Σ_paths n_path · D[path, c]`` with ``D`` the per-path removal (or Shapley) effect,
   then scaled — so each channel's credit is split by the journey types of the paths it is earned
   on, exactly ("per-journey credit"). For any other model, its credit on journey type J is found
   by running the model on the journeys of type J alone; each channel's overall credit is then
   divided over the journey types in proportion to those per-type credits. For models whose
   credit is a sum over journeys (every rule-based model, Shapley with the subset value function)
   this is exact: the per-type runs add up to the overall credit. For Markov (fitted on all
   journeys at once) it is an allocation: the channel's overall credit, spread over journey types
   the way the model spreads it when it sees one journey type at a time. If a per-type run fails (e.g. no non-converting
   journeys of that type for a data-driven model), or gives a channel no credit anywhere, that
   channel's credit is spread in proportion to the conversions of the journeys of each type that
   contain it ("presence", stated in the ``allocation`` column).

How "shared" here relates to the simulator truth (``truth.team_effects``): the truth's ``shared``
is the *interaction* ``Σ(P_MS − P_M − P_S + P_0)`` — conversions that exist only because both teams
touched the journey — while credit earned on mixed journeys also contains what each team would
have achieved alone on those journeys. They are different quantities and are not scored against
each other. The truth's three-way split is matched only by a model with a counterfactual
(``IncrementalAttribution.team_effects`` / ``LogisticAttribution.team_effects``); rule-based and
Markov credit has no counterfactual and is scored on table 1.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from smlib import config
from smlib.attribution.api import attribute
from smlib.attribution.paths import is_touches_table, parse_paths, validate_paths
from smlib.attribution.registry import JOURNEY_MODELS
from smlib.journeys import JOURNEY_TYPES, channel_team_map
from smlib.schemas import credit_table

__all__ = ["counterfactual_team_credit", "journey_types", "team_rollup", "truth_team_credit"]

_TEAM_OF_TYPE = {"marketing_only": "marketing", "sales_only": "sales", "mixed": "shared"}


def _team_of(channels: pd.Series | np.ndarray, teams: Mapping[str, str]) -> np.ndarray:
    channels = pd.Series(np.asarray(channels, dtype=object))
    team = channels.map(teams)
    if team.isna().any():
        raise ValueError(f"channel_teams: no team for channel(s) "
                         f"{sorted(channels[team.isna()].astype(str).unique())[:5]}; give a map "
                         "channel -> 'marketing'/'sales' for every channel")
    return team.to_numpy(dtype=object)


def journey_types(paths: pd.Series | list[str], channel_teams: Mapping[str, str] | None = None
                  ) -> np.ndarray:
    """Journey type of each path string: ``marketing_only``, ``sales_only`` or ``mixed``."""
    teams = channel_team_map(channel_teams) if not isinstance(channel_teams, dict) else channel_teams
    s = pd.Series(list(paths), dtype=object)
    tokens = s.str.split(config.PATH_SEPARATOR, regex=False).explode()
    team = pd.Series(_team_of(tokens.str.strip(), teams), index=tokens.index)
    has_m = (team == "marketing").groupby(level=0).any()
    has_s = (team == "sales").groupby(level=0).any()
    return np.select([has_m & has_s, has_m], ["mixed", "marketing_only"], "sales_only").astype(object)


def _subsets(data: Any, teams: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The input split by journey type: path-table subsets, and touches subsets if given touches.

    Path-table models run on the (aggregated) path subsets even when touches are given, so the
    touches are parsed once; the journey-level models need the touches subsets.
    """
    if not is_touches_table(data):
        table = validate_paths(data)
        types = journey_types(table["path"], dict(teams))
        return {t: table.loc[types == t].reset_index(drop=True) for t in JOURNEY_TYPES}, None
    touches = data.touches if hasattr(data, "touches") else data
    team = _team_of(touches["channel"].astype(str).str.strip(), teams)
    jid = touches["journey_id"]
    has_m = pd.Series(team == "marketing").groupby(jid.to_numpy()).any()
    has_s = pd.Series(team == "sales").groupby(jid.to_numpy()).any()
    jtype = pd.Series(np.select([has_m & has_s, has_m], ["mixed", "marketing_only"],
                                "sales_only"), index=has_m.index)
    per_touch = jid.map(jtype).to_numpy()
    by_touch = {t: touches.loc[per_touch == t] for t in JOURNEY_TYPES}
    table = validate_paths(parse_paths(touches).to_frame())
    types = journey_types(table["path"], dict(teams))
    return {t: table.loc[types == t].reset_index(drop=True) for t in JOURNEY_TYPES}, by_touch


def _has_conversions(subset: pd.DataFrame) -> bool:
    if len(subset) == 0:
        return False
    if "total_conversions" in subset.columns:
        return bool(subset["total_conversions"].sum() > 0)
    return bool(subset["converted"].astype(bool).any())


def _default_runner(params: Mapping[str, Mapping[str, Any]]) -> Callable[[str, Any], pd.DataFrame]:
    def run(model: str, data: Any) -> pd.DataFrame:
        return attribute(data, model, **dict(params.get(model, {})))
    return run


def team_rollup(credit: pd.DataFrame, channel_teams: Mapping[str, str] | pd.DataFrame | None = None,
                data: Any = None, runner: Callable[[str, Any], pd.DataFrame] | None = None,
                params: Mapping[str, Mapping[str, Any]] | None = None,
                fitted: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Credit per team for every model (see the module docstring for the exact definitions).

    Args:
        credit: ``compare()`` output (model, channel, conversions, value) or one model's frame.
        channel_teams: channel → team map; see :func:`smlib.journeys.channel_team_map` (default
            config lists).
        data: optional path table, touches table or Journeys object the credit was computed on.
            Without it: rows ``marketing`` / ``sales`` = credit of each team's channels. With it:
            rows ``marketing`` (credit earned on marketing-only journeys), ``sales`` (on
            sales-only journeys) and ``shared`` (on mixed journeys).
        runner: ``runner(model, subset) -> credit frame`` used for the per-journey-type runs;
            default ``smlib.attribution.attribute(subset, model, **params[model])``. ``subset``
            is a path table, except for the journey-level models (time_decay, w_shaped,
            full_path) when ``data`` holds touches: they get the touches of those journeys.
        params: per-model keyword arguments for the default runner.
        fitted: label → fitted ``LogisticAttribution`` / ``IncrementalAttribution`` whose credit
            is split exactly by its per-journey credit instead of per-type runs.

    Returns:
        Long table ``model, team, conversions, value, share, marketing_channels, sales_channels``
        (``share`` of the model's total conversions; the last two split each row's conversions by
        the team of the credited channels), and with ``data`` an ``allocation`` column
        ("per-journey credit", "per-type runs", "per-type runs + presence" or "presence").
    """
    long = credit_table(credit, "credit")
    teams = channel_team_map(channel_teams)
    long["team_"] = _team_of(long["channel"].astype(str), teams)
    rows = []
    if data is None:
        for model, g in long.groupby("model", sort=False):
            total = g["conversions"].sum()
            for team in config.TEAMS:
                sel = g[g["team_"] == team]
                conv = float(sel["conversions"].sum())
                rows.append({"model": model, "team": team, "conversions": conv,
                             "value": float(sel["value"].sum()), "share": conv / total,
                             "marketing_channels": conv if team == "marketing" else 0.0,
                             "sales_channels": conv if team == "sales" else 0.0})
        return pd.DataFrame(rows)

    path_subsets, touch_subsets = _subsets(data, teams)
    run = runner or _default_runner(params or {})
    all_presence = _presence_fractions(pd.Index(sorted(long["channel"].astype(str).unique())),
                                       path_subsets)
    for model, g in long.groupby("model", sort=False):
        g = g.set_index("channel")
        subsets = (touch_subsets if touch_subsets is not None and model in JOURNEY_MODELS
                   else path_subsets)
        presence = {col: frac.reindex(g.index) for col, frac in all_presence.items()}
        if fitted and model in fitted:
            fracs, how = fitted[model].journey_type_fractions(teams), "per-journey credit"
            fracs = {col: f.reindex(g.index) for col, f in fracs.items()}
        else:
            fracs = _type_fractions(str(model), g.index, subsets, run)
            how = "per-type runs" if fracs is not None else "presence"
        if fracs is None:
            fracs = presence
        else:
            needs = pd.Series(False, index=g.index)
            for col in ("conversions", "value"):
                needs |= fracs[col].isna().any(axis=1) & (g[col] != 0)
            fracs = {col: fracs[col].fillna(presence[col]) for col in fracs}
            if needs.any():
                how += " + presence"
        total = g["conversions"].sum()
        for jt in JOURNEY_TYPES:
            conv = g["conversions"] * fracs["conversions"][jt].fillna(0.0)
            value = g["value"] * fracs["value"][jt].fillna(0.0)
            rows.append({"model": model, "team": _TEAM_OF_TYPE[jt], "conversions": float(conv.sum()),
                         "value": float(value.sum()), "share": float(conv.sum() / total),
                         "marketing_channels": float(conv[g["team_"] == "marketing"].sum()),
                         "sales_channels": float(conv[g["team_"] == "sales"].sum()),
                         "allocation": how})
    return pd.DataFrame(rows)


def _type_fractions(model: str, channels: pd.Index, subsets: Mapping[str, Any],
                    run: Callable[[str, Any], pd.DataFrame]) -> dict[str, pd.DataFrame] | None:
    """Fraction of each channel's credited conversions / value earned on each journey type.

    From per-type runs of the model; None when a run raises ValueError; NaN rows for channels
    without credit in any run.
    """
    per_type: dict[str, dict[str, pd.Series]] = {"conversions": {}, "value": {}}
    for jt, subset in subsets.items():
        if not _has_conversions(subset):
            for col in per_type:
                per_type[col][jt] = pd.Series(0.0, index=channels)
            continue
        try:
            out = run(model, subset).set_index("channel")
        except ValueError:
            return None
        for col in per_type:
            per_type[col][jt] = out[col].astype(float).reindex(channels, fill_value=0.0)
    return {col: _normalise_rows(pd.DataFrame(v)) for col, v in per_type.items()}


def _normalise_rows(credit: pd.DataFrame) -> pd.DataFrame:
    total = credit.sum(axis=1)
    return credit.div(total.where(total != 0), axis=0)


def _presence_fractions(channels: pd.Index, subsets: Mapping[str, pd.DataFrame]
                        ) -> dict[str, pd.DataFrame]:
    """Conversions (value) of the journeys of each type that contain the channel, as fractions.

    ``subsets``: path-table subsets (a channel counts once per path however often it appears).
    """
    per_type: dict[str, dict[str, pd.Series]] = {"conversions": {}, "value": {}}
    for jt, subset in subsets.items():
        tokens = (subset.assign(channel=subset["path"].str.split(config.PATH_SEPARATOR, regex=False))
                  .explode("channel").drop_duplicates(["path", "channel"]))
        sums = tokens.groupby("channel")[["total_conversions", "total_conversion_value"]].sum()
        sums = sums.reindex(channels, fill_value=0.0).astype(float)
        per_type["conversions"][jt] = sums["total_conversions"]
        per_type["value"][jt] = sums["total_conversion_value"]
    return {col: _normalise_rows(pd.DataFrame(v)) for col, v in per_type.items()}


def counterfactual_team_credit(fitted: Mapping[str, Any],
                               channel_teams: Mapping[str, str] | pd.DataFrame | None = None
                               ) -> pd.DataFrame:
    """Team split on the truth's definition for fitted models that have a counterfactual.

    ``fitted``: label → a fitted :class:`~smlib.attribution.regression.IncrementalAttribution` or
    :class:`~smlib.attribution.regression.LogisticAttribution`. For each, ``team_effects()``
    gives marketing = Σ(P_M − P_0), sales = Σ(P_S − P_0) and shared = Σ(P_MS − P_M − P_S + P_0)
    (see its docstring) — the same quantities as ``truth.team_effects``. Returns the long table
    ``model, team, conversions, value, share`` that :func:`score_against_truth` takes as
    ``team_credit``.
    """
    frames = []
    for label, model in fitted.items():
        if not hasattr(model, "team_effects"):
            raise ValueError(f"counterfactual_team_credit: {label!r} has no team_effects(); only "
                             "fitted logistic/incremental models have a counterfactual")
        te = model.team_effects(channel_teams)
        frames.append(pd.DataFrame({"model": label, "team": te["team"],
                                    "conversions": te["incremental_conversions"],
                                    "value": te["incremental_revenue"], "share": te["share"]}))
    return pd.concat(frames, ignore_index=True)


def truth_team_credit(truth_channel_effects: pd.DataFrame) -> pd.DataFrame:
    """The truth on the team-credit definition: true channel effects summed per team.

    Returns rows ``model="truth"``, team marketing / sales, ``conversions`` (Σ incremental
    conversions of the team's channels), ``value`` (Σ incremental revenue) and ``share``.
    """
    need = {"channel", "team", "incremental_conversions"}
    if not need <= set(truth_channel_effects.columns):
        raise ValueError(f"truth_channel_effects: missing column(s) "
                         f"{sorted(need - set(truth_channel_effects.columns))}")
    t = truth_channel_effects
    value = t["incremental_revenue"] if "incremental_revenue" in t.columns else np.nan
    g = (t.assign(value=value).groupby("team")[["incremental_conversions", "value"]].sum()
         .reindex(list(config.TEAMS), fill_value=0.0))
    total = g["incremental_conversions"].sum()
    return pd.DataFrame({"model": "truth", "team": g.index, "conversions": g["incremental_conversions"].to_numpy(),
                         "value": g["value"].to_numpy(),
                         "share": (g["incremental_conversions"] / total).to_numpy()})
