"""Render an executed notebook into an offline HTML report, and audit HTML for remote or active content.

The HTML comes from nbconvert's :class:`~nbconvert.exporters.HTMLExporter` with the project's own
template (``templates/smarketing``, extending nbconvert's ``lab``): code cells and prompts hidden,
figures embedded as base64 PNG, no script, stylesheet or font from any host (the ``lab`` template
would load require.js, MathJax and mermaid from a CDN), errors shown as a plain-language message,
a header (title, run date, data period, parameters) and a footer with the provenance record.
:func:`arrange_sections` gives each ``say`` heading a section with a stable id (links from other
reports land on it) and gathers cells tagged ``report-appendix`` into a collapsed appendix that
prints on pages of its own.

:func:`audit_html` re-reads the final HTML and lists anything a browser would fetch from elsewhere
or run; :func:`render_html` refuses to return a report with such content.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from html import escape as html_escape
from html.parser import HTMLParser
from typing import Any

from smlib import config
from smlib.presentation.catalogue import entry, text
from smlib.presentation.settings import LANGUAGES

#: Cells with this tag run (and nbval checks them) but are left out of the HTML report.
HIDE_TAG = "report-hide"
#: Cells with this tag (analyst material: candidate tables, checks) are moved, in their order, to
#: the report's appendix: one collapsed ``<details>`` at the end on screen, printed expanded on
#: pages of its own after the report (its ``<section class="report-appendix">`` starts a page).
APPENDIX_TAG = "report-appendix"
#: Output metadata key by which a notebook's ``say(...)`` marks a section start
#: (smlib.report.text.SECTION_METADATA; repeated here so rendering needs no IPython).
SECTION_METADATA = "smarketing"
#: HTML id of the appendix section.
APPENDIX_ID = "appendix"
TEMPLATE_NAME = "smarketing"
_SECTION_ID = re.compile(r"^[a-z][a-z0-9-]*$")

# Attributes through which a browser loads something without a click.
_LOAD_ATTRS = {"src", "srcset", "poster", "data", "background", "xlink:href", "action", "formaction"}
# Elements that run code or embed other documents: never allowed in a report.
_ACTIVE_TAGS = {"script", "iframe", "frame", "object", "embed", "applet", "base", "portal"}
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
_CSS_IMPORT = re.compile(r"@import\s+(?:url\(\s*)?['\"]?([^'\")\s;]+)", re.IGNORECASE)
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")


class ReportRenderError(ValueError):
    """A report could not be rendered safely (it would load remote resources or run code)."""


def _is_remote(url: str) -> bool:
    """True for a URL that leaves the machine: http(s), protocol-relative, ftp, ws."""
    u = url.strip().lower()
    return u.startswith(("http:", "https:", "//", "ftp:", "ws:", "wss:"))


def _embedded_ok(url: str) -> bool:
    """A resource URL that loads nothing from anywhere: an embedded data: image/font or a fragment."""
    u = url.strip().lower()
    return u.startswith(("data:image/", "data:font/", "data:application/font", "#")) or u == ""


class _Auditor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_style = False

    def _css(self, text: str, where: str) -> None:
        for url in _CSS_IMPORT.findall(text):
            self.problems.append(f"{where}: CSS @import of {url!r}")
        for _, url in _CSS_URL.findall(text):
            if not _embedded_ok(url):
                self.problems.append(f"{where}: CSS url({url[:80]!r}) is not embedded")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _ACTIVE_TAGS:
            self.problems.append(f"<{tag}> element (reports run no code and embed no other page)")
        self._in_style = tag == "style"
        a = {k.lower(): (v or "") for k, v in attrs}
        for key, value in a.items():
            if key.startswith("on"):
                self.problems.append(f"<{tag} {key}=...> event handler (reports run no code)")
            elif key == "style":
                self._css(value, f"<{tag} style>")
            elif key in _LOAD_ATTRS or (key == "href" and tag in {"link", "image", "use"}):
                urls = [u.split()[0] for u in value.split(",") if u.strip()] if key == "srcset" else [value]
                for url in urls:
                    if not _embedded_ok(url):
                        self.problems.append(f"<{tag} {key}={url[:80]!r}> loads a resource that is not embedded")
            elif key == "href":
                scheme = _SCHEME.match(value)
                if scheme and scheme.group(1).lower() not in {"http", "https", "mailto"}:
                    self.problems.append(f"<{tag} href={value[:80]!r}> uses the {scheme.group(1)}: scheme")
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh> redirects the page")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data, "<style>")


def audit_html(html: str) -> list[str]:
    """List what in ``html`` would make a browser fetch something or run code.

    Flags: ``<script>``, ``<iframe>``, ``<object>``, ``<embed>``, ``<base>`` elements; ``on*`` event
    handler attributes; ``javascript:``-like link schemes; any ``src``/``srcset``/``poster``/``data``
    or ``<link href>`` that is not an embedded ``data:image|font`` URL or a fragment; CSS ``@import``
    and ``url(...)`` (in ``<style>`` or ``style=``) that are not embedded; ``<meta http-equiv=refresh>``.
    Plain hyperlinks (``<a href>`` to a relative file, an anchor, http(s) or mailto) are navigation,
    not loads, and are allowed. Returns an empty list for a self-contained, script-free page.
    """
    auditor = _Auditor()
    auditor.feed(html)
    auditor.close()
    return auditor.problems


def remote_references(html: str) -> list[str]:
    """Every http(s)/protocol-relative URL in ``src``, ``href``, ``srcset``, CSS ``@import``/``url()``.

    Stricter than :func:`audit_html`: hyperlinks count too. Used by tests to check that a report
    references no remote resource at all.
    """
    found: list[str] = []

    class _P(HTMLParser):
        in_style = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.in_style = tag == "style"
            for key, value in attrs:
                value = value or ""
                if key in {"src", "href", "srcset", "poster", "data", "action", "xlink:href"}:
                    found.extend(u for u in re.split(r"[\s,]+", value) if _is_remote(u))
                elif key == "style":
                    css(value)

        def handle_data(self, data: str) -> None:
            if self.in_style:
                css(data)

    def css(text: str) -> None:
        found.extend(u for u in _CSS_IMPORT.findall(text) if _is_remote(u))
        found.extend(u for _, u in _CSS_URL.findall(text) if _is_remote(u))

    p = _P()
    p.feed(html)
    p.close()
    return found


def _fmt_value(key: str, value: Any, language: str = "en") -> str:
    if value is None:
        return CHROME[_chrome_language(language)][
            "default_data" if key == "data_path" else "default_value"]
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _chrome_language(language: Any) -> str:
    """The report's language for its frame: English when it has none or an unknown one."""
    return language if isinstance(language, str) and language in CHROME else "en"


