"""Journeys from the touch log (smlib.journeys): hand cases, a pure-Python reference, invariances."""

from __future__ import annotations

import bisect
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from smlib import config, schemas
from smlib.io import DataValidationError
from smlib.journeys import build_journeys, build_journeys_from_files, journey_mix

TP_COLS = ["account_id", "timestamp", "channel", "team", "touch_type", "cost"]
OPP_COLS = ["opportunity_id", "account_id", "lead_at", "mql_at", "sql_at", "opportunity_at",
            "closed_at", "outcome", "revenue", "gross_margin"]


def touches(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=TP_COLS)


def opps(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=OPP_COLS)


def hand_case() -> tuple[pd.DataFrame, pd.DataFrame]:
    tp = touches(
        ("A", "2024-01-01", "paid_search", "marketing", "click", 1.0),
        ("A", "2024-01-10", "webinar", "marketing", "attend", 2.0),
        ("A", "2024-01-20", "demo", "sales", "meeting", 0.0),
        ("A", "2024-02-01", "email", "marketing", "open", 0.0),      # after A's conversion: tail
        ("B", "2023-06-01", "email", "marketing", "open", 0.0),      # > 90 d before B's close
        ("B", "2024-01-05", "sdr_call", "sales", "call", 5.0),
        ("B", "2024-01-05", "email", "marketing", "open", 0.0),      # tie: email sorts first
        ("C", "2024-01-05", "sdr_call", "sales", "call", 5.0),
    )
    op = opps(
        ("O1", "A", "2024-01-10", None, "2024-01-15", "2024-01-18", "2024-01-25", "won", 100.0, .8),
        ("O2", "B", "2024-01-01", None, "2024-01-02", "2024-01-03", "2024-01-06", "won", 50.0, .8),
        ("O3", "C", "2024-01-06", None, None, None, None, "open", 0.0, .8),
    )
    return tp, op


def test_hand_case_exact() -> None:
    j = build_journeys(*hand_case())
    assert j.paths.to_dict("list") == {
        "path": ["email", "email > sdr_call", "paid_search > webinar > demo", "sdr_call"],
        "total_conversions": [0, 1, 1, 0],
        "total_conversion_value": [0.0, 50.0, 100.0, 0.0],
        "total_null": [1, 0, 0, 1],
    }
    jr = j.journeys
    assert jr["journey_id"].tolist() == [0, 1, 2, 3]
    assert jr["account_id"].tolist() == ["A", "A", "B", "C"]
    assert jr["converted"].tolist() == [True, False, True, False]
    assert jr["journey_type"].tolist() == ["mixed", "marketing_only", "mixed", "sales_only"]
    assert jr["n_touches"].tolist() == [3, 1, 2, 1]
    assert jr["conversion_at"][0] == pd.Timestamp("2024-01-25", tz="UTC")
    assert jr["opportunity_id"].tolist()[0] == "O1" and jr["opportunity_id"].tolist()[3] == "O3"
    t = j.touches
    flags = t[["journey_id", "position", "channel", "is_first_touch", "is_lead_creation",
               "is_opp_creation", "is_closed_won"]].to_records(index=False).tolist()
    assert flags == [
        (0, 0, "paid_search", True, False, False, False),
        (0, 1, "webinar", False, True, True, False),   # lead 01-10 and opp 01-18 -> webinar
        (0, 2, "demo", False, False, False, True),
        (1, 0, "email", True, False, False, False),    # tail without a lead: no milestones
        (2, 0, "email", True, True, True, False),      # lead/opp before first kept touch -> first
        (2, 1, "sdr_call", False, False, False, True),
        (3, 0, "sdr_call", True, True, False, False),  # open lead after the touch; no opp yet
    ]
    assert str(t["timestamp"].dtype) == "datetime64[us, UTC]"
    assert t["cost"].tolist() == [1.0, 2.0, 0.0, 0.0, 0.0, 5.0, 5.0]
    assert j.stats == {"touches_in": 8, "touches_kept": 7, "touches_outside_lookback": 1,
                       "conversions": 2, "conversions_without_touches": 0, "journeys": 4,
                       "converting_journeys": 2}


