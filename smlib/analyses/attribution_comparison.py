"""Report 01's analysis: every attribution model on one dataset, with intervals, headline and verdict.

Two levels:

* :func:`run_comparison` runs the models on a path table (and the touches for the models that
  need them), each with bootstrap intervals, and returns a :class:`Comparison` (credit, intervals,
  fitted models, draws, models not run and why). :func:`headline_items`,
  :func:`unavailable_headline_items` and :func:`conclusion` turn results into the report's words
  (texts in the catalogue, ``[attribution.headline]`` / ``[attribution.conclusion]``).
* :func:`attribution_report` is the whole report on a :class:`smlib.io.Dataset`: journeys,
  data warnings, channels that cannot be told apart merged, the comparison, scores against the
  simulator's truth when there is one, the recommended model; the :class:`AttributionReport` it
  returns gives the notebook its headline, tables (:class:`~smlib.presentation.tables.ReportTable`)
  and figures, so each notebook cell only shows them.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd

from smlib import config
from smlib.attribution.api import compare
from smlib.attribution.experiments import calibrate, check_experiments, score_experiments
from smlib.attribution.paths import parse_paths
from smlib.attribution.plots import (allocation_label, channel_name, model_name, model_phrase,
                                     names_are_labels, plot_credit_intervals, plot_scores,
                                     plot_share_heatmap, plot_team_credit)
from smlib.attribution.registry import DEFAULT_MODELS, MODELS, RULE_MODELS
from smlib.attribution.resample import interval_frame
from smlib.attribution.scoring import recommend, score_against_truth, share_matrix
from smlib.attribution.sensitivity import confounding_sensitivity, exposed_conversions
from smlib.attribution.teams import counterfactual_team_credit, team_rollup
from smlib.attribution.uncertainty import bootstrap_draws
from smlib.data_warnings import collect_warnings, separated_channels
from smlib.gaps import attribution_gap, data_driven_gap
from smlib.io import load_experiments
from smlib.journeys import build_journeys, channel_team_map, merge_channels
from smlib.presentation.catalogue import entry, text
from smlib.presentation.numbers import format_number, format_pct
from smlib.presentation.settings import validate_language
from smlib.presentation.tables import ReportTable
from smlib.simulate.truth import has_truth, load_truth

__all__ = ["AttributionReport", "Comparison", "FALLBACK_VIEW", "attribution_report", "candidate_name",
           "conclusion",
           "headline_items", "mechanism_accuracy", "run_comparison", "unavailable_headline_items"]

#: Prefixes of the models the write-up groups as "rule-based and Markov".
_RULES_AND_MARKOV: tuple[str, ...] = RULE_MODELS + ("markov",)
#: The rule-based view shown when no model can be named: equal credit per touch, the rule-based
#: model closest to the simulator's truth on every mechanism (benchmarks/accuracy_mechanisms.py).
FALLBACK_VIEW: str = "linear"


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"  # same style as the other reports ("85 %")


def _names(channels: Iterable[Any], language: str, limit: int | None = None) -> str:
    """Channels as a list in ``language`` (``a, b and 2 more`` / ``a, b y c``)."""
    names = [channel_name(c, language) for c in channels]
    if limit is not None and len(names) > limit:
        return ", ".join(names[:limit]) + text("attribution.names.list_more", language,
                                               n=len(names) - limit)
    if len(names) > 1:
        return ", ".join(names[:-1]) + text("attribution.names.list_last", language) + names[-1]
    return "".join(names)


def _model_value(model: Any, language: str) -> str:
    """A model as a headline value: English the id, Spanish its display name."""
    return model_phrase(model, language).removeprefix("de ")


def _path_totals(paths: pd.DataFrame) -> tuple[float, float]:
    """(journeys, conversions) of a path table, validated by the shared parser."""
    parsed = parse_paths(paths)
    return float(parsed.conversions.sum() + parsed.nulls.sum()), float(parsed.conversions.sum())


def _size_item(journeys: float, purchases: float, language: str) -> tuple[str, str]:
    return (text("attribution.headline.size", language),
            text("attribution.headline.size_text", language,
                 journeys=format_number(journeys, 0, language),
                 purchases=format_number(purchases, 0, language)))


# --------------------------------------------------------------------------------------------
# Every model's credit with bootstrap intervals
# --------------------------------------------------------------------------------------------
@dataclass
class Comparison:
    """Credit of several models on the same journeys, with bootstrap intervals.

    Attributes:
        credit: long table ``model, channel, conversions, value, share``.
        intervals: long table ``model, channel`` + the columns of
            :func:`smlib.attribution.uncertainty.bootstrap` (``share_ci_low``, ``share_ci_high``,
            ``ci_low``, ...) and ``method``; empty when ``n_boot == 0``.
        fitted: the fitted models by name (``logistic``, ``incremental``).
        skipped: models not run, with the reason (English).
        draws: the bootstrap draws by model.
        level: the interval level.
        skip_reasons: models not run → (catalogue key under ``attribution.skipped``, values).
        withheld: models whose intervals are not computed because they were measured not to
            cover the truth (the estimator's ``intervals_calibrated`` is False), with the reason.
    """

    credit: pd.DataFrame
    intervals: pd.DataFrame
    fitted: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    draws: dict[str, Any] = field(default_factory=dict)
    level: float = 0.95
    skip_reasons: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    withheld: dict[str, str] = field(default_factory=dict)

    def skipped_notes(self, language: str = "en") -> list[str]:
        """One Markdown sentence per model not run, saying why, in ``language``
        (``*logistic* was not run: it needs ...``)."""
        lang = validate_language(language)
        notes = []
        for m, reason in self.skipped.items():
            if m in self.skip_reasons:
                key, values = self.skip_reasons[m]
                reason = text(f"attribution.skipped.{key}", lang,
                              **{k: (v(lang) if callable(v) else v) for k, v in values.items()})
            shown = model_name(m, lang) if names_are_labels(lang) else m
            notes.append(text("attribution.skipped.note", lang, model=shown, reason=reason))
        return notes

    def team_intervals(self, channel_teams: Any = None) -> pd.DataFrame:
        """Each model's share of credit per team (marketing / sales) with a bootstrap interval.

        Team share = Σ credit of the team's channels / Σ credit, computed on every bootstrap
        replicate (percentile interval at ``level``). Columns: model, team, share, ci_low, ci_high.
        """
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

    def to_frame(self) -> pd.DataFrame:
        """The credit with its intervals in one long table (one row per model and channel)."""
        if self.intervals.empty:
            return self.credit.copy()
        extra = [c for c in self.intervals.columns
                 if c not in ("conversions", "value", "share") or c in ("model", "channel")]
        return self.credit.merge(self.intervals[extra], on=["model", "channel"], how="left")


def run_comparison(paths: pd.DataFrame, journeys: Any = None,
                   models: Iterable[str] | None = None, n_boot: int = 200, seed: int = 0,
                   level: float = 0.95, incremental_params: dict[str, Any] | None = None,
                   opportunities: pd.DataFrame | None = None,
                   accounts: pd.DataFrame | None = None) -> Comparison:
    """Run the attribution models on one dataset, each with bootstrap intervals.

    ``paths``: the path table; ``journeys``: the touches table (or Journeys object) for the models
    that need it (``time_decay``, ``w_shaped``, ``full_path``; skipped without it). Models run
    through :func:`smlib.attribution.api.compare` and their registry entry's
    ``bootstrap_draws``; the fitted models (``logistic``, ``incremental`` with
    ``incremental_params``) are fitted once and bootstrapped with their own draws (resampling the
    same way). ``n_boot=0`` skips the intervals. Without journeys that did not convert (e.g. an
    export of won deals only) the data-driven models are skipped (``skipped`` says why); without
    any conversion nothing can be attributed and ValueError says so in words of the data.
    ``opportunities`` / ``accounts``: given with ``journeys``, the models that use them
    (registry flag ``uses_journeys``: ``incremental``) model each journey with its funnel
    milestones and account (:class:`smlib.attribution.journey_model.JourneyIncremental`).
    """
    names = list(DEFAULT_MODELS if models is None else models)
    unknown = [m for m in names if m not in MODELS]
    if unknown or not names:
        raise ValueError(f"run_comparison: unknown model(s) {unknown or '(none given)'}; choose "
                         f"from {sorted(MODELS)}")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 0 or n_boot == 1:
        raise ValueError(f"run_comparison: n_boot must be 0 (no intervals) or an integer >= 2, "
                         f"got {n_boot!r}")
    skipped = {m: "needs the journey-level touches table (journeys=...)"
               for m in names if MODELS[m].needs_journeys and journeys is None}
    reasons: dict[str, tuple[str, dict[str, Any]]] = {m: ("journeys", {}) for m in skipped}
    gap = attribution_gap(paths)
    if gap is not None:
        raise ValueError(f"run_comparison: this data does not have {gap.missing}")
    gap = data_driven_gap(paths)
    if gap is not None:  # e.g. only won deals exported: keep the rule-based models, say why
        for m in names:
            if MODELS[m].data_driven:
                skipped[m] = f"needs {gap.missing}"
                reasons[m] = ("data", {"missing": gap.missing_in})
    run = [m for m in names if m not in skipped]
    plain = [m for m in run if not MODELS[m].fitted]
    frames = []
    if plain:
        frames.append(compare(paths, models=plain, journeys=journeys))
    fitted: dict[str, Any] = {}
    for name in (m for m in run if MODELS[m].fitted):
        params = dict(incremental_params or {}) if name == "incremental" else {}
        if MODELS[name].uses_journeys and journeys is not None and opportunities is not None:
            params.update(journeys=journeys, opportunities=opportunities, accounts=accounts)
        fitted[name] = MODELS[name].fit(paths, **params)
        frames.append(fitted[name].credit_.assign(model=name))
    credit = pd.concat(frames, ignore_index=True)[["model", "channel", "conversions", "value", "share"]]
    order = {m: i for i, m in enumerate(names)}
    credit = credit.sort_values("model", key=lambda s: s.map(order), kind="stable", ignore_index=True)

    parts, draws, withheld = [], {}, {}
    for name in (m for m in run if n_boot):
        if name in fitted and not getattr(fitted[name], "intervals_calibrated", True):
            withheld[name] = ("its intervals on the path table alone were measured not to cover "
                              "the truth (benchmarks/coverage_attribution.py)")
            continue
        if name in fitted:
            d = fitted[name].bootstrap_draws(n_boot=n_boot, seed=seed)
        else:
            d = bootstrap_draws(journeys if MODELS[name].needs_journeys else paths, name,
                                n_boot=n_boot, seed=seed)
        draws[name] = d
        ci = interval_frame(d.estimate, list(d.channels), d.conversions, d.value, level)
        parts.append(ci.assign(model=name, method=d.method))
    intervals = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame())
    if len(intervals):
        intervals = intervals[["model", *[c for c in intervals.columns if c != "model"]]]
    return Comparison(credit=credit, intervals=intervals, fitted=fitted, skipped=skipped,
                      draws=draws, level=level, skip_reasons=reasons, withheld=withheld)


# --------------------------------------------------------------------------------------------
# The report's words
# --------------------------------------------------------------------------------------------
def headline_items(comparison: Comparison, paths: pd.DataFrame, scores: pd.DataFrame | None = None,
                   channel_teams: Any = None, unidentified: Iterable[str] = (),
                   language: str = "en") -> list[tuple[str, str]]:
    """The report's headline, computed from the results: (label, formatted text) pairs.

    Model to trust (:func:`smlib.attribution.scoring.recommend`), the share of credit it gives
    sales touches with its bootstrap interval, the accuracy against the truth when ``scores``
    exist, and the data size. With ``unidentified`` channels (and no truth) no model is named: the
    headline says why and gives the range of the sales share over all models instead of one
    model's figure. Texts in ``language`` (catalogue ``[attribution.headline]``).
    """
    lang = validate_language(language)
    unidentified = list(unidentified)
    rec = recommend(comparison.credit, scores, unidentified)
    teams = comparison.team_intervals(channel_teams)
    totals = _path_totals(paths)
    sales_label = text("attribution.headline.sales", lang)
    if rec is None:
        items = [(text("attribution.headline.trust", lang),
                  text("attribution.headline.trust_none", lang,
                       names=_names(unidentified, lang, limit=4)))]
        sales = teams[teams["team"] == "sales"]
        if len(sales):
            items.append((sales_label, text("attribution.headline.sales_range", lang,
                                            low=_pct(sales["share"].min()),
                                            high=_pct(sales["share"].max()),
                                            n=sales["model"].nunique())))
        return items + [_size_item(*totals, lang)]
    items = [(text("attribution.headline.trust", lang), _model_value(rec, lang))]
    sales = teams[(teams["model"] == rec) & (teams["team"] == "sales")]
    if len(sales):
        r = sales.iloc[0]
        ci = ("" if np.isnan(r["ci_low"]) else
              text("attribution.headline.sales_interval", lang,
                   level=format_pct(comparison.level, lang, decimals=0),
                   low=_pct(r["ci_low"]), high=_pct(r["ci_high"])))
        items.append((sales_label, f"{_pct(r['share'])}{ci}"))
    if scores is not None and len(scores):
        s = scores.set_index("model")
        line = text("attribution.headline.accuracy_text", lang, model=model_phrase(rec, lang),
                    tvd=_pct(s.loc[rec, "tvd_channel"]))
        others = s.drop(rec)
        rm = others[others.index.astype(str).str.startswith(_RULES_AND_MARKOV)]
        if len(rm):
            line += text("attribution.headline.accuracy_rules", lang,
                         low=_pct(rm["tvd_channel"].min()), high=_pct(rm["tvd_channel"].max()))
        items.append((text("attribution.headline.accuracy", lang), line))
    return items + [_size_item(*totals, lang)]


def unavailable_headline_items(gap: Any, paths: pd.DataFrame,
                               language: str = "en") -> list[tuple[str, str]]:
    """The report's headline when no model can run (a :class:`smlib.gaps.DataGap` from
    :func:`smlib.gaps.attribution_gap`): what is missing, in words of the data, and its size, in
    ``language``."""
    lang = validate_language(language)
    n = 0.0 if paths is None or len(paths) == 0 else float(
        paths["total_conversions"].sum() + paths["total_null"].sum())
    conv = 0.0 if paths is None or len(paths) == 0 else float(paths["total_conversions"].sum())
    missing_in = getattr(gap, "missing_in", None)
    missing = (missing_in(lang) if callable(missing_in) else gap.missing).removeprefix("any ")
    why_texts = entry("attribution.headline.why", lang)
    why = text(f"attribution.headline.why.{gap.code if gap.code in why_texts else 'other'}", lang,
               missing=missing)
    return [(text("attribution.headline.unavailable", lang),
             text("attribution.headline.unavailable_text", lang, why=why)),
            _size_item(n, conv, lang)]


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
    Texts in ``language`` (catalogue ``[attribution.conclusion]``).
    """
    lang = validate_language(language)
    mat = share_matrix(credit_long)
    spread = (mat.max(axis=0) - mat.min(axis=0)).sort_values(ascending=False)
    top = spread.index[0]
    disagree = text("attribution.conclusion.disagree", lang, channel=channel_name(top, lang),
                    low=_pct(mat[top].min()), high=_pct(mat[top].max()))
    unidentified = list(unidentified)
    if scores is None or scores.empty:
        out = text("attribution.conclusion.no_truth", lang, disagree=disagree)
        if unidentified:
            out += text("attribution.conclusion.unidentified", lang, names=_names(unidentified, lang))
            if FALLBACK_VIEW in mat.index:
                out += text("attribution.conclusion.fallback", lang,
                            model=model_phrase(FALLBACK_VIEW, lang))
            return out
        if "incremental" in mat.index:
            out += text("attribution.conclusion.prefer_incremental", lang)
            if cv_results is not None and not cv_results.empty:
                best = cv_results.iloc[0]
                out += text("attribution.conclusion.cv", lang,
                            candidate=candidate_name(best["candidate"], lang),
                            loss=format_number(best["mean_log_loss"], 3, lang))
        return out
    s = scores.sort_values("rank")
    best = s.iloc[0]
    name = model_phrase(best["model"], lang)
    out = text("attribution.conclusion.best", lang, model=name, tvd=_pct(best["tvd_channel"]))
    others = s.iloc[1:]
    rules_markov = others[others["model"].astype(str).str.startswith(_RULES_AND_MARKOV)]
    if len(rules_markov):
        out += text("attribution.conclusion.best_rules", lang,
                    low=_pct(rules_markov["tvd_channel"].min()),
                    high=_pct(rules_markov["tvd_channel"].max()))
    out += ". "
    if "sales_share" in s.columns and len(rules_markov):
        out += text("attribution.conclusion.sales", lang, truth=_pct(float(best["sales_share_truth"])),
                    model=name, share=_pct(best["sales_share"]),
                    low=_pct(rules_markov["sales_share"].min()),
                    high=_pct(rules_markov["sales_share"].max()))
    rule = str(best["model"]).startswith(RULE_MODELS)
    reason = text("attribution.conclusion.reason_rule" if rule
                  else "attribution.conclusion.reason_data", lang)
    return out + text("attribution.conclusion.trust", lang, disagree=disagree, model=name,
                      reason=reason)


