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

The texts for the report (headline, conclusion, figure titles and axes) take a ``language``,
``"en"`` (default) or ``"es"``; in Spanish, models and channels are named by their display names
(:func:`smlib.narrative.model_label`, :func:`smlib.narrative.channel_label`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd

__all__ = [
    "Comparison",
    "DEFAULT_MODELS",
    "RULE_MODELS",
    "allocation_label",
    "channel_name",
    "conclusion",
    "headline_items",
    "model_name",
    "plot_credit_intervals",
    "recommend",
    "run_comparison",
    "plot_scores",
    "plot_share_heatmap",
    "score_against_truth",
    "share_matrix",
    "tvd",
    "unavailable_headline_items",
]

#: Models whose credit follows fixed rules on each path (no fitted model), for the write-up.
RULE_MODELS: tuple[str, ...] = ("first_touch", "last_touch", "last_non_direct", "linear",
                                "time_decay", "position_based", "w_shaped", "full_path")
#: Every model of the suite, in the order reports show them.
DEFAULT_MODELS: tuple[str, ...] = RULE_MODELS + ("markov", "shapley", "logistic", "incremental")
_FITTED = ("logistic", "incremental")


def _lang(language: str) -> str:
    from smlib.presentation.settings import validate_language

    return validate_language(language)


def _model_es(model: Any) -> str:
    """Spanish name of a model on its own (a table cell, a legend): ``Markov``, ``en U``."""
    return _model_phrase_es(model).removeprefix("de ")


def _model_phrase_es(model: Any) -> str:
    """Spanish name of a model after "el modelo": ``de Markov``, ``incremental (contrafactual)``."""
    from smlib.narrative import model_label

    return "realidad" if str(model) == "truth" else model_label(str(model), "es")


def _channel_es(channel: Any) -> str:
    from smlib.narrative import channel_label

    return channel_label(str(channel), "es")


def _names_es(channels: Iterable[Any], limit: int | None = None) -> str:
    """``a, b y c`` (Spanish display names), at most ``limit`` names then ``y N más``."""
    names = [_channel_es(c) for c in channels]
    if limit is not None and len(names) > limit:
        return ", ".join(names[:limit]) + f" y {len(names) - limit} más"
    return ", ".join(names[:-1]) + " y " + names[-1] if len(names) > 1 else "".join(names)


def model_name(model: str, language: str = "en") -> str:
    """A model as a report table names it: English ``first_touch`` → ``first touch`` (the id with
    spaces), Spanish its display name (``primer contacto``; the simulator's ``truth`` row →
    ``realidad``)."""
    return _model_es(model) if _lang(language) == "es" else str(model).replace("_", " ")


def channel_name(channel: str, language: str = "en") -> str:
    """A channel as a report table names it: English the channel as it is in the data, Spanish
    its display name (``sdr_call`` → ``llamadas SDR``; unknown channels with ``_`` as spaces)."""
    return _channel_es(channel) if _lang(language) == "es" else str(channel)


_ALLOCATION_ES = {"per-journey credit": "mérito por recorrido",
                  "per-type runs": "ejecuciones por tipo de recorrido", "presence": "presencia"}


def allocation_label(allocation: str, language: str = "en") -> str:
    """How :func:`smlib.attribution.teams.team_rollup` split a model's credit by journey type
    (its ``allocation`` column) in ``language``: ``per-type runs + presence`` →
    ``ejecuciones por tipo de recorrido + presencia``."""
    text = str(allocation)
    if _lang(language) == "en":
        return text
    return " + ".join(_ALLOCATION_ES.get(part, part) for part in text.split(" + "))


def _num_es(x: float) -> str:
    from smlib.narrative import format_number

    return format_number(x, 0, "es")


def tvd(p: pd.Series, q: pd.Series) -> float:
    """Total variation distance ``½ Σ |p_i − q_i|`` between two share vectors indexed by label.

    Labels missing from one side count as 0 there. Neither side is renormalised here.
    """
    p, q = p.align(q, fill_value=0.0)
    return float(0.5 * np.abs(p.to_numpy(float) - q.to_numpy(float)).sum())


def _as_long(credit: pd.DataFrame, name: str = "credit") -> pd.DataFrame:
    """Check a credit table; a single-model frame (no ``model`` column) becomes model 'model'."""
    if not isinstance(credit, pd.DataFrame):
        raise ValueError(f"{name}: expected a DataFrame, got {type(credit).__name__}")
    missing = [c for c in ("channel", "conversions") if c not in credit.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}; expected the output of "
                         "attribute()/compare(): model, channel, conversions, value, share")
    out = credit.copy()
    if "model" not in out.columns:
        out["model"] = "model"
    if "value" not in out.columns:
        out["value"] = np.nan
    num = pd.to_numeric(out["conversions"], errors="coerce")
    bad = ~np.isfinite(num.to_numpy(float))
    if bad.any():
        raise ValueError(f"{name}: column 'conversions', rows {list(np.flatnonzero(bad)[:5])}: "
                         "expected a finite number")
    dup = out.duplicated(["model", "channel"])
    if dup.any():
        raise ValueError(f"{name}: duplicate (model, channel) rows, e.g. "
                         f"{out.loc[dup, ['model', 'channel']].iloc[0].tolist()}; expected one row "
                         "per model and channel")
    return out


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
    long = _as_long(credit_long, "credit_long")
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
    long = _as_long(credit_long, "credit_long")
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