def test_split_at_each_conversion_and_touch_at_close_counts_before() -> None:
    tp = touches(
        ("A", "2024-01-01", "email", "marketing", "open", 0.0),
        ("A", "2024-01-10", "demo", "sales", "meeting", 0.0),       # at close 1 -> journey 1
        ("A", "2024-01-11", "webinar", "marketing", "attend", 0.0),
        ("A", "2024-02-01", "proposal", "sales", "send", 0.0),
        ("A", "2024-03-01", "email", "marketing", "open", 0.0),
    )
    op = opps(
        ("O1", "A", "2024-01-01", None, "2024-01-02", "2024-01-03", "2024-01-10", "won", 10.0, .5),
        ("O2", "A", "2024-01-11", None, "2024-01-12", "2024-01-13", "2024-02-05", "won", 20.0, .5),
    )
    jr = build_journeys(tp, op).journeys
    assert jr["path"].tolist() == ["email > demo", "webinar > proposal", "email"]
    assert jr["converted"].tolist() == [True, True, False]
    assert jr["conversion_value"].tolist() == [10.0, 20.0, 0.0]


def test_lookback_boundaries() -> None:
    close = pd.Timestamp("2024-06-01", tz="UTC")
    tp = touches(
        ("A", close - pd.Timedelta(days=30), "email", "marketing", "open", 0.0),
        ("A", close - pd.Timedelta(days=30, microseconds=1), "webinar", "marketing", "x", 0.0),
        ("A", close, "demo", "sales", "meeting", 0.0),
        # non-converting account: window ends at its last touch
        ("B", "2024-01-01", "email", "marketing", "open", 0.0),
        ("B", "2024-01-31", "sdr_call", "sales", "call", 0.0),
        ("B", "2024-03-01", "demo", "sales", "meeting", 0.0),
    )
    op = opps(("O1", "A", "2024-05-01", None, "2024-05-02", "2024-05-03", close, "won", 1.0, .5))
    j = build_journeys(tp, op, lookback_days=30)
    assert j.journeys["path"].tolist() == ["email > demo", "sdr_call > demo"]
    assert j.stats["touches_outside_lookback"] == 2
    j_half = build_journeys(tp, op, lookback_days=29.5)  # fractional days are allowed
    assert j_half.journeys["path"].tolist() == ["demo", "demo"]  # 2024-01-31 -> 03-01 is 30 d


def test_same_instant_wins_merge_and_conversions_without_touches() -> None:
    tp = touches(("A", "2024-01-01", "email", "marketing", "open", 0.0))
    op = opps(
        ("O1", "A", "2023-12-20", None, "2023-12-21", "2023-12-22", "2024-01-05", "won", 10.0, .5),
        ("O2", "A", "2023-12-25", None, "2023-12-26", "2023-12-27", "2024-01-05", "won", 5.0, .5),
        ("O3", "Z", "2023-12-25", None, "2023-12-26", "2023-12-27", "2024-01-05", "won", 7.0, .5),
    )
    j = build_journeys(tp, op)
    assert j.paths["total_conversions"].tolist() == [1]
    assert j.paths["total_conversion_value"].tolist() == [15.0]
    assert j.journeys["opportunity_id"].tolist() == ["O1"]
    assert j.stats["conversions"] == 2 and j.stats["conversions_without_touches"] == 1


# --------------------------------------------------------------------------------------------
# A direct, slow, obviously-correct reference on random data
# --------------------------------------------------------------------------------------------
def random_case(seed: int, n_accounts: int = 40) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    channels = [(c, "marketing") for c in config.MARKETING_CHANNELS] + [
        (c, "sales") for c in config.SALES_CHANNELS]
    start = pd.Timestamp("2023-01-01", tz="UTC")
    tp_rows, opp_rows = [], []
    for a in range(n_accounts):
        acc = f"A{a:03d}"
        for _ in range(rng.integers(0, 14)):
            ch, team = channels[rng.integers(len(channels))]
            day = int(rng.integers(0, 365))  # whole days: many ties
            tp_rows.append((acc, start + pd.Timedelta(days=day), ch, team,
                            str(rng.choice(["a", "b"])), float(rng.integers(0, 50))))
        for k in range(rng.integers(0, 4)):
            lead = start + pd.Timedelta(days=int(rng.integers(0, 330)))
            sql = lead + pd.Timedelta(days=int(rng.integers(0, 5)))
            opp_at = sql + pd.Timedelta(days=int(rng.integers(0, 10)))
            closed = opp_at + pd.Timedelta(days=int(rng.integers(0, 60)))
            outcome = str(rng.choice(["won", "won", "lost", "open"]))
            if k == 1 and rng.random() < 0.3 and opp_rows and opp_rows[-1][1] == acc:
                closed, outcome = opp_rows[-1][6], "won"  # same-instant wins happen
                closed = closed if closed is not None else opp_at
                if closed < opp_at:
                    lead = sql = opp_at = closed
            opp_rows.append((f"O{a:03d}{k}", acc, lead, None, sql, opp_at,
                             None if outcome == "open" else closed, outcome,
                             0.0 if outcome == "lost" else float(rng.integers(1, 100)), 0.7))
    tp = pd.DataFrame(tp_rows, columns=TP_COLS).drop_duplicates(
        ["account_id", "timestamp", "channel", "touch_type"], ignore_index=True)
    return tp, pd.DataFrame(opp_rows, columns=OPP_COLS)


