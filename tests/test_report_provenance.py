"""Provenance helpers: file hashes, git state, versions, seed, the record, the rendered footer."""

from __future__ import annotations

import hashlib
import json
import subprocess

import pytest

from smlib import config
from smlib.report import provenance as prov
from smlib.report.render import template_context


def test_sha256_file_matches_hashlib(tmp_path):
    data = b"x" * (3 * (1 << 20) + 17)  # spans several read chunks
    (tmp_path / "f.bin").write_bytes(data)
    assert prov.sha256_file(tmp_path / "f.bin") == hashlib.sha256(data).hexdigest()


def _copy_tables(src, dst, names=("touchpoints.csv", "opportunities.csv")):
    dst.mkdir(parents=True, exist_ok=True)
    for n in names:
        (dst / n).write_text((src / n).read_text())
    return dst


def test_hash_inputs_hashes_only_contract_files(tmp_path, tiny_dataset):
    data = _copy_tables(tiny_dataset, tmp_path / "d")
    (data / "mapping.toml").write_text("# no renames\n")
    (data / "notes.txt").write_text("not data")
    (data / "backup.zip").write_bytes(b"PK" + b"\0" * 1000)
    (data / "sub").mkdir()
    (data / "sub" / "b.parquet").write_bytes(b"PAR1")
    got = prov.hash_inputs(data)
    assert list(got) == ["opportunities.csv", "touchpoints.csv", "mapping.toml"]
    assert got["touchpoints.csv"] == hashlib.sha256((data / "touchpoints.csv").read_bytes()).hexdigest()
    with pytest.raises(ValueError, match="does not exist"):
        prov.hash_inputs(tmp_path / "nope")
    with pytest.raises(ValueError, match="expected a dataset folder"):
        prov.hash_inputs(data / "touchpoints.csv")  # a single table file is not a dataset


def test_hash_changes_when_a_file_changes(tmp_path, tiny_dataset):
    data = _copy_tables(tiny_dataset, tmp_path / "d")
    before = prov.hash_inputs(data)
    (data / "touchpoints.csv").write_text((data / "touchpoints.csv").read_text() + "\n")
    assert prov.hash_inputs(data) != before


def test_big_folder_without_tables_is_refused_before_hashing(tmp_path, monkeypatch):
    """data_path pointing at a large unrelated folder: the missing tables are reported, nothing hashed."""
    from smlib import io as smio

    big = tmp_path / "big"
    big.mkdir()
    for i in range(5):
        (big / f"dump{i}.bin").write_bytes(b"\0" * (1 << 20))
    calls = []
    monkeypatch.setattr(prov, "sha256_file", lambda *a, **k: calls.append(a) or "x")
    monkeypatch.setattr(smio, "sha256_file", lambda *a, **k: calls.append(a) or "x")
    with pytest.raises(smio.MissingTablesError):
        prov.hash_inputs(big)
    with pytest.raises(smio.MissingTablesError):
        prov.describe_dataset(big)
    assert calls == []


def test_describe_dataset_records_table_content_and_contract_files_only(tmp_path, tiny_dataset):
    data = _copy_tables(tiny_dataset, tmp_path / "d", list(TINY_NAMES))
    (data / "holiday_photos.jpg").write_bytes(b"\xff\xd8" * 100)
    d = prov.describe_dataset(data)
    assert set(d["files"]) == set(TINY_NAMES)  # not the photo
    assert d["default"] is False and d["path"] == str(data)
    assert d["tables"]["touchpoints"]["rows"] == 4 and d["tables"]["opportunities"]["rows"] == 2
    assert all(len(t["sha256"]) == 64 for t in d["tables"].values())
    assert d["period"] == {"start": "2024-01-03", "end": "2024-03-01"}
    again = prov.describe_dataset(data)
    assert again == d  # stable
    # an optional table that is absent is not listed
    only_two = prov.describe_dataset(_copy_tables(tiny_dataset, tmp_path / "two"))
    assert set(only_two["tables"]) == {"touchpoints", "opportunities"}


TINY_NAMES = ("touchpoints.csv", "opportunities.csv", "spend.csv", "units.csv", "accounts.csv")


