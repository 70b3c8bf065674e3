"""Jobs and executors: the in-process executor by default, a Dask cluster to scale out.

Three asset jobs cover the graph (``ingest``, ``parse_partitions`` -- partitioned by (year, region),
what a backfill runs -- and ``cross_year``).  Which executor runs their steps is chosen by the
environment of the code location (``assets.definitions``):

* ``GI_PIPELINE_EXECUTOR`` unset or ``in_process``: every step runs in the run's own process (the
  default: a run is one or two cheap steps, see ``assets.definitions``).
* ``GI_PIPELINE_EXECUTOR=dask``: each step is sent to a Dask cluster (``assets.dask_executor``: the
  dagster-dask executor with a fix for concurrent runs; the ``scale`` extra).
  ``GI_PIPELINE_DASK_SCHEDULER=tcp://host:8786`` names an existing cluster (``dask scheduler`` plus
  ``dask worker`` processes on as many machines as wanted); unset, each run starts a ``LocalCluster``
  of ``GI_PIPELINE_DASK_WORKERS`` (default 2) worker processes on this machine.

Dask workers re-create the job from code (a ``ReconstructableJob``) and write the warehouse
themselves, so the raw directory and the warehouse root must be reachable from every worker under
the same names (a shared mount, or the warehouse on object storage as an fsspec URL) and the Dagster
instance must be one every worker can open.  See docs/scale-out.md.

``pipeline_job`` / ``reconstructable_job`` build a job with everything passed explicitly instead of
read from the environment: that is how a job is handed to workers in tests and scripts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

import dagster as dg

from .assets import CROSS_YEAR, QUARANTINE, RAW_INVENTORY, parse_reports

if TYPE_CHECKING:
    from dagster._core.instance.ref import InstanceRef

EXECUTOR_ENV = "GI_PIPELINE_EXECUTOR"
DASK_SCHEDULER_ENV = "GI_PIPELINE_DASK_SCHEDULER"
DASK_WORKERS_ENV = "GI_PIPELINE_DASK_WORKERS"

IN_PROCESS = "in_process"
DASK = "dask"
EXECUTORS = (IN_PROCESS, DASK)
DEFAULT_DASK_WORKERS = 2

INGEST_JOB = "ingest"
PARTITIONS_JOB = "parse_partitions"
CROSS_YEAR_JOB = "cross_year"

JOBS = [
    dg.define_asset_job(
        INGEST_JOB,
        selection=[RAW_INVENTORY, QUARANTINE],
        description="Catalog the raw directory, write the quarantine table, register region partitions.",
    ),
    dg.define_asset_job(
        PARTITIONS_JOB,
        selection=list(parse_reports.keys),  # partitioned like parse_reports: by (year, region)
        description="Parse one (year, region) partition and write its tables (what a backfill runs).",
    ),
    dg.define_asset_job(
        CROSS_YEAR_JOB,
        selection=[CROSS_YEAR],
        description="Check consecutive reports of the same agency against each other.",
    ),
]


def dask_cluster_config(scheduler: str | None = None, workers: int | None = None) -> dict:
    """``dask_executor`` config: an existing scheduler, else a LocalCluster of ``workers`` processes
    (one thread each) on loopback, started and closed by each run."""
    if scheduler:
        return {"cluster": {"existing": {"address": scheduler}}}
    n = workers or DEFAULT_DASK_WORKERS
    return {"cluster": {"local": {"n_workers": n, "processes": True, "host": "127.0.0.1", "dashboard_address": ":0"}}}


def executor_def(
    kind: str = IN_PROCESS, dask_scheduler: str | None = None, dask_workers: int | None = None
) -> dg.ExecutorDefinition:
    """The executor called ``kind`` (``in_process`` or ``dask``), configured."""
    if kind in ("", IN_PROCESS):
        return dg.in_process_executor
    if kind == DASK:
        try:
            from .dask_executor import dask_executor
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError(
                f"{EXECUTOR_ENV}=dask needs dagster-dask and distributed: pip install 'gi-pipeline[scale]'"
            ) from exc
        return dask_executor.configured(dask_cluster_config(dask_scheduler, dask_workers), name=DASK)
    raise ValueError(f"{EXECUTOR_ENV} must be one of {', '.join(EXECUTORS)}, got {kind!r}")


def executor_from_env(environ: Mapping[str, str] | None = None) -> dg.ExecutorDefinition:
    """The executor the environment asks for (see the module docstring); in-process by default."""
    env = os.environ if environ is None else environ
    workers = env.get(DASK_WORKERS_ENV)
    return executor_def(
        env.get(EXECUTOR_ENV, IN_PROCESS).strip().lower(),
        dask_scheduler=env.get(DASK_SCHEDULER_ENV) or None,
        dask_workers=int(workers) if workers else None,
    )


def pipeline_job(
    job_name: str,
    raw_dir: str | None = None,
    warehouse_dir: str | None = None,
    executor: str = IN_PROCESS,
    dask_scheduler: str | None = None,
    dask_workers: int | None = None,
) -> dg.JobDefinition:
    """Job ``job_name`` of the code location, with explicit storage and executor (None: the
    environment's defaults).  Module-level and deterministic, so workers can rebuild it."""
    from .definitions import build_definitions  # definitions imports this module

    defs = build_definitions(
        raw_dir=raw_dir,
        warehouse_dir=warehouse_dir,
        executor=executor_def(executor, dask_scheduler, dask_workers),
    )
    return defs.resolve_job_def(job_name)


def reconstructable_job(job_name: str, **kwargs: object) -> dg.ReconstructableJob:
    """``pipeline_job(job_name, **kwargs)`` as a job other processes rebuild by importing this module,
    for ``dg.execute_job`` (executors that run steps elsewhere need one)."""
    return dg.build_reconstructable_job(
        __name__, pipeline_job.__name__, reconstructable_kwargs={"job_name": job_name, **kwargs}
    )


def execute_run(
    instance_ref: InstanceRef, job_name: str, tags: Mapping[str, str] | None = None, **job_kwargs: object
) -> tuple[str, bool]:
    """Execute one run of ``job_name`` in this process on the instance ``instance_ref`` points to;
    return (run_id, success).  What one process of Dagster's default run launcher does: runs of a
    backfill go to separate processes (e.g. a ``ProcessPoolExecutor``), their steps to the executor."""
    with (
        dg.DagsterInstance.from_ref(instance_ref) as instance,
        dg.execute_job(
            reconstructable_job(job_name, **job_kwargs), instance=instance, tags=dict(tags or {}), raise_on_error=False
        ) as result,
    ):
        return result.run_id, result.success
