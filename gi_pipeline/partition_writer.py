"""A run's (year, region) partitions written a batch at a time: the reports' rows from the parse
cache (or parsed again), one GX validation per suite and batch, then each partition's Parquet files.
A batch holds whole partitions or a piece of one too big for a batch (``piece_batches``); a
partition is written, whole, with its last piece.

``LoadedBatch`` is the unit of work (load, validate, write): a pure function of the catalog, the
raw files and the cache (apart from the files it writes), and the output does not depend on how
partitions are batched, nor on the chunks a batch is loaded and validated in --
rows are ordered per partition, findings follow each report's own issues.  No Dagster here: the
asset wires it and reports the ``RunSummary``.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from . import (
    explain_pages,
    frames,
    gx_process,
    manifest,
    memory,
    parallel,
    parse_cache,
    quality,
    raw_listing,
    warehouse,
)
from . import vocabulary as v
from .schema import SCHEMAS

PartitionKey = tuple[int, str]  # (year, region)

PREVIEW_ROWS = 10


def partition_report_counts(catalog: pa.Table) -> dict[PartitionKey, int]:
    """Reports per non-empty (year, region) of a catalog, sorted by (year, region)."""
    reports = catalog.filter(pc.equal(catalog["role"], warehouse.ROLE_REPORT))
    counts = Counter(zip(reports["year"].to_pylist(), reports["region"].to_pylist(), strict=True))
    return dict(sorted(counts.items()))


class StaleCatalogError(RuntimeError):
    """The raw directory changed after the inventory: materialize raw_inventory again."""


def load_partition(
    raw_dir: Path, catalog: pa.Table, year: int, region: str, cache: warehouse.Location | None = None,
    part: slice = slice(None),
) -> Iterator[tuple[str, parse_cache.CachedParse]]:
    """The parses (table rows and details) of the reports the catalog puts in (year, region), each
    with its parse-cache key, in doc_id order (``part``: of those, these), one at a time: from
    the parse cache when the inventory left them there (the raw file is only stat'ed: its size and
    mtime must still be the catalog's), else read, checked against its sha256 and parsed now (and
    cached).  Each cached parse is loaded once."""
    mask = pc.and_(
        pc.and_(pc.equal(catalog["role"], warehouse.ROLE_REPORT), pc.equal(catalog["year"], year)),
        pc.equal(catalog["region"], region),
    )
    # doc_id (the content's sha256) is unique among a partition's reports: the tables' row order.
    selected = catalog.filter(mask).sort_by("doc_id")[part]
    rows = zip(*(selected[c].to_pylist() for c in ("source_file", "sha256", "size_bytes", "mtime_ns")), strict=True)
    for source_file, sha, size, mtime_ns in rows:
        path = raw_listing.raw_path(raw_dir, source_file)
        key = parse_cache.entry_key(sha, source_file)
        entry = parse_cache.load(cache, key) if cache is not None else None
        try:
            if entry is not None:
                stat = os.stat(path)
                if (stat.st_size, stat.st_mtime_ns) != (size, mtime_ns if mtime_ns is not None else stat.st_mtime_ns):
                    raise StaleCatalogError(f"{source_file} changed since the inventory: {StaleCatalogError.__doc__}")
            else:
                raw = raw_listing.read_raw(raw_dir, source_file)  # escaped names too (raw_listing)
                if hashlib.sha256(raw).hexdigest() != sha:
                    raise StaleCatalogError(f"{source_file} changed since the inventory: {StaleCatalogError.__doc__}")
                entry = parse_cache.parse_cached(raw, sha, source_file, cache)
        except FileNotFoundError as exc:
            raise StaleCatalogError(f"{source_file} is gone since the inventory: {StaleCatalogError.__doc__}") from exc
        summary = entry.summary
        if entry.columns is None or (summary.year, summary.region) != (year, region):  # type: ignore[union-attr]
            raise RuntimeError(
                f"{source_file}: parse_report is not deterministic (the inventory put it in {year}/{region})"
            )
        yield key, entry


@dataclass(frozen=True)
class PartitionStats:
    year: int
    region: str
    reports: int
    errors: int  # error-severity quality issues
    warnings: int
    removed: tuple[str, ...] = ()  # source files of reports the partition held before and no longer does
    # The hash of what it was built from (``manifest.fingerprint``): its data version.
    fingerprint: str = ""
    rows: Mapping[str, int] = field(default_factory=dict)  # rows of each table in the partition

    @property
    def label(self) -> str:
        return f"{self.year}|{self.region}"


def write_partition_tables(
    warehouse_dir: warehouse.Root, year: int, region: str, tables: dict[str, pa.Table]
) -> PartitionStats:
    """Write (or, when they are empty, remove) every table of partition (year, region): the six
    partitioned tables and the normalized text, as ``frames.tables_from_columns`` gives them."""
    before = warehouse.read_partition(warehouse_dir, v.TABLE_REPORTS, year, region, ["doc_id", "source_file"])
    kept = set(tables[v.TABLE_REPORTS]["doc_id"].to_pylist())
    removed = tuple(sorted(f for d, f in zip(before["doc_id"].to_pylist(), before["source_file"].to_pylist()) if d not in kept))

    def write(name: str) -> None:
        if name == warehouse.STAGE_NORMALIZED_TEXT:
            warehouse.write_stage(warehouse_dir, name, year, region, tables[name])
        else:
            warehouse.write_partition(warehouse_dir, name, year, region, tables[name])

    # pyarrow encodes and the kernel syncs without the GIL: the files are written side by side.
    list(_WRITERS.map(write, tables))
    severities = Counter(tables[v.TABLE_QUALITY_ISSUES]["severity"].to_pylist())
    return PartitionStats(
        year=year,
        region=region,
        reports=tables[v.TABLE_REPORTS].num_rows,
        errors=severities[v.SEVERITY_ERROR],
        warnings=sum(severities.values()) - severities[v.SEVERITY_ERROR],
        removed=removed,
    )


_WRITERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="gi-pipeline-write")


def split_by_partition(
    tables: dict[str, pa.Table], doc_ids: Mapping[PartitionKey, Iterable[str]]
) -> dict[PartitionKey, dict[str, pa.Table]]:
    """The tables of a batch of partitions cut back into each partition's tables (row order kept);
    ``doc_ids``: each partition's reports."""
    keys = list(doc_ids)
    ids = {key: list(doc_ids[key]) for key in keys}
    # Each row's partition by its doc_id, in Arrow (a batch's tables have ~10^5 rows).
    all_ids = pa.array([d for key in keys for d in ids[key]], pa.string())
    partition_of = pa.array([i for i, key in enumerate(keys) for _ in ids[key]], pa.int32())
    out: dict[tuple[int, str], dict[str, pa.Table]] = {key: {} for key in keys}
    for name, table in tables.items():
        index = pc.take(partition_of, pc.index_in(table["doc_id"], value_set=all_ids))
        for i, key in enumerate(keys):
            out[key][name] = table.filter(pc.equal(index, i))
    return out


