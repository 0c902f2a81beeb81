"""Report 04's analysis: how to roll integration out so that it measures its own uplift.

:func:`rollout_plan` works from the company's unit panel (revenue by unit and month; adoption
dates not needed). The units that have not integrated yet are the candidates. It then

- simulates the power of a staggered rollout (:func:`smlib.design.power.rollout_power`: the
  candidates' own history resampled, a known uplift injected, the chosen estimator refitted) and
  reads the minimum detectable effect at 80 % power, beside the textbook panel formula
  (:func:`smlib.design.power.panel_formula_power`);
- randomises the candidates into waves within strata, with a balance check
  (:func:`smlib.design.assign.stratified_waves`), and lists pilot units whose synthetic controls
  fit best, for a company that can integrate only a few (:func:`smlib.design.assign.pilot_units`);
- dates the waves from the month after the data end, and writes the plan: when to read the
  result, what result justifies a company-wide roll-out and what stops it.

:class:`RolloutPlan` is what notebook 04 shows (headline items, tables, figure, texts); every text
comes from the catalogue area ``rollout``. When the data cannot support a plan (no unit panel,
too few units or months, every unit already integrated), ``gap`` says why and what would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from smlib import config
from smlib.data_warnings import DataWarning, collect_warnings
from smlib.design.assign import WaveAssignment, pilot_units, stratified_waves, unit_features
from smlib.design.plots import power_plot
from smlib.design.power import (
    ESTIMATORS, FormulaPower, PowerResult, RolloutDesign, panel_formula_power, rollout_power,
)
from smlib.gaps import DataGap, catalogue_gap
from smlib.presentation.catalogue import entry, text
from smlib.presentation.numbers import format_money, format_month, format_number, format_pct
from smlib.presentation.settings import validate_language
from smlib.presentation.tables import ReportTable

__all__ = ["MARKS", "MIN_MONTHS", "MIN_UNITS", "RolloutPlan", "rollout_plan", "rollout_report"]

#: Uplifts at which the report states the power.
MARKS: tuple[float, ...] = (0.05, 0.10, 0.20)
#: Fewest candidate units (two waves of two) and months of history for a plan.
MIN_UNITS: int = 4
MIN_MONTHS: int = 6


def _pct(x: float, language: str) -> str:
    """A fraction as a percentage with one decimal (``8.0 %``)."""
    return format_pct(x, language, decimals=1)


def _power_pct(x: float, language: str) -> str:
    """A power as a whole percentage (``84 %``)."""
    return format_pct(x, language, decimals=0)


@dataclass
class RolloutPlan:
    """Everything notebook 04 shows.

    Attributes:
        design: the simulated :class:`~smlib.design.power.RolloutDesign` (None with a gap).
        power: :class:`~smlib.design.power.PowerResult`; formula: the textbook
            :class:`~smlib.design.power.FormulaPower` for two groups.
        assignment: the :class:`~smlib.design.assign.WaveAssignment` of the study units.
        pilots: :func:`~smlib.design.assign.pilot_units` of the candidates.
        schedule: one row per wave: ``wave``, ``start`` (month), ``n_units``, ``units``,
            ``comparison`` (True for the last wave, which integrates at the read-out).
        readout: month the result is read (the last wave integrates then).
        interim: month of the interim check (half-way).
        first_month, last_month, n_history: the months of the data.
        start: month the first wave integrates (the month after the data end).
        candidates: units not integrated at the end of the data; integrated: the others.
        outside: candidates left out of the study (``n_units`` smaller than the candidates).
        notes: adjustments made to the parameters, as ``(catalogue key, values)``.
        gap: why no plan can be made (None when one is).
    """

    design: RolloutDesign | None = None
    power: PowerResult | None = None
    formula: FormulaPower | None = None
    assignment: WaveAssignment | None = None
    pilots: pd.DataFrame | None = None
    schedule: pd.DataFrame | None = None
    readout: pd.Timestamp | None = None
    interim: pd.Timestamp | None = None
    candidates: list[Any] = field(default_factory=list)
    integrated: list[Any] = field(default_factory=list)
    outside: list[Any] = field(default_factory=list)
    first_month: pd.Timestamp | None = None
    last_month: pd.Timestamp | None = None
    start: pd.Timestamp | None = None
    n_history: int = 0
    estimator: str = "imputation"
    alpha: float = 0.05
    go_above: float = 0.0
    stop_below: float = 0.05
    notes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    gap: DataGap | None = None
    warnings: list[DataWarning] = field(default_factory=list)

    @property
    def plannable(self) -> bool:
        """True when the data support a plan."""
        return self.gap is None

    @property
    def level(self) -> int:
        """Coverage of the interval the decision reads, in % (95 for ``alpha = 0.05``)."""
        return int(round((1 - self.alpha) * 100))

    def not_plannable_text(self, language: str = "en") -> str:
        """Why no plan can be made from this data, and what would make one possible."""
        language = validate_language(language)
        return text("rollout.text.not_plannable", language,
                    why=self.gap.missing_in(language) if self.gap is not None else "")

    def _mde_text(self, language: str) -> str:
        mde = self.power.mde if self.power is not None else float("nan")
        return (_pct(mde, language) if np.isfinite(mde)
                else text("rollout.text.mde_none", language))

    def headline_items(self, language: str = "en") -> list[tuple[str, str]]:
        """Key figures for :func:`smlib.report.show_headline`, already formatted."""
        language = validate_language(language)
        words = entry("rollout.headline", language)
        if not self.plannable:
            return [(words["plan"], words["not_plannable"]),
                    (words["what_would"], self.gap.unlocks_in(language))]
        p = self.power
        items = [(text("rollout.headline.mde", language,
                       power=_power_pct(p.power_target, language)), self._mde_text(language))]
        items.append((words["power"], " · ".join(
            text("rollout.headline.power_value", language, uplift=format_pct(u, language, 0),
                 power=_power_pct(p.power_at(u), language)) for u in MARKS)))
        sizes = self.schedule["n_units"].tolist()
        items.append((words["plan"], text(
            "rollout.headline.plan_value", language, waves=len(sizes),
            sizes=", ".join(str(s) for s in sizes), start=format_month(self.start, language),
            readout=format_month(self.readout, language))))
        items.append((words["go"], text("rollout.headline.go_value", language, lvl=self.level,
                                        go=_pct(self.go_above, language))))
        return items

    def context_text(self, language: str = "en") -> str:
        """What the plan starts from: units, months, who has integrated already."""
        language = validate_language(language)
        vals = dict(n=len(self.candidates) + len(self.integrated), months=self.n_history,
                    start=format_month(self.first_month, language) if self.first_month else "",
                    end=format_month(self.last_month, language) if self.last_month else "",
                    k=len(self.integrated), c=len(self.candidates))
        key = "rollout.text.context_some" if self.integrated else "rollout.text.context_none"
        out = [text(key, language, **vals)]
        if self.outside:
            out.append(text("rollout.text.outside", language, n=len(self.outside)))
        out += [text(k, language, **v) for k, v in self.notes]
        return " ".join(out)

    def power_text(self, language: str = "en") -> str:
        """The power and MDE in words, with the false-alarm rate and the formula's MDE."""
        language = validate_language(language)
        p, d = self.power, self.design
        return text("rollout.text.power", language, n=d.n_units, waves=d.n_waves,
                    before=d.months_before, after=d.months_after, sims=p.n_sims,
                    estimator=text(f"rollout.estimator.{self.estimator}", language),
                    mde=self._mde_text(language), power=_power_pct(p.power_target, language),
                    alpha=_pct(self.alpha, language),
                    size=_power_pct(p.power_at(0.0), language),
                    formula=_pct(self.formula.mde, language) if self.formula is not None
                    and np.isfinite(self.formula.mde) else "–")

    def power_table(self, language: str = "en") -> ReportTable:
        """Power at no uplift (the false-alarm rate), at 5, 10 and 20 % and at the MDE: resampled,
        with its Monte-Carlo error, and by the textbook formula."""
        language = validate_language(language)
        words = entry("rollout.power_table", language)
        p = self.power
        ups = [0.0, *MARKS] + ([p.mde] if np.isfinite(p.mde) and p.mde not in MARKS else [])
        ups = sorted(set(ups))
        frame = pd.DataFrame({
            "uplift": ups,
            "power": [p.power_at(u) for u in ups],
            "mc_se": [p.mc_se_at(u) for u in ups],
            "formula": [self.formula.power_at(u) if self.formula is not None else np.nan
                        for u in ups]})
        frame["power_low"] = (frame["power"] - 1.96 * frame["mc_se"]).clip(0, 1)
        frame["power_high"] = (frame["power"] + 1.96 * frame["mc_se"]).clip(0, 1)
        frame = frame.drop(columns="mc_se")
        return ReportTable(frame, caption=words["caption"],
                           formats={"uplift": "pct", "power": "pct", "formula": "pct"},
                           labels={"uplift": words["uplift"], "power": words["power"],
                                   "formula": words["formula"]},
                           intervals={"power": ("power_low", "power_high")})

    def formula_text(self, language: str = "en") -> str:
        """The textbook formula's terms in words (Burlig, Preonas & Woerman 2020)."""
        language = validate_language(language)
        f = self.formula
        if f is None:
            return ""
        corr = (f.psi_across / f.sigma2) if f.sigma2 > 0 else float("nan")
        return text("rollout.text.formula", language, n=f.n_units, before=f.months_before,
                    after=f.months_after, corr=format_number(corr, 2, language),
                    mde=_pct(f.mde, language) if np.isfinite(f.mde) else "–")

    def power_plot(self, language: str = "en") -> Any:
        """:func:`smlib.design.plots.power_plot` of this plan; returns the axes."""
        return power_plot(self.power, self.formula, marks=MARKS, language=language)

    def schedule_table(self, language: str = "en") -> ReportTable:
        """The waves: when each integrates, how many units and which."""
        language = validate_language(language)
        words = entry("rollout.schedule_table", language)
        s = self.schedule
        frame = pd.DataFrame({
            "wave": [text("rollout.schedule_table.wave_name", language, k=int(k))
                     for k in s["wave"]],
            "start": [format_month(m, language) for m in s["start"]],
            "role": [words["comparison"] if c else words["integrated"] for c in s["comparison"]],
            "n_units": s["n_units"], "units": [", ".join(map(str, u)) for u in s["units"]]})
        return ReportTable(frame, caption=words["caption"],
                           formats={"wave": "text", "start": "text", "role": "text",
                                    "n_units": "int", "units": "text"},
                           labels={k: words[k] for k in ("wave", "start", "role", "n_units",
                                                         "units")})

    def balance_table(self, language: str = "en") -> ReportTable:
        """Mean of each unit feature per wave and the largest standardised difference."""
        language = validate_language(language)
        words = entry("rollout.balance_table", language)
        b = self.assignment.balance.copy()
        names = entry("rollout.feature", language)
        frame = pd.DataFrame({"feature": [names.get(f, f) for f in b["feature"]]})
        formats: dict[str, Any] = {"feature": "text"}
        labels = {"feature": words["feature"]}
        pct_rows = b["feature"].isin(["growth", "volatility"]).to_numpy()
        money_rows = (b["feature"] == "size").to_numpy()
        for col in [c for c in b.columns if c.startswith("wave_")]:
            k = int(col.removeprefix("wave_"))
            vals = []
            for v, is_pct, is_money in zip(b[col], pct_rows, money_rows):
                vals.append(format_pct(v, language, 1) if is_pct else
                            format_money(v, language) if is_money
                            else format_number(v, 2, language))
            frame[col] = vals
            formats[col] = "text"
            labels[col] = text("rollout.schedule_table.wave_name", language, k=k)
        frame["smd"] = b["max_abs_smd"].to_numpy()
        frame["balanced"] = [words["yes"] if v else words["no"] for v in b["balanced"]]
        formats.update(smd="float2", balanced="text")
        labels.update(smd=words["smd"], balanced=text("rollout.balance_table.balanced", language,
                                                       limit=format_number(
                                                           self.assignment.max_smd, 2, language)))
        return ReportTable(frame, caption=words["caption"], formats=formats, labels=labels)

    def balance_text(self, language: str = "en") -> str:
        """Pass or fail of the balance check in one sentence, with the strata and the seed."""
        language = validate_language(language)
        a = self.assignment
        names = entry("rollout.feature", language)
        strata = ", ".join(names.get(s, s) for s in a.strata_by) or \
            text("rollout.text.no_strata", language)
        key = "rollout.text.balanced" if a.balanced else "rollout.text.unbalanced"
        return text(key, language, strata=strata, seed=a.seed, tries=a.tries,
                    limit=format_number(a.max_smd, 2, language),
                    worst=format_number(float(a.balance["max_abs_smd"].max())
                                        if len(a.balance) else 0.0, 2, language))

    def pilot_table(self, language: str = "en") -> ReportTable | None:
        """Pilot units whose synthetic controls fit best (None when there are none)."""
        if self.pilots is None or not len(self.pilots):
            return None
        language = validate_language(language)
        words = entry("rollout.pilot_table", language)
        p = self.pilots
        frame = pd.DataFrame({
            "unit": p["unit"].astype(str), "fit_error": p["fit_error"],
            "holdout_error": p["holdout_error"],
            "donors": [", ".join(f"{k} {format_pct(v, language, 0)}" for k, v in d.items())
                       for d in p["donors"]]})
        return ReportTable(frame, caption=words["caption"],
                           formats={"unit": "text", "fit_error": "pct", "holdout_error": "pct",
                                    "donors": "text"},
                           labels={k: words[k] for k in ("unit", "fit_error", "holdout_error",
                                                         "donors")})

    def plan_text(self, language: str = "en") -> str:
        """The written plan (Markdown): the waves with dates and units, when to read the result,
        what justifies the company-wide roll-out, what stops it, and what if it is unclear."""
        language = validate_language(language)
        s = self.schedule
        lines = []
        for _, w in s.iterrows():
            key = "rollout.plan.wave_comparison" if w["comparison"] else "rollout.plan.wave"
            lines.append("- " + text(key, language, k=int(w["wave"]), n=int(w["n_units"]),
                                     month=format_month(w["start"], language),
                                     units=", ".join(map(str, w["units"]))))
        last_data = self.readout - pd.DateOffset(months=1)
        vals = dict(readout=format_month(self.readout, language),
                    last=format_month(last_data, language),
                    interim=format_month(self.interim, language),
                    estimator=text(f"rollout.estimator.{self.estimator}", language),
                    lvl=self.level, go=_pct(self.go_above, language),
                    stop=_pct(self.stop_below, language), mde=self._mde_text(language),
                    k=int(s["wave"].max()))
        for key in ("read", "go", "stop", "unclear"):
            lines.append("- " + text(f"rollout.plan.{key}", language, **vals))
        return "\n".join(lines)


