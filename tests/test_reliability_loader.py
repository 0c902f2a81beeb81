"""Bad inputs at the loader (smlib.io, smlib.schemas): each gives a clear error or a recorded change.

Every test here is an entry of tests/reliability_catalog.py (rendered in docs/reliability.md).
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from test_io import tiny_tables, write

from smlib import config, io, schemas
from smlib.io import DataPathError, DataPathNotFoundError, DataValidationError, MappingError

SECRET = "TOP-SECRET-4711"


def csv_folder(tmp_path: Path, tables: dict[str, pd.DataFrame] | None = None) -> Path:
    """The tiny dataset as CSV files in ``tmp_path/data``."""
    return write(tmp_path / "data", tables or tiny_tables(), "csv")


def load_error(path: Path, **kwargs: object) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        io.load_dataset(path, **kwargs)
    return info.value


# --------------------------------------------------------------------------------------------
# 1. A DuckDB file must not run its own SQL on this computer
# --------------------------------------------------------------------------------------------
def hostile_duckdb(tmp_path: Path) -> tuple[Path, Path]:
    """A DuckDB file whose ``touchpoints`` is a view reading a local file (and the file)."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    db = write(tmp_path / "db", {t: tiny_tables()[t] for t in config.REQUIRED_TABLES}, "duckdb")
    with duckdb.connect(str(db)) as con:
        con.execute("ALTER TABLE touchpoints RENAME TO t0")
        path = str(secret).replace("'", "''")
        con.execute(f"CREATE VIEW touchpoints AS SELECT t.*, (SELECT content FROM "
                    f"read_text('{path}')) AS leaked FROM t0 t")
    return db, secret


def test_duckdb_view_is_refused(tmp_path: Path) -> None:
    db, _ = hostile_duckdb(tmp_path)
    err = load_error(db)
    msg = str(err)
    assert f"{db}:touchpoints: table: expected a stored table named 'touchpoints', but it is a view" in msg
    assert "allow_views=True" in msg and SECRET not in msg
    with pytest.raises(DataValidationError, match="it is a view"):
        io.load_table(db, "touchpoints")


def test_out_of_core_journeys_refuse_a_view_before_attaching(tmp_path: Path) -> None:
    """build_journeys_from_files attaches the file to its own connection: views refused first."""
    from smlib.journeys import build_journeys_from_files

    db, _ = hostile_duckdb(tmp_path)
    with pytest.raises(DataValidationError, match="it is a view") as info:
        build_journeys_from_files(db)
    assert SECRET not in str(info.value)


def test_duckdb_allowed_view_cannot_read_files(tmp_path: Path) -> None:
    db, _ = hostile_duckdb(tmp_path)
    try:
        ds = io.load_dataset(db, allow_views=True)
    except DataValidationError as err:  # the view fails: file access is switched off
        assert SECRET not in str(err)
        assert f"{db}:touchpoints" in str(err) and "without access to files" in str(err)
    else:  # pragma: no cover - a DuckDB that silently returned nothing would also be safe
        assert SECRET not in ds.touchpoints.to_csv()


def test_duckdb_view_over_its_own_tables_loads_when_allowed(tmp_path: Path) -> None:
    db = write(tmp_path, {t: tiny_tables()[t] for t in config.REQUIRED_TABLES}, "duckdb")
    with duckdb.connect(str(db)) as con:
        con.execute("ALTER TABLE opportunities RENAME TO deals")
        con.execute("CREATE VIEW opportunities AS SELECT * FROM deals")
    with pytest.raises(DataValidationError, match="opportunities' , but it is a view|it is a view"):
        io.load_dataset(db)
    assert io.load_dataset(db, allow_views=True).opportunities["opportunity_id"].tolist() == [
        "O1", "O2"]


