"""Readable tables for the reports: formatted numbers, plain-language headers, no index, escaped.

``show_table(df)`` displays a DataFrame the way leadership should read it: no 0, 1, 2… index,
thousands separators, shares as percentages, money as ``$1.2M`` (in the report's currency,
:mod:`smlib.presentation.settings`: ``R$1.2M``, ``€850k``), dates as ``YYYY-MM-DD``, missing
values as ``–`` and headers in sentence case. ``format_table(df)`` returns the pandas ``Styler``
it is built on (``.to_html()`` gives the HTML string).

Formats are chosen per column, first match wins:

1. ``formats={column: kind}`` given by the caller (``kind`` in :data:`KINDS`, ``floatN`` for N
   fixed decimals, or a callable ``value -> str``); ``formats=kind`` applies one kind to every
   numeric column (e.g. a matrix of shares); the bounds of a merged interval take the format of
   the value they bound;
2. dates/timestamps → ``date``; booleans → ``bool``; text → ``text``;
3. numeric columns by name, split on ``_``: a ratio (``ltv_to_cac``, a ``to`` word) → ``float``;
   ``share``, ``pct``, ``percent``, ``rate``, ``roi`` → ``pct``; ``p_value`` → ``float``;
   ``revenue``, ``cost``, ``value``, ``cac``, ``spend``, ``profit``, ``amount``, ``price`` →
   ``money``; interval bounds ``ci_low``/``ci_high`` (also ``lower``/``upper``) without a word of
   their own take the format of the nearest column to their left that is not a bound;
4. integer dtype → ``int`` (thousands separators); other numbers → ``float`` (3 significant
   digits, but whole digits are never rounded away: ``215,609``, ``4.52``, ``0.0123``).

Numbers follow :mod:`smlib.narrative` (``$1.2M``, ``23.4 %``, Spanish decimal comma with
``language="es"``), so report tables read like the report text. Every cell, header and caption is
HTML-escaped (a channel called ``<script>`` shows as text) and the HTML is static: an inline
``<style>`` scoped to the table, no JavaScript, so it renders the same in JupyterLab, papermill
outputs, nbconvert HTML and print.
"""

from __future__ import annotations

import fnmatch
import hashlib
import html
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from smlib import narrative
from smlib.presentation import settings

__all__ = ["KINDS", "NA_TEXT", "column_label", "format_table", "format_value", "infer_format",
           "show_table", "table_text"]

#: Named formats accepted in ``formats``.
KINDS: tuple[str, ...] = ("pct", "pct_plain", "money", "money_exact", "int", "float", "float1",
                          "float2", "float3", "float4", "date", "datetime", "bool", "text",
                          "words", "channel", "model", "team")
#: How a missing value reads in a table.
NA_TEXT: str = "–"

_PCT_WORDS = {"share", "pct", "percent", "rate", "roi"}
_MONEY_WORDS = {"revenue", "cost", "value", "cac", "spend", "profit", "amount", "price", "arpa"}
_BOUND_NAMES = {"ci_low", "ci_high", "lower", "upper", "low", "high", "ci_lower", "ci_upper"}
_FIXED = re.compile(r"float(\d)$")  # floatN: N fixed decimals (0-9)
#: Words written in capitals in automatic headers.
_ACRONYMS = {"id": "ID", "ci": "CI", "cac": "CAC", "roi": "ROI", "roas": "ROAS", "ltv": "LTV",
             "mql": "MQL", "sql": "SQL", "sdr": "SDR", "ae": "AE", "att": "ATT", "utc": "UTC",
             "usd": "USD", "sha256": "SHA-256", "arpa": "ARPA", "crm": "CRM", "seo": "SEO",
             "se": "SE", "did": "DiD", "twfe": "TWFE", "dr": "DR", "dml": "DML"}
_BOOL = {"en": ("yes", "no"), "es": ("sí", "no")}
_TO = {"en": "to", "es": "a"}
_INTERVAL = {"en": "{level} interval", "es": "intervalo del {level}"}

Formatter = Callable[[Any], str]


def _known_kind(kind: Any) -> bool:
    return callable(kind) or kind in KINDS or bool(_FIXED.match(str(kind)))