def plot_share_heatmap(credit_long: pd.DataFrame, truth_channel_effects: pd.DataFrame | None = None,
                       ax: Any = None, language: str = "en") -> Any:
    """Heatmap of credit shares (%) by model × channel; where models disagree stands out per column.

    Each cell is the model's share of credited conversions for the channel, in percent; a ``truth``
    row is added when the simulator's truth is given. Title, axes, models and channels in
    ``language``. Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    es = _lang(language) == "es"
    mat = share_matrix(credit_long, truth_channel_effects) * 100
    truth_row = list(mat.index).index("truth") if "truth" in mat.index else None
    if es:
        mat = mat.rename(index=_model_es, columns=_channel_es)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.0 + 0.75 * mat.shape[1], 0.9 + 0.45 * mat.shape[0]))
    sns.heatmap(mat, annot=True, fmt=".0f", cmap="Blues",
                cbar_kws={"label": "parte del mérito (%)" if es else "share of credit (%)"},
                linewidths=0.5, ax=ax)
    if es:
        ax.set_title("Parte de las compras atribuidas por modelo y canal (%)")
        ax.set_xlabel("canal")
        ax.set_ylabel("modelo")
    else:
        ax.set_title("Share of credited conversions by model and channel (%)")
        ax.set_xlabel("channel")
        ax.set_ylabel("model")
    if truth_row is not None:  # frame the truth row
        i = truth_row
        ax.axhline(i, color="black", lw=2)
        ax.axhline(i + 1, color="black", lw=2)
    return ax


def plot_scores(scores: pd.DataFrame, ax: Any = None, language: str = "en") -> Any:
    """Horizontal bars: each model's distance from the true channel shares (TVD, %), best on top.

    Bars show ``tvd_channel`` × 100 — the percentage of credit placed on the wrong channels;
    a marker shows the team-level TVD when available. Title, axes and models in ``language``.
    Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt

    es = _lang(language) == "es"
    if "tvd_channel" not in scores.columns or "model" not in scores.columns:
        raise ValueError("scores: expected the output of score_against_truth (model, tvd_channel)")
    s = scores.sort_values("tvd_channel", ascending=False)
    names = s["model"].map(_model_es) if es else s["model"].astype(str)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.8 + 0.4 * len(s)))
    ax.barh(names, s["tvd_channel"] * 100, color="#1f5c99",
            label="canales: mérito en canales equivocados" if es else
            "channels: credit on the wrong channels")
    if "tvd_team" in s.columns and s["tvd_team"].notna().any():
        ax.scatter(s["tvd_team"] * 100, names, color="#d95f02", zorder=3,
                   label="equipos: mérito en el equipo equivocado" if es else
                   "teams: credit on the wrong team")
    if es:
        ax.set_xlabel("distancia a las partes incrementales reales (distancia de variación total, "
                      "%)")
        ax.set_title("Cuánto se aleja el mérito de cada modelo de la realidad del simulador "
                     "(menos es mejor)")
    else:
        ax.set_xlabel("distance from the true incremental shares (total variation distance, %)")
        ax.set_title("How far each model's credit is from the simulator's truth (lower is better)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize="small",
              frameon=False)
    return ax


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"  # same style as the other reports ("85 %")


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
    models = list(dict.fromkeys(_as_long(credit_long, "credit_long")["model"]))
    for preferred in ("incremental", "logistic", "markov", "shapley"):
        if preferred in models:
            return preferred
    return str(models[0])


