"""Parsed reports to Arrow tables in the warehouse schema (deterministic row order)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pyarrow as pa

from . import vocabulary as v
from .records import ParsedReport, Quarantined
from .schema import SCHEMAS


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
        "status": r.status,
        "error_count": errors,
        "warning_count": len(r.issues) - errors,
    }


def report_tables(reports: Iterable[ParsedReport]) -> dict[str, pa.Table]:
    """The six partitioned tables for a set of reports, rows ordered by doc_id then printed order."""
    rows: dict[str, list[dict]] = {name: [] for name in v.PARTITIONED_TABLES}
    for r in sorted(reports, key=lambda r: (r.doc_id, r.source_file)):
        rows[v.TABLE_REPORTS].append(_report_row(r))
        rows[v.TABLE_SECTIONS] += [{"doc_id": r.doc_id, **s.__dict__} for s in r.sections]
        rows[v.TABLE_ACTIVE_DISCLOSURE] += [{"doc_id": r.doc_id, **f.__dict__} for f in r.disclosure]
        rows[v.TABLE_REQUESTS] += [{"doc_id": r.doc_id, **f.__dict__} for f in r.requests]
        rows[v.TABLE_REVIEW_LITIGATION] += [{"doc_id": r.doc_id, **f.__dict__} for f in r.review]
        rows[v.TABLE_QUALITY_ISSUES] += [{"doc_id": r.doc_id, **i.__dict__} for i in r.issues]
    return {name: _table(name, table_rows) for name, table_rows in rows.items()}


def quarantine_table(items: Iterable[Quarantined]) -> pa.Table:
    rows = sorted((q.__dict__ for q in items), key=lambda q: (q["source_file"], q["sha256"]))
    return _table(v.TABLE_QUARANTINE, rows)
