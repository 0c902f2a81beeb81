"""Reports 01, 02 and 03 agree by construction: the shared settings are one set of parameters
(reports.toml [defaults], the same names and defaults in every parameters cell), and report 03
computes its credit and uplift with the same functions and settings as reports 01 and 02, so a
changed parameter moves all three together."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smlib import config, io
from smlib.analyses.attribution_comparison import attribution_report
from smlib.analyses.executive import executive_summary
from smlib.analyses.uplift import uplift_report, uplift_value
from smlib.report.runner import load_config, notebook_parameters
from smlib.simulate import export_case, write_export

from conftest import run_report_cli

NOTEBOOKS = {n: config.NOTEBOOKS_DIR / f"{n}.ipynb" for n in
             ("00_data_overview", "01_attribution_comparison", "02_integration_uplift",
              "03_executive_summary")}
#: The settings report 03 shares with 01 (attribution) and 02 (uplift and its verdict).
SHARED_WITH = {"01_attribution_comparison": ("lookback_days", "models", "n_boot", "seed",
                                              "attribution_model"),
               "02_integration_uplift": ("control_group", "method", "claim", "claim_form")}


def test_shared_settings_are_one_parameter_with_one_default():
    defaults = load_config().parameters
    declared = {n: notebook_parameters(p) for n, p in NOTEBOOKS.items()}
    for report, names in SHARED_WITH.items():
        for name in names:
            assert name in defaults, name
            for nb in (report, "03_executive_summary"):
                assert declared[nb][name] == defaults[name], (nb, name)
    for name, value in defaults.items():  # every notebook declaring a default agrees with it
        for nb, params in declared.items():
            if name in params:
                assert params[name] == value, (nb, name)


def test_only_one_report_keeps_the_batch_defaults():
    """[defaults] parameters are checked against every report of the config, so `--only` one
    report that declares few of them still runs with the batch's settings."""
    from smlib.report.runner import plan_runs, select_runs

    cfg = load_config()
    run = select_runs(cfg, ["02_integration_uplift"])
    planned = plan_runs(run, {"data_path": None, "claim_form": "typical"}, cfg.parameters,
                        all_runs=cfg.runs)
    assert planned[0].effective["claim_form"] == "typical"
    assert planned[0].effective["method"] == cfg.parameters["method"]
    assert "lookback_days" not in planned[0].effective  # not declared by report 02


@pytest.fixture(scope="module")
def full_export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("agree")
    return io.load_dataset(write_export(export_case("optional_columns_absent", seed=4,
                                                    n_accounts=1200), folder / "data"))


def test_report_03_shows_the_credit_and_uplift_of_reports_01_and_02(full_export):
    """A changed parameter (lookback 60 days, seed 1, 30 resamples, the not-yet-integrated units,
    a claim of 10 % read as a typical value): report 03's team split with its interval and its
    uplift with interval and verdict equal those of reports 01 and 02 run as their notebooks do."""
    params = dict(lookback_days=60, seed=1, n_boot=30, control_group="not_yet_treated",
                  method="reg", claim=0.10, claim_form="typical")
    r01 = attribution_report(full_export, params["lookback_days"], n_boot=params["n_boot"],
                             seed=params["seed"])
    r02 = uplift_report(full_export, control_group=params["control_group"],
                        method=params["method"], claim=params["claim"],
                        claim_form=params["claim_form"])
    s03 = executive_summary(full_export, **params)
    assert s03.model == r01.recommended
    # the page names its interval method in one sentence: report 01's, for the model used
    method = s03.interval_method()
    assert method == r01.interval_sentence("en", s03.model) and "30 resamples" in method
    assert method.count(". ") == 0 and r01.interval_sentence("es", s03.model) != method
    split01 = r01.comparison.team_intervals(r01.channel_teams)
    pd.testing.assert_frame_equal(s03.team_shares.reset_index(drop=True),
                                  split01.reset_index(drop=True))
    sales01 = split01[(split01["model"] == r01.recommended) & (split01["team"] == "sales")]
    assert np.isfinite(sales01[["ci_low", "ci_high"]].to_numpy()).all()
    u02 = r02.uplift
    assert (s03.uplift.estimate, s03.uplift.ci_low, s03.uplift.ci_high) == (
        u02.estimate, u02.ci_low, u02.ci_high)
    for lang in ("en", "es"):
        assert r02.verdicts[lang].claim_form == "typical"
        assert s03.uplift_analysis.verdicts[lang] == r02.verdicts[lang]
    # the page itself: the uplift text of report 02 and its verdict, the split of report 01
    page = {label: text for label, text, _ in s03.items()}
    shown = " ".join(page.values())
    assert uplift_value(r02.uplift, "en") in shown
    assert r02.verdicts["en"].short in shown
    assert s03.uplift_sentence().endswith(r02.verdicts["en"].text)
    # a different seed gives a different interval: the agreement is not a coincidence
    other = attribution_report(full_export, 60, n_boot=30, seed=2)
    split2 = other.comparison.team_intervals(other.channel_teams)
    assert not np.allclose(split2["ci_low"].to_numpy(), split01["ci_low"].to_numpy())


