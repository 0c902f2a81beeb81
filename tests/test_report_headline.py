"""show_headline: escaped HTML, machine-readable payload, clear errors."""

from __future__ import annotations

import math

import nbformat
import pytest

from smlib.report import HEADLINE_MIMETYPE, extract_headlines, headline_payload, show_headline
from smlib.report.headline import headline_html, headline_text

XSS = "<script>alert(1)</script>"


def test_payload_from_list_and_dict_agree():
    a = headline_payload("Revenue", [("Total", "$1.2M"), ("Deals", 42)])
    b = headline_payload("Revenue", {"Total": "$1.2M", "Deals": 42})
    assert a == b
    assert a["items"][0] == {"label": "Total", "text": "$1.2M", "value": None, "href": None}
    assert a["items"][1] == {"label": "Deals", "text": "42", "value": 42, "href": None}


def test_numbers_formatted_and_kept():
    p = headline_payload("t", [("a", 1234567), ("b", 0.123456), ("c", 2.0), ("d", 12345.678)])
    texts = [it["text"] for it in p["items"]]
    assert texts == ["1,234,567", "0.1235", "2", "1.235e+04"]
    assert p["items"][1]["value"] == pytest.approx(0.123456)
    assert p["items"][2]["value"] == 2 and isinstance(p["items"][2]["value"], int)


def test_html_escapes_every_user_text():
    p = headline_payload(XSS, [(XSS, XSS, "a.html#x")], note=XSS)
    out = headline_html(p)
    assert "<script" not in out
    assert out.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 4  # title, note, label, value
    assert 'id="headline"' in out and 'class="headline"' in out


@pytest.mark.parametrize(
    "title, items, match",
    [
        ("", [("a", "1")], "title"),
        ("t", [], "empty"),
        ("t", "abc", "dict"),
        ("t", [("a",)], "expected \\(label, value\\)"),
        ("t", [("", "1")], "label"),
        ("t", [("a", "1"), ("a", "2")], "duplicate label 'a'"),
        ("t", [("a", math.nan)], "'a'.*finite"),
        ("t", [("a", math.inf)], "finite"),
        ("t", [("a", None)], "not a text or a number"),
        ("t", [("a", True)], "not a text or a number"),
        ("t", [("a", "  ")], "empty"),
        ("t", [("a", [1, 2])], "list"),
        ("t", [("a", "1", "https://cdn.example.com/x.js")], "relative link"),
        ("t", [("a", "1", "javascript:alert(1)")], "relative link"),
        ("t", [("a", "1", "//host/x")], "relative link"),
        ("t", [("a", "1", "/etc/passwd")], "relative link"),
    ],
)
def test_bad_input_raises_clear_valueerror(title, items, match):
    with pytest.raises(ValueError, match=match):
        headline_payload(title, items)


def test_show_headline_displays_three_representations(capsys, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append((obj, raw)))
    assert show_headline("Uplift", [("Estimate", "8 % (95 % CI 4-12 %)")], note="north") is None
    (obj, raw), = shown
    assert raw is True
    assert set(obj) == {"text/plain", "text/html", HEADLINE_MIMETYPE}
    assert obj[HEADLINE_MIMETYPE]["items"][0]["text"] == "8 % (95 % CI 4-12 %)"
    assert obj["text/plain"] == headline_text(obj[HEADLINE_MIMETYPE])
    assert "Estimate: 8 %" in obj["text/plain"]


def test_extract_headlines_reads_payloads_in_order():
    p1 = headline_payload("one", [("a", 1)])
    p2 = headline_payload("two", [("b", "x")])
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# hi"),
        nbformat.v4.new_code_cell(
            "x",
            outputs=[
                nbformat.v4.new_output("stream", name="stdout", text="hello"),
                nbformat.v4.new_output("display_data", data={"text/plain": "one", HEADLINE_MIMETYPE: p1}),
            ],
        ),
        nbformat.v4.new_code_cell(
            "y", outputs=[nbformat.v4.new_output("display_data", data={HEADLINE_MIMETYPE: p2})]
        ),
    ]
    nbformat.validate(nb)
    assert extract_headlines(nb) == [p1, p2]


def test_sentence_values_get_the_prose_style():
    from smlib.report.headline import PROSE_CHARS, is_prose

    figures = headline_payload("t", [("Revenue", "$53M"), ("CI", "95 % CI 4-12 %")])
    sentence = headline_payload("t", [("Revenue", "x" * (PROSE_CHARS + 1))])
    assert not is_prose(figures) and 'class="headline"' in headline_html(figures)
    assert is_prose(sentence) and 'class="headline headline-prose"' in headline_html(sentence)


def test_key_numbers_text_lists_every_shown_headline(monkeypatch):
    from smlib.report import headline as hl

    monkeypatch.setattr(hl, "_payloads", [])
    monkeypatch.setattr(hl, "_shown", 0)
    with pytest.raises(ValueError, match="no headline"):
        hl.key_numbers_text()
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: None)
    show_headline("Uplift", [("Estimate", "8.8 % (6.7 % to 11.0 %)")])
    show_headline("Costs", {"CAC": "$42k"})
    assert hl.key_numbers_text() == "Uplift\n- Estimate: 8.8 % (6.7 % to 11.0 %)\n\nCosts\n- CAC: $42k"