# --------------------------------------------------------------------------------------------
# Report 01 on a dataset
# --------------------------------------------------------------------------------------------
def _markdown(body: str) -> None:
    """Display Markdown in a notebook (IPython imported here: smlib must not need it to import)."""
    from IPython.display import Markdown, display

    display(Markdown(textwrap.dedent(body).strip("\n")))


def _table(key: str, frame: pd.DataFrame, language: str, formats: dict[str, Any],
           intervals: dict[str, tuple[str, str]] | None = None, **values: Any) -> ReportTable:
    """A ReportTable whose caption and labels are ``attribution.nb.<key>.caption`` / ``.labels``."""
    return ReportTable(frame, caption=text(f"attribution.nb.{key}.caption", language, **values),
                       formats=formats, labels=dict(entry(f"attribution.nb.{key}.labels", language)),
                       intervals=intervals or {})


def candidate_name(candidate: str, language: str = "en") -> str:
    """A candidate conversion model's name as the report writes it: the journey model's
    ``"funnel"`` in words of the report's language; the path model's ids (``logit_C=0.01``,
    ``hgb``) as they are, being parameter settings rather than words."""
    from smlib.attribution.journey_model import SPECS, specification_label  # lazy: scikit-learn is slow to import

    if candidate in SPECS:
        return specification_label(candidate, language)
    return str(candidate)

@dataclass
class AttributionReport:
    """Report 01's results on one dataset (:func:`attribution_report`).

    Attributes:
        journeys: the :class:`smlib.journeys.Journeys` the models ran on (channels that always
            occur together merged into one).
        warnings: data warnings (:func:`smlib.data_warnings.collect_warnings`).
        separation: :func:`smlib.data_warnings.separated_channels` of the journeys.
        channel_teams: channel → team of the (merged) touchpoints.
        truth: the simulator's truth, or None.
        gap: why no model can run (:func:`smlib.gaps.attribution_gap`), or None.
        comparison: the :class:`Comparison` (None with a ``gap``).
        scores: accuracy against the truth (None without a truth).
        recommended: the model to trust, or None.
        shown_with_intervals: models of the interval chart.
    """

    journeys: Any
    warnings: list[Any]
    separation: Any
    channel_teams: dict[str, str]
    truth: Any = None
    gap: Any = None
    comparison: Comparison | None = None
    scores: pd.DataFrame | None = None
    recommended: str | None = None
    shown_with_intervals: tuple[str, ...] = ()
    sensitivity: pd.DataFrame | None = None
    experiments: pd.DataFrame | None = None
    experiment_scores: pd.DataFrame | None = None
    calibration: pd.DataFrame | None = None
    robustness_model: str | None = None

    @property
    def paths(self) -> pd.DataFrame:
        """The path table the models ran on."""
        return self.journeys.paths

    @property
    def unidentified(self) -> tuple[str, ...]:
        """Channels whose data-driven credit the data cannot identify."""
        return tuple(self.separation.affected)

    @property
    def true_effects(self) -> pd.DataFrame | None:
        """The simulator's true channel effects, or None."""
        return self.truth.channel_effects if self.truth is not None else None

    def _require(self) -> Comparison:
        if self.comparison is None:
            raise ValueError(f"no attribution on this data: {self.gap.missing}")
        return self.comparison

    # --- headline and verdict ---------------------------------------------------------------
    def headline_items(self, language: str = "en") -> list[tuple[str, str]]:
        """The headline (:func:`headline_items`, or :func:`unavailable_headline_items`)."""
        if self.comparison is None:
            return unavailable_headline_items(self.gap, self.paths, language)
        return headline_items(self.comparison, self.paths, self.scores, self.channel_teams,
                              unidentified=self.unidentified, language=language)

    def skipped_notes(self, language: str = "en") -> list[str]:
        """One sentence per model not run (empty without a comparison)."""
        return [] if self.comparison is None else self.comparison.skipped_notes(language)

    def conclusion(self, language: str = "en") -> str:
        """The verdict (:func:`conclusion`)."""
        comp = self._require()
        cv = comp.fitted["incremental"].cv_results_ if "incremental" in comp.fitted else None
        return conclusion(comp.credit, self.scores, cv, unidentified=self.unidentified,
                          language=language)

    def to_frame(self) -> pd.DataFrame:
        """Every model's credit with its intervals (:meth:`Comparison.to_frame`)."""
        return self._require().to_frame()

    # --- tables -----------------------------------------------------------------------------
    def share_table(self, language: str = "en") -> ReportTable:
        """Share of credited purchases by model × channel (a ``truth`` row with a truth)."""
        lang = validate_language(language)
        shares = share_matrix(self._require().credit, self.true_effects)
        frame = shares.reset_index()
        table = _table("shares", frame, lang, {"*": "pct_plain",
                                                "model": lambda m: model_name(m, lang)})
        if names_are_labels(lang):
            table.labels.update({c: channel_name(c, lang) for c in shares.columns})
        return table

    def interval_table(self, language: str = "en") -> ReportTable | None:
        """The recommended model's credit per channel with intervals (None without one)."""
        comp = self._require()
        if self.recommended is None or comp.intervals.empty:
            return None
        lang = validate_language(language)
        cols = ["channel", "conversions", "se", "ci_low", "ci_high", "value", "value_ci_low",
                "value_ci_high", "share", "share_ci_low", "share_ci_high"]
        frame = (comp.intervals.loc[comp.intervals["model"] == self.recommended, cols]
                 .sort_values("conversions", ascending=False))
        return _table("intervals", frame, lang,
                      {"channel": lambda c: channel_name(c, lang), "conversions": "float1",
                       "se": "float1"},
                      {"conversions": ("ci_low", "ci_high"), "value": ("value_ci_low", "value_ci_high"),
                       "share": ("share_ci_low", "share_ci_high")},
                      model=model_phrase(self.recommended, lang).removeprefix("de "))

    def team_table(self, language: str = "en") -> ReportTable:
        """Each model's team shares of the credit with intervals."""
        lang = validate_language(language)
        return _table("teams", self._require().team_intervals(self.channel_teams), lang,
                      {"model": lambda m: model_name(m, lang), "team": "team"},
                      {"share": ("ci_low", "ci_high")})

    def split_table(self, language: str = "en") -> ReportTable:
        """Credit by which teams touched the journey (:func:`~smlib.attribution.teams.team_rollup`)."""
        lang = validate_language(language)
        comp = self._require()
        split = team_rollup(comp.credit, self.channel_teams, data=self.journeys.touches,
                            fitted=comp.fitted)
        return _table("split", split, lang,
                      {"model": lambda m: model_name(m, lang), "team": "team",
                       "conversions": "float1", "marketing_channels": "float1",
                       "sales_channels": "float1",
                       "allocation": lambda a: allocation_label(a, lang)})

    def counterfactual_table(self, language: str = "en") -> ReportTable | None:
        """What if only one team had worked the accounts (fitted models; None without one)."""
        comp = self._require()
        if not comp.fitted:
            return None
        lang = validate_language(language)
        return _table("counterfactual", counterfactual_team_credit(comp.fitted, self.channel_teams),
                      lang, {"model": lambda m: model_name(m, lang), "team": "team",
                             "conversions": "float1"})

    def truth_team_table(self, language: str = "en") -> ReportTable | None:
        """The simulator's answer to the what-if question (None without a truth)."""
        if self.truth is None:
            return None
        return _table("truth_teams", self.truth.team_effects, validate_language(language),
                      {"team": "team", "incremental_conversions": "float1"})

    def scores_table(self, language: str = "en") -> ReportTable | None:
        """How far each model is from the truth (None without a truth)."""
        if self.scores is None:
            return None
        lang = validate_language(language)
        return _table("scores", self.scores, lang,
                      {"model": lambda m: model_name(m, lang), "tvd_channel": "pct",
                       "mae_channel": "pct", "tvd_value": "pct", "tvd_team": "pct",
                       "tvd_team_split": "pct", "worst_channel": lambda c: channel_name(c, lang)})

    def cv_table(self, language: str = "en") -> ReportTable | None:
        """The incremental model's candidates, best first (None when it was not fitted)."""
        comp = self._require()
        if "incremental" not in comp.fitted:
            return None
        lang = validate_language(language)
        cv = comp.fitted["incremental"].cv_results_
        from smlib.attribution.journey_model import SPECS, specification_label  # lazy: scikit-learn is slow to import

        blocks = {b for spec in SPECS.values() for b in spec}

        def features(value: Any) -> str:  # the journey model's added blocks in words
            if value in blocks:
                return specification_label(value, lang)
            return "–" if value in ("", "-", None) else str(value)

        formats: dict[str, Any] = {"*log_loss": "float4", "fold_*": "float4",
                                   "fit_seconds": "float1",
                                   "candidate": lambda c: candidate_name(c, lang),
                                   "features": features}
        if "compared_with" in cv.columns:  # the journey model's specifications
            formats["compared_with"] = lambda c: (candidate_name(c, lang)
                                                  if isinstance(c, str) and c else "–")
        table = _table("cv", cv, lang, formats)
        table.labels.update({c: text("attribution.nb.cv.fold", lang, n=c.removeprefix("fold_"))
                             for c in cv.columns if c.startswith("fold_")})
        return table

    def mechanism_table(self, language: str = "en", path: Any = None) -> ReportTable | None:
        """Each model's distance from the truth on each simulator mechanism (the stored benchmark,
        :func:`mechanism_accuracy`); None when it has not been run."""
        acc = mechanism_accuracy(path)
        if acc is None:
            return None
        lang = validate_language(language)
        formats: dict[str, Any] = {"model": lambda m: model_name(m, lang)}
        formats.update({c: "float2" for c in acc.columns if c != "model"})
        n = acc.attrs.get("accounts")
        return _table("mechanisms", acc, lang, formats,
                      seeds=", ".join(map(str, acc.attrs["seeds"])),
                      accounts=format_number(n, 0, lang) if n else "?")

    def show_mechanism_accuracy(self, language: str = "en") -> None:
        """The accuracy-over-mechanisms text and table: only beside a simulator's truth (the accuracy
        section), and nothing when the benchmark is not stored."""
        lang = validate_language(language)
        table = self.mechanism_table(lang) if self.truth is not None else None
        if table is not None:
            _markdown(text("attribution.nb.mechanisms.intro", lang))
            table.show(lang)

    def sensitivity_table(self, language: str = "en") -> ReportTable | None:
        """E-values of the recommended model's credit: how strong a hidden driver of exposure and
        purchase would have to be to change each channel's sign or rank (None without one)."""
        if self.sensitivity is None:
            return None
        lang = validate_language(language)
        return _table("sensitivity", self.sensitivity, lang,
                      {"channel": lambda c: channel_name(c, lang),
                       "next_channel": lambda c: "" if c is None else channel_name(c, lang),
                       "lost": "float1", "exposed_conversions": "float1", "risk_ratio": "float2",
                       "e_value_sign": "float2", "e_value_sign_ci": "float2",
                       "e_value_rank": "float2"},
                      model=model_phrase(self.robustness_model, lang))

    def experiments_table(self, language: str = "en") -> ReportTable | None:
        """Every model's figure against each experiment (None without experiments)."""
        if self.experiment_scores is None:
            return None
        lang = validate_language(language)
        frame = self.experiment_scores.assign(
            start=lambda d: d["start"].dt.strftime("%Y-%m-%d"),
            end=lambda d: d["end"].dt.strftime("%Y-%m-%d"),
            inside=lambda d: d["inside"].map(lambda v: text(
                "attribution.nb.experiments." + ("yes" if v else "no"), lang)))
        return _table("experiments", frame.drop(columns=["standard_error", "window_fraction"]), lang,
                      {"model": lambda m: model_name(m, lang),
                       "channel": lambda c: channel_name(c, lang), "experiment": "float1", "ci_low": "float1", "ci_high": "float1",
                       "model_figure": "float1", "z": "float2"})

    def calibration_table(self, language: str = "en") -> ReportTable | None:
        """The recommended model calibrated to the experiments (None without them)."""
        if self.calibration is None:
            return None
        lang = validate_language(language)
        method = str(self.calibration["method"].iat[0])
        return _table("calibration", self.calibration.drop(columns="method"), lang,
                      {"channel": lambda c: channel_name(c, lang), "model": "float1",
                       "model_se": "float1", "experiment": "float1", "experiment_se": "float1",
                       "calibrated": "float1", "calibrated_se": "float1", "ci_low": "float1",
                       "ci_high": "float1", "weight_experiment": "pct", "z_consistency": "float2",
                       "n_experiments": "int"},
                      model=model_phrase(self.robustness_model, lang),
                      method=text(f"attribution.nb.calibration.method_{method}", lang))

    def show_sensitivity(self, language: str = "en", on_gap: Any = None) -> None:
        """The sensitivity section: what an E-value is, and the table (or why there is none)."""
        def body(lang: str) -> None:
            _markdown(text("attribution.nb.sensitivity.intro", lang))
            table = self.sensitivity_table(lang)
            if table is None:
                _markdown(text("attribution.nb.sensitivity.none", lang))
            else:
                table.show(lang)
        self._show("sensitivity", language, on_gap, body)

    def show_experiments(self, language: str = "en", on_gap: Any = None) -> None:
        """The experiments section: every model against the lift tests and the calibrated credit,
        or how to add an ``experiments.csv``."""
        def body(lang: str) -> None:
            _markdown(text("attribution.nb.experiments.intro", lang))
            table = self.experiments_table(lang)
            if table is None:
                _markdown(text("attribution.nb.experiments.none", lang))
                return
            table.show(lang)
            cal = self.calibration_table(lang)
            if cal is not None:
                cal.show(lang)
        self._show("experiments", language, on_gap, body)

    # --- what a notebook cell shows ----------------------------------------------------------
    def _show(self, section: str | None, language: str, on_gap: Any, body: Any) -> None:
        """Show ``body()``, or with a :attr:`gap` call ``on_gap(gap, section title, language)``
        (e.g. :func:`smlib.report.show_gap`; nothing when ``section`` is None)."""
        lang = validate_language(language)
        if self.gap is not None:
            if section is not None and on_gap is not None:
                on_gap(self.gap, text(f"attribution.nb.{section}.section", lang), lang)
            return
        body(lang)

    def show_shares(self, language: str = "en", on_gap: Any = None) -> None:
        """Credit per channel and model: the truth note, the share table and the heatmap."""
        def body(lang: str) -> None:
            if self.truth is not None:
                _markdown(text("attribution.nb.shares.truth_note", lang))
            self.share_table(lang).show(lang)
            self.plot_shares(lang)
        self._show("shares", language, on_gap, body)

    def interval_method(self, language: str = "en") -> str:
        """How the intervals were made, what the credit measures and why data-driven credit can be
        negative: one paragraph (catalogue ``[attribution.intervals]``); "" without intervals."""
        lang = validate_language(language)
        comp = self.comparison
        if comp is None or not (comp.draws or comp.withheld):
            return ""
        kind, n_boot = self._interval_kind("incremental")
        parts = [text(f"attribution.intervals.method_{kind}", lang, n_boot=n_boot)]
        if comp.fitted:
            parts += [text("attribution.intervals.scaled", lang),
                      text("attribution.intervals.signed", lang)]
        return " ".join(parts)

    def interval_sentence(self, language: str = "en", model: str | None = None) -> str:
        """How ``model``'s ranges were made (default: the recommended model), in one sentence
        (catalogue ``[attribution.intervals]`` ``short_*``, for report 03); "" when that model
        has no intervals and none were withheld."""
        lang = validate_language(language)
        comp = self.comparison
        model = model or self.recommended
        if comp is None or model is None or not (model in comp.draws or model in comp.withheld):
            return ""
        kind, n_boot = self._interval_kind(model)
        return text(f"attribution.intervals.short_{kind}", lang, n_boot=n_boot)

    def _interval_kind(self, model: str) -> tuple[str, int]:
        """Which interval method ``model``'s credit had ("rules": not fitted; "journeys": the
        funnel model on journeys; "paths": a path-table model, intervals withheld) and the
        number of bootstrap resamples (0 without any)."""
        comp = self.comparison
        draws = comp.draws[model] if model in comp.draws else next(iter(comp.draws.values()), None)
        n_boot = int(draws.conversions.shape[0]) if draws is not None else 0
        fitted = comp.fitted.get(model)
        from smlib.attribution.journey_model import SPECS  # lazy: scikit-learn is slow to import

        kind = ("rules" if fitted is None else
                "journeys" if getattr(fitted, "best_candidate_", None) in SPECS else "paths")
        return kind, n_boot

    def show_interval_method(self, language: str = "en") -> None:
        """Show :meth:`interval_method` (nothing when the report has no intervals)."""
        body = self.interval_method(language)
        if body:
            _markdown(body)

    def show_intervals(self, language: str = "en", on_gap: Any = None) -> None:
        """The recommended model's credit with intervals (or why none), and the interval chart."""
        def body(lang: str) -> None:
            table = self.interval_table(lang)
            if table is not None:
                table.show(lang)
            elif self.recommended is None:
                _markdown(text("attribution.nb.intervals.none", lang))
            self.plot_intervals(lang)
        self._show("intervals", language, on_gap, body)

    def show_teams(self, language: str = "en", on_gap: Any = None) -> None:
        """Team shares with intervals and the team chart."""
        def body(lang: str) -> None:
            self.team_table(lang).show(lang)
            self.plot_teams(lang)
        self._show("teams", language, on_gap, body)

    def show_split(self, language: str = "en", on_gap: Any = None) -> None:
        """Credit by which teams touched the journey."""
        self._show("split", language, on_gap, lambda lang: self.split_table(lang).show(lang))

    def show_counterfactual(self, language: str = "en", on_gap: Any = None) -> None:
        """The what-if team split of the fitted models and the simulator's answer."""
        def body(lang: str) -> None:
            for table in (self.counterfactual_table(lang), self.truth_team_table(lang)):
                if table is not None:
                    table.show(lang)
        self._show("counterfactual", language, on_gap, body)

    def show_accuracy_intro(self, language: str = "en") -> None:
        """The accuracy section's text (only with a truth to score against)."""
        if self.scores is not None:
            _markdown(text("attribution.nb.scores.intro", validate_language(language)))

    def show_accuracy(self, language: str = "en") -> None:
        """The accuracy table and chart (only with a truth to score against)."""
        def body(lang: str) -> None:
            table = self.scores_table(lang)
            if table is not None:
                table.show(lang)
                self.plot_scores(lang)
        self._show(None, language, None, body)

    def show_cv(self, language: str = "en", on_gap: Any = None) -> None:
        """The incremental model's cross-validation table (when it was fitted)."""
        def body(lang: str) -> None:
            table = self.cv_table(lang)
            if table is not None:
                table.show(lang)
        self._show("cv", language, on_gap, body)

    def show_conclusion(self, language: str = "en", on_gap: Any = None) -> None:
        """The verdict as Markdown."""
        self._show("conclusion", language, on_gap, lambda lang: _markdown(self.conclusion(lang)))

    def show_skipped(self, language: str = "en") -> None:
        """One Markdown line per model not run."""
        for note in self.skipped_notes(language):
            _markdown(note)

    # --- figures ----------------------------------------------------------------------------
    def plot_shares(self, language: str = "en", ax: Any = None) -> Any:
        """Heatmap of credit shares by model × channel (with the truth row)."""
        return plot_share_heatmap(self._require().credit, self.true_effects, ax=ax,
                                  language=language)

    def plot_intervals(self, language: str = "en", ax: Any = None) -> Any:
        """Shares with bootstrap intervals for :attr:`shown_with_intervals` (None without draws)."""
        comp = self._require()
        if comp.intervals.empty:
            return None
        return plot_credit_intervals(comp.intervals,
                                     [m for m in self.shown_with_intervals if m in comp.draws],
                                     ax=ax, language=language)

    def plot_teams(self, language: str = "en", ax: Any = None) -> Any:
        """Stacked bars of each model's team credit (with the truth bar)."""
        return plot_team_credit(team_rollup(self._require().credit, self.channel_teams),
                                self.true_effects, ax=ax, language=language)

    def plot_scores(self, language: str = "en", ax: Any = None) -> Any:
        """Each model's distance from the truth (None without a truth)."""
        return None if self.scores is None else plot_scores(self.scores, ax=ax, language=language)