def reference(tp: pd.DataFrame, op: pd.DataFrame, lookback_days: float) -> list[dict]:
    """The conventions of smlib.journeys written as plain loops."""
    tp, op = schemas.validate(tp, "touchpoints"), schemas.validate(op, "opportunities")
    lb = pd.Timedelta(days=lookback_days)
    won = op[op["outcome"] == "won"]
    conv = {}
    for (acc, at), g in won.groupby(["account_id", "closed_at"]):
        conv[(acc, at)] = (g["revenue"].sum(), g["lead_at"].min(), g["opportunity_at"].min())
    out = []
    for acc in sorted(set(tp["account_id"])):
        g = tp[tp["account_id"] == acc].sort_values(["timestamp", "channel", "touch_type", "team"])
        times = sorted(at for (a, at) in conv if a == acc)
        segments: dict = {}
        for row in g.itertuples():
            i = bisect.bisect_left(times, row.timestamp)
            segments.setdefault(times[i] if i < len(times) else None, []).append(row)
        keys = sorted((k for k in segments if k is not None)) + ([None] if None in segments else [])
        for key in keys:
            rows = segments[key]
            end = key if key is not None else rows[-1].timestamp
            rows = [r for r in rows if r.timestamp >= end - lb]
            if not rows:
                continue
            if key is not None:
                value, lead, opp_at = conv[(acc, key)]
            else:
                value, lead, opp_at = 0.0, pd.NaT, pd.NaT
                later = op[(op["account_id"] == acc) & (op["outcome"] != "won")]
                if times:
                    later = later[later["lead_at"] > times[-1]]
                if len(later):
                    first = later.sort_values(["lead_at", "opportunity_id"]).iloc[0]
                    lead, opp_at = first["lead_at"], first["opportunity_at"]

            def milestone(t: pd.Timestamp) -> int | None:
                if pd.isna(t):
                    return None
                before = [p for p, r in enumerate(rows) if r.timestamp <= t]
                return before[-1] if before else 0

            teams = {r.team for r in rows}
            out.append({
                "account_id": acc, "path": " > ".join(r.channel for r in rows),
                "converted": key is not None, "conversion_value": float(value),
                "journey_type": "mixed" if len(teams) == 2 else f"{teams.pop()}_only",
                "lc": milestone(lead), "oc": milestone(opp_at),
                "cw": len(rows) - 1 if key is not None else None,
            })
    return out


def summarise(j) -> list[dict]:
    t = j.touches
    out = []
    for jid, row in j.journeys.set_index("journey_id").iterrows():
        tt = t[t["journey_id"] == jid]

        def pos(flag: str) -> int | None:
            hit = tt.loc[tt[flag], "position"].tolist()
            assert len(hit) <= 1
            return hit[0] if hit else None

        assert tt["position"].tolist() == list(range(len(tt)))
        assert pos("is_first_touch") == 0
        out.append({"account_id": row["account_id"], "path": row["path"],
                    "converted": bool(row["converted"]),
                    "conversion_value": float(row["conversion_value"]),
                    "journey_type": row["journey_type"], "lc": pos("is_lead_creation"),
                    "oc": pos("is_opp_creation"), "cw": pos("is_closed_won")})
    return out


@pytest.mark.parametrize(("seed", "lookback"), [(1, 90), (2, 30), (3, 365), (4, 7.5)])
def test_matches_plain_python_reference(seed: int, lookback: float) -> None:
    tp, op = random_case(seed)
    expected = reference(tp, op, lookback)
    got = summarise(build_journeys(tp, op, lookback_days=lookback))
    assert got == expected
    assert len(got) > 20 and any(r["converted"] for r in got) and any(not r["converted"] for r in got)


