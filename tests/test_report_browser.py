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
    reports = sorted((report_batch.root / "latest").resolve().glob("*.html"))
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
