"""mapping.toml: an export's column names and values -> the contract's (smlib.io)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from smlib import config, io
from smlib.io import DataValidationError, MappingError

README = config.PROJECT_ROOT / "data" / "README.md"


def readme_example() -> dict[str, str]:
    """The worked example's files, exactly as data/README.md shows them."""
    text = README.read_text()
    blocks = re.findall(r"^`export/([\w.]+)`[^\n]*:\n\n```\w*\n(.*?)^```", text, re.M | re.S)
    return dict(blocks)


def build_example(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in readme_example().items():
        (folder / name).write_text(content)
    return folder


def test_readme_has_the_worked_example() -> None:
    files = readme_example()
    assert set(files) == {"opportunities.csv", "touchpoints.csv", "mapping.toml"}
    header = files["opportunities.csv"].splitlines()[0]
    for col in ("Deal ID", "Associated Company ID", "Create Date", "Close Date", "Deal Stage",
                "Amount"):
        assert col in header
    assert "smlib report run -p data_path=/path/to/export -p currency=BRL" in README.read_text()
    assert "Bring your own export in 5 minutes" in README.read_text()


def test_worked_example_loads(tmp_path: Path) -> None:
    root = build_example(tmp_path / "export")
    ds = io.load_dataset(root)
    assert ds.missing == ("spend", "units", "accounts")
    assert set(ds.files) == {"touchpoints", "opportunities"}
    opp = ds.opportunities
    assert opp["opportunity_id"].tolist() == ["9001", "9002", "9003"]
    assert opp["account_id"].tolist() == ["301", "302", "303"]  # ids stay text
    assert opp["outcome"].tolist() == ["won", "lost", "open"]
    assert opp["revenue"].tolist() == [31500.0, 0.0, 12000.0]  # blank Amount -> default 0
    assert opp["gross_margin"].tolist() == [0.8, 0.8, 0.8]     # column the export lacks
    assert (opp["lead_at"] == opp["opportunity_at"]).all() and (opp["sql_at"] == opp["lead_at"]).all()
    assert opp["lead_at"][0] == pd.Timestamp("2024-03-05 10:00", tz="UTC")
    assert opp["closed_at"].isna().tolist() == [False, False, True]
    assert "Pipeline" in opp.columns  # not in the contract: kept
    tp = ds.touchpoints
    assert tp["team"].tolist() == ["marketing", "sales", "marketing", "sales", "marketing"]
    assert tp["channel"].tolist() == ["paid_search", "demo", "email", "sdr_call", "webinar"]
    assert tp["account_id"].tolist() == ["301", "301", "302", "302", "303"]
    assert tp["touch_type"][0] == "Ad click" and tp["cost"].sum() == pytest.approx(188.1)
    # the same mapping given explicitly, as a path or as a dict
    other = tmp_path / "elsewhere"
    other.mkdir()
    for name in ("opportunities.csv", "touchpoints.csv"):
        (other / name).write_text((root / name).read_text())
    with pytest.raises(DataValidationError):
        io.load_dataset(other)  # no mapping.toml beside these files
    pd.testing.assert_frame_equal(
        io.load_dataset(other, mapping=root / "mapping.toml").opportunities, opp)
    import tomllib
    as_dict = tomllib.loads((root / "mapping.toml").read_text())
    pd.testing.assert_frame_equal(io.load_dataset(other, mapping=as_dict).touchpoints, tp)
    # load_table finds the mapping beside the data too
    pd.testing.assert_frame_equal(io.load_table(root, "opportunities"), opp)


def test_mapping_row_numbers_are_file_rows(tmp_path: Path) -> None:
    root = build_example(tmp_path / "export")
    text = (root / "touchpoints.csv").read_text().replace("SDR Call,Sales Team", "SDR Call,Partners")
    (root / "touchpoints.csv").write_text(text)
    with pytest.raises(DataValidationError) as info:
        io.load_dataset(root)
    assert (f"{root / 'touchpoints.csv'}: column 'team', row 4: expected one of 'marketing', "
            "'sales', got 'Partners'") in str(info.value)


def test_mapping_for_parquet_and_extra_sections(tmp_path: Path) -> None:
    deals = pd.DataFrame({"Id": [1, 2], "Company": ["007", "A2"],
                          "Created": pd.to_datetime(["2024-03-04", "2024-03-05"], utc=True),
                          "Stage": ["Open ", "Lost"], "Value": [10.0, 0.0],
                          "Closed": [None, "2024-03-09"], "Margin": [0.5, None]})
    tp = pd.DataFrame({"account_id": ["007"], "timestamp": ["2024-03-04"], "channel": ["email"],
                       "team": ["marketing"], "touch_type": ["open"]})
    deals.to_parquet(tmp_path / "opportunities.parquet")
    tp.to_parquet(tmp_path / "touchpoints.parquet")
    mapping = {"opportunities": {
        "columns": {"Id": "opportunity_id", "Company": "account_id", "Created": "lead_at",
                    "Stage": "outcome", "Value": "revenue", "Closed": "closed_at",
                    "Margin": "gross_margin"},
        "values": {"outcome": {"Open": "open", "Lost": "lost"}},
        "defaults": {"gross_margin": 0.7, "source_team": "marketing"},
    }}
    ds = io.load_dataset(tmp_path, mapping=mapping)
    opp = ds.opportunities
    assert opp["opportunity_id"].tolist() == ["1", "2"]
    assert opp["outcome"].tolist() == ["open", "lost"]          # surrounding spaces ignored
    assert opp["gross_margin"].tolist() == [0.5, 0.7]           # only the empty cell is filled
    assert opp["source_team"].tolist() == ["marketing", "marketing"]


# --------------------------------------------------------------------------------------------
# Mapping errors name mapping.toml and the entry
# --------------------------------------------------------------------------------------------
def write_mapping(root: Path, text: str) -> Path:
    (root / "mapping.toml").write_text(text)
    return root / "mapping.toml"


def test_unknown_table_and_section(tmp_path: Path) -> None:
    root = build_example(tmp_path / "export")
    f = write_mapping(root, '[deals.columns]\n"Deal ID" = "opportunity_id"\n'
                            '[touchpoints.colums]\n"Company ID" = "account_id"\n')
    with pytest.raises(MappingError) as info:
        io.load_dataset(root)
    msg = str(info.value)
    assert f"{f}: [deals]: unknown table; expected one of touchpoints, opportunities" in msg
    assert f"{f}: [touchpoints.colums]: unknown section; expected columns, values, defaults" in msg
    assert isinstance(info.value, ValueError)


def test_renamed_column_not_in_the_file(tmp_path: Path) -> None:
    root = build_example(tmp_path / "export")
    f = root / "mapping.toml"
    f.write_text(f.read_text().replace('"Deal Stage" = "outcome"', '"Deal Stag" = "outcome"'))
    with pytest.raises(MappingError) as info:
        io.load_dataset(root)
    assert str(info.value).startswith(
        f'{f}: [opportunities.columns] "Deal Stag" = "outcome": {root / "opportunities.csv"} has '
        "no column 'Deal Stag' (found columns: Deal ID, Associated Company ID, Create Date")


def test_two_sources_to_one_target(tmp_path: Path) -> None:
    root = build_example(tmp_path / "export")
    f = root / "mapping.toml"
    f.write_text(f.read_text().replace('"Amount" = "revenue"',
                                       '"Amount" = "revenue"\n"Pipeline" = "revenue"'))
    with pytest.raises(MappingError) as info:
        io.load_dataset(root)
    assert str(info.value) == (
        f'{f}: [opportunities.columns] "Amount" = "revenue" and "Pipeline" = "revenue": two '
        "source columns map to one column 'revenue'; keep one")


def test_target_already_in_the_file_and_values_of_a_missing_column(tmp_path: Path) -> None:
    root = build_example(tmp_path / "export")
    opp = root / "opportunities.csv"
    lines = opp.read_text().splitlines()
    opp.write_text("\n".join([lines[0] + ",revenue"] + [ln + ",1" for ln in lines[1:]]) + "\n")
    f = root / "mapping.toml"
    f.write_text(f.read_text() + '\n[opportunities.values."Deal Stage"]\n"Won" = "won"\n')
    with pytest.raises(MappingError) as info:
        io.load_dataset(root)
    msg = str(info.value)
    assert (f'{f}: [opportunities.columns] "Amount" = "revenue": {opp} already has a column '
            "'revenue'; rename only one column to it") in msg
    assert (f'{f}: [opportunities.values."Deal Stage"]: {opp} has no column \'Deal Stage\'') in msg
    assert "values apply after renaming: use the new name 'outcome'" in msg


def test_malformed_mapping_files(tmp_path: Path) -> None:
    root = build_example(tmp_path / "export")
    f = write_mapping(root, "[opportunities.columns\n")
    with pytest.raises(MappingError, match=rf"{re.escape(str(f))}: not valid TOML"):
        io.load_dataset(root)
    write_mapping(root, '[opportunities.columns]\n"Amount" = 3\n'
                        '[opportunities.values]\noutcome = "won"\n'
                        '[opportunities.defaults]\ngross_margin = [0.8]\n')
    with pytest.raises(MappingError) as info:
        io.load_dataset(root)
    msg = str(info.value)
    assert '[opportunities.columns] "Amount" = 3: expected a column name' in msg
    assert "[opportunities.values.outcome]: expected \"source value\" = \"contract value\" pairs" in msg
    assert "[opportunities.defaults] gross_margin: expected a single value" in msg
    with pytest.raises(MappingError, match="no such mapping file"):
        io.load_dataset(root, mapping=tmp_path / "nope.toml")


def test_mapping_section_for_an_absent_optional_table_is_ignored(tmp_path: Path) -> None:
    root = build_example(tmp_path / "export")
    f = root / "mapping.toml"
    f.write_text(f.read_text() + '\n[spend.columns]\n"Month" = "period"\n')
    assert io.load_dataset(root).missing == ("spend", "units", "accounts")


def test_apply_mapping_on_a_frame() -> None:
    raw = pd.DataFrame({"Stage": ["Closed Won", "x"], "n": [1, 2]})
    mapping = io.read_mapping({"opportunities": {"columns": {"Stage": "outcome"},
                                                 "values": {"outcome": {"Closed Won": "won"}}}})
    out = io.apply_mapping(raw, "opportunities", mapping)
    assert out["outcome"].tolist() == ["won", "x"] and list(out.columns) == ["outcome", "n"]
    assert list(raw.columns) == ["Stage", "n"]  # input untouched
