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


def test_hash_inputs_folder_file_and_missing(tmp_path):
    (tmp_path / "a.csv").write_text("a\n1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.parquet").write_bytes(b"PAR1")
    (tmp_path / ".hidden").write_text("lock")
    (tmp_path / ".tmpdir").mkdir()
    (tmp_path / ".tmpdir" / "c.csv").write_text("half-written")
    got = prov.hash_inputs(tmp_path)
    assert list(got) == ["a.csv", "sub/b.parquet"]
    assert got["a.csv"] == hashlib.sha256(b"a\n1\n").hexdigest()
    assert prov.hash_inputs(tmp_path / "a.csv") == {"a.csv": got["a.csv"]}
    with pytest.raises(ValueError, match="does not exist"):
        prov.hash_inputs(tmp_path / "nope")


def test_hash_changes_when_a_file_changes(tmp_path):
    (tmp_path / "a.csv").write_text("1")
    before = prov.hash_inputs(tmp_path)
    (tmp_path / "a.csv").write_text("2")
    assert prov.hash_inputs(tmp_path) != before


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
