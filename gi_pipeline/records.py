"""Typed records produced by the pure parsing core (no Dagster, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .vocabulary import SEVERITY_ERROR, STATUS_FLAGGED, STATUS_OK, UNKNOWN_REGION


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
    reader: str = "text"  # which reader made the text (readers.Document.reader): "ocr" for scans


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