def conclusion(credit_long: pd.DataFrame, scores: pd.DataFrame | None = None,
               cv_results: pd.DataFrame | None = None, unidentified: Iterable[str] = (),
               language: str = "en") -> str:
    """A plain-language recommendation, computed from the results (never a fixed sentence).

    With ``scores`` (simulated data with a known truth): names the closest model, how much of the
    credit it misplaces, how the rule-based and Markov models compare and what share they give to
    sales versus the truth. Without a truth: says that accuracy cannot be measured, where the
    models disagree most (the channel with the widest range of shares) and which model to prefer
    and why (the incremental model is the only one that compares journeys with and without each
    channel, using non-converting journeys too; ``cv_results`` adds its out-of-sample fit).
    With ``unidentified`` channels and no truth, no model is preferred: the text says which
    channels the data cannot judge and what data would (their touches logged on every journey).
    ``language="es"``: the same text in Spanish.
    """
    if _lang(language) == "es":
        return _conclusion_es(credit_long, scores, cv_results, list(unidentified))
    mat = share_matrix(credit_long)
    spread = (mat.max(axis=0) - mat.min(axis=0)).sort_values(ascending=False)
    disagree = (f"The models disagree most about {spread.index[0]} (its share ranges from "
                f"{_pct(mat[spread.index[0]].min())} to {_pct(mat[spread.index[0]].max())}).")
    unidentified = list(unidentified)
    if (scores is None or scores.empty) and unidentified:
        return ("There is no known right answer for this data, so the accuracy of the models "
                f"cannot be measured. {disagree} No model can be recommended here: "
                f"{', '.join(unidentified)} occur only in journeys that ended in a purchase (or "
                "only in journeys that did not), so the data cannot show what a journey without "
                "them would have done. Every model's credit for them rests on its own assumption "
                "(a position rule, or a data-driven model extrapolating), and the models above "
                "disagree accordingly. Read the range across models, not one figure. To measure "
                "them, record these touches on every journey, including deals that were lost or "
                "are still open.")
    if scores is None or scores.empty:
        text = ("There is no known right answer for this data, so the accuracy of the models "
                f"cannot be measured. {disagree} ")
        if "incremental" in mat.index:
            text += ("Prefer the incremental model: it is the only one that compares journeys with "
                     "and without each channel (using the journeys that did not convert too), so "
                     "its credit estimates what would be lost without the channel, while rule-based "
                     "credit only reflects where touches sit in the journey.")
            if cv_results is not None and not cv_results.empty:
                best = cv_results.iloc[0]
                text += (f" Its conversion model ({best['candidate']}) was chosen by "
                         f"cross-validation (log loss {best['mean_log_loss']:.3f}).")
        return text
    s = scores.sort_values("rank")
    best = s.iloc[0]
    text = (f"On this simulated data the true effect of every channel is known. The "
            f"{best['model']} model came closest: it puts {_pct(best['tvd_channel'])} of the "
            f"credit on the wrong channels")
    others = s.iloc[1:]
    rules_markov = others[others["model"].astype(str).str.startswith(RULE_MODELS + ("markov",))]
    if len(rules_markov):
        text += (f", against {_pct(rules_markov['tvd_channel'].min())} to "
                 f"{_pct(rules_markov['tvd_channel'].max())} for the rule-based and Markov models")
    text += ". "
    if "sales_share" in s.columns and len(rules_markov):
        truth_sales = float(best["sales_share_truth"])
        text += (f"In truth sales touches earn {_pct(truth_sales)} of the incremental conversions; "
                 f"{best['model']} gives them {_pct(best['sales_share'])}, the rule-based and "
                 f"Markov models {_pct(rules_markov['sales_share'].min())} to "
                 f"{_pct(rules_markov['sales_share'].max())}. ")
    reason = ("it is the closest to the known truth, and rule-based credit only reflects where "
              "touches sit in a journey, not what they add"
              if not str(best["model"]).startswith(RULE_MODELS) else
              "it is the closest to the known truth here, but a rule fits only when the journeys "
              "happen to match it; re-check on new data")
    text += f"{disagree} Trust the {best['model']} model here: {reason}."
    return text


