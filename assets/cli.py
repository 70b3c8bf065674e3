"""``gi-pipeline run``: the whole pipeline through Dagster, in this process, with readable progress.

Materializes ``raw_inventory`` (which parses every file, on one process per CPU, and registers the
region partitions), then one run over every (year, region) partition of the years with reports:
partitions with reports are written, partitions that still have files in the warehouse but no
reports any more are emptied (``gi_pipeline.inventory.partitions_to_write``).  Then
``cross_year_issues``.  Runs are recorded in the Dagster instance ``make dev`` opens --
``$DAGSTER_HOME``, else ``./.dagster_home`` -- so the UI shows what the CLI built; ``--ephemeral``
uses a throwaway in-memory instance instead (fastest: benchmarks use it).

When the raw directory is as catalogued (every file's size and mtime as recorded, none new or gone)
and every partition's manifest and the cross-year findings match, there is nothing to run: the
command says so and exits 0 without starting Dagster (it is not imported) and writes nothing -- no
run is recorded in the instance, whose last materializations still describe the warehouse.  A
Dagster home with no storage yet still gets the runs (they register the regions the UI shows).

Before anything is written the run checks its environment (the warehouse and parse cache can be
written, the disk has room, the warehouse URL is persistent), takes the warehouse lock (one writer
at a time; ``--wait`` seconds for another run to finish), removes temporary files dead writers left,
lists and stats the raw directory once (``gi_pipeline.inventory.survey_raw_dir``, handed to the
ingest), marks runs of this instance left STARTED by a killed CLI as failed, and checks the listing:
a missing or empty one is an error, files it cannot see keep their facts, and a removal of more than
10% of the catalogued reports (or of a whole year) needs ``--allow-removals``.

Exit status: 0 when the pipeline ran (bad input files are quarantined, not failures), 1 when a run
failed, 2 on a usage error, 3 when the run stopped before writing anything (the message says why:
environment, lock, raw directory, removals to confirm), 4 when it ran but parts of the raw directory
could not be read (their files' facts are kept as they were; the message names them).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from gi_pipeline import gx_process
from gi_pipeline.years import YEARS

from .defaults import DEFAULT_WAREHOUSE_DIR, EXPLAIN_PAGES, bundled_sample_reports


@dataclass(frozen=True)
class RunOptions:
    """What ``gi-pipeline run`` was asked to do (its flags, checked)."""

    raw_dir: Path
    warehouse_dir: Path | str  # a local directory, or an fsspec URL as given
    year: int | None = None
    workers: int = 0
    ephemeral: bool = False
    allow_removals: bool = False
    verify: bool = False
    explain_pages: int | None = None  # None: the pipeline's default

if TYPE_CHECKING:
    import pyarrow as pa

    from gi_pipeline import warehouse
    from gi_pipeline.inventory import RawSurvey

# The data libraries are imported in the functions that use them: a run that has anything to do
# starts the GX process (gi_pipeline.gx_process) first thing, before a second of imports here.

EXIT_STOPPED = 3
EXIT_INCOMPLETE = 4


def _stopping_errors() -> tuple[type[Exception], ...]:
    """Errors that stop a run before it writes anything: one message, exit status 3, no traceback."""
    from gi_pipeline import lock, parse_cache, preflight, raw_listing, removals

    return (preflight.PreflightError, lock.WarehouseLocked, raw_listing.RawRootError, removals.RemovalsRefused,
            parse_cache.CacheUnwritable)


# The Dagster home `make dev` opens, relative to where the command runs ($DAGSTER_HOME wins).
DEFAULT_DAGSTER_HOME = ".dagster_home"


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
        "--explain-pages",
        type=int,
        default=None,
        metavar="N",
        help=f"write the explain page of at most N flagged reports a partition (default: {EXPLAIN_PAGES}; 0: "
        "none); the reports metadata lists them",
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


def _rows(warehouse_dir: warehouse.Root, table: str, year: int | None) -> int:
    import polars as pl

    from gi_pipeline import vocabulary as v
    from gi_pipeline import warehouse

    frame = warehouse.scan(table, warehouse_dir)
    if year is not None and table not in v.UNPARTITIONED_TABLES:
        frame = frame.filter(pl.col("year") == year)
    return int(frame.select(pl.len()).collect().item())


def print_tables(warehouse_dir: warehouse.Root, year: int | None, say: Callable[[str], None]) -> None:
    """The rows of each table (of ``year``'s partitions, when given)."""
    from gi_pipeline import manifest, warehouse
    from gi_pipeline import vocabulary as v

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


def _dagster_home_has_runs() -> bool:
    """Whether the persistent Dagster home already holds runs (its storage exists): a new one gets
    the runs even when nothing changed, so the UI shows the inventory and the region partitions."""
    return (dagster_home() / "storage").is_dir()


def unchanged_partitions(
    warehouse_dir: warehouse.Root, before: pa.Table | None, survey: RawSurvey, year: int | None
) -> int | None:
    """The number of partitions a run would consider (``year``'s, when given), when nothing at all
    is to be done: the raw directory is as catalogued, every such partition's manifest matches the
    catalog (none stale), the quarantine table is there and the cross-year findings are up to date.
    None when a run has anything to do."""
    from gi_pipeline import cross_year, manifest, warehouse
    from gi_pipeline import vocabulary as v
    from gi_pipeline.inventory import partitions_to_write
    from gi_pipeline.partition_writer import partition_report_counts

    if before is None or not survey.unchanged:
        return None
    for table in (v.TABLE_QUARANTINE, v.TABLE_CROSS_YEAR_ISSUES):
        if not warehouse.exists(warehouse.table_path(warehouse_dir, table)):
            return None
    targets, stale = partitions_to_write(partition_report_counts(before), warehouse.written_partitions(warehouse_dir),
                                         year)
    if stale or manifest.out_of_date(warehouse_dir, before, targets) or any(cross_year.regions_to_update(warehouse_dir)):
        return None
    return len(targets)


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
    explain_pages: int | None = None,
) -> int:
    out = out or sys.stdout
    raw_dir = (raw_dir or bundled_sample_reports()).expanduser().resolve()
    if year is not None and year not in YEARS:
        print(f"gi-pipeline: --year must be within {YEARS[0]}-{YEARS[-1]}, got {year}", file=sys.stderr)
        return 2
    if workers < 0:
        print(f"gi-pipeline: --workers must be 0 (one per CPU) or more, got {workers}", file=sys.stderr)
        return 2
    if explain_pages is not None and explain_pages < 0:
        print(f"gi-pipeline: --explain-pages must be 0 (none) or more, got {explain_pages}", file=sys.stderr)
        return 2
    # A run that changes a few files spends most of its time importing GX: that starts now, on a
    # process of its own (another core), and stops as soon as the survey shows it is not needed.
    gx_process.start()
    try:
        options = RunOptions(raw_dir, warehouse_dir, year, workers, ephemeral, allow_removals, verify, explain_pages)
        return _run_locked(options, out, wait)
    finally:
        gx_process.stop()