def test_row_order_does_not_matter() -> None:
    tp, op = random_case(5, n_accounts=80)
    a = build_journeys(tp, op)
    b = build_journeys(tp.sample(frac=1, random_state=1), op.sample(frac=1, random_state=2))
    for name in ("paths", "journeys", "touches"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def test_paths_add_up_to_journeys() -> None:
    tp, op = random_case(6, n_accounts=80)
    j = build_journeys(tp, op)
    p, jr = j.paths, j.journeys
    assert p["path"].is_unique
    assert p["total_conversions"].sum() == jr["converted"].sum() == j.stats["converting_journeys"]
    assert p["total_null"].sum() == (~jr["converted"]).sum()
    assert p["total_conversion_value"].sum() == pytest.approx(jr["conversion_value"].sum())
    assert jr["n_touches"].sum() == len(j.touches) == j.stats["touches_kept"]
    assert (j.touches.groupby("journey_id")["is_closed_won"].sum() == jr["converted"].astype(int)).all()
    for flag in ("is_first_touch", "is_lead_creation", "is_opp_creation", "is_closed_won"):
        assert j.touches.groupby("journey_id")[flag].sum().max() <= 1


# --------------------------------------------------------------------------------------------
# Files route, connection reuse, options, errors
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["parquet", "duckdb", "csv"])
def test_files_route_matches_dataframe_route(tmp_path: Path, fmt: str) -> None:
    tp, op = random_case(7)
    tpv, opv = schemas.validate(tp, "touchpoints"), schemas.validate(op, "opportunities")
    if fmt == "parquet":
        tpv.to_parquet(tmp_path / "touchpoints.parquet")
        opv.to_parquet(tmp_path / "opportunities.parquet")
        path = tmp_path
    elif fmt == "csv":
        tp.to_csv(tmp_path / "touchpoints.csv", index=False)
        op.to_csv(tmp_path / "opportunities.csv", index=False)
        path = tmp_path
    else:
        path = tmp_path / "d.duckdb"
        with duckdb.connect(str(path)) as con:
            con.register("a", tpv)
            con.register("b", opv)
            con.execute("CREATE TABLE touchpoints AS SELECT * FROM a")
            con.execute("CREATE TABLE opportunities AS SELECT * FROM b")
    a = build_journeys(tp, op)
    b = build_journeys_from_files(path)
    for name in ("paths", "journeys", "touches"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def test_files_route_errors_name_file_column_and_row(tmp_path: Path) -> None:
    tp, op = random_case(8)
    tpv = schemas.validate(tp, "touchpoints")
    bad = tpv.copy()
    bad.loc[[3, 10], "cost"] = [-2.0, -7.0]
    bad.loc[5, "channel"] = "a>b"
    bad.to_parquet(tmp_path / "touchpoints.parquet")
    schemas.validate(op, "opportunities").to_parquet(tmp_path / "opportunities.parquet")
    with pytest.raises(DataValidationError) as info:
        build_journeys_from_files(tmp_path)
    msg = str(info.value)
    f = tmp_path / "touchpoints.parquet"
    assert f"{f}: column 'cost', rows 4, 11: expected cost >= 0 (a finite number), got -2.0, -7.0" in msg
    assert f"{f}: column 'channel', row 6: expected a channel name without '>'" in msg
    pd.concat([tpv, tpv.iloc[[2]]]).to_parquet(f)
    with pytest.raises(DataValidationError, match=r"columns \(account_id, timestamp, channel, "
                                                  rf"touch_type\), row {len(tpv) + 1}: expected unique"):
        build_journeys_from_files(tmp_path)
    tpv.drop(columns=["team"]).to_parquet(f)
    with pytest.raises(DataValidationError, match="column 'team': expected a required column"):
        build_journeys_from_files(tmp_path)
    tpv.astype({"timestamp": "str"}).to_parquet(f)
    with pytest.raises(DataValidationError, match="expected a timestamp column"):
        build_journeys_from_files(tmp_path)


def test_dataframe_input_is_validated() -> None:
    tp, op = hand_case()
    tp.loc[0, "team"] = "growth"
    with pytest.raises(DataValidationError, match="column 'team', row 1: expected one of"):
        build_journeys(tp, op)
    with pytest.raises(TypeError, match="build_journeys_from_files"):
        build_journeys("data/", op)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -3, float("nan"), float("inf"), "90", True])
def test_bad_lookback(bad: object) -> None:
    with pytest.raises(ValueError, match="lookback_days must be"):
        build_journeys(*hand_case(), lookback_days=bad)  # type: ignore[arg-type]


