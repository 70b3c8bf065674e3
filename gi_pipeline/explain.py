"""One self-contained HTML page per report, for a person who wants to look rather than read.

``gi-pipeline explain RAW_FILE [-o OUT.html]`` parses the file as the pipeline does and shows: the report's
metadata; tables 二, 三 and 四 as extracted, each cell linked to where it is printed; every quality issue
beside the cell or row it is about, coloured by severity; the accounting identities computed with
``gi_pipeline.identities`` (formula, both sides, the difference); and the numbers the text states with the
cells they were compared with. No network, no external assets: CSS and a few lines of script inline.

Where a cell comes from: its provenance (``ParsedReport.sources``: the raw token, its span in the normalized
text, the PDF page), the token highlighted in its lines with the page number. A fact without a cell (its row
not found, or printed with cells that do not fit its columns) has none: the page then shows the row's line
found by searching the normalized section text for the row label, and says so.

``render`` is also what ``gi_pipeline.explain_pages`` calls for the pages of a partition's flagged reports,
which the partition asset writes beside the partition and lists in the ``reports`` materialization metadata.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from . import frames
from . import identities as ids
from . import vocabulary as v
from .locate import line_span, row_line
from .readers import detect_format
from .records import NarrativeStatement, ParsedReport, QualityIssue, Quarantined
from .report import parse_report

CellKey = tuple[str, str, str]  # (table, row / item / proceeding, column / metric / outcome)
_CONTEXT_LINES = 2  # lines shown above and below a source line
_MAX_LINE_CHARS = 400

# What each identity of gi_pipeline.identities states, and the cells of one of its rows (by its column).
FORMULAS = {
    ids.REQUESTS_BALANCE: "new_received + carried_over = results_total + carried_forward",
    ids.REQUESTS_RESULTS_TOTAL: "results_total = sum of the result rows (一)…(六)",
    ids.REQUESTS_ROW_TOTAL: "total = sum of the six applicant columns",
    ids.REVIEW_TOTAL: "total = upheld + corrected + other + pending",
}
_BALANCE_ROWS = ("new_received", "carried_over", "results_total", "carried_forward")


def identity_cells(identity: str, column: str) -> tuple[CellKey, ...]:
    """The cells an identity row is computed from; the first is the row its finding is shown beside."""
    if identity == ids.REQUESTS_BALANCE:
        return tuple((v.TABLE_REQUESTS, row, column) for row in _BALANCE_ROWS)
    if identity == ids.REQUESTS_RESULTS_TOTAL:
        return tuple((v.TABLE_REQUESTS, row, column) for row in ("results_total", *v.RESULT_ROW_KEYS))
    if identity == ids.REQUESTS_ROW_TOTAL:
        return tuple((v.TABLE_REQUESTS, column, a) for a in (v.APPLICANT_TOTAL, *v.APPLICANT_PARTS))
    if identity == ids.REVIEW_TOTAL:
        return tuple((v.TABLE_REVIEW_LITIGATION, column, o) for o in (v.OUTCOME_TOTAL, *v.OUTCOME_PARTS))
    return ()


# Identities whose sides are sums of named cells: (lhs rows, rhs rows) as the formula prints them.
_TERMS = {
    ids.REQUESTS_BALANCE: (_BALANCE_ROWS[:2], _BALANCE_ROWS[2:]),
    ids.REVIEW_TOTAL: ((v.OUTCOME_TOTAL,), v.OUTCOME_PARTS),
}


@dataclass(frozen=True)
class IdentityFinding:
    identity: str
    column: str
    lhs: int
    rhs: int
    terms: str = ""  # the formula with the cells' values, where its sides are sums of named cells

    @property
    def text(self) -> str:
        off = self.lhs - self.rhs
        shown = f"{FORMULAS.get(self.identity, self.identity)} [{self.column}]: {self.lhs} ≠ {self.rhs} (off by {abs(off)})"
        return f"{shown}; {self.terms}" if self.terms else shown


def _terms(report: ParsedReport, identity: str, column: str) -> str:
    if identity not in _TERMS:
        return ""
    if identity == ids.REVIEW_TOTAL:
        values = {f.outcome: f.value for f in report.review if f.proceeding == column}
    else:
        values = {f.row_key: f.value for f in report.requests if f.applicant == column}
    lhs, rhs = _TERMS[identity]
    return " = ".join(" + ".join(_number_text(values.get(k)) for k in side) for side in (lhs, rhs))


def identity_findings(report: ParsedReport) -> list[IdentityFinding]:
    """Identity rows whose two sides are known and differ, computed by gi_pipeline.identities."""
    tables = frames.report_tables([report])
    requests = frames.polars_frame(tables[v.TABLE_REQUESTS]).lazy()
    review = frames.polars_frame(tables[v.TABLE_REVIEW_LITIGATION]).lazy()
    rows = pl.concat([ids.request_identities(requests), ids.review_identities(review)]).collect()
    failed = rows.filter(pl.col("lhs") != pl.col("rhs"))
    return [
        IdentityFinding(r["identity"], r["column"], r["lhs"], r["rhs"], _terms(report, r["identity"], r["column"]))
        for r in failed.iter_rows(named=True)
    ]


# --------------------------------------------------------------------------------------------
# Which cell an issue is about
# --------------------------------------------------------------------------------------------

_COLUMNS = {
    v.TABLE_REQUESTS: v.APPLICANTS,
    v.TABLE_REVIEW_LITIGATION: v.OUTCOMES,
    v.TABLE_ACTIVE_DISCLOSURE: tuple(dict.fromkeys(m for i in v.DISCLOSURE_ITEMS for ms in i.metrics.values() for m in ms)),
}
TABLES = frozenset(_COLUMNS)  # the fact tables a page shows
_DETAIL_COLUMN = re.compile(r"^(\w+):")


def issue_column(issue: QualityIssue) -> str | None:
    """The column a cell issue names (details of cell checks start with ``column:``), else None."""
    m = _DETAIL_COLUMN.match(issue.detail)
    return m.group(1) if m and m.group(1) in _COLUMNS.get(issue.table, ()) else None


# --------------------------------------------------------------------------------------------
# Where a cell is printed
# --------------------------------------------------------------------------------------------


def _number_text(value: float | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _context(text: str, start: int, end: int) -> tuple[int, int]:
    """``start..end`` widened to whole lines plus ``_CONTEXT_LINES`` on each side."""
    lo, hi = line_span(text, start, end)
    for _ in range(_CONTEXT_LINES):
        if lo > 0:
            lo = text.rfind("\n", 0, lo - 1) + 1
        if hi < len(text):
            nxt = text.find("\n", hi + 1)
            hi = len(text) if nxt < 0 else nxt
    return lo, hi


def _lines_html(text: str, lo: int, hi: int, marks: Sequence[tuple[int, int]], focus: tuple[int, int] | None) -> str:
    """Lines ``lo..hi`` of ``text``, the ``marks`` highlighted, the ``focus`` line(s) emphasised. A long line
    (a report saved as one line) is cut to the part around its marks. Each line starts with its offset in
    the normalized text."""
    out = []
    pos = lo
    for line in text[lo:hi].split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        inside = sorted(m for m in marks if start <= m[0] and m[1] <= end)
        cut_start, cut_end = start, end
        if len(line) > _MAX_LINE_CHARS:
            near = inside or ([focus] if focus and start <= focus[0] and focus[1] <= end else [])
            cut_start = max(start, min(a for a, _ in near) - _MAX_LINE_CHARS // 2) if near else start
            cut_end = min(end, max(b for _, b in near) + _MAX_LINE_CHARS // 2) if near else start + _MAX_LINE_CHARS
        pieces = ["…"] if cut_start > start else []
        cursor = cut_start
        for a, b in inside:
            if cut_start <= a and b <= cut_end:
                pieces += [html.escape(text[cursor:a]), f"<mark>{html.escape(text[a:b])}</mark>"]
                cursor = b
        pieces.append(html.escape(text[cursor:cut_end]) + ("…" if cut_end < end else ""))
        hit = focus is not None and start <= focus[1] and focus[0] <= end
        shown = "".join(pieces).replace(chr(0x1F), " ┆ ")  # a grid row's cell separator
        out.append(f'<div class="ln{" hit" if hit else ""}"><span class="no">{cut_start}</span>{shown}</div>')
    return "".join(out)


def _value_marks(line: str, offset: int, value: float | None) -> list[tuple[int, int]]:
    if value is None:
        return []
    pattern = re.compile(rf"(?<![\d.]){re.escape(_number_text(value))}(?![\d.])")
    return [(offset + m.start(), offset + m.end()) for m in pattern.finditer(line)]


@dataclass(frozen=True)
class SourcedFact:
    """A fact's value with its cell's provenance (gi_pipeline.provenance.Source)."""

    value: float | int | None
    raw: str | None
    char_start: int | None
    char_end: int | None
    page: int | None


def sourced_facts(report: ParsedReport, facts: str) -> list[tuple[Any, SourcedFact]]:
    """Each fact of ``facts`` ('disclosure', 'requests', 'review') with its value and provenance (the fact is a
    DisclosureFact, RequestFact or ReviewFact by ``facts``: typed Any for the callers' attribute reads)."""
    return [(f, SourcedFact(f.value, *source)) for f, source in zip(getattr(report, facts), report.sources(facts))]


def cell_source_html(report: ParsedReport, key: CellKey, fact: object | None) -> str:
    """Where the cell is printed: its provenance (``SourcedFact``), else the row's labelled line."""
    table, row, column = key
    value = getattr(fact, "value", None)
    text = report.text
    head = f"<h4>{html.escape(table)} · {html.escape(row)} · {html.escape(column)} = <b>{_number_text(value)}</b></h4>"
    start, end = getattr(fact, "char_start", None), getattr(fact, "char_end", None)
    if isinstance(start, int) and isinstance(end, int):
        raw = getattr(fact, "raw", None)
        page = getattr(fact, "page", None)
        lo, hi = _context(text, start, end)
        token = raw if raw is not None else text[start:end]
        info = [f"raw token: <code>{html.escape(token)}</code>" if token else "a blank cell"]
        if page is not None:
            info.append(f"page {html.escape(str(page))}")
        info.append(f"chars {start}-{end} of the normalized text")
        source = _lines_html(text, lo, hi, [(start, end)], (start, end))
        return head + f'<p class="how">{" · ".join(info)}</p><div class="src">{source}</div>'
    sections = {s.section_key: s for s in report.sections}
    span = row_line(sections, table, row)
    if span is None:
        return head + '<p class="how">The row was not found in the text by its label; no source to show.</p>'
    marks = _value_marks(text[span[0] : span[1]], span[0], value)
    lo, hi = _context(text, *span)
    how = (
        "This fact has no cell (its row was not found, or its cells did not fit the columns): shown is the "
        "row's line, found by searching the normalized section text for the row label"
        + (" (table 四 prints its numbers in one unlabelled row: its first line of numbers)" if table == v.TABLE_REVIEW_LITIGATION else "")
        + "; numbers equal to the value are highlighted, which one is the cell is not recorded."
    )
    if report.source_file.lower().endswith(".pdf"):
        how += " Page: not recorded."
    return head + f'<p class="how">{how}</p><div class="src">{_lines_html(text, lo, hi, marks, span)}</div>'


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------


@dataclass
class _Annotations:
    """Per cell and per row: issues and identity findings, and the narrative statements about a cell."""

    cell_issues: dict[CellKey, list[QualityIssue]] = field(default_factory=dict)
    row_issues: dict[tuple[str, str], list[QualityIssue]] = field(default_factory=dict)
    table_issues: dict[str, list[QualityIssue]] = field(default_factory=dict)
    cell_identities: dict[CellKey, list[IdentityFinding]] = field(default_factory=dict)
    row_identities: dict[tuple[str, str], list[IdentityFinding]] = field(default_factory=dict)
    cell_statements: dict[CellKey, list[NarrativeStatement]] = field(default_factory=dict)


def _annotate(report: ParsedReport, findings: Sequence[IdentityFinding]) -> _Annotations:
    notes = _Annotations()
    for issue in report.issues:
        column = issue_column(issue)
        if issue.row_key is None or issue.table not in _COLUMNS:
            notes.table_issues.setdefault(issue.table, []).append(issue)
        else:
            notes.row_issues.setdefault((issue.table, issue.row_key), []).append(issue)
            if column is not None:
                notes.cell_issues.setdefault((issue.table, issue.row_key, column), []).append(issue)
    for finding in findings:
        cells = identity_cells(finding.identity, finding.column)
        for cell in cells:
            notes.cell_identities.setdefault(cell, []).append(finding)
        if cells:
            notes.row_identities.setdefault(cells[0][:2], []).append(finding)
    for statement in report.narrative:
        for cell in statement.cells:
            notes.cell_statements.setdefault(cell, []).append(statement)
            if statement.status == v.NARRATIVE_MISMATCH:
                notes.cell_issues.setdefault(cell, []).extend(
                    i for i in report.issues if i.check == v.Check.NARRATIVE_MISMATCH and _is_about(i, statement)
                )
    return notes


def _is_about(issue: QualityIssue, statement: NarrativeStatement) -> bool:
    return f"chars {statement.char_start}-{statement.char_end}:" in issue.detail


def _cell_id(key: CellKey) -> str:
    return "c-" + "-".join(key)


def _severity_class(issues: Sequence[QualityIssue], identities: Sequence[IdentityFinding]) -> str:
    """flagged plus the worst severity of the cell's issues; identity-fail for a cell of a violated identity."""
    out = " identity-fail" if identities else ""
    if any(i.severity == v.SEVERITY_ERROR for i in issues):
        return out + " flagged sev-error"
    if issues:
        return out + " flagged sev-warning"
    return out


def _issue_html(issue: QualityIssue) -> str:
    return (
        f'<li class="issue sev-{html.escape(issue.severity)}"><b>{html.escape(issue.check)}</b> '
        f"({html.escape(issue.severity)}): {html.escape(issue.detail)}</li>"
    )


def _identity_html(finding: IdentityFinding) -> str:
    return f'<li class="issue sev-error identity"><b>{html.escape(finding.identity)}</b>: {html.escape(finding.text)}</li>'


def _cell_html(report: ParsedReport, key: CellKey, fact: object | None, notes: _Annotations, label: str = "") -> str:
    # A row issue that names no column (cell_count, row_missing ...) is about every cell of the row.
    row_wide = [i for i in notes.row_issues.get(key[:2], []) if issue_column(i) is None and i.check != v.Check.NARRATIVE_MISMATCH]
    issues = [*notes.cell_issues.get(key, []), *row_wide]
    findings = notes.cell_identities.get(key, [])
    statements = notes.cell_statements.get(key, [])
    classes = "cell" + _severity_class(issues, findings)
    if fact is None:
        classes += " absent"
    elif getattr(fact, "value", None) is None:
        classes += " null"
    if any(s.status == v.NARRATIVE_MISMATCH for s in statements):
        classes += " narrative-mismatch"
    elif any(s.status == v.NARRATIVE_MATCH for s in statements):
        classes += " narrative-match"
    detail = cell_source_html(report, key, fact) if fact is not None else "<p>Not in the extracted table.</p>"
    detail += "".join(f"<ul>{_issue_html(i)}</ul>" for i in issues)
    detail += "".join(f"<ul>{_identity_html(f)}</ul>" for f in findings)
    for s in statements:
        lo, hi = line_span(report.text, s.char_start, s.char_end)
        where = _lines_html(report.text, lo, hi, [(s.char_start, s.char_end)], None)
        detail += (
            f'<p class="stmt st-{s.status}">The text states {"a vague number" if s.stated is None else s.stated} '
            f'({html.escape(s.status)}):</p><div class="src">{where}</div>'
        )
    shown = _number_text(getattr(fact, "value", None)) if fact is not None else ""
    small = f'<span class="metric">{html.escape(label)}</span>' if label else ""
    return (
        f'<td class="{classes}" id="{_cell_id(key)}" tabindex="0" data-table="{key[0]}" data-row="{html.escape(key[1])}" '
        f'data-column="{html.escape(key[2])}">{small}{shown}<div class="detail" hidden>{detail}</div></td>'
    )


def _row_notes_html(notes: _Annotations, table: str, row: str, width: int) -> str:
    """The row's issues and violated identities, in a row of their own right under it."""
    items = [_issue_html(i) for i in notes.row_issues.get((table, row), [])]
    items += [_identity_html(f) for f in notes.row_identities.get((table, row), [])]
    if not items:
        return ""
    return f'<tr class="notes" data-row="{html.escape(row)}"><td></td><td colspan="{width}"><ul>{"".join(items)}</ul></td></tr>'


def _header(key: str) -> str:
    return html.escape(key).replace("_", "_<wbr>")


def _table_issues_html(notes: _Annotations, table: str) -> str:
    items = notes.table_issues.get(table, [])
    return f'<ul class="table-issues">{"".join(map(_issue_html, items))}</ul>' if items else ""


def _requests_html(report: ParsedReport, notes: _Annotations) -> str:
    facts = {(v.TABLE_REQUESTS, f.row_key, f.applicant): s for f, s in sourced_facts(report, "requests")}
    template = report.metadata.template
    known = v.request_rows(template) if template else v.REQUEST_ROW_KEYS
    rows = [*known, *dict.fromkeys(k[1] for k in facts if k[1] not in known)]
    head = "".join(f"<th>{_header(a)}</th>" for a in v.APPLICANTS)
    body = []
    for row in rows:
        label = v.REQUEST_ROW_BY_KEY[row].labels[-1] if row in v.REQUEST_ROW_BY_KEY else row
        cells = "".join(_cell_html(report, (v.TABLE_REQUESTS, row, a), facts.get((v.TABLE_REQUESTS, row, a)), notes) for a in v.APPLICANTS)
        body.append(
            f'<tr><th class="rowkey">{html.escape(row)}<br><span class="label">{html.escape(label)}</span></th>{cells}</tr>'
            + _row_notes_html(notes, v.TABLE_REQUESTS, row, len(v.APPLICANTS))
        )
    return (
        f'<section><h2>Table 三 · requests</h2>{_table_issues_html(notes, v.TABLE_REQUESTS)}'
        f'<table class="facts" id="t-requests"><tr><th>row</th>{head}</tr>{"".join(body)}</table></section>'
    )


def _disclosure_html(report: ParsedReport, notes: _Annotations) -> str:
    facts = {(v.TABLE_ACTIVE_DISCLOSURE, f.item, f.metric): s for f, s in sourced_facts(report, "disclosure")}
    items = dict.fromkeys(k[1] for k in facts)
    body = []
    for item in items:
        metrics = [k[2] for k in facts if k[1] == item]
        label = v.DISCLOSURE_ITEM_BY_KEY[item].labels[0] if item in v.DISCLOSURE_ITEM_BY_KEY else item
        cells = "".join(
            _cell_html(report, (v.TABLE_ACTIVE_DISCLOSURE, item, m), facts[(v.TABLE_ACTIVE_DISCLOSURE, item, m)], notes, m)
            for m in metrics
        )
        cells += '<td class="pad"></td>' * (3 - len(metrics))
        body.append(
            f'<tr><th class="rowkey">{html.escape(item)}<br><span class="label">{html.escape(label)}</span></th>{cells}</tr>'
            + _row_notes_html(notes, v.TABLE_ACTIVE_DISCLOSURE, item, 3)
        )
    return (
        f'<section><h2>Table 二 · active disclosure</h2>{_table_issues_html(notes, v.TABLE_ACTIVE_DISCLOSURE)}'
        f'<table class="facts" id="t-active_disclosure"><tr><th>item</th><th colspan="3">metric: value</th></tr>'
        f'{"".join(body)}</table></section>'
    )


def _review_html(report: ParsedReport, notes: _Annotations) -> str:
    facts = {(v.TABLE_REVIEW_LITIGATION, f.proceeding, f.outcome): s for f, s in sourced_facts(report, "review")}
    head = "".join(f"<th>{_header(o)}</th>" for o in v.OUTCOMES)
    body = [
        f'<tr><th class="rowkey">{html.escape(p)}</th>'
        + "".join(
            _cell_html(report, (v.TABLE_REVIEW_LITIGATION, p, o), facts.get((v.TABLE_REVIEW_LITIGATION, p, o)), notes)
            for o in v.OUTCOMES
        )
        + "</tr>"
        + _row_notes_html(notes, v.TABLE_REVIEW_LITIGATION, p, len(v.OUTCOMES))
        for p in v.PROCEEDINGS
    ]
    return (
        f'<section><h2>Table 四 · review and litigation</h2>{_table_issues_html(notes, v.TABLE_REVIEW_LITIGATION)}'
        f'<table class="facts" id="t-review_litigation"><tr><th>proceeding</th>{head}</tr>{"".join(body)}</table></section>'
    )


def _region_how(report: ParsedReport) -> str:
    m = report.metadata
    region = m.region
    if region.admin_code is None:
        return "not resolved"
    names = [n for n in (region.county, region.prefecture, region.province) if n]
    head = " ".join(x for x in (m.title, m.agency) if x)
    where = "a place named in the title or agency" if any(n in head for n in names) else "a place named in the body text"
    moved = (
        ""
        if region.admin_code == region.admin_code_as_reported
        else f"; code {region.admin_code_as_reported} in {m.year}, today {region.admin_code}"
    )
    return f"from {where} (gi_pipeline.regions){moved}"


def _metadata_html(report: ParsedReport, reader: str) -> str:
    m = report.metadata
    r = m.region
    place = " / ".join(x for x in (r.province, r.prefecture, r.county) if x) or "—"
    rows = [
        ("source file", report.source_file),
        ("doc_id", report.doc_id),
        ("status", report.status),
        ("title", m.title or "—"),
        ("agency", m.agency or "—"),
        ("year", str(m.year)),
        ("region", f"{place} · admin_code {r.admin_code or '—'} · partition {report.region}"),
        ("region resolved", _region_how(report)),
        ("template", m.template or "—"),
        ("published", m.published_date or "—"),
        ("written in", "traditional characters (normalized to simplified)" if m.traditional else "simplified characters"),
        ("reader", reader),
        ("narrative confirmed", f"{report.narrative_confirmed} statement(s) of the text agree with the tables"),
    ]
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(val)}</td></tr>" for k, val in rows)
    return f'<table class="meta">{body}</table>'


