"""The contract's row rules that journeys rely on, as Ibis queries (any engine).

The same rules as the DuckDB SQL checks of :func:`smlib.journeys.build_journeys_from_files`
(required columns, types, missing/empty values, teams and outcomes, '>' in channel names, negative
or non-finite cost and revenue, won deals without ``closed_at``, duplicate touches and opportunity
ids) plus the funnel's stage order (``lead_at <= mql_at <= sql_at <= opportunity_at <=
closed_at``, as :mod:`smlib.schemas`). One aggregate query counts every rule (for the
touchpoints, a group-by on the few distinct ``channel, team, touch_type`` counts the rules of the
other columns per group, and the rules of those three columns run once per group); a broken rule
then fetches its first rows. Errors are one :class:`~smlib.schemas.DataValidationError` naming table,
column, rows and expectation. Rows are 1-based file rows when the engine can number them (one
Parquet file or a DuckDB table on DuckDB); otherwise (a folder of files, Spark, a warehouse) the
error gives the count and the first offending values of non-id columns.
"""

from __future__ import annotations

from typing import Any

from smlib import config
from smlib.engine.source import ROW_COLUMN, Source, connect
from smlib.schemas import STAGES, DataValidationError, Problem, make_problem

__all__ = ["check_source", "check_table"]

_TOUCH_COLS = ("account_id", "timestamp", "channel", "team", "touch_type")
_OPP_COLS = ("opportunity_id", "account_id", "lead_at", "outcome", "revenue", "closed_at")
_SHOWN = 5


def _blank(col: Any) -> Any:
    # strip removes only characters below "!", so a blank string sorts before "!": the cheap
    # comparison spares the strip on (nearly) every row
    text = col.cast("string")
    return col.isnull() | ((text < "!") & (text.strip() == ""))


def _bad_number(col: Any) -> Any:
    c = col.cast("float64")
    return c.isnull() | c.isnan() | c.isinf() | (c < 0)


#: Touchpoint columns with few distinct values: their rules are evaluated once per distinct
#: combination (a group-by), not once per row.
_GROUPED = ("channel", "team", "touch_type")


def _rules(t: Any, table: str) -> list[tuple[str, Any, str]]:
    """(column, Ibis condition true for a BAD row, expected) for the columns present."""
    cols = set(t.columns)
    out: list[tuple[str, Any, str]] = []
    if table == "touchpoints":
        teams = list(config.TEAMS)
        spec = [
            ("account_id", lambda: _blank(t.account_id), "a non-empty string"),
            ("timestamp", lambda: t.timestamp.isnull(), "a value"),
            ("channel", lambda: _blank(t.channel), "a non-empty string"),
            ("channel", lambda: t.channel.cast("string").contains(">").fill_null(False),
             "a channel name without '>' (it separates channels in a path)"),
            ("team", lambda: t.team.isnull() | ~t.team.cast("string").isin(teams),
             "one of " + ", ".join(repr(x) for x in teams)),
            ("touch_type", lambda: _blank(t.touch_type), "a non-empty string"),
            ("cost", lambda: _bad_number(t.cost), "cost >= 0 (a finite number)"),
        ]
        # every column of the table (a grouped table has only the _GROUPED ones)
        return [(col, make(), expected) for col, make, expected in spec if col in cols]
    outcome = t.outcome.cast("string")
    out = [
        ("opportunity_id", t.opportunity_id.isnull(), "a value"),
        ("account_id", _blank(t.account_id), "a non-empty string"),
        ("lead_at", t.lead_at.isnull(), "a value"),
        ("outcome", outcome.isnull() | ~outcome.isin(["won", "lost", "open"]),
         "one of 'won', 'lost', 'open'"),
        ("revenue", _bad_number(t.revenue), "revenue >= 0 (a finite number)"),
        ("closed_at", ((outcome == "won") & t.closed_at.isnull()).fill_null(False),
         "closed_at to be set when outcome is 'won'"),
    ]
    present = [s for s in STAGES if s in cols and _is_time(t[s])]
    order = " <= ".join(STAGES)
    for k, col in enumerate(present[1:], start=1):
        earlier = present[:k]
        bad = None
        for e in earlier:  # value before the latest earlier stage = before any earlier stage
            cond = (t[e].notnull() & t[col].notnull() & (t[col] < t[e])).fill_null(False)
            bad = cond if bad is None else bad | cond
        out.append((col, bad, f"{col} not before the earlier stages ({order})"))
    return out


def _is_time(col: Any) -> bool:
    typ = col.type()
    return typ.is_timestamp() or typ.is_date()


def _type_problems(t: Any, table: str, source: str) -> list[Problem]:
    """Columns of the wrong kind (text where a timestamp or number is expected)."""
    problems = []
    times = ("timestamp",) if table == "touchpoints" else tuple(
        c for c in (*STAGES,) if c in t.columns)
    for c in times:
        if c in t.columns and not _is_time(t[c]) and not t[c].type().is_null():
            problems.append(Problem(source, c, (), 0, f"a timestamp column (got {t[c].type()}); "
                                    "store timestamps as timestamps (CSV: smlib.io.load_table)"))
    for c in ("cost",) if table == "touchpoints" else ("revenue",):
        if c in t.columns and not t[c].type().is_numeric():
            problems.append(Problem(source, c, (), 0, f"a number column (got {t[c].type()})"))
    return problems


