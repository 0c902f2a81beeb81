"""Every report speaks one language: no English in a Spanish report, no Spanish in an English one.

The reports are all run through ``smlib report run`` with ``-p language=es`` and with the default
English on two CRM-export shapes (:func:`smlib.simulate.export_case`): ``minimum`` (touchpoints and
opportunities only, so most sections show "not available" boxes) and ``all_adopt`` (every table,
so every table and estimator is shown). The visible text of each HTML page (tags, styles, scripts
and embedded images removed) is searched for common words of the other language.

What is data and not language is left out before searching: the report titles of
``reports.toml`` (configuration, shown as they are written), text in ``<code>`` (parameter values,
table and column names of the data contract), anything with a ``/`` in it (paths, ``antes/después``)
and names in the data themselves — table, column and channel names, ``snake_case`` ids, which the
word search skips because it only matches whole words.
"""

from __future__ import annotations

import html
import re
import tomllib
from pathlib import Path

import pytest

from smlib import config
from smlib.simulate import export_case, write_export

from conftest import run_folder, run_report_cli, run_report_processes

pytestmark = pytest.mark.slow  # four notebooks per run, four runs

REPORTS = ("00_data_overview", "01_attribution_comparison", "02_integration_uplift",
           "03_executive_summary", "04_rollout_plan")
CASES = ("minimum", "all_adopt")

#: Common English words and phrases that must not appear in a Spanish report (whole words, any
#: case). Names in the data that are English words (the tables ``spend``/``units``/``accounts``,
#: the columns ``cost``, ``revenue``, ``team``, ``channel``, the team value ``sales``) are not in
#: this list.
ENGLISH = re.compile(
    r"\b(the|and|which|of|with|is|are|was|were|not|this|that|these|from|for|by|per|to|in|on|or|"
    r"than|only|when|would|could|should|has|have|there|their|its|it|been|yes|none|"
    r"interval|credit|journeys?|touch(es)?|deals?|uplift|estimates?|effect|months?|"
    r"purchases?|share|model|shared|won|funnel|stage|"
    r"data warnings|not available|no data warnings)\b", re.I)
#: Common Spanish words that must not appear in an English report.
SPANISH = re.compile(
    r"\b(los|las|que|del|según|una|por|con|para|sin|recorridos?|ingresos|mérito|contactos?|"
    r"también|está|datos|avisos|disponible|intervalo|aumento)\b", re.I)


def _titles() -> list[str]:
    """The report titles of reports.toml (configuration, not report text)."""
    runs = tomllib.loads((config.PROJECT_ROOT / "reports.toml").read_text())["run"]
    return sorted((r["title"] for r in runs), key=len, reverse=True)


def visible_text(page: str) -> str:
    """What a reader sees, less what is data rather than language (see the module docstring)."""
    page = re.sub(r"<(style|script|title)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"data:image/[^\"']+", " ", page)
    page = re.sub(r"<code>.*?</code>", " ", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    for title in _titles():
        text = text.replace(title, " ")
    return " ".join(t for t in text.split() if "/" not in t)


def _hits(pattern: re.Pattern[str], text: str) -> list[str]:
    return [text[max(0, m.start() - 50):m.end() + 50] for m in pattern.finditer(text)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """(case, language) -> the folder with the four HTML reports of that run."""
    batches = {}
    for case in CASES:
        base = tmp_path_factory.mktemp(f"language_{case}")
        data = write_export(export_case(case, seed=3, n_accounts=1500), base / "data")
        for language in ("es", "en"):
            batches[case, language] = (["-p", f"data_path={data}", "-p", f"language={language}",
                                        "-p", "n_boot=10", "--no-publish"],
                                       base / f"reports_{language}")
    out = {}
    for key, run in run_report_processes(batches).items():  # two batches at a time
        assert run.exit_code == 0, run.stdout
        out[key] = run_folder(run)
        assert out[key] != run.root, run.stdout  # exactly one run folder
    return out


def _page(runs: dict[tuple[str, str], Path], case: str, language: str, report: str) -> str:
    path = runs[case, language] / f"{report}.html"
    assert path.exists(), f"{case}/{language}: {report}.html was not written"
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("report", REPORTS)
def test_spanish_report_has_no_english(runs, case: str, report: str) -> None:
    text = visible_text(_page(runs, case, "es", report))
    assert "Avisos sobre los datos" in text or "Sin avisos sobre los datos" in text
    hits = _hits(ENGLISH, text)
    assert not hits, f"{case}: English in the Spanish {report}:\n" + "\n".join(hits[:20])


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("report", REPORTS)
def test_english_report_has_no_spanish(runs, case: str, report: str) -> None:
    text = visible_text(_page(runs, case, "en", report))
    assert "Data warnings" in text or "No data warnings" in text
    hits = _hits(SPANISH, text)
    assert not hits, f"{case}: Spanish in the English {report}:\n" + "\n".join(hits[:20])


def test_spanish_reports_say_what_the_data_miss_in_spanish(runs) -> None:
    """The "not available" boxes and the headline of a minimal export, in Spanish."""
    overview = visible_text(_page(runs, "minimum", "es", "00_data_overview"))
    assert "Qué contienen los datos" in overview and "(no aportada)" in overview
    assert "Gasto (No disponible) Esta sección necesita una tabla de gasto" in overview
    uplift = visible_text(_page(runs, "minimum", "es", "02_integration_uplift"))
    assert "El aumento de ingresos por la integración no se puede estimar" in uplift
    assert "(No disponible)" in uplift and "Véase" in uplift
    full = visible_text(_page(runs, "all_adopt", "es", "02_integration_uplift"))
    assert "Todas las estimaciones, lado a lado" in full and "Veredicto" in full


def test_an_unknown_language_stops_before_anything_runs(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    data = write_export(export_case("minimum", seed=3, n_accounts=300), tmp_path / "data")
    run = run_report_cli(["-p", f"data_path={data}", "-p", "language=fr", "--no-publish"],
                         tmp_path / "reports")
    assert run.exit_code != 0
    assert "language" in run.stdout + capsys.readouterr().err
    assert not list((tmp_path / "reports").rglob("*.html"))
