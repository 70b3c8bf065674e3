"""``cross_year_issues`` region by region: bounded memory, and only the regions whose reports changed.

The cross-year suites pair an agency's consecutive reports (same agency name and place code, so the
same province: a pair never crosses a ``region``).  Each region's findings are kept in the stage
area with what they were computed from::

    root/_stage/cross_year/region=NNNNNN/part-0.parquet     that region's findings
    root/_stage/cross_year/manifest.json                    region -> fingerprint, rows checked

A region is recomputed when the manifests of its partitions (``gi_pipeline.manifest``, every year)
or the suites changed; the others keep their findings.  Regions are read a batch at a time from the
Parquet files (only the columns and rows the suites use), so memory does not grow with the
warehouse.  The published table is every region's findings, sorted as a whole-warehouse run sorts
them: the same bytes either way.  Pure library: no Dagster.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import fsspec
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from . import manifest, quality, suites, warehouse
from . import vocabulary as v
from .partition_writer import report_batches
from .schema import SCHEMAS

STAGE_NAME = "cross_year"
_MANIFEST = "manifest.json"
# Reports whose cross-year frames are validated together (one GX call per suite and batch).
BATCH_REPORTS = 5000

# What the cross-year frames read (``identities.cross_year_identities``): nothing else is loaded.
_REPORT_COLUMNS = ["doc_id", "source_file", "agency", "admin_code"]
_REQUEST_ROWS = ["carried_over", "carried_forward"]
_DOCUMENT_METRICS = ["issued", "repealed", "in_force"]


def _stage(root: warehouse.Root, *parts: str) -> warehouse.Location:
    return warehouse.join(root, warehouse.STAGE_DIR, STAGE_NAME, *parts)


def region_fingerprints(root: warehouse.Root) -> dict[str, str]:
    """Region -> hash of what its partitions (all years) were built from, as their manifests record."""
    by_region: dict[str, list[str]] = {}
    for year, region in warehouse.existing_partitions(root, v.TABLE_REPORTS):
        recorded = manifest.read_fingerprint(root, year, region) or "unrecorded"
        by_region.setdefault(region, []).append(f"{year}:{recorded}")
    version = manifest.suites_version()
    return {
        region: hashlib.sha256("\n".join([version, *sorted(parts)]).encode()).hexdigest()
        for region, parts in sorted(by_region.items())
    }


def _read_manifest(root: warehouse.Root) -> dict:
    path = _stage(root, _MANIFEST)
    try:
        return json.loads(warehouse.read_bytes(path))["regions"]
    except Exception:  # noqa: BLE001 - none yet, or torn: recompute everything
        return {}


def _write_manifest(root: warehouse.Root, regions: dict) -> None:
    data = json.dumps({"regions": regions}, sort_keys=True).encode()
    path = _stage(root, _MANIFEST)
    if isinstance(path, str):
        fs, remote = fsspec.core.url_to_fs(path)
        fs.pipe_file(remote, data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(".tmp-" + path.name)
    tmp.write_bytes(data)
    tmp.replace(path)


def _region_file(root: warehouse.Root, region: str) -> warehouse.Location:
    return _stage(root, f"region={region}", warehouse.PART_FILE)


def regions_to_update(root: warehouse.Root) -> tuple[list[str], list[str]]:
    """(regions whose findings must be computed again, regions that have none any more)."""
    current, recorded = region_fingerprints(root), _read_manifest(root)
    changed = [r for r, fp in current.items() if (recorded.get(r) or {}).get("fingerprint") != fp]
    gone = sorted(set(recorded) - set(current))
    return changed, gone


def _load(root: warehouse.Root, regions: Sequence[str]) -> dict[str, pl.DataFrame]:
    """The rows and columns of these regions' reports that the cross-year frames read."""
    where = pl.col("region").is_in(list(regions))
    return {
        v.TABLE_REPORTS: warehouse.scan(v.TABLE_REPORTS, root).filter(where)
        .select(*_REPORT_COLUMNS, "year", "region").collect(),
        v.TABLE_REQUESTS: warehouse.scan(v.TABLE_REQUESTS, root)
        .filter(where & pl.col("row_key").is_in(_REQUEST_ROWS))
        .select("doc_id", "row_key", "applicant", "value").collect(),
        v.TABLE_ACTIVE_DISCLOSURE: warehouse.scan(v.TABLE_ACTIVE_DISCLOSURE, root)
        .filter(where & pl.col("metric").is_in(_DOCUMENT_METRICS))
        .select("doc_id", "item", "metric", "value").collect(),
    }


