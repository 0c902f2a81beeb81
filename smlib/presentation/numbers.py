"""Numbers as the reports write them: ``$1.2M``, ``23 %``, ``4.1 months``, ``Jan 2022``, in English
or Spanish, and one table cell of any kind (:func:`format_value`).

Conventions: English uses ``$1.2M`` and ``23 %``; Spanish uses a decimal comma, ``1,2 M US$``,
``8,4 mil US$`` and ``23 %`` (a space before the percent sign, as the RAE recommends, in both
languages). Percentages get one decimal below 10 % and none above; money two significant figures
from a thousand up, in the report's currency (:mod:`smlib.presentation.settings`: ``R$1.2M``,
``1,2 M BRL``, ``€850k``). Words (``months``, month names, ``interval``) come from the catalogue
(``presentation.number`` in ``locales/<language>.toml``).

Table cells (:func:`format_value`, :func:`infer_format`): the kinds of :data:`KINDS`; the rules
that pick a kind from a column's dtype and name are in :mod:`smlib.presentation.tables`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from smlib.presentation import settings
from smlib.presentation.catalogue import entry, text
from smlib.presentation.labels import (action_label, channel_label, confidence_label, model_label,
                                       regime_label, team_label)

__all__ = ["BOUND_NAMES", "KINDS", "NA_TEXT", "Figure", "as_finite", "column_words",
           "figure_change", "format_days", "format_quantity", "format_interval", "format_money", "format_month",
           "format_months", "format_number", "format_pct", "format_value", "infer_format",
           "is_known", "is_missing", "is_numeric_kind", "known_kind", "money_axis",
           "money_ticks", "number_axis", "number_ticks", "parse_figure", "pct_axis",
           "pct_formatter", "pct_ticks", "value_axis", "value_kind"]

#: Named formats accepted by :func:`format_value` (and ``formats`` of the table functions).
KINDS: tuple[str, ...] = ("pct", "pct_plain", "money", "money_exact", "int", "float", "float1",
                          "float2", "float3", "float4", "date", "datetime", "bool", "text",
                          "words", "channel", "model", "team", "pct_auto", "action",
                          "confidence", "regime")
#: How a missing value reads in a table.
NA_TEXT: str = "–"

#: A cell formatter: value -> text.
Formatter = Callable[[Any], str]

_PCT_WORDS = {"share", "pct", "percent", "rate", "roi"}
_MONEY_WORDS = {"revenue", "cost", "value", "cac", "spend", "profit", "amount", "price", "arpa"}
#: Column names of interval bounds (they take the format of the value they bound).
BOUND_NAMES: frozenset[str] = frozenset({"ci_low", "ci_high", "lower", "upper", "low", "high",
                                         "ci_lower", "ci_upper"})
_FIXED = re.compile(r"float(\d)$")  # floatN: N fixed decimals (0-9)


# --------------------------------------------------------------------------------------------
# numbers in prose
# --------------------------------------------------------------------------------------------

def as_finite(x: Any, name: str) -> float:
    """``x`` as a finite float, else a ``ValueError`` naming ``name`` (``amount must be a finite
    number, got nan``)."""
    try:
        v = float(x)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number, got {x!r}") from exc
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {x!r}")
    return v


def is_known(x: Any) -> bool:
    """True unless ``x`` is None, NaN, NaT or ``pd.NA`` (a value a sentence can state)."""
    return x is not None and not (isinstance(x, float) and math.isnan(x)) and not pd.isna(x)


def format_number(x: float, decimals: int = 0, language: str = "en") -> str:
    """A number with thousands separators: ``1,234.5`` (en); ``1234,5`` / ``12.345,5`` (es: decimal
    comma, a point between thousands from five digits on, following RAE usage). The symbols and
    the digit count from which thousands are grouped are the language's catalogue entries
    ``presentation.number.decimal`` / ``group`` / ``group_from_digits``."""
    lang = settings.validate_language(language)
    v = round(as_finite(x, "x"), decimals)
    v = 0.0 if v == 0 else v  # no "-0"
    s = f"{v:,.{decimals}f}"
    digits = len(s.lstrip("-").split(".")[0].replace(",", ""))
    group = entry("presentation.number.group", lang)
    if digits < entry("presentation.number.group_from_digits", lang):
        group = ""
    return s.replace(",", "\0").replace(".", entry("presentation.number.decimal", lang)).replace(
        "\0", group)


def format_money(x: float, language: str = "en", currency: str | None = None) -> str:
    """Money rounded for reading: two significant figures from a thousand up (``$1.2M``, ``$12M``,
    ``$850k``, ``$4.3k``), whole units below (``$850``); Spanish ``1,2 M US$``, ``850 mil US$``,
    ``1,5 mil M US$`` (mil millones), ``850 US$``. ``currency``: an ISO 4217 code (``"BRL"`` →
    ``R$1.2M`` / ``1,2 M BRL``, ``"EUR"`` → ``€850k`` / ``850 mil €``), default the report's
    (:func:`smlib.presentation.settings.set_report_locale`); a bare symbol (``"$"``) is written as given."""
    lang = settings.validate_language(language)
    v = as_finite(x, "amount")
    a = abs(v)
    words = entry("presentation.number.money_scale", lang)
    scales = [(1e9, "billion"), (1e6, "million"), (1e3, "thousand"), (1.0, None)]
    for size, scale in scales:
        # 999,500 already reads as 1.0M, never as 1000k
        if a >= size * 0.9995 or size == 1.0:
            scaled = a / size
            dec = 1 if size > 1 and round(scaled, 1) < 10 else 0
            break
    num = format_number(scaled, dec, lang)
    suffix = words[scale] if scale else ""  # whole units carry no scale word
    return settings.attach_currency(num + suffix, currency, lang,
                                    negative=v < 0 and bool(num.strip("0,.")))


def _pct_decimals(x: float) -> int:
    return 1 if abs(x) < 0.0995 else 0


def format_pct(x: float, language: str = "en", decimals: int | None = None) -> str:
    """A fraction as a percentage: ``0.234`` → ``23 %`` (en) / ``23 %`` (es, ``7,9 %``); one
    decimal below 10 % (``7.9 %``), none above, unless ``decimals`` is given. A space before the
    sign in both languages, as in the verdicts of :mod:`smlib.analyses.uplift`."""
    lang = settings.validate_language(language)
    v = as_finite(x, "fraction") * 100
    d = _pct_decimals(v / 100) if decimals is None else decimals
    return format_number(v, d, lang) + " %"


def pct_formatter(*values: Any) -> Callable[[Any, str], str]:
    """A percentage formatter ``(x, language) -> text`` with one decimal count for an estimate and
    its bounds (decided by the largest of them), so that ``5.5 % (-2.8 % to 13.0 %)`` never mixes
    precisions."""
    finite = [abs(float(v)) for v in values if is_known(v) and math.isfinite(float(v))]
    d = _pct_decimals(max(finite)) if finite else 0
    return lambda x, lang: format_pct(x, lang, decimals=d)


def format_months(x: float, language: str = "en") -> str:
    """Months with one decimal: ``4.1 months`` / ``4,1 meses``."""
    lang = settings.validate_language(language)
    return text("presentation.number.n_months", lang, n=format_number(x, 1, lang))


def format_days(x: float, language: str = "en") -> str:
    """Whole days: ``64 days`` / ``64 días``."""
    lang = settings.validate_language(language)
    return text("presentation.number.n_days", lang, n=format_number(x, 0, lang))


def format_month(ts: Any, language: str = "en") -> str:
    """A month for prose: ``Jan 2022`` / ``ene 2022``."""
    t = pd.Timestamp(ts)
    names = entry("presentation.number.months", settings.validate_language(language))
    return f"{names[t.month - 1]} {t.year}"


def format_interval(low: float, high: float, fmt: Any, language: str = "en",
                    level: float = 0.95) -> str:
    """``95 % interval: 5.1 % to 10.6 %`` / ``intervalo del 95 %: de 5,1 % a 10,6 %``; ``fmt``
    formats one bound (a callable taking ``(x, language)``)."""
    lang = settings.validate_language(language)
    lv = format_pct(level, lang, decimals=0)
    return text("presentation.number.interval", lang, level=lv, low=fmt(low, lang),
                high=fmt(high, lang))


# --------------------------------------------------------------------------------------------
# chart axes: the same formats as the text, for a whole set of ticks at once
# --------------------------------------------------------------------------------------------

_MONEY_SCALES: tuple[tuple[float, str | None], ...] = (
    (1e9, "billion"), (1e6, "million"), (1e3, "thousand"), (1.0, None))


def _tick_decimals(scaled: list[float], most: int = 3) -> int:
    """The fewest decimals (up to ``most``) that write every scaled tick exactly (to 1e-6 of the
    largest), so ``1.25M`` never reads ``1.2M`` and ``100k, 150k`` carry no ``.0``."""
    big = max((abs(v) for v in scaled), default=0.0) or 1.0
    for d in range(most + 1):
        if all(abs(round(v, d) - v) <= 1e-6 * big for v in scaled):
            return d
    return most


def _finite_ticks(values: Any) -> list[float]:
    try:
        out = [float(v) for v in values]
    except (TypeError, ValueError) as err:
        raise ValueError(f"tick values must be numbers, got {values!r}") from err
    if not all(math.isfinite(v) for v in out):
        raise ValueError(f"tick values must be finite numbers, got {out}")
    return out


def money_ticks(values: Any, language: str = "en", currency: str | None = None) -> list[str]:
    """Tick labels of a money axis, written as the text writes money (:func:`format_money`):
    ``[0, 100000, 200000]`` → ``["$0", "$100k", "$200k"]``, ``[1e6, 1.25e6]`` →
    ``["$1M", "$1.25M"]``, Spanish ``["0 US$", "100 mil US$", …]``. All ticks share the scale of
    the largest one and the fewest decimals that keep them exact, so an axis never shows an
    offset (``1e6``) or raw digits (``100000``). ValueError for values that are not finite."""
    lang = settings.validate_language(language)
    ticks = _finite_ticks(values)
    top = max((abs(v) for v in ticks), default=0.0)
    size, scale = next((sz, sc) for sz, sc in _MONEY_SCALES if top >= sz * 0.9995 or sz == 1.0)
    words = entry("presentation.number.money_scale", lang)
    d = _tick_decimals([v / size for v in ticks])
    out = []
    for v in ticks:
        num = format_number(abs(v) / size, d, lang)
        zero = not num.strip("0,.")
        num = "0" if zero else num  # zero reads "$0" whatever the decimals
        suffix = "" if scale is None or zero else words[scale]
        out.append(settings.attach_currency(num + suffix, currency, lang, negative=v < 0 and not zero))
    return out


def pct_ticks(values: Any, language: str = "en", scale: float = 1.0) -> list[str]:
    """Tick labels of a percentage axis: fractions (``scale=1``) or percentage points
    (``scale=100``) as ``25 %`` / ``2.5 %`` (``2,5 %``), one decimal count for the whole axis."""
    lang = settings.validate_language(language)
    if not (isinstance(scale, (int, float)) and scale > 0):
        raise ValueError(f"scale must be a positive number (1 for fractions, 100 for percent), got {scale!r}")
    pts = [v * 100 / scale for v in _finite_ticks(values)]
    d = _tick_decimals(pts, most=2)
    return [("0" if round(v, d) == 0 else format_number(v, d, lang)) + " %" for v in pts]


def number_ticks(values: Any, language: str = "en") -> list[str]:
    """Tick labels of a count or plain-number axis with the language's separators
    (``12,000``; ``12.000``), no offset, the fewest decimals that keep every tick exact."""
    lang = settings.validate_language(language)
    ticks = _finite_ticks(values)
    d = _tick_decimals(ticks)
    return ["0" if round(v, d) == 0 else format_number(v, d, lang) for v in ticks]


def _set_axis(ax: Any, axis: str, labels: Callable[[list[float]], list[str]]) -> None:
    """Give ``ax``'s ``axis`` ("x", "y" or "both") a formatter that labels all ticks together."""
    from matplotlib.ticker import Formatter  # heavy: only for figures

    class _Ticks(Formatter):  # type: ignore[misc]
        def format_ticks(self, values: Any) -> list[str]:
            return labels(list(values)) if len(values) else []

        def __call__(self, x: float, pos: int | None = None) -> str:
            return labels([x])[0]

    if axis not in ("x", "y", "both"):
        raise ValueError(f"axis must be 'x', 'y' or 'both', got {axis!r}")
    for name in ("x", "y") if axis == "both" else (axis,):
        getattr(ax, f"{name}axis").set_major_formatter(_Ticks())


