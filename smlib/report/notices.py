"""Notices in a report: the "Data warnings" box and the "section not available" box.

:func:`show_warnings` displays one output near the top of a report with two representations, like
:func:`smlib.report.show_headline`:

* ``text/html`` — a ``<section class="data-warnings">`` titled "Data warnings" / "Avisos sobre los
  datos" listing the messages (or a one-line "No data warnings."), every text escaped;
* :data:`WARNINGS_MIMETYPE` (``application/vnd.smarketing.warnings+json``) — ``{"version",
  "language", "warnings": [{"code", "message", "details"?}, ...]}``. The report runner reads it back
  with :func:`extract_warnings` into the report's provenance JSON (``warnings``), so a scheduled run
  can alert on the codes.

:func:`show_unavailable` displays a short plain box where a section cannot run on this data: what it
needs, what it would show, and where the data contract describes the missing data.

The ``*_html`` functions return the HTML for tests and other renderers. Both boxes carry their
style inline (no stylesheet needed) and avoid page breaks inside them when printed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

from smlib.presentation.catalogue import entry
from smlib.presentation.settings import validate_language
from smlib.report.headline import iter_payloads

#: MIME type of the machine-readable copy of the data warnings (JSON, see :func:`warnings_payload`).
WARNINGS_MIMETYPE: str = "application/vnd.smarketing.warnings+json"
#: Version of the JSON payload layout; bump it when the layout changes.
PAYLOAD_VERSION: int = 1

_WARN_STYLE = (
    "border-left:4px solid #b26b00;padding:0.6em 1em;margin:0.5em 0 1em 0;background:#fdf6ea;"
    "break-inside:avoid;page-break-inside:avoid"
)
_NONE_STYLE = "color:#5a6472;margin:0.5em 0 1em 0"
_UNAVAILABLE_STYLE = (
    "border-left:4px solid #5a6472;padding:0.6em 1em;margin:0.5em 0 1em 0;background:#f5f6f8;"
    "break-inside:avoid;page-break-inside:avoid"
)



def _t(language: str) -> dict[str, str]:
    """The notices' words in ``language`` (catalogue ``report.notices``)."""
    return entry("report.notices", language)


_BACKTICKS = re.compile(r"`([^`<>]+)`")
#: A Markdown link to another report of the batch, ``[text](04_rollout_plan.html)``: shown as a
#: link (only relative ``.html`` targets, so no text of the data can become a link elsewhere).
_REPORT_LINK = re.compile(r"\[([^\]<>]+)\]\(([\w.-]+\.html(?:#[\w-]+)?)\)")


def _inline_html(text: str) -> str:
    """``text`` escaped for HTML, with `code` and links to other reports of the batch."""
    out = _BACKTICKS.sub(r"<code>\1</code>", html.escape(text))
    return _REPORT_LINK.sub(r'<a href="\2">\1</a>', out)


def _lang(language: str) -> str:
    return validate_language(language)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty text, got {value!r}")
    return value


def _as_dict(warning: Any, language: str) -> dict[str, Any]:
    """One warning as ``{"code", "message"[, "details"]}``: a DataWarning or a mapping (whose
    optional ``texts``, ``{language: message}`` like ``DataWarning.texts``, gives the message in
    ``language``; without it the mapping's ``message`` is shown in every language)."""
    if hasattr(warning, "to_dict") and callable(warning.to_dict):
        d = dict(warning.to_dict(language))
    elif isinstance(warning, Mapping):
        d = dict(warning)
        texts = d.pop("texts", None)
        if isinstance(texts, Mapping) and texts.get(language):
            d["message"] = texts[language]
    else:
        raise ValueError(f"a warning must be a DataWarning or a dict with 'code' and 'message', "
                         f"got {type(warning).__name__}")
    out: dict[str, Any] = {"code": _text(d.get("code"), "warning code"),
                           "message": _text(d.get("message"), "warning message")}
    if d.get("details"):
        out["details"] = dict(d["details"])
    return out


