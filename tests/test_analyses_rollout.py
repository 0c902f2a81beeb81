"""Report 04 (smlib.analyses.rollout, notebooks/04_rollout_plan.ipynb): the plan on data with and
without adoption, what it says when the data cannot support a plan, and the notebook run through
``smlib report run`` on the default data, on a panel with no adoption, and in Spanish."""

from __future__ import annotations

import html
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from smlib.analyses.rollout import rollout_plan
from smlib.simulate import export_case, simulate_panel, write_export

from conftest import run_report_cli

REPORT = "04_rollout_plan"


def _dataset(n_units: int = 24, n_periods: int = 24, adoption: bool = True) -> SimpleNamespace:
    units, _ = simulate_panel(seed=4, n_units=n_units, n_periods=n_periods)
    if not adoption:
        units = units.drop(columns="adoption_period")
    return SimpleNamespace(units=units)


@pytest.fixture(scope="module")
def no_adoption_plan():
    return rollout_plan(_dataset(adoption=False), n_sims=20, seed=1)


def test_plan_on_a_panel_without_adoption(no_adoption_plan):
    p = no_adoption_plan
    assert p.plannable and len(p.candidates) == 24 and not p.integrated
    assert p.design.n_units == 24 and p.design.n_waves == 3
    s = p.schedule
    assert s["n_units"].sum() == 24 and s["comparison"].tolist() == [False, False, True]
    assert s["start"].iloc[0] == pd.Timestamp("2024-01-01")  # the month after the data end
    assert p.readout == s["start"].iloc[-1] == pd.Timestamp("2025-01-01")
    assert sorted(u for us in s["units"] for u in us) == sorted(p.candidates)
    for lang, word in (("en", "Roll out to every unit"), ("es", "Extender a todas las unidades")):
        assert word in p.plan_text(lang)
        items = dict(p.headline_items(lang))
        assert len(items) == 4 and all(v for v in items.values())
        assert p.power_table(lang).to_text(lang).shape[0] >= 4
        assert p.balance_table(lang).to_text(lang).shape[0] >= 3
        assert p.pilot_table(lang).to_text(lang).shape[0] == 3
        assert p.power_text(lang) and p.formula_text(lang) and p.balance_text(lang)


def test_plan_covers_only_units_not_yet_integrated():
    ds = _dataset(n_units=40, n_periods=36)
    p = rollout_plan(ds, n_sims=20)
    adopted = ds.units.groupby("unit_id")["adoption_period"].first().notna()
    assert sorted(p.candidates) == sorted(adopted.index[~adopted])
    assert set(p.assignment.waves.index) == set(p.candidates)
    assert "report 02" in p.context_text("en")


def test_same_seed_same_plan(no_adoption_plan):
    again = rollout_plan(_dataset(adoption=False), n_sims=20, seed=1)
    pd.testing.assert_series_equal(again.assignment.waves, no_adoption_plan.assignment.waves)
    assert again.power.mde == no_adoption_plan.power.mde


def test_parameters_adjusted_to_the_data_are_said():
    p = rollout_plan(_dataset(n_units=6, n_periods=12, adoption=False), n_waves=4, n_sims=20)
    assert p.design.n_waves == 3 and p.design.n_months <= 12
    assert "with 6 units the plan uses 3" in p.context_text("en")
    assert "12 months" in p.context_text("en")


@pytest.mark.parametrize("units, code", [
    (None, "no_units"),
    (pd.DataFrame(columns=["unit_id", "period", "revenue"]), "no_units"),
    ("one_unit", "few_units"),
    ("all_adopted", "all_integrated"),
    ("short", "short_history"),
])
def test_what_it_says_when_no_plan_is_possible(units, code):
    if isinstance(units, str) and units == "one_unit":
        units = _dataset(adoption=False).units.query("unit_id == 'U001'")
    elif isinstance(units, str) and units == "all_adopted":
        units = _dataset().units.assign(adoption_period=pd.Timestamp("2022-06-01"))
    elif isinstance(units, str) and units == "short":
        u = _dataset(adoption=False).units
        units = u[u["period"] < "2022-05-01"]
    p = rollout_plan(SimpleNamespace(units=units), n_sims=20)
    assert not p.plannable and p.gap.code == code
    for lang in ("en", "es"):
        assert p.not_plannable_text(lang)
        assert len(p.headline_items(lang)) == 2


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="estimator"):
        rollout_plan(_dataset(), estimator="ols")
    with pytest.raises(ValueError, match="n_waves"):
        rollout_plan(_dataset(), n_waves=1)


# --- the notebook, through `smlib report run` -----------------------------------------------------

def _text(folder: Path) -> str:
    page = (folder / f"{REPORT}.html").read_text(encoding="utf-8")
    page = re.sub(r"<(style|script|title)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"data:image/[^\"']+", " ", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _run(args: list[str], root: Path) -> Path:
    run = run_report_cli(["--only", REPORT, "--no-publish", *args], root)
    assert run.exit_code == 0, run.stdout
    folders = [p for p in run.root.iterdir() if p.is_dir() and p.name[:1].isdigit()]
    assert len(folders) == 1
    return folders[0]


@pytest.mark.slow
def test_report_runs_on_the_default_data(tmp_path):
    text = _text(_run([], tmp_path / "reports"))
    assert "Smallest uplift the rollout detects" in text and "Wave 1" in text
    assert "42 of them have already integrated" in text
    assert "Traceback" not in text


@pytest.mark.slow
@pytest.mark.parametrize("language", ["en", "es"])
def test_report_runs_on_a_panel_with_no_adoption(tmp_path, language):
    from test_report_language import ENGLISH, SPANISH, visible_text

    data = write_export(export_case("never_adopt", seed=3, n_accounts=600), tmp_path / "data")
    folder = _run(["-p", f"data_path={data}", "-p", f"language={language}",
                   "-p", "n_sims=30"], tmp_path / "reports")
    text = _text(folder)
    shown = visible_text((folder / f"{REPORT}.html").read_text(encoding="utf-8"))
    if language == "en":
        assert "None has integrated marketing and sales yet" in text and "Wave 3" in text
        assert not SPANISH.search(shown), SPANISH.findall(shown)[:5]
    else:
        assert "Ninguna ha integrado" in text and "Oleada 3" in text
        assert not ENGLISH.search(shown), [shown[max(0, m.start() - 40):m.end() + 40]
                                           for m in ENGLISH.finditer(shown)][:5]
    assert not re.search(r"simulat|true value|true uplift|truth", text, re.I)


@pytest.mark.slow
def test_report_on_data_without_units_says_what_it_needs(tmp_path):
    data = write_export(export_case("minimum", seed=3, n_accounts=600), tmp_path / "data")
    text = _text(_run(["-p", f"data_path={data}", "-p", "language=es"], tmp_path / "reports"))
    assert "no se puede planificar" in text and "(No disponible)" in text
