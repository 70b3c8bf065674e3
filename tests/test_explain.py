"""`gi-pipeline explain`: one self-contained HTML page per report, opened in headless Chromium.

The pages of a seed whose text contradicts its table, of a real PDF the parser flags and of a synthetic
report breaking an identity are rendered, loaded in a real browser (``--dump-dom``: the DOM after the page's
script ran) and checked against the parsed report: every extracted cell is there, the cells the report's
issues are about are marked with their severity, and each violated identity is shown as formula, both sides
and difference. Without Chromium (CI installs it: .ci/run) the browser tests are skipped, saying why.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from gi_pipeline import explain
from gi_pipeline import vocabulary as v
from gi_pipeline.records import ParsedReport
from gi_pipeline.report import parse_report

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "gi_pipeline" / "data" / "sample_reports"
FIXTURES = Path(__file__).parent / "fixtures"
SEED_004 = SAMPLES / "004_656a75cba6cb305a.txt"
IDENTITY_VIOLATION = SAMPLES / "synthetic_05_pipe_utf-8_identity_violation.txt"
HONGZE = FIXTURES / "hongze_2024.pdf"
PINGTAN_2019 = FIXTURES / "pingtan_2019.txt"  # flagged: table 二's run-together digits fit several readings
BROWSER = next((p for name in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(name))), None)
BROWSER_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
needs_browser = pytest.mark.skipif(
    BROWSER is None, reason="no chromium on PATH (apt-get install -y chromium; .ci/run installs it)"
)


class _Dom(HTMLParser):
    """Elements with an id or a class, as (tag, attributes), and the text inside #panel-body."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.panel_depth = 0
        self.panel_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.elements.append((tag, attributes))
        if self.panel_depth:
            self.panel_depth += tag not in ("br", "wbr", "meta")
        elif attributes.get("id") == "panel-body":
            self.panel_depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.panel_depth:
            self.panel_depth -= 1

    def handle_data(self, data: str) -> None:
        if self.panel_depth:
            self.panel_text.append(data)

    def cells(self) -> dict[tuple[str, str, str], set[str]]:
        """(table, row, column) -> classes of each fact cell."""
        return {
            (a["data-table"], a["data-row"], a["data-column"]): set(a["class"].split())
            for tag, a in self.elements
            if tag == "td" and "cell" in a.get("class", "").split()
        }


def _seed_004_contradicted(tmp_path: Path) -> Path:
    """Seed 004 whose text says 119 new requests where its table says 109 (traditional characters)."""
    text = SEED_004.read_text(encoding="utf-8")
    assert "新收到依申請公開109件" in text
    path = tmp_path / "004_contradicted.txt"
    path.write_text(text.replace("新收到依申請公開109件", "新收到依申請公開119件"), encoding="utf-8")
    return path


def _parsed(path: Path) -> ParsedReport:
    report = parse_report(path.read_bytes(), path.name)
    assert isinstance(report, ParsedReport), report
    return report


