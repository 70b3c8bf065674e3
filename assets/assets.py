"""Assets: raw files -> inventory (+ quarantine) -> normalized text -> sections -> fact tables.

Graph (groups in brackets)::

    raw_inventory [ingest] ──> quarantine [ingest]
          │
          └──> normalized_text [parse] ──> sections [parse] ──> reports, active_disclosure, requests,
                                                                review_litigation, quality_issues [facts]

Two ops produce it:

* ``ingest_raw_files`` (unpartitioned): lists the raw directory, hashes and parses every file once
  (the parse is the only way to learn a report's year and region) on one process per CPU, keeps
  each parse in the parse cache (``gi_pipeline.parse_cache``), writes the catalog
  ``warehouse/_catalog/inventory.parquet`` and the quarantine table, and registers the regions it saw
  as dynamic partitions.
* ``parse_reports`` (partitioned by year x region): takes its partitions' reports from the parse
  cache (parsing any it misses: parsing is pure and deterministic), validates them with the GX
  suites in batches and writes every downstream table of each partition
  (``gi_pipeline.partition_writer``).

Why ``parse_reports`` is one ``@multi_asset`` and not a chain of three partitioned assets:
``gi_pipeline.report.parse_report`` turns raw bytes into text, sections and facts in one pure call,
and parsing is cheap.  Separate steps would either re-parse three times or hand big parsed objects
through the IO manager (pickles of whole report texts, which also cannot be stored when one
run carries several partitions).  One step per partition keeps each table its own asset -- its own
column schema in the catalog, its own row counts and, later, its own checks -- and declares the
internal lineage (normalized_text -> sections -> facts) so the graph still shows the chain.
Everything is written as Parquet by ``gi_pipeline.warehouse``; the default IO manager stores
nothing (all assets return ``MaterializeResult``).  Normalized text is an intermediate kept in
``warehouse/_stage/normalized_text`` (not part of the Parquet contract).
"""

import hashlib
import logging
import os
import re
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pyarrow as pa

from gi_pipeline import frames, parallel, parse_cache, quality, suites, warehouse
from gi_pipeline import vocabulary as v
from gi_pipeline.partition_writer import (
    PREVIEW_ROWS,
    RunSummary,
    partition_report_counts,
    write_partitions,
)
from gi_pipeline.records import Quarantined
from gi_pipeline.schema import SCHEMAS

from .partitions import (
    YEARS,
    region_partitions,
    report_partition_key,
    report_partitions,
    split_partition_key,
)
from .resources import PipelineStorage

GROUP_INGEST = "ingest"
GROUP_PARSE = "parse"
GROUP_FACTS = "facts"
GROUP_QUALITY = "quality"

RAW_INVENTORY = dg.AssetKey("raw_inventory")
QUARANTINE = dg.AssetKey(v.TABLE_QUARANTINE)
NORMALIZED_TEXT = dg.AssetKey(warehouse.STAGE_NORMALIZED_TEXT)
TABLE_KEYS: dict[str, dg.AssetKey] = {name: dg.AssetKey(name) for name in v.PARTITIONED_TABLES}

# A year's backfill over ~31 regions becomes 4 runs of at most 10 partitions (each run parses its
# partitions one after the other in one process; the runs themselves can go in parallel).
BACKFILL_POLICY = dg.BackfillPolicy.multi_run(max_partitions_per_run=10)

_MAX_REASON_CHARS = 500


# --------------------------------------------------------------------------------------------
# Catalog metadata: column schemas from gi_pipeline.schema
# --------------------------------------------------------------------------------------------


def table_schema(schema: pa.Schema, partitioned: bool) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=name, type=type_, description=doc or None)
            for name, type_, doc in warehouse.column_docs(schema, partitioned=partitioned)
        ]
    )


def _definition_metadata(schema: pa.Schema, partitioned: bool, relative_path: str) -> dict:
    return {
        "dagster/column_schema": table_schema(schema, partitioned),
        "storage": relative_path,
    }


