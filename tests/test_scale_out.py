"""Scale-out: a backfill on a Dask cluster over loopback writes the same bytes as one process, and
the warehouse works at an fsspec URL (docs/scale-out.md).

* ``test_backfill_on_a_dask_cluster_matches_the_single_process_run``: a 2-worker
  ``distributed.LocalCluster`` (separate processes, 127.0.0.1 only) stands in for machines; the ingest,
  four partition runs (two at a time, from two processes, as a run launcher would) and the
  cross-year check run with ``GI_PIPELINE_EXECUTOR=dask``'s executor into a ``file://`` warehouse
  URL.  Every Parquet file must equal, byte for byte, what the in-process executor writes for the
  same runs into a plain directory.
* The ``memory://`` tests drive the object-store code path of ``gi_pipeline.warehouse`` (one PUT per
  object, prefix listing, stale-object removal, pyarrow-dataset scans).  fsspec's memory filesystem
  lives in one process, so they run in this one.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import dagster as dg
import fsspec
import polars as pl
import pyarrow as pa
import pytest
from dagster._core.events import DagsterEventType

from assets import jobs
from assets.assets import ALL_ASSETS, CROSS_YEAR, QUARANTINE, RAW_INVENTORY, parse_reports
from assets.partitions import report_partition_key
from assets.resources import PipelineStorage, bundled_sample_reports
from gi_pipeline import vocabulary as v
from gi_pipeline import warehouse
from gi_pipeline.schema import SCHEMAS

PARSE_KEYS = list(parse_reports.keys)
INGEST_KEYS = [RAW_INVENTORY, QUARANTINE]
# Four (year, region) partitions of the bundled sample reports: two regions twice, one partition
# with two reports, one whose identity check fails (a WARN check: the run still succeeds).
BACKFILL = [(2020, "430000"), (2023, "640000"), (2024, "640000"), (2025, "360000")]


def parquet_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


def partition_tag(year: int, region: str) -> dict[str, str]:
    return {"dagster/partition": str(report_partition_key(year, region))}


@pytest.fixture(autouse=True)
def _no_dagster_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)


def single_process_run(raw_dir: str, warehouse_dir: str, partitions: list[tuple[int, str]]) -> None:
    """The reference: the same runs with the in-process executor (``dg.materialize``)."""
    resources = {"storage": PipelineStorage(raw_dir=raw_dir, warehouse_dir=warehouse_dir)}
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
    pytest.importorskip("dagster_dask")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        preload=["assets.dask_executor"],  # import the pipeline and GX at worker start
    )
    try:
        with distributed.Client(cluster) as client:
            worker_pids = set(client.run(os.getpid).values())
        yield cluster.scheduler_address, worker_pids
    finally:
        cluster.close()


def test_backfill_on_a_dask_cluster_matches_the_single_process_run(
    tmp_path: Path, dask_cluster: tuple[str, set[int]]
) -> None:
    scheduler, worker_pids = dask_cluster
    assert scheduler.startswith("tcp://127.0.0.1:") and len(worker_pids) == 2
    raw_dir = str(bundled_sample_reports())
    url = (tmp_path / "dask").as_uri()  # file:///...: the warehouse handed to workers as a URL
    job_kwargs = {"raw_dir": raw_dir, "warehouse_dir": url, "executor": jobs.DASK, "dask_scheduler": scheduler}
    (tmp_path / "dagster_home").mkdir()
    # Two processes to launch the partition runs from, as Dagster's run launcher does (one process
    # per run); started now so they import the pipeline while the ingest runs.
    spawn = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(2, mp_context=spawn, initializer=importlib.import_module, initargs=(jobs.__name__,))
    for _ in range(2):
        pool.submit(os.getpid)
    # The Dask executor needs an instance every worker can open (here: SQLite files in a shared
    # directory; across machines: Postgres).
    with pool, dg.instance_for_test(temp_dir=str(tmp_path / "dagster_home")) as instance:
        ref = instance.get_ref()
        ingest_id, ok = jobs.execute_run(ref, jobs.INGEST_JOB, **job_kwargs)
        assert ok
        assert instance.get_dynamic_partitions("region")  # registered by the worker
        # The backfill: one run per partition, two at a time; two runs of the same job share the
        # cluster at once, which dagster-dask's own executor gets wrong (assets/dask_executor.py).
        futures = {
            key: pool.submit(jobs.execute_run, ref, jobs.PARTITIONS_JOB, partition_tag(*key), **job_kwargs)
            for key in BACKFILL
        }
        # Meanwhile, the reference: the same runs in this process with the in-process executor.
        single_process_run(raw_dir, str(tmp_path / "local"), BACKFILL)
        partition_runs = {key: future.result(timeout=300) for key, future in futures.items()}
        cross_year_id, ok = jobs.execute_run(ref, jobs.CROSS_YEAR_JOB, **job_kwargs)
        assert ok

        assert all(ok for _, ok in partition_runs.values()), partition_runs
        for run_id in [ingest_id, *(run_id for run_id, _ in partition_runs.values()), cross_year_id]:
            starts = instance.all_logs(run_id, of_type=DagsterEventType.STEP_START)
            step_pids = {record.dagster_event.pid for record in starts}
            assert len(starts) == 1 and step_pids <= worker_pids, (run_id, step_pids, worker_pids)
        for key, (run_id, _) in partition_runs.items():
            materialized = instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
            partitions = {record.dagster_event.partition for record in materialized}
            assert partitions == {str(report_partition_key(*key))}, (key, partitions)

    assert warehouse.existing_partitions(url, v.TABLE_REPORTS) == sorted(BACKFILL)
    distributed_files, local_files = parquet_files(tmp_path / "dask"), parquet_files(tmp_path / "local")
    assert sorted(distributed_files) == sorted(local_files)
    assert {"_catalog/inventory.parquet", "quarantine/part-0.parquet", "cross_year_issues/part-0.parquet"} <= set(
        local_files
    )
    assert sum(name.startswith("reports/") for name in local_files) == len(BACKFILL)
    assert distributed_files == local_files


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
    # Beside the Parquet files: the parse cache the inventory left for the partition runs.
    assert all(name.startswith("_stage/parsed/") for name in set(_objects(memory_root)) - set(parquet))
    assert warehouse.read_catalog(memory_root).equals(warehouse.read_catalog(tmp_path / "local"))


def test_executor_from_env() -> None:
    assert jobs.executor_from_env({}) is dg.in_process_executor
    assert jobs.executor_from_env({jobs.EXECUTOR_ENV: "in_process"}) is dg.in_process_executor
    with pytest.raises(ValueError, match="GI_PIPELINE_EXECUTOR"):
        jobs.executor_from_env({jobs.EXECUTOR_ENV: "celery"})
    pytest.importorskip("dagster_dask")
    executor = jobs.executor_from_env({jobs.EXECUTOR_ENV: "dask", jobs.DASK_SCHEDULER_ENV: "tcp://10.0.0.5:8786"})
    assert executor.name == "dask"
    assert jobs.dask_cluster_config("tcp://10.0.0.5:8786") == {
        "cluster": {"existing": {"address": "tcp://10.0.0.5:8786"}}
    }
    assert jobs.dask_cluster_config(None, 3)["cluster"]["local"]["n_workers"] == 3
    job = jobs.pipeline_job(jobs.PARTITIONS_JOB, raw_dir="/raw", warehouse_dir="s3://bucket/wh", executor="dask")
    assert job.executor_def.name == "dask" and job.partitions_def is not None
