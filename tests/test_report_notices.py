"""Data-warnings box and "not available" box: escaped HTML, machine payload, read back from a notebook."""

from __future__ import annotations

import json

import nbformat
import pytest

import smlib.report
from smlib.data_warnings import DataWarning
from smlib.report import notices
from smlib.report.notices import (
    WARNINGS_MIMETYPE,
    extract_warnings,
    unavailable_html,
    warnings_html,
    warnings_payload,
)
from smlib.report.render import audit_html

XSS = "<script>alert(1)</script>"
W1 = DataWarning("separation", "Email occurs only in won journeys.", {"journeys": 3},
                 {"es": "Email solo aparece en recorridos ganados."})
W2 = {"code": "no_spend", "message": "No spend table."}


def _capture(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    shown: list[dict] = []
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    return shown


def test_lazy_exports():
    assert smlib.report.show_warnings is notices.show_warnings
    assert smlib.report.show_unavailable is notices.show_unavailable
    assert smlib.report.extract_warnings is notices.extract_warnings
    assert smlib.report.WARNINGS_MIMETYPE == "application/vnd.smarketing.warnings+json"


def test_payload_from_warnings_and_dicts_dedupes():
    p = warnings_payload([W1, W2, W1, dict(W2)])
    assert p["version"] == notices.PAYLOAD_VERSION and p["language"] == "en"
    assert p["warnings"] == [W1.to_dict(), W2]
    es = warnings_payload([W1, W2], language="es")["warnings"]
    assert es[0]["message"] == "Email solo aparece en recorridos ganados."
    assert es[1]["message"] == "No spend table."  # a dict without Spanish keeps its message
    with_texts = {**W2, "texts": {"es": "Sin tabla de gasto."}}  # a dict may carry its languages
    assert warnings_payload([with_texts], language="es")["warnings"] == [
        {"code": "no_spend", "message": "Sin tabla de gasto."}]
    assert warnings_payload([with_texts])["warnings"] == [W2]
    with pytest.raises(ValueError, match="code"):
        warnings_payload([{"message": "x"}])
    with pytest.raises(ValueError, match="language"):
        warnings_payload([W1], language="fr")
    with pytest.raises(ValueError, match="list"):
        warnings_payload(W2)


def test_html_box_escapes_and_titles():
    out = warnings_html([{"code": XSS, "message": XSS}, W1])
    assert "<script" not in out
    assert out.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2  # data-code and message
    assert "Data warnings" in out and out.count('<li class="data-warning"') == 2
    assert 'data-code="separation"' in out
    es = warnings_html([W1], language="es")
    assert "Avisos sobre los datos" in es and "Email solo aparece" in es
    assert audit_html(out) == [] and audit_html(warnings_html([])) == []


def test_empty_box_is_one_line():
    assert "No data warnings." in warnings_html([])
    assert "<ul" not in warnings_html([])
    assert "Sin avisos sobre los datos." in warnings_html([], language="es")
    assert notices.warnings_text([]) == "No data warnings."


def test_show_warnings_round_trip_through_a_notebook(monkeypatch, tmp_path):
    shown = _capture(monkeypatch)
    notices.show_warnings([W1, W2])
    notices.show_warnings([])
    notices.show_warnings([W2, {"code": "lookback_loss", "message": "Some deals lost touches."}])
    assert len(shown) == 3
    assert set(shown[0]) == {"text/plain", "text/html", WARNINGS_MIMETYPE}
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("intro")] + [
        nbformat.v4.new_code_cell("show_warnings(...)", outputs=[
            nbformat.v4.new_output("display_data", data=bundle)]) for bundle in shown]
    nb.cells.append(nbformat.v4.new_code_cell("1", outputs=[
        nbformat.v4.new_output("execute_result", data={"text/plain": "1"}, execution_count=1)]))
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    back = nbformat.read(path, as_version=4)
    nbformat.validate(back)
    got = extract_warnings(back)
    assert got == [W1.to_dict(), W2, {"code": "lookback_loss", "message": "Some deals lost touches."}]
    assert json.loads(json.dumps(got)) == got
    # a plain dict notebook and a payload that is a bare list work too
    plain = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "display_data", "data": {WARNINGS_MIMETYPE: [W2, W2]}}]}]}
    assert extract_warnings(plain) == [W2]
    assert extract_warnings({"cells": []}) == []


def test_unavailable_box(monkeypatch):
    out = unavailable_html("Cost and ROI", "a spend table", "CAC, ROI and payback by channel",
                           "data/README.md, table `spend`")
    assert ("This section needs a spend table, which this data does not have. With it, the report "
            "would show CAC, ROI and payback by channel. See data/README.md, table <code>spend</code>.") in out
    assert "Cost and ROI" in out and "border-left" in out and "break-inside:avoid" in out
    assert audit_html(out) == []
    bad = unavailable_html(XSS, XSS, XSS, f"`{XSS}`")
    assert "<script" not in bad and bad.count("&lt;script&gt;") == 4
    es = unavailable_html("Coste y ROI", "una tabla de gasto", "el CAC", "data/README.md", "es")
    assert "Esta sección necesita una tabla de gasto, que estos datos no tienen." in es
    assert "No disponible" in es
    with pytest.raises(ValueError, match="missing"):
        unavailable_html("s", " ", "u", "r")
    shown = _capture(monkeypatch)
    assert notices.show_unavailable("Cost", "a spend table", "ROI", "data/README.md") is None
    assert shown[0]["text/plain"].startswith("Cost (Not available)\nThis section needs a spend table")
    assert set(shown[0]) == {"text/plain", "text/html"}