def test_duckdb_connection_has_no_file_or_extension_access(tmp_path: Path) -> None:
    db = write(tmp_path, {t: tiny_tables()[t] for t in config.REQUIRED_TABLES}, "duckdb")
    (tmp_path / "secret.txt").write_text(SECRET)
    assert config.DUCKDB_READ_CONFIG == {"enable_external_access": False,
                                         "autoinstall_known_extensions": False,
                                         "autoload_known_extensions": False}
    with io._open_duckdb(db) as con:
        settings = dict(con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', "
            "'autoinstall_known_extensions', 'autoload_known_extensions')").fetchall())
        assert settings == {k: "false" for k in config.DUCKDB_READ_CONFIG}
        with pytest.raises(duckdb.Error, match="disabled"):
            con.execute(f"SELECT content FROM read_text('{tmp_path / 'secret.txt'}')").fetchall()
        with pytest.raises(duckdb.Error):
            con.execute("CREATE TABLE x (a INTEGER)")  # read-only


@pytest.mark.parametrize("suffix", [".duckdb", ".db", ".ddb"])
def test_sqlite_file_named_like_duckdb_is_rejected_before_duckdb_opens_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    db = tmp_path / f"crm{suffix}"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE touchpoints (account_id TEXT)")
    con.close()
    monkeypatch.setattr(io.duckdb, "connect", lambda *a, **k: pytest.fail("DuckDB opened it"))
    for load in (lambda: io.load_dataset(db), lambda: io.load_table(db, "touchpoints")):
        with pytest.raises(DataPathError) as info:
            load()
        msg = str(info.value)
        assert msg.startswith(f"{db}: not a DuckDB database, the file is a SQLite database")
        assert "'DUCK' at byte 8" in msg and "\n" not in msg


def test_garbage_or_empty_file_named_duckdb_is_rejected(tmp_path: Path) -> None:
    garbage = tmp_path / "x.duckdb"
    garbage.write_bytes(os.urandom(64).replace(b"DUCK", b"duck"))
    with pytest.raises(DataPathError, match=r"x.duckdb: not a DuckDB database, the file is "
                                            r"something else"):
        io.load_dataset(garbage)
    empty = tmp_path / "e.duckdb"
    empty.write_bytes(b"")
    with pytest.raises(DataPathError, match=r"e.duckdb: not a DuckDB database, the file is an "
                                            r"empty file"):
        io.load_dataset(empty)


# --------------------------------------------------------------------------------------------
# 2. NA strings: text stays text; documented missing markers in number/date columns
# --------------------------------------------------------------------------------------------
NA_TEXTS = ["NA", "N/A", "null", "None", "NaN", "n/a", "#N/A"]


def test_na_text_in_id_and_text_columns_is_kept(tmp_path: Path) -> None:
    tables = tiny_tables()
    n = len(NA_TEXTS)
    tables["touchpoints"] = pd.DataFrame({
        "account_id": NA_TEXTS, "timestamp": [f"2024-03-0{i + 1}" for i in range(n)],
        "channel": NA_TEXTS, "team": ["marketing"] * n, "touch_type": NA_TEXTS,
        "cost": [1.0] * n, "region": NA_TEXTS})
    tables["units"] = tables["units"].assign(unit_id=["NA", "NA", "EU", "EU"])
    tables["accounts"] = tables["accounts"].assign(unit_id=["NA", "EU"])
    ds = io.load_dataset(csv_folder(tmp_path, tables))
    for col in ("account_id", "channel", "touch_type", "region"):
        assert ds.touchpoints[col].tolist() == NA_TEXTS, col
    assert ds.units["unit_id"].tolist() == ["NA", "NA", "EU", "EU"]  # North America keeps its unit
    assert ds.accounts["unit_id"].tolist() == ["NA", "EU"]


