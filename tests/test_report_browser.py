"""Real browser: open each generated report in headless Chromium (Debian's) via file://.

Asserts no failed request, no console error, no page error, no dialog (an injected
``alert(1)`` would open one), and that the headline section is shown. Needs /usr/bin/chromium
(``make browser`` installs it): the test fails when CI=true and it is missing, and is skipped
with the reason otherwise.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("SMARKETING_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Headless Chromium flags: no sandbox (containers), nothing phoning home.
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file():
        reason = f"headless Chromium not found at {CHROMIUM}; run `make browser` (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (test extra)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _open(browser, path: Path):
    """Load ``path`` and return (page, problems) where problems lists anything that went wrong."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(200)  # let late requests (fonts, images) fail if they are going to
    remote = [u for u in requests if not u.startswith(("file:", "data:"))]
    problems += [f"remote request: {u}" for u in remote]
    return page, problems


def test_each_report_opens_cleanly_with_headline(browser, report_batch):
    assert report_batch.exit_code == 0, report_batch.stdout
    folder = (report_batch.root / "latest").resolve()
    assert (folder / "index.html").is_file()  # the batch's own page (test_latest_link_opens_the_batch_page)
    reports = sorted(p for p in folder.glob("*.html") if p.name != "index.html")
    assert [p.name for p in reports] == ["ok.html", "xss.html"]
    for path in reports:
        page, problems = _open(browser, path)
        assert problems == [], f"{path.name}: {problems}"
        headline = page.locator("#headline")
        assert headline.count() == 1 and headline.is_visible(), path.name
        assert page.locator("header.report-header").is_visible()
        assert page.locator("footer#provenance").is_visible()
        assert page.locator("img").count() >= 1  # the embedded figure
        assert page.evaluate("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
        page.close()


def test_script_channel_name_shows_as_text(browser, report_batch):
    page, problems = _open(browser, report_batch.root / "latest" / "xss.html")
    assert problems == []  # in particular no alert dialog
    assert page.locator("script").count() == 0
    assert XSS in page.locator("#headline").inner_text()
    assert XSS in page.locator("table.dataframe").inner_text()
    assert XSS in page.locator("header.report-header").inner_text()  # the parameter
    page.close()


def test_index_opens_cleanly_and_links_reports(browser, report_batch):
    page, problems = _open(browser, report_batch.root / "index.html")
    assert problems == []
    links = page.locator("a.report-name")
    assert links.count() == 2
    assert XSS in page.inner_text("body")
    links.first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/ok.html") and page.locator("#headline").is_visible()
    page.close()


def test_print_layout_renders(browser, report_batch, tmp_path):
    """Print media: the report lays out to PDF (A4) without errors and keeps the headline."""
    page, problems = _open(browser, report_batch.root / "latest" / "ok.html")
    page.emulate_media(media="print")
    assert page.locator("#headline").is_visible()
    pdf = page.pdf(path=str(tmp_path / "ok.pdf"), format="A4")
    assert pdf[:4] == b"%PDF" and len(pdf) > 10_000
    assert problems == []
    page.close()


def test_detector_catches_remote_requests_and_alerts(browser, tmp_path):
    """The checks can fail: a page with a CDN script and an inline alert is reported."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<html><head><script src="https://cdn.jsdelivr.net/npm/x/require.js"></script></head>'
        f"<body>{XSS}<p>text</p></body></html>"
    )
    page, problems = _open(browser, bad)
    assert any(p.startswith("dialog: 1") for p in problems), problems
    assert any("cdn.jsdelivr.net" in p for p in problems), problems
    page.close()


def _project_runs() -> list[str]:
    import tomllib

    from smlib import config

    return [run["name"] for run in tomllib.loads(config.REPORTS_CONFIG.read_text())["run"]]


@pytest.fixture(scope="module")
def project_reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's own batch (reports.toml, every notebook, the default data), as `make report`
    runs it, published into a temporary reports folder (the real reports/ is left alone)."""
    from conftest import run_report_cli

    root = tmp_path_factory.mktemp("project_reports")
    run = run_report_cli([], root)
    assert run.exit_code == 0, run.stdout
    return root / "latest"


@pytest.mark.parametrize("name", _project_runs())
def test_project_reports_open_cleanly(browser, project_reports: Path, name: str) -> None:
    """Each of the project's reports opens with no failed request, no console error, no script,
    and shows its headline section."""
    path = project_reports / f"{name}.html"
    assert path.is_file(), f"{name}.html was not published"
    page, problems = _open(browser, path)
    assert problems == [], f"{path.name}: {problems}"
    assert page.locator("#headline").is_visible()
    assert page.locator("script").count() == 0
    page.close()


# --------------------------------------------------------------------------------------------
# issue 12: drill-down links land on the number; print layout; one name per thing
# --------------------------------------------------------------------------------------------

def _figures(text: str, language: str = "en") -> list:
    """Every figure of a text, in order (smlib.presentation.numbers.parse_figure)."""
    from smlib.presentation.numbers import parse_figure

    out, rest = [], text
    while (f := parse_figure(rest, language)) is not None:
        out.append(f)
        rest = rest[rest.index(f.written) + len(f.written):]
    return out


def _close(shown, wanted) -> bool:
    """``shown`` is ``wanted`` as ``wanted`` rounds it: same kind, within half a unit of the last
    digit ``wanted`` is written with ("82 %" matches 82.3 %, "$42k" matches $41.8k)."""
    import re

    digits = re.search(r"\d[\d.,]*", wanted.written).group(0)
    number = float(re.sub(r"[^\d]", "", digits) or 0)
    decimals = len(re.split(r"[.,]", digits)[-1]) if re.search(r"[.,]\d{1,2}$", digits) else 0
    number /= 10 ** decimals
    unit = abs(wanted.value / number) * 10 ** -decimals if number else 10 ** -decimals
    return shown.kind == wanted.kind and abs(shown.value - wanted.value) <= unit / 2 + 1e-12


def shows(section_text: str, value: str, language: str = "en") -> bool:
    """Whether a section shows a headline value of report 03: its first figure and, when the
    value gives its interval right after it ("$42k ($40k to $44k)"), both bounds, on one line of
    the section, each as the headline rounds it (a table may carry more decimals); for an action
    list without a figure ("grow: content/SEO, …"), its first name."""
    import re

    if re.match(r"^[^\d:]*:\s", value) or not _figures(value, language):
        listed = value.split(":", 1)[-1].split("·")[0].split(",")[0].strip()
        return bool(listed) and listed in section_text
    first = _figures(value, language)[0]
    after = value[value.index(first.written) + len(first.written):]
    bracket = re.match(r"\s*\(([^()]*)\)", after)
    bounds = _figures(bracket.group(1), language)[-2:] if bracket else []  # skip a "95 %" level
    wanted = [first, *bounds] if len(bounds) == 2 else [first]
    for line in section_text.splitlines():
        found = _figures(line, language)
        for i, f in enumerate(found):
            if _close(f, wanted[0]) and all(
                    any(_close(g, w) for g in found[i + 1:i + 5]) for w in wanted[1:]):
                return True
    return False


def check_drilldowns(browser, folder: Path, report: str = "03_executive_summary.html") -> list[str]:
    """Follow every "details →" link of ``report`` (and every linked headline value); return what
    is wrong: a link without an anchor, a missing target or anchor, or a target section that does
    not show the number of the item that links to it."""
    page, problems = _open(browser, folder / report)
    assert problems == [], problems
    values = {page.locator(".headline-label").nth(i).inner_text().strip():
              page.locator(".headline-value").nth(i).inner_text().strip()
              for i in range(page.locator("#headline .headline-item").count())}
    links = page.locator("ul.smarketing-sentences li")
    wrong: list[str] = []
    assert links.count() == len(values) > 0, (links.count(), values)
    for i in range(links.count()):
        item = links.nth(i)
        label = (item.locator("strong").text_content() or "").strip().rstrip(".")
        href = item.locator("a").last.get_attribute("href") or ""
        file, _, anchor = href.partition("#")
        if not anchor:
            wrong.append(f"{label}: link {href!r} has no anchor")
            continue
        if not (folder / file).is_file():
            wrong.append(f"{label}: {file} is not in the batch")
            continue
        target, target_problems = _open(browser, folder / file)
        section = target.locator(f"[id='{anchor}']")
        if target_problems or section.count() != 1:
            wrong.append(f"{label}: {file} has no section #{anchor} ({target_problems})")
        else:
            shown = "\n".join(" ".join(line.split()) for line in section.inner_text().splitlines())
            if not shows(shown, values.get(label, "")):
                wrong.append(f"{label}: {file}#{anchor} does not show 03's {values.get(label)!r}")
        target.close()
    page.close()
    return wrong


def test_executive_links_land_on_the_section_that_shows_the_number(browser, project_reports: Path) -> None:
    """Issue 12 item 1: every drill-down of the executive summary opens the section (an id) of
    the detailed report that shows that item's number."""
    wrong = check_drilldowns(browser, project_reports)
    assert wrong == [], "\n".join(wrong)


def _pdf_pages(pdf: bytes) -> list[str]:
    import io

    pypdf = pytest.importorskip("pypdf", reason="pip install pypdf (test extra)")
    return [p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def print_pages(browser, path: Path, *, drop: str | None = None) -> list[str]:
    """Print ``path`` to an A4 PDF as Chromium does (print media) and return each page's text;
    ``drop``: a CSS selector of elements removed first (e.g. the appendix and the footer, which
    print on pages of their own after the report)."""
    page, problems = _open(browser, path)
    assert problems == [], problems
    page.emulate_media(media="print")
    if drop:
        page.evaluate("(sel) => document.querySelectorAll(sel).forEach(e => e.remove())", drop)
    pdf = page.pdf(format="A4", print_background=True)
    page.close()
    return _pdf_pages(pdf)


def test_executive_summary_prints_on_two_pages_before_its_appendix(browser, project_reports: Path) -> None:
    """Issue 12 item 7: report 03 fits two A4 pages; its appendix and the provenance footer
    start on new pages after them (print CSS), so the pages before them are the report."""
    path = project_reports / "03_executive_summary.html"
    pages = print_pages(browser, path, drop=".report-appendix, footer.report-footer")
    assert len(pages) <= 2, f"report 03 prints on {len(pages)} pages before its appendix"
    page, _ = _open(browser, path)
    page.emulate_media(media="print")
    breaks = page.evaluate("""() => [...document.querySelectorAll('.report-appendix, footer.report-footer')]
                               .map(e => getComputedStyle(e).breakBefore)""")
    assert breaks and set(breaks) == {"page"}, breaks
    page.close()


def _words(text: str) -> list[str]:
    return [w.strip(".,;:()[]«»“”\"'") for w in text.split()]


def broken_words(lines: list[str], vocabulary: set[str]) -> list[str]:
    """Words split across two printed lines: the last token of a line and the first of the next
    make a word of the page while the first part alone is not one ("Cos" + "t" → "Cost"). A line
    that ends at a hyphen the word itself has ("non-" / "integrated") broke where the word allows
    it, not mid-token."""
    found = []
    for a, b in zip(lines, lines[1:]):
        wa, wb = _words(a), _words(b)
        if not wa or not wb or not wa[-1] or not wb[0] or wa[-1].endswith(("-", "‐", "/", "→")):
            continue
        joined = wa[-1] + wb[0]
        if joined in vocabulary and (wa[-1] not in vocabulary or wb[0] not in vocabulary):
            found.append(f"{wa[-1]}|{wb[0]}")
    return found


def test_print_breaks_words_only_at_spaces(browser, project_reports: Path) -> None:
    """Issue 12 item 7: printed, no word of any report is split mid-token ("Cos t", "marketi ng",
    "$44 / 4k"): every element of the report body breaks lines only at spaces (computed print
    CSS), and the printed PDF's lines never end inside a word of the page."""
    for name in _project_runs():
        path = project_reports / f"{name}.html"
        page, _ = _open(browser, path)
        page.emulate_media(media="print")
        styles = page.evaluate("""() => {
            const bad = new Set();
            for (const e of document.querySelectorAll('main, main *')) {
                const s = getComputedStyle(e);
                if (s.wordBreak === 'break-all' || s.wordBreak === 'break-word' ||
                    s.overflowWrap === 'anywhere' || s.overflowWrap === 'break-word' ||
                    s.hyphens === 'auto') bad.add(e.tagName + ':' + s.wordBreak + '/' + s.overflowWrap + '/' + s.hyphens);
            }
            return [...bad]; }""")
        assert styles == [], f"{name}: elements that may break inside a word: {styles[:5]}"
        vocabulary = set(_words(page.locator("main").inner_text()))
        page.close()
        lines = [ln for text in print_pages(browser, path) for ln in text.splitlines()]
        assert len(lines) > 20, f"{name}: the printed PDF has no extractable text"
        broken = broken_words(lines, vocabulary)
        assert broken == [], f"{name}: words split across printed lines: {broken[:10]}"


def test_broken_word_detector_finds_mid_word_breaks(browser, tmp_path: Path) -> None:
    """The print check can fail: a narrow column with ``word-break: break-all`` splits words."""
    bad = tmp_path / "bad.html"
    words = "Cost of marketing and sales, customer acquisition, attribution interval " * 30
    bad.write_text(f'<html><body><main><p style="width:9em;word-break:break-all">{words}</p></main></body></html>')
    page, _ = _open(browser, bad)
    vocabulary = set(_words(page.locator("main").inner_text()))
    page.close()
    lines = [ln for text in print_pages(browser, bad) for ln in text.splitlines()]
    assert broken_words(lines, vocabulary), lines[:10]


def test_one_name_per_model_channel_and_team(browser, project_reports: Path) -> None:
    """Issue 12 item 9: the reports name each model, channel and team one way, the labels
    registry's (``U-shaped``, never ``position_based`` / ``position based``; ``content/SEO``,
    never ``content_seo`` / ``Content SEO``): no table cell, header or headline value holds
    another form, and no text outside code shows a data id."""
    from smlib.presentation.catalogue import entry
    from smlib.presentation.labels import column_label

    other_forms: dict[str, str] = {}
    for table in ("model", "channel", "team"):
        for key, name in entry(f"presentation.{table}", "en").items():
            for form in {key, key.replace("_", " "), column_label(key)}:
                # prose may say "a demo" or "the incremental model": the label's own words
                if form.lower() != name.lower() and not name.lower().startswith(form.lower() + " ") \
                        and name.lower() != form.lower() + "s":
                    other_forms[form] = name
    ids = [k for k in other_forms if "_" in k]
    wrong: list[str] = []
    for run in _project_runs():
        page, _ = _open(browser, project_reports / f"{run}.html")
        cells = page.evaluate("""() => [...document.querySelectorAll(
            'main td, main th, main .headline-value, main .headline-label, main li')]
            .map(e => e.innerText.trim())""")
        for cell in cells:
            for part in [cell, *[p.strip() for p in cell.replace(";", ",").split(",")]]:
                if part in other_forms:
                    wrong.append(f"{run}: {part!r} (registry: {other_forms[part]!r})")
        prose = page.evaluate("""() => { const m = document.querySelector('main').cloneNode(true);
            m.querySelectorAll('code, pre').forEach(e => e.remove()); return m.innerText; }""")
        wrong += [f"{run}: data id {k!r} in the text" for k in ids if k in prose.split() or f" {k} " in prose]
        page.close()
    assert wrong == [], "\n".join(sorted(set(wrong))[:40])


def test_latest_link_opens_the_batch_page(browser, report_batch) -> None:
    """Issue 12 item 11: the index's "latest" link opens a page listing the batch's reports
    (latest/index.html), not a raw folder listing."""
    page, problems = _open(browser, report_batch.root / "index.html")
    assert problems == []
    page.locator("a.latest-link").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/latest/index.html")
    assert page.locator("a.report-name").count() == 2 and page.title().startswith("smarketing reports")
    page.locator("a.report-name").first.click()
    page.wait_for_load_state("load")
    assert page.locator("#headline").is_visible()
    page.close()


def test_shows_matches_a_headline_value_as_it_rounds() -> None:
    """The drill-down check itself: the number, its interval on the same line, rounding allowed."""
    row = "incremental (counterfactual) sales 82.3 % (79.6 % to 85.1 %)"
    assert shows(row, "sales 82 % (80 % to 85 %), marketing 18 %")
    assert not shows(row, "sales 84 % (80 % to 85 %)")
    assert not shows("sales 82.3 %\n(79.6 % to 85.1 %)", "82 % (80 % to 85 %)")  # not one line
    assert shows("Blended CAC $41.8k ($40.1k to $44.2k)", "$42k ($40k to $44k)")
    assert not shows("2024Q1 $42k ($35k to $51k)", "$42k ($40k to $44k)")  # a quarter, not the total
    assert shows("uplift 8.8 % (6.7 % to 11.0 %)", "8.8 % (95 % CI 6.7 % to 11.0 %): a real gain")
    assert shows("content/SEO grow", "grow: content/SEO, SDR calls · 1 not enough evidence")
    assert shows("payback 21.8 months", "21.8 months to pay back (target < 12)")