def _identities_html(findings: Sequence[IdentityFinding]) -> str:
    formulas = "".join(f"<li><code>{html.escape(f)}</code></li>" for f in FORMULAS.values())
    if findings:
        found = "".join(f'<li class="issue sev-error identity"><code>{html.escape(f.text)}</code></li>' for f in findings)
    else:
        found = '<li class="ok">every identity whose cells are all known holds</li>'
    return (
        '<section><h2>Accounting identities</h2><p>Computed with <code>gi_pipeline.identities</code> over the '
        f"extracted cells (an identity over a null cell is not judged):</p><ul>{formulas}</ul>"
        f'<h3>Violated</h3><ul id="identities">{found}</ul></section>'
    )


def _narrative_html(report: ParsedReport) -> str:
    if not report.narrative:
        return "<section><h2>Numbers stated in the text</h2><p>No statement of sections 一 and 四 maps to a table cell.</p></section>"
    rows = []
    text = report.text
    for s in report.narrative:
        lo, hi = _context(text, s.char_start, s.char_end)
        links = " + ".join(f'<a href="#{_cell_id(c)}" class="cellref">{html.escape(".".join(c))}</a>' for c in s.cells)
        source = _lines_html(text, lo, hi, [(s.char_start, s.char_end)], (s.char_start, s.char_end))
        rows.append(
            f'<tr class="st-{s.status}"><td class="status">{html.escape(s.status)}</td>'
            f"<td>{'—' if s.stated is None else s.stated}</td><td>{_number_text(s.table_value)}</td><td>{links}</td>"
            f'<td><div class="src">{source}</div></td></tr>'
        )
    return (
        "<section><h2>Numbers stated in the text</h2><p>Statements of sections 一 and 四 (patterns in "
        "<code>vocabulary.NARRATIVE_PATTERNS</code>) and the cells they state; a null cell is neither a match "
        "nor a mismatch, a vague statement (约, 余件, a range) is not compared.</p>"
        '<table class="narrative"><tr><th>status</th><th>text</th><th>table</th><th>cells</th><th>where</th></tr>'
        f'{"".join(rows)}</table></section>'
    )