def check_table(t: Any, table: str, source: str, duplicates: bool = True) -> list[Problem]:
    """Problems of one table (``touchpoints`` or ``opportunities``); empty when it passes.

    ``duplicates=False`` leaves out the duplicate-key rule of the touchpoints (a group-by over
    every touch) unless another rule of the table already fails; the caller then checks it
    another way (:func:`smlib.engine.pipeline.ibis_journeys` does, in its journey sort)."""
    if table not in ("touchpoints", "opportunities"):
        raise ValueError(f"check_table: table must be touchpoints or opportunities, got {table!r}")
    needed = _TOUCH_COLS if table == "touchpoints" else _OPP_COLS
    missing = [c for c in needed if c not in t.columns]
    if missing:
        found = ", ".join(c for c in t.columns if c != ROW_COLUMN)
        return [Problem(source, c, (), 0, f"a required column (found columns: {found})")
                for c in missing]
    problems = _type_problems(t, table, source)
    if problems:
        return problems
    rules = _rules(t, table)
    numbered = ROW_COLUMN in t.columns
    key = (["account_id", "timestamp", "channel", "touch_type"] if table == "touchpoints"
           else ["opportunity_id"])
    if table == "touchpoints":
        # one query: a group-by on the few distinct (channel, team, touch_type) counts the row
        # rules of the other columns per group; the rules of those three columns then run once
        # per group, weighted by its rows
        g = t.group_by(list(_GROUPED)).aggregate(
            _n=t.count(), **{f"c{i}": cond.ifelse(1, 0).sum()
                             for i, (col, cond, _) in enumerate(rules) if col not in _GROUPED})
        on_groups = iter([cond for _, cond, _ in _rules(g, table)])
        aggs = {f"c{i}": next(on_groups).ifelse(g._n, 0).sum() if col in _GROUPED
                else g[f"c{i}"].sum() for i, (col, _, _) in enumerate(rules)}
        counts = g.aggregate(**aggs).to_pyarrow().to_pylist()[0]
    else:
        counts = t.aggregate(**{f"c{i}": cond.ifelse(1, 0).sum() for i, (_, cond, _) in
                                enumerate(rules)}).to_pyarrow().to_pylist()[0]
    for i, (column, cond, expected) in enumerate(rules):
        n = int(counts[f"c{i}"] or 0)
        if not n:
            continue
        bad = t.filter(cond)
        if numbered:
            rows = bad.order_by(ROW_COLUMN).select(ROW_COLUMN, column).limit(_SHOWN).to_pyarrow()
            r, got = rows.column(0).to_pylist(), rows.column(1).to_pylist()
        else:
            rows = bad.select(column).distinct().order_by(column).limit(_SHOWN).to_pyarrow()
            r, got = [], rows.column(0).to_pylist()
        p = make_problem(source, column, r, expected, got)
        problems.append(Problem(p.source, p.column, p.rows, n, p.expected, p.got))
    if duplicates or problems or table != "touchpoints":
        problems.extend(_duplicates(t, table, source, key, numbered))
    return problems


def _duplicates(t: Any, table: str, source: str, key: list[str], numbered: bool) -> list[Problem]:
    import ibis  # lazy: ibis is a heavy dependency only the engine paths need

    column = ", ".join(key)
    expected = ("unique rows (this key repeats an earlier row)" if table == "touchpoints"
                else "unique values (this value repeats an earlier row)")
    # a hash group-by finds whether any key repeats; only then (rare) the rows are looked up
    g = t.group_by(key).aggregate(_n=t.count())
    n = int(g.aggregate(_extra=(g._n - 1).sum()).to_pyarrow().column(0)[0].as_py() or 0)
    if not n:
        return []
    if numbered:
        d = t.mutate(_k=ibis.row_number().over(group_by=key, order_by=ROW_COLUMN))
        d = d.filter(d._k > 0)
        rows = d.order_by(ROW_COLUMN).select(ROW_COLUMN).limit(_SHOWN).to_pyarrow()
        p = make_problem(source, column, rows.column(0).to_pylist(), expected)
    else:
        p = make_problem(source, column, [], expected)
    return [Problem(p.source, p.column, p.rows, n, p.expected, p.got)]


def check_source(source: Any, duplicates: bool = True) -> None:
    """Check ``touchpoints`` and ``opportunities`` of ``source`` (anything :func:`connect`
    takes); raise one :class:`DataValidationError` listing every problem of both tables.
    ``duplicates=False``: see :func:`check_table` (the touchpoints' duplicate-key rule is then
    the caller's, unless something else fails: the error always lists every problem)."""
    src: Source = connect(source)
    problems: list[Problem] = []
    for table in ("touchpoints", "opportunities"):
        problems.extend(check_table(src.table(table), table, src.label(table), duplicates))
    if problems and not duplicates:  # the error names every problem, duplicates included
        return check_source(src)
    if problems:
        raise DataValidationError(problems)