_TABLE_DESCRIPTIONS: dict[str, str] = {
    v.TABLE_REPORTS: "One row per parsed annual report: agency, place, template, status and issue counts.",
    v.TABLE_SECTIONS: "The report's text cut into the six template sections (plus any preamble).",
    v.TABLE_ACTIVE_DISCLOSURE: "Table 二 (active disclosure), long form: one row per (doc_id, item, metric).",
    v.TABLE_REQUESTS: "Table 三 (requests received and handled), long form: (doc_id, row_key, applicant).",
    v.TABLE_REVIEW_LITIGATION: "Table 四 (review and litigation), long form: (doc_id, proceeding, outcome).",
    v.TABLE_QUALITY_ISSUES: "Every problem the parser found and how the value was treated (one row per issue).",
}


def _partitioned_spec(name: str, group: str, deps: Sequence[dg.AssetKey], description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=TABLE_KEYS[name],
        deps=deps,
        group_name=group,
        description=f"{description}\n\nParquet: `warehouse/{name}/year=YYYY/region=NNNNNN/part-0.parquet`.",
        kinds={"parquet"},
        metadata=_definition_metadata(SCHEMAS[name], True, f"{name}/year=YYYY/region=NNNNNN/part-0.parquet"),
    )


RAW_INVENTORY_SPEC = dg.AssetSpec(
    key=RAW_INVENTORY,
    group_name=GROUP_INGEST,
    description=(
        "Catalog of every file under the raw directory: sha256, and either the (doc_id, year, region) "
        "partition it belongs to, the file it duplicates, or why it was quarantined. "
        "Registers the regions seen as `region` partitions.\n\n"
        "Parquet: `warehouse/_catalog/inventory.parquet` (internal)."
    ),
    kinds={"parquet"},
    metadata=_definition_metadata(warehouse.CATALOG_SCHEMA, False, "_catalog/inventory.parquet"),
)
QUARANTINE_SPEC = dg.AssetSpec(
    key=QUARANTINE,
    deps=[RAW_INVENTORY],
    group_name=GROUP_INGEST,
    description=(
        "Raw files that could not be processed and why (not a report, unreadable, no usable year, "
        "parser error). Rewritten whole from each inventory.\n\n"
        "Parquet: `warehouse/quarantine/part-0.parquet`."
    ),
    kinds={"parquet"},
    metadata=_definition_metadata(SCHEMAS[v.TABLE_QUARANTINE], False, "quarantine/part-0.parquet"),
)
NORMALIZED_TEXT_SPEC = dg.AssetSpec(
    key=NORMALIZED_TEXT,
    deps=[RAW_INVENTORY],
    group_name=GROUP_PARSE,
    description=(
        "Each report decoded and normalized (simplified characters, half-width punctuation): the "
        "text sections and tables are read from. Intermediate, not part of the Parquet contract.\n\n"
        "Parquet: `warehouse/_stage/normalized_text/year=YYYY/region=NNNNNN/part-0.parquet`."
    ),
    kinds={"parquet"},
    metadata=_definition_metadata(
        warehouse.STAGE_SCHEMAS[warehouse.STAGE_NORMALIZED_TEXT],
        True,
        "_stage/normalized_text/year=YYYY/region=NNNNNN/part-0.parquet",
    ),
)
PARSE_SPECS: list[dg.AssetSpec] = [
    NORMALIZED_TEXT_SPEC,
    _partitioned_spec(v.TABLE_SECTIONS, GROUP_PARSE, [NORMALIZED_TEXT], _TABLE_DESCRIPTIONS[v.TABLE_SECTIONS]),
    *(
        _partitioned_spec(
            name,
            GROUP_QUALITY if name == v.TABLE_QUALITY_ISSUES else GROUP_FACTS,
            [TABLE_KEYS[v.TABLE_SECTIONS]],
            _TABLE_DESCRIPTIONS[name],
        )
        for name in v.PARTITIONED_TABLES
        if name != v.TABLE_SECTIONS
    ),
]

# One asset check per GX suite (expectations/*.json), on the table the suite is about. As in
# Dagster's own data platform they are declared on the asset (check_specs) and their results are
# returned inside its MaterializeResults, which works for multi-partition runs.
SUITES = quality.load_suites(scope=suites.PARTITION)
CROSS_YEAR_SUITES = quality.load_suites(scope=suites.WAREHOUSE)
CROSS_YEAR = dg.AssetKey(v.TABLE_CROSS_YEAR_ISSUES)
_SUITE_ASSETS = {**TABLE_KEYS, v.TABLE_CROSS_YEAR_ISSUES: CROSS_YEAR}
_CHECK_SEVERITY = {suites.ERROR: dg.AssetCheckSeverity.ERROR, suites.WARN: dg.AssetCheckSeverity.WARN}