_CSS = """
body{font:14px/1.45 system-ui,'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header{background:#263238;color:#fff;padding:12px 20px}header h1{margin:0;font-size:20px}
main{margin-right:380px;padding:8px 20px}
aside{position:fixed;top:0;right:0;width:370px;height:100vh;overflow:auto;background:#fff;
border-left:1px solid #ccc;padding:10px;box-sizing:border-box}
h2{font-size:17px;margin:18px 0 6px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #d0d0d0;padding:2px 6px;vertical-align:top}
table.meta th{text-align:left;background:#f0f0f0}
.facts td.cell{text-align:right;min-width:44px;cursor:pointer;font-variant-numeric:tabular-nums}
.facts td.cell:hover,.facts td.cell.active{outline:2px solid #1565c0}
.rowkey{text-align:left;font-weight:normal;max-width:220px}.label{color:#666;font-size:12px}
.metric{display:block;color:#888;font-size:11px;text-align:left}
td.null{color:#999}td.absent{background:#eee}
.sev-error{background:#fdecea}.facts td.sev-error{box-shadow:inset 0 0 0 2px #c62828}
.sev-warning{background:#fff4e5}.facts td.sev-warning{box-shadow:inset 0 0 0 2px #ef8f00}
.facts td.identity-fail{background-image:repeating-linear-gradient(135deg,transparent 0 6px,#f8d7da 6px 8px)}
.legend .identity-fail{background-image:repeating-linear-gradient(135deg,transparent 0 6px,#f8d7da 6px 8px);border:1px solid #c62828}
td.narrative-match::after{content:' ✓';color:#2e7d32}td.narrative-mismatch::after{content:' ≠';color:#c62828;font-weight:bold}
tr.notes td{font-size:12px;border-top:none;background:#fffdf7}tr.notes ul,ul.table-issues{margin:0;padding-left:16px}
li.issue.sev-error{color:#b71c1c}li.issue.sev-warning{color:#8a5300}li.ok{color:#2e7d32}
.src{font:12px/1.4 ui-monospace,'Noto Sans Mono CJK SC',monospace;background:#f6f8fa;border:1px solid #e1e4e8;padding:4px;overflow-x:auto}
.ln{white-space:pre-wrap;word-break:break-all}.ln.hit{background:#e3f2fd}.ln .no{color:#aaa;display:inline-block;min-width:48px}
mark{background:#ffeb3b;padding:0 1px}
tr.st-mismatch td.status{background:#fdecea;color:#c62828;font-weight:bold}tr.st-match td.status{color:#2e7d32}
p.how{color:#555;font-size:12px}.legend span{padding:1px 6px;margin-right:6px}
"""