def _conclusion_es(credit_long: pd.DataFrame, scores: pd.DataFrame | None,
                   cv_results: pd.DataFrame | None, unidentified: list[str]) -> str:
    """:func:`conclusion` in Spanish (same rules, same numbers)."""
    from smlib.narrative import format_number

    mat = share_matrix(credit_long)
    spread = (mat.max(axis=0) - mat.min(axis=0)).sort_values(ascending=False)
    top = spread.index[0]
    disagree = (f"Los modelos discrepan sobre todo en {_channel_es(top)} (su parte va del "
                f"{_pct(mat[top].min())} al {_pct(mat[top].max())}).")
    unknown = ("No hay una respuesta correcta conocida para estos datos, así que no se puede medir "
               f"la precisión de los modelos. {disagree} ")
    if (scores is None or scores.empty) and unidentified:
        return (unknown + f"Aquí no se puede recomendar ningún modelo: {_names_es(unidentified)} "
                "solo aparecen en recorridos que acabaron en compra (o solo en recorridos que no), "
                "así que los datos no pueden mostrar qué habría pasado en un recorrido sin ellos. "
                "El mérito que les da cada modelo descansa en su propio supuesto (una regla de "
                "posición, o un modelo basado en datos que extrapola), y por eso los modelos de "
                "arriba no coinciden. Lea el rango entre modelos, no una sola cifra. Para "
                "medirlos, registre estos contactos en todos los recorridos, también en los "
                "acuerdos perdidos o aún abiertos.")
    if scores is None or scores.empty:
        text = unknown
        if "incremental" in mat.index:
            text += ("Conviene preferir el modelo incremental: es el único que compara recorridos "
                     "con y sin cada canal (usando también los recorridos que no acabaron en "
                     "compra), así que su mérito estima lo que se perdería sin el canal, mientras "
                     "que el mérito por reglas solo refleja dónde están los contactos en el "
                     "recorrido.")
            if cv_results is not None and not cv_results.empty:
                best = cv_results.iloc[0]
                text += (f" Su modelo de conversión ({best['candidate']}) se eligió por "
                         "validación cruzada (pérdida logarítmica "
                         f"{format_number(best['mean_log_loss'], 3, 'es')}).")
        return text
    s = scores.sort_values("rank")
    best = s.iloc[0]
    name = _model_phrase_es(best["model"])
    text = ("En estos datos simulados se conoce el efecto real de cada canal. El modelo "
            f"{name} fue el más cercano: pone el {_pct(best['tvd_channel'])} del mérito en "
            "canales equivocados")
    others = s.iloc[1:]
    rules_markov = others[others["model"].astype(str).str.startswith(RULE_MODELS + ("markov",))]
    if len(rules_markov):
        text += (f", frente a entre el {_pct(rules_markov['tvd_channel'].min())} y el "
                 f"{_pct(rules_markov['tvd_channel'].max())} de los modelos por reglas y de Markov")
    text += ". "
    if "sales_share" in s.columns and len(rules_markov):
        text += (f"En realidad, los contactos de ventas generan el "
                 f"{_pct(float(best['sales_share_truth']))} de las conversiones incrementales; el "
                 f"modelo {name} les da el {_pct(best['sales_share'])}, y los modelos por reglas y "
                 f"de Markov, entre el {_pct(rules_markov['sales_share'].min())} y el "
                 f"{_pct(rules_markov['sales_share'].max())}. ")
    reason = ("es el más cercano a la realidad conocida, y el mérito por reglas solo refleja dónde "
              "están los contactos en un recorrido, no lo que aportan"
              if not str(best["model"]).startswith(RULE_MODELS) else
              "es el más cercano a la realidad conocida aquí, pero una regla solo acierta cuando "
              "los recorridos encajan con ella; vuelva a comprobarlo con datos nuevos")
    return text + f"{disagree} Aquí conviene fiarse del modelo {name}: {reason}."


