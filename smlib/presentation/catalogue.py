"""Every text the workbook shows, in every report language: one catalogue file per language.

The texts live in ``smlib/presentation/locales/<language>.toml`` (``en.toml``, ``es.toml``), one
TOML table per area (``[overview]``, ``[uplift]``, ``[labels.model]``...). A text is found by its
dotted key, ``"uplift.verdict.contradicts"``, and may hold ``{name}`` placeholders that
:func:`text` fills in (a literal brace is written ``{{`` / ``}}``). Adding a report language is
adding a file: ``tests/test_catalogue.py`` checks that every language has the same keys, the same
placeholders under each key and no empty text, and :data:`smlib.presentation.settings.LANGUAGES`
lists the languages.

Values need not be strings: a table of column labels or a list of month names is looked up with
:func:`entry` and used as it is.
"""

from __future__ import annotations

import functools
import string
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from smlib.presentation.settings import LANGUAGES, validate_language

__all__ = ["LOCALES_DIR", "entry", "has", "keys", "placeholders", "text"]

#: Folder of the catalogue files, one ``<language>.toml`` per report language.
LOCALES_DIR: Path = Path(__file__).with_name("locales")


@functools.lru_cache(maxsize=None)
def _catalogue(language: str) -> Mapping[str, Any]:
    path = LOCALES_DIR / f"{language}.toml"
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from None


def _lookup(key: str, language: str) -> Any:
    node: Any = _catalogue(validate_language(language))
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(f"no text {key!r} in the {language!r} catalogue "
                           f"({LOCALES_DIR / (language + '.toml')})")
        node = node[part]
    return node


def entry(key: str, language: str) -> Any:
    """The catalogue value under the dotted ``key`` for ``language``: a string, a number, a list or
    a table (returned as a dict). KeyError naming the key and the file when it is missing;
    ValueError when ``language`` is not a report language."""
    return _lookup(key, language)


def has(key: str, language: str = "en") -> bool:
    """True when the catalogue of ``language`` has a value under ``key``."""
    try:
        _lookup(key, language)
    except KeyError:
        return False
    return True


def text(key: str, language: str, **values: Any) -> str:
    """The text under ``key`` in ``language``, with its ``{placeholders}`` filled from ``values``.

    KeyError when the key is missing or a placeholder has no value; TypeError when the key holds
    a table or list rather than a text (use :func:`entry`).
    """
    value = _lookup(key, language)
    if not isinstance(value, str):
        raise TypeError(f"catalogue key {key!r} holds a {type(value).__name__}, not a text; "
                        "use entry()")
    try:
        return value.format(**values)
    except KeyError as exc:
        raise KeyError(f"text {key!r} ({language}) needs a value for {exc.args[0]!r}") from None


def keys(language: str) -> dict[str, Any]:
    """Every dotted key of the catalogue of ``language`` with its value (leaves only)."""
    out: dict[str, Any] = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for k, v in node.items():
            if isinstance(v, Mapping):
                walk(v, f"{prefix}{k}.")
            else:
                out[f"{prefix}{k}"] = v

    walk(_catalogue(validate_language(language)), "")
    return out


def placeholders(value: Any) -> frozenset[str]:
    """The ``{names}`` a catalogue text fills in (empty for values that are not texts)."""
    if not isinstance(value, str):
        return frozenset()
    return frozenset(name for _, name, _, _ in string.Formatter().parse(value) if name)


def languages() -> tuple[str, ...]:
    """The report languages (each has a catalogue file)."""
    return LANGUAGES