# Reports validated together: a GX validation of all suites costs ~0.5 s whatever the rows plus
# ~0.55 ms a report (measured: 1,000 reports 1.4 s, 5,000 reports 3.4 s), and a batch's table rows
# are in memory at once as Python lists (~130 KB a report: 5,000 took the run from 0.8 to 1.45 GB).
VALIDATION_BATCH_REPORTS = 2000
# Batches when validation runs on the GX process, overlapped with the writes (``write_partitions``):
# two are in this process and one on the GX process at a time, which holds GX besides (~300 MB).
# Peak RSS of a fresh 20,000-report run's process tree: 1.8 GB with 2,000 a batch, 1.38 GB with
# 1,000, 1.15 GB with 500 (no slower: the writes, not GX, set the pace).
PIPELINED_BATCH_REPORTS = 500
# Reports turned from the parse cache's Python lists into Arrow at a time (``LoadedBatch.load``).
LOAD_CHUNK_REPORTS = 200


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def partition_line(stats: PartitionStats, failed_checks: Sequence[str] = ()) -> str:
    """One partition's progress line: reports, issues, and what needs attention."""
    note = " (no reports any more: stale files removed)" if not stats.reports else ""
    if stats.removed and stats.reports:
        note += f"; removed facts of reports gone from the raw directory: {', '.join(stats.removed)}"
    if failed_checks:
        note += f"; checks failed: {', '.join(failed_checks)}"
    return (f"{stats.label}: {plural(stats.reports, 'report')}, {plural(stats.errors, 'error')}, "
            f"{plural(stats.warnings, 'warning')}{note}")