def check_specs(suite_list: Sequence[quality.Suite]) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            name=s.name,
            asset=_SUITE_ASSETS[s.table],
            description=f"GX suite expectations/{s.name}.json ({s.severity}): "
            + "; ".join(e["meta"]["notes"] for e in s.body["expectations"]),
        )
        for s in suite_list
    ]


FACT_CHECK_SPECS = check_specs(SUITES)


def check_results(
    suite_list: Sequence[quality.Suite],
    results: Sequence[quality.SuiteResult],
    partitions: Sequence[str] = (),
    failed_partitions: Mapping[str, Sequence[str]] | None = None,
) -> list[dg.AssetCheckResult]:
    """One result per suite for the run, its partitions' results merged (a suite that saw no rows
    passes with rows_checked 0); ``failed_partitions``: suite -> the partitions of the run failing it."""
    by_suite: dict[str, list[quality.SuiteResult]] = {s.name: [] for s in suite_list}
    for result in results:
        by_suite[result.suite].append(result)
    out = []
    for suite in suite_list:
        parts = by_suite[suite.name]
        merged = quality.SuiteResult(
            suite.name,
            suite.table,
            suite.severity,
            all(p.success for p in parts),
            sum(p.rows_checked for p in parts),
            tuple(f for p in parts for f in p.findings),
        )
        out.append(
            dg.AssetCheckResult(
                asset_key=_SUITE_ASSETS[suite.table],
                check_name=suite.name,
                passed=merged.success,
                severity=_CHECK_SEVERITY[suite.severity],
                metadata={
                    "partitions": ", ".join(partitions) or "-",
                    **({"failed_partitions": ", ".join(failed_partitions.get(suite.name, ())) or "-"}
                       if failed_partitions is not None else {}),
                    **quality.check_metadata(merged),
                },
            )
        )
    return out


def partition_check_evaluations(
    partition: str, results: Sequence[quality.SuiteResult]
) -> Iterator[dg.AssetCheckEvaluation]:
    """One partition's check evaluations in a run over several partitions."""
    for result in results:
        yield dg.AssetCheckEvaluation(
            asset_key=_SUITE_ASSETS[result.table],
            check_name=result.suite,
            passed=result.success,
            severity=_CHECK_SEVERITY[result.severity],
            metadata=quality.check_metadata(result),
            partition=partition,
        )


# --------------------------------------------------------------------------------------------
# Inventory (pure functions, no Dagster context needed)
# --------------------------------------------------------------------------------------------


