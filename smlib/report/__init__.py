"""Scheduled report runs: papermill batches rendered to offline HTML, with provenance.

Notebooks call :func:`show_headline` for their top-of-report numbers, :func:`show_warnings` for the
"Data warnings" box, :func:`show_unavailable` / :func:`show_gap` where a section cannot run on the
data, and :func:`say` / :func:`pick` for the story text in the report's language.
``smlib report run`` (see :mod:`smlib.cli`) executes the runs listed in ``reports.toml`` and
publishes them into ``reports/<run-id>/``. Names are imported lazily so that a notebook importing ``show_headline``
does not pay for papermill and nbconvert.
"""

from __future__ import annotations

from smlib._lazy import lazy_getattr

_LAZY: dict[str, str] = {
    "show_headline": "headline",
    "headline_payload": "headline",
    "extract_headlines": "headline",
    "key_numbers_text": "headline",
    "HEADLINE_MIMETYPE": "headline",
    "show_warnings": "notices",
    "show_unavailable": "notices",
    "show_gap": "notices",
    "say": "text",
    "pick": "text",
    "extract_warnings": "notices",
    "WARNINGS_MIMETYPE": "notices",
}

__all__ = sorted(_LAZY)

__getattr__ = lazy_getattr(__name__, _LAZY)