def _render_in_browser(raw: Path, tmp_path: Path) -> str:
    out = tmp_path / (raw.name + ".html")
    assert explain.main([str(raw), "-o", str(out)]) == 0
    done = subprocess.run(
        [BROWSER, *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", out.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "</html>" in done.stdout, done.stderr[-2000:]
    return done.stdout


def _dom(page: str) -> _Dom:
    dom = _Dom()
    dom.feed(page)
    return dom


def _fact_cells(report: ParsedReport) -> set[tuple[str, str, str]]:
    return (
        {(v.TABLE_REQUESTS, f.row_key, f.applicant) for f in report.requests}
        | {(v.TABLE_ACTIVE_DISCLOSURE, f.item, f.metric) for f in report.disclosure}
        | {(v.TABLE_REVIEW_LITIGATION, f.proceeding, f.outcome) for f in report.review}
    )


@pytest.mark.browser
@needs_browser
def test_a_contradicted_seed_shows_the_mismatch_on_its_cell(tmp_path: Path) -> None:
    raw = _seed_004_contradicted(tmp_path)
    report = _parsed(raw)
    dom = _dom(_render_in_browser(raw, tmp_path))
    cells = dom.cells()
    assert _fact_cells(report) <= set(cells)
    [mismatch] = [s for s in report.narrative if s.status == v.NARRATIVE_MISMATCH]
    for cell in mismatch.cells:
        assert {"narrative-mismatch", "flagged", "sev-warning"} <= cells[cell]
    flagged = {key for key, classes in cells.items() if "flagged" in classes}
    assert flagged == set(mismatch.cells)  # the seed has no other issue
    # The script ran: the source panel opened on that cell, with the issue.
    panel = "".join(dom.panel_text)
    assert v.Check.NARRATIVE_MISMATCH in panel and str(mismatch.table_value) in panel
    confirmed = [s for s in report.narrative if s.status == v.NARRATIVE_MATCH]
    assert confirmed and all("narrative-match" in cells[c] for s in confirmed for c in s.cells)


@pytest.mark.browser
@needs_browser
@pytest.mark.parametrize("path", [PINGTAN_2019, HONGZE], ids=lambda p: p.name)
def test_a_real_report_marks_the_cells_of_its_issues(path: Path, tmp_path: Path) -> None:
    report = _parsed(path)
    assert report.issues
    assert report.status == (v.STATUS_FLAGGED if path == PINGTAN_2019 else v.STATUS_OK)
    dom = _dom(_render_in_browser(path, tmp_path))
    cells = dom.cells()
    assert _fact_cells(report) <= set(cells)
    for issue in report.issues:
        if issue.table in explain.TABLES and issue.row_key is not None:
            column = explain.issue_column(issue)
            about = [k for k in cells if k[:2] == (issue.table, issue.row_key) and column in (None, k[2])]
            assert about, issue
            assert all(f"sev-{issue.severity}" in cells[k] or "sev-error" in cells[k] for k in about), issue
    flagged_rows = {k[:2] for k, classes in cells.items() if "flagged" in classes}
    assert flagged_rows == {(i.table, i.row_key) for i in report.issues if i.table in explain.TABLES and i.row_key}
    if path.suffix == ".pdf":
        assert re.search(r"page \d+ · chars \d+-\d+", "".join(dom.panel_text))  # a PDF's cell shows its page


@pytest.mark.browser
@needs_browser
def test_a_violated_identity_is_shown_with_formula_sides_and_difference(tmp_path: Path) -> None:
    report = _parsed(IDENTITY_VIOLATION)
    findings = explain.identity_findings(report)
    assert findings
    page = _render_in_browser(IDENTITY_VIOLATION, tmp_path)
    cells = _dom(page).cells()
    value = {(v.TABLE_REQUESTS, f.row_key, f.applicant): f.value for f in report.requests}
    for finding in findings:
        if finding.identity == "identity_requests_balance":  # both sides from the cells themselves
            c = finding.column
            lhs = value[(v.TABLE_REQUESTS, "new_received", c)] + value[(v.TABLE_REQUESTS, "carried_over", c)]
            rhs = value[(v.TABLE_REQUESTS, "results_total", c)] + value[(v.TABLE_REQUESTS, "carried_forward", c)]
            assert (finding.lhs, finding.rhs) == (lhs, rhs)
            terms = [value[(v.TABLE_REQUESTS, row, c)] for row in ("new_received", "carried_over", "results_total", "carried_forward")]
            assert "; {} + {} = {} + {}".format(*terms) in page
        off = abs(finding.lhs - finding.rhs)
        shown = f"{explain.FORMULAS[finding.identity]} [{finding.column}]: {finding.lhs} ≠ {finding.rhs} (off by {off})"
        assert shown in page.replace("&amp;", "&")
        for cell in explain.identity_cells(finding.identity, finding.column):
            if cell in cells:
                assert "identity-fail" in cells[cell]


def test_the_page_is_self_contained(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    assert explain.main([str(HONGZE), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert not re.search(r"<link\b|<img\b|<iframe\b|\bsrc\s*=|@import|url\(", page, re.IGNORECASE)
    assert not re.search(r'href\s*=\s*"(?!#)', page)
    # Same input, same page.
    assert explain.main([str(HONGZE), "-o", str(tmp_path / "again.html")]) == 0
    assert (tmp_path / "again.html").read_bytes() == out.read_bytes()


def test_the_cli_runs_explain(tmp_path: Path) -> None:
    from assets import cli

    out = tmp_path / "seed.html"
    assert cli.main(["explain", str(SEED_004), "-o", str(out)]) == 0
    assert 'class="cell' in out.read_text(encoding="utf-8")


def test_a_cell_with_provenance_shows_its_raw_token_and_page() -> None:
    """A fact's cell is shown by its provenance (raw token, span in the normalized text, page), not by the
    row's labelled line; a fact without a cell falls back to that line and says so."""
    report = _parsed(HONGZE)
    traced = [(f, s) for f, s in explain.sourced_facts(report, "requests") if s.raw and s.page]
    fact, sourced = next((f, s) for f, s in traced if f.row_key == "new_received" and f.applicant == "total")
    shown = explain.cell_source_html(report, (v.TABLE_REQUESTS, fact.row_key, fact.applicant), sourced)
    assert f"raw token: <code>{sourced.raw}</code>" in shown and f"page {sourced.page}" in shown
    assert f"<mark>{sourced.raw}</mark>" in shown and shown.count("<mark>") == 1
    assert f"chars {sourced.char_start}-{sourced.char_end}" in shown
    assert "found by searching" not in shown
    without_cell = explain.SourcedFact(fact.value, None, None, None, None)
    untraced = explain.cell_source_html(report, (v.TABLE_REQUESTS, fact.row_key, fact.applicant), without_cell)
    assert "found by searching the normalized section text for the row label" in untraced
