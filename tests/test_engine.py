"""The Ibis pipeline (smlib.engine) on DuckDB: the same tables as smlib.journeys, the same credit as
smlib.attribution, checks that name file/column/rows, and every way of pointing at the data.

The PySpark conformance run is tests/test_engine_spark.py."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from test_journeys import hand_case, opps, random_case, reference, summarise, touches

from smlib import config, io, schemas
from smlib.attribution import rules
from smlib.attribution.paths import parse_paths
from smlib.attribution.registry import MODELS
from smlib.attribution.scale import engine_credit, engine_parsed_paths
from smlib.engine.checks import check_source
from smlib.engine.pipeline import EngineJourneys, decode_words, ibis_journeys, path_table, word_layout
from smlib.engine.source import Source, connect, is_connection_target
from smlib.engine.stats import (RULE_MODELS, channel_set_counts, exposure_summary, rule_credit,
                                transition_counts)
from smlib.io import DataValidationError, load_dataset
from smlib.journeys import build_journeys

pytest.importorskip("ibis")


def write(folder: Path, tp: pd.DataFrame, op: pd.DataFrame, validate: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if validate:
        tp, op = schemas.validate(tp, "touchpoints"), schemas.validate(op, "opportunities")
    tp.to_parquet(folder / "touchpoints.parquet")
    op.to_parquet(folder / "opportunities.parquet")
    return folder


def assert_same(ej: EngineJourneys, ref, rtol: float = 0.0) -> None:
    for name in ("paths", "journeys", "touches"):
        pd.testing.assert_frame_equal(getattr(ej, name), getattr(ref, name),
                                      check_exact=rtol == 0.0, rtol=rtol or 1e-5)
    assert ej.stats == ref.stats


def split_case() -> tuple[pd.DataFrame, pd.DataFrame]:
    tp = touches(
        ("A", "2024-01-01", "email", "marketing", "open", 0.0),
        ("A", "2024-01-10", "demo", "sales", "meeting", 0.0),
        ("A", "2024-01-11", "webinar", "marketing", "attend", 0.0),
        ("A", "2024-02-01", "proposal", "sales", "send", 0.0),
        ("A", "2024-03-01", "email", "marketing", "open", 0.0),
        ("Z", "2024-01-01", "email", "marketing", "open", 0.0),
    )
    op = opps(
        ("O1", "A", "2024-01-01", None, "2024-01-02", "2024-01-03", "2024-01-10", "won", 10.0, .5),
        ("O2", "A", "2024-01-11", None, "2024-01-12", "2024-01-13", "2024-02-05", "won", 20.0, .5),
        ("O3", "A", "2024-01-11", None, "2024-01-12", "2024-01-13", "2024-02-05", "won", 5.0, .5),
        ("O4", "Q", "2023-12-25", None, "2023-12-26", "2023-12-27", "2024-01-05", "won", 7.0, .5),
    )
    return tp, op


def lookback_case() -> tuple[pd.DataFrame, pd.DataFrame]:
    close = pd.Timestamp("2024-06-01", tz="UTC")
    tp = touches(
        ("A", close - pd.Timedelta(days=30), "email", "marketing", "open", 0.0),
        ("A", close - pd.Timedelta(days=30, microseconds=1), "webinar", "marketing", "x", 0.0),
        ("A", close, "demo", "sales", "meeting", 0.0),
        ("B", "2024-01-01", "email", "marketing", "open", 0.0),
        ("B", "2024-01-31", "sdr_call", "sales", "call", 0.0),
        ("B", "2024-03-01", "demo", "sales", "meeting", 0.0),
    )
    op = opps(("O1", "A", "2024-05-01", None, "2024-05-02", "2024-05-03", close, "won", 1.0, .5))
    return tp, op


CASES = {"hand": hand_case, "split": split_case, "lookback": lookback_case}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("lookback", [90, 30, 29.5])
def test_hand_cases_match_duckdb_sql_builder(tmp_path: Path, case: str, lookback: float) -> None:
    tp, op = CASES[case]()
    ej = ibis_journeys(write(tmp_path, tp, op), lookback_days=lookback)
    assert_same(ej, build_journeys(tp, op, lookback_days=lookback))


@pytest.mark.parametrize(("seed", "lookback"), [(1, 90), (2, 30), (3, 365), (4, 7.5)])
def test_random_cases_match_reference_and_sql_builder(tmp_path: Path, seed: int,
                                                      lookback: float) -> None:
    tp, op = random_case(seed)
    ej = ibis_journeys(write(tmp_path, tp, op), lookback_days=lookback)
    assert summarise(ej) == reference(tp, op, lookback)
    assert_same(ej, build_journeys(tp, op, lookback_days=lookback))


def test_long_paths_span_several_words(tmp_path: Path) -> None:
    channels = list(config.MARKETING_CHANNELS) + list(config.SALES_CHANNELS)
    start = pd.Timestamp("2024-01-01", tz="UTC")
    rows = [("A", start + pd.Timedelta(hours=h), channels[(h * 7) % len(channels)],
             "marketing" if channels[(h * 7) % len(channels)] in config.MARKETING_CHANNELS
             else "sales", "t", 0.0) for h in range(60)]
    tp = touches(*rows)
    op = opps(("O1", "A", "2024-01-01", None, "2024-01-02", "2024-01-02", "2024-01-05", "won", 3.0, .5))
    ej = ibis_journeys(write(tmp_path, tp, op))
    _, per_word = word_layout(len(ej.channels))
    assert len(ej.words) == -(-60 // per_word) >= 4
    assert_same(ej, build_journeys(tp, op))


def test_word_encoding_round_trip_and_limits() -> None:
    assert word_layout(12) == (13, 17)
    assert word_layout(1) == (2, 62)
    channels = ["a", "b", "c"]
    base, per = word_layout(3)
    seq = [3, 1, 2, 2, 1]
    word = sum(c * base ** d for d, c in enumerate(seq))
    assert decode_words(np.array([[word], [3]]), channels) == ["c > a > b > b > a", "c"]
    with pytest.raises(ValueError, match="at least one channel"):
        word_layout(0)
    with pytest.raises(ValueError, match="2-D"):
        decode_words(np.array([1, 2]), channels)


def test_path_table_function_and_row_order(tmp_path: Path) -> None:
    tp, op = random_case(5, n_accounts=80)
    a = path_table(write(tmp_path / "a", tp, op))
    b = path_table(write(tmp_path / "b", tp.sample(frac=1, random_state=1),
                         op.sample(frac=1, random_state=2)))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, build_journeys(tp, op).paths)


# --------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------
def test_checks_name_file_column_rows(tmp_path: Path) -> None:
    tp, op = random_case(8)
    tpv, opv = schemas.validate(tp, "touchpoints"), schemas.validate(op, "opportunities")
    bad = tpv.copy()
    bad.loc[[3, 10], "cost"] = [-2.0, -7.0]
    bad.loc[5, "channel"] = "a>b"
    bad.loc[6, "team"] = "growth"
    write(tmp_path, bad, opv, validate=False)
    with pytest.raises(DataValidationError) as info:
        ibis_journeys(tmp_path)
    msg = str(info.value)
    f = tmp_path / "touchpoints.parquet"
    assert f"{f}: column 'cost', rows 4, 11: expected cost >= 0 (a finite number), got -2.0, -7.0" in msg
    assert f"{f}: column 'channel', row 6: expected a channel name without '>'" in msg
    assert f"{f}: column 'team', row 7: expected one of 'marketing', 'sales'" in msg
    pd.concat([tpv, tpv.iloc[[2]]]).to_parquet(f)
    with pytest.raises(DataValidationError, match=r"columns \(account_id, timestamp, channel, "
                                                  rf"touch_type\), row {len(tpv) + 1}: expected unique"):
        check_source(tmp_path)
    tpv.drop(columns=["team"]).to_parquet(f)
    with pytest.raises(DataValidationError, match="column 'team': expected a required column"):
        check_source(tmp_path)
    tpv.astype({"timestamp": "str"}).to_parquet(f)
    with pytest.raises(DataValidationError, match="expected a timestamp column"):
        check_source(tmp_path)


def test_duplicate_touches_are_found_in_the_journey_sort(tmp_path: Path) -> None:
    """ibis_journeys checks duplicates in its own sort (no group-by over every touch): the same
    error as check_source, alone or beside other problems; a duplicate the lookback drops too."""
    tp, op = random_case(8)
    tpv, opv = schemas.validate(tp, "touchpoints"), schemas.validate(op, "opportunities")
    f = tmp_path / "touchpoints.parquet"
    write(tmp_path, pd.concat([tpv, tpv.iloc[[2]]]), opv, validate=False)
    with pytest.raises(DataValidationError) as by_check:
        check_source(tmp_path)
    with pytest.raises(DataValidationError) as by_journeys:
        ibis_journeys(tmp_path)
    assert str(by_journeys.value) == str(by_check.value)
    assert f"row {len(tpv) + 1}: expected unique rows" in str(by_check.value)
    with pytest.raises(DataValidationError, match="expected unique rows"):
        ibis_journeys(tmp_path, lookback_days=1e-6)  # the twins are outside the lookback
    ibis_journeys(tmp_path, validate=False)  # no check asked for: no error
    bad = pd.concat([tpv, tpv.iloc[[2]]]).reset_index(drop=True)
    bad.loc[0, "cost"] = -1.0
    bad.to_parquet(f)
    with pytest.raises(DataValidationError) as both:
        ibis_journeys(tmp_path)
    assert "column 'cost', row 1" in str(both.value) and "expected unique rows" in str(both.value)


def test_checks_opportunities_stage_order_and_won_without_close(tmp_path: Path) -> None:
    tp, op = random_case(9)
    tpv, opv = schemas.validate(tp, "touchpoints"), schemas.validate(op, "opportunities")
    bad = opv.copy()
    bad.loc[2, "opportunity_at"] = bad.loc[2, "lead_at"] - pd.Timedelta(days=3)
    won = bad.index[bad["outcome"] == "won"][0]
    bad.loc[won, "closed_at"] = pd.NaT
    bad.loc[4, "revenue"] = np.nan
    bad.loc[7, "opportunity_id"] = bad.loc[6, "opportunity_id"]
    write(tmp_path, tpv, bad, validate=False)
    with pytest.raises(DataValidationError) as info:
        check_source(tmp_path)
    msg = str(info.value)
    f = tmp_path / "opportunities.parquet"
    assert f"{f}: column 'opportunity_at', row 3: expected opportunity_at not before the earlier stages" in msg
    assert f"{f}: column 'closed_at', row {won + 1}: expected closed_at to be set when outcome is 'won'" in msg
    assert f"{f}: column 'revenue', row 5: expected revenue >= 0" in msg
    assert f"{f}: column 'opportunity_id', row 8: expected unique values" in msg
    # the pandera contract agrees on the stage rule
    with pytest.raises(DataValidationError, match="opportunity_at not before the earlier stages"):
        schemas.validate(bad.drop(index=[won, 4, 7]), "opportunities")


def test_checks_without_row_numbers_give_counts_and_values(tmp_path: Path) -> None:
    tp, op = random_case(8)
    tpv, opv = schemas.validate(tp, "touchpoints"), schemas.validate(op, "opportunities")
    tpv.loc[[3, 10], "cost"] = [-2.0, -7.0]
    (tmp_path / "touchpoints").mkdir()
    tpv.iloc[:20].to_parquet(tmp_path / "touchpoints" / "part-0.parquet")
    tpv.iloc[20:].to_parquet(tmp_path / "touchpoints" / "part-1.parquet")
    opv.to_parquet(tmp_path / "opportunities.parquet")
    with pytest.raises(DataValidationError, match=r"column 'cost'.*2 rows.*got -7.0, -2.0|"
                                                  r"column 'cost'.*got -7.0, -2.0"):
        check_source(tmp_path)


# --------------------------------------------------------------------------------------------
# where the data are
# --------------------------------------------------------------------------------------------
def test_connect_layouts_give_the_same_journeys(tmp_path: Path) -> None:
    tp, op = random_case(11, n_accounts=60)
    tpv, opv = schemas.validate(tp, "touchpoints"), schemas.validate(op, "opportunities")
    ref = build_journeys(tp, op)
    # 1. one folder per table, hive-partitioned by month (the partition column is extra)
    hive = tmp_path / "hive"
    month = tpv["timestamp"].dt.strftime("%Y-%m")
    for m, g in tpv.groupby(month):
        d = hive / "touchpoints" / f"month={m}"
        d.mkdir(parents=True)
        g.to_parquet(d / "part-0.parquet")
    (hive / "opportunities").mkdir(parents=True)
    opv.to_parquet(hive / "opportunities" / "part-0.parquet")
    src = connect(hive)
    assert "month" in src.table("touchpoints").columns and len(src.files["touchpoints"]) > 3
    assert is_connection_target(hive) and not is_connection_target(write(tmp_path / "flat", tp, op))
    assert_same(ibis_journeys(src), ref)
    # 2. globs per table
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, idx in enumerate(np.array_split(np.arange(len(tpv)), 3)):
        tpv.iloc[idx].to_parquet(parts / f"tp-{i}.parquet")
    opv.to_parquet(parts / "opps.parquet")
    src = connect(None, tables={"touchpoints": str(parts / "tp-*.parquet"),
                                "opportunities": parts / "opps.parquet"})
    assert_same(ibis_journeys(src), ref)
    # 3. a DuckDB file, directly and as an Ibis URL
    db = tmp_path / "d.duckdb"
    with duckdb.connect(str(db)) as con:
        con.register("a", tpv)
        con.register("b", opv)
        con.execute("CREATE TABLE touchpoints AS SELECT * FROM a")
        con.execute("CREATE TABLE opportunities AS SELECT * FROM b")
    assert_same(ibis_journeys(db), ref)
    assert_same(ibis_journeys(connect(f"duckdb:///{db}")), ref)
    # 4. an Ibis backend whose tables carry the contract's names
    import ibis

    backend = ibis.duckdb.connect()
    backend.raw_sql(f"CREATE TABLE touchpoints AS SELECT * FROM read_parquet('{tmp_path / 'flat' / 'touchpoints.parquet'}')")
    backend.raw_sql(f"CREATE TABLE opportunities AS SELECT * FROM read_parquet('{tmp_path / 'flat' / 'opportunities.parquet'}')")
    assert_same(ibis_journeys(backend), ref)


def test_connect_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such file or folder"):
        connect(tmp_path / "nope")
    with pytest.raises(ValueError, match="engine must be one of"):
        connect(tmp_path, engine="polars")
    with pytest.raises(ValueError, match="no touchpoints or opportunities table"):
        connect(tmp_path)
    (tmp_path / "touchpoints.csv").write_text("account_id\n")
    with pytest.raises(ValueError, match="CSV files are read by smlib.io.load_dataset"):
        connect(tmp_path)
    with pytest.raises(ValueError, match="expected a folder"):
        connect(42)
    with pytest.raises(ValueError, match="unknown table"):
        connect(None, tables={"touches": tmp_path})
    db = tmp_path / "v.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE touchpoints AS SELECT 1 AS x")
        con.execute("CREATE VIEW opportunities AS SELECT 1 AS x")
    with pytest.raises(ValueError, match="a view"):
        connect(db)
    (tmp_path / "fake.duckdb").write_text("SQLite format 3")
    with pytest.raises(ValueError, match="not a DuckDB database"):
        connect(tmp_path / "fake.duckdb")
    with pytest.raises(ValueError, match="positive, finite"):
        ibis_journeys(write(tmp_path / "ok", *hand_case()), lookback_days=0)


def test_load_dataset_reads_connections_like_files(tmp_path: Path) -> None:
    tp, op = random_case(12, n_accounts=30)
    flat = write(tmp_path / "flat", tp, op)
    ref = load_dataset(flat)
    hive = tmp_path / "hive"
    (hive / "touchpoints").mkdir(parents=True)
    (hive / "opportunities").mkdir(parents=True)
    ref.touchpoints.to_parquet(hive / "touchpoints" / "a.parquet")
    ref.opportunities.to_parquet(hive / "opportunities" / "b.parquet")
    for target in (hive, connect(flat), f"duckdb:///{_duckdb_copy(tmp_path, flat)}"):
        ds = load_dataset(target)
        for table in ("touchpoints", "opportunities"):
            pd.testing.assert_frame_equal(getattr(ds, table), getattr(ref, table))
        assert ds.missing == ref.missing == ("spend", "units", "accounts")
        assert ds.spend.empty and list(ds.spend.columns) == list(ref.spend.columns)
    bad = ref.touchpoints.copy()
    bad.loc[1, "team"] = "growth"
    bad.to_parquet(hive / "touchpoints" / "a.parquet")
    with pytest.raises(DataValidationError, match="team"):
        load_dataset(hive)
    ds = load_dataset(hive, on_invalid="drop")
    assert len(ds.touchpoints) == len(ref.touchpoints) - 1 and ds.dropped


def _duckdb_copy(tmp_path: Path, flat: Path) -> Path:
    db = tmp_path / "copy.duckdb"
    with duckdb.connect(str(db)) as con:
        for t in ("touchpoints", "opportunities"):
            con.execute(f"CREATE TABLE {t} AS SELECT * FROM read_parquet('{flat / (t + '.parquet')}')")
    return db


# --------------------------------------------------------------------------------------------
# sufficient statistics and the models
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def random_journeys(tmp_path_factory: pytest.TempPathFactory):
    tp, op = random_case(21, n_accounts=120)
    folder = write(tmp_path_factory.mktemp("engine_stats"), tp, op)
    return ibis_journeys(folder), build_journeys(tp, op)


@pytest.mark.parametrize("model", RULE_MODELS)
def test_rule_credit_on_engine_equals_rule_models(random_journeys, model: str) -> None:
    ej, ref = random_journeys
    got, want = rule_credit(ej, model), getattr(rules, model)(ref.touches)
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-10, check_dtype=False)
    assert got["conversions"].sum() == pytest.approx(ref.paths["total_conversions"].sum())


def test_rule_credit_parameters_and_errors(random_journeys) -> None:
    ej, ref = random_journeys
    pd.testing.assert_frame_equal(
        rule_credit(ej, "position_based", first=0.3, middle=0.5, last=0.2),
        rules.position_based(ref.touches, first=0.3, middle=0.5, last=0.2), rtol=1e-10,
        check_dtype=False)
    pd.testing.assert_frame_equal(rule_credit(ej, "time_decay", half_life_days=2.5),
                                  rules.time_decay(ref.touches, half_life_days=2.5), rtol=1e-10,
                                  check_dtype=False)
    pd.testing.assert_frame_equal(rule_credit(ej, "last_non_direct", direct=("email", "direct")),
                                  rules.last_non_direct(ref.touches, direct=("email", "direct")),
                                  rtol=1e-10, check_dtype=False)
    with pytest.raises(ValueError, match="sum to"):
        rule_credit(ej, "w_shaped", rest=0.5)
    with pytest.raises(ValueError, match="unknown rule model"):
        rule_credit(ej, "markov")
    with pytest.raises(ValueError, match="EngineJourneys"):
        rule_credit(ref, "linear")


def _walks(paths: pd.DataFrame, order: int, collapse: bool) -> dict:
    """Markov transition counts from the path table, as plain loops (ChannelAttribution states)."""
    out: dict = {}
    for row in paths.itertuples():
        ch = row.path.split(" > ")
        states = ([" > ".join(ch)] if len(ch) < order else
                  [" > ".join(ch[i:i + order]) for i in range(len(ch) - order + 1)])
        if collapse:
            states = [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]]
        seq = ["(start)", *states]
        for end, n, v in (("(conversion)", row.total_conversions, row.total_conversion_value),
                          ("(null)", row.total_null, 0.0)):
            if n:
                for a, b in zip(seq, [*seq[1:], end]):
                    c, val = out.get((a, b), (0, 0.0))
                    out[(a, b)] = (c + n, val + (v if b == "(conversion)" else 0.0))
    return out


@pytest.mark.parametrize(("order", "collapse"), [(1, True), (1, False), (2, True), (3, False)])
def test_transition_counts_match_path_table_walks(random_journeys, order: int, collapse: bool) -> None:
    ej, ref = random_journeys
    got = transition_counts(ej, order, collapse)
    want = _walks(ref.paths, order, collapse)
    assert {(a, b): c for a, b, c in zip(got.from_state, got.to_state, got["count"])} == \
        {k: v[0] for k, v in want.items()}
    got_v = {(a, b): v for a, b, v in zip(got.from_state, got.to_state, got["value"])}
    assert got_v == pytest.approx({k: v[1] for k, v in want.items()})
    with pytest.raises(ValueError, match="positive integer"):
        transition_counts(ej, 0)


def test_channel_sets_and_exposures_match_path_table(random_journeys) -> None:
    ej, ref = random_journeys
    sets = channel_set_counts(ej)
    want: dict = {}
    for row in ref.journeys.itertuples():
        key = tuple(sorted(set(row.path.split(" > "))))
        n, c, v = want.get(key, (0, 0, 0.0))
        want[key] = (n + 1, c + int(row.converted), v + row.conversion_value)
    got = {r.channels: (r.journeys, r.conversions, r.value) for r in sets.itertuples()}
    assert got.keys() == want.keys()
    for k in want:
        assert got[k][:2] == want[k][:2] and got[k][2] == pytest.approx(want[k][2])
    assert all(sum(1 << ej.channels.index(c) for c in r.channels) == r.mask for r in sets.itertuples())
    ex = exposure_summary(ej)
    parsed = parse_paths(ref.journeys[["path"]].assign(total_conversions=ref.journeys["converted"].astype(int),
                                                        total_conversion_value=ref.journeys["conversion_value"],
                                                        total_null=(~ref.journeys["converted"]).astype(int)))
    assert ex["journeys"].sum() == len(ref.journeys)
    assert ex["conversions"].sum() == ref.journeys["converted"].sum()
    counts = ex[list(ej.channels)].mul(ex["journeys"], axis=0).sum()
    touch_counts = ref.touches["channel"].value_counts().reindex(list(ej.channels), fill_value=0)
    assert counts.tolist() == touch_counts.tolist()
    assert parsed.n_channels == len(ej.channels)


def test_engine_parsed_paths_equal_parsing_the_path_table(random_journeys, tmp_path: Path) -> None:
    ej, _ = random_journeys
    want = parse_paths(ej.paths)
    for got in (engine_parsed_paths(ej), parse_paths(ej.paths.sample(frac=1.0, random_state=3))):
        assert got.channels == want.channels
        for name in ("indptr", "indices", "conversions", "value", "nulls", "paths"):
            a, b = getattr(got, name), getattr(want, name)
            assert a.dtype == b.dtype and np.array_equal(a, b), name
    indptr, indices = ej.path_codes()
    assert decode_words(np.zeros((1, 1), np.int64), ej.channels) == [""]
    assert " > ".join(ej.channels[c] for c in indices[indptr[3]:indptr[4]]) == ej.paths["path"][3]
    # names the string parser would change (surrounding blanks are trimmed): it parses them
    tp, op = split_case()
    tp, op = schemas.validate(tp, "touchpoints"), schemas.validate(op, "opportunities")
    tp.loc[tp["channel"] == "email", "channel"] = " email"
    spaced = ibis_journeys(write(tmp_path, tp, op, validate=False))
    assert " email" in spaced.channels
    got = engine_parsed_paths(spaced)
    assert "email" in got.channels and got.channels == parse_paths(spaced.paths).channels
    with pytest.raises(ValueError, match="EngineJourneys"):
        engine_parsed_paths(build_journeys(*split_case()))
    with pytest.raises(ValueError, match="ParsedPaths"):
        engine_credit(ej, ["shapley"], parsed=ej.paths)


def test_engine_credit_equals_every_registered_model(random_journeys) -> None:
    ej, ref = random_journeys
    credit = engine_credit(ej)
    assert list(credit) == list(MODELS)
    again = engine_credit(ej, ["shapley"], parsed=engine_parsed_paths(ej))["shapley"]
    pd.testing.assert_frame_equal(again, credit["shapley"])
    for name, spec in MODELS.items():
        data = ref.touches if spec.needs_journeys else ref.paths
        want = spec.credit(data)
        pd.testing.assert_frame_equal(credit[name][list(want.columns)], want, check_exact=False,
                                      rtol=1e-8, check_dtype=False, obj=name)
    with pytest.raises(ValueError, match="unknown model"):
        engine_credit(ej, ["nope"])
    with pytest.raises(ValueError, match="EngineJourneys"):
        engine_credit(ref)


def test_source_reports_what_it_read(tmp_path: Path) -> None:
    src = io.connect(write(tmp_path, *hand_case()))  # smlib.io's entry point to the engines
    assert isinstance(src, Source) and src.engine == "duckdb" and connect(src) is src
    assert src.has("touchpoints") and not src.has("spend")
    assert src.label("touchpoints") == str(tmp_path / "touchpoints.parquet")
    with pytest.raises(ValueError, match="no table 'spend'"):
        src.table("spend")
    df = src.to_pandas("touchpoints")
    assert len(df) == 8 and "_row" not in df.columns


def test_report_data_path_takes_connections_and_parquet_folders(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """runner.resolve_data_path leaves connection strings alone and makes a Parquet folder
    (one sub-folder per table) absolute; the report's loader and fingerprint then read it."""
    from smlib.report import provenance, runner

    for url in ("duckdb:///data/crm.duckdb", "bigquery://project/dataset", "snowflake://u@acct/db/sc",
                "pyspark://"):
        assert runner.resolve_data_path(url, tmp_path) == url
    tp, op = random_case(12, n_accounts=30)
    ref = load_dataset(write(tmp_path / "flat", tp, op))
    hive = tmp_path / "lake"
    for table in ("touchpoints", "opportunities"):
        (hive / table).mkdir(parents=True)
        getattr(ref, table).to_parquet(hive / table / "part-0.parquet")  # same name in both
    monkeypatch.chdir(tmp_path)
    path = runner.resolve_data_path("lake")
    assert path == str(hive.resolve())
    info = provenance.describe_dataset(path)
    assert set(info["tables"]) >= {"touchpoints", "opportunities"}
    assert sorted(info["files"]) == ["opportunities/part-0.parquet", "touchpoints/part-0.parquet"]
    pd.testing.assert_frame_equal(load_dataset(path).touchpoints, ref.touchpoints)
    # a duckdb:/// URL as data_path: the batch's fingerprint step reads it (no Path() folding)
    db = tmp_path / "crm.duckdb"
    with duckdb.connect(str(db)) as con:
        for table in ("touchpoints", "opportunities"):
            con.register("frame", getattr(ref, table))
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM frame")
    url = runner.resolve_data_path(f"duckdb:///{db}")
    info = runner._describe_data(url, {})
    assert info["path"] == url and set(info["tables"]) >= {"touchpoints", "opportunities"}


def test_is_url_tells_connection_strings_from_paths() -> None:
    from smlib.engine.source import is_url
    for url in ("duckdb:///data/crm.duckdb", "bigquery://p/d", "pyspark://", "snowflake+x://a"):
        assert is_url(url)
    for not_url in ("data/export", "/abs/crm.duckdb", "C:\\data", "weird:/x", "://x", None, 3):
        assert not is_url(not_url)