def list_raw_files(raw_dir: Path) -> list[str]:
    """Regular files under ``raw_dir``, recursively, as sorted POSIX paths relative to it.

    Hidden files and directories (name starting with '.') are skipped.
    """
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(raw_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            if path.is_file():
                found.append(path.relative_to(raw_dir).as_posix())
    return sorted(found)


@dataclass
class Inventory:
    catalog: pa.Table  # warehouse.CATALOG_SCHEMA
    quarantined: list[Quarantined]
    errors: list[str] = field(default_factory=list)  # exceptions turned into quarantine rows

    @property
    def partitions(self) -> dict[tuple[int, str], int]:
        """Reports per non-empty (year, region), sorted."""
        return partition_report_counts(self.catalog)

    @property
    def regions(self) -> list[str]:
        return sorted({region for _, region in self.partitions})

    def count(self, role: str) -> int:
        return sum(r == role for r in self.catalog.column("role").to_pylist())


def _reason(prefix: str, detail: str) -> str:
    text = f"{prefix}: {detail}".replace("\n", " ").strip()
    return text if len(text) <= _MAX_REASON_CHARS else text[: _MAX_REASON_CHARS - 1] + "…"


def _classify(result: parse_cache.ParsedSummary | Quarantined) -> dict:
    """Catalog fields of one parse result: partition, or quarantine reason."""
    if isinstance(result, Quarantined):
        return {"role": warehouse.ROLE_QUARANTINED, "reason": result.reason or "quarantined"}
    if not isinstance(result, parse_cache.ParsedSummary):
        raise TypeError(f"parse_report returned {type(result).__name__}, not ParsedReport/Quarantined")
    year, region = result.year, result.region
    if year is None:
        return {"role": warehouse.ROLE_QUARANTINED, "reason": _reason(v.Check.YEAR_UNKNOWN, "no report year found")}
    if year not in YEARS:
        return {
            "role": warehouse.ROLE_QUARANTINED,
            "reason": _reason("year_out_of_range", f"{year} is not in {YEARS[0]}..{YEARS[-1]}"),
        }
    if not isinstance(region, str) or not re.fullmatch(r"\d{6}", region):
        raise ValueError(f"parse_report gave region {region!r}, not a 6-digit code")
    return {"role": warehouse.ROLE_REPORT, "doc_id": result.doc_id, "year": year, "region": region}


_CLASSIFICATION = ("role", "doc_id", "year", "region", "reason")
# Progress of a long inventory: a line every this many files parsed.
PROGRESS_EVERY = 1000


def known_classifications(catalog: pa.Table) -> dict[str, dict]:
    """sha256 -> what parsing that content gave (role, doc_id, year, region, reason), from a catalog."""
    return {
        row["sha256"]: {k: row[k] for k in _CLASSIFICATION}
        for row in catalog.to_pylist()
        if row["sha256"] and row["role"] != warehouse.ROLE_DUPLICATE
    }


def build_inventory(
    raw_dir: Path,
    on_error: Callable[[str, str], None] | None = None,
    known: dict[str, dict] | None = None,
    cache: warehouse.Location | None = None,
    workers: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
) -> Inventory:
    """Hash and parse every raw file once; exact duplicates (same sha256) are parsed once.

    Nothing a single file does stops the inventory: an exception while reading or parsing it
    becomes a quarantine row carrying the error message (``on_error(source_file, traceback)``
    is told too). ``known`` (sha256 -> classification, see ``known_classifications``) lets the
    sensor skip parsing content it has already catalogued.  Full parse results go to the parse
    cache ``cache`` (``parse_cache.cache_dir``), where the partition runs pick them up instead of
    parsing again; ``workers`` processes parse (``gi_pipeline.parallel``); ``on_progress(parsed,
    files)`` is called every ``PROGRESS_EVERY`` files parsed.
    """
    known = known or {}
    files = list_raw_files(raw_dir)
    rows: list[dict] = []
    awaiting: dict[str, dict] = {}  # source_file -> its row, until its parse comes back
    first_by_sha: dict[str, dict] = {}
    duplicates: list[tuple[dict, dict]] = []  # (row, row of the first file with the same bytes)

    def jobs() -> Iterator[parallel.ParseJob]:
        for source_file in files:
            row: dict = {"source_file": source_file, "sha256": None, "size_bytes": None}
            rows.append(row)
            try:
                raw = (raw_dir / source_file).read_bytes()
            except OSError as exc:
                row.update(role=warehouse.ROLE_QUARANTINED, reason=_reason("read_error", f"{type(exc).__name__}: {exc}"))
                row["sha256"] = ""
                continue
            sha = hashlib.sha256(raw).hexdigest()
            row.update(sha256=sha, size_bytes=len(raw))
            first = first_by_sha.get(sha)
            if first is not None:
                duplicates.append((row, first))
                continue
            first_by_sha[sha] = row
            if sha in known:
                row.update(known[sha])
                continue
            awaiting[source_file] = row
            yield parallel.ParseJob(source_file, sha, raw)

    errors: list[str] = []
    for parsed, outcome in enumerate(parallel.parse_all(jobs(), cache, workers), start=1):
        row = awaiting.pop(outcome.source_file)
        error, tb = outcome.error, outcome.traceback  # set when parsing raised (in a worker)
        if outcome.result is not None:
            try:
                row.update(_classify(outcome.result))
            except Exception as exc:  # one bad file must not stop the run
                error, tb = f"{type(exc).__name__}: {exc}", traceback.format_exc()
        if error is not None:
            row.update(role=warehouse.ROLE_QUARANTINED, reason=_reason("parse_error", error))
            errors.append(outcome.source_file)
            if on_error is not None:
                on_error(outcome.source_file, tb or error)
        if on_progress is not None and parsed % PROGRESS_EVERY == 0:
            on_progress(parsed, len(files))
    for row, first in duplicates:
        row.update(
            role=warehouse.ROLE_DUPLICATE,
            doc_id=first.get("doc_id"),
            year=first.get("year"),
            region=first.get("region"),
            duplicate_of=first["source_file"],
            reason=first.get("reason"),
        )
    # Every path that yields nothing is listed, duplicates of a bad file included.
    quarantined = [
        Quarantined(row["source_file"], row["sha256"], row["reason"])
        for row in rows
        if row["role"] == warehouse.ROLE_QUARANTINED or (row["role"] == warehouse.ROLE_DUPLICATE and row.get("reason"))
    ]
    catalog = pa.Table.from_pylist(rows, schema=warehouse.CATALOG_SCHEMA)
    return Inventory(catalog=catalog, quarantined=quarantined, errors=errors)


# Progress lines of long runs.  Dagster's run log gets them (context.log); so does this logger,
# which ``gi-pipeline run`` prints (a record of a partition carries ``partition=(year, region)``).
PROGRESS_LOG = logging.getLogger("gi_pipeline.progress")


def progress(context: dg.AssetExecutionContext | dg.OpExecutionContext, message: str,
             partition: tuple[int, str] | None = None) -> None:
    context.log.info(message)
    PROGRESS_LOG.info(message, extra={"partition": partition})


# --------------------------------------------------------------------------------------------
# Metadata helpers
# --------------------------------------------------------------------------------------------


def _cell(value: object, width: int = 40) -> str:
    if value is None:
        return ""
    text = str(value).replace("\n", " ").replace("|", "\\|")
    return text if len(text) <= width else text[: width - 1] + "…"


def markdown_preview(
    table: pa.Table, limit: int = PREVIEW_ROWS, columns: Sequence[str] | None = None, total: int | None = None
) -> str:
    """The first ``limit`` rows as a small markdown table (``total``: the rows ``table`` is the head of)."""
    columns = list(columns or table.column_names)
    head = table.select(columns).slice(0, limit).to_pylist()
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row[c]) for c in columns) + " |" for row in head]
    total = table.num_rows if total is None else total
    if total > limit:
        lines.append(f"\n… {total - limit} more rows")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Assets