def test_only_documented_markers_are_missing_in_number_and_date_columns(tmp_path: Path) -> None:
    assert config.CSV_MISSING_MARKERS == ("", "NA", "N/A", "null", "NaN")
    readme = " ".join((config.PROJECT_ROOT / "data" / "README.md").read_text().split())
    assert "empty field, `NA`, `N/A`, `null` or `NaN`" in readme  # the contract lists them
    root = csv_folder(tmp_path)
    tp = root / "touchpoints.csv"
    lines = tp.read_text().splitlines()
    markers = ["NA", "N/A", "null", "NaN"]
    lines[1:5] = [",".join(ln.split(",")[:5] + [m] + ln.split(",")[6:])
                  for ln, m in zip(lines[1:5], markers)]
    tp.write_text("\n".join(lines) + "\n")
    opp = root / "opportunities.csv"
    opp.write_text(opp.read_text().replace(",2024-03-06T08:30Z,,,,,", ",2024-03-06T08:30Z,NA,null,N/A,NaN,"))
    # the markers are read as missing: cost needs a value, so they are reported as missing ...
    assert "column 'cost', rows 1, 2, 3, 4: expected a value, got missing, missing" in str(
        load_error(root))
    # ... and a default fills them like empty fields
    ds = io.load_dataset(root, mapping={"touchpoints": {"defaults": {"cost": 0.0}}})
    assert ds.touchpoints["cost"].tolist() == [0.0] * 4
    assert ds.opportunities.loc[1, ["mql_at", "sql_at", "opportunity_at", "closed_at"]].isna().all()
    # any other text in a number column is an error, not a silent gap
    tp.write_text(tp.read_text().replace(",NA,spring", ",None,spring", 1))
    assert "column 'cost', row 1: expected a number, got 'None'" in str(load_error(root))


def test_a_marker_the_mapping_maps_is_mapped_not_missing(tmp_path: Path) -> None:
    root = csv_folder(tmp_path)
    opp = root / "opportunities.csv"
    opp.write_text(opp.read_text().replace(",open,0.0,", ",open,N/A,"))
    assert "column 'revenue', row 2: expected a value, got missing" in str(load_error(root))
    ds = io.load_dataset(root, mapping={"opportunities": {"values": {"revenue": {"N/A": 0.0}}}})
    assert ds.opportunities["revenue"].tolist() == [31500.0, 0.0]


def test_extra_csv_columns_are_numbers_only_when_every_value_is(tmp_path: Path) -> None:
    tables = tiny_tables()
    tables["units"] = tables["units"].assign(headcount=["40", "NA", "12", ""],
                                             country=["NA", "NA", "ES", ""])
    ds = io.load_dataset(csv_folder(tmp_path, tables))
    assert ds.units["headcount"].dtype == "float64"
    assert ds.units["headcount"].isna().tolist() == [False, True, False, True]
    assert ds.units["country"].tolist()[:3] == ["NA", "NA", "ES"] and pd.isna(ds.units["country"][3])


# --------------------------------------------------------------------------------------------
# 3. Surrounding whitespace: removed the same way in every table, and recorded
# --------------------------------------------------------------------------------------------
def test_surrounding_spaces_are_stripped_and_noted(tmp_path: Path) -> None:
    tables = tiny_tables()
    tp = tables["touchpoints"]
    tp["channel"] = ["webinar ", "email", "email ", "\tsdr_call"]
    tp["account_id"] = [" 007", "007", "A2 ", "A2"]
    tables["spend"]["channel"] = [" paid_search", "sales_people", "paid_search"]
    tables["opportunities"]["outcome"] = ["won ", "open"]
    ds = io.load_dataset(csv_folder(tmp_path, tables))
    assert ds.touchpoints["channel"].tolist() == ["webinar", "email", "email", "sdr_call"]
    assert ds.touchpoints["channel"].nunique() == 3  # "email " and "email" are one channel
    assert ds.touchpoints["account_id"].tolist() == ["007", "007", "A2", "A2"]
    assert ds.spend["channel"].tolist()[0] == "paid_search"
    notes = {(n["table"], n["column"]): n for n in ds.notes}
    assert notes[("touchpoints", "channel")] == {
        "table": "touchpoints", "column": "channel", "count": 3,
        "examples": ["webinar ", "email ", "\tsdr_call"]}
    assert notes[("touchpoints", "account_id")] == {
        "table": "touchpoints", "column": "account_id", "count": 2, "examples": []}  # ids: count only
    assert notes[("spend", "channel")]["count"] == 1
    assert notes[("opportunities", "outcome")]["examples"] == ["won "]
    assert all(set(n) == {"table", "column", "count", "examples"} for n in ds.notes)
    assert "007" not in repr(ds.notes) and "A2" not in repr(ds.notes)
    assert io.load_dataset(write(tmp_path / "clean", tiny_tables(), "csv")).notes == []


def test_stripping_applies_to_parquet_and_duckdb_too(tmp_path: Path) -> None:
    tables = {t: tiny_tables()[t] for t in config.REQUIRED_TABLES}
    tables["touchpoints"]["touch_type"] = ["ad_click ", "meeting", "open", "call"]
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, df in tables.items():
        df.to_parquet(raw / f"{name}.parquet")
    ds = io.load_dataset(raw)
    assert ds.touchpoints["touch_type"][0] == "ad_click"
    assert ds.notes == [{"table": "touchpoints", "column": "touch_type", "count": 1,
                         "examples": ["ad_click "]}]


def test_value_of_only_spaces_is_still_an_error() -> None:
    tp = tiny_tables()["touchpoints"]
    tp.loc[1, "channel"] = "   "
    with pytest.raises(DataValidationError, match="column 'channel', row 2: expected a non-empty "
                                                  "string, got '   '"):
        schemas.validate(tp, "touchpoints", "tp.csv")


# --------------------------------------------------------------------------------------------
# 4. Implausible dates
# --------------------------------------------------------------------------------------------
def test_default_plausible_window() -> None:
    assert config.PLAUSIBLE_DATES == ("1990-01-01", None)
    lo, hi = schemas.date_window_bounds()
    assert lo == pd.Timestamp("1990-01-01")
    today = pd.Timestamp.now(tz="UTC").tz_localize(None).normalize()
    assert hi == today + pd.DateOffset(years=1)
    with pytest.raises(ValueError, match="earliest date 2024-01-01 is after the latest"):
        schemas.date_window_bounds(("2024-01-01", "2023-01-01"))
    with pytest.raises(ValueError, match="'soon' is not a date"):
        schemas.date_window_bounds(("1990-01-01", "soon"))


@pytest.mark.parametrize(("table", "column", "row", "value"), [
    ("touchpoints", "timestamp", 1, "1900-01-01T10:00:00Z"),
    ("touchpoints", "timestamp", 2, "2200-01-01T10:00:00Z"),
    ("opportunities", "closed_at", 0, "1900-01-01T00:00:00Z"),
    ("opportunities", "lead_at", 1, "2200-03-01T00:00:00Z"),
    ("spend", "period", 2, "2200-01-01"),
    ("units", "period", 3, "1900-04-01"),
    ("units", "adoption_period", 0, "2200-04-01"),
], ids=["touch-1900", "touch-2200", "won-1900", "lead-2200", "spend-2200", "units-1900",
        "adoption-2200"])
def test_implausible_dates_are_errors(tmp_path: Path, table: str, column: str, row: int,
                                      value: str) -> None:
    tables = tiny_tables()
    tables[table].loc[row, column] = value
    rows = f"row {row + 1}"
    if column == "adoption_period":  # constant within the unit
        tables[table].loc[[0, 1], column] = value
        rows = "rows 1, 2"
    root = csv_folder(tmp_path, tables)
    err = load_error(root)
    hi = schemas.date_window_bounds()[1]
    line = str(err).splitlines()[0]
    assert line.startswith(f"{root / (table + '.csv')}: column '{column}', {rows}: expected "
                           f"a plausible date, from 1990-01-01 to {hi:%Y-%m-%d}")
    assert f"got {pd.Timestamp(value).tz_localize(None).isoformat()[:10]}" in line
    assert len(err.problems) == 1  # no spurious stage-order error for the same row
    ds = io.load_dataset(root, on_invalid="drop")
    assert [d["column"] for d in ds.dropped] == [column]
    try:  # another window: the date is accepted (a deal closed in 1900 then breaks stage order)
        io.load_dataset(root, date_window=("1800-01-01", "2300-01-01"))
    except DataValidationError as other:
        assert "plausible date" not in str(other) and "closed_at not before" in str(other)


