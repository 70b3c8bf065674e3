"""Parse once, write in batches, on several processes: the parse cache, the process pools and the
batched partition writer give exactly what one process parsing and writing partition by partition
gives."""

from __future__ import annotations

import functools
import hashlib
import multiprocessing
import os
from pathlib import Path

import polars as pl
import pytest

from gi_pipeline import (
    frames,
    gx_process,
    parallel,
    parse_cache,
    partition_writer,
    quality,
    warehouse,
)
from gi_pipeline import vocabulary as v
from gi_pipeline.inventory import build_inventory
from gi_pipeline.records import ParsedReport, Quarantined
from gi_pipeline.report import parse_report
from tests.synth import generate_corpus

# Enough files that the inventory really uses its pool (parallel.MIN_PARALLEL_FILES).
CORPUS_SIZE = parallel.MIN_PARALLEL_FILES + 22


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("raw")
    for s in generate_corpus(CORPUS_SIZE, seed=20261123):
        (root / s.name).write_bytes(s.raw)
    (root / "notes.txt").write_text("not a report at all", encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")
    return root


def _parquet(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


# --------------------------------------------------------------------------------------------
# Parse cache
# --------------------------------------------------------------------------------------------


def test_cache_round_trip_miss_and_prune(tmp_path: Path, raw_dir: Path) -> None:
    name = sorted(p.name for p in raw_dir.iterdir() if p.name not in ("empty.txt", "notes.txt"))[0]
    raw = (raw_dir / name).read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    result = parse_report(raw, name)
    assert isinstance(result, ParsedReport)
    directory = parse_cache.cache_dir(tmp_path)
    key = parse_cache.entry_key(sha, name)
    assert parse_cache.load(directory, key) is None  # nothing stored yet
    parse_cache.store(directory, key, parse_cache.cached(result))
    entry = parse_cache.load(directory, key)
    assert entry is not None and entry.columns == frames.report_columns(result)
    assert (entry.summary.doc_id, entry.summary.year, entry.summary.region) == (result.doc_id, result.year, result.region)
    assert parse_cache.entry_key(sha, "moved/" + name) != key  # the file name is part of the input

    path = next(Path(directory).rglob("*.pickle"))
    path.write_bytes(path.read_bytes()[:20])  # torn write: a miss, never an error
    assert parse_cache.load(directory, key) is None

    parse_cache.store(directory, key, parse_cache.cached(result))
    stale_version = Path(tmp_path, warehouse.STAGE_DIR, parse_cache.CACHE_DIR, "0ld", "x.pickle")
    stale_version.parent.mkdir(parents=True)
    stale_version.write_bytes(b"old parser")
    assert parse_cache.prune(tmp_path, keep={key}) == 1
    assert parse_cache.load(directory, key) is not None and not stale_version.exists()
    assert parse_cache.prune(tmp_path, keep=set()) == 1
    assert parse_cache.load(directory, key) is None


# --------------------------------------------------------------------------------------------
# Process pool
# --------------------------------------------------------------------------------------------


def _jobs(raw_dir: Path) -> list[parallel.ParseJob]:
    out = []
    for path in sorted(raw_dir.iterdir()):
        raw = path.read_bytes()
        out.append(parallel.ParseJob(path.name, hashlib.sha256(raw).hexdigest(), raw))
    return out


def test_pool_gives_the_outcomes_of_one_process_in_order(tmp_path: Path, raw_dir: Path) -> None:
    jobs = functools.partial(_jobs, raw_dir)
    one = list(parallel.parse_all(jobs(), parse_cache.cache_dir(tmp_path / "one"), workers=1))
    two = list(parallel.parse_all(jobs(), parse_cache.cache_dir(tmp_path / "two"), workers=2))
    assert len(one) == CORPUS_SIZE + 2 >= parallel.MIN_PARALLEL_FILES
    assert one == two
    assert [o.source_file for o in two] == sorted(p.name for p in raw_dir.iterdir())
    outcomes = {o.source_file: o.result for o in two}
    assert isinstance(outcomes["notes.txt"], Quarantined) and isinstance(outcomes["empty.txt"], Quarantined)
    assert sum(isinstance(r, parse_cache.ParsedSummary) for r in outcomes.values()) == CORPUS_SIZE
    # The workers left every full result in the cache.
    assert len(list(Path(parse_cache.cache_dir(tmp_path / "two")).rglob("*.pickle"))) == CORPUS_SIZE + 2


class _KillsItsProcess(bytes):
    """Raw bytes whose unpickling ends the worker process, as a crash in a native library would."""

    def __reduce__(self):  # type: ignore[override]
        return (os._exit, (70,))


def test_a_file_that_kills_its_worker_is_the_only_one_lost(tmp_path: Path, raw_dir: Path) -> None:
    jobs = _jobs(raw_dir)
    # In the first batch, so that later batches are in flight when its worker dies.
    jobs.insert(5, parallel.ParseJob("killer.txt", "0" * 64, _KillsItsProcess(b"x")))
    outcomes = list(parallel.parse_all(jobs, parse_cache.cache_dir(tmp_path), workers=2))
    assert [o.source_file for o in outcomes] == [j.source_file for j in jobs]
    by_file = {o.source_file: o for o in outcomes}
    killed = by_file.pop("killer.txt")
    assert killed.result is None and killed.error is not None and "worker process died" in killed.error
    expected = {o.source_file: o for o in parallel.parse_all(_jobs(raw_dir), None, workers=1)}
    assert by_file == expected


def test_inventory_on_a_pool_catalogues_like_one_process(tmp_path: Path, raw_dir: Path) -> None:
    progress: list[tuple[int, int]] = []
    one = build_inventory(raw_dir, cache=parse_cache.cache_dir(tmp_path / "one"), workers=1)
    two = build_inventory(raw_dir, cache=parse_cache.cache_dir(tmp_path / "two"), workers=2,
                          on_progress=lambda done, files: progress.append((done, files)))
    assert one.catalog.equals(two.catalog)
    assert [q.source_file for q in two.quarantined] == ["empty.txt", "notes.txt"]
    # One call per file parsed (duplicates are not parsed), ending at parsed == to parse.
    parsed = sum(r["role"] != "duplicate" for r in two.catalog.to_pylist())
    assert [done for done, _ in progress] == list(range(1, parsed + 1))
    assert progress[-1] == (parsed, parsed)


# --------------------------------------------------------------------------------------------
# Batched partition writes
# --------------------------------------------------------------------------------------------


def test_report_batches_hold_at_most_the_limit() -> None:
    # A batch closes before a partition that would take it over the limit (its memory does not
    # grow with the partitions' size); one bigger than the limit is a batch of its own.
    counts = {"a": 3, "b": 0, "c": 4, "d": 9, "e": 1, "f": 2}
    batches = list(partition_writer.report_batches(list(counts), counts, 5))
    assert batches == [["a", "b"], ["c"], ["d"], ["e", "f"]]


def test_piece_batches_cut_a_big_partition_into_pieces() -> None:
    # A partition bigger than the limit is cut in pieces of nearly equal size (doc_id ranges), each
    # a batch of its own; the others are grouped as report_batches groups them.
    counts = {(2021, "a"): 3, (2021, "b"): 11, (2021, "c"): 0, (2022, "a"): 2}
    batches = list(partition_writer.piece_batches(list(counts), counts, 5))
    assert [[(p.key[1], p.start, p.stop, p.last) for p in batch] for batch in batches] == [
        [("a", 0, 3, True)], [("b", 0, 3, False)], [("b", 3, 7, False)], [("b", 7, 11, True), ("c", 0, 0, True)],
        [("a", 0, 2, True)],
    ]
    assert max(sum(p.size for p in batch) for batch in batches) <= 5


def _write_all(
    raw_dir: Path, wh: Path, batch_reports: int, monkeypatch: pytest.MonkeyPatch, served: list | None = None,
    load_chunk: int = partition_writer.LOAD_CHUNK_REPORTS,
):
    inventory = build_inventory(raw_dir, cache=parse_cache.cache_dir(wh), workers=1)
    warehouse.write_catalog(wh, inventory.catalog)
    monkeypatch.setattr(partition_writer, "VALIDATION_BATCH_REPORTS", batch_reports)
    monkeypatch.setattr(partition_writer, "PIPELINED_BATCH_REPORTS", batch_reports)
    monkeypatch.setattr(partition_writer, "LOAD_CHUNK_REPORTS", load_chunk)
    if served is not None:  # the batches the GX process validated
        submit = gx_process.submit
        monkeypatch.setattr(gx_process, "submit", lambda scope, tables: served.append(scope) or submit(scope, tables))
    keys = sorted(inventory.partitions)
    summaries = list(partition_writer.write_partitions(raw_dir, wh, inventory.catalog, keys))
    return inventory, keys, summaries


def test_partitions_are_byte_identical_however_they_are_batched(
    tmp_path: Path, raw_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One report a batch: every partition of several reports is cut into pieces, validated apart.
    inventory, keys, per_report = _write_all(raw_dir, tmp_path / "a", 1, monkeypatch)
    one_batch_served: list[str] = []
    _, _, one_batch = _write_all(raw_dir, tmp_path / "b", 10**6, monkeypatch, one_batch_served)
    assert one_batch_served == []  # one batch: validated here
    batched_served: list[str] = []
    # ... and turned into Arrow a few reports at a time (LOAD_CHUNK_REPORTS) or all at once
    _, _, batched = _write_all(raw_dir, tmp_path / "c", 40, monkeypatch, batched_served, load_chunk=3)
    assert len(one_batch) == 1 and len(batched) > 2
    assert len(per_report) == inventory.count(warehouse.ROLE_REPORT) > len(keys)
    assert sum(len(s.stats) for s in per_report) == len(keys)  # each partition written once, whole
    # Several batches: each validated on the GX process while the writer went on (stopped after).
    assert len(batched_served) == len(batched) and not gx_process.active()
    files = _parquet(tmp_path / "a")
    assert files == _parquet(tmp_path / "b") == _parquet(tmp_path / "c")
    assert {k for k in files if k.startswith(f"{v.TABLE_REQUESTS}/")} == {
        f"{v.TABLE_REQUESTS}/year={y}/region={r}/part-0.parquet" for y, r in keys
    }

    # Every partition's share of the checks, whatever the batch: the same as its own validation.
    def shares(summaries):
        merged = partition_writer.RunSummary()
        for s in summaries:
            merged.merge(s)
        return merged

    a, b, c = shares(per_report), shares(one_batch), shares(batched)
    assert a.partition_results == b.partition_results == c.partition_results
    assert set(a.partition_results) == set(keys)
    assert [line for _, line in a.lines] == [line for _, line in b.lines] == [line for _, line in c.lines]
    assert a.rows == b.rows == c.rows and a.rows[v.TABLE_REPORTS] == inventory.count(warehouse.ROLE_REPORT)
    failing = {key for key, results in a.partition_results.items() if not all(r.success for r in results)}
    assert failing and failing != set(keys)  # the corpus has defective reports, not only


def test_table_validation_matches_report_validation(raw_dir: Path) -> None:
    """validate_tables (the pipeline's, on cached rows) and validate_reports (on records) agree."""
    reports = [r for p in sorted(raw_dir.iterdir()) if isinstance(r := parse_report(p.read_bytes(), p.name), ParsedReport)]
    runner = quality.default_runner()
    checked, by_reports = quality.validate_reports(reports, runner)
    tables, by_tables = quality.validate_tables(frames.tables_from_columns(map(frames.report_columns, reports)), runner)
    assert [(r.suite, r.success, r.findings) for r in by_reports] == [(r.suite, r.success, r.findings) for r in by_tables]
    expected = frames.report_tables(checked)
    for name in (v.TABLE_REPORTS, v.TABLE_QUALITY_ISSUES):
        assert tables[name].equals(expected[name]), name
    assert pl.from_arrow(tables[v.TABLE_QUALITY_ISSUES])["check"].str.starts_with("identity").any()


def _parse_in_daemon(jobs: list[parallel.ParseJob], out: multiprocessing.Queue) -> None:
    out.put([o.source_file for o in parallel.parse_all(jobs, None, workers=2)])


def test_a_daemonic_process_parses_in_itself(raw_dir: Path) -> None:
    """A Dask worker is a daemonic process, which may not start processes: the pool is skipped."""
    jobs = [parallel.ParseJob(p.name, "", p.read_bytes()) for p in sorted(raw_dir.iterdir())]
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    daemon = context.Process(target=_parse_in_daemon, args=(jobs, out), daemon=True)
    daemon.start()
    daemon.join(timeout=300)  # the names it sends fit in the pipe: it exits without waiting for us
    assert daemon.exitcode == 0
    assert out.get(timeout=10) == [job.source_file for job in jobs]
