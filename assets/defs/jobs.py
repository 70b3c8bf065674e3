"""Jobs, and the executor their steps run on.

Three asset jobs cover the graph (``ingest``, ``parse_partitions`` -- partitioned by (year, region),
what a backfill and the partitions sensor run -- and ``cross_year``).  Every run executes in one
process (the in-process executor): a run is one or two steps, and the multiprocess executor would
spend far longer starting a process per step than the work takes.  Parallelism comes from elsewhere
(docs/scale-out.md): the inventory parses on a pool of processes or a Dask cluster
(``PipelineStorage.dask_scheduler``), and partition runs go in parallel through the instance's run
queue and run launcher.
"""

from __future__ import annotations

import dagster as dg

from .common import CROSS_YEAR, INGEST_KEYS
from .facts import parse_reports

INGEST_JOB = "ingest"
PARTITIONS_JOB = "parse_partitions"
CROSS_YEAR_JOB = "cross_year"

ingest_job = dg.define_asset_job(
    INGEST_JOB,
    selection=INGEST_KEYS,
    description="Catalog the raw directory, write the quarantine table, register region partitions.",
)
partitions_job = dg.define_asset_job(
    PARTITIONS_JOB,
    selection=list(parse_reports.keys),  # partitioned like parse_reports: by (year, region)
    description="Parse (year, region) partitions and write their tables (what a backfill runs).",
)
cross_year_job = dg.define_asset_job(
    CROSS_YEAR_JOB,
    selection=[CROSS_YEAR],
    description="Check consecutive reports of the same agency against each other.",
)

defs = dg.Definitions(jobs=[ingest_job, partitions_job, cross_year_job], executor=dg.in_process_executor)
