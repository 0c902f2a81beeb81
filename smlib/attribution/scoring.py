"""Score attribution models against a known truth (the simulator's counterfactual effects).

On simulated data the true incremental conversions of every channel are known (removing the
channel's touches inside the simulator, with the same random draws). A model's credit is judged by
how far its *shares* are from the true shares:

* total variation distance ``TVD(p, q) = ½ Σ_i |p_i − q_i|`` — the fraction of credit that would
  have to move to make the two distributions equal (0 = identical, 1 = disjoint; Levin, Peres &
  Wilmer, *Markov Chains and Mixing Times*, 2nd ed., 2017, §4.1);
* mean absolute error of the shares, ``(1/K) Σ_i |p_i − q_i|`` over the K channels of either table.

Channels missing from one side count with share 0 there. Shares are renormalised over channels
(credited conversions / their sum; true incremental conversions / their sum), so a model that
credits conversions and a truth measured in conversions are compared on the same scale; revenue
shares are compared the same way with ``value`` vs ``incremental_revenue``.

Report 01's headline, conclusion and pipeline are in :mod:`smlib.analyses.attribution_comparison`;
the figures in :mod:`smlib.attribution.plots`.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pandas as pd

from smlib.schemas import credit_table

__all__ = ["recommend", "score_against_truth", "share_matrix", "tvd"]


def tvd(p: pd.Series, q: pd.Series) -> float:
    """Total variation distance ``½ Σ |p_i − q_i|`` between two share vectors indexed by label.

    Labels missing from one side count as 0 there. Neither side is renormalised here.
    """
    p, q = p.align(q, fill_value=0.0)
    return float(0.5 * np.abs(p.to_numpy(float) - q.to_numpy(float)).sum())


def _shares(values: pd.Series, what: str) -> pd.Series:
    total = values.sum()
    if not np.isfinite(total) or total == 0:
        raise ValueError(f"{what}: the values sum to {total}; shares need a non-zero total")
    return values / total


def _truth_channels(truth: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(truth, pd.DataFrame):
        raise ValueError(f"truth_channel_effects: expected a DataFrame, got {type(truth).__name__}")
    missing = [c for c in ("channel", "incremental_conversions") if c not in truth.columns]
    if missing:
        raise ValueError(f"truth_channel_effects: missing column(s) {missing}; expected the "
                         "simulator's truth.channel_effects [channel, team, "
                         "incremental_conversions, incremental_revenue, share]")
    if truth["channel"].duplicated().any():
        raise ValueError("truth_channel_effects: duplicate channels "
                         f"{truth.loc[truth['channel'].duplicated(), 'channel'].tolist()[:3]}")
    return truth.set_index("channel")


def score_against_truth(credit_long: pd.DataFrame, truth_channel_effects: pd.DataFrame,
                        truth_team_effects: pd.DataFrame | None = None,
                        team_credit: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per model: how far its credit is from the true incremental effects.

    Args:
        credit_long: output of ``compare()`` (model, channel, conversions[, value]) or one model's
            ``attribute()`` frame.
        truth_channel_effects: ``truth.channel_effects`` [channel, team, incremental_conversions,
            incremental_revenue, share].
        truth_team_effects: ``truth.team_effects`` [team, incremental_conversions, ...] with team in
            marketing / sales / shared. Compared with ``team_credit`` on the teams both contain.
        team_credit: counterfactual team split per model [model, team, conversions] on the
            truth's definitions (marketing alone, sales alone, shared interaction), from
            :func:`smlib.attribution.teams.counterfactual_team_credit`; scored against
            ``truth_team_effects`` as ``tvd_team_split`` (NaN for models not in it).

    Team comparison for every model (``tvd_team``): the sum of channel credit per team
    (marketing vs sales) against the sum of the true channel effects per team, the channel → team
    map taken from the truth.

    Returns:
        DataFrame sorted best first: ``model``, ``tvd_channel`` (TVD of conversion shares over
        channels), ``mae_channel`` (mean absolute share error), ``tvd_value`` (TVD of revenue
        shares, NaN without values), ``tvd_team``, ``tvd_team_split`` (only with
        ``truth_team_effects`` and ``team_credit``), ``sales_share`` (model) and
        ``sales_share_truth`` (share of credit on sales channels), ``worst_channel`` (largest
        absolute share error) and ``rank`` (1 = closest, by ``tvd_channel`` then ``tvd_team``).
    """
    long = credit_table(credit_long, "credit_long")
    truth = _truth_channels(truth_channel_effects)
    true_share = _shares(truth["incremental_conversions"].astype(float), "truth incremental_conversions")
    true_value = (_shares(truth["incremental_revenue"].astype(float), "truth incremental_revenue")
                  if "incremental_revenue" in truth.columns else None)
    team_of = truth["team"] if "team" in truth.columns else None

    true_team = None
    if truth_team_effects is not None:
        tt = truth_team_effects.set_index("team")["incremental_conversions"].astype(float)
        true_team = _shares(tt, "truth_team_effects incremental_conversions")
    if team_credit is not None:
        team_credit = team_credit.copy()
        if "model" not in team_credit.columns:
            team_credit["model"] = "model"

    rows = []
    for model, g in long.groupby("model", sort=False):
        g = g.set_index("channel")
        share = _shares(g["conversions"].astype(float), f"credit of model {model!r}")
        err = (share.reindex(true_share.index.union(share.index), fill_value=0)
               - true_share.reindex(true_share.index.union(share.index), fill_value=0))
        row: dict[str, Any] = {"model": model, "tvd_channel": tvd(share, true_share),
                               "mae_channel": float(err.abs().mean()),
                               "worst_channel": str(err.abs().idxmax())}
        value = g["value"].astype(float)
        row["tvd_value"] = (tvd(_shares(value, f"value of model {model!r}"), true_value)
                            if true_value is not None and value.notna().all() and value.sum() != 0
                            else np.nan)
        if team_of is not None:
            by_team = share.groupby(team_of.reindex(share.index).fillna("unknown")).sum()
            true_by_team = true_share.groupby(team_of).sum()
            row["sales_share"] = float(by_team.get("sales", 0.0))
            row["sales_share_truth"] = float(true_by_team.get("sales", 0.0))
        row["tvd_team"] = (tvd(share.groupby(team_of.reindex(share.index).fillna("unknown")).sum(),
                               true_share.groupby(team_of).sum()) if team_of is not None else np.nan)
        if true_team is not None and team_credit is not None:
            row["tvd_team_split"] = _team_split_tvd(model, true_team, team_credit)
        rows.append(row)
    out = pd.DataFrame(rows)
    out = out.sort_values(["tvd_channel", "tvd_team", "model"], na_position="last",
                          ignore_index=True)
    out["rank"] = np.arange(1, len(out) + 1)
    cols = ["model", "tvd_channel", "mae_channel", "tvd_value", "tvd_team", "tvd_team_split",
            "sales_share",
            "sales_share_truth", "worst_channel", "rank"]
    return out[[c for c in cols if c in out.columns]]