_SCRIPT = """
const panel = document.getElementById('panel-body');
function show(td) {
  document.querySelectorAll('td.cell.active').forEach(c => c.classList.remove('active'));
  td.classList.add('active');
  panel.innerHTML = td.querySelector('.detail').innerHTML;
}
document.querySelectorAll('td.cell').forEach(td => {
  td.addEventListener('mouseenter', () => show(td));
  td.addEventListener('click', () => show(td));
  td.addEventListener('focus', () => show(td));
});
document.querySelectorAll('a.cellref').forEach(a => a.addEventListener('click', () => {
  const td = document.getElementById(a.getAttribute('href').slice(1)); if (td) show(td);
}));
// Open on the most telling cell: one the text contradicts, else an error, a warning, an identity, any.
const first = ['narrative-mismatch', 'sev-error', 'sev-warning', 'identity-fail', 'cell']
  .map(c => document.querySelector('td.cell.' + c)).find(td => td);
if (first) show(first);
"""


def render(report: ParsedReport, reader: str = "unknown") -> str:
    """The page of one parsed report (deterministic: same report, same bytes)."""
    findings = identity_findings(report)
    notes = _annotate(report, findings)
    m = report.metadata
    title = m.title or report.source_file
    other = [i for t, items in notes.table_issues.items() if t not in _COLUMNS for i in items]
    legend = (
        '<p class="legend"><span class="sev-error">error</span><span class="sev-warning">warning</span>'
        '<span class="identity-fail">in a violated identity</span>'
        "✓ the text states the cell and agrees · ≠ the text states another number · hover or click a cell "
        "to see where it is printed</p>"
    )
    return (
        f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)} · explain</title>'
        f"<style>{_CSS}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1>{html.escape(report.source_file)} · {html.escape(report.status)}</header>"
        f'<aside><h3>Source</h3><div id="panel-body">Hover or click a cell.</div></aside><main>'
        f"{legend}<section><h2>Report</h2>{_metadata_html(report, reader)}"
        f'{"<ul class=table-issues>" + "".join(map(_issue_html, other)) + "</ul>" if other else ""}</section>'
        f"{_identities_html(findings)}{_disclosure_html(report, notes)}{_requests_html(report, notes)}"
        f"{_review_html(report, notes)}{_narrative_html(report)}</main><script>{_SCRIPT}</script></body></html>"
    )