def money_axis(ax: Any, axis: str = "y", language: str = "en", currency: str | None = None) -> None:
    """Label a matplotlib axis in money as the text writes it (:func:`money_ticks`: ``$100k``,
    ``$1.2M``; no ``1e6`` offset). ``axis``: ``"x"``, ``"y"`` or ``"both"``."""
    lang = settings.validate_language(language)
    _set_axis(ax, axis, lambda v: money_ticks(v, lang, currency))


def pct_axis(ax: Any, axis: str = "y", language: str = "en", scale: float = 1.0) -> None:
    """Label a matplotlib axis in percent (:func:`pct_ticks`): data in fractions (``scale=1``)
    or in percentage points (``scale=100``)."""
    lang = settings.validate_language(language)
    pct_ticks([0.5], lang, scale)  # checks scale now, not at draw time
    _set_axis(ax, axis, lambda v: pct_ticks(v, lang, scale))


def value_kind(name: Any) -> str:
    """How a quantity named ``name`` (a column or an outcome: ``revenue``, ``win_rate``) is
    written: ``"money"`` when its words name money (revenue, cost, value, …), ``"pct"`` when they
    name a share or rate, else ``"number"`` (the words :func:`infer_format` uses)."""
    words = set(column_words(name))
    if _PCT_WORDS & words:
        return "pct"
    return "money" if _MONEY_WORDS & words else "number"