def warnings_payload(warnings: Iterable[Any], language: str = "en") -> dict[str, Any]:
    """The JSON payload of a warnings box: ``{"version", "language", "warnings": [...]}``.

    ``warnings`` holds :class:`smlib.data_warnings.DataWarning` objects (their message in
    ``language``) or dicts with ``code`` and ``message`` (and optional ``details`` and ``texts``,
    the message per language); duplicates (same code and message) are dropped, the order is kept.
    """
    lang = _lang(language)
    if isinstance(warnings, (str, bytes, Mapping)) or not isinstance(warnings, Iterable):
        raise ValueError("warnings must be a list of DataWarning objects or dicts")
    items = _dedupe(_as_dict(w, lang) for w in warnings)
    return {"version": PAYLOAD_VERSION, "language": lang, "warnings": items}


def _dedupe(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[str, str]] = set()
    out: list[dict[str, Any]] = []
    for it in items:
        key = (str(it.get("code")), str(it.get("message")))
        if key not in seen:
            seen.add(key)
            out.append(dict(it))
    return out


def warnings_html(warnings: Iterable[Any], language: str = "en") -> str:
    """HTML of the data-warnings box (every text escaped), or a one-line notice when there are none."""
    payload = warnings_payload(warnings, language)
    t = _t(payload["language"])
    esc = html.escape
    if not payload["warnings"]:
        return (f'<p class="data-warnings data-warnings-none" data-smarketing="warnings" '
                f'style="{_NONE_STYLE}">{esc(t["none"])}</p>')
    parts = [
        f'<section class="data-warnings" data-smarketing="warnings" role="note" style="{_WARN_STYLE}">',
        f'<h3 class="data-warnings-title" style="margin-top:0">{esc(t["title"])}</h3>',
        f'<p class="data-warnings-intro">{esc(t["intro"])}</p>',
        '<ul class="data-warnings-list">',
    ]
    for w in payload["warnings"]:
        parts.append(f'<li class="data-warning" data-code="{esc(w["code"])}">{esc(w["message"])}</li>')
    parts.append("</ul></section>")
    return "".join(parts)


def warnings_text(warnings: Iterable[Any], language: str = "en") -> str:
    """Plain-text rendering of the data-warnings box (for consoles and ``text/plain``)."""
    payload = warnings_payload(warnings, language)
    t = _t(payload["language"])
    if not payload["warnings"]:
        return t["none"]
    return "\n".join([t["title"], *(f"- {w['message']}" for w in payload["warnings"])])


def show_warnings(warnings: Iterable[Any], language: str = "en") -> None:
    """Display the "Data warnings" box of a report (returns None, so nothing extra is displayed).

    Call it once near the top of a report, e.g. ``show_warnings(collect_warnings(dataset,
    journeys), language)``. ``warnings`` holds :class:`smlib.data_warnings.DataWarning` objects or
    dicts with ``code`` and ``message``; an empty list shows "No data warnings." The output carries
    ``text/html``, ``text/plain`` and the JSON payload under :data:`WARNINGS_MIMETYPE`, which
    ``smlib report run`` copies into the report's provenance JSON as ``warnings``.
    """
    from IPython.display import display  # imported here: smlib must not need IPython to import

    items = list(warnings)
    payload = warnings_payload(items, language)
    display(
        {
            "text/plain": warnings_text(items, language),
            "text/html": warnings_html(items, language),
            WARNINGS_MIMETYPE: payload,
        },
        raw=True,
    )


def extract_warnings(nb: Any) -> list[dict[str, Any]]:
    """Every data warning displayed in an executed notebook, in cell order, without duplicates.

    ``nb`` is a notebook node (nbformat) or a plain dict with ``cells``. Reads the payloads under
    :data:`WARNINGS_MIMETYPE` of ``display_data`` / ``execute_result`` outputs (a payload may also be
    a bare list of warnings) and returns ``[{"code", "message"[, "details"]}, ...]``, dropping
    repeats of the same (code, message). An empty list when the notebook showed none.
    """
    found: list[dict[str, Any]] = []
    for payload in iter_payloads(nb, WARNINGS_MIMETYPE):
        items = payload.get("warnings", []) if isinstance(payload, Mapping) else payload
        for it in items or []:
            if isinstance(it, Mapping) and it.get("code") and it.get("message"):
                d = {"code": str(it["code"]), "message": str(it["message"])}
                if it.get("details"):
                    d["details"] = dict(it["details"])
                found.append(d)
    return _dedupe(found)


