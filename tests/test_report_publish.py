"""Publishing: a failing notebook never replaces `latest` or the index; every update is atomic."""

from __future__ import annotations

import json
import os
import shutil
import threading
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest

from smlib.report import publish as pub


# ------------------------------------------------------------------ failing batch (runs notebooks)

@pytest.fixture(scope="module")
def failed_batch(report_batch, tiny_dataset, tmp_path_factory):
    """Copy the good batch's reports folder, then run a batch with a failing notebook into it."""
    from conftest import TEST_NOTEBOOKS, run_report_cli, write_reports_config

    assert report_batch.exit_code == 0, report_batch.stdout
    base = tmp_path_factory.mktemp("failed_batch")
    root = base / "reports"
    shutil.copytree(report_batch.root, root, symlinks=True)
    before = {
        "latest": os.readlink(root / "latest"),
        "index": (root / "index.html").read_bytes(),
        "runs": sorted(p.name for p in root.iterdir() if pub.is_run_id(p.name)),
    }
    # a run's notebook must be inside the notebooks folder: put the three in one folder
    nbs = base / "notebooks"
    nbs.mkdir()
    for name in ("report_ok.ipynb", "report_fail.ipynb"):
        shutil.copy(TEST_NOTEBOOKS / name, nbs / name)
    nohead = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("data_path = None")])
    nohead.cells[0].metadata["tags"] = ["parameters"]
    nohead.cells.append(nbformat.v4.new_code_cell("print('a report that forgot its headline')"))
    nbformat.write(nohead, nbs / "nohead.ipynb")
    cfg = write_reports_config(
        base / "reports.toml",
        tiny_dataset,
        [
            ("ok", "report_ok.ipynb", "Test report", {"region": "north"}),
            ("fail", "report_fail.ipynb", "Failing report", {}),
            ("nohead", "nohead.ipynb", "No headline", {}),
        ],
    )
    cfg.write_text(cfg.read_text().replace(f'notebooks_dir = "{TEST_NOTEBOOKS.as_posix()}"',
                                           f'notebooks_dir = "{nbs.as_posix()}"'))
    result = run_report_cli(["--config", str(cfg)], root)
    new_runs = sorted(p.name for p in root.iterdir() if pub.is_run_id(p.name) and p.name not in before["runs"])
    assert len(new_runs) == 1
    return result, before, root / new_runs[0]


@pytest.mark.slow
def test_failing_batch_exits_nonzero_with_summary(failed_batch):
    result, _, run_dir = failed_batch
    assert result.exit_code == 1
    out = result.stdout
    assert "FAILED  ValueError: deliberate failure for the publishing test" in out
    assert "FAILED  NoHeadline" in out
    assert "NOT published: 2 of 3 report(s) failed." in out
    assert "latest still -> " in out and str(run_dir / "failed") in out


@pytest.mark.slow
def test_failing_batch_keeps_latest_and_index(failed_batch):
    result, before, run_dir = failed_batch
    root = result.root
    assert os.readlink(root / "latest") == before["latest"]
    assert (root / "index.html").read_bytes() == before["index"]
    manifest = pub.read_manifest(run_dir)
    assert manifest["status"] == "failed" and manifest["published"] is False
    # a later index rebuild still ignores the failed batch
    pub.rebuild_index(root)
    assert run_dir.name not in (root / "index.html").read_text()