def value_axis(ax: Any, name: Any, axis: str = "y", language: str = "en") -> None:
    """Label an axis that shows ``name`` (an outcome such as ``revenue``) as its kind reads
    (:func:`value_kind`): money (``$4k``), percent (fractions) or plain numbers."""
    kind = value_kind(name)
    if kind == "money":
        money_axis(ax, axis, language)
    elif kind == "pct":
        pct_axis(ax, axis, language)
    else:
        number_axis(ax, axis, language)


def format_quantity(x: float, name: Any, language: str = "en") -> str:
    """One value of the quantity ``name`` as the text writes it (:func:`value_kind`):
    ``format_money`` for money (``$48k``, never ``48,189``), ``format_pct`` for rates, else
    ``format_number`` with up to 4 significant figures."""
    kind = value_kind(name)
    if kind == "money":
        return format_money(x, language)
    if kind == "pct":
        return format_pct(x, language)
    v = as_finite(x, "x")
    short = f"{v:.4g}"  # four significant figures, trailing zeros dropped (-15.6, 0.123)
    if "e" in short:  # very large or very small: whole units or 4 decimals, never 1e+06
        return format_number(v, 0 if abs(v) >= 1 else 4, language)
    return format_number(float(short), len(short.partition(".")[2]), language)


def number_axis(ax: Any, axis: str = "y", language: str = "en") -> None:
    """Label a matplotlib axis of counts or plain numbers (:func:`number_ticks`)."""
    lang = settings.validate_language(language)
    _set_axis(ax, axis, lambda v: number_ticks(v, lang))


