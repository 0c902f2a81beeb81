"""reports.toml parsing, -p overrides, run selection and parameter checks (no kernel needed)."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import nbformat
import pytest

from smlib import config
from smlib.report.runner import (
    ReportConfigError,
    load_config,
    notebook_parameters,
    parse_override,
    plan_runs,
    select_runs,
)

TEST_NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


def _cfg(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "reports.toml"
    p.write_text(text, encoding="utf-8")
    return p


def _run(name="a", notebook="report_ok.ipynb", extra=""):
    return f'[[run]]\nname = "{name}"\nnotebook = "{notebook}"\n{extra}\n'


NB_DIR = f'[defaults]\nnotebooks_dir = "{TEST_NOTEBOOKS.as_posix()}"\n'


def test_load_config_resolves_paths_and_parameters(tmp_path):
    cfg = load_config(_cfg(tmp_path, NB_DIR + 'parameters = { data_path = "data/x" }\ntimeout_seconds = 60\n'
                           + _run(extra='title = "A"\nparameters = { region = "north", start = 2024-01-01 }')))
    (run,) = cfg.runs
    assert run.notebook == TEST_NOTEBOOKS / "report_ok.ipynb"
    assert run.title == "A"
    assert run.parameters == {"region": "north", "start": "2024-01-01"}  # TOML date -> ISO text
    assert cfg.parameters == {"data_path": str((tmp_path / "data/x").resolve())}  # relative to the file
    assert cfg.timeout_seconds == 60 and cfg.require_headline is True


def test_default_notebooks_dir_is_config_notebooks_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", TEST_NOTEBOOKS)
    (run,) = load_config(_cfg(tmp_path, _run())).runs
    assert run.notebook == TEST_NOTEBOOKS / "report_ok.ipynb" and run.title == "a"


@pytest.mark.parametrize(
    "text, match",
    [
        ("not toml [", "not valid TOML"),
        ("[defaults]\n", "no \\[\\[run\\]\\] entries"),
        ("[extra]\n" + _run(), "unknown top-level key"),
        (NB_DIR + "colour = 1\n" + _run(), "unknown key\\(s\\) \\['colour'\\] in \\[defaults\\]"),
        (NB_DIR + "timeout_seconds = -1\n" + _run(), "timeout_seconds must be a positive integer"),
        (NB_DIR + "require_headline = 1\n" + _run(), "require_headline must be true or false"),
        (NB_DIR + _run(extra="colour = 1"), "\\[\\[run\\]\\] #1: unknown key"),
        (NB_DIR + '[[run]]\nnotebook = "report_ok.ipynb"\n', "'name' is required"),
        (NB_DIR + _run(name="a/b"), "name may use letters"),
        (NB_DIR + _run() + _run(), "'a': duplicate run name"),
        (NB_DIR + _run(notebook="missing.ipynb"), "missing.ipynb does not exist"),
        (NB_DIR + _run(extra="parameters = 3"), "'parameters' must be a table"),
        (NB_DIR + _run(extra='parameters = { "not-ident" = 1 }'), "not a Python identifier"),
        (NB_DIR + _run(extra='title = ""'), "'title' must be a non-empty string"),
    ],
)
def test_bad_config_raises_with_location(tmp_path, text, match):
    with pytest.raises(ReportConfigError, match=match):
        load_config(_cfg(tmp_path, text))


def test_missing_config_file(tmp_path):
    with pytest.raises(ReportConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("n=3", ("n", 3)),
        ("claim=0.2", ("claim", 0.2)),
        ("flag=true", ("flag", True)),
        ('name="a b"', ("name", "a b")),
        ("region=north", ("region", "north")),
        ("models=['markov', 'shapley']", ("models", ["markov", "shapley"])),
        ('models=["markov"]', ("models", ["markov"])),
        ("start=2024-01-01", ("start", "2024-01-01")),
        ("data_path=none", ("data_path", None)),
        ("data_path=null", ("data_path", None)),
        ("x = 5 ", ("x", 5)),
        ("path=/srv/data", ("path", "/srv/data")),
        ("opts={\"a\": 1}", ("opts", {"a": 1})),
    ],
)
def test_parse_override(text, expected):
    assert parse_override(text) == expected


@pytest.mark.parametrize("text", ["novalue", "=3", "1x=3", "a-b=1"])
def test_parse_override_rejects_bad_keys(text):
    with pytest.raises(ReportConfigError, match="expected key=value"):
        parse_override(text)


def test_select_runs(tmp_path):
    cfg = load_config(_cfg(tmp_path, NB_DIR + _run("a") + _run("b", "report_xss.ipynb") + _run("c")))
    assert [r.name for r in select_runs(cfg)] == ["a", "b", "c"]
    assert [r.name for r in select_runs(cfg, ["c", "a"])] == ["a", "c"]  # config order
    with pytest.raises(ReportConfigError, match="no such run.*known runs: a, b, c"):
        select_runs(cfg, ["a", "zzz"])


def test_notebook_parameters_reads_defaults(tmp_path):
    assert notebook_parameters(TEST_NOTEBOOKS / "report_ok.ipynb") == {"data_path": None, "seed": 7, "region": "all"}
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("a = 1; b: int = 2  # comment; with semicolons\nc = config.DEFAULT_SEED\nimport os\nd, e = 1, 2"),
        nbformat.v4.new_code_cell("z = 3"),
    ])
    nb.cells[1].metadata["tags"] = ["parameters"]
    nb.cells[2].metadata["tags"] = ["parameters"]  # only the first tagged cell counts
    nbformat.write(nb, tmp_path / "p.ipynb")
    assert notebook_parameters(tmp_path / "p.ipynb") == {"a": 1, "b": 2, "c": "config.DEFAULT_SEED"}
    nb.cells[1].source = "a = = 1"
    nbformat.write(nb, tmp_path / "p.ipynb")
    with pytest.raises(ReportConfigError, match="not valid Python"):
        notebook_parameters(tmp_path / "p.ipynb")


def test_plan_runs_precedence_and_typos(tmp_path, tiny_dataset):
    cfg = load_config(_cfg(
        tmp_path,
        NB_DIR + f'parameters = {{ data_path = "{tiny_dataset.as_posix()}", seed = 1 }}\n'
        + _run("a", extra='parameters = { region = "south" }') + _run("x", "report_xss.ipynb"),
    ))
    planned = plan_runs(cfg.runs, {"region": "west"}, cfg.parameters)
    a, x = planned
    # seed from [defaults] (declared by report_ok only), region: -p beats the run's own value
    assert a.parameters == {"data_path": str(tiny_dataset), "seed": 1, "region": "west"}
    assert a.effective == {"data_path": str(tiny_dataset), "seed": 1, "region": "west"}
    assert x.parameters == {"data_path": str(tiny_dataset)}  # xss declares neither seed nor region
    assert (a.seed, a.seed_source) == (1, "parameter") and x.seed is None
    assert a.data is x.data  # each dataset is hashed once per batch
    assert a.data["period"] == {"start": "2024-01-03", "end": "2024-03-01"}
    with pytest.raises(ReportConfigError, match="-p regoin=...: no selected notebook"):
        plan_runs(cfg.runs, {"regoin": "west"}, cfg.parameters)
    bad = load_config(_cfg(tmp_path, NB_DIR + _run("a", extra="parameters = { regoin = 1 }")))
    with pytest.raises(ReportConfigError, match="run 'a': parameter\\(s\\) \\['regoin'\\] are not in report_ok.ipynb"):
        plan_runs(bad.runs, {})


def test_plan_runs_rejects_invalid_dataset(tmp_path, tiny_dataset):
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in tiny_dataset.iterdir():
        (broken / f.name).write_text(f.read_text())
    (broken / "opportunities.csv").write_text((tiny_dataset / "opportunities.csv").read_text().replace("won,12000", "won,-5"))
    cfg = load_config(_cfg(tmp_path, NB_DIR + _run()))
    with pytest.raises(ReportConfigError, match="cannot be used.*revenue"):
        plan_runs(cfg.runs, {"data_path": str(broken)})


def test_plain_converts_times():
    from smlib.report.runner import _plain

    assert _plain({"a": [dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4)], "t": dt.time(5, 6)}) == {
        "a": ["2024-01-02", "2024-01-02T03:04:00"], "t": "05:06:00",
    }


def test_project_reports_toml_lists_every_notebook():
    """reports.toml parses, every run's notebook exists, and every notebook in notebooks/ is scheduled."""
    cfg = load_config(config.REPORTS_CONFIG)
    scheduled = {r.notebook.name for r in cfg.runs}
    present = {p.name for p in Path(config.NOTEBOOKS_DIR).glob("*.ipynb")}
    assert present <= scheduled, f"notebooks not in reports.toml: {sorted(present - scheduled)}"
    for run in cfg.runs:
        assert set(run.parameters) <= set(notebook_parameters(run.notebook)), run.name