# --------------------------------------------------------------------------------------------


@dg.multi_asset(
    name="ingest_raw_files",
    specs=[RAW_INVENTORY_SPEC, QUARANTINE_SPEC],
    can_subset=False,
    description="List, hash and parse every raw file; write the catalog and the quarantine table.",
)
def ingest_raw_files(context: dg.AssetExecutionContext, storage: PipelineStorage) -> Iterator[dg.MaterializeResult]:
    raw_dir, warehouse_dir = storage.raw_path, storage.warehouse_path
    if not raw_dir.is_dir():
        raise dg.Failure(f"raw directory does not exist: {raw_dir}")

    def on_error(source_file: str, tb: str) -> None:
        context.log.warning(f"{source_file}: parse_report raised; quarantined.\n{tb}")

    def on_progress(parsed: int, files: int) -> None:
        progress(context, f"inventory: {parsed} of {files} files parsed ({workers} processes)")

    workers = storage.workers
    cache = parse_cache.cache_dir(warehouse_dir)
    inventory = build_inventory(raw_dir, on_error=on_error, cache=cache, workers=workers, on_progress=on_progress)
    warehouse.write_catalog(warehouse_dir, inventory.catalog)
    # Keep the parse results of the files catalogued now; drop the rest (and other parser versions).
    parse_cache.prune(
        warehouse_dir,
        {parse_cache.entry_key(r["sha256"], r["source_file"]) for r in inventory.catalog.to_pylist()
         if r["role"] == warehouse.ROLE_REPORT},
    )
    quarantine = frames.quarantine_table(inventory.quarantined)
    warehouse.write_table(warehouse_dir, v.TABLE_QUARANTINE, quarantine)

    # Register the regions seen, and those that still have files in the warehouse, so partitions
    # whose reports disappeared can be rewritten (emptied) too.
    stale_regions = {region for _, region in warehouse.written_partitions(warehouse_dir)}
    wanted = sorted(set(inventory.regions) | stale_regions)
    known = set(context.instance.get_dynamic_partitions(region_partitions.name))
    new_regions = [r for r in wanted if r not in known]
    if new_regions:
        context.instance.add_dynamic_partitions(region_partitions.name, new_regions)
        context.log.info(f"registered region partitions: {', '.join(new_regions)}")

    partitions = inventory.partitions
    by_partition = "\n".join(
        ["| year | region | reports |", "|---|---|---|"] + [f"| {y} | {r} | {n} |" for (y, r), n in partitions.items()]
    )
    yield dg.MaterializeResult(
        asset_key=RAW_INVENTORY,
        metadata={
            "dagster/row_count": inventory.catalog.num_rows,
            "raw_dir": dg.MetadataValue.path(str(raw_dir)),
            "catalog": dg.MetadataValue.path(str(warehouse.catalog_path(warehouse_dir))),
            "files": inventory.catalog.num_rows,
            "reports": inventory.count(warehouse.ROLE_REPORT),
            "duplicates": inventory.count(warehouse.ROLE_DUPLICATE),
            "quarantined": len(inventory.quarantined),
            "parse_exceptions": len(inventory.errors),
            "non_empty_partitions": len(partitions),
            "regions": ", ".join(inventory.regions) or "(none)",
            "new_region_partitions": ", ".join(new_regions) or "(none)",
            "partitions": dg.MetadataValue.md(by_partition),
        },
    )
    reasons = Counter(reason.split(":", 1)[0] for reason in quarantine["reason"].to_pylist())
    yield dg.MaterializeResult(
        asset_key=QUARANTINE,
        metadata={
            "dagster/row_count": quarantine.num_rows,
            "path": dg.MetadataValue.path(str(warehouse.table_path(warehouse_dir, v.TABLE_QUARANTINE))),
            "by_reason": dg.MetadataValue.json(dict(sorted(reasons.items()))),
            "preview": dg.MetadataValue.md(markdown_preview(quarantine)),
        },
    )