def _is_numeric_kind(kind: Any) -> bool:
    return kind in {"pct", "pct_plain", "money", "money_exact", "int", "float"} or bool(
        isinstance(kind, str) and _FIXED.match(kind))


def _words(name: Any) -> list[str]:
    return [w for w in re.split(r"[_\W]+", str(name).lower()) if w]


def infer_format(name: Any, series: pd.Series, previous: str | None = None) -> str:
    """The format kind for a column, from its dtype and its name (rules in the module docstring).

    ``previous`` is the kind of the nearest column to the left that is not an interval bound;
    a bare ``ci_low``/``ci_high`` column takes it, so a bound reads like the value it bounds.
    """
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if not pd.api.types.is_numeric_dtype(series):
        non_na = series.dropna()
        if len(non_na) and all(isinstance(v, (pd.Timestamp, np.datetime64)) for v in non_na):
            return "date"
        return "text"
    words = _words(name)
    key = "_".join(words)
    if key in _BOUND_NAMES and previous is not None and _is_numeric_kind(previous):
        return previous
    if "to" in words or key in {"p_value", "pvalue", "p"}:
        return "float"
    if _PCT_WORDS & set(words):
        return "pct"
    if _MONEY_WORDS & set(words):
        return "money"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    return "float"


def _is_missing(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):  # lists, arrays: not a missing scalar
        return False


def _float_sig(x: float, language: str, digits: int = 3) -> str:
    """``digits`` significant digits without scientific notation or rounding whole digits away."""
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = min(max(digits - 1 - magnitude, 0), 12)
    if round(abs(x), decimals) == 0:  # below 1e-12: too small to write out
        return f"{x:.{digits - 1}e}"
    return narrative.format_number(x, decimals, language)


def _date(x: Any, with_time: bool) -> str:
    try:
        t = pd.Timestamp(x)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"format 'date' expects a date or timestamp, got {x!r}") from exc
    return t.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def format_value(x: Any, kind: str | Formatter, language: str = "en",
                 currency: str | None = None) -> str:
    """One cell as text (not yet escaped): ``kind`` is one of :data:`KINDS` or a callable.

    ``pct``: fraction → percent with one decimal (``0.69856`` → ``69.9 %``; a non-zero value
    that would round to zero reads ``<0.1 %``); ``pct_plain``: the same number without the sign
    (``69.9``, for dense matrices whose caption says %); ``money``: two
    significant figures from a thousand up (``$1.2M``, :func:`smlib.narrative.format_money`);
    ``money_exact``: whole units (``$215,609``, ``215.609 US$``, ``R$215,609``); money in
    ``currency`` (ISO 4217 code; default the report's, :func:`smlib.presentation.settings.report_currency`);
    ``int``: thousands separators; ``float``: 3
    significant digits; ``float1`` … ``float9``: fixed decimals; ``date``: ``YYYY-MM-DD``;
    ``datetime``: ``YYYY-MM-DD HH:MM``; ``bool``: yes/no; ``channel``/``model``/``team``: the
    display names of :mod:`smlib.narrative`; ``words``: ``_`` read as spaces (``marketing_only``
    → ``marketing only``); ``text``: ``str(x)``. Missing → :data:`NA_TEXT`.
    """
    if _is_missing(x):
        return NA_TEXT
    if callable(kind):
        return str(kind(x))
    if _is_numeric_kind(kind):
        try:
            v = float(x)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"format {kind!r} expects a number, got {x!r}") from exc
        if math.isinf(v):
            return "∞" if v > 0 else "-∞"
    if kind == "pct":
        if 0 < abs(v) < 0.0005:  # would read 0.0 %: say it is not zero
            tiny = narrative.format_pct(0.001, language, decimals=1)
            return f"<{tiny}" if v > 0 else f">-{tiny}"
        return narrative.format_pct(v, language, decimals=1)
    if kind == "pct_plain":  # dense matrices: the caption says "%"
        return narrative.format_number(v * 100, 1, language)
    if kind == "money":
        return narrative.format_money(v, language, currency)
    if kind == "money_exact":
        num = narrative.format_number(abs(v), 0, language)
        return settings.attach_currency(num, currency, language,
                                          negative=v < 0 and bool(num.strip("0.,")))
    if kind == "int":
        return narrative.format_number(v, 0, language)
    if kind == "float":
        return _float_sig(v, language)
    if isinstance(kind, str) and (fixed := _FIXED.match(kind)):
        return narrative.format_number(v, int(fixed.group(1)), language)
    if kind in ("date", "datetime"):
        return _date(x, kind == "datetime")
    if kind == "bool":
        if isinstance(x, str):  # the text "False" is not true
            truthy = x.strip().lower() in {"true", "t", "yes", "y", "1"}
        else:
            truthy = bool(x)
        return _BOOL[language][0 if truthy else 1]
    if kind == "channel":
        return narrative.channel_label(str(x), language)
    if kind == "model":
        return narrative.model_label(str(x), language)
    if kind == "team":
        return narrative._fmt_cell(x, "team", language)
    if kind == "text":
        return str(x)
    if kind == "words":
        return str(x).replace("_", " ")
    raise ValueError(f"unknown format {kind!r}; expected one of {KINDS} or a callable")


