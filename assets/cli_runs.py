"""The Dagster side of ``gi-pipeline run`` (``assets.cli``): the runs it materializes in this process.

``assets.cli`` takes the lock, surveys the raw directory and, when something changed, calls
``run_pipeline`` here: ``raw_inventory`` (handed the survey, so the directory is listed once per
run), the partitions whose manifests differ, then ``cross_year_issues``.  Kept apart from
``assets.cli`` so a run that finds nothing changed does not import Dagster.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterator, Sequence

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from gi_pipeline import cross_year, manifest, warehouse
from gi_pipeline import vocabulary as v
from gi_pipeline.explain_pages import PAGES_PER_PARTITION
from gi_pipeline.inventory import partitions_to_write
from gi_pipeline.partition_writer import partition_report_counts, plural
from gi_pipeline.processes import pid_alive, process_start_ticks, this_host
from gi_pipeline.progress import ProgressMeter
from gi_pipeline.removals import RemovalPlan

from .assets import ALL_ASSETS, CROSS_YEAR, INGEST_KEYS, RAW_INVENTORY, TABLE_KEYS, parse_reports
from .cli import EXIT_INCOMPLETE, RunOptions, dagster_home, ensure_dagster_home, print_tables
from .defs.common import KEPT_PARTITIONS, PROGRESS_LOG, VERIFY_TAG
from .defs.partitions import REGION_DIMENSION, report_partition_key, split_partition_key
from .defs.resources import PipelineStorage

# Tags of the runs the CLI launches: the process that runs them, so a later CLI can tell a run left
# STARTED by a killed CLI (its process is gone) from one still running.
PID_TAG = "gi_pipeline/cli_pid"
PID_STARTED_TAG = "gi_pipeline/cli_pid_started"
HOST_TAG = "gi_pipeline/cli_host"

# Dagster's console logger at WARNING: only our progress lines on a normal run.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


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
# unchanged partitions are skipped by their manifests and get no materialization event, unless the
# instance never recorded them: assets.defs.facts).
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


def run_pipeline(
    options: RunOptions, plan: RemovalPlan, survey_tags: dict[str, str], say: Callable[[str], None]
) -> int:
    """The runs of ``gi-pipeline run`` after ``assets.cli`` took the lock and made a survey of the
    raw directory (``plan``: what it found gone; ``survey_tags``: the ingest's, to take it)."""
    _quiet_dagster()
    with _instance(options.ephemeral) as instance:
        for run_id in fail_dead_cli_runs(instance) if instance.is_persistent else ():
            say(f"marked run {run_id} failed: its gi-pipeline CLI was killed")
        return _run(instance, options, plan, survey_tags, say)


def _run(
    instance: dg.DagsterInstance, options: RunOptions, plan: RemovalPlan, survey_tags: dict[str, str],
    say: Callable[[str], None],
) -> int:
    started = time.perf_counter()
    raw_dir, warehouse_dir, year = options.raw_dir, warehouse.resolve_root(options.warehouse_dir), options.year
    ephemeral, allow_removals, verify = options.ephemeral, options.allow_removals, options.verify
    explain_pages = PAGES_PER_PARTITION if options.explain_pages is None else options.explain_pages
    storage = PipelineStorage(raw_dir=str(raw_dir), warehouse_dir=str(warehouse_dir), parse_workers=options.workers,
                              explain_pages=explain_pages)
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

    # The ingest takes the survey instead of listing the directory again (same process, same lock).
    ingest_tags = {**survey_tags, **({VERIFY_TAG: "true"} if verify else {})}
    with _printing_progress([], say):
        result = materialize(INGEST_KEYS, tags=ingest_tags)
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
    print_tables(warehouse_dir, year, say)
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


