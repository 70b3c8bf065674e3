"""``gi-pipeline run``: the whole pipeline through Dagster, in this process, with readable progress.

Materializes ``raw_inventory`` (which parses every file, on one process per CPU, and registers the
region partitions), then one run over every (year, region) partition of the years with reports:
partitions with reports are written, partitions that still have files in the warehouse but no
reports any more are emptied (``gi_pipeline.inventory.partitions_to_write``).  Then
``cross_year_issues``.  Runs are recorded in the Dagster instance ``make dev`` opens --
``$DAGSTER_HOME``, else ``./.dagster_home`` -- so the UI shows what the CLI built; ``--ephemeral``
uses a throwaway in-memory instance instead (fastest: benchmarks use it).

Before anything is written the run checks its environment (the warehouse and parse cache can be
written, the disk has room, the warehouse URL is persistent), takes the warehouse lock (one writer
at a time; ``--wait`` seconds for another run to finish), removes temporary files dead writers left,
marks runs of this instance left STARTED by a killed CLI as failed, and lists the raw directory:
a missing or empty one is an error, files it cannot see keep their facts, and a removal of more than
10% of the catalogued reports (or of a whole year) needs ``--allow-removals``.

Exit status: 0 when the pipeline ran (bad input files are quarantined, not failures), 1 when a run
failed, 2 on a usage error, 3 when the run stopped before writing anything (the message says why:
environment, lock, raw directory, removals to confirm), 4 when it ran but parts of the raw directory
could not be read (their files' facts are kept as they were; the message names them).
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

from gi_pipeline import cross_year, lock, manifest, parse_cache, preflight, quality, raw_listing, removals, warehouse
from gi_pipeline import vocabulary as v
from gi_pipeline.inventory import changes_since_catalog, check_raw_dir, partitions_to_write
from gi_pipeline.partition_writer import partition_report_counts, plural
from gi_pipeline.processes import pid_alive, process_start_ticks, this_host
from gi_pipeline.progress import ProgressMeter
from gi_pipeline.years import YEARS

from .assets import ALL_ASSETS, CROSS_YEAR, INGEST_KEYS, RAW_INVENTORY, TABLE_KEYS, parse_reports
from .defs.common import KEPT_PARTITIONS, PROGRESS_LOG, VERIFY_TAG
from .defs.partitions import REGION_DIMENSION, report_partition_key, split_partition_key
from .defs.resources import DEFAULT_WAREHOUSE_DIR, PipelineStorage, bundled_sample_reports
from .defs.writer import writing

# Errors that stop a run before it writes anything: one message, exit status 3, no traceback.
STOPPED = (preflight.PreflightError, lock.WarehouseLocked, raw_listing.RawRootError, removals.RemovalsRefused,
           parse_cache.CacheUnwritable)
EXIT_STOPPED = 3
EXIT_INCOMPLETE = 4

# Tags of the runs the CLI launches: the process that runs them, so a later CLI can tell a run left
# STARTED by a killed CLI (its process is gone) from one still running.
PID_TAG = "gi_pipeline/cli_pid"
PID_STARTED_TAG = "gi_pipeline/cli_pid_started"
HOST_TAG = "gi_pipeline/cli_host"

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
        "--allow-removals",
        action="store_true",
        help="confirm a large removal: let this run drop the facts of more than 10%% of the catalogued "
        "reports, or of every report of a year, whose files are gone from the raw directory",
    )
    run.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another run writing the same warehouse to finish (default: exit at once)",
    )
    run.add_argument(
        "--ephemeral",
        action="store_true",
        help="record the runs in a throwaway in-memory Dagster instance (fastest; the UI will not see "
        f"them) instead of $DAGSTER_HOME or ./{DEFAULT_DAGSTER_HOME}",
    )
    run.add_argument(
        "--verify",
        action="store_true",
        help="read and hash every raw file (default: a file whose size and mtime match the catalog is "
        "trusted without reading it)",
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


def _cli_tags() -> dict[str, str]:
    pid = os.getpid()
    return {PID_TAG: str(pid), PID_STARTED_TAG: str(process_start_ticks(pid) or ""), HOST_TAG: this_host()}


def fail_dead_cli_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the runs a CLI of this host left STARTED when it was killed (its process is gone);
    returns their ids.  Runs of the UI or the daemon carry no CLI tags and are left to Dagster."""
    dead = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED],
                                                       tags={HOST_TAG: this_host()})):
        started = run.tags.get(PID_STARTED_TAG)
        if not pid_alive(int(run.tags.get(PID_TAG, 0)), int(started) if started else None):
            instance.report_run_failed(run, message=f"the gi-pipeline CLI that ran it (pid {run.tags.get(PID_TAG)}) "
                                                    "is gone: killed before the run ended")
            dead.append(run.run_id)
    return dead


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    messages = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error if event.step_failure_data else None
        while error is not None and error.cause is not None:  # the user code's own exception
            error = error.cause
        text = error.message.strip() if error is not None else event.message or "step failed"
        messages.append(text.removeprefix("dagster._core.definitions.events.Failure: "))
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


