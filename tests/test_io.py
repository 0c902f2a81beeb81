"""Loading and validation of the data contract (smlib.io, smlib.schemas)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from smlib import config, io, schemas
from smlib.io import DataValidationError


def tiny_tables() -> dict[str, pd.DataFrame]:
    """A valid five-table dataset small enough to reason about by hand (raw, as text)."""
    return {
        "touchpoints": pd.DataFrame({
            "account_id": ["007", "007", "A2", "A2"],
            "timestamp": ["2024-03-04T10:15:00Z", "2024-03-05 09:00:00", "2024-03-04T12:00:00+02:00",
                          "2024-03-06T08:00:00Z"],
            "channel": ["paid_search", "demo", "email", "sdr_call"],
            "team": ["marketing", "sales", "marketing", "sales"],
            "touch_type": ["ad_click", "meeting", "open", "call"],
            "cost": [3.1, 120.0, 0.0, 40.0],
            "campaign": ["spring", None, "nl-12", None],  # extra column: must be kept
        }),
        "opportunities": pd.DataFrame({
            "opportunity_id": ["O1", "O2"],
            "account_id": ["007", "A2"],
            "lead_at": ["2024-03-04T10:20Z", "2024-03-06T08:30Z"],
            "mql_at": ["2024-03-04T11:00Z", None],
            "sql_at": ["2024-03-05T08:00Z", None],
            "opportunity_at": ["2024-03-05T10:00Z", None],
            "closed_at": ["2024-04-02T16:00Z", None],
            "outcome": ["won", "open"],
            "revenue": [31500.0, 0.0],
            "gross_margin": [0.78, 0.8],
            "source_team": ["marketing", "sales"],
        }),
        "spend": pd.DataFrame({
            "period": ["2024-03-01", "2024-03-01", "2024-04"],
            "channel": ["paid_search", "sales_people", "paid_search"],
            "team": ["marketing", "sales", "marketing"],
            "cost": [18250.0, 90000.0, 17000.0],
            "unit_id": ["north", "north", "north"],
        }),
        "units": pd.DataFrame({
            "unit_id": ["north", "north", "south", "south"],
            "period": ["2024-03-01", "2024-04-01", "2024-03-01", "2024-04-01"],
            "revenue": [412000.0, 420000.0, 300000.0, 310000.0],
            "adoption_period": ["2024-04-01", "2024-04-01", None, None],
            "market_size": [1.35, 1.35, 0.9, 0.9],
        }),
        "accounts": pd.DataFrame({
            "account_id": ["007", "A2"],
            "unit_id": ["north", "south"],
            "segment": ["mid_market", "smb"],
            "size": [420, 12],
            "integrated": [True, False],
        }),
    }


def write(folder: Path, tables: dict[str, pd.DataFrame], fmt: str) -> Path:
    """Write tables as CSV, Parquet (validated, typed) or one DuckDB file; return the path to load."""
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        for name, df in tables.items():
            df.to_csv(folder / f"{name}.csv", index=False)
        return folder
    typed = {name: schemas.validate(df, name) for name, df in tables.items()}
    if fmt == "parquet":
        for name, df in typed.items():
            df.to_parquet(folder / f"{name}.parquet", index=False)
        return folder
    db = folder / "data.duckdb"
    with duckdb.connect(str(db)) as con:
        for name, df in typed.items():
            con.register("frame", df)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
            con.unregister("frame")
    return db


def error_of(df: pd.DataFrame, table: str, source: str = "data/x/t.csv") -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        schemas.validate(df, table, source)
    return info.value


# --------------------------------------------------------------------------------------------
# Round trips and types
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "parquet", "duckdb"])
def test_round_trip_gives_the_same_typed_tables(tmp_path: Path, fmt: str) -> None:
    reference = {n: schemas.validate(df, n) for n, df in tiny_tables().items()}
    ds = io.load_dataset(write(tmp_path, tiny_tables(), fmt))
    for name in config.TABLES:
        pd.testing.assert_frame_equal(ds.table(name), reference[name], check_dtype=True)


def test_types_timezones_periods_and_extra_columns() -> None:
    tp = schemas.validate(tiny_tables()["touchpoints"], "touchpoints")
    assert str(tp["timestamp"].dtype) == "datetime64[us, UTC]"
    # naive -> read as UTC; +02:00 -> converted to UTC
    assert tp["timestamp"][1] == pd.Timestamp("2024-03-05 09:00", tz="UTC")
    assert tp["timestamp"][2] == pd.Timestamp("2024-03-04 10:00", tz="UTC")
    assert list(tp.columns) == list(tiny_tables()["touchpoints"].columns)  # extra kept, in place
    assert tp["campaign"].tolist()[0] == "spring"
    spend = schemas.validate(tiny_tables()["spend"], "spend")
    assert spend["period"].tolist()[2] == pd.Timestamp("2024-04-01")  # "2024-04" -> month start
    assert str(spend["period"].dtype) == "datetime64[us]"
    acc = schemas.validate(tiny_tables()["accounts"].astype({"size": "str", "integrated": "str"}),
                           "accounts")
    assert acc["size"].dtype == np.int64 and acc["integrated"].dtype == bool
    assert acc["integrated"].tolist() == [True, False]


def test_csv_keeps_leading_zeros_in_ids(tmp_path: Path) -> None:
    ds = io.load_dataset(write(tmp_path, tiny_tables(), "csv"))
    assert ds.touchpoints["account_id"][0] == "007"
    assert ds.accounts["account_id"][0] == "007"


def test_files_and_hashes(tmp_path: Path) -> None:
    root = write(tmp_path, tiny_tables(), "parquet")
    ds = io.load_dataset(root)
    for name in config.TABLES:
        assert ds.files[name] == root / f"{name}.parquet"
        assert ds.hashes[name] == hashlib.sha256(ds.files[name].read_bytes()).hexdigest()
    db = write(tmp_path / "db", tiny_tables(), "duckdb")
    ds_db = io.load_dataset(db)
    assert set(ds_db.files.values()) == {db}
    assert len(set(ds_db.hashes.values())) == 1


def test_folder_with_csv_and_parquet_is_ambiguous(tmp_path: Path) -> None:
    write(tmp_path, tiny_tables(), "csv")
    write(tmp_path, tiny_tables(), "parquet")
    with pytest.raises(ValueError, match="both touchpoints.parquet and touchpoints.csv"):
        io.load_table(tmp_path, "touchpoints")


def test_missing_file_and_missing_duckdb_table(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no touchpoints.parquet or touchpoints.csv"):
        io.load_table(tmp_path, "touchpoints")
    db = tmp_path / "x.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE spend (a INTEGER)")
    with pytest.raises(DataValidationError, match="expected a table named 'touchpoints'"):
        io.load_table(db, "touchpoints")
    with pytest.raises(ValueError, match="unknown table 'clicks'"):
        io.load_table(tmp_path, "clicks")


# --------------------------------------------------------------------------------------------
# Error messages: file, column, 1-based rows, expectation, values
# --------------------------------------------------------------------------------------------
def test_negative_cost_message_exact() -> None:
    tp = tiny_tables()["touchpoints"]
    tp["cost"] = [1.0, -5.0, 2.0, -1.0]
    err = error_of(tp, "touchpoints", "data/x/touchpoints.csv")
    assert str(err).splitlines()[0] == (
        "data/x/touchpoints.csv: column 'cost', rows 2, 4: expected cost >= 0, got -5.0, -1.0")
    assert isinstance(err, ValueError)
    assert err.problems[0].rows == (2, 4) and err.problems[0].column == "cost"


def test_many_bad_rows_are_summarised() -> None:
    n = 12
    tp = pd.DataFrame({"account_id": [f"A{i}" for i in range(n)], "timestamp": ["2024-01-01"] * n,
                       "channel": ["email"] * n, "team": ["marketing"] * n,
                       "touch_type": ["open"] * n, "cost": [-1.0] * n})
    msg = str(error_of(tp, "touchpoints", "t.csv"))
    assert "t.csv: column 'cost', rows 1, 2, 3, 4, 5 (and 7 more): expected cost >= 0" in msg


def test_csv_row_numbers_are_data_rows(tmp_path: Path) -> None:
    tables = tiny_tables()
    tables["touchpoints"].loc[2, "team"] = "Sales"  # third data row = line 4 of the file
    root = write(tmp_path, tables, "csv")
    with pytest.raises(DataValidationError) as info:
        io.load_table(root, "touchpoints")
    msg = str(info.value)
    assert f"{root / 'touchpoints.csv'}: column 'team', row 3: expected one of 'marketing', 'sales', got 'Sales'" in msg
    assert "row N is line N + 1" in msg
    lines = (root / "touchpoints.csv").read_text().splitlines()
    assert "Sales" in lines[3]


def test_missing_required_column_names_found_columns() -> None:
    tp = tiny_tables()["touchpoints"].drop(columns=["team"])
    err = error_of(tp, "touchpoints", "tp.parquet")
    assert str(err).startswith("tp.parquet: column 'team': expected a required column (found columns: ")
    # optional columns may be absent
    schemas.validate(tiny_tables()["touchpoints"].drop(columns=["cost"]), "touchpoints")


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("timestamp", "yesterday", "column 'timestamp', row 2: expected an ISO 8601 timestamp "
                                   "(e.g. 2024-03-04T10:15:00Z), got 'yesterday'"),
        ("timestamp", None, "column 'timestamp', row 2: expected a value, got missing"),
        ("channel", "search > social", "column 'channel', row 2: expected a channel name without "
                                       "'>' (it separates channels in a path), got 'search > social'"),
        ("channel", "  ", "column 'channel', row 2: expected a non-empty string, got '  '"),
        ("channel", None, "column 'channel', row 2: expected a value, got missing"),
        ("team", "partners", "column 'team', row 2: expected one of 'marketing', 'sales', got 'partners'"),
        ("cost", "abc", "column 'cost', row 2: expected a number, got 'abc'"),
        ("cost", float("inf"), "column 'cost', row 2: expected a finite number, got inf"),
    ],
)
def test_touchpoint_errors(column: str, value: object, expected: str) -> None:
    tp = tiny_tables()["touchpoints"].astype({"cost": "object"})
    tp.loc[1, column] = value
    err = error_of(tp, "touchpoints", "tp.csv")
    assert f"tp.csv: {expected}" in str(err).splitlines()


def test_duplicate_touches() -> None:
    tp = tiny_tables()["touchpoints"]
    tp = pd.concat([tp, tp.iloc[[1]]], ignore_index=True)
    msg = str(error_of(tp, "touchpoints", "tp.csv"))
    assert ("tp.csv: columns (account_id, timestamp, channel, touch_type), row 5: expected unique "
            "rows (this key repeats an earlier row), got (account_id hidden, "
            "2024-03-05T09:00:00+00:00, 'demo', 'meeting')") in msg
    assert "007" not in msg  # an account id never reaches an error message


def test_opportunity_rules() -> None:
    opp = pd.concat([tiny_tables()["opportunities"]] * 3, ignore_index=True)
    opp["opportunity_id"] = ["O1", "O2", "O3", "O4", "O5", "O1"]
    opp.loc[2, "mql_at"] = "2024-03-01T00:00Z"          # before lead_at
    opp.loc[3, ["outcome", "closed_at"]] = ["lost", "2024-03-09T00:00Z"]
    opp.loc[3, "revenue"] = 10.0                          # lost with revenue
    opp.loc[4, "sql_at"] = None                           # opportunity_at without sql_at
    opp.loc[0, "gross_margin"] = 1.5
    opp.loc[1, "closed_at"] = "2024-03-07T00:00Z"         # open with closed_at
    msg = str(error_of(opp, "opportunities", "o.csv"))
    assert "o.csv: column 'opportunity_id', row 6: expected unique values" in msg
    assert ("o.csv: column 'mql_at', row 3: expected mql_at not before the earlier stages "
            "(lead_at <= mql_at <= sql_at <= opportunity_at <= closed_at), got [lead_at=2024-03-04T10:20:00+00:00, "
            "mql_at=2024-03-01T00:00:00+00:00") in msg
    assert "o.csv: column 'revenue', row 4: expected revenue == 0 when outcome is 'lost'" in msg
    assert ("o.csv: column 'opportunity_at', row 5: expected sql_at to be set when opportunity_at "
            "is set") in msg
    assert "o.csv: column 'gross_margin', row 1: expected a fraction in [0, 1], got 1.5" in msg
    assert "o.csv: column 'closed_at', row 2: expected no closed_at when outcome is 'open'" in msg


def test_won_needs_closed_at_and_opportunity() -> None:
    opp = tiny_tables()["opportunities"]
    opp.loc[0, "closed_at"] = None
    msg = str(error_of(opp, "opportunities", "o.csv"))
    assert "column 'closed_at', row 1: expected closed_at to be set when outcome is 'won' or 'lost'" in msg
    opp = tiny_tables()["opportunities"]
    opp.loc[0, "outcome"] = "won!"
    assert "column 'outcome', row 1: expected one of 'won', 'lost', 'open', got 'won!'" in str(
        error_of(opp, "opportunities"))


def test_period_rules() -> None:
    units = tiny_tables()["units"]
    units.loc[1, "period"] = "2024-04-15"
    units.loc[3, "adoption_period"] = "2024-04-01"  # south adopts in one row only
    msg = str(error_of(units, "units", "u.csv"))
    assert ("u.csv: column 'period', row 2: expected a month-start date (e.g. 2024-03-01 or "
            "2024-03), got '2024-04-15'") in msg
    assert "u.csv: column 'adoption_period', rows 3, 4: expected one adoption_period per unit_id" in msg
    units = tiny_tables()["units"]
    units.loc[1, "period"] = "2024-03-01"
    assert "columns (unit_id, period), row 2: expected unique rows" in str(error_of(units, "units"))
    spend = tiny_tables()["spend"]
    spend.loc[2, "period"] = "2024-03-01"
    assert "columns (period, channel, team, unit_id), row 3: expected unique rows" in str(
        error_of(spend, "spend"))


def test_account_rules() -> None:
    acc = tiny_tables()["accounts"].astype({"size": "object", "integrated": "object"})
    acc.loc[0, "size"] = 2.5
    acc.loc[1, "segment"] = "SMB"
    acc.loc[1, "integrated"] = "maybe"
    msg = str(error_of(acc, "accounts", "a.csv"))
    assert "a.csv: column 'size', row 1: expected a whole number, got 2.5" in msg
    assert "a.csv: column 'segment', row 2: expected one of 'smb', 'mid_market', 'enterprise', got 'SMB'" in msg
    assert "a.csv: column 'integrated', row 2: expected true or false, got 'maybe'" in msg
    acc = tiny_tables()["accounts"]
    acc.loc[1, "size"] = 0
    assert "column 'size', row 2: expected size >= 1, got 0" in str(error_of(acc, "accounts"))


def test_load_dataset_reports_all_tables_at_once(tmp_path: Path) -> None:
    tables = tiny_tables()
    tables["spend"].loc[0, "cost"] = -1.0
    tables["accounts"].loc[0, "segment"] = "huge"
    root = write(tmp_path, tables, "csv")
    with pytest.raises(DataValidationError) as info:
        io.load_dataset(root)
    cols = {(Path(p.source).name, p.column) for p in info.value.problems}
    assert cols == {("spend.csv", "cost"), ("accounts.csv", "segment")}


def test_non_dataframe_input_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="expected a pandas DataFrame"):
        schemas.validate([1, 2], "touchpoints")


# --------------------------------------------------------------------------------------------
# Date range and default dataset
# --------------------------------------------------------------------------------------------
def test_between_filters_events_and_periods() -> None:
    ds = io.Dataset(**{n: schemas.validate(df, n) for n, df in tiny_tables().items()})
    cut = ds.between("2024-03-05", "2024-03-31")
    assert cut.touchpoints["timestamp"].min() >= pd.Timestamp("2024-03-05", tz="UTC")
    assert len(cut.touchpoints) == 2  # 2024-03-05 09:00 and 2024-03-06 08:00
    assert cut.opportunities["opportunity_id"].tolist() == ["O2"]
    assert cut.spend["period"].unique().tolist() == [pd.Timestamp("2024-03-01")]
    assert len(cut.accounts) == len(ds.accounts)
    same_day = ds.between(None, "2024-03-04")  # the whole end day is included
    assert len(same_day.touchpoints) == 2
    with pytest.raises(ValueError, match="must be before"):
        ds.between("2024-04-01", "2024-03-01")


def fake_generate(folder: Path, seed: int, version: str = "v1") -> None:
    for name, df in tiny_tables().items():
        schemas.validate(df, name).to_parquet(folder / f"{name}.parquet")
    (folder / "seed.txt").write_text(str(seed))
    (folder / "truth.json").write_text(json.dumps(
        {"params": {"seed": seed, "simulator_version": version}}))


@pytest.fixture(autouse=True)
def simulator_v1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(io, "_simulator_version", lambda: "v1")


def test_default_dataset_generated_once_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(io, "_generate", lambda f, s: (calls.append(s), fake_generate(f, s)))
    target = tmp_path / "data" / "default"
    assert io.ensure_default_dataset(target, seed=7) == target
    assert (target / "seed.txt").read_text() == "7"
    assert io.ensure_default_dataset(target, seed=7) == target
    assert calls == [7]  # second call reuses the complete folder
    assert [p.name for p in target.parent.iterdir()] == ["default"]  # no temp folder left
    assert len(io.load_dataset(target).touchpoints) == 4


def test_failed_generation_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(folder: Path, seed: int) -> None:
        (folder / "touchpoints.parquet").write_bytes(b"half")
        raise RuntimeError("simulator crashed")

    monkeypatch.setattr(io, "_generate", broken)
    target = tmp_path / "default"
    with pytest.raises(RuntimeError, match="simulator crashed"):
        io.ensure_default_dataset(target)
    assert list(tmp_path.iterdir()) == []


def test_foreign_incomplete_folder_is_not_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "default"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="does not hold all of touchpoints"):
        io.ensure_default_dataset(target)
    assert (target / "notes.txt").read_text() == "mine"


def test_lost_race_uses_the_winner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "default"

    def racing(folder: Path, seed: int) -> None:
        fake_generate(folder, seed)
        target.mkdir()  # another process finishes first
        fake_generate(target, seed)

    monkeypatch.setattr(io, "_generate", racing)
    assert io.ensure_default_dataset(target) == target
    assert sorted(p.name for p in tmp_path.iterdir()) == ["default"]


def test_absent_optional_stage_columns_are_treated_as_missing() -> None:
    opp = tiny_tables()["opportunities"].drop(columns=["closed_at", "opportunity_at", "mql_at"])
    msg = str(error_of(opp, "opportunities", "o.csv"))
    assert "column 'closed_at', row 1: expected closed_at to be set when outcome is 'won'" in msg
    assert "column 'opportunity_at', row 1: expected opportunity_at to be set when outcome is 'won'" in msg
    ok = opp.assign(outcome="open", revenue=0.0)
    assert list(schemas.validate(ok, "opportunities").columns) == list(ok.columns)


def test_a_check_that_crashes_is_reported_not_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    ts = schemas.spec("units")

    def boom(df: pd.DataFrame) -> pd.Series:
        raise RuntimeError("bug in a rule")

    broken = schemas.TableSpec(ts.name, ts.columns, ts.unique,
                               (schemas.RowRule("revenue", "a rule that works", boom,
                                                needs=("revenue",)),))
    monkeypatch.setitem(schemas.TABLES, "units", broken)
    with pytest.raises(DataValidationError, match="expected a rule that works"):
        schemas.validate(tiny_tables()["units"], "units", "u.csv")


def test_validation_is_idempotent_and_numeric_ids_become_text() -> None:
    for name, df in tiny_tables().items():
        once = schemas.validate(df, name)
        pd.testing.assert_frame_equal(schemas.validate(once, name), once)
    acc = tiny_tables()["accounts"].assign(account_id=[7.0, 12.0], unit_id=[1, 2])
    out = schemas.validate(acc, "accounts")
    assert out["account_id"].tolist() == ["7", "12"] and out["unit_id"].tolist() == ["1", "2"]


def test_stale_default_dataset_is_regenerated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "default"
    monkeypatch.setattr(io, "_generate", fake_generate)
    io.ensure_default_dataset(target, seed=7)
    # the simulator's code changed: its version differs from the one recorded in truth.json
    monkeypatch.setattr(io, "_simulator_version", lambda: "v2")
    monkeypatch.setattr(io, "_generate", lambda f, s: fake_generate(f, s, "v2"))
    io.ensure_default_dataset(target, seed=7)
    assert json.loads((target / "truth.json").read_text())["params"]["simulator_version"] == "v2"
    io.ensure_default_dataset(target, seed=8)  # another seed is stale too
    assert (target / "seed.txt").read_text() == "8"
    assert [p.name for p in tmp_path.iterdir()] == ["default"]  # nothing left aside


def test_own_data_in_the_default_folder_is_never_replaced(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "default"
    write(target, tiny_tables(), "parquet")  # complete, but no truth.json
    monkeypatch.setattr(io, "_generate", lambda f, s: pytest.fail("must not regenerate"))
    assert io.ensure_default_dataset(target) == target


def test_default_load_rereads_when_swapped_during_the_read(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "default"
    monkeypatch.setattr(config, "DEFAULT_DATASET_DIR", target)
    monkeypatch.setattr(io, "_generate", fake_generate)
    io.ensure_default_dataset(target)
    real = io._recorded
    answers = iter([("x", "old"), ("x", "new")])  # first read: version changed under us

    def recorded(folder: Path):
        return next(answers, None) or real(folder)

    loads = []
    monkeypatch.setattr(io, "ensure_default_dataset", lambda: target)
    monkeypatch.setattr(io, "_recorded", recorded)
    monkeypatch.setattr(io, "_load_folder", lambda root, **kw: loads.append(root) or "dataset")
    assert io.load_dataset() == "dataset"
    assert loads == [target, target]


def test_require_columns_names_table_missing_and_found_columns() -> None:
    from smlib.schemas import require_columns
    df = pd.DataFrame({"a": [1], "b": [2]})
    require_columns(df, ("a", "b"), "spend")  # all present: no error
    with pytest.raises(ValueError, match=r"spend: missing required column\(s\) \['c', 'd'\]; "
                                         r"found \['a', 'b'\]"):
        require_columns(df, ("a", "c", "d"), "spend")
    with pytest.raises(ValueError, match="units: expected a pandas DataFrame, got list"):
        require_columns([1, 2], ("a",), "units")


def test_files_digest_of_one_file_and_of_part_files(tmp_path: Path) -> None:
    """One file: its own sha256. Several: a digest over their relative paths and digests, the
    same in any order, changed by a changed, added or renamed part."""
    from smlib.io import files_digest, sha256_file

    (tmp_path / "t").mkdir()
    a, b = tmp_path / "t" / "part-0.parquet", tmp_path / "t" / "part-1.parquet"
    a.write_bytes(b"one")
    b.write_bytes(b"two")
    assert files_digest([a]) == sha256_file(a)
    both = files_digest([a, b])
    assert both == files_digest([b, a]) and both not in (sha256_file(a), sha256_file(b))
    b.write_bytes(b"TWO")
    assert files_digest([a, b]) != both
    c = tmp_path / "t" / "part-2.parquet"
    c.write_bytes(b"three")
    assert files_digest([a, b, c]) != files_digest([a, b])
    before = files_digest([a, b])
    renamed = tmp_path / "t" / "part-9.parquet"
    b.rename(renamed)  # same bytes, another name
    assert files_digest([a, renamed]) != before
    with pytest.raises(ValueError, match="no files"):
        files_digest([])
