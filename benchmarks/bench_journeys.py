"""Benchmark: journeys from ~10M touch rows (Parquet) with DuckDB — wall time and peak memory.

    .venv/bin/python benchmarks/bench_journeys.py                 # 1M accounts, ~10M touches
    .venv/bin/python benchmarks/bench_journeys.py --accounts 100000 --touches
    .venv/bin/python benchmarks/bench_journeys.py --simulator --accounts 1000000

Data: a vectorised generator (default; seconds) or the project's simulator (``--simulator``),
written once as Parquet under ``data/cache/`` (git-ignored) and reused. The build then runs in a
fresh child process so its peak RSS (``resource.getrusage``) measures the journey build alone:
``build_journeys_from_files`` (DuckDB scan + SQL validation + journeys), then fetching ``paths`` and
``journeys`` into pandas, and optionally ``touches`` (``--touches``; ~10M rows in pandas).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from smlib import config


def generate(folder: Path, n_accounts: int, touches_per_account: float, seed: int = 0) -> None:
    """~n_accounts * touches_per_account touches (Poisson); ~30 % of accounts get a lead, 35 % of
    those are won at a time between their first and last touch."""
    rng = np.random.default_rng(seed)
    channels = list(config.MARKETING_CHANNELS) + list(config.SALES_CHANNELS)
    teams = ["marketing"] * len(config.MARKETING_CHANNELS) + ["sales"] * len(config.SALES_CHANNELS)
    n_touch = rng.poisson(touches_per_account - 1, n_accounts) + 1
    acc = np.repeat(np.arange(n_accounts, dtype=np.int32), n_touch)
    n = len(acc)
    within = np.arange(n) - np.repeat(np.cumsum(n_touch) - n_touch, n_touch)  # 0.. per account
    start_us = np.datetime64("2022-01-01T00:00:00", "us").astype(np.int64)
    # each account is active for ~4 months somewhere in 2 years; whole seconds plus a distinct
    # microsecond offset per account, so touch keys never repeat
    active_from = np.repeat(rng.integers(0, 610 * 86_400, n_accounts), n_touch)
    ts = start_us + (active_from + rng.integers(0, 120 * 86_400, n)) * 1_000_000 + within
    ch = rng.integers(0, len(channels), n).astype(np.int32)
    ids = pa.array([f"A{i:07d}" for i in range(n_accounts)])
    ch_names = pa.array(channels)
    tp = pa.table({
        "account_id": pa.DictionaryArray.from_arrays(pa.array(acc), ids).cast(pa.string()),
        "timestamp": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "channel": pa.DictionaryArray.from_arrays(pa.array(ch), ch_names).cast(pa.string()),
        "team": pa.DictionaryArray.from_arrays(pa.array(ch), pa.array(teams)).cast(pa.string()),
        "touch_type": pa.DictionaryArray.from_arrays(pa.array(ch), ch_names).cast(pa.string()),
        "cost": np.round(rng.gamma(2.0, 20.0, n), 2),
    })
    pq.write_table(tp, folder / "touchpoints.parquet")

    first = np.minimum.reduceat(ts, np.cumsum(n_touch) - n_touch)
    last = np.maximum.reduceat(ts, np.cumsum(n_touch) - n_touch)
    lead_acc = np.flatnonzero(rng.random(n_accounts) < 0.3)
    m = len(lead_acc)
    closed = first[lead_acc] + ((last[lead_acc] - first[lead_acc]) * rng.uniform(0.3, 1.0, m)).astype(
        np.int64)
    span = closed - first[lead_acc]
    lead = first[lead_acc] + (span * 0.2).astype(np.int64)
    sql = first[lead_acc] + (span * 0.4).astype(np.int64)
    opp = first[lead_acc] + (span * 0.6).astype(np.int64)
    outcome = rng.choice(np.array(["won", "lost", "open"]), m, p=[0.35, 0.45, 0.2])
    is_open = outcome == "open"
    ts_type = pa.timestamp("us", tz="UTC")
    pq.write_table(pa.table({
        "opportunity_id": pa.array([f"O{i:07d}" for i in range(m)]),
        "account_id": ids.take(pa.array(lead_acc)),
        "lead_at": pa.array(lead, ts_type),
        "sql_at": pa.array(sql, ts_type),
        "opportunity_at": pa.array(opp, ts_type),
        "closed_at": pa.array(np.where(is_open, 0, closed), ts_type, mask=is_open),
        "outcome": pa.array(outcome),
        "revenue": np.where(outcome == "lost", 0.0, np.round(rng.lognormal(10, 0.6, m), 2)),
        "gross_margin": np.full(m, 0.78),
    }), folder / "opportunities.parquet")


def run(folder: Path, threads: int, memory_limit: str, fetch_touches: bool) -> dict:
    """Build journeys in this process; return timings, counts and peak RSS."""
    import duckdb

    from smlib.journeys import build_journeys_from_files

    out: dict = {}
    with tempfile.TemporaryDirectory() as spill:
        con = duckdb.connect(config={"threads": threads, "memory_limit": memory_limit,
                                     "temp_directory": spill})
        t0, c0 = time.perf_counter(), time.process_time()
        j = build_journeys_from_files(folder, con=con)
        out["build_cpu_s"] = time.process_time() - c0
        out["build_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        out["paths_rows"] = len(j.paths)
        out["fetch_paths_s"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        out["journeys_rows"] = len(j.journeys)
        out["fetch_journeys_s"] = time.perf_counter() - t1
        if fetch_touches:
            t1 = time.perf_counter()
            out["touches_rows"] = len(j.touches)
            out["fetch_touches_s"] = time.perf_counter() - t1
        out["total_s"] = time.perf_counter() - t0
        out["total_cpu_s"] = time.process_time() - c0
        out["stats"] = j.stats
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--touches-per-account", type=float, default=10.0)
    ap.add_argument("--simulator", action="store_true", help="generate with smlib.simulate")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", default="4GB", help="DuckDB memory_limit (spills beyond)")
    ap.add_argument("--touches", action="store_true", help="also fetch .touches into pandas")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:  # the measured run, in a fresh process
        print(json.dumps(run(Path(args.child), args.threads, args.memory_limit, args.touches)))
        return

    kind = "sim" if args.simulator else "gen"
    folder = config.DATA_DIR / "cache" / f"bench_journeys_{kind}_{args.accounts}"
    if not (folder / "opportunities.parquet").exists():
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        if args.simulator:
            from smlib.simulate import simulate
            sim = simulate(seed=config.DEFAULT_SEED, n_accounts=args.accounts)
            sim.touchpoints.to_parquet(folder / "touchpoints.parquet")
            sim.opportunities.to_parquet(folder / "opportunities.parquet")
        else:
            generate(folder, args.accounts, args.touches_per_account)
        print(f"generated {folder} in {time.perf_counter() - t0:.1f} s")
    n_rows = pq.ParquetFile(folder / "touchpoints.parquet").metadata.num_rows
    size_mb = sum(f.stat().st_size for f in folder.glob("*.parquet")) / 2**20
    print(f"input: {n_rows:,} touch rows, {args.accounts:,} accounts, {size_mb:.0f} MB Parquet")

    cmd = [sys.executable, __file__, "--child", str(folder), "--threads", str(args.threads),
           "--memory-limit", args.memory_limit] + (["--touches"] if args.touches else [])
    res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    print(f"DuckDB threads={args.threads}, memory_limit={args.memory_limit}")
    print(f"build_journeys_from_files: {res['build_s']:.1f} s wall, {res['build_cpu_s']:.1f} s CPU "
          "(all threads; wall depends on how busy the machine is)")
    print(f"fetch paths ({res['paths_rows']:,} rows): {res['fetch_paths_s']:.2f} s; "
          f"journeys ({res['journeys_rows']:,} rows): {res['fetch_journeys_s']:.2f} s")
    if args.touches:
        print(f"fetch touches ({res['touches_rows']:,} rows): {res['fetch_touches_s']:.2f} s")
    print(f"total: {res['total_s']:.1f} s wall, {res['total_cpu_s']:.1f} s CPU; "
          f"peak RSS of the build process: {res['peak_rss_mb']:,.0f} MB")
    print(f"stats: {res['stats']}")


if __name__ == "__main__":
    main()