@pytest.mark.parametrize("params, match", [
    ({"language": "fr"}, r"language='fr': expected .*'en'.*'es'"),
    ({"currency": "XYZ"}, r"currency='XYZ': expected an ISO 4217 code"),
    ({"currency": 5}, r"currency=5"),
    ({"start": "2024-13-45"}, r"start='2024-13-45': expected a date"),
    ({"start": "2024-06-01", "end": "2024-01-01"}, r"start '2024-06-01' is after end"),
    ({"lookback_days": 0}, r"lookback_days=0: expected a positive number"),
    ({"n_boot": 1}, r"n_boot=1: expected 0"),
    ({"n_boot": "many"}, r"n_boot='many'"),
    ({"on_invalid": "skip"}, r"on_invalid='skip': expected 'error'"),
    ({"labels": {"demo": ""}}, r"labels=.*expected a mapping"),
    ({"labels": ["demo"]}, r"labels=\['demo'\]"),
])
def test_parameter_values_are_checked_before_anything_runs(params, match):
    from smlib.report.runner import check_parameter_values

    with pytest.raises(ReportConfigError, match=match):
        check_parameter_values(params, where="run 'x'")


def test_good_parameter_values_pass():
    from smlib.report.runner import check_parameter_values

    check_parameter_values({"language": "es", "currency": "brl", "start": "2024-01-01",
                            "end": None, "lookback_days": 30, "n_boot": 0})


