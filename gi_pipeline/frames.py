"""Parsed reports to Arrow tables in the warehouse schema (deterministic row order)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

import polars as pl
import pyarrow as pa

from . import provenance
from . import vocabulary as v
from .records import (
    DisclosureFact,
    NarrativeStatement,
    ParsedReport,
    QualityIssue,
    Quarantined,
    ReportMetadata,
    RequestFact,
    ReviewFact,
    SectionRecord,
)
from .schema import PROVENANCE_COLUMNS, SCHEMAS
from .warehouse import STAGE_NORMALIZED_TEXT, STAGE_SCHEMAS


def _table(name: str, rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SCHEMAS[name])


def _report_row(r: ParsedReport) -> dict:
    m = r.metadata
    errors = sum(i.severity == v.SEVERITY_ERROR for i in r.issues)
    return {
        "doc_id": r.doc_id,
        "source_file": r.source_file,
        "admin_code": m.region.admin_code,
        "admin_code_as_reported": m.region.admin_code_as_reported,
        "province": m.region.province,
        "prefecture": m.region.prefecture,
        "county": m.region.county,
        "agency": m.agency,
        "title": m.title,
        "published_date": dt.date.fromisoformat(m.published_date) if m.published_date else None,
        "template": m.template,
        "traditional": m.traditional,
        "reader": m.reader,
        "status": r.status,
        "error_count": errors,
        "warning_count": len(r.issues) - errors,
        "narrative_confirmed": r.narrative_confirmed,
    }


# One report's rows of every table, column by column: {table: {column: [values]}}.  Plain lists of
# str/int/float/None are what the parse cache stores (they unpickle ~10x faster than the records) and
# what the partition step concatenates.
ReportColumns = dict[str, dict[str, list]]

# Tables a partition writes from its reports: the six partitioned tables and the normalized text.
REPORT_TABLE_SCHEMAS: dict[str, pa.Schema] = {
    **{name: SCHEMAS[name] for name in v.PARTITIONED_TABLES},
    STAGE_NORMALIZED_TEXT: STAGE_SCHEMAS[STAGE_NORMALIZED_TEXT],
}


def _fields(doc_id: str, records: tuple, fields: Sequence[str]) -> dict[str, list]:
    """Columns of a report's records (dataclasses), doc_id first."""
    if len(fields) > 1 and records:  # each record's fields in one C call, the rows transposed by zip
        columns = list(map(list, zip(*map(attrgetter(*fields), records))))
    else:
        columns = [list(map(attrgetter(f), records)) for f in fields]
    return {"doc_id": [doc_id] * len(records), **dict(zip(fields, columns))}


# Table -> the ParsedReport records it holds; the schema's columns after doc_id are their fields.
_RECORDS = {
    v.TABLE_SECTIONS: "sections",
    v.TABLE_ACTIVE_DISCLOSURE: "disclosure",
    v.TABLE_REQUESTS: "requests",
    v.TABLE_REVIEW_LITIGATION: "review",
    v.TABLE_QUALITY_ISSUES: "issues",
}


# Fact table -> the ParsedReport field holding its facts' spans (gi_pipeline.provenance).
_SPANS = {
    v.TABLE_ACTIVE_DISCLOSURE: "disclosure_spans",
    v.TABLE_REQUESTS: "request_spans",
    v.TABLE_REVIEW_LITIGATION: "review_spans",
}


# Table -> the columns its records' fields fill (after doc_id; a fact table's provenance columns are not fields).
_RECORD_COLUMNS = {
    name: tuple(c for c in SCHEMAS[name].names[1:] if name not in _SPANS or c not in PROVENANCE_COLUMNS)
    for name in _RECORDS
}


def _table_columns(r: ParsedReport, name: str, records: str) -> dict[str, list]:
    facts = getattr(r, records)
    out = _fields(r.doc_id, facts, _RECORD_COLUMNS[name])
    if name not in _SPANS:
        return out
    spans = getattr(r, _SPANS[name])
    if len(spans) != len(facts):  # a report built without provenance
        spans = (None,) * len(facts)
    return out | provenance.columns(r.text, spans, r.page_starts, r.original_text, r.offsets)


def report_columns(r: ParsedReport) -> ReportColumns:
    """The report's rows of every table it feeds, in printed order."""
    return {
        v.TABLE_REPORTS: {column: [value] for column, value in _report_row(r).items()},
        **{name: _table_columns(r, name, records) for name, records in _RECORDS.items()},
        STAGE_NORMALIZED_TEXT: {"doc_id": [r.doc_id], "source_file": [r.source_file], "text": [r.text]},
    }


def sort_key(columns: ReportColumns) -> tuple[str, str]:
    """Reports are written in (doc_id, source_file) order."""
    return columns[STAGE_NORMALIZED_TEXT]["doc_id"][0], columns[STAGE_NORMALIZED_TEXT]["source_file"][0]


