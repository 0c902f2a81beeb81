"""End to end: `smlib report run` on tiny data -> run folder, HTML, provenance, latest, index."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from smlib import config
from smlib.io import load_dataset
from smlib.report import HEADLINE_MIMETYPE
from smlib.report.publish import is_run_id, read_manifest

pytestmark = pytest.mark.slow  # runs notebooks on the smarketing kernel (a few seconds each)


@pytest.fixture(scope="module")
def run_dir(report_batch) -> Path:
    assert report_batch.exit_code == 0, report_batch.stdout
    latest = report_batch.root / "latest"
    assert latest.is_symlink()
    return report_batch.root / os.readlink(latest)


def test_batch_layout(report_batch, run_dir):
    assert is_run_id(run_dir.name)
    assert not Path(os.readlink(report_batch.root / "latest")).is_absolute()  # relocatable
    for name in ("ok", "xss"):
        for suffix in (".html", ".ipynb", ".provenance.json"):
            assert (run_dir / f"{name}{suffix}").is_file(), f"{name}{suffix} missing"
    assert not (run_dir / "failed").exists()
    manifest = read_manifest(run_dir)
    assert manifest["status"] == "ok" and manifest["published"] is True
    assert [r["name"] for r in manifest["reports"]] == ["ok", "xss"]
    # no temp files left behind by the atomic writes
    leftovers = [p.name for p in report_batch.root.rglob("*.tmp")]
    assert leftovers == []


def test_progress_and_summary_printed(report_batch, run_dir):
    out = report_batch.stdout
    assert re.search(r"^\[1/2\] ok\s+\d+\.\d s  ok$", out, re.M), out
    assert re.search(r"^\[2/2\] xss\s+\d+\.\d s  ok$", out, re.M), out
    assert "Won revenue: $12,000" in out  # the summary shows headline numbers
    assert f"latest -> {run_dir.name}" in out


def test_executed_notebook_has_parameters_and_headline(run_dir, tiny_dataset):
    nb = nbformat.read(run_dir / "ok.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert "region = \"north\"" in injected[0].source and str(tiny_dataset) in injected[0].source
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert any(HEADLINE_MIMETYPE in o.get("data", {}) for o in outputs)


def test_provenance_record(run_dir, tiny_dataset):
    rec = json.loads((run_dir / "ok.provenance.json").read_text())
    assert rec["status"] == "ok" and rec["error"] is None
    assert rec["run_id"] == run_dir.name
    assert rec["notebook"] == "tests/notebooks/report_ok.ipynb"
    assert re.fullmatch(r"[0-9a-f]{64}", rec["notebook_sha256"])
    assert rec["parameters"] == {"data_path": str(tiny_dataset), "seed": 7, "region": "north"}
    assert (rec["seed"], rec["seed_source"]) == (7, "parameter")
    assert rec["duration_seconds"] > 0
    assert rec["started_at"] <= rec["finished_at"]
    assert re.fullmatch(r"[0-9a-f]{40}", rec["git"]["commit"])
    assert rec["versions"]["pandas"] and rec["versions"]["python"]
    assert rec["kernel"] == config.KERNEL_NAME
    assert rec["data"]["period"] == {"start": "2024-01-03", "end": "2024-03-01"}
    # the file hashes agree with smlib.io's own (table -> sha256 of the file it read)
    ds = load_dataset(tiny_dataset)
    for table, digest in ds.hashes.items():
        assert rec["data"]["files"][ds.files[table].name] == digest
    items = rec["headlines"][0]["items"]
    assert [(i["label"], i["text"]) for i in items] == [
        ("Won revenue", "$12,000"), ("Touches", "4"), ("Bootstrap 95 % interval", "$12,000 to $12,000"),
    ]


def test_html_report_content(run_dir):
    html = (run_dir / "ok.html").read_text()
    # header: title, run date, data period, parameters
    assert '<h1 class="report-title">Test report</h1>' in html
    assert re.search(r"Run date</dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d UTC", html)
    assert "Data period</dt><dd>2024-01-03 to 2024-03-01" in html
    assert '<th scope="row">region</th><td><code>north</code>' in html
    # footer: provenance
    rec = json.loads((run_dir / "ok.provenance.json").read_text())
    assert 'id="provenance"' in html and rec["git"]["commit"] in html
    assert rec["data"]["files"]["touchpoints.csv"] in html
    assert 'href="ok.provenance.json"' in html
    # leadership view: the headline, an embedded figure, no code, no prompts
    assert 'id="headline"' in html
    assert "data:image/png;base64," in html
    assert "show_headline(" not in html and "load_dataset(" not in html
    assert not re.search(r'class="jp-(Input|Output)Prompt', html)
    assert 'class="jp-CodeMirrorEditor' not in html  # no code cell input area


def test_stderr_warnings_hidden(run_dir):
    nb = nbformat.read(run_dir / "xss.ipynb", as_version=4)
    stderr = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("name") == "stderr"]
    assert stderr, "the xss notebook emits a warning on stderr"
    assert "stays out of the report" not in (run_dir / "xss.html").read_text()


def test_index_lists_run_with_headlines(report_batch, run_dir):
    index = (report_batch.root / "index.html").read_text()
    assert f'href="{run_dir.name}/ok.html"' in index
    assert f'href="{run_dir.name}/xss.html"' in index
    assert "Won revenue" in index and "$12,000" in index
    assert '<span class="latest-tag">latest</span>' in index


def test_cli_list_and_usage_errors(tmp_path, tiny_dataset, capsys):
    from conftest import write_reports_config

    from smlib.cli import main

    cfg = write_reports_config(tmp_path / "r.toml", tiny_dataset, [("ok", "report_ok.ipynb", "T", {})])
    assert main(["report", "list", "--config", str(cfg)]) == 0
    assert "report_ok.ipynb" in capsys.readouterr().out
    # nothing is executed for bad input: exit 2 and a one-line reason
    assert main(["report", "run", "--config", str(cfg), "--only", "nope", "--reports-dir", str(tmp_path / "r")]) == 2
    assert "no such run" in capsys.readouterr().err
    assert main(["report", "run", "--config", str(cfg), "-p", "regoin=x", "--reports-dir", str(tmp_path / "r")]) == 2
    assert "no selected notebook has a parameter 'regoin'" in capsys.readouterr().err
    assert main(["report", "run", "--config", str(cfg), "-p", "data_path=/no/such", "--reports-dir", str(tmp_path / "r")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


def test_partial_batch_is_not_published(report_batch, tmp_path):
    """--only runs a subset: kept in its folder, exit 0, but latest/index stay on the full batch."""
    import shutil

    from conftest import run_report_cli

    root = tmp_path / "reports"
    shutil.copytree(report_batch.root, root, symlinks=True)
    latest, index = os.readlink(root / "latest"), (root / "index.html").read_bytes()
    cfg = next(report_batch.root.parent.glob("reports.toml"))
    res = run_report_cli(["--config", str(cfg), "--only", "xss"], root)
    assert res.exit_code == 0, res.stdout
    assert "NOT published (a partial batch, --only)" in res.stdout
    assert os.readlink(root / "latest") == latest and (root / "index.html").read_bytes() == index
    new = [p for p in root.iterdir() if is_run_id(p.name) and p.name != latest]
    assert len(new) == 1 and (new[0] / "xss.html").is_file() and not (new[0] / "ok.html").exists()
    assert read_manifest(new[0])["status"] == "ok" and read_manifest(new[0])["published"] is False