def attribution_report(dataset: Any, lookback_days: int, models: Iterable[str] | None = None,
                       n_boot: int = 200, seed: int = 0,
                       shown_with_intervals: Iterable[str] = (),
                       experiments: pd.DataFrame | None = None) -> AttributionReport:
    """Run report 01's analysis on ``dataset`` (a :class:`smlib.io.Dataset`).

    Journeys (:func:`smlib.journeys.build_journeys`, ``lookback_days``); channels that always
    occur together are credited as one (:func:`smlib.journeys.merge_channels`); data warnings;
    the channel → team map of the touchpoints; then, unless the data cannot support attribution
    (:func:`smlib.gaps.attribution_gap`), :func:`run_comparison` (``models``, ``n_boot``,
    ``seed``; the incremental model's folds seeded with ``seed``), the scores against the
    simulator's truth when the dataset has one, and the recommended model.
    """
    journeys = build_journeys(dataset.touchpoints, dataset.opportunities, lookback_days,
                              validate_input=False)
    warnings = collect_warnings(dataset, journeys)
    separation = separated_channels(journeys.paths)
    touchpoints = merge_channels(dataset.touchpoints, separation.always_together)
    if separation.always_together:
        journeys = build_journeys(touchpoints, dataset.opportunities, lookback_days,
                                  validate_input=False)
        separation = separated_channels(journeys.paths)
    truth = load_truth(dataset.path) if has_truth(dataset.path) else None
    report = AttributionReport(journeys=journeys, warnings=warnings, separation=separation,
                               channel_teams=channel_team_map(touchpoints), truth=truth,
                               gap=attribution_gap(journeys.paths),
                               shown_with_intervals=tuple(shown_with_intervals))
    if report.gap is not None:
        return report
    comp = run_comparison(journeys.paths, journeys.touches, models=models, n_boot=n_boot,
                          seed=seed, incremental_params={"random_state": seed},
                          opportunities=dataset.opportunities,
                          accounts=getattr(dataset, "accounts", None))
    report.comparison = comp
    if truth is not None:
        report.scores = score_against_truth(
            comp.credit, truth.channel_effects, truth.team_effects,
            counterfactual_team_credit(comp.fitted, report.channel_teams) if comp.fitted else None)
    report.recommended = recommend(comp.credit, report.scores, separation.affected)
    _add_robustness(report, experiments if experiments is not None
                    else load_experiments(getattr(dataset, "path", None)))
    return report