def _run_locked(options: RunOptions, out: TextIO, wait: float) -> int:
    from gi_pipeline import warehouse
    from gi_pipeline.inventory import survey_raw_dir
    from gi_pipeline.partition_writer import plural

    from .defs.writer import writing

    warehouse_dir = warehouse.resolve_root(options.warehouse_dir)  # a local Path, or an fsspec URL as given
    options = replace(options, warehouse_dir=warehouse_dir)
    raw_dir, year, verify = options.raw_dir, options.year, options.verify

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    try:
        # Environment, lock, dead writers' leftovers: before anything is read or written.
        with writing(warehouse_dir, owner="gi-pipeline CLI", wait=wait) as removed:
            if removed:
                say(f"removed {plural(len(removed), 'temporary file')} of dead writers")
            try:
                before = warehouse.read_catalog(warehouse_dir)
            except FileNotFoundError:
                before = None
            # The raw directory as evidence, listed and stat'ed once: the ingest takes this survey.
            survey = survey_raw_dir(raw_dir, before, options.allow_removals, verify=verify)
            unchanged = None if verify or not (options.ephemeral or _dagster_home_has_runs()) else \
                unchanged_partitions(warehouse_dir, before, survey, year)
            if unchanged is not None:
                gx_process.stop()
                say(f"raw reports: {raw_dir}")
                say(f"warehouse:   {warehouse_dir}")
                say(f"nothing changed, {plural(unchanged, 'partition')} unchanged: no Dagster run, nothing written")
                print_tables(warehouse_dir, year, say)
                return 0
            # The GX suites run on the GX process, which imported GX while this one imported Dagster
            # and ran the ingest (at low priority: the parse workers go first); this process never
            # imports GX, and a run of many batches validates one there while writing another here.
            from .cli_runs import run_pipeline  # Dagster: imported only when there is something to run
            from .defs.ingest import hand_over_survey

            # The ingest takes the survey (it lists and stats the directory no more); no reference
            # stays here, or it would outlive the inventory (~0.5 KB a file), as the old catalog would.
            plan, survey_tags = survey.plan, hand_over_survey(survey)
            del survey, before
            return run_pipeline(options, plan, survey_tags, say)
    except _stopping_errors() as exc:
        print(f"gi-pipeline: {exc}", file=sys.stderr)
        return EXIT_STOPPED


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["explain"]:  # `gi-pipeline explain RAW_FILE [-o OUT.html]`: its options are its own
        from gi_pipeline.explain import main as explain

        return explain(argv[1:])
    args = _parser().parse_args(argv)
    if args.command == "run":
        return run(args.raw_dir, args.warehouse, args.year, workers=args.workers, ephemeral=args.ephemeral,
                   allow_removals=args.allow_removals, wait=args.wait, verify=args.verify,
                   explain_pages=args.explain_pages)
    return 2  # pragma: no cover - argparse enforces the subcommand


def __getattr__(name: str):
    """The Dagster side's names (``assets.cli_runs``), imported on first use."""
    if name.startswith("__"):
        raise AttributeError(name)
    from . import cli_runs

    try:
        return getattr(cli_runs, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


if __name__ == "__main__":
    sys.exit(main())
