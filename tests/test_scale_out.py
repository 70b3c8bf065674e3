"""Scale-out: parsing on a Dask cluster over loopback writes the same bytes as local processes, and
the warehouse works at an fsspec URL (docs/scale-out.md).

* ``test_parsing_on_a_dask_cluster_matches_the_local_run``: a 2-worker ``distributed.LocalCluster``
  (separate processes, 127.0.0.1 only) stands in for machines; the ingest (whose parsing is the heavy,
  parallel work) sends every parse to it through ``PipelineStorage.dask_scheduler``, then partition
  runs and the cross-year check, into a ``file://`` warehouse URL.  Every Parquet file must equal,
  byte for byte, what the same runs write with local parsing into a plain directory.
* The ``memory://`` tests drive the object-store code path of ``gi_pipeline.warehouse`` (one PUT per
  object, prefix listing, stale-object removal, pyarrow-dataset scans).  fsspec's memory filesystem
  lives in one process, so they run in this one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import fsspec
import polars as pl
import pyarrow as pa
import pytest

from assets.assets import ALL_ASSETS, CROSS_YEAR, QUARANTINE, RAW_INVENTORY, parse_reports
from assets.definitions import defs
from assets.defs.partitions import report_partition_key
from assets.defs.resources import PipelineStorage, bundled_sample_reports
from gi_pipeline import parallel, warehouse
from gi_pipeline import vocabulary as v
from gi_pipeline.schema import SCHEMAS

PARSE_KEYS = list(parse_reports.keys)
INGEST_KEYS = [RAW_INVENTORY, QUARANTINE]
# Four (year, region) partitions of the bundled sample reports: two regions twice, one partition
# with two reports, one whose identity check fails (a WARN check: the run still succeeds).
BACKFILL = [(2020, "430000"), (2023, "640000"), (2024, "640000"), (2025, "360000")]


def parquet_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


def single_process_run(
    raw_dir: str, warehouse_dir: str, partitions: list[tuple[int, str]], dask_scheduler: str = ""
) -> None:
    """The ingest, the partition runs and the cross-year check (``dg.materialize``); parsing on the
    Dask cluster at ``dask_scheduler`` when given."""
    storage = PipelineStorage(raw_dir=raw_dir, warehouse_dir=warehouse_dir, dask_scheduler=dask_scheduler)
    resources = {"storage": storage}
    with dg.instance_for_test() as instance:
        assert dg.materialize(ALL_ASSETS, selection=INGEST_KEYS, instance=instance, resources=resources).success
        for year, region in partitions:
            result = dg.materialize(
                ALL_ASSETS,
                selection=PARSE_KEYS,
                instance=instance,
                resources=resources,
                partition_key=str(report_partition_key(year, region)),
            )
            assert result.success
        assert dg.materialize(ALL_ASSETS, selection=[CROSS_YEAR], instance=instance, resources=resources).success


# --------------------------------------------------------------------------------------------
# Dask cluster on loopback
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[tuple[str, set[int]]]:
    """(scheduler address, worker pids) of a 2-process cluster listening on 127.0.0.1 only."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        preload=["gi_pipeline.report"],  # import the parser at worker start
    )
    try:
        with distributed.Client(cluster) as client:
            worker_pids = set(client.run(os.getpid).values())
        yield cluster.scheduler_address, worker_pids
    finally:
        cluster.close()