def test_project_batch_rejects_a_bad_language_before_running(tmp_path):
    """`-p language=fr` on the project's own reports fails at planning, with exit code 2."""
    from conftest import run_report_cli

    run = run_report_cli(["-p", "language=fr"], tmp_path / "reports")
    assert run.exit_code == 2
    assert "[1/" not in run.stdout  # planning only: no notebook started
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())


# ------------------------------------------------------------ hostile notebook paths (reliability)

SECRET = "SECRET-TOKEN-123 root:x:0:0:root:/root:/bin/bash"


def _nb_dir_with_ok(tmp_path: Path) -> Path:
    nb_dir = tmp_path / "nbs"
    nb_dir.mkdir()
    (nb_dir / "ok.ipynb").write_bytes((TEST_NOTEBOOKS / "report_ok.ipynb").read_bytes())
    return nb_dir


def _cfg_in(tmp_path: Path, nb_dir: Path, notebook: str) -> Path:
    return _cfg(tmp_path, f'[defaults]\nnotebooks_dir = "{nb_dir.as_posix()}"\n' + _run(notebook=notebook))


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink"])
def test_notebook_outside_the_notebooks_folder_is_refused(tmp_path, kind):
    """`../../etc/passwd`, an absolute path elsewhere, a symlink out of the folder: config errors."""
    nb_dir = _nb_dir_with_ok(tmp_path)
    outside = tmp_path / "elsewhere" / "stolen.ipynb"
    outside.parent.mkdir()
    outside.write_bytes((TEST_NOTEBOOKS / "report_ok.ipynb").read_bytes())  # even a valid notebook
    if kind == "dotdot":
        given = os.path.relpath(outside, nb_dir)
        assert given.startswith("..")
    elif kind == "absolute":
        given = str(outside)
    else:
        (nb_dir / "link.ipynb").symlink_to(outside)
        given = "link.ipynb"
    with pytest.raises(ReportConfigError, match="is outside the notebooks folder"):
        load_config(_cfg_in(tmp_path, nb_dir, given))


