"""``gi-pipeline run``: the whole pipeline through Dagster, in this process, with readable progress.

Materializes ``raw_inventory`` (which parses every file, on one process per CPU, and registers the
region partitions), then one run over every (year, region) partition of the years with reports:
partitions with reports are written, partitions that still have files in the warehouse but no
reports any more are emptied (``gi_pipeline.inventory.partitions_to_write``).  Then
``cross_year_issues``.  Runs are recorded in the Dagster instance ``make dev`` opens --
``$DAGSTER_HOME``, else ``./.dagster_home`` -- so the UI shows what the CLI built; ``--ephemeral``
uses a throwaway in-memory instance instead (fastest: benchmarks use it).

Exit status: 0 when the pipeline ran (bad input files are quarantined, not failures), 1 when a run
failed, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import socket
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

import dagster as dg
import polars as pl
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from gi_pipeline import quality, warehouse
from gi_pipeline import vocabulary as v
from gi_pipeline.inventory import partitions_to_write
from gi_pipeline.partition_writer import partition_report_counts, plural
from gi_pipeline.progress import ProgressMeter
from gi_pipeline.years import YEARS

from .assets import ALL_ASSETS, CROSS_YEAR, INGEST_KEYS, RAW_INVENTORY, TABLE_KEYS, parse_reports
from .defs.common import PROGRESS_LOG
from .defs.partitions import REGION_DIMENSION, report_partition_key
from .defs.resources import DEFAULT_WAREHOUSE_DIR, PipelineStorage, bundled_sample_reports

# The Dagster home `make dev` opens, relative to where the command runs ($DAGSTER_HOME wins).
DEFAULT_DAGSTER_HOME = ".dagster_home"

# Dagster's console logger at WARNING: only our progress lines on a normal run.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gi-pipeline",
        description="Government information-disclosure annual reports to partitioned Parquet fact tables.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run",
        help="inventory the raw reports and (re)write every non-empty (year, region) partition",
        description=(
            "Materialize raw_inventory, then every (year, region) partition that has reports (and "
            "partitions with stale files but no reports, which are emptied) through Dagster."
        ),
    )
    run.add_argument(
        "--raw-dir",
        type=Path,
        default=None,
        help="directory of raw reports, read recursively (default: the bundled sample reports)",
    )
    run.add_argument(
        "--warehouse",
        default=DEFAULT_WAREHOUSE_DIR,
        help="warehouse directory, or fsspec URL such as s3://bucket/warehouse, to write (default: ./warehouse)",
    )
    run.add_argument(
        "--year",
        type=int,
        default=None,
        help=f"only write this year's partitions ({YEARS[0]}-{YEARS[-1]}); the inventory always covers all files",
    )
    run.add_argument(
        "--workers",
        type=int,
        default=0,
        help="processes that parse the raw files (default: one per CPU, or $GI_PIPELINE_PARSE_WORKERS)",
    )
    run.add_argument(
        "--ephemeral",
        action="store_true",
        help="record the runs in a throwaway in-memory Dagster instance (fastest; the UI will not see "
        f"them) instead of $DAGSTER_HOME or ./{DEFAULT_DAGSTER_HOME}",
    )
    return parser


def dagster_home() -> Path:
    """$DAGSTER_HOME, else ./.dagster_home (what `make dev` opens), absolute."""
    return Path(os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).expanduser().resolve()


# A new home's dagster.yaml (the CLI and `make dev` both create it through ensure_dagster_home):
# no telemetry; the UI's run queue starts at most this many runs at once (a backfill's partition
# runs wait their turn; see docs/scale-out.md for launchers that run them on other machines).
DAGSTER_YAML = """telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 4
"""


def require_free_port(port: int, host: str = "127.0.0.1") -> None:
    """Exit 1 with a message when ``port`` cannot be listened on (`make dev` calls this first:
    the webserver would log "Serving on" and then keep running with nothing listening)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the webserver binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            print(f"make dev: cannot listen on {host}:{port} ({exc.strerror}); another `make dev`? "
                  f"Stop it, or choose a port: make dev DEV_PORT={port + 1}", file=sys.stderr)
            sys.exit(1)