def column_label(name: Any) -> str:
    """Automatic header: snake_case → sentence case, acronyms in capitals
    (``share_of_leads`` → ``Share of leads``, ``cac_ci_low`` → ``CAC CI low``)."""
    words = [w for w in re.split(r"_+", str(name)) if w]
    if not words:
        return str(name)
    out = [_ACRONYMS.get(w.lower(), w) for w in words]
    first = out[0]
    out[0] = first if first.lower() in _ACRONYMS else first[:1].upper() + first[1:]
    return " ".join(out)


def _expand(formats: Mapping[Any, Any], columns: pd.Index) -> dict[Any, Any]:
    """Glob keys (``"fold_*"``) name every matching column that has no exact key of its own."""
    out: dict[Any, Any] = {}
    for key, kind in formats.items():
        if isinstance(key, str) and key not in columns and any(ch in key for ch in "*?["):
            for col in columns:
                if isinstance(col, str) and fnmatch.fnmatchcase(col, key):
                    out.setdefault(col, kind)
        else:
            out[key] = kind  # exact keys win over globs
    return out


def _check(df: pd.DataFrame, formats: Mapping[Any, Any] | str | Formatter, labels: Any,
           intervals: Mapping[Any, tuple[Any, Any]], language: str, max_rows: int | None) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"show_table expects a pandas DataFrame, got {type(df).__name__}")
    narrative._lang(language)
    if not df.columns.is_unique:
        dup = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise ValueError(f"table has duplicate column names {dup}; rename them first")
    if not isinstance(formats, Mapping):
        if not _known_kind(formats):
            raise ValueError(f"formats: unknown format {formats!r}; expected one of {KINDS}, "
                             "floatN, a callable or a mapping column -> format")
        formats = {}
    for col, kind in formats.items():
        if col not in df.columns:
            raise ValueError(f"formats: column {col!r} is not in the table {list(df.columns)}")
        if not _known_kind(kind):
            raise ValueError(f"formats: column {col!r} has unknown format {kind!r}; expected one "
                             f"of {KINDS} or a callable")
    if isinstance(labels, Mapping):
        unknown = [c for c in labels if c not in df.columns]
        if unknown:
            raise ValueError(f"labels: column(s) {unknown} are not in the table")
    for col, bounds in intervals.items():
        missing = [c for c in (col, *bounds) if c not in df.columns]
        if missing or len(bounds) != 2:
            raise ValueError(f"intervals: {col!r} needs (low, high) columns of the table; missing "
                             f"{missing or bounds}")
    if max_rows is not None and (not isinstance(max_rows, int) or max_rows < 1):
        raise ValueError(f"max_rows must be a positive integer or None, got {max_rows!r}")


def _kinds(df: pd.DataFrame, formats: Mapping[Any, Any] | str | Formatter,
           intervals: Mapping[Any, tuple[Any, Any]]) -> dict[Any, Any]:
    if not isinstance(formats, Mapping):  # one kind for every numeric column
        numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])
                   and not pd.api.types.is_bool_dtype(df[c])]
        formats = dict.fromkeys(numeric, formats)
    kinds: dict[Any, Any] = {}
    previous = None
    for col in df.columns:
        kind = formats.get(col) or infer_format(col, df[col], previous)
        if kind == "date" and col not in formats:
            s = pd.to_datetime(df[col].dropna(), utc=True) if len(df[col].dropna()) else None
            if s is not None and (s != s.dt.normalize()).any():
                kind = "datetime"
        kinds[col] = kind
        if "_".join(_words(col)) not in _BOUND_NAMES:
            previous = kind if isinstance(kind, str) else None
    for col, bounds in intervals.items():  # a bound reads like its value
        for b in bounds:
            if b not in formats:
                kinds[b] = kinds[col]
    return kinds


