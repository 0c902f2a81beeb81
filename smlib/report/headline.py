"""The headline block at the top of a report: shown to readers, and read back by the runner.

A notebook calls :func:`show_headline` once, near the top of its results. The call displays one
output with two representations:

* ``text/html`` — a ``<section id="headline" class="headline">`` with the title and the items, every
  user-supplied string escaped (a channel named ``<script>alert(1)</script>`` shows as text);
* :data:`HEADLINE_MIMETYPE` (``application/vnd.smarketing.headline+json``) — the same content as
  JSON. JupyterLab and nbconvert ignore a MIME type they have no renderer for and show the HTML; the
  report runner (:func:`extract_headlines`) reads this JSON from the executed notebook into the
  run's provenance file and the report index.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping
from numbers import Real
from typing import Any

#: MIME type of the machine-readable copy of a headline block (JSON, see :func:`headline_payload`).
HEADLINE_MIMETYPE: str = "application/vnd.smarketing.headline+json"
#: Version of the JSON payload layout; bump it when the layout changes.
PAYLOAD_VERSION: int = 1

# Links in a headline point to other reports of the same run folder (relative) or to an anchor.
# A scheme (http:, javascript:, data:) or a leading "/" or "//" would break the offline rule.
_SAFE_HREF = re.compile(r"^(?![a-zA-Z][a-zA-Z0-9+.-]*:)(?!/)[^\s\"'<>`]+$")

_shown = 0  # how many headlines this kernel displayed: the first gets id="headline"
_payloads: list[dict[str, Any]] = []  # the payloads shown in this kernel, in order

_INLINE_STYLE = (
    "border-left:4px solid #1f5c99;padding:0.6em 1em;margin:0.5em 0 1em 0;background:#f3f7fb"
)


def _item_text(label: str, value: Any) -> tuple[str, float | int | None]:
    """Text shown for a value and the number kept for machines (None for text values)."""
    if isinstance(value, bool) or value is None:
        raise ValueError(
            f"headline item {label!r}: value {value!r} is not a text or a number; "
            "pass the formatted text, e.g. '23 %'"
        )
    if isinstance(value, str):
        if not value.strip():
            raise ValueError(f"headline item {label!r}: value is empty; expected a text or a number")
        return value, None
    if isinstance(value, Real):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(
                f"headline item {label!r}: value is {value!r}; expected a finite number or a text"
            )
        # ints stay ints in the JSON; floats are shown with up to 4 significant digits
        if isinstance(value, int) or number.is_integer() and abs(number) < 1e15:
            return f"{int(number):,}", int(number)
        return f"{number:,.4g}", number
    raise ValueError(
        f"headline item {label!r}: value of type {type(value).__name__} is not a text or a number"
    )


def headline_payload(
    title: str,
    items: Iterable[tuple[Any, ...]] | Mapping[str, Any],
    note: str | None = None,
) -> dict[str, Any]:
    """Validate a headline and return its JSON payload.

    Parameters
    ----------
    title
        Heading of the block (non-empty text).
    items
        Either a mapping ``label -> value`` or a sequence of ``(label, value)`` or
        ``(label, value, href)`` tuples, in display order. ``value`` is the text to show (format
        numbers yourself, with units: ``"$1.2M"``, ``"23 % (95 % CI 11-35 %)"``) or a finite number
        (shown with thousands separators / 4 significant digits, and also kept as a number).
        ``href`` is an optional relative link to another report of the same run, e.g.
        ``"02_integration_uplift.html#headline"``; absolute URLs are refused because reports must
        open offline.
    note
        Optional one-line caption under the title (e.g. the region or quarter of this run).

    Returns
    -------
    dict
        ``{"version", "title", "note", "items": [{"label", "text", "value", "href"}, ...]}`` where
        ``value`` is the number (or None for text values).

    Raises
    ------
    ValueError
        Empty title or labels, duplicate labels, values that are not finite numbers or non-empty
        text, malformed items, or an href that is not a relative link.
    """
    if not isinstance(title, str) or not title.strip():
        raise ValueError(f"headline title must be a non-empty text, got {title!r}")
    if note is not None and not isinstance(note, str):
        raise ValueError(f"headline note must be a text or None, got {type(note).__name__}")
    if isinstance(items, Mapping):
        rows: list[tuple[Any, ...]] = list(items.items())
    elif isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise ValueError(
            "headline items must be a dict {label: value} or a list of (label, value[, href]) tuples"
        )
    else:
        rows = [tuple(r) if isinstance(r, (list, tuple)) else (r,) for r in items]
    if not rows:
        raise ValueError("headline items are empty; expected at least one (label, value)")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if len(row) not in (2, 3):
            raise ValueError(
                f"headline item {i} is {row!r}; expected (label, value) or (label, value, href)"
            )
        label, value = row[0], row[1]
        href = row[2] if len(row) == 3 else None
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"headline item {i}: label must be a non-empty text, got {label!r}")
        if label in seen:
            raise ValueError(f"headline item {i}: duplicate label {label!r}")
        seen.add(label)
        text, number = _item_text(label, value)
        if href is not None and (not isinstance(href, str) or not _SAFE_HREF.match(href)):
            raise ValueError(
                f"headline item {label!r}: href {href!r} must be a relative link to a file in the "
                "same run folder or an anchor (no scheme, no leading '/'), so the report opens offline"
            )
        out.append({"label": label, "text": text, "value": number, "href": href})
    return {"version": PAYLOAD_VERSION, "title": title, "note": note, "items": out}


#: Values longer than this (characters) are sentences, not figures: shown in a lighter style.
PROSE_CHARS: int = 40


def is_prose(payload: Mapping[str, Any]) -> bool:
    """True if any value of the headline is a sentence (longer than :data:`PROSE_CHARS`)."""
    return any(len(item["text"]) > PROSE_CHARS for item in payload["items"])


def headline_html(payload: Mapping[str, Any], element_id: str = "headline") -> str:
    """Render a headline payload (from :func:`headline_payload`) as an escaped HTML section.

    Every text is escaped with :func:`html.escape` (quotes included), so user-supplied names such as
    ``<script>alert(1)</script>`` are shown as text and never parsed as markup.
    """
    esc = html.escape
    parts = [
        f'<section id="{esc(element_id)}" class="headline{" headline-prose" if is_prose(payload) else ""}" '
        'data-smarketing="headline" '
        f'style="{_INLINE_STYLE}">',
        f'<h2 class="headline-title" style="margin-top:0">{esc(payload["title"])}</h2>',
    ]
    if payload.get("note"):
        parts.append(f'<p class="headline-note">{esc(payload["note"])}</p>')
    parts.append('<dl class="headline-items">')
    for item in payload["items"]:
        text = esc(item["text"])
        if item.get("href"):
            text = f'<a href="{esc(item["href"])}">{text}</a>'
        parts.append(
            '<div class="headline-item">'
            f'<dt class="headline-label">{esc(item["label"])}</dt>'
            f'<dd class="headline-value">{text}</dd></div>'
        )
    parts.append("</dl></section>")
    return "".join(parts)


def headline_text(payload: Mapping[str, Any]) -> str:
    """Plain-text rendering of a headline payload (for consoles and ``text/plain``)."""
    lines = [payload["title"]]
    if payload.get("note"):
        lines.append(payload["note"])
    lines += [f"- {it['label']}: {it['text']}" for it in payload["items"]]
    return "\n".join(lines)


def show_headline(
    title: str,
    items: Iterable[tuple[Any, ...]] | Mapping[str, Any],
    note: str | None = None,
) -> None:
    """Display the headline block of a report (returns None, so nothing extra is displayed).

    Call it once near the top of a notebook's results with the report's key numbers, already
    formatted for leadership and with their intervals, e.g.::

        show_headline("Does integration raise revenue?", [
            ("Estimated uplift", "8.1 % (95 % CI 4.0-12.2 %)"),
            ("Verdict on the 20 % claim", "Not supported: the interval excludes 20 %"),
        ])

    The output carries ``text/html`` (an escaped ``<section class="headline">``; the first block
    of a kernel session also gets ``id="headline"``), ``text/plain`` and the JSON payload under
    :data:`HEADLINE_MIMETYPE`, which ``smlib report run`` copies into the provenance file and the
    report index. See :func:`headline_payload` for the accepted ``items`` and the errors raised.
    """
    from IPython.display import display  # imported here: smlib must not need IPython to import

    global _shown
    payload = headline_payload(title, items, note)
    element_id = "headline" if _shown == 0 else f"headline-{_shown + 1}"
    _shown += 1
    _payloads.append(payload)
    display(
        {
            "text/plain": headline_text(payload),
            "text/html": headline_html(payload, element_id),
            HEADLINE_MIMETYPE: payload,
        },
        raw=True,
    )


def key_numbers_text() -> str:
    """Every headline shown so far in this kernel, as plain text (one block per headline).

    Notebooks print it in a cell marked ``# NBVAL_CHECK_OUTPUT`` and tagged ``report-hide``: the
    report leaves the cell out, and ``make test`` (nbval) compares the key numbers with the copy
    stored by ``smlib report store-checked``, so a changed headline number fails the suite until
    it is reviewed and stored again.
    """
    if not _payloads:
        raise ValueError("key_numbers_text: no headline was shown yet; call show_headline(...) first")
    return "\n\n".join(headline_text(p) for p in _payloads)


def iter_payloads(nb: Any, mimetype: str) -> Iterable[Any]:
    """The outputs of an executed notebook under ``mimetype``, in cell order.

    ``nb`` is a notebook node (nbformat) or a plain dict with ``cells``; only code cells'
    ``display_data`` / ``execute_result`` outputs carry data.
    """
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data") or {}
            if mimetype in data:
                yield data[mimetype]


def extract_headlines(nb: Any) -> list[dict[str, Any]]:
    """All headline payloads displayed in an executed notebook, in cell order.

    ``nb`` is a notebook node (nbformat) or a plain dict with ``cells``. Returns the JSON payloads
    found under :data:`HEADLINE_MIMETYPE` in ``display_data`` / ``execute_result`` outputs.
    """
    return [dict(p) for p in iter_payloads(nb, HEADLINE_MIMETYPE)]
