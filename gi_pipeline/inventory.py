"""The inventory of a raw directory, and which (year, region) partitions need writing.

* ``check_raw_dir``: list the raw directory (``raw_listing.list_raw``) and decide, against the previous
  catalog, which catalogued files are deleted and which only out of sight (``removals``); refuses a
  large removal before anything is read or written.
* ``build_inventory``: that check, then hash and parse every raw file once (duplicates by sha256 once)
  into the catalog (``warehouse.CATALOG_SCHEMA``: each file's partition, the file it duplicates, or why
  it was quarantined) and the quarantine rows.  Parsing runs on ``gi_pipeline.parallel``.  A catalogued
  file that cannot be seen or read now keeps its previous catalog row (deletion needs evidence).
* ``changes_since_catalog``: the cheap comparison a watcher makes against the catalog (size and
  mtime; a file is hashed again only when they moved), no parsing.
* ``changed_partitions`` / ``stale_partitions`` / ``partitions_to_write``: the one rule for which
  partitions a run must (re)write, used by the ingest asset, the sensors and the CLI.
"""

from __future__ import annotations

import hashlib
import os
import re
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from . import parallel, parse_cache, raw_listing, removals, warehouse
from . import vocabulary as v
from .partition_writer import PartitionKey, partition_report_counts
from .records import Quarantined
from .years import YEARS

_MAX_REASON_CHARS = 500


@dataclass
class Inventory:
    catalog: pa.Table  # warehouse.CATALOG_SCHEMA
    quarantined: list[Quarantined]
    errors: list[str] = field(default_factory=list)  # exceptions turned into quarantine rows
    # What was decided about the files of the previous catalog: deleted, or out of sight.
    plan: removals.RemovalPlan | None = None
    # Parts of the raw directory (directories, files) that could not be listed or read.
    unreadable: list[raw_listing.ListingError] = field(default_factory=list)
    # Catalogued files out of sight: their previous rows are carried over unchanged.
    kept: list[str] = field(default_factory=list)

    @property
    def kept_partitions(self) -> set[PartitionKey]:
        """Partitions holding a report that is catalogued but cannot be read now: they must not be
        rewritten (their facts stay as they are until the file can be read again)."""
        if not self.kept:
            return set()
        kept = set(self.kept)
        return {(row["year"], row["region"]) for row in self.catalog.to_pylist()
                if row["role"] == warehouse.ROLE_REPORT and row["source_file"] in kept}

    @property
    def partitions(self) -> dict[PartitionKey, int]:
        """Reports per non-empty (year, region), sorted."""
        return partition_report_counts(self.catalog)

    @property
    def regions(self) -> list[str]:
        return sorted({region for _, region in self.partitions})

    def count(self, role: str) -> int:
        return sum(r == role for r in self.catalog.column("role").to_pylist())


def _reason(prefix: str, detail: str) -> str:
    text = f"{prefix}: {detail}".replace("\n", " ").strip()
    return text if len(text) <= _MAX_REASON_CHARS else text[: _MAX_REASON_CHARS - 1] + "…"


def classify(result: parse_cache.ParsedSummary | Quarantined) -> dict:
    """Catalog fields of one parse result: partition, or quarantine reason."""
    if isinstance(result, Quarantined):
        return {"role": warehouse.ROLE_QUARANTINED, "reason": result.reason or "quarantined"}
    if not isinstance(result, parse_cache.ParsedSummary):
        raise TypeError(f"parse_report returned {type(result).__name__}, not ParsedReport/Quarantined")
    year, region = result.year, result.region
    if year is None:
        return {"role": warehouse.ROLE_QUARANTINED, "reason": _reason(v.Check.YEAR_UNKNOWN, "no report year found")}
    if year not in YEARS:
        return {
            "role": warehouse.ROLE_QUARANTINED,
            "reason": _reason("year_out_of_range", f"{year} is not in {YEARS[0]}..{YEARS[-1]}"),
        }
    if not isinstance(region, str) or not re.fullmatch(r"\d{6}", region):
        raise ValueError(f"parse_report gave region {region!r}, not a 6-digit code")
    return {"role": warehouse.ROLE_REPORT, "doc_id": result.doc_id, "year": year, "region": region}