def _batches(root: warehouse.Root, regions: Sequence[str]) -> Iterator[list[str]]:
    """Regions grouped until a group holds BATCH_REPORTS reports."""
    counts = dict(
        warehouse.scan(v.TABLE_REPORTS, root).filter(pl.col("region").is_in(list(regions)))
        .group_by("region").len().collect().iter_rows()
    ) if regions else {}
    yield from report_batches(regions, counts, BATCH_REPORTS)


def _sort_key(row: dict) -> tuple:
    # The whole-warehouse order (doc_id, check, row_key); the rest only breaks ties deterministically.
    return (row["doc_id"], row["check"], row["row_key"] or "", row["previous_doc_id"] or "", row["detail"] or "")


def findings_table(results: Sequence[quality.SuiteResult]) -> pa.Table:
    rows = sorted(quality.cross_year_table(results).to_pylist(), key=_sort_key)
    return pa.Table.from_pylist(rows, schema=SCHEMAS[v.TABLE_CROSS_YEAR_ISSUES])


@dataclass
class CrossYearUpdate:
    table: pa.Table  # the whole cross_year_issues table
    results: list[quality.SuiteResult]  # per suite, over every region (kept regions' findings rebuilt)
    recomputed: list[str]  # regions computed in this run
    regions: int  # regions with reports
    reports_compared: int  # reports of the recomputed regions


def _kept_findings(table: pa.Table) -> dict[str, list[quality.Finding]]:
    """A kept region's findings as the suite gave them (the source files and deviations are not kept)."""
    out: dict[str, list[quality.Finding]] = {}
    for row in table.to_pylist():
        out.setdefault(row["check"], []).append(
            quality.Finding(row["doc_id"], None, row["check"], row["severity"], v.TABLE_CROSS_YEAR_ISSUES,
                            row["row_key"], row["detail"], related_doc_id=row["previous_doc_id"])
        )
    return out


def update(root: warehouse.Root, runner: quality.SuiteRunner | None = None, force: bool = False) -> CrossYearUpdate:
    """Recompute the findings of the regions whose partitions changed (every region with ``force``),
    then publish the whole table (written only when its bytes change)."""
    runner = runner or quality.default_runner(suites.WAREHOUSE)
    current = region_fingerprints(root)
    recorded = _read_manifest(root)
    single_suite = len(runner.suites) == 1  # kept findings are attributed to the one suite
    changed = [r for r, fp in current.items()
               if force or not single_suite or (recorded.get(r) or {}).get("fingerprint") != fp]
    reports_compared = 0
    for batch in _batches(root, changed):
        tables = _load(root, batch)
        reports_compared += tables[v.TABLE_REPORTS].height
        results = runner.run(tables)
        doc_region = dict(tables[v.TABLE_REPORTS].select("doc_id", "region").iter_rows())
        for region in batch:
            docs = [d for d, r in doc_region.items() if r == region]
            shares = [r.of_reports(docs) for r in results]
            warehouse.write_parquet(_region_file(root, region), findings_table(shares))
            recorded[region] = {
                "fingerprint": current[region],
                "suites": {s.suite: {"success": s.success, "rows_checked": s.rows_checked} for s in shares},
            }
    for region in sorted(set(recorded) - set(current)):
        del recorded[region]
        path = _region_file(root, region)
        if isinstance(path, str):
            fs, remote = fsspec.core.url_to_fs(path)
            fs.rm(remote.rsplit("/", 1)[0], recursive=True)
        else:
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                path.parent.rmdir()
    _write_manifest(root, recorded)

    parts = [_read_region(root, region) for region in current]
    whole = pa.concat_tables(parts) if parts else SCHEMAS[v.TABLE_CROSS_YEAR_ISSUES].empty_table()
    table = pa.Table.from_pylist(sorted(whole.to_pylist(), key=_sort_key), schema=SCHEMAS[v.TABLE_CROSS_YEAR_ISSUES])
    findings = _kept_findings(table)
    results = []
    for suite in runner.suites:
        stats = [(recorded[r]["suites"].get(suite.name) or {}) for r in current]
        suite_findings = tuple(f for fs in findings.values() for f in fs) if single_suite else ()
        results.append(quality.SuiteResult(
            suite.name, suite.table, suite.severity,
            all(s.get("success", True) for s in stats) and not suite_findings,
            sum(s.get("rows_checked", 0) for s in stats), suite_findings,
        ))
    warehouse.write_table(root, v.TABLE_CROSS_YEAR_ISSUES, table)
    return CrossYearUpdate(table, results, changed, len(current), reports_compared)


def _read_region(root: warehouse.Root, region: str) -> pa.Table:
    path = _region_file(root, region)
    schema = SCHEMAS[v.TABLE_CROSS_YEAR_ISSUES]
    if isinstance(path, str):
        fs, remote = fsspec.core.url_to_fs(path)
        return pq.read_table(pa.BufferReader(fs.cat_file(remote)), schema=schema)
    return pq.read_table(path, schema=schema)