def test_notebook_paths_inside_the_folder_are_fine(tmp_path, monkeypatch):
    nb_dir = _nb_dir_with_ok(tmp_path)
    (nb_dir / "sub").mkdir()
    (nb_dir / "alias.ipynb").symlink_to(nb_dir / "ok.ipynb")  # a link that stays inside
    for given in ("ok.ipynb", "sub/../ok.ipynb", str(nb_dir / "ok.ipynb"), "alias.ipynb"):
        (run,) = load_config(_cfg_in(tmp_path, nb_dir, given)).runs
        assert run.notebook == (nb_dir / "ok.ipynb").resolve()
    # default folder: config.NOTEBOOKS_DIR; the project's notebooks may not be left either
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", nb_dir)
    with pytest.raises(ReportConfigError, match="outside the notebooks folder"):
        load_config(_cfg(tmp_path, _run(notebook="../../../../../../etc/passwd")))


@pytest.mark.parametrize("content", [SECRET + "\n", '{"password": "' + SECRET + '"}', '["' + SECRET + '"]',
                                     '{"nbformat": 4, "nbformat_minor": 5, "cells": [{"source": "' + SECRET + '"}]}'],
                         ids=["text", "json-object", "json-list", "json-not-nbformat"])
def test_non_notebook_file_is_refused_without_showing_its_content(tmp_path, content, capsys):
    """A file that is not notebook JSON: 'X is not a Jupyter notebook', its content never echoed."""
    from smlib.cli import main

    nb_dir = _nb_dir_with_ok(tmp_path)
    (nb_dir / "notes.ipynb").write_text(content)
    cfg = _cfg_in(tmp_path, nb_dir, "notes.ipynb")
    with pytest.raises(ReportConfigError, match=r"notes.ipynb is not a Jupyter notebook \(.ipynb JSON\)") as e:
        load_config(cfg)
    assert "SECRET" not in str(e.value)
    for argv in (["report", "run", "--config", str(cfg), "--reports-dir", str(tmp_path / "r")],
                 ["report", "list", "--config", str(cfg)]):
        assert main(argv) == 2
        out = capsys.readouterr()
        assert "SECRET" not in out.err + out.out
        assert "is not a Jupyter notebook (.ipynb JSON)" in out.err
        assert len(out.err.strip().splitlines()) == 1
    with pytest.raises(ReportConfigError, match="is not a Jupyter notebook") as e:
        notebook_parameters(nb_dir / "notes.ipynb")
    assert "SECRET" not in str(e.value)


# --------------------------------------------------- bad -p values fail fast, before any data work

@pytest.mark.parametrize("override, match", [
    pytest.param("start=garbage", "start='garbage': expected a date", id="start-garbage"),
    pytest.param("language=fr", "language='fr'", id="language-fr"),
    pytest.param("currency=XYZ", "currency='XYZ': expected an ISO 4217 code", id="currency-xyz"),
])
def test_bad_parameter_values_exit_2_before_any_data_or_notebook(tmp_path, monkeypatch, capsys, override, match):
    """On the project's own reports.toml: exit 2 in well under a second, no dataset loaded (not
    even for the runs that come before the one declaring the parameter), no run folder."""
    import time

    from smlib.cli import main
    from smlib.report import runner

    loaded = []
    monkeypatch.setattr(runner, "_describe_data", lambda *a, **k: loaded.append(a) or {})
    main(["report", "list"])  # warm imports, so the timing below is the command's own work
    capsys.readouterr()
    t0 = time.perf_counter()
    code = main(["report", "run", "-p", override, "--reports-dir", str(tmp_path / "reports")])
    elapsed = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert code == 2, err
    assert re.search(match, err), err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert loaded == []  # no dataset loaded or generated for any run
    assert elapsed < 1.0, elapsed
    assert not (tmp_path / "reports").exists()