def _team_split_tvd(model: Any, true_team: pd.Series, team_credit: pd.DataFrame) -> float:
    """TVD of the model's counterfactual team split vs the truth's, on the teams both contain."""
    mine = team_credit.loc[team_credit["model"] == model].set_index("team")["conversions"]
    if mine.empty:
        return np.nan
    common = mine.index.intersection(true_team.index)
    return tvd(_shares(mine.reindex(common).astype(float), f"team credit of {model!r}"),
               _shares(true_team.reindex(common), "truth team effects"))


def share_matrix(credit_long: pd.DataFrame, truth_channel_effects: pd.DataFrame | None = None
                 ) -> pd.DataFrame:
    """Shares of credited conversions as a model × channel table (rows sum to 1).

    With ``truth_channel_effects`` a last row ``truth`` holds the true incremental shares.
    Channels are ordered by team when the truth is given (marketing first), else alphabetically.
    """
    long = credit_table(credit_long, "credit_long")
    long["share_"] = long.groupby("model")["conversions"].transform(lambda s: s / s.sum())
    mat = long.pivot_table(index="model", columns="channel", values="share_", sort=False,
                           fill_value=0.0, aggfunc="sum")
    mat.columns.name = "channel"
    if truth_channel_effects is not None:
        truth = _truth_channels(truth_channel_effects)
        true_share = _shares(truth["incremental_conversions"].astype(float), "truth")
        mat = mat.reindex(columns=mat.columns.union(true_share.index), fill_value=0.0)
        mat.loc["truth"] = true_share.reindex(mat.columns, fill_value=0.0)
        if "team" in truth.columns:
            order = truth.reset_index().sort_values(["team", "channel"])["channel"].tolist()
            mat = mat[[c for c in order if c in mat.columns]
                      + sorted(c for c in mat.columns if c not in order)]
    else:
        mat = mat[sorted(mat.columns)]
    return mat


def recommend(credit_long: pd.DataFrame, scores: pd.DataFrame | None = None,
              unidentified: Iterable[str] = ()) -> str | None:
    """The model to trust: the closest to the truth when ``scores`` exist, else ``incremental``
    if it was run (the only model that estimates what each channel adds), else ``markov`` /
    ``shapley`` / the first model run, in that order.

    ``unidentified``: channels whose data-driven credit the data cannot identify (they occur only
    in converting or only in non-converting journeys; see
    :func:`smlib.data_warnings.separated_channels`). Without a truth to score against, no model
    is named then (``None``): every model's credit for those channels rests on an assumption the
    data cannot check (rule-based ones on their rule, data-driven ones on extrapolation)."""
    if scores is not None and len(scores):
        return str(scores.sort_values("rank").iloc[0]["model"])
    if list(unidentified):
        return None
    models = list(dict.fromkeys(credit_table(credit_long, "credit_long")["model"]))
    for preferred in ("incremental", "logistic", "markov", "shapley"):
        if preferred in models:
            return preferred
    return str(models[0])
