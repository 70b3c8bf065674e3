"""The partitioned assets: ``parse_reports`` writes each (year, region) partition's normalized text,
sections and fact tables.

Why ``parse_reports`` is one ``@multi_asset`` and not a chain of three partitioned assets:
``gi_pipeline.report.parse_report`` turns raw bytes into text, sections and facts in one pure call,
and parsing is cheap.  Separate steps would either re-parse three times or hand big parsed objects
through the IO manager (pickles of whole report texts, which also cannot be stored when one
run carries several partitions).  One step per partition keeps each table its own asset -- its own
column schema in the catalog, its own row counts and its own checks -- and declares the
internal lineage (normalized_text -> sections -> facts) so the graph still shows the chain.
The reports come from the parse cache the inventory filled (``gi_pipeline.partition_writer``).

Incremental in the UI too (issue 14): a partition whose manifest matches its inputs is not rewritten,
and gets no materialization.  So the asset does not return a MaterializeResult -- Dagster would
record one materialization per partition of the run -- but one ``AssetMaterialization`` per table
and partition written (the specs are ``skippable``), each with the partition's data version (its
manifest fingerprint) and the code version (parser, suites, schema: ``manifest.code_version``), as
``versions`` tags them.  Two exceptions record an unchanged partition anyway, marked ``unchanged``
and with the data version it already had (so nothing turns stale): a backfill run (Dagster 1.13
fails a backfill whose successful run leaves a targeted partition without a materialization), and
a partition the instance never recorded (written by a run of another instance).  Checks are
evaluated for the partitions written only.
"""


from collections.abc import Iterator, Sequence
from dataclasses import replace

import dagster as dg
from dagster._core.storage.tags import BACKFILL_ID_TAG

from gi_pipeline import explain_pages, manifest, warehouse
from gi_pipeline import vocabulary as v
from gi_pipeline.lock import WarehouseLocked
from gi_pipeline.partition_writer import PartitionStats, RunSummary, plural, write_partitions
from gi_pipeline.schema import SCHEMAS

from .checks import FACT_CHECK_SPECS, SUITES, check_results, partition_check_evaluations
from .common import (
    GROUP_FACTS,
    GROUP_PARSE,
    GROUP_QUALITY,
    NORMALIZED_TEXT,
    RAW_INVENTORY,
    TABLE_KEYS,
    definition_metadata,
    markdown_preview,
    progress,
)
from .partitions import report_partition_key, report_partitions, split_partition_key
from .resources import PipelineStorage
from .versions import InputVersion, latest_version, parent_versions, partition_tags
from .writer import no_other_writer

# A year's backfill over ~31 regions becomes 4 runs of at most 10 partitions (each run parses its
# partitions one after the other in one process; the runs themselves can go in parallel).
BACKFILL_POLICY = dg.BackfillPolicy.multi_run(max_partitions_per_run=10)

# The parser, suites and schema versions every partition's manifest records, hashed: a partition
# materialized under another code version shows stale in the UI.
CODE_VERSION = manifest.code_version()

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
        metadata=definition_metadata(SCHEMAS[name], True, f"{name}/year=YYYY/region=NNNNNN/part-0.parquet"),
        code_version=CODE_VERSION,
        skippable=True,  # a partition found unchanged gets no materialization
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
    metadata=definition_metadata(
        warehouse.STAGE_SCHEMAS[warehouse.STAGE_NORMALIZED_TEXT],
        True,
        "_stage/normalized_text/year=YYYY/region=NNNNNN/part-0.parquet",
    ),
    code_version=CODE_VERSION,
    skippable=True,
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
# The tables written in the same step as their parents (a partition's tables are written together).
_IN_STEP = {spec.key for spec in PARSE_SPECS}


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
def parse_reports(
    context: dg.AssetExecutionContext, storage: PipelineStorage
) -> Iterator[dg.AssetMaterialization | dg.AssetCheckResult | dg.AssetCheckEvaluation | dg.Output]:
    raw_dir, warehouse_dir = storage.raw_path, storage.warehouse_path
    try:
        no_other_writer(warehouse_dir, storage.lock_wait_seconds)  # never while the catalog is rewritten
    except WarehouseLocked as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    try:
        catalog = warehouse.read_catalog(warehouse_dir)
    except FileNotFoundError as exc:
        raise dg.Failure(str(exc)) from exc

    # A run may carry several partitions (a backfill under BACKFILL_POLICY, all of them from the
    # CLI): they are validated a batch at a time, one GX call per suite and batch.
    keys = sorted(split_partition_key(k) for k in context.partition_keys)
    run = RunSummary()
    for batch in write_partitions(raw_dir, warehouse_dir, catalog, keys, pages_per_partition=storage.explain_pages):
        run.merge(batch)
        for key, line in batch.lines:
            progress(context, line, partition=key)

    # One materialization per partition written, none for a partition found unchanged (its
    # manifest matches its inputs: no file was touched) -- except where one is needed anyway.
    written = run.stats
    recorded = _unchanged_to_record(context, run.unchanged, warehouse_dir)
    if run.unchanged:
        context.log.info(f"{plural(len(run.unchanged), 'partition')} unchanged, not rewritten"
                         + (f" ({len(recorded)} recorded again, same data version)" if recorded else ""))
    outside = {RAW_INVENTORY: latest_version(context.instance, RAW_INVENTORY)}
    for spec in PARSE_SPECS:
        run_metadata = _run_metadata(spec.key.path[-1], run, len(keys), warehouse_dir)
        for stats in written:
            yield _materialization(spec, stats, run_metadata, outside)
        for stats in recorded:
            yield _materialization(spec, stats, run_metadata, outside, unchanged=True)

    if not written:
        # Nothing validated, so no check result (each partition's last one stands); the check
        # outputs are required of a multi-asset that cannot be subset: filled, without evaluation.
        for output_name in context.assets_def.check_specs_by_output_name:
            yield dg.Output(None, output_name=output_name)
        return
    failed_partitions = {
        suite: [str(report_partition_key(*key)) for key in failed] for suite, failed in run.failed_partitions().items()
    }
    # A check result of a run belongs to no partition: record each partition's share too, where
    # anyone can read it.  An ephemeral instance (`gi-pipeline run` without DAGSTER_HOME) is gone
    # when the process ends: there they would be 9 events per partition (~6 s per 140) for nobody.
    if len(keys) > 1 and context.instance.is_persistent:
        for (year, region), results in sorted(run.partition_results.items()):
            yield from partition_check_evaluations(str(report_partition_key(year, region)), results)
    written_keys = [str(report_partition_key(s.year, s.region)) for s in written]
    yield from check_results(SUITES, run.suite_results, written_keys, failed_partitions)


