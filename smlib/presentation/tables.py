"""The one table renderer of the reports: formatted numbers, plain-language headers, no index,
escaped.

``show_table(df)`` displays a DataFrame the way leadership should read it: no 0, 1, 2… index,
thousands separators, shares as percentages, money as ``$1.2M`` (in the report's currency,
:mod:`smlib.presentation.settings`: ``R$1.2M``, ``€850k``), dates as ``YYYY-MM-DD``, missing
values as ``–`` and headers in sentence case. ``format_table(df)`` returns the pandas ``Styler``
it is built on (``.to_html()`` gives the HTML string); ``table_text(df)`` the same formatted
cells as a DataFrame of text. The printed tables of the executive summary use the same path:
:func:`table_for_print` (columns chosen with their headers in each language) and
:func:`html_table` (a table of text as the same static HTML). :class:`ReportTable` bundles a
frame with its caption, formats, labels and intervals for a result object to show.

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

Numbers follow :mod:`smlib.presentation.numbers` (``$1.2M``, ``23.4 %``, Spanish decimal comma with
``language="es"``), so report tables read like the report text. Every cell, header and caption is
HTML-escaped (a channel called ``<script>`` shows as text) and the HTML is static: an inline
``<style>`` scoped to the table, no JavaScript, so it renders the same in JupyterLab, papermill
outputs, nbconvert HTML and print.
"""


from __future__ import annotations

import hashlib
import html
import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from smlib.presentation.catalogue import text as catalogue_text
from smlib.presentation.labels import column_label
from smlib.presentation.numbers import (BOUND_NAMES, KINDS, NA_TEXT, Formatter, column_words,
                                        format_number, format_pct, format_value, infer_format,
                                        is_numeric_kind, known_kind, pct_formatter)
from smlib.presentation.settings import validate_language