@dg.multi_asset(
    name="parse_reports",
    specs=PARSE_SPECS,
    check_specs=FACT_CHECK_SPECS,
    partitions_def=report_partitions,
    backfill_policy=BACKFILL_POLICY,
    can_subset=False,
    description=(
        "Parse the reports of each (year, region) partition and write normalized text, sections "
        "and fact tables. Empty partitions remove their stale files and succeed."
    ),
)
def parse_reports(context: dg.AssetExecutionContext, storage: PipelineStorage) -> Iterator[dg.MaterializeResult]:
    raw_dir, warehouse_dir = storage.raw_path, storage.warehouse_path
    try:
        catalog = warehouse.read_catalog(warehouse_dir)
    except FileNotFoundError as exc:
        raise dg.Failure(str(exc)) from exc

    # A run may carry several partitions (a backfill under BACKFILL_POLICY, all of them from the
    # CLI): they are validated a batch at a time, one GX call per suite and batch.
    keys = sorted(split_partition_key(k) for k in context.partition_keys)
    run = RunSummary()
    for batch in write_partitions(raw_dir, warehouse_dir, catalog, keys):
        run.merge(batch)
        for key, line in batch.lines:
            progress(context, line, partition=key)

    failed_partitions = {
        suite: [str(report_partition_key(*key)) for key in failed] for suite, failed in run.failed_partitions().items()
    }
    results_by_check = check_results(
        SUITES, run.suite_results, [str(report_partition_key(*key)) for key in keys], failed_partitions
    )
    single = len(keys) == 1
    # A check result of a run belongs to no partition: record each partition's share too, where
    # anyone can read it.  An ephemeral instance (`gi-pipeline run` without DAGSTER_HOME) is gone
    # when the process ends: there they would be 9 events per partition (~6 s per 140) for nobody.
    if not single and context.instance.is_persistent:
        for (year, region), results in sorted(run.partition_results.items()):
            yield from partition_check_evaluations(str(report_partition_key(year, region)), results)
    for spec in PARSE_SPECS:
        name = spec.key.path[-1]
        head = run.head(name)
        metadata: dict = {
            "partitions_in_run": len(keys),
            "rows_in_run": run.rows[name],
            "preview": dg.MetadataValue.md(markdown_preview(head, total=run.rows[name])),
        }
        if single:
            metadata["dagster/partition_row_count"] = run.rows[name]
        if name == warehouse.STAGE_NORMALIZED_TEXT:
            metadata["path"] = dg.MetadataValue.path(str(warehouse.join(warehouse_dir, warehouse.STAGE_DIR, name)))
            metadata["characters"] = run.characters
            metadata["preview"] = dg.MetadataValue.md(
                markdown_preview(head, columns=["doc_id", "source_file"], total=run.rows[name])
            )
        else:
            metadata["path"] = dg.MetadataValue.path(str(warehouse.join(warehouse_dir, name)))
        if name == v.TABLE_REPORTS:
            metadata.update(
                {
                    "reports_parsed": sum(s.reports for s in run.stats),
                    "error_issues": sum(s.errors for s in run.stats),
                    "warning_issues": sum(s.warnings for s in run.stats),
                    "flagged_reports": run.flagged,
                    "removed_reports": ", ".join(f for s in run.stats for f in s.removed) or "-",
                    "reports_failing_identities": len(
                        {f.doc_id for r in run.suite_results for f in r.findings if f.check.startswith(v.Check.IDENTITY_PREFIX)}
                    ),
                    "by_partition": dg.MetadataValue.md(run.summary_markdown()),
                    "preview": dg.MetadataValue.md(
                        markdown_preview(
                            head,
                            columns=["doc_id", "agency", "template", "status", "error_count", "warning_count"],
                            total=run.rows[name],
                        )
                    ),
                }
            )
        if name == v.TABLE_QUALITY_ISSUES:
            metadata["by_check"] = dg.MetadataValue.json(dict(sorted(run.issues_by_check.items())))
        yield dg.MaterializeResult(
            asset_key=spec.key,
            metadata=metadata,
            check_results=[r for r in results_by_check if r.asset_key == spec.key],
        )


