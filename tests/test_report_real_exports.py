"""Every report runs on the shapes real CRM exports have (smlib.simulate.EXPORT_CASES).

Each case is written as CSV files (no truth), the project's own reports are all run on it with
``smlib report run``, and every report must succeed, show no raw error, no simulator wording and
no currency other than the one asked for, and list its data warnings in the provenance JSON.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from smlib.simulate import EXPORT_CASES, export_case, write_export

from conftest import run_folder, run_report_processes

pytestmark = pytest.mark.slow  # every report notebook per case

REPORTS = ("00_data_overview", "01_attribution_comparison", "02_integration_uplift",
           "03_executive_summary", "04_rollout_plan")
#: Words that only belong in reports on simulated data with a known truth.
SIMULATOR_WORDS = re.compile(r"simulat|true value|true uplift|truth", re.I)
#: Covariates the simulator writes: a report may name them only when the data have them.
SIMULATOR_COVARIATES = ("market_size", "headcount")
#: Warning codes each case must raise (at least these).
EXPECTED_CODES: dict[str, set[str]] = {
    "minimum": {"separation", "zero_revenue_wins", "no_spend", "no_units", "no_accounts"},
    "header_only_optional": {"no_spend", "no_units", "no_accounts"},
    "zero_spend": {"no_spend"},
    "never_adopt": {"no_adoption"},
    "adoption_after_end": {"no_adoption"},
    "zero_revenue_most_wins": {"zero_revenue_wins"},
    "all_lost_closed": {"degenerate_rate"},
    "channel_only_converting": {"separation"},
    "twin_channels": {"separation"},
    "only_converting": {"separation"},
}
#: What a report must say (in words of the data) when the data leave it nothing to work on.
SAYS: dict[str, dict[str, str]] = {
    "no_wins": {"01_attribution_comparison": "it has no won deal after a touch"},
    "no_opportunities": {"00_data_overview": "the opportunities table has no rows",
                         "01_attribution_comparison": "it has no won deal after a touch"},
    "no_touches": {"00_data_overview": "no journey can be built",
                   "01_attribution_comparison": "it has no touches to build customer journeys"},
    "only_converting": {"01_attribution_comparison": "was not run: it needs journeys that did not "
                                                     "end in a purchase",
                        "03_executive_summary": "credit is shared with the Markov model instead"},
}


def _visible_text(page: str) -> str:
    """The text a reader sees: no tags, styles or embedded images."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"data:image/[^\"']+", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


#: The export case also run from a Parquet folder (a data lake's layout), whose reports must show
#: the same key numbers as from its CSV files.
LAKE_CASE = "all_adopt"


def _write_lake(tables: dict, folder: Path) -> Path:
    """The tables as a Parquet folder: one sub-folder of part files per table (touchpoints in
    two parts, as an engine writes them), the small tables as single ``<table>.parquet`` files."""
    for name, df in tables.items():
        if name in ("touchpoints", "opportunities"):
            (folder / name).mkdir(parents=True)
            half = len(df) // 2 if name == "touchpoints" else len(df)
            for i, part in enumerate((df.iloc[:half], df.iloc[half:])):
                if len(part):
                    part.to_parquet(folder / name / f"part-{i}.parquet", index=False)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            df.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


@pytest.fixture(scope="module")
def case_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, Path, set]]:
    """Run every report once per export case: name -> (exit code, output, run folder, the
    columns the exported tables have); ``LAKE_CASE + "@lake"``: that case from a Parquet folder.
    Two batches run at a time."""
    def args(data: Path, currency: str) -> list[str]:
        return ["-p", f"data_path={data}", "-p", "n_boot=10", "-p", f"currency={currency}",
                "--no-publish"]

    batches: dict[str, tuple[list[str], Path]] = {}
    columns: dict[str, set] = {}
    for name in EXPORT_CASES:
        base = tmp_path_factory.mktemp(f"export_{name}")
        tables = export_case(name, seed=3, n_accounts=1500)
        columns[name] = {c for df in tables.values() for c in df.columns}
        batches[name] = (args(write_export(tables, base / "data"),
                              "BRL" if name == "minimum" else "USD"), base / "reports")
        if name == LAKE_CASE:
            batches[name + "@lake"] = (args(_write_lake(tables, base / "lake"), "USD"),
                                       base / "from_lake")
            columns[name + "@lake"] = columns[name]
    runs = run_report_processes(batches)
    return {name: (run.exit_code, run.stdout, run_folder(run), columns[name])
            for name, run in runs.items()}