def _short(digest: str | None, n: int = 12, language: str = "en") -> str:
    return digest[:n] if digest else CHROME[_chrome_language(language)]["not_recorded"]


#: The report's frame (header and footer) in each report language, from the catalogue
#: (``report.chrome`` in ``smlib/presentation/locales/<language>.toml``); a report's ``language``
#: parameter picks one, so a Spanish report has no English around it.
CHROME: dict[str, dict[str, str]] = {lang: entry("report.chrome", lang) for lang in LANGUAGES}

#: Where a report's seed came from (provenance ``seed_source``) -> its catalogue key under
#: ``report.seed_source``.
_SEED_SOURCE_KEYS: dict[str, str] = {"parameter": "parameter",
                                     "default dataset (config.DEFAULT_SEED)": "default_dataset"}


def template_context(provenance: Mapping[str, Any], *, provenance_file: str, notebook_file: str | None) -> dict[str, Any]:
    """The values the template shows, derived from a provenance record (see smlib.report.provenance).

    Everything is returned as plain text; the template escapes it. The frame's words follow the
    report's ``language`` parameter (:data:`CHROME`; English when the report has none).
    """
    language = (provenance.get("parameters") or {}).get("language", "en")
    lang = _chrome_language(language)
    t = CHROME[lang]
    data = provenance.get("data") or {}
    period = data.get("period") or {}
    git = provenance.get("git") or {}
    commit = git.get("commit")
    commit_text = t["no_git"] if not commit else commit + (f" ({t['dirty']})" if git.get("dirty") else "")
    seed = provenance.get("seed")
    source = provenance.get("seed_source", "")
    if source in _SEED_SOURCE_KEYS:
        source = text(f"report.seed_source.{_SEED_SOURCE_KEYS[source]}", lang)
    rows = [
        (t["report"], f"{provenance.get('title', '')} ({provenance.get('report', '')})"),
        (t["notebook"], f"{provenance.get('notebook', '')} (SHA-256 {_short(provenance.get('notebook_sha256'), language=language)})"),
        (t["run_id"], str(provenance.get("run_id", ""))),
        (t["started_utc"], str(provenance.get("started_at", ""))),
        (t["run_time"], f"{provenance.get('duration_seconds', 0):.1f} s"),
        (t["git_commit"], commit_text),
        (t["seed"], t["none"] if seed is None else f"{seed} ({source})"),
        (t["data"], str(data.get("path") or t["no_data"])),
        (t["kernel"], str(provenance.get("kernel", ""))),
    ]
    versions = provenance.get("versions") or {}
    return {
        "labels": t,
        "language": lang,
        "title": provenance.get("title", ""),
        "run_id": provenance.get("run_id", ""),
        "run_date": _run_date(str(provenance.get("started_at", ""))),
        "data_period": (f"{period['start']} {t['to']} {period['end']}" if period.get("start")
                        else t["not_recorded"]),
        "parameters": [(k, _fmt_value(k, v, language)) for k, v in (provenance.get("parameters") or {}).items()],
        "provenance_rows": rows,
        "input_hashes": sorted((data.get("files") or {}).items()),
        "versions": sorted(versions.items()),
        "provenance_file": provenance_file,
        "notebook_file": notebook_file,
    }