def test_table_sha256_is_content_based():
    import pandas as pd

    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    h = prov.table_sha256(df)
    assert h == prov.table_sha256(df.copy()) == prov.table_sha256(df.set_index("b", drop=False).reset_index(drop=True))
    assert h != prov.table_sha256(df.iloc[:2])
    assert h != prov.table_sha256(df.assign(a=[1, 2, 4]))
    assert h != prov.table_sha256(df[["b", "a"]])
    assert len(prov.table_sha256(pd.DataFrame({"m": [1, "x", 2.5]}))) == 64  # mixed objects: as text


def test_duckdb_tables_are_hashed_by_content_and_views_over_files_are_refused(tmp_path, tiny_dataset):
    """A .duckdb file: data.files holds the database file once, data.tables its tables' content.

    The case that motivated table hashes — a database holding *views* over Parquet files elsewhere,
    whose bytes stay the same when the Parquet files are halved — is now refused by the loader
    (a view is a stored query), so a batch stops with a clear error instead of recording a hash
    that does not follow the data.
    """
    import duckdb

    from smlib.io import load_dataset
    from smlib.report import runner

    ds = load_dataset(tiny_dataset)
    db = tmp_path / "crm.duckdb"
    with duckdb.connect(str(db)) as con:
        for t in ("touchpoints", "opportunities"):
            con.register("frame", ds.table(t))
            con.execute(f"CREATE TABLE {t} AS SELECT * FROM frame")
            con.unregister("frame")
    d = prov.describe_dataset(db)
    assert list(d["files"]) == ["crm.duckdb"]
    assert {t: v["rows"] for t, v in d["tables"].items()} == {"touchpoints": 4, "opportunities": 2}

    pq = tmp_path / "pq"
    pq.mkdir()
    ds.touchpoints.to_parquet(pq / "touchpoints.parquet", index=False)
    views = tmp_path / "views.duckdb"
    with duckdb.connect(str(views)) as con:
        con.execute(f"CREATE VIEW touchpoints AS SELECT * FROM read_parquet('{(pq / 'touchpoints.parquet').as_posix()}')")
        con.register("frame", ds.opportunities)
        con.execute("CREATE TABLE opportunities AS SELECT * FROM frame")
    with pytest.raises(runner.ReportConfigError, match="cannot be used.*view"):
        runner._describe_data(str(views), {})


def test_plan_records_table_hashes_and_the_fingerprint_follows_them(tmp_path, tiny_dataset):
    """Through the runner: data.tables is in the plan (hence in each provenance record), and the
    run-id fingerprint changes with the tables' content."""
    from conftest import write_reports_config

    from smlib.report import runner

    data = _copy_tables(tiny_dataset, tmp_path / "d", list(TINY_NAMES))
    cfg = runner.load_config(write_reports_config(tmp_path / "r.toml", data, [("ok", "report_ok.ipynb", "T", {})]))
    (p1,) = runner.plan_runs(cfg.runs, {}, cfg.parameters)
    assert set(p1.data["tables"]) == {"touchpoints", "opportunities", "spend", "units", "accounts"}
    text = (data / "touchpoints.csv").read_text().splitlines()
    (data / "touchpoints.csv").write_text("\n".join(text[:-1]) + "\n")
    (p2,) = runner.plan_runs(cfg.runs, {}, cfg.parameters)
    assert p2.data["tables"]["touchpoints"]["rows"] == p1.data["tables"]["touchpoints"]["rows"] - 1
    git = {"commit": "c"}
    assert runner._fingerprint([p1], git) != runner._fingerprint([p2], git)


def test_dataset_period_of_tiny_dataset(tiny_dataset):
    # first touch 2024-01-03, last event the lost deal's close on 2024-03-01
    assert prov.dataset_period(tiny_dataset) == {"start": "2024-01-03", "end": "2024-03-01"}