@dg.asset(
    key=CROSS_YEAR,
    deps=[TABLE_KEYS[v.TABLE_REPORTS], TABLE_KEYS[v.TABLE_REQUESTS], TABLE_KEYS[v.TABLE_ACTIVE_DISCLOSURE]],
    group_name=GROUP_QUALITY,
    kinds={"parquet"},
    check_specs=check_specs(CROSS_YEAR_SUITES),
    description=(
        "Consistency of the same agency's consecutive reports (matched by agency name without spaces "
        "or punctuation, plus place code): carried_over(t) = carried_forward(t-1) per applicant, and "
        "in_force(t) = in_force(t-1) + issued(t) - repealed(t) for rules and normative documents. "
        "Mismatches are findings naming both reports; nothing is deleted.\n\n"
        f"Parquet: `warehouse/{v.TABLE_CROSS_YEAR_ISSUES}/part-0.parquet` (unpartitioned, rewritten whole)."
    ),
    metadata=_definition_metadata(
        SCHEMAS[v.TABLE_CROSS_YEAR_ISSUES], False, f"{v.TABLE_CROSS_YEAR_ISSUES}/part-0.parquet"
    ),
)
def cross_year_issues(storage: PipelineStorage) -> dg.MaterializeResult:
    warehouse_dir = storage.warehouse_path
    tables = {
        name: warehouse.scan(name, warehouse_dir).collect()
        for name in (v.TABLE_REPORTS, v.TABLE_REQUESTS, v.TABLE_ACTIVE_DISCLOSURE)
    }
    results = quality.default_runner(suites.WAREHOUSE).run(tables)
    findings = quality.cross_year_table(results)
    path = warehouse.write_table(warehouse_dir, v.TABLE_CROSS_YEAR_ISSUES, findings)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": findings.num_rows,
            "path": dg.MetadataValue.path(str(path)),
            "reports_compared": tables[v.TABLE_REPORTS].height,
            "preview": dg.MetadataValue.md(markdown_preview(findings)),
        },
        check_results=check_results(CROSS_YEAR_SUITES, results),
    )


ALL_ASSETS = [ingest_raw_files, parse_reports, cross_year_issues]
