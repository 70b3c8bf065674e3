"""The sensors: new, changed and deleted raw files run exactly their partitions.

``raw_files_sensor`` only compares the raw directory with its cursor and requests an ingest run; the
ingest run records the partitions it touched; ``inventory_partitions_sensor`` requests those."""

from __future__ import annotations

import os
import shutil
from importlib import resources
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from assets.assets import ALL_ASSETS, INGEST_KEYS, parse_reports
from assets.defs.partitions import report_partition_key
from assets.defs.resources import PipelineStorage
from assets.defs.sensors import inventory_partitions_sensor, raw_files_sensor
from gi_pipeline import vocabulary as v
from gi_pipeline import warehouse

SAMPLES = Path(str(resources.files("gi_pipeline") / "data" / "sample_reports"))
SEED_000 = "000_086aff29061571b0.txt"  # 2024 | 640000
SEED_002 = "002_540522f8d1d44ca2.txt"  # 2020 | 430000
SEED_004 = "004_656a75cba6cb305a.txt"  # 2024 | 150000


@pytest.fixture
def setup(tmp_path: Path):
    raw, wh = tmp_path / "raw", tmp_path / "warehouse"
    raw.mkdir()
    storage = PipelineStorage(raw_dir=str(raw), warehouse_dir=str(wh))
    with dg.instance_for_test() as instance:
        yield raw, wh, storage, instance


def _tick(instance, storage, cursors, allow_removals=False):
    """One tick of each sensor, as the daemon makes them: the raw-files sensor (its ingest run, if it
    asks for one, is executed; ``allow_removals``: with the run config an operator confirms a large
    removal with), then the partitions sensor.  Returns (partitions sensor result or the SkipReason
    of the raw-files sensor, new cursors)."""
    raw_cursor, partitions_cursor = cursors or (None, None)
    context = dg.build_sensor_context(instance=instance, cursor=raw_cursor, resources={"storage": storage})
    result = raw_files_sensor(context)
    if isinstance(result, dg.SkipReason):
        return result, (raw_cursor, partitions_cursor)
    (request,) = result.run_requests
    assert set(request.asset_selection) == set(INGEST_KEYS) and request.partition_key is None
    assert not result.dynamic_partitions_requests and not result.asset_events  # the sensor writes nothing
    confirmed = {"ops": {"ingest_raw_files": {"config": {"allow_removals": True}}}} if allow_removals else None
    ingest = dg.materialize(
        ALL_ASSETS, selection=list(request.asset_selection), instance=instance, resources={"storage": storage},
        run_config=confirmed,
    )
    assert ingest.success
    partitions = inventory_partitions_sensor(dg.build_sensor_context(instance=instance, cursor=partitions_cursor))
    assert isinstance(partitions, dg.SensorResult)
    return partitions, (result.cursor, partitions.cursor)


def _run_all(instance, storage, result: dg.SensorResult) -> list[dg.ExecuteInProcessResult]:
    runs = []
    for request in result.run_requests:
        runs.append(
            dg.materialize(
                ALL_ASSETS,
                selection=list(request.asset_selection),
                instance=instance,
                resources={"storage": storage},
                partition_key=request.partition_key,
            )
        )
        assert runs[-1].success
    return runs


def _partitions(result) -> list[str]:
    return sorted(r.partition_key for r in result.run_requests)


def test_sensors_without_changes_request_nothing(setup) -> None:
    raw, wh, storage, instance = setup
    shutil.copyfile(SAMPLES / SEED_000, raw / SEED_000)
    result, cursors = _tick(instance, storage, None)
    _run_all(instance, storage, result)
    # No new raw_inventory materialization: the partitions sensor skips, without requesting again.
    assert isinstance(inventory_partitions_sensor(dg.build_sensor_context(instance=instance, cursor=cursors[1])),
                      dg.SkipReason)
    assert (wh / "_catalog" / "inventory.parquet").stat().st_size != 0
    # The raw-files sensor does not parse: a tick over unchanged files leaves the parse cache alone.
    before = sorted((wh / "_stage" / "parsed").rglob("*"))
    skipped, _ = _tick(instance, storage, cursors)
    assert isinstance(skipped, dg.SkipReason) and sorted((wh / "_stage" / "parsed").rglob("*")) == before


def test_new_files_run_exactly_their_partitions(setup) -> None:
    raw, wh, storage, instance = setup
    shutil.copyfile(SAMPLES / SEED_000, raw / SEED_000)
    shutil.copyfile(SAMPLES / SEED_002, raw / SEED_002)
    result, cursor = _tick(instance, storage, None)
    assert _partitions(result) == sorted(["640000|2024", "430000|2020"])
    assert all(set(r.asset_selection) == set(parse_reports.keys) for r in result.run_requests)
    _run_all(instance, storage, result)
    assert sorted(warehouse.scan(v.TABLE_REPORTS, wh).collect()["source_file"]) == [SEED_000, SEED_002]

    # Nothing changed: no work. Touching a file without changing its bytes: no work either.
    skipped, cursor = _tick(instance, storage, cursor)
    assert isinstance(skipped, dg.SkipReason)
    os.utime(raw / SEED_000, ns=(1, 1))
    skipped, cursor = _tick(instance, storage, cursor)
    assert isinstance(skipped, dg.SkipReason)

    # A new report in a new region: its partition only, and the region is registered.
    shutil.copyfile(SAMPLES / SEED_004, raw / SEED_004)
    result, cursor = _tick(instance, storage, cursor)
    assert _partitions(result) == [str(report_partition_key(2024, "150000"))]
    assert "150000" in instance.get_dynamic_partitions("region")  # registered by the ingest run
    _run_all(instance, storage, result)
    assert warehouse.scan(v.TABLE_REPORTS, wh).collect().height == 3


def test_deleted_file_empties_its_partition_and_the_run_says_so(setup) -> None:
    raw, wh, storage, instance = setup
    for name in (SEED_000, SEED_004):
        shutil.copyfile(SAMPLES / name, raw / name)
    result, cursor = _tick(instance, storage, None)
    _run_all(instance, storage, result)

    (raw / SEED_004).unlink()  # half the catalogued reports: a removal to confirm
    result, cursor = _tick(instance, storage, cursor, allow_removals=True)
    assert _partitions(result) == ["150000|2024"]
    (run,) = _run_all(instance, storage, result)
    events = {e.asset_key.to_user_string(): e for e in run.get_asset_materialization_events()}
    metadata = events[v.TABLE_REPORTS].step_materialization_data.materialization.metadata
    assert metadata["removed_reports"].value == SEED_004
    reports = warehouse.scan(v.TABLE_REPORTS, wh).collect()
    assert reports["source_file"].to_list() == [SEED_000]
    assert warehouse.scan(v.TABLE_REQUESTS, wh).filter(pl.col("region") == "150000").collect().height == 0


def test_changed_content_moves_a_report_between_partitions(setup) -> None:
    raw, wh, storage, instance = setup
    shutil.copyfile(SAMPLES / SEED_000, raw / "report.txt")
    result, cursor = _tick(instance, storage, None)
    _run_all(instance, storage, result)
    # The same path now holds another agency's report (another province): both partitions rerun.
    shutil.copyfile(SAMPLES / SEED_002, raw / "report.txt")
    result, cursor = _tick(instance, storage, cursor)
    assert _partitions(result) == sorted(["640000|2024", "430000|2020"])
    _run_all(instance, storage, result)
    reports = warehouse.scan(v.TABLE_REPORTS, wh).collect()
    assert reports.select("year", "region").rows() == [(2020, "430000")]