def _unchanged_to_record(
    context: dg.AssetExecutionContext, unchanged: list[PartitionStats], warehouse_dir: warehouse.Location
) -> list[PartitionStats]:
    """The unchanged partitions that still get a materialization (the same data version as
    before): all of them in a backfill (Dagster 1.13 marks a backfill failed when a run of it
    succeeds without materializing a partition it targets), else those this instance never
    recorded (the UI would show them missing).  With their row counts from their manifests."""
    if not unchanged:
        return []
    if context.run.tags.get(BACKFILL_ID_TAG):
        chosen = unchanged
    elif context.instance.is_persistent:
        known = context.instance.get_materialized_partitions(TABLE_KEYS[v.TABLE_REPORTS])
        chosen = [s for s in unchanged if str(report_partition_key(s.year, s.region)) not in known]
    else:
        chosen = []
    return [replace(s, rows=manifest.row_counts(warehouse_dir, [(s.year, s.region)]) or {}) for s in chosen]


def _materialization(
    spec: dg.AssetSpec, stats: PartitionStats, run_metadata: dict, outside: dict[dg.AssetKey, InputVersion],
    unchanged: bool = False,
) -> dg.AssetMaterialization:
    """One partition's materialization of one table: the run's metadata, the partition's own rows,
    and its versions (data version: the partition's manifest fingerprint)."""
    partition = report_partition_key(stats.year, stats.region)
    name = spec.key.path[-1]
    metadata = {**run_metadata, "unchanged": unchanged}
    if name in stats.rows:
        metadata["dagster/partition_row_count"] = stats.rows[name]
    inputs = parent_versions([dep.asset_key for dep in spec.deps], _IN_STEP, stats.fingerprint, outside)
    return dg.AssetMaterialization(
        asset_key=spec.key,
        partition=str(partition),
        metadata=metadata,
        tags=partition_tags(partition, stats.fingerprint, CODE_VERSION, inputs),
    )


def _run_metadata(name: str, run: RunSummary, partitions: int, warehouse_dir: warehouse.Location) -> dict:
    """What every partition's materialization of table ``name`` says about the run."""
    head = run.head(name)
    metadata: dict = {
        "partitions_in_run": partitions,
        "partitions_unchanged": len(run.unchanged),
        "rows_in_run": run.rows[name],
        "preview": dg.MetadataValue.md(markdown_preview(head, total=run.rows[name])),
    }
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
                # The flagged reports' explain pages, written beside their partitions (explain_pages).
                "explain_pages_written": sum(len(p.pages) for p in run.pages),
                "explain_pages": dg.MetadataValue.md(explain_pages.markdown(run.pages, sum(1 for s in run.unchanged if s.reports))),
                "preview": dg.MetadataValue.md(
                    markdown_preview(
                        head,
                        columns=["doc_id", "agency", "template", "status", "error_count", "warning_count"],
                        total=run.rows[name],
                    )
                ),
            }
        )
    if name == v.TABLE_REPORTS and warehouse.local_dir(warehouse_dir) is not None:
        metadata["explain_dir"] = dg.MetadataValue.path(
            str(warehouse.join(warehouse_dir, warehouse.STAGE_DIR, explain_pages.STAGE_EXPLAIN))
        )
    if name == v.TABLE_QUALITY_ISSUES:
        metadata["by_check"] = dg.MetadataValue.json(dict(sorted(run.issues_by_check.items())))
    return metadata


defs = dg.Definitions(assets=[parse_reports])
