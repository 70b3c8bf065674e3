"""The one place the Dagster code location is assembled (``defs``), loaded by workspace.yaml."""

from __future__ import annotations

import dagster as dg

from .assets import ALL_ASSETS
from .resources import PipelineStorage, default_raw_dir, default_warehouse_dir
from .sensors import raw_files_sensor

# Raw dir: $GI_PIPELINE_RAW_DIR, else the bundled sample reports.
# Warehouse: $GI_PIPELINE_WAREHOUSE_DIR, else ./warehouse (relative to where `dagster dev` runs).
storage = PipelineStorage(raw_dir=default_raw_dir(), warehouse_dir=default_warehouse_dir())

defs = dg.Definitions(
    assets=ALL_ASSETS,
    sensors=[raw_files_sensor],
    resources={"storage": storage},
    # Each run has two small steps at most and parsing is cheap: the multiprocess executor would
    # spend far longer starting a process per step than the work takes.  Parallelism comes from
    # the backfill policy's several runs instead.
    executor=dg.in_process_executor,
)