_CLASSIFICATION = ("role", "doc_id", "year", "region", "reason")


@dataclass(slots=True)
class _Row:
    """One catalog row (``warehouse.CATALOG_SCHEMA``'s columns) while the inventory builds it, with
    the dict methods the inventory uses: 100,000 rows took 25.6 MB where dicts took 40.8 (tracemalloc,
    strings included), and a national corpus holds 10^5-10^6 rows at once."""

    source_file: str
    sha256: str | None = None
    size_bytes: int | None = None
    mtime_ns: int | None = None
    role: str | None = None
    doc_id: str | None = None
    year: int | None = None
    region: str | None = None
    duplicate_of: str | None = None
    reason: str | None = None
    parser_version: str | None = None

    def update(self, values: dict | None = None, **more: Any) -> None:
        for name, value in {**(values or {}), **more}.items():
            setattr(self, name, value)

    def get(self, name: str) -> Any:
        return getattr(self, name)

    __getitem__ = get


def _catalog_table(rows: list[_Row]) -> pa.Table:
    schema = warehouse.CATALOG_SCHEMA
    return pa.table([pa.array([getattr(row, f.name) for row in rows], f.type) for f in schema], schema=schema)


def known_classifications(catalog: pa.Table) -> dict[str, dict]:
    """sha256 -> what parsing that content gave (role, doc_id, year, region, reason), from a catalog:
    the rows classified by the current parser version only (another version may classify otherwise)."""
    version = parse_cache.parser_version()
    if "parser_version" not in catalog.column_names:
        return {}
    columns = [catalog[c].to_pylist() for c in ("sha256", "parser_version", *_CLASSIFICATION)]  # by column: faster
    return {
        sha: dict(zip(_CLASSIFICATION, values, strict=True))
        for sha, row_version, *values in zip(*columns, strict=True)
        if sha and values[0] != warehouse.ROLE_DUPLICATE and row_version == version
    }


def known_stats(catalog: pa.Table) -> dict[str, tuple[int, int, str]]:
    """source_file -> (size, mtime_ns, sha256) of each file the catalog hashed (a file whose size and
    mtime still match is trusted without reading it again)."""
    columns = [catalog[c].to_pylist() for c in ("source_file", "size_bytes", "mtime_ns", "sha256")]
    return {f: (size, mtime, sha) for f, size, mtime, sha in zip(*columns, strict=True)
            if sha and size is not None and mtime is not None}


def check_raw_dir(
    raw_dir: Path,
    before: pa.Table | None,
    allow_removals: bool = False,
    confirm: str = "run again with --allow-removals",
) -> tuple[raw_listing.RawListing, removals.RemovalPlan]:
    """List ``raw_dir`` and plan what leaves the catalog ``before`` (None: no catalog yet).

    Raises ``raw_listing.RawRootError`` when the raw root is missing, unreadable or empty, and
    ``removals.RemovalsRefused`` (whose message ends with ``confirm``) when the plan would remove
    more than a run may without ``allow_removals``.  Reads no file content, writes nothing.
    """
    listing = raw_listing.list_raw(raw_dir)
    plan = removals.plan_removals(before, listing)
    removals.check_removals(plan, allow=allow_removals, confirm=confirm)
    return listing, plan


@dataclass(frozen=True)
class RawSurvey:
    """The raw directory listed and stat'ed once, against the previous catalog: everything a run
    learns about it before reading any file.  ``gi-pipeline run`` makes one and hands it to the
    inventory, so a run lists the directory once."""

    raw_dir: Path
    listing: raw_listing.RawListing
    plan: removals.RemovalPlan
    # source_file -> (size, mtime_ns), or the error stat'ing it raised (str)
    stats: dict[str, tuple[int, int] | str]
    # Files the inventory must read (and hash): new, moved size or mtime, not catalogued by this
    # parser version, or every file when verifying.
    to_read: frozenset[str]

    @property
    def unchanged(self) -> bool:
        """True when an inventory would give back the catalog the survey compared with: every
        catalogued file seen and none gone, no part unreadable, no file to read."""
        return (not self.listing.errors and not self.plan.deleted and not self.to_read
                and all(not isinstance(stat, str) for stat in self.stats.values()))


