"""The story text of a report in its language, from the text catalogue.

A report notebook keeps its prose in the catalogue (``smlib/presentation/locales/<language>.toml``)
under a key next to the code that shows the numbers, and shows the text of the report's
``language`` parameter::

    say("overview.funnel_intro", language)

:func:`say` displays the chosen text as Markdown (its ``{placeholders}`` filled in); :func:`pick`
returns the chosen value of any kind (a caption, a table of column labels, a format), for the
arguments of ``show_table`` and the figures. Both check that ``language`` is a report language and
that every report language has the text, so a report cannot quietly show one language in a run of
another, and a new language (a catalogue file plus an entry in
:data:`smlib.presentation.settings.LANGUAGES`) needs no change here.
"""

from __future__ import annotations

import textwrap
from typing import Any

from smlib.presentation import catalogue, settings
from smlib.presentation.labels import section_anchor
from smlib.presentation.settings import validate_language

__all__ = ["SECTION_METADATA", "pick", "say"]

#: Key of the output metadata by which :func:`say` marks the start of a report section
#: (``{"smarketing": {"section": "<id>"}}``), read by :func:`smlib.report.render.render_html`.
SECTION_METADATA = "smarketing"


def _key(key: Any) -> str:
    if not isinstance(key, str) or not key.strip():
        raise ValueError(f"expected a catalogue key such as 'overview.funnel.caption', got {key!r}")
    return key


def pick(key: str, language: str) -> Any:
    """The catalogue value under ``key`` (``"overview.funnel.caption"``, looked up with
    :func:`smlib.presentation.catalogue.entry`) for ``language``.

    Raises ValueError when ``language`` is not a report language or ``key`` is not a key, and
    KeyError when a report language lacks the key (every one must have it, so no report falls back
    to another language).
    """
    lang = validate_language(language)
    key = _key(key)
    for other in settings.LANGUAGES:  # every language must have it, not only the one shown
        catalogue.entry(key, other)
    return catalogue.entry(key, lang)


def _markdown(text: Any, language: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"the {language!r} text must be a non-empty string, got {text!r}")
    return textwrap.dedent(text).strip("\n")


def say(key: str, language: str, **values: Any) -> None:
    """Display the Markdown text under the catalogue ``key`` for ``language``, its
    ``{placeholders}`` filled from ``values``.

    A text that starts with a Markdown heading opens a section of the rendered report whose HTML
    id is :func:`smlib.presentation.labels.section_anchor` of ``key`` (``"overview.nb.funnel"`` →
    ``#overview-funnel``): the output carries it as metadata (:data:`SECTION_METADATA`).

    The text is dedented and stripped of surrounding blank lines, so it may be written as an
    indented multi-line string. Returns None (nothing else is displayed). Raises as :func:`pick`
    does, or ValueError when a language's text is empty.
    """
    from IPython.display import Markdown, display  # smlib must not need IPython to import

    lang = validate_language(language)
    key = _key(key)
    chosen = {other: catalogue.text(key, other, **values) for other in settings.LANGUAGES}
    for other in settings.LANGUAGES:  # every language checked, not only the one shown
        _markdown(chosen[other], other)
    shown = _markdown(chosen[lang], lang)
    # a text that starts with a heading opens a report section whose id comes from the key
    # (section_anchor): links from other reports land on it whatever the language
    metadata = ({SECTION_METADATA: {"section": section_anchor(key)}}
                if shown.lstrip().startswith("#") else None)
    display(Markdown(shown, metadata=metadata))