def ensure_dagster_home() -> Path:
    """``dagster_home()``, created with DAGSTER_YAML when new."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(DAGSTER_YAML)
    return home


@contextlib.contextmanager
def _instance(ephemeral: bool) -> Iterator[dg.DagsterInstance]:
    if ephemeral:
        with dg.DagsterInstance.ephemeral() as instance:
            yield instance
        return
    with dg.DagsterInstance.from_config(str(ensure_dagster_home())) as instance:
        yield instance


# Dagster's opt-in (dagster-io/dagster#29288): a run over a partition range logs one "planned" event
# per asset instead of one per asset and partition, but a failed run then does not mark its
# partitions failed.
_PLANNED_SUBSET_ENV = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"


@contextlib.contextmanager
def _planned_events_per_asset(instance: dg.DagsterInstance) -> Iterator[None]:
    """On an instance that does not persist (nobody reads it after the run), one planned event per
    asset (7 instead of 7 per partition: ~3 s of Dagster's bookkeeping at 140 partitions)."""
    if instance.is_persistent:
        yield
        return
    before = os.environ.get(_PLANNED_SUBSET_ENV)
    os.environ[_PLANNED_SUBSET_ENV] = "true"
    try:
        yield
    finally:
        if before is None:
            del os.environ[_PLANNED_SUBSET_ENV]
        else:
            os.environ[_PLANNED_SUBSET_ENV] = before


def _quiet_dagster() -> None:
    logging.getLogger("dagster").setLevel(logging.WARNING)
    for category in ("BetaWarning", "PreviewWarning", "SupersessionWarning"):
        cls = getattr(dg, category, None)
        if isinstance(cls, type) and issubclass(cls, Warning):
            warnings.filterwarnings("ignore", category=cls)


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    messages = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error if event.step_failure_data else None
        while error is not None and error.cause is not None:  # the user code's own exception
            error = error.cause
        messages.append(error.message.strip() if error is not None else event.message or "step failed")
    return "; ".join(messages) or "run failed"


def _materialization_metadata(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> dict:
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key == key:
            return {k: getattr(m, "value", m) for k, m in materialization.metadata.items()}
    return {}


def partition_range_tags(first_year: int, last_year: int, regions: Sequence[str]) -> dict[str, str]:
    """Run tags selecting every (year, region) partition of the years ``first_year..last_year``: a
    multi-partition key range is the box between its corners, and a dynamic dimension is ordered as
    its keys were added.  (Dagster's own tag names: materialize() has no partition-range argument.)"""
    return {
        ASSET_PARTITION_RANGE_START_TAG: str(report_partition_key(first_year, regions[0])),
        ASSET_PARTITION_RANGE_END_TAG: str(report_partition_key(last_year, regions[-1])),
    }


class _ProgressPrinter(logging.Handler):
    """Prints the runs' progress lines; a partition's line numbered among the run's targets; the
    inventory's counts of files parsed as a meter on stderr (``gi_pipeline.progress``)."""

    def __init__(self, targets: Sequence[tuple[int, str]], say: Callable[[str], None]):
        super().__init__(logging.INFO)
        self.numbers = {key: i for i, key in enumerate(targets, start=1)}
        self.say = say
        self.meter: ProgressMeter | None = None

    def emit(self, record: logging.LogRecord) -> None:
        partition = getattr(record, "partition", None)
        counts = getattr(record, "meter", None)
        if counts is not None:
            if self.meter is None:
                self.meter = ProgressMeter("inventory", unit="files parsed")
            self.meter.update(*counts)
        elif partition is None:
            self.say(record.getMessage())
        elif partition in self.numbers:
            self.say(f"[{self.numbers[partition]}/{len(self.numbers)}] {record.getMessage()}")


@contextlib.contextmanager
def _printing_progress(targets: Sequence[tuple[int, str]], say: Callable[[str], None]) -> Iterator[None]:
    handler = _ProgressPrinter(targets, say)
    level, propagate = PROGRESS_LOG.level, PROGRESS_LOG.propagate
    PROGRESS_LOG.addHandler(handler)
    PROGRESS_LOG.setLevel(logging.INFO)
    PROGRESS_LOG.propagate = False
    try:
        yield
    finally:
        if handler.meter is not None:
            handler.meter.close()
        PROGRESS_LOG.removeHandler(handler)
        PROGRESS_LOG.setLevel(level)
        PROGRESS_LOG.propagate = propagate


def _rows(warehouse_dir: warehouse.Root, table: str, year: int | None) -> int:
    frame = warehouse.scan(table, warehouse_dir)
    if year is not None and table not in v.UNPARTITIONED_TABLES:
        frame = frame.filter(pl.col("year") == year)
    return int(frame.select(pl.len()).collect().item())


def run(
    raw_dir: Path | None,
    warehouse_dir: Path | str,
    year: int | None,
    out: TextIO | None = None,
    workers: int = 0,
    ephemeral: bool = False,
) -> int:
    out = out or sys.stdout
    raw_dir = (raw_dir or bundled_sample_reports()).expanduser().resolve()
    warehouse_dir = warehouse.resolve_root(warehouse_dir)  # a local Path, or an fsspec URL as given
    if not raw_dir.is_dir():
        print(f"gi-pipeline: raw directory not found: {raw_dir}", file=sys.stderr)
        return 2
    if year is not None and year not in YEARS:
        print(f"gi-pipeline: --year must be within {YEARS[0]}-{YEARS[-1]}, got {year}", file=sys.stderr)
        return 2

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    _quiet_dagster()
    started = time.perf_counter()
    if workers < 0:
        print(f"gi-pipeline: --workers must be 0 (one per CPU) or more, got {workers}", file=sys.stderr)
        return 2
    storage = PipelineStorage(raw_dir=str(raw_dir), warehouse_dir=str(warehouse_dir), parse_workers=workers)
    resources = {"storage": storage}
    parse_keys = list(parse_reports.keys)
    with _instance(ephemeral) as instance:
        say(f"raw reports: {raw_dir}")
        say(f"warehouse:   {warehouse_dir}")
        say(f"dagster:     {'ephemeral instance' if ephemeral else dagster_home()}")

        def materialize(selection: Sequence[dg.AssetKey], tags: dict[str, str] | None = None) -> dg.ExecuteInProcessResult:
            return dg.materialize(
                ALL_ASSETS,
                selection=selection,
                instance=instance,
                resources=resources,
                tags=tags,
                run_config=QUIET_RUN_CONFIG,
                raise_on_error=False,
            )

        # GX takes seconds to import: do it while the inventory's worker processes parse.
        quality.preload()
        with _printing_progress([], say):
            result = materialize(INGEST_KEYS)
        if not result.success:
            say(f"raw_inventory FAILED: {_failure_message(result)}")
            return 1
        inventory = _materialization_metadata(result, RAW_INVENTORY)
        say(
            f"inventory: {plural(inventory.get('files', 0), 'file')}, {plural(inventory.get('reports', 0), 'report')}, "
            f"{plural(inventory.get('duplicates', 0), 'duplicate')}, {inventory.get('quarantined', 0)} quarantined "
            f"({time.perf_counter() - started:.1f} s)"
        )

        counts = partition_report_counts(warehouse.read_catalog(warehouse_dir))
        # Every non-empty partition, and those with stale files (emptied); the ingest registered
        # their regions.
        targets, stale = partitions_to_write(counts, warehouse.written_partitions(warehouse_dir), year)
        wanted = [key for key in targets if key not in stale]
        failed: list[str] = []
        if targets:
            # One run over the years' partitions (a partition-key range, as a backfill makes): it
            # writes them a batch at a time and empties those with stale files.
            years = sorted({y for y, _ in targets})
            t = time.perf_counter()
            regions = instance.get_dynamic_partitions(REGION_DIMENSION)
            with _printing_progress(targets, say), _planned_events_per_asset(instance):
                result = materialize(parse_keys, tags=partition_range_tags(years[0], years[-1], regions))
            if result.success:
                meta = _materialization_metadata(result, TABLE_KEYS[v.TABLE_REPORTS])
                failed_checks = sorted({e.check_name for e in result.get_asset_check_evaluations() if not e.passed})
                say(
                    f"partitions: {plural(meta.get('reports_parsed', 0), 'report')} in "
                    f"{plural(len(targets), 'partition')}, {plural(meta.get('error_issues', 0), 'error')}, "
                    f"{plural(meta.get('warning_issues', 0), 'warning')}"
                    f"{'; checks failed: ' + ', '.join(failed_checks) if failed_checks else ''} "
                    f"({time.perf_counter() - t:.1f} s)"
                )
            else:
                failed.append(f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0]))
                say(f"partitions FAILED: {_failure_message(result)}")

        t = time.perf_counter()
        result = materialize([CROSS_YEAR])
        if result.success:
            found = _materialization_metadata(result, CROSS_YEAR).get("dagster/row_count", 0)
            say(f"cross-year consistency: {plural(found, 'finding')} ({time.perf_counter() - t:.2f} s)")
        else:
            failed.append("cross_year_issues")
            say(f"cross-year consistency: FAILED: {_failure_message(result)}")

    elapsed = time.perf_counter() - started
    scope = f"year {year}" if year is not None else "all years"
    say("")
    say(f"warehouse tables ({scope}):")
    for name in v.PARTITIONED_TABLES:
        say(f"  {name:<18} {_rows(warehouse_dir, name, year):>8} rows")
    say(f"  {v.TABLE_QUARANTINE:<18} {_rows(warehouse_dir, v.TABLE_QUARANTINE, None):>8} files (all years)")
    say(f"  {v.TABLE_CROSS_YEAR_ISSUES:<18} {_rows(warehouse_dir, v.TABLE_CROSS_YEAR_ISSUES, None):>8} rows (all years)")
    say(
        f"{sum(counts[k] for k in wanted)} reports in {len(wanted)} partitions"
        f"{f', {len(stale)} stale partitions emptied' if stale else ''}; "
        f"{inventory.get('quarantined', 0)} files quarantined; {elapsed:.1f} s"
    )
    if failed:
        say(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["explain"]:  # `gi-pipeline explain RAW_FILE [-o OUT.html]`: its options are its own
        from gi_pipeline.explain import main as explain

        return explain(argv[1:])
    args = _parser().parse_args(argv)
    if args.command == "run":
        return run(args.raw_dir, args.warehouse, args.year, workers=args.workers, ephemeral=args.ephemeral)
    return 2  # pragma: no cover - argparse enforces the subcommand


if __name__ == "__main__":
    sys.exit(main())
