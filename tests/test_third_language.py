"""Adding a report language is adding a catalogue file (issue 11): a third language, added to the
catalogue and to ``LANGUAGES`` only (monkeypatched, with a temporary locales folder), flows through
the data warnings, the "not available" gaps, the notices boxes, ``say``/``pick`` and the report
titles of ``reports.toml`` with no code change."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from smlib import data_warnings as dw
from smlib.gaps import DataGap, catalogue_gap, contract_ref, panel_gap
from smlib.presentation import catalogue, settings
from smlib.report import notices
from smlib.report import text as report_text
from smlib.report.runner import ReportConfigError, load_config

MARK = "FR·"
TEST_NOTEBOOKS = Path(__file__).parent / "notebooks"


def _french(source: str) -> str:
    """The Spanish catalogue with every top-level text marked: each ``key = "..."`` (or
    a triple-quoted one) starts with :data:`MARK`, so a text shown in French is recognisable."""
    source = re.sub(r'^(\s*[\w-]+\s*=\s*)"""', rf'\1"""{MARK}', source, flags=re.M)
    return re.sub(r'^(\s*[\w-]+\s*=\s*)"(?!"")', rf'\1"{MARK}', source, flags=re.M)


@pytest.fixture
def french(tmp_path, monkeypatch):
    for lang in settings.LANGUAGES:
        source = catalogue.LOCALES_DIR / f"{lang}.toml"
        (tmp_path / source.name).write_bytes(source.read_bytes())
    spanish = (catalogue.LOCALES_DIR / "es.toml").read_text(encoding="utf-8")
    (tmp_path / "fr.toml").write_text(_french(spanish), encoding="utf-8")
    monkeypatch.setattr(catalogue, "LOCALES_DIR", tmp_path)
    monkeypatch.setattr(settings, "LANGUAGES", (*settings.LANGUAGES, "fr"))
    monkeypatch.setattr(settings, "LANGUAGE_NAMES", {**settings.LANGUAGE_NAMES, "fr": "French"})
    catalogue._catalogue.cache_clear()
    yield "fr"
    catalogue._catalogue.cache_clear()


def test_the_marked_catalogue_is_valid(french) -> None:
    assert catalogue.text("report.notices.title", french) == MARK + "Avisos sobre los datos"
    assert catalogue.keys(french).keys() == catalogue.keys("en").keys()


def test_data_warnings_carry_the_new_language(french) -> None:
    dataset = SimpleNamespace(spend=None, units=None, accounts=None, touchpoints=pd.DataFrame(),
                              dropped=[{"table": "touchpoints", "column": "cost",
                                        "rule": "cost >= 0", "count": 2, "rows": [3, 9]}])
    warnings = dw.missing_table_warnings(dataset) + dw.dropped_rows_warnings(dataset)
    assert warnings
    for w in warnings:
        assert set(w.texts) == {"en", "es", "fr"}
        assert w.text(french).startswith(MARK) and w.text(french) == w.texts[french]
        assert w.to_dict(french)["message"] == w.text(french)
        assert not w.text("en").startswith(MARK) and not w.text("es").startswith(MARK)
    dropped = next(w for w in warnings if w.code == "dropped_rows")
    assert "cost >= 0" not in dropped.text(french)  # not the contract's language: rule not quoted
    assert dw.DataWarning("mine", "Only English.").text(french) == "Only English."  # fallback


def test_gaps_carry_the_new_language(french) -> None:
    gap = catalogue_gap("no_spend", "overview.gap.no_spend", "overview.gap.spend_unlocks", "spend")
    assert set(gap.texts) == {"en", "es", "fr"}
    assert gap.missing_in(french) == MARK + catalogue.text("overview.gap.no_spend", "es")
    assert gap.unlocks_in(french).startswith(MARK)
    assert gap.contract_ref_in(french) == contract_ref("spend", french)
    assert contract_ref("spend", french).startswith(MARK)
    assert gap.text(french).startswith(MARK)
    panel = panel_gap(None)
    assert panel.missing_in(french).startswith(MARK) and panel.text(french).startswith(MARK)
    units = pd.DataFrame({"unit_id": ["a", "b"], "period": pd.to_datetime(["2024-01-01"] * 2),
                          "revenue": [1.0, 2.0], "adoption_period": [pd.NaT, pd.NaT]})
    assert panel_gap(units).missing_in(french).startswith(MARK)  # built per language
    mine = DataGap("mine", "a thing", "more", contract_ref("spend"))  # English only
    assert mine.missing_in(french) == "a thing" and mine.unlocks_in(french) == "more"
    assert mine.contract_ref_in(french) == contract_ref("spend", french)


def test_notices_speak_the_new_language(french, monkeypatch) -> None:
    w = dw.missing_table_warnings(SimpleNamespace(spend=None, units=None, accounts=None,
                                                  touchpoints=pd.DataFrame()))[0]
    html = notices.warnings_html([w], french)
    assert MARK + "Avisos sobre los datos" in html and w.text(french) in html
    assert notices.warnings_payload([w], french) == {
        "version": notices.PAYLOAD_VERSION, "language": french,
        "warnings": [{"code": w.code, "message": w.text(french), **(
            {"details": w.details} if w.details else {})}]}
    assert MARK in notices.warnings_html([], french)
    shown: list = []
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    monkeypatch.setattr(notices, "_gaps_shown", set())
    notices.show_gap(panel_gap(None), "Section", french)
    plain = shown[-1]["text/plain"]
    assert plain.count(MARK) >= 3  # "not available", the sentences and the gap's own words
    assert panel_gap(None).missing_in(french) in plain
    report_text.say("report.notices.title", french)
    assert shown[-1].data == MARK + "Avisos sobre los datos"
    assert report_text.pick("report.notices", french)["none"].startswith(MARK)


def test_reports_toml_takes_a_title_in_the_new_language(french, tmp_path) -> None:
    cfg = tmp_path / "reports.toml"
    cfg.write_text(f'[defaults]\nnotebooks_dir = "{TEST_NOTEBOOKS.as_posix()}"\n'
                   '[[run]]\nname = "a"\nnotebook = "report_ok.ipynb"\ntitle = "Sales"\n'
                   'title_es = "Ventas"\ntitle_fr = "Ventes"\n', encoding="utf-8")
    (run,) = load_config(cfg).runs
    assert run.titles == {"es": "Ventas", "fr": "Ventes"}
    assert [run.title_in(lang) for lang in ("en", "es", "fr")] == ["Sales", "Ventas", "Ventes"]


def test_reports_toml_refuses_a_title_in_an_unknown_language(tmp_path) -> None:
    cfg = tmp_path / "reports.toml"
    cfg.write_text(f'[defaults]\nnotebooks_dir = "{TEST_NOTEBOOKS.as_posix()}"\n'
                   '[[run]]\nname = "a"\nnotebook = "report_ok.ipynb"\ntitle_fr = "Ventes"\n',
                   encoding="utf-8")
    with pytest.raises(ReportConfigError, match="unknown key.*title_fr"):
        load_config(cfg)