def test_adoption_after_the_data_end_is_fine(tmp_path: Path) -> None:
    tables = tiny_tables()
    later = (pd.Timestamp.now().normalize() + pd.DateOffset(months=6)).replace(day=1)
    tables["units"].loc[[0, 1], "adoption_period"] = later.strftime("%Y-%m-%d")
    assert io.load_dataset(csv_folder(tmp_path, tables)).units["adoption_period"][0] == later


# --------------------------------------------------------------------------------------------
# 5. CSV header quirks
# --------------------------------------------------------------------------------------------
def test_duplicate_header(tmp_path: Path) -> None:
    root = csv_folder(tmp_path)
    tp = root / "touchpoints.csv"
    lines = tp.read_text().splitlines()
    tp.write_text("\n".join([lines[0] + ",channel"] + [ln + ",x" for ln in lines[1:]]) + "\n")
    msg = str(load_error(root))
    assert (f"{tp}: column 'channel': expected each column name once in the header line, but "
            "'channel' is the name of columns 3, 8") in msg


def test_header_with_surrounding_spaces(tmp_path: Path) -> None:
    root = csv_folder(tmp_path)
    tp = root / "touchpoints.csv"
    tp.write_text(tp.read_text().replace(",cost,", ",cost ,", 1))
    msg = str(load_error(root))
    assert (f"{tp}: column 'cost ': expected a column name without surrounding spaces in the "
            "header line, got 'cost '; write it as 'cost'") in msg


def test_csv_rows_with_more_fields_than_the_header(tmp_path: Path) -> None:
    root = csv_folder(tmp_path)
    tp = root / "touchpoints.csv"
    lines = tp.read_text().splitlines()
    lines[2] += ",surplus"
    tp.write_text("\n".join(lines) + "\n")
    assert f"{tp}: table, row 2: expected at most 7 fields per line" in str(load_error(root))
    lines = tp.read_text().splitlines()  # every row one field too many: pandas would shift columns
    tp.write_text("\n".join([lines[0]] + [ln.split(",surplus")[0] + ",x" for ln in lines[1:]]) + "\n")
    assert f"{tp}: table, rows 1, 2, 3, 4: expected at most 7 fields per line" in str(load_error(root))


def test_csv_trailing_delimiter_does_not_shift_columns(tmp_path: Path) -> None:
    root = csv_folder(tmp_path)
    tp = root / "touchpoints.csv"
    lines = tp.read_text().splitlines()
    tp.write_text("\n".join([lines[0]] + [ln + "," for ln in lines[1:]]) + "\n")
    ds = io.load_dataset(root)
    assert ds.touchpoints["account_id"].tolist() == ["007", "007", "A2", "A2"]
    assert ds.touchpoints["channel"].tolist()[0] == "paid_search"


# --------------------------------------------------------------------------------------------
# 6. Empty files and encodings
# --------------------------------------------------------------------------------------------
def test_empty_csv_says_what_to_do(tmp_path: Path) -> None:
    root = csv_folder(tmp_path)
    (root / "touchpoints.csv").write_bytes(b"")
    msg = str(load_error(root))
    assert (f"{root / 'touchpoints.csv'}: table: expected a header line with the column names (the "
            "file is empty): export the table again with its header line") in msg


def latin1_folder(tmp_path: Path) -> Path:
    tables = tiny_tables()
    tables["touchpoints"].loc[2, "touch_type"] = "búsqueda"
    root = csv_folder(tmp_path, tables)
    tp = root / "touchpoints.csv"
    tp.write_bytes(tp.read_text(encoding="utf-8").encode("latin-1"))
    return root


