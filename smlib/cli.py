"""Command line: ``smlib report run | list | index | store-checked``.

``smlib report run [--config FILE] [--only NAME]... [-p key=value]... [--reports-dir DIR]`` executes
the runs of ``reports.toml`` (see :mod:`smlib.report.runner`) and is what ``make report`` and the
scheduled jobs call. Exit codes: 0 every report succeeded (a full batch is then published); 1 at
least one report failed (nothing published); 2 bad config, parameters or input data (nothing
executed). A batch stopped by SIGTERM, SIGHUP or Ctrl-C exits with 128 + the signal number (143,
129, 130) after marking its folder incomplete; nothing is published.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from smlib import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smlib", description="smarketing workbook tools")
    parser.add_argument("--version", action="version", version=f"smlib {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    report = sub.add_parser("report", help="scheduled report runs (papermill -> offline HTML)")
    rsub = report.add_subparsers(dest="action", required=True)

    run = rsub.add_parser(
        "run",
        help="execute the runs in reports.toml, render HTML, publish reports/<run-id>/",
        description="Execute report notebooks with papermill, render offline HTML with provenance, "
        "and publish reports/latest and reports/index.html if every report succeeds.",
    )
    run.add_argument("--config", type=Path, default=None, help="reports config (default: reports.toml of the project)")
    run.add_argument("--only", action="append", default=[], metavar="NAME",
                     help="run only this report (repeat, or give a comma-separated list)")
    run.add_argument("-p", "--parameter", action="append", default=[], metavar="KEY=VALUE",
                     help="override a notebook parameter for every run that declares it; VALUE is read "
                          "as TOML/JSON (3, 0.2, true, \"text\", [1, 2]), 'none' means None, else text. "
                          "A relative data_path is relative to the current directory.")
    run.add_argument("--reports-dir", type=Path, default=None, help="output folder (default: config.REPORTS_DIR)")
    run.add_argument("--publish", action=argparse.BooleanOptionalAction, default=None,
                     help="move reports/latest and the index to this batch if every report succeeds "
                          "(default: yes, except for --only batches)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress lines or summary")

    lst = rsub.add_parser("list", help="list the runs in the config with their parameters")
    lst.add_argument("--config", type=Path, default=None)

    idx = rsub.add_parser(
        "index", help="mark unfinished run folders incomplete, point reports/latest at the newest published "
                      "batch and rebuild reports/index.html from the run folders")
    idx.add_argument("--reports-dir", type=Path, default=None)

    chk = rsub.add_parser(
        "store-checked",
        help="run notebooks and store outputs of their '# NBVAL_CHECK_OUTPUT' cells only (nbval references)",
    )
    chk.add_argument("notebooks", type=Path, nargs="+", metavar="NOTEBOOK")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``smlib`` command; returns the process exit code."""
    args = _parser().parse_args(argv)
    from smlib.report import publish as pub  # lazy: papermill and nbconvert are slow to import
    from smlib.report import runner  # lazy: as above; `smlib --help` stays instant

    try:
        if args.action == "run":
            overrides = dict(runner.parse_override(p) for p in args.parameter)
            if isinstance(overrides.get(runner.DATA_PARAM), str):  # relative to the current directory
                overrides[runner.DATA_PARAM] = runner.resolve_data_path(overrides[runner.DATA_PARAM])
            only = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
            cfg = runner.load_config(args.config)
            result = runner.run_batch(
                cfg, only=only, overrides=overrides, reports_dir=args.reports_dir,
                progress=None if args.quiet else sys.stdout, publish=args.publish,
            )
            return result.exit_code
        if args.action == "list":
            cfg = runner.load_config(args.config)
            for r in cfg.runs:
                params = ", ".join(f"{k}={v!r}" for k, v in r.parameters.items()) or "notebook defaults"
                print(f"{r.name:<32} {r.notebook.name:<36} {params}")
            return 0
        if args.action == "store-checked":
            from smlib.report.nbcheck import store_checked_outputs  # lazy: needs nbval's runner

            for nb in args.notebooks:
                print(f"{nb}: stored outputs of {store_checked_outputs(nb)} checked cell(s)")
            return 0
        if args.action == "index":
            root = pub.reports_root(args.reports_dir)
            with pub.publish_lock(root):
                for dead in pub.mark_incomplete_runs(root):
                    print(f"note: {root / dead} did not finish (no run.json); marked incomplete, not listed",
                          file=sys.stderr)
                pub.sync(root)
            print(root / pub.INDEX)
            return 0
    except runner.BatchInterrupted as e:  # the runner marked the folder incomplete and said so
        print(f"smlib report {args.action}: {e}; nothing published", file=sys.stderr)
        return e.exit_code
    except ValueError as e:  # ReportConfigError, DataValidationError: a clear message, no traceback
        print(f"smlib report {args.action}: error: {e}", file=sys.stderr)
        return 2
    return 2  # unreachable: argparse requires an action


if __name__ == "__main__":
    sys.exit(main())