# --------------------------------------------------------------------------------------------
# One call for a report: every model's credit with bootstrap intervals
# --------------------------------------------------------------------------------------------
@dataclass
class Comparison:
    """Credit of several models on the same journeys, with bootstrap intervals.

    Attributes:
        credit: long table ``model, channel, conversions, value, share``.
        intervals: long table ``model, channel`` + the columns of
            :func:`smlib.attribution.uncertainty.bootstrap` (``share_ci_low``, ``share_ci_high``,
            ``ci_low``, ...) and ``method``; empty when ``n_boot == 0``.
        fitted: the fitted data-driven models by name (``logistic``, ``incremental``).
        skipped: models not run, with the reason (``skipped_es``: the reason in Spanish).
    """

    credit: pd.DataFrame
    intervals: pd.DataFrame
    fitted: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    draws: dict[str, Any] = field(default_factory=dict)
    level: float = 0.95
    skipped_es: dict[str, str] = field(default_factory=dict)

    def skipped_notes(self, language: str = "en") -> list[str]:
        """One Markdown sentence per model not run, saying why, in ``language``
        (``*logistic* was not run: it needs ...``)."""
        if _lang(language) == "es":
            return [f"*{_model_es(m)}* no se ha ejecutado: "
                    f"{self.skipped_es.get(m) or reason}." for m, reason in self.skipped.items()]
        return [f"*{m}* was not run: it {reason}." for m, reason in self.skipped.items()]

    def team_intervals(self, channel_teams: Any = None) -> pd.DataFrame:
        """Each model's share of credit per team (marketing / sales) with a bootstrap interval.

        Team share = Σ credit of the team's channels / Σ credit, computed on every bootstrap
        replicate (percentile interval at ``level``). Columns: model, team, share, ci_low, ci_high.
        """
        from smlib.attribution.teams import channel_team_map

        teams = channel_team_map(channel_teams)
        lo, hi = (1 - self.level) / 2, (1 + self.level) / 2
        rows = []
        for model, g in self.credit.groupby("model", sort=False):
            share = g.assign(team=g["channel"].map(teams)).groupby("team")["conversions"].sum()
            share = share / share.sum()
            d = self.draws.get(model)
            for team in sorted(share.index):
                row = {"model": model, "team": team, "share": float(share[team]),
                       "ci_low": np.nan, "ci_high": np.nan}
                if d is not None:
                    cols = [i for i, c in enumerate(d.channels) if teams.get(c) == team]
                    rep = d.conversions[:, cols].sum(axis=1) / d.conversions.sum(axis=1)
                    row["ci_low"], row["ci_high"] = np.nanquantile(rep, [lo, hi])
                rows.append(row)
        return pd.DataFrame(rows)

    def rerun_params(self) -> dict[str, dict[str, Any]]:
        """Parameters that re-run each fitted model as selected (no new model selection)."""
        out: dict[str, dict[str, Any]] = {}
        if "incremental" in self.fitted:
            out["incremental"] = {"candidates": [self.fitted["incremental"].best_candidate_],
                                  "cv": None}
        return out