def test_shared_connection_keeps_results_apart(tmp_path: Path) -> None:
    con = duckdb.connect()
    a = build_journeys(*hand_case(), con=con)
    b = build_journeys(*hand_case(), lookback_days=1000, con=con)
    assert len(a.touches) == 7 and len(b.touches) == 8
    assert set(a.tables.values()).isdisjoint(b.tables.values())
    files = a.write(tmp_path / "out")
    pd.testing.assert_frame_equal(pd.read_parquet(files["paths"]), a.paths)
    helper = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '%_kept'").fetchone()
    assert helper == (0,)


def test_missing_cost_gives_nan_cost() -> None:
    tp, op = hand_case()
    t = build_journeys(tp.drop(columns=["cost"]), op).touches
    assert t["cost"].isna().all()


def test_journey_mix_counts_rates_and_wilson_intervals() -> None:
    jr = pd.DataFrame({
        "journey_type": ["mixed"] * 4 + ["marketing_only"] * 2,
        "converted": [True, True, False, True, False, True],
        "conversion_value": [10.0, 20.0, 0.0, 5.0, 0.0, 1.0],
        "n_touches": [3, 5, 2, 4, 1, 1],
    })
    mix = journey_mix(jr).set_index("journey_type")
    assert mix.index.tolist() == ["marketing_only", "sales_only", "mixed"]
    assert mix["journeys"].tolist() == [2, 0, 4]
    assert mix["share"].tolist() == pytest.approx([1 / 3, 0.0, 2 / 3])
    assert mix.loc["mixed", "conversion_rate"] == 0.75
    lo, hi = proportion_confint(3, 4, method="wilson")
    assert (mix.loc["mixed", "ci_low"], mix.loc["mixed", "ci_high"]) == pytest.approx((lo, hi))
    assert np.isnan(mix.loc["sales_only", "conversion_rate"])
    assert mix.loc["mixed", "revenue"] == 35.0 and mix.loc["mixed", "mean_touches"] == 3.5
    with pytest.raises(ValueError, match="column 'journey_type' has values"):
        journey_mix(jr.assign(journey_type="both"))
    with pytest.raises(ValueError, match="missing column"):
        journey_mix(jr.drop(columns=["n_touches"]))


def test_simulated_dataset_round_trip_and_journeys(tmp_path: Path) -> None:
    """The simulator's tables pass the contract after a Parquet round trip, and every won deal is
    either a converting journey or counted as a conversion without touches."""
    simulate = pytest.importorskip("smlib.simulate").simulate
    from smlib.io import load_dataset

    sim = simulate(seed=11, n_accounts=1500, n_units=6, n_periods=12)
    sim.write(tmp_path)
    ds = load_dataset(tmp_path)
    for name in config.TABLES:
        assert len(ds.table(name)) == len(getattr(sim, name))
    j = build_journeys(ds.touchpoints, ds.opportunities, validate_input=False)
    won = ds.opportunities[ds.opportunities["outcome"] == "won"]
    n_conv = len(won.drop_duplicates(["account_id", "closed_at"]))
    assert j.stats["conversions"] == n_conv
    assert j.paths["total_conversions"].sum() + j.stats["conversions_without_touches"] == n_conv
    assert j.paths["total_conversion_value"].sum() <= won["revenue"].sum() + 1e-6
    assert set(j.touches["channel"]) <= set(config.MARKETING_CHANNELS + config.SALES_CHANNELS)


def test_merge_channels_renames_groups_and_keeps_one_team() -> None:
    from smlib.journeys import merge_channels

    tp = pd.DataFrame({"account_id": ["a"] * 4, "channel": ["demo", "demo_followup", "email", "demo"],
                       "team": ["sales", "marketing", "marketing", "sales"]})
    out = merge_channels(tp, [("demo_followup", "demo")])
    assert out["channel"].tolist() == ["demo + demo_followup"] * 2 + ["email", "demo + demo_followup"]
    assert out.loc[out["channel"] == "demo + demo_followup", "team"].unique().tolist() == ["sales"]
    assert tp["channel"].tolist()[1] == "demo_followup"  # the input is not changed
    assert merge_channels(tp, []) is tp
    with pytest.raises(ValueError, match="two groups"):
        merge_channels(tp, [("demo", "email"), ("demo", "demo_followup")])
    with pytest.raises(ValueError, match="two or more"):
        merge_channels(tp, [("demo",)])