@pytest.mark.dask
@pytest.mark.slow
def test_parsing_on_a_dask_cluster_matches_the_local_run(tmp_path: Path, dask_cluster: tuple[str, set[int]]) -> None:
    distributed = pytest.importorskip("distributed")
    scheduler, worker_pids = dask_cluster
    assert scheduler.startswith("tcp://127.0.0.1:") and len(worker_pids) == 2
    raw_dir = str(bundled_sample_reports())
    url = (tmp_path / "dask").as_uri()  # file:///...: the warehouse handed to workers as a URL
    with distributed.Client(scheduler) as client, distributed.get_task_stream(client) as stream:
        single_process_run(raw_dir, url, BACKFILL, dask_scheduler=scheduler)
    single_process_run(raw_dir, str(tmp_path / "local"), BACKFILL)

    # Every file was parsed on the cluster's workers (one task per batch), none in this process.
    tasks = [t for t in stream.data if t["key"].startswith("_parse_batch")]
    files = sum(1 for p in bundled_sample_reports().iterdir() if p.is_file())
    assert tasks and len(tasks) == -(-files // parallel.BATCH_PER_WORKER)
    with distributed.Client(scheduler) as client:
        worker_addresses = set(client.scheduler_info()["workers"])
    assert {t["worker"] for t in tasks} <= worker_addresses

    assert warehouse.existing_partitions(url, v.TABLE_REPORTS) == sorted(BACKFILL)
    distributed_files, local_files = parquet_files(tmp_path / "dask"), parquet_files(tmp_path / "local")
    assert sorted(distributed_files) == sorted(local_files)
    assert {"_catalog/inventory.parquet", "quarantine/part-0.parquet", "cross_year_issues/part-0.parquet"} <= set(
        local_files
    )
    assert sum(name.startswith("reports/") for name in local_files) == len(BACKFILL)
    assert distributed_files == local_files


@pytest.mark.dask
@pytest.mark.slow
def test_many_batches_on_a_dask_cluster_come_back_in_order(tmp_path: Path, dask_cluster: tuple[str, set[int]]) -> None:
    scheduler, _ = dask_cluster
    samples = sorted(p for p in bundled_sample_reports().iterdir() if p.is_file())
    jobs = [
        parallel.ParseJob(f"{i:03d}_{p.name}", str(i), p.read_bytes()) for i, p in enumerate(samples * 15)
    ]  # 165 files: three batches
    with parallel.DaskPool(scheduler) as pool:
        assert pool.workers == 2
        on_cluster = list(parallel.parse_all(jobs, None, pool=pool))
    local = list(parallel.parse_all(jobs, None, workers=1))
    assert [o.source_file for o in on_cluster] == [j.source_file for j in jobs]
    assert on_cluster == local


# --------------------------------------------------------------------------------------------
# The warehouse at an object-store URL (fsspec's memory filesystem)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def memory_root() -> Iterator[str]:
    root = f"memory://gi-pipeline-test-{uuid.uuid4().hex}"
    yield root
    fs, path = fsspec.core.url_to_fs(root)
    if fs.exists(path):
        fs.rm(path, recursive=True)


def _requests(rows: int = 3, doc: str = "d1") -> pa.Table:
    data = [
        {"doc_id": doc, "row_key": key, "applicant": "total", "value": i}
        for i, key in enumerate(v.REQUEST_ROW_KEYS[:rows])
    ]
    return pa.Table.from_pylist(data, schema=SCHEMAS[v.TABLE_REQUESTS])


def _objects(root: str) -> dict[str, bytes]:
    fs, path = fsspec.core.url_to_fs(root)
    return {name.removeprefix(path + "/"): fs.cat_file(name) for name in sorted(fs.find(path))}


def test_url_roots_resolve() -> None:
    assert warehouse.is_url("s3://bucket/wh") and warehouse.is_url("file:///data/wh")
    assert not warehouse.is_url("/data/wh") and not warehouse.is_url(Path("relative"))
    assert warehouse.resolve_root("file:///data/wh/") == Path("/data/wh")  # file:// is a local directory
    assert warehouse.resolve_root("memory://wh/") == "memory://wh"
    assert warehouse.partition_dir("s3://bucket/wh", "requests", 2024, "640000") == (
        "s3://bucket/wh/requests/year=2024/region=640000"
    )
    assert warehouse.stage_dir("file:///data/wh", "normalized_text", 2024, "640000") == Path(
        "/data/wh/_stage/normalized_text/year=2024/region=640000"
    )
    assert PipelineStorage(raw_dir="r", warehouse_dir="s3://bucket/wh/").warehouse_path == "s3://bucket/wh"
    assert PipelineStorage(raw_dir="r", warehouse_dir="file:///data/wh").warehouse_path == Path("/data/wh")


def test_memory_warehouse_round_trip_matches_local_bytes(tmp_path: Path, memory_root: str) -> None:
    for root in (memory_root, tmp_path):
        warehouse.write_partition(root, v.TABLE_REQUESTS, 2024, "640000", _requests())
        warehouse.write_partition(root, v.TABLE_REQUESTS, 2021, "000000", _requests(2, doc="d2"))
        warehouse.write_table(root, v.TABLE_QUARANTINE, pa.Table.from_pylist([], schema=SCHEMAS[v.TABLE_QUARANTINE]))
    path = warehouse.write_partition(memory_root, v.TABLE_REQUESTS, 2023, "640000", _requests(1, doc="d3"))
    assert path == f"{memory_root}/requests/year=2023/region=640000/part-0.parquet"
    warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2023, "640000", _requests(1, doc="d3"))

    assert _objects(memory_root) == parquet_files(tmp_path)  # same names, same bytes
    assert warehouse.existing_partitions(memory_root, v.TABLE_REQUESTS) == [
        (2021, "000000"),
        (2023, "640000"),
        (2024, "640000"),
    ]
    for table in (v.TABLE_REQUESTS, v.TABLE_QUARANTINE, v.TABLE_REPORTS):
        remote, local = warehouse.scan(table, memory_root), warehouse.scan(table, tmp_path)
        assert remote.collect_schema() == local.collect_schema()
        sort = [c for c in ("year", "region", "doc_id", "row_key") if c in local.collect_schema()]
        assert remote.collect().sort(sort).equals(local.collect().sort(sort)), table
    only_2023 = warehouse.scan(v.TABLE_REQUESTS, memory_root).filter(pl.col("year") == 2023).collect()
    assert only_2023["doc_id"].to_list() == ["d3"] and only_2023.schema["year"] == pl.Int32
    read = warehouse.read_partition(memory_root, v.TABLE_REQUESTS, 2024, "640000", ["doc_id", "value"])
    assert read.num_rows == 3 and read.column_names == ["doc_id", "value"]
    assert warehouse.read_partition(memory_root, v.TABLE_REQUESTS, 2019, "640000", ["doc_id"]).num_rows == 0