def _wide(units: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Units x months of ``outcome``: the units with every month of the panel."""
    w = units.pivot_table(index="unit_id", columns="period", values=outcome, aggfunc="sum")
    w = w.sort_index(axis=1)
    return w[w.notna().all(axis=1)]


def _covariates(units: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Per unit: the mean of every other numeric column and the first value of text columns
    (``region``)."""
    skip = {"unit_id", "period", outcome, "adoption_period"}
    cols = [c for c in units.columns if c not in skip]
    num = [c for c in cols if pd.api.types.is_numeric_dtype(units[c])]
    txt = [c for c in cols if c not in num and not pd.api.types.is_datetime64_any_dtype(units[c])]
    g = units.groupby("unit_id")
    parts = [g[num].mean()] if num else []
    if txt:
        parts.append(g[txt].first().astype(str))
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=g.size().index)


def _check_choice(name: str, value: Any, ok: bool, expected: str) -> None:
    if not ok:
        raise ValueError(f"{name}={value!r}: expected {expected}")


def rollout_plan(
    dataset: Any,
    n_units: int | None = None,
    n_waves: int = 3,
    months_before: int = 12,
    months_after: int = 12,
    alpha: float = 0.05,
    estimator: str = "imputation",
    n_sims: int = 200,
    seed: int = config.DEFAULT_SEED,
    go_above: float = 0.0,
    stop_below: float = 0.05,
    n_pilot: int = 3,
    outcome: str = "revenue",
) -> RolloutPlan:
    """Plan a staggered integration rollout from a dataset's unit panel (see the module docstring).

    Args:
        dataset: a :class:`smlib.io.Dataset` (or anything with a ``units`` table).
        n_units: units in the study (default: every unit not integrated yet; capped at that).
        n_waves: waves (>= 2; the last integrates at the read-out and is the comparison until
            then); lowered so that every wave has at least two units.
        months_before, months_after: months of history before the first wave, and from the first
            wave to the read-out; shortened to fit the history.
        alpha: significance level (the decision reads the ``1 - alpha`` interval).
        estimator: a key of :data:`smlib.design.power.ESTIMATORS`.
        n_sims: resampled draws of the power simulation.
        seed: seed of the draws and of the randomisation.
        go_above: roll out company-wide when the interval's lower bound is above this uplift.
        stop_below: stop when the interval's upper bound is below this uplift.
        n_pilot: pilot units listed for the synthetic-control alternative.
        outcome: the unit-panel outcome.

    Raises:
        ValueError: a parameter out of range (the data's limits are a ``gap``, not an error).
    """
    _check_choice("estimator", estimator, estimator in ESTIMATORS, f"one of {sorted(ESTIMATORS)}")
    _check_choice("alpha", alpha, isinstance(alpha, float) and 0 < alpha < 0.5, "0 < alpha < 0.5")
    for name, v, lo in (("n_waves", n_waves, 2), ("months_before", months_before, 2),
                        ("months_after", months_after, 1), ("n_sims", n_sims, 10),
                        ("n_pilot", n_pilot, 0)):
        _check_choice(name, v, isinstance(v, int) and not isinstance(v, bool) and v >= lo,
                      f"a whole number >= {lo}")
    _check_choice("n_units", n_units, n_units is None or (isinstance(n_units, int)
                                                          and n_units >= MIN_UNITS),
                  f"None or a whole number >= {MIN_UNITS}")
    plan = RolloutPlan(estimator=estimator, alpha=float(alpha), go_above=float(go_above),
                       stop_below=float(stop_below))
    units = getattr(dataset, "units", None)
    if units is None or len(units) == 0:
        plan.gap = catalogue_gap("no_units", "rollout.gap.no_units", "rollout.gap.unlocks", "units")
        return plan
    if outcome not in units.columns:
        plan.gap = catalogue_gap("no_units", "rollout.gap.no_column", "rollout.gap.unlocks",
                                 "units", column=outcome)
        return plan
    wide = _wide(units, outcome)
    periods = pd.DatetimeIndex(wide.columns)
    if len(periods):
        plan.first_month, plan.last_month = periods.min(), periods.max()
    plan.n_history = len(periods)
    last = periods.max() if len(periods) else None
    if "adoption_period" in units.columns and last is not None:
        ad = units.groupby("unit_id")["adoption_period"].first().reindex(wide.index)
        done = ad.notna() & (pd.to_datetime(ad) <= last)
    else:
        done = pd.Series(False, index=wide.index)
    plan.integrated = list(wide.index[done.to_numpy()])
    plan.candidates = list(wide.index[~done.to_numpy()])
    if len(wide) < MIN_UNITS:
        plan.gap = catalogue_gap("few_units", "rollout.gap.few_units", "rollout.gap.unlocks",
                                 "units", n=len(wide), min=MIN_UNITS)
        return plan
    if len(plan.candidates) < MIN_UNITS:
        plan.gap = catalogue_gap("all_integrated", "rollout.gap.all_integrated",
                                 "rollout.gap.unlocks_measured", "units",
                                 k=len(plan.integrated), c=len(plan.candidates))
        return plan
    if plan.n_history < MIN_MONTHS:
        plan.gap = catalogue_gap("short_history", "rollout.gap.short_history",
                                 "rollout.gap.unlocks", "units", months=plan.n_history,
                                 min=MIN_MONTHS)
        return plan

    # the study: which units, how many waves, how many months
    rng = np.random.default_rng(seed)
    cand = list(plan.candidates)
    n = len(cand) if n_units is None else min(n_units, len(cand))
    if n_units is not None and n_units > len(cand):
        plan.notes.append(("rollout.note.fewer_units", dict(asked=n_units, n=len(cand))))
    study = sorted(rng.choice(np.array(cand, dtype=object), size=n, replace=False).tolist()) \
        if n < len(cand) else cand
    plan.outside = sorted(set(cand) - set(study))
    waves = min(n_waves, n // 2)
    if waves < n_waves:
        plan.notes.append(("rollout.note.fewer_waves", dict(asked=n_waves, waves=waves, n=n)))
    T = plan.n_history
    before, after = months_before, months_after
    if before + after > T:
        after = min(after, max(T // 2, waves - 1))
        before = min(before, T - after)
        plan.notes.append(("rollout.note.shorter", dict(before=before, after=after, months=T)))
    waves = min(waves, after + 1)
    design = RolloutDesign(n_units=n, months_before=before, months_after=after, n_waves=waves)
    hist = wide.loc[cand]
    plan.design = design
    plan.power = rollout_power(hist, design, estimator=estimator, alpha=alpha, n_sims=n_sims,
                               seed=seed)
    plan.formula = panel_formula_power(hist, n, before, after, treated_share=0.5, alpha=alpha)

    # who goes when
    feats = unit_features(wide.loc[study], _covariates(units, outcome))
    plan.assignment = stratified_waves(feats, waves, seed=seed)
    plan.pilots = pilot_units(hist, n_pilot=n_pilot) if n_pilot else None
    start = plan.last_month + pd.DateOffset(months=1)
    offsets = design.wave_starts() - before
    plan.schedule = pd.DataFrame({
        "wave": np.arange(1, waves + 1),
        "start": [start + pd.DateOffset(months=int(o)) for o in offsets],
        "n_units": [len(plan.assignment.members(k)) for k in range(1, waves + 1)],
        "units": [plan.assignment.members(k) for k in range(1, waves + 1)],
        "comparison": [k == waves for k in range(1, waves + 1)]})
    plan.readout = start + pd.DateOffset(months=after)
    plan.interim = start + pd.DateOffset(months=max(after // 2, 1))
    plan.start = start
    return plan


def rollout_report(dataset: Any, **kwargs: Any) -> RolloutPlan:
    """Report 04 on a loaded :class:`smlib.io.Dataset`: :func:`rollout_plan` with the data
    warnings of the dataset (``warnings``)."""
    plan = rollout_plan(dataset, **kwargs)
    plan.warnings = collect_warnings(dataset)
    return plan
