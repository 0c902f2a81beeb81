"""Reports open offline: no remote script, stylesheet, font or image; no code runs; errors are friendly."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from smlib.report.headline import HEADLINE_MIMETYPE, headline_html, headline_payload
from smlib.report.render import ReportRenderError, audit_html, remote_references, render_html

XSS = "<script>alert(1)</script>"
PROV = {
    "report": "t", "title": "T", "run_id": "20240101T000000Z-0123abcd", "started_at": "2024-01-01T00:00:00+00:00",
    "duration_seconds": 1.0, "parameters": {"region": XSS}, "data": None, "git": {"commit": None, "dirty": None},
    "versions": {}, "seed": None, "kernel": "smarketing",
}


def _nb(*outputs, markdown: str = "# Title") -> nbformat.NotebookNode:
    nb = new_notebook(cells=[new_markdown_cell(markdown), new_code_cell("x = 1", outputs=list(outputs))])
    nbformat.validate(nb)
    return nb


def _render(nb, **kw) -> str:
    return render_html(nb, PROV, provenance_file="t.provenance.json", notebook_file="t.ipynb", **kw)


@pytest.mark.parametrize(
    "snippet, what",
    [
        ('<script src="https://cdn.example.com/require.js"></script>', "<script>"),
        ("<script>alert(1)</script>", "<script>"),
        ('<link rel="stylesheet" href="https://fonts.example.com/a.css">', "not embedded"),
        ("<style>@import url('https://x.example.com/a.css');</style>", "@import"),
        ("<style>@font-face { src: url(https://x.example.com/f.woff2) }</style>", "not embedded"),
        ('<img src="https://x.example.com/a.png">', "not embedded"),
        ('<img src="//x.example.com/a.png">', "not embedded"),
        ('<img src="local.png">', "not embedded"),
        ('<img src="data:image/png;base64,AAAA" onerror="alert(1)">', "event handler"),
        ('<div style="background: url(http://x.example.com/a.png)">', "not embedded"),
        ('<a href="javascript:alert(1)">x</a>', "javascript"),
        ('<iframe src="data:text/html,hi"></iframe>', "<iframe>"),
        ('<meta http-equiv="refresh" content="0;url=https://x.example.com">', "refresh"),
    ],
)
def test_audit_flags_remote_and_active_content(snippet, what):
    problems = audit_html(f"<html><body>{snippet}</body></html>")
    assert problems and any(what in p for p in problems), problems


def test_audit_accepts_self_contained_page():
    page = (
        "<html><head><style>.a{background:url(data:image/svg+xml;base64,AAAA)} .b{x:url(#g)}</style></head>"
        '<body><img src="data:image/png;base64,AAAA"><a href="other.html#headline">next</a>'
        '<a href="https://example.com/paper">a source</a><a href="#top">top</a></body></html>'
    )
    assert audit_html(page) == []
    assert remote_references(page) == ["https://example.com/paper"]  # stricter: hyperlinks count


def test_stock_lab_template_is_not_offline():
    """The check can fail: nbconvert's default lab template loads require.js/MathJax from a CDN."""
    from nbconvert import HTMLExporter

    html, _ = HTMLExporter(template_name="lab").from_notebook_node(_nb())
    assert any("cdnjs" in u or "jsdelivr" in u or "unpkg" in u for u in remote_references(html))
    assert audit_html(html)


def test_rendered_report_is_offline_and_script_free():
    html = _render(_nb(new_output("display_data", data={"text/plain": "1"})))
    assert remote_references(html) == []
    assert audit_html(html) == []
    assert "<script" not in html.lower()


def test_error_output_shows_friendly_message_not_traceback():
    err = new_output("error", ename="KeyError", evalue="'revenue'",
                     traceback=["\x1b[0;31mTraceback (most recent call last)", "File secret_path.py line 3", "KeyError: 'revenue'"])
    html = _render(_nb(err))
    assert "could not be produced" in html and "(KeyError)" in html
    assert "Traceback" not in html and "secret_path.py" not in html


