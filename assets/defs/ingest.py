"""The ingest asset: ``ingest_raw_files`` materializes ``raw_inventory`` and ``quarantine``.

It lists the raw directory (or takes the listing ``gi-pipeline run`` made under the same lock), hashes
and parses every new or changed file once (the parse is the only way to learn a
report's year and region; ``gi_pipeline.inventory``), keeps each parse in the parse cache, writes the
catalog ``warehouse/_catalog/inventory.parquet`` and the quarantine table, registers the regions it
saw as dynamic partitions (the one place they are registered) and records in its materialization
which partitions' reports changed (``partitions_touched``), which the partitions sensor runs.

Deletion needs evidence (``gi_pipeline.inventory.check_raw_dir``): a missing or empty raw directory
fails the run, files the listing cannot see keep their catalog rows (and their partitions are left as
they are), and a run that would remove more than a small share of the catalogued reports fails
before writing anything unless its run config sets ``allow_removals: true``.  The asset holds the
warehouse lock while it writes (``writer``).
"""


import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping

import dagster as dg
from pydantic import Field

from gi_pipeline import frames, lock, manifest, parse_cache, preflight, raw_listing, removals, warehouse
from gi_pipeline import vocabulary as v
from gi_pipeline.inventory import RawSurvey, build_inventory, changed_partitions, stale_partitions
from gi_pipeline.progress import meter_line
from gi_pipeline.schema import SCHEMAS

from .common import (
    GROUP_INGEST,
    KEPT_PARTITIONS,
    PARTITIONS_TOUCHED,
    PROGRESS_LOG,
    QUARANTINE,
    RAW_INVENTORY,
    VERIFY_TAG,
    definition_metadata,
    markdown_preview,
)
from .partitions import region_partitions, report_partition_key
from .resources import PipelineStorage
from .writer import writing

# Progress of a long inventory in the run log: a line every this many files parsed.
PROGRESS_EVERY = 1000

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
    metadata=definition_metadata(warehouse.CATALOG_SCHEMA, False, "_catalog/inventory.parquet"),
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
    metadata=definition_metadata(SCHEMAS[v.TABLE_QUARANTINE], False, "quarantine/part-0.parquet"),
)


class IngestConfig(dg.Config):
    allow_removals: bool = Field(
        default=False,
        description="Confirm a large removal: let this run drop the facts of more than "
        f"{removals.MAX_REMOVED_SHARE:.0%} of the catalogued reports, or of every report of a year, "
        "when their files are gone from the raw directory (the CLI's --allow-removals).",
    )


# Surveys of the raw directory (``gi_pipeline.inventory.survey_raw_dir``) that ``gi-pipeline run`` made
# under the warehouse lock, by the token its ingest run is tagged with: that run takes it instead of
# listing and stat'ing the directory again.  Process-local: a run of the UI, a sensor or another
# process finds no survey and lists the directory itself.
SURVEY_TAG = "gi_pipeline/survey"
_SURVEYS: dict[str, RawSurvey] = {}


def hand_over_survey(survey: RawSurvey) -> dict[str, str]:
    """Keep ``survey`` for the ingest run carrying the returned tags."""
    token = uuid.uuid4().hex
    _SURVEYS[token] = survey
    return {SURVEY_TAG: token}


def take_survey(tags: Mapping[str, str]) -> RawSurvey | None:
    """The survey handed over for the run with these tags (once), or None."""
    return _SURVEYS.pop(tags.get(SURVEY_TAG, ""), None)


# Errors that stop the inventory before it writes anything: the run fails with their message alone.
REFUSALS = (raw_listing.RawRootError, removals.RemovalsRefused, preflight.PreflightError,
            lock.WarehouseLocked, parse_cache.CacheUnwritable)
CONFIRM_IN_DAGSTER = "launch the run again with run config ops: {ingest_raw_files: {config: {allow_removals: true}}}"


@dg.multi_asset(
    name="ingest_raw_files",
    specs=[RAW_INVENTORY_SPEC, QUARANTINE_SPEC],
    can_subset=False,
    description="List, hash and parse every raw file; write the catalog and the quarantine table.",
)
def ingest_raw_files(
    context: dg.AssetExecutionContext, config: IngestConfig, storage: PipelineStorage
) -> Iterator[dg.MaterializeResult]:
    try:
        with writing(storage.warehouse_path, owner=f"dagster run {context.run.run_id}", wait=storage.lock_wait_seconds,
                     persistent=False) as removed:
            if removed:
                context.log.info(f"removed {len(removed)} temporary files of dead writers")
            yield from _ingest(context, storage, config.allow_removals)
    except REFUSALS as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None