def run_comparison(paths: pd.DataFrame, journeys: Any = None,
                   models: Iterable[str] | None = None, n_boot: int = 200, seed: int = 0,
                   level: float = 0.95, incremental_params: dict[str, Any] | None = None
                   ) -> Comparison:
    """Run the attribution models on one dataset, each with bootstrap intervals.

    ``paths``: the path table; ``journeys``: the touches table (or Journeys object) for
    ``time_decay``, ``w_shaped`` and ``full_path`` (skipped without it). Rule, Markov and Shapley
    models run through :func:`smlib.attribution.compare` and
    :func:`smlib.attribution.bootstrap`; ``logistic`` and ``incremental`` are fitted once
    (:class:`~smlib.attribution.regression.LogisticAttribution`,
    :class:`~smlib.attribution.regression.IncrementalAttribution` with ``incremental_params``)
    and bootstrapped with their own ``bootstrap`` method (resampling the same way).
    ``n_boot=0`` skips the intervals. Without journeys that did not convert (e.g. an export of
    won deals only) the data-driven models are skipped (``skipped`` says why); without any
    conversion nothing can be attributed and ValueError says so in words of the data.
    """
    from smlib.attribution import compare
    from smlib.attribution.api import JOURNEY_MODELS, MODELS
    from smlib.attribution.regression import IncrementalAttribution, LogisticAttribution

    names = list(DEFAULT_MODELS if models is None else models)
    unknown = [m for m in names if m not in MODELS]
    if unknown or not names:
        raise ValueError(f"run_comparison: unknown model(s) {unknown or '(none given)'}; choose "
                         f"from {sorted(MODELS)}")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 0 or n_boot == 1:
        raise ValueError(f"run_comparison: n_boot must be 0 (no intervals) or an integer >= 2, "
                         f"got {n_boot!r}")
    skipped = {m: "needs the journey-level touches table (journeys=...)"
               for m in names if m in JOURNEY_MODELS and journeys is None}
    skipped_es = {m: "necesita la tabla de contactos de cada recorrido (journeys=...)"
                  for m in skipped}
    from smlib.gaps import attribution_gap, data_driven_gap

    gap = attribution_gap(paths)
    if gap is not None:
        raise ValueError(f"run_comparison: this data does not have {gap.missing}")
    gap = data_driven_gap(paths)
    if gap is not None:  # e.g. only won deals exported: keep the rule-based models, say why
        skipped |= {m: f"needs {gap.missing}" for m in names if m in _FITTED}
        skipped_es |= {m: f"necesita {gap.missing_in('es')}" for m in names if m in _FITTED}
    plain = [m for m in names if m not in _FITTED and m not in skipped]
    frames = []
    if plain:
        frames.append(compare(paths, models=plain, journeys=journeys))
    fitted: dict[str, Any] = {}
    if "logistic" in names and "logistic" not in skipped:
        fitted["logistic"] = LogisticAttribution().fit(paths)
    if "incremental" in names and "incremental" not in skipped:
        fitted["incremental"] = IncrementalAttribution(**(incremental_params or {})).fit(paths)
    for name, model in fitted.items():
        frames.append(model.credit_.assign(model=name))
    credit = pd.concat(frames, ignore_index=True)[["model", "channel", "conversions", "value", "share"]]
    order = {m: i for i, m in enumerate(names)}
    credit = credit.sort_values("model", key=lambda s: s.map(order), kind="stable", ignore_index=True)

    from smlib.attribution.regression import _interval_frame
    from smlib.attribution.uncertainty import bootstrap_draws

    parts, draws = [], {}
    for name in (m for m in names if m not in skipped and n_boot):
        if name in fitted:
            d = fitted[name].bootstrap_draws(n_boot=n_boot, seed=seed)
        else:
            d = bootstrap_draws(journeys if name in JOURNEY_MODELS else paths, name,
                                n_boot=n_boot, seed=seed)
        draws[name] = d
        ci = _interval_frame(d.estimate, list(d.channels), d.conversions, d.value, level)
        parts.append(ci.assign(model=name, method=d.method))
    intervals = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame())
    if len(intervals):
        intervals = intervals[["model", *[c for c in intervals.columns if c != "model"]]]
    return Comparison(credit=credit, intervals=intervals, fitted=fitted, skipped=skipped,
                      draws=draws, level=level, skipped_es=skipped_es)


