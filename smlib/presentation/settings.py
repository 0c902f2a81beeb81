"""The report's locale in one place: its language (``en``/``es``) and its currency (ISO 4217).

A report notebook calls :func:`set_report_locale` once, near the top, from its parameters::

    from smlib.presentation.settings import set_report_locale
    set_report_locale(language, currency)      # e.g. "es", "BRL"; both validated here

Like matplotlib's ``rcParams`` the settings are module-level state: every money amount, axis label
and table cell written afterwards uses them unless a function is given a currency (or language) of
its own. :func:`report_locale` sets them for a ``with`` block only and restores them after (tests).

Currency symbols, names and where a language writes the symbol come from Babel (CLDR data), not
from rules written here: ``USD`` is ``$`` in English and ``US$`` in Spanish, ``EUR`` is ``€``,
``BRL`` is ``R$`` in English and ``BRL`` in Spanish (CLDR's Spanish writes the ISO code for a
currency that has no Spanish symbol). English puts the symbol before the number (``R$1.2M``),
Spanish after it, with a space (``1,2 M BRL``). Axis labels name the currency by its code
(:func:`money_unit`: ``thousand BRL`` / ``miles de BRL``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager

from babel import Locale
from babel.numbers import get_currency_symbol, list_currencies

__all__ = ["CURRENCY_DEFAULT", "LANGUAGES", "LANGUAGE_NAMES", "MONEY_SCALES", "attach_currency",
           "currency_symbol", "money_unit", "report_currency", "report_language", "report_locale",
           "set_report_locale", "validate_currency", "validate_language"]

#: Report languages: English and Spanish.
LANGUAGES: tuple[str, ...] = ("en", "es")
#: The name of each report language, for error messages.
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "es": "Spanish"}
#: Currency of a report that does not set one.
CURRENCY_DEFAULT: str = "USD"
#: Scales :func:`money_unit` names, with their words in each language.
MONEY_SCALES: dict[str, dict[str, str]] = {
    "unit": {"en": "", "es": ""},
    "thousand": {"en": "thousand", "es": "miles de"},
    "million": {"en": "million", "es": "millones de"},
    "billion": {"en": "billion", "es": "miles de millones de"},
}

_STATE: dict[str, str] = {"language": "en", "currency": CURRENCY_DEFAULT}
_ISO_CODE = re.compile(r"[A-Za-z]{3}")


@functools.lru_cache(maxsize=None)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def validate_language(code: str) -> str:
    """``code`` if it is a report language (``"en"`` or ``"es"``), else a ``ValueError`` naming the
    allowed values."""
    if not isinstance(code, str) or code not in LANGUAGES:
        allowed = ", ".join(f"{c!r} ({LANGUAGE_NAMES[c]})" for c in LANGUAGES)
        raise ValueError(f"language must be one of {allowed}; got {code!r}")
    return code


def validate_currency(code: str) -> str:
    """The ISO 4217 code ``code`` in capitals (``"brl"`` → ``"BRL"``) if Babel knows it, else a
    ``ValueError`` (``unknown currency 'XYZ': expected an ISO 4217 code such as USD, EUR, BRL``)."""
    text = code.strip().upper() if isinstance(code, str) else None
    if text is None or not _ISO_CODE.fullmatch(text) or text not in _known_currencies():
        raise ValueError(f"unknown currency {code!r}: expected an ISO 4217 code such as USD, EUR, "
                         "BRL")
    return text


def set_report_locale(language: str = "en", currency: str = CURRENCY_DEFAULT) -> None:
    """Set the report's language and currency (both validated first: on an error nothing
    changes). A notebook calls it once near the top; later formatting follows it."""
    lang = validate_language(language)
    cur = validate_currency(currency)
    _STATE.update(language=lang, currency=cur)


def report_language() -> str:
    """The report's language (``"en"`` unless :func:`set_report_locale` said otherwise)."""
    return _STATE["language"]


def report_currency() -> str:
    """The report's currency as an ISO 4217 code (``"USD"`` unless :func:`set_report_locale` said
    otherwise)."""
    return _STATE["currency"]


@contextmanager
def report_locale(language: str | None = None,
                  currency: str | None = None) -> Iterator[tuple[str, str]]:
    """Use a language and/or currency inside a ``with`` block only (``None`` keeps the current
    one); the previous settings come back afterwards, even after an error. Yields
    ``(language, currency)``."""
    saved = dict(_STATE)
    set_report_locale(report_language() if language is None else language,
                      report_currency() if currency is None else currency)
    try:
        yield report_language(), report_currency()
    finally:
        _STATE.clear()
        _STATE.update(saved)


def _language(language: str | None) -> str:
    return report_language() if language is None else validate_language(language)


def _currency(currency: str | None) -> str:
    return report_currency() if currency is None else validate_currency(currency)


def currency_symbol(currency: str | None = None, language: str | None = None) -> str:
    """The symbol of ``currency`` (default: the report's) as ``language`` (default: the report's)
    writes it, from Babel: ``USD`` → ``$`` (en) / ``US$`` (es); ``EUR`` → ``€``; ``BRL`` → ``R$``
    (en) / ``BRL`` (es); ``JPY`` → ``¥`` (en) / ``JPY`` (es)."""
    return get_currency_symbol(_currency(currency), locale=_language(language))


@functools.lru_cache(maxsize=None)
def _symbol_first(language: str) -> bool:
    """Whether the language's standard currency pattern (CLDR, via Babel) puts ``¤`` before the
    number (en ``¤#,##0.00``) rather than after it (es ``#,##0.00 ¤``)."""
    pattern = Locale.parse(language).currency_formats["standard"]
    return "¤" in pattern.prefix[0]


def attach_currency(amount: str, currency: str | None = None, language: str | None = None,
                    negative: bool = False) -> str:
    """An already formatted, unsigned ``amount`` (``"1.2M"``, ``"1,2 M"``) with the currency symbol
    where ``language`` writes it and a leading ``-`` if ``negative``: English before the number
    (``-$1.2M``, ``R$850k``; ``CHF 1.2M`` when the symbol ends in a letter), Spanish after it with
    a space (``-1,2 M US$``, ``850 mil €``). ``currency`` is an ISO code (default: the report's);
    a bare symbol such as ``"$"`` (no three letters) is used as it is."""
    lang = _language(language)
    if isinstance(currency, str) and currency.strip() and not _ISO_CODE.fullmatch(currency.strip()):
        symbol = currency.strip()  # backward compatibility: a symbol given by the caller
    else:
        symbol = currency_symbol(currency, lang)
    sign = "-" if negative else ""
    if _symbol_first(lang):
        gap = " " if symbol[-1].isalpha() else ""  # "CHF 1.2M", "$1.2M" (CLDR currency spacing)
        return f"{sign}{symbol}{gap}{amount}"
    return f"{sign}{amount} {symbol}"


def money_unit(scale: str = "unit", currency: str | None = None,
               language: str | None = None) -> str:
    """The unit of money amounts on an axis, by the currency's ISO code: ``scale`` ``"thousand"``
    → ``thousand BRL`` (en) / ``miles de BRL`` (es); ``"unit"`` → ``BRL``; also ``"million"`` and
    ``"billion"`` (``miles de millones de`` in Spanish)."""
    if scale not in MONEY_SCALES:
        raise ValueError(f"unknown money scale {scale!r}; expected one of {list(MONEY_SCALES)}")
    words = MONEY_SCALES[scale][_language(language)]
    code = _currency(currency)
    return f"{words} {code}" if words else code