# More runs than this for the changed partitions alone: one run over the whole box instead (its
# unchanged partitions are skipped by their manifests, but get a materialization event).
MAX_PARTITION_RUNS = 20


def partition_runs(
    changed: set[tuple[int, str]], free: set[tuple[int, str]], regions: Sequence[str]
) -> list[dict[str, str]] | None:
    """The runs (as range tags) that cover exactly the ``changed`` partitions, plus any of the
    ``free`` ones (no reports and no files: a run over them writes nothing) that join two ranges:
    one box over every year when that covers no other partition, else per year one range per
    stretch of consecutive regions (in the dynamic dimension's order).  None when that takes more
    than MAX_PARTITION_RUNS runs."""
    if not changed:
        return []
    years = sorted({y for y, _ in changed})
    box = {(y, r) for y in range(years[0], years[-1] + 1) for r in regions}
    if box <= changed | free:
        return [partition_range_tags(years[0], years[-1], regions)]
    runs: list[dict[str, str]] = []
    for year in years:
        stretch: list[str] = []
        pending: list[str] = []  # free regions after the stretch, kept only if it goes on
        for region in regions:
            if (year, region) in changed:
                stretch += [*pending, region]
                pending = []
            elif (year, region) in free and stretch:
                pending.append(region)
            elif stretch:
                runs.append(partition_range_tags(year, year, [stretch[0], stretch[-1]]))
                stretch, pending = [], []
        if stretch:
            runs.append(partition_range_tags(year, year, [stretch[0], stretch[-1]]))
    return runs if len(runs) <= MAX_PARTITION_RUNS else None


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


def _raw_files_changed(raw_dir: Path, warehouse_dir: warehouse.Root) -> bool:
    """Whether the raw directory differs from the catalog (files listed and stat'ed only)."""
    try:
        catalog = warehouse.read_catalog(warehouse_dir)
    except FileNotFoundError:
        return True
    return bool(changes_since_catalog(raw_dir, catalog))


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
    allow_removals: bool = False,
    wait: float = 0.0,
    verify: bool = False,
) -> int:
    out = out or sys.stdout
    raw_dir = (raw_dir or bundled_sample_reports()).expanduser().resolve()
    warehouse_dir = warehouse.resolve_root(warehouse_dir)  # a local Path, or an fsspec URL as given
    if year is not None and year not in YEARS:
        print(f"gi-pipeline: --year must be within {YEARS[0]}-{YEARS[-1]}, got {year}", file=sys.stderr)
        return 2
    if workers < 0:
        print(f"gi-pipeline: --workers must be 0 (one per CPU) or more, got {workers}", file=sys.stderr)
        return 2

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    _quiet_dagster()
    try:
        # Environment, lock, dead writers' leftovers: before anything is read or written.
        with writing(warehouse_dir, owner="gi-pipeline CLI", wait=wait) as removed, _instance(ephemeral) as instance:
            if removed:
                say(f"removed {plural(len(removed), 'temporary file')} of dead writers")
            for run_id in fail_dead_cli_runs(instance) if instance.is_persistent else ():
                say(f"marked run {run_id} failed: its gi-pipeline CLI was killed")
            try:
                before = warehouse.read_catalog(warehouse_dir)
            except FileNotFoundError:
                before = None
            # The raw directory as evidence (the ingest asset checks again, under the same lock).
            _, plan = check_raw_dir(raw_dir, before, allow_removals)
            return _run(instance, raw_dir, warehouse_dir, year, workers, ephemeral, allow_removals, verify, plan, say)
    except STOPPED as exc:
        print(f"gi-pipeline: {exc}", file=sys.stderr)
        return EXIT_STOPPED