def plot_credit_intervals(intervals: pd.DataFrame, models: Iterable[str] | None = None,
                          ax: Any = None, language: str = "en") -> Any:
    """Dot-and-whisker plot: each model's share of credit per channel with its bootstrap interval.

    ``intervals``: :attr:`Comparison.intervals` (model, channel, share, share_ci_low,
    share_ci_high). ``models`` limits and orders the models shown. Shares in percent. Title,
    axes, models and channels in ``language``.
    """
    import matplotlib.pyplot as plt

    es = _lang(language) == "es"
    need = {"model", "channel", "share", "share_ci_low", "share_ci_high"}
    if not need <= set(intervals.columns):
        raise ValueError(f"intervals: missing column(s) {sorted(need - set(intervals.columns))}")
    shown = list(models) if models is not None else list(dict.fromkeys(intervals["model"]))
    data = intervals[intervals["model"].isin(shown)]
    channels = sorted(data["channel"].unique())
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.6 + 0.45 * len(channels) * max(1, len(shown)) ** 0.5))
    step = 0.8 / max(1, len(shown))
    for k, model in enumerate(shown):
        d = data[data["model"] == model].set_index("channel").reindex(channels)
        y = np.arange(len(channels)) + (k - (len(shown) - 1) / 2) * step
        err = np.vstack([d["share"] - d["share_ci_low"], d["share_ci_high"] - d["share"]]) * 100
        ax.errorbar(d["share"] * 100, y, xerr=np.clip(err, 0, None), fmt="o", ms=4, capsize=2,
                    label=_model_es(model) if es else str(model))
    ax.set_yticks(np.arange(len(channels)), [_channel_es(c) for c in channels] if es else channels)
    ax.invert_yaxis()
    if es:
        ax.set_xlabel("parte de las compras atribuidas (%), con su intervalo bootstrap")
        ax.set_title("Mérito por canal con su incertidumbre")
    else:
        ax.set_xlabel("share of credited conversions (%), with its bootstrap interval")
        ax.set_title("Credit per channel with its uncertainty")
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return ax


def headline_items(comparison: Comparison, paths: pd.DataFrame, scores: pd.DataFrame | None = None,
                   channel_teams: Any = None, unidentified: Iterable[str] = (),
                   language: str = "en") -> list[tuple[str, str]]:
    """The report's headline, computed from the results: (label, formatted text) pairs.

    Model to trust (:func:`recommend`), the share of credit it gives sales touches with its
    bootstrap interval, the accuracy against the truth when ``scores`` exist, and the data size.
    With ``unidentified`` channels (and no truth) no model is named: the headline says why and
    gives the range of the sales share over all models instead of one model's figure.
    ``language="es"``: the same items in Spanish.
    """
    unidentified = list(unidentified)
    rec = recommend(comparison.credit, scores, unidentified)
    teams = comparison.team_intervals(channel_teams)
    if _lang(language) == "es":
        return _headline_items_es(comparison, paths, scores, unidentified, rec, teams)
    if rec is None:
        names = ", ".join(unidentified[:4]) + (f" and {len(unidentified) - 4} more"
                                              if len(unidentified) > 4 else "")
        items = [("Model to trust here",
                  f"none can be named: the data cannot tell what {names} add, because they "
                  "occur only in journeys that ended in a purchase (or only in ones that did "
                  "not)")]
        sales = teams[teams["team"] == "sales"]
        if len(sales):
            items.append(("Share of the credit earned by sales touches",
                          f"{_pct(sales['share'].min())} to {_pct(sales['share'].max())}, "
                          f"depending on the model ({sales['model'].nunique()} models)"))
        totals = _path_totals(paths)
        items.append(("Journeys analysed",
                      f"{totals[0]:,.0f} journeys, {totals[1]:,.0f} purchases"))
        return items
    items = [("Model to trust here", rec)]
    sales = teams[(teams["model"] == rec) & (teams["team"] == "sales")]
    if len(sales):
        r = sales.iloc[0]
        ci = ("" if np.isnan(r["ci_low"]) else
              f" ({100 * comparison.level:.0f} % interval {_pct(r['ci_low'])} to {_pct(r['ci_high'])})")
        items.append(("Share of the credit earned by sales touches", f"{_pct(r['share'])}{ci}"))
    if scores is not None and len(scores):
        s = scores.set_index("model")
        text = f"{rec} puts {_pct(s.loc[rec, 'tvd_channel'])} of the credit on the wrong channels"
        others = s.drop(rec)
        rm = others[others.index.astype(str).str.startswith(RULE_MODELS + ("markov",))]
        if len(rm):
            text += (f"; rule-based and Markov models {_pct(rm['tvd_channel'].min())} to "
                     f"{_pct(rm['tvd_channel'].max())}")
        items.append(("Accuracy against the simulator's known truth", text))
    totals = _path_totals(paths)
    items.append(("Journeys analysed", f"{totals[0]:,.0f} journeys, {totals[1]:,.0f} purchases"))
    return items