def survey_raw_dir(
    raw_dir: Path,
    before: pa.Table | None,
    allow_removals: bool = False,
    confirm: str = "run again with --allow-removals",
    verify: bool = False,
) -> RawSurvey:
    """``check_raw_dir`` (its errors are raised here), then stat every listed file and tell which of
    them the inventory must read: those whose size and mtime differ from ``before`` or whose content
    this parser version has not classified (all of them with ``verify``).  Reads no file content."""
    listing, plan = check_raw_dir(raw_dir, before, allow_removals, confirm)
    trusted: dict[str, tuple[int, int, str]] = {}
    known: set[str] = set()
    if before is not None and not verify:
        trusted, known = known_stats(before), set(known_classifications(before))
    stats: dict[str, tuple[int, int] | str] = {}
    to_read = []
    root = os.fsencode(raw_dir)
    for source_file in listing.files:
        try:
            stat = os.stat(os.path.join(root, raw_listing.raw_name_of(source_file)))
        except OSError as exc:
            stats[source_file] = f"{type(exc).__name__}: {exc}"
            continue
        stats[source_file] = (stat.st_size, stat.st_mtime_ns)
        old = trusted.get(source_file)
        if old is None or old[:2] != stats[source_file] or old[2] not in known:
            to_read.append(source_file)
    return RawSurvey(Path(raw_dir), listing, plan, stats, frozenset(to_read))


