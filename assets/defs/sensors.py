"""Two cheap sensors: raw files changed -> an ingest run; ingest done -> the partitions it touched.

* ``raw_files_sensor`` compares the raw directory with the warehouse catalog (path -> size, mtime,
  sha256; a file is hashed only when its size or mtime differ from its catalog row, and counts as
  changed only when its sha256 does) and, when something changed, requests one ingest run.  It
  parses nothing and writes nothing.  Its cursor is a pointer, a few dozen bytes whatever the
  number of files: the catalog version it compared with, a digest of the changes it already
  requested an ingest for, and when it last requested a full verification (every
  VERIFY_EVERY_SECONDS, an ingest that re-hashes every file: ``gi_pipeline/verify``).
* ``inventory_partitions_sensor`` watches ``raw_inventory``'s materializations (cursor: the last
  one's storage id) and requests one run per partition the ingest recorded as touched
  (``partitions_touched``: gained, lost or changed a report, or left stale in the warehouse).

The ingest run is the only writer of the catalog and the quarantine table, and the only place
region partitions are registered.
"""


import hashlib
import json
import time

import dagster as dg

from gi_pipeline import warehouse
from gi_pipeline.inventory import changes_since_catalog

from .common import INGEST_KEYS, PARTITIONS_TOUCHED, RAW_INVENTORY, VERIFY_TAG
from .facts import parse_reports
from .resources import PipelineStorage

# Seconds between ticks: the raw directory of a crawler changes in batches, not by the second.
MINIMUM_INTERVAL_SECONDS = 60
TRIGGER_TAG = "gi_pipeline/trigger"


# A full verification (every raw file read and hashed, trusting no size and mtime) this often.
VERIFY_EVERY_SECONDS = 7 * 24 * 3600


def catalog_version(warehouse_dir: warehouse.Location) -> str:
    """A pointer to the catalog's current state (its size and mtime; the ingest leaves an unchanged
    catalog untouched), '' when there is none."""
    path = warehouse.catalog_path(warehouse_dir)
    try:
        if isinstance(path, str):
            import fsspec

            fs, remote = fsspec.core.url_to_fs(path)
            info = fs.info(remote)
            return f"{info.get('size')}@{info.get('mtime') or info.get('LastModified') or info.get('ETag')}"
        stat = path.stat()
    except (OSError, FileNotFoundError):
        return ""
    return f"{stat.st_size}@{stat.st_mtime_ns}"


@dg.sensor(
    name="raw_files_sensor",
    description=(
        "Watches the raw directory: when files are new, changed (by sha256) or deleted compared with "
        "the catalog, requests an ingest run (raw_inventory), which catalogs them; once a week an "
        "ingest that re-hashes every file."
    ),
    asset_selection=INGEST_KEYS,
    minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def raw_files_sensor(context: dg.SensorEvaluationContext, storage: PipelineStorage) -> dg.SensorResult | dg.SkipReason:
    raw_dir, warehouse_dir = storage.raw_path, storage.warehouse_path
    if not raw_dir.is_dir():
        return dg.SkipReason(f"raw directory does not exist: {raw_dir}")
    cursor = json.loads(context.cursor) if context.cursor else {}
    if not isinstance(cursor, dict) or "catalog" not in cursor:
        cursor = {}  # a cursor of the old per-file form: start over
    version = catalog_version(warehouse_dir)
    try:
        catalog = warehouse.read_catalog(warehouse_dir) if version else None
    except FileNotFoundError:
        catalog = None
    now = time.time()
    verified = float(cursor.get("verified") or 0) or now  # the first full check is a period away
    if now - verified >= VERIFY_EVERY_SECONDS:
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=f"verify@{int(now)}", asset_selection=INGEST_KEYS,
                                        tags={TRIGGER_TAG: "raw_files_sensor", VERIFY_TAG: "true"})],
            cursor=json.dumps({"catalog": version, "requested": "", "verified": now}),
        )
    changes = changes_since_catalog(raw_dir, catalog)
    if not changes:
        return dg.SkipReason("no new, changed or deleted files")
    digest = hashlib.sha256(json.dumps(changes).encode()).hexdigest()[:16]
    if cursor.get("catalog") == version and cursor.get("requested") == digest:
        return dg.SkipReason(f"{len(changes)} changed files: their ingest run is already requested")
    context.log.info(f"{len(changes)} files changed ({', '.join(p for p, _ in changes[:10])})")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=f"ingest@{version}:{digest}", asset_selection=INGEST_KEYS,
                          tags={TRIGGER_TAG: "raw_files_sensor"})
        ],
        cursor=json.dumps({"catalog": version, "requested": digest, "verified": verified}),
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
