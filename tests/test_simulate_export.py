"""Tests of smlib.simulate.export: realistic CRM export shapes built from the simulator.

Each option is checked against the same seed without it (the simulation underneath is identical),
each named case against the data contract, and the written files against smlib.io's loader.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smlib import config
from smlib.io import load_table
from smlib.journeys import build_journeys
from smlib.schemas import validate
from smlib.simulate import EXPORT_CASES, export_case, realistic_export, write_export
from smlib.simulate.truth import has_truth

SEED = 5
MONEY = (("touchpoints", "cost"), ("opportunities", "revenue"), ("spend", "cost"), ("units", "revenue"))


@pytest.fixture(scope="module")
def base():
    """All five tables, no option: the reference every option is compared with."""
    return realistic_export(SEED, tables=config.TABLES)


@pytest.fixture(scope="module")
def cases():
    return {name: export_case(name, seed=SEED) for name in EXPORT_CASES}


def _won(op: pd.DataFrame) -> pd.DataFrame:
    return op[op["outcome"] == "won"]


# ---------------------------------------------------------------- every case follows the contract

def test_case_names():
    assert set(EXPORT_CASES) == {
        "minimum", "header_only_optional", "zero_spend", "never_adopt", "all_adopt",
        "adoption_after_end", "single_unit", "zero_revenue_most_wins", "no_lost", "all_lost_closed",
        "channel_everywhere", "channel_only_converting", "twin_channels", "no_opportunities",
        "no_wins", "only_converting", "no_touches", "optional_columns_absent"}
    with pytest.raises(KeyError, match="minimum"):
        export_case("nope")


@pytest.mark.parametrize("name", list(EXPORT_CASES))
def test_case_validates_and_round_trips(name, cases, tmp_path):
    out = cases[name]
    want = EXPORT_CASES[name].get("tables", ("touchpoints", "opportunities"))
    assert list(out) == [t for t in config.TABLES if t in want]
    for table, df in out.items():
        validate(df, table)
    parquet_too = name in ("minimum", "header_only_optional", "single_unit")  # keep the file fast
    for fmt in ("csv", "parquet") if parquet_too else ("csv",):
        folder = write_export(out, tmp_path / fmt, fmt=fmt)
        assert sorted(p.name for p in folder.iterdir()) == sorted(f"{t}.{fmt}" for t in out)
        assert not has_truth(folder)
        for table, df in out.items():
            back = load_table(folder, table)
            assert list(back.columns) == list(df.columns), (fmt, table)
            assert len(back) == len(df), (fmt, table)
            for col in df.columns:  # values survive the file (CSV: text re-parsed by the loader)
                assert _canonical(back[col]) == _canonical(df[col]), (fmt, table, col)


def _canonical(s: pd.Series) -> list[str]:
    """Values as comparable text: floats to 10 significant digits, datetimes as UTC ISO text.

    Extra (non-contract) date columns come back from a CSV as text, which is kept as it is.
    """
    if pd.api.types.is_float_dtype(s.dtype):
        return [f"{v:.10g}" for v in s]
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(s.dtype):
        text = s.dt.strftime("%Y-%m-%dT%H:%M:%S")
        if (s.dropna() == s.dropna().dt.normalize()).all():
            text = s.dt.strftime("%Y-%m-%d")
        return [None if pd.isna(v) else v for v in text]
    return [None if pd.isna(v) else str(v) for v in s]


def test_csv_text_format(base, tmp_path):
    write_export({k: base[k] for k in ("touchpoints", "units", "accounts")}, tmp_path)
    tp = (tmp_path / "touchpoints.csv").read_text().splitlines()
    assert tp[0] == "account_id,timestamp,channel,team,touch_type,cost"
    assert pd.Series(tp[1:]).str.match(r"^A\d{6},\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ,").all()
    units = pd.read_csv(tmp_path / "units.csv", dtype=str)
    assert units["period"].str.fullmatch(r"\d{4}-\d\d-01").all()
    assert units["adoption_period"].dropna().str.fullmatch(r"\d{4}-\d\d-01").all()
    assert set(pd.read_csv(tmp_path / "accounts.csv", dtype=str)["integrated"]) == {"true", "false"}
    with pytest.raises(FileExistsError):
        write_export({"units": base["units"]}, tmp_path, fmt="parquet")
    with pytest.raises(ValueError):
        write_export({"truth": base["units"]}, tmp_path / "x")


def test_no_truth_and_deterministic(base):
    again = realistic_export(SEED, tables=config.TABLES)
    assert set(base) == set(config.TABLES)
    for name in config.TABLES:
        pd.testing.assert_frame_equal(base[name], again[name])
    kw = dict(revenue_tail=1.5, zero_revenue_share=0.3, missing_revenue_share=0.2)
    a, b = realistic_export(SEED, **kw), realistic_export(SEED, **kw)
    pd.testing.assert_frame_equal(a["opportunities"], b["opportunities"])
    other = realistic_export(SEED + 1)
    assert not other["touchpoints"]["timestamp"].equals(base["touchpoints"]["timestamp"])


def test_tables_option_and_argument_errors():
    out = realistic_export(SEED, n_accounts=200, tables=("units", "touchpoints"))
    assert list(out) == ["touchpoints", "units"]
    bad = [dict(tables=("touchpoints", "truth")), dict(tables="touchpoints"), dict(tables=()),
           dict(sales_touches="some"), dict(marketing_touches="last"), dict(adoption="maybe"),
           dict(zero_revenue_share=1.5), dict(missing_revenue_share=-0.1), dict(revenue_tail=0),
           dict(currency_rate=0), dict(truncate_days=-1), dict(truncate_days=10_000),
           dict(adoption="none", true_uplift=0.1), dict(n_units=1, n_cohorts=3), dict(n_units=0)]
    for kw in bad:
        with pytest.raises(ValueError):
            realistic_export(SEED, n_accounts=200, **kw)


# ---------------------------------------------------------------- each option does what it says

def test_won_only_sales_touches(base):
    out = realistic_export(SEED, sales_touches="won_only")
    tp, op = out["touchpoints"], out["opportunities"]
    won_accounts = set(_won(op)["account_id"])
    sales = tp[tp["team"] == "sales"]
    assert len(sales) > 0 and set(sales["account_id"]) <= won_accounts
    full = base["touchpoints"]
    kept_sales = full[(full["team"] == "sales") & full["account_id"].isin(won_accounts)]
    assert len(sales) == len(kept_sales)  # nothing else dropped
    assert (tp["team"] == "marketing").sum() == (full["team"] == "marketing").sum()


def test_first_per_lead_marketing_touches(base):
    out = realistic_export(SEED, marketing_touches="first_per_lead")
    tp, op = out["touchpoints"], out["opportunities"]
    mkt = tp[tp["team"] == "marketing"]
    per_account = mkt.groupby("account_id").size()
    leads = op.groupby("account_id").size()
    assert (per_account <= leads.reindex(per_account.index, fill_value=0)).all()
    assert per_account.max() == 1  # the simulator has one lead per account
    # each kept touch is the account's last marketing touch at or before its lead
    full = base["touchpoints"]
    full_mkt = full[full["team"] == "marketing"].merge(op[["account_id", "lead_at"]], on="account_id")
    expected = (full_mkt[full_mkt["timestamp"] <= full_mkt["lead_at"]]
                .groupby("account_id")["timestamp"].max())
    got = mkt.set_index("account_id")["timestamp"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)
    assert (tp["team"] == "sales").sum() == (full["team"] == "sales").sum()


@pytest.mark.parametrize("share", [0.3, 0.8])
def test_zero_revenue_share(base, share):
    assert (_won(base["opportunities"])["revenue"] > 0).all()
    op = realistic_export(SEED, zero_revenue_share=share)["opportunities"]
    won = _won(op)
    assert (won["revenue"] == 0).sum() == round(share * len(won))
    ref = base["opportunities"]
    open_rev = op.loc[op["outcome"] == "open", "revenue"].to_numpy()
    np.testing.assert_array_equal(open_rev, ref.loc[ref["outcome"] == "open", "revenue"].to_numpy())


def test_missing_revenue_is_zero(base):
    ref = base["opportunities"]
    carries = ref["outcome"].isin(["won", "open"]) & (ref["revenue"] > 0)
    op = realistic_export(SEED, missing_revenue_share=0.25)["opportunities"]
    blank = carries & (op["revenue"] == 0)
    assert blank.sum() == round(0.25 * carries.sum())
    assert op["revenue"].notna().all()
    same = ~blank
    np.testing.assert_array_equal(op.loc[same, "revenue"], ref.loc[same, "revenue"])
    # with zero revenue on wins as well, the two sets do not overlap
    both = realistic_export(SEED, missing_revenue_share=0.25, zero_revenue_share=0.5)["opportunities"]
    n_won = (ref["outcome"] == "won").sum()
    assert (carries & (both["revenue"] == 0)).sum() == round(0.5 * n_won) + round(0.25 * carries.sum())


def test_revenue_tail_keeps_total_and_concentrates_it(base):
    def top1(rev: pd.Series) -> float:
        r = np.sort(rev.to_numpy())[::-1]
        return r[: max(1, int(np.ceil(0.01 * len(r))))].sum() / r.sum()

    ref = base["opportunities"]
    op = realistic_export(SEED, revenue_tail=1.2)["opportunities"]
    pos = ref["revenue"] > 0
    assert ((op["revenue"] > 0) == pos).all()
    assert op["revenue"].sum() == pytest.approx(ref["revenue"].sum(), rel=1e-6)
    # concentration needs enough deals to show: ~1,300 wins
    big = dict(n_accounts=20_000, tables=("opportunities",))
    plain = _won(realistic_export(SEED, **big)["opportunities"])["revenue"]
    heavy = _won(realistic_export(SEED, revenue_tail=1.2, **big)["opportunities"])["revenue"]
    assert heavy.mean() == pytest.approx(plain.mean(), rel=0.15)
    assert top1(plain) < 0.12
    assert top1(heavy) > max(0.2, 2 * top1(plain))


def test_truncate_days(base):
    out = realistic_export(SEED, truncate_days=120, tables=config.TABLES)
    tp, op = out["touchpoints"], out["opportunities"]
    cut = pd.Timestamp(base["units"]["period"].min(), tz="UTC") + pd.Timedelta(days=120)
    assert (tp["timestamp"] >= cut).all() and (op["lead_at"] >= cut).all()
    ref_tp, ref_op = base["touchpoints"], base["opportunities"]
    pd.testing.assert_frame_equal(tp, ref_tp[ref_tp["timestamp"] >= cut].reset_index(drop=True))
    pd.testing.assert_frame_equal(op, ref_op[ref_op["lead_at"] >= cut].reset_index(drop=True))
    # later deals whose earliest touches were cut are kept
    first = ref_tp.groupby("account_id")["timestamp"].min()
    assert (first.reindex(op["account_id"]) < cut).any()
    for name in ("spend", "units", "accounts"):
        pd.testing.assert_frame_equal(out[name], base[name])


def test_adoption_options(base):
    last = base["units"]["period"].max()
    stag = base["units"].groupby("unit_id")["adoption_period"].first()
    assert stag.isna().any() and stag.notna().any() and base["accounts"]["integrated"].any()

    none = realistic_export(SEED, adoption="none", tables=("units", "accounts"))
    assert none["units"]["adoption_period"].isna().all()
    assert not none["accounts"]["integrated"].any()

    every = realistic_export(SEED, adoption="all", tables=("units", "accounts"))
    per_unit = every["units"].groupby("unit_id")["adoption_period"].first()
    assert per_unit.notna().all() and (per_unit <= last).all() and per_unit.nunique() > 1
    assert every["accounts"]["integrated"].any()

    after = realistic_export(SEED, adoption="after_end", tables=("units", "accounts"))
    per_unit = after["units"].groupby("unit_id")["adoption_period"].first()
    assert per_unit.notna().any() and (per_unit.dropna() > last).all()
    assert (per_unit.dropna().dt.day == 1).all()
    assert not after["accounts"]["integrated"].any()
    # after_end and none are the same simulation (no integration effect), labelled differently
    pd.testing.assert_frame_equal(after["units"].drop(columns="adoption_period"),
                                  none["units"].drop(columns="adoption_period"))


def test_single_unit(cases, base):
    out = cases["single_unit"]
    for name in ("units", "accounts", "spend"):
        assert set(out[name]["unit_id"]) == {"U001"}, name
    assert len(out["units"]) == base["units"]["period"].nunique()
    assert out["units"]["adoption_period"].nunique() == 1  # one unit, one adoption date
    assert not out["spend"].duplicated(["period", "channel", "team", "unit_id"]).any()
    assert out["accounts"]["integrated"].any() and not out["accounts"]["integrated"].all()


def test_currency_rate_scales_money(base):
    out = realistic_export(SEED, currency_rate=150.0, tables=config.TABLES)
    for name, col in MONEY:
        np.testing.assert_allclose(out[name][col], base[name][col] * 150.0, rtol=1e-12)
        pd.testing.assert_frame_equal(out[name].drop(columns=col), base[name].drop(columns=col))
    pd.testing.assert_frame_equal(out["accounts"], base["accounts"])


# ---------------------------------------------------------------- the named shapes

def test_minimum_case(cases):
    out = cases["minimum"]
    tp, op = out["touchpoints"], out["opportunities"]
    assert set(tp.loc[tp["team"] == "sales", "account_id"]) <= set(_won(op)["account_id"])
    assert tp[tp["team"] == "marketing"].groupby("account_id").size().max() == 1
    assert (_won(op)["revenue"] == 0).mean() > 0.5
    assert (tp["timestamp"] >= pd.Timestamp("2022-01-01", tz="UTC") + pd.Timedelta(days=90)).all()
    assert (op["lead_at"] >= pd.Timestamp("2022-01-01", tz="UTC") + pd.Timedelta(days=90)).all()


def test_header_and_zero_spend_cases(cases):
    for name in ("spend", "units", "accounts"):
        df = cases["header_only_optional"][name]
        assert len(df) == 0 and list(df.columns) == list(cases["zero_spend"][name].columns)
    assert len(cases["header_only_optional"]["touchpoints"]) > 0
    assert (cases["zero_spend"]["spend"]["cost"] == 0).all() and len(cases["zero_spend"]["spend"])
    assert (cases["zero_spend"]["touchpoints"]["cost"] == 0).all()
    won = _won(cases["zero_revenue_most_wins"]["opportunities"])
    assert (won["revenue"] == 0).sum() == round(0.8 * len(won))


def test_adoption_cases(cases):
    assert cases["never_adopt"]["units"]["adoption_period"].isna().all()
    assert cases["all_adopt"]["units"]["adoption_period"].notna().all()
    after = cases["adoption_after_end"]["units"]
    assert (after["adoption_period"].dropna() > after["period"].max()).all()


def test_lost_cases(cases):
    op = cases["no_lost"]["opportunities"]
    assert set(op["outcome"]) == {"won", "open"}
    op = cases["all_lost_closed"]["opportunities"]
    lost = op[op["outcome"] == "lost"]
    assert len(lost) > 0 and lost["opportunity_at"].isna().all()
    closed_opps = op[op["opportunity_at"].notna() & op["closed_at"].notna()]
    assert len(closed_opps) > 0 and (closed_opps["outcome"] == "won").all()


def _journeys(out):
    return build_journeys(out["touchpoints"], out["opportunities"]).journeys


def test_channel_everywhere(cases):
    j = _journeys(cases["channel_everywhere"])
    assert len(j) > 0 and j["path"].str.split(" > ").map(lambda p: "website_visit" in p).all()
    tp = cases["channel_everywhere"]["touchpoints"]
    first = tp.sort_values(["account_id", "timestamp"]).groupby("account_id").head(1)
    assert (first["channel"] == "website_visit").all() and (first["team"] == "marketing").all()


def test_channel_only_converting(cases):
    j = _journeys(cases["channel_only_converting"])
    has = j["path"].str.split(" > ").map(lambda p: "contract_signature" in p)
    assert j["converted"].any() and (has == j["converted"]).all()
    tp = cases["channel_only_converting"]["touchpoints"]
    assert (tp.loc[tp["channel"] == "contract_signature", "team"] == "sales").all()


def test_twin_channels(cases):
    j = _journeys(cases["twin_channels"])
    steps = j["path"].str.split(" > ")
    demos = steps.map(lambda p: p.count("demo"))
    follow = steps.map(lambda p: p.count("demo_followup"))
    assert demos.sum() > 0 and (demos == follow).all()
    tp = cases["twin_channels"]["touchpoints"]
    d = tp[tp["channel"] == "demo"].sort_values(["account_id", "timestamp"])
    f = tp[tp["channel"] == "demo_followup"].sort_values(["account_id", "timestamp"])
    gap = f["timestamp"].to_numpy() - d["timestamp"].to_numpy()
    assert (gap <= np.timedelta64(1, "h")).all() and (gap > np.timedelta64(0, "s")).mean() > 0.99


def test_cases_that_leave_an_analysis_nothing_to_work_on(cases):
    assert cases["no_opportunities"]["opportunities"].empty
    assert len(cases["no_opportunities"]["touchpoints"])
    assert not cases["no_wins"]["opportunities"]["outcome"].eq("won").any()
    only = cases["only_converting"]
    assert only["opportunities"]["outcome"].eq("won").all()
    assert set(only["touchpoints"]["account_id"]) <= set(only["opportunities"]["account_id"])
    assert cases["no_touches"]["touchpoints"].empty and len(cases["no_touches"]["opportunities"])


def test_optional_columns_absent(cases):
    out = cases["optional_columns_absent"]
    assert "unit_id" not in out["spend"] and "integrated" not in out["accounts"]
    assert "source_team" not in out["opportunities"] and "cost" not in out["touchpoints"]
    assert not out["spend"].duplicated(["period", "channel", "team"]).any()