def _run_date(iso: str) -> str:
    # "2024-05-01T06:00:03+00:00" -> "2024-05-01 06:00 UTC"
    m = re.match(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})", iso)
    return f"{m.group(1)} {m.group(2)} UTC" if m else iso


def _section_start(cell: Any) -> str | None:
    """The id of the section a cell opens: the first output marked by ``say`` with a heading."""
    for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
        meta = out.get("metadata") or {}
        # IPython stores a display object's metadata under its MIME type
        for block in (meta, meta.get("text/markdown")):
            mark = block.get(SECTION_METADATA) if isinstance(block, Mapping) else None
            section = mark.get("section") if isinstance(mark, Mapping) else None
            if isinstance(section, str) and _SECTION_ID.match(section):
                return section
    return None


def arrange_sections(nb: Any, language: str = "en") -> Any:
    """A copy of an executed notebook laid out as the report shows it.

    * cells tagged :data:`HIDE_TAG` are dropped;
    * cells tagged :data:`APPENDIX_TAG` move, in their order, after all other cells, inside
      ``<section class="report-appendix" id="appendix"><details>`` with a summary in the report's
      language (``report.chrome.appendix``): collapsed on screen, expanded and on its own pages in
      print (``report.css``);
    * a cell whose output was displayed by ``say(key, ...)`` with a heading opens
      ``<section class="report-section" id="<section_anchor(key)>">`` which runs to the next such
      cell (or the end of the body or of the appendix), so a link ``report.html#overview-funnel``
      lands on the heading and the section holds every number shown under it. A section id used
      twice keeps its first place (ids are unique in a page).

    The wrappers are written into each cell's metadata (``smarketing_before`` /
    ``smarketing_after``) for the template's ``any_cell`` block. The input is not modified.
    """
    import copy

    lang = _chrome_language(language)
    out = copy.deepcopy(nb)
    cells = [c for c in out["cells"] if HIDE_TAG not in (c.get("metadata") or {}).get("tags", [])]

    def tagged(c: Any) -> bool:
        return APPENDIX_TAG in (c.get("metadata") or {}).get("tags", [])

    body = [c for c in cells if not tagged(c)]
    appendix = [c for c in cells if tagged(c)]
    seen: set[str] = set()

    def wrap(group: list[Any]) -> None:
        open_section = False
        for c in group:
            c.setdefault("metadata", {})
            before = ""
            section = _section_start(c)
            if section is not None and section not in seen:
                seen.add(section)
                before = ("</section>" if open_section else "") + (
                    f'<section class="report-section" id="{section}">')
                open_section = True
            c["metadata"]["smarketing_before"] = before
            c["metadata"]["smarketing_after"] = ""
        if open_section:
            group[-1]["metadata"]["smarketing_after"] = "</section>"

    if body:
        wrap(body)
    if appendix:
        wrap(appendix)
        t = CHROME[lang]
        appendix[0]["metadata"]["smarketing_before"] = (
            f'<section class="report-appendix" id="{APPENDIX_ID}">'
            f'<details class="report-appendix-details"><summary>{html_escape(t["appendix"])}</summary>'
            f'<p class="report-appendix-note">{html_escape(t["appendix_note"])}</p>'
            + appendix[0]["metadata"]["smarketing_before"])
        appendix[-1]["metadata"]["smarketing_after"] += "</details></section>"
    out["cells"] = body + appendix
    return out


def render_html(
    nb: Any,
    provenance: Mapping[str, Any],
    *,
    provenance_file: str,
    notebook_file: str | None = None,
    strict: bool = True,
) -> str:
    """Render an executed notebook (nbformat node) as an offline, code-free HTML report.

    Parameters
    ----------
    nb
        The executed notebook.
    provenance
        The run's provenance record (:func:`smlib.report.provenance.build_provenance`); it fills the
        header and the footer.
    provenance_file, notebook_file
        Relative links (same folder) to the provenance JSON and the executed notebook.
    strict
        If True (default), raise :class:`ReportRenderError` when :func:`audit_html` finds remote or
        active content in the result (e.g. a notebook output that contains a ``<script>``).
    """
    from nbconvert import HTMLExporter  # heavy: import on use
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(config.TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        theme="light",
    )
    resources = {
        "metadata": {"name": str(provenance.get("title") or provenance.get("report") or "Report")},
        "smarketing": template_context(provenance, provenance_file=provenance_file, notebook_file=notebook_file),
    }
    # cells tagged HIDE_TAG (e.g. nbval's plain-text copy of the key numbers) stay out of the report
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={HIDE_TAG}, enabled=True), enabled=True)
    language = (provenance.get("parameters") or {}).get("language", "en")
    arranged = arrange_sections(nb, language)
    html, _ = exporter.from_notebook_node(arranged, resources=resources)
    if strict:
        problems = audit_html(html)
        if problems:
            shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
            raise ReportRenderError(
                f"report {provenance.get('report')!r} would load remote resources or run code: {shown}. "
                "Reports must open offline and run nothing: escape user-supplied text "
                "(pandas Styler needs .format(escape='html')) and embed figures as PNG."
            )
    return html
