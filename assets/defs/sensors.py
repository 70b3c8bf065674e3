"""Two cheap sensors: raw files changed -> an ingest run; ingest done -> the partitions it touched.

* ``raw_files_sensor`` compares the raw directory with its cursor (path -> size, mtime, sha256; a file
  is hashed again only when its size or mtime moved, and counts as changed only when its sha256 did)
  and, when something changed, requests one ingest run.  It parses nothing and writes nothing.
* ``inventory_partitions_sensor`` watches ``raw_inventory``'s materializations (cursor: the last
  one's storage id) and requests one run per partition the ingest recorded as touched
  (``partitions_touched``: gained, lost or changed a report, or left stale in the warehouse).

The ingest run is the only writer of the catalog and the quarantine table, and the only place
region partitions are registered.
"""


import hashlib
import json

import dagster as dg

from gi_pipeline.inventory import FileState, changed_paths, scan_raw_dir

from .common import INGEST_KEYS, PARTITIONS_TOUCHED, RAW_INVENTORY
from .facts import parse_reports
from .resources import PipelineStorage

# Seconds between ticks: the raw directory of a crawler changes in batches, not by the second.
MINIMUM_INTERVAL_SECONDS = 60
TRIGGER_TAG = "gi_pipeline/trigger"


@dg.sensor(
    name="raw_files_sensor",
    description=(
        "Watches the raw directory: when files are new, changed (by sha256) or deleted, requests an "
        "ingest run (raw_inventory), which catalogs them."
    ),
    asset_selection=INGEST_KEYS,
    minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def raw_files_sensor(context: dg.SensorEvaluationContext, storage: PipelineStorage) -> dg.SensorResult | dg.SkipReason:
    raw_dir = storage.raw_path
    if not raw_dir.is_dir():
        return dg.SkipReason(f"raw directory does not exist: {raw_dir}")
    before: FileState = json.loads(context.cursor) if context.cursor else {}
    after = scan_raw_dir(raw_dir, before)
    changed = changed_paths(before, after)
    if not changed:
        return dg.SkipReason("no new, changed or deleted files")
    state_digest = hashlib.sha256(json.dumps(after, sort_keys=True).encode()).hexdigest()[:16]
    context.log.info(f"{len(changed)} files changed ({', '.join(changed[:10])})")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=f"ingest@{state_digest}", asset_selection=INGEST_KEYS,
                          tags={TRIGGER_TAG: "raw_files_sensor"})
        ],
        cursor=json.dumps(after, sort_keys=True),
    )


@dg.sensor(
    name="inventory_partitions_sensor",
    description=(
        "After each raw_inventory materialization, requests a run of exactly the (year, region) "
        "partitions it recorded as touched."
    ),
    asset_selection=list(parse_reports.keys),
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def inventory_partitions_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    after = int(context.cursor) if context.cursor else None
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=RAW_INVENTORY, after_storage_id=after), limit=100, ascending=True
    ).records
    if not records:
        return dg.SkipReason("no new raw_inventory materialization")
    keys: set[str] = set()
    for record in records:
        touched = record.asset_materialization.metadata.get(PARTITIONS_TOUCHED) if record.asset_materialization else None
        if touched is not None and isinstance(touched.value, list):  # ingest writes a JSON list of keys
            keys.update(str(key) for key in touched.value)
    last = records[-1].storage_id
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"{key}@{last}",
                partition_key=key,
                asset_selection=list(parse_reports.keys),
                tags={TRIGGER_TAG: "inventory_partitions_sensor"},
            )
            for key in sorted(keys)
        ],
        cursor=str(last),
    )


defs = dg.Definitions(sensors=[raw_files_sensor, inventory_partitions_sensor])