# --------------------------------------------------------------------------------------------
# reading a figure back from a headline text (for changes between batches)
# --------------------------------------------------------------------------------------------

class Figure(NamedTuple):
    """A number read from a headline text (:func:`parse_figure`)."""

    value: float  #: the number (a fraction for ``pct``; currency units for ``money``)
    kind: str  #: ``"pct"``, ``"money"`` or ``"number"``
    written: str  #: the figure as the text writes it (``"$52M"``, ``"8.8 %"``, ``"42 mil US$"``)


_SIGN = "+\\-\u2212"  # in a character class: +, -, −


def parse_figure(text_: str, language: str = "en") -> Figure | None:
    """The first figure of a headline text as the reports write it, or None when it has none:
    ``"$52M from 1,761 new customers"`` → ``Figure(52e6, "money")``, ``"+8.8 % (6.7 % to 11.0 %)"``
    → ``Figure(0.088, "pct")``, ``"21.8 months to pay back"`` → ``Figure(21.8, "number")``;
    Spanish ``"42 mil US$"`` → ``Figure(42000, "money")``. The inverse of :func:`format_money`,
    :func:`format_pct` and :func:`format_number` for the report's language (money rounded as
    written)."""
    lang = settings.validate_language(language)
    if not isinstance(text_, str):
        raise ValueError(f"expected a text, got {text_!r}")
    dec = entry("presentation.number.decimal", lang)
    group = entry("presentation.number.group", lang)
    months = tuple(entry("presentation.number.months", lang))
    pattern = re.compile(rf"([{_SIGN}]?)([A-Z]{{0,2}}[^\w\s\d(),;:.%{_SIGN}]|[A-Z]{{3}} )?"
                         rf"(\d[\d{re.escape(group)}{re.escape(dec)}]*)")
    # a year after a month name ("Jan 2022") is a date, not a figure
    m = next((x for x in pattern.finditer(text_)
              if not text_[:x.start()].rstrip().lower().endswith(tuple(mo.lower() for mo in months))),
             None)
    if m is None:
        return None
    digits = m.group(3).rstrip(group + dec)
    value = float(digits.replace(group, "").replace(dec, "."))
    value = -value if m.group(1) in ("-", "\u2212") else value
    end = m.start(3) + len(digits)
    rest = text_[end:]

    def found(v: float, kind: str, tail: int) -> Figure:
        return Figure(v, kind, text_[m.start():end + tail].strip())

    pct = re.match(r"\s?%", rest)
    if pct:
        return found(value / 100, "pct", pct.end())
    currency_after = r"\s?(?:[A-Z]{0,2}[^\w\s\d(),;:.%]|[A-Z]{3}\b)"
    words = entry("presentation.number.money_scale", lang)
    for scale, size in (("billion", 1e9), ("million", 1e6), ("thousand", 1e3)):  # " mil M" first
        w = words[scale]
        if rest.startswith(w) and (len(rest) == len(w) or not rest[len(w)].isalnum()):
            cur = re.match(currency_after, rest[len(w):])
            return found(value * size, "money", len(w) + (cur.end() if cur else 0))
    cur = re.match(currency_after, rest)
    if m.group(2) or cur:
        return found(value, "money", cur.end() if cur else 0)
    return found(value, "number", 0)


