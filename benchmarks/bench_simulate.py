"""Wall time and peak memory of the simulator.

Cases: the default dataset (``simulate()``), 1M accounts (~9M touch rows) and
``simulate_panel(n_units=2000, n_periods=40)``. Peak memory is the process's peak resident set
size (``resource.getrusage``), measured in a fresh subprocess per case so cases do not mix; CPU
time (user + system) is printed too because wall time depends on how busy the machine is.

Usage: ``python benchmarks/bench_simulate.py [--skip-large]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CASES: dict[str, str] = {
    "default dataset (simulate())": "sim = simulate(); rows = len(sim.touchpoints)",
    "1M accounts (simulate(n_accounts=1_000_000))":
        "sim = simulate(n_accounts=1_000_000); rows = len(sim.touchpoints)",
    "panel 2000 units x 40 periods (simulate_panel)":
        "units, truth = simulate_panel(seed=1, n_units=2000, n_periods=40); rows = len(units)",
}

RUNNER = """
import json, resource, time
from smlib.simulate import simulate, simulate_panel
t = time.perf_counter()
cpu0 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
{body}
wall = time.perf_counter() - t
use = resource.getrusage(resource.RUSAGE_SELF)
cpu = use.ru_utime + use.ru_stime - cpu0
print(json.dumps({{"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": use.ru_maxrss / 1024, "rows": rows}}))
"""


def run_case(body: str) -> dict[str, float]:
    """Run one case in a fresh interpreter; returns wall and CPU time (s), peak RSS (MB), rows."""
    out = subprocess.run([sys.executable, "-c", RUNNER.format(body=body)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-large", action="store_true", help="skip the 1M-account case")
    args = parser.parse_args()
    print(f"{'case':50s} {'wall s':>8s} {'CPU s':>8s} {'peak RSS MB':>12s} {'rows':>12s}")
    for name, body in CASES.items():
        if args.skip_large and "1M" in name:
            continue
        r = run_case(body)
        print(f"{name:50s} {r['wall_s']:8.2f} {r['cpu_s']:8.2f} {r['peak_rss_mb']:12.0f} {r['rows']:12,d}")


if __name__ == "__main__":
    main()