def test_reports_from_a_parquet_folder_show_the_same_key_numbers(case_runs):
    """Issue 15: the same data as CSV files or as a Parquet folder (table sub-folders of part
    files) give every report the same headline numbers."""
    csv_code, csv_out, csv_folder, _ = case_runs[LAKE_CASE]
    code, stdout, folder, _ = case_runs[LAKE_CASE + "@lake"]
    assert csv_code == 0 and code == 0, (csv_out, stdout)
    for report in REPORTS:
        csv_prov = json.loads((csv_folder / f"{report}.provenance.json").read_text("utf-8"))
        prov = json.loads((folder / f"{report}.provenance.json").read_text("utf-8"))
        assert prov["headlines"] and prov["headlines"] == csv_prov["headlines"], report
        assert sorted(prov["data"]["files"]) == sorted(
            ["touchpoints/part-0.parquet", "touchpoints/part-1.parquet",
             "opportunities/part-0.parquet", "spend.parquet", "units.parquet",
             "accounts.parquet"]), prov["data"]["files"]


@pytest.mark.parametrize("name", list(EXPORT_CASES))
def test_every_report_runs_on_the_export(case_runs, name):
    code, stdout, folder, columns = case_runs[name]
    assert code == 0, stdout
    for report in REPORTS:
        page = (folder / f"{report}.html").read_text(encoding="utf-8")
        text = _visible_text(page)
        assert "Traceback" not in text and "could not be produced" not in text, (name, report)
        assert not SIMULATOR_WORDS.search(text), (name, report, SIMULATOR_WORDS.search(text))
        for covariate in SIMULATOR_COVARIATES:
            assert covariate in columns or covariate not in text, (name, report, covariate)
        if name == "minimum":  # asked for BRL: no dollar amounts anywhere
            assert not re.search(r"(?<!R)\$|US\$|USD", text), (report, re.findall(
                r".{40}(?<!R)\$.{20}|.{40}USD.{20}", text)[:3])
        prov = json.loads((folder / f"{report}.provenance.json").read_text(encoding="utf-8"))
        assert isinstance(prov["warnings"], list)
        assert all(set(w) >= {"code", "message"} for w in prov["warnings"])
        codes = {w["code"] for w in prov["warnings"]}
        assert EXPECTED_CODES.get(name, set()) <= codes, (name, report, codes)
        if prov["warnings"]:
            assert "Data warnings" in text, (name, report)
        if report in SAYS.get(name, {}):
            assert SAYS[name][report] in " ".join(text.split()), (name, report)


def test_minimum_export_says_what_it_cannot_support(case_runs):
    _, _, folder, _ = case_runs["minimum"]
    exec_text = _visible_text((folder / "03_executive_summary.html").read_text(encoding="utf-8"))
    assert "needs a spend table" in exec_text
    assert "cannot be estimated from this data" in exec_text
    assert "R$" in exec_text
    uplift = _visible_text((folder / "02_integration_uplift.html").read_text(encoding="utf-8"))
    assert "cannot be estimated from this data" in uplift
    assert "planned rollout" in uplift
    attribution = _visible_text(
        (folder / "01_attribution_comparison.html").read_text(encoding="utf-8"))
    assert "none can be named" in attribution  # sales touches only on won deals: no model to trust