__all__ = ["KINDS", "NA_TEXT", "ReportTable", "column_label", "format_table", "format_value",
           "html_table", "infer_format", "show_table", "table_for_print", "table_text"]


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
    validate_language(language)
    if not df.columns.is_unique:
        dup = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise ValueError(f"table has duplicate column names {dup}; rename them first")
    if not isinstance(formats, Mapping):
        if not known_kind(formats):
            raise ValueError(f"formats: unknown format {formats!r}; expected one of {KINDS}, "
                             "floatN, a callable or a mapping column -> format")
        formats = {}
    for col, kind in formats.items():
        if col not in df.columns:
            raise ValueError(f"formats: column {col!r} is not in the table {list(df.columns)}")
        if not known_kind(kind):
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
        if "_".join(column_words(col)) not in BOUND_NAMES:
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
    numeric = {col: is_numeric_kind(kinds[col]) for col in df.columns}
    dropped = set()
    lv = format_pct(level, language, decimals=0)
    for col, (lo, hi) in intervals.items():
        # "23.4 % (21.0 % to 25.9 %)": a value with its interval in one cell
        cells[col] = [
            v if NA_TEXT in (a, b) else catalogue_text("presentation.table.value_interval",
                                                        language, value=v, low=a, high=b)
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
            header[col] += f" ({catalogue_text('presentation.table.interval_header', language, level=lv)})"
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
        note = catalogue_text("presentation.table.first_rows", language,
                              n=format_number(max_rows, 0, language),
                              m=format_number(len(df), 0, language))
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


def _merge_pct_auto_intervals(text: pd.DataFrame, df: pd.DataFrame, header: str, col: Any,
                              bounds: tuple[Any, Any], language: str) -> None:
    """Rewrite the merged ``pct_auto`` cells of ``header`` with one precision per row for the value
    and its bounds (``5.5 % (-2.8 % to 13.0 %)``, never ``5.5 % (-3 % to 13 %)``)."""
    lo_c, hi_c = bounds
    for i, (v, lo, hi) in enumerate(zip(df[col], df[lo_c], df[hi_c])):
        if any(pd.isna(x) for x in (v, lo, hi)):
            continue
        f = pct_formatter(v, lo, hi)
        text.iloc[i, text.columns.get_loc(header)] = catalogue_text(
            "presentation.table.value_interval", language, value=f(v, language),
            low=f(lo, language), high=f(hi, language))


def table_for_print(df: pd.DataFrame, columns: Sequence[tuple[str, str, str, str]],
                    language: str = "en",
                    intervals: Mapping[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """A results table formatted for leadership, as text cells (the same formatting as
    :func:`table_text`): the chosen ``columns`` as ``(column, kind, English header, Spanish
    header)``, ``kind`` one of :data:`KINDS` (``pct`` here reads as in prose, ``pct_auto``:
    ``45 %``, ``7.9 %``); ``intervals`` maps a column to its ``(low, high)`` columns, shown as
    ``value (low to high)`` with one precision for a percentage and its bounds. Missing values
    show as ``–``. Show it with :func:`html_table` (which escapes every cell)."""
    lang = validate_language(language)
    intervals = dict(intervals or {})
    missing = [c for c, *_ in columns if c not in df.columns]
    missing += [x for lo_hi in intervals.values() for x in lo_hi if x not in df.columns]
    if missing:
        raise ValueError(f"table_for_print: missing column(s) {missing}")
    chosen = [c for c, *_ in columns]
    bounds = [b for col, lo_hi in intervals.items() if col in chosen for b in lo_hi
              if b not in chosen]
    frame = df.loc[:, list(dict.fromkeys(chosen + bounds))].reset_index(drop=True)
    for col, (lo, hi) in intervals.items():  # no interval beside a missing value
        if col in chosen:
            frame.loc[frame[col].isna(), [lo, hi]] = None
    formats = {c: ("pct_auto" if kind == "pct" else kind) for c, kind, _, _ in columns}
    labels = {c: (en if lang == "en" else es) for c, _, en, es in columns}
    merged = {c: b for c, b in intervals.items() if c in chosen}
    text, _ = table_text(frame, formats, labels=labels, intervals=merged, language=lang)
    for col, lo_hi in merged.items():
        if formats[col] == "pct_auto":
            _merge_pct_auto_intervals(text, frame, labels[col], col, lo_hi, lang)
    return text


def html_table(df: pd.DataFrame) -> str:
    """A table of text (e.g. from :func:`table_for_print` or
    :func:`smlib.presentation.labels.glossary`) as the report's static HTML: the renderer of
    :func:`format_table` with the headers as they are, no index, every cell escaped (a channel
    named ``<script>`` shows as text)."""
    text = df.reset_index(drop=True).astype(object)
    return format_table(text, "text", labels=False).to_html()


@dataclass
class ReportTable:
    """A table for leadership: the data and how to show it with :func:`show_table`.

    ``frame`` holds the raw values (numbers stay numbers, so the table can be tested and reused);
    ``formats``, ``labels`` and ``intervals`` are passed to :func:`show_table`, which writes money
    rounded (``$62k``), percentages with ``%``, thousands separators, plain headers and no index.
    Labels of columns the frame does not have are ignored.
    """

    frame: pd.DataFrame
    caption: str = ""
    formats: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    intervals: dict[str, tuple[str, str]] = field(default_factory=dict)

    def _labels(self) -> dict[str, str]:
        return {k: v for k, v in self.labels.items() if k in self.frame.columns}

    def show(self, language: str = "en") -> None:
        """Display the table (HTML in notebooks, aligned text elsewhere); returns None."""
        show_table(self.frame, self.formats, caption=self.caption or None, labels=self._labels(),
                   intervals=self.intervals, language=language)

    def to_text(self, language: str = "en") -> pd.DataFrame:
        """The formatted cells as shown, with the display headers (strings only)."""
        return table_text(self.frame, self.formats, labels=self._labels(),
                          intervals=self.intervals, language=language)[0]

    def to_html(self, language: str = "en") -> str:
        """The table as the static HTML :func:`show_table` displays."""
        return format_table(self.frame, self.formats, caption=self.caption or None,
                            labels=self._labels(), intervals=self.intervals,
                            language=language).to_html()
