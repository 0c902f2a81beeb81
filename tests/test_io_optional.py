"""Real exports: minimum tables, optional tables and columns, on_invalid="drop" (smlib.io)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from test_io import tiny_tables, write

from smlib import config, io, schemas
from smlib.io import DataValidationError, MissingTablesError

OPTIONAL = ("spend", "units", "accounts")


def minimum() -> dict[str, pd.DataFrame]:
    tables = tiny_tables()
    return {t: tables[t] for t in config.REQUIRED_TABLES}


def test_config_names_required_and_optional_tables() -> None:
    assert config.REQUIRED_TABLES == ("touchpoints", "opportunities")
    assert set(config.OPTIONAL_TABLES) == set(OPTIONAL)
    assert set(config.TABLES) == set(config.REQUIRED_TABLES) | set(config.OPTIONAL_TABLES)
    assert all(isinstance(v, str) and v for v in config.OPTIONAL_TABLES.values())


# --------------------------------------------------------------------------------------------
# Minimum tables
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "parquet", "duckdb"])
def test_minimum_tables_load(tmp_path: Path, fmt: str) -> None:
    root = write(tmp_path, minimum(), fmt)
    ds = io.load_dataset(root)
    assert ds.missing == OPTIONAL
    assert len(ds.touchpoints) == 4 and len(ds.opportunities) == 2
    for t in config.REQUIRED_TABLES:
        assert ds.has(t)
    for t in OPTIONAL:
        assert not ds.has(t)
        empty = ds.table(t)
        assert len(empty) == 0
        assert list(empty.columns) == [c.name for c in schemas.spec(t).columns]
        pd.testing.assert_frame_equal(empty, schemas.empty_frame(t))
    # only the tables actually read are in files/hashes
    assert set(ds.files) == set(config.REQUIRED_TABLES) == set(ds.hashes)
    if fmt == "duckdb":
        assert set(ds.files.values()) == {root}


def test_empty_frame_has_the_validated_dtypes() -> None:
    for t in config.TABLES:
        empty = schemas.empty_frame(t)
        full = schemas.validate(tiny_tables()[t], t)
        for col in empty.columns:
            if col in full.columns:
                assert empty[col].dtype == full[col].dtype, (t, col)
        pd.testing.assert_frame_equal(schemas.validate(empty, t), empty)
    assert str(schemas.empty_frame("touchpoints")["timestamp"].dtype) == "datetime64[us, UTC]"
    assert str(schemas.empty_frame("spend")["period"].dtype) == "datetime64[us]"
    assert schemas.empty_frame("accounts")["size"].dtype == "int64"
    assert schemas.empty_frame("accounts")["integrated"].dtype == bool


def test_absent_optional_tables_work_downstream(tmp_path: Path) -> None:
    ds = io.load_dataset(write(tmp_path, minimum(), "csv"))
    cut = ds.between("2024-03-05", "2024-03-31")
    assert cut.missing == ds.missing and len(cut.spend) == 0 and len(cut.units) == 0
    assert len(cut.touchpoints) == 2


def test_all_missing_required_tables_listed_at_once(tmp_path: Path) -> None:
    tables = tiny_tables()
    write(tmp_path, {"spend": tables["spend"]}, "csv")
    (tmp_path / "deals.csv").write_text("Deal ID\n1\n")
    with pytest.raises(MissingTablesError) as info:
        io.load_dataset(tmp_path)
    err = info.value
    assert isinstance(err, DataValidationError) and isinstance(err, ValueError)
    assert isinstance(err, FileNotFoundError)
    assert err.missing == ("touchpoints", "opportunities")
    msg = str(err)
    assert msg.startswith(f"{tmp_path}: missing required tables touchpoints, opportunities")
    assert "touchpoints.csv or touchpoints.parquet" in msg
    assert "opportunities.csv or opportunities.parquet" in msg
    assert "found in this folder: deals.csv, spend.csv" in msg
    # what each absent optional table would unlock (spend is there, so it is not listed)
    assert f"units: would unlock {config.OPTIONAL_TABLES['units']}" in msg
    assert f"accounts: would unlock {config.OPTIONAL_TABLES['accounts']}" in msg
    assert "spend: would unlock" not in msg
    assert [p.source for p in err.problems] == [str(tmp_path)] * 2


def test_missing_required_table_in_duckdb(tmp_path: Path) -> None:
    db = write(tmp_path, {"touchpoints": tiny_tables()["touchpoints"]}, "duckdb")
    with pytest.raises(MissingTablesError) as info:
        io.load_dataset(db)
    msg = str(info.value)
    assert info.value.missing == ("opportunities",)
    assert "missing required table opportunities" in msg
    assert "expected a table named 'opportunities'" in msg
    assert "found in this database: touchpoints" in msg
    assert "spend: would unlock" in msg


def test_missing_folder_and_not_a_dataset(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        io.load_dataset(tmp_path / "nope")
    f = tmp_path / "touchpoints.csv"
    f.write_text("a\n1\n")
    with pytest.raises(ValueError, match=r"expected a folder of tables \(touchpoints.csv, "
                                         r"opportunities.csv, ...\), got the file .*touchpoints.csv"):
        io.load_dataset(f)


# --------------------------------------------------------------------------------------------
# Header-only tables and optional columns
# --------------------------------------------------------------------------------------------
def test_header_only_optional_tables_are_empty_typed_frames(tmp_path: Path) -> None:
    tables = minimum()
    for t in OPTIONAL:
        tables[t] = tiny_tables()[t].iloc[0:0]
    root = write(tmp_path, tables, "csv")
    for t in OPTIONAL:
        assert len((root / f"{t}.csv").read_text().splitlines()) == 1  # header only
    ds = io.load_dataset(root)
    assert ds.missing == ()
    assert set(ds.files) == set(config.TABLES)
    for t in OPTIONAL:
        assert not ds.has(t) and len(ds.table(t)) == 0
        expected = schemas.empty_frame(t)
        for col in ds.table(t).columns:
            if col in expected.columns:
                assert ds.table(t)[col].dtype == expected[col].dtype, (t, col)
    assert ds.has("touchpoints") and ds.has("opportunities")


def test_header_only_required_table_loads_but_has_no_rows(tmp_path: Path) -> None:
    tables = minimum()
    tables["touchpoints"] = tables["touchpoints"].iloc[0:0]
    ds = io.load_dataset(write(tmp_path, tables, "csv"))
    assert not ds.has("touchpoints") and "touchpoints" not in ds.missing


def test_empty_csv_file_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path, minimum(), "csv")
    (tmp_path / "spend.csv").write_text("")
    with pytest.raises(DataValidationError, match=r"spend.csv: table: expected a header line"):
        io.load_dataset(tmp_path)


def test_optional_columns_may_be_absent(tmp_path: Path) -> None:
    tables = tiny_tables()
    tables["touchpoints"] = tables["touchpoints"].drop(columns=["cost"])
    tables["opportunities"] = tables["opportunities"].drop(
        columns=["mql_at", "sql_at", "opportunity_at", "source_team"]).assign(
        outcome=["lost", "open"], revenue=[0.0, 0.0])
    tables["spend"] = tables["spend"].drop(columns=["unit_id"]).iloc[[0, 1]]
    tables["accounts"] = tables["accounts"].drop(columns=["integrated"])
    del tables["units"]
    ds = io.load_dataset(write(tmp_path, tables, "csv"))
    assert ds.missing == ("units",)
    # absent optional columns are not invented as all-missing columns
    assert "cost" not in ds.touchpoints.columns
    assert not {"mql_at", "sql_at", "opportunity_at", "source_team"} & set(ds.opportunities.columns)
    assert "unit_id" not in ds.spend.columns and "integrated" not in ds.accounts.columns
    assert len(ds.spend) == 2 and ds.has("accounts")
    spec_optional = {(t, c.name) for t in config.TABLES for c in schemas.spec(t).columns
                     if not c.required}
    assert {("spend", "unit_id"), ("accounts", "integrated"), ("opportunities", "mql_at"),
            ("opportunities", "sql_at"), ("opportunities", "opportunity_at"),
            ("opportunities", "source_team"), ("touchpoints", "cost")} <= spec_optional


def test_has_rejects_unknown_tables(tmp_path: Path) -> None:
    ds = io.load_dataset(write(tmp_path, minimum(), "csv"))
    with pytest.raises(ValueError, match="unknown table 'clicks'"):
        ds.has("clicks")


# --------------------------------------------------------------------------------------------
# Default dataset folder with own, minimal data
# --------------------------------------------------------------------------------------------
def test_own_minimal_data_in_the_default_folder_is_used(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "own" / "default"
    write(target, minimum(), "parquet")  # no truth.json: someone's own data
    monkeypatch.setattr(io, "_generate", lambda f, s: pytest.fail("must not regenerate"))
    assert io.ensure_default_dataset(target) == target
    assert io.load_dataset(target).missing == OPTIONAL

    # ... but a generated default dataset must hold all five tables
    def partial(folder: Path, seed: int) -> None:
        write(folder, minimum(), "parquet")

    monkeypatch.setattr(io, "_generate", partial)
    with pytest.raises(RuntimeError, match="did not write all of"):
        io.ensure_default_dataset(tmp_path / "gen" / "default")
    assert list((tmp_path / "gen").iterdir()) == []


# --------------------------------------------------------------------------------------------
# on_invalid="drop"
# --------------------------------------------------------------------------------------------
def broken_tables() -> dict[str, pd.DataFrame]:
    tables = tiny_tables()
    tp = tables["touchpoints"]
    tp.loc[1, "cost"] = -5.0                                   # row 2: bad value
    tp.loc[2, "timestamp"] = "yesterday"                       # row 3: bad date
    tables["touchpoints"] = pd.concat([tp, tp.iloc[[0]]], ignore_index=True)  # row 5: duplicate
    opp = tables["opportunities"]
    opp.loc[0, "mql_at"] = "2024-03-01T00:00Z"                 # row 1: before lead_at
    tables["accounts"].loc[1, "segment"] = "huge"               # row 2: not allowed
    return tables


def test_drop_leaves_out_broken_rows_and_lists_them(tmp_path: Path) -> None:
    root = write(tmp_path, broken_tables(), "csv")
    with pytest.raises(DataValidationError):
        io.load_dataset(root)  # the default still stops
    ds = io.load_dataset(root, on_invalid="drop")
    assert ds.touchpoints["account_id"].tolist() == ["007", "A2"]
    assert ds.touchpoints["channel"].tolist() == ["paid_search", "sdr_call"]
    assert ds.opportunities["opportunity_id"].tolist() == ["O2"]
    assert ds.accounts["account_id"].tolist() == ["007"]
    assert len(ds.spend) == 3 and len(ds.units) == 4
    by_rule = {(d["table"], d["rule"]): d for d in ds.dropped}
    assert by_rule[("touchpoints", "cost >= 0")] == {
        "table": "touchpoints", "column": "cost", "rule": "cost >= 0", "count": 1, "rows": [2]}
    assert by_rule[("touchpoints", "an ISO 8601 timestamp (e.g. 2024-03-04T10:15:00Z)")]["rows"] == [3]
    dup = by_rule[("touchpoints", "unique rows (this key repeats an earlier row)")]
    assert dup["rows"] == [5] and dup["count"] == 1
    stage = [d for d in ds.dropped if d["table"] == "opportunities"]
    assert len(stage) == 1 and stage[0]["column"] == "mql_at" and stage[0]["rows"] == [1]
    assert by_rule[("accounts", "one of 'smb', 'mid_market', 'enterprise'")]["rows"] == [2]
    assert all(set(d) == {"table", "column", "rule", "count", "rows"} for d in ds.dropped)
    # never values: no account or opportunity id anywhere in the record
    text = repr(ds.dropped)
    for value in ("007", "A2", "O1", "huge", "yesterday", "-5.0"):
        assert value not in text
    assert ds.touchpoints["timestamp"].dtype == "datetime64[us, UTC]"
    assert ds.accounts["size"].dtype == "int64"


def test_drop_counts_and_first_five_rows() -> None:
    n = 12
    tp = pd.DataFrame({"account_id": [f"A{i}" for i in range(n)], "timestamp": ["2024-01-01"] * n,
                       "channel": ["email"] * n, "team": ["marketing"] * n,
                       "touch_type": ["open"] * n, "cost": [1.0, 2.0] + [-1.0] * (n - 2)})
    dropped: list[dict] = []
    out = schemas.validate(tp, "touchpoints", "t.csv", on_invalid="drop", dropped=dropped)
    assert out["account_id"].tolist() == ["A0", "A1"]
    assert dropped == [{"table": "touchpoints", "column": "cost", "rule": "cost >= 0",
                        "count": 10, "rows": [3, 4, 5, 6, 7]}]


def test_drop_still_raises_on_table_level_problems(tmp_path: Path) -> None:
    tables = minimum()
    tables["touchpoints"] = tables["touchpoints"].drop(columns=["team"])
    root = write(tmp_path, tables, "csv")
    with pytest.raises(DataValidationError, match="column 'team': expected a required column"):
        io.load_dataset(root, on_invalid="drop")
    with pytest.raises(ValueError, match="on_invalid must be 'error' or 'drop'"):
        io.load_dataset(root, on_invalid="skip")  # type: ignore[arg-type]


def test_drop_from_duckdb_and_nothing_dropped_is_an_empty_list(tmp_path: Path) -> None:
    tables = minimum()
    opp = tables["opportunities"]
    opp.loc[1, "closed_at"] = "2024-03-07T00:00Z"  # open with closed_at
    db = tmp_path / "x.duckdb"
    with duckdb.connect(str(db)) as con:
        for name, df in tables.items():
            con.register("frame", df)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
            con.unregister("frame")
    ds = io.load_dataset(db, on_invalid="drop")
    assert ds.opportunities["opportunity_id"].tolist() == ["O1"]
    assert ds.dropped == [{"table": "opportunities", "column": "closed_at",
                           "rule": "no closed_at when outcome is 'open'", "count": 1, "rows": [2]}]
    assert io.load_dataset(write(tmp_path / "ok", minimum(), "csv"), on_invalid="drop").dropped == []


def test_with_channel_labels_renames_touches_and_spend():
    from smlib import io, schemas
    from test_io import tiny_tables

    ds = io.Dataset(**{n: schemas.validate(df, n) for n, df in tiny_tables().items()})
    out = ds.with_channel_labels({"paid_search": "Google Ads", "sdr_call": "SDR call"})
    assert out.touchpoints["channel"].tolist() == ["Google Ads", "demo", "email", "SDR call"]
    assert set(out.spend["channel"]) == {"Google Ads", "sales_people"}
    assert ds.touchpoints["channel"].iloc[0] == "paid_search"  # the original is unchanged
    assert ds.with_channel_labels({}) is ds
    with pytest.raises(ValueError, match=r"labels\['demo'\] = 'a > b'"):
        ds.with_channel_labels({"demo": "a > b"})