# ------------------------------------------------------------ bad data paths: exit 2, one line

def _bad_data_path(tmp_path: Path, kind: str, tiny: Path) -> Path:
    if kind == "symlink_loop":
        a, b = tmp_path / "loop_a", tmp_path / "loop_b"
        a.symlink_to(b)
        b.symlink_to(a)
        return a
    if kind == "sqlite":
        import sqlite3

        f = tmp_path / "crm.duckdb"
        with sqlite3.connect(f) as con:
            con.execute("CREATE TABLE touchpoints (account_id TEXT)")
        return f
    if kind == "garbage":
        f = tmp_path / "crm.duckdb"
        f.write_bytes(os.urandom(4096))
        return f
    if kind == "single_csv":
        f = tmp_path / "touchpoints.csv"
        f.write_text((tiny / "touchpoints.csv").read_text())
        return f
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["symlink_loop", "sqlite", "garbage", "single_csv"])
@pytest.mark.parametrize("where", ["-p", "config"], ids=["p-option", "config"])
def test_bad_data_path_is_exit_2_with_one_line(tmp_path, tiny_dataset, capsys, kind, where):
    from conftest import write_reports_config

    from smlib.cli import main

    bad = _bad_data_path(tmp_path, kind, tiny_dataset)
    cfg = write_reports_config(tmp_path / "r.toml", bad if where == "config" else tiny_dataset,
                               [("ok", "report_ok.ipynb", "T", {})])
    extra = ["-p", f"data_path={bad}"] if where == "-p" else []
    code = main(["report", "run", "--config", str(cfg), *extra, "--reports-dir", str(tmp_path / "reports")])
    out = capsys.readouterr()
    assert code == 2, out.err
    assert "Traceback" not in out.err
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("smlib report run: error: "), out.err
    assert "[1/" not in out.out
    assert not (tmp_path / "reports").exists()


def test_config_that_is_a_folder_is_exit_2(tmp_path, capsys):
    from smlib.cli import main

    assert main(["report", "run", "--config", str(tmp_path), "--reports-dir", str(tmp_path / "r")]) == 2
    assert "cannot be read" in capsys.readouterr().err


def test_spanish_runs_take_their_spanish_title(tmp_path):
    cfg = load_config(_cfg(tmp_path, NB_DIR + _run(extra='title = "Sales report"\ntitle_es = "Informe de ventas"')))
    assert cfg.runs[0].titles == {"es": "Informe de ventas"}
    assert cfg.runs[0].title_in("es") == "Informe de ventas" and cfg.runs[0].title_in("en") == "Sales report"
    en = plan_runs(cfg.runs, {}, {})
    assert en[0].spec.title == "Sales report"
    project = load_config()
    es = plan_runs(select_runs(project, ["03_executive_summary"]), {"language": "es"},
                   project.parameters)
    assert es[0].spec.title == "Resumen ejecutivo"
    with pytest.raises(ReportConfigError, match="'title_es' must be a non-empty string"):
        load_config(_cfg(tmp_path, NB_DIR + _run(extra='title_es = ""')))


def test_each_project_report_can_run_alone():
    """`smlib report run --only <name>` plans for every run of the project's reports.toml (as
    run_batch does: [defaults] keys checked against every report of the config), and the run
    gets every batch-wide [defaults] parameter its notebook declares."""
    project = load_config()
    for run in project.runs:
        planned = plan_runs(select_runs(project, [run.name]), {}, project.parameters,
                            all_runs=project.runs)
        assert [p.spec.name for p in planned] == [run.name]
        declared = notebook_parameters(run.notebook)
        for key, value in project.parameters.items():
            if key in declared:
                assert planned[0].effective[key] == run.parameters.get(key, value), (run.name, key)
    # a typo in [defaults] still fails, even with --only
    with pytest.raises(ReportConfigError, match="no selected notebook has a parameter 'lookbak'"):
        plan_runs(select_runs(project, [project.runs[0].name]), {},
                  {**project.parameters, "lookbak": 90}, all_runs=project.runs)