def tables_from_columns(parts: Iterable[ReportColumns]) -> dict[str, pa.Table]:
    """Every table of a set of reports, rows ordered by (doc_id, source_file) then printed order."""
    merged: dict[str, dict[str, list]] = {
        name: {column: [] for column in schema.names} for name, schema in REPORT_TABLE_SCHEMAS.items()
    }
    for part in sorted(parts, key=sort_key):
        for name, columns in part.items():
            for column, values in columns.items():
                merged[name][column] += values
    return {name: pa.table(columns, schema=REPORT_TABLE_SCHEMAS[name]) for name, columns in merged.items()}


@dataclass(frozen=True)
class ReportDetails:
    """What a ParsedReport holds beyond its table rows (``ReportColumns``): kept in the parse cache beside
    them (~1-2 KB a report) so a report can be rebuilt from the cache without parsing it again
    (``parsed_report``: the explain pages of a partition's flagged reports)."""

    metadata: ReportMetadata
    narrative: tuple[NarrativeStatement, ...]
    page_starts: tuple[int, ...] | None


def report_details(r: ParsedReport) -> ReportDetails:
    return ReportDetails(r.metadata, r.narrative, r.page_starts)


_RECORD_TYPES = {
    v.TABLE_SECTIONS: SectionRecord,
    v.TABLE_ACTIVE_DISCLOSURE: DisclosureFact,
    v.TABLE_REQUESTS: RequestFact,
    v.TABLE_REVIEW_LITIGATION: ReviewFact,
    v.TABLE_QUALITY_ISSUES: QualityIssue,
}


def _records(name: str, columns: dict[str, list]) -> tuple:
    kind = _RECORD_TYPES[name]
    fields = [c for c in SCHEMAS[name].names[1:] if name not in _SPANS or c not in PROVENANCE_COLUMNS]
    return tuple(kind(**dict(zip(fields, row, strict=True))) for row in zip(*(columns[f] for f in fields), strict=True))


def _spans(columns: dict[str, list]) -> tuple:
    return tuple(None if s is None else (s, e) for s, e in zip(columns["char_start"], columns["char_end"], strict=True))


def parsed_report(
    columns: ReportColumns, details: ReportDetails, issues: Iterable[QualityIssue] | None = None
) -> ParsedReport:
    """The ParsedReport whose rows are ``columns`` (``report_columns`` inverted, with ``details``):
    ``report_columns`` of it gives ``columns`` back. ``original_text`` is not in the rows: it is the
    normalized text with the cells as printed (``provenance.printed_text``). ``issues``: the report's
    issues as its partition holds them after validation (with what the GX suites found), instead of the
    parser's own."""
    text = columns[STAGE_NORMALIZED_TEXT]
    cells = [
        cell
        for name in _SPANS
        for cell in zip(columns[name]["char_start"], columns[name]["char_end"], columns[name]["raw"], strict=True)
    ]
    printed, to_printed = provenance.printed_text(text["text"][0], cells)
    return ParsedReport(
        doc_id=text["doc_id"][0],
        source_file=text["source_file"][0],
        metadata=details.metadata,
        original_text=printed,
        text=text["text"][0],
        sections=_records(v.TABLE_SECTIONS, columns[v.TABLE_SECTIONS]),
        disclosure=_records(v.TABLE_ACTIVE_DISCLOSURE, columns[v.TABLE_ACTIVE_DISCLOSURE]),
        requests=_records(v.TABLE_REQUESTS, columns[v.TABLE_REQUESTS]),
        review=_records(v.TABLE_REVIEW_LITIGATION, columns[v.TABLE_REVIEW_LITIGATION]),
        issues=tuple(issues) if issues is not None else _records(v.TABLE_QUALITY_ISSUES, columns[v.TABLE_QUALITY_ISSUES]),
        narrative=details.narrative,
        disclosure_spans=_spans(columns[v.TABLE_ACTIVE_DISCLOSURE]),
        request_spans=_spans(columns[v.TABLE_REQUESTS]),
        review_spans=_spans(columns[v.TABLE_REVIEW_LITIGATION]),
        page_starts=details.page_starts,
        offsets=to_printed,
    )


def report_tables(reports: Iterable[ParsedReport]) -> dict[str, pa.Table]:
    """The six partitioned tables for a set of reports, rows ordered by doc_id then printed order."""
    tables = tables_from_columns(report_columns(r) for r in reports)
    return {name: tables[name] for name in v.PARTITIONED_TABLES}


def quarantine_table(items: Iterable[Quarantined]) -> pa.Table:
    rows = sorted((q.__dict__ for q in items), key=lambda q: (q["source_file"], q["sha256"]))
    return _table(v.TABLE_QUARANTINE, rows)


def polars_frame(table: pa.Table) -> pl.DataFrame:
    """An Arrow table as a polars DataFrame (``pl.from_arrow``, whose type also allows a Series)."""
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame
