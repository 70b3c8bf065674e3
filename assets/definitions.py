"""The one place the Dagster code location is assembled (``defs``), loaded by workspace.yaml."""

from __future__ import annotations

import dagster as dg

from .assets import ALL_ASSETS
from .jobs import JOBS, executor_from_env
from .resources import PipelineStorage, default_raw_dir, default_warehouse_dir
from .sensors import raw_files_sensor


def build_definitions(
    raw_dir: str | None = None, warehouse_dir: str | None = None, executor: dg.ExecutorDefinition | None = None
) -> dg.Definitions:
    """The code location; arguments left None come from the environment (see below)."""
    storage = PipelineStorage(
        raw_dir=raw_dir or default_raw_dir(), warehouse_dir=warehouse_dir or default_warehouse_dir()
    )
    return dg.Definitions(
        assets=ALL_ASSETS,
        jobs=JOBS,
        sensors=[raw_files_sensor],
        resources={"storage": storage},
        # Default: in-process.  Each run has two small steps at most and parsing is cheap: the
        # multiprocess executor would spend far longer starting a process per step than the work
        # takes; parallelism comes from the backfill policy's several runs instead.
        # $GI_PIPELINE_EXECUTOR=dask sends the steps to a Dask cluster instead (assets/jobs.py,
        # docs/scale-out.md).
        executor=executor or executor_from_env(),
    )


# Raw dir: $GI_PIPELINE_RAW_DIR, else the bundled sample reports.
# Warehouse: $GI_PIPELINE_WAREHOUSE_DIR (a directory or an fsspec URL such as s3://bucket/wh), else
# ./warehouse (relative to where `dagster dev` runs).
# Executor: $GI_PIPELINE_EXECUTOR (in_process | dask), $GI_PIPELINE_DASK_SCHEDULER, $GI_PIPELINE_DASK_WORKERS.
defs = build_definitions()
