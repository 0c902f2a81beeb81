"""The story text of a report in its language: both languages side by side in the notebook.

A report notebook keeps its prose next to the code that shows the numbers, in English and Spanish
at once, and shows the one of the report's ``language`` parameter::

    say({"en": "## Funnel\\n\\nHow many leads reached each stage ...",
         "es": "## Embudo\\n\\nCuántos leads llegaron a cada etapa ..."}, language)

:func:`say` displays the chosen text as Markdown; :func:`pick` returns the chosen value of any kind
(a caption, a dict of column labels, a format), for the arguments of ``show_table`` and the
figures. Both check that ``language`` is a report language and that every report language has a
text, so a report cannot quietly show English in a Spanish run (or the reverse).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any, TypeVar

from smlib.presentation import catalogue
from smlib.presentation.settings import LANGUAGES, validate_language

__all__ = ["pick", "say"]

T = TypeVar("T")


def pick(texts: Mapping[str, T] | str, language: str) -> T:
    """The value of ``texts`` for ``language``: a catalogue key (``"overview.funnel.caption"``,
    looked up with :func:`smlib.presentation.catalogue.entry`) or ``{"en": ..., "es": ...}``.

    Raises ValueError when ``language`` is not a report language, when ``texts`` is not a mapping
    or lacks a report language (every one must be given, so no report falls back to another
    language), or has a key that is not a report language (a typo such as ``"sp"``).
    """
    lang = validate_language(language)
    if isinstance(texts, str):
        for other in LANGUAGES:  # every language must have it, not only the one shown
            catalogue.entry(texts, other)
        return catalogue.entry(texts, lang)
    if not isinstance(texts, Mapping):
        raise ValueError(f"texts must be a dict {{language: text}} with keys {list(LANGUAGES)}, "
                         f"got {type(texts).__name__}")
    unknown = sorted(str(k) for k in texts if k not in LANGUAGES)
    missing = [k for k in LANGUAGES if k not in texts]
    if unknown or missing:
        raise ValueError(f"texts must have exactly the keys {list(LANGUAGES)}; "
                         + "; ".join(filter(None, [f"missing {missing}" if missing else "",
                                                   f"unknown {unknown}" if unknown else ""])))
    return texts[lang]


def _markdown(text: Any, language: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"the {language!r} text must be a non-empty string, got {text!r}")
    return textwrap.dedent(text).strip("\n")


def say(texts: Mapping[str, str] | str, language: str, **values: Any) -> None:
    """Display the Markdown text of ``texts`` for ``language``: a catalogue key (its
    ``{placeholders}`` filled from ``values``) or ``{"en": ..., "es": ...}``.

    The text is dedented and stripped of surrounding blank lines, so it may be written as an
    indented triple-quoted string. Returns None (nothing else is displayed). Raises ValueError as
    :func:`pick` does, or when a text is empty.
    """
    from IPython.display import Markdown, display  # smlib must not need IPython to import

    if isinstance(texts, str):
        chosen = {lang: catalogue.text(texts, lang, **values) for lang in LANGUAGES}
    else:
        chosen = {lang: pick(texts, lang) for lang in LANGUAGES}
    for lang in LANGUAGES:  # every language checked, not only the one shown
        _markdown(chosen[lang], lang)
    display(Markdown(_markdown(chosen[validate_language(language)], language)))
