"""Benchmark: the Ibis pipeline (smlib.engine) on DuckDB and on Spark, beside today's pipeline.

    .venv/bin/python benchmarks/bench_engines.py                     # everything (~10-20 min)
    .venv/bin/python benchmarks/bench_engines.py --skip big --skip engine-pyspark
    .venv/bin/python benchmarks/bench_engines.py --accounts 100000   # a quick look

Each measured run is a fresh child process; its wall time per stage and its peak memory are
printed with the row counts. Peak memory: ``ru_maxrss`` of the child (``resource.getrusage``) and
the peak of the summed RSS of the child's whole process tree sampled every 0.1 s (the Spark run's
JVM is a separate process, so only the tree figure counts there).

Runs (same data, same machine, one after the other):

* ``today``: :func:`smlib.journeys.build_journeys_from_files` (DuckDB SQL, ASOF join) → ``paths``
  → every registered model except the bootstrap (the three journey models on the ``touches``
  table in pandas, as the reports do today).
* ``engine-duckdb``: :func:`smlib.engine.source.connect` → :func:`smlib.engine.checks` validation
  → :func:`smlib.engine.pipeline.ibis_journeys` → ``paths`` → every model except the bootstrap
  (:func:`smlib.attribution.scale.engine_credit`: rule models on the engine).
* ``engine-pyspark``: the same on Spark local mode (``local[2]``).
* ``big``: the DuckDB engine on ~100M touch rows (10M accounts in 10 Parquet parts, generated
  deterministically into ``--tmp``), spilling to ``--tmp``: validation, journeys, path table and
  the rule models' credit on the engine (``--big-models``). DuckDB's ``memory_limit`` is 4 GB so
  that the whole process (DuckDB and the Python side: the 8.5M-row path table) stays under 8 GB,
  measured as the process peak RSS.

Every registered model is in the pipeline's figures (the bootstrap intervals are not). The
modules the models import lazily (scikit-learn, scipy.stats: about 2 s in a fresh process) are
imported before the clock starts, in both pipelines; the process wall time includes them.
``--separate-model X`` takes model X out of the 10M runs and measures it in a process of its own
on the same journeys.

Data: the vectorised generator of ``bench_journeys.py`` (touches ~Poisson(10) per account) with a
signal for the data-driven models (accounts touched by the first marketing or the last sales
channel: 40 % get a lead and 45 % of those win, else 20 % and 25 %), account ids ``A00000000``
...; written once under ``--tmp`` and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from smlib import config

RUNS = ("engine-duckdb", "today", "engine-pyspark", "separate", "big")


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------
def generate_part(tp_file: Path, opp_file: Path, first_account: int, n_accounts: int,
                  touches_per_account: float, seed: int) -> int:
    """One part of the data: accounts ``first_account ..``; returns its touch rows."""
    rng = np.random.default_rng(seed)
    channels = list(config.MARKETING_CHANNELS) + list(config.SALES_CHANNELS)
    teams = ["marketing"] * len(config.MARKETING_CHANNELS) + ["sales"] * len(config.SALES_CHANNELS)
    n_touch = rng.poisson(touches_per_account - 1, n_accounts) + 1
    acc = np.repeat(np.arange(n_accounts, dtype=np.int32), n_touch)
    n = len(acc)
    starts = np.cumsum(n_touch) - n_touch
    within = np.arange(n) - np.repeat(starts, n_touch)
    start_us = np.datetime64("2022-01-01T00:00:00", "us").astype(np.int64)
    active_from = np.repeat(rng.integers(0, 610 * 86_400, n_accounts), n_touch)
    ts = start_us + (active_from + rng.integers(0, 120 * 86_400, n)) * 1_000_000 + within
    ch = rng.integers(0, len(channels), n).astype(np.int32)
    ids = pa.array([f"A{i:08d}" for i in range(first_account, first_account + n_accounts)])
    ch_names = pa.array(channels)
    pq.write_table(pa.table({
        "account_id": pa.DictionaryArray.from_arrays(pa.array(acc), ids).cast(pa.string()),
        "timestamp": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "channel": pa.DictionaryArray.from_arrays(pa.array(ch), ch_names).cast(pa.string()),
        "team": pa.DictionaryArray.from_arrays(pa.array(ch), pa.array(teams)).cast(pa.string()),
        "touch_type": pa.DictionaryArray.from_arrays(pa.array(ch), ch_names).cast(pa.string()),
        "cost": np.round(rng.gamma(2.0, 20.0, n), 2),
    }), tp_file)
    first = np.minimum.reduceat(ts, starts)
    last = np.maximum.reduceat(ts, starts)
    # a signal for the data-driven models: accounts touched by the first marketing channel or the
    # last sales channel become leads more often, and win more often
    signal = np.add.reduceat(((ch == 0) | (ch == len(channels) - 1)).astype(np.int64), starts) > 0
    lead_acc = np.flatnonzero(rng.random(n_accounts) < np.where(signal, 0.4, 0.2))
    m = len(lead_acc)
    closed = first[lead_acc] + ((last[lead_acc] - first[lead_acc]) * rng.uniform(0.3, 1.0, m)
                                ).astype(np.int64)
    span = closed - first[lead_acc]
    lead = first[lead_acc] + (span * 0.2).astype(np.int64)
    sql = first[lead_acc] + (span * 0.4).astype(np.int64)
    opp = first[lead_acc] + (span * 0.6).astype(np.int64)
    u = rng.random(m)
    p_won = np.where(signal[lead_acc], 0.45, 0.25)
    outcome = np.where(u < p_won, "won", np.where(u < p_won + 0.5 * (1 - p_won), "lost", "open"))
    is_open = outcome == "open"
    ts_type = pa.timestamp("us", tz="UTC")
    pq.write_table(pa.table({
        "opportunity_id": pa.array([f"O{first_account + i:08d}" for i in lead_acc]),
        "account_id": ids.take(pa.array(lead_acc)),
        "lead_at": pa.array(lead, ts_type),
        "sql_at": pa.array(sql, ts_type),
        "opportunity_at": pa.array(opp, ts_type),
        "closed_at": pa.array(np.where(is_open, 0, closed), ts_type, mask=is_open),
        "outcome": pa.array(outcome),
        "revenue": np.where(outcome == "lost", 0.0, np.round(rng.lognormal(10, 0.6, m), 2)),
        "gross_margin": np.full(m, 0.78),
    }), opp_file)
    return n


def dataset(root: Path, n_accounts: int, parts: int) -> Path:
    """``parts == 1``: touchpoints.parquet / opportunities.parquet; else one folder per table."""
    folder = root / (f"engines_{n_accounts}" + (f"_{parts}parts" if parts > 1 else ""))
    done = folder / ".complete"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    per = n_accounts // parts
    for i in range(parts):
        if parts == 1:
            tp, op = folder / "touchpoints.parquet", folder / "opportunities.parquet"
        else:
            (folder / "touchpoints").mkdir(exist_ok=True)
            (folder / "opportunities").mkdir(exist_ok=True)
            tp = folder / "touchpoints" / f"part-{i:02d}.parquet"
            op = folder / "opportunities" / f"part-{i:02d}.parquet"
        generate_part(tp, op, i * per, per, 10.0, seed=1000 + i)
    done.write_text("ok")
    print(f"generated {folder} in {time.perf_counter() - t0:.0f} s", flush=True)
    return folder


def touch_rows(folder: Path) -> int:
    files = [folder / "touchpoints.parquet"] if (folder / "touchpoints.parquet").exists() else \
        sorted((folder / "touchpoints").glob("*.parquet"))
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


# --------------------------------------------------------------------------------------------
# measured runs (in a child process)
# --------------------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.t0 = self.last = time.perf_counter()
        self.stages: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.stages[name] = round(now - self.last, 2)
        self.last = now

    def total(self) -> float:
        return round(time.perf_counter() - self.t0, 2)


def run_today(folder: Path, spill: str, memory_limit: str, models: list[str]) -> dict:
    import duckdb

    from smlib.attribution.registry import MODELS
    from smlib.journeys import build_journeys_from_files

    imports = import_models()  # the same for both pipelines
    clock = Clock()
    con = duckdb.connect(config={"threads": 2, "memory_limit": memory_limit,
                                 "temp_directory": spill})
    j = build_journeys_from_files(folder, con=con)
    clock.lap("validate+journeys")
    paths = j.paths
    clock.lap("paths")
    touches = j.touches if any(MODELS[m].needs_journeys for m in models) else None
    clock.lap("touches to pandas")
    out = {}
    for name in models:
        spec = MODELS[name]
        out[name] = spec.credit(touches if spec.needs_journeys else paths)
        clock.lap(f"model {name}")
    total = clock.total()
    clock.stages["model imports (before the clock, not in the pipeline total)"] = imports
    return {"stages": clock.stages, "total_s": total, "paths": len(paths),
            "journeys": j.stats["journeys"], "touches_kept": j.stats["touches_kept"],
            "credit": {m: out[m]["conversions"].round(3).tolist() for m in out}}


def import_models() -> float:
    """Import the modules the registry's models load lazily (scikit-learn, scipy.stats, the
    fitted models) and return the seconds it took: a fixed cost of a fresh process, not of the
    data, so it is kept out of the pipeline's stage times (the process wall time includes it)."""
    t0 = time.perf_counter()
    import smlib.attribution.journey_model  # noqa: F401
    import smlib.attribution.markov_chain  # noqa: F401
    import smlib.attribution.regression  # noqa: F401
    import smlib.attribution.shapley_values  # noqa: F401
    return round(time.perf_counter() - t0, 2)