def test_latin1_file_says_how_to_fix_it(tmp_path: Path) -> None:
    root = latin1_folder(tmp_path)
    err = load_error(root)
    msg = str(err)
    assert msg.startswith(f"{root / 'touchpoints.csv'}: table: expected UTF-8 text, but line 4 "
                          "holds the byte 0xfa, which is not UTF-8")
    assert "save it as UTF-8, or pass encoding='latin-1'" in msg
    assert not isinstance(err, UnicodeDecodeError)


def test_declared_latin1_is_read(tmp_path: Path) -> None:
    root = latin1_folder(tmp_path)
    assert io.load_dataset(root, encoding="latin-1").touchpoints["touch_type"][2] == "búsqueda"
    assert io.load_table(root, "touchpoints", encoding="latin-1")["touch_type"][2] == "búsqueda"
    (root / "mapping.toml").write_text('encoding = "latin-1"\n')
    assert io.load_dataset(root).touchpoints["touch_type"][2] == "búsqueda"
    (root / "mapping.toml").write_text('encoding = "klingon"\n')
    with pytest.raises(MappingError, match=r'mapping.toml: encoding = "klingon": unknown encoding'):
        io.load_dataset(root)
    with pytest.raises(ValueError, match="unknown encoding 'klingon'"):
        io.load_dataset(root, encoding="klingon")


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    root = csv_folder(tmp_path)
    for name in ("touchpoints.csv", "opportunities.csv"):
        f = root / name
        f.write_bytes(b"\xef\xbb\xbf" + f.read_bytes())
    ds = io.load_dataset(root)
    assert list(ds.touchpoints.columns)[0] == "account_id" and ds.notes == []
    assert ds.touchpoints["account_id"][0] == "007"


# --------------------------------------------------------------------------------------------
# 7. Bad path: a ValueError with a one-line message
# --------------------------------------------------------------------------------------------
def path_error(path: Path) -> DataPathError:
    with pytest.raises(DataPathError) as info:
        io.load_dataset(path)
    assert isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)
    return info.value


def test_symlink_loop(tmp_path: Path) -> None:
    loop = tmp_path / "data"
    os.symlink(loop, loop)
    assert str(path_error(loop)) == (f"{loop}: a symbolic link loop (the link leads back to "
                                     "itself); give the path of the data folder itself")


def test_broken_symlink_table_file(tmp_path: Path) -> None:
    root = csv_folder(tmp_path)
    (root / "touchpoints.csv").unlink()
    os.symlink(tmp_path / "gone.csv", root / "touchpoints.csv")
    assert "touchpoints.csv: a symbolic link to" in str(path_error(root))


def test_garbage_file_as_path(tmp_path: Path) -> None:
    f = tmp_path / "export.bin"
    f.write_bytes(os.urandom(256))
    assert str(path_error(f)).startswith("expected a folder of tables (touchpoints.csv, "
                                         f"opportunities.csv, ...), got the file {f}")


def test_sqlite_file_as_path(tmp_path: Path) -> None:
    f = tmp_path / "crm.sqlite"
    with sqlite3.connect(f) as con:
        con.execute("CREATE TABLE touchpoints (a TEXT)")
    con.close()
    assert f"got the file {f} (a SQLite database)" in str(path_error(f))


def test_single_csv_file_as_path(tmp_path: Path) -> None:
    root = csv_folder(tmp_path)
    f = root / "touchpoints.csv"
    assert str(path_error(f)).startswith(
        f"expected a folder of tables (touchpoints.csv, opportunities.csv, ...), got the file {f}")


def test_folder_without_required_tables(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError) as info:
        io.load_dataset(tmp_path)
    assert str(info.value).splitlines()[0] == (
        f"{tmp_path}: missing required tables touchpoints, opportunities (the minimum is "
        "touchpoints and opportunities)")