K = TypeVar("K")


def report_batches(keys: Sequence[K], counts: Mapping[K, int], limit: int) -> Iterator[list[K]]:
    """Consecutive keys (partitions, regions) grouped so that a group holds at most ``limit`` reports
    (a key holding more on its own is a group of its own; empty ones ride along): what a batch
    holds in memory does not grow with the corpus."""
    batch: list[K] = []
    size = 0
    for key in keys:
        count = counts.get(key, 0)
        if size and size + count > limit:
            yield batch
            batch, size = [], 0
        batch.append(key)
        size += count
    if batch:
        yield batch


@dataclass(frozen=True)
class Piece:
    """Reports ``start`` to ``stop`` (in doc_id order) of a partition of ``reports``: the whole
    partition, or a part of one too big for a batch."""

    key: PartitionKey
    start: int
    stop: int
    reports: int

    @property
    def size(self) -> int:
        return self.stop - self.start

    @property
    def last(self) -> bool:
        """The partition's last piece: it is written once this one is validated."""
        return self.stop >= self.reports


def piece_batches(keys: Sequence[PartitionKey], counts: Mapping[PartitionKey, int], limit: int) -> Iterator[list[Piece]]:
    """``report_batches`` of the partitions, a partition of more than ``limit`` reports cut into
    pieces of (nearly) equal size: a batch never holds more than ``limit`` reports, however big the
    partitions grow with the corpus."""
    pieces = []
    for key in keys:
        count = counts.get(key, 0)
        parts = max(1, -(-count // limit))
        bounds = [count * i // parts for i in range(parts + 1)]
        pieces += [Piece(key, start, stop, count) for start, stop in itertools.pairwise(bounds)]
    yield from report_batches(pieces, {piece: piece.size for piece in pieces}, limit)


@dataclass
class RunSummary:
    """A run's totals for its metadata, added up partition by partition; of the tables themselves
    only a preview's worth of rows is kept, so a run's memory does not grow with its partitions."""

    stats: list[PartitionStats] = field(default_factory=list)
    unchanged: list[PartitionStats] = field(default_factory=list)  # skipped: their inputs did not change
    lines: list[tuple[PartitionKey, str]] = field(default_factory=list)  # progress, partitions with reports
    suite_results: list[quality.SuiteResult] = field(default_factory=list)
    # Each partition with reports: its share of every suite's result.
    partition_results: dict[PartitionKey, list[quality.SuiteResult]] = field(default_factory=dict)
    rows: Counter = field(default_factory=Counter)
    heads: dict[str, list[pa.Table]] = field(default_factory=dict)
    characters: int = 0
    flagged: int = 0
    issues_by_check: Counter = field(default_factory=Counter)
    pages: list[explain_pages.PartitionPages] = field(default_factory=list)  # written partitions' explain pages

    def add(self, stats: PartitionStats, tables: dict[str, pa.Table], shares: Sequence[quality.SuiteResult]) -> None:
        """A written partition: its stats, tables and share of every suite's result (none when empty)."""
        key = (stats.year, stats.region)
        self.stats.append(stats)
        if shares:
            self.partition_results[key] = list(shares)
        if stats.reports or stats.removed:
            self.lines.append((key, partition_line(stats, sorted(r.suite for r in shares if not r.success))))
        for name, table in tables.items():
            self.rows[name] += table.num_rows
            self._keep_head(name, table)
        self.characters += pc.sum(pc.utf8_length(tables[warehouse.STAGE_NORMALIZED_TEXT]["text"])).as_py() or 0
        self.flagged += pc.sum(pc.equal(tables[v.TABLE_REPORTS]["status"], v.STATUS_FLAGGED)).as_py() or 0
        self.issues_by_check.update(tables[v.TABLE_QUALITY_ISSUES]["check"].to_pylist())

    def skip(self, stats: PartitionStats) -> None:
        """A partition whose manifest matches its inputs: not written."""
        self.unchanged.append(stats)
        if stats.reports:  # an empty one (nothing on disk either) is not worth a line
            self.lines.append(((stats.year, stats.region), f"{stats.label}: unchanged ({plural(stats.reports, 'report')})"))

    def _keep_head(self, name: str, table: pa.Table) -> None:
        have = sum(t.num_rows for t in self.heads.get(name, []))
        if have < PREVIEW_ROWS and table.num_rows:
            self.heads.setdefault(name, []).append(table.slice(0, PREVIEW_ROWS - have))

    def merge(self, other: RunSummary) -> None:
        """Add a later batch's summary (batches come in partition order)."""
        self.stats += other.stats
        self.unchanged += other.unchanged
        self.lines += other.lines
        self.suite_results += other.suite_results
        self.partition_results |= other.partition_results
        self.rows.update(other.rows)
        for name, heads in other.heads.items():
            for table in heads:
                self._keep_head(name, table)
        self.characters += other.characters
        self.flagged += other.flagged
        self.issues_by_check.update(other.issues_by_check)
        self.pages += other.pages

    def failed_partitions(self) -> dict[str, list[PartitionKey]]:
        """Suite -> the partitions whose share of its result failed, in partition order."""
        failed: dict[str, list[PartitionKey]] = {}
        for key, shares in sorted(self.partition_results.items()):
            for share in shares:
                if not share.success:
                    failed.setdefault(share.suite, []).append(key)
        return failed

    def head(self, name: str) -> pa.Table:
        heads = self.heads.get(name)
        return pa.concat_tables(heads) if heads else (SCHEMAS | warehouse.STAGE_SCHEMAS)[name].empty_table()

    def summary_markdown(self) -> str:
        shown = [s for s in self.stats if s.reports or s.removed]
        lines = ["| year | region | reports | errors | warnings |", "|---|---|---|---|---|"]
        lines += [f"| {s.year} | {s.region} | {s.reports} | {s.errors} | {s.warnings} |" for s in shown]
        if len(shown) < len(self.stats):
            lines.append(f"\n{len(self.stats) - len(shown)} empty partitions (nothing to write)")
        if self.unchanged:
            empty = sum(1 for s in self.unchanged if not s.reports)
            lines.append(f"\n{len(self.unchanged)} partitions unchanged (not rewritten"
                         f"{f'; {empty} of them empty' if empty else ''})")
        return "\n".join(lines)


class CachedReports(Mapping[str, tuple[frames.ReportColumns, "frames.ReportDetails | None"]]):
    """A partition's reports by doc_id, each loaded from the parse cache when asked for (the explain
    pages need a few): a batch keeps its reports' cache keys, not their rows (~130 KB a report as
    Python objects)."""

    def __init__(self, cache: warehouse.Location, keys: Mapping[str, str]):
        self._cache, self._keys = cache, keys
        self._loaded: dict[str, tuple[frames.ReportColumns, frames.ReportDetails | None]] = {}

    def __getitem__(self, doc_id: str) -> tuple[frames.ReportColumns, frames.ReportDetails | None]:
        if doc_id not in self._loaded:
            entry = parse_cache.load(self._cache, self._keys[doc_id])
            if entry is None or entry.columns is None:  # gone since: no page for it
                raise KeyError(doc_id)
            self._loaded[doc_id] = (entry.columns, entry.details)
        return self._loaded[doc_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


@dataclass(frozen=True)
class ValidatedPiece:
    """A piece's tables and its share of every suite's result, validated: held until its
    partition's last piece is, then written with it."""

    tables: dict[str, pa.Table]
    shares: list[quality.SuiteResult]
    cache_keys: dict[str, str]  # doc_id -> parse-cache key


@dataclass
class LoadedBatch:
    """A batch's pieces loaded, then handed to the suites (``submit``), then written (``finish``):
    while the GX process validates one batch, this process writes the one before and loads the next.
    It holds the batch's tables and, per partition, its reports' parse-cache keys by doc_id.  A
    partition is written with its last piece (the pieces before wait in ``held``); empty partitions
    have their stale files removed; each written partition's manifest records what it was built
    from, and its flagged reports get their explain pages (from the cached parses)."""

    warehouse_dir: warehouse.Location
    catalog: pa.Table
    pieces: list[Piece]
    cache_keys: dict[PartitionKey, dict[str, str]]
    tables: dict[str, pa.Table]
    validation: Callable[[], tuple[dict[str, pa.Table], list[quality.SuiteResult]]] | None = None

    @classmethod
    def load(
        cls, raw_dir: Path, warehouse_dir: warehouse.Location, catalog: pa.Table, pieces: Sequence[Piece]
    ) -> LoadedBatch:
        cache = parse_cache.cache_dir(warehouse_dir)
        # The reports' rows become Arrow tables LOAD_CHUNK_REPORTS at a time: as Python objects
        # (~130 KB a report) a whole batch would be held at once.
        chunks: dict[str, list[pa.Table]] = {name: [] for name in frames.REPORT_TABLE_SCHEMAS}
        columns: list[frames.ReportColumns] = []

        def to_arrow() -> None:
            for name, table in frames.tables_from_columns(columns).items():
                chunks[name].append(table)
            columns.clear()

        cache_keys: dict[PartitionKey, dict[str, str]] = {}
        for piece in pieces:
            keys = cache_keys.setdefault(piece.key, {})
            for entry_key, entry in load_partition(raw_dir, catalog, *piece.key, cache, slice(piece.start, piece.stop)):
                keys[entry.summary.doc_id] = entry_key  # type: ignore[union-attr]
                if entry.columns is not None:
                    columns.append(entry.columns)
                if len(columns) == LOAD_CHUNK_REPORTS:
                    to_arrow()
        to_arrow()
        # Rows in doc_id order (a stable sort keeps each report's printed order), as
        # tables_from_columns orders them: the doc_ids of a batch's reports are distinct.
        tables = {name: _by_doc_id(pa.concat_tables(parts)) for name, parts in chunks.items()}
        return cls(warehouse_dir, catalog, list(pieces), cache_keys, tables)

    def submit(self) -> None:
        self.validation = quality.start_validation(self.tables, quality.default_runner())

    def validated(self) -> tuple[dict[str, pa.Table], list[quality.SuiteResult]]:
        """The validation's results (waited for; taken once)."""
        assert self.validation is not None, "submit first"
        validation, self.validation = self.validation, None
        return validation()

    def finish(self, pages_per_partition: int, held: dict[PartitionKey, list[ValidatedPiece]]) -> RunSummary:
        """The partitions written with the validation's results."""
        return self.write(*self.validated(), pages_per_partition, held)

    def write(
        self, tables: dict[str, pa.Table], results: list[quality.SuiteResult], pages_per_partition: int,
        held: dict[PartitionKey, list[ValidatedPiece]],
    ) -> RunSummary:
        """Write the partitions whose last piece this batch holds; ``held``: the pieces validated
        before of partitions not yet written (this batch's others are added to it)."""
        warehouse_dir, cache = self.warehouse_dir, parse_cache.cache_dir(self.warehouse_dir)
        complete = [piece.key for piece in self.pieces if piece.last]
        inputs = manifest.reports_by_partition(_of_partitions(self.catalog, complete))
        # The per-report row counts only serve to split the batch's results into partition shares:
        # kept, the run would hold two entries per suite and report (~250 MB at 100,000 reports).
        summary = RunSummary(suite_results=[replace(r, rows_by_doc={}) for r in results])
        for key, piece_tables in split_by_partition(tables, self.cache_keys).items():
            doc_ids = piece_tables[v.TABLE_REPORTS]["doc_id"].to_pylist()
            shares = [replace(r.of_reports(doc_ids), rows_by_doc={}) for r in results] if doc_ids else []
            pieces = [*held.pop(key, []), ValidatedPiece(piece_tables, shares, self.cache_keys[key])]
            if key not in complete:
                held[key] = pieces
                continue
            partition_tables = {name: pa.concat_tables([p.tables[name] for p in pieces]) for name in piece_tables}
            shares = [quality.SuiteResult.merged(parts) for parts in zip(*(p.shares for p in pieces if p.shares), strict=True)]
            cache_keys = {doc: entry for p in pieces for doc, entry in p.cache_keys.items()}
            del pieces
            stats = write_partition_tables(warehouse_dir, *key, partition_tables)
            rows = {n: t.num_rows for n, t in partition_tables.items()}
            if key in inputs:
                found = manifest.write(warehouse_dir, *key, inputs[key], rows)
            else:
                manifest.remove(warehouse_dir, *key)
                found = manifest.empty_fingerprint()
            stats = replace(stats, fingerprint=found, rows=rows)
            summary.add(stats, partition_tables, shares)
            summary.pages.append(explain_pages.write_partition_pages(
                warehouse_dir, *key, partition_tables, CachedReports(cache, cache_keys), pages_per_partition
            ))
        return summary


def _by_doc_id(table: pa.Table) -> pa.Table:
    return table.take(pc.sort_indices(table, sort_keys=[("doc_id", "ascending")]))


def _of_partitions(catalog: pa.Table, keys: Sequence[PartitionKey]) -> pa.Table:
    """The catalog rows of these partitions (a batch's: not the whole catalog for every batch)."""
    if not keys:
        return catalog.slice(0, 0)
    mask = None
    for year, region in keys:
        one = pc.and_(pc.equal(catalog["year"], year), pc.equal(catalog["region"], region))
        mask = one if mask is None else pc.or_(mask, one)
    return catalog if mask is None else catalog.filter(mask)


def write_partitions(
    raw_dir: Path, warehouse_dir: warehouse.Location, catalog: pa.Table, keys: Sequence[PartitionKey],
    force: bool = False, pages_per_partition: int = explain_pages.PAGES_PER_PARTITION,
) -> Iterator[RunSummary]:
    """Write every partition of ``keys`` (sorted) whose inputs changed (``manifest``: an empty one
    only when it has files to remove; all of them with ``force``), a batch at a time; one summary
    per batch, in order, the first one also listing the partitions skipped as unchanged (each with
    its fingerprint, as a written one). ``pages_per_partition``: explain pages of flagged reports.

    In this process: batches on worker processes were measured no faster on 2 cores (each worker
    imports GX, ~5 s) and held ~0.9 GB each.
    """
    memory.use_system_allocator()
    counts = partition_report_counts(catalog)
    keys = sorted(keys)
    expected = manifest.expected_fingerprints(catalog)
    todo = keys if force else manifest.out_of_date(warehouse_dir, catalog, keys, expected)
    skipped = RunSummary()
    for key in sorted(set(keys) - set(todo)):
        found = expected.get(key) or manifest.empty_fingerprint()  # empty: no reports, nothing on disk
        skipped.skip(PartitionStats(key[0], key[1], counts.get(key, 0), 0, 0, fingerprint=found))
    if skipped.unchanged:
        yield skipped
    batches = list(piece_batches(todo, counts, VALIDATION_BATCH_REPORTS))
    # Two batches or more: the suites of one run on the GX process while this one writes the batch
    # before and loads the next (the GX process imports GX meanwhile, on the other core).
    pipelined = len(batches) > 1 and parallel.default_workers() > 1
    if pipelined:
        batches = list(piece_batches(todo, counts, PIPELINED_BATCH_REPORTS))
    held: dict[PartitionKey, list[ValidatedPiece]] = {}  # pieces of a partition not yet written
    with gx_process.serving(pipelined):
        submitted: LoadedBatch | None = None
        try:
            for pieces in batches:
                batch = LoadedBatch.load(raw_dir, warehouse_dir, catalog, pieces)
                before, submitted = submitted, None
                validated = before.validated() if before is not None else None
                batch.submit()
                submitted = batch
                if before is not None and validated is not None:
                    summary = before.write(*validated, pages_per_partition, held)
                    del before, validated
                    memory.release()  # the written batch's rows: the next batch reuses no holes of theirs
                    yield summary
            if submitted is not None:
                last, submitted = submitted, None
                yield last.finish(pages_per_partition, held)
        finally:
            if submitted is not None and submitted.validation is not None:
                # Stopped early: its results are taken all the same, so the GX process is free again.
                with contextlib.suppress(Exception):
                    submitted.validated()