def run_engine(folder: Path, engine: str, spill: str, memory_limit: str, models: list[str]) -> dict:
    from smlib.attribution.scale import engine_credit, engine_parsed_paths
    from smlib.engine.pipeline import ibis_journeys
    from smlib.engine.source import connect
    from smlib.engine.stats import RULE_MODELS

    imports = import_models()
    clock = Clock()
    if engine == "pyspark":
        from pyspark.sql import SparkSession

        session = (SparkSession.builder.master("local[2]").appName("bench")
                   .config("spark.sql.shuffle.partitions", "8")
                   .config("spark.ui.enabled", "false")
                   .config("spark.driver.memory", "6g")
                   .config("spark.local.dir", spill)
                   .config("spark.sql.session.timeZone", "UTC").getOrCreate())
        session.sparkContext.setLogLevel("ERROR")
        clock.lap("spark start")
        src = connect(folder, session=session)
    else:
        src = connect(folder, threads=2, memory_limit=memory_limit, temp_directory=spill)
    clock.lap("connect")
    j = ibis_journeys(src)  # the contract's row checks, then journeys (duplicates in its sort)
    clock.lap("validate+journeys")
    paths = j.paths
    clock.lap("paths")
    parsed = None
    if any(m not in RULE_MODELS for m in models):
        parsed = engine_parsed_paths(j)
        clock.lap("encode paths")
    credit = {}
    for name in models:
        credit.update(engine_credit(j, [name], parsed=parsed))
        clock.lap(f"model {name}")
    stats = j.stats
    clock.lap("stats (not in the pipeline total)")
    total = round(sum(v for k, v in clock.stages.items() if not k.startswith("stats")), 2)
    clock.stages["model imports (before the clock, not in the pipeline total)"] = imports
    return {"stages": clock.stages, "total_s": total, "paths": len(paths),
            "journeys": stats["journeys"], "touches_kept": stats["touches_kept"],
            "credit": {m: credit[m]["conversions"].round(3).tolist() for m in credit}}


