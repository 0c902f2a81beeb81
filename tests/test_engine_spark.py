"""Conformance: the whole pipeline on PySpark (local mode) gives what it gives on DuckDB.

Same data, both engines: the journeys, touches and path table are identical, the stats too, the
checks find the same problems, every registered model's credit agrees (integer counts exactly,
money to 1e-9 relative: the engines add floats in different orders), and reports 00's and 03's key
numbers are the same when the dataset is loaded through a Spark session or from the Parquet
folder (tests/test_report_real_exports.py renders every report from a Parquet folder).

Needs Java 17 (``make test`` installs it: the Makefile's ``java`` target). One SparkSession for
the whole test session; the data are small so the module takes well under a minute.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_engine import lookback_case, write
from test_journeys import random_case

from smlib import schemas
from smlib.attribution.registry import MODELS
from smlib.attribution.scale import engine_credit
from smlib.engine.checks import check_source
from smlib.engine.pipeline import ibis_journeys
from smlib.engine.source import connect
from smlib.engine.stats import channel_set_counts, exposure_summary, transition_counts
from smlib.io import DataValidationError, load_dataset
from smlib.journeys import build_journeys

pytestmark = pytest.mark.slow

pyspark = pytest.importorskip("pyspark")


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


@pytest.fixture(scope="session")
def spark():
    if _java() is None:
        pytest.skip("no Java runtime found (java on PATH or JAVA_HOME): PySpark needs Java 17; "
                    "`make java` installs openjdk-17-jre-headless")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("smlib-conformance")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.default.parallelism", "2")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.driver.memory", "1g")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame, pd.DataFrame]:
    tp, op = random_case(31, n_accounts=150)
    ltp, lop = lookback_case()  # microsecond lookback boundary
    ltp["account_id"] = "L" + ltp["account_id"]
    lop["account_id"] = "L" + lop["account_id"]
    lop["opportunity_id"] = "L" + lop["opportunity_id"]
    tp = pd.concat([schemas.validate(tp, "touchpoints"), schemas.validate(ltp, "touchpoints")],
                   ignore_index=True)
    op = pd.concat([schemas.validate(op, "opportunities"), schemas.validate(lop, "opportunities")],
                   ignore_index=True)
    return write(tmp_path_factory.mktemp("conformance"), tp, op), tp, op


@pytest.fixture(scope="module")
def both(spark, data):
    folder, tp, op = data
    duck = ibis_journeys(connect(folder), lookback_days=30)
    spk = ibis_journeys(connect(folder, session=spark), lookback_days=30)
    return duck, spk, build_journeys(tp, op, lookback_days=30)


def test_journeys_touches_paths_identical(both) -> None:
    duck, spk, ref = both
    assert spk.engine == "pyspark" and duck.engine == "duckdb"
    for name in ("paths", "journeys", "touches"):
        pd.testing.assert_frame_equal(getattr(spk, name), getattr(duck, name), check_exact=True)
        pd.testing.assert_frame_equal(getattr(spk, name), getattr(ref, name), check_exact=True)
    assert spk.stats == duck.stats == ref.stats
    assert spk.stats["touches_outside_lookback"] > 0


def test_sufficient_statistics_identical(both) -> None:
    duck, spk, _ = both
    for order in (1, 2):
        pd.testing.assert_frame_equal(transition_counts(spk, order), transition_counts(duck, order),
                                      check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(channel_set_counts(spk), channel_set_counts(duck),
                                  check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(exposure_summary(spk), exposure_summary(duck),
                                  check_exact=False, rtol=1e-12)


def test_every_model_credit_identical(both) -> None:
    duck, spk, _ = both
    a, b = engine_credit(spk), engine_credit(duck)
    assert list(a) == list(b) == list(MODELS)
    for name in MODELS:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=False, rtol=1e-9, obj=name)


def test_checks_find_the_same_problems(spark, data, tmp_path: Path) -> None:
    _, tp, op = data
    bad = tp.copy()
    bad.loc[[3, 10], "cost"] = [-2.0, -7.0]
    bad.loc[5, "channel"] = "a>b"
    bad = pd.concat([bad, bad.iloc[[2]]], ignore_index=True)
    folder = write(tmp_path, bad, op, validate=False)
    messages = {}
    for engine, src in (("duckdb", connect(folder)), ("pyspark", connect(folder, session=spark))):
        with pytest.raises(DataValidationError) as info:
            check_source(src)
        messages[engine] = {(p.column, p.n_rows, p.expected) for p in info.value.problems}
    assert messages["duckdb"] == messages["pyspark"]
    assert ("cost", 2, "cost >= 0 (a finite number)") in messages["pyspark"]


def test_report_key_numbers_identical_on_spark_session(spark, data) -> None:
    from smlib.analyses.overview import data_overview

    folder, _, _ = data
    for table in ("touchpoints", "opportunities"):
        df = spark.read.parquet(str(folder / f"{table}.parquet"))
        df.createOrReplaceTempView(table)
    from_files = load_dataset(folder)
    from_spark = load_dataset(spark)
    for table in ("touchpoints", "opportunities"):
        a = getattr(from_spark, table)
        b = getattr(from_files, table)
        assert len(a) == len(b)
    items_files = data_overview(from_files, lookback_days=30).items()
    items_spark = data_overview(from_spark, lookback_days=30).items()
    assert items_spark == items_files and len(items_files) >= 3
    # report 03 (the story leadership reads: attribution, intervals, economics) on both
    from smlib.analyses.executive import executive_summary

    summary_files = executive_summary(from_files, lookback_days=30, n_boot=20).items()
    summary_spark = executive_summary(from_spark, lookback_days=30, n_boot=20).items()
    assert summary_spark == summary_files and len(summary_files) >= 3