def _headline(folder: Path, report: str) -> dict[str, str]:
    prov = json.loads((folder / f"{report}.provenance.json").read_text(encoding="utf-8"))
    return {i["label"]: i["text"] for h in prov["headlines"] for i in h["items"]}


@pytest.mark.slow
def test_a_batch_with_changed_parameters_shows_one_set_of_numbers(tmp_path):
    """Reports 01, 02 and 03 run by `smlib report run` with lookback 60 days, seed 1 and 20
    resamples: report 03's headline shows report 01's sales share and interval and report 02's
    uplift, interval and verdict."""
    data = write_export(export_case("optional_columns_absent", seed=4, n_accounts=1200),
                        tmp_path / "data")
    run = run_report_cli(["--only", "01_attribution_comparison,02_integration_uplift,"
                          "03_executive_summary", "-p", f"data_path={data}", "-p",
                          "lookback_days=60", "-p", "seed=1", "-p", "n_boot=20"],
                         tmp_path / "reports")
    assert run.exit_code == 0, run.stdout
    folder = next(p for p in run.root.iterdir() if p.is_dir() and p.name[:1].isdigit())
    h01, h02, h03 = (_headline(folder, r) for r in (
        "01_attribution_comparison", "02_integration_uplift", "03_executive_summary"))
    sales01 = next(v for k, v in h01.items() if "sales touches" in k)
    uplift02 = next(v for k, v in h02.items() if k.startswith("Estimated revenue uplift"))
    verdict02 = next(v for k, v in h02.items() if k.startswith("Verdict"))
    page03 = " ".join(str(v) for v in h03.values())
    numbers = [n for n in re.findall(r"-?\d+ %", sales01) if n != "95 %"]  # not the level
    assert len(numbers) == 3, sales01  # share and its interval
    sales03 = next(v for k, v in h03.items() if k == "Who earns the revenue")
    assert sales03.startswith(f"sales {numbers[0]} ({numbers[1]} to {numbers[2]})"), (
        sales01, sales03)
    assert uplift02 in page03, (uplift02, page03)
    page = html.unescape(re.sub(r"<[^>]+>", " ", (folder / "03_executive_summary.html")
                                .read_text(encoding="utf-8")))
    assert verdict02 in " ".join(page.split()), verdict02


@pytest.mark.parametrize("name, value, match", [
    ("claim_form", "upto", "'up_to'"), ("claim", 0, "positive fraction"),
    ("claim", "20 %", "positive fraction"),
])
def test_a_bad_shared_setting_fails_before_anything_runs(name, value, match):
    from smlib.report.runner import ReportConfigError, check_parameter_values

    with pytest.raises(ReportConfigError, match=match):
        check_parameter_values({name: value})
    check_parameter_values({"claim": 0.2, "claim_form": "typical"})