#: Order of the simulator mechanisms in the accuracy table (smlib.simulate.mechanisms.MECHANISMS).
_MECHANISM_ORDER: tuple[str, ...] = ("default", "order", "diminishing", "recency", "harmful",
                                     "combined", "confounded")


def mechanism_accuracy(path: Any = None) -> pd.DataFrame | None:
    """Mean L1 distance of each model's channel shares to the truth, per simulator mechanism.

    Read from the table ``benchmarks/accuracy_mechanisms.py --csv`` writes (default
    ``config.ACCURACY_MECHANISMS_CSV``): one row per model (best mean over the unconfounded
    mechanisms first), one column per mechanism, plus ``seeds`` and ``accounts`` in ``attrs``.
    None when the file is absent.
    """
    file = config.ACCURACY_MECHANISMS_CSV if path is None else path
    try:
        long = pd.read_csv(file)
    except FileNotFoundError:
        return None
    missing = {"mechanism", "seed", "model", "l1"} - set(long.columns)
    if missing:
        raise ValueError(f"{file}: missing column(s) {sorted(missing)}; rerun "
                         "benchmarks/accuracy_mechanisms.py --csv")
    wide = long.pivot_table(index="model", columns="mechanism", values="l1", aggfunc="mean")
    wide = wide[[m for m in _MECHANISM_ORDER if m in wide.columns]
                + sorted(c for c in wide.columns if c not in _MECHANISM_ORDER)]
    unconf = [c for c in wide.columns if c != "confounded"]
    wide = wide.loc[wide[unconf].mean(axis=1).sort_values().index]
    wide.columns.name = None
    out = wide.reset_index()
    out.attrs["seeds"] = sorted(int(x) for x in long["seed"].unique())
    out.attrs["accounts"] = int(long["accounts"].iloc[0]) if "accounts" in long.columns else None
    return out