def unavailable_html(section: str, missing: str, unlocks: str, contract_ref: str,
                     language: str = "en") -> str:
    """HTML of the "section not available" box (every text escaped; `backticks` become code).

    Reads: "This section needs <missing>, which this data does not have. With it, the report would
    show <unlocks>. See <contract_ref>." (in the catalogue's words for ``language``), under the
    title ``section``.
    """
    t = _t(_lang(language))
    vals = {k: _text(v, k) for k, v in (("section", section), ("missing", missing),
                                         ("unlocks", unlocks), ("contract_ref", contract_ref))}

    def fmt(s: str) -> str:
        return _inline_html(s)

    sentences = " ".join([
        t["needs"].format(missing=fmt(vals["missing"])),
        t["unlocks"].format(unlocks=fmt(vals["unlocks"])),
        t["see"].format(ref=fmt(vals["contract_ref"])),
    ])
    return (
        f'<section class="unavailable" data-smarketing="unavailable" role="note" '
        f'style="{_UNAVAILABLE_STYLE}">'
        f'<h3 class="unavailable-title" style="margin-top:0">{html.escape(vals["section"])}'
        f' <span class="unavailable-tag" style="color:#5a6472;font-weight:normal;font-size:0.85em">'
        f'({html.escape(t["unavailable"])})</span></h3>'
        f'<p class="unavailable-text" style="margin-bottom:0">{sentences}</p></section>'
    )


def unavailable_text(section: str, missing: str, unlocks: str, contract_ref: str,
                     language: str = "en") -> str:
    """Plain-text rendering of the "section not available" box."""
    t = _t(_lang(language))
    return "\n".join([
        f"{section} ({t['unavailable']})",
        " ".join([t["needs"].format(missing=missing), t["unlocks"].format(unlocks=unlocks),
                  t["see"].format(ref=contract_ref)]),
    ])


def show_unavailable(section: str, missing: str, unlocks: str, contract_ref: str,
                     language: str = "en") -> None:
    """Display a short box where a section cannot run on this data (returns None).

    E.g. ``show_unavailable("Cost and ROI", "a spend table", "CAC, ROI and payback by channel",
    "data/README.md, table `spend`")`` shows "This section needs a spend table, which this data does
    not have. With it, the report would show CAC, ROI and payback by channel. See data/README.md,
    table spend." Every text is escaped; text between backticks is shown as code.
    """
    from IPython.display import display

    display(
        {
            "text/plain": unavailable_text(section, missing, unlocks, contract_ref, language),
            "text/html": unavailable_html(section, missing, unlocks, contract_ref, language),
        },
        raw=True,
    )


_gaps_shown: set[str] = set()  # codes of the gaps this kernel already explained in full


def _gap_text(gap: Any, part: str, language: str) -> str:
    """``gap.<part>`` in ``language``: its ``<part>_in(language)`` method when it has one."""
    method = getattr(gap, f"{part}_in", None)
    return method(language) if callable(method) else getattr(gap, part)


def show_gap(gap: Any, section: str, language: str = "en") -> None:
    """Show why ``section`` is not available, from a :class:`smlib.gaps.DataGap` (returns None).

    The first section a gap affects gets the full box (:func:`show_unavailable`); later sections
    missing for the same gap (same ``code`` and ``missing``) get one short line pointing back to
    it, so a report without, e.g., a unit panel does not repeat the same box in every section.
    The gap's texts are shown in ``language`` (its ``missing_in``/``unlocks_in``/
    ``contract_ref_in`` methods when it has them); ``section`` is given in the report's language
    by the caller.
    """
    from IPython.display import display

    lang = _lang(language)
    missing, unlocks, ref = (_gap_text(gap, k, lang) for k in ("missing", "unlocks",
                                                                  "contract_ref"))
    key = f"{gap.code}\0{gap.missing}"
    if key not in _gaps_shown:
        _gaps_shown.add(key)
        show_unavailable(section, missing, unlocks, ref, lang)
        return
    t = _t(lang)
    line = t["again"].format(missing=missing)
    shown = _inline_html(line)
    display({"text/plain": f"{section}: {line}",
             "text/html": f'<p class="unavailable-again" data-smarketing="unavailable">'
                          f'<em>{html.escape(section)}</em>: {shown}</p>'},
            raw=True)