def _ingest(context: dg.AssetExecutionContext, storage: PipelineStorage, allow_removals: bool
            ) -> Iterator[dg.MaterializeResult]:
    raw_dir, warehouse_dir = storage.raw_path, storage.warehouse_path

    def on_error(source_file: str, tb: str) -> None:
        context.log.warning(f"{source_file}: parse_report raised; quarantined.\n{tb}")

    started = time.monotonic()

    def on_progress(parsed: int, to_parse: int) -> None:
        line = meter_line("inventory", parsed, to_parse, time.monotonic() - started, "files parsed")
        if parsed % PROGRESS_EVERY == 0:
            context.log.info(line)
        PROGRESS_LOG.info(line, extra={"meter": (parsed, to_parse)})  # the CLI draws it

    try:
        before = warehouse.read_catalog(warehouse_dir)
    except FileNotFoundError:
        before = None
    # Files whose size and mtime match the last catalog are not read again, unless the run is
    # tagged to verify (`gi-pipeline run --verify`, the raw files sensor's periodic full check).
    verify = context.run.tags.get(VERIFY_TAG) == "true"
    survey = take_survey(context.run.tags)
    with storage.parse_pool() as pool:
        inventory = build_inventory(
            raw_dir,
            on_error=on_error,
            cache=parse_cache.cache_dir(warehouse_dir),
            workers=storage.workers,
            on_progress=on_progress,
            pool=pool,
            before=before,
            verify=verify,
            allow_removals=allow_removals,
            confirm=CONFIRM_IN_DAGSTER,
            survey=survey,
        )
    catalog_changed = before is None or not before.equals(inventory.catalog)
    plan = inventory.plan  # set by every build_inventory (None only on hand-made Inventory values)
    if plan is not None:
        context.log.info(plan.summary())
    for error in inventory.unreadable:
        context.log.warning(f"cannot read {error.source_file or '.'}: {error.error}; its catalogued files are kept")
    warehouse.write_catalog(warehouse_dir, inventory.catalog)
    if catalog_changed or verify:
        # Keep the parse results of the files catalogued now; drop the rest (and other parser versions).
        parse_cache.prune(
            warehouse_dir,
            {parse_cache.entry_key(sha, source_file) for role, sha, source_file in zip(
                *(inventory.catalog[c].to_pylist() for c in ("role", "sha256", "source_file")), strict=True)
             if role == warehouse.ROLE_REPORT},
        )
    quarantine = frames.quarantine_table(inventory.quarantined)
    warehouse.write_table(warehouse_dir, v.TABLE_QUARANTINE, quarantine)

    # The partitions whose reports changed, and those with files left in the warehouse but no
    # reports any more (rewritten empty); their regions are registered so those runs can be made.
    # Partitions holding a file that cannot be read now are left as they are.
    stale = stale_partitions(inventory.partitions, warehouse.written_partitions(warehouse_dir))
    kept = inventory.kept_partitions
    touched = sorted((changed_partitions(before, inventory.catalog) | stale) - kept)
    wanted = sorted(set(inventory.regions) | {region for _, region in stale})
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
            "removed_files": dg.MetadataValue.json(list(plan.deleted) if plan else []),
            "unreadable": dg.MetadataValue.json([[e.source_file, e.error] for e in inventory.unreadable]),
            KEPT_PARTITIONS: dg.MetadataValue.json([str(report_partition_key(*key)) for key in sorted(kept)]),
            "non_empty_partitions": len(partitions),
            "regions": ", ".join(inventory.regions) or "(none)",
            "new_region_partitions": ", ".join(new_regions) or "(none)",
            "partitions": dg.MetadataValue.md(by_partition),
            PARTITIONS_TOUCHED: dg.MetadataValue.json([str(report_partition_key(*key)) for key in touched]),
        },
        # What the partitions read from the catalog: an inventory that changed none of their inputs
        # leaves every partition fresh in the UI (its provenance records this version).
        data_version=dg.DataVersion(manifest.inventory_version(inventory.catalog)),
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


defs = dg.Definitions(assets=[ingest_raw_files])