def _demo_catalogue(tmp_path, monkeypatch, texts: dict[str, str]) -> None:
    """A catalogue with only the TOML ``texts[language]`` in each language (cache cleared after)."""
    from smlib.presentation import catalogue

    for lang, body in texts.items():
        (tmp_path / f"{lang}.toml").write_text(body, encoding="utf-8")
    monkeypatch.setattr(catalogue, "LOCALES_DIR", tmp_path)
    catalogue._catalogue.cache_clear()


def test_say_and_pick_choose_the_report_language(monkeypatch, tmp_path):
    from smlib.presentation import catalogue
    from smlib.report import text

    assert smlib.report.say is text.say and smlib.report.pick is text.pick
    _demo_catalogue(tmp_path, monkeypatch, {
        "en": '''[demo]
title = "Funnel"
only_en = "only English"
empty = "  "
intro = """
        ## Funnel

        How many {what} reached each stage.
        """
[demo.columns]
a = "A"
''',
        "es": '''[demo]
title = "Embudo"
empty = "Texto"
intro = "## Embudo\\n\\nCuántos {what} llegaron a cada etapa."
[demo.columns]
a = "Á"
'''})
    try:
        assert text.pick("demo.title", "es") == "Embudo"
        assert text.pick("demo.columns", "en") == {"a": "A"}
        with pytest.raises(ValueError, match="language must be one of"):
            text.pick("demo.title", "fr")
        with pytest.raises(KeyError, match="demo.only_en"):
            text.pick("demo.only_en", "en")  # every report language needs the text
        with pytest.raises(ValueError, match="catalogue key"):  # no {language: text} dicts
            text.pick({"en": "a", "es": "b"}, "en")
        shown = _capture(monkeypatch)
        assert text.say("demo.intro", "en", what="leads") is None
        assert shown[-1].data == "## Funnel\n\nHow many leads reached each stage."
        text.say("demo.intro", "es", what="leads")
        assert shown[-1].data == "## Embudo\n\nCuántos leads llegaron a cada etapa."
        with pytest.raises(ValueError, match="language must be one of"):
            text.say("demo.title", "fr")
        with pytest.raises(KeyError, match="demo.only_en"):
            text.say("demo.only_en", "en")
        with pytest.raises(ValueError, match="'en' text must be a non-empty string"):
            text.say("demo.empty", "es")  # the other language is checked too
    finally:
        catalogue._catalogue.cache_clear()


def test_show_gap_speaks_the_report_language(monkeypatch):
    from smlib.gaps import DataGap, GapText, contract_ref

    monkeypatch.setattr(notices, "_gaps_shown", set())
    shown = _capture(monkeypatch)
    gap = DataGap("no_spend_test", "a spend table", "CAC by channel", contract_ref("spend"),
                  {"es": GapText("una tabla de gasto", "el CAC por canal")})
    notices.show_gap(gap, "Gasto", "es")
    html_es = shown[-1]["text/html"]
    assert "Esta sección necesita una tabla de gasto" in html_es and "el CAC por canal" in html_es
    assert "tabla <code>spend</code>" in html_es and "table" not in html_es.replace("tabla", "")
    notices.show_gap(gap, "Coste", "es")  # same gap again: one line pointing back, in Spanish
    assert shown[-1]["text/plain"] == ("Coste: No disponible por la misma razón que arriba (una "
                                       "tabla de gasto).")
    english = DataGap("no_units_test", "a unit panel", "the uplift", "data/README.md")
    notices.show_gap(english, "Uplift", "en")
    assert "This section needs a unit panel" in shown[-1]["text/html"]
    notices.show_gap(DataGap("only_en", "a thing", "more", "ref"), "Sección", "es")
    assert "Esta sección necesita a thing" in shown[-1]["text/html"]  # no Spanish given: as is


def test_a_link_to_another_report_of_the_batch_is_a_link_and_nothing_else_is():
    """The "not available" box links to another report (report 02 → the rollout plan) written as
    ``[text](04_rollout_plan.html)``; any other bracketed text or target stays escaped text."""
    from smlib.report.notices import unavailable_html

    h = unavailable_html("Uplift", "a unit panel", "see [report 04](04_rollout_plan.html#plan)",
                         "data/README.md")
    assert '<a href="04_rollout_plan.html#plan">report 04</a>' in h
    h = unavailable_html("Uplift", "[x](javascript:alert(1))", "[y](http://e.com/a.html) <b>",
                         "data/README.md")
    assert "<a " not in h and "&lt;b&gt;" in h