def test_git_info_in_checkout_and_outside(tmp_path):
    info = prov.git_info()
    head = subprocess.run(["git", "-C", str(config.PROJECT_ROOT), "rev-parse", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    assert info["commit"] == head and isinstance(info["dirty"], bool)
    assert prov.git_info(tmp_path) == {"commit": None, "dirty": None}


def test_git_info_sees_uncommitted_changes(tmp_path):
    def git(*a):
        subprocess.run(["git", "-C", str(tmp_path), *a], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "f.py").write_text("x = 1\n")
    git("add", "f.py")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "init")
    assert prov.git_info(tmp_path)["dirty"] is False
    (tmp_path / "f.py").write_text("x = 2\n")
    assert prov.git_info(tmp_path)["dirty"] is True


def test_package_versions():
    v = prov.package_versions(["pandas", "surely-not-a-real-package-xyz"])
    assert v["python"].count(".") == 2
    assert v["pandas"][0].isdigit()
    assert v["surely-not-a-real-package-xyz"] == "not installed"


@pytest.mark.parametrize(
    "params, default_data, expected",
    [
        ({"seed": 3}, True, (3, "parameter")),
        ({"seed": None}, True, (config.DEFAULT_SEED, "default dataset (config.DEFAULT_SEED)")),
        ({}, False, (None, None)),
    ],
)
def test_resolve_seed(params, default_data, expected):
    assert prov.resolve_seed(params, default_data) == expected


def _record(tmp_path, **kw):
    nb = tmp_path / "n.ipynb"
    nb.write_text("{}")
    base = dict(
        report="n", title="N", notebook=nb, run_id="20240101T000000Z-00000000", status="ok",
        started_at="2024-01-01T00:00:00+00:00", finished_at="2024-01-01T00:00:05+00:00", duration_seconds=5.04321,
        parameters={"data_path": None, "n_boot": 200}, data={"path": "/d", "files": {"t.csv": "ab" * 32}, "period": None},
        seed=1, seed_source="parameter", headlines=[], git={"commit": "c" * 40, "dirty": True}, versions={"pandas": "3"},
    )
    base.update(kw)
    return prov.build_provenance(**base)


def test_build_provenance_is_json_and_complete(tmp_path):
    rec = _record(tmp_path)
    assert json.loads(json.dumps(rec)) == rec
    assert rec["schema"] == prov.SCHEMA_VERSION and rec["kernel"] == config.KERNEL_NAME
    assert rec["notebook"] == str((tmp_path / "n.ipynb").resolve())  # outside the project: absolute
    assert rec["notebook_sha256"] == hashlib.sha256(b"{}").hexdigest()
    assert rec["duration_seconds"] == 5.043
    prov.write_json_atomic(tmp_path / "p.json", rec)
    assert json.loads((tmp_path / "p.json").read_text()) == rec
    assert (tmp_path / "p.json").stat().st_mode & 0o044 == 0o044  # readable by others


def test_provenance_always_has_warnings(tmp_path):
    assert _record(tmp_path)["warnings"] == []  # present even when the report showed none
    ws = [{"code": "no_spend", "message": "No spend table."},
          {"code": "lookback_loss", "message": "3 deals", "details": {"affected_deals": 3}}]
    rec = _record(tmp_path, warnings=ws)
    assert rec["warnings"] == ws and rec["warnings"] is not ws
    assert json.loads(json.dumps(rec))["warnings"] == ws


def test_footer_and_header_context(tmp_path):
    ctx = template_context(_record(tmp_path), provenance_file="n.provenance.json", notebook_file="n.ipynb")
    rows = dict(ctx["provenance_rows"])
    assert rows["Git commit"] == "c" * 40 + " (with uncommitted changes)"
    assert rows["Run time"] == "5.0 s" and rows["Seed"] == "1 (parameter)"
    assert ctx["run_date"] == "2024-01-01 00:00 UTC"
    assert ctx["data_period"] == "not recorded"
    assert dict(ctx["parameters"]) == {"data_path": "None (the default simulated dataset)", "n_boot": "200"}
    assert ctx["input_hashes"] == [("t.csv", "ab" * 32)]
    no_git = template_context(_record(tmp_path, git={"commit": None, "dirty": None}), provenance_file="p", notebook_file=None)
    assert dict(no_git["provenance_rows"])["Git commit"] == "not a git checkout"