def figure_change(now: str, before: str, language: str = "en") -> str | None:
    """How a headline figure moved between two batches, for the reports' index: percentages in
    points (``"+2.1 pts"``), money and counts as a relative change with the earlier text
    (``"+4.0 % (was $50M)"``), ``"unchanged"`` (catalogue ``presentation.change``). None when either
    text has no figure or their kinds differ (the headline changed meaning)."""
    lang = settings.validate_language(language)
    a, b = parse_figure(now, lang), parse_figure(before, lang)
    if a is None or b is None or a.kind != b.kind:
        return None
    if a.kind == "pct":
        pts = round((a.value - b.value) * 100, 1)
        if pts == 0:
            return text("presentation.change.unchanged", lang)
        return text("presentation.change.points", lang,
                    change=("+" if pts > 0 else "-") + format_number(abs(pts), 1, lang))
    if a.value == b.value:
        return text("presentation.change.unchanged", lang)
    was = b.written
    if b.value == 0:
        return text("presentation.change.was", lang, was=was)
    rel = (a.value - b.value) / abs(b.value)
    return text("presentation.change.relative", lang,
                change=("+" if rel > 0 else "-") + format_pct(abs(rel), lang), was=was)


# --------------------------------------------------------------------------------------------
# table cells
# --------------------------------------------------------------------------------------------

def known_kind(kind: Any) -> bool:
    """True when ``kind`` is a format :func:`format_value` accepts (a name of :data:`KINDS`,
    ``floatN`` or a callable)."""
    return callable(kind) or kind in KINDS or bool(_FIXED.match(str(kind)))