def _headline_items_es(comparison: Comparison, paths: pd.DataFrame,
                       scores: pd.DataFrame | None, unidentified: list[str], rec: str | None,
                       teams: pd.DataFrame) -> list[tuple[str, str]]:
    """:func:`headline_items` in Spanish (same items, same order)."""
    from smlib.narrative import format_pct

    totals = _path_totals(paths)
    size = ("Recorridos analizados",
            f"{_num_es(totals[0])} recorridos, {_num_es(totals[1])} compras")
    share_label = "Parte del mérito que obtienen los contactos de ventas"
    if rec is None:
        items = [("Modelo en el que confiar aquí",
                  "no se puede nombrar ninguno: los datos no permiten saber qué aportan "
                  f"{_names_es(unidentified, limit=4)}, porque solo aparecen en recorridos que "
                  "acabaron en compra (o solo en recorridos que no)")]
        sales = teams[teams["team"] == "sales"]
        if len(sales):
            items.append((share_label, f"del {_pct(sales['share'].min())} al "
                                       f"{_pct(sales['share'].max())}, según el modelo "
                                       f"({sales['model'].nunique()} modelos)"))
        return items + [size]
    items = [("Modelo en el que confiar aquí", _model_es(rec))]
    sales = teams[(teams["model"] == rec) & (teams["team"] == "sales")]
    if len(sales):
        r = sales.iloc[0]
        ci = ("" if np.isnan(r["ci_low"]) else
              f" (intervalo del {format_pct(comparison.level, 'es', decimals=0)}: "
              f"{_pct(r['ci_low'])} a {_pct(r['ci_high'])})")
        items.append((share_label, f"{_pct(r['share'])}{ci}"))
    if scores is not None and len(scores):
        s = scores.set_index("model")
        text = (f"el modelo {_model_phrase_es(rec)} pone el {_pct(s.loc[rec, 'tvd_channel'])} del "
                "mérito en canales equivocados")
        others = s.drop(rec)
        rm = others[others.index.astype(str).str.startswith(RULE_MODELS + ("markov",))]
        if len(rm):
            text += ("; los modelos por reglas y de Markov, entre el "
                     f"{_pct(rm['tvd_channel'].min())} y el {_pct(rm['tvd_channel'].max())}")
        items.append(("Precisión frente a la realidad conocida del simulador", text))
    return items + [size]


def unavailable_headline_items(gap: Any, paths: pd.DataFrame,
                               language: str = "en") -> list[tuple[str, str]]:
    """The report's headline when no model can run (a :class:`smlib.gaps.DataGap` from
    :func:`smlib.gaps.attribution_gap`): what is missing, in words of the data, and its size, in
    ``language``."""
    n = 0.0 if paths is None or len(paths) == 0 else float(
        paths["total_conversions"].sum() + paths["total_null"].sum())
    conv = 0.0 if paths is None or len(paths) == 0 else float(paths["total_conversions"].sum())
    if _lang(language) == "es":
        lacks = {"no_journeys": "no tienen contactos con los que construir los recorridos de los "
                                "clientes",
                 "no_wins": "no tienen ningún acuerdo ganado después de un contacto"}
        missing = getattr(gap, "missing_in", None)
        why = lacks.get(gap.code) or "les falta " + (missing("es") if callable(missing)
                                                      else gap.missing)
        return [("Qué contactos generan los ingresos",
                 f"no se puede saber con estos datos: {why}"),
                ("Recorridos analizados", f"{_num_es(n)} recorridos, {_num_es(conv)} compras")]
    return [("Which touches earn the revenue",
             f"cannot be told from this data: it has no {gap.missing.removeprefix('any ')}"),
            ("Journeys analysed", f"{n:,.0f} journeys, {conv:,.0f} purchases")]


def _path_totals(paths: pd.DataFrame) -> tuple[float, float]:
    """(journeys, conversions) of a path table, validated by the shared parser."""
    from smlib.attribution.paths import parse_paths

    parsed = parse_paths(paths)
    return float(parsed.conversions.sum() + parsed.nulls.sum()), float(parsed.conversions.sum())