@pytest.mark.slow
def test_failed_notebook_kept_with_its_error(failed_batch):
    _, _, run_dir = failed_batch
    kept = run_dir / "failed" / "fail.ipynb"
    nb = nbformat.read(kept, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors and errors[0].ename == "ValueError"
    rec = json.loads((run_dir / "failed" / "fail.provenance.json").read_text())
    assert rec["status"] == "failed" and rec["error"]["ename"] == "ValueError"
    assert not (run_dir / "fail.html").exists()
    # the batch's successful report stays in its folder for inspection, unpublished
    assert (run_dir / "ok.html").is_file()


@pytest.mark.slow
def test_same_inputs_same_numbers(report_batch, failed_batch):
    """Repeatability: the ok report ran in two batches on the same inputs -> identical headlines."""
    _, _, run_dir = failed_batch
    first = json.loads((report_batch.root / "latest" / "ok.provenance.json").read_text())
    second = json.loads((run_dir / "ok.provenance.json").read_text())
    assert first["headlines"] == second["headlines"]
    assert first["data"]["files"] == second["data"]["files"]
    assert first["run_id"] != second["run_id"]
    # the run-id suffix fingerprints the inputs of the whole batch; here the batches differ
    assert first["run_id"].split("-")[1] != second["run_id"].split("-")[1]


# ------------------------------------------------------------------------- unit tests (fast)

def _fake_run(root: Path, run_id: str, status: str = "ok", title: str = "R",
              started_at: str = "2024-01-01T06:00:00+00:00") -> Path:
    d = root / run_id
    d.mkdir(parents=True)
    (d / "r.html").write_text("<html></html>")
    manifest = {
        "run_id": run_id, "status": status, "published": False, "started_at": started_at,
        "git": {"commit": "abc"},
        "reports": [{"name": "r", "title": title, "status": status, "html": "r.html", "provenance": "r.provenance.json",
                     "headlines": [{"title": "H", "note": None, "items": [{"label": "L", "text": "1", "value": 1, "href": None}]}]}],
    }
    (d / pub.MANIFEST).write_text(json.dumps(manifest))
    return d


def test_make_run_id_format_and_determinism():
    t = datetime(2024, 5, 1, 6, 0, 3, tzinfo=timezone.utc)
    rid = pub.make_run_id(t, "inputs")
    assert rid.startswith("20240501T060003Z-") and pub.is_run_id(rid)
    assert rid == pub.make_run_id(t, "inputs") != pub.make_run_id(t, "other inputs")
    with pytest.raises(ValueError, match="timezone"):
        pub.make_run_id(datetime(2024, 5, 1), "x")


def test_create_run_dir_never_reuses_a_folder(tmp_path):
    rid = "20240501T060003Z-0123abcd"
    ids = [pub.create_run_dir(tmp_path, rid)[0] for _ in range(3)]
    assert ids == [rid, f"{rid}-2", f"{rid}-3"]
    assert all(pub.is_run_id(i) for i in ids)


def test_publish_points_latest_and_lists_only_good_runs(tmp_path):
    _fake_run(tmp_path, "20240101T060000Z-00000001", title="first <b>")
    _fake_run(tmp_path, "20240102T060000Z-00000002", status="failed", title="broken")
    _fake_run(tmp_path, "20240103T060000Z-00000003", title="third")
    pub.publish(tmp_path, "20240101T060000Z-00000001")
    pub.publish(tmp_path, "20240103T060000Z-00000003")
    with pytest.raises(ValueError, match="did not succeed"):
        pub.publish(tmp_path, "20240102T060000Z-00000002")
    assert os.readlink(tmp_path / "latest") == "20240103T060000Z-00000003"
    index = (tmp_path / "index.html").read_text()
    assert "broken" not in index
    assert index.index("third") < index.index("first &lt;b&gt;")  # newest first, escaped
    assert not list(tmp_path.glob(".*.tmp"))


def test_point_latest_refuses_to_clobber_a_real_folder(tmp_path):
    _fake_run(tmp_path, "20240101T060000Z-00000001")
    (tmp_path / "latest").mkdir()
    with pytest.raises(ValueError, match="not a symlink"):
        pub.point_latest(tmp_path, "20240101T060000Z-00000001")
    with pytest.raises(ValueError, match="does not exist"):
        pub.point_latest(tmp_path, "20990101T000000Z-ffffffff")


def test_interrupted_updates_leave_previous_state(tmp_path, monkeypatch):
    """A crash at the rename step leaves the old index and latest in place, and no temp files."""
    _fake_run(tmp_path, "20240101T060000Z-00000001")
    _fake_run(tmp_path, "20240102T060000Z-00000002")
    pub.publish(tmp_path, "20240101T060000Z-00000001")
    index_before = (tmp_path / "index.html").read_bytes()

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(pub.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        pub.point_latest(tmp_path, "20240102T060000Z-00000002")
    with pytest.raises(OSError, match="disk full"):
        pub.write_text_atomic(tmp_path / "index.html", "<html>half</html>")
    assert os.readlink(tmp_path / "latest") == "20240101T060000Z-00000001"
    assert (tmp_path / "index.html").read_bytes() == index_before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_concurrent_publishes_both_reach_the_index(tmp_path):
    ids = [f"2024010{i}T060000Z-0000000{i}" for i in range(1, 7)]
    for rid in ids:
        _fake_run(tmp_path, rid)
    threads = [threading.Thread(target=pub.publish, args=(tmp_path, rid)) for rid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    index = (tmp_path / "index.html").read_text()
    assert all(f'id="run-{rid}"' in index for rid in ids)
    assert os.readlink(tmp_path / "latest") in ids


def test_index_of_empty_folder(tmp_path):
    pub.rebuild_index(tmp_path)
    assert "No report batch has been published yet" in (tmp_path / "index.html").read_text()


def test_cli_index_rebuilds_from_run_folders(tmp_path, capsys):
    from smlib.cli import main

    _fake_run(tmp_path, "20240101T060000Z-00000001", title="kept")
    pub.publish(tmp_path, "20240101T060000Z-00000001")
    (tmp_path / "index.html").unlink()
    assert main(["report", "index", "--reports-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "index.html")
    assert "kept" in (tmp_path / "index.html").read_text()


# ------------------------------------------------- concurrent batches: newest by start time wins

def _index_order(root: Path) -> list[str]:
    import re

    return re.findall(r'id="run-([^"]+)"', (root / "index.html").read_text())


def _latest_tagged(root: Path) -> list[str]:
    import re

    html = (root / "index.html").read_text()
    return [m for m in re.findall(r'<section class="run" id="run-([^"]+)">\s*<h2>[^<]*<span class="latest-tag">', html)]


def test_older_batch_finishing_last_does_not_take_latest(tmp_path):
    """Two overlapping batches: B started after A but finished first. When A publishes, `latest`
    stays on B, the index lists B first and tags B as latest: index and latest agree."""
    a, b = "20240101T060000Z-0000000a", "20240101T060030Z-0000000b"
    _fake_run(tmp_path, a, title="older", started_at="2024-01-01T06:00:00+00:00")
    _fake_run(tmp_path, b, title="newer", started_at="2024-01-01T06:00:30+00:00")
    assert pub.publish(tmp_path, b) is True
    assert pub.publish(tmp_path, a) is False  # published (listed), but not latest
    assert os.readlink(tmp_path / "latest") == b
    assert _index_order(tmp_path) == [b, a]
    assert _latest_tagged(tmp_path) == [b]
    assert pub.read_manifest(tmp_path / a)["published"] is True


def test_start_time_orders_batches_within_the_same_second(tmp_path):
    """Run ids only have whole seconds; the manifest's start_time decides between two batches."""
    a, b = "20240101T060000Z-ffffffff", "20240101T060000Z-00000001"  # b sorts first as text...
    _fake_run(tmp_path, a)
    _fake_run(tmp_path, b)
    for rid, t in ((a, 1704088800.1), (b, 1704088800.7)):  # ...and started later
        m = pub.read_manifest(tmp_path / rid)
        m["start_time"] = t
        (tmp_path / rid / pub.MANIFEST).write_text(json.dumps(m))
    pub.publish(tmp_path, b)
    pub.publish(tmp_path, a)
    assert os.readlink(tmp_path / "latest") == b and _index_order(tmp_path) == [b, a]


def test_concurrent_publishes_end_on_the_newest(tmp_path):
    ids = [f"2024010{i}T060000Z-0000000{i}" for i in range(1, 7)]
    for i, rid in enumerate(ids, start=1):
        _fake_run(tmp_path, rid, started_at=f"2024-01-0{i}T06:00:00+00:00")
    threads = [threading.Thread(target=pub.publish, args=(tmp_path, rid)) for rid in reversed(ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert os.readlink(tmp_path / "latest") == ids[-1]
    assert _index_order(tmp_path) == ids[::-1] and _latest_tagged(tmp_path) == [ids[-1]]


# ------------------------------------------------------ killed batches: marked incomplete, never listed

def _age(path: Path, seconds: float = 3600) -> None:
    t = path.stat().st_mtime - seconds
    os.utime(path, (t, t))


def test_folder_without_run_json_is_marked_incomplete_and_never_published(tmp_path, capsys):
    from smlib.cli import main

    good = "20240101T060000Z-00000001"
    _fake_run(tmp_path, good, title="good")
    pub.publish(tmp_path, good)
    killed = tmp_path / "20240102T060000Z-00000002"  # newer, but its batch was killed
    (killed / pub.PARTIAL_DIR).mkdir(parents=True)
    (killed / pub.PARTIAL_DIR / "r.ipynb").write_text("{half a notebook")
    (killed / pub.RUN_LOCK).write_text('{"pid": 999999}')  # nobody holds the lock any more
    young = tmp_path / "20240103T060000Z-00000003"  # a batch that is just starting (no lock yet)
    young.mkdir()
    _age(killed)
    assert pub.run_state(killed) == "incomplete" and pub.run_state(young) == "running"
    assert main(["report", "index", "--reports-dir", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert killed.name in err and "marked incomplete" in err
    rec = json.loads((killed / pub.INCOMPLETE).read_text())
    assert rec["status"] == "incomplete" and rec["published"] is False
    assert not (killed / pub.MANIFEST).exists() and not (young / pub.INCOMPLETE).exists()
    assert os.readlink(tmp_path / "latest") == good and _index_order(tmp_path) == [good]
    with pytest.raises(ValueError, match="did not succeed"):
        pub.publish(tmp_path, killed.name)
    assert pub.mark_incomplete_runs(tmp_path) == []  # marked once


def test_running_batch_is_not_marked(tmp_path):
    d = tmp_path / "20240101T060000Z-00000001"
    d.mkdir()
    with pub.hold_run_lock(d, {"pid": os.getpid()}):
        _age(d)
        assert pub.run_state(d) == "running"
        assert pub.mark_incomplete_runs(tmp_path) == []
    assert not (d / pub.RUN_LOCK).exists()  # removed when the batch ends normally


def test_index_repairs_a_latest_pointing_at_a_deleted_batch(tmp_path, capsys):
    from smlib.cli import main

    a, b = "20240101T060000Z-00000001", "20240102T060000Z-00000002"
    _fake_run(tmp_path, a, started_at="2024-01-01T06:00:00+00:00")
    _fake_run(tmp_path, b, started_at="2024-01-02T06:00:00+00:00")
    pub.publish(tmp_path, a)
    pub.publish(tmp_path, b)
    shutil.rmtree(tmp_path / b)  # pruned the wrong folder
    assert main(["report", "index", "--reports-dir", str(tmp_path)]) == 0
    assert os.readlink(tmp_path / "latest") == a and _index_order(tmp_path) == [a]


def test_index_shows_each_reports_data_warning_codes():
    from smlib.report.publish import render_index

    run = {"run_id": "20240101T000000Z-abcdef12", "status": "ok", "published": True,
           "started_at": "2024-01-01T00:00:00+00:00", "git": {"commit": "abc"},
           "reports": [
               {"name": "a", "title": "A", "html": "a.html", "provenance": "a.provenance.json",
                "headlines": [], "warnings": [{"code": "no_spend", "message": "m"},
                                              {"code": "separation", "message": "x"},
                                              {"code": "separation", "message": "y"}]},
               {"name": "b", "title": "B", "html": "b.html", "provenance": "b.provenance.json",
                "headlines": []}]}  # an older run.json without warnings
    page = render_index([run], run["run_id"])
    assert "3 data warnings: no_spend, separation" in page
    assert page.count("data-warning-count") == 1


# ------------------------------------------------- reading order, batch pages, changes since the last batch

def _batch(root: Path, run_id: str, started_at: str, items: dict[str, str],
           names: tuple[str, ...] = ("00_data_overview", "03_executive_summary"),
           language: str = "en") -> None:
    d = root / run_id
    d.mkdir(parents=True)
    reports = []
    for name in names:
        (d / f"{name}.html").write_text("<html></html>")
        (d / f"{name}.provenance.json").write_text(json.dumps({"parameters": {"language": language}}))
        reports.append({"name": name, "title": f"T {name}", "status": "ok", "html": f"{name}.html",
                        "provenance": f"{name}.provenance.json",
                        "headlines": [{"title": "H", "note": None, "items": [
                            {"label": k, "text": v, "value": None, "href": None}
                            for k, v in items.items()]}]})
    (d / pub.MANIFEST).write_text(json.dumps({
        "run_id": run_id, "status": "ok", "published": False, "started_at": started_at,
        "git": {"commit": "abc"}, "reports": reports}))


def test_index_lists_the_executive_summary_first_and_latest_opens_a_page(tmp_path):
    rid = "20261126T060000Z-00000001"
    _batch(tmp_path, rid, "2026-11-26T06:00:00+00:00", {"Revenue": "$50M"})
    pub.publish(tmp_path, rid)
    index = (tmp_path / "index.html").read_text()
    # run order was 00 then 03; the reader sees 03 first (README: read it first)
    assert index.index(f'href="{rid}/03_executive_summary.html"') < index.index(f'href="{rid}/00_data_overview.html"')
    # the 'latest' link opens a page, not a folder listing, and that page exists
    assert 'href="latest/index.html"' in index and 'href="latest/"' not in index
    page = (tmp_path / "latest" / "index.html").read_text()
    assert page.index('href="03_executive_summary.html"') < page.index('href="00_data_overview.html"')
    assert 'href="../index.html"' in page


def test_index_shows_each_headline_change_since_the_previous_batch(tmp_path):
    a, b = "20261126T060000Z-00000001", "20261203T060000Z-00000002"
    _batch(tmp_path, a, "2026-11-26T06:00:00+00:00",
           {"Uplift": "+6.7 % (4.0 % to 9.0 %)", "Revenue": "$50M from 1,700 customers",
            "Period": "Jan 2022 to Dec 2025", "Cycle": "21 days"})
    _batch(tmp_path, b, "2026-12-03T06:00:00+00:00",
           {"Uplift": "+8.8 % (6.7 % to 11.0 %)", "Revenue": "$52M from 1,761 customers",
            "Period": "Jan 2022 to Mar 2026", "Cycle": "21 days", "New": "5 %"})
    pub.publish(tmp_path, a)
    pub.publish(tmp_path, b)
    manifest = pub.read_manifest(tmp_path / b)
    items = {it["label"]: it.get("change") for it in manifest["reports"][0]["headlines"][0]["items"]}
    assert items == {"Uplift": "+2.1 pts since 2026-11-26", "Revenue": "+4.0 % (was $50M) since 2026-11-26",
                     "Period": None, "Cycle": "unchanged since 2026-11-26", "New": None}
    # the previous batch's headlines are kept with the new one
    assert manifest["previous"]["run_id"] == a
    assert manifest["previous"]["headlines"]["03_executive_summary"][0]["items"][0]["text"].startswith("+6.7 %")
    index = (tmp_path / "index.html").read_text()
    assert "+2.1 pts since 2026-11-26" in index
    # the first batch had nothing to compare with
    assert "previous" not in pub.read_manifest(tmp_path / a)


def test_rebuild_writes_a_missing_batch_page(tmp_path):
    rid = "20261126T060000Z-00000001"
    _batch(tmp_path, rid, "2026-11-26T06:00:00+00:00", {"Revenue": "$50M"})
    pub.publish(tmp_path, rid)
    (tmp_path / rid / "index.html").unlink()
    pub.rebuild_index(tmp_path)
    assert (tmp_path / "latest" / "index.html").is_file()


def test_changes_read_figures_in_each_reports_language(tmp_path):
    a, b, c = "20261126T060000Z-00000001", "20261203T060000Z-00000002", "20261210T060000Z-00000003"
    _batch(tmp_path, a, "2026-11-26T06:00:00+00:00", {"Ingresos": "50 M US$", "Alza": "6,7 %"}, language="es")
    _batch(tmp_path, b, "2026-12-03T06:00:00+00:00", {"Ingresos": "52 M US$", "Alza": "8,8 %"}, language="es")
    _batch(tmp_path, c, "2026-12-10T06:00:00+00:00", {"Ingresos": "$52M", "Alza": "8.8 %"}, language="en")
    for rid in (a, b, c):
        pub.publish(tmp_path, rid)
    changes = {it["label"]: it.get("change")
               for it in pub.read_manifest(tmp_path / b)["reports"][0]["headlines"][0]["items"]}
    assert changes == {"Ingresos": "+4,0 % (antes 50 M US$) desde el 2026-11-26",
                       "Alza": "+2,1 puntos desde el 2026-11-26"}
    # a batch in another language is not compared as text
    assert all("change" not in it for it in pub.read_manifest(tmp_path / c)["reports"][0]["headlines"][0]["items"])
