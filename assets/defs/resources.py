"""Resources: where the raw reports are read from and where the warehouse is written."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from pydantic import Field

from gi_pipeline import explain_pages, parallel, warehouse

from ..defaults import DEFAULT_WAREHOUSE_DIR, bundled_sample_reports

RAW_DIR_ENV = "GI_PIPELINE_RAW_DIR"
WAREHOUSE_DIR_ENV = "GI_PIPELINE_WAREHOUSE_DIR"
PARSE_WORKERS_ENV = "GI_PIPELINE_PARSE_WORKERS"
DASK_SCHEDULER_ENV = "GI_PIPELINE_DASK_SCHEDULER"


def default_raw_dir() -> str:
    return os.environ.get(RAW_DIR_ENV) or str(bundled_sample_reports())


def default_warehouse_dir() -> str:
    """$GI_PIPELINE_WAREHOUSE_DIR (a directory, or an fsspec URL such as s3://bucket/warehouse), else
    ./warehouse; local directories are made absolute here, URLs are kept as they are."""
    value = os.environ.get(WAREHOUSE_DIR_ENV) or DEFAULT_WAREHOUSE_DIR
    return value if warehouse.is_url(value) else os.path.abspath(value)


class PipelineStorage(dg.ConfigurableResource):
    """The raw-report directory (read only) and the Parquet warehouse (written): a directory or an
    fsspec URL (``file://``, ``s3://`` ...; see ``gi_pipeline.warehouse``)."""

    raw_dir: str = Field(description="Directory of raw annual reports, read recursively.")
    warehouse_dir: str = Field(
        description="Root of the Parquet warehouse (hive-partitioned tables): a directory or an fsspec URL."
    )

    parse_workers: int = Field(
        default=0,
        description="Processes that parse the raw files in the inventory; 0 = one per CPU "
        f"(${PARSE_WORKERS_ENV} when set).",
    )

    dask_scheduler: str = Field(
        default="",
        description="Address of a running dask.distributed scheduler (tcp://host:8786) to parse the raw "
        f"files on instead of local processes (${DASK_SCHEDULER_ENV} when set); the raw directory "
        "need not be shared, the warehouse (parse cache) must be reachable from every Dask worker.",
    )

    explain_pages: int = Field(
        default=explain_pages.PAGES_PER_PARTITION,
        description="Explain pages (gi-pipeline explain) written beside each partition for its flagged "
        "reports, the first by source file; 0 = none. A page costs ~10-15 ms and ~170 KB; the reports "
        "metadata lists them and counts the rest.",
    )

    lock_wait_seconds: float = Field(
        default=0.0,
        description="How long an ingest run waits for another run writing the same warehouse to finish "
        "before it fails with a message naming that run (one writer at a time).",
    )

    @contextlib.contextmanager
    def parse_pool(self) -> Iterator[parallel.DaskPool | None]:
        """The Dask cluster to parse on, connected (None: local processes, ``workers`` of them)."""
        address = self.dask_scheduler or os.environ.get(DASK_SCHEDULER_ENV, "")
        if not address:
            yield None
            return
        with parallel.DaskPool(address) as pool:
            yield pool

    @property
    def workers(self) -> int:
        """``parse_workers``, or $GI_PIPELINE_PARSE_WORKERS, or one per CPU."""
        configured = self.parse_workers or int(os.environ.get(PARSE_WORKERS_ENV) or 0)
        return configured if configured > 0 else parallel.default_workers()

    @property
    def raw_path(self) -> Path:
        return Path(self.raw_dir).expanduser().resolve()

    @property
    def warehouse_path(self) -> warehouse.Location:
        """A local warehouse (a directory or a ``file://`` URL) as an absolute Path; any other fsspec
        URL as a string, which every ``gi_pipeline.warehouse`` function accepts as its root."""
        return warehouse.resolve_root(self.warehouse_dir)


# Raw dir: $GI_PIPELINE_RAW_DIR, else the bundled sample reports.  Warehouse: $GI_PIPELINE_WAREHOUSE_DIR
# (a directory or an fsspec URL such as s3://bucket/wh), else ./warehouse (relative to where the code
# server runs).  Parsing: $GI_PIPELINE_PARSE_WORKERS local processes, or $GI_PIPELINE_DASK_SCHEDULER.
defs = dg.Definitions(
    resources={"storage": PipelineStorage(raw_dir=default_raw_dir(), warehouse_dir=default_warehouse_dir())}
)