def table_text(df: pd.DataFrame, formats: Mapping[Any, Any] | str | Formatter | None = None, *,
               labels: Mapping[Any, str] | bool | None = None,
               intervals: Mapping[Any, tuple[Any, Any]] | None = None,
               index: bool = False, max_rows: int | None = None, language: str = "en",
               level: float = 0.95) -> tuple[pd.DataFrame, list[bool]]:
    """The table as formatted, unescaped text cells with display headers, and per column whether it
    holds numbers (right-aligned). Arguments as in :func:`format_table`."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"show_table expects a pandas DataFrame, got {type(df).__name__}")
    if index:
        df = df.reset_index()
    formats = {} if formats is None else formats
    formats = _expand(formats, df.columns) if isinstance(formats, Mapping) else formats
    intervals = dict(intervals or {})
    _check(df, formats, labels, intervals, language, max_rows)
    if max_rows is not None:
        df = df.head(max_rows)
    kinds = _kinds(df, formats, intervals)
    cells = {col: [format_value(v, kinds[col], language) for v in df[col]] for col in df.columns}
    numeric = {col: _is_numeric_kind(kinds[col]) for col in df.columns}
    dropped = set()
    lv = narrative.format_pct(level, language, decimals=0)
    for col, (lo, hi) in intervals.items():
        # "23.4 % (21.0 % to 25.9 %)": a value with its interval in one cell
        cells[col] = [
            v if NA_TEXT in (a, b) else f"{v} ({a} {_TO[language]} {b})"
            for v, a, b in zip(cells[col], cells[lo], cells[hi])]
        dropped |= {lo, hi}
    header = {}
    for col in df.columns:
        if isinstance(labels, Mapping) and col in labels:
            header[col] = str(labels[col])
        elif labels is False:
            header[col] = str(col)
        else:
            header[col] = column_label(col)
        if col in intervals and not (isinstance(labels, Mapping) and col in labels):
            header[col] += f" ({_INTERVAL[language].format(level=lv)})"
    keep = [c for c in df.columns if c not in dropped]
    out = pd.DataFrame({header[c]: cells[c] for c in keep}, index=range(len(df)), dtype=object)
    if len(set(header[c] for c in keep)) < len(keep):
        raise ValueError(f"two columns get the same header {[header[c] for c in keep]}; pass "
                         "labels= to tell them apart")
    return out, [numeric[c] for c in keep]


def format_table(df: pd.DataFrame, formats: Mapping[Any, Any] | str | Formatter | None = None, *,
                 caption: str | None = None, labels: Mapping[Any, str] | bool | None = None,
                 intervals: Mapping[Any, tuple[Any, Any]] | None = None, index: bool = False,
                 max_rows: int | None = None, language: str = "en",
                 level: float = 0.95) -> Styler:
    """A pandas ``Styler`` of ``df`` formatted for leadership (``.to_html()`` for the HTML).

    ``formats`` maps a column to a kind of :data:`KINDS` (``"pct"``, ``"money"``, ``"int"``,
    ``"float1"``…) or a callable ``value -> str``; other columns are inferred (module docstring);
    a key may be a glob (``{"fold_*": "float4"}``); a single kind (``formats="pct"``) applies to
    every numeric column.
    ``labels`` maps columns to headers (the rest are made from the name, ``share_of_leads`` →
    ``Share of leads``); ``labels=False`` keeps the names. ``intervals`` maps a column to its
    ``(low, high)`` columns, merged into one cell ``value (low to high)`` whose header says the
    ``level``. ``index=True`` shows the index as the first column(s); ``max_rows`` shows only the
    first rows and says so in the caption. ``language`` ``"en"``/``"es"`` (decimal comma).
    Every cell, header and caption is escaped; missing values read :data:`NA_TEXT`.
    """
    text, numeric = table_text(df, formats, labels=labels, intervals=intervals, index=index,
                               max_rows=max_rows, language=language, level=level)
    if max_rows is not None and len(df) > max_rows:
        shown = {"en": "first {n} of {m} rows", "es": "primeras {n} de {m} filas"}[language]
        note = shown.format(n=narrative.format_number(max_rows, 0, language),
                            m=narrative.format_number(len(df), 0, language))
        caption = f"{caption} ({note})" if caption else note.capitalize()
    # a stable id (same table -> same HTML) keeps report diffs and nbval outputs clean
    digest = hashlib.sha1((text.to_json() + str(caption)).encode()).hexdigest()[:10]
    styler = Styler(text, uuid=f"smt{digest}", cell_ids=False)
    styler = styler.format(escape="html").format_index(escape="html", axis=1)
    styler = styler.hide(axis="index")
    styler = styler.set_table_attributes('class="dataframe smarketing-table"')
    if caption:
        styler = styler.set_caption(html.escape(str(caption)))
    # sizes in em of the surrounding table font, so that the report's screen and print styles
    # (which set that font) still apply; wide tables get slightly smaller type to fit
    cell_font = "" if text.shape[1] < 10 else " font-size: 0.9em;"
    styles: list[dict[str, Any]] = [
        {"selector": "", "props": "border-collapse: collapse; margin: 0.3em 0 1em 0; width: auto;"},
        {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: 600; "
                                         "padding: 0 0 0.3em 0; color: inherit;"},
        # numbers right-aligned in even-width digits; text columns are switched to the left below
        {"selector": "th", "props": "font-weight: 600; padding: 0.25em 0.45em; text-align: right; "
                                    "border-bottom: 1px solid #8a94a3; vertical-align: bottom;"
                                    + cell_font},
        {"selector": "td", "props": "padding: 0.2em 0.45em; border-bottom: 1px solid #e3e7ed; "
                                    "vertical-align: top; text-align: right; white-space: nowrap; "
                                    "font-variant-numeric: tabular-nums;" + cell_font},
        {"selector": "tr", "props": "break-inside: avoid;"},
    ]
    # text reads from the left; short labels (dates, names) never break, longer text may wrap at
    # spaces when the table is too wide, and sentences keep a readable width
    longest = [max((len(v) for v in text.iloc[:, i]), default=0) for i in range(text.shape[1])]
    props = ["text-align: left;", "text-align: left; white-space: normal;",
             "text-align: left; white-space: normal; min-width: 12rem;"]
    groups: list[list[int]] = [[], [], []]
    for i, (is_num, n) in enumerate(zip(numeric, longest)):
        if not is_num:
            groups[(n > 20) + (n > 40)].append(i)
    for prop, cols in zip(props, groups):
        if cols:
            selector = ", ".join(f"td.col{i}, th.col_heading.col{i}" for i in cols)
            styles.append({"selector": selector, "props": prop})
    return styler.set_table_styles(styles)


def show_table(df: pd.DataFrame, formats: Mapping[Any, Any] | str | Formatter | None = None, *,
               caption: str | None = None, labels: Mapping[Any, str] | bool | None = None,
               intervals: Mapping[Any, tuple[Any, Any]] | None = None, index: bool = False,
               max_rows: int | None = None, language: str = "en", level: float = 0.95) -> None:
    """Display ``df`` as a readable table (arguments as in :func:`format_table`); returns None so
    nothing else is printed. The output carries ``text/html`` (the Styler's static HTML) and
    ``text/plain`` (the same formatted cells as text, for consoles and nbval)."""
    from IPython.display import display  # imported here: smlib must not need IPython to import

    styler = format_table(df, formats, caption=caption, labels=labels, intervals=intervals,
                          index=index, max_rows=max_rows, language=language, level=level)
    text, _ = table_text(df, formats, labels=labels, intervals=intervals, index=index,
                         max_rows=max_rows, language=language, level=level)
    plain = text.to_string(index=False) if len(text.columns) else ""
    if styler.caption:
        plain = f"{html.unescape(styler.caption)}\n{plain}"
    display({"text/html": styler.to_html(), "text/plain": plain}, raw=True)