def is_numeric_kind(kind: Any) -> bool:
    """True when ``kind`` formats numbers (such columns are right-aligned in tables)."""
    return kind in {"pct", "pct_auto", "pct_plain", "money", "money_exact", "int", "float"} or bool(
        isinstance(kind, str) and _FIXED.match(kind))


def column_words(name: Any) -> list[str]:
    """The lower-case words of a column name (split on ``_`` and non-word characters)."""
    return [w for w in re.split(r"[_\W]+", str(name).lower()) if w]


def infer_format(name: Any, series: pd.Series, previous: str | None = None) -> str:
    """The format kind for a column, from its dtype and its name (rules in
    :mod:`smlib.presentation.tables`).

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
    words = column_words(name)
    key = "_".join(words)
    if key in BOUND_NAMES and previous is not None and is_numeric_kind(previous):
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


def is_missing(x: Any) -> bool:
    """True when ``x`` is a missing scalar (None, NaN, NaT, ``pd.NA``); lists and arrays are not."""
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
    return format_number(x, decimals, language)


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
    significant figures from a thousand up (``$1.2M``, :func:`format_money`);
    ``money_exact``: whole units (``$215,609``, ``215.609 US$``, ``R$215,609``); money in
    ``currency`` (ISO 4217 code; default the report's, :func:`smlib.presentation.settings.report_currency`);
    ``int``: thousands separators; ``float``: 3
    significant digits; ``float1`` … ``float9``: fixed decimals; ``date``: ``YYYY-MM-DD``;
    ``datetime``: ``YYYY-MM-DD HH:MM``; ``bool``: yes/no; ``pct_auto``: percent as in prose
    (:func:`format_pct`: ``7.9 %``, ``23 %``); ``channel``/``model``/``team``/``action``/
    ``confidence``/``regime``: the display names of :mod:`smlib.presentation.labels`; ``words``: ``_`` read as spaces
    (``marketing_only`` → ``marketing only``); ``text``: ``str(x)``. Missing → :data:`NA_TEXT`.
    """
    if is_missing(x):
        return NA_TEXT
    if callable(kind):
        return str(kind(x))
    if is_numeric_kind(kind):
        try:
            v = float(x)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"format {kind!r} expects a number, got {x!r}") from exc
        if math.isinf(v):
            return "∞" if v > 0 else "-∞"
    if kind == "pct":
        if 0 < abs(v) < 0.0005:  # would read 0.0 %: say it is not zero
            tiny = format_pct(0.001, language, decimals=1)
            return f"<{tiny}" if v > 0 else f">-{tiny}"
        return format_pct(v, language, decimals=1)
    if kind == "pct_auto":  # prose precision: one decimal below 10 %, none above
        return format_pct(v, language)
    if kind == "pct_plain":  # dense matrices: the caption says "%"
        return format_number(v * 100, 1, language)
    if kind == "money":
        return format_money(v, language, currency)
    if kind == "money_exact":
        num = format_number(abs(v), 0, language)
        return settings.attach_currency(num, currency, language,
                                        negative=v < 0 and bool(num.strip("0.,")))
    if kind == "int":
        return format_number(v, 0, language)
    if kind == "float":
        return _float_sig(v, language)
    if isinstance(kind, str) and (fixed := _FIXED.match(kind)):
        return format_number(v, int(fixed.group(1)), language)
    if kind in ("date", "datetime"):
        return _date(x, kind == "datetime")
    if kind == "bool":
        if isinstance(x, str):  # the text "False" is not true
            truthy = x.strip().lower() in {"true", "t", "yes", "y", "1"}
        else:
            truthy = bool(x)
        return text("presentation.number.yes" if truthy else "presentation.number.no",
                    settings.validate_language(language))
    if kind == "channel":
        return channel_label(str(x), language)
    if kind == "model":
        return model_label(str(x), language)
    if kind == "team":
        return team_label(x, language)
    if kind == "action":
        return action_label(x, language)
    if kind == "confidence":
        return confidence_label(x, language)
    if kind == "regime":
        return regime_label(x, language)
    if kind == "text":
        return str(x)
    if kind == "words":
        return str(x).replace("_", " ")
    raise ValueError(f"unknown format {kind!r}; expected one of {KINDS} or a callable")