def build_inventory(
    raw_dir: Path,
    on_error: Callable[[str, str], None] | None = None,
    known: dict[str, dict] | None = None,
    cache: warehouse.Location | None = None,
    workers: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
    pool: parallel.DaskPool | None = None,
    before: pa.Table | None = None,
    verify: bool = False,
    allow_removals: bool = False,
    confirm: str = "run again with --allow-removals",
    survey: RawSurvey | None = None,
) -> Inventory:
    """Hash and parse every raw file once; exact duplicates (same sha256) are parsed once.

    First ``check_raw_dir`` (its errors stop the inventory before any file is read): a file of the
    previous catalog ``before`` that the listing cannot see, or that cannot be read now, keeps its
    previous row; one positively gone is left out (its facts go with the next partition runs).
    A file whose size and mtime match its row in ``before`` is not read at all (its sha256 and, for
    the current parser version, its classification are taken from it) -- unless ``verify``, which
    reads and hashes every file.
    Nothing a single file does stops the inventory: an exception while parsing it, or reading a
    file not catalogued before, becomes a quarantine row carrying the error message
    (``on_error(source_file, traceback)`` is told too). ``known`` (sha256 -> classification, see
    ``known_classifications``) skips parsing content already catalogued.  Full parse results go to
    the parse cache ``cache`` (``parse_cache.cache_dir``), where the partition runs pick them up
    instead of parsing again; ``workers`` local processes parse, or the cluster behind ``pool``
    (``gi_pipeline.parallel``); ``on_progress(parsed, to_parse)`` is called after each file parsed.
    An environment error (``parse_cache.CacheUnwritable``) stops it.
    ``survey``: this directory's ``survey_raw_dir`` against the same ``before``, made by the caller
    under the same warehouse lock (the directory is then not listed and stat'ed again).
    """
    known = dict(known or {})
    stats: dict[str, tuple[int, int, str]] = {}
    if before is not None:
        known = known_classifications(before) | known
        stats = {} if verify else known_stats(before)
    version = parse_cache.parser_version()
    if survey is None or survey.raw_dir != Path(raw_dir) or (verify and len(survey.to_read) < len(survey.stats)):
        survey = survey_raw_dir(raw_dir, before, allow_removals, confirm, verify)
    else:
        removals.check_removals(survey.plan, allow=allow_removals, confirm=confirm)
    listing, plan = survey.listing, survey.plan
    files = listing.files
    catalogued = set(before["source_file"].to_pylist()) if before is not None else set()

    def before_row(source_file: str) -> _Row:  # rare (a file that cannot be read now): looked up then
        return _Row(**before.filter(pc.equal(before["source_file"], source_file)).to_pylist()[0])  # type: ignore[union-attr,index]

    kept_rows = [_Row(**row) for row in removals.kept_rows(before, plan).to_pylist()] if before is not None else []
    unreadable = list(listing.errors)
    rows: list[_Row] = []
    awaiting: dict[str, _Row] = {}  # source_file -> its row, until its parse comes back
    first_by_sha: dict[str, _Row] = {}
    duplicates: list[tuple[_Row, _Row]] = []  # (row, row of the first file with the same bytes)

    visited = [0]  # files the jobs generator has got to

    def jobs() -> Iterator[parallel.ParseJob]:
        for source_file in files:
            visited[0] += 1
            row = _Row(source_file=source_file, parser_version=version)
            raw: bytes | None = None
            surveyed = survey.stats[source_file]  # (size, mtime_ns), or why it could not be stat'ed
            failed = surveyed if isinstance(surveyed, str) else None
            if not isinstance(surveyed, str):
                size, mtime_ns = surveyed
                trusted = stats.get(source_file)
                try:
                    if source_file in survey.to_read or trusted is None or trusted[2] not in known:
                        # Stat'ed again right before reading: a later change moves the mtime.
                        stat = os.stat(raw_listing.raw_path(raw_dir, source_file))
                        size, mtime_ns = stat.st_size, stat.st_mtime_ns
                        raw = raw_listing.read_raw(raw_dir, source_file)
                        sha = hashlib.sha256(raw).hexdigest()
                    else:
                        sha = trusted[2]
                except OSError as exc:
                    failed = f"{type(exc).__name__}: {exc}"
            if failed is not None:
                error = raw_listing.ListingError(source_file, failed)
                if source_file in catalogued:  # catalogued: out of sight now, not gone
                    kept_rows.append(before_row(source_file))
                    continue
                rows.append(row)
                row.update(role=warehouse.ROLE_QUARANTINED, reason=_reason("read_error", error.error))
                row.sha256 = ""
                continue
            rows.append(row)
            row.update(sha256=sha, size_bytes=size if raw is None else len(raw), mtime_ns=mtime_ns)
            first = first_by_sha.get(sha)
            if first is not None:
                duplicates.append((row, first))
                continue
            first_by_sha[sha] = row
            if sha in known:
                row.update(known[sha])
                continue
            if raw is None:  # pragma: no cover - trusted rows are known ones
                raw = raw_listing.read_raw(raw_dir, source_file)
            awaiting[source_file] = row
            yield parallel.ParseJob(source_file, sha, raw)

    errors: list[str] = []
    for parsed, outcome in enumerate(parallel.parse_all(jobs(), cache, workers, pool=pool), start=1):
        row = awaiting.pop(outcome.source_file)
        error, tb = outcome.error, outcome.traceback  # set when parsing raised (in a worker)
        if outcome.result is not None:
            try:
                row.update(classify(outcome.result))
                if row.doc_id == row.sha256:  # a report's doc_id is its sha256: one string for both
                    row.doc_id = row.sha256
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the run
                error, tb = f"{type(exc).__name__}: {exc}", traceback.format_exc()
        if error is not None:
            row.update(role=warehouse.ROLE_QUARANTINED, reason=_reason("parse_error", error))
            errors.append(outcome.source_file)
            if on_error is not None:
                on_error(outcome.source_file, tb or error)
        if on_progress is not None:
            # Files are read (and counted) ahead of their parses, as the pool takes them.
            on_progress(parsed, parsed + len(awaiting) + (len(files) - visited[0]))
    for row, first in duplicates:
        row.update(
            role=warehouse.ROLE_DUPLICATE,
            doc_id=first.get("doc_id"),
            year=first.get("year"),
            region=first.get("region"),
            duplicate_of=first["source_file"],
            reason=first.get("reason"),
        )
    rows = sorted(rows + kept_rows, key=lambda row: row["source_file"])
    # Every path that yields nothing is listed, duplicates of a bad file included.
    quarantined = [
        Quarantined(row["source_file"], row["sha256"], row["reason"])
        for row in rows
        if row["role"] == warehouse.ROLE_QUARANTINED or (row["role"] == warehouse.ROLE_DUPLICATE and row.get("reason"))
    ]
    catalog = _catalog_table(rows)
    return Inventory(catalog=catalog, quarantined=quarantined, errors=errors, plan=plan,
                     unreadable=sorted(unreadable, key=lambda e: e.source_file),
                     kept=sorted(row["source_file"] for row in kept_rows))


