"""Report sections and the analysts' appendix (smlib.report.render.arrange_sections): a
``say(key, ...)`` heading opens ``<section id=section_anchor(key)>`` holding everything shown under
it; cells tagged ``report-appendix`` move into one collapsed ``<details>`` at the end."""

from __future__ import annotations

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_notebook, new_output

from smlib.presentation.labels import section_anchor
from smlib.report.render import APPENDIX_TAG, HIDE_TAG, arrange_sections, render_html

PROV = {"report": "t", "title": "T", "run_id": "20240101T000000Z-0123abcd",
        "started_at": "2024-01-01T00:00:00+00:00", "duration_seconds": 1.0,
        "parameters": {"language": "en"}, "data": None, "git": {"commit": None, "dirty": None},
        "versions": {}, "seed": None, "kernel": "smarketing"}


def _say(key: str, markdown: str):
    """The output a notebook's ``say(key, language)`` leaves (smlib.report.text.say)."""
    meta = ({"text/markdown": {"smarketing": {"section": section_anchor(key)}}}
            if markdown.startswith("#") else {})  # as IPython stores Markdown(..., metadata=)
    return new_output("display_data", data={"text/markdown": markdown}, metadata=meta)


def _html(text: str):
    return new_output("display_data", data={"text/html": text})


def _cell(*outputs, tags=()):
    return new_code_cell("x", outputs=list(outputs), metadata={"tags": list(tags)} if tags else {})


def _page(nb, language: str = "en") -> BeautifulSoup:
    nbformat.validate(nb)
    prov = {**PROV, "parameters": {"language": language}}
    return BeautifulSoup(render_html(nb, prov, provenance_file="t.provenance.json"), "html.parser")


def test_section_anchor_is_derived_from_the_key() -> None:
    assert section_anchor("overview.nb.funnel") == "overview-funnel"
    assert section_anchor("attribution.nb.teams.intro") == "attribution-teams-intro"
    assert section_anchor("executive.nb.cost_detail") == "executive-cost-detail"
    for bad in ("", "Overview.Funnel", "a..b", "a b", None):
        with pytest.raises(ValueError, match="catalogue key"):
            section_anchor(bad)


def test_headings_open_sections_that_hold_their_numbers() -> None:
    nb = new_notebook(cells=[
        _cell(_html('<section id="headline">H</section>')),
        _cell(_say("overview.nb.funnel", "## Funnel")),
        _cell(_html("<table><tr><td>31 %</td></tr></table>")),
        _cell(_say("overview.nb.funnel_note", "A note, not a heading")),
        _cell(_say("overview.nb.spend", "## Spend")),
        _cell(_html("<p>$52M</p>")),
    ])
    page = _page(nb)
    sections = page.select("main section.report-section")
    assert [s["id"] for s in sections] == ["overview-funnel", "overview-spend"]
    funnel, spend = sections
    assert "31 %" in funnel.get_text() and "A note" in funnel.get_text() and "$52M" not in funnel.get_text()
    assert "$52M" in spend.get_text() and "31 %" not in spend.get_text()
    # the headline before the first heading stays outside any section
    assert page.select_one("#headline").find_parent("section", class_="report-section") is None


def test_appendix_cells_move_to_one_collapsed_details_at_the_end() -> None:
    nb = new_notebook(cells=[
        _cell(_say("attribution.nb.accuracy", "## Accuracy")),
        _cell(_html("<p>recommended model</p>")),
        _cell(_say("attribution.nb.cv", "### Candidate log-loss"), tags=[APPENDIX_TAG]),
        _cell(_html("<table><tr><td>log-loss 0.41</td></tr></table>"), tags=[APPENDIX_TAG]),
        _cell(_html("<p>hidden key numbers</p>"), tags=[HIDE_TAG]),
        _cell(_say("attribution.nb.conclusion", "## Conclusion")),
        _cell(_html("<p>the end</p>")),
        _cell(_html("<p>per-type team table</p>"), tags=[APPENDIX_TAG]),
    ])
    page = _page(nb, "es")
    main = page.select_one("main")
    appendix = main.select_one("section.report-appendix#appendix")
    assert appendix is not None and appendix.find_parent("section") is None
    details = appendix.find("details")
    assert details is not None and not details.has_attr("open")  # collapsed on screen
    assert details.find("summary").get_text() == "Anexo: detalle para analistas"
    text = appendix.get_text()
    assert "log-loss 0.41" in text and "per-type team table" in text and "the end" not in text
    # appendix material keeps its own section and comes after the whole body
    assert appendix.select_one("section.report-section")["id"] == "attribution-cv"
    body_text = main.get_text()
    assert body_text.index("the end") < body_text.index("log-loss 0.41")
    assert "hidden key numbers" not in body_text
    conclusion = main.select_one("#attribution-conclusion")
    assert "the end" in conclusion.get_text() and "per-type" not in conclusion.get_text()


def test_arrange_leaves_the_notebook_alone_and_keeps_ids_unique() -> None:
    nb = new_notebook(cells=[_cell(_say("a.nb.x", "## X")), _cell(_say("a.nb.x", "## X again"))])
    before = nbformat.writes(nb)
    arranged = arrange_sections(nb)
    assert nbformat.writes(nb) == before
    assert arranged["cells"][0]["metadata"]["smarketing_before"].endswith('id="a-x">')
    assert arranged["cells"][1]["metadata"]["smarketing_before"] == ""  # an id is used once
    page = _page(nb)
    assert len(page.select("#a-x")) == 1


def test_a_forged_section_id_is_ignored() -> None:
    """Only plain ids from section_anchor open a section: markup in the metadata is not written."""
    out = new_output("display_data", data={"text/markdown": "## X"},
                     metadata={"smarketing": {"section": '"><script>alert(1)</script>'}})
    page = _page(new_notebook(cells=[_cell(out)]))
    assert page.select("section.report-section") == [] and page.find("script") is None


def test_say_marks_a_heading_text_with_its_section(monkeypatch) -> None:
    import IPython.display

    from smlib.report.text import SECTION_METADATA, say

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    say("overview.nb.funnel", "es")  # a heading ("## ...") in every language
    say("overview.nb.checks", "en")
    md, md2 = shown
    assert md.data.startswith("#") and md.metadata == {SECTION_METADATA: {"section": "overview-funnel"}}
    assert not md2.data.startswith("#") and not md2.metadata
    # what a notebook stores: the marker is the output's metadata, which render_html reads
    data, meta = md._repr_markdown_()
    assert meta == {SECTION_METADATA: {"section": "overview-funnel"}}