def _raw_figures(comp: Comparison, model: str) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame] | None:
    """A fitted model's raw removal figures (``incremental_conversions`` when it gives them), their
    bootstrap standard errors and percentile intervals, or None for a model that is not fitted.

    The draws are of the scaled credit; the raw figure's spread is taken from them by the ratio of
    raw to scaled figure per channel (the uncertainty of that ratio is not added)."""
    fitted = comp.fitted.get(model)
    if fitted is None:
        return None
    credit = fitted.credit_
    col = "incremental_conversions" if "incremental_conversions" in credit.columns else "conversions"
    c = credit.set_index("channel")
    raw, scaled = c[col].astype(float), c["conversions"].astype(float)
    ratio = (raw / scaled.where(scaled != 0)).fillna(1.0)
    out = pd.DataFrame({"channel": raw.index, "incremental_conversions": raw.to_numpy()})
    draws = comp.draws.get(model)
    if draws is None:
        return out, pd.Series(np.nan, index=raw.index), None
    d = pd.DataFrame(draws.conversions, columns=list(draws.channels)).reindex(columns=raw.index)
    lo, hi = (1 - comp.level) / 2, (1 + comp.level) / 2
    r = ratio.to_numpy()
    a, b = d.quantile(lo).to_numpy() * r, d.quantile(hi).to_numpy() * r
    ci = pd.DataFrame({"channel": raw.index, "ci_low": np.fmin(a, b), "ci_high": np.fmax(a, b)})
    return out, d.std(ddof=1) * np.abs(ratio), ci


