"""Sources are cited inside the repository: docs/sources.md, by section.

Project rule: cite the original source (paper, vendor study, documentation) in the repository
(``docs/``), never a file outside it that users of the product do not have. So (a) no text file of
the repository mentions a machine-local path or private notes file, and (b) every
"docs/sources.md §N" cited in ``smlib`` names a section that exists in docs/sources.md.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from smlib import config

ROOT = config.PROJECT_ROOT
SOURCES = ROOT / "docs" / "sources.md"

# The patterns are assembled from pieces so that this file does not match them itself.
#: An absolute path under the machine's work directory (``/home/ci/work/...`` in a fixture that
#: exercises path scrubbing is a different, relative-looking component and does not match).
MACHINE_PATH = re.compile(r"(?<![\w.~-])/" + "work" + r"/")
#: The private notes file the sources were first collected in, in any spelling.
PRIVATE_NOTES = re.compile("domain" + r"[-_ ]?" + "notes", re.IGNORECASE)

#: Files allowed to contain a machine path, with the reason. Only the ``MACHINE_PATH`` check is
#: waived; the notes check applies to every file.
MACHINE_PATH_ALLOWED: dict[str, str] = {
    "tests/data/did_mpdta_csdid.json": "provenance script of the reference values (absolute input path)",
    "tests/data/dml_doubleml.json": "provenance script of the reference values (absolute paths)",
    "tests/data/markov_channelattribution.json": "provenance script of the reference values (absolute paths)",
}

#: "docs/sources.md §2", "docs/sources.md §4.3"; a line break may fall before the section sign.
CITATION = re.compile(r"docs/sources\.md\s+§\s*(\d+(?:\.\d+)?)")
HEADING = re.compile(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", re.MULTILINE)
ANCHOR = re.compile(r'<a id="s(\d+(?:\.\d+)?)"></a>')


def _repo_files() -> list[str]:
    """Tracked files plus new files not yet added (ignored files left out)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    proc = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"not a git work tree: {proc.stderr.decode(errors='replace').strip()}")
    return sorted({p for p in proc.stdout.decode().split("\0") if p})


def _text(path: Path) -> str | None:
    """The file's text, or None for a binary (NUL byte or not UTF-8) or missing file."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None          # listed by git but deleted in the work tree
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _hits(pattern: re.Pattern[str], text: str) -> list[str]:
    return [f"line {text.count(chr(10), 0, m.start()) + 1}: {m.group(0)!r}" for m in pattern.finditer(text)]


def test_no_file_cites_machine_paths_or_private_notes() -> None:
    files = _repo_files()
    assert "pyproject.toml" in files, "git listing looks wrong"
    problems = []
    still_needed = set()
    for rel in files:
        text = _text(ROOT / rel)
        if text is None:
            continue
        hits = _hits(PRIVATE_NOTES, text)
        machine = _hits(MACHINE_PATH, text)
        if rel in MACHINE_PATH_ALLOWED:
            if machine:
                still_needed.add(rel)
        else:
            hits += machine
        problems += [f"{rel} {h}" for h in hits]
    assert not problems, ("cite docs/sources.md (and its section) instead of a file outside the "
                          "repository:\n" + "\n".join(problems))
    stale = sorted(set(MACHINE_PATH_ALLOWED) & set(files) - still_needed)
    assert not stale, f"no machine path left in {stale}: remove them from MACHINE_PATH_ALLOWED"


def test_sources_sections_have_stable_anchors() -> None:
    text = SOURCES.read_text(encoding="utf-8")
    headings = HEADING.findall(text)
    assert {"1", "2", "3", "4"} <= set(headings), headings
    assert set(headings) == set(ANCHOR.findall(text)), "every numbered section needs <a id=\"sN\">"
    for number in headings:
        # the anchor sits just above its heading, so moving a section moves its anchor with it
        assert re.search(rf'<a id="s{re.escape(number)}"></a>\s*\n#{{2,3}} {re.escape(number)}\.? ', text), number


def test_smlib_citations_of_sources_name_existing_sections() -> None:
    sections = set(HEADING.findall(SOURCES.read_text(encoding="utf-8")))
    cited: dict[str, list[str]] = {}
    for path in sorted((ROOT / "smlib").rglob("*.py")):
        for number in CITATION.findall(path.read_text(encoding="utf-8")):
            cited.setdefault(number, []).append(str(path.relative_to(ROOT)))
    assert cited, "smlib cites no section of docs/sources.md"
    missing = {n: sorted(set(where)) for n, where in cited.items() if n not in sections}
    assert not missing, f"docs/sources.md has no section {missing}; sections: {sorted(sections)}"