# --------------------------------------------------------------------------------------------
# What changed: the raw directory (cheap, for a watcher) and the partitions (for the runs)
# --------------------------------------------------------------------------------------------

def changes_since_catalog(raw_dir: Path, catalog: pa.Table | None) -> list[tuple[str, str]]:
    """(path, new sha256 or '' when deleted) of the raw files whose content differs from the catalog:
    new, changed or deleted.  The watcher's tick: the directory is listed and stat'ed; a file is
    read and hashed only when its size or mtime differ from its catalog row (the per-file state
    lives in the catalog, not in the sensor)."""
    known = known_stats(catalog) if catalog is not None else {}
    try:
        listing = raw_listing.list_raw(raw_dir)
    except raw_listing.RawRootError:
        return []  # a missing or empty root is the ingest's error to report, never "every file deleted"
    changes: list[tuple[str, str]] = []
    for path in listing.files:
        try:
            stat = os.stat(raw_listing.raw_path(raw_dir, path))
            old = known.get(path)
            if old is not None and old[:2] == (stat.st_size, stat.st_mtime_ns):
                continue
            digest = hashlib.sha256(raw_listing.read_raw(raw_dir, path)).hexdigest()
        except OSError:
            continue  # vanished between listing and reading, or unreadable: the ingest lists it
        if old is None or old[2] != digest:
            changes.append((path, digest))
    # Deleted: only what a listing that could see it no longer shows (removals: not an unreadable part).
    changes += [(path, "") for path in removals.plan_removals(catalog, listing).deleted]
    return sorted(changes)


def _reports_by_partition(catalog: pa.Table | None) -> dict[PartitionKey, set[tuple[str, str]]]:
    found: dict[PartitionKey, set[tuple[str, str]]] = {}
    if catalog is None:
        return found
    columns = [catalog[c].to_pylist() for c in ("role", "year", "region", "source_file", "sha256")]
    for role, year, region, source_file, sha in zip(*columns, strict=True):
        if role == warehouse.ROLE_REPORT:
            found.setdefault((year, region), set()).add((source_file, sha))
    return found


def changed_partitions(before: pa.Table | None, after: pa.Table) -> set[PartitionKey]:
    """Partitions whose reports (path and content) differ between two catalogs: gained, lost or
    changed a report.  ``before`` None (no catalog yet): every partition of ``after``."""
    old, new = _reports_by_partition(before), _reports_by_partition(after)
    return {key for key in set(old) | set(new) if old.get(key) != new.get(key)}


def stale_partitions(
    counts: Iterable[PartitionKey], written: Iterable[PartitionKey], year: int | None = None
) -> set[PartitionKey]:
    """Partitions with files in the warehouse (``written``) but no reports in the catalog any more
    (``counts``: the non-empty partitions): rewriting them empty removes their stale facts."""
    have = set(counts)
    return {key for key in written if key not in have and key[0] in YEARS and (year is None or key[0] == year)}


def partitions_to_write(
    counts: Iterable[PartitionKey], written: Iterable[PartitionKey], year: int | None = None
) -> tuple[list[PartitionKey], set[PartitionKey]]:
    """(every partition a full run writes, sorted; the stale ones among them): the non-empty
    partitions (of ``year`` when given) and the stale ones."""
    counts = set(counts)
    stale = stale_partitions(counts, written, year)
    wanted = {key for key in counts if year is None or key[0] == year}
    return sorted(wanted | stale), stale