def _add_robustness(report: AttributionReport, experiments: pd.DataFrame | None) -> None:
    """Fill ``report.sensitivity`` and, with ``experiments``, the scores of every model against
    them and ``report.calibration`` (:mod:`smlib.attribution.sensitivity`,
    :mod:`smlib.attribution.experiments`). Both are for ``report.robustness_model``: the
    recommended model when it is a fitted removal model, else ``incremental`` (or ``logistic``)
    when it ran; none when no model can be named (channels the data cannot identify)."""
    comp = report.comparison
    if comp is None:
        return
    rec = report.recommended
    if rec is not None and rec not in comp.fitted:
        rec = next((m for m in ("incremental", "logistic") if m in comp.fitted), None)
    report.robustness_model = rec
    raw = _raw_figures(comp, rec) if rec is not None else None
    if raw is not None:
        figures, se, ci = raw
        report.sensitivity = confounding_sensitivity(figures, exposed_conversions(report.paths), ci)
    if experiments is None or len(experiments) == 0:
        return
    report.experiments = check_experiments(experiments)
    credit = comp.credit
    fitted_raw = [(_raw_figures(comp, m) or (None,))[0] for m in comp.fitted]
    raw_long = pd.concat([f.assign(model=m) for m, f in zip(comp.fitted, fitted_raw)],
                         ignore_index=True) if comp.fitted else None
    if raw_long is not None:      # fitted models are scored on their raw removal figures
        credit = credit.merge(raw_long, on=["model", "channel"], how="left")
    known = report.experiments["channel"].isin(credit["channel"])
    if not known.any():
        return
    report.experiment_scores = score_experiments(credit, report.experiments[known], report.journeys)
    if raw is not None:
        figures, se, _ = raw
        method = "combine" if np.isfinite(se).all() and (se > 0).all() else "rescale"
        report.calibration = calibrate(figures, report.experiments[known], report.journeys,
                                       model_se=se if method == "combine" else None,
                                       method=method, level=comp.level).assign(method=method)