def test_javascript_and_stderr_outputs_dropped():
    js = new_output("display_data", data={"application/javascript": "window.jsMarker = 42;", "text/plain": "<JS>"})
    warn = new_output("stream", name="stderr", text="FutureWarning: internal detail\n")
    html = _render(_nb(js, warn))
    assert "jsMarker" not in html and "internal detail" not in html
    assert audit_html(html) == []


def test_escaped_outputs_render_as_text():
    import pandas as pd

    df = pd.DataFrame({"channel": [XSS], "credit": [1.0]})
    payload = headline_payload(XSS, [(XSS, XSS)])
    outs = [
        new_output("execute_result", data={"text/html": df._repr_html_(), "text/plain": repr(df)}, execution_count=1),
        new_output("display_data", data={"text/html": headline_html(payload), HEADLINE_MIMETYPE: payload}),
        new_output("stream", name="stdout", text=f"top channel {XSS}\n"),
    ]
    html = _render(_nb(*outs))
    assert XSS not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5  # table, headline x3, stdout, header param
    assert audit_html(html) == []


def test_unescaped_html_output_refuses_to_render():
    """Defence in depth: e.g. a pandas Styler without escape='html' would inject the channel name."""
    import pandas as pd

    styled = pd.DataFrame({"channel": [XSS]}).style.to_html()  # Styler does not escape by default
    assert XSS in styled
    nb = _nb(new_output("display_data", data={"text/html": styled}))
    with pytest.raises(ReportRenderError, match="<script>"):
        _render(nb)
    safe = pd.DataFrame({"channel": [XSS]}).style.format(escape="html").to_html()
    assert audit_html(_render(_nb(new_output("display_data", data={"text/html": safe})))) == []


def test_markdown_with_remote_image_refuses_to_render():
    with pytest.raises(ReportRenderError, match="not embedded"):
        _render(_nb(markdown="![logo](https://example.com/logo.png)"))
    # strict=False renders anyway (used only for debugging)
    assert "https://example.com/logo.png" in _render(_nb(markdown="![logo](https://example.com/logo.png)"), strict=False)


@pytest.mark.slow
def test_batch_reports_and_index_reference_nothing_remote(report_batch):
    """Every HTML file of a real batch: no http(s) in src/href/srcset/@import/url(), nothing active."""
    assert report_batch.exit_code == 0, report_batch.stdout
    pages = sorted(report_batch.root.rglob("*.html"))
    assert {p.name for p in pages} >= {"ok.html", "xss.html", "index.html"}
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert remote_references(html) == [], page
        assert audit_html(html) == [], page


def test_cells_tagged_report_hide_are_left_out():
    from smlib.report.render import HIDE_TAG

    nb = _nb(new_output("stream", name="stdout", text="shown to readers\n"))
    hidden = new_code_cell("print('key numbers')", metadata={"tags": [HIDE_TAG]})
    hidden.outputs = [new_output("stream", name="stdout", text="nbval-only copy\n")]
    nb.cells.append(hidden)
    html = _render(nb)
    assert "shown to readers" in html
    assert "nbval-only copy" not in html


def test_report_frame_follows_the_report_language():
    from smlib.report.render import CHROME, template_context

    prov = {"parameters": {"language": "es"}, "title": "Resumen", "report": "03",
            "started_at": "2024-05-01T06:00:03+00:00",
            "data": {"path": "/d", "period": {"start": "2024-01-01", "end": "2024-03-01"}}}
    ctx = template_context(prov, provenance_file="p.json", notebook_file=None)
    assert ctx["labels"] is CHROME["es"] and ctx["data_period"] == "2024-01-01 a 2024-03-01"
    assert dict(ctx["provenance_rows"])["Semilla"] == "ninguna"
    en = template_context({**prov, "parameters": {}}, provenance_file="p.json", notebook_file=None)
    assert en["labels"] is CHROME["en"] and en["data_period"] == "2024-01-01 to 2024-03-01"
    assert set(CHROME["es"]) == set(CHROME["en"])
