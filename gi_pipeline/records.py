"""Typed records produced by the pure parsing core (no Dagster, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .cells import Span
from .offsets import UNCHANGED, OffsetMap
from .provenance import Source, sources
from .vocabulary import NARRATIVE_MATCH, SEVERITY_ERROR, STATUS_FLAGGED, STATUS_OK, UNKNOWN_REGION


@dataclass(frozen=True)
class QualityIssue:
    check: str
    severity: str
    table: str
    row_key: str | None
    detail: str


@dataclass(frozen=True)
class SectionRecord:
    section_no: int
    section_key: str
    heading: str
    text: str
    char_start: int
    char_end: int


@dataclass(frozen=True)
class DisclosureFact:
    item: str
    metric: str
    value: float | None


@dataclass(frozen=True)
class RequestFact:
    row_key: str
    applicant: str
    value: int | None


@dataclass(frozen=True)
class ReviewFact:
    proceeding: str
    outcome: str
    value: int | None


@dataclass(frozen=True)
class RegionMatch:
    """Where a report's agency sits, resolved from dated GB/T 2260 codes."""

    admin_code: str | None = None  # current code of the most specific place (panels join on it)
    admin_code_as_reported: str | None = None  # the code valid in the report's year
    province_code: str | None = None
    province: str | None = None
    prefecture: str | None = None
    county: str | None = None
    # (check, detail) pairs, e.g. ("region_ambiguous", "鼓楼区: 320106, 320302, ...")
    issues: tuple[tuple[str, str], ...] = ()

    @property
    def partition(self) -> str:
        return self.province_code or UNKNOWN_REGION


@dataclass(frozen=True)
class ReportMetadata:
    title: str | None
    agency: str | None
    year: int | None
    published_date: str | None  # ISO yyyy-mm-dd
    template: str | None
    traditional: bool
    region: RegionMatch
    reader: str = "text"  # which reader turned the file into text: pdfium, pdfplumber, html, docx, doc, text, ocr


@dataclass(frozen=True)
class NarrativeStatement:
    """A number the text of section 一 or 四 states, and what the table says about it."""

    key: str  # vocabulary.NarrativePattern.key
    sentence: str  # the clause around the number, normalized, spaces collapsed
    stated: int | None  # None when the statement is too vague to compare
    char_start: int  # the stated number (with its unit) in the normalized text
    char_end: int
    cells: tuple[tuple[str, str, str], ...]  # (table, row, column) cells whose sum the text states
    table_value: int | None  # their sum; None when a cell is null or absent
    table_char_start: int | None  # the table row's line in the normalized text, found by its label
    table_char_end: int | None
    status: str  # vocabulary.NARRATIVE_MATCH / _MISMATCH / _NO_TABLE_VALUE / _VAGUE


_SPANS = {"disclosure": "disclosure_spans", "requests": "request_spans", "review": "review_spans"}


@dataclass(frozen=True)
class ParsedReport:
    doc_id: str  # sha256 of the raw bytes
    source_file: str
    metadata: ReportMetadata
    original_text: str
    text: str  # normalized
    sections: tuple[SectionRecord, ...]
    disclosure: tuple[DisclosureFact, ...]
    requests: tuple[RequestFact, ...]
    review: tuple[ReviewFact, ...]
    issues: tuple[QualityIssue, ...] = field(default=())
    narrative: tuple[NarrativeStatement, ...] = field(default=())
    # Provenance, per fact of disclosure / requests / review (same order): its cell's (char_start, char_end)
    # in ``text``, None when the fact has no cell (gi_pipeline.provenance).
    disclosure_spans: tuple[Span | None, ...] = field(default=())
    request_spans: tuple[Span | None, ...] = field(default=())
    review_spans: tuple[Span | None, ...] = field(default=())
    page_starts: tuple[int, ...] | None = None  # PDF, OCR: where each page starts in ``text`` (page 1 at 0)
    offsets: OffsetMap = UNCHANGED  # ``text`` back to ``original_text``: tokens as printed

    def sources(self, facts: str) -> list[Source]:
        """The ``Source`` of each fact of ``facts`` ('disclosure', 'requests' or 'review'), in order."""
        spans = getattr(self, _SPANS[facts])
        if len(spans) != len(getattr(self, facts)):  # a report built without provenance
            spans = (None,) * len(getattr(self, facts))
        return sources(self.text, spans, self.page_starts, self.original_text, self.offsets)

    @property
    def narrative_confirmed(self) -> int:
        """Statements of the text that the table confirms."""
        return sum(s.status == NARRATIVE_MATCH for s in self.narrative)

    @property
    def status(self) -> str:
        return STATUS_FLAGGED if any(i.severity == SEVERITY_ERROR for i in self.issues) else STATUS_OK

    @property
    def year(self) -> int | None:
        return self.metadata.year

    @property
    def region(self) -> str:
        return self.metadata.region.partition


@dataclass(frozen=True)
class Quarantined:
    source_file: str
    sha256: str
    reason: str
