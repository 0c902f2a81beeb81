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
from typing import Any

import numpy as np
import pandas as pd

from smlib.presentation import settings
from smlib.presentation.catalogue import entry, text
from smlib.presentation.labels import (action_label, channel_label, confidence_label, model_label,
                                       regime_label, team_label)

__all__ = ["BOUND_NAMES", "KINDS", "NA_TEXT", "as_finite", "column_words", "format_days", "format_interval",
           "format_money", "format_month", "format_months", "format_number", "format_pct",
           "format_value", "infer_format", "is_known", "is_missing", "is_numeric_kind",
           "known_kind", "pct_formatter"]

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
