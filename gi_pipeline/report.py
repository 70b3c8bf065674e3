"""One raw file to one ParsedReport (or a Quarantined record): the whole pure pipeline."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from . import metadata as md
from . import vocabulary as v
from .cells import GRID_SEP, HEADING, LOW_CONFIDENCE_MARK, Line, LineStarts, Span, split_lines
from .flat_tables import inline_sections, is_flattened, read_flat_tables
from .narrative import check_narrative, narrative_issues
from .normalize import normalize_text
from .offsets import Edits, OffsetMap
from .provenance import PAGE_MARK, split_pages, strip_markers
from .readers import PAGED_READERS, READER_TEXT, Unreadable, read
from .records import (
    DisclosureFact,
    ParsedReport,
    QualityIssue,
    Quarantined,
    RegionMatch,
    ReportMetadata,
    RequestFact,
    ReviewFact,
    SectionRecord,
)
from .regions import resolve_region
from .sections import split_sections
from .tables import (
    APPLICANT_HEADER,
    REVIEW_HEADER,
    anchor_requests,
    disclosure_template,
    extract_disclosure,
    extract_requests,
    extract_review,
    has_numbers,
    place_by_header,
    place_under_metric_headers,
    requests_template,
)
from .template import vote_template

_LOW_CONFIDENCE = re.compile(f"{LOW_CONFIDENCE_MARK}(.*?){LOW_CONFIDENCE_MARK}([0-9.]+)")
# Fewer standard sections than this and no title: not an annual report.
_MIN_SECTIONS = 3
# Larger files are quarantined unread: a report is at most a few MB even as a PDF with images, and the
# readers hold the whole file (and its text and tables) in memory.
MAX_REPORT_BYTES = 50 * 1024 * 1024


def parse_report(raw: bytes, source_file: str) -> ParsedReport | Quarantined:
    """Read (any format), normalize, section, extract tables and metadata. Total: bad input of any kind
    is quarantined with a reason, and no exception escapes, so one file never stops a run."""
    doc_id = hashlib.sha256(raw).hexdigest()
    try:
        if len(raw) > MAX_REPORT_BYTES:
            return Quarantined(
                source_file, doc_id, f"file too large: {len(raw)} bytes, limit {MAX_REPORT_BYTES} (not parsed)"
            )
        if not raw.strip():
            return Quarantined(source_file, doc_id, "empty file")
        try:
            original, reader = read(raw, source_file)
        except Unreadable as exc:
            return Quarantined(source_file, doc_id, exc.reason or "unreadable file")
        return parse_text(original, source_file, doc_id, reader)
    except Exception as exc:  # noqa: BLE001 - the run must go on; the reason says what broke
        return Quarantined(source_file, doc_id, f"parser error: {type(exc).__name__}: {exc}"[:500])


def _table_lines(
    sections: dict[str, SectionRecord], key: str, table: str, issues: list[QualityIssue]
) -> tuple[list[Line], bool, LineStarts | None]:
    """A table's section split into lines, whether it prints numbers and each line's offset in the
    normalized text, with a table-level issue when it has nothing to read."""
    section = sections.get(key)
    if section is None:
        issues.append(QualityIssue(v.Check.TABLE_MISSING, v.SEVERITY_ERROR, table, None, f"no section {key}"))
        return [], False, None
    lines = split_lines(section.text)
    starts = LineStarts(section.text, section.char_start)
    numbers = has_numbers(lines)
    if not any(line.cells for line in lines if line.kind != HEADING):
        issues.append(QualityIssue(v.Check.TABLE_MISSING, v.SEVERITY_ERROR, table, None, f"section {key} has no table"))
    elif not numbers:
        issues.append(
            QualityIssue(v.Check.TABLE_NO_NUMBERS, v.SEVERITY_ERROR, table, None, "table printed without numbers")
        )
    return lines, numbers, starts


def _region_issues(region: RegionMatch) -> list[QualityIssue]:
    return [QualityIssue(check, v.SEVERITY_WARNING, v.TABLE_REPORTS, None, detail) for check, detail in region.issues]


@dataclass(frozen=True)
class Tables:
    template: str | None
    disclosure: tuple[DisclosureFact, ...]
    requests: tuple[RequestFact, ...]
    review: tuple[ReviewFact, ...]
    issues: list[QualityIssue]
    spans: tuple[tuple[Span | None, ...], ...] = ((), (), ())  # provenance of disclosure, requests, review (records.ParsedReport)


def _ocr_issue(issue: QualityIssue) -> QualityIssue:
    """An unreadable cell that holds an OCR reading below the confidence threshold (cells.LOW_CONFIDENCE_MARK)
    is reported as such: what was read and how sure the engine was."""
    if issue.check != v.Check.UNREADABLE_CELL or LOW_CONFIDENCE_MARK not in issue.detail:
        return issue
    found = _LOW_CONFIDENCE.search(issue.detail)
    if found is None:
        return issue
    column = issue.detail[: found.start()].rstrip(": '")
    detail = f"{column}: OCR read {found.group(1)!r} with confidence {found.group(2)}, below the threshold: not used"
    return QualityIssue(v.Check.OCR_LOW_CONFIDENCE, issue.severity, issue.table, issue.row_key, detail)


def extract_tables(text: str, sections: dict[str, SectionRecord], year: int | None) -> Tables:
    """Tables 二, 三 and 四 from their sections, and the template they are read with."""
    if is_flattened(sections):  # cells run together with their separators lost: gi_pipeline.flat_tables
        flat = read_flat_tables(text, sections, year)
        return Tables(flat.template, flat.disclosure, flat.requests, flat.review, flat.issues, flat.spans)
    issues: list[QualityIssue] = []
    disclosure_lines, disclosure_numbers, disclosure_starts = _table_lines(
        sections, "active_disclosure", v.TABLE_ACTIVE_DISCLOSURE, issues
    )
    request_lines, request_numbers, request_starts = _table_lines(sections, "requests", v.TABLE_REQUESTS, issues)
    review_lines, _, review_starts = _table_lines(sections, "review_litigation", v.TABLE_REVIEW_LITIGATION, issues)
    # Grid tables are read by the columns their header names (text layouts pass unchanged; the lines keep
    # their places, so their offsets still hold). A text without GRID_SEP has no grid row to read so.
    if GRID_SEP in text:
        disclosure_lines = place_under_metric_headers(disclosure_lines)
        request_lines = place_by_header(request_lines, APPLICANT_HEADER)
        review_lines = place_by_header(review_lines, REVIEW_HEADER)
    request_cells = anchor_requests(request_lines, request_starts)
    from_disclosure = disclosure_template(disclosure_lines)
    template, conflict = vote_template(text, requests_template(request_cells), from_disclosure, year)
    if conflict:
        issues.append(QualityIssue(v.Check.TEMPLATE_CONFLICT, v.SEVERITY_WARNING, v.TABLE_REPORTS, None, conflict))
    disclosure = extract_disclosure(disclosure_lines, disclosure_numbers, from_disclosure or template, disclosure_starts)
    requests = extract_requests(request_cells, request_numbers, template)
    review = extract_review(review_lines, review_starts)
    issues += [*disclosure.issues, *requests.issues, *review.issues]
    issues = [_ocr_issue(issue) for issue in issues]
    spans = (disclosure.spans, requests.spans, review.spans)
    return Tables(template, disclosure.facts, requests.facts, review.facts, issues, spans)


def unsupported_tables(year: int) -> Tables:
    """A report from before the national templates (2008-2018): free-form prose whose numbers are not
    in the grids the table readers know, so no table facts and no table errors, one warning."""
    detail = f"a {year} report predates the national templates ({v.FIRST_TEMPLATE_YEAR}): tables not extracted"
    issue = QualityIssue(v.Check.TEMPLATE_UNSUPPORTED, v.SEVERITY_WARNING, v.TABLE_REPORTS, None, detail)
    return Tables(v.TEMPLATE_PRE_2019, (), (), (), [issue])


def parse_text(original: str, source_file: str, doc_id: str, reader: str = READER_TEXT) -> ParsedReport | Quarantined:
    normalized = normalize_text(original)
    text = normalized.text
    page_starts = None
    to_original = normalized.offsets  # provenance: each cell's token as printed
    if reader in PAGED_READERS:  # provenance: the reader marked where each page starts
        unpaged: list[Edits] = []
        text, page_starts = split_pages(text, original.count(PAGE_MARK), unpaged)
        unmarked: list[Edits] = []
        original = strip_markers(original, unmarked)
        to_original = OffsetMap((*(e.inverse() for e in unmarked), *to_original.steps, *unpaged))
    section_list = split_sections(text)
    if len(section_list) - any(s.section_key == v.PREAMBLE.key for s in section_list) < _MIN_SECTIONS:
        section_list = inline_sections(text, section_list)  # a report run together on one line
    sections = {s.section_key: s for s in section_list}
    title = md.find_title(text)
    standard = len(sections) - (v.PREAMBLE.key in sections)
    if "政府信息公开" not in text or (standard < _MIN_SECTIONS and title is None):
        return Quarantined(source_file, doc_id, f"not an annual report ({standard} standard sections, no title)")
    overview = sections.get("overview")
    year = md.find_year(title, text, overview.text if overview else None)
    if year is None:
        return Quarantined(source_file, doc_id, "no report year in title, statistics period or overview")
    issues = [
        QualityIssue(v.Check.SECTION_MISSING, v.SEVERITY_WARNING, v.TABLE_SECTIONS, s.key, f"no heading {s.title}")
        for s in v.SECTIONS
        if s.key not in sections
    ]
    agency = md.find_agency(title, text)
    if agency is None:
        issues.append(QualityIssue(v.Check.AGENCY_UNKNOWN, v.SEVERITY_WARNING, v.TABLE_REPORTS, None, "no agency named"))

    if year < v.FIRST_TEMPLATE_YEAR:
        tables = unsupported_tables(year)
    else:
        tables = extract_tables(text, sections, year)
    issues += tables.issues
    narrative = check_narrative(sections, tables.requests, tables.review, year)
    issues += narrative_issues(narrative)

    region = resolve_region(title, agency, text, year)
    issues += _region_issues(region)
    meta = ReportMetadata(
        title=title,
        agency=agency,
        year=year,
        published_date=md.find_published_date(text),
        template=tables.template,
        traditional=normalized.traditional,
        region=region,
        reader=reader,
    )
    return ParsedReport(
        doc_id=doc_id,
        source_file=source_file,
        metadata=meta,
        original_text=original,
        text=text,
        sections=tuple(section_list),
        disclosure=tables.disclosure,
        requests=tables.requests,
        review=tables.review,
        issues=tuple(issues),
        narrative=narrative,
        disclosure_spans=tables.spans[0],
        request_spans=tables.spans[1],
        review_spans=tables.spans[2],
        page_starts=page_starts,
        offsets=to_original,
    )