def child(args: argparse.Namespace) -> None:
    folder = Path(args.child)
    models = args.models.split(",")
    with tempfile.TemporaryDirectory(dir=args.tmp, prefix="spill_") as spill:
        if args.run == "today":
            res = run_today(folder, spill, args.memory_limit, models)
        else:
            engine = "pyspark" if args.run == "engine-pyspark" else "duckdb"
            res = run_engine(folder, engine, spill, args.memory_limit, models)
    res["ru_maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print("RESULT " + json.dumps(res), flush=True)


def _tree_rss_kb(pid: int) -> int:
    """Summed VmRSS of ``pid`` and all its descendants (Linux /proc)."""
    parents: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                parents.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError, IndexError):
                continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(parents.get(p, []))
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


def measure(run: str, folder: Path, args: argparse.Namespace, memory_limit: str,
            models: list[str]) -> dict:
    cmd = [sys.executable, __file__, "--child", str(folder), "--run", run, "--tmp", str(args.tmp),
           "--memory-limit", memory_limit, "--models", ",".join(models)]
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            stop.wait(0.1)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    stop.set()
    th.join()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [x for x in out.splitlines() if x.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        return {"error": (err.strip().splitlines() or ["?"])[-1], "wall_s": round(wall, 1)}
    res = json.loads(lines[-1][len("RESULT "):])
    res["tree_peak_mb"] = round(peak[0] / 1024)
    res["process_wall_s"] = round(wall, 1)
    res["process_cpu_s"] = round(cpu, 1)
    return res


def show(name: str, rows: int, res: dict, load: tuple[float, float]) -> None:
    if "error" in res:
        print(f"{name:22s} {rows:>12,} rows  FAILED after {res['wall_s']} s: {res['error']}")
        return
    print(f"{name:22s} {rows:>12,} rows  pipeline {res['total_s']:7.1f} s wall  (process "
          f"{res['process_wall_s']:6.1f} s wall, {res['process_cpu_s']:6.1f} s CPU of the process "
          f"and its reaped children)  peak RSS {res['ru_maxrss_mb']:6,} MB (process), "
          f"{res['tree_peak_mb']:6,} MB (process tree)  journeys {res['journeys']:,}  "
          f"paths {res['paths']:,}  load average {load[0]:.1f} before, {load[1]:.1f} after")
    print("    " + ", ".join(f"{k} {v:.1f}" for k, v in res["stages"].items()), flush=True)


def main() -> None:
    from smlib.attribution.registry import MODELS
    from smlib.engine.stats import RULE_MODELS

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--accounts", type=int, default=1_000_000, help="~10 touches each")
    ap.add_argument("--big-accounts", type=int, default=10_000_000)
    ap.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()) / "smlib_bench")
    ap.add_argument("--skip", action="append", default=[], choices=RUNS)
    ap.add_argument("--memory-limit", default="1500MB",
                    help="DuckDB memory_limit of the 10M runs (spills beyond)")
    ap.add_argument("--big-memory-limit", default="4GB",
                    help="DuckDB memory_limit of the big run: the process (DuckDB + Python) must "
                         "stay under 8 GB")
    ap.add_argument("--big-models", default="rules",
                    help="models of the big run: 'rules' (on the engine) or a comma list")
    ap.add_argument("--separate-model", action="append", default=None,
                    help="a model to take out of the 10M runs and measure in a process of its "
                         "own (repeatable; default: none, every model is in the pipeline)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--run", help=argparse.SUPPRESS)
    ap.add_argument("--models", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.tmp.mkdir(parents=True, exist_ok=True)
    if args.child:
        child(args)
        return

    separate = [] if args.separate_model is None else args.separate_model
    unknown = [m for m in separate if m not in MODELS]
    if unknown:
        ap.error(f"--separate-model: unknown model(s) {unknown}")
    models = [m for m in MODELS if m not in separate]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; DuckDB "
          f"threads=2, memory_limit {args.memory_limit} (10M), {args.big_memory_limit} (big); "
          f"Spark local[2]; models {', '.join(models)}"
          + (f"; measured separately: {', '.join(separate)}" if separate and "separate" not in
             args.skip else f"; left out: {', '.join(separate)}" if separate else ""), flush=True)
    folder = dataset(args.tmp, args.accounts, 1)
    n = touch_rows(folder)
    results: dict[str, dict] = {}
    rows: dict[str, int] = {}
    loads: dict[str, tuple[float, float]] = {}

    def run(label: str, kind: str, where: Path, nrows: int, limit: str, which: list[str]) -> None:
        before = os.getloadavg()[0]
        results[label] = measure(kind, where, args, limit, which)
        rows[label], loads[label] = nrows, (before, os.getloadavg()[0])
        show(label, nrows, results[label], loads[label])

    for kind in ("engine-duckdb", "today", "engine-pyspark"):
        if kind not in args.skip:
            run(kind, kind, folder, n, args.memory_limit, models)
    if separate and "separate" not in args.skip:
        run("engine-duckdb " + "+".join(separate), "engine-duckdb", folder, n, args.memory_limit,
            separate)
    if "big" not in args.skip:
        big = dataset(args.tmp, args.big_accounts, 10)
        which = list(RULE_MODELS) if args.big_models == "rules" else args.big_models.split(",")
        run("big (duckdb)", "engine-duckdb", big, touch_rows(big), args.big_memory_limit, which)

    print("\nside by side (wall and CPU in s, peak RSS in MB: process tree; load average before "
          "-> after):")
    print(f"{'run':30s} {'touch rows':>12s} {'wall':>8s} {'CPU':>8s} {'peak RSS':>9s} "
          f"{'journeys':>11s} {'paths':>10s}  load")
    for label, res in results.items():
        if "error" in res:
            print(f"{label:30s} {rows[label]:>12,} FAILED: {res['error']}")
            continue
        print(f"{label:30s} {rows[label]:>12,} {res['total_s']:8.1f} {res['process_cpu_s']:8.1f} "
              f"{res['tree_peak_mb']:9,} {res['journeys']:>11,} {res['paths']:>10,}  "
              f"{loads[label][0]:.1f} -> {loads[label][1]:.1f}")
    ok = [r for r in ("engine-duckdb", "today", "engine-pyspark") if "credit" in results.get(r, {})]
    if len(ok) > 1:
        base = results[ok[0]]["credit"]
        same = all(np.allclose(results[r]["credit"][m], base[m], rtol=1e-9)
                   for r in ok[1:] for m in base if m in results[r]["credit"])
        print(f"credit of every model identical across {', '.join(ok)} (rtol 1e-9): {same}")


if __name__ == "__main__":
    main()