def test_memory_warehouse_removes_stale_objects_and_empty_partitions(memory_root: str) -> None:
    fs, base = fsspec.core.url_to_fs(memory_root)
    warehouse.write_partition(memory_root, v.TABLE_REQUESTS, 2024, "640000", _requests())
    warehouse.write_partition(memory_root, v.TABLE_REQUESTS, 2024, "000000", _requests(doc="d2"))
    fs.pipe_file(f"{base}/requests/year=2024/region=640000/part-1.parquet", b"left by an older writer")
    warehouse.write_partition(memory_root, v.TABLE_REQUESTS, 2024, "640000", _requests(2))
    assert sorted(_objects(f"{memory_root}/requests")) == [
        "year=2024/region=000000/part-0.parquet",
        "year=2024/region=640000/part-0.parquet",
    ]
    assert warehouse.write_partition(memory_root, v.TABLE_REQUESTS, 2024, "640000", _requests(0)) is None
    assert warehouse.existing_partitions(memory_root, v.TABLE_REQUESTS) == [(2024, "000000")]
    assert warehouse.written_partitions(memory_root) == {(2024, "000000")}
    assert warehouse.write_partition(memory_root, v.TABLE_REQUESTS, 2024, "000000", _requests(0)) is None
    assert warehouse.existing_partitions(memory_root, v.TABLE_REQUESTS) == []
    assert warehouse.scan(v.TABLE_REQUESTS, memory_root).collect().height == 0
    with pytest.raises(FileNotFoundError, match="raw_inventory"):
        warehouse.read_catalog(memory_root)


def test_pipeline_writes_the_same_bytes_to_a_memory_warehouse(tmp_path: Path, memory_root: str) -> None:
    """The assets themselves, in this process, with the warehouse at a memory:// URL."""
    raw_dir = str(bundled_sample_reports())
    partitions = [(2023, "640000")]  # two reports
    single_process_run(raw_dir, memory_root, partitions)
    single_process_run(raw_dir, str(tmp_path / "local"), partitions)
    parquet = {name: data for name, data in _objects(memory_root).items() if name.endswith(".parquet")}
    assert parquet == parquet_files(tmp_path / "local")
    # Beside the Parquet files: the parse cache the inventory left for the partition runs, and the
    # manifests of what the partitions and the cross-year findings were built from.
    others = set(_objects(memory_root)) - set(parquet)
    assert all(name.startswith(("_stage/parsed/", "_stage/manifests/")) or name == "_stage/cross_year/manifest.json"
               for name in others)
    assert "_stage/manifests/year=2023/region=640000/manifest.json" in others
    # The catalog's mtimes are those of the same raw files: the two catalogs are equal.
    assert warehouse.read_catalog(memory_root).equals(warehouse.read_catalog(tmp_path / "local"))


def test_runs_execute_in_process() -> None:
    """Scale-out is the parse pool plus Dagster's run queue and launcher, not a step executor."""
    loaded = defs()
    assert {job.name: loaded.resolve_job_def(job.name).executor_def.name for job in loaded.jobs} == {
        "ingest": "in_process", "parse_partitions": "in_process", "cross_year": "in_process"
    }