def _run(
    instance: dg.DagsterInstance,
    raw_dir: Path,
    warehouse_dir: warehouse.Root,
    year: int | None,
    workers: int,
    ephemeral: bool,
    allow_removals: bool,
    verify: bool,
    plan: removals.RemovalPlan,
    say: Callable[[str], None],
) -> int:
    started = time.perf_counter()
    storage = PipelineStorage(raw_dir=str(raw_dir), warehouse_dir=str(warehouse_dir), parse_workers=workers)
    resources = {"storage": storage}
    parse_keys = list(parse_reports.keys)
    cli_tags = _cli_tags()
    run_config = {**QUIET_RUN_CONFIG, "ops": {"ingest_raw_files": {"config": {"allow_removals": allow_removals}}}}
    say(f"raw reports: {raw_dir}")
    say(f"warehouse:   {warehouse_dir}")
    say(f"dagster:     {'ephemeral instance' if ephemeral else dagster_home()}")
    if plan.deleted or plan.unreadable:
        say(f"raw directory: {plan.summary()}")

    def materialize(selection: Sequence[dg.AssetKey], tags: dict[str, str] | None = None,
                    partition_key: str | None = None) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            ALL_ASSETS,
            selection=selection,
            instance=instance,
            resources=resources,
            partition_key=partition_key,
            tags={**cli_tags, **(tags or {})},
            run_config=run_config if RAW_INVENTORY in selection else QUIET_RUN_CONFIG,
            raise_on_error=False,
        )

    # GX takes seconds to import: do it while the inventory's worker processes parse, when there
    # is anything to parse (a run over unchanged files never needs it).  Started here, before
    # the run: importing it on a thread while Dagster imports its own modules is not safe.
    if verify or _raw_files_changed(raw_dir, warehouse_dir):
        quality.preload()
    with _printing_progress([], say):
        result = materialize(INGEST_KEYS, tags={VERIFY_TAG: "true"} if verify else None)
    if not result.success:
        say(f"raw_inventory FAILED: {_failure_message(result)}")
        say("FAILED at the inventory: no partition was written; the catalog and quarantine table are as "
            "before unless the failure came after they were written (each is replaced whole)")
        return 1
    inventory = _materialization_metadata(result, RAW_INVENTORY)
    say(
        f"inventory: {plural(inventory.get('files', 0), 'file')}, {plural(inventory.get('reports', 0), 'report')}, "
        f"{plural(inventory.get('duplicates', 0), 'duplicate')}, {inventory.get('quarantined', 0)} quarantined "
        f"({time.perf_counter() - started:.1f} s)"
    )
    unreadable = inventory.get("unreadable") or []
    for path, error in unreadable:
        say(f"  cannot read {path or '.'}: {error}")
    kept = {split_partition_key(key) for key in inventory.get(KEPT_PARTITIONS) or []}
    if kept:
        say(f"  {plural(len(kept), 'partition')} holding files that cannot be read left as they are: "
            + ", ".join(f"{y}|{r}" for y, r in sorted(kept)))

    catalog = warehouse.read_catalog(warehouse_dir)
    counts = partition_report_counts(catalog)
    # Every non-empty partition, and those with stale files (emptied); the ingest registered
    # their regions.  Partitions holding a file that cannot be read are left as they are.  Of the
    # rest, only those whose inputs changed since they were written (gi_pipeline.manifest) are run:
    # the others are reported unchanged and get no run.
    on_disk = warehouse.written_partitions(warehouse_dir)
    targets, stale = partitions_to_write(counts, on_disk, year)
    targets = [key for key in targets if key not in kept]
    wanted = [key for key in targets if key not in stale]
    changed = set(manifest.out_of_date(warehouse_dir, catalog, targets))
    numbers = {key: i for i, key in enumerate(targets, start=1)}
    for key in targets:
        if key not in changed:
            say(f"[{numbers[key]}/{len(targets)}] {key[0]}|{key[1]}: unchanged ({plural(counts.get(key, 0), 'report')})")
    failed: list[tuple[str, str]] = []  # (what, why), in the order they failed
    written = ["catalog and quarantine table"]
    if changed:
        # The changed partitions in as few runs as cover exactly them (ranges of a year's
        # consecutive regions; one box, as a backfill makes, on a first run): each writes its
        # partitions a batch at a time and empties those with stale files.  With partitions left as
        # they are (unreadable files), one run per partition: a range is a box and would take them in.
        years = sorted({y for y, _ in changed})
        t = time.perf_counter()
        regions = instance.get_dynamic_partitions(REGION_DIMENSION)
        runs: list[dict[str, str]] | None
        if kept:
            runs = [partition_range_tags(y, y, [r]) for y, r in sorted(changed)]
        else:
            free = {(y, r) for y in range(years[0], years[-1] + 1) for r in regions
                    if (y, r) not in counts and (y, r) not in on_disk}
            runs = partition_runs(changed, free, regions)
            if runs is None:
                runs = [partition_range_tags(years[0], years[-1], regions)]
        totals = {"reports_parsed": 0, "error_issues": 0, "warning_issues": 0, "explain_pages_written": 0}
        failed_checks: set[str] = set()
        with _printing_progress(targets, say), _planned_events_per_asset(instance):
            for tags in runs:
                result = materialize(parse_keys, tags=tags)
                if not result.success:
                    span = f"{tags[ASSET_PARTITION_RANGE_START_TAG]}..{tags[ASSET_PARTITION_RANGE_END_TAG]}"
                    failed.append((f"partitions {span}", _failure_message(result)))
                    say(f"partitions FAILED: {failed[-1][1]}")
                    break
                meta = _materialization_metadata(result, TABLE_KEYS[v.TABLE_REPORTS])
                for name in totals:
                    totals[name] += meta.get(name, 0)
                failed_checks |= {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}
        if not failed:
            say(
                f"partitions: {plural(totals['reports_parsed'], 'report')} in "
                f"{plural(len(changed), 'partition')} written ({len(targets) - len(changed)} unchanged, "
                f"{plural(len(runs), 'run')}), {plural(totals['error_issues'], 'error')}, "
                f"{plural(totals['warning_issues'], 'warning')}"
                f"{'; checks failed: ' + ', '.join(sorted(failed_checks)) if failed_checks else ''} "
                f"({time.perf_counter() - t:.1f} s)"
            )
            if totals["explain_pages_written"]:
                pages = warehouse.join(warehouse_dir, warehouse.STAGE_DIR, warehouse.STAGE_EXPLAIN)
                say(f"explain pages of the flagged reports: {totals['explain_pages_written']} under {pages}")
            written.append(plural(len(changed), "partition"))
    elif targets:
        say(f"partitions: all {len(targets)} unchanged, nothing written")

    t = time.perf_counter()
    if not changed and not any(cross_year.regions_to_update(warehouse_dir)) \
            and warehouse.exists(warehouse.table_path(warehouse_dir, v.TABLE_CROSS_YEAR_ISSUES)):
        say("cross-year consistency: unchanged")
    else:
        result = materialize([CROSS_YEAR])
        if result.success:
            meta = _materialization_metadata(result, CROSS_YEAR)
            found = meta.get("dagster/row_count", 0)
            say(f"cross-year consistency: {plural(found, 'finding')}; regions recomputed: "
                f"{meta.get('regions_recomputed', '?')} ({time.perf_counter() - t:.2f} s)")
            written.append("cross-year issues")
        else:
            failed.append(("cross_year_issues", _failure_message(result)))
            say(f"cross-year consistency: FAILED: {failed[-1][1]}")

    elapsed = time.perf_counter() - started
    scope = f"year {year}" if year is not None else "all years"
    say("")
    say(f"warehouse tables ({scope}):")
    # From the partitions' manifests when they all have one (no file opened), else from the files.
    recorded = manifest.row_counts(warehouse_dir, sorted(
        k for k in warehouse.existing_partitions(warehouse_dir, v.TABLE_REPORTS) if year is None or k[0] == year
    ))
    for name in v.PARTITIONED_TABLES:
        rows = recorded.get(name, 0) if recorded is not None else _rows(warehouse_dir, name, year)
        say(f"  {name:<18} {rows:>8} rows")
    say(f"  {v.TABLE_QUARANTINE:<18} {_rows(warehouse_dir, v.TABLE_QUARANTINE, None):>8} files (all years)")
    say(f"  {v.TABLE_CROSS_YEAR_ISSUES:<18} {_rows(warehouse_dir, v.TABLE_CROSS_YEAR_ISSUES, None):>8} rows (all years)")
    if failed:
        # What failed first, what was written, what was not: no success-looking totals.
        first, why = failed[0]
        say(f"FAILED: {first}: {why}")
        say(f"written: {', '.join(written)}")
        not_written = [what for what, _ in failed]
        if any(what.startswith("partitions") for what in not_written):
            not_written[0] = (f"{not_written[0]} ({plural(len(changed), 'partition')} targeted: each is written "
                              "whole or not at all; some may be from this run, the others as before)")
        say(f"not written: {'; '.join(not_written)} ({elapsed:.1f} s)")
        return 1
    say(
        f"{sum(counts[k] for k in wanted)} reports in {len(wanted)} partitions"
        f"{f', {len(stale)} stale partitions emptied' if stale else ''}; "
        f"{inventory.get('quarantined', 0)} files quarantined; {elapsed:.1f} s"
    )
    if unreadable:
        say(f"INCOMPLETE: {plural(len(unreadable), 'part')} of the raw directory could not be read "
            f"({', '.join(path or '.' for path, _ in unreadable[:10])}{' ...' if len(unreadable) > 10 else ''}): "
            "the facts of their catalogued files are kept as they were; fix the access and run again")
        return EXIT_INCOMPLETE
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["explain"]:  # `gi-pipeline explain RAW_FILE [-o OUT.html]`: its options are its own
        from gi_pipeline.explain import main as explain

        return explain(argv[1:])
    args = _parser().parse_args(argv)
    if args.command == "run":
        return run(args.raw_dir, args.warehouse, args.year, workers=args.workers, ephemeral=args.ephemeral,
                   allow_removals=args.allow_removals, wait=args.wait, verify=args.verify)
    return 2  # pragma: no cover - argparse enforces the subcommand


if __name__ == "__main__":
    sys.exit(main())