def test_path_that_does_not_exist(tmp_path: Path) -> None:
    err = path_error(tmp_path / "nope")
    assert isinstance(err, DataPathNotFoundError) and isinstance(err, FileNotFoundError)
    assert str(err) == f"{tmp_path / 'nope'}: no such file or folder"


def test_garbage_parquet_file(tmp_path: Path) -> None:
    root = write(tmp_path, {t: tiny_tables()[t] for t in config.REQUIRED_TABLES}, "parquet")
    (root / "touchpoints.parquet").write_bytes(b"not parquet at all")
    msg = str(load_error(root))
    assert msg.startswith(f"{root / 'touchpoints.parquet'}: table: expected a Parquet file (it "
                          "cannot be read")


def test_cli_reports_a_bad_data_file_without_traceback(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from smlib.cli import main

    db = tmp_path / "crm.duckdb"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE touchpoints (a TEXT)")
    con.close()
    code = main(["report", "run", "-p", f"data_path={db}", "--reports-dir",
                 str(tmp_path / "reports")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"{db}: not a DuckDB database, the file is a SQLite database" in err


# --------------------------------------------------------------------------------------------
# 8. Ids never reach an error message
# --------------------------------------------------------------------------------------------
def test_ids_are_hidden_in_error_messages(tmp_path: Path) -> None:
    tables = tiny_tables()
    tables["opportunities"]["opportunity_id"] = ["CUST-SECRET-1", "CUST-SECRET-1"]
    tables["accounts"]["account_id"] = ["ACME-SECRET", "ACME-SECRET"]
    tp = tables["touchpoints"]
    tables["touchpoints"] = pd.concat([tp, tp.iloc[[1]]], ignore_index=True)
    tables["touchpoints"].loc[0, "account_id"] = "   "
    tables["touchpoints"].loc[3, "team"] = "partners"  # other columns still show their value
    msg = str(load_error(csv_folder(tmp_path, tables)))
    assert "column 'opportunity_id', row 2: expected unique values (this value repeats an earlier " \
           "row), got (ids hidden)" in msg
    assert "column 'account_id', row 2: expected unique values (this value repeats an earlier " \
           "row), got (ids hidden)" in msg
    assert "column 'account_id', row 1: expected a non-empty string, got (ids hidden)" in msg
    assert "got (account_id hidden, 2024-03-05T09:00:00+00:00, 'demo', 'meeting')" in msg
    assert "got 'partners'" in msg
    for value in ("CUST-SECRET", "ACME-SECRET", "007"):
        assert value not in msg


# --------------------------------------------------------------------------------------------
# 9. An unreadable value is reported once, not also as a duplicate or a broken rule
# --------------------------------------------------------------------------------------------
def test_unparseable_timestamps_are_not_also_duplicates(tmp_path: Path) -> None:
    tables = tiny_tables()
    tp = tables["touchpoints"]
    tables["touchpoints"] = pd.concat([tp, tp.iloc[[1]]], ignore_index=True)
    tables["touchpoints"].loc[1, "timestamp"] = "yesterday"
    tables["touchpoints"].loc[4, "timestamp"] = "last week"  # same key apart from the bad time
    root = csv_folder(tmp_path, tables)
    err = load_error(root)
    assert [(p.column, p.rows) for p in err.problems] == [("timestamp", (2, 5))]
    assert "unique rows" not in str(err)
    ds = io.load_dataset(root, on_invalid="drop")
    assert [d["rule"] for d in ds.dropped] == [schemas._EXAMPLE["timestamp"]]


def test_unparseable_closed_at_is_not_also_a_missing_closed_at(tmp_path: Path) -> None:
    tables = tiny_tables()
    tables["opportunities"].loc[0, "closed_at"] = "someday"
    err = load_error(csv_folder(tmp_path, tables))
    assert [(p.column, p.rows) for p in err.problems] == [("closed_at", (1,))]
    assert re.search(r"expected an ISO 8601 timestamp .*got 'someday'", str(err))