def _quarantined_page(item: Quarantined) -> str:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(item.source_file)} · quarantined</title>'
        f"</head><body><h1>{html.escape(item.source_file)}</h1><p>Quarantined, not parsed: "
        f"{html.escape(item.reason)}</p></body></html>"
    )


def explain_file(raw_path: Path, source_file: str | None = None) -> tuple[str, ParsedReport | Quarantined]:
    """The page of one raw file (a quarantined file gets a page saying why)."""
    raw = raw_path.read_bytes()
    name = source_file or raw_path.name
    parsed = parse_report(raw, name)
    if isinstance(parsed, Quarantined):
        return _quarantined_page(parsed), parsed
    return render(parsed, reader=f"{detect_format(raw, name)} (detected from the bytes and name)"), parsed


def page_name(source_file: str) -> str:
    return re.sub(r"[^\w.-]+", "_", source_file) + ".html"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="gi-pipeline explain",
        description="Write one self-contained HTML page showing how a report was read: tables with each cell's "
        "source, quality issues, identities and the numbers the text states.",
    )
    parser.add_argument("raw_file", type=Path, help="a raw report file (any supported format)")
    parser.add_argument("-o", "--output", type=Path, default=None, help="HTML file to write (default: RAW_FILE.html)")
    args = parser.parse_args(argv)
    if not args.raw_file.is_file():
        parser.error(f"no such file: {args.raw_file}")
    page, parsed = explain_file(args.raw_file)
    out = args.output or args.raw_file.with_name(args.raw_file.name + ".html")
    out.write_text(page, encoding="utf-8")
    state = parsed.reason if isinstance(parsed, Quarantined) else f"{parsed.status}, {len(parsed.issues)} issues"
    print(f"{out} ({state})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
