"""The raw-directory sensor: new, changed or deleted files → exactly the partitions they touch.

Each tick compares the raw directory with the cursor (path → size, mtime, sha256; a file is hashed
again only when its size or mtime moved, and it counts as changed only when its sha256 did). When
something changed, the tick catalogues the raw directory again — parsing only content it has not seen
(the catalog remembers what each sha256 parsed to) — registers new region partitions, and requests
one run per (year, region) partition that gained, lost or changed a report. Unchanged files never
trigger work.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable

import dagster as dg

from gi_pipeline import frames, parse_cache, warehouse
from gi_pipeline import vocabulary as v

from .assets import (
    QUARANTINE,
    RAW_INVENTORY,
    build_inventory,
    known_classifications,
    list_raw_files,
    parse_reports,
)
from .partitions import region_partitions, report_partition_key
from .resources import PipelineStorage

# Seconds between ticks: the raw directory of a crawler changes in batches, not by the second.
MINIMUM_INTERVAL_SECONDS = 60

FileState = dict[str, list]  # path -> [size, mtime_ns, sha256]


def _scan(raw_dir, previous: FileState) -> FileState:
    state: FileState = {}
    for path in list_raw_files(raw_dir):
        try:
            stat = os.stat(raw_dir / path)
            old = previous.get(path)
            if old and old[0] == stat.st_size and old[1] == stat.st_mtime_ns:
                state[path] = old
            else:
                digest = hashlib.sha256((raw_dir / path).read_bytes()).hexdigest()
                state[path] = [stat.st_size, stat.st_mtime_ns, digest]
        except OSError:
            continue  # vanished between listing and reading: the next tick sees it gone
    return state


def changed_paths(before: FileState, after: FileState) -> list[str]:
    """Paths added, removed or whose content (sha256) changed."""
    paths = set(before) | set(after)
    return sorted(p for p in paths if (before.get(p) or [None] * 3)[2] != (after.get(p) or [None] * 3)[2])


def _partitions_of(catalog_rows: Iterable[dict], paths: set[str]) -> set[tuple[int, str]]:
    return {
        (row["year"], row["region"])
        for row in catalog_rows
        if row["source_file"] in paths and row["year"] is not None and row["region"] is not None
    }


@dg.sensor(
    name="raw_files_sensor",
    description=(
        "Watches the raw directory: new, changed (by sha256) or deleted files are catalogued and "
        "exactly the (year, region) partitions they touch are re-materialized."
    ),
    asset_selection=[RAW_INVENTORY, QUARANTINE, *parse_reports.keys],
    minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def raw_files_sensor(context: dg.SensorEvaluationContext, storage: PipelineStorage) -> dg.SensorResult | dg.SkipReason:
    raw_dir, warehouse_dir = storage.raw_path, storage.warehouse_path
    if not raw_dir.is_dir():
        return dg.SkipReason(f"raw directory does not exist: {raw_dir}")
    before: FileState = json.loads(context.cursor) if context.cursor else {}
    after = _scan(raw_dir, before)
    changed = changed_paths(before, after)
    if not changed:
        return dg.SkipReason("no new, changed or deleted files")

    try:
        previous = warehouse.read_catalog(warehouse_dir)
    except FileNotFoundError:
        previous = None
    old_rows = previous.to_pylist() if previous is not None else []
    inventory = build_inventory(
        raw_dir,
        known=known_classifications(previous) if previous is not None else None,
        cache=parse_cache.cache_dir(warehouse_dir),  # the runs it requests read the parses from there
        workers=storage.workers,
    )
    warehouse.write_catalog(warehouse_dir, inventory.catalog)
    warehouse.write_table(warehouse_dir, v.TABLE_QUARANTINE, frames.quarantine_table(inventory.quarantined))

    touched = _partitions_of(old_rows, set(changed)) | _partitions_of(inventory.catalog.to_pylist(), set(changed))
    known_regions = set(context.instance.get_dynamic_partitions(region_partitions.name))
    new_regions = sorted({region for _, region in touched} - known_regions)
    catalog_digest = hashlib.sha256(json.dumps(after, sort_keys=True).encode()).hexdigest()[:16]
    runs = [
        dg.RunRequest(
            run_key=f"{region}|{year}@{catalog_digest}",
            partition_key=str(report_partition_key(year, region)),
            asset_selection=list(parse_reports.keys),
            tags={"gi_pipeline/trigger": "raw_files_sensor"},
        )
        for year, region in sorted(touched)
    ]
    context.log.info(f"{len(changed)} files changed ({', '.join(changed[:10])}); partitions: {len(runs)}")
    return dg.SensorResult(
        run_requests=runs,
        dynamic_partitions_requests=[region_partitions.build_add_request(new_regions)] if new_regions else [],
        asset_events=[
            dg.AssetMaterialization(
                asset_key=RAW_INVENTORY,
                metadata={
                    "files": inventory.catalog.num_rows,
                    "changed_files": dg.MetadataValue.md("\n".join(f"- {p}" for p in changed)),
                    "partitions_requested": ", ".join(r.partition_key for r in runs) or "-",
                },
            ),
            dg.AssetMaterialization(asset_key=QUARANTINE, metadata={"dagster/row_count": len(inventory.quarantined)}),
        ],
        cursor=json.dumps(after, sort_keys=True),
    )
